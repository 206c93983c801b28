//! Models checked against independent implementations written here: a Newton
//! solver for L2 logistic regression, the L1 optimality (KKT) conditions, plain
//! mini-batch SGD for DP-SGD without noise or clipping.

// The reference solvers read like the textbook formulas with explicit indices.
#![allow(clippy::needless_range_loop)]

use genopriv_core::Result;
use genopriv_core::job;
use genopriv_core::models::{
    DpSgd, Features, Fit, LogisticModel, LogisticRegression, Penalty, SgdLogistic, poisson_batches,
    sigmoid,
};
use genopriv_core::simulate::{PhenotypeModel, SimulationConfig, simulate};

fn cohort(n_samples: usize, n_snps: usize, seed: u64) -> Result<(Features, Vec<u8>)> {
    let cohort = simulate(&SimulationConfig {
        n_samples,
        n_snps,
        phenotype: PhenotypeModel::Causal {
            n_causal: n_snps.min(5),
            effect_sd: 0.7,
            intercept: -0.5,
        },
        seed,
        ..SimulationConfig::default()
    })?;
    Ok((
        Features::from_genotypes(&cohort.genotypes),
        cohort.phenotype,
    ))
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let factor = a[row][col] / a[col][col];
            for k in col..n {
                a[row][k] -= factor * a[col][k];
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x
}

/// Newton's method on mean log-loss + lambda/2 ||w||^2 (intercept unpenalised).
fn newton(x: &Features, y: &[u8], lambda: f64) -> Vec<f64> {
    let p = x.n_cols();
    let n = x.n_rows() as f64;
    let mut beta = vec![0.0; p + 1];
    for _ in 0..100 {
        let mut gradient = vec![0.0; p + 1];
        let mut hessian = vec![vec![0.0; p + 1]; p + 1];
        for (row, &label) in x.rows().zip(y) {
            let mut augmented = row.to_vec();
            augmented.push(1.0);
            let z: f64 = augmented.iter().zip(&beta).map(|(a, b)| a * b).sum();
            let prob = sigmoid(z);
            for i in 0..=p {
                gradient[i] += (prob - f64::from(label)) * augmented[i] / n;
                for j in 0..=p {
                    hessian[i][j] += prob * (1.0 - prob) * augmented[i] * augmented[j] / n;
                }
            }
        }
        for i in 0..p {
            gradient[i] += lambda * beta[i];
            hessian[i][i] += lambda;
        }
        let step = solve(hessian, gradient);
        for (b, s) in beta.iter_mut().zip(&step) {
            *b -= s;
        }
        if step.iter().map(|s| s.abs()).fold(0.0, f64::max) < 1e-13 {
            break;
        }
    }
    beta
}

fn max_difference(model: &LogisticModel, beta: &[f64]) -> f64 {
    let mut params = model.weights.clone();
    params.push(model.intercept);
    params
        .iter()
        .zip(beta)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn l2_logistic_regression_matches_newton() -> Result<()> {
    let (x, y) = cohort(300, 6, 1)?;
    for lambda in [0.0, 0.01, 0.3] {
        let penalty = if lambda == 0.0 {
            Penalty::None
        } else {
            Penalty::L2(lambda)
        };
        let model = LogisticRegression::new(penalty).fit(&x, &y)?;
        let difference = max_difference(&model, &newton(&x, &y, lambda));
        assert!(
            difference < 1e-6,
            "lambda {lambda}: max |diff| {difference}"
        );
    }
    Ok(())
}

#[test]
fn l1_solution_satisfies_the_kkt_conditions() -> Result<()> {
    let (x, y) = cohort(300, 40, 2)?;
    let lambda = 0.01;
    let model = LogisticRegression::new(Penalty::L1(lambda)).fit(&x, &y)?;
    // Gradient of the mean log-loss at the solution.
    let n = x.n_rows() as f64;
    let mut gradient = vec![0.0; x.n_cols() + 1];
    for (row, &label) in x.rows().zip(&y) {
        let residual = sigmoid(model.decision(row)) - f64::from(label);
        for (g, v) in gradient.iter_mut().zip(row.iter().chain([1.0].iter())) {
            *g += residual * v / n;
        }
    }
    let (mut zeros, mut active) = (0, 0);
    for (j, &w) in model.weights.iter().enumerate() {
        if w == 0.0 {
            zeros += 1;
            assert!(
                gradient[j].abs() <= lambda + 1e-6,
                "SNP {j}: |g| {}",
                gradient[j]
            );
        } else {
            active += 1;
            assert!((gradient[j] + lambda * w.signum()).abs() < 1e-6, "SNP {j}");
        }
    }
    assert!(
        gradient[x.n_cols()].abs() < 1e-6,
        "the intercept is unpenalised"
    );
    assert!(
        zeros > 0 && active > 0,
        "{zeros} zero and {active} active weights"
    );
    Ok(())
}

#[test]
fn sgd_approaches_the_l2_optimum_it_targets() -> Result<()> {
    // SGDClassifier minimises mean log-loss + alpha/2 ||w||^2: the deterministic solver
    // finds that optimum; SGD's objective must come close to it.
    let (x, y) = cohort(400, 8, 3)?;
    let alpha = 0.01;
    let exact = LogisticRegression::new(Penalty::L2(alpha));
    let optimum = exact.fit(&x, &y)?;
    let sgd = SgdLogistic {
        alpha,
        tol: None,
        max_iter: 30,
        seed: 4,
        ..SgdLogistic::default()
    };
    let model = sgd.fit(&x, &y)?;
    let gap = exact.objective(&model, &x, &y) - exact.objective(&optimum, &x, &y);
    assert!((0.0..2e-3).contains(&gap), "objective gap {gap}");
    Ok(())
}

#[test]
fn sgd_partial_fit_continues_the_counter() -> Result<()> {
    let (x, y) = cohort(50, 4, 5)?;
    let sgd = SgdLogistic::default();
    let mut state = sgd.start(x.n_cols());
    sgd.partial_fit(&mut state, &x, &y)?;
    sgd.partial_fit(&mut state, &x, &y)?;
    assert_eq!(state.t, 101.0);
    assert_eq!(state.epochs, 2);
    Ok(())
}

#[test]
fn dp_sgd_without_noise_or_clipping_is_plain_sgd_on_the_same_batches() -> Result<()> {
    let (x, y) = cohort(200, 10, 6)?;
    let config = DpSgd {
        sampling_rate: 0.1,
        noise_multiplier: 0.0,
        clip_norm: 1e12,
        learning_rate: 0.5,
        steps: 40,
        seed: 9,
    };
    let run = job::unattended(|job| config.train(&x, &y, job))?;
    // Plain mini-batch SGD with the sum divided by the expected batch size q N.
    let mut weights = vec![0.0; x.n_cols()];
    let mut intercept = 0.0;
    for batch in poisson_batches(x.n_rows(), 0.1, 40, 9) {
        let mut gradient = vec![0.0; x.n_cols()];
        let mut gradient_b = 0.0;
        for &i in &batch {
            let row = x.row(i);
            let z: f64 = row.iter().zip(&weights).map(|(a, b)| a * b).sum::<f64>() + intercept;
            let residual = sigmoid(z) - f64::from(y[i]);
            for (g, v) in gradient.iter_mut().zip(row) {
                *g += residual * v;
            }
            gradient_b += residual;
        }
        for (w, g) in weights.iter_mut().zip(&gradient) {
            *w -= 0.5 * g / 20.0;
        }
        intercept -= 0.5 * gradient_b / 20.0;
    }
    let mut expected = weights;
    expected.push(intercept);
    assert!(max_difference(&run.model, &expected) < 1e-12);
    assert_eq!(run.privacy.steps, 40);
    assert_eq!(run.batch_sizes.len(), 40);
    // Poisson batches: mean size near q N = 20 (sd of the mean over 40 steps ~ 0.67).
    let mean = run.batch_sizes.iter().sum::<usize>() as f64 / 40.0;
    assert!((mean - 20.0).abs() < 3.0, "mean batch {mean}");
    Ok(())
}

#[test]
fn dp_sgd_clips_every_gradient_and_adds_noise_of_the_stated_scale() -> Result<()> {
    let (x, y) = cohort(100, 2000, 7)?;
    // One step with sigma = 0: the update is at most lr * |B| * C / (q N).
    let clipped = DpSgd {
        sampling_rate: 0.1,
        noise_multiplier: 0.0,
        clip_norm: 0.01,
        learning_rate: 1.0,
        steps: 1,
        seed: 1,
    };
    let run = job::unattended(|job| clipped.train(&x, &y, job))?;
    let mut params = run.model.weights.clone();
    params.push(run.model.intercept);
    let norm = params.iter().map(|v| v * v).sum::<f64>().sqrt();
    let bound = run.batch_sizes[0] as f64 * 0.01 / 10.0;
    assert!(
        run.batch_sizes[0] > 0 && norm <= bound * (1.0 + 1e-9),
        "{norm} > {bound}"
    );
    // Noise dominating the clipped sum: the weights' spread is lr * sigma * C / (q N).
    let noisy = DpSgd {
        noise_multiplier: 1000.0,
        ..clipped
    };
    let run = job::unattended(|job| noisy.train(&x, &y, job))?;
    let n = run.model.weights.len() as f64;
    let mean = run.model.weights.iter().sum::<f64>() / n;
    let sd = (run
        .model
        .weights
        .iter()
        .map(|w| (w - mean).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    let expected = 1000.0 * 0.01 / 10.0;
    // Sample sd over 2000 draws: relative error ~ 1.6 %; the clipped sum adds < 1 %.
    assert!(
        (sd / expected - 1.0).abs() < 0.06,
        "sd {sd}, expected {expected}"
    );
    Ok(())
}

#[test]
fn fitting_rejects_bad_input() -> Result<()> {
    let (x, _) = cohort(10, 3, 8)?;
    let short = vec![0u8; 9];
    assert!(LogisticRegression::default().fit(&x, &short).is_err());
    let bad_labels = vec![2u8; 10];
    assert!(LogisticRegression::default().fit(&x, &bad_labels).is_err());
    assert!(
        SgdLogistic {
            alpha: 0.0,
            ..SgdLogistic::default()
        }
        .fit(&x, &[0; 10])
        .is_err()
    );
    Ok(())
}

/// The audit stops its fits at a looser tolerance than the default: the per-record
/// losses the attacks read must then stay far closer to the exact optimum's than
/// two reference models trained on different halves are to each other.
#[test]
fn audit_tolerance_moves_losses_far_less_than_the_reference_spread() -> Result<()> {
    use genopriv_core::study::audit::AUDIT_FIT_TOLERANCE;
    let (x, y) = cohort(400, 1_000, 17)?;
    let p = x.n_cols();
    let half = x.n_rows() / 2;
    let part = |rows: std::ops::Range<usize>| -> Result<(Features, Vec<u8>)> {
        let values = x.values()[rows.start * p..rows.end * p].to_vec();
        Ok((
            Features::from_row_major(rows.len(), p, values)?,
            y[rows].to_vec(),
        ))
    };
    let (xa, ya) = part(0..half)?;
    let (xb, yb) = part(half..x.n_rows())?;
    let fit = |tol: f64, x: &Features, y: &[u8]| {
        LogisticRegression {
            tol,
            ..LogisticRegression::new(Penalty::L1(0.01))
        }
        .fit(x, y)
    };
    let loose = fit(AUDIT_FIT_TOLERANCE, &xa, &ya)?;
    let exact = fit(1e-11, &xa, &ya)?;
    let other = fit(1e-11, &xb, &yb)?;
    let loss = |m: &LogisticModel, row: &[f64], label: u8| {
        let p = sigmoid(m.decision(row));
        -if label == 1 { p.ln() } else { (1.0 - p).ln() }
    };
    let mut tolerance_shift: f64 = 0.0;
    let mut reference_spread = 0.0;
    for (row, &label) in x.rows().zip(&y) {
        let e = loss(&exact, row, label);
        tolerance_shift = tolerance_shift.max((loss(&loose, row, label) - e).abs());
        reference_spread += (loss(&other, row, label) - e).abs();
    }
    reference_spread /= x.n_rows() as f64;
    assert!(
        tolerance_shift < 0.01 * reference_spread,
        "largest loss shift {tolerance_shift} vs mean reference spread {reference_spread}"
    );
    Ok(())
}
