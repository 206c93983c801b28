//! `genopriv freq`: per-variant statistics as a TSV table.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use genopriv_core::data::write::AtomicFile;
use genopriv_core::stats::variant_stats;
use genopriv_core::{Error, Job};

use super::{ReadArgs, format_number, input_files, load};

#[derive(Args, Debug)]
pub struct FreqArgs {
    /// Genotype file: .vcf, .vcf.gz, .bcf, PLINK .bed/.bim/.fam (or prefix), .csv/.tsv
    pub input: PathBuf,
    /// Where to write the table (tab-separated)
    #[arg(long, short)]
    pub out: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// The header of the table; `id` is the variant ID, or `chrom:pos:ref:alt` when the
/// source has none.
pub const HEADER: &str = "id\tchrom\tpos\tref\talt\talt_freq\tmaf\tmissing_rate\thwe_p";

pub fn run(args: &FreqArgs, job: Job<'_>) -> anyhow::Result<()> {
    let inputs = input_files(&args.input);
    let input_refs: Vec<&std::path::Path> = inputs.iter().map(PathBuf::as_path).collect();
    // Fail before reading a large input if the output would replace it.
    let mut out = AtomicFile::create(&args.out, &input_refs)?;
    let dataset = load(&args.input, &args.read, job)?;
    let stats = variant_stats(&dataset.matrix, job)?;
    let write_err = |e| Error::io(&args.out, e);
    writeln!(out, "{HEADER}").map_err(write_err)?;
    for (variant, s) in dataset.matrix.variants().iter().zip(&stats) {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            variant.display_id(),
            variant.chrom,
            variant.pos,
            variant.ref_allele,
            variant.alt_allele,
            format_number(s.alt_freq),
            format_number(s.maf),
            format_number(s.missing_rate),
            format_number(s.hwe_p),
        )
        .map_err(write_err)?;
    }
    out.commit()?;
    Ok(())
}
