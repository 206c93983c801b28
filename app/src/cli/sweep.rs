//! `genopriv sweep`: the privacy-utility trade-off of sharing over an epsilon grid,
//! one CSV row per (mechanism, epsilon, repeat), and the recommended epsilon.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use genopriv_core::data::write::AtomicFile;
use genopriv_core::explain::format::number;
use genopriv_core::study::{Budget, SweepResult, SweepRow, SweepSettings, run_sweep};
use genopriv_core::{Error, Job};

use super::format_number;
use super::share::{MechanismArg, StudyArgs};

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

/// The CSV columns, one per field of a row.
pub const HEADER: &str = "mechanism,epsilon_nominal,epsilon_nominal_per_snp,epsilon_realised,\
epsilon_total_spent,repeat,seed,point_error,sample_error,mean_error,variance_error,\
allele_frequency_mae,retention_rate,coin_flip_retention_rate,membership_tpr_at_1pct_fpr,\
membership_auc";

pub fn run(args: &SweepArgs, job: Job<'_>) -> anyhow::Result<()> {
    let mut inputs = super::input_files(&args.study.input);
    if let Some(panel) = &args.study.reference {
        inputs.extend(super::input_files(panel));
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
    let (study, ..) = args.study.prepare(job)?;
    let result = run_sweep(&study, &settings, &|_| {}, job)?;
    let write_err = |e| Error::io(&args.out, e);
    writeln!(table, "{HEADER}").map_err(write_err)?;
    for row in &result.rows {
        writeln!(table, "{}", csv_line(row)).map_err(write_err)?;
    }
    table.commit()?;
    if let (Some(mut file), Some(path)) = (json_file, &args.json) {
        let text = serde_json::to_string_pretty(&result)?;
        writeln!(file, "{text}").map_err(|e| Error::io(path, e))?;
        file.commit()?;
    }
    super::project::record_sweep(project, &args.project, &args.study, &settings, &result, job)?;
    print!("{}", summary(&result));
    Ok(())
}

fn csv_line(row: &SweepRow) -> String {
    [
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
    ]
    .join(",")
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
