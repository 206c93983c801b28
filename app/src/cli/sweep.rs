//! `genopriv sweep`: the privacy-utility trade-off of sharing, of DP synthesis, or
//! of both over one epsilon grid: one CSV row per (method, mechanism, epsilon,
//! repeat) with the metrics both releases share in the same columns, so one table
//! draws both on one trade-off chart, and the recommended epsilon.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use genopriv_core::data::write::AtomicFile;
use genopriv_core::explain::format::number;
use genopriv_core::study::synth::{SynthInputs, SynthSettings};
use genopriv_core::study::synth_sweep::{
    SynthSweepResult, SynthSweepRow, SynthSweepSettings, run_synth_sweep,
};
use genopriv_core::study::{Budget, SweepResult, SweepRow, SweepSettings, run_sweep};
use genopriv_core::{Error, Job};
use serde::Serialize;

use super::format_number;
use super::share::{MechanismArg, StudyArgs};
use super::synth::case_status;

/// Which releases a sweep measures.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodArg {
    /// Perturbed sharing (the --mechanisms)
    Share,
    /// DP synthetic genotypes (needs --pheno and --delta)
    Synth,
    /// Both, in one table
    Both,
}

impl MethodArg {
    fn shares(self) -> bool {
        matches!(self, MethodArg::Share | MethodArg::Both)
    }

    fn synthesizes(self) -> bool {
        matches!(self, MethodArg::Synth | MethodArg::Both)
    }
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    pub study: StudyArgs,
    /// Total budgets per individual to try, comma-separated
    #[arg(long, value_name = "E,E,...", value_delimiter = ',', required = true)]
    pub epsilons: Vec<f64>,
    /// Read --epsilons as per-SNP budgets (total = per SNP x SNPs)
    #[arg(long)]
    pub per_snp: bool,
    /// Mechanisms to compare, comma-separated
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "xor,coin-flip"
    )]
    pub mechanisms: Vec<MechanismArg>,
    /// Releases per grid point (different noise each)
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Sweep perturbed sharing, DP synthesis (`genopriv synth` at each epsilon), or both
    #[arg(long, value_enum, default_value_t = MethodArg::Share)]
    pub method: MethodArg,
    /// Delta of the synthetic releases (with --method synth or both)
    #[arg(long, value_name = "D")]
    pub delta: Option<f64>,
    /// Chain order of the synthetic releases: 1 links each SNP to the next, 2 to the next two
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub order: u8,
    /// Seed of the whole sweep (each row records its own derived seed); drawn from
    /// the operating system and recorded when not given
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// The trade-off table (CSV)
    #[arg(long, short)]
    pub out: PathBuf,
    /// Also write the whole result (settings, rows, curves, recommendation) as JSON
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub project: super::project::ProjectArgs,
}

/// The CSV columns. Both methods fill the shared ones (epsilon, allele-frequency
/// error, GWAS retention, the strongest membership test); a column one method
/// does not measure is `NA` on its rows: the genotype error rates, the realised
/// epsilon and the coin-flip control are sharing's; the TPR interval, LD error,
/// principal-component overlap and GWAS chance level (the share of all SNPs
/// significant in the synthetic data, which noise alone would "retain") are
/// synthesis's.
pub const HEADER: &str = "method,mechanism,epsilon_nominal,epsilon_nominal_per_snp,\
epsilon_realised,epsilon_total_spent,repeat,seed,point_error,sample_error,mean_error,\
variance_error,allele_frequency_mae,retention_rate,coin_flip_retention_rate,\
membership_tpr_at_1pct_fpr,membership_auc,membership_tpr_lower,membership_tpr_upper,\
ld_r_squared_mae,pca_overlap,gwas_chance";

pub fn run(args: &SweepArgs, job: Job<'_>) -> anyhow::Result<()> {
    // Refuse incomplete synthesis settings before any long work.
    let synthesis = if args.method.synthesizes() {
        Some(SynthRequest::check(args)?)
    } else {
        None
    };
    let mut inputs = super::input_files(&args.study.input);
    if let Some(panel) = &args.study.reference {
        inputs.extend(super::input_files(panel));
    }
    if let Some(pheno) = &args.study.pheno {
        inputs.push(pheno.clone());
    }
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let mut table = AtomicFile::create(&args.out, &input_refs)?;
    let json_file = args
        .json
        .as_ref()
        .map(|p| AtomicFile::create(p, &input_refs))
        .transpose()?;
    let seed = match args.seed {
        Some(s) => s,
        None => genopriv_core::study::os_seed()?,
    };
    let settings = SweepSettings {
        mechanisms: args.mechanisms.iter().map(|&m| m.into()).collect(),
        budgets: args
            .epsilons
            .iter()
            .map(|&e| {
                if args.per_snp {
                    Budget::PerSnp(e)
                } else {
                    Budget::Total(e)
                }
            })
            .collect(),
        targets: args.study.targets()?,
        repeats: args.repeats,
        seed,
    };
    let project = args.project.open()?;
    let shared = if args.method.shares() {
        let (study, ..) = args.study.prepare(job)?;
        Some(run_sweep(&study, &settings, &|_| {}, job)?)
    } else {
        None
    };
    let synthesized = match &synthesis {
        Some(request) => request.run(args, seed, job)?,
        None => Vec::new(),
    };

    let write_err = |e| Error::io(&args.out, e);
    writeln!(table, "{HEADER}").map_err(write_err)?;
    for row in shared.iter().flat_map(|r| &r.rows) {
        writeln!(table, "{}", csv_line(row)).map_err(write_err)?;
    }
    for (repeat, sweep) in synthesized.iter().enumerate() {
        for row in &sweep.result.rows {
            writeln!(
                table,
                "{}",
                synth_csv_line(row, repeat, sweep.n_variants, args.order)
            )
            .map_err(write_err)?;
        }
    }
    table.commit()?;
    if let (Some(mut file), Some(path)) = (json_file, &args.json) {
        let text = match (&shared, args.method) {
            // The sharing sweep alone keeps the shape it always had.
            (Some(result), MethodArg::Share) => serde_json::to_string_pretty(result)?,
            _ => serde_json::to_string_pretty(&CombinedResult {
                share: shared.as_ref(),
                synthesis: synthesized.iter().map(|s| &s.result).collect(),
            })?,
        };
        writeln!(file, "{text}").map_err(|e| Error::io(path, e))?;
        file.commit()?;
    }
    if let Some(result) = &shared {
        super::project::record_sweep(project, &args.project, &args.study, &settings, result, job)?;
        print!("{}", summary(result));
    }
    if !synthesized.is_empty() {
        print!("{}", synth_summary(seed, &synthesized));
    }
    Ok(())
}

/// The `--json` of a sweep with synthesis: the sharing sweep (if any) and one
/// synthesis sweep per repeat.
#[derive(Serialize)]
struct CombinedResult<'a> {
    share: Option<&'a SweepResult>,
    synthesis: Vec<&'a SynthSweepResult>,
}

/// The synthesis half of a sweep, checked before the long work.
struct SynthRequest {
    pheno: PathBuf,
    delta: f64,
}

/// One synthesis sweep (one repeat) and the SNP count its per-SNP epsilons use.
struct SynthRepeat {
    result: SynthSweepResult,
    n_variants: usize,
}

impl SynthRequest {
    fn check(args: &SweepArgs) -> anyhow::Result<Self> {
        let Some(pheno) = args.study.pheno.clone() else {
            anyhow::bail!(
                "--method synth and --method both need --pheno FILE: synthesis models every \
                 sample's case/control status"
            );
        };
        let Some(delta) = args.delta else {
            anyhow::bail!(
                "--method synth and --method both need --delta D: the delta of each synthetic \
                 release (e.g. 1e-6)"
            );
        };
        if args.repeats == 0 {
            anyhow::bail!("--repeats must be at least 1");
        }
        if args.project.project.is_some() {
            anyhow::bail!(
                "--project records sharing sweeps only: run a sweep with --method synth or both \
                 without --project"
            );
        }
        Ok(Self { pheno, delta })
    }

    /// `run_synth_sweep` once per repeat, each with its own seed; every row is
    /// the `genopriv synth` run with the seed and epsilon it records.
    fn run(&self, args: &SweepArgs, seed: u64, job: Job<'_>) -> anyhow::Result<Vec<SynthRepeat>> {
        let cohort = super::load(&args.study.input, &args.study.read, job)?;
        let is_case = case_status(
            &args.study.input,
            cohort.matrix.samples(),
            &self.pheno,
            &args.study.case_column,
        )?;
        let n_variants = cohort.matrix.n_variants();
        let inputs = SynthInputs {
            real: cohort.matrix,
            is_case,
        };
        let epsilons: Vec<f64> = args
            .epsilons
            .iter()
            .map(|&e| {
                if args.per_snp {
                    e * n_variants as f64
                } else {
                    e
                }
            })
            .collect();
        (0..args.repeats)
            .map(|repeat| -> anyhow::Result<SynthRepeat> {
                let mut base = SynthSettings::new(
                    epsilons.first().copied().unwrap_or(1.0),
                    self.delta,
                    Some(repeat_seed(seed, repeat)),
                );
                base.order = usize::from(args.order);
                let settings = SynthSweepSettings {
                    base,
                    epsilons: epsilons.clone(),
                };
                let result = run_synth_sweep(&inputs, &settings, &|_| {}, job)
                    .with_context(|| format!("synthesizing from {}", args.study.input.display()))?;
                Ok(SynthRepeat { result, n_variants })
            })
            .collect()
    }
}

/// The base seed of synthesis repeat `repeat`: the sweep's own seed first, then
/// independent streams.
fn repeat_seed(seed: u64, repeat: usize) -> u64 {
    seed ^ (repeat as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)
}

fn csv_line(row: &SweepRow) -> String {
    [
        "share".to_owned(),
        row.mechanism.id().to_owned(),
        format_number(Some(row.epsilon_nominal)),
        format_number(Some(row.epsilon_nominal_per_snp)),
        format_number(row.epsilon_realised),
        format_number(row.epsilon_total_spent),
        row.repeat.to_string(),
        row.seed.to_string(),
        format_number(Some(row.point_error)),
        format_number(Some(row.sample_error)),
        format_number(Some(row.mean_error)),
        format_number(Some(row.variance_error)),
        format_number(Some(row.allele_frequency_mae)),
        format_number(row.retention_rate),
        format_number(row.coin_flip_retention_rate),
        format_number(row.membership_tpr_at_1pct_fpr),
        format_number(row.membership_auc),
        format_number(None),
        format_number(None),
        format_number(None),
        format_number(None),
        format_number(None),
    ]
    .join(",")
}

/// A synthesis row in the same columns: its per-SNP epsilon is the total over the
/// SNPs, the sharing-only columns are `NA`.
fn synth_csv_line(row: &SynthSweepRow, repeat: usize, n_variants: usize, order: u8) -> String {
    [
        "synth".to_owned(),
        format!("chain_order_{order}"),
        format_number(Some(row.epsilon)),
        format_number(Some(row.epsilon / n_variants.max(1) as f64)),
        format_number(None),
        format_number(None),
        repeat.to_string(),
        row.seed.to_string(),
        format_number(None),
        format_number(None),
        format_number(None),
        format_number(None),
        format_number(Some(row.allele_frequency_mae)),
        format_number(row.gwas_retention),
        format_number(None),
        format_number(row.membership_tpr_at_1pct_fpr),
        format_number(row.membership_auc),
        format_number(row.membership_tpr_interval.map(|i| i.lower)),
        format_number(row.membership_tpr_interval.map(|i| i.upper)),
        format_number(row.ld_r_squared_mae),
        format_number(row.pca_overlap),
        format_number(row.gwas_chance),
    ]
    .join(",")
}

/// The synthesis rows (mean over repeats per epsilon) and the recommendation of
/// each repeat's retention curve.
fn synth_summary(seed: u64, repeats: &[SynthRepeat]) -> String {
    let mut s = format!(
        "Synthesis sweep seed {seed} (study output, not for release); each row's own seed \
         reruns it with genopriv synth --seed\n"
    );
    let Some(first) = repeats.first() else {
        return s;
    };
    s.push_str(&format!(
        "DP synthesis, order-{} chain (mean of repeats):\n",
        first.result.settings.base.order
    ));
    for (k, row) in first.result.rows.iter().enumerate() {
        let rows: Vec<&SynthSweepRow> = repeats
            .iter()
            .filter_map(|r| r.result.rows.get(k))
            .collect();
        let mean = |f: &dyn Fn(&SynthSweepRow) -> Option<f64>| -> String {
            let values: Vec<f64> = rows.iter().filter_map(|r| f(r)).collect();
            if values.is_empty() {
                "undefined".to_owned()
            } else {
                number(values.iter().sum::<f64>() / values.len() as f64)
            }
        };
        s.push_str(&format!(
            "  epsilon {:>10}  GWAS retention {} (by chance {})  allele-frequency error {}  \
             strongest membership TPR at 1% FPR {}  PCA overlap {}\n",
            number(row.epsilon),
            mean(&|r| r.gwas_retention),
            mean(&|r| r.gwas_chance),
            mean(&|r| Some(r.allele_frequency_mae)),
            mean(&|r| r.membership_tpr_at_1pct_fpr),
            mean(&|r| r.pca_overlap),
        ));
    }
    for (repeat, r) in repeats.iter().enumerate() {
        match &r.result.recommendation {
            Some(rec) => s.push_str(&format!(
                "Synthesis repeat {repeat}: recommended epsilon {}, the knee of the GWAS \
                 retention curve ({} there).\n",
                number(rec.epsilon),
                number(rec.gwas_retention)
            )),
            None => s.push_str(&format!(
                "Synthesis repeat {repeat}: no recommended epsilon: the retention curve does \
                 not bend over this grid.\n"
            )),
        }
    }
    s
}

/// The curves as a small table, and the recommendation in one sentence.
fn summary(result: &SweepResult) -> String {
    let mut s = format!(
        "Sweep seed {} (study output, not for release)\n",
        result.settings.seed
    );
    for curve in &result.curves {
        s.push_str(&format!(
            "{} - {} (mean of repeats):\n",
            curve.mechanism.label(),
            curve.metric.label()
        ));
        for p in &curve.points {
            s.push_str(&format!(
                "  epsilon {:>10}  {}  (range {} to {})\n",
                number(p.epsilon_total),
                number(p.mean),
                number(p.min),
                number(p.max)
            ));
        }
    }
    match &result.recommendation {
        Some(r) => {
            s.push_str(&format!(
                "Recommended epsilon: {} in total ({} per SNP), the knee of the {} curve of \
                 the {}: {} there",
                number(r.epsilon_total),
                number(r.epsilon_per_snp),
                r.metric.label(),
                r.mechanism.label(),
                number(r.utility)
            ));
            if let Some(coin) = r.coin_flip_utility {
                s.push_str(&format!(
                    ", against {} for the coin-flip control",
                    number(coin)
                ));
            }
            s.push_str(".\n");
        }
        None => s.push_str(
            "No recommended epsilon: the utility curve does not bend over this grid \
             (try a wider or denser grid).\n",
        ),
    }
    s
}
