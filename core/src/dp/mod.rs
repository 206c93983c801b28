//! Differential-privacy accounting for DP-SGD (spec audits §5–§7).
//!
//! - [`rdp`]: Rényi DP of the Poisson-subsampled Gaussian, both published series,
//!   the named order grids and the classic / improved conversions.
//! - [`pld`]: the tight privacy-loss-distribution accountant (dp_accounting).
//! - [`gdp`]: the CLT / μ-GDP approximation (Opacus), flagged as not a bound.
//! - [`profile`]: the ROC ceiling a guarantee implies.
//!
//! [`account`] is the one entry point the CLI and GUI use: every result says
//! which accountant, conversion and sampling assumption produced it (spec §1.3).

pub mod fft;
pub mod gdp;
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
    if !(sigma >= 0.0) || !sigma.is_finite() {
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
