//! DP-SGD (spec audits §5.1) for any [`DpSgdModel`] (logistic models, the CNN), as Opacus does it: Poisson
//! sampling with rate `q`, per-example gradient clipping
//! `g * min(1, C / (||g|| + 1e-6))`, Gaussian noise `N(0, sigma^2 C^2 I)` on the sum,
//! and a step with `sum / (q N)` (the expected batch size, opacus #420).
//!
//! The Gaussian noise comes from the exact lattice sampler
//! [`GridGaussian`] (no floating-point formula such as Box-Muller touches it, so
//! the noisy gradient's low-order bits reveal nothing: Mironov 2012); its accounting
//! consequence (a negligible term) is documented there.
//!
//! The run returns the `(q, sigma, steps)` as a [`DpSgdSetting`] for
//! [`crate::dp::account`].

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::{Features, Fit, LogisticModel, check_training_data};
use crate::dp::DpSgdSetting;
use crate::dp::noise::GridGaussian;
use crate::error::{Error, Result};
use crate::job::{self, Job};

/// The added 1e-6 keeps the clip factor finite for zero gradients (Opacus).
const CLIP_EPSILON: f64 = 1e-6;

#[derive(Clone, Debug, PartialEq)]
pub struct DpSgd {
    /// Poisson sampling rate q: each example joins each batch independently with it.
    pub sampling_rate: f64,
    /// sigma: the noise standard deviation is `sigma * clip_norm`.
    pub noise_multiplier: f64,
    /// C: the L2 bound on every per-example gradient of `[w; b]`.
    pub clip_norm: f64,
    pub learning_rate: f64,
    pub steps: usize,
    pub seed: u64,
}

#[derive(Clone, Debug)]
pub struct DpSgdRun {
    pub model: LogisticModel,
    /// What the accountant needs: `(q, sigma, steps)`; sampling is always Poisson
    /// here, which is what the RDP/PLD accountants assume.
    pub privacy: DpSgdSetting,
    /// The realised Poisson batch sizes, one per step.
    pub batch_sizes: Vec<usize>,
}

/// Poisson batches: example `i` joins each batch with probability `q`, independently.
/// The batches depend only on `(n, q, seed)`, never on the noise, so runs that differ
/// only in sigma or C see the same batches.
pub struct PoissonSampler {
    n: usize,
    rate: f64,
    rng: ChaCha8Rng,
}

impl PoissonSampler {
    pub fn new(n: usize, rate: f64, seed: u64) -> Self {
        Self {
            n,
            rate,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    pub fn next_batch(&mut self) -> Vec<usize> {
        (0..self.n)
            .filter(|_| self.rng.random::<f64>() < self.rate)
            .collect()
    }
}

/// The first `steps` batches DP-SGD with this seed uses (for tests and audits).
pub fn poisson_batches(n: usize, rate: f64, steps: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut sampler = PoissonSampler::new(n, rate, seed);
    (0..steps).map(|_| sampler.next_batch()).collect()
}

/// A standard normal draw (Box-Muller); `1 - u` keeps the logarithm finite. For
/// simulation only (`crate::simulate`): DP noise must come from [`GridGaussian`].
pub(crate) fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl DpSgd {
    fn check_parameters(&self) -> Result<()> {
        let valid = self.sampling_rate > 0.0
            && self.sampling_rate <= 1.0
            && self.noise_multiplier.is_finite()
            && self.noise_multiplier >= 0.0
            && self.clip_norm.is_finite()
            && self.clip_norm > 0.0
            && self.learning_rate.is_finite()
            && self.learning_rate > 0.0;
        if valid {
            Ok(())
        } else {
            Err(Error::Parameter(format!(
                "DP-SGD needs 0 < q <= 1, sigma >= 0, C > 0 and a positive learning rate; got \
                 q = {}, sigma = {}, C = {}, learning rate = {}",
                self.sampling_rate, self.noise_multiplier, self.clip_norm, self.learning_rate
            )))
        }
    }

    /// Trains a logistic model from zeros.
    pub fn train(&self, x: &Features, y: &[u8], job: Job<'_>) -> Result<DpSgdRun> {
        let (model, privacy, batch_sizes) =
            self.train_model(LogisticModel::zeros(x.n_cols()), x, y, job)?;
        Ok(DpSgdRun {
            model,
            privacy,
            batch_sizes,
        })
    }

    /// Trains any [`DpSgdModel`] from its given initial parameters: Poisson batches,
    /// per-example clipping, grid-Gaussian noise on the sum, a step with the sum
    /// over the expected batch size, then the model's (data-independent) penalty
    /// gradient, which costs no privacy. Returns the model, the accountant's
    /// setting and the realised batch sizes.
    pub fn train_model<M: DpSgdModel>(
        &self,
        mut model: M,
        x: &Features,
        y: &[u8],
        job: Job<'_>,
    ) -> Result<(M, DpSgdSetting, Vec<usize>)> {
        check_training_data(x, y)?;
        self.check_parameters()?;
        let n = x.n_rows();
        let dim = model.parameter_count();
        let mut sampler = PoissonSampler::new(n, self.sampling_rate, self.seed);
        let mut noise_rng = ChaCha8Rng::seed_from_u64(self.seed);
        // A separate stream: the noise never shifts the batch sequence.
        noise_rng.set_stream(1);
        let mut batch_sizes = Vec::with_capacity(self.steps);
        let mut summed = vec![0.0; dim];
        let expected_batch = self.sampling_rate * n as f64;
        let noise_scale = self.noise_multiplier * self.clip_norm;
        let noise = if noise_scale > 0.0 {
            Some(GridGaussian::new(noise_scale)?)
        } else {
            None
        };
        for step in 0..self.steps {
            if step % 64 == 0 {
                job.checkpoint("DP-SGD", Some(step as f32 / self.steps.max(1) as f32))?;
            }
            let batch = sampler.next_batch();
            // Gradients in parallel, summed in batch order: the result does not
            // depend on the thread count.
            let clipped: Vec<Vec<f64>> = batch
                .par_iter()
                .map(|&index| {
                    let key = training_key(self.seed, step, index);
                    let mut gradient = model.training_gradient(
                        x.row(index),
                        y.get(index).copied().unwrap_or(0),
                        key,
                    );
                    let norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
                    let factor = (self.clip_norm / (norm + CLIP_EPSILON)).min(1.0);
                    gradient.iter_mut().for_each(|g| *g *= factor);
                    gradient
                })
                .collect();
            summed.iter_mut().for_each(|s| *s = 0.0);
            for gradient in &clipped {
                for (s, g) in summed.iter_mut().zip(gradient) {
                    *s += g;
                }
            }
            if let Some(noise) = &noise {
                for s in summed.iter_mut() {
                    *s = noise.add_to(*s, &mut noise_rng)?;
                }
            }
            let penalty = model.penalty_gradient();
            model.descend(self.learning_rate / expected_batch, &summed);
            if let Some(penalty) = penalty {
                model.descend(self.learning_rate, &penalty);
            }
            batch_sizes.push(batch.len());
        }
        let privacy = DpSgdSetting {
            sampling_rate: self.sampling_rate,
            noise_multiplier: self.noise_multiplier,
            steps: self.steps as u64,
        };
        Ok((model, privacy, batch_sizes))
    }
}

/// Seeds an example's training-time randomness (dropout) at one step, so that runs
/// are reproducible whatever the thread count.
fn training_key(seed: u64, step: usize, index: usize) -> u64 {
    seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add((step as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9))
        .wrapping_add((index as u64).wrapping_mul(0x94d0_49bb_1331_11eb))
}

/// A model DP-SGD can train: a flat parameter vector with per-example gradients.
pub trait DpSgdModel: Sync {
    /// Length of the gradient vectors.
    fn parameter_count(&self) -> usize;

    /// The gradient of one example's data loss (no penalty) with respect to every
    /// parameter, in training mode; `key` seeds the example's training randomness
    /// (dropout), if any.
    fn training_gradient(&self, row: &[f64], label: u8, key: u64) -> Vec<f64>;

    /// The gradient of the penalty, which depends on the parameters only and so is
    /// added after the noise; `None` without a penalty.
    fn penalty_gradient(&self) -> Option<Vec<f64>>;

    /// `parameters -= scale * direction`.
    fn descend(&mut self, scale: f64, direction: &[f64]);
}

impl DpSgdModel for LogisticModel {
    fn parameter_count(&self) -> usize {
        self.weights.len() + 1
    }

    fn training_gradient(&self, row: &[f64], label: u8, _key: u64) -> Vec<f64> {
        self.example_gradient(row, label)
    }

    fn penalty_gradient(&self) -> Option<Vec<f64>> {
        None
    }

    fn descend(&mut self, scale: f64, direction: &[f64]) {
        for (w, d) in self.weights.iter_mut().zip(direction) {
            *w -= scale * d;
        }
        if let Some(d_b) = direction.get(self.weights.len()) {
            self.intercept -= scale * d_b;
        }
    }
}

impl Fit for DpSgd {
    type Model = LogisticModel;

    fn fit(&self, x: &Features, y: &[u8]) -> Result<LogisticModel> {
        job::unattended(|job| self.train(x, y, job)).map(|run| run.model)
    }
}
