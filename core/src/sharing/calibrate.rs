//! Flip-probability calibration of the column-wise XOR mechanism (spec §4.2) and
//! the privacy it really gives (§4.3).
//!
//! Parity mode reproduces PROVGEN's `xor_mechanism`: pairwise log odds ratios of
//! the encoded reference with `delta = 2^-52` added exactly as written, scaled so
//! that `s * ||Theta||_F = epsilon`, and each column's flip rate taken from its
//! most negative conditional log odds. The `p x p` matrix is never built: one
//! parallel pass over pairs `j < k` accumulates `||theta||_F^2` and per-column sums
//! of negative and positive entries (O(p) memory).

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::encode::BitColumns;
use crate::data::Variant;
use crate::error::{Error, Result};
use crate::job::Job;

/// The `delta` of the published code: float64 machine epsilon, 2^-52.
pub const PARITY_DELTA: f64 = f64::EPSILON;

/// `|p - 0.5|` below which a column counts as fully randomised in reports.
pub const NEAR_HALF_THRESHOLD: f64 = 1e-3;

/// Largest `a * b` (with `a + b <= r`) for which log values are tabulated; above it
/// (references of more than ~2,900 people) logs are computed per pair.
const MAX_TABLE_PRODUCT: usize = 1 << 21;

/// Pairwise log odds ratio of bit columns `j`, `k` from reference counts, exactly
/// as the published code writes it: `ln((M11*M00 + delta) / (M10*M01 + delta))`.
pub fn pair_log_odds(m11: u64, m1_j: u64, m1_k: u64, r: u64) -> f64 {
    let m10 = m1_j - m11;
    let m01 = m1_k - m11;
    let m00 = r - m11 - m10 - m01;
    (((m11 * m00) as f64 + PARITY_DELTA) / ((m10 * m01) as f64 + PARITY_DELTA)).ln()
}

/// How zero cells of the reference's 2x2 tables are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Smoothing {
    /// The published code: `delta = 2^-52` added to products, so a zero cell gives
    /// `|theta| ~ 36-40` and dominates the calibration (spec §4.2, §6 flaw 4).
    Parity,
    /// Haldane-Anscombe: 0.5 added to every cell (and to `M1`, `M0` on the
    /// diagonal). A documented variant, never the default; report its own
    /// realised epsilon.
    Haldane,
}

/// Log odds of a 1 in one column: `ln((M1 + delta) / (M0 + delta))`.
pub fn diagonal_log_odds(m1: u64, r: u64) -> f64 {
    ((m1 as f64 + PARITY_DELTA) / ((r - m1) as f64 + PARITY_DELTA)).ln()
}

/// What the reference contributes to the flip rates, independent of epsilon.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    pub smoothing: Smoothing,
    /// The reference's SNPs: releases check the private data against them.
    pub variants: Vec<Variant>,
    /// Number of reference individuals.
    pub reference_rows: usize,
    /// `||theta~||_F` (published: 350,873 for hair, 432,976 for lactose).
    pub theta_norm: f64,
    /// `theta~_jj` per bit column.
    pub diagonal: Vec<f64>,
    /// `sum_{k != j} min(theta~_jk, 0)` per bit column.
    pub negative_sum: Vec<f64>,
    /// `sum_{k != j} max(theta~_jk, 0)` per bit column.
    pub positive_sum: Vec<f64>,
    /// Bit columns constant in the reference: their off-diagonal entries are 0, so
    /// their flip rate is 0.5 at any epsilon (unless the diagonal says otherwise).
    pub constant_columns: usize,
}

/// Per-column flip probabilities for one budget.
#[derive(Clone, Debug, PartialEq)]
pub struct FlipRates {
    /// The SNPs the rates were calibrated for, two bit columns each.
    pub variants: Vec<Variant>,
    /// The total per-individual budget the caller asked for (0 for the coin-flip control).
    pub nominal_epsilon: f64,
    /// `lo_j` (empty for the coin-flip control).
    pub lo: Vec<f64>,
    /// `hi_j` (empty for the coin-flip control).
    pub hi: Vec<f64>,
    /// `p_j`, the probability of flipping bit column `j`.
    pub p: Vec<f64>,
}

impl FlipRates {
    /// The `p = 0.5` control (spec §11.5): pure coin flips on every bit column.
    pub fn coin_flip(variants: &[Variant]) -> Self {
        Self {
            variants: variants.to_vec(),
            nominal_epsilon: 0.0,
            lo: Vec::new(),
            hi: Vec::new(),
            p: vec![0.5; 2 * variants.len()],
        }
    }

    /// The privacy this noise really gives (spec §4.3).
    pub fn realised_epsilon(&self) -> RealisedEpsilon {
        realised_epsilon(&self.p)
    }
}

/// The guarantee of per-bit randomized response with rates `p_j`: the tight bound
/// on the log likelihood ratio between neighbouring datasets (spec §4.3).
#[derive(Clone, Debug, PartialEq)]
pub struct RealisedEpsilon {
    /// `sum_j |ln((1 - p_j) / p_j)|` over all bit columns (infinite if some `p_j` is 0 or 1).
    pub total: f64,
    /// `|logit p_2j| + |logit p_2j+1|` per SNP.
    pub per_snp: Vec<f64>,
    /// Share of bit columns with `|p_j - 0.5| <` [`Self::near_half_threshold`].
    pub near_half_share: f64,
    pub near_half_threshold: f64,
}

/// Realised epsilon of flip rates `p` over `2m` bit columns.
pub fn realised_epsilon(p: &[f64]) -> RealisedEpsilon {
    let column = |q: f64| ((1.0 - q) / q).ln().abs();
    let per_snp: Vec<f64> = p
        .chunks(2)
        .map(|pair| pair.iter().map(|&q| column(q)).sum())
        .collect();
    let near_half = p
        .iter()
        .filter(|&&q| (q - 0.5).abs() < NEAR_HALF_THRESHOLD)
        .count();
    RealisedEpsilon {
        total: per_snp.iter().sum(),
        per_snp,
        near_half_share: if p.is_empty() {
            0.0
        } else {
            near_half as f64 / p.len() as f64
        },
        near_half_threshold: NEAR_HALF_THRESHOLD,
    }
}

impl Calibration {
    /// Computes the reference statistics from the encoded reference (`r x 2m`)
    /// and its `m` SNPs, in parity mode.
    pub fn from_reference(
        reference: &BitColumns,
        variants: Vec<Variant>,
        job: Job<'_>,
    ) -> Result<Self> {
        Self::from_reference_with(reference, variants, Smoothing::Parity, job)
    }

    /// As [`Self::from_reference`], with the given treatment of zero cells.
    pub fn from_reference_with(
        reference: &BitColumns,
        variants: Vec<Variant>,
        smoothing: Smoothing,
        job: Job<'_>,
    ) -> Result<Self> {
        if reference.n_cols() != 2 * variants.len() {
            return Err(Error::Mismatch(format!(
                "{} encoded reference columns for {} SNPs",
                reference.n_cols(),
                variants.len()
            )));
        }
        let r = reference.n_rows();
        if r == 0 {
            return Err(Error::Parameter(
                "the reference panel has no individuals: the XOR calibration needs genotypes"
                    .into(),
            ));
        }
        let logs = PairLogs::new(r, smoothing);
        let mut calibration = compute(reference, &logs, job)?;
        calibration.variants = variants;
        Ok(calibration)
    }

    /// Flip rates for a total per-individual budget `epsilon` (spec §4.2 steps 4-6),
    /// written exactly as the published code computes them.
    pub fn flip_rates(&self, epsilon: f64) -> Result<FlipRates> {
        if !epsilon.is_finite() || epsilon < 0.0 {
            return Err(Error::Parameter(format!(
                "epsilon must be a finite number >= 0, got {epsilon}"
            )));
        }
        if self.theta_norm <= 0.0 || !self.theta_norm.is_finite() {
            return Err(Error::Parameter(format!(
                "the reference gives ||theta||_F = {}: no flip rates can be calibrated from it",
                self.theta_norm
            )));
        }
        let sensitivity = self.diagonal.len() as f64;
        let scale = epsilon / (sensitivity * self.theta_norm);
        let n = self.diagonal.len();
        let (mut lo, mut hi, mut p) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for j in 0..n {
            let diag = scale * self.diagonal[j];
            let lo_j = 2.0 * (scale * self.negative_sum[j]) + diag;
            let hi_j = 2.0 * (scale * self.positive_sum[j]) + diag;
            let coeff = lo_j.exp() - 1.0;
            let bound = if coeff < 0.0 {
                lo_j
            } else if coeff > 0.0 {
                hi_j
            } else {
                0.0
            };
            p.push((1.0 + coeff / (1.0 + bound.exp())) / 2.0);
            lo.push(lo_j);
            hi.push(hi_j);
        }
        Ok(FlipRates {
            variants: self.variants.clone(),
            nominal_epsilon: epsilon,
            lo,
            hi,
            p,
        })
    }
}

impl Calibration {
    /// Calibrated mode (spec §6 flaw 1): flip rates whose *realised* total epsilon
    /// equals `realised_target`, found by bisection on the nominal budget. Distinct
    /// from parity mode; the nominal budget it needed is recorded in the result.
    pub fn flip_rates_for_realised_epsilon(&self, realised_target: f64) -> Result<FlipRates> {
        if !realised_target.is_finite() || realised_target <= 0.0 {
            return Err(Error::Parameter(format!(
                "the realised epsilon to calibrate to must be finite and > 0, got {realised_target}"
            )));
        }
        let realised = |nominal: f64| -> Result<f64> {
            Ok(realised_epsilon(&self.flip_rates(nominal)?.p).total)
        };
        // Bracket: grow the nominal budget until it realises at least the target.
        let mut high = realised_target;
        let mut steps = 0;
        while realised(high)? < realised_target {
            high *= 2.0;
            steps += 1;
            if steps > 64 {
                return Err(Error::Parameter(format!(
                    "no nominal budget realises epsilon {realised_target} with this reference \
                     (too many columns are fully randomised)"
                )));
            }
        }
        let mut low = 0.0;
        for _ in 0..200 {
            let mid = 0.5 * (low + high);
            if realised(mid)? < realised_target {
                low = mid;
            } else {
                high = mid;
            }
            if high - low <= 1e-12 * high {
                break;
            }
        }
        let rates = self.flip_rates(high)?;
        let achieved = realised_epsilon(&rates.p).total;
        if (achieved - realised_target).abs() > 1e-6 * realised_target {
            return Err(Error::Parameter(format!(
                "calibration to realised epsilon {realised_target} reached only {achieved}: \
                 the realised budget is not continuous in the nominal one for this reference"
            )));
        }
        Ok(rates)
    }
}

/// How the pairwise log odds ratio is evaluated from integer cell products.
struct PairLogs {
    smoothing: Smoothing,
    /// `ln(v + delta)` (parity) or `ln(v)` (Haldane, products of `2c + 1`) for
    /// every product a reference of this size can produce; empty for references
    /// too large to tabulate, which use the quotient form per pair.
    table: Vec<f64>,
}

impl PairLogs {
    fn new(r: usize, smoothing: Smoothing) -> Self {
        let max_product = match smoothing {
            Smoothing::Parity => (r / 2) * (r - r / 2),
            Smoothing::Haldane => (r + 1) * (r + 1),
        };
        let table = if max_product <= MAX_TABLE_PRODUCT {
            (0..=max_product)
                .map(|v| match smoothing {
                    Smoothing::Parity => (v as f64 + PARITY_DELTA).ln(),
                    Smoothing::Haldane => (v as f64).ln(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Self { smoothing, table }
    }

    /// The quotient form for every pair (tests compare it with the table).
    #[cfg(test)]
    fn untabulated(smoothing: Smoothing) -> Self {
        Self {
            smoothing,
            table: Vec::new(),
        }
    }

    #[inline]
    fn theta(&self, m11: u64, m10: u64, m01: u64, m00: u64) -> f64 {
        let (x, y, delta) = match self.smoothing {
            Smoothing::Parity => (m11 * m00, m10 * m01, PARITY_DELTA),
            // (c + 1/2) products times 4: the factor cancels in the ratio.
            Smoothing::Haldane => (
                (2 * m11 + 1) * (2 * m00 + 1),
                (2 * m10 + 1) * (2 * m01 + 1),
                0.0,
            ),
        };
        match (self.table.get(x as usize), self.table.get(y as usize)) {
            (Some(a), Some(b)) => a - b,
            _ => ((x as f64 + delta) / (y as f64 + delta)).ln(),
        }
    }

    fn diagonal(&self, m1: u64, r: u64) -> f64 {
        match self.smoothing {
            Smoothing::Parity => diagonal_log_odds(m1, r),
            Smoothing::Haldane => ((m1 as f64 + 0.5) / ((r - m1) as f64 + 0.5)).ln(),
        }
    }
}

const NIBBLE_1: u64 = 0x5555_5555_5555_5555;
const NIBBLE_2: u64 = 0x3333_3333_3333_3333;
const BYTE_4: u64 = 0x0f0f_0f0f_0f0f_0f0f;
const BYTE_SUM: u64 = 0x0101_0101_0101_0101;

/// `popcount(a AND b)` over two columns. The portable x86-64 target has no
/// POPCNT instruction, so this is the SWAR count with the per-nibble partial
/// counts of three words summed before the byte step (<= 12 per nibble), about
/// three times faster than `count_ones` per word there.
#[inline(always)]
fn and_popcount(a: &[u64], b: &[u64]) -> u64 {
    let mut total = 0u64;
    for (chunk_a, chunk_b) in a.chunks(3).zip(b.chunks(3)) {
        let mut nibbles = 0u64;
        for (&x, &y) in chunk_a.iter().zip(chunk_b) {
            let v = x & y;
            let v = v - ((v >> 1) & NIBBLE_1);
            nibbles += (v & NIBBLE_2) + ((v >> 2) & NIBBLE_2);
        }
        let bytes = (nibbles & BYTE_4) + ((nibbles >> 4) & BYTE_4);
        total += bytes.wrapping_mul(BYTE_SUM) >> 56;
    }
    total
}

/// Sum of the eight bytes of `x` when that sum is below 256.
#[inline(always)]
fn byte_sum(x: u64) -> u64 {
    let mut x = x;
    x += x >> 8;
    x += x >> 16;
    x += x >> 32;
    x & 0xff
}

/// [`and_popcount`] of `a` with two columns at once: the two independent SWAR
/// chains (with a shift-add byte sum instead of a multiply) compile to SSE2
/// vector code, about 1.6 times faster per pair than one column at a time.
#[inline(always)]
fn and_popcount_pair(a: &[u64], b0: &[u64], b1: &[u64]) -> [u64; 2] {
    let mut total = [0u64; 2];
    for ((chunk_a, chunk_0), chunk_1) in a.chunks(3).zip(b0.chunks(3)).zip(b1.chunks(3)) {
        let (mut n0, mut n1) = (0u64, 0u64);
        for ((&x, &y0), &y1) in chunk_a.iter().zip(chunk_0).zip(chunk_1) {
            let v0 = x & y0;
            let v1 = x & y1;
            let v0 = v0 - ((v0 >> 1) & NIBBLE_1);
            let v1 = v1 - ((v1 >> 1) & NIBBLE_1);
            n0 += (v0 & NIBBLE_2) + ((v0 >> 2) & NIBBLE_2);
            n1 += (v1 & NIBBLE_2) + ((v1 >> 2) & NIBBLE_2);
        }
        total[0] += byte_sum((n0 & BYTE_4) + ((n0 >> 4) & BYTE_4));
        total[1] += byte_sum((n1 & BYTE_4) + ((n1 >> 4) & BYTE_4));
    }
    total
}

/// Per-worker accumulators of the pair pass.
struct Accumulator {
    sum_sq: f64,
    negative: Vec<f64>,
    positive: Vec<f64>,
    /// `M11` of the current column with every later one (reused buffer).
    pair_counts: Vec<u64>,
}

impl Accumulator {
    fn new(p: usize) -> Self {
        Self {
            sum_sq: 0.0,
            negative: vec![0.0; p],
            positive: vec![0.0; p],
            pair_counts: Vec::with_capacity(p),
        }
    }

    fn merge(mut self, other: Self) -> Self {
        self.sum_sq += other.sum_sq;
        for (a, b) in self.negative.iter_mut().zip(&other.negative) {
            *a += b;
        }
        for (a, b) in self.positive.iter_mut().zip(&other.positive) {
            *a += b;
        }
        self
    }
}

fn compute(reference: &BitColumns, logs: &PairLogs, job: Job<'_>) -> Result<Calibration> {
    let r = reference.n_rows() as u64;
    let p = reference.n_cols();
    let wpc = reference.words_per_col();
    let ones: Vec<u64> = (0..p).map(|j| reference.count_ones(j)).collect();
    let diagonal: Vec<f64> = ones.iter().map(|&m1| logs.diagonal(m1, r)).collect();
    let constant_columns = ones.iter().filter(|&&m1| m1 == 0 || m1 == r).count();

    // In parity mode constant columns have all-zero off-diagonals (delta/delta):
    // leave them out of the pair pass and pack the others contiguously.
    let informative: Vec<usize> = match logs.smoothing {
        Smoothing::Parity => (0..p).filter(|&j| ones[j] != 0 && ones[j] != r).collect(),
        Smoothing::Haldane => (0..p).collect(),
    };
    let q = informative.len();
    let mut packed = Vec::with_capacity(q * wpc);
    for &j in &informative {
        packed.extend_from_slice(reference.column(j));
    }
    let packed_ones: Vec<u64> = informative.iter().map(|&j| ones[j]).collect();

    let total_pairs = (q * q.saturating_sub(1) / 2).max(1) as f64;
    let pairs_done = AtomicUsize::new(0);
    let stage = "calibrating flip probabilities";
    job.checkpoint(stage, Some(0.0))?;

    let acc = (0..q)
        .into_par_iter()
        .with_min_len(16)
        .fold(
            || Accumulator::new(q),
            |mut acc, a| {
                if job.cancel.is_cancelled() {
                    return acc;
                }
                let col_a = &packed[a * wpc..(a + 1) * wpc];
                let m1_a = packed_ones[a];
                let (mut neg_a, mut pos_a, mut sum_sq) = (0.0, 0.0, 0.0);
                let rest = packed.get((a + 1) * wpc..).unwrap_or_default();
                let Accumulator {
                    negative: acc_negative,
                    positive: acc_positive,
                    pair_counts,
                    ..
                } = &mut acc;
                pair_counts.clear();
                let mut two_columns = rest.chunks_exact(2 * wpc);
                for pair in two_columns.by_ref() {
                    let (col_b0, col_b1) = pair.split_at(wpc);
                    pair_counts.extend(and_popcount_pair(col_a, col_b0, col_b1));
                }
                let last = two_columns.remainder();
                if !last.is_empty() {
                    pair_counts.push(and_popcount(col_a, last));
                }
                for (offset, &m11) in pair_counts.iter().enumerate() {
                    let b = a + 1 + offset;
                    let m1_b = packed_ones[b];
                    let m10 = m1_a - m11;
                    let m01 = m1_b - m11;
                    let m00 = r - m11 - m10 - m01;
                    let theta = logs.theta(m11, m10, m01, m00);
                    sum_sq += theta * theta;
                    // Branch-free: the sign of theta is unpredictable.
                    let (negative, positive) = (theta.min(0.0), theta.max(0.0));
                    neg_a += negative;
                    pos_a += positive;
                    acc_negative[b] += negative;
                    acc_positive[b] += positive;
                }
                acc.negative[a] += neg_a;
                acc.positive[a] += pos_a;
                acc.sum_sq += sum_sq;
                let done = pairs_done.fetch_add(q - 1 - a, Ordering::Relaxed) + (q - 1 - a);
                if a % 256 == 0 {
                    job.progress
                        .report(stage, Some((done as f64 / total_pairs) as f32));
                }
                acc
            },
        )
        .reduce(|| Accumulator::new(q), Accumulator::merge);
    job.checkpoint(stage, Some(1.0))?;

    let mut negative_sum = vec![0.0; p];
    let mut positive_sum = vec![0.0; p];
    for (idx, &j) in informative.iter().enumerate() {
        negative_sum[j] = acc.negative[idx];
        positive_sum[j] = acc.positive[idx];
    }
    // theta~ is symmetric: every off-diagonal pair appears twice in ||.||_F^2.
    let diag_sq: f64 = diagonal.iter().map(|d| d * d).sum();
    let theta_norm = (2.0 * acc.sum_sq + diag_sq).sqrt();
    Ok(Calibration {
        smoothing: logs.smoothing,
        variants: Vec::new(),
        reference_rows: reference.n_rows(),
        theta_norm,
        diagonal,
        negative_sum,
        positive_sum,
        constant_columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job;
    use crate::sharing::encode::encode;
    use crate::sharing::encode::tests::matrix_from_rows;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// The dense O(p^2) computation, written like the published numpy code.
    fn dense(reference: &BitColumns, smoothing: Smoothing) -> (f64, Vec<f64>, Vec<f64>) {
        let r = reference.n_rows() as u64;
        let p = reference.n_cols();
        let ones: Vec<u64> = (0..p).map(|j| reference.count_ones(j)).collect();
        let mut theta = vec![vec![0.0; p]; p];
        for j in 0..p {
            for k in 0..p {
                let m11 = (0..reference.n_rows())
                    .filter(|&i| reference.get(i, j) && reference.get(i, k))
                    .count() as u64;
                theta[j][k] = match (smoothing, j == k) {
                    (Smoothing::Parity, true) => diagonal_log_odds(ones[j], r),
                    (Smoothing::Parity, false) => pair_log_odds(m11, ones[j], ones[k], r),
                    (Smoothing::Haldane, true) => {
                        ((ones[j] as f64 + 0.5) / ((r - ones[j]) as f64 + 0.5)).ln()
                    }
                    (Smoothing::Haldane, false) => {
                        let (m10, m01) = (ones[j] - m11, ones[k] - m11);
                        let m00 = r - m11 - m10 - m01;
                        let cell = |c: u64| c as f64 + 0.5;
                        ((cell(m11) * cell(m00)) / (cell(m10) * cell(m01))).ln()
                    }
                };
            }
        }
        let norm = theta.iter().flatten().map(|t| t * t).sum::<f64>().sqrt();
        let neg = (0..p)
            .map(|j| {
                (0..p)
                    .filter(|&k| k != j)
                    .map(|k| theta[j][k].min(0.0))
                    .sum()
            })
            .collect();
        let pos = (0..p)
            .map(|j| {
                (0..p)
                    .filter(|&k| k != j)
                    .map(|k| theta[j][k].max(0.0))
                    .sum()
            })
            .collect();
        (norm, neg, pos)
    }

    fn variants_for(bits: &BitColumns) -> Vec<Variant> {
        (0..bits.n_cols() / 2)
            .map(|j| Variant {
                chrom: "1".into(),
                pos: j as u64 + 1,
                id: ".".into(),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            })
            .collect()
    }

    fn spec_reference() -> BitColumns {
        let g = matrix_from_rows(&[
            &[0, 1, 2],
            &[1, 1, 0],
            &[0, 0, 1],
            &[2, 1, 0],
            &[1, 0, 0],
            &[0, 2, 1],
        ]);
        match encode(&g) {
            Ok(bits) => bits,
            Err(e) => unreachable!("spec vector encodes: {e}"),
        }
    }

    #[test]
    fn reproduces_the_spec_test_vector() -> Result<()> {
        // Spec §12, produced by running the published code.
        let a = spec_reference();
        let cal = job::unattended(|job| Calibration::from_reference(&a, variants_for(&a), job))?;
        assert!(
            close(cal.theta_norm, 188.09566823832682, 1e-10),
            "{}",
            cal.theta_norm
        );
        let ln5 = -1.6094379124;
        let diag = [ln5, 0.0, ln5, std::f64::consts::LN_2, ln5, 0.0];
        for (got, want) in cal.diagonal.iter().zip(diag) {
            assert!(close(*got, want, 1e-10), "{got} vs {want}");
        }
        let m11 = |j: usize, k: usize| (0..6).filter(|&i| a.get(i, j) && a.get(i, k)).count();
        let theta = |j: usize, k: usize| {
            pair_log_odds(m11(j, k) as u64, a.count_ones(j), a.count_ones(k), 6)
        };
        assert!(close(theta(0, 1), 37.1422656778, 1e-9));
        assert!(close(theta(1, 5), -38.2408779665, 1e-9));

        let rates = cal.flip_rates(3.0)?;
        let lo = [
            -0.5849910976,
            -0.5982349853,
            -0.5849910976,
            0.0018425389,
            -0.5849910976,
            -0.4007702269,
        ];
        let p3 = [
            0.3577849526,
            0.3547476051,
            0.3577849526,
            0.5003293317,
            0.3577849526,
            0.4011272987,
        ];
        for j in 0..6 {
            assert!(
                close(rates.lo[j], lo[j], 1e-10),
                "lo[{j}] = {}",
                rates.lo[j]
            );
            assert!(close(rates.p[j], p3[j], 1e-10), "p[{j}] = {}", rates.p[j]);
        }
        assert!(close(rates.realised_epsilon().total, 2.7553, 1e-4));

        let rates = cal.flip_rates(30.0)?;
        let p30 = [
            0.0028718841,
            0.0025165419,
            0.0028718841,
            0.5000259733,
            0.0028718841,
            0.0178506709,
        ];
        for (j, (got, want)) in rates.p.iter().zip(p30).enumerate() {
            assert!(close(*got, want, 1e-10), "p[{j}] = {got}");
        }
        let real = rates.realised_epsilon();
        assert!(close(real.total, 27.5399, 1e-4), "{}", real.total);
        assert_eq!(real.per_snp.len(), 3);
        assert!(close(real.per_snp.iter().sum::<f64>(), real.total, 1e-12));
        // Only column 3 is within 1e-3 of one half.
        assert!(close(real.near_half_share, 1.0 / 6.0, 1e-12));
        Ok(())
    }

    #[test]
    fn calibrated_mode_realises_the_requested_budget() -> Result<()> {
        let a = spec_reference();
        let cal = job::unattended(|job| Calibration::from_reference(&a, variants_for(&a), job))?;
        for target in [0.5, 2.7553, 10.0] {
            let rates = cal.flip_rates_for_realised_epsilon(target)?;
            let real = rates.realised_epsilon().total;
            assert!((real - target).abs() < 1e-6 * target, "{real} vs {target}");
        }
        // Parity mode at nominal 3 realises 2.7553, so calibrated mode needs more.
        let rates = cal.flip_rates_for_realised_epsilon(3.0)?;
        assert!(rates.nominal_epsilon > 3.0);
        assert!(cal.flip_rates_for_realised_epsilon(0.0).is_err());
        Ok(())
    }

    #[test]
    fn zero_budget_is_coin_flips() -> Result<()> {
        let a = spec_reference();
        let cal = job::unattended(|job| Calibration::from_reference(&a, variants_for(&a), job))?;
        assert_eq!(cal.flip_rates(0.0)?.p, vec![0.5; 6]);
        assert!(cal.flip_rates(-1.0).is_err());
        assert!(cal.flip_rates(f64::NAN).is_err());
        Ok(())
    }

    #[test]
    fn pair_pass_matches_dense_computation_on_random_reference() -> Result<()> {
        use rand::{RngExt, SeedableRng};
        // 150 rows spans three words; frequencies from rare to common, plus
        // constant columns, exercise zero cells and the skipped-column path.
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let (r, m) = (150, 40);
        let rows: Vec<Vec<u8>> = (0..r)
            .map(|_| {
                (0..m)
                    .map(|j| {
                        let f = match j % 5 {
                            0 => 0.0,
                            1 => 0.01,
                            _ => (j as f64) / (m as f64),
                        };
                        u8::from(rng.random::<f64>() < f) + u8::from(rng.random::<f64>() < f)
                    })
                    .collect()
            })
            .collect();
        let row_refs: Vec<&[u8]> = rows.iter().map(Vec::as_slice).collect();
        let a = encode(&matrix_from_rows(&row_refs))?;
        for smoothing in [Smoothing::Parity, Smoothing::Haldane] {
            let (norm, neg, pos) = dense(&a, smoothing);
            let table = job::unattended(|job| compute(&a, &PairLogs::new(r, smoothing), job))?;
            let direct =
                job::unattended(|job| compute(&a, &PairLogs::untabulated(smoothing), job))?;
            for cal in [&table, &direct] {
                assert!(close(cal.theta_norm, norm, 1e-9 * norm), "{smoothing:?}");
                for j in 0..2 * m {
                    assert!(
                        close(cal.negative_sum[j], neg[j], 1e-9),
                        "{smoothing:?} neg {j}"
                    );
                    assert!(
                        close(cal.positive_sum[j], pos[j], 1e-9),
                        "{smoothing:?} pos {j}"
                    );
                }
            }
            assert!(table.constant_columns >= 2 * (m / 5));
        }
        Ok(())
    }

    #[test]
    fn and_popcount_matches_count_ones() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        for len in 0..9 {
            let a: Vec<u64> = (0..len).map(|_| rng.next_u64()).collect();
            let mut b: Vec<u64> = (0..len).map(|_| rng.next_u64()).collect();
            let expected: u64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| u64::from((x & y).count_ones()))
                .sum();
            assert_eq!(and_popcount(&a, &b), expected);
            let other: Vec<u64> = (0..len).map(|_| rng.next_u64()).collect();
            let expected_other: u64 = a
                .iter()
                .zip(&other)
                .map(|(x, y)| u64::from((x & y).count_ones()))
                .sum();
            assert_eq!(
                and_popcount_pair(&a, &b, &other),
                [expected, expected_other]
            );
            b.iter_mut().for_each(|w| *w = u64::MAX);
            let all: u64 = a.iter().map(|x| u64::from(x.count_ones())).sum();
            assert_eq!(and_popcount(&a, &a), all);
            assert_eq!(and_popcount(&a, &b), all);
        }
        assert_eq!(and_popcount(&[u64::MAX; 8], &[u64::MAX; 8]), 512);
    }

    #[test]
    fn honours_cancellation() {
        let a = spec_reference();
        let cancel = crate::CancelToken::new();
        cancel.cancel();
        let job = Job::new(&crate::job::NoProgress, &cancel);
        assert!(matches!(
            Calibration::from_reference(&a, variants_for(&a), job),
            Err(Error::Cancelled)
        ));
    }
}
