//! The membership-inference ceiling that a DP guarantee implies (spec §6): the
//! largest TPR any attack can reach at a given FPR, drawn next to an empirical ROC.
//!
//! A single (ε, δ) pair gives a loose, often vacuous line; the whole privacy
//! profile δ(ε) gives the tight curve. A measured point above it is a bug in the
//! attack, the training or the accounting.

use serde::{Deserialize, Serialize};

use super::special::{norm_cdf, norm_ppf};
use crate::{Error, Result};

/// Number of ε steps the profile is sampled at (spec §6).
pub const PROFILE_STEPS: usize = 2000;

/// TPR_max(FPR) on a grid of FPRs, with where it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RocCeiling {
    pub fpr: Vec<f64>,
    pub tpr_max: Vec<f64>,
    /// "PLD profile", "RDP profile (improved)", "μ-GDP (not a bound)"…
    pub source: String,
    /// False for the GDP curve, an approximation for subsampled mechanisms.
    pub is_upper_bound: bool,
}

/// A privacy profile: δ(ε) sampled on ascending ε.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrivacyProfile {
    pub epsilons: Vec<f64>,
    pub deltas: Vec<f64>,
    pub source: String,
}

/// ε ∈ [0, max(20, 3ε)] in [`PROFILE_STEPS`] steps, where ε is the headline value.
pub fn epsilon_grid(headline_epsilon: f64) -> Vec<f64> {
    let top = if headline_epsilon.is_finite() {
        (3.0 * headline_epsilon).max(20.0)
    } else {
        20.0
    };
    (0..=PROFILE_STEPS)
        .map(|i| top * i as f64 / PROFILE_STEPS as f64)
        .collect()
}

/// FPRs from 1e-6 to 1, log-spaced below 1 % and linear above, plus 0.
pub fn default_fpr_grid() -> Vec<f64> {
    let mut grid = vec![0.0];
    grid.extend((0..=160).map(|k| 10f64.powf(-6.0 + 4.0 * f64::from(k) / 160.0)));
    grid.extend((2..=100).map(|k| f64::from(k) / 100.0));
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    grid
}

fn check_fpr(fpr: f64) -> Result<()> {
    if (0.0..=1.0).contains(&fpr) {
        Ok(())
    } else {
        Err(Error::Parameter(format!(
            "a false-positive rate must be in [0, 1], got {fpr}"
        )))
    }
}

/// TPR bound of one (ε, δ) pair: min{1, δ + e^ε·FPR, 1 − e^{−ε}(1 − δ − FPR)}.
pub fn single_pair_tpr(epsilon: f64, delta: f64, fpr: f64) -> f64 {
    let first = delta + epsilon.exp() * fpr;
    let second = 1.0 - (-epsilon).exp() * (1.0 - delta - fpr);
    first.min(second).clamp(0.0, 1.0)
}

/// TPR_max(FPR) = min over the profile of the single-pair bounds.
pub fn profile_tpr(profile: &PrivacyProfile, fpr: f64) -> Result<f64> {
    check_fpr(fpr)?;
    Ok(profile
        .epsilons
        .iter()
        .zip(&profile.deltas)
        .map(|(&e, &d)| single_pair_tpr(e, d, fpr))
        .fold(1.0, f64::min))
}

/// The ceiling curve of a privacy profile on a grid of FPRs.
pub fn profile_ceiling(profile: &PrivacyProfile, fprs: &[f64]) -> Result<RocCeiling> {
    let tpr_max = fprs
        .iter()
        .map(|&f| profile_tpr(profile, f))
        .collect::<Result<_>>()?;
    Ok(RocCeiling {
        fpr: fprs.to_vec(),
        tpr_max,
        source: profile.source.clone(),
        is_upper_bound: true,
    })
}

/// μ-GDP trade-off: TPR = Φ(Φ⁻¹(FPR) + μ).
pub fn gdp_tpr(mu: f64, fpr: f64) -> Result<f64> {
    check_fpr(fpr)?;
    Ok(match fpr {
        0.0 => 0.0,
        1.0 => 1.0,
        _ => norm_cdf(norm_ppf(fpr) + mu),
    })
}

/// The μ-GDP curve on a grid of FPRs (a CLT approximation: not a bound).
pub fn gdp_ceiling(mu: f64, fprs: &[f64]) -> Result<RocCeiling> {
    let tpr_max = fprs
        .iter()
        .map(|&f| gdp_tpr(mu, f))
        .collect::<Result<_>>()?;
    Ok(RocCeiling {
        fpr: fprs.to_vec(),
        tpr_max,
        source: format!("μ-GDP, μ = {mu:.4} (CLT approximation, not a bound)"),
        is_upper_bound: false,
    })
}

/// Largest membership advantage TPR − FPR under (ε, δ)-DP.
pub fn max_advantage(epsilon: f64, delta: f64) -> f64 {
    // Divided through by e^ε so that large ε does not overflow.
    let t = (-epsilon).exp();
    ((1.0 - t + 2.0 * delta * t) / (1.0 + t)).min(1.0)
}

/// Largest balanced accuracy under (ε, δ)-DP.
pub fn max_balanced_accuracy(epsilon: f64, delta: f64) -> f64 {
    let t = (-epsilon).exp();
    ((1.0 + delta * t) / (1.0 + t)).min(1.0)
}
