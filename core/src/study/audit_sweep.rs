//! The privacy-accuracy trade-off of DP training: the model audit
//! ([`ModelAudit::run`]) repeated over a grid of noise multipliers (or target
//! epsilons) plus the model trained without DP, with the turning point of test
//! accuracy against epsilon and of each attack's AUC against epsilon (the DP-MIA
//! study's "log-like" curve, spec audits §8.5).
//!
//! Every point reuses the audit's split and the same seed, so the points differ by
//! their noise alone (common random numbers): the curves are not blurred by
//! different splits or batches.
//!
//! [`prepare_trait`] turns a continuous trait into the balanced case/control
//! status the DP-MIA study meant (spec §8.2): the trait is a parameter, `> 0` is a
//! case, `< 0` a control, missing values are dropped, and the majority class is
//! subsampled *without* replacement.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::audit::metrics::Interval;
use crate::data::GenotypeMatrix;
use crate::dp::{AccountingOptions, DpSgdSetting, account};
use crate::error::{Error, Result};
use crate::explain::clopper_pearson;
use crate::explain::tradeoff::{TradeoffPoint, turning_point_sentence};
use crate::job::{Job, ProgressSink};

use super::audit::{AttackKind, DpTraining, ModelAudit, ModelAuditReport, ModelAuditSettings};
use super::knee::max_curvature_index;

/// Case/control status from a continuous trait, balanced by subsampling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalancedTrait {
    /// The cohort rows kept, in cohort order.
    pub rows: Vec<usize>,
    /// The status of each kept row (`true` = trait above 0).
    pub status: Vec<bool>,
    pub cases_before: usize,
    pub controls_before: usize,
    /// Missing or exactly 0: neither case nor control.
    pub dropped_undetermined: usize,
    pub seed: u64,
}

/// Binarises `values` at 0 (`> 0` case, `< 0` control; missing and 0 dropped) and
/// keeps every member of the minority class and as many of the majority, drawn
/// without replacement with `seed`.
pub fn prepare_trait(values: &[Option<f64>], seed: u64) -> Result<BalancedTrait> {
    let mut cases = Vec::new();
    let mut controls = Vec::new();
    let mut dropped = 0;
    for (row, value) in values.iter().enumerate() {
        match value {
            Some(v) if *v > 0.0 => cases.push(row),
            Some(v) if *v < 0.0 => controls.push(row),
            _ => dropped += 1,
        }
    }
    let (cases_before, controls_before) = (cases.len(), controls.len());
    let keep = cases_before.min(controls_before);
    if keep == 0 {
        return Err(Error::Parameter(format!(
            "the trait has {cases_before} values above 0 and {controls_before} below: \
             both classes are needed"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    cases.shuffle(&mut rng);
    controls.shuffle(&mut rng);
    cases.truncate(keep);
    controls.truncate(keep);
    let mut labelled: Vec<(usize, bool)> = cases
        .into_iter()
        .map(|r| (r, true))
        .chain(controls.into_iter().map(|r| (r, false)))
        .collect();
    labelled.sort_unstable();
    Ok(BalancedTrait {
        rows: labelled.iter().map(|&(r, _)| r).collect(),
        status: labelled.iter().map(|&(_, s)| s).collect(),
        cases_before,
        controls_before,
        dropped_undetermined: dropped,
        seed,
    })
}

/// A model audit of the balanced samples only (the others never enter the
/// feature matrix, which is dense and large for a cohort such as the yeast
/// segregants).
pub fn prepare_balanced_audit(
    genotypes: &GenotypeMatrix,
    balanced: &BalancedTrait,
    split_seed: u64,
    job: Job<'_>,
) -> Result<ModelAudit> {
    if balanced.rows.iter().any(|&r| r >= genotypes.n_samples()) {
        return Err(Error::Mismatch(format!(
            "the balanced trait names rows beyond the cohort's {} samples",
            genotypes.n_samples()
        )));
    }
    let subset = genotypes.select_samples(&balanced.rows);
    let status: Vec<Option<bool>> = balanced.status.iter().map(|&s| Some(s)).collect();
    ModelAudit::prepare(&subset, &status, split_seed, job)
}

/// The privacy levels of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseGrid {
    NoiseMultipliers(Vec<f64>),
    /// Each converted to the noise multiplier that reaches it exactly (RDP
    /// accountant, the audit's own), for the target's training set size.
    TargetEpsilons(Vec<f64>),
}

/// DP-SGD settings shared by every point of the sweep (the noise varies).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DpSchedule {
    pub clip_norm: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub delta: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditSweepSettings {
    /// The audit of every point; its `dp` must be `None` (the sweep sets it) and
    /// its `model` is the non-private point's model.
    pub audit: ModelAuditSettings,
    pub schedule: DpSchedule,
    pub grid: NoiseGrid,
}

/// One attack at one point of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttackPoint {
    pub attack: AttackKind,
    pub auc: f64,
    /// Bootstrap 95 % interval.
    pub auc_interval: Interval,
    pub tpr_at_1pct_fpr: f64,
    /// Clopper-Pearson 95 % interval.
    pub tpr_at_1pct_fpr_interval: Interval,
    /// Accuracy on the balanced evaluation set at the threshold chosen on the
    /// population (the DP-MIA study's "attack accuracy").
    pub accuracy: f64,
    /// Clopper-Pearson 95 % interval: the threshold was chosen outside the
    /// evaluated records, so the correct guesses are a binomial count.
    pub accuracy_interval: Interval,
    /// max over thresholds of (TPR + 1 - FPR) / 2: optimistic, chosen on the
    /// evaluation set itself.
    pub balanced_accuracy: f64,
    pub advantage: f64,
}

/// One point of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditSweepRow {
    /// `None` for the model trained without DP.
    pub noise_multiplier: Option<f64>,
    /// The epsilon asked for, when the grid was given as epsilons.
    pub target_epsilon: Option<f64>,
    /// The target's epsilon from the accountant; `None` without DP.
    pub epsilon: Option<f64>,
    /// Accountant, conversion and sampling assumption of `epsilon`.
    pub accountant: Option<String>,
    pub sampling_rate: Option<f64>,
    pub steps: Option<u64>,
    pub delta: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub attacks: Vec<AttackPoint>,
    pub seed: u64,
}

impl AuditSweepRow {
    /// The largest membership AUC over the attacks run.
    pub fn strongest_auc(&self) -> Option<f64> {
        self.attacks.iter().map(|a| a.auc).reduce(f64::max)
    }
}

/// The grid point at the turning point of a curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurningPoint {
    pub epsilon: f64,
    pub noise_multiplier: f64,
    /// The curve's value there.
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttackTurningPoint {
    pub attack: AttackKind,
    /// `None` when the AUC curve does not bend from rising to levelling off.
    pub turning_point: Option<TurningPoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditSweepResult {
    pub settings: AuditSweepSettings,
    /// The non-private point first, then the DP points by increasing epsilon.
    pub rows: Vec<AuditSweepRow>,
    /// Of test accuracy against log10(epsilon); `None` when it does not bend.
    pub accuracy_turning_point: Option<TurningPoint>,
    /// Of each attack's AUC against log10(epsilon).
    pub attack_turning_points: Vec<AttackTurningPoint>,
    pub sentence: String,
    pub n_members: usize,
    pub seed: u64,
}

/// Noise multiplier search bounds: below 0.05 the RDP epsilon of any realistic
/// run is astronomically large, above 500 it is far below any useful target.
const SIGMA_RANGE: (f64, f64) = (0.05, 500.0);
const SIGMA_BISECTIONS: usize = 60;

/// `(q, steps)` of DP-SGD on `n` records, as the audit trains the target.
fn dp_steps(schedule: &DpSchedule, n: usize) -> (f64, u64) {
    let batch = schedule.batch_size.min(n).max(1);
    let q = (schedule.batch_size as f64 / n.max(1) as f64).min(1.0);
    (q, (schedule.epochs * n).div_ceil(batch) as u64)
}

/// The noise multiplier at which DP-SGD on `n` records reaches `epsilon` at the
/// schedule's delta (RDP, the audit's accountant), by bisection on log sigma.
pub fn noise_for_epsilon(schedule: &DpSchedule, n: usize, epsilon: f64) -> Result<f64> {
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(Error::Parameter(format!(
            "a target epsilon must be a positive number, got {epsilon}"
        )));
    }
    let (q, steps) = dp_steps(schedule, n);
    let epsilon_at = |sigma: f64| -> Result<f64> {
        let setting = DpSgdSetting {
            sampling_rate: q,
            noise_multiplier: sigma,
            steps,
        };
        Ok(account(&setting, schedule.delta, &AccountingOptions::default())?.epsilon)
    };
    let (mut lo, mut hi) = SIGMA_RANGE;
    if epsilon_at(hi)? > epsilon || epsilon_at(lo)? < epsilon {
        return Err(Error::Parameter(format!(
            "no noise multiplier in [{lo}, {hi}] gives epsilon {epsilon} with q {q:.4} over \
             {steps} steps at delta {}",
            schedule.delta
        )));
    }
    for _ in 0..SIGMA_BISECTIONS {
        let mid = (lo * hi).sqrt();
        if epsilon_at(mid)? > epsilon {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    // The larger end: its epsilon is at most the target.
    Ok(hi)
}

/// Shows an inner audit's progress under the point it belongs to.
struct PointProgress<'a> {
    outer: &'a dyn ProgressSink,
    point: usize,
    points: usize,
}

impl ProgressSink for PointProgress<'_> {
    fn report(&self, stage: &str, fraction: Option<f32>) {
        self.outer.report(
            &format!("Sweep point {} of {}: {stage}", self.point + 1, self.points),
            fraction,
        );
    }
}

/// Runs the non-private audit and one DP audit per grid point, in that order,
/// handing each finished row to `on_row` (so a GUI can draw the curves while the
/// sweep runs), then finds the turning points.
pub fn run_audit_sweep(
    audit: &ModelAudit,
    settings: &AuditSweepSettings,
    on_row: &dyn Fn(&AuditSweepRow),
    job: Job<'_>,
) -> Result<AuditSweepResult> {
    if settings.audit.dp.is_some() {
        return Err(Error::Parameter(
            "the sweep sets the DP training of each point; leave the audit's own DP unset".into(),
        ));
    }
    let n_members = audit.split().members.len();
    let points: Vec<(f64, Option<f64>)> = match &settings.grid {
        NoiseGrid::NoiseMultipliers(sigmas) => sigmas.iter().map(|&s| (s, None)).collect(),
        NoiseGrid::TargetEpsilons(epsilons) => epsilons
            .iter()
            .map(|&e| {
                Ok((
                    noise_for_epsilon(&settings.schedule, n_members, e)?,
                    Some(e),
                ))
            })
            .collect::<Result<_>>()?,
    };
    if points.is_empty() {
        return Err(Error::Parameter(
            "a sweep needs at least one noise multiplier or epsilon".into(),
        ));
    }
    if let Some((bad, _)) = points.iter().find(|(s, _)| !(s.is_finite() && *s > 0.0)) {
        return Err(Error::Parameter(format!(
            "noise multipliers must be positive numbers, got {bad}"
        )));
    }
    let total = points.len() + 1;
    let mut rows = Vec::with_capacity(total);
    for index in 0..total {
        job.check_cancelled()?;
        let point = index.checked_sub(1).and_then(|i| points.get(i)).copied();
        let mut point_settings = settings.audit.clone();
        point_settings.dp = point.map(|(sigma, _)| DpTraining {
            noise_multiplier: sigma,
            clip_norm: settings.schedule.clip_norm,
            epochs: settings.schedule.epochs,
            batch_size: settings.schedule.batch_size,
            learning_rate: settings.schedule.learning_rate,
            delta: settings.schedule.delta,
        });
        let progress = PointProgress {
            outer: job.progress,
            point: index,
            points: total,
        };
        let report = audit.run(&point_settings, Job::new(&progress, job.cancel))?;
        let row = sweep_row(&report, point, settings.schedule.delta)?;
        on_row(&row);
        rows.push(row);
    }
    // Non-private first, then DP points by increasing epsilon.
    rows.sort_by(|a, b| match (a.epsilon, b.epsilon) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x.total_cmp(&y),
    });
    let accuracy_turning_point = turning_point(&rows, |r| Some(r.test_accuracy));
    let attack_turning_points = settings
        .audit
        .attacks
        .iter()
        .copied()
        .filter(|&a| a != AttackKind::Label)
        .map(|attack| AttackTurningPoint {
            attack,
            turning_point: turning_point(&rows, |r| {
                r.attacks.iter().find(|p| p.attack == attack).map(|p| p.auc)
            }),
        })
        .collect();
    let tradeoff = |row: &AuditSweepRow| TradeoffPoint {
        epsilon: row.epsilon.unwrap_or(f64::INFINITY),
        accuracy: row.test_accuracy,
        attack_auc: row.strongest_auc(),
    };
    let knee_row = accuracy_turning_point
        .as_ref()
        .and_then(|t| rows.iter().find(|r| r.epsilon == Some(t.epsilon)));
    let sentence = turning_point_sentence(
        knee_row.map(tradeoff),
        rows.iter().find(|r| r.epsilon.is_none()).map(tradeoff),
    );
    Ok(AuditSweepResult {
        settings: settings.clone(),
        rows,
        accuracy_turning_point,
        attack_turning_points,
        sentence,
        n_members,
        seed: settings.audit.seed,
    })
}

fn sweep_row(
    report: &ModelAuditReport,
    point: Option<(f64, Option<f64>)>,
    delta: f64,
) -> Result<AuditSweepRow> {
    let attacks = report
        .attacks
        .iter()
        .map(|a| {
            let at_one_percent = a
                .operating_points
                .iter()
                .find(|p| p.max_fpr == 0.01)
                .ok_or_else(|| {
                    Error::Mismatch(format!(
                        "the {} attack reported no operating point at 1 % FPR",
                        a.attack.id()
                    ))
                })?;
            let m = &a.at_threshold;
            let correct = (m.true_positives + m.true_negatives) as u64;
            let evaluated = correct + (m.false_positives + m.false_negatives) as u64;
            let accuracy = clopper_pearson(correct, evaluated, 0.95)?;
            Ok(AttackPoint {
                attack: a.attack,
                auc: a.auc,
                auc_interval: a.auc_interval,
                tpr_at_1pct_fpr: at_one_percent.tpr,
                tpr_at_1pct_fpr_interval: at_one_percent.tpr_interval,
                accuracy: m.accuracy,
                accuracy_interval: Interval {
                    lower: accuracy.lower,
                    upper: accuracy.upper,
                },
                balanced_accuracy: a.balanced_accuracy,
                advantage: a.advantage,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(AuditSweepRow {
        noise_multiplier: point.map(|(sigma, _)| sigma),
        target_epsilon: point.and_then(|(_, target)| target),
        epsilon: report.privacy.as_ref().map(|p| p.epsilon),
        accountant: report.privacy.as_ref().map(|p| p.label.clone()),
        sampling_rate: report.privacy.as_ref().map(|p| p.setting.sampling_rate),
        steps: report.privacy.as_ref().map(|p| p.setting.steps),
        delta,
        train_accuracy: report.train_accuracy,
        test_accuracy: report.test_accuracy,
        attacks,
        seed: report.seed,
    })
}

/// The knee of `metric` against log10(epsilon) over the DP rows (sorted by
/// epsilon).
fn turning_point(
    rows: &[AuditSweepRow],
    metric: impl Fn(&AuditSweepRow) -> Option<f64>,
) -> Option<TurningPoint> {
    let points: Vec<(f64, f64, f64)> = rows
        .iter()
        .filter_map(|r| {
            let epsilon = r.epsilon.filter(|e| e.is_finite() && *e > 0.0)?;
            Some((epsilon, r.noise_multiplier?, metric(r)?))
        })
        .collect();
    let x: Vec<f64> = points.iter().map(|p| p.0.log10()).collect();
    let y: Vec<f64> = points.iter().map(|p| p.2).collect();
    let &(epsilon, noise_multiplier, value) = points.get(max_curvature_index(&x, &y)?)?;
    Some(TurningPoint {
        epsilon,
        noise_multiplier,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balancing_keeps_the_minority_and_draws_the_majority_without_replacement() -> Result<()> {
        let values: Vec<Option<f64>> = (0..100)
            .map(|i| match i % 5 {
                0 => None,
                1 => Some(-1.0),
                4 if i % 10 == 4 => Some(0.0),
                _ => Some(0.5 + i as f64),
            })
            .collect();
        let balanced = prepare_trait(&values, 9)?;
        let cases = balanced.status.iter().filter(|&&s| s).count();
        let controls = balanced.status.len() - cases;
        assert_eq!((balanced.cases_before, balanced.controls_before), (50, 20));
        assert_eq!(balanced.dropped_undetermined, 30);
        assert_eq!((cases, controls), (20, 20));
        // No row twice (no bootstrap), every control kept, every case a real case.
        let mut rows = balanced.rows.clone();
        rows.dedup();
        assert_eq!(rows.len(), 40);
        for (&row, &status) in balanced.rows.iter().zip(&balanced.status) {
            let value = values[row].unwrap_or(f64::NAN);
            assert_eq!(status, value > 0.0, "row {row}");
            assert!(value != 0.0);
        }
        Ok(())
    }

    #[test]
    fn a_trait_with_one_class_is_refused() {
        assert!(prepare_trait(&[Some(1.0), Some(2.0), None], 1).is_err());
    }

    #[test]
    fn noise_for_epsilon_reaches_the_target_from_below() -> Result<()> {
        let schedule = DpSchedule {
            clip_norm: 1.0,
            epochs: 50,
            batch_size: 16,
            learning_rate: 0.01,
            delta: 1e-5,
        };
        let sigma = noise_for_epsilon(&schedule, 1000, 3.0)?;
        let (q, steps) = dp_steps(&schedule, 1000);
        let at = |s: f64| -> Result<f64> {
            let setting = DpSgdSetting {
                sampling_rate: q,
                noise_multiplier: s,
                steps,
            };
            Ok(account(&setting, 1e-5, &AccountingOptions::default())?.epsilon)
        };
        let reached = at(sigma)?;
        assert!(reached <= 3.0 && reached > 3.0 - 1e-6, "{reached}");
        assert!(at(sigma * 0.999)? > 3.0);
        Ok(())
    }
}
