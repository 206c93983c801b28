//! Per-sample SGD on the log-loss, following scikit-learn's
//! `SGDClassifier(loss="log_loss")` defaults so that published set-ups that use it
//! (spec audits §9) can be re-run.
//!
//! Matched: L2 penalty `alpha = 1e-4` applied as a multiplicative shrink
//! `w *= max(0, 1 - eta * alpha)` before each sample's gradient step; the
//! intercept is not shrunk; `learning_rate="optimal"`:
//! `eta_t = 1 / (alpha * (t0 + t - 1))` with `t` starting at 1 and
//! `t0 = 1 / (typw * alpha)`, `typw = sqrt(1 / sqrt(alpha))` (the log-loss
//! derivative at `-typw` is below 1, so scikit-learn's `max(1, dloss)` is 1);
//! the derivative is `-y / (exp(y p) + 1)` with `y` in {-1, +1}, taking its
//! asymptotes beyond |y p| > 18; stopping after `n_iter_no_change = 5` epochs whose
//! summed training loss fails to improve the best by `tol * n` (`tol = 1e-3`,
//! `max_iter = 1000`); `partial_fit` runs one epoch and keeps `t`.
//! Not matched: the shuffling permutation (NumPy's generator), so results agree
//! with scikit-learn in distribution, not bit for bit.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{Features, Fit, LogisticModel, check_training_data, dot, log_loss_from_logit};
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq)]
pub struct SgdLogistic {
    pub alpha: f64,
    pub max_iter: usize,
    /// `None` disables the loss-based stopping rule (then `max_iter` epochs always run).
    pub tol: Option<f64>,
    pub n_iter_no_change: usize,
    pub fit_intercept: bool,
    pub shuffle: bool,
    pub seed: u64,
}

impl Default for SgdLogistic {
    fn default() -> Self {
        Self {
            alpha: 1e-4,
            max_iter: 1000,
            tol: Some(1e-3),
            n_iter_no_change: 5,
            fit_intercept: true,
            shuffle: true,
            seed: 0,
        }
    }
}

/// A model being trained: the weights, scikit-learn's sample counter `t_` and the
/// shuffling generator, so that `partial_fit` calls continue where they stopped.
#[derive(Clone, Debug)]
pub struct SgdState {
    pub model: LogisticModel,
    /// Starts at 1 and grows by one per sample seen (scikit-learn's `t_`).
    pub t: f64,
    pub epochs: usize,
    /// False when `fit` hit `max_iter` before the stopping rule fired.
    pub converged: bool,
    rng: ChaCha8Rng,
}

impl SgdLogistic {
    /// scikit-learn's `optimal_init` (t0): the offset that makes the first step size
    /// equal `typw = sqrt(1 / sqrt(alpha))`.
    pub fn optimal_init(&self) -> f64 {
        let typw = (1.0 / self.alpha.sqrt()).sqrt();
        1.0 / (typw * self.alpha)
    }

    /// The step size used for the sample with counter `t` (t >= 1).
    pub fn learning_rate(&self, t: f64) -> f64 {
        1.0 / (self.alpha * (self.optimal_init() + t - 1.0))
    }

    /// A fresh state with zero weights (scikit-learn's first `partial_fit`).
    pub fn start(&self, n_features: usize) -> SgdState {
        SgdState {
            model: LogisticModel::zeros(n_features),
            t: 1.0,
            epochs: 0,
            converged: false,
            rng: ChaCha8Rng::seed_from_u64(self.seed),
        }
    }

    fn check_parameters(&self) -> Result<()> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(Error::Parameter(format!(
                "SGD alpha must be > 0 (the optimal learning rate divides by it), got {}",
                self.alpha
            )));
        }
        if self.max_iter == 0 || self.n_iter_no_change == 0 {
            return Err(Error::Parameter(
                "SGD needs max_iter >= 1 and n_iter_no_change >= 1".into(),
            ));
        }
        Ok(())
    }

    /// One epoch over `x` (scikit-learn `partial_fit`); returns the summed loss of the
    /// samples, each measured before its own update.
    pub fn partial_fit(&self, state: &mut SgdState, x: &Features, y: &[u8]) -> Result<f64> {
        check_training_data(x, y)?;
        self.check_parameters()?;
        state.model.check_features(x)?;
        let mut order: Vec<usize> = (0..x.n_rows()).collect();
        if self.shuffle {
            order.shuffle(&mut state.rng);
        }
        let mut summed_loss = 0.0;
        for index in order {
            let (row, label) = (x.row(index), y.get(index).copied().unwrap_or(0));
            let sign = if label == 1 { 1.0 } else { -1.0 };
            let p = dot(&state.model.weights, row) + state.model.intercept;
            summed_loss += log_loss_from_logit(p, label);
            let eta = self.learning_rate(state.t);
            let update = -eta * log_loss_derivative(p, sign);
            let shrink = (1.0 - eta * self.alpha).max(0.0);
            for (w, &value) in state.model.weights.iter_mut().zip(row) {
                *w = *w * shrink + update * value;
            }
            if self.fit_intercept {
                state.model.intercept += update;
            }
            state.t += 1.0;
        }
        state.epochs += 1;
        Ok(summed_loss)
    }

    /// Trains from zero weights for up to `max_iter` epochs with the stopping rule.
    pub fn fit_state(&self, x: &Features, y: &[u8]) -> Result<SgdState> {
        check_training_data(x, y)?;
        self.check_parameters()?;
        let mut state = self.start(x.n_cols());
        let mut best_loss = f64::INFINITY;
        let mut epochs_without_improvement = 0;
        for _ in 0..self.max_iter {
            let summed_loss = self.partial_fit(&mut state, x, y)?;
            if !summed_loss.is_finite() {
                return Err(Error::Parameter(
                    "SGD diverged (the training loss is not finite); raise alpha".into(),
                ));
            }
            if let Some(tol) = self.tol {
                if summed_loss > best_loss - tol * x.n_rows() as f64 {
                    epochs_without_improvement += 1;
                } else {
                    epochs_without_improvement = 0;
                }
                best_loss = best_loss.min(summed_loss);
                if epochs_without_improvement >= self.n_iter_no_change {
                    state.converged = true;
                    break;
                }
            }
        }
        if self.tol.is_none() {
            state.converged = true;
        }
        Ok(state)
    }
}

/// d loss / d p for labels in {-1, +1}, as scikit-learn's `Log.dloss`.
fn log_loss_derivative(p: f64, sign: f64) -> f64 {
    let z = p * sign;
    if z > 18.0 {
        -sign * (-z).exp()
    } else if z < -18.0 {
        -sign
    } else {
        -sign / (z.exp() + 1.0)
    }
}

impl Fit for SgdLogistic {
    type Model = LogisticModel;

    /// Fails if the stopping rule did not fire within `max_iter` epochs (where
    /// scikit-learn warns with a `ConvergenceWarning`).
    fn fit(&self, x: &Features, y: &[u8]) -> Result<LogisticModel> {
        let state = self.fit_state(x, y)?;
        if state.converged {
            Ok(state.model)
        } else {
            Err(Error::Parameter(format!(
                "SGD did not meet its stopping rule within {} epochs; raise max_iter",
                self.max_iter
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_matches_the_sklearn_formula() {
        let sgd = SgdLogistic::default();
        // typw = sqrt(1/sqrt(1e-4)) = 10, t0 = 1/(10 * 1e-4) = 1000.
        assert!((sgd.optimal_init() - 1000.0).abs() < 1e-9);
        // The first step equals typw; afterwards 1/(alpha (t0 + t - 1)).
        assert!((sgd.learning_rate(1.0) - 10.0).abs() < 1e-9);
        assert!((sgd.learning_rate(1001.0) - 5.0).abs() < 1e-9);
        let other = SgdLogistic {
            alpha: 0.01,
            ..SgdLogistic::default()
        };
        // typw = sqrt(10), t0 = 100 / sqrt(10).
        assert!((other.optimal_init() - 100.0 / 10f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn one_epoch_by_hand() -> Result<()> {
        // Two samples, no shuffling: replay the update rule with literal numbers.
        let sgd = SgdLogistic {
            shuffle: false,
            ..SgdLogistic::default()
        };
        let x = Features::from_rows(&[vec![1.0, 0.0], vec![0.0, 2.0]])?;
        let mut state = sgd.start(2);
        sgd.partial_fit(&mut state, &x, &[1, 0])?;
        // Sample 1: p = 0, y = +1, dloss = -1/2, eta = 10, update = 5.
        let (w0, b0) = (5.0, 5.0);
        // Sample 2: p = b0 = 5, y = -1, dloss = 1/(e^-5 + 1), eta = 1/(1e-4 * 1001).
        let eta = 1.0 / (1e-4 * 1001.0);
        let update = -eta / ((-5.0f64).exp() + 1.0);
        let shrink = 1.0 - eta * 1e-4;
        assert!((state.model.weights[0] - w0 * shrink).abs() < 1e-12);
        assert!((state.model.weights[1] - 2.0 * update).abs() < 1e-12);
        assert!((state.model.intercept - (b0 + update)).abs() < 1e-12);
        assert_eq!(state.t, 3.0);
        Ok(())
    }
}
