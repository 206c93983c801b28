//! The headless command-line interface: `inspect`, `freq`, `convert`, `accountant`,
//! `gwas`, `share`, `sweep`, `synth`, `silo host` / `silo join`, `audit model` / `audit sweep`, `simulate`, and
//! for projects `run` and `report`.
//!
//! Every command reads through `genopriv-core`, shows progress on stderr only when
//! stderr is a terminal, and on failure prints one readable paragraph on stderr and
//! exits with a non-zero code.

pub mod accountant;
mod audit;
mod audit_federated;
mod audit_sweep;
mod convert;
mod freq;
mod gwas;
mod inspect;
mod progress;
mod project;
pub(crate) mod report;
mod run;
pub(crate) mod share;
pub(crate) mod silo;
mod simulate;
mod sweep;
pub(crate) mod synth;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use genopriv_core::data::read::read_genotypes;
use genopriv_core::data::{Dataset, GenotypeFormat, MultiAllelicPolicy, ReadOptions, plink_paths};
use genopriv_core::job::CancelToken;
use genopriv_core::{Error, Job, Result};

use crate::gui::GuiArgs;
use progress::TerminalProgress;
use sha2::{Digest, Sha256};

/// The version and the git commit the binary was built from (`commit unknown`
/// when built outside a git checkout), e.g. `0.1.0 (commit 1a2b3c4d5e6f)`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("GENOPRIV_COMMIT"),
    ")"
);

#[derive(Parser, Debug)]
#[command(
    name = "genopriv",
    version = VERSION,
    about = "Tells whether a genomic dataset is safe to release, and makes it safer"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub gui: GuiArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Summarise a genotype file: samples, variants, skipped records, missingness
    Inspect(inspect::InspectArgs),
    /// Write per-variant allele frequencies, missingness and HWE p-values as TSV
    Freq(freq::FreqArgs),
    /// Convert between VCF, PLINK and CSV/TSV (the format follows the output name)
    Convert(convert::ConvertArgs),
    /// Epsilon of a DP-SGD run, naming the accountant, conversion and sampling assumption
    Accountant(accountant::AccountantArgs),
    /// Case/control association tests per SNP (allelic = plink --assoc) as TSV
    Gwas(gwas::GwasArgs),
    /// Share a perturbed copy of a cohort (XOR mechanism or randomized response)
    /// with a JSON report of its privacy and utility
    Share(share::ShareArgs),
    /// Privacy-utility trade-off of sharing over an epsilon grid, with a
    /// recommended epsilon
    Sweep(sweep::SweepArgs),
    /// Differentially private synthetic genotypes and phenotypes, with their release
    /// manifest and a utility and privacy report
    Synth(synth::SynthArgs),
    /// Synthesize together with other sites, none revealing its data: `silo host`
    /// opens a session, `silo join` joins it
    #[command(subcommand)]
    Silo(silo::SiloCommand),
    /// Privacy audits of a model before release: membership and label inference
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Write a seeded simulated cohort (genotypes with LD and a case/control
    /// phenotype) for trying the workbench and for benchmarks
    Simulate(simulate::SimulateArgs),
    /// Rerun every study of a project from its recorded inputs and seeds
    /// (--check: compare with the stored results instead of storing them)
    Run(run::RunArgs),
    /// Write the IRB report of a project: one self-contained HTML file
    Report(report::ReportArgs),
}

/// Reader options shared by every command that loads genotypes.
#[derive(Args, Debug, Clone, Default)]
pub struct ReadArgs {
    /// Load each multi-allelic record as one biallelic variant per alternate allele
    /// (default: skip and count them)
    #[arg(long)]
    pub split_multiallelic: bool,
    /// Keep indels and other non-SNP variants (default: skip and count them)
    #[arg(long)]
    pub keep_non_snps: bool,
}

impl ReadArgs {
    fn options(&self) -> ReadOptions {
        ReadOptions {
            multi_allelic: if self.split_multiallelic {
                MultiAllelicPolicy::Split
            } else {
                MultiAllelicPolicy::Skip
            },
            keep_non_snps: self.keep_non_snps,
        }
    }
}

/// Runs a subcommand and turns its outcome into an exit code.
pub fn run(command: Command) -> ExitCode {
    let progress = TerminalProgress::for_stderr();
    let cancel = CancelToken::new();
    let job = Job::new(&progress, &cancel);
    let outcome = match command {
        Command::Inspect(args) => inspect::run(&args, job),
        Command::Freq(args) => freq::run(&args, job),
        Command::Convert(args) => convert::run(&args, job),
        Command::Accountant(args) => accountant::run(&args),
        Command::Gwas(args) => gwas::run(&args, job),
        Command::Share(args) => share::run(&args, job),
        Command::Sweep(args) => sweep::run(&args, job),
        Command::Synth(args) => synth::run(&args, job),
        Command::Silo(command) => silo::run(&command, job),
        Command::Audit(command) => audit::run(&command, job),
        Command::Simulate(args) => simulate::run(&args, job),
        Command::Run(args) => run::run(&args, job),
        Command::Report(args) => report::run(&args, job),
    };
    progress.finish();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("genopriv: error: {}", one_paragraph(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

/// Joins the lines of a message so that the error reads as one paragraph.
fn one_paragraph(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a genotype file with the reader flags. A dataset without samples or
/// without variants cannot be assessed, so it is an error that says why.
fn load(input: &Path, read: &ReadArgs, job: Job<'_>) -> Result<Dataset> {
    let dataset = read_genotypes(input, &read.options(), job)?;
    if dataset.matrix.n_samples() == 0 {
        return Err(Error::invalid(
            input,
            "the file has no samples, so there is nothing to analyse",
        ));
    }
    if dataset.matrix.n_variants() == 0 {
        let skipped = &dataset.report;
        let message = if skipped.total_skipped() == 0 {
            "the file has no variant records, so there is nothing to analyse".to_owned()
        } else {
            let reasons: Vec<String> = skipped
                .skipped
                .iter()
                .map(|(reason, n)| format!("{n} {}", reason.describe()))
                .collect();
            format!(
                "no variant was loaded: all {} records were skipped ({}); \
                 --split-multiallelic or --keep-non-snps may keep some",
                skipped.total_skipped(),
                reasons.join(", ")
            )
        };
        return Err(Error::invalid(input, message));
    }
    Ok(dataset)
}

/// The files a dataset named by `input` is read from (all three of a PLINK set),
/// which no output may replace.
fn input_files(input: &Path) -> Vec<PathBuf> {
    match GenotypeFormat::from_path(input) {
        Ok(GenotypeFormat::PlinkBed) => {
            let (bed, bim, fam) = plink_paths(input);
            vec![bed, bim, fam]
        }
        _ => vec![input.to_path_buf()],
    }
}

/// The hex SHA-256 digest of a file, read in 1 MiB chunks.
pub(crate) fn sha256_file(path: &Path, job: Job<'_>) -> Result<String> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
            break;
        };
        hasher.update(chunk);
        done += n as u64;
        job.checkpoint("Hashing", (len > 0).then(|| done as f32 / len as f32))?;
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Formats a number losslessly (shortest round-trip form), in scientific notation
/// when plain notation would be long; `NA` when undefined.
fn format_number(value: Option<f64>) -> String {
    match value {
        None => "NA".to_owned(),
        Some(v) if v == 0.0 || (1e-4..1e6).contains(&v.abs()) => format!("{v}"),
        Some(v) => format!("{v:e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for v in [
            0.0,
            1.0,
            0.0725,
            3.825403e-18,
            1e-300,
            0.5,
            1.0 / 3.0,
            123456789.0,
        ] {
            let s = format_number(Some(v));
            assert_eq!(s.parse::<f64>().ok(), Some(v), "{s}");
            assert!(s.len() <= 24, "{s}");
        }
        assert_eq!(format_number(None), "NA");
        assert_eq!(format_number(Some(0.0725)), "0.0725");
    }

    #[test]
    fn errors_become_one_paragraph() {
        assert_eq!(one_paragraph("a\n  b\tc "), "a b c");
    }
}
