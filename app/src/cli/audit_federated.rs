//! `genopriv audit model --federated`: train the model by FedAvg over K clients
//! and measure what the final model, per-sample gradients and the server's view
//! reveal. The files are those of `audit model`, written by its writers; the
//! server's per-client attacks and the gradient label inference add rows named
//! after what was attacked.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::write::AtomicFile;
use genopriv_core::explain::format::number;
use genopriv_core::models::fedavg::Aggregation;
use genopriv_core::study::audit_table::{federated_attack_table, server_attack_name, write_csv};
use genopriv_core::study::federated::{
    FederatedAudit, FederatedAuditReport, FederatedAuditSettings, FederatedDp,
};
use genopriv_core::study::{LabelInferenceOutcome, ModelAuditReport, os_seed};
use genopriv_core::{Error, Job};

use super::audit::{ModelArg, ModelArgs, parse_attacks, roc_points, summary};
use super::{input_files, load};

#[derive(Args, Debug)]
pub struct FederatedArgs {
    /// Train by federated averaging over clients (needs --model sgd); adds the
    /// server's attacks on client updates
    #[arg(long, conflicts_with_all = ["epochs", "batch", "learning_rate", "reference_models", "reference_mode"])]
    pub federated: bool,
    /// Number of clients the cohort is dealt into (IID, equal sizes)
    #[arg(long, value_name = "K", default_value_t = 5, requires = "federated")]
    pub clients: usize,
    /// FedAvg rounds
    #[arg(long, value_name = "R", default_value_t = 10, requires = "federated")]
    pub rounds: usize,
    /// Local epochs per client and round
    #[arg(long, value_name = "L", default_value_t = 1, requires = "federated")]
    pub local_epochs: usize,
    /// The server sees only the aggregate of the client updates
    #[arg(long, requires = "federated")]
    pub secure_aggregation: bool,
}

fn settings(args: &ModelArgs, seed: u64) -> anyhow::Result<FederatedAuditSettings> {
    if args.model != ModelArg::Sgd {
        anyhow::bail!(
            "--federated trains scikit-learn-style SGD clients, as the federated study did: \
             use --model sgd"
        );
    }
    let federation = &args.federation;
    Ok(FederatedAuditSettings {
        clients: federation.clients,
        rounds: federation.rounds,
        local_epochs: federation.local_epochs,
        alpha: args.penalty.unwrap_or(1e-4),
        aggregation: if federation.secure_aggregation {
            Aggregation::Secure
        } else {
            Aggregation::Plain
        },
        dp: args.dp.then_some(FederatedDp {
            noise_multiplier: args.noise_multiplier,
            clip_norm: args.clip,
            delta: args.delta,
        }),
        attacks: parse_attacks(&args.attacks)?,
        bootstrap_resamples: args.bootstrap,
        seed,
        delta: args.delta,
        ..FederatedAuditSettings::default()
    })
}

pub fn run(args: &ModelArgs, job: Job<'_>) -> anyhow::Result<()> {
    let seed = match args.seed {
        Some(seed) => seed,
        None => os_seed()?,
    };
    let settings = settings(args, seed)?;
    let cohort = load(&args.input, &args.read, job)?;
    let table = read_phenotypes(&args.pheno, None)?;
    let joined = join(&table, cohort.matrix.samples());
    let status = table.case_control(&joined, &args.case_column)?;
    let audit = FederatedAudit::prepare(&cohort.matrix, &status.status)
        .with_context(|| format!("preparing the federated audit of {}", args.input.display()))?;
    let report = audit.run(&settings, job)?;

    let mut inputs = input_files(&args.input);
    inputs.push(args.pheno.clone());
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let files = [
        ("attack_logs.csv", federated_attack_logs(&report)?),
        (
            "summary.json",
            format!("{}\n", serde_json::to_string_pretty(&report)?),
        ),
        ("roc.csv", federated_roc_points(&report)),
    ];
    let mut pending = Vec::new();
    for (name, text) in &files {
        let path = args.out.join(name);
        let mut file = AtomicFile::create(&path, &input_refs)?;
        file.write_all(text.as_bytes())
            .map_err(|e| Error::io(&path, e))?;
        pending.push(file);
    }
    for file in pending {
        file.commit()?;
    }
    print!("{}", federated_summary(&report));
    Ok(())
}

/// The model-audit report restricted to one extra result, for the shared writers.
fn with_attack(report: &FederatedAuditReport, index: usize) -> Option<ModelAuditReport> {
    report
        .server_attacks
        .get(index)
        .map(|attack| ModelAuditReport {
            attacks: vec![attack.result.clone()],
            label_inference: None,
            ..report.audit.clone()
        })
}

/// The writer's rows (header dropped) with the first column set to `name`.
fn relabelled_rows(written: &str, name: &str) -> String {
    written
        .lines()
        .skip(1)
        .map(|line| {
            let rest = line.split_once(',').map_or("", |(_, rest)| rest);
            format!("{name},{rest}\n")
        })
        .collect()
}

/// The federated table ([`federated_attack_table`]) as CSV text.
fn federated_attack_logs(report: &FederatedAuditReport) -> anyhow::Result<String> {
    let mut text = Vec::new();
    write_csv(federated_attack_table(report)?, &mut text)?;
    Ok(String::from_utf8(text)?)
}

fn federated_roc_points(report: &FederatedAuditReport) -> String {
    let mut out = roc_points(&report.audit);
    for (index, attack) in report.server_attacks.iter().enumerate() {
        if let Some(single) = with_attack(report, index) {
            out.push_str(&relabelled_rows(
                &roc_points(&single),
                &server_attack_name(attack.view),
            ));
        }
    }
    out
}

fn label_line(name: &str, label: &LabelInferenceOutcome) -> String {
    format!(
        "{name}: accuracy members {}, non-members {}, baseline {} ({})\n",
        number(label.report.member_accuracy),
        number(label.report.non_member_accuracy),
        number(label.baseline_accuracy),
        label.verdict
    )
}

fn federated_summary(report: &FederatedAuditReport) -> String {
    let mut s = summary(&report.audit);
    for attack in &report.server_attacks {
        let r = &attack.result;
        s.push_str(&format!(
            "{}: AUC {} (95% CI {} to {}), TPR at 1% FPR {}\n",
            server_attack_name(attack.view),
            number(r.auc),
            number(r.auc_interval.lower),
            number(r.auc_interval.upper),
            number(r.tpr_at_1pct_fpr)
        ));
    }
    if let Some(gradients) = &report.gradient_label_inference {
        s.push_str(&label_line(
            "label inference from gradients (sign rule)",
            &gradients.sign_rule,
        ));
        s.push_str(&label_line(
            "label inference from gradients (meta-classifier)",
            &gradients.meta_classifier,
        ));
    }
    let baseline = &report.everyone_member_baseline;
    s.push_str(&format!(
        "flagging everyone as a member: precision {} (= the member share), recall 1, F1 {}\n",
        number(baseline.precision),
        number(baseline.f1)
    ));
    if let Some(notion) = &report.dp_notion {
        s.push_str(notion);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relabelling_keeps_every_column_but_the_first() {
        let written = "attack,fpr,tpr\ngradnorm,5,0.1,x\nlabel_inference,5,NA\n";
        assert_eq!(
            relabelled_rows(written, "server_update_client2"),
            "server_update_client2,5,0.1,x\nserver_update_client2,5,NA\n"
        );
    }
}
