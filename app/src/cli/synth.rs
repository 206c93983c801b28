//! `genopriv synth`: differentially private synthetic genotypes, with their
//! phenotype table, the release manifest and an evaluation report.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::write::{AtomicFile, ensure_not_input, write_genotypes_with_meta};
use genopriv_core::explain::format::{auc, number};
use genopriv_core::study::synth::{
    SynthInputs, SynthOutcome, SynthReport, SynthSettings, run_synth_study,
};
use genopriv_core::synthesis::{InputHash, Manifest, SyntheticCohort};
use genopriv_core::{Error, Job};

use super::{ReadArgs, input_files, load, sha256_file};

#[derive(Args, Debug)]
pub struct SynthArgs {
    /// The cohort's genotypes (complete: impute missing calls first): .vcf, .vcf.gz,
    /// .bcf, PLINK .bed (or prefix), .csv/.tsv
    pub input: PathBuf,
    /// Phenotype table (sample IDs in the first column) with the case/control column
    #[arg(long, value_name = "FILE")]
    pub pheno: PathBuf,
    /// The phenotype column holding case/control status (0/1, or PLINK 1/2)
    #[arg(long, value_name = "NAME", default_value = "case")]
    pub case_column: String,
    /// Privacy budget of the whole release
    #[arg(long, value_name = "E")]
    pub epsilon: f64,
    #[arg(long, value_name = "D")]
    pub delta: f64,
    /// Chain order: 1 links each SNP to the next, 2 to the next two
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub order: u8,
    /// Synthetic individuals to draw (default: as many as the training half)
    #[arg(long, value_name = "N")]
    pub n_synthetic: Option<usize>,
    /// Study seed: reproducible output, marked not for release. Without it the
    /// noise comes from the operating system's secure random source
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// The synthetic genotypes (.vcf.gz, .vcf, .bed, .csv, .tsv); the phenotype
    /// table (OUT.pheno.tsv) and manifest (OUT.manifest.json) are written beside it
    #[arg(long, short)]
    pub out: PathBuf,
    /// The JSON evaluation report (an internal document: it names the training samples)
    #[arg(long, value_name = "REPORT.json")]
    pub report: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
}

pub fn run(args: &SynthArgs, job: Job<'_>) -> anyhow::Result<()> {
    let mut inputs = input_files(&args.input);
    inputs.push(args.pheno.clone());
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    // Fail before the long work if an output would replace an input.
    let outputs = SynthOutputs::claim(&args.out, &args.report, &input_refs)?;

    let cohort = load(&args.input, &args.read, job)?;
    let is_case = case_status(
        &args.input,
        cohort.matrix.samples(),
        &args.pheno,
        &args.case_column,
    )?;
    let input_sha256 = sha256_file(
        input_refs.first().copied().unwrap_or(args.input.as_path()),
        job,
    )?;
    let pheno_sha256 = sha256_file(&args.pheno, job)?;

    let mut settings = SynthSettings::new(args.epsilon, args.delta, args.seed);
    settings.order = usize::from(args.order);
    settings.n_synthetic = args.n_synthetic;
    let mut outcome = run_synth_study(
        &SynthInputs {
            real: cohort.matrix,
            is_case,
        },
        &settings,
        job,
    )
    .with_context(|| format!("synthesizing from {}", args.input.display()))?;
    record_inputs(
        &mut outcome.report,
        &args.input,
        input_sha256,
        &args.pheno,
        pheno_sha256,
    );
    outputs.write(&outcome, &input_refs, job)?;
    for warning in outcome
        .report
        .notices
        .iter()
        .filter(|n| n.starts_with("Warning:"))
    {
        eprintln!("genopriv: {warning}");
    }
    print!("{}", summary(&outcome.report));
    Ok(())
}

/// Every sample's case/control status (true = case) from column `case_column`
/// of the phenotype table; a sample without one is an error naming it.
/// `genopriv sweep --method synth` and `genopriv silo` read their cohorts the same way.
pub fn case_status(
    genotypes: &Path,
    samples: &[String],
    pheno: &Path,
    case_column: &str,
) -> Result<Vec<bool>, Error> {
    let table = read_phenotypes(pheno, None)?;
    let joined = join(&table, samples);
    let status = table.case_control(&joined, case_column)?;
    status
        .status
        .iter()
        .zip(samples)
        .map(|(s, sample)| {
            s.ok_or_else(|| {
                Error::invalid(
                    pheno,
                    format!(
                        "sample {sample} of {} has no case/control value in column \
                         `{case_column}`; synthesis needs every sample's status",
                        genotypes.display(),
                    ),
                )
            })
        })
        .collect()
}

/// Records the two inputs' checksums in the report and its manifest.
pub fn record_inputs(
    report: &mut SynthReport,
    genotypes: &Path,
    genotypes_sha256: String,
    phenotypes: &Path,
    phenotypes_sha256: String,
) {
    report.input_sha256 = Some(genotypes_sha256.clone());
    report.manifest.inputs = vec![
        InputHash {
            path: genotypes.display().to_string(),
            sha256: genotypes_sha256,
        },
        InputHash {
            path: phenotypes.display().to_string(),
            sha256: phenotypes_sha256,
        },
    ];
}

/// Where a synthesis went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthFiles {
    pub genotypes: PathBuf,
    /// `OUT.pheno.tsv`: the synthetic people's case/control labels.
    pub phenotypes: PathBuf,
    /// `OUT.manifest.json`: the release manifest.
    pub manifest: PathBuf,
    /// The evaluation report (internal: it names the training samples).
    pub report: PathBuf,
}

/// The files of one synthesis (genotypes, phenotypes and manifest beside them,
/// and the report), claimed before the long work so that a name that would
/// replace an input fails at once; nothing is visible until all are written.
/// Both `genopriv synth` and the desktop export write through it.
pub struct SynthOutputs {
    release: ReleaseOutputs,
    report_path: PathBuf,
    report: AtomicFile,
}

impl SynthOutputs {
    pub fn claim(out: &Path, report: &Path, inputs: &[&Path]) -> Result<Self, Error> {
        Ok(Self {
            release: ReleaseOutputs::claim(out, inputs)?,
            report_path: report.to_path_buf(),
            report: AtomicFile::create(report, inputs)?,
        })
    }

    /// Writes everything; the report is committed last, after the release files.
    pub fn write(
        mut self,
        outcome: &SynthOutcome,
        inputs: &[&Path],
        job: Job<'_>,
    ) -> Result<SynthFiles, Error> {
        write_json(&mut self.report, &self.report_path, &outcome.report)?;
        let release = self.release.write(
            &outcome.report.manifest,
            &outcome.synthetic,
            &vcf_meta(&outcome.report),
            inputs,
            job,
        )?;
        self.report.commit()?;
        Ok(SynthFiles {
            genotypes: release.genotypes,
            phenotypes: release.phenotypes,
            manifest: release.manifest,
            report: self.report_path,
        })
    }
}

/// The released files alone: synthetic genotypes, OUT.pheno.tsv and
/// OUT.manifest.json (what `genopriv silo` writes at every site).
pub struct ReleaseOutputs {
    genotypes: PathBuf,
    phenotypes_path: PathBuf,
    manifest_path: PathBuf,
    phenotypes: AtomicFile,
    manifest: AtomicFile,
}

/// Where a release went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseFiles {
    pub genotypes: PathBuf,
    pub phenotypes: PathBuf,
    pub manifest: PathBuf,
}

impl ReleaseOutputs {
    pub fn claim(out: &Path, inputs: &[&Path]) -> Result<Self, Error> {
        let phenotypes_path = beside(out, "pheno.tsv")?;
        let manifest_path = beside(out, "manifest.json")?;
        ensure_not_input(out, inputs)?;
        Ok(Self {
            genotypes: out.to_path_buf(),
            phenotypes: AtomicFile::create(&phenotypes_path, inputs)?,
            manifest: AtomicFile::create(&manifest_path, inputs)?,
            phenotypes_path,
            manifest_path,
        })
    }

    /// Writes the three files; the genotypes last, so that any failure before
    /// them leaves no output at all.
    pub fn write(
        mut self,
        manifest: &Manifest,
        synthetic: &SyntheticCohort,
        meta: &[(String, String)],
        inputs: &[&Path],
        job: Job<'_>,
    ) -> Result<ReleaseFiles, Error> {
        write_json(&mut self.manifest, &self.manifest_path, manifest)?;
        self.phenotypes
            .write_all(phenotype_table(synthetic).as_bytes())
            .map_err(|e| Error::io(&self.phenotypes_path, e))?;
        write_genotypes_with_meta(&synthetic.matrix, &self.genotypes, inputs, meta, job)?;
        self.manifest.commit()?;
        self.phenotypes.commit()?;
        Ok(ReleaseFiles {
            genotypes: self.genotypes,
            phenotypes: self.phenotypes_path,
            manifest: self.manifest_path,
        })
    }
}

fn write_json(
    file: &mut AtomicFile,
    path: &Path,
    value: &impl serde::Serialize,
) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::invalid(path, format!("the JSON could not be encoded: {e}")))?;
    writeln!(file, "{text}").map_err(|e| Error::io(path, e))
}

/// `OUT` without its genotype extension (and `.gz`), plus `.suffix`.
pub fn beside(out: &Path, suffix: &str) -> Result<PathBuf, Error> {
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::invalid(out, "the output has no usable file name"))?;
    let base = name.strip_suffix(".gz").unwrap_or(name);
    let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    Ok(out.with_file_name(format!("{stem}.{suffix}")))
}

/// `sample_id case` rows, 1 = case, in the synthetic matrix's order.
fn phenotype_table(synthetic: &SyntheticCohort) -> String {
    let mut text = String::from("sample_id\tcase\n");
    for (sample, label) in synthetic.matrix.samples().iter().zip(&synthetic.labels) {
        text.push_str(&format!("{sample}\t{label}\n"));
    }
    text
}

/// Header lines that travel with a synthetic VCF.
fn vcf_meta(report: &SynthReport) -> Vec<(String, String)> {
    let mut meta = vec![
        (
            "genopriv_mechanism".to_owned(),
            format!(
                "synthetic: order-{} chain, discrete Gaussian marginals under zCDP",
                report.order
            ),
        ),
        ("genopriv_epsilon".to_owned(), report.epsilon.to_string()),
        ("genopriv_delta".to_owned(), report.delta.to_string()),
        ("genopriv_rho".to_owned(), report.manifest.rho.to_string()),
    ];
    if let Some(seed) = report.seed {
        meta.push(("genopriv_seed".to_owned(), seed.to_string()));
        meta.push((
            "genopriv_not_for_release".to_owned(),
            "seeded study output: the noise can be regenerated from the seed".to_owned(),
        ));
    }
    meta
}

/// What the terminal shows after a synthesis.
fn summary(r: &SynthReport) -> String {
    let mut s = format!(
        "{} synthetic individuals x {} SNPs from {} training people ({} held out), \
         epsilon {} (delta {})\n",
        r.n_synthetic,
        r.n_variants,
        r.n_training,
        r.n_holdout,
        number(r.epsilon),
        r.delta
    );
    s.push_str(&format!(
        "allele frequency error: mean {}, max {}; LD mean |r2 difference| {}\n",
        number(r.allele_frequency.mean_absolute_error),
        number(r.allele_frequency.max_absolute_error),
        r.ld.mean_abs_r_squared_difference
            .map_or_else(|| "undefined".to_owned(), number)
    ));
    if let Some(t) = &r.train_synthetic_test_real {
        s.push_str(&format!(
            "train on synthetic, test on real: accuracy {} (trained on real: {})\n",
            number(t.synthetic_trained_accuracy),
            number(t.real_trained_accuracy)
        ));
    }
    for a in &r.membership {
        s.push_str(&format!(
            "membership test, {}: AUC {} (95% CI {} to {}), TPR at 1% FPR {} (DP ceiling {})\n",
            a.name,
            auc(a.auc),
            auc(a.auc_interval.lower),
            auc(a.auc_interval.upper),
            number(a.tpr_at_1pct_fpr),
            a.operating_points
                .iter()
                .find(|p| p.max_fpr == 0.01)
                .map_or_else(|| "undefined".to_owned(), |p| number(p.dp_ceiling))
        ));
    }
    for line in r.explanation.iter().chain(&r.notices) {
        s.push_str(line);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_files_drop_the_genotype_extension() -> Result<(), Error> {
        assert_eq!(
            beside(Path::new("/x/out.vcf.gz"), "manifest.json")?,
            PathBuf::from("/x/out.manifest.json")
        );
        assert_eq!(
            beside(Path::new("syn.bed"), "pheno.tsv")?,
            PathBuf::from("syn.pheno.tsv")
        );
        Ok(())
    }
}
