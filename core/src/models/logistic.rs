//! Penalised logistic regression fitted by accelerated proximal gradient (FISTA with
//! backtracking and adaptive restart).
//!
//! Objective: mean log-loss + penalty on the weights (never on the intercept):
//! `L2(l)` adds `l/2 * ||w||^2`, `L1(l)` adds `l * ||w||_1` (a Lasso; its proximal
//! step is soft thresholding, which yields exact zeros).

use super::{
    Features, Fit, LogisticModel, add_scaled, check_training_data, dot, log_loss_from_logit,
    sigmoid,
};
use crate::error::{Error, Result};
use crate::job::Job;

/// Iterations between two looks at the cancel token: a few milliseconds of work.
const CANCEL_CHECK_EVERY: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Penalty {
    None,
    L2(f64),
    L1(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogisticRegression {
    pub penalty: Penalty,
    pub fit_intercept: bool,
    /// Iteration cap; not converging within it is an error, never a silent result.
    pub max_iter: usize,
    /// Converged when no coordinate of `[w; b]` moves more than `tol * max(1, |[w; b]|_inf)`.
    pub tol: f64,
}

impl Default for LogisticRegression {
    fn default() -> Self {
        Self {
            penalty: Penalty::L2(1e-2),
            fit_intercept: true,
            max_iter: 20_000,
            tol: 1e-9,
        }
    }
}

impl LogisticRegression {
    pub fn new(penalty: Penalty) -> Self {
        Self {
            penalty,
            ..Self::default()
        }
    }

    fn check_parameters(&self) -> Result<()> {
        let strength = match self.penalty {
            Penalty::None => 0.0,
            Penalty::L2(l) | Penalty::L1(l) => l,
        };
        if !(strength.is_finite() && strength >= 0.0) {
            return Err(Error::Parameter(format!(
                "the penalty strength must be a finite number >= 0, got {strength}"
            )));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) || self.max_iter == 0 {
            return Err(Error::Parameter(
                "logistic regression needs tol > 0 and max_iter >= 1".into(),
            ));
        }
        Ok(())
    }

    /// The penalised objective the fit minimises (for tests and diagnostics).
    pub fn objective(&self, model: &LogisticModel, x: &Features, y: &[u8]) -> f64 {
        let n = x.n_rows().max(1) as f64;
        let data_term = x
            .rows()
            .zip(y)
            .map(|(row, &label)| log_loss_from_logit(model.decision(row), label))
            .sum::<f64>()
            / n;
        data_term + self.penalty_value(&model.weights)
    }

    fn penalty_value(&self, weights: &[f64]) -> f64 {
        self.smooth_penalty(weights) + self.nonsmooth_penalty(weights)
    }

    /// The L1 part of the penalty, handled by the proximal step.
    fn nonsmooth_penalty(&self, weights: &[f64]) -> f64 {
        match self.penalty {
            Penalty::L1(l) => l * weights.iter().map(|w| w.abs()).sum::<f64>(),
            Penalty::None | Penalty::L2(_) => 0.0,
        }
    }

    /// The differentiable part of the penalty.
    fn smooth_penalty(&self, weights: &[f64]) -> f64 {
        match self.penalty {
            Penalty::L2(l) => 0.5 * l * weights.iter().map(|w| w * w).sum::<f64>(),
            Penalty::None | Penalty::L1(_) => 0.0,
        }
    }

    /// Smooth part of the objective at `params = [w; b]`.
    fn smooth_value(&self, params: &[f64], x: &Features, y: &[u8]) -> f64 {
        let (weights, intercept) = split_params(params, x.n_cols());
        let loss: f64 = x
            .rows()
            .zip(y)
            .map(|(row, &label)| log_loss_from_logit(dot(weights, row) + intercept, label))
            .sum();
        loss / x.n_rows() as f64 + self.smooth_penalty(weights)
    }

    /// Smooth part of the objective and its gradient at `params = [w; b]`.
    fn smooth_value_and_gradient(
        &self,
        params: &[f64],
        x: &Features,
        y: &[u8],
        gradient: &mut [f64],
    ) -> f64 {
        let p = x.n_cols();
        let n = x.n_rows() as f64;
        let (weights, intercept) = split_params(params, p);
        gradient.iter_mut().for_each(|g| *g = 0.0);
        let mut loss = 0.0;
        for (row, &label) in x.rows().zip(y) {
            let z = dot(weights, row) + intercept;
            loss += log_loss_from_logit(z, label);
            let residual = sigmoid(z) - f64::from(label);
            add_scaled(gradient, residual, row);
            if let Some(g_b) = gradient.get_mut(p) {
                *g_b += residual;
            }
        }
        gradient.iter_mut().for_each(|g| *g /= n);
        if !self.fit_intercept
            && let Some(g_b) = gradient.get_mut(p)
        {
            *g_b = 0.0;
        }
        if let Penalty::L2(l) = self.penalty {
            for (g, w) in gradient.iter_mut().zip(weights) {
                *g += l * w;
            }
        }
        loss / n + self.smooth_penalty(weights)
    }

    /// Proximal step for the non-smooth part (soft thresholding for L1).
    fn prox(&self, params: &mut [f64], step: f64) {
        if let Penalty::L1(l) = self.penalty {
            let p = params.len().saturating_sub(1);
            for w in params.iter_mut().take(p) {
                *w = w.signum() * (w.abs() - step * l).max(0.0);
            }
        }
    }
}

fn split_params(params: &[f64], p: usize) -> (&[f64], f64) {
    let (weights, rest) = params.split_at(p.min(params.len()));
    (weights, rest.first().copied().unwrap_or(0.0))
}

impl Fit for LogisticRegression {
    type Model = LogisticModel;

    fn fit(&self, x: &Features, y: &[u8]) -> Result<LogisticModel> {
        self.fit_with(x, y, &|| Ok(()))
    }
}

impl LogisticRegression {
    /// [`Fit::fit`] that stops with [`Error::Cancelled`] soon after the job is
    /// cancelled: a Lasso fit on thousands of SNPs can take minutes.
    pub fn fit_cancellable(&self, x: &Features, y: &[u8], job: Job<'_>) -> Result<LogisticModel> {
        self.fit_with(x, y, &|| job.check_cancelled())
    }

    /// With an intercept, the columns are centred first and the intercept mapped back
    /// afterwards (`b = b_c - w . mean`): an exact reparametrisation, since the
    /// intercept is unpenalised, that removes the large mean eigenvalue of 0/1/2
    /// genotypes and so speeds up convergence many times.
    fn fit_with(
        &self,
        x: &Features,
        y: &[u8],
        cancelled: &dyn Fn() -> Result<()>,
    ) -> Result<LogisticModel> {
        check_training_data(x, y)?;
        self.check_parameters()?;
        if !self.fit_intercept {
            return self.fit_prepared(x, y, cancelled);
        }
        let p = x.n_cols();
        let mut means = vec![0.0; p];
        for row in x.rows() {
            add_scaled(&mut means, 1.0 / x.n_rows() as f64, row);
        }
        let mut centred = x.values().to_vec();
        for row in centred.chunks_exact_mut(p.max(1)) {
            add_scaled(row, -1.0, &means);
        }
        let centred = Features::from_row_major(x.n_rows(), p, centred)?;
        let mut model = self.fit_prepared(&centred, y, cancelled)?;
        model.intercept -= dot(&model.weights, &means);
        Ok(model)
    }

    fn fit_prepared(
        &self,
        x: &Features,
        y: &[u8],
        cancelled: &dyn Fn() -> Result<()>,
    ) -> Result<LogisticModel> {
        let p = x.n_cols();
        let dim = p + 1;
        let mut current = vec![0.0; dim];
        let mut previous = current.clone();
        let mut extrapolated = current.clone();
        let mut gradient = vec![0.0; dim];
        let mut candidate = vec![0.0; dim];
        let mut lipschitz = 1.0;
        let mut momentum: f64 = 1.0;
        let mut last_objective = f64::INFINITY;
        for iteration in 0..self.max_iter {
            if iteration % CANCEL_CHECK_EVERY == 0 {
                cancelled()?;
            }
            let smooth_at_y = self.smooth_value_and_gradient(&extrapolated, x, y, &mut gradient);
            // Backtracking: grow L until the quadratic upper bound holds at the candidate.
            let smooth_at_candidate = loop {
                let step = 1.0 / lipschitz;
                for ((c, &y_k), &g) in candidate.iter_mut().zip(&extrapolated).zip(&gradient) {
                    *c = y_k - step * g;
                }
                self.prox(&mut candidate, step);
                let smooth_at_candidate = self.smooth_value(&candidate, x, y);
                let mut linear = 0.0;
                let mut squared = 0.0;
                for ((c, y_k), g) in candidate.iter().zip(&extrapolated).zip(&gradient) {
                    let d = c - y_k;
                    linear += g * d;
                    squared += d * d;
                }
                let bound = smooth_at_y + linear + 0.5 * lipschitz * squared;
                if smooth_at_candidate <= bound + 1e-12 * bound.abs() || lipschitz > 1e15 {
                    break smooth_at_candidate;
                }
                lipschitz *= 2.0;
            };
            previous.clone_from(&current);
            current.clone_from(&candidate);
            let (weights, _) = split_params(&current, p);
            let objective = smooth_at_candidate + self.nonsmooth_penalty(weights);
            // Adaptive restart (O'Donoghue & Candes): drop momentum when the objective rises.
            if objective > last_objective {
                momentum = 1.0;
            }
            last_objective = objective;
            let scale = current.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
            let change = current
                .iter()
                .zip(&previous)
                .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
            if change <= self.tol * scale {
                let (weights, intercept) = split_params(&current, p);
                return Ok(LogisticModel {
                    weights: weights.to_vec(),
                    intercept,
                });
            }
            let next_momentum = 0.5 * (1.0 + (1.0 + 4.0 * momentum * momentum).sqrt());
            let beta = (momentum - 1.0) / next_momentum;
            for ((e, &c), &prev) in extrapolated.iter_mut().zip(&current).zip(&previous) {
                *e = c + beta * (c - prev);
            }
            momentum = next_momentum;
        }
        Err(Error::Parameter(format!(
            "logistic regression did not converge within {} iterations; raise max_iter or the \
             penalty (unpenalised fits on separable data have no finite solution)",
            self.max_iter
        )))
    }
}
