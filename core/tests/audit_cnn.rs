//! The 1-D CNN on simulated genotypes: it learns a planted signal (held-out
//! accuracy well above the majority-class rate), DP-SGD trains it with the same
//! machinery as the logistic model (Poisson batches, per-example clipping that
//! bounds every step, the accountant's setting), and a CNN model audit runs the
//! membership attacks, the shadow attack included.

use genopriv_core::job::unattended;
use genopriv_core::models::features::select_labels;
use genopriv_core::models::{
    Classifier, CnnArchitecture, CnnModel, CnnTraining, DpSgd, Features, Fit, LogisticRegression,
    Penalty, poisson_batches,
};
use genopriv_core::simulate::{PhenotypeModel, SimulationConfig, simulate};
use genopriv_core::study::{
    AttackKind, ModelAudit, ModelAuditSettings, ReferenceMode, TargetModel,
};
use genopriv_core::{Error, Result};

/// Features and labels of a simulated cohort with a strong planted signal.
fn cohort(n_samples: usize, n_snps: usize, seed: u64) -> Result<(Features, Vec<u8>)> {
    let simulated = simulate(&SimulationConfig {
        n_samples,
        n_snps,
        phenotype: PhenotypeModel::Causal {
            n_causal: 6,
            effect_sd: 3.0,
            intercept: 0.0,
        },
        seed,
        ..SimulationConfig::default()
    })?;
    Ok((
        Features::from_genotypes(&simulated.genotypes),
        simulated.phenotype,
    ))
}

fn split(x: &Features, y: &[u8], n_train: usize) -> Result<(Features, Vec<u8>, Features, Vec<u8>)> {
    let train: Vec<usize> = (0..n_train).collect();
    let test: Vec<usize> = (n_train..x.n_rows()).collect();
    Ok((
        x.select_rows(&train)?,
        select_labels(y, &train)?,
        x.select_rows(&test)?,
        select_labels(y, &test)?,
    ))
}

fn accuracy(model: &impl Classifier, x: &Features, y: &[u8]) -> f64 {
    let correct = model
        .probabilities(x)
        .iter()
        .zip(y)
        .filter(|(p, label)| u8::from(**p >= 0.5) == **label)
        .count();
    correct as f64 / y.len().max(1) as f64
}

fn majority_rate(y: &[u8]) -> f64 {
    let cases = y.iter().filter(|&&l| l == 1).count() as f64 / y.len().max(1) as f64;
    cases.max(1.0 - cases)
}

#[test]
fn cnn_learns_a_planted_signal() -> Result<()> {
    let (x, y) = cohort(900, 200, 5)?;
    let (train_x, train_y, test_x, test_y) = split(&x, &y, 600)?;
    let model = unattended(|job| {
        CnnTraining {
            architecture: CnnArchitecture {
                l1: 0.0,
                ..CnnArchitecture::default()
            },
            epochs: 30,
            batch_size: 32,
            learning_rate: 3e-3,
            seed: 4,
        }
        .train(&train_x, &train_y, job)
    })?;
    // An independent learner on the same split: a penalised logistic regression.
    let logistic = LogisticRegression::new(Penalty::L2(1e-2)).fit(&train_x, &train_y)?;
    let untrained = CnnModel::new(x.n_cols(), CnnArchitecture::default(), 4)?;
    let (test, baseline) = (accuracy(&model, &test_x, &test_y), majority_rate(&test_y));
    let logistic_test = accuracy(&logistic, &test_x, &test_y);
    eprintln!(
        "CNN held-out accuracy {test}, logistic {logistic_test}, majority rate {baseline}, \
         untrained {}",
        accuracy(&untrained, &test_x, &test_y)
    );
    // 300 held-out samples: an accuracy's standard error is below 0.03. The CNN
    // learns the signal about as well as the logistic model does.
    assert!(
        test > baseline + 0.05,
        "held-out accuracy {test} is not well above the majority rate {baseline}"
    );
    assert!(
        test > logistic_test - 0.05,
        "held-out accuracy {test} is well below the logistic model's {logistic_test}"
    );
    // Training lowered the mean training loss.
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    assert!(
        mean(model.example_losses(&train_x, &train_y))
            < mean(untrained.example_losses(&train_x, &train_y))
    );
    Ok(())
}

/// Without noise, one DP-SGD step moves the parameters by at most
/// `lr * C * |batch| / (q N)` (every clipped gradient has norm <= C), and the run
/// reports the accountant's `(q, sigma, steps)` and the Poisson batches of its seed.
#[test]
fn dp_sgd_clips_every_cnn_step_and_reports_its_setting() -> Result<()> {
    let (x, y) = cohort(200, 60, 5)?;
    let architecture = CnnArchitecture {
        l1: 0.0,
        ..CnnArchitecture::default()
    };
    let initial = CnnModel::new(x.n_cols(), architecture, 9)?;
    let (q, clip, rate) = (0.1, 0.05, 0.5);
    let one_step = DpSgd {
        sampling_rate: q,
        noise_multiplier: 0.0,
        clip_norm: clip,
        learning_rate: rate,
        steps: 1,
        seed: 13,
    };
    let (stepped, privacy, sizes) =
        unattended(|job| one_step.train_model(initial.clone(), &x, &y, job))?;
    let moved = stepped
        .parameters()
        .iter()
        .zip(initial.parameters())
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt();
    let bound = rate * clip * sizes[0] as f64 / (q * 200.0);
    assert!(
        moved > 0.0 && moved <= bound * (1.0 + 1e-9),
        "{moved} > {bound}"
    );
    assert_eq!((privacy.sampling_rate, privacy.steps), (q, 1));

    let noisy = DpSgd {
        noise_multiplier: 1.1,
        steps: 20,
        ..one_step
    };
    let (_, privacy, sizes) = unattended(|job| noisy.train_model(initial, &x, &y, job))?;
    let expected: Vec<usize> = poisson_batches(200, q, 20, 13)
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(sizes, expected);
    assert_eq!(privacy.noise_multiplier, 1.1);
    assert_eq!(privacy.steps, 20);
    Ok(())
}

/// A non-private CNN audit with every membership attack: balanced sets, AUCs inside
/// their intervals, and an overfitted CNN (far more parameters than members)
/// leaking through its loss.
#[test]
fn cnn_model_audit_runs_every_membership_attack() -> Result<()> {
    let simulated = simulate(&SimulationConfig {
        n_samples: 400,
        n_snps: 400,
        seed: 2,
        ..SimulationConfig::default()
    })?;
    let status: Vec<Option<bool>> = simulated.phenotype.iter().map(|&y| Some(y == 1)).collect();
    let audit = unattended(|job| ModelAudit::prepare(&simulated.genotypes, &status, 1, job))?;
    let settings = ModelAuditSettings {
        model: TargetModel::Cnn {
            kernels: 8,
            kernel_size: 5,
            dropout: 0.25,
            l1: 0.0,
            epochs: 40,
            batch_size: 16,
            learning_rate: 3e-3,
        },
        dp: None,
        attacks: vec![
            AttackKind::Loss,
            AttackKind::GradientNorm,
            AttackKind::Lira,
            AttackKind::Rmia,
            AttackKind::Shadow,
        ],
        reference_models: 4,
        reference_mode: ReferenceMode::Offline,
        bootstrap_resamples: 200,
        seed: 8,
        delta: 1e-5,
    };
    let report = unattended(|job| audit.run(&settings, job))?;
    eprintln!(
        "CNN train accuracy {}, test {}",
        report.train_accuracy, report.test_accuracy
    );
    assert_eq!(report.attacks.len(), 5);
    for attack in &report.attacks {
        eprintln!(
            "{:?}: AUC {} {:?}",
            attack.attack, attack.auc, attack.auc_interval
        );
        assert_eq!((attack.n_members, attack.n_non_members), (100, 100));
        assert!(attack.auc_interval.lower <= attack.auc && attack.auc <= attack.auc_interval.upper);
    }
    assert!(report.train_accuracy > report.test_accuracy + 0.1);
    let loss = report
        .attacks
        .iter()
        .find(|a| a.attack == AttackKind::Loss)
        .ok_or_else(|| Error::Parameter("no loss attack".into()))?;
    assert!(loss.auc_interval.lower > 0.5, "{:?}", loss.auc_interval);
    Ok(())
}
