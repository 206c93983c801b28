//! The DP-MIA study's small 1-D convolutional network (spec audits §8.3), on plain
//! `Vec<f64>`:
//!
//! `Conv1D(k kernels of size s, 'same' padding, ReLU, L1 on the kernel weights)`
//! -> `AveragePooling1D(2)` -> `Dropout(rate)` (training only) -> `Flatten`
//! -> `Dense(1)`, whose output is a **logit**: the loss is the log-loss of
//! sigmoid(logit), not the study's sigmoid-then-`from_logits=True` double sigmoid.
//!
//! Layout follows Keras (channels last): 'same' padding puts `(s - 1) / 2` zeros
//! before the sequence and the rest after it; pooling drops a trailing odd
//! position; the flattened index of (position `u`, kernel `c`) is `u * k + c`.
//! Initialisation is Keras' default: Glorot-uniform weights, zero biases.
//!
//! Non-private training ([`CnnTraining`]) is mini-batch Adam (Keras defaults
//! beta1 0.9, beta2 0.999, epsilon 1e-7) over shuffled batches, the gradient being
//! the batch mean plus the L1 subgradient `l1 * sign(w)`. Private training is
//! [`crate::models::DpSgd::train_model`] with this model as a [`DpSgdModel`].

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    Classifier, DpSgdModel, Features, Fit, Predict, add_scaled, check_training_data, dot, sigmoid,
};
use crate::error::{Error, Result};
use crate::job::{self, Job};

/// The network's shape and regularisation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CnnArchitecture {
    /// k: the number of convolution kernels.
    pub kernels: usize,
    /// s: the width of each kernel.
    pub kernel_size: usize,
    /// The fraction of pooled activations dropped during training, in [0, 1).
    pub dropout: f64,
    /// lambda of the L1 penalty `lambda * sum |kernel weight|` (biases and the dense
    /// layer are not penalised, as Keras' `kernel_regularizer` on the Conv1D).
    pub l1: f64,
}

impl Default for CnnArchitecture {
    /// The DP-MIA study's MIA scripts: 8 kernels of size 5, dropout 0.25, L1 0.001352.
    fn default() -> Self {
        Self {
            kernels: 8,
            kernel_size: 5,
            dropout: 0.25,
            l1: 0.001_352,
        }
    }
}

impl CnnArchitecture {
    fn check(&self, n_inputs: usize) -> Result<()> {
        if self.kernels == 0 || self.kernel_size == 0 {
            return Err(Error::Parameter(format!(
                "a CNN needs at least one kernel of width at least 1; got {} kernels of width {}",
                self.kernels, self.kernel_size
            )));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::Parameter(format!(
                "the dropout rate must be in [0, 1), got {}",
                self.dropout
            )));
        }
        if !(self.l1.is_finite() && self.l1 >= 0.0) {
            return Err(Error::Parameter(format!(
                "the L1 penalty must be a finite number >= 0, got {}",
                self.l1
            )));
        }
        if n_inputs < 2 {
            return Err(Error::Parameter(format!(
                "a CNN with 2-wide pooling needs at least 2 features, got {n_inputs}"
            )));
        }
        Ok(())
    }
}

/// A CNN with its parameters in one flat vector:
/// `[kernel weights (k x s, kernel-major); kernel biases (k); dense weights
/// (floor(L / 2) x k, flattened channels last); dense bias]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CnnModel {
    architecture: CnnArchitecture,
    n_inputs: usize,
    parameters: Vec<f64>,
}

/// The activations of one forward pass, kept for the backward pass.
struct Forward {
    /// Pre-activations of the convolution, kernel-major: `pre[c * L + t]`.
    pre: Vec<f64>,
    /// The flattened pooled activations after dropout (`u * k + c`).
    flat: Vec<f64>,
    /// The dropout multipliers (0 or 1 / (1 - rate)), `None` in inference.
    mask: Option<Vec<f64>>,
    logit: f64,
}

impl CnnModel {
    /// A freshly initialised network for rows of `n_inputs` features.
    pub fn new(n_inputs: usize, architecture: CnnArchitecture, seed: u64) -> Result<Self> {
        architecture.check(n_inputs)?;
        let k = architecture.kernels;
        let s = architecture.kernel_size;
        let dense_inputs = (n_inputs / 2) * k;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Glorot uniform: limit sqrt(6 / (fan_in + fan_out)); Keras' Conv1D fans are
        // s * in_channels and s * k.
        let conv_limit = (6.0 / (s + s * k) as f64).sqrt();
        let dense_limit = (6.0 / (dense_inputs + 1) as f64).sqrt();
        let mut parameters = Vec::with_capacity(k * s + k + dense_inputs + 1);
        parameters.extend((0..k * s).map(|_| rng.random_range(-conv_limit..conv_limit)));
        parameters.extend(std::iter::repeat_n(0.0, k));
        parameters.extend((0..dense_inputs).map(|_| rng.random_range(-dense_limit..dense_limit)));
        parameters.push(0.0);
        Ok(Self {
            architecture,
            n_inputs,
            parameters,
        })
    }

    pub fn architecture(&self) -> &CnnArchitecture {
        &self.architecture
    }

    /// The flat parameter vector (layout in the type's documentation).
    pub fn parameters(&self) -> &[f64] {
        &self.parameters
    }

    /// Mutable parameters, for tests that probe the gradient numerically.
    pub fn parameters_mut(&mut self) -> &mut [f64] {
        &mut self.parameters
    }

    fn pooled_len(&self) -> usize {
        self.n_inputs / 2
    }

    fn kernel_weights_len(&self) -> usize {
        self.architecture.kernels * self.architecture.kernel_size
    }

    /// `(kernel weights, kernel biases, dense weights, dense bias)`.
    fn split(&self) -> (&[f64], &[f64], &[f64], f64) {
        let k = self.architecture.kernels;
        let (kernel, rest) = self.parameters.split_at(self.kernel_weights_len());
        let (bias, rest) = rest.split_at(k.min(rest.len()));
        let (dense, rest) = rest.split_at(rest.len().saturating_sub(1));
        (kernel, bias, dense, rest.first().copied().unwrap_or(0.0))
    }

    /// The L1 penalty of the kernel weights.
    pub fn penalty(&self) -> f64 {
        let (kernel, ..) = self.split();
        self.architecture.l1 * kernel.iter().map(|w| w.abs()).sum::<f64>()
    }

    /// For kernel offset `j`, the output positions `t` whose input `t + j - left`
    /// lies inside the row ('same' zero padding).
    fn valid_positions(&self, j: usize) -> std::ops::Range<usize> {
        let left = (self.architecture.kernel_size - 1) / 2;
        let start = left.saturating_sub(j);
        let end = (self.n_inputs + left).saturating_sub(j).min(self.n_inputs);
        start..end.max(start)
    }

    fn forward(&self, row: &[f64], dropout_key: Option<u64>) -> Forward {
        let k = self.architecture.kernels;
        let s = self.architecture.kernel_size;
        let length = self.n_inputs;
        let left = (s - 1) / 2;
        let pooled_len = self.pooled_len();
        let (kernel, bias, dense, dense_bias) = self.split();
        let mut pre = vec![0.0; k * length];
        for c in 0..k {
            let channel = &mut pre[c * length..(c + 1) * length];
            channel.fill(bias.get(c).copied().unwrap_or(0.0));
            for j in 0..s {
                let weight = kernel.get(c * s + j).copied().unwrap_or(0.0);
                let positions = self.valid_positions(j);
                let input_start = positions.start + j - left;
                let input_end = positions.end + j - left;
                if let (Some(out), Some(input)) =
                    (channel.get_mut(positions), row.get(input_start..input_end))
                {
                    add_scaled(out, weight, input);
                }
            }
        }
        let mut flat = vec![0.0; pooled_len * k];
        for c in 0..k {
            let channel = &pre[c * length..(c + 1) * length];
            for (u, pair) in channel.chunks_exact(2).take(pooled_len).enumerate() {
                flat[u * k + c] = 0.5 * (pair[0].max(0.0) + pair[1].max(0.0));
            }
        }
        let rate = self.architecture.dropout;
        let mask = match dropout_key {
            Some(key) if rate > 0.0 => {
                let mut rng = ChaCha8Rng::seed_from_u64(key);
                let keep = 1.0 / (1.0 - rate);
                let mask: Vec<f64> = (0..flat.len())
                    .map(|_| {
                        if rng.random::<f64>() < rate {
                            0.0
                        } else {
                            keep
                        }
                    })
                    .collect();
                for (value, m) in flat.iter_mut().zip(&mask) {
                    *value *= m;
                }
                Some(mask)
            }
            _ => None,
        };
        let logit = dot(dense, &flat) + dense_bias;
        Forward {
            pre,
            flat,
            mask,
            logit,
        }
    }

    /// The gradient of the log-loss of one example (no penalty) after `forward`.
    fn backward(&self, row: &[f64], label: u8, forward: &Forward) -> Vec<f64> {
        let k = self.architecture.kernels;
        let s = self.architecture.kernel_size;
        let length = self.n_inputs;
        let left = (s - 1) / 2;
        let (_, _, dense, _) = self.split();
        let residual = sigmoid(forward.logit) - f64::from(label);
        let mut gradient = vec![0.0; self.parameters.len()];
        let dense_start = k * s + k;
        let (conv_gradient, dense_gradient) = gradient.split_at_mut(dense_start);
        // Dense layer: d logit / d v = the (dropped) pooled activations.
        for (g, &a) in dense_gradient.iter_mut().zip(&forward.flat) {
            *g = residual * a;
        }
        if let Some(g_b) = dense_gradient.last_mut() {
            *g_b = residual;
        }
        // Back through dropout, pooling (each of the two inputs gets half) and ReLU.
        let mut d_pre = vec![0.0; k * length];
        for (index, &v) in dense.iter().enumerate() {
            let mask = forward
                .mask
                .as_ref()
                .and_then(|m| m.get(index).copied())
                .unwrap_or(1.0);
            let d_pooled = residual * v * mask;
            let (u, c) = (index / k, index % k);
            for t in [2 * u, 2 * u + 1] {
                let at = c * length + t;
                if forward.pre.get(at).is_some_and(|&p| p > 0.0)
                    && let Some(slot) = d_pre.get_mut(at)
                {
                    *slot = 0.5 * d_pooled;
                }
            }
        }
        // Convolution: d w[c][j] = sum_t d_pre[c][t] x[t + j - left]; d b[c] = sum_t d_pre[c][t].
        let (kernel_gradient, bias_gradient) = conv_gradient.split_at_mut(k * s);
        for c in 0..k {
            let channel = &d_pre[c * length..(c + 1) * length];
            for j in 0..s {
                let positions = self.valid_positions(j);
                let input_start = positions.start + j - left;
                let input_end = positions.end + j - left;
                if let (Some(out), Some(input), Some(slot)) = (
                    channel.get(positions),
                    row.get(input_start..input_end),
                    kernel_gradient.get_mut(c * s + j),
                ) {
                    *slot = dot(out, input);
                }
            }
            if let Some(slot) = bias_gradient.get_mut(c) {
                *slot = channel.iter().sum();
            }
        }
        gradient
    }

    /// The gradient of one example's log-loss with dropout drawn from `key`
    /// (training mode), or without dropout when `key` is `None`.
    pub fn example_gradient(&self, row: &[f64], label: u8, key: Option<u64>) -> Vec<f64> {
        let forward = self.forward(row, key);
        self.backward(row, label, &forward)
    }

    /// The subgradient `l1 * sign(w)` of the penalty on the kernel weights.
    fn l1_subgradient(&self) -> Vec<f64> {
        let mut gradient = vec![0.0; self.parameters.len()];
        let l1 = self.architecture.l1;
        for (g, w) in gradient
            .iter_mut()
            .zip(&self.parameters)
            .take(self.kernel_weights_len())
        {
            *g = l1 * w.signum() * f64::from(u8::from(*w != 0.0));
        }
        gradient
    }
}

impl Classifier for CnnModel {
    fn n_inputs(&self) -> usize {
        self.n_inputs
    }

    fn logit(&self, row: &[f64]) -> f64 {
        self.forward(row, None).logit
    }

    fn loss_gradient(&self, row: &[f64], label: u8) -> Vec<f64> {
        self.example_gradient(row, label, None)
    }

    /// In parallel over rows: a forward pass costs `L * k * s` multiplications.
    fn logits(&self, x: &Features) -> Vec<f64> {
        (0..x.n_rows())
            .into_par_iter()
            .map(|i| self.logit(x.row(i)))
            .collect()
    }
}

impl Predict for CnnModel {
    fn predict_proba(&self, x: &Features) -> Vec<f64> {
        self.probabilities(x)
    }
}

impl DpSgdModel for CnnModel {
    fn parameter_count(&self) -> usize {
        self.parameters.len()
    }

    fn training_gradient(&self, row: &[f64], label: u8, key: u64) -> Vec<f64> {
        self.example_gradient(row, label, Some(key))
    }

    fn penalty_gradient(&self) -> Option<Vec<f64>> {
        (self.architecture.l1 > 0.0).then(|| self.l1_subgradient())
    }

    fn descend(&mut self, scale: f64, direction: &[f64]) {
        add_scaled(&mut self.parameters, -scale, direction);
    }
}

/// Non-private training by mini-batch Adam.
#[derive(Clone, Debug, PartialEq)]
pub struct CnnTraining {
    pub architecture: CnnArchitecture,
    pub epochs: usize,
    pub batch_size: usize,
    /// Adam's step size (Keras' default 0.001).
    pub learning_rate: f64,
    /// Seeds the initialisation, the batch order and the dropout masks.
    pub seed: u64,
}

/// Examples per parallel work item: their gradients are summed serially, and the
/// chunk sums in order, so results do not depend on the thread count.
const GRADIENT_CHUNK: usize = 4;

impl CnnTraining {
    fn check_parameters(&self) -> Result<()> {
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(Error::Parameter(
                "CNN training needs at least one epoch and a batch size of at least 1".into(),
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::Parameter(format!(
                "the learning rate must be a positive number, got {}",
                self.learning_rate
            )));
        }
        Ok(())
    }

    pub fn train(&self, x: &Features, y: &[u8], job: Job<'_>) -> Result<CnnModel> {
        check_training_data(x, y)?;
        self.check_parameters()?;
        let mut model = CnnModel::new(x.n_cols(), self.architecture, self.seed)?;
        let dim = model.parameters.len();
        let (beta1, beta2, epsilon) = (0.9_f64, 0.999_f64, 1e-7);
        let mut first = vec![0.0; dim];
        let mut second = vec![0.0; dim];
        let mut order: Vec<usize> = (0..x.n_rows()).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut t = 0_i32;
        for epoch in 0..self.epochs {
            job.checkpoint("Training the CNN", Some(epoch as f32 / self.epochs as f32))?;
            order.shuffle(&mut rng);
            for batch in order.chunks(self.batch_size) {
                let step = t as usize;
                let partial: Vec<Vec<f64>> = batch
                    .par_chunks(GRADIENT_CHUNK)
                    .map(|chunk| {
                        let mut sum = vec![0.0; dim];
                        for &index in chunk {
                            let key = self
                                .seed
                                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                                .wrapping_add((step as u64) << 32)
                                .wrapping_add(index as u64);
                            let gradient = model.example_gradient(
                                x.row(index),
                                y.get(index).copied().unwrap_or(0),
                                Some(key),
                            );
                            add_scaled(&mut sum, 1.0, &gradient);
                        }
                        sum
                    })
                    .collect();
                let mut gradient = model.l1_subgradient();
                let scale = 1.0 / batch.len() as f64;
                for sum in &partial {
                    add_scaled(&mut gradient, scale, sum);
                }
                t += 1;
                let correction1 = 1.0 - beta1.powi(t);
                let correction2 = 1.0 - beta2.powi(t);
                for (((p, g), m), v) in model
                    .parameters
                    .iter_mut()
                    .zip(&gradient)
                    .zip(first.iter_mut())
                    .zip(second.iter_mut())
                {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    let m_hat = *m / correction1;
                    let v_hat = *v / correction2;
                    *p -= self.learning_rate * m_hat / (v_hat.sqrt() + epsilon);
                }
            }
        }
        Ok(model)
    }
}

impl Fit for CnnTraining {
    type Model = CnnModel;

    fn fit(&self, x: &Features, y: &[u8]) -> Result<CnnModel> {
        job::unattended(|job| self.train(x, y, job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy_model(n_inputs: usize, kernel_size: usize) -> Result<CnnModel> {
        CnnModel::new(
            n_inputs,
            CnnArchitecture {
                kernels: 3,
                kernel_size,
                dropout: 0.0,
                l1: 0.0,
            },
            7,
        )
    }

    /// Central differences of the log-loss agree with the analytic gradient for
    /// every parameter, on odd and even widths (the padding and pooling edges).
    #[test]
    fn gradient_matches_finite_differences() -> Result<()> {
        for (n_inputs, kernel_size) in [(9, 5), (8, 4), (7, 1)] {
            let mut model = toy_model(n_inputs, kernel_size)?;
            // Biases away from zero so that some ReLUs are active, some not.
            for (i, p) in model.parameters_mut().iter_mut().enumerate() {
                *p += 0.05 * ((i % 5) as f64 - 2.0);
            }
            let row: Vec<f64> = (0..n_inputs).map(|i| ((i * 7) % 3) as f64).collect();
            for label in [0, 1] {
                let analytic = model.example_gradient(&row, label, None);
                assert_eq!(analytic.len(), model.parameters().len());
                let h = 1e-6;
                for (i, &expected) in analytic.iter().enumerate() {
                    let mut plus = model.clone();
                    plus.parameters_mut()[i] += h;
                    let mut minus = model.clone();
                    minus.parameters_mut()[i] -= h;
                    let loss =
                        |m: &CnnModel| super::super::log_loss_from_logit(m.logit(&row), label);
                    let numeric = (loss(&plus) - loss(&minus)) / (2.0 * h);
                    assert!(
                        (numeric - expected).abs() < 1e-6,
                        "parameter {i} of L {n_inputs}, s {kernel_size}: numeric {numeric}, \
                         analytic {expected}"
                    );
                }
            }
        }
        Ok(())
    }

    /// With dropout, the gradient is that of the masked network: the mask holds
    /// zeros and `1 / (1 - rate)`, and the dense weights whose inputs were dropped
    /// get exactly zero gradient.
    #[test]
    fn dropout_zeroes_the_dropped_inputs_gradient() -> Result<()> {
        let architecture = CnnArchitecture {
            kernels: 2,
            kernel_size: 3,
            dropout: 0.5,
            l1: 0.0,
        };
        let model = CnnModel::new(20, architecture, 3)?;
        let row: Vec<f64> = (0..20).map(|i| f64::from(i % 3)).collect();
        let forward = model.forward(&row, Some(11));
        let Some(mask) = forward.mask.as_ref() else {
            return Err(Error::Parameter("dropout drew no mask".into()));
        };
        assert!(mask.contains(&0.0) && mask.contains(&2.0));
        let gradient = model.example_gradient(&row, 1, Some(11));
        let dense_start = 2 * 3 + 2;
        for (i, &m) in mask.iter().enumerate() {
            if m == 0.0 {
                assert_eq!(gradient[dense_start + i], 0.0);
            }
        }
        Ok(())
    }

    #[test]
    fn bad_architectures_are_refused() {
        let bad = CnnArchitecture {
            dropout: 1.0,
            ..CnnArchitecture::default()
        };
        assert!(CnnModel::new(100, bad, 0).is_err());
        assert!(CnnModel::new(1, CnnArchitecture::default(), 0).is_err());
        let no_kernels = CnnArchitecture {
            kernels: 0,
            ..CnnArchitecture::default()
        };
        assert!(CnnModel::new(100, no_kernels, 0).is_err());
    }
}
