//! `genopriv audit sweep`: the model audit over a grid of DP-SGD noise multipliers
//! (or target epsilons) plus the model trained without DP, written as the
//! accuracy-vs-epsilon and attack-vs-epsilon curves with their turning points.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use genopriv_core::data::read::matrix_csv::{MatrixCoding, read_with};
use genopriv_core::data::read::pheno::{ColumnValues, join, read_phenotypes};
use genopriv_core::data::write::AtomicFile;
use genopriv_core::explain::format::{auc, number};
use genopriv_core::study::audit_sweep::{
    AuditSweepResult, AuditSweepRow, AuditSweepSettings, DpSchedule, NoiseGrid,
    prepare_balanced_audit, prepare_trait,
};
use genopriv_core::study::{ModelAudit, ModelAuditSettings, ReferenceMode, TargetModel, os_seed};
use genopriv_core::{Error, Job};

use super::audit::{ModelArg, ReferenceModeArg, parse_attacks};
use super::{ReadArgs, format_number, input_files, load};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodingArg {
    /// Any supported genotype file; a matrix holds 0/1/2 alt-allele counts
    Counts,
    /// A CSV/TSV matrix of haploid calls coded +1/-1 (the DP-MIA yeast data),
    /// read as 2/0 copies of the +1 allele
    PlusMinusHaploid,
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The cohort's genotypes: .vcf, .vcf.gz, .bcf, PLINK .bed (or prefix), .csv/.tsv
    #[arg(long)]
    pub input: PathBuf,
    #[arg(long, value_enum, default_value_t = CodingArg::Counts)]
    pub coding: CodingArg,
    /// Phenotype table (sample IDs in the first column)
    #[arg(long, value_name = "FILE")]
    pub pheno: PathBuf,
    /// A continuous trait: above 0 is a case, below 0 a control, missing values are
    /// dropped, and the larger class is subsampled without replacement to the
    /// size of the smaller (the DP-MIA set-up done right)
    #[arg(long, value_name = "NAME", conflicts_with = "case_column")]
    pub r#trait: Option<String>,
    /// Without --trait: the column holding case/control status (0/1, or PLINK 1/2)
    #[arg(long, value_name = "NAME", default_value = "case")]
    pub case_column: String,
    /// The model of the non-private point (every DP point trains an unpenalised
    /// logistic model by DP-SGD)
    #[arg(long, value_enum, default_value_t = ModelArg::Lasso)]
    pub model: ModelArg,
    /// Penalty strength of the non-private model (lasso: the L1 lambda)
    #[arg(
        long,
        visible_alias = "l1",
        value_name = "LAMBDA",
        default_value_t = 0.001352
    )]
    pub penalty: f64,
    /// Noise multipliers of the DP points, comma-separated
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        required_unless_present = "epsilons",
        conflicts_with = "epsilons"
    )]
    pub noise_multipliers: Vec<f64>,
    /// Target epsilons of the DP points, comma-separated (each converted to the
    /// noise multiplier that reaches it with the RDP accountant)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub epsilons: Vec<f64>,
    #[arg(long, value_name = "E", default_value_t = 50)]
    pub epochs: usize,
    /// Expected Poisson batch size
    #[arg(long, value_name = "B", default_value_t = 16)]
    pub batch: usize,
    /// Per-example gradient clipping norm
    #[arg(long, value_name = "C", default_value_t = 1.0)]
    pub clip: f64,
    #[arg(long, value_name = "RATE", default_value_t = 0.01)]
    pub learning_rate: f64,
    /// The delta of the DP account and of the empirical epsilon lower bounds
    #[arg(long, value_name = "D", default_value_t = 1e-5)]
    pub delta: f64,
    /// Membership attacks to run, comma-separated: loss, lira, rmia, gradnorm
    #[arg(long, value_name = "LIST", default_value = "loss,lira,rmia")]
    pub attacks: String,
    /// Reference models (LiRA, RMIA and the threshold calibration)
    #[arg(long, value_name = "K", default_value_t = 4)]
    pub reference_models: usize,
    #[arg(long, value_enum, default_value_t = ReferenceModeArg::Offline)]
    pub reference_mode: ReferenceModeArg,
    /// Bootstrap resamples of the AUC intervals
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub bootstrap: usize,
    /// Seed of the balancing, the split, the models and the bootstrap; drawn from
    /// the operating system and recorded when not given
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// The curves (CSV): one line per point and attack
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
    /// Also write the whole result (settings, rows, turning points) as JSON
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// The CSV columns; one line per point and membership attack.
pub const HEADER: &str = "noise_multiplier,target_epsilon,epsilon,accountant,sampling_rate,\
steps,delta,train_accuracy,test_accuracy,attack,auc,auc_low,auc_high,tpr_at_1pct_fpr,\
tpr_at_1pct_fpr_low,tpr_at_1pct_fpr_high,attack_accuracy,attack_accuracy_low,\
attack_accuracy_high,balanced_accuracy,advantage,seed";

fn settings(args: &SweepArgs, seed: u64) -> anyhow::Result<AuditSweepSettings> {
    let attacks = parse_attacks(&args.attacks)?;
    let model = match args.model {
        ModelArg::Logistic => TargetModel::Logistic { l2: args.penalty },
        ModelArg::Lasso => TargetModel::Lasso { l1: args.penalty },
        ModelArg::Sgd => TargetModel::Sgd {
            alpha: args.penalty,
        },
        ModelArg::Cnn => anyhow::bail!(
            "the audit sweep runs logistic, lasso and sgd models; audit a CNN one setting at a \
             time with `genopriv audit model --model cnn`"
        ),
    };
    Ok(AuditSweepSettings {
        audit: ModelAuditSettings {
            model,
            dp: None,
            attacks,
            reference_models: args.reference_models,
            reference_mode: match args.reference_mode {
                ReferenceModeArg::Offline => ReferenceMode::Offline,
                ReferenceModeArg::Online => ReferenceMode::Online,
            },
            bootstrap_resamples: args.bootstrap,
            seed,
            delta: args.delta,
        },
        schedule: DpSchedule {
            clip_norm: args.clip,
            epochs: args.epochs,
            batch_size: args.batch,
            learning_rate: args.learning_rate,
            delta: args.delta,
        },
        grid: if args.epsilons.is_empty() {
            NoiseGrid::NoiseMultipliers(args.noise_multipliers.clone())
        } else {
            NoiseGrid::TargetEpsilons(args.epsilons.clone())
        },
    })
}

/// Reads the cohort and its labels and prepares the audit.
fn prepare(args: &SweepArgs, seed: u64, job: Job<'_>) -> anyhow::Result<ModelAudit> {
    let matrix = match args.coding {
        CodingArg::Counts => load(&args.input, &args.read, job)?.matrix,
        CodingArg::PlusMinusHaploid => {
            read_with(&args.input, MatrixCoding::HaploidPlusMinusOne, job)?.0
        }
    };
    let table = read_phenotypes(&args.pheno, None)?;
    let joined = join(&table, matrix.samples());
    let audit = match &args.r#trait {
        Some(name) => {
            let column = table
                .columns
                .iter()
                .find(|c| &c.name == name)
                .ok_or_else(|| {
                    Error::invalid(&args.pheno, format!("has no phenotype column `{name}`"))
                })?;
            let ColumnValues::Numeric(values) = &column.values else {
                return Err(Error::invalid(
                    &args.pheno,
                    format!("column `{name}` is not numeric, so it cannot be binarised at 0"),
                )
                .into());
            };
            let per_sample: Vec<Option<f64>> = joined
                .row_of_sample
                .iter()
                .map(|row| row.and_then(|r| values.get(r).copied().flatten()))
                .collect();
            let balanced = prepare_trait(&per_sample, seed)?;
            eprintln!(
                "{name}: {} above 0, {} below, {} missing or 0; balanced to {} samples \
                 (drawn without replacement)",
                balanced.cases_before,
                balanced.controls_before,
                balanced.dropped_undetermined,
                balanced.rows.len()
            );
            prepare_balanced_audit(&matrix, &balanced, seed, job)?
        }
        None => {
            let status = table.case_control(&joined, &args.case_column)?;
            ModelAudit::prepare(&matrix, &status.status, seed, job)?
        }
    };
    Ok(audit)
}

pub fn run(args: &SweepArgs, job: Job<'_>) -> anyhow::Result<()> {
    let seed = match args.seed {
        Some(seed) => seed,
        None => os_seed()?,
    };
    // Every argument is checked before the long work.
    let settings = settings(args, seed)?;
    let mut inputs = input_files(&args.input);
    inputs.push(args.pheno.clone());
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let mut table = AtomicFile::create(&args.out, &input_refs)?;
    let json_file = args
        .json
        .as_ref()
        .map(|p| AtomicFile::create(p, &input_refs))
        .transpose()?;
    let audit = prepare(args, seed, job)?;
    let result = genopriv_core::study::audit_sweep::run_audit_sweep(
        &audit,
        &settings,
        &|row| eprintln!("{}", row_summary(row)),
        job,
    )?;
    let write_err = |e| Error::io(&args.out, e);
    writeln!(table, "{HEADER}").map_err(write_err)?;
    for row in &result.rows {
        for line in csv_lines(row) {
            writeln!(table, "{line}").map_err(write_err)?;
        }
    }
    table.commit()?;
    if let (Some(mut file), Some(path)) = (json_file, &args.json) {
        let text = serde_json::to_string_pretty(&result)?;
        writeln!(file, "{text}").map_err(|e| Error::io(path, e))?;
        file.commit()?;
    }
    print!("{}", summary(&result));
    Ok(())
}

fn csv_lines(row: &AuditSweepRow) -> Vec<String> {
    row.attacks
        .iter()
        .map(|a| {
            [
                format_number(row.noise_multiplier),
                format_number(row.target_epsilon),
                format_number(row.epsilon),
                row.accountant
                    .as_ref()
                    .map_or_else(|| "none".to_owned(), |l| format!("\"{l}\"")),
                format_number(row.sampling_rate),
                row.steps.map_or_else(|| "NA".to_owned(), |s| s.to_string()),
                format_number(Some(row.delta)),
                format_number(Some(row.train_accuracy)),
                format_number(Some(row.test_accuracy)),
                a.attack.id().to_owned(),
                format_number(Some(a.auc)),
                format_number(Some(a.auc_interval.lower)),
                format_number(Some(a.auc_interval.upper)),
                format_number(Some(a.tpr_at_1pct_fpr)),
                format_number(Some(a.tpr_at_1pct_fpr_interval.lower)),
                format_number(Some(a.tpr_at_1pct_fpr_interval.upper)),
                format_number(Some(a.accuracy)),
                format_number(Some(a.accuracy_interval.lower)),
                format_number(Some(a.accuracy_interval.upper)),
                format_number(Some(a.balanced_accuracy)),
                format_number(Some(a.advantage)),
                row.seed.to_string(),
            ]
            .join(",")
        })
        .collect()
}

/// One line per finished point, on stderr while the sweep runs.
fn row_summary(row: &AuditSweepRow) -> String {
    let privacy = match (row.noise_multiplier, row.epsilon) {
        (Some(sigma), Some(epsilon)) => {
            format!("noise {} (epsilon {})", number(sigma), number(epsilon))
        }
        _ => "without DP".to_owned(),
    };
    let attacks: Vec<String> = row
        .attacks
        .iter()
        .map(|a| format!("{} AUC {}", a.attack.id(), auc(a.auc)))
        .collect();
    format!(
        "{privacy}: accuracy train {} test {}; {}",
        number(row.train_accuracy),
        number(row.test_accuracy),
        attacks.join(", ")
    )
}

fn summary(result: &AuditSweepResult) -> String {
    let mut s = format!(
        "Audit sweep seed {} over {} points ({} members; study output, not for release)\n",
        result.seed,
        result.rows.len(),
        result.n_members
    );
    for row in &result.rows {
        s.push_str(&row_summary(row));
        s.push('\n');
    }
    if let Some(label) = result.rows.iter().find_map(|r| r.accountant.as_ref()) {
        s.push_str(&format!("epsilon: {label}\n"));
    }
    for attack in &result.attack_turning_points {
        match &attack.turning_point {
            Some(t) => s.push_str(&format!(
                "{} AUC turns at epsilon {} (AUC {})\n",
                attack.attack.id(),
                number(t.epsilon),
                number(t.value)
            )),
            None => s.push_str(&format!(
                "{} AUC: no turning point over this grid\n",
                attack.attack.id()
            )),
        }
    }
    s.push_str(&result.sentence);
    s.push('\n');
    s
}
