//! `genopriv share`: one perturbed copy of a cohort and its JSON report.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use genopriv_core::data::read::allele_freq::read_allele_freqs;
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::write::{AtomicFile, write_genotypes_with_meta};
use genopriv_core::explain::format::number;
use genopriv_core::sharing::NoiseKey;
use genopriv_core::stats::gwas::RetentionSettings;
use genopriv_core::study::{
    Budget, GwasTest, Mechanism, ShareInputs, ShareOutcome, ShareReport, ShareSettings, ShareStudy,
    TargetChoice,
};
use genopriv_core::{Error, Job};

use super::{ReadArgs, input_files, load, sha256_file};

/// The mechanism names of the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MechanismArg {
    /// PROVGEN's XOR mechanism with frequency restoration (needs --reference)
    Xor,
    /// Per-SNP randomized response over {0, 1, 2}
    Rr,
    /// Epsilon 0: coin-flip noise, then restoration (the control)
    CoinFlip,
}

impl From<MechanismArg> for Mechanism {
    fn from(m: MechanismArg) -> Self {
        match m {
            MechanismArg::Xor => Mechanism::Xor,
            MechanismArg::Rr => Mechanism::RandomizedResponse,
            MechanismArg::CoinFlip => Mechanism::CoinFlip,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MafSourceArg {
    /// The public reference's frequencies (--reference-af, else the panel): no privacy cost
    Reference,
    /// The cohort's frequencies with DP noise; --maf-epsilon is added to the budget
    Dp,
    /// The cohort's exact frequencies: an extra disclosure epsilon does not cover
    Raw,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GwasTestArg {
    Allelic,
    Genotypic,
    Trend,
    Dominant,
}

impl From<GwasTestArg> for GwasTest {
    fn from(t: GwasTestArg) -> Self {
        match t {
            GwasTestArg::Allelic => GwasTest::Allelic,
            GwasTestArg::Genotypic => GwasTest::Genotypic,
            GwasTestArg::Trend => GwasTest::Trend,
            GwasTestArg::Dominant => GwasTest::Dominant,
        }
    }
}

/// The cohort, public data and GWAS design a sharing study starts from.
#[derive(Args, Debug, Clone)]
pub struct StudyArgs {
    /// The cohort's genotypes: .vcf, .vcf.gz, .bcf, PLINK .bed (or prefix), .csv/.tsv
    pub input: PathBuf,
    /// A public reference panel's genotypes (any supported format): calibrates the XOR
    /// noise, gives target frequencies and, without --pheno, the GWAS controls
    #[arg(long, value_name = "PANEL")]
    pub reference: Option<PathBuf>,
    /// Public allele frequencies (`chrom pos ref alt alt_freq` table) as restoration targets
    #[arg(long, value_name = "FILE")]
    pub reference_af: Option<PathBuf>,
    /// Where the restoration target frequencies come from
    #[arg(long, value_enum, default_value_t = MafSourceArg::Reference)]
    pub maf_source: MafSourceArg,
    /// Budget of the DP frequencies (with --maf-source dp), added to the release's
    #[arg(long, value_name = "E", required_if_eq("maf_source", "dp"))]
    pub maf_epsilon: Option<f64>,
    /// Phenotype table for a case/control GWAS (sample IDs in the first column)
    #[arg(long, value_name = "FILE")]
    pub pheno: Option<PathBuf>,
    /// The phenotype column holding case/control status (0/1, or PLINK 1/2)
    #[arg(long, value_name = "NAME", default_value = "case", requires = "pheno")]
    pub case_column: String,
    /// The association test SNP retention is measured with
    #[arg(long, value_enum, default_value_t = GwasTestArg::Allelic)]
    pub gwas_test: GwasTestArg,
    /// Significance level of the original GWAS
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Tolerance: the shared GWAS is read at alpha / tau
    #[arg(long, default_value_t = 0.8)]
    pub tau: f64,
    #[command(flatten)]
    pub read: ReadArgs,
}

impl StudyArgs {
    pub fn targets(&self) -> anyhow::Result<TargetChoice> {
        Ok(match self.maf_source {
            MafSourceArg::Reference => TargetChoice::Reference,
            MafSourceArg::Raw => TargetChoice::Raw,
            MafSourceArg::Dp => TargetChoice::DifferentiallyPrivate {
                epsilon: self
                    .maf_epsilon
                    .context("--maf-source dp needs --maf-epsilon")?,
            },
        })
    }

    /// Reads every input and prepares the study; returns it with the SHA-256 of the
    /// cohort file and of the panel.
    pub fn prepare(&self, job: Job<'_>) -> anyhow::Result<(ShareStudy, String, Option<String>)> {
        let cohort = load(&self.input, &self.read, job)?;
        let input_sha256 = sha256_file(&first_file(&self.input), job)?;
        let mut inputs = ShareInputs::new(cohort.matrix);
        inputs.gwas_test = self.gwas_test.into();
        inputs.retention = RetentionSettings {
            alpha: self.alpha,
            tau: self.tau,
        };
        let mut reference_sha256 = None;
        if let Some(panel) = &self.reference {
            inputs.panel = Some(load(panel, &self.read, job)?.matrix);
            reference_sha256 = Some(sha256_file(&first_file(panel), job)?);
        }
        if let Some(path) = &self.reference_af {
            let table = read_allele_freqs(path)?;
            let (freqs, report) = table.match_variants(inputs.private.variants());
            if report.ambiguous_swapped > 0 {
                eprintln!(
                    "genopriv: note: {} A/T or C/G SNPs in {} have exchanged alleles and were \
                     taken as swapped (e.g. {})",
                    report.ambiguous_swapped,
                    path.display(),
                    report.ambiguous_examples.join(", ")
                );
            }
            inputs.reference_af = Some(freqs);
        }
        if let Some(path) = &self.pheno {
            let table = read_phenotypes(path, None)?;
            let joined = join(&table, inputs.private.samples());
            let status = table.case_control(&joined, &self.case_column)?;
            inputs.case_status = Some(status.status);
        }
        let study = ShareStudy::prepare(inputs, job)
            .with_context(|| format!("preparing the sharing study of {}", self.input.display()))?;
        Ok((study, input_sha256, reference_sha256))
    }
}

/// The file whose bytes identify an input (the `.bed` of a PLINK set).
fn first_file(path: &Path) -> PathBuf {
    input_files(path)
        .into_iter()
        .next()
        .unwrap_or_else(|| path.to_path_buf())
}

#[derive(Args, Debug)]
pub struct ShareArgs {
    #[command(flatten)]
    pub study: StudyArgs,
    /// Total privacy budget per individual over all SNPs (what the XOR mechanism takes)
    #[arg(long, value_name = "E", required_unless_present_any = ["epsilon_per_snp"],
          conflicts_with = "epsilon_per_snp")]
    pub epsilon: Option<f64>,
    /// Budget per SNP instead (PROVGEN's "effective" epsilon; total = per SNP x SNPs)
    #[arg(long, value_name = "E")]
    pub epsilon_per_snp: Option<f64>,
    #[arg(long, value_enum, default_value_t = MechanismArg::Xor)]
    pub mechanism: MechanismArg,
    /// Study seed: reproducible noise, and the output is marked not for release.
    /// Without it the noise comes from the operating system's secure random source
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// The shared dataset (.vcf.gz, .vcf, .bed, .csv, .tsv)
    #[arg(long, short)]
    pub out: PathBuf,
    /// The JSON report written beside it
    #[arg(long, value_name = "REPORT.json")]
    pub report: PathBuf,
    #[command(flatten)]
    pub project: super::project::ProjectArgs,
}

pub fn run(args: &ShareArgs, job: Job<'_>) -> anyhow::Result<()> {
    let budget = match (args.epsilon, args.epsilon_per_snp) {
        (Some(e), _) => Budget::Total(e),
        (None, Some(e)) => Budget::PerSnp(e),
        (None, None) => anyhow::bail!("give --epsilon or --epsilon-per-snp"),
    };
    let mut inputs = input_files(&args.study.input);
    if let Some(panel) = &args.study.reference {
        inputs.extend(input_files(panel));
    }
    inputs.extend(args.study.reference_af.iter().cloned());
    inputs.extend(args.study.pheno.iter().cloned());
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    // Fail before the long work if the report would replace an input.
    let report_file = AtomicFile::create(&args.report, &input_refs)?;
    let settings = ShareSettings {
        mechanism: args.mechanism.into(),
        budget,
        targets: args.study.targets()?,
    };
    if args.project.project.is_some() && args.seed.is_none() {
        anyhow::bail!("--project needs --seed: a project reruns its studies from their seeds");
    }
    let project = args.project.open()?;
    let (study, input_sha256, reference_sha256) = args.study.prepare(job)?;
    let key = match args.seed {
        Some(seed) => NoiseKey::from_seed(seed),
        None => NoiseKey::from_os()?,
    };
    let mut outcome = study.run(&settings, &key, job)?;
    outcome.report.input_sha256 = Some(input_sha256);
    outcome.report.reference_sha256 = reference_sha256;
    write_genotypes_with_meta(
        &outcome.released,
        &args.out,
        &input_refs,
        &vcf_meta(&outcome.report),
        job,
    )?;
    write_report(report_file, &args.report, &outcome.report)?;
    super::project::record_share(
        project,
        &args.project,
        &args.study,
        settings,
        args.seed,
        &outcome.report,
        job,
    )?;
    // Warnings go to stderr too, where they cannot be missed in a pipeline.
    for warning in outcome
        .report
        .notices
        .iter()
        .filter(|n| n.starts_with("Warning:"))
    {
        eprintln!("genopriv: {warning}");
    }
    print!("{}", summary(&outcome));
    Ok(())
}

/// Header lines that travel with a shared VCF.
pub(crate) fn vcf_meta(report: &ShareReport) -> Vec<(String, String)> {
    let mut meta = vec![
        (
            "genopriv_mechanism".to_owned(),
            report.mechanism.id().to_owned(),
        ),
        (
            "genopriv_epsilon_nominal".to_owned(),
            report.epsilon_nominal.to_string(),
        ),
        (
            "genopriv_epsilon_realised".to_owned(),
            report
                .epsilon_realised
                .map_or_else(|| "unbounded".to_owned(), |e| e.to_string()),
        ),
        (
            "genopriv_target_frequencies".to_owned(),
            report
                .target_source
                .clone()
                .unwrap_or_else(|| "none".to_owned()),
        ),
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

fn write_report(mut file: AtomicFile, path: &Path, report: &ShareReport) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    writeln!(file, "{text}").map_err(|e| Error::io(path, e))?;
    file.commit()?;
    Ok(())
}

/// What the terminal shows after a share: the figures a steward checks first.
fn summary(outcome: &ShareOutcome) -> String {
    let r = &outcome.report;
    let mut s = format!(
        "{} on {} samples x {} SNPs\n",
        r.mechanism.label(),
        r.n_samples,
        r.n_variants
    );
    s.push_str(&format!(
        "epsilon: nominal {} in total ({} per SNP); realised {}\n",
        number(r.epsilon_nominal),
        number(r.epsilon_nominal_per_snp),
        r.epsilon_realised
            .map_or_else(|| "unbounded".to_owned(), number)
    ));
    s.push_str(&format!(
        "utility: point error {}, sample error {}, mean error {}, variance error {}\n",
        number(r.point_error),
        number(r.sample_error),
        number(r.mean_error),
        number(r.variance_error)
    ));
    if let (Some(ret), Some(coin)) = (r.retention_rate, r.coin_flip_retention_rate) {
        s.push_str(&format!(
            "GWAS SNP retention: {} (coin-flip control: {})\n",
            number(ret),
            number(coin)
        ));
    }
    for m in &r.membership {
        s.push_str(&format!(
            "membership test, {}: AUC {} (95% CI {} to {}), TPR at 1% FPR {} \
             ({} members against {} held out)\n",
            m.test,
            number(m.auc),
            number(m.auc_interval.lower),
            number(m.auc_interval.upper),
            number(m.tpr_at_1pct_fpr),
            m.n_members,
            m.n_non_members
        ));
    }
    for notice in &r.notices {
        s.push_str(notice);
        s.push('\n');
    }
    s
}
