//! The federated study's set-up (Pathade & Patil 2025; spec audits §9) re-run with
//! the honest protocol: 20,000 simulated individuals x 100 independent SNPs
//! (Binomial(2, p), p ~ U(0.05, 0.5)), 5 IID clients x 4,000 records split 80/20,
//! 10 FedAvg rounds of one `SGDClassifier(loss="log_loss")` epoch.
//!
//! Published (confidence MIA): precision 0.79, recall 0.51, F1 0.62; gradient MIA
//! recall 0.97; label inference about 0.52. What must hold instead, and is asserted:
//! - no-signal data: every membership AUC interval contains 0.5;
//! - flagging everyone is a member has precision π, the member share (0.8 here):
//!   a precision of 0.79 at an 80/20 pool is what a coin gives (§9's table);
//! - gradient-norm and confidence attacks rank records almost alike (§3.5), so their
//!   AUCs agree: a recall gap between them is a threshold artefact;
//! - per-sample gradients give every label exactly for logistic regression (§3.6),
//!   members and non-members alike, far above the published 0.52.
//!
//! Measured (seed 9, causal data, `cargo test`): see the `eprintln!` output and the
//! report; at the calibrated threshold on balanced sets (π = 0.5) the final-model
//! attacks sit at chance: AUC about 0.50.

use genopriv_core::audit::metrics::Interval;
use genopriv_core::dp::{Accountant, AccountingOptions, Conversion, account};
use genopriv_core::job;
use genopriv_core::models::fedavg::Aggregation;
use genopriv_core::simulate::{GenotypeModel, PhenotypeModel, SimulationConfig, simulate};
use genopriv_core::study::AttackKind;
use genopriv_core::study::federated::{
    FederatedAudit, FederatedAuditReport, FederatedAuditSettings, FederatedDp, ObservedUpdate,
};
use genopriv_core::{Error, Result};

fn pathade_cohort(phenotype: PhenotypeModel, seed: u64) -> Result<FederatedAudit> {
    let cohort = simulate(&SimulationConfig {
        n_samples: 20_000,
        n_snps: 100,
        genotype_model: GenotypeModel::IndependentBinomial,
        phenotype,
        seed,
        ..SimulationConfig::default()
    })?;
    let status: Vec<Option<bool>> = cohort.phenotype.iter().map(|&y| Some(y == 1)).collect();
    FederatedAudit::prepare(&cohort.genotypes, &status)
}

fn settings(seed: u64) -> FederatedAuditSettings {
    FederatedAuditSettings {
        bootstrap_resamples: 200,
        seed,
        ..FederatedAuditSettings::default()
    }
}

fn attack(
    report: &FederatedAuditReport,
    kind: AttackKind,
) -> Result<&genopriv_core::study::MembershipAttackResult> {
    report
        .audit
        .attacks
        .iter()
        .find(|a| a.attack == kind)
        .ok_or_else(|| Error::Parameter(format!("{} did not run", kind.id())))
}

fn show(name: &str, report: &FederatedAuditReport) {
    for a in &report.audit.attacks {
        let m = &a.at_threshold;
        eprintln!(
            "{name} {}: AUC {:.4} [{:.4}, {:.4}] TPR@1% {:.4}; at threshold P {:.3} R {:.3} F1 {:.3} \
             (π {:.2})",
            a.attack.id(),
            a.auc,
            a.auc_interval.lower,
            a.auc_interval.upper,
            a.tpr_at_1pct_fpr,
            m.precision,
            m.recall,
            m.f1,
            m.prevalence
        );
    }
    for p in &report.precision_at_pool_prevalence {
        eprintln!(
            "{name} {}: precision at π {:.2}: {:.3}",
            p.attack, p.prevalence, p.precision
        );
    }
    for s in &report.server_attacks {
        eprintln!(
            "{name} server {:?}: AUC {:.4} [{:.4}, {:.4}]",
            s.view, s.result.auc, s.result.auc_interval.lower, s.result.auc_interval.upper
        );
    }
    if let Some(label) = &report.audit.label_inference {
        eprintln!(
            "{name} label (outputs): members {:.3} non-members {:.3} baseline {:.3} {}",
            label.report.member_accuracy,
            label.report.non_member_accuracy,
            label.baseline_accuracy,
            label.verdict
        );
    }
    if let Some(g) = &report.gradient_label_inference {
        eprintln!(
            "{name} label (gradients): sign {:.3}/{:.3}, meta {:.3}/{:.3}",
            g.sign_rule.report.member_accuracy,
            g.sign_rule.report.non_member_accuracy,
            g.meta_classifier.report.member_accuracy,
            g.meta_classifier.report.non_member_accuracy
        );
    }
    eprintln!(
        "{name} accuracy train {:.3} test {:.3}",
        report.audit.train_accuracy, report.audit.test_accuracy
    );
}

/// Checks shared by both phenotype models.
fn check_invariants(report: &FederatedAuditReport) -> Result<()> {
    // 5 clients x 4,000, 80/20: 16,000 members and 4,000 held out.
    assert_eq!(report.client_members, vec![3_200; 5]);
    assert_eq!(report.client_held_out, vec![800; 5]);
    // Balanced evaluation: 400 + 400 per client.
    assert_eq!(report.audit.n_members, 2_000);
    assert_eq!(report.audit.n_non_members, 2_000);
    let baseline = &report.everyone_member_baseline;
    assert_eq!(baseline.recall, 1.0);
    assert!((baseline.precision - 0.8).abs() < 1e-12);
    assert!((baseline.precision - baseline.prevalence).abs() < 1e-12);
    // F1 of "everyone" at π = 0.8 is 2π/(1 + π) = 0.889, above the published 0.87.
    assert!((baseline.f1 - 1.6 / 1.8).abs() < 1e-12);
    // §3.5: ||g|| = (1 - p_y) sqrt(||x||^2 + 1); the two attacks rank alike.
    let loss = attack(report, AttackKind::Loss)?;
    let gradnorm = attack(report, AttackKind::GradientNorm)?;
    assert!(
        (loss.auc - gradnorm.auc).abs() < 0.02,
        "loss AUC {} vs gradient-norm AUC {}",
        loss.auc,
        gradnorm.auc
    );
    // §3.6: the sign of the bias gradient is the label, for everyone.
    let gradients = report
        .gradient_label_inference
        .as_ref()
        .ok_or_else(|| Error::Parameter("gradient label inference did not run".into()))?;
    assert_eq!(gradients.sign_rule.report.member_accuracy, 1.0);
    assert_eq!(gradients.sign_rule.report.non_member_accuracy, 1.0);
    let meta = &gradients.meta_classifier.report;
    assert!(
        meta.member_accuracy > 0.95 && meta.non_member_accuracy > 0.95,
        "meta-classifier accuracy {} (members), {} (non-members)",
        meta.member_accuracy,
        meta.non_member_accuracy
    );
    // The server sees each client's model: one update attack per client.
    let views: Vec<ObservedUpdate> = report.server_attacks.iter().map(|s| s.view).collect();
    assert_eq!(
        views,
        (1..=5).map(ObservedUpdate::Client).collect::<Vec<_>>()
    );
    Ok(())
}

#[test]
fn pathade_setup_without_signal_is_chance_for_every_final_model_attack() -> Result<()> {
    let audit = pathade_cohort(PhenotypeModel::NoSignal { case_fraction: 0.5 }, 8)?;
    let report = job::unattended(|job| audit.run(&settings(8), job))?;
    show("no signal", &report);
    check_invariants(&report)?;
    // Null control (§1.10): nothing to learn, 101 parameters for 16,000 records.
    for a in &report.audit.attacks {
        assert!(
            a.auc_interval.contains(0.5),
            "{} AUC {} {:?}",
            a.attack.id(),
            a.auc,
            a.auc_interval
        );
    }
    let label = report
        .audit
        .label_inference
        .as_ref()
        .ok_or_else(|| Error::Parameter("label inference did not run".into()))?;
    assert_eq!(label.verdict, "inconclusive");
    Ok(())
}

#[test]
fn pathade_setup_with_causal_snps_leaks_little_through_the_final_model() -> Result<()> {
    let audit = pathade_cohort(
        PhenotypeModel::Causal {
            n_causal: 10,
            effect_sd: 0.5,
            intercept: 0.0,
        },
        9,
    )?;
    let report = job::unattended(|job| audit.run(&settings(9), job))?;
    show("causal", &report);
    check_invariants(&report)?;
    // The model learns the signal: it beats always guessing the commoner status
    // (§9's weak effects, beta ~ N(0, 0.5^2): measured 0.67 vs 0.65; with 4,000
    // held-out records an accuracy's standard error is under 0.008) ...
    let label = report
        .audit
        .label_inference
        .as_ref()
        .ok_or_else(|| Error::Parameter("label inference did not run".into()))?;
    assert!(
        report.audit.test_accuracy > label.baseline_accuracy + 0.01,
        "test accuracy {} vs baseline {}",
        report.audit.test_accuracy,
        label.baseline_accuracy
    );
    // ... but hardly who trained it: AUC within 0.03 of chance.
    for a in &report.audit.attacks {
        let near_chance = Interval {
            lower: 0.47,
            upper: 0.53,
        };
        assert!(
            near_chance.contains(a.auc),
            "{} AUC {}",
            a.attack.id(),
            a.auc
        );
    }
    Ok(())
}

#[test]
fn secure_aggregation_with_client_dp_leaves_only_the_aggregate() -> Result<()> {
    let cohort = simulate(&SimulationConfig {
        n_samples: 2_000,
        n_snps: 50,
        genotype_model: GenotypeModel::IndependentBinomial,
        seed: 10,
        ..SimulationConfig::default()
    })?;
    let status: Vec<Option<bool>> = cohort.phenotype.iter().map(|&y| Some(y == 1)).collect();
    let audit = FederatedAudit::prepare(&cohort.genotypes, &status)?;
    let report = job::unattended(|job| {
        audit.run(
            &FederatedAuditSettings {
                aggregation: Aggregation::Secure,
                dp: Some(FederatedDp {
                    noise_multiplier: 1.0,
                    clip_norm: 1.0,
                    delta: 1e-5,
                }),
                ..settings(10)
            },
            job,
        )
    })?;
    // No per-client update and no per-sample gradient reach the server.
    let views: Vec<ObservedUpdate> = report.server_attacks.iter().map(|s| s.view).collect();
    assert_eq!(views, vec![ObservedUpdate::Aggregate]);
    assert!(report.gradient_label_inference.is_none());
    // Client-level DP-FedAvg, 5 clients all taking part (q = 1), 10 rounds, sigma 1,
    // delta 1e-5: spec §5.6 gives 19.05 (RDP) and 17.86 (PLD).
    let privacy = report
        .privacy
        .as_ref()
        .ok_or_else(|| Error::Parameter("DP run without an epsilon".into()))?;
    assert_eq!(privacy.setting.sampling_rate, 1.0);
    assert_eq!(privacy.setting.steps, 10);
    assert!(
        (privacy.epsilon - 19.05).abs() < 0.01,
        "RDP epsilon {}",
        privacy.epsilon
    );
    let pld = account(
        &privacy.setting,
        1e-5,
        &AccountingOptions {
            accountant: Accountant::Pld,
            conversion: Conversion::Improved,
            ..AccountingOptions::default()
        },
    )?;
    assert!(
        (pld.epsilon - 17.86).abs() < 0.02,
        "PLD epsilon {}",
        pld.epsilon
    );
    assert!(report.dp_notion.is_some());
    Ok(())
}
