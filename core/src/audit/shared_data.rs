//! Membership inference against a shared (released) genotype matrix (spec
//! `sharing.md` §10, §6 flaws 2 and 9; `audits.md` §1, §4).
//!
//! Two tests score a person `x` (higher = more likely in the released pool):
//! - [`hamming_scores`]: the artifact's nearest-released-record test,
//!   `-min_{y in release} sum_j |x_j - y_j|` on 0/1/2 calls, computed on bit planes.
//! - [`likelihood_ratio_scores`]: the allele-frequency likelihood-ratio test of
//!   Sankararaman et al. (2009), released-pool frequencies against public
//!   reference frequencies. It needs no genotype of the release, only its column
//!   means, so it measures what restoring frequencies to the cohort's own values
//!   discloses (flaw 2).
//!
//! [`audit_shared_data`] measures both with an aligned split (flaw 9: the artifact
//! tests rows that were not all released): the cohort is split at random into a
//! released member half and a held-out non-member half of equal size.
//!
//! Missing calls: the release must have none (the XOR release imputes before
//! encoding), and a tested person's missing calls are skipped, SNP by SNP, in both
//! tests; the Hamming distance is rescaled to all SNPs (see [`hamming_scores`]).

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::metrics::{AttackReport, Interval, OperatingPoint, ReportOptions, ThresholdMetrics};
use crate::data::{GenotypeMatrix, MISSING};
use crate::error::{Error, Result};
use crate::job::Job;
use crate::sharing::{allele_frequencies, check_same_variants};

/// Frequencies are clamped to `[FREQUENCY_CLAMP, 1 - FREQUENCY_CLAMP]` before the
/// likelihood ratio takes logarithms: an allele absent from a pool or a reference
/// panel would otherwise give an infinite score. 1e-3 is below the smallest
/// nonzero frequency of any pool of up to 500 people (`1 / 2n`), so it only
/// touches frequencies that are exactly 0 or 1.
pub const FREQUENCY_CLAMP: f64 = 1e-3;

/// Tested rows scored between two cancellation checks.
const ROWS_PER_CHECKPOINT: usize = 64;

/// SNPs per parallel task of the likelihood-ratio test.
const SNPS_PER_TASK: usize = 256;

/// Genotype rows packed sample-major into two bit planes, `a = [g >= 1]` and
/// `b = [g = 2]`, so that `|x - y| = [a_x != a_y] + [b_x != b_y]` on 0/1/2, plus
/// a plane of called SNPs. Missing calls have `a = b = called = 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitPlaneRows {
    n_rows: usize,
    n_snps: usize,
    words_per_row: usize,
    at_least_one: Vec<u64>,
    two: Vec<u64>,
    called: Vec<u64>,
    called_snps: Vec<usize>,
}

impl BitPlaneRows {
    /// Packs every sample of `matrix` as one row.
    pub fn from_matrix(matrix: &GenotypeMatrix) -> Self {
        let (n_rows, n_snps) = (matrix.n_samples(), matrix.n_variants());
        let words_per_row = n_snps.div_ceil(64);
        let mut rows = Self {
            n_rows,
            n_snps,
            words_per_row,
            at_least_one: vec![0; n_rows * words_per_row],
            two: vec![0; n_rows * words_per_row],
            called: vec![0; n_rows * words_per_row],
            called_snps: vec![0; n_rows],
        };
        for j in 0..n_snps {
            let (word, bit) = (j / 64, 1u64 << (j % 64));
            for (i, g) in matrix.calls(j).enumerate() {
                let index = i * words_per_row + word;
                if g == MISSING {
                    continue;
                }
                if let Some(w) = rows.called.get_mut(index) {
                    *w |= bit;
                }
                if let Some(count) = rows.called_snps.get_mut(i) {
                    *count += 1;
                }
                if g >= 1
                    && let Some(w) = rows.at_least_one.get_mut(index)
                {
                    *w |= bit;
                }
                if g == 2
                    && let Some(w) = rows.two.get_mut(index)
                {
                    *w |= bit;
                }
            }
        }
        rows
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_snps(&self) -> usize {
        self.n_snps
    }

    /// Number of called SNPs of row `row` (0 for an out-of-range row).
    pub fn called_snps(&self, row: usize) -> usize {
        self.called_snps.get(row).copied().unwrap_or(0)
    }

    fn plane<'a>(&self, plane: &'a [u64], row: usize) -> &'a [u64] {
        let start = row * self.words_per_row;
        plane.get(start..start + self.words_per_row).unwrap_or(&[])
    }

    /// `sum_j |x_j - y_j|` over the SNPs called in row `x_row` of `self`, against
    /// row `y_row` of `other` (which should be complete). Both must have the same
    /// SNPs; rows out of range compare as empty.
    pub fn distance(&self, x_row: usize, other: &Self, y_row: usize) -> u64 {
        let x_a = self.plane(&self.at_least_one, x_row);
        let x_b = self.plane(&self.two, x_row);
        let x_called = self.plane(&self.called, x_row);
        let y_a = other.plane(&other.at_least_one, y_row);
        let y_b = other.plane(&other.two, y_row);
        x_a.iter()
            .zip(x_b)
            .zip(x_called)
            .zip(y_a.iter().zip(y_b))
            .map(|(((xa, xb), mask), (ya, yb))| {
                u64::from(((xa ^ ya) & mask).count_ones())
                    + u64::from(((xb ^ yb) & mask).count_ones())
            })
            .sum()
    }
}

/// The closest released record to one tested person.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NearestRecord {
    /// Row of the released matrix at the smallest distance (the first one on ties).
    pub released_row: usize,
    /// `sum_j |x_j - y_j|` over the tested person's called SNPs.
    pub distance: u64,
    /// Called SNPs of the tested person.
    pub called_snps: usize,
}

/// The nearest released record of every sample of `tested` (L1 distance on
/// 0/1/2 calls), in parallel over tested rows.
///
/// The release must be complete and on the same SNPs as `tested`; a tested
/// person's missing calls are skipped.
pub fn nearest_released_records(
    tested: &GenotypeMatrix,
    released: &GenotypeMatrix,
    job: Job<'_>,
) -> Result<Vec<NearestRecord>> {
    check_same_variants(
        tested.variants(),
        released.variants(),
        "tested people and released matrix",
    )?;
    if released.n_samples() == 0 {
        return Err(Error::Parameter(
            "the released matrix has no records to compare with".into(),
        ));
    }
    check_complete(released, "the released matrix")?;
    let tested_rows = BitPlaneRows::from_matrix(tested);
    let released_rows = BitPlaneRows::from_matrix(released);
    let n = tested_rows.n_rows();
    let mut nearest = Vec::with_capacity(n);
    for start in (0..n).step_by(ROWS_PER_CHECKPOINT) {
        job.checkpoint(
            "nearest released record",
            Some(start as f32 / n.max(1) as f32),
        )?;
        let end = (start + ROWS_PER_CHECKPOINT).min(n);
        let chunk: Vec<NearestRecord> = (start..end)
            .into_par_iter()
            .map(|x| {
                let (released_row, distance) = (0..released_rows.n_rows())
                    .map(|y| (y, tested_rows.distance(x, &released_rows, y)))
                    .min_by_key(|&(y, d)| (d, y))
                    .unwrap_or((0, u64::MAX));
                NearestRecord {
                    released_row,
                    distance,
                    called_snps: tested_rows.called_snps(x),
                }
            })
            .collect();
        nearest.extend(chunk);
    }
    Ok(nearest)
}

/// Hamming-test scores: `-d_min * m / m_called` per sample of `tested`, where
/// `d_min` is the distance to the nearest released record over the person's
/// `m_called` called SNPs (of `m`). For a complete row this is `-d_min`; the
/// rescaling keeps people with missing calls from looking closer (and so more
/// like members) only because fewer SNPs were compared.
pub fn hamming_scores(
    tested: &GenotypeMatrix,
    released: &GenotypeMatrix,
    job: Job<'_>,
) -> Result<Vec<f64>> {
    let m = tested.n_variants();
    nearest_released_records(tested, released, job)?
        .iter()
        .enumerate()
        .map(|(i, nearest)| {
            if nearest.called_snps == 0 {
                return Err(Error::Parameter(format!(
                    "sample {} has no called genotype: the Hamming test cannot score it",
                    sample_name(tested, i)
                )));
            }
            // `0.0 - d` rather than `-d`: a distance of 0 scores +0.0, not -0.0.
            Ok(0.0 - nearest.distance as f64 * m as f64 / nearest.called_snps as f64)
        })
        .collect()
}

/// Sankararaman et al. (2009) likelihood-ratio scores of every sample of `tested`:
/// `sum_j [x_j ln(q_j / p_j) + (2 - x_j) ln((1 - q_j) / (1 - p_j))]` with `q` the
/// pool (released) frequencies and `p` the reference-population frequencies of
/// the counted allele, both clamped to [`FREQUENCY_CLAMP`]. Members of the pool
/// score higher. A missing call contributes 0 (the SNP is skipped for that
/// person).
pub fn likelihood_ratio_scores(
    tested: &GenotypeMatrix,
    pool_frequencies: &[f64],
    reference_frequencies: &[f64],
    job: Job<'_>,
) -> Result<Vec<f64>> {
    let m = tested.n_variants();
    check_frequencies(tested, pool_frequencies, "pool")?;
    check_frequencies(tested, reference_frequencies, "reference")?;
    job.checkpoint("allele-frequency likelihood ratio", None)?;
    let clamp = |f: f64| f.clamp(FREQUENCY_CLAMP, 1.0 - FREQUENCY_CLAMP);
    // Contribution of genotype 0, 1, 2 (and missing) at each SNP.
    let contributions: Vec<[f64; 4]> = pool_frequencies
        .iter()
        .zip(reference_frequencies)
        .map(|(&q, &p)| {
            let (q, p) = (clamp(q), clamp(p));
            let alt = (q / p).ln();
            let other = ((1.0 - q) / (1.0 - p)).ln();
            [2.0 * other, alt + other, 2.0 * alt, 0.0]
        })
        .collect();
    let n = tested.n_samples();
    let chunks: Vec<usize> = (0..m).step_by(SNPS_PER_TASK).collect();
    let scores = chunks
        .into_par_iter()
        .map(|start| {
            job.check_cancelled()?;
            let mut partial = vec![0.0; n];
            for (j, table) in contributions
                .iter()
                .enumerate()
                .skip(start)
                .take(SNPS_PER_TASK)
            {
                for (score, g) in partial.iter_mut().zip(tested.calls(j)) {
                    *score += table
                        .get(usize::from(g.min(MISSING)))
                        .copied()
                        .unwrap_or(0.0);
                }
            }
            Ok(partial)
        })
        .try_reduce(
            || vec![0.0; n],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                Ok(a)
            },
        )?;
    Ok(scores)
}

fn check_frequencies(tested: &GenotypeMatrix, frequencies: &[f64], what: &str) -> Result<()> {
    if frequencies.len() != tested.n_variants() {
        return Err(Error::Mismatch(format!(
            "{} {what} frequencies for {} variants",
            frequencies.len(),
            tested.n_variants()
        )));
    }
    if let Some((j, f)) = frequencies
        .iter()
        .enumerate()
        .find(|(_, f)| !(0.0..=1.0).contains(*f))
    {
        return Err(Error::Parameter(format!(
            "the {what} frequency of variant {} is {f}, not a probability",
            tested
                .variants()
                .get(j)
                .map_or_else(|| (j + 1).to_string(), |v| v.display_id())
        )));
    }
    Ok(())
}

fn check_complete(matrix: &GenotypeMatrix, what: &str) -> Result<()> {
    if let Some(j) = (0..matrix.n_variants()).find(|&j| matrix.call_counts(j).missing > 0) {
        return Err(Error::Parameter(format!(
            "{what} has {} missing calls at variant {}: the shared-data tests need a \
             complete release (impute before releasing)",
            matrix.call_counts(j).missing,
            matrix
                .variants()
                .get(j)
                .map_or_else(|| (j + 1).to_string(), |v| v.display_id())
        )));
    }
    Ok(())
}

fn sample_name(matrix: &GenotypeMatrix, i: usize) -> String {
    matrix
        .samples()
        .get(i)
        .cloned()
        .unwrap_or_else(|| (i + 1).to_string())
}

/// Which membership test a result belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SharedDataTest {
    /// Distance to the nearest released record (the PROVGEN artifact's test).
    NearestRecordHamming,
    /// Allele-frequency likelihood ratio, release against public reference.
    AlleleFrequencyLikelihoodRatio,
}

impl SharedDataTest {
    pub fn name(self) -> &'static str {
        match self {
            Self::NearestRecordHamming => "nearest released record (Hamming)",
            Self::AlleleFrequencyLikelihoodRatio => "allele-frequency likelihood ratio",
        }
    }
}

/// Settings of [`audit_shared_data`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SharedDataAuditOptions {
    /// Seed of the member/non-member split (the release closure has its own).
    pub seed: u64,
    /// Share of the non-members (at least one, leaving at least one) whose scores
    /// only choose the calibrated threshold.
    pub calibration_share: f64,
    /// FPR ceiling of the calibrated operating point.
    pub target_fpr: f64,
    /// Bootstrap and epsilon settings of the threshold-free reports.
    pub report: ReportOptions,
}

impl Default for SharedDataAuditOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            calibration_share: 0.5,
            target_fpr: 0.01,
            report: ReportOptions::default(),
        }
    }
}

/// A threshold chosen on calibration non-members and applied to the others.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalibratedOperatingPoint {
    pub target_fpr: f64,
    /// The lowest threshold whose FPR on the calibration non-members is <= the target.
    pub threshold: f64,
    /// All members against the non-members not used for calibration.
    pub at_threshold: ThresholdMetrics,
}

/// One test's outcome under the aligned split.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SharedDataTestResult {
    pub test: SharedDataTest,
    /// Threshold-free metrics, all members against all non-members (balanced).
    pub report: AttackReport,
    pub calibrated: CalibratedOperatingPoint,
    /// Scores in the order of [`SharedDataAudit::members`].
    pub member_scores: Vec<f64>,
    /// Scores in the order of [`SharedDataAudit::non_members`].
    pub non_member_scores: Vec<f64>,
}

/// The outcome of [`audit_shared_data`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SharedDataAudit {
    pub seed: u64,
    /// Cohort rows released (members).
    pub members: Vec<usize>,
    /// Cohort rows held out (non-members), same count as the members.
    pub non_members: Vec<usize>,
    /// How many of the first non-members only chose the calibrated thresholds.
    pub n_calibration: usize,
    /// Cohort rows left out to balance an odd cohort.
    pub unused: Vec<usize>,
    pub hamming: SharedDataTestResult,
    pub likelihood_ratio: SharedDataTestResult,
}

/// The headline numbers of one test, small enough for a study report.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SharedDataSummary {
    pub test: String,
    pub auc: f64,
    /// Bootstrap 95 % interval.
    pub auc_interval: Interval,
    /// From the ROC of the balanced evaluation set.
    pub tpr_at_1pct_fpr: f64,
    /// Clopper-Pearson 95 % interval.
    pub tpr_at_1pct_fpr_interval: Interval,
    /// Whether N_out supports an FPR of 1 % (at least 10 / N_out).
    pub tpr_at_1pct_fpr_reliable: bool,
    /// At the threshold chosen on calibration non-members for the target FPR.
    pub calibrated_tpr: f64,
    pub calibrated_tpr_interval: Interval,
    pub calibrated_fpr: f64,
    pub n_members: usize,
    pub n_non_members: usize,
    pub seed: u64,
}

impl SharedDataAudit {
    pub fn summaries(&self) -> Result<Vec<SharedDataSummary>> {
        [&self.hamming, &self.likelihood_ratio]
            .into_iter()
            .map(|result| {
                let at_1pct: OperatingPoint = result.report.roc.operating_point(0.01)?;
                let calibrated = &result.calibrated.at_threshold;
                Ok(SharedDataSummary {
                    test: result.test.name().to_string(),
                    auc: result.report.auc,
                    auc_interval: result.report.auc_interval,
                    tpr_at_1pct_fpr: at_1pct.tpr,
                    tpr_at_1pct_fpr_interval: at_1pct.tpr_interval,
                    tpr_at_1pct_fpr_reliable: at_1pct.reliable,
                    calibrated_tpr: calibrated.recall,
                    calibrated_tpr_interval: calibrated.recall_interval,
                    calibrated_fpr: calibrated.false_positive_rate,
                    n_members: result.report.n_in,
                    n_non_members: result.report.n_out,
                    seed: self.seed,
                })
            })
            .collect()
    }
}

/// The lowest threshold `t` with `#{s >= t} <= max_fpr * N` over non-member
/// scores `s`: just above the `(floor(max_fpr * N) + 1)`-th highest score.
pub fn threshold_for_fpr(non_member_scores: &[f64], max_fpr: f64) -> Result<f64> {
    if non_member_scores.is_empty() || !(0.0..1.0).contains(&max_fpr) {
        return Err(Error::Parameter(format!(
            "a calibrated threshold needs non-member scores and an FPR in [0, 1); got {} \
             scores and {max_fpr}",
            non_member_scores.len()
        )));
    }
    if let Some(bad) = non_member_scores.iter().find(|s| s.is_nan()) {
        return Err(Error::Parameter(format!(
            "attack scores must be numbers, found {bad}"
        )));
    }
    let mut sorted = non_member_scores.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let allowed = (max_fpr * sorted.len() as f64).floor() as usize;
    let kth = sorted.get(allowed).copied().unwrap_or(f64::NEG_INFINITY);
    // Scores tied with the (allowed + 1)-th would all count as positives.
    Ok(kth.next_up())
}

/// Measures both tests with an aligned split (spec `sharing.md` §6 flaw 9):
/// shuffles the cohort with `options.seed`, releases the first half with
/// `release` (the caller's mechanism and settings), and scores that half
/// (members) and an equally large held-out half (non-members).
///
/// `reference_frequencies` are the public frequencies of the counted allele the
/// likelihood-ratio test compares the release with. The threshold-free reports
/// (ROC, AUC with bootstrap CI, TPR at FPR with Clopper-Pearson CIs, advantage,
/// empirical epsilon) use all members and all non-members; the calibrated
/// operating point takes its threshold from the first `calibration_share` of the
/// non-members and is evaluated on all members against the remaining ones.
pub fn audit_shared_data<F>(
    cohort: &GenotypeMatrix,
    reference_frequencies: &[f64],
    release: F,
    options: SharedDataAuditOptions,
    job: Job<'_>,
) -> Result<SharedDataAudit>
where
    F: FnOnce(&GenotypeMatrix, Job<'_>) -> Result<GenotypeMatrix>,
{
    let n = cohort.n_samples();
    if n < 4 {
        return Err(Error::Parameter(format!(
            "a shared-data audit needs at least 4 people (2 members, 2 non-members), got {n}"
        )));
    }
    if !(options.calibration_share > 0.0 && options.calibration_share < 1.0) {
        return Err(Error::Parameter(format!(
            "the calibration share must be in (0, 1), got {}",
            options.calibration_share
        )));
    }
    check_frequencies(cohort, reference_frequencies, "reference")?;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(options.seed));
    let half = n / 2;
    let (members, rest) = order.split_at(half);
    let (non_members, unused) = rest.split_at(half);
    let n_calibration =
        ((options.calibration_share * half as f64).round() as usize).clamp(1, half - 1);

    job.checkpoint("releasing the member half", None)?;
    let member_matrix = cohort.select_samples(members);
    let released = release(&member_matrix, job)?;
    check_same_variants(
        cohort.variants(),
        released.variants(),
        "cohort and released matrix",
    )?;
    check_complete(&released, "the released matrix")?;
    let pool_frequencies = allele_frequencies(&released);

    let tested_rows: Vec<usize> = members.iter().chain(non_members).copied().collect();
    let tested = cohort.select_samples(&tested_rows);
    let hamming = hamming_scores(&tested, &released, job)?;
    let likelihood_ratio =
        likelihood_ratio_scores(&tested, &pool_frequencies, reference_frequencies, job)?;
    job.checkpoint("attack reports", None)?;
    let evaluate = |test: SharedDataTest, scores: Vec<f64>| -> Result<SharedDataTestResult> {
        let (member_scores, non_member_scores) = scores.split_at(half);
        let (calibration, evaluation) = non_member_scores.split_at(n_calibration);
        let threshold = threshold_for_fpr(calibration, options.target_fpr)?;
        Ok(SharedDataTestResult {
            test,
            report: AttackReport::new(member_scores, non_member_scores, options.report)?,
            calibrated: CalibratedOperatingPoint {
                target_fpr: options.target_fpr,
                threshold,
                at_threshold: ThresholdMetrics::evaluate(member_scores, evaluation, threshold)?,
            },
            member_scores: member_scores.to_vec(),
            non_member_scores: non_member_scores.to_vec(),
        })
    };
    Ok(SharedDataAudit {
        seed: options.seed,
        members: members.to_vec(),
        non_members: non_members.to_vec(),
        n_calibration,
        unused: unused.to_vec(),
        hamming: evaluate(SharedDataTest::NearestRecordHamming, hamming)?,
        likelihood_ratio: evaluate(
            SharedDataTest::AlleleFrequencyLikelihoodRatio,
            likelihood_ratio,
        )?,
    })
}
