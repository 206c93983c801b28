//! Privacy loss distribution (PLD) accountant for the Poisson-subsampled Gaussian,
//! following dp_accounting's `PLDAccountant` (add-or-remove-one relation,
//! pessimistic connect-the-dots discretisation of Doroshenko et al. 2022,
//! FFT self-composition with Chernoff tail bounds, tail mass 1e-15).
//!
//! This is the tight accountant: its ε is what the mechanism really spends, up
//! to the discretisation interval. The add and remove directions are tracked
//! separately and the worse one is reported.

use super::fft::{Complex, fft_in_place};
use super::special::{log_a_exp_b_plus_c, log_add, log_ndtr, norm_cdf, norm_ppf};
use crate::{Error, Result};

/// dp_accounting's default value discretisation interval.
pub const DEFAULT_INTERVAL: f64 = 1e-4;
/// ln of the noise mass the single-step distribution may drop (dp_accounting).
const LOG_MASS_TRUNCATION: f64 = -50.0;
/// Probability mass self-composition may move to +∞ (dp_accounting).
const TAIL_MASS_TRUNCATION: f64 = 1e-15;
/// Largest FFT buffer (complex values): 2^24 is 256 MiB.
const MAX_FFT_LEN: usize = 1 << 24;
/// Tolerated increase between consecutive hockey-stick values (rounding noise).
const DELTA_DIFF_TOLERANCE: f64 = 1e-12;

/// A discretised privacy loss PMF: `probs[i]` is the mass at loss
/// `(lower_index + i)·interval`, plus an atom at +∞.
#[derive(Clone, Debug, PartialEq)]
pub struct PldPmf {
    pub lower_index: i64,
    pub probs: Vec<f64>,
    pub infinity_mass: f64,
}

/// The PLD of a mechanism under add-or-remove adjacency; `add` is `None` when
/// both directions coincide (q = 1).
#[derive(Clone, Debug, PartialEq)]
pub struct PrivacyLossDistribution {
    pub interval: f64,
    pub remove: PldPmf,
    pub add: Option<PldPmf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Adjacency {
    Remove,
    Add,
}

/// One step of the subsampled Gaussian with sensitivity 1, seen from one
/// direction (dp_accounting `GaussianPrivacyLoss`).
struct SubsampledGaussian {
    sigma: f64,
    q: f64,
    adjacency: Adjacency,
}

impl SubsampledGaussian {
    fn loss_remove(&self, x: f64) -> f64 {
        let without_sampling = (-0.5 - x) / (self.sigma * self.sigma);
        if self.q == 1.0 {
            without_sampling
        } else {
            log_a_exp_b_plus_c(self.q, without_sampling, 1.0 - self.q)
        }
    }

    fn privacy_loss(&self, x: f64) -> f64 {
        match self.adjacency {
            Adjacency::Remove => self.loss_remove(x),
            Adjacency::Add => -self.loss_remove(-x),
        }
    }

    /// The largest x whose privacy loss is at least `loss`.
    fn inverse_privacy_loss(&self, loss: f64) -> f64 {
        let var = self.sigma * self.sigma;
        let q = self.q;
        match self.adjacency {
            Adjacency::Remove => {
                if q == 1.0 {
                    return -0.5 - loss * var;
                }
                if is_close(loss, (1.0 - q).ln()) {
                    return f64::INFINITY;
                }
                let without_sampling = log_a_exp_b_plus_c(1.0 / q, loss, 1.0 - 1.0 / q);
                -0.5 - without_sampling * var
            }
            Adjacency::Add => {
                if q == 1.0 {
                    return 0.5 - loss * var;
                }
                if is_close(loss, -(1.0 - q).ln()) {
                    return f64::NEG_INFINITY;
                }
                let without_sampling = -log_a_exp_b_plus_c(1.0 / q, -loss, 1.0 - 1.0 / q);
                1.0 + (-0.5 - without_sampling * var)
            }
        }
    }

    fn upper_cdf(&self, x: f64) -> f64 {
        let s = self.sigma;
        match self.adjacency {
            Adjacency::Add => norm_cdf(x / s),
            Adjacency::Remove if self.q == 1.0 => norm_cdf((x + 1.0) / s),
            Adjacency::Remove => {
                (1.0 - self.q) * norm_cdf(x / s) + self.q * norm_cdf((x + 1.0) / s)
            }
        }
    }

    fn lower_log_cdf(&self, x: f64) -> f64 {
        let s = self.sigma;
        match self.adjacency {
            Adjacency::Remove => log_ndtr(x / s),
            Adjacency::Add if self.q == 1.0 => log_ndtr((x - 1.0) / s),
            Adjacency::Add => log_add(
                (-self.q).ln_1p() + log_ndtr(x / s),
                self.q.ln() + log_ndtr((x - 1.0) / s),
            ),
        }
    }

    /// The exact hockey-stick divergence δ(ε) of one step in this direction.
    fn delta_for_epsilon(&self, epsilon: f64) -> f64 {
        let q = self.q;
        if q < 1.0 {
            match self.adjacency {
                Adjacency::Add if epsilon >= -(-q).ln_1p() => return 0.0,
                Adjacency::Remove if epsilon <= (-q).ln_1p() => {
                    return (-epsilon.exp_m1()).clamp(0.0, 1.0);
                }
                _ => {}
            }
        }
        let x = self.inverse_privacy_loss(epsilon);
        // NaN (never expected) passes through and is refused by the caller.
        (self.upper_cdf(x) - (epsilon + self.lower_log_cdf(x)).exp()).clamp(0.0, 1.0)
    }

    /// Pessimistic connect-the-dots PMF on the multiples of `interval`.
    fn connect_the_dots(&self, interval: f64) -> Result<PldPmf> {
        let mut lower_x = self.sigma * norm_ppf(0.5 * LOG_MASS_TRUNCATION.exp());
        let mut upper_x = -lower_x;
        match self.adjacency {
            Adjacency::Add => upper_x += 1.0,
            Adjacency::Remove => lower_x -= 1.0,
        }
        let epsilon_upper = self.privacy_loss(lower_x);
        let epsilon_lower = self.privacy_loss(upper_x);
        let upper = (epsilon_upper / interval).ceil();
        let lower = (epsilon_lower / interval).floor();
        let count = upper - lower + 1.0;
        if count.is_nan() || count < 1.0 || count > MAX_FFT_LEN as f64 {
            return Err(Error::Parameter(format!(
                "the PLD of one step would need {count} points at interval {interval}: \
                 use a larger interval or the RDP accountant"
            )));
        }
        let lower = lower as i64;
        let upper = upper as i64;
        let mut deltas: Vec<f64> = (lower..=upper)
            .map(|k| self.delta_for_epsilon(k as f64 * interval))
            .collect();
        if deltas.iter().any(|d| d.is_nan()) {
            return Err(Error::Parameter(format!(
                "the hockey-stick divergence of one step could not be evaluated for q = {}, σ = {}",
                self.q, self.sigma
            )));
        }
        if deltas
            .windows(2)
            .any(|w| w[1] - w[0] > DELTA_DIFF_TOLERANCE)
        {
            return Err(Error::Parameter(
                "hockey-stick divergences are not monotone: the noise is too small \
                 for the PLD accountant at this interval"
                    .into(),
            ));
        }
        for i in 1..deltas.len() {
            deltas[i] = deltas[i].min(deltas[i - 1]);
        }
        let (Some(&first), Some(&last)) = (deltas.first(), deltas.last()) else {
            return Err(Error::Parameter("empty PLD support".into()));
        };
        if deltas.len() == 1 {
            return Ok(PldPmf {
                lower_index: lower,
                probs: vec![1.0 - first],
                infinity_mass: first,
            });
        }
        let diffs: Vec<f64> = deltas.windows(2).map(|w| w[1] - w[0]).collect();
        let expm1_d = interval.exp_m1();
        let exp_d = interval.exp();
        let mut probs = Vec::with_capacity(deltas.len());
        probs.push(1.0 - first + diffs.first().copied().unwrap_or(0.0) / expm1_d);
        probs.extend(diffs.windows(2).map(|w| (w[1] - w[0] * exp_d) / expm1_d));
        probs.push(diffs.last().copied().unwrap_or(0.0) / (-interval).exp_m1());
        for p in probs.iter_mut() {
            *p = p.max(0.0);
        }
        Ok(PldPmf {
            lower_index: lower,
            probs,
            infinity_mass: last,
        })
    }
}

/// `math.isclose` with its default relative tolerance.
fn is_close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

fn fft_len_for(len: usize) -> Result<usize> {
    let n = len.max(1).next_power_of_two();
    if n > MAX_FFT_LEN {
        return Err(Error::Parameter(format!(
            "the composed PLD would need an FFT of {n} points (limit {MAX_FFT_LEN}): \
             use a larger discretisation interval or the RDP accountant"
        )));
    }
    Ok(n)
}

fn to_spectrum(probs: &[f64], len: usize) -> Vec<Complex> {
    let mut buffer = vec![Complex::ZERO; len];
    for (slot, p) in buffer.iter_mut().zip(probs) {
        slot.re = *p;
    }
    fft_in_place(&mut buffer, false);
    buffer
}

impl PldPmf {
    /// The identity: all mass at loss 0.
    fn identity() -> PldPmf {
        PldPmf {
            lower_index: 0,
            probs: vec![1.0],
            infinity_mass: 0.0,
        }
    }

    /// Index range [lower, upper] (offsets into the T-fold convolution) holding
    /// all but `TAIL_MASS_TRUNCATION` of its mass, by Chernoff bounds at 40 orders
    /// (dp_accounting `compute_self_convolve_bounds`).
    fn self_convolve_bounds(&self, times: u64) -> (i64, i64) {
        let n = self.probs.len();
        let t = times as f64;
        let mut upper = (n as f64 - 1.0) * t;
        let mut lower = 0.0f64;
        let log_probs: Vec<f64> = self.probs.iter().map(|p| p.ln()).collect();
        let slack = (2.0 / TAIL_MASS_TRUNCATION).ln();
        for k in (-20..0).chain(1..21) {
            let order = f64::from(k) / n as f64;
            let terms = log_probs
                .iter()
                .enumerate()
                .map(|(i, lp)| lp + i as f64 * order);
            let max = terms.clone().fold(f64::NEG_INFINITY, f64::max);
            if !max.is_finite() {
                continue;
            }
            let log_mgf = max + terms.map(|v| (v - max).exp()).sum::<f64>().ln();
            let bound = (t * log_mgf + slack) / order;
            if !bound.is_finite() {
                continue;
            }
            if order > 0.0 {
                upper = upper.min(bound.ceil());
            } else {
                lower = lower.max(bound.floor());
            }
        }
        (lower as i64, upper as i64)
    }

    /// The PMF of `times` independent copies' total loss.
    fn self_compose(&self, times: u64) -> Result<PldPmf> {
        if times == 0 {
            return Ok(PldPmf::identity());
        }
        let (lower, upper) = self.self_convolve_bounds(times);
        let output_len = usize::try_from(upper - lower + 1).unwrap_or(usize::MAX);
        let len = fft_len_for(output_len.max(self.probs.len()))?;
        let mut spectrum = to_spectrum(&self.probs, len);
        for value in spectrum.iter_mut() {
            *value = value.powu(times);
        }
        fft_in_place(&mut spectrum, true);
        let start = lower.rem_euclid(len as i64) as usize;
        let probs = (0..output_len)
            .map(|k| spectrum.get((start + k) % len).map_or(0.0, |c| c.re))
            .collect();
        let infinity_mass =
            TAIL_MASS_TRUNCATION - (times as f64 * (-self.infinity_mass).ln_1p()).exp_m1();
        Ok(PldPmf {
            lower_index: self.lower_index * times as i64 + lower,
            probs,
            infinity_mass,
        })
    }

    /// The PMF of the sum of two independent losses, tails truncated pessimistically.
    fn compose(&self, other: &PldPmf) -> Result<PldPmf> {
        let full_len = self.probs.len() + other.probs.len() - 1;
        let len = fft_len_for(full_len)?;
        let a = to_spectrum(&self.probs, len);
        let b = to_spectrum(&other.probs, len);
        let mut product: Vec<Complex> = a.iter().zip(&b).map(|(x, y)| *x * *y).collect();
        fft_in_place(&mut product, true);
        let mut probs: Vec<f64> = product.iter().take(full_len).map(|c| c.re).collect();
        // Drop a prefix and a suffix each holding ≤ half the truncation budget: the
        // prefix mass moves up to the first kept value, the suffix mass to +∞.
        let half = TAIL_MASS_TRUNCATION / 2.0;
        let prefix_len = prefix_within(probs.iter(), half);
        let suffix_len = prefix_within(probs.iter().rev(), half);
        let right = probs
            .len()
            .saturating_sub(suffix_len)
            .max(prefix_len + 1)
            .min(probs.len());
        let left_mass: f64 = probs.iter().take(prefix_len).sum();
        let right_mass: f64 = probs.iter().skip(right).sum();
        probs.truncate(right);
        let mut kept = probs.split_off(prefix_len.min(probs.len()));
        if let Some(first) = kept.first_mut() {
            *first += left_mass;
        }
        let inf =
            self.infinity_mass + other.infinity_mass - self.infinity_mass * other.infinity_mass;
        Ok(PldPmf {
            lower_index: self.lower_index + other.lower_index + prefix_len as i64,
            probs: kept,
            infinity_mass: inf + right_mass,
        })
    }

    fn loss(&self, i: usize, interval: f64) -> f64 {
        (self.lower_index + i as i64) as f64 * interval
    }

    /// δ(ε) = P[L = ∞] + Σ_{ℓ > ε} (1 − e^{ε−ℓ}) P[L = ℓ].
    fn delta_for_epsilon(&self, epsilon: f64, interval: f64) -> f64 {
        self.infinity_mass
            + self
                .probs
                .iter()
                .enumerate()
                .map(|(i, p)| (self.loss(i, interval), p))
                .filter(|(loss, _)| *loss > epsilon)
                .map(|(loss, p)| -(epsilon - loss).exp_m1() * p)
                .sum::<f64>()
    }

    /// δ at many ascending ε in one pass from the top of the support.
    fn deltas_for_sorted_epsilons(&self, epsilons: &[f64], interval: f64) -> Vec<f64> {
        let mut deltas = vec![0.0; epsilons.len()];
        let (mut upper_mass, mut lower_mass) = (self.infinity_mass, 0.0);
        let mut i = self.probs.len();
        for (j, &eps) in epsilons.iter().enumerate().rev() {
            if eps == f64::INFINITY {
                deltas[j] = self.infinity_mass;
                continue;
            }
            while i > 0 && self.loss(i - 1, interval) > eps {
                i -= 1;
                let p = self.probs.get(i).copied().unwrap_or(0.0);
                upper_mass += p;
                lower_mass += p * (-self.loss(i, interval)).exp();
            }
            deltas[j] = upper_mass - eps.exp() * lower_mass;
        }
        deltas
    }

    /// Smallest ε ≥ 0 with δ(ε) ≤ `delta` (dp_accounting `_get_epsilon_for_delta`).
    fn epsilon_for_delta(&self, delta: f64, interval: f64) -> f64 {
        if self.infinity_mass > delta {
            return f64::INFINITY;
        }
        let (mut upper_mass, mut lower_mass) = (self.infinity_mass, 0.0);
        for (i, p) in self.probs.iter().enumerate().rev() {
            let loss = self.loss(i, interval);
            if upper_mass > delta
                && lower_mass > 0.0
                && ((upper_mass - delta) / lower_mass).ln() >= loss
            {
                break;
            }
            upper_mass += p;
            lower_mass += (-loss).exp() * p;
            if upper_mass >= delta && lower_mass == 0.0 {
                return loss.max(0.0);
            }
        }
        if upper_mass <= lower_mass + delta {
            return 0.0;
        }
        ((upper_mass - delta) / lower_mass).ln()
    }
}

/// Length of the longest prefix whose running sum stays ≤ `threshold`.
fn prefix_within<'a>(values: impl Iterator<Item = &'a f64>, threshold: f64) -> usize {
    let mut sum = 0.0;
    let mut count = 0;
    for v in values {
        sum += v;
        if sum > threshold {
            break;
        }
        count += 1;
    }
    count
}

impl PrivacyLossDistribution {
    /// The PLD of a mechanism that reveals nothing.
    pub fn identity(interval: f64) -> PrivacyLossDistribution {
        PrivacyLossDistribution {
            interval,
            remove: PldPmf::identity(),
            add: None,
        }
    }

    /// One step of the Gaussian mechanism (sensitivity 1, noise σ) on a Poisson
    /// sample of rate q.
    pub fn poisson_subsampled_gaussian(q: f64, sigma: f64, interval: f64) -> Result<Self> {
        if !(q > 0.0 && q <= 1.0) {
            return Err(Error::Parameter(format!(
                "the PLD accountant needs a sampling rate in (0, 1], got {q}"
            )));
        }
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::Parameter(format!(
                "the PLD accountant needs a finite noise multiplier > 0, got {sigma}"
            )));
        }
        if !(interval.is_finite() && interval > 0.0) {
            return Err(Error::Parameter(format!(
                "the discretisation interval must be > 0, got {interval}"
            )));
        }
        let pmf = |adjacency| {
            SubsampledGaussian {
                sigma,
                q,
                adjacency,
            }
            .connect_the_dots(interval)
        };
        let remove = pmf(Adjacency::Remove)?;
        let add = if q == 1.0 {
            None
        } else {
            Some(pmf(Adjacency::Add)?)
        };
        Ok(PrivacyLossDistribution {
            interval,
            remove,
            add,
        })
    }

    /// `times`-fold composition with itself.
    pub fn self_compose(&self, times: u64) -> Result<Self> {
        Ok(PrivacyLossDistribution {
            interval: self.interval,
            remove: self.remove.self_compose(times)?,
            add: self
                .add
                .as_ref()
                .map(|a| a.self_compose(times))
                .transpose()?,
        })
    }

    /// Composition with another mechanism's PLD (heterogeneous steps).
    pub fn compose(&self, other: &PrivacyLossDistribution) -> Result<Self> {
        if self.interval != other.interval {
            return Err(Error::Mismatch(format!(
                "PLDs with discretisation intervals {} and {} cannot be composed",
                self.interval, other.interval
            )));
        }
        let remove = self.remove.compose(&other.remove)?;
        let add = match (&self.add, &other.add) {
            (None, None) => None,
            (a, b) => Some(
                a.as_ref()
                    .unwrap_or(&self.remove)
                    .compose(b.as_ref().unwrap_or(&other.remove))?,
            ),
        };
        Ok(PrivacyLossDistribution {
            interval: self.interval,
            remove,
            add,
        })
    }

    fn directions(&self) -> impl Iterator<Item = &PldPmf> {
        std::iter::once(&self.remove).chain(self.add.as_ref())
    }

    /// δ(ε), the worse of the two directions.
    pub fn delta_for_epsilon(&self, epsilon: f64) -> f64 {
        self.directions()
            .map(|pmf| pmf.delta_for_epsilon(epsilon, self.interval))
            .fold(0.0, f64::max)
            .clamp(0.0, 1.0)
    }

    /// δ(ε) at each of `epsilons`, which must be ascending.
    pub fn deltas_for_epsilons(&self, epsilons: &[f64]) -> Result<Vec<f64>> {
        if epsilons.windows(2).any(|w| w[1] < w[0]) {
            return Err(Error::Parameter("the ε values must be ascending".into()));
        }
        let mut result = vec![0.0f64; epsilons.len()];
        for pmf in self.directions() {
            let deltas = pmf.deltas_for_sorted_epsilons(epsilons, self.interval);
            for (r, d) in result.iter_mut().zip(deltas) {
                *r = r.max(d);
            }
        }
        Ok(result.into_iter().map(|d| d.clamp(0.0, 1.0)).collect())
    }

    /// Smallest ε with δ(ε) ≤ `delta` in both directions.
    pub fn epsilon_for_delta(&self, delta: f64) -> f64 {
        self.directions()
            .map(|pmf| pmf.epsilon_for_delta(delta, self.interval))
            .fold(0.0, f64::max)
    }
}

/// PLD of `steps` steps of DP-SGD with Poisson sampling rate `q` and noise σ.
pub fn dp_sgd(q: f64, sigma: f64, steps: u64, interval: f64) -> Result<PrivacyLossDistribution> {
    if q == 0.0 || steps == 0 {
        return Ok(PrivacyLossDistribution::identity(interval));
    }
    PrivacyLossDistribution::poisson_subsampled_gaussian(q, sigma, interval)?.self_compose(steps)
}
