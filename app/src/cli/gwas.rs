//! `genopriv gwas`: per-SNP case/control association tests as a TSV table.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::write::AtomicFile;
use genopriv_core::stats::gwas::{AssociationResult, association_tests, association_tests_split};
use genopriv_core::{Error, Job};

use super::share::GwasTestArg;
use super::{ReadArgs, format_number, input_files, load};

#[derive(Args, Debug)]
pub struct GwasArgs {
    /// Genotype file: .vcf, .vcf.gz, .bcf, PLINK .bed (or prefix), .csv/.tsv
    pub input: PathBuf,
    /// Phenotype table with a case/control column (sample IDs in the first column)
    #[arg(long, value_name = "FILE", required_unless_present = "controls")]
    pub pheno: Option<PathBuf>,
    /// The phenotype column holding case/control status (0/1, or PLINK 1/2)
    #[arg(long, value_name = "NAME", default_value = "case")]
    pub case_column: String,
    /// Test every INPUT sample as a case against this genotype file as controls
    /// (PROVGEN's design, with a reference panel as controls)
    #[arg(long, value_name = "FILE", conflicts_with = "pheno")]
    pub controls: Option<PathBuf>,
    /// allelic: 1-df allelic chi-square, as `plink --assoc`; genotypic: 2-df;
    /// trend: Cochran-Armitage; dominant: PROVGEN's odds-ratio z test
    #[arg(long, value_enum, default_value_t = GwasTestArg::Allelic)]
    pub test: GwasTestArg,
    /// Where to write the table (tab-separated)
    #[arg(long, short)]
    pub out: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// `or` is the odds ratio of the counted (ALT) allele, cases against controls, for
/// every test but `dominant`, where it is the carrier odds ratio its z tests.
pub const HEADER: &str = "id\tchrom\tpos\tstat\tp\tor";

pub fn run(args: &GwasArgs, job: Job<'_>) -> anyhow::Result<()> {
    let mut inputs = input_files(&args.input);
    inputs.extend(args.pheno.iter().cloned());
    if let Some(controls) = &args.controls {
        inputs.extend(input_files(controls));
    }
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let mut out = AtomicFile::create(&args.out, &input_refs)?;
    let dataset = load(&args.input, &args.read, job)?;
    let matrix = &dataset.matrix;
    let results = match (&args.pheno, &args.controls) {
        (Some(pheno), _) => {
            let table = read_phenotypes(pheno, None)?;
            let joined = join(&table, matrix.samples());
            let status = table.case_control(&joined, &args.case_column)?;
            let rows: Vec<usize> = (0..status.status.len())
                .filter(|&i| status.status.get(i).copied().flatten().is_some())
                .collect();
            let is_case: Vec<bool> = rows
                .iter()
                .map(|&i| status.status.get(i).copied().flatten() == Some(true))
                .collect();
            if rows.len() < matrix.n_samples() {
                eprintln!(
                    "genopriv: note: {} of {} samples have no case/control status in {} and \
                     are left out",
                    matrix.n_samples() - rows.len(),
                    matrix.n_samples(),
                    pheno.display()
                );
                association_tests_split(&matrix.select_samples(&rows), &is_case, job)?
            } else {
                association_tests_split(matrix, &is_case, job)?
            }
        }
        (None, Some(controls)) => {
            let controls = load(controls, &args.read, job)?;
            association_tests(matrix, &controls.matrix, job)?
        }
        (None, None) => anyhow::bail!("give --pheno FILE or --controls FILE"),
    };
    let write_err = |e| Error::io(&args.out, e);
    writeln!(out, "{HEADER}").map_err(write_err)?;
    for (variant, r) in matrix.variants().iter().zip(&results) {
        let (stat, p, or) = columns(args.test, r);
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}",
            variant.display_id(),
            variant.chrom,
            variant.pos,
            format_number(finite(stat)),
            format_number(finite(p)),
            format_number(finite(or)),
        )
        .map_err(write_err)?;
    }
    out.commit()?;
    Ok(())
}

fn columns(test: GwasTestArg, r: &AssociationResult) -> (f64, f64, f64) {
    let allelic_or = r.allelic.odds_ratio;
    match test {
        GwasTestArg::Allelic => (
            r.allelic.chi_square.statistic,
            r.allelic.chi_square.p_value,
            allelic_or,
        ),
        GwasTestArg::Genotypic => (r.genotypic.statistic, r.genotypic.p_value, allelic_or),
        GwasTestArg::Trend => (r.trend.statistic, r.trend.p_value, allelic_or),
        GwasTestArg::Dominant => (r.dominant.z, r.dominant.p_value, r.dominant.odds_ratio),
    }
}

/// Undefined statistics (a zero margin) are written `NA`, as plink does.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}
