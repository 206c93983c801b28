//! The privacy-utility trade-off of sharing: releases over a grid of mechanisms,
//! epsilons and repeats, run in parallel, each row a full measurement, and the
//! recommended epsilon at the knee of the utility curve.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::job::{Job, NoProgress};
use crate::sharing::NoiseKey;

use super::knee::max_curvature_index;
use super::share::{Budget, Mechanism, ShareSettings, ShareStudy, TargetChoice};

/// The grid of a sweep. Every run is seeded from `seed`, so a sweep is
/// reproducible and its outputs are study results, not releases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSettings {
    pub mechanisms: Vec<Mechanism>,
    /// Budgets to try (the coin-flip control runs once per repeat, at epsilon 0).
    pub budgets: Vec<Budget>,
    pub targets: TargetChoice,
    pub repeats: usize,
    pub seed: u64,
}

/// One run of the grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    pub mechanism: Mechanism,
    pub epsilon_nominal: f64,
    pub epsilon_nominal_per_snp: f64,
    pub epsilon_realised: Option<f64>,
    pub epsilon_total_spent: Option<f64>,
    pub repeat: usize,
    pub seed: u64,
    pub point_error: f64,
    pub sample_error: f64,
    pub mean_error: f64,
    pub variance_error: f64,
    pub allele_frequency_mae: f64,
    pub retention_rate: Option<f64>,
    pub coin_flip_retention_rate: Option<f64>,
    /// The stronger membership test's TPR at 1 % FPR, and its AUC (aligned split).
    pub membership_tpr_at_1pct_fpr: Option<f64>,
    pub membership_auc: Option<f64>,
}

/// The metric the recommendation follows: GWAS retention when a GWAS can be
/// measured, else the share of genotypes left unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UtilityMetric {
    RetentionRate,
    GenotypesUnchanged,
}

impl UtilityMetric {
    pub fn label(self) -> &'static str {
        match self {
            UtilityMetric::RetentionRate => "GWAS SNP retention",
            UtilityMetric::GenotypesUnchanged => "genotypes unchanged (1 - point error)",
        }
    }

    fn of(self, row: &SweepRow) -> Option<f64> {
        match self {
            UtilityMetric::RetentionRate => row.retention_rate,
            UtilityMetric::GenotypesUnchanged => Some(1.0 - row.point_error),
        }
    }
}

/// Mean utility over repeats at one epsilon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub epsilon_total: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub repeats: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub mechanism: Mechanism,
    pub metric: UtilityMetric,
    pub points: Vec<CurvePoint>,
}

/// The epsilon at the knee of one mechanism's utility curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub mechanism: Mechanism,
    pub metric: UtilityMetric,
    pub epsilon_total: f64,
    pub epsilon_per_snp: f64,
    pub utility: f64,
    /// The same metric for the coin-flip control, when it was run.
    pub coin_flip_utility: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    pub settings: SweepSettings,
    pub rows: Vec<SweepRow>,
    pub curves: Vec<Curve>,
    /// `None` when no curve bends (too few points, or utility flat or linear).
    pub recommendation: Option<Recommendation>,
}

/// The seed of one grid run, derived so that runs are independent and a row can
/// be rerun alone from the seed it records.
fn run_seed(base: u64, mechanism: usize, budget: usize, repeat: usize) -> u64 {
    let index = ((mechanism as u64) << 40) ^ ((budget as u64) << 20) ^ repeat as u64;
    base ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Runs the grid in parallel. `on_row` sees each row as it finishes (in any
/// order), so a GUI can draw the curve while the sweep runs; the result's rows are
/// sorted by mechanism, epsilon and repeat.
pub fn run_sweep(
    study: &ShareStudy,
    settings: &SweepSettings,
    on_row: &(dyn Fn(&SweepRow) + Sync),
    job: Job<'_>,
) -> Result<SweepResult> {
    if settings.mechanisms.is_empty() || settings.repeats == 0 {
        return Err(Error::Parameter(
            "a sweep needs at least one mechanism and one repeat".into(),
        ));
    }
    if settings.budgets.is_empty()
        && settings
            .mechanisms
            .iter()
            .any(|&m| m != Mechanism::CoinFlip)
    {
        return Err(Error::Parameter(
            "a sweep needs at least one epsilon".into(),
        ));
    }
    let mut grid = Vec::new();
    for (mi, &mechanism) in settings.mechanisms.iter().enumerate() {
        let budgets: Vec<(usize, Budget)> = if mechanism == Mechanism::CoinFlip {
            vec![(0, Budget::Total(0.0))]
        } else {
            settings.budgets.iter().copied().enumerate().collect()
        };
        for (bi, budget) in budgets {
            for repeat in 0..settings.repeats {
                grid.push((
                    mechanism,
                    budget,
                    repeat,
                    run_seed(settings.seed, mi, bi, repeat),
                ));
            }
        }
    }
    let done = AtomicUsize::new(0);
    let total = grid.len();
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    job.checkpoint("sweep", Some(0.0))?;
    let rows: Vec<SweepRow> = grid
        .par_iter()
        .filter_map(|&(mechanism, budget, repeat, seed)| {
            let quiet = Job::new(&NoProgress, job.cancel);
            let share = ShareSettings {
                mechanism,
                budget,
                targets: settings.targets,
            };
            let outcome = study.run(&share, &NoiseKey::from_seed(seed), quiet);
            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
            job.progress
                .report("sweep", Some(finished as f32 / total as f32));
            match outcome {
                Ok(outcome) => {
                    let r = outcome.report;
                    let row = SweepRow {
                        mechanism,
                        epsilon_nominal: r.epsilon_nominal,
                        epsilon_nominal_per_snp: r.epsilon_nominal_per_snp,
                        epsilon_realised: r.epsilon_realised,
                        epsilon_total_spent: r.epsilon.total_spent,
                        repeat,
                        seed,
                        point_error: r.point_error,
                        sample_error: r.sample_error,
                        mean_error: r.mean_error,
                        variance_error: r.variance_error,
                        allele_frequency_mae: r.allele_frequency_mae,
                        retention_rate: r.retention_rate,
                        coin_flip_retention_rate: r.coin_flip_retention_rate,
                        membership_tpr_at_1pct_fpr: r.membership_tpr_at_1pct_fpr,
                        membership_auc: r.membership.iter().map(|m| m.auc).reduce(f64::max),
                    };
                    on_row(&row);
                    Some(row)
                }
                Err(e) => {
                    job.cancel.cancel();
                    if let Ok(mut slot) = first_error.lock() {
                        // Keep the cause, not the cancellations it triggered.
                        if slot.is_none() || matches!(*slot, Some(Error::Cancelled)) {
                            *slot = Some(e);
                        }
                    }
                    None
                }
            }
        })
        .collect();
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    job.check_cancelled()?;
    let mut rows = rows;
    rows.sort_by(|a, b| {
        mechanism_rank(&settings.mechanisms, a.mechanism)
            .cmp(&mechanism_rank(&settings.mechanisms, b.mechanism))
            .then(a.epsilon_nominal.total_cmp(&b.epsilon_nominal))
            .then(a.repeat.cmp(&b.repeat))
    });
    let metric = if rows.iter().all(|r| r.retention_rate.is_some()) {
        UtilityMetric::RetentionRate
    } else {
        UtilityMetric::GenotypesUnchanged
    };
    let curves = curves(&settings.mechanisms, &rows, metric);
    let recommendation = recommend(&curves, study.private().n_variants());
    Ok(SweepResult {
        settings: settings.clone(),
        rows,
        curves,
        recommendation,
    })
}

fn mechanism_rank(order: &[Mechanism], m: Mechanism) -> usize {
    order.iter().position(|&x| x == m).unwrap_or(order.len())
}

/// Mean, min and max of `metric` over repeats, per mechanism and epsilon.
fn curves(order: &[Mechanism], rows: &[SweepRow], metric: UtilityMetric) -> Vec<Curve> {
    order
        .iter()
        .map(|&mechanism| {
            let mut by_epsilon: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
            for row in rows.iter().filter(|r| r.mechanism == mechanism) {
                if let Some(v) = metric.of(row) {
                    by_epsilon
                        .entry(row.epsilon_nominal.to_bits())
                        .or_default()
                        .push(v);
                }
            }
            let mut points: Vec<CurvePoint> = by_epsilon
                .into_iter()
                .map(|(bits, values)| CurvePoint {
                    epsilon_total: f64::from_bits(bits),
                    mean: values.iter().sum::<f64>() / values.len() as f64,
                    min: values.iter().copied().fold(f64::INFINITY, f64::min),
                    max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    repeats: values.len(),
                })
                .collect();
            points.sort_by(|a, b| a.epsilon_total.total_cmp(&b.epsilon_total));
            Curve {
                mechanism,
                metric,
                points,
            }
        })
        .collect()
}

/// The knee of the first mechanism's curve that has one (log-epsilon axis).
fn recommend(curves: &[Curve], n_variants: usize) -> Option<Recommendation> {
    let coin = curves
        .iter()
        .find(|c| c.mechanism == Mechanism::CoinFlip)
        .and_then(|c| c.points.first())
        .map(|p| p.mean);
    curves
        .iter()
        .filter(|c| c.mechanism != Mechanism::CoinFlip)
        .find_map(|curve| {
            let positive: Vec<&CurvePoint> = curve
                .points
                .iter()
                .filter(|p| p.epsilon_total > 0.0)
                .collect();
            let x: Vec<f64> = positive.iter().map(|p| p.epsilon_total.log10()).collect();
            let y: Vec<f64> = positive.iter().map(|p| p.mean).collect();
            let knee = positive.get(max_curvature_index(&x, &y)?)?;
            Some(Recommendation {
                mechanism: curve.mechanism,
                metric: curve.metric,
                epsilon_total: knee.epsilon_total,
                epsilon_per_snp: knee.epsilon_total / n_variants.max(1) as f64,
                utility: knee.mean,
                coin_flip_utility: coin,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_seeds_are_distinct_across_the_grid() {
        let mut seen = std::collections::HashSet::new();
        for m in 0..3 {
            for b in 0..20 {
                for r in 0..10 {
                    assert!(seen.insert(run_seed(7, m, b, r)));
                }
            }
        }
    }
}
