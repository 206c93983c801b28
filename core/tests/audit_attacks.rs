//! Attacks checked against properties that must hold: a null control where
//! membership carries no information (every AUC CI contains 0.5), an overfit target
//! that LiRA must expose, exact label inference from per-sample gradients, and
//! bootstrap coverage.

use genopriv_core::Result;
use genopriv_core::audit::attacks::{
    LabelledScores, OutputSignal, calibrated_attack, gradient_norm_scores, output_scores,
};
use genopriv_core::audit::label::{
    LabelInferenceReport, label_proportion, labels_by_meta_classifier, labels_by_sign,
    per_sample_gradients, train_meta_classifier,
};
use genopriv_core::audit::lira::{
    LiraMode, LiraVariance, keep_matrix, lira_scores, logit_signal, train_reference_models,
};
use genopriv_core::audit::metrics::{
    AttackReport, ReportOptions, ThresholdRule, auc, bootstrap_interval,
};
use genopriv_core::models::features::select_labels;
use genopriv_core::models::{Features, Fit, LogisticModel, LogisticRegression, Penalty, Predict};
use genopriv_core::simulate::{PhenotypeModel, SimulationConfig, simulate};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, Normal};

struct Split {
    x: Features,
    y: Vec<u8>,
}

fn split(x: &Features, y: &[u8], range: std::ops::Range<usize>) -> Result<Split> {
    let indices: Vec<usize> = range.collect();
    Ok(Split {
        x: x.select_rows(&indices)?,
        y: select_labels(y, &indices)?,
    })
}

fn data(
    n_samples: usize,
    n_snps: usize,
    phenotype: PhenotypeModel,
    seed: u64,
) -> Result<(Features, Vec<u8>)> {
    let cohort = simulate(&SimulationConfig {
        n_samples,
        n_snps,
        phenotype,
        seed,
        ..SimulationConfig::default()
    })?;
    Ok((
        Features::from_genotypes(&cohort.genotypes),
        cohort.phenotype,
    ))
}

fn options(seed: u64) -> ReportOptions {
    ReportOptions {
        bootstrap_resamples: 400,
        seed,
        delta: 1e-5,
    }
}

/// LiRA scores of `members` and `non_members` against `target` in each mode, with
/// one set of reference models trained on random halves of their union (the
/// attacker's pool).
fn lira(
    target: &LogisticModel,
    trainer: &LogisticRegression,
    members: &Split,
    non_members: &Split,
    n_models: usize,
    modes: &[LiraMode],
) -> Result<Vec<(Vec<f64>, Vec<f64>)>> {
    let mut pool_values = members.x.values().to_vec();
    pool_values.extend_from_slice(non_members.x.values());
    let n_pool = members.x.n_rows() + non_members.x.n_rows();
    let pool_x = Features::from_row_major(n_pool, members.x.n_cols(), pool_values)?;
    let pool_y: Vec<u8> = members.y.iter().chain(&non_members.y).copied().collect();
    let reference = train_reference_models(
        trainer,
        &pool_x,
        &pool_y,
        keep_matrix(n_models, n_pool, 0.5, 11),
    )?;
    let target_signals = logit_signal(target, &pool_x, &pool_y);
    modes
        .iter()
        .map(|&mode| {
            let scores = lira_scores(&target_signals, &reference, mode, LiraVariance::PerRecord)?;
            let (inside, outside) = scores.split_at(members.x.n_rows());
            Ok((inside.to_vec(), outside.to_vec()))
        })
        .collect()
}

#[test]
fn null_control_no_attack_separates_records_the_target_never_saw() -> Result<()> {
    // No-signal phenotype; the target trains on its own records; the attack's
    // "members" and "non-members" are two further sets it never saw, so membership
    // labels carry no information and every AUC interval must contain 0.5.
    let (x, y) = data(800, 60, PhenotypeModel::NoSignal { case_fraction: 0.5 }, 21)?;
    let train = split(&x, &y, 0..200)?;
    let calibration_in = split(&x, &y, 200..350)?;
    let calibration_out = split(&x, &y, 350..500)?;
    let fake_members = split(&x, &y, 500..650)?;
    let non_members = split(&x, &y, 650..800)?;
    let trainer = LogisticRegression {
        tol: 1e-7,
        ..LogisticRegression::new(Penalty::L2(0.01))
    };
    let target = trainer.fit(&train.x, &train.y)?;

    let score = |s: &Split, signal: Option<OutputSignal>| match signal {
        Some(signal) => output_scores(&target, &s.x, &s.y, signal),
        None => gradient_norm_scores(&target, &s.x, &s.y),
    };
    for signal in [
        Some(OutputSignal::NegativeLoss),
        Some(OutputSignal::TrueLabelConfidence),
        None,
    ] {
        let attack = calibrated_attack(
            LabelledScores {
                members: &score(&calibration_in, signal)?,
                non_members: &score(&calibration_out, signal)?,
            },
            LabelledScores {
                members: &score(&fake_members, signal)?,
                non_members: &score(&non_members, signal)?,
            },
            ThresholdRule::MaxAdvantage,
            options(1),
        )?;
        let interval = attack.report.auc_interval;
        assert!(interval.contains(0.5), "{signal:?}: AUC CI {interval:?}");
    }
    let modes = [
        LiraMode::Online,
        LiraMode::OfflineOneSided,
        LiraMode::OfflineTwoSided,
    ];
    let scored = lira(&target, &trainer, &fake_members, &non_members, 8, &modes)?;
    for (mode, (inside, outside)) in modes.iter().zip(scored) {
        let report = AttackReport::new(&inside, &outside, options(2))?;
        assert!(
            report.auc_interval.contains(0.5),
            "{mode:?}: AUC CI {:?}",
            report.auc_interval
        );
    }
    Ok(())
}

#[test]
fn lira_exposes_an_overfit_target() -> Result<()> {
    // n = 100 members, p = 300 SNPs, weak penalty: the target memorises its records.
    let (x, y) = data(
        200,
        300,
        PhenotypeModel::NoSignal { case_fraction: 0.5 },
        22,
    )?;
    let members = split(&x, &y, 0..100)?;
    let non_members = split(&x, &y, 100..200)?;
    let trainer = LogisticRegression {
        tol: 1e-7,
        ..LogisticRegression::new(Penalty::L2(0.05))
    };
    let target = trainer.fit(&members.x, &members.y)?;
    let scored = lira(
        &target,
        &trainer,
        &members,
        &non_members,
        16,
        &[LiraMode::Online],
    )?;
    let Some((inside, outside)) = scored.first() else {
        return Err(genopriv_core::Error::Parameter("no LiRA scores".into()));
    };
    let report = AttackReport::new(inside, outside, options(3))?;
    assert!(
        report.auc_interval.lower > 0.6,
        "LiRA AUC {} CI {:?}",
        report.auc,
        report.auc_interval
    );
    // The loss attack sees the same overfitting.
    let loss_in = output_scores(&target, &members.x, &members.y, OutputSignal::NegativeLoss)?;
    let loss_out = output_scores(
        &target,
        &non_members.x,
        &non_members.y,
        OutputSignal::NegativeLoss,
    )?;
    assert!(auc(&loss_in, &loss_out)? > 0.6);
    Ok(())
}

#[test]
fn label_inference_from_per_sample_gradients_is_exact() -> Result<()> {
    let (x, y) = data(
        600,
        100,
        PhenotypeModel::Causal {
            n_causal: 10,
            effect_sd: 0.5,
            intercept: 0.0,
        },
        23,
    )?;
    let members = split(&x, &y, 0..300)?;
    let known = split(&x, &y, 300..450)?;
    let non_members = split(&x, &y, 450..600)?;
    let target = LogisticRegression::new(Penalty::L2(0.01)).fit(&members.x, &members.y)?;
    let member_gradients = per_sample_gradients(&target, &members.x, &members.y)?;
    let non_member_gradients = per_sample_gradients(&target, &non_members.x, &non_members.y)?;

    let sign = LabelInferenceReport::new(
        &labels_by_sign(&member_gradients)?,
        &members.y,
        &labels_by_sign(&non_member_gradients)?,
        &non_members.y,
    )?;
    assert_eq!(sign.member_accuracy, 1.0);
    assert_eq!(sign.non_member_accuracy, 1.0);
    assert!(sign.member_majority_baseline < 0.8);

    // An aggregated update still reveals the batch's case fraction.
    let n = members.x.n_rows() as f64;
    let mean_bias = member_gradients
        .rows()
        .filter_map(|g| g.last())
        .sum::<f64>()
        / n;
    let mean_prediction = target.predict_proba(&members.x).iter().sum::<f64>() / n;
    let cases = members.y.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    assert!((label_proportion(mean_prediction, mean_bias) - cases).abs() < 1e-12);

    // A meta-classifier trained on gradients of records with known labels also gets
    // (nearly) everything: the label is a linear function of the bias component.
    let meta = train_meta_classifier(
        &LogisticRegression::new(Penalty::L2(0.1)),
        &per_sample_gradients(&target, &known.x, &known.y)?,
        &known.y,
    )?;
    let learned = LabelInferenceReport::new(
        &labels_by_meta_classifier(&meta, &member_gradients)?,
        &members.y,
        &labels_by_meta_classifier(&meta, &non_member_gradients)?,
        &non_members.y,
    )?;
    assert!(
        learned.member_accuracy > 0.95 && learned.non_member_accuracy > 0.95,
        "{learned:?}"
    );
    Ok(())
}

#[test]
fn bootstrap_auc_interval_covers_the_truth() -> Result<()> {
    // Scores N(d, 1) vs N(0, 1): true AUC = Phi(d / sqrt 2).
    let d = 0.5;
    let truth = Normal::standard().cdf(d / 2f64.sqrt());
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let normal = |rng: &mut ChaCha8Rng| {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let replicates = 80;
    let mut covered = 0;
    for replicate in 0..replicates {
        let inside: Vec<f64> = (0..60).map(|_| d + normal(&mut rng)).collect();
        let outside: Vec<f64> = (0..60).map(|_| normal(&mut rng)).collect();
        let interval = bootstrap_interval(&inside, &outside, auc, 150, 0.95, replicate)?;
        covered += usize::from(interval.contains(truth));
    }
    // Nominal 95 %: with 80 replicates the count has sd ~ 1.9; require >= 85 %.
    assert!((68..=80).contains(&covered), "coverage {covered}/80");
    Ok(())
}
