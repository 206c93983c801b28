//! Zero-concentrated DP accounting for the synthesis generator (spec §3).
//!
//! Conversions follow Canonne, Kamath and Steinke (2020), as used by private-pgm's
//! `cdp2adp.py`: `cdp_delta` is the tightest δ of a ρ-zCDP mechanism at ε, and
//! `cdp_rho` inverts it by bisection.

use crate::error::{Error, Result};

/// The smallest δ such that a ρ-zCDP mechanism is (ε, δ)-DP:
/// δ = min over α > 1 of exp((α−1)(αρ − ε) + α·ln(1 − 1/α)) / (α − 1).
///
/// The objective is convex in α on the bracket searched, so a ternary-free
/// bisection on its derivative finds the minimiser (as `cdp2adp.py` does).
pub fn cdp_delta(rho: f64, epsilon: f64) -> f64 {
    if rho <= 0.0 {
        return 0.0;
    }
    // The derivative of the log objective is (2α − 1)ρ − ε + ln(1 − 1/α); its root
    // lies in [amin, amax].
    let mut amin = 1.01_f64;
    let mut amax = (epsilon + 1.0) / (2.0 * rho) + 2.0;
    for _ in 0..1000 {
        let alpha = (amin + amax) / 2.0;
        let derivative = (2.0 * alpha - 1.0) * rho - epsilon + (-1.0 / alpha).ln_1p();
        if derivative < 0.0 {
            amin = alpha;
        } else {
            amax = alpha;
        }
    }
    let alpha = (amin + amax) / 2.0;
    let delta = ((alpha - 1.0) * (alpha * rho - epsilon) + alpha * (-1.0 / alpha).ln_1p()).exp()
        / (alpha - 1.0);
    delta.min(1.0)
}

/// The largest ρ whose zCDP guarantee implies (ε, δ)-DP, by bisection on
/// [`cdp_delta`], which increases with ρ.
pub fn cdp_rho(epsilon: f64, delta: f64) -> Result<f64> {
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(Error::Parameter(format!(
            "epsilon must be a positive number, got {epsilon}"
        )));
    }
    if !(delta > 0.0 && delta < 1.0) {
        return Err(Error::Parameter(format!(
            "delta must lie strictly between 0 and 1, got {delta}"
        )));
    }
    let mut rhomin = 0.0_f64;
    let mut rhomax = epsilon + 1.0;
    for _ in 0..1000 {
        let rho = (rhomin + rhomax) / 2.0;
        if cdp_delta(rho, epsilon) <= delta {
            rhomin = rho;
        } else {
            rhomax = rho;
        }
    }
    Ok(rhomin)
}

/// The per-cell noise standard deviation when `measurements` marginals are measured
/// together with the Gaussian mechanism under add/remove neighbours: each record
/// adds 1 to one cell of each marginal, so Δ₂ = √m and ρ = m / (2σ²).
pub fn sigma_for(rho: f64, measurements: usize) -> Result<f64> {
    if !(rho.is_finite() && rho > 0.0) {
        return Err(Error::Parameter(format!(
            "the zCDP budget rho must be a positive number, got {rho}"
        )));
    }
    if measurements == 0 {
        return Err(Error::Parameter(
            "at least one marginal must be measured".into(),
        ));
    }
    Ok((measurements as f64 / (2.0 * rho)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of spec §3 (computed there from the same formulas with
    /// private-pgm's `cdp_rho`), to the digits printed.
    #[test]
    fn reproduces_the_spec_rho_table() -> Result<()> {
        let table = [
            (1.0, 1e-6, 0.0244, 4),
            (1.0, 1e-9, 0.0150, 4),
            (3.0, 1e-6, 0.185, 3),
            (3.0, 1e-9, 0.121, 3),
            (10.0, 1e-6, 1.539, 3),
            (10.0, 1e-9, 1.091, 3),
        ];
        for (epsilon, delta, expected, decimals) in table {
            let rho = cdp_rho(epsilon, delta)?;
            // Half a unit of the last printed decimal.
            let tolerance = 0.5 * 10f64.powi(-decimals);
            assert!(
                (rho - expected).abs() <= tolerance,
                "eps {epsilon} delta {delta}: rho {rho}, table {expected}"
            );
            // The inverse must land on delta.
            let back = cdp_delta(rho, epsilon);
            assert!(
                (back - delta).abs() <= delta * 1e-6,
                "delta {back} vs {delta}"
            );
        }
        Ok(())
    }

    /// Spec §4.5 Table B: per-cell σ for the public chain at δ 1e-6.
    #[test]
    fn reproduces_the_spec_sigma_table() -> Result<()> {
        let table = [
            (1.0, 100, 45.0),
            (1.0, 10_000, 453.0),
            (3.0, 1_000, 52.0),
            (10.0, 100_000, 180.0),
            (10.0, 100, 5.7),
        ];
        for (epsilon, d, expected) in table {
            let sigma = sigma_for(cdp_rho(epsilon, 1e-6)?, d - 1)?;
            assert!(
                (sigma - expected).abs() <= expected * 0.01,
                "eps {epsilon} d {d}: sigma {sigma}, table {expected}"
            );
        }
        Ok(())
    }

    #[test]
    fn rejects_meaningless_budgets() {
        assert!(cdp_rho(0.0, 1e-6).is_err());
        assert!(cdp_rho(1.0, 0.0).is_err());
        assert!(cdp_rho(f64::NAN, 1e-6).is_err());
        assert!(sigma_for(0.0, 3).is_err());
        assert!(sigma_for(1.0, 0).is_err());
    }
}
