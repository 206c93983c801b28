//! `genopriv inspect`: what a genotype file holds and what loading it skipped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::{Dataset, GenotypeFormat, SkipReason};
use genopriv_core::stats::{DEFAULT_MAF_EDGES, Distribution, MafSpectrum, Summary, summarize};
use genopriv_core::{Job, Result};
use serde::Serialize;

use super::{ReadArgs, input_files, load, sha256_file};

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Genotype file: .vcf, .vcf.gz, .bcf, PLINK .bed/.bim/.fam (or prefix), .csv/.tsv
    pub input: PathBuf,
    /// Phenotype table (.csv/.tsv, header line, sample IDs in the first column)
    /// joined by sample ID to count cases and controls
    #[arg(long, value_name = "FILE")]
    pub pheno: Option<PathBuf>,
    /// The phenotype column holding case/control status (0/1, or PLINK 1/2)
    #[arg(long, value_name = "NAME", default_value = "case", requires = "pheno")]
    pub case_column: String,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Everything `inspect` reports; `--json` prints exactly this object.
#[derive(Serialize, Debug)]
struct Inspection {
    file: PathBuf,
    format: GenotypeFormat,
    /// SHA-256 of the genotype file (the `.bed` of a PLINK set), so that a report
    /// can be tied to the exact bytes inspected.
    sha256: String,
    n_samples: usize,
    n_variants: usize,
    skipped: BTreeMap<&'static str, u64>,
    split_records: u64,
    split_variants: u64,
    haploid_calls: u64,
    other_allele_calls: u64,
    notes: Vec<String>,
    missing_rate: Option<f64>,
    samples_with_missing: usize,
    sample_missingness: Option<Distribution>,
    heterozygosity: Option<Distribution>,
    variant_missingness: Option<Distribution>,
    maf_spectrum: MafSpectrum,
    #[serde(skip_serializing_if = "Option::is_none")]
    cases: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    controls: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phenotype: Option<PhenotypeSummary>,
}

/// How the phenotype table lined up with the genotype samples.
#[derive(Serialize, Debug)]
struct PhenotypeSummary {
    file: PathBuf,
    column: String,
    /// Genotype samples with a phenotype row.
    matched: usize,
    samples_without_phenotype: usize,
    phenotypes_without_genotypes: usize,
    duplicated_ids: usize,
    /// Matched samples whose case/control value is missing.
    missing_status: usize,
    /// A few IDs of genotype samples without a phenotype row.
    example_samples_without_phenotype: Vec<String>,
}

pub fn run(args: &InspectArgs, job: Job<'_>) -> anyhow::Result<()> {
    let dataset = load(&args.input, &args.read, job)?;
    let summary = summarize(&dataset.matrix, &DEFAULT_MAF_EDGES, job)?;
    let hashed = input_files(&args.input)
        .into_iter()
        .next()
        .unwrap_or_else(|| args.input.clone());
    let sha256 = sha256_file(&hashed, job)?;
    let mut inspection = Inspection::new(&dataset, summary, sha256);
    if let Some(pheno) = &args.pheno {
        inspection.add_phenotypes(pheno, &args.case_column, &dataset)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&inspection)?);
    } else {
        print!("{}", inspection.to_text());
    }
    Ok(())
}

impl Inspection {
    fn new(dataset: &Dataset, summary: Summary, sha256: String) -> Self {
        let report = &dataset.report;
        Self {
            file: dataset.source.clone(),
            format: dataset.format,
            sha256,
            n_samples: summary.n_samples,
            n_variants: summary.n_variants,
            skipped: report.skipped_by_key(),
            split_records: report.split_records,
            split_variants: report.split_variants,
            haploid_calls: report.haploid_calls,
            other_allele_calls: report.other_allele_calls,
            notes: report.notes.clone(),
            missing_rate: summary.missing_rate,
            samples_with_missing: summary.samples_with_missing,
            sample_missingness: summary.sample_missingness,
            heterozygosity: summary.heterozygosity,
            variant_missingness: summary.variant_missingness,
            maf_spectrum: summary.maf_spectrum,
            cases: None,
            controls: None,
            phenotype: None,
        }
    }

    /// Joins a phenotype table to the samples and counts cases and controls.
    fn add_phenotypes(&mut self, path: &Path, column: &str, dataset: &Dataset) -> Result<()> {
        let table = read_phenotypes(path, None)?;
        let joined = join(&table, dataset.matrix.samples());
        let status = table.case_control(&joined, column)?;
        self.cases = Some(status.cases);
        self.controls = Some(status.controls);
        self.phenotype = Some(PhenotypeSummary {
            file: path.to_path_buf(),
            column: column.to_owned(),
            matched: joined.matched,
            samples_without_phenotype: joined.samples_without_phenotype.count,
            phenotypes_without_genotypes: joined.phenotypes_without_genotypes.count,
            duplicated_ids: joined.duplicated_phenotype_ids.count,
            missing_status: status.missing,
            example_samples_without_phenotype: joined.samples_without_phenotype.examples,
        });
        Ok(())
    }

    fn to_text(&self) -> String {
        let mut t = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_text(&mut t);
        t
    }

    fn write_text(&self, t: &mut String) -> std::fmt::Result {
        writeln!(
            t,
            "File:      {} ({})",
            self.file.display(),
            self.format.name()
        )?;
        writeln!(t, "SHA-256:   {}", self.sha256)?;
        writeln!(t, "Samples:   {}", self.n_samples)?;
        writeln!(t, "Variants:  {}", self.n_variants)?;
        let total_skipped: u64 = self.skipped.values().sum();
        writeln!(t, "Skipped:   {total_skipped} records")?;
        for reason in [
            SkipReason::MultiAllelic,
            SkipReason::NotSnp,
            SkipReason::NoAlt,
            SkipReason::Symbolic,
        ] {
            let count = self.skipped.get(reason.key()).copied().unwrap_or(0);
            if count > 0 {
                writeln!(t, "  {:<36} {count}", reason.describe())?;
            }
        }
        if self.split_records > 0 {
            writeln!(
                t,
                "Split:     {} multi-allelic records into {} biallelic variants",
                self.split_records, self.split_variants
            )?;
        }
        if self.haploid_calls > 0 {
            writeln!(
                t,
                "Haploid calls (coded as homozygous): {}",
                self.haploid_calls
            )?;
        }
        if self.other_allele_calls > 0 {
            writeln!(
                t,
                "Calls of another alternate allele (coded as missing): {}",
                self.other_allele_calls
            )?;
        }
        writeln!(
            t,
            "Missing rate: {} of all calls",
            percent(self.missing_rate)
        )?;
        write_distribution(t, "Per-sample missing rate", self.sample_missingness)?;
        writeln!(
            t,
            "  samples with any missing call: {}",
            self.samples_with_missing
        )?;
        write_distribution(t, "Per-variant missing rate", self.variant_missingness)?;
        write_distribution(t, "Per-sample heterozygosity", self.heterozygosity)?;
        let s = &self.maf_spectrum;
        writeln!(t, "MAF spectrum (variants):")?;
        writeln!(t, "  {:<14} {}", "monomorphic", s.monomorphic)?;
        for bin in &s.bins {
            writeln!(
                t,
                "  {:<14} {}",
                format!("({}, {}]", bin.lower, bin.upper),
                bin.count
            )?;
        }
        if s.outside > 0 {
            writeln!(t, "  {:<14} {}", "outside bins", s.outside)?;
        }
        if s.undefined > 0 {
            writeln!(t, "  {:<14} {}", "no calls", s.undefined)?;
        }
        if let (Some(cases), Some(controls), Some(p)) = (self.cases, self.controls, &self.phenotype)
        {
            writeln!(
                t,
                "Phenotypes: {} (column {}): {cases} cases, {controls} controls, {} missing",
                p.file.display(),
                p.column,
                p.missing_status + p.samples_without_phenotype
            )?;
            if p.samples_without_phenotype > 0 {
                writeln!(
                    t,
                    "  {} samples have no phenotype row (e.g. {})",
                    p.samples_without_phenotype,
                    p.example_samples_without_phenotype.join(", ")
                )?;
            }
            if p.phenotypes_without_genotypes > 0 {
                writeln!(
                    t,
                    "  {} phenotype rows match no genotype sample",
                    p.phenotypes_without_genotypes
                )?;
            }
            if p.duplicated_ids > 0 {
                writeln!(
                    t,
                    "  {} IDs appear on more than one row (the first is used)",
                    p.duplicated_ids
                )?;
            }
        }
        for note in &self.notes {
            writeln!(t, "Note: {note}")?;
        }
        Ok(())
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "NA".to_owned(), |r| format!("{:.4}%", 100.0 * r))
}

/// Rates shown to 4 decimals in text (`--json` keeps full precision).
fn write_distribution(t: &mut String, what: &str, d: Option<Distribution>) -> std::fmt::Result {
    match d {
        Some(d) => writeln!(
            t,
            "{what}: min {:.4}, median {:.4}, mean {:.4}, max {:.4}",
            d.min, d.median, d.mean, d.max
        ),
        None => writeln!(t, "{what}: NA"),
    }
}
