//! Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism
//! (Mironov, Talwar, Zhang 2019) and the RDP → (ε, δ) conversions.
//!
//! Two series exist for fractional orders and published figures differ by which
//! one produced them, so the series is an explicit choice:
//! - [`RdpSeries::Signed`]: Opacus and old TF Privacy (signed binomial terms,
//!   stop once both terms fall below e^−30). Agrees with the exact integral.
//! - [`RdpSeries::Absolute`]: dp_accounting ≥ 0.4 (|binomial| terms all added,
//!   an upper bound; stop when both terms decrease and are e^30 below the total).

use serde::{Deserialize, Serialize};

use super::special::{binomial_is_negative, ln_abs_binomial, log_add, log_erfc, log_sub};
use crate::{Error, Result};

/// Which series evaluates A_α at fractional orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RdpSeries {
    /// Opacus / old TF Privacy: signed binomial coefficients.
    Signed,
    /// dp_accounting: absolute binomial coefficients (an upper bound).
    Absolute,
}

/// RDP → (ε, δ) conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conversion {
    /// ε = min_α RDP(α) + ln(1/δ)/(α − 1) (Mironov 2017; old TF Privacy, Opacus
    /// READMEs, DP-MIA).
    Classic,
    /// Balle et al. 2020 / Canonne–Kamath–Steinke 2020, as dp_accounting.
    Improved,
}

/// A named grid of Rényi orders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderGrid {
    /// Opacus default: 1.1..10.9 step 0.1, then 12..63.
    Opacus,
    /// dp_accounting default: 1.1..10.9 step 0.1, 11..63, 128, 256, 512, 1024.
    DpAccounting,
    /// Old TF Privacy `compute_dp_sgd_privacy` CLI grid.
    TfPrivacy,
    /// DP-MIA (Chen et al. 2021): the Opacus grid.
    DpMia,
    /// Any list of orders ≥ 1 (+∞ allowed).
    Custom(Vec<f64>),
}

fn tenths_from_1_1_to_10_9() -> impl Iterator<Item = f64> {
    (1..100).map(|x| 1.0 + f64::from(x) / 10.0)
}

impl OrderGrid {
    pub fn orders(&self) -> Vec<f64> {
        match self {
            OrderGrid::Opacus | OrderGrid::DpMia => tenths_from_1_1_to_10_9()
                .chain((12..64).map(f64::from))
                .collect(),
            OrderGrid::DpAccounting => tenths_from_1_1_to_10_9()
                .chain((11..64).map(f64::from))
                .chain([128.0, 256.0, 512.0, 1024.0])
                .collect(),
            OrderGrid::TfPrivacy => [1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5]
                .into_iter()
                .chain((5..64).map(f64::from))
                .chain([128.0, 256.0, 512.0])
                .collect(),
            OrderGrid::Custom(orders) => orders.clone(),
        }
    }

    /// A short label for reports.
    pub fn label(&self) -> String {
        match self {
            OrderGrid::Opacus => "opacus".into(),
            OrderGrid::DpAccounting => "dp-accounting".into(),
            OrderGrid::TfPrivacy => "tf-privacy".into(),
            OrderGrid::DpMia => "dpmia".into(),
            OrderGrid::Custom(orders) => format!("custom ({} orders)", orders.len()),
        }
    }
}

/// RDP values at a list of orders, possibly composed from several mechanisms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RdpCurve {
    pub orders: Vec<f64>,
    /// RDP(α) per order; +∞ where the mechanism gives no guarantee or the series
    /// did not converge (see `warnings`).
    pub rdp: Vec<f64>,
    pub warnings: Vec<String>,
}

/// ε at the optimal order.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpsilonAtOrder {
    pub epsilon: f64,
    pub order: f64,
    /// The optimum is the smallest or largest order of the grid: a wider grid
    /// may give a smaller ε.
    pub at_grid_end: bool,
}

/// δ at the optimal order.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeltaAtOrder {
    pub delta: f64,
    pub order: f64,
    pub at_grid_end: bool,
}

const MAX_SERIES_TERMS: u32 = 1000;

fn validate_mechanism(q: f64, sigma: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&q) {
        return Err(Error::Parameter(format!(
            "the sampling rate must be in [0, 1], got {q}"
        )));
    }
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(Error::Parameter(format!(
            "the noise multiplier must be a finite number ≥ 0, got {sigma}"
        )));
    }
    Ok(())
}

fn validate_orders(orders: &[f64]) -> Result<()> {
    if orders.is_empty() {
        return Err(Error::Parameter("the list of RDP orders is empty".into()));
    }
    if let Some(bad) = orders.iter().find(|a| a.is_nan() || **a < 1.0) {
        return Err(Error::Parameter(format!(
            "RDP orders must be ≥ 1, got {bad}"
        )));
    }
    Ok(())
}

/// ln A_α for integer α ≥ 2 (finite binomial sum, identical in both series).
fn log_a_integer(q: f64, sigma: f64, alpha: u32) -> f64 {
    let ln_q = q.ln();
    let ln_1mq = (-q).ln_1p();
    let a = f64::from(alpha);
    (0..=alpha).fold(f64::NEG_INFINITY, |acc, i| {
        let i = f64::from(i);
        let term = ln_abs_binomial(a, i)
            + i * ln_q
            + (a - i) * ln_1mq
            + (i * i - i) / (2.0 * sigma * sigma);
        log_add(acc, term)
    })
}

/// The two terms s₀, s₁ (in logs) of the fractional-order series at index i.
fn fractional_terms(q: f64, sigma: f64, alpha: f64, i: u32, z0: f64) -> (f64, f64) {
    let ln_q = q.ln();
    let ln_1mq = (-q).ln_1p();
    let fi = f64::from(i);
    let j = alpha - fi;
    let log_coef = ln_abs_binomial(alpha, fi);
    let log_t0 = log_coef + fi * ln_q + j * ln_1mq;
    let log_t1 = log_coef + j * ln_q + fi * ln_1mq;
    let scale = std::f64::consts::SQRT_2 * sigma;
    let log_e0 = 0.5f64.ln() + log_erfc((fi - z0) / scale);
    let log_e1 = 0.5f64.ln() + log_erfc((z0 - j) / scale);
    let two_var = 2.0 * sigma * sigma;
    (
        log_t0 + (fi * fi - fi) / two_var + log_e0,
        log_t1 + (j * j - j) / two_var + log_e1,
    )
}

fn log_a_fractional_signed(q: f64, sigma: f64, alpha: f64) -> Option<f64> {
    let z0 = sigma * sigma * (1.0 / q - 1.0).ln() + 0.5;
    let (mut log_a0, mut log_a1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for i in 0..MAX_SERIES_TERMS {
        let (log_s0, log_s1) = fractional_terms(q, sigma, alpha, i, z0);
        if binomial_is_negative(alpha, i) {
            log_a0 = log_sub(log_a0, log_s0)?;
            log_a1 = log_sub(log_a1, log_s1)?;
        } else {
            log_a0 = log_add(log_a0, log_s0);
            log_a1 = log_add(log_a1, log_s1);
        }
        if log_s0.max(log_s1) < -30.0 {
            return Some(log_add(log_a0, log_a1));
        }
    }
    None
}

fn log_a_fractional_absolute(q: f64, sigma: f64, alpha: f64) -> Option<f64> {
    let z0 = sigma * sigma * (1.0 / q - 1.0).ln() + 0.5;
    let (mut log_a0, mut log_a1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let (mut last_s0, mut last_s1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for i in 0..MAX_SERIES_TERMS {
        let (log_s0, log_s1) = fractional_terms(q, sigma, alpha, i, z0);
        log_a0 = log_add(log_a0, log_s0);
        log_a1 = log_add(log_a1, log_s1);
        let total = log_add(log_a0, log_a1);
        if log_s0 < last_s0 && log_s1 < last_s1 && log_s0.max(log_s1) < total - 30.0 {
            return Some(total);
        }
        last_s0 = log_s0;
        last_s1 = log_s1;
    }
    None
}

/// RDP of one step of the Poisson-subsampled Gaussian at order α, or `None` when
/// the series fails numerically (the order is then excluded, as dp_accounting does).
///
/// Edge cases (spec §5.2): q = 0 → 0; σ = 0 or α = ∞ → ∞; q = 1 → α/(2σ²).
pub fn rdp_one_step(q: f64, sigma: f64, alpha: f64, series: RdpSeries) -> Option<f64> {
    if q == 0.0 {
        return Some(0.0);
    }
    if alpha.is_infinite() || sigma == 0.0 {
        return Some(f64::INFINITY);
    }
    if q == 1.0 {
        return Some(alpha / (2.0 * sigma * sigma));
    }
    if alpha <= 1.0 {
        // The limit α → 1 (KL divergence) is not part of either reference series.
        return None;
    }
    let log_a = if alpha.fract() == 0.0 && alpha <= f64::from(u32::MAX) {
        Some(log_a_integer(q, sigma, alpha as u32))
    } else {
        match series {
            RdpSeries::Signed => log_a_fractional_signed(q, sigma, alpha),
            RdpSeries::Absolute => log_a_fractional_absolute(q, sigma, alpha),
        }
    }?;
    let rdp = log_a / (alpha - 1.0);
    rdp.is_finite().then_some(rdp)
}

/// RDP curve of `steps` compositions of the Poisson-subsampled Gaussian with
/// sampling rate `q` and noise multiplier `sigma`.
pub fn poisson_subsampled_gaussian(
    q: f64,
    sigma: f64,
    steps: u64,
    orders: &[f64],
    series: RdpSeries,
) -> Result<RdpCurve> {
    validate_mechanism(q, sigma)?;
    validate_orders(orders)?;
    let mut warnings = Vec::new();
    let rdp = orders
        .iter()
        .map(|&alpha| match rdp_one_step(q, sigma, alpha, series) {
            // Zero steps spend nothing, even where one step is unbounded.
            Some(_) if steps == 0 => 0.0,
            Some(value) => value * steps as f64,
            None => {
                warnings.push(format!(
                    "RDP at order {alpha} could not be computed for q = {q}, σ = {sigma}; \
                     the order is excluded"
                ));
                f64::INFINITY
            }
        })
        .collect();
    Ok(RdpCurve {
        orders: orders.to_vec(),
        rdp,
        warnings,
    })
}

impl RdpCurve {
    /// Heterogeneous composition: RDP curves on the same orders add.
    pub fn compose(&self, other: &RdpCurve) -> Result<RdpCurve> {
        if self.orders != other.orders {
            return Err(Error::Mismatch(
                "RDP curves can only be composed on the same list of orders".into(),
            ));
        }
        let mut warnings = self.warnings.clone();
        warnings.extend(other.warnings.iter().cloned());
        Ok(RdpCurve {
            orders: self.orders.clone(),
            rdp: self
                .rdp
                .iter()
                .zip(&other.rdp)
                .map(|(a, b)| a + b)
                .collect(),
            warnings,
        })
    }

    fn is_grid_end(&self, order: f64) -> bool {
        let min = self.orders.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self
            .orders
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        self.orders.len() > 1 && (order == min || order == max)
    }

    /// Smallest ε such that the mechanism is (ε, δ)-DP, and the order achieving it.
    pub fn epsilon(&self, delta: f64, conversion: Conversion) -> Result<EpsilonAtOrder> {
        if !(delta > 0.0 && delta < 1.0) {
            return Err(Error::Parameter(format!(
                "δ must be in (0, 1), got {delta}"
            )));
        }
        let candidates = self.orders.iter().zip(&self.rdp).map(|(&a, &r)| {
            let eps = match conversion {
                Conversion::Classic if a > 1.0 => r - delta.ln() / (a - 1.0),
                Conversion::Classic => f64::INFINITY,
                Conversion::Improved => {
                    if r < 0.0 || delta * delta + (-r).exp_m1() > 0.0 {
                        // Bound via KL: δ ≥ √(1 − e^−RDP) gives ε = 0.
                        0.0
                    } else if a > 1.01 {
                        r + (-1.0 / a).ln_1p() - (delta * a).ln() / (a - 1.0)
                    } else {
                        f64::INFINITY
                    }
                }
            };
            (a, if eps.is_nan() { f64::INFINITY } else { eps })
        });
        let (order, epsilon) = argmin(candidates);
        Ok(EpsilonAtOrder {
            epsilon: epsilon.max(0.0),
            order,
            // With no finite ε at any order, no grid would help.
            at_grid_end: epsilon.is_finite() && self.is_grid_end(order),
        })
    }

    /// Smallest δ such that the mechanism is (ε, δ)-DP, and the order achieving it.
    pub fn delta(&self, epsilon: f64, conversion: Conversion) -> Result<DeltaAtOrder> {
        if epsilon.is_nan() || epsilon < 0.0 {
            return Err(Error::Parameter(format!("ε must be ≥ 0, got {epsilon}")));
        }
        let candidates = self.orders.iter().zip(&self.rdp).map(|(&a, &r)| {
            let log_delta = match conversion {
                Conversion::Classic if a > 1.0 => (a - 1.0) * (r - epsilon),
                Conversion::Classic => f64::INFINITY,
                Conversion::Improved => {
                    let kl_bound = if r <= 0.0 {
                        f64::NEG_INFINITY
                    } else {
                        0.5 * (-(-r).exp()).ln_1p()
                    };
                    if a > 1.01 {
                        let rdp_bound = (a - 1.0) * (r - epsilon + (-1.0 / a).ln_1p()) - a.ln();
                        kl_bound.min(rdp_bound)
                    } else {
                        kl_bound
                    }
                }
            };
            (
                a,
                if log_delta.is_nan() {
                    f64::INFINITY
                } else {
                    log_delta
                },
            )
        });
        let (order, log_delta) = argmin(candidates);
        Ok(DeltaAtOrder {
            delta: log_delta.exp().min(1.0),
            order,
            at_grid_end: log_delta < 0.0 && self.is_grid_end(order),
        })
    }
}

/// The (order, value) pair with the smallest value; the first one on ties, like
/// `np.argmin`.
fn argmin(candidates: impl Iterator<Item = (f64, f64)>) -> (f64, f64) {
    candidates.fold((f64::NAN, f64::INFINITY), |best, (a, v)| {
        if v < best.1 || best.0.is_nan() {
            (a, v)
        } else {
            best
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ln E_{z~N(0,σ²)}[((1−q) + q·e^{(2z−1)/(2σ²)})^α] by Simpson's rule: the
    /// definition of A_α, independent of either series.
    fn log_a_by_quadrature(q: f64, sigma: f64, alpha: f64) -> f64 {
        let (lo, hi) = (-20.0 * sigma, 20.0 * sigma + alpha * 2.0);
        let n = 400_000;
        let h = (hi - lo) / f64::from(n);
        let f = |z: f64| {
            let ratio = (1.0 - q) + q * ((2.0 * z - 1.0) / (2.0 * sigma * sigma)).exp();
            let density = (-z * z / (2.0 * sigma * sigma)).exp()
                / (sigma * (2.0 * std::f64::consts::PI).sqrt());
            ratio.powf(alpha) * density
        };
        let mut sum = f(lo) + f(hi);
        for k in 1..n {
            let weight = if k % 2 == 1 { 4.0 } else { 2.0 };
            sum += weight * f(lo + f64::from(k) * h);
        }
        (sum * h / 3.0).ln()
    }

    #[test]
    fn signed_series_equals_the_integral_and_absolute_bounds_it() {
        for (q, sigma, alpha) in [
            (0.01, 2.5, 1.5),
            (0.05, 1.0, 2.7),
            (0.2, 0.8, 4.3),
            (0.01, 2.5, 3.0),
        ] {
            let exact = log_a_by_quadrature(q, sigma, alpha);
            let Some(signed) = rdp_one_step(q, sigma, alpha, RdpSeries::Signed) else {
                panic!("signed series failed at q {q}, σ {sigma}, α {alpha}");
            };
            let signed_log_a = signed * (alpha - 1.0);
            // Absolute on ln A, i.e. relative on A: the quadrature's own error is ~1e-13.
            assert!(
                (signed_log_a - exact).abs() < 1e-12,
                "α {alpha}: {signed_log_a} vs {exact}"
            );
            let Some(absolute) = rdp_one_step(q, sigma, alpha, RdpSeries::Absolute) else {
                panic!("absolute series failed at q {q}, σ {sigma}, α {alpha}");
            };
            assert!(
                absolute >= signed * (1.0 - 1e-12),
                "the absolute series is an upper bound"
            );
        }
        // Spec §5.2: q 0.01, σ 2.5, α 1.5 → ln A 6.7058e-6 (absolute) vs 6.5007e-6.
        let absolute = rdp_one_step(0.01, 2.5, 1.5, RdpSeries::Absolute).map(|r| r * 0.5);
        assert!(absolute.is_some_and(|v| (v - 6.7058e-6).abs() < 1e-10));
    }

    #[test]
    fn edge_cases_follow_the_spec() {
        for series in [RdpSeries::Signed, RdpSeries::Absolute] {
            assert_eq!(rdp_one_step(0.0, 1.0, 2.5, series), Some(0.0));
            assert_eq!(rdp_one_step(0.3, 0.0, 2.5, series), Some(f64::INFINITY));
            assert_eq!(
                rdp_one_step(0.3, 1.0, f64::INFINITY, series),
                Some(f64::INFINITY)
            );
            assert_eq!(rdp_one_step(1.0, 2.0, 3.0, series), Some(3.0 / 8.0));
        }
        // At q = 1 the subsampled formula's limit is the plain Gaussian α/(2σ²).
        let near_one = rdp_one_step(1.0 - 1e-9, 2.0, 3.0, RdpSeries::Signed);
        assert!(near_one.is_some_and(|v| (v - 3.0 / 8.0).abs() < 1e-6));
    }

    #[test]
    fn composition_adds_and_rejects_other_grids() -> Result<()> {
        let orders = OrderGrid::Opacus.orders();
        let a = poisson_subsampled_gaussian(0.01, 1.0, 100, &orders, RdpSeries::Signed)?;
        let b = poisson_subsampled_gaussian(0.02, 1.5, 50, &orders, RdpSeries::Signed)?;
        let both = a.compose(&b)?;
        for ((x, y), z) in a.rdp.iter().zip(&b.rdp).zip(&both.rdp) {
            assert!((x + y - z).abs() <= 1e-15 * z.abs());
        }
        let homogeneous = poisson_subsampled_gaussian(0.01, 1.0, 300, &orders, RdpSeries::Signed)?;
        let thrice = a.compose(&a)?.compose(&a)?;
        for (x, y) in homogeneous.rdp.iter().zip(&thrice.rdp) {
            assert!((x - y).abs() <= 1e-12 * x.abs());
        }
        let other = poisson_subsampled_gaussian(0.01, 1.0, 100, &[2.0, 3.0], RdpSeries::Signed)?;
        assert!(a.compose(&other).is_err());
        Ok(())
    }

    #[test]
    fn invalid_parameters_are_refused() {
        assert!(poisson_subsampled_gaussian(1.5, 1.0, 1, &[2.0], RdpSeries::Signed).is_err());
        assert!(poisson_subsampled_gaussian(0.1, -1.0, 1, &[2.0], RdpSeries::Signed).is_err());
        assert!(poisson_subsampled_gaussian(0.1, 1.0, 1, &[0.5], RdpSeries::Signed).is_err());
        assert!(poisson_subsampled_gaussian(0.1, 1.0, 1, &[], RdpSeries::Signed).is_err());
    }
}
