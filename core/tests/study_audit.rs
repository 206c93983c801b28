//! The model audit on simulated cohorts: an overfitted target leaks (loss and LiRA
//! AUC intervals above one half), the same audit of a DP-SGD target at a large
//! noise multiplier does not (the null control: intervals contain one half), and
//! the split keeps thresholds away from the evaluated records by construction.

use std::collections::HashSet;

use genopriv_core::Result;
use genopriv_core::job::unattended;
use genopriv_core::simulate::{SimulationConfig, simulate};
use genopriv_core::study::{
    AttackKind, AuditSplit, DpTraining, ModelAudit, ModelAuditReport, ModelAuditSettings,
    ReferenceMode, TargetModel,
};

/// 400 samples (100 members) and 800 SNPs: far more parameters than members, so a
/// weakly regularised logistic model memorises its training set.
fn cohort() -> Result<ModelAudit> {
    let simulated = simulate(&SimulationConfig {
        n_samples: 400,
        n_snps: 800,
        seed: 11,
        ..SimulationConfig::default()
    })?;
    let status: Vec<Option<bool>> = simulated.phenotype.iter().map(|&y| Some(y == 1)).collect();
    unattended(|job| ModelAudit::prepare(&simulated.genotypes, &status, 5, job))
}

fn settings(dp: Option<DpTraining>) -> ModelAuditSettings {
    ModelAuditSettings {
        model: TargetModel::Logistic { l2: 1e-2 },
        dp,
        attacks: vec![AttackKind::Loss, AttackKind::Lira, AttackKind::Label],
        reference_models: 8,
        reference_mode: ReferenceMode::Online,
        bootstrap_resamples: 200,
        seed: 3,
        delta: 1e-5,
    }
}

fn attack_auc(report: &ModelAuditReport, attack: AttackKind) -> Option<(f64, f64, f64)> {
    report
        .attacks
        .iter()
        .find(|a| a.attack == attack)
        .map(|a| (a.auc, a.auc_interval.lower, a.auc_interval.upper))
}

#[test]
fn overfitted_target_leaks_and_dp_sgd_does_not() -> Result<()> {
    let audit = cohort()?;
    let report = unattended(|job| audit.run(&settings(None), job))?;
    assert!(report.epsilon.is_none());
    eprintln!(
        "accuracy train {} test {}",
        report.train_accuracy, report.test_accuracy
    );
    // Memorised: training accuracy well above test accuracy.
    assert!(
        report.train_accuracy > report.test_accuracy + 0.2,
        "train {} test {}",
        report.train_accuracy,
        report.test_accuracy
    );
    for attack in [AttackKind::Loss, AttackKind::Lira] {
        let Some((auc, low, high)) = attack_auc(&report, attack) else {
            panic!("{attack:?} missing from the report");
        };
        eprintln!("non-private {attack:?}: AUC {auc} ({low}, {high})");
        assert!(low > 0.5, "{attack:?}: AUC {auc} ({low}, {high})");
    }
    let Some(label) = &report.label_inference else {
        panic!("label inference missing");
    };
    assert_eq!(label.report.n_members, report.n_members);

    let dp = DpTraining {
        noise_multiplier: 20.0,
        clip_norm: 1.0,
        epochs: 5,
        batch_size: 20,
        learning_rate: 0.1,
        delta: 1e-5,
    };
    let private = unattended(|job| audit.run(&settings(Some(dp)), job))?;
    let Some(epsilon) = private.epsilon else {
        panic!("a DP-SGD audit must report its epsilon");
    };
    assert!(epsilon > 0.0 && epsilon < 1.0, "epsilon {epsilon}");
    for attack in [AttackKind::Loss, AttackKind::Lira] {
        let Some((auc, low, high)) = attack_auc(&private, attack) else {
            panic!("{attack:?} missing from the DP report");
        };
        eprintln!("DP-SGD {attack:?}: AUC {auc} ({low}, {high}), epsilon {epsilon}");
        assert!(
            low <= 0.5 && 0.5 <= high,
            "{attack:?}: AUC {auc} ({low}, {high})"
        );
    }
    Ok(())
}

#[test]
fn split_is_balanced_disjoint_and_leaves_the_population_apart() -> Result<()> {
    let rows: Vec<usize> = (0..203).filter(|i| i % 7 != 0).collect();
    let split = AuditSplit::new(&rows, 9)?;
    assert_eq!(split.members.len(), split.non_members.len());
    assert_eq!(split.members.len(), rows.len() / 4);
    assert!(split.population.len() >= split.members.len() + split.non_members.len());
    let mut seen = HashSet::new();
    for row in split
        .members
        .iter()
        .chain(&split.non_members)
        .chain(&split.population)
    {
        assert!(rows.contains(row), "row {row} had no label");
        assert!(seen.insert(*row), "row {row} is in two parts");
    }
    assert_eq!(seen.len(), rows.len());
    // Another seed, another split.
    assert_ne!(AuditSplit::new(&rows, 10)?.members, split.members);
    Ok(())
}

#[test]
fn calibration_never_sees_evaluation_records() -> Result<()> {
    // Thresholds come from reference model 0 on population records (its own IN and
    // OUT ones). Population and evaluation rows are disjoint, so shuffling the
    // evaluation records' labels can change no threshold: the threshold of every
    // attack is the same with the true and with permuted evaluation labels.
    let simulated = simulate(&SimulationConfig {
        n_samples: 120,
        n_snps: 60,
        seed: 4,
        ..SimulationConfig::default()
    })?;
    let status: Vec<Option<bool>> = simulated.phenotype.iter().map(|&y| Some(y == 1)).collect();
    let audit = unattended(|job| ModelAudit::prepare(&simulated.genotypes, &status, 1, job))?;
    let split = audit.split().clone();
    let mut scrambled = status.clone();
    // Flip the status of every evaluation record (members and non-members).
    for &row in split.members.iter().chain(&split.non_members) {
        if let Some(Some(s)) = scrambled.get_mut(row) {
            *s = !*s;
        }
    }
    let other = unattended(|job| ModelAudit::prepare(&simulated.genotypes, &scrambled, 1, job))?;
    assert_eq!(other.split(), &split);
    let mut offline = settings(None);
    offline.reference_mode = ReferenceMode::Offline;
    offline.attacks = vec![AttackKind::Loss, AttackKind::GradientNorm, AttackKind::Lira];
    let a = unattended(|job| audit.run(&offline, job))?;
    let b = unattended(|job| other.run(&offline, job))?;
    for (x, y) in a.attacks.iter().zip(&b.attacks) {
        assert_eq!(x.at_threshold.threshold, y.at_threshold.threshold);
    }
    // ... while the evaluation itself did change (the target saw other labels).
    assert!(
        a.attacks
            .iter()
            .zip(&b.attacks)
            .any(|(x, y)| x.auc != y.auc)
    );
    Ok(())
}

#[test]
fn a_cancelled_audit_stops_with_cancelled() -> Result<()> {
    use genopriv_core::Error;
    use genopriv_core::job::{CancelToken, Job, NoProgress};
    let audit = cohort()?;
    let cancel = CancelToken::new();
    cancel.cancel();
    let outcome = audit.run(&settings(None), Job::new(&NoProgress, &cancel));
    assert!(matches!(outcome, Err(Error::Cancelled)), "{outcome:?}");
    Ok(())
}
