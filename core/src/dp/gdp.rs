//! Gaussian-DP approximation by the central limit theorem (Bu, Dong, Long, Su
//! 2020), as Opacus `accountants/analysis/gdp.py`.
//!
//! For subsampled mechanisms this is an approximation, **not a bound** (spec §5.5:
//! q 0.2, σ 3, T 50 gives GDP 1.838 < PLD 1.961): use it for the smooth curve
//! only, and label it. It is exact at q = 1, where μ = √T/σ.

use super::special::{bisect_root, log_ndtr, norm_cdf};
use crate::{Error, Result};

fn validate(q: f64, sigma: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&q) {
        return Err(Error::Parameter(format!(
            "the sampling rate must be in [0, 1], got {q}"
        )));
    }
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(Error::Parameter(format!(
            "GDP needs a finite noise multiplier > 0, got {sigma}"
        )));
    }
    Ok(())
}

/// μ of the CLT approximation under Poisson sampling: q√T·√(e^{1/σ²} − 1).
pub fn mu_poisson(q: f64, sigma: f64, steps: u64) -> Result<f64> {
    validate(q, sigma)?;
    Ok(q * (steps as f64).sqrt() * (sigma.powi(-2)).exp_m1().sqrt())
}

/// μ under uniform (shuffled, fixed-size) batches:
/// √2·q√T·√(e^{1/σ²}Φ(1.5/σ) + 3Φ(−0.5/σ) − 2).
pub fn mu_uniform(q: f64, sigma: f64, steps: u64) -> Result<f64> {
    validate(q, sigma)?;
    let inner = sigma.powi(-2).exp() * norm_cdf(1.5 / sigma) + 3.0 * norm_cdf(-0.5 / sigma) - 2.0;
    // `inner` is ≥ 0 mathematically; rounding can push it just below 0 at huge σ.
    Ok(std::f64::consts::SQRT_2 * q * (steps as f64).sqrt() * inner.max(0.0).sqrt())
}

/// δ(ε) of μ-GDP: Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2).
pub fn delta_for_epsilon(mu: f64, epsilon: f64) -> f64 {
    if mu <= 0.0 {
        return 0.0;
    }
    let first = norm_cdf(-epsilon / mu + mu / 2.0);
    // e^ε Φ(·) in logs: e^ε overflows long before the product does.
    let second = (epsilon + log_ndtr(-epsilon / mu - mu / 2.0)).exp();
    (first - second).max(0.0)
}

/// ε of μ-GDP at δ by root finding on [0, 500], as Opacus does with Brent's method.
pub fn epsilon_for_delta(mu: f64, delta: f64) -> Result<f64> {
    if !(delta > 0.0 && delta < 1.0) {
        return Err(Error::Parameter(format!(
            "δ must be in (0, 1), got {delta}"
        )));
    }
    if mu <= 0.0 || delta_for_epsilon(mu, 0.0) <= delta {
        return Ok(0.0);
    }
    bisect_root(|eps| delta_for_epsilon(mu, eps) - delta, 0.0, 500.0).ok_or_else(|| {
        Error::Parameter(format!(
            "μ = {mu} is too large: ε for δ = {delta} exceeds 500"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_at_mu_one_matches_the_closed_form() {
        // δ(1) for μ = 1: Φ(−0.5) − eΦ(−1.5) = 0.126936 (spec A6).
        let delta = delta_for_epsilon(1.0, 1.0);
        assert!((delta - 0.126_936).abs() < 1e-6, "{delta}");
    }

    #[test]
    fn epsilon_inverts_delta() -> Result<()> {
        for mu in [0.1, 0.5, 1.4, 3.0] {
            let eps = epsilon_for_delta(mu, 1e-5)?;
            assert!((delta_for_epsilon(mu, eps) - 1e-5).abs() < 1e-12);
        }
        Ok(())
    }
}
