//! Binary classifiers that the audits attack: logistic regression (L2 or L1), an
//! SGD classifier that follows scikit-learn's `SGDClassifier(loss="log_loss")`, the
//! DP-MIA study's small 1-D CNN, DP-SGD training with the parameters an accountant
//! needs, and FedAvg over SGD clients. [`Classifier`] is what the attacks see of any
//! of them: logits (black box) and per-example gradients (white box).
//!
//! Labels are `0`/`1` (`1` = case, the positive class). Features are dense `f64`
//! rows built from a [`GenotypeMatrix`] with missing calls imputed by the SNP mean.

pub mod cnn;
pub mod dpsgd;
pub mod features;
pub mod fedavg;
pub mod logistic;
pub mod sgd;

pub use cnn::{CnnArchitecture, CnnModel, CnnTraining};
pub use dpsgd::{DpSgd, DpSgdModel, DpSgdRun, poisson_batches};
pub use features::Features;
pub use fedavg::{ClientData, FedAvg, FederatedRun, RoundView};
pub use logistic::{LogisticRegression, Penalty};
pub use sgd::SgdLogistic;

use crate::error::{Error, Result};

/// A training algorithm (linfa style): configuration in `self`, data in, model out.
pub trait Fit {
    type Model;
    fn fit(&self, x: &Features, y: &[u8]) -> Result<Self::Model>;
}

/// A fitted binary classifier that outputs P(y = 1 | x).
pub trait Predict {
    fn predict_proba(&self, x: &Features) -> Vec<f64>;
}

/// A trained binary classifier as an attacker queries it. The output is a logit
/// `z` with P(y = 1 | x) = sigmoid(z), and the loss is the log-loss of that logit.
pub trait Classifier: Sync {
    /// The number of input features the model expects.
    fn n_inputs(&self) -> usize;

    /// The logit of one row (inference mode: no dropout).
    fn logit(&self, row: &[f64]) -> f64;

    /// The gradient of one example's log-loss with respect to every parameter, in
    /// inference mode (what a white-box attacker computes).
    fn loss_gradient(&self, row: &[f64], label: u8) -> Vec<f64>;

    /// Logits of every row.
    fn logits(&self, x: &Features) -> Vec<f64> {
        x.rows().map(|row| self.logit(row)).collect()
    }

    /// P(y = 1 | x) of every row.
    fn probabilities(&self, x: &Features) -> Vec<f64> {
        self.logits(x).into_iter().map(sigmoid).collect()
    }

    /// Per-example log-loss -ln P(y | x).
    fn example_losses(&self, x: &Features, y: &[u8]) -> Vec<f64> {
        self.logits(x)
            .into_iter()
            .zip(y)
            .map(|(z, &label)| log_loss_from_logit(z, label))
            .collect()
    }

    /// Checks that the data have as many features as the model expects.
    fn check_inputs(&self, x: &Features) -> Result<()> {
        if x.n_cols() == self.n_inputs() {
            Ok(())
        } else {
            Err(Error::Mismatch(format!(
                "the model has {} features but the data have {}",
                self.n_inputs(),
                x.n_cols()
            )))
        }
    }
}

impl Classifier for LogisticModel {
    fn n_inputs(&self) -> usize {
        self.weights.len()
    }

    fn logit(&self, row: &[f64]) -> f64 {
        self.decision(row)
    }

    fn loss_gradient(&self, row: &[f64], label: u8) -> Vec<f64> {
        self.example_gradient(row, label)
    }
}

/// A linear logistic model: P(y = 1 | x) = sigmoid(w . x + b).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogisticModel {
    pub weights: Vec<f64>,
    pub intercept: f64,
}

impl LogisticModel {
    pub fn zeros(n_features: usize) -> Self {
        Self {
            weights: vec![0.0; n_features],
            intercept: 0.0,
        }
    }

    /// The logit w . x + b of one row.
    pub fn decision(&self, row: &[f64]) -> f64 {
        dot(&self.weights, row) + self.intercept
    }

    /// Logits of every row.
    pub fn decisions(&self, x: &Features) -> Vec<f64> {
        x.rows().map(|row| self.decision(row)).collect()
    }

    /// Per-example log-loss -ln P(y | x), computed from the logit without overflow.
    pub fn losses(&self, x: &Features, y: &[u8]) -> Vec<f64> {
        x.rows()
            .zip(y)
            .map(|(row, &label)| log_loss_from_logit(self.decision(row), label))
            .collect()
    }

    /// The gradient of one example's log-loss with respect to `[w; b]`:
    /// `(p - y) * [x; 1]` (spec audits §3.5).
    pub fn example_gradient(&self, row: &[f64], label: u8) -> Vec<f64> {
        let residual = sigmoid(self.decision(row)) - f64::from(label);
        let mut gradient: Vec<f64> = row.iter().map(|&value| residual * value).collect();
        gradient.push(residual);
        gradient
    }

    /// Checks that the model and the data have the same number of features.
    pub fn check_features(&self, x: &Features) -> Result<()> {
        if x.n_cols() == self.weights.len() {
            Ok(())
        } else {
            Err(Error::Mismatch(format!(
                "the model has {} features but the data have {}",
                self.weights.len(),
                x.n_cols()
            )))
        }
    }
}

impl Predict for LogisticModel {
    fn predict_proba(&self, x: &Features) -> Vec<f64> {
        x.rows().map(|row| sigmoid(self.decision(row))).collect()
    }
}

/// Numerically safe logistic function.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + e^z) without overflow.
pub fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// -ln P(y | logit z) for a logistic model.
pub fn log_loss_from_logit(z: f64, label: u8) -> f64 {
    if label == 1 {
        softplus(-z)
    } else {
        softplus(z)
    }
}

/// Dot product over the common length. Written as an index loop because tests run
/// our crate unoptimised, where iterator adaptors cost several times more.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut sum = 0.0;
    for i in 0..n {
        sum += a[i] * b[i];
    }
    sum
}

/// `target += factor * source` over the common length (index loop, as [`dot`]).
pub(crate) fn add_scaled(target: &mut [f64], factor: f64, source: &[f64]) {
    let n = target.len().min(source.len());
    let (target, source) = (&mut target[..n], &source[..n]);
    for i in 0..n {
        target[i] += factor * source[i];
    }
}

/// Checks the shapes common to every `fit`: as many labels as rows, labels 0/1, at
/// least one row.
pub(crate) fn check_training_data(x: &Features, y: &[u8]) -> Result<()> {
    if x.n_rows() != y.len() {
        return Err(Error::Mismatch(format!(
            "{} feature rows but {} labels",
            x.n_rows(),
            y.len()
        )));
    }
    if x.n_rows() == 0 {
        return Err(Error::Parameter("cannot fit a model on zero rows".into()));
    }
    if let Some(position) = y.iter().position(|&label| label > 1) {
        return Err(Error::Parameter(format!(
            "label {} at row {} is not 0 or 1",
            y[position],
            position + 1
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_is_stable_for_extreme_logits() {
        assert!((log_loss_from_logit(800.0, 0) - 800.0).abs() < 1e-9);
        assert!(log_loss_from_logit(800.0, 1) < 1e-300);
        assert!((log_loss_from_logit(0.0, 1) - std::f64::consts::LN_2).abs() < 1e-15);
        assert!((sigmoid(-800.0)).abs() < 1e-300);
    }
}
