//! `genopriv accountant`: the ε of a DP-SGD run, labelled with the accountant,
//! conversion and sampling assumption that produced it (spec audits §1.3, §5).

use std::fmt::Write as _;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use genopriv_core::dp::{
    self, Accountant, AccountingOptions, Conversion, DpSgdSetting, EpsilonReport, OrderGrid,
    RdpSeries, Sampling, gdp, profile,
};
use serde::Serialize;

#[derive(Args, Debug, Clone)]
pub struct AccountantArgs {
    /// Probability that a record is in a batch (batch size / dataset size)
    #[arg(long, value_name = "Q")]
    pub sampling_rate: f64,
    /// Noise standard deviation divided by the clipping norm
    #[arg(long, value_name = "SIGMA")]
    pub noise_multiplier: f64,
    /// Number of noisy steps (epochs × dataset size / batch size, rounded up)
    #[arg(long, value_name = "T")]
    pub steps: u64,
    /// Target δ (commonly below 1 / dataset size)
    #[arg(long, value_name = "D")]
    pub delta: f64,
    /// rdp: Rényi-DP upper bound; pld: tight bound; gdp: CLT approximation (not a bound)
    #[arg(long, value_enum, default_value_t = AccountantChoice::Rdp)]
    pub accountant: AccountantChoice,
    /// RDP → (ε, δ) conversion; old TF Privacy, Opacus READMEs and DP-MIA used classic
    #[arg(long, value_enum, default_value_t = ConversionChoice::Improved)]
    pub conversion: ConversionChoice,
    /// RDP order grid
    #[arg(long, value_enum, default_value_t = OrdersChoice::DpAccounting)]
    pub orders: OrdersChoice,
    /// RDP series at fractional orders [default: signed for the opacus, tf-privacy and
    /// dpmia grids, absolute for dp-accounting, as each library computes it]
    #[arg(long, value_enum)]
    pub series: Option<SeriesChoice>,
    /// How batches were drawn; shuffled batches make every ε a heuristic
    #[arg(long, value_enum, default_value_t = SamplingChoice::Poisson)]
    pub sampling: SamplingChoice,
    /// PLD value discretisation interval
    #[arg(long, default_value_t = dp::pld::DEFAULT_INTERVAL)]
    pub pld_interval: f64,
    /// Also print the membership-inference ceiling the guarantee implies: the largest
    /// TPR any attack can reach at FPR 0.1 %, 1 % and 10 %, from the privacy profile
    /// (PLD with --accountant pld, else RDP) and from μ-GDP
    #[arg(long)]
    pub ceiling: bool,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// The FPRs at which `--ceiling` reports the bound (spec §1.1 and §6).
pub const CEILING_FPRS: [f64; 3] = [1e-3, 1e-2, 0.1];

/// The TPR bound at a few FPRs, from the privacy profile and from μ-GDP.
#[derive(Debug, Clone, Serialize)]
pub struct CeilingSummary {
    pub fpr: Vec<f64>,
    /// Tight bound from the whole privacy profile δ(ε).
    pub profile_tpr_max: Vec<f64>,
    pub profile_source: String,
    /// Bound from the single (ε, δ) pair alone: loose, often vacuous.
    pub single_pair_tpr_max: Vec<f64>,
    /// μ-GDP curve (CLT approximation, not a bound); absent when σ = 0.
    pub gdp_tpr: Option<Vec<f64>>,
    pub max_advantage: f64,
    pub max_balanced_accuracy: f64,
}

/// What the command prints: the ε report, and the ceiling when asked for.
#[derive(Debug, Clone, Serialize)]
pub struct AccountantOutput {
    #[serde(flatten)]
    pub report: EpsilonReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roc_ceiling: Option<CeilingSummary>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountantChoice {
    Rdp,
    Pld,
    Gdp,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionChoice {
    Classic,
    Improved,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrdersChoice {
    Opacus,
    DpAccounting,
    TfPrivacy,
    Dpmia,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesChoice {
    Signed,
    Absolute,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplingChoice {
    Poisson,
    Shuffled,
}

impl AccountantArgs {
    fn setting(&self) -> DpSgdSetting {
        DpSgdSetting {
            sampling_rate: self.sampling_rate,
            noise_multiplier: self.noise_multiplier,
            steps: self.steps,
        }
    }

    fn options(&self) -> AccountingOptions {
        let orders = match self.orders {
            OrdersChoice::Opacus => OrderGrid::Opacus,
            OrdersChoice::DpAccounting => OrderGrid::DpAccounting,
            OrdersChoice::TfPrivacy => OrderGrid::TfPrivacy,
            OrdersChoice::Dpmia => OrderGrid::DpMia,
        };
        let series = match (self.series, self.orders) {
            (Some(SeriesChoice::Signed), _) => RdpSeries::Signed,
            (Some(SeriesChoice::Absolute), _) => RdpSeries::Absolute,
            (None, OrdersChoice::DpAccounting) => RdpSeries::Absolute,
            (None, OrdersChoice::Opacus | OrdersChoice::TfPrivacy | OrdersChoice::Dpmia) => {
                RdpSeries::Signed
            }
        };
        AccountingOptions {
            accountant: match self.accountant {
                AccountantChoice::Rdp => Accountant::Rdp,
                AccountantChoice::Pld => Accountant::Pld,
                AccountantChoice::Gdp => Accountant::Gdp,
            },
            conversion: match self.conversion {
                ConversionChoice::Classic => Conversion::Classic,
                ConversionChoice::Improved => Conversion::Improved,
            },
            orders,
            series,
            sampling: match self.sampling {
                SamplingChoice::Poisson => Sampling::Poisson,
                SamplingChoice::Shuffled => Sampling::Shuffled,
            },
            pld_interval: self.pld_interval,
        }
    }
}

/// Computes the report the command prints.
pub fn report(args: &AccountantArgs) -> anyhow::Result<EpsilonReport> {
    dp::account(&args.setting(), args.delta, &args.options()).with_context(|| {
        format!(
            "could not account q = {}, σ = {}, T = {}, δ = {}",
            args.sampling_rate, args.noise_multiplier, args.steps, args.delta
        )
    })
}

/// The TPR ceiling at [`CEILING_FPRS`] for the setting of `report`.
pub fn ceiling(args: &AccountantArgs, report: &EpsilonReport) -> anyhow::Result<CeilingSummary> {
    let setting = args.setting();
    let options = args.options();
    let curve = dp::privacy_profile(&setting, report.epsilon, &options)
        .context("could not compute the privacy profile")?;
    let profile_tpr_max = CEILING_FPRS
        .iter()
        .map(|&f| profile::profile_tpr(&curve, f))
        .collect::<Result<Vec<_>, _>>()?;
    let single_pair_tpr_max = CEILING_FPRS
        .iter()
        .map(|&f| profile::single_pair_tpr(report.epsilon, report.delta, f))
        .collect();
    let gdp_tpr = if setting.noise_multiplier > 0.0 {
        let mu = gdp::mu_poisson(
            setting.sampling_rate,
            setting.noise_multiplier,
            setting.steps,
        )?;
        Some(
            CEILING_FPRS
                .iter()
                .map(|&f| profile::gdp_tpr(mu, f))
                .collect::<Result<Vec<_>, _>>()?,
        )
    } else {
        None
    };
    Ok(CeilingSummary {
        fpr: CEILING_FPRS.to_vec(),
        profile_tpr_max,
        profile_source: curve.source,
        single_pair_tpr_max,
        gdp_tpr,
        max_advantage: profile::max_advantage(report.epsilon, report.delta),
        max_balanced_accuracy: profile::max_balanced_accuracy(report.epsilon, report.delta),
    })
}

fn render_ceiling(out: &mut String, ceiling: &CeilingSummary) {
    let _ = writeln!(
        out,
        "membership-inference ceiling (largest TPR any attack can reach):"
    );
    for (k, fpr) in ceiling.fpr.iter().enumerate() {
        let profile = ceiling.profile_tpr_max.get(k).copied().unwrap_or(f64::NAN);
        let single = ceiling
            .single_pair_tpr_max
            .get(k)
            .copied()
            .unwrap_or(f64::NAN);
        let gdp = match ceiling.gdp_tpr.as_ref().and_then(|g| g.get(k)) {
            Some(v) => format!("{v:.4}"),
            None => "n/a".to_string(),
        };
        let _ = writeln!(
            out,
            "  FPR {:>5}: {profile:.4} ({}), {single:.4} (single (ε, δ) pair), {gdp} (μ-GDP, not a bound)",
            format!("{}%", fpr * 100.0),
            ceiling.profile_source
        );
    }
    let _ = writeln!(out, "max advantage: {:.4}", ceiling.max_advantage);
    let _ = writeln!(
        out,
        "max balanced accuracy: {:.4}",
        ceiling.max_balanced_accuracy
    );
}

/// The human-readable form of a report.
pub fn render_text(report: &EpsilonReport) -> String {
    let mut out = String::new();
    let epsilon = if report.epsilon.is_finite() {
        format!("{:.4}", report.epsilon)
    } else {
        "unbounded (no privacy guarantee)".to_string()
    };
    let _ = writeln!(out, "epsilon: {epsilon}");
    let _ = writeln!(out, "delta: {}", report.delta);
    let _ = writeln!(out, "accountant: {}", report.label);
    if let Some(order) = report.optimal_order {
        let end = if report.optimal_order_at_grid_end {
            " (at the end of the grid)"
        } else {
            ""
        };
        let _ = writeln!(out, "optimal order: {order}{end}");
    }
    if let Some(mu) = report.mu {
        let _ = writeln!(out, "mu: {mu:.4}");
    }
    let bound = if report.is_upper_bound { "yes" } else { "no" };
    let _ = writeln!(out, "upper bound: {bound}");
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

pub fn run(args: &AccountantArgs) -> anyhow::Result<()> {
    let report = report(args)?;
    let roc_ceiling = if args.ceiling {
        Some(ceiling(args, &report)?)
    } else {
        None
    };
    if args.json {
        let output = AccountantOutput {
            report,
            roc_ceiling,
        };
        let json = serde_json::to_string(&output).context("could not encode the report as JSON")?;
        println!("{json}");
    } else {
        let mut text = render_text(&report);
        if let Some(ceiling) = &roc_ceiling {
            render_ceiling(&mut text, ceiling);
        }
        print!("{text}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Harness {
        #[command(flatten)]
        args: AccountantArgs,
    }

    fn parse(extra: &[&str]) -> anyhow::Result<AccountantArgs> {
        let base = [
            "genopriv",
            "--sampling-rate",
            "0.04",
            "--noise-multiplier",
            "1.5",
            "--steps",
            "2250",
        ];
        let default_delta: &[&str] = if extra.contains(&"--delta") {
            &[]
        } else {
            &["--delta", "1e-5"]
        };
        Ok(Harness::try_parse_from(base.iter().chain(default_delta).chain(extra))?.args)
    }

    #[test]
    fn opacus_grid_reproduces_opacus() -> anyhow::Result<()> {
        // Spec A4: Opacus RDP, σ 1.5, q 0.04, T 2250, δ 1e-5 → 7.32911117143 at α 3.9.
        let report = report(&parse(&["--orders", "opacus"])?)?;
        assert!((report.epsilon - 7.32911117143).abs() < 1e-6 * 7.33);
        assert_eq!(report.optimal_order, Some(3.9));
        assert_eq!(report.series, Some(RdpSeries::Signed));
        let text = render_text(&report);
        assert!(
            text.contains("epsilon: 7.3291") && text.contains("optimal order: 3.9"),
            "{text}"
        );
        assert!(
            text.contains("improved conversion") && text.contains("Poisson sampling"),
            "{text}"
        );
        Ok(())
    }

    #[test]
    fn gdp_is_labelled_as_not_a_bound() -> anyhow::Result<()> {
        let report = report(&parse(&["--accountant", "gdp", "--json"])?)?;
        // Spec A5: T 2250 → 6.6016.
        assert!((report.epsilon - 6.6016).abs() < 1e-4, "{}", report.epsilon);
        let json = serde_json::to_value(&report)?;
        assert_eq!(json["accountant"], "gdp");
        assert_eq!(json["is_upper_bound"], false);
        Ok(())
    }

    #[test]
    fn ceiling_reproduces_the_spec_anchor() -> anyhow::Result<()> {
        // Spec §6, q 0.04, σ 1.5, T 2250, δ 1e-5: profile .0476/.1804/.5473, single
        // pair .8703/.9989/.999, GDP .0474/.1822/.5548.
        let args = parse(&["--accountant", "pld", "--ceiling"])?;
        let report = report(&args)?;
        let summary = ceiling(&args, &report)?;
        let expected = [
            (0.0476, 0.8703, 0.0474),
            (0.1804, 0.9989, 0.1822),
            (0.5473, 0.999, 0.5548),
        ];
        let gdp = summary.gdp_tpr.clone().unwrap_or_default();
        for (k, (profile, single, gdp_expected)) in expected.into_iter().enumerate() {
            assert!(
                (summary.profile_tpr_max[k] - profile).abs() < 2e-4,
                "{:?}",
                summary.profile_tpr_max
            );
            assert!(
                (summary.single_pair_tpr_max[k] - single).abs() < 5e-4,
                "{:?}",
                summary.single_pair_tpr_max
            );
            assert!((gdp[k] - gdp_expected).abs() < 5e-5, "{gdp:?}");
        }
        let json = serde_json::to_value(AccountantOutput {
            report,
            roc_ceiling: Some(summary),
        })?;
        assert_eq!(json["accountant"], "pld");
        assert_eq!(json["roc_ceiling"]["fpr"][0], 1e-3);
        Ok(())
    }

    #[test]
    fn invalid_input_is_refused_with_the_parameter_named() -> anyhow::Result<()> {
        let Err(error) = report(&parse(&["--delta", "2"])?) else {
            anyhow::bail!("δ = 2 must be refused");
        };
        assert!(
            format!("{error:#}").contains("δ must be in (0, 1)"),
            "{error:#}"
        );
        assert!(parse(&["--accountant", "prv"]).is_err());
        Ok(())
    }
}
