//! Attack metrics (spec audits §1-§2). One orientation everywhere: members are the
//! positive class and a higher score means "more likely a member"; a record is
//! called a member when its score is `>=` the threshold.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use statrs::distribution::{Beta, ContinuousCDF};

use crate::error::{Error, Result};

/// Every ROC point over the distinct score thresholds, from `(0, 0)` at threshold
/// `+inf` to `(1, 1)`. No point is dropped (scikit-learn's `drop_intermediate` can drop
/// the one that defines TPR at a low FPR).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Roc {
    pub thresholds: Vec<f64>,
    pub true_positives: Vec<usize>,
    pub false_positives: Vec<usize>,
    pub n_in: usize,
    pub n_out: usize,
}

impl Roc {
    pub fn new(scores_in: &[f64], scores_out: &[f64]) -> Result<Self> {
        check_scores(scores_in, scores_out)?;
        let mut labelled: Vec<(f64, bool)> = scores_in
            .iter()
            .map(|&s| (s, true))
            .chain(scores_out.iter().map(|&s| (s, false)))
            .collect();
        labelled.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut thresholds = vec![f64::INFINITY];
        let mut true_positives = vec![0];
        let mut false_positives = vec![0];
        let (mut tp, mut fp) = (0, 0);
        let mut index = 0;
        while let Some(&(score, _)) = labelled.get(index) {
            // All records tied at `score` change class together: one ROC step.
            while let Some(&(s, member)) = labelled.get(index) {
                if s != score {
                    break;
                }
                if member {
                    tp += 1;
                } else {
                    fp += 1;
                }
                index += 1;
            }
            thresholds.push(score);
            true_positives.push(tp);
            false_positives.push(fp);
        }
        Ok(Self {
            thresholds,
            true_positives,
            false_positives,
            n_in: scores_in.len(),
            n_out: scores_out.len(),
        })
    }

    pub fn tpr(&self) -> Vec<f64> {
        self.true_positives
            .iter()
            .map(|&tp| tp as f64 / self.n_in as f64)
            .collect()
    }

    pub fn fpr(&self) -> Vec<f64> {
        self.false_positives
            .iter()
            .map(|&fp| fp as f64 / self.n_out as f64)
            .collect()
    }

    /// TPR at the last ROC point with FPR <= `max_fpr`
    /// (`tpr[np.where(fpr <= t)[0][-1]]`). The first point (0, 0) always qualifies.
    pub fn tpr_at_fpr(&self, max_fpr: f64) -> f64 {
        self.true_positives
            .get(self.index_at_fpr(max_fpr))
            .map_or(0.0, |&tp| tp as f64 / self.n_in as f64)
    }

    /// Index of the last ROC point with FPR <= `max_fpr` (0 if none but the origin).
    fn index_at_fpr(&self, max_fpr: f64) -> usize {
        self.false_positives
            .iter()
            .rposition(|&fp| fp as f64 / self.n_out as f64 <= max_fpr)
            .unwrap_or(0)
    }

    /// The operating point at `max_fpr` with the Clopper-Pearson 95 % interval of
    /// TP / N_in there.
    pub fn operating_point(&self, max_fpr: f64) -> Result<OperatingPoint> {
        let index = self.index_at_fpr(max_fpr);
        let true_positives = self.true_positives.get(index).copied().unwrap_or(0);
        Ok(OperatingPoint {
            max_fpr,
            tpr: true_positives as f64 / self.n_in as f64,
            tpr_interval: clopper_pearson(true_positives, self.n_in, 0.95)?,
            threshold: self.thresholds.get(index).copied().unwrap_or(f64::INFINITY),
            reliable: max_fpr * self.n_out as f64 >= 10.0,
        })
    }

    /// max over thresholds of |TPR - FPR| (TF Privacy `get_attacker_advantage`).
    pub fn advantage(&self) -> f64 {
        self.tpr()
            .iter()
            .zip(self.fpr())
            .fold(0.0, |m, (t, f)| f64::max(m, (t - f).abs()))
    }

    /// max over thresholds of (TPR + 1 - FPR) / 2 (LiRA `plot.py::sweep`).
    pub fn balanced_accuracy(&self) -> f64 {
        self.tpr()
            .iter()
            .zip(self.fpr())
            .fold(0.0, |m, (t, f)| f64::max(m, (t + 1.0 - f) / 2.0))
    }

    /// Point estimate of the empirical epsilon lower bound at `delta`:
    /// max over points of max{ln((TPR - d)/FPR), ln((1 - FPR - d)/(1 - TPR))}, at
    /// least 0. Points where a ratio has a zero denominator are excluded, because a
    /// finite sample never shows an infinite epsilon; use
    /// [`Roc::epsilon_lower_bound`] for a bound with a confidence level.
    pub fn empirical_epsilon(&self, delta: f64) -> f64 {
        let mut best: f64 = 0.0;
        for (t, f) in self.tpr().into_iter().zip(self.fpr()) {
            if f > 0.0 && t - delta > 0.0 {
                best = best.max(((t - delta) / f).ln());
            }
            if t < 1.0 && 1.0 - f - delta > 0.0 {
                best = best.max(((1.0 - f - delta) / (1.0 - t)).ln());
            }
        }
        best
    }

    /// Epsilon lower bound from Clopper-Pearson bounds (TF Privacy's CLOPPER_PEARSON
    /// method): at each point TPR and TNR are replaced by their lower and FPR and FNR
    /// by their upper one-sided `1 - alpha/2` bounds. Maximising over thresholds is
    /// optimistic, as in TF Privacy.
    pub fn epsilon_lower_bound(&self, delta: f64, alpha: f64) -> Result<f64> {
        let level = 1.0 - alpha;
        let mut best: f64 = 0.0;
        for (&tp, &fp) in self.true_positives.iter().zip(&self.false_positives) {
            let tpr = clopper_pearson(tp, self.n_in, level)?;
            let fpr = clopper_pearson(fp, self.n_out, level)?;
            if fpr.upper > 0.0 && tpr.lower - delta > 0.0 {
                best = best.max(((tpr.lower - delta) / fpr.upper).ln());
            }
            // TNR lower = 1 - FPR upper, FNR upper = 1 - TPR lower.
            if tpr.lower < 1.0 && 1.0 - fpr.upper - delta > 0.0 {
                best = best.max(((1.0 - fpr.upper - delta) / (1.0 - tpr.lower)).ln());
            }
        }
        Ok(best)
    }
}

fn check_scores(scores_in: &[f64], scores_out: &[f64]) -> Result<()> {
    if scores_in.is_empty() || scores_out.is_empty() {
        return Err(Error::Parameter(format!(
            "an attack needs members and non-members to score; got {} and {}",
            scores_in.len(),
            scores_out.len()
        )));
    }
    if let Some(bad) = scores_in.iter().chain(scores_out).find(|s| s.is_nan()) {
        return Err(Error::Parameter(format!(
            "attack scores must be numbers, found {bad}"
        )));
    }
    Ok(())
}

/// P(s_in > s_out) + P(tie)/2, from mid-ranks (Mann-Whitney U).
pub fn auc(scores_in: &[f64], scores_out: &[f64]) -> Result<f64> {
    check_scores(scores_in, scores_out)?;
    let mut all: Vec<(f64, bool)> = scores_in
        .iter()
        .map(|&s| (s, true))
        .chain(scores_out.iter().map(|&s| (s, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum_in = 0.0;
    let mut start = 0;
    while start < all.len() {
        let score = all.get(start).map_or(0.0, |p| p.0);
        let end = start
            + all
                .get(start..)
                .map_or(0, |rest| rest.iter().take_while(|p| p.0 == score).count());
        // Ranks start+1..=end share their mean.
        let mid_rank = (start + 1 + end) as f64 / 2.0;
        let members = all
            .get(start..end)
            .map_or(0, |tied| tied.iter().filter(|p| p.1).count());
        rank_sum_in += mid_rank * members as f64;
        start = end;
    }
    let n_in = scores_in.len() as f64;
    let n_out = scores_out.len() as f64;
    Ok((rank_sum_in - n_in * (n_in + 1.0) / 2.0) / (n_in * n_out))
}

/// A two-sided interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }
}

/// Exact binomial (Clopper-Pearson) interval for `successes / trials` at `level`
/// (e.g. 0.95), from Beta quantiles.
pub fn clopper_pearson(successes: usize, trials: usize, level: f64) -> Result<Interval> {
    if trials == 0 || successes > trials || !(level > 0.0 && level < 1.0) {
        return Err(Error::Parameter(format!(
            "Clopper-Pearson needs 0 <= successes <= trials, trials >= 1 and a level in (0, 1); \
             got {successes}/{trials} at {level}"
        )));
    }
    let alpha = 1.0 - level;
    let (k, n) = (successes as f64, trials as f64);
    let beta_error = |e: statrs::distribution::BetaError| Error::Parameter(e.to_string());
    let lower = if successes == 0 {
        0.0
    } else {
        Beta::new(k, n - k + 1.0)
            .map_err(beta_error)?
            .inverse_cdf(alpha / 2.0)
    };
    let upper = if successes == trials {
        1.0
    } else {
        Beta::new(k + 1.0, n - k)
            .map_err(beta_error)?
            .inverse_cdf(1.0 - alpha / 2.0)
    };
    Ok(Interval { lower, upper })
}

/// Percentile bootstrap interval of `statistic(scores_in, scores_out)`, resampling
/// both sets with replacement (spec §1.9). Deterministic for a seed; resamples run
/// in parallel, each on its own random stream.
pub fn bootstrap_interval<F>(
    scores_in: &[f64],
    scores_out: &[f64],
    statistic: F,
    resamples: usize,
    level: f64,
    seed: u64,
) -> Result<Interval>
where
    F: Fn(&[f64], &[f64]) -> Result<f64> + Sync,
{
    check_scores(scores_in, scores_out)?;
    if resamples < 2 || !(level > 0.0 && level < 1.0) {
        return Err(Error::Parameter(format!(
            "the bootstrap needs at least 2 resamples and a level in (0, 1); got {resamples} at {level}"
        )));
    }
    let draw = |source: &[f64], rng: &mut ChaCha8Rng| -> Vec<f64> {
        (0..source.len())
            .filter_map(|_| source.get(rng.random_range(0..source.len())).copied())
            .collect()
    };
    let mut values = (0..resamples)
        .into_par_iter()
        .map(|resample| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(resample as u64);
            let sample_in = draw(scores_in, &mut rng);
            let sample_out = draw(scores_out, &mut rng);
            statistic(&sample_in, &sample_out)
        })
        .collect::<Result<Vec<f64>>>()?;
    values.sort_by(f64::total_cmp);
    let alpha = 1.0 - level;
    Ok(Interval {
        lower: quantile_sorted(&values, alpha / 2.0),
        upper: quantile_sorted(&values, 1.0 - alpha / 2.0),
    })
}

/// Linear-interpolation quantile of sorted values (NumPy's default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    let position = q.clamp(0.0, 1.0) * last as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(last);
    let fraction = position - below as f64;
    let low = sorted.get(below).copied().unwrap_or(f64::NAN);
    let high = sorted.get(above).copied().unwrap_or(f64::NAN);
    low + fraction * (high - low)
}

/// How a decision threshold is chosen on calibration data (never the evaluation set).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ThresholdRule {
    /// Maximise TPR - FPR (balanced accuracy).
    MaxAdvantage,
    /// The lowest threshold whose calibration FPR is <= the target.
    TargetFpr(f64),
}

/// Picks a threshold from calibration members and non-members.
pub fn choose_threshold(
    calibration_in: &[f64],
    calibration_out: &[f64],
    rule: ThresholdRule,
) -> Result<f64> {
    let roc = Roc::new(calibration_in, calibration_out)?;
    let tpr = roc.tpr();
    let fpr = roc.fpr();
    let points = roc.thresholds.iter().zip(tpr.iter().zip(&fpr));
    let chosen = match rule {
        ThresholdRule::MaxAdvantage => points
            .fold(None::<(f64, f64)>, |best, (&threshold, (t, f))| {
                let gain = t - f;
                match best {
                    Some((_, best_gain)) if best_gain >= gain => best,
                    _ => Some((threshold, gain)),
                }
            })
            .map(|(threshold, _)| threshold),
        ThresholdRule::TargetFpr(target) => points
            .filter(|(_, (_, f))| **f <= target)
            .map(|(&threshold, _)| threshold)
            .next_back(),
    };
    chosen.ok_or_else(|| Error::Parameter("no calibration threshold qualifies".into()))
}

/// The confusion matrix at one threshold and the metrics derived from it.
/// Precision, F1 and accuracy depend on the prevalence, reported next to them.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ThresholdMetrics {
    pub threshold: f64,
    pub true_positives: usize,
    pub false_positives: usize,
    pub true_negatives: usize,
    pub false_negatives: usize,
    /// Members / (members + non-members) in the evaluated sets.
    pub prevalence: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub accuracy: f64,
    pub false_positive_rate: f64,
    /// Clopper-Pearson 95 % interval of TP / N_in.
    pub recall_interval: Interval,
}

impl ThresholdMetrics {
    pub fn evaluate(scores_in: &[f64], scores_out: &[f64], threshold: f64) -> Result<Self> {
        check_scores(scores_in, scores_out)?;
        let tp = scores_in.iter().filter(|&&s| s >= threshold).count();
        let fp = scores_out.iter().filter(|&&s| s >= threshold).count();
        let (n_in, n_out) = (scores_in.len(), scores_out.len());
        let (fn_, tn) = (n_in - tp, n_out - fp);
        let precision = if tp + fp == 0 {
            0.0
        } else {
            tp as f64 / (tp + fp) as f64
        };
        let recall = tp as f64 / n_in as f64;
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Ok(Self {
            threshold,
            true_positives: tp,
            false_positives: fp,
            true_negatives: tn,
            false_negatives: fn_,
            prevalence: n_in as f64 / (n_in + n_out) as f64,
            precision,
            recall,
            f1,
            accuracy: (tp + tn) as f64 / (n_in + n_out) as f64,
            false_positive_rate: fp as f64 / n_out as f64,
            recall_interval: clopper_pearson(tp, n_in, 0.95)?,
        })
    }
}

/// TPR at one FPR ceiling; `reliable` is false below 10 / N_out, where FPR moves in
/// steps too coarse to support the number (spec §1.8: grey these out).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OperatingPoint {
    pub max_fpr: f64,
    pub tpr: f64,
    /// Clopper-Pearson 95 % interval of TP / N_in at this point.
    pub tpr_interval: Interval,
    /// The score threshold of this point (`+inf` for the origin).
    pub threshold: f64,
    pub reliable: bool,
}

/// FPR ceilings reported for every attack.
pub const REPORTED_FPRS: [f64; 4] = [0.0, 0.001, 0.01, 0.1];

/// The headline numbers of one attack on one evaluation set.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AttackReport {
    pub n_in: usize,
    pub n_out: usize,
    pub prevalence: f64,
    pub auc: f64,
    /// Bootstrap 95 % interval over both sets.
    pub auc_interval: Interval,
    pub operating_points: Vec<OperatingPoint>,
    pub advantage: f64,
    pub balanced_accuracy: f64,
    pub delta: f64,
    pub empirical_epsilon: f64,
    /// Clopper-Pearson based, alpha 0.05.
    pub epsilon_lower_bound: f64,
    pub roc: Roc,
}

/// Settings for [`AttackReport::new`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReportOptions {
    pub bootstrap_resamples: usize,
    pub seed: u64,
    pub delta: f64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            bootstrap_resamples: 1000,
            seed: 0,
            delta: 1e-5,
        }
    }
}

impl AttackReport {
    pub fn new(scores_in: &[f64], scores_out: &[f64], options: ReportOptions) -> Result<Self> {
        let roc = Roc::new(scores_in, scores_out)?;
        let auc_value = auc(scores_in, scores_out)?;
        let auc_interval = bootstrap_interval(
            scores_in,
            scores_out,
            auc,
            options.bootstrap_resamples,
            0.95,
            options.seed,
        )?;
        let n_out = scores_out.len();
        let operating_points = REPORTED_FPRS
            .iter()
            .map(|&max_fpr| roc.operating_point(max_fpr))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            n_in: scores_in.len(),
            n_out,
            prevalence: scores_in.len() as f64 / (scores_in.len() + n_out) as f64,
            auc: auc_value,
            auc_interval,
            operating_points,
            advantage: roc.advantage(),
            balanced_accuracy: roc.balanced_accuracy(),
            delta: options.delta,
            empirical_epsilon: roc.empirical_epsilon(options.delta),
            epsilon_lower_bound: roc.epsilon_lower_bound(options.delta, 0.05)?,
            roc,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_force_auc(a: &[f64], b: &[f64]) -> f64 {
        let mut wins = 0.0;
        for x in a {
            for y in b {
                wins += if x > y {
                    1.0
                } else if x == y {
                    0.5
                } else {
                    0.0
                };
            }
        }
        wins / (a.len() * b.len()) as f64
    }

    #[test]
    fn auc_matches_pairwise_count_with_ties() -> Result<()> {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..20 {
            // Coarse integer scores force many ties.
            let a: Vec<f64> = (0..37).map(|_| rng.random_range(0..6) as f64).collect();
            let b: Vec<f64> = (0..23).map(|_| rng.random_range(0..5) as f64).collect();
            assert!((auc(&a, &b)? - brute_force_auc(&a, &b)).abs() < 1e-12);
        }
        Ok(())
    }

    #[test]
    fn roc_on_a_hand_made_example() -> Result<()> {
        // Members 0.9, 0.8, 0.4; non-members 0.7, 0.4, 0.1, 0.05.
        let roc = Roc::new(&[0.9, 0.8, 0.4], &[0.7, 0.4, 0.1, 0.05])?;
        assert_eq!(
            roc.thresholds,
            vec![f64::INFINITY, 0.9, 0.8, 0.7, 0.4, 0.1, 0.05]
        );
        assert_eq!(roc.true_positives, vec![0, 1, 2, 2, 3, 3, 3]);
        // The tie at 0.4 is one step: TP and FP move together.
        assert_eq!(roc.false_positives, vec![0, 0, 0, 1, 2, 3, 4]);
        assert_eq!(roc.tpr_at_fpr(0.0), 2.0 / 3.0);
        assert_eq!(roc.tpr_at_fpr(0.24), 2.0 / 3.0);
        assert_eq!(roc.tpr_at_fpr(0.25), 2.0 / 3.0);
        assert_eq!(roc.tpr_at_fpr(0.5), 1.0);
        let point = roc.operating_point(0.25)?;
        assert_eq!((point.threshold, point.tpr), (0.7, 2.0 / 3.0));
        assert!(point.tpr_interval.contains(2.0 / 3.0) && !point.reliable);
        // Best split at threshold 0.8: TPR 2/3, FPR 0.
        assert!((roc.advantage() - 2.0 / 3.0).abs() < 1e-12);
        assert!((roc.balanced_accuracy() - 5.0 / 6.0).abs() < 1e-12);
        // Pairwise wins: 0.9 and 0.8 beat all four, 0.4 beats two and ties one: 10.5 of 12.
        assert!((auc(&[0.9, 0.8, 0.4], &[0.7, 0.4, 0.1, 0.05])? - 10.5 / 12.0).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn tpr_at_zero_fpr_when_the_top_score_is_a_non_member() -> Result<()> {
        let roc = Roc::new(&[0.5, 0.4], &[0.9, 0.1])?;
        assert_eq!(roc.tpr_at_fpr(0.0), 0.0);
        assert_eq!(roc.tpr_at_fpr(0.5), 1.0);
        Ok(())
    }

    #[test]
    fn clopper_pearson_matches_published_values() -> Result<()> {
        // Reference values (R binom.test, exact): 7/20 -> [0.1539092, 0.5921885];
        // 0/10 -> [0, 0.3084971].
        let i = clopper_pearson(7, 20, 0.95)?;
        assert!((i.lower - 0.1539092).abs() < 1e-6 && (i.upper - 0.5921885).abs() < 1e-6);
        let j = clopper_pearson(0, 10, 0.95)?;
        assert!(j.lower == 0.0 && (j.upper - 0.3084971).abs() < 1e-6);
        Ok(())
    }

    #[test]
    fn epsilon_from_a_single_operating_point() -> Result<()> {
        // TPR 0.5, FPR 0.1 at delta 0: ln(5) and ln(0.9/0.5); the first wins.
        let scores_in: Vec<f64> = (0..10).map(|i| if i < 5 { 1.0 } else { 0.0 }).collect();
        let scores_out: Vec<f64> = (0..10).map(|i| if i < 1 { 1.0 } else { 0.0 }).collect();
        let roc = Roc::new(&scores_in, &scores_out)?;
        assert!((roc.empirical_epsilon(0.0) - 5f64.ln()).abs() < 1e-12);
        // The confidence bound is below the point estimate.
        assert!(roc.epsilon_lower_bound(0.0, 0.05)? < roc.empirical_epsilon(0.0));
        Ok(())
    }

    #[test]
    fn thresholds_come_from_the_calibration_roc() -> Result<()> {
        let calibration_in = [0.9, 0.8, 0.4];
        let calibration_out = [0.7, 0.4, 0.1, 0.05];
        // Max TPR - FPR is at 0.8 (2/3 - 0).
        assert_eq!(
            choose_threshold(
                &calibration_in,
                &calibration_out,
                ThresholdRule::MaxAdvantage
            )?,
            0.8
        );
        // FPR <= 0.25 allows the point at 0.7; FPR <= 0.6 the tie at 0.4.
        assert_eq!(
            choose_threshold(
                &calibration_in,
                &calibration_out,
                ThresholdRule::TargetFpr(0.25)
            )?,
            0.7
        );
        assert_eq!(
            choose_threshold(
                &calibration_in,
                &calibration_out,
                ThresholdRule::TargetFpr(0.6)
            )?,
            0.4
        );
        Ok(())
    }

    #[test]
    fn threshold_metrics_at_chance() -> Result<()> {
        // "Everyone is a member" at prevalence 0.8 scores F1 = 2*0.8/1.8 (spec §2).
        let m = ThresholdMetrics::evaluate(&[1.0; 80], &[1.0; 20], 0.0)?;
        assert!((m.f1 - 1.6 / 1.8).abs() < 1e-12);
        assert!((m.precision - 0.8).abs() < 1e-12);
        Ok(())
    }
}
