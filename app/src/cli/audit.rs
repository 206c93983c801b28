//! `genopriv audit model`: train the model a researcher wants to release on part of
//! a cohort and measure membership and label-inference attacks on it, writing
//! `attack_logs.csv`, `summary.json` and `roc.csv`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::write::AtomicFile;
use genopriv_core::explain::format::{auc, number};
use genopriv_core::models::CnnArchitecture;
use genopriv_core::study::audit_table::{attack_table, write_csv};
use genopriv_core::study::{
    AttackKind, DpTraining, MembershipAttackResult, ModelAudit, ModelAuditReport,
    ModelAuditSettings, ReferenceMode, TargetModel, os_seed,
};
use genopriv_core::{Error, Job};

use super::{ReadArgs, format_number, input_files, load};

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Train a phenotype model on part of a cohort and measure how much it leaks
    /// about who was in its training set and about their status
    Model(ModelArgs),
    /// The audit over DP-SGD noise levels: accuracy and attacks against epsilon,
    /// with the turning point
    Sweep(super::audit_sweep::SweepArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelArg {
    /// Logistic regression with an L2 penalty (--penalty, default 0.01)
    Logistic,
    /// Lasso: logistic regression with an L1 penalty (--penalty, default 0.01)
    Lasso,
    /// scikit-learn's SGDClassifier(loss="log_loss") (--penalty is alpha, default 0.0001)
    Sgd,
    /// The DP-MIA study's 1-D CNN (--kernels, --kernel-size, --dropout, --l1;
    /// non-private training by Adam with --cnn-epochs, --cnn-batch, --cnn-learning-rate)
    Cnn,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceModeArg {
    /// Reference models train on the population only: no threshold or model ever
    /// sees an evaluated record
    Offline,
    /// Reference models also train on evaluated records (never told who is a
    /// member): stronger LiRA and RMIA
    Online,
}

/// The attack names `--attacks` accepts, in the order they are listed.
const ATTACK_NAMES: &str = "loss, lira, rmia, gradnorm, label, shadow";

#[derive(Args, Debug)]
pub struct ModelArgs {
    /// The cohort's genotypes: .vcf, .vcf.gz, .bcf, PLINK .bed (or prefix), .csv/.tsv
    #[arg(long)]
    pub input: PathBuf,
    /// Phenotype table (sample IDs in the first column) with the case/control column
    #[arg(long, value_name = "FILE")]
    pub pheno: PathBuf,
    /// The phenotype column holding case/control status (0/1, or PLINK 1/2)
    #[arg(long, value_name = "NAME", default_value = "case")]
    pub case_column: String,
    #[arg(long, value_enum, default_value_t = ModelArg::Logistic)]
    pub model: ModelArg,
    /// Penalty strength of the model (see --model for the defaults)
    #[arg(long, value_name = "LAMBDA", conflicts_with = "dp")]
    pub penalty: Option<f64>,
    /// Train every model with DP-SGD (the CNN, or else an unpenalised logistic model)
    /// and report epsilon
    #[arg(long)]
    pub dp: bool,
    #[arg(long, value_name = "S", default_value_t = 1.0, requires = "dp")]
    pub noise_multiplier: f64,
    /// Per-example gradient clipping norm
    #[arg(long, value_name = "C", default_value_t = 1.0, requires = "dp")]
    pub clip: f64,
    #[arg(long, value_name = "E", default_value_t = 10, requires = "dp")]
    pub epochs: usize,
    /// Expected Poisson batch size
    #[arg(long, value_name = "B", default_value_t = 32, requires = "dp")]
    pub batch: usize,
    #[arg(long, value_name = "RATE", default_value_t = 0.1, requires = "dp")]
    pub learning_rate: f64,
    /// The delta of the DP account and of the empirical epsilon lower bounds
    #[arg(long, value_name = "D", default_value_t = 1e-5)]
    pub delta: f64,
    /// Attacks to run, comma-separated: loss, lira, rmia, gradnorm, label, shadow
    #[arg(
        long,
        value_name = "LIST",
        default_value = "loss,lira,rmia,gradnorm,label"
    )]
    pub attacks: String,
    /// CNN: number of convolution kernels [default: 8]
    #[arg(long, value_name = "K")]
    pub kernels: Option<usize>,
    /// CNN: kernel width [default: 5]
    #[arg(long, value_name = "S")]
    pub kernel_size: Option<usize>,
    /// CNN: dropout rate after pooling, training only [default: 0.25]
    #[arg(long, value_name = "RATE")]
    pub dropout: Option<f64>,
    /// CNN: L1 penalty on the kernel weights [default: 0.001352, the DP-MIA study's]
    #[arg(long, value_name = "LAMBDA")]
    pub l1: Option<f64>,
    /// CNN without DP: Adam epochs [default: 20]
    #[arg(long, value_name = "E", conflicts_with = "dp")]
    pub cnn_epochs: Option<usize>,
    /// CNN without DP: Adam mini-batch size [default: 32]
    #[arg(long, value_name = "B", conflicts_with = "dp")]
    pub cnn_batch: Option<usize>,
    /// CNN without DP: Adam step size [default: 0.001]
    #[arg(long, value_name = "RATE", conflicts_with = "dp")]
    pub cnn_learning_rate: Option<f64>,
    /// Reference models (LiRA, RMIA, the shadow model and the threshold calibration)
    #[arg(long, value_name = "K", default_value_t = 8)]
    pub reference_models: usize,
    #[arg(long, value_enum, default_value_t = ReferenceModeArg::Offline)]
    pub reference_mode: ReferenceModeArg,
    /// Bootstrap resamples of the AUC intervals
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub bootstrap: usize,
    /// Seed of the split, the models and the bootstrap; drawn from the operating
    /// system and recorded when not given
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Folder for attack_logs.csv, summary.json and roc.csv (created if needed)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub project: super::project::ProjectArgs,
    #[command(flatten)]
    pub federation: super::audit_federated::FederatedArgs,
}

pub fn run(command: &AuditCommand, job: Job<'_>) -> anyhow::Result<()> {
    match command {
        AuditCommand::Model(args) => run_model(args, job),
        AuditCommand::Sweep(args) => super::audit_sweep::run(args, job),
    }
}

/// Parses `--attacks`: names from [`ATTACK_NAMES`], comma-separated, no repeats.
pub(super) fn parse_attacks(list: &str) -> anyhow::Result<Vec<AttackKind>> {
    let mut attacks = Vec::new();
    for name in list.split(',').map(str::trim) {
        let attack = AttackKind::from_id(name).with_context(|| {
            format!("--attacks: `{name}` is not an attack; choose from {ATTACK_NAMES}")
        })?;
        if attacks.contains(&attack) {
            anyhow::bail!("--attacks names `{name}` twice");
        }
        attacks.push(attack);
    }
    Ok(attacks)
}

/// The CNN's architecture and training from its options, refusing them for other
/// models (they would be silently ignored).
fn cnn_model(args: &ModelArgs) -> anyhow::Result<Option<TargetModel>> {
    let given = [
        ("--kernels", args.kernels.is_some()),
        ("--kernel-size", args.kernel_size.is_some()),
        ("--dropout", args.dropout.is_some()),
        ("--l1", args.l1.is_some()),
        ("--cnn-epochs", args.cnn_epochs.is_some()),
        ("--cnn-batch", args.cnn_batch.is_some()),
        ("--cnn-learning-rate", args.cnn_learning_rate.is_some()),
    ];
    if args.model != ModelArg::Cnn {
        if let Some((name, _)) = given.iter().find(|(_, present)| *present) {
            anyhow::bail!("{name} applies only to --model cnn");
        }
        return Ok(None);
    }
    if args.penalty.is_some() {
        anyhow::bail!("--model cnn takes its penalty from --l1, not --penalty");
    }
    let mut model = TargetModel::default_cnn(args.l1.unwrap_or(CnnArchitecture::default().l1));
    if let TargetModel::Cnn {
        kernels,
        kernel_size,
        dropout,
        epochs,
        batch_size,
        learning_rate,
        ..
    } = &mut model
    {
        *kernels = args.kernels.unwrap_or(*kernels);
        *kernel_size = args.kernel_size.unwrap_or(*kernel_size);
        *dropout = args.dropout.unwrap_or(*dropout);
        *epochs = args.cnn_epochs.unwrap_or(*epochs);
        *batch_size = args.cnn_batch.unwrap_or(*batch_size);
        *learning_rate = args.cnn_learning_rate.unwrap_or(*learning_rate);
    }
    Ok(Some(model))
}

fn settings(args: &ModelArgs, seed: u64) -> anyhow::Result<ModelAuditSettings> {
    if args.dp && matches!(args.model, ModelArg::Lasso | ModelArg::Sgd) {
        anyhow::bail!(
            "--dp trains an unpenalised logistic model (or the CNN) by DP-SGD, so it cannot \
             be combined with --model {}",
            if args.model == ModelArg::Lasso {
                "lasso"
            } else {
                "sgd"
            }
        );
    }
    let cnn = cnn_model(args)?;
    let model = match args.model {
        ModelArg::Logistic => TargetModel::Logistic {
            l2: args.penalty.unwrap_or(1e-2),
        },
        ModelArg::Lasso => TargetModel::Lasso {
            l1: args.penalty.unwrap_or(1e-2),
        },
        ModelArg::Sgd => TargetModel::Sgd {
            alpha: args.penalty.unwrap_or(1e-4),
        },
        ModelArg::Cnn => cnn.context("the CNN's settings are missing")?,
    };
    Ok(ModelAuditSettings {
        model,
        dp: args.dp.then_some(DpTraining {
            noise_multiplier: args.noise_multiplier,
            clip_norm: args.clip,
            epochs: args.epochs,
            batch_size: args.batch,
            learning_rate: args.learning_rate,
            delta: args.delta,
        }),
        attacks: parse_attacks(&args.attacks)?,
        reference_models: args.reference_models,
        reference_mode: match args.reference_mode {
            ReferenceModeArg::Offline => ReferenceMode::Offline,
            ReferenceModeArg::Online => ReferenceMode::Online,
        },
        bootstrap_resamples: args.bootstrap,
        seed,
        delta: args.delta,
    })
}

fn run_model(args: &ModelArgs, job: Job<'_>) -> anyhow::Result<()> {
    if args.federation.federated {
        return super::audit_federated::run(args, job);
    }
    let seed = match args.seed {
        Some(seed) => seed,
        None => os_seed()?,
    };
    // Every argument is checked before the long work.
    let settings = settings(args, seed)?;
    let project = args.project.open()?;
    let cohort = load(&args.input, &args.read, job)?;
    let table = read_phenotypes(&args.pheno, None)?;
    let joined = join(&table, cohort.matrix.samples());
    let status = table.case_control(&joined, &args.case_column)?;
    let audit = ModelAudit::prepare(&cohort.matrix, &status.status, seed, job)
        .with_context(|| format!("preparing the model audit of {}", args.input.display()))?;
    let report = audit.run(&settings, job)?;

    let mut inputs = input_files(&args.input);
    inputs.push(args.pheno.clone());
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let logs_path = args.out.join("attack_logs.csv");
    let summary_path = args.out.join("summary.json");
    let roc_path = args.out.join("roc.csv");
    let mut logs = AtomicFile::create(&logs_path, &input_refs)?;
    write_csv(attack_table(&report, 1)?, &mut logs)
        .with_context(|| format!("writing {}", logs_path.display()))?;
    let mut summary_file = AtomicFile::create(&summary_path, &input_refs)?;
    let mut roc = AtomicFile::create(&roc_path, &input_refs)?;
    writeln!(summary_file, "{}", serde_json::to_string_pretty(&report)?)
        .map_err(|e| Error::io(&summary_path, e))?;
    roc.write_all(roc_points(&report).as_bytes())
        .map_err(|e| Error::io(&roc_path, e))?;
    logs.commit()?;
    summary_file.commit()?;
    roc.commit()?;
    super::project::record_audit(
        project,
        &args.project,
        &args.input,
        &args.pheno,
        &args.case_column,
        &args.read,
        &settings,
        &report,
        job,
    )?;
    print!("{}", summary(&report));
    Ok(())
}

/// The federated study's columns first, then ours.
/// Every ROC point of every membership attack, with its score threshold.
pub(super) fn roc_points(report: &ModelAuditReport) -> String {
    let mut out = String::from("attack,fpr,tpr,threshold\n");
    for attack in &report.attacks {
        let roc = &attack.roc;
        for ((t, f), threshold) in roc.tpr().into_iter().zip(roc.fpr()).zip(&roc.thresholds) {
            out.push_str(&format!(
                "{},{},{},{}\n",
                attack.attack.id(),
                format_number(Some(f)),
                format_number(Some(t)),
                if threshold.is_infinite() {
                    "inf".to_owned()
                } else {
                    format_number(Some(*threshold))
                }
            ));
        }
    }
    out
}

fn attack_line(attack: &MembershipAttackResult) -> String {
    format!(
        "{}: AUC {} (95% CI {} to {}), TPR at 1% FPR {}, balanced accuracy {}; at the \
         calibrated threshold precision {}, recall {}, F1 {} (prevalence {})\n",
        attack.attack.id(),
        auc(attack.auc),
        auc(attack.auc_interval.lower),
        auc(attack.auc_interval.upper),
        number(attack.tpr_at_1pct_fpr),
        number(attack.balanced_accuracy),
        number(attack.at_threshold.precision),
        number(attack.at_threshold.recall),
        number(attack.at_threshold.f1),
        number(attack.at_threshold.prevalence),
    )
}

/// What the terminal shows: the model, its epsilon, and one line and sentence per attack.
pub(super) fn summary(report: &ModelAuditReport) -> String {
    let mut s = format!(
        "{} on {} samples x {} SNPs: {} members, {} non-members, {} population; \
         accuracy train {} test {}\n",
        report.training,
        report.n_samples,
        report.n_variants,
        report.n_members,
        report.n_non_members,
        report.n_population,
        number(report.train_accuracy),
        number(report.test_accuracy)
    );
    match &report.privacy {
        Some(p) => s.push_str(&format!(
            "epsilon {} at delta {} ({})\n",
            number(p.epsilon),
            p.delta,
            p.label
        )),
        None => s.push_str("epsilon: none (trained without differential privacy)\n"),
    }
    for attack in &report.attacks {
        s.push_str(&attack_line(attack));
        for sentence in &attack.sentences {
            s.push_str("  ");
            s.push_str(sentence);
            s.push('\n');
        }
    }
    if let Some(label) = &report.label_inference {
        s.push_str("label inference:\n");
        for sentence in &label.sentences {
            s.push_str("  ");
            s.push_str(sentence);
            s.push('\n');
        }
    }
    for notice in &report.notices {
        s.push_str(notice);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_lists_parse_and_bad_names_are_refused() {
        assert!(matches!(
            parse_attacks("loss, lira").as_deref(),
            Ok([AttackKind::Loss, AttackKind::Lira])
        ));
        assert!(matches!(
            parse_attacks("shadow").as_deref(),
            Ok([AttackKind::Shadow])
        ));
        assert!(parse_attacks("loss,shadows").is_err());
        assert!(parse_attacks("loss,loss").is_err());
    }
}
