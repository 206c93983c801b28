//! Differential-privacy accounting for DP-SGD (spec audits §5–§7).
//!
//! - [`rdp`]: Rényi DP of the Poisson-subsampled Gaussian, both published series,
//!   the named order grids and the classic / improved conversions.
//! - [`pld`]: the tight privacy-loss-distribution accountant (dp_accounting).
//! - [`gdp`]: the CLT / μ-GDP approximation (Opacus), flagged as not a bound.
//! - [`profile`]: the ROC ceiling a guarantee implies.
//! - [`noise`]: exact discrete Laplace and Gaussian samplers (no float in the draw).
//!
//! [`account`] is the one entry point the CLI and GUI use: every result says
//! which accountant, conversion and sampling assumption produced it (spec §1.3).

pub mod fft;
pub mod gdp;
pub mod noise;
pub mod pld;
pub mod profile;
pub mod rdp;
pub mod special;

use serde::{Deserialize, Serialize};

pub use pld::PrivacyLossDistribution;
pub use profile::{PrivacyProfile, RocCeiling};
pub use rdp::{Conversion, OrderGrid, RdpCurve, RdpSeries};

use crate::{Error, Result};

/// Which accountant computes ε.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Accountant {
    /// Rényi DP: an upper bound, loose by 10–20 % at typical settings.
    Rdp,
    /// Privacy loss distribution: tight up to discretisation.
    Pld,
    /// CLT / μ-GDP: an approximation, not a bound.
    Gdp,
}

/// How batches were drawn. Every accountant here assumes Poisson sampling;
/// shuffled fixed-size batches (the Keras / PyTorch default) are not covered
/// by them and the ε is then only a heuristic (spec §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampling {
    Poisson,
    Shuffled,
}

/// The privacy-relevant parameters of a DP-SGD run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DpSgdSetting {
    /// Probability q that a record is in a batch (batch size / dataset size).
    pub sampling_rate: f64,
    /// Noise standard deviation divided by the clipping norm.
    pub noise_multiplier: f64,
    /// Number of noisy gradient steps.
    pub steps: u64,
}

/// Every choice that changes the ε of a setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountingOptions {
    pub accountant: Accountant,
    /// Used by the RDP accountant only.
    pub conversion: Conversion,
    /// Used by the RDP accountant only.
    pub orders: OrderGrid,
    /// Used by the RDP accountant only.
    pub series: RdpSeries,
    pub sampling: Sampling,
    /// PLD value discretisation interval.
    pub pld_interval: f64,
}

impl Default for AccountingOptions {
    /// dp_accounting's defaults.
    fn default() -> Self {
        AccountingOptions {
            accountant: Accountant::Rdp,
            conversion: Conversion::Improved,
            orders: OrderGrid::DpAccounting,
            series: RdpSeries::Absolute,
            sampling: Sampling::Poisson,
            pld_interval: pld::DEFAULT_INTERVAL,
        }
    }
}

/// An ε with everything needed to interpret it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpsilonReport {
    pub epsilon: f64,
    pub delta: f64,
    pub setting: DpSgdSetting,
    pub accountant: Accountant,
    /// RDP only.
    pub conversion: Option<Conversion>,
    /// RDP only.
    pub series: Option<RdpSeries>,
    /// RDP only: the order grid's name.
    pub orders: Option<String>,
    /// RDP only.
    pub optimal_order: Option<f64>,
    /// RDP only: the optimum is at an end of the grid, so a wider grid may help.
    pub optimal_order_at_grid_end: bool,
    /// GDP only: the μ of the approximation.
    pub mu: Option<f64>,
    pub sampling: Sampling,
    /// True only when ε is a proven upper bound for the stated sampling: false
    /// for GDP and for shuffled batches.
    pub is_upper_bound: bool,
    /// One line naming accountant, conversion and sampling, for display.
    pub label: String,
    pub warnings: Vec<String>,
}

fn validate_setting(setting: &DpSgdSetting, delta: f64) -> Result<()> {
    let q = setting.sampling_rate;
    if !(0.0..=1.0).contains(&q) {
        return Err(Error::Parameter(format!(
            "the sampling rate must be in [0, 1], got {q}"
        )));
    }
    let sigma = setting.noise_multiplier;
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(Error::Parameter(format!(
            "the noise multiplier must be a finite number ≥ 0, got {sigma}"
        )));
    }
    if !(delta > 0.0 && delta < 1.0) {
        return Err(Error::Parameter(format!(
            "δ must be in (0, 1), got {delta}"
        )));
    }
    Ok(())
}

fn sampling_label(sampling: Sampling) -> &'static str {
    match sampling {
        Sampling::Poisson => "Poisson sampling",
        Sampling::Shuffled => "shuffled batches: heuristic, accountants assume Poisson sampling",
    }
}

const SHUFFLED_WARNING: &str = "batches were shuffled, not Poisson-sampled: no accountant covers this, \
     the ε is a heuristic (opacus #80, tensorflow/privacy #483)";

/// ε of a DP-SGD run at `delta`, labelled with how it was obtained.
pub fn account(
    setting: &DpSgdSetting,
    delta: f64,
    options: &AccountingOptions,
) -> Result<EpsilonReport> {
    validate_setting(setting, delta)?;
    let DpSgdSetting {
        sampling_rate: q,
        noise_multiplier: sigma,
        steps,
    } = *setting;
    let mut warnings = Vec::new();
    if options.sampling == Sampling::Shuffled {
        warnings.push(SHUFFLED_WARNING.to_string());
    }
    let poisson = options.sampling == Sampling::Poisson;
    let mut report = EpsilonReport {
        epsilon: f64::NAN,
        delta,
        setting: *setting,
        accountant: options.accountant,
        conversion: None,
        series: None,
        orders: None,
        optimal_order: None,
        optimal_order_at_grid_end: false,
        mu: None,
        sampling: options.sampling,
        is_upper_bound: poisson,
        label: String::new(),
        warnings,
    };
    match options.accountant {
        Accountant::Rdp => {
            let curve = rdp::poisson_subsampled_gaussian(
                q,
                sigma,
                steps,
                &options.orders.orders(),
                options.series,
            )?;
            let best = curve.epsilon(delta, options.conversion)?;
            report.warnings.extend(curve.warnings);
            if best.at_grid_end {
                report.warnings.push(format!(
                    "the optimal order {} is at an end of the {} grid: a wider grid may give a smaller ε",
                    best.order,
                    options.orders.label()
                ));
            }
            report.epsilon = best.epsilon;
            report.conversion = Some(options.conversion);
            report.series = Some(options.series);
            report.orders = Some(options.orders.label());
            report.optimal_order = Some(best.order);
            report.optimal_order_at_grid_end = best.at_grid_end;
            let conversion = match options.conversion {
                Conversion::Classic => "classic",
                Conversion::Improved => "improved",
            };
            report.label = format!(
                "RDP accountant, {conversion} conversion, {} grid, {}",
                options.orders.label(),
                sampling_label(options.sampling)
            );
        }
        Accountant::Pld => {
            report.epsilon = if sigma == 0.0 && q > 0.0 && steps > 0 {
                f64::INFINITY
            } else {
                pld::dp_sgd(q, sigma, steps, options.pld_interval)?.epsilon_for_delta(delta)
            };
            report.label = format!(
                "PLD accountant (interval {}), {}",
                options.pld_interval,
                sampling_label(options.sampling)
            );
        }
        Accountant::Gdp => {
            let mu = if sigma == 0.0 {
                f64::INFINITY
            } else if poisson {
                gdp::mu_poisson(q, sigma, steps)?
            } else {
                gdp::mu_uniform(q, sigma, steps)?
            };
            report.epsilon = if mu.is_finite() {
                gdp::epsilon_for_delta(mu, delta)?
            } else {
                f64::INFINITY
            };
            report.mu = Some(mu);
            report.is_upper_bound = false;
            if q < 1.0 {
                report.warnings.push(
                    "GDP is a central-limit approximation for subsampled mechanisms, not a bound: \
                     it can be below the true ε"
                        .into(),
                );
            }
            report.label = format!(
                "GDP / CLT approximation (not a bound), μ = {mu:.4}, {}",
                sampling_label(options.sampling)
            );
        }
    }
    Ok(report)
}

/// δ(ε) of a run on the ε grid of spec §6, from the PLD accountant when
/// `options.accountant` is PLD, else from the RDP curve with `options.conversion`.
pub fn privacy_profile(
    setting: &DpSgdSetting,
    headline_epsilon: f64,
    options: &AccountingOptions,
) -> Result<PrivacyProfile> {
    validate_setting(setting, 0.5)?;
    let epsilons = profile::epsilon_grid(headline_epsilon);
    let DpSgdSetting {
        sampling_rate: q,
        noise_multiplier: sigma,
        steps,
    } = *setting;
    match options.accountant {
        Accountant::Pld => {
            let deltas = if sigma == 0.0 && q > 0.0 && steps > 0 {
                vec![1.0; epsilons.len()]
            } else {
                pld::dp_sgd(q, sigma, steps, options.pld_interval)?
                    .deltas_for_epsilons(&epsilons)?
            };
            Ok(PrivacyProfile {
                epsilons,
                deltas,
                source: "PLD privacy profile".into(),
            })
        }
        Accountant::Rdp | Accountant::Gdp => {
            let curve = rdp::poisson_subsampled_gaussian(
                q,
                sigma,
                steps,
                &options.orders.orders(),
                options.series,
            )?;
            let deltas = epsilons
                .iter()
                .map(|&e| curve.delta(e, options.conversion).map(|d| d.delta))
                .collect::<Result<_>>()?;
            Ok(PrivacyProfile {
                epsilons,
                deltas,
                source: "RDP privacy profile".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epsilon(q: f64, sigma: f64, steps: u64, accountant: Accountant) -> Result<f64> {
        let options = AccountingOptions {
            accountant,
            ..AccountingOptions::default()
        };
        let setting = DpSgdSetting {
            sampling_rate: q,
            noise_multiplier: sigma,
            steps,
        };
        Ok(account(&setting, 1e-5, &options)?.epsilon)
    }

    #[test]
    fn epsilon_decreases_with_noise_and_grows_with_steps() -> Result<()> {
        for accountant in [Accountant::Rdp, Accountant::Pld, Accountant::Gdp] {
            let by_sigma = [0.7, 1.0, 1.5, 2.5]
                .iter()
                .map(|&s| epsilon(0.05, s, 100, accountant))
                .collect::<Result<Vec<_>>>()?;
            assert!(
                by_sigma.windows(2).all(|w| w[1] < w[0]),
                "{accountant:?}: {by_sigma:?}"
            );
            let by_steps = [10, 100, 400]
                .iter()
                .map(|&t| epsilon(0.05, 1.0, t, accountant))
                .collect::<Result<Vec<_>>>()?;
            assert!(
                by_steps.windows(2).all(|w| w[1] > w[0]),
                "{accountant:?}: {by_steps:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn pld_is_tighter_than_rdp() -> Result<()> {
        for (q, sigma, steps) in [(0.05, 1.0, 100), (0.01, 0.8, 300), (0.2, 2.0, 20)] {
            let pld = epsilon(q, sigma, steps, Accountant::Pld)?;
            let rdp = epsilon(q, sigma, steps, Accountant::Rdp)?;
            assert!(
                pld < rdp,
                "q {q}, σ {sigma}, T {steps}: PLD {pld} vs RDP {rdp}"
            );
        }
        Ok(())
    }

    #[test]
    fn no_sampling_means_no_loss_and_no_noise_means_no_guarantee() -> Result<()> {
        for accountant in [Accountant::Rdp, Accountant::Pld, Accountant::Gdp] {
            assert_eq!(epsilon(0.0, 1.0, 100, accountant)?, 0.0, "{accountant:?}");
            assert_eq!(
                epsilon(0.1, 0.0, 100, accountant)?,
                f64::INFINITY,
                "{accountant:?}"
            );
        }
        // An unbounded ε is not blamed on the order grid.
        let setting = DpSgdSetting {
            sampling_rate: 0.1,
            noise_multiplier: 0.0,
            steps: 100,
        };
        let report = account(&setting, 1e-5, &AccountingOptions::default())?;
        assert!(
            !report.optimal_order_at_grid_end && report.warnings.is_empty(),
            "{:?}",
            report.warnings
        );
        Ok(())
    }

    #[test]
    fn ceilings_lie_between_the_diagonal_and_one() -> Result<()> {
        let setting = DpSgdSetting {
            sampling_rate: 0.05,
            noise_multiplier: 1.0,
            steps: 200,
        };
        let fprs = profile::default_fpr_grid();
        for accountant in [Accountant::Pld, Accountant::Rdp] {
            let options = AccountingOptions {
                accountant,
                ..AccountingOptions::default()
            };
            let report = account(&setting, 1e-5, &options)?;
            let curve = privacy_profile(&setting, report.epsilon, &options)?;
            let ceiling = profile::profile_ceiling(&curve, &fprs)?;
            let mut previous = 0.0;
            for (&fpr, &tpr) in ceiling.fpr.iter().zip(&ceiling.tpr_max) {
                assert!(
                    tpr >= fpr && tpr <= 1.0,
                    "{accountant:?}: TPR {tpr} at FPR {fpr}"
                );
                assert!(
                    tpr >= previous,
                    "{accountant:?}: the ceiling must not decrease"
                );
                // The profile is at least as tight as its own (ε, δ) line.
                assert!(tpr <= profile::single_pair_tpr(report.epsilon, 1e-5, fpr) + 1e-12);
                previous = tpr;
            }
            // Non-trivial: strictly below 1 at small FPR.
            assert!(profile::profile_tpr(&curve, 1e-3)? < 0.5);
        }
        let mu = gdp::mu_poisson(0.05, 1.0, 200)?;
        let gdp_curve = profile::gdp_ceiling(mu, &fprs)?;
        assert!(!gdp_curve.is_upper_bound);
        for (&fpr, &tpr) in gdp_curve.fpr.iter().zip(&gdp_curve.tpr_max) {
            assert!(tpr >= fpr && tpr <= 1.0);
        }
        Ok(())
    }

    #[test]
    fn profile_deltas_match_pointwise_deltas() -> Result<()> {
        let pld = pld::dp_sgd(0.1, 1.0, 50, pld::DEFAULT_INTERVAL)?;
        let epsilons = [0.0, 0.3, 1.0, 2.5, 6.0, f64::INFINITY];
        let deltas = pld.deltas_for_epsilons(&epsilons)?;
        for (&e, &d) in epsilons.iter().zip(&deltas) {
            let pointwise = if e.is_finite() {
                pld.delta_for_epsilon(e)
            } else {
                d
            };
            assert!((d - pointwise).abs() < 1e-12, "ε {e}: {d} vs {pointwise}");
        }
        assert!(
            deltas.windows(2).all(|w| w[1] <= w[0] + 1e-15),
            "δ(ε) must decrease"
        );
        Ok(())
    }
}
