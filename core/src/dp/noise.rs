//! Exact discrete noise for differential privacy (Canonne, Kamath and Steinke,
//! "The Discrete Gaussian for Differential Privacy", 2020, Algorithms 1–3):
//! [`DiscreteLaplace`] (the two-sided geometric) and [`DiscreteGaussian`].
//!
//! Every random decision is a Bernoulli trial with a rational probability decided
//! by comparing a uniform integer with the numerator, so no floating-point value
//! ever enters the sampling: the output distributions are exactly
//! P(z) ∝ exp(−|z| / t) and P(z) ∝ exp(−z² / (2σ²)) for the rational t and σ²
//! held by the samplers. A floating-point sampler would leak through its rounding
//! pattern (Mironov 2012).

use rand::Rng;

use crate::error::{Error, Result};

/// Denominator of the rational parameters made from floats (σ², Laplace scale):
/// they are rounded *up* to a multiple of 1/1024 so the noise is never smaller
/// than requested (relative excess < 0.1 % for parameters ≥ 1).
const PARAMETER_DENOMINATOR: u128 = 1024;

/// The numerator over [`PARAMETER_DENOMINATOR`] of `value` rounded up, after
/// checking that `value` (named `what`) is positive, finite and at most `limit`.
fn rounded_up_numerator(value: f64, limit: f64, what: &str) -> Result<u128> {
    if !(value.is_finite() && value > 0.0) {
        return Err(Error::Parameter(format!(
            "{what} must be a positive number, got {value}"
        )));
    }
    if value > limit {
        return Err(Error::Parameter(format!(
            "{what} {value} exceeds the exact sampler's limit of {limit}: the budget is too \
             small for this many measurements"
        )));
    }
    Ok((value * PARAMETER_DENOMINATOR as f64).ceil() as u128)
}

/// Largest σ² accepted (σ = 10⁶).
const MAX_SIGMA2: f64 = 1e12;

/// A discrete Gaussian on the integers with variance parameter σ² = `num / den`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscreteGaussian {
    num: u128,
    den: u128,
    /// Scale of the discrete Laplace proposal: ⌊σ⌋ + 1.
    laplace_scale: u128,
}

impl DiscreteGaussian {
    /// σ² rounded up to the next multiple of 1/1024.
    pub fn new(sigma2: f64) -> Result<Self> {
        // σ ≤ 10⁶ keeps every product in `sample` below 2¹¹² for draws within
        // 40σ of zero (beyond that the sampler reports an overflow, with
        // probability below 10⁻³⁴⁰ per draw).
        let num = rounded_up_numerator(sigma2, MAX_SIGMA2, "the noise variance")?;
        Self::from_ratio(num, PARAMETER_DENOMINATOR)
    }

    /// σ² = `num / den` exactly.
    pub fn from_ratio(num: u128, den: u128) -> Result<Self> {
        if num == 0 || den == 0 {
            return Err(Error::Parameter(format!(
                "the noise variance {num}/{den} must be a positive fraction"
            )));
        }
        Ok(Self {
            num,
            den,
            laplace_scale: (num / den).isqrt() + 1,
        })
    }

    /// The variance parameter σ² actually used.
    pub fn sigma2(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// One draw. Errors only if the intermediate integers overflow u128, which
    /// [`DiscreteGaussian::new`] rules out for any realistic draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<i64> {
        let t = self.laplace_scale;
        let (p, q) = (self.num, self.den);
        let overflow = || Error::Parameter("discrete Gaussian sampler overflowed".into());
        // γ = (|z| − σ²/t)² / (2σ²) = (|z|·q·t − p)² / (2·p·q·t²).
        let den = 2u128
            .checked_mul(p)
            .and_then(|x| x.checked_mul(q))
            .and_then(|x| x.checked_mul(t))
            .and_then(|x| x.checked_mul(t))
            .ok_or_else(overflow)?;
        loop {
            // Discrete Laplace proposal with scale t (Algorithm 2).
            let (negative, magnitude) = discrete_laplace(rng, t, 1)?;
            // Rejection towards the Gaussian (Algorithm 3).
            let diff = magnitude
                .checked_mul(q)
                .and_then(|x| x.checked_mul(t))
                .ok_or_else(overflow)?
                .abs_diff(p);
            let num = diff.checked_mul(diff).ok_or_else(overflow)?;
            if bernoulli_exp_minus(rng, num, den)? {
                let z = i64::try_from(magnitude).map_err(|_| overflow())?;
                return Ok(if negative { -z } else { z });
            }
        }
    }
}

/// The grid step of [`GridGaussian`] sits this many binary orders below σ:
/// σ / step ∈ [2³⁰, 2³¹), so the lattice is invisible at the scale of the noise
/// (relative resolution below 10⁻⁹) while every intermediate of the exact sampler
/// stays far inside u128.
const GRID_BITS_BELOW_SIGMA: i32 = 30;

/// Range of σ's binary exponent accepted by [`GridGaussian`]: keeps the grid step
/// 2^k with −1022 ≤ k ≤ 970, so every lattice point n·2^k with |n| ≤ 2⁵³ is an
/// exactly representable, normal f64.
const GRID_SIGMA_EXPONENTS: std::ops::RangeInclusive<i32> = -990..=1000;

/// Largest lattice index (in grid steps) a noisy value may reach: 2⁵³, the last
/// integer up to which every integer is an exact f64.
const GRID_MAX_INDEX: i64 = 1 << 53;

/// A "continuous" Gaussian N(0, σ²) sampled without floating-point arithmetic, the
/// way OpenDP samples float Gaussians: an exact discrete Gaussian on the lattice
/// step·ℤ with step = 2^k, k = ⌊log₂ σ⌋ − 30, scaled back by the power of two.
///
/// σ is rounded *up* to a whole number of grid steps (relative excess < 2⁻³⁰), the
/// integer draw uses CKS20 Algorithm 3 with the Laplace scale t = σ/step (exact
/// for any t > 0), and the product integer·2^k is exact in f64. Query values are
/// rounded to the same lattice before the noise is added ([`GridGaussian::add_to`]),
/// so the release is a lattice point whose low-order bits carry no information
/// about the value (Mironov 2012).
///
/// Accounting: the released vector is the rounded query plus a multivariate discrete
/// Gaussian. Rounding each coordinate moves it by at most step/2, so the L2
/// sensitivity grows from Δ to at most Δ + √d·step (≤ Δ·(1 + √d·σ/Δ·2⁻³⁰); for
/// DP-SGD, σ_noise = σ·C and Δ = C: relative growth √d·σ·2⁻³⁰, 10⁻⁷ for d = 10⁴,
/// σ = 1). Canonne, Kamath and Steinke ("The Discrete Gaussian for Differential
/// Privacy", NeurIPS 2020, §4 multivariate case) show the discrete Gaussian has the
/// continuous Gaussian's concentrated-DP guarantee up to an additive term that is
/// exponentially small in σ² measured in grid steps (σ ≥ 2³⁰ steps here): the
/// Gaussian (RDP/PLD) accountant applies up to these negligible terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridGaussian {
    /// σ in grid steps, an integer in [2³⁰, 2³¹].
    sigma_steps: u128,
    /// The grid step is 2^`step_exponent`.
    step_exponent: i32,
}

impl GridGaussian {
    /// N(0, σ²) on the grid ⌊log₂ σ⌋ − 30 binary orders below σ; σ is rounded up to
    /// a whole number of steps.
    pub fn new(sigma: f64) -> Result<Self> {
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::Parameter(format!(
                "the Gaussian noise scale must be a positive number, got {sigma}"
            )));
        }
        // The biased exponent field is ⌊log₂ σ⌋ + 1023 for normal numbers, exactly.
        let exponent = ((sigma.to_bits() >> 52) & 0x7ff) as i32 - 1023;
        if !GRID_SIGMA_EXPONENTS.contains(&exponent) || !sigma.is_normal() {
            return Err(Error::Parameter(format!(
                "the Gaussian noise scale {sigma} is outside the exact sampler's range \
                 2^{} to 2^{}",
                GRID_SIGMA_EXPONENTS.start(),
                GRID_SIGMA_EXPONENTS.end()
            )));
        }
        let step_exponent = exponent - GRID_BITS_BELOW_SIGMA;
        // σ / 2^k is exact (a power-of-two scaling of a normal number) and lies in
        // [2³⁰, 2³¹), so its ceiling is an exact integer.
        let sigma_steps = (sigma * power_of_two(-step_exponent)).ceil() as u128;
        Ok(Self {
            sigma_steps,
            step_exponent,
        })
    }

    /// The grid step 2^k.
    pub fn step(&self) -> f64 {
        power_of_two(self.step_exponent)
    }

    /// The standard deviation parameter actually used (≥ the requested σ, by less
    /// than one grid step).
    pub fn sigma(&self) -> f64 {
        self.sigma_steps as f64 * self.step()
    }

    /// One draw in grid steps: an exact discrete Gaussian with σ = `sigma_steps`.
    pub fn sample_steps<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<i64> {
        let t = self.sigma_steps;
        let overflow = || Error::Parameter("grid Gaussian sampler overflowed".into());
        // CKS20 Algorithm 3 with t = σ: accept a discrete Laplace(t) proposal Y with
        // probability exp(−(|Y| − σ²/t)² / (2σ²)) = exp(−(|Y| − t)² / (2t²)).
        // 2t² < 2⁶³ and (|Y| − t)² < 2¹²⁸ unless |Y| > 2⁶⁴ (probability e^{−2³³}).
        let den = t
            .checked_mul(t)
            .and_then(|x| x.checked_mul(2))
            .ok_or_else(overflow)?;
        loop {
            let (negative, magnitude) = discrete_laplace(rng, t, 1)?;
            let diff = magnitude.abs_diff(t);
            let num = diff.checked_mul(diff).ok_or_else(overflow)?;
            if bernoulli_exp_minus(rng, num, den)? {
                let z = i64::try_from(magnitude).map_err(|_| overflow())?;
                return Ok(if negative { -z } else { z });
            }
        }
    }

    /// One draw of the noise itself: an exact lattice point `steps · 2^k`.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<f64> {
        Ok(self.sample_steps(rng)? as f64 * self.step())
    }

    /// `value` rounded to the grid plus one noise draw, computed on the lattice
    /// (integers) and converted back exactly. Errors when the result would leave
    /// the ±2⁵³-step range in which the conversion is exact.
    pub fn add_to<R: Rng + ?Sized>(&self, value: f64, rng: &mut R) -> Result<f64> {
        let out_of_range = || {
            Error::Parameter(format!(
                "the value {value} cannot carry Gaussian noise on the grid of step {}: it \
                 must be finite and within 2^53 steps of zero",
                self.step()
            ))
        };
        if !value.is_finite() {
            return Err(out_of_range());
        }
        // Scaling by a power of two is exact (or underflows to a value that rounds
        // to 0 either way), so this is the exact nearest lattice index.
        let index = (value * power_of_two(-self.step_exponent)).round();
        if index.abs() > GRID_MAX_INDEX as f64 {
            return Err(out_of_range());
        }
        let noisy = (index as i64)
            .checked_add(self.sample_steps(rng)?)
            .filter(|n| n.abs() <= GRID_MAX_INDEX)
            .ok_or_else(out_of_range)?;
        Ok(noisy as f64 * self.step())
    }
}

/// 2^k exactly, for −1022 ≤ k ≤ 1023 (callers keep k in range).
fn power_of_two(k: i32) -> f64 {
    f64::from_bits(((k + 1023).clamp(1, 2046) as u64) << 52)
}

/// Largest discrete Laplace scale accepted: far beyond any useful budget, and it
/// keeps `U + t·V` in `sample` below 2¹²⁸ for any realistic V.
const MAX_LAPLACE_SCALE: f64 = 1e15;

/// A discrete Laplace (two-sided geometric) distribution on the integers,
/// P(z) ∝ exp(−|z| / t), with rational scale t = `num / den`.
///
/// Adding it to an integer query of L1 sensitivity Δ gives ε-DP for
/// t ≥ Δ / ε; its variance is 2e^{−1/t} / (1 − e^{−1/t})².
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscreteLaplace {
    num: u128,
    den: u128,
}

impl DiscreteLaplace {
    /// Scale rounded up to the next multiple of 1/1024.
    pub fn new(scale: f64) -> Result<Self> {
        let num = rounded_up_numerator(scale, MAX_LAPLACE_SCALE, "the discrete Laplace scale")?;
        Self::from_ratio(num, PARAMETER_DENOMINATOR)
    }

    /// Scale t = `num / den` exactly.
    pub fn from_ratio(num: u128, den: u128) -> Result<Self> {
        if num == 0 || den == 0 {
            return Err(Error::Parameter(format!(
                "the discrete Laplace scale {num}/{den} must be a positive fraction"
            )));
        }
        Ok(Self { num, den })
    }

    /// The scale t actually used.
    pub fn scale(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Exact variance 2e^{−1/t} / (1 − e^{−1/t})² (for display and tests only:
    /// the sampler itself never uses floats).
    pub fn variance(&self) -> f64 {
        let q = (-1.0 / self.scale()).exp();
        2.0 * q / ((1.0 - q) * (1.0 - q))
    }

    /// One draw. Errors only if an intermediate integer overflows u128, which the
    /// scale limit rules out for any realistic draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<i64> {
        let (negative, magnitude) = discrete_laplace(rng, self.num, self.den)?;
        let z = i64::try_from(magnitude)
            .map_err(|_| Error::Parameter("discrete Laplace sampler overflowed".into()))?;
        Ok(if negative { -z } else { z })
    }
}

/// CKS20 Algorithm 2: a discrete Laplace draw with scale `t / s` (`t, s > 0`) as
/// (is negative, magnitude). X = U + t·V with U uniform on [0, t) accepted with
/// probability e^{−U/t} and V geometric with ratio e^{−1}, so X is geometric with
/// ratio e^{−1/t}; ⌊X / s⌋ is geometric with ratio e^{−s/t}, and a fair sign with
/// the negative zero rejected makes it two-sided.
fn discrete_laplace<R: Rng + ?Sized>(rng: &mut R, t: u128, s: u128) -> Result<(bool, u128)> {
    let overflow = || Error::Parameter("discrete Laplace sampler overflowed".into());
    loop {
        let u = uniform_below(rng, t);
        if !bernoulli_exp_minus(rng, u, t)? {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp_minus(rng, 1, 1)? {
            v += 1;
        }
        let x = v
            .checked_mul(t)
            .and_then(|x| x.checked_add(u))
            .ok_or_else(overflow)?;
        let magnitude = x / s;
        let negative = bernoulli(rng, 1, 2);
        if negative && magnitude == 0 {
            continue;
        }
        return Ok((negative, magnitude));
    }
}

/// A uniform integer in `[0, n)`, by rejection from the next power of two. `n > 0`.
fn uniform_below<R: Rng + ?Sized>(rng: &mut R, n: u128) -> u128 {
    if n <= 1 {
        return 0;
    }
    let bits = 128 - (n - 1).leading_zeros();
    let mask = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    loop {
        let x = ((u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64())) & mask;
        if x < n {
            return x;
        }
    }
}

/// Bernoulli(num / den), `num <= den`, `den > 0`.
fn bernoulli<R: Rng + ?Sized>(rng: &mut R, num: u128, den: u128) -> bool {
    uniform_below(rng, den) < num
}

/// Bernoulli(exp(−num/den)) for any `num / den >= 0` (Algorithm 1).
fn bernoulli_exp_minus<R: Rng + ?Sized>(rng: &mut R, num: u128, den: u128) -> Result<bool> {
    for _ in 0..num / den {
        if !bernoulli_exp_minus_fraction(rng, 1, 1)? {
            return Ok(false);
        }
    }
    bernoulli_exp_minus_fraction(rng, num % den, den)
}

/// Bernoulli(exp(−γ)) for γ = `num / den` in [0, 1]: the index K of the first
/// failure in trials of Bernoulli(γ/k), k = 1, 2, ..., is odd with probability e^−γ.
fn bernoulli_exp_minus_fraction<R: Rng + ?Sized>(
    rng: &mut R,
    num: u128,
    den: u128,
) -> Result<bool> {
    let mut k: u128 = 1;
    loop {
        let scaled_den = den
            .checked_mul(k)
            .ok_or_else(|| Error::Parameter("Bernoulli(exp(-x)) sampler overflowed".into()))?;
        if !bernoulli(rng, num, scaled_den) {
            return Ok(k % 2 == 1);
        }
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use statrs::distribution::{ChiSquared, ContinuousCDF};

    /// Exact pmf of the discrete Gaussian over [-support, support] (the mass beyond
    /// is below 1e-12 for the support used).
    fn pmf(sigma2: f64, support: i64) -> Vec<f64> {
        let weights: Vec<f64> = (-support..=support)
            .map(|z| (-(z as f64).powi(2) / (2.0 * sigma2)).exp())
            .collect();
        let total: f64 = weights.iter().sum();
        weights.into_iter().map(|w| w / total).collect()
    }

    /// Pearson chi-square p-value of `draws` against `probabilities` over
    /// [-support, support], merging cells until each expects at least 5 draws.
    fn chi_square_p(draws: &[i64], probabilities: &[f64], support: i64) -> f64 {
        let n = draws.len() as f64;
        let mut observed = vec![0.0; probabilities.len()];
        for &z in draws {
            let index = (z.clamp(-support, support) + support) as usize;
            observed[index] += 1.0;
        }
        let (mut statistic, mut cells) = (0.0, 0usize);
        let (mut obs, mut exp) = (0.0, 0.0);
        for (o, p) in observed.iter().zip(probabilities) {
            obs += o;
            exp += p * n;
            if exp >= 5.0 {
                statistic += (obs - exp) * (obs - exp) / exp;
                cells += 1;
                (obs, exp) = (0.0, 0.0);
            }
        }
        // The leftover tail joins the statistic as its own (small) cell.
        if exp > 0.0 {
            statistic += (obs - exp) * (obs - exp) / exp;
            cells += 1;
        }
        let Ok(chi2) = ChiSquared::new((cells - 1) as f64) else {
            return 0.0;
        };
        1.0 - chi2.cdf(statistic)
    }

    fn draws(sigma2: f64, n: usize, seed: u64) -> Result<Vec<i64>> {
        let sampler = DiscreteGaussian::new(sigma2)?;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        (0..n).map(|_| sampler.sample(&mut rng)).collect()
    }

    #[test]
    fn matches_the_exact_pmf() -> Result<()> {
        for (sigma2, seed) in [(0.5_f64, 1), (2.25, 2), (10.0, 3), (150.0, 4)] {
            let support = (12.0 * sigma2.sqrt()).ceil() as i64 + 2;
            let sample = draws(sigma2, 5_000, seed)?;
            let p = chi_square_p(&sample, &pmf(sigma2, support), support);
            assert!(p > 1e-3, "sigma2 {sigma2}: chi-square p {p}");
            let n = sample.len() as f64;
            let mean = sample.iter().map(|&z| z as f64).sum::<f64>() / n;
            let var = sample
                .iter()
                .map(|&z| (z as f64 - mean).powi(2))
                .sum::<f64>()
                / (n - 1.0);
            // Exact variance of the discrete Gaussian from its pmf (≈ σ² for σ ≥ 1).
            let exact_var: f64 = pmf(sigma2, support)
                .iter()
                .zip(-support..=support)
                .map(|(p, z)| p * (z as f64).powi(2))
                .sum();
            let se_mean = (exact_var / n).sqrt();
            assert!(mean.abs() < 4.0 * se_mean, "sigma2 {sigma2}: mean {mean}");
            // Var of the sample variance ≈ 2σ⁴/n for near-Gaussian data.
            assert!(
                (var - exact_var).abs() < 4.0 * exact_var * (2.0 / n).sqrt(),
                "sigma2 {sigma2}: variance {var} vs {exact_var}"
            );
            if sigma2 >= 2.0 {
                assert!((exact_var - sigma2).abs() < 1e-3 * sigma2);
            }
        }
        Ok(())
    }

    /// The goodness-of-fit test has power: the same draws are rejected against a
    /// pmf with a 30 % larger variance.
    #[test]
    fn chi_square_rejects_a_wrong_variance() -> Result<()> {
        let sample = draws(10.0, 5_000, 5)?;
        let support = 40;
        let p = chi_square_p(&sample, &pmf(13.0, support), support);
        assert!(p < 1e-6, "wrong pmf accepted: p {p}");
        Ok(())
    }

    /// Exact pmf of the discrete Laplace with scale t over [-support, support].
    fn laplace_pmf(t: f64, support: i64) -> Vec<f64> {
        let weights: Vec<f64> = (-support..=support)
            .map(|z| (-(z.unsigned_abs() as f64) / t).exp())
            .collect();
        let total: f64 = weights.iter().sum();
        weights.into_iter().map(|w| w / total).collect()
    }

    fn laplace_draws(sampler: DiscreteLaplace, n: usize, seed: u64) -> Result<Vec<i64>> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        (0..n).map(|_| sampler.sample(&mut rng)).collect()
    }

    #[test]
    fn discrete_laplace_matches_the_exact_pmf() -> Result<()> {
        // Scales below, at and above 1, non-integer ones exercising ⌊X / s⌋.
        for ((num, den), seed) in [
            ((1u128, 2u128), 11),
            ((1, 1), 12),
            ((37, 10), 13),
            ((40, 1), 14),
        ] {
            let sampler = DiscreteLaplace::from_ratio(num, den)?;
            let t = sampler.scale();
            let support = (40.0 * t).ceil() as i64 + 5;
            let pmf = laplace_pmf(t, support);
            let sample = laplace_draws(sampler, 20_000, seed)?;
            let p = chi_square_p(&sample, &pmf, support);
            assert!(p > 1e-3, "t {t}: chi-square p {p}");
            // Moments against the closed form and the pmf.
            let moment = |k: i32| -> f64 {
                pmf.iter()
                    .zip(-support..=support)
                    .map(|(p, z)| p * (z as f64).powi(k))
                    .sum()
            };
            let exact_var = sampler.variance();
            assert!((moment(2) - exact_var).abs() < 1e-9 * exact_var, "t {t}");
            let n = sample.len() as f64;
            let mean = sample.iter().map(|&z| z as f64).sum::<f64>() / n;
            let var = sample
                .iter()
                .map(|&z| (z as f64 - mean).powi(2))
                .sum::<f64>()
                / (n - 1.0);
            assert!(
                mean.abs() < 4.0 * (exact_var / n).sqrt(),
                "t {t}: mean {mean}"
            );
            // Var of the sample variance ≈ (μ₄ − σ⁴) / n.
            let se_var = ((moment(4) - exact_var * exact_var) / n).sqrt();
            assert!(
                (var - exact_var).abs() < 4.0 * se_var,
                "t {t}: variance {var} vs {exact_var} (se {se_var})"
            );
        }
        Ok(())
    }

    /// The test has power: draws at t = 3 are rejected against the pmf of t = 3.5.
    #[test]
    fn discrete_laplace_chi_square_rejects_a_wrong_scale() -> Result<()> {
        let sample = laplace_draws(DiscreteLaplace::from_ratio(3, 1)?, 20_000, 15)?;
        let p = chi_square_p(&sample, &laplace_pmf(3.5, 120), 120);
        assert!(p < 1e-6, "wrong pmf accepted: p {p}");
        Ok(())
    }

    #[test]
    fn discrete_laplace_scale_rounds_up_and_rejects_nonsense() -> Result<()> {
        let l = DiscreteLaplace::new(2.0001)?;
        assert!(l.scale() >= 2.0001 && l.scale() < 2.0001 + 1.0 / 1024.0);
        assert_eq!(DiscreteLaplace::new(0.25)?.scale(), 0.25);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e16] {
            assert!(DiscreteLaplace::new(bad).is_err(), "{bad}");
        }
        assert!(DiscreteLaplace::from_ratio(0, 1).is_err());
        // At the limit, draws still work and are of the right order.
        let widest = DiscreteLaplace::new(1e15)?;
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        for _ in 0..100 {
            assert!(widest.sample(&mut rng)?.unsigned_abs() < 100_000_000_000_000_000);
        }
        Ok(())
    }

    #[test]
    fn exact_bernoulli_exp_frequency() -> Result<()> {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        for (num, den) in [(1u128, 3u128), (5, 2), (0, 1)] {
            let n = 20_000;
            let mut hits = 0u32;
            for _ in 0..n {
                hits += u32::from(bernoulli_exp_minus(&mut rng, num, den)?);
            }
            let p = (-(num as f64) / den as f64).exp();
            let rate = f64::from(hits) / f64::from(n);
            let se = (p * (1.0 - p) / f64::from(n)).sqrt().max(1e-9);
            assert!((rate - p).abs() <= 4.0 * se, "{num}/{den}: {rate} vs {p}");
        }
        Ok(())
    }

    #[test]
    fn variance_rounds_up_and_rejects_nonsense() -> Result<()> {
        let g = DiscreteGaussian::new(2.0001)?;
        assert!(g.sigma2() >= 2.0001 && g.sigma2() < 2.0001 + 1.0 / 1024.0);
        assert!(DiscreteGaussian::new(0.0).is_err());
        assert!(DiscreteGaussian::new(f64::INFINITY).is_err());
        assert!(DiscreteGaussian::new(2e12).is_err());
        // At the limit, draws still work.
        let widest = DiscreteGaussian::new(1e12)?;
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for _ in 0..100 {
            assert!(widest.sample(&mut rng)?.unsigned_abs() < 10_000_000);
        }
        assert!(DiscreteGaussian::from_ratio(1, 0).is_err());
        Ok(())
    }
}
