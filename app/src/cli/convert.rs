//! `genopriv convert`: rewrite genotypes in another format.

use std::path::{Path, PathBuf};

use clap::Args;
use genopriv_core::Job;
use genopriv_core::data::GenotypeFormat;
use genopriv_core::data::write::{ensure_not_input, write_genotypes};

use super::{ReadArgs, input_files, load};

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Genotype file: .vcf, .vcf.gz, .bcf, PLINK .bed/.bim/.fam (or prefix), .csv/.tsv
    pub input: PathBuf,
    /// Output file; its name picks the format: .vcf.gz, .vcf, .bed (writes
    /// .bim/.fam beside it), .csv or .tsv
    #[arg(long, short)]
    pub out: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
}

pub fn run(args: &ConvertArgs, job: Job<'_>) -> anyhow::Result<()> {
    let inputs = input_files(&args.input);
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    // Fail before reading a large input if the output cannot be written: an
    // unrecognised name, or any file the output format writes being an input.
    GenotypeFormat::from_path(&args.out)?;
    for out in input_files(&args.out) {
        ensure_not_input(&out, &input_refs)?;
    }
    let dataset = load(&args.input, &args.read, job)?;
    write_genotypes(&dataset.matrix, &args.out, &input_refs, job)?;
    Ok(())
}
