//! Flip-probability calibration of the column-wise XOR mechanism (spec §4.2) and
//! the privacy it really gives (§4.3).
//!
//! Parity mode reproduces PROVGEN's `xor_mechanism`: pairwise log odds ratios of
//! the encoded reference with `delta = 2^-52` added exactly as written, scaled so
//! that `s * ||Theta||_F = epsilon`, and each column's flip rate taken from its
//! most negative conditional log odds. The `p x p` matrix is never built: one
//! parallel pass over pairs `j < k` accumulates `||theta||_F^2` and per-column sums
//! of negative and positive entries (O(p) memory). The pass works on blocks of 8
//! word-interleaved columns, 64 pair counts per block pair, with a popcount
//! kernel chosen at run time (AVX-512 VPOPCNTDQ, AVX2 + POPCNT, or portable);
//! its sums are merged in a fixed order, so results do not depend on the CPU or
//! the number of threads. 28,000 SNPs against 400 people take ~3 CPU-seconds.

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

    /// Runs `pass` with the pairwise log odds ratio `theta(m11, m10, m01, m00)`
    /// for this smoothing, specialised so that the hot loop holds no branch on
    /// the mode: a vectorised table lookup must not also evaluate the quotient.
    fn with_theta<R>(&self, pass: impl PairPass<R>) -> R {
        // Every product a table holds: `a * b` with `a + b <= r` (parity) or
        // `(2a + 1)(2b + 1)` with `a + b <= r` (Haldane), so the clamp never bites.
        let table = self.table.as_slice();
        let last = table.len().saturating_sub(1);
        let lookup = |v: u32| table.get((v as usize).min(last)).copied().unwrap_or(0.0);
        // A table exists only for r < 2^12 (products < 2^22), so with one the
        // counts and products fit 32 bits: narrower, cheaper vector multiplies.
        let narrow = |counts: [u64; 4]| counts.map(|c| c as u32);
        let parity = |m11: u64, m10: u64, m01: u64, m00: u64| (m11 * m00, m10 * m01);
        // (c + 1/2) products times 4: the factor cancels in the ratio.
        let haldane = |m11: u64, m10: u64, m01: u64, m00: u64| {
            ((2 * m11 + 1) * (2 * m00 + 1), (2 * m10 + 1) * (2 * m01 + 1))
        };
        match (self.smoothing, table.is_empty()) {
            (Smoothing::Parity, false) => pass.run(&|m11, m10, m01, m00| {
                let [m11, m10, m01, m00] = narrow([m11, m10, m01, m00]);
                lookup(m11 * m00) - lookup(m10 * m01)
            }),
            (Smoothing::Parity, true) => pass.run(&|m11, m10, m01, m00| {
                let (x, y) = parity(m11, m10, m01, m00);
                ((x as f64 + PARITY_DELTA) / (y as f64 + PARITY_DELTA)).ln()
            }),
            (Smoothing::Haldane, false) => pass.run(&|m11, m10, m01, m00| {
                let [m11, m10, m01, m00] = narrow([m11, m10, m01, m00]);
                lookup((2 * m11 + 1) * (2 * m00 + 1)) - lookup((2 * m10 + 1) * (2 * m01 + 1))
            }),
            (Smoothing::Haldane, true) => pass.run(&|m11, m10, m01, m00| {
                let (x, y) = haldane(m11, m10, m01, m00);
                (x as f64 / y as f64).ln()
            }),
        }
    }

    fn diagonal(&self, m1: u64, r: u64) -> f64 {
        match self.smoothing {
            Smoothing::Parity => diagonal_log_odds(m1, r),
            Smoothing::Haldane => ((m1 as f64 + 0.5) / ((r - m1) as f64 + 0.5)).ln(),
        }
    }
}

/// Bit columns per block of the pair pass: one block's word `w` for all its
/// columns is eight `u64`, one 512-bit vector.
const LANES: usize = 8;

/// The pair pass is split into this many work units (not one per thread), each
/// with its own sums, merged in unit order: the result does not depend on the
/// number of threads or on scheduling.
const WORK_UNITS: usize = 32;

/// The informative reference columns, [`LANES`] to a block and word-interleaved
/// (word `w` of column `LANES * k + l` at `(k * wpc + w) * LANES + l`), so
/// that counting one block against another is a run of whole-vector ANDs and
/// popcounts. Padding columns of the last block are zero.
struct Interleaved {
    words: Vec<[u64; LANES]>,
    wpc: usize,
    blocks: usize,
}

impl Interleaved {
    fn new(reference: &BitColumns, columns: &[usize]) -> Self {
        let wpc = reference.words_per_col();
        let blocks = columns.len().div_ceil(LANES);
        let mut words = vec![[0u64; LANES]; blocks * wpc];
        for (block, block_columns) in words
            .chunks_exact_mut(wpc.max(1))
            .zip(columns.chunks(LANES))
        {
            for (lane, &j) in block_columns.iter().enumerate() {
                for (lanes, &word) in block.iter_mut().zip(reference.column(j)) {
                    if let Some(slot) = lanes.get_mut(lane) {
                        *slot = word;
                    }
                }
            }
        }
        Self { words, wpc, blocks }
    }

    fn block(&self, k: usize) -> &[[u64; LANES]] {
        self.words
            .get(k * self.wpc..(k + 1) * self.wpc)
            .unwrap_or_default()
    }
}

/// `M11` of every column of block `a` with every column of block `b`:
/// `counts[s][l] = popcount(a_s AND b_l)`. Plain loops over fixed lanes: built
/// with AVX-512 VPOPCNTDQ each word step is a broadcast AND, a popcount and an
/// add on one vector.
#[inline(always)]
fn block_pair_counts(a: &[[u64; LANES]], b: &[[u64; LANES]]) -> [[u64; LANES]; LANES] {
    #[inline(always)]
    fn add_row(row: &mut [u64; LANES], x: u64, y: &[u64; LANES]) {
        for (count, &word) in row.iter_mut().zip(y) {
            *count += u64::from((x & word).count_ones());
        }
    }
    // Eight named rows, each updated by one fixed 8-lane step per word: the
    // shape the SLP vectoriser turns into one vector per row. (A loop over rows
    // gets vectorised across rows instead, with gathers and scatters.)
    let [
        mut c0,
        mut c1,
        mut c2,
        mut c3,
        mut c4,
        mut c5,
        mut c6,
        mut c7,
    ] = [[0u64; LANES]; LANES];
    for (x, y) in a.iter().zip(b) {
        add_row(&mut c0, x[0], y);
        add_row(&mut c1, x[1], y);
        add_row(&mut c2, x[2], y);
        add_row(&mut c3, x[3], y);
        add_row(&mut c4, x[4], y);
        add_row(&mut c5, x[5], y);
        add_row(&mut c6, x[6], y);
        add_row(&mut c7, x[7], y);
    }
    [c0, c1, c2, c3, c4, c5, c6, c7]
}

/// What the pair pass reads.
struct PairInput<'a> {
    bits: &'a Interleaved,
    /// `M1` per informative column, zero for padding columns (length `blocks * LANES`).
    ones: Vec<u64>,
    /// Number of informative columns.
    columns: usize,
    r: u64,
}

/// The pair pass, generic over the log odds ratio it evaluates per pair.
trait PairPass<R> {
    fn run<T: Theta>(self, theta: &T) -> R;
}

/// `theta(m11, m10, m01, m00)` of one pair.
trait Theta: Fn(u64, u64, u64, u64) -> f64 + Sync {}
impl<T: Fn(u64, u64, u64, u64) -> f64 + Sync> Theta for T {}

/// Sums of one work unit, indexed by informative column (padded to whole blocks).
struct Sums {
    sum_sq: f64,
    negative: Vec<f64>,
    positive: Vec<f64>,
}

/// Adds the pairs of a-block `i` with every later column to `sums`.
#[inline(always)]
fn block_row<T: Theta>(input: &PairInput<'_>, theta: &T, i: usize, sums: &mut Sums) {
    let a_block = input.bits.block(i);
    let a_ones = lanes_of(&input.ones, i);
    let r = input.r;
    // Per-pair-slot partial sums: independent accumulators, no long add chains.
    let mut row_negative = [[0.0f64; LANES]; LANES];
    let mut row_positive = [[0.0f64; LANES]; LANES];
    let mut squares = [[0.0f64; LANES]; LANES];
    for k in i..input.bits.blocks {
        let counts = block_pair_counts(a_block, input.bits.block(k));
        let b_ones = lanes_of(&input.ones, k);
        let mut thetas = [[0.0f64; LANES]; LANES];
        for (s, (theta_row, count_row)) in thetas.iter_mut().zip(&counts).enumerate() {
            let a = i * LANES + s;
            let m1_a = a_ones[s];
            for (l, (t, &m11)) in theta_row.iter_mut().zip(count_row).enumerate() {
                let b = k * LANES + l;
                let m1_b = b_ones[l];
                let m10 = m1_a.saturating_sub(m11);
                let m01 = m1_b.saturating_sub(m11);
                let m00 = r.saturating_sub(m11 + m10 + m01);
                let value = theta(m11, m10, m01, m00);
                // Only pairs a < b of real columns count.
                *t = if a < b && b < input.columns {
                    value
                } else {
                    0.0
                };
            }
        }
        let mut column_negative = [0.0f64; LANES];
        let mut column_positive = [0.0f64; LANES];
        for (s, theta_row) in thetas.iter().enumerate() {
            for (l, &t) in theta_row.iter().enumerate() {
                // Branch-free: the sign of theta is unpredictable.
                let (negative, positive) = (t.min(0.0), t.max(0.0));
                squares[s][l] += t * t;
                row_negative[s][l] += negative;
                row_positive[s][l] += positive;
                column_negative[l] += negative;
                column_positive[l] += positive;
            }
        }
        add_lanes(&mut sums.negative, k, &column_negative);
        add_lanes(&mut sums.positive, k, &column_positive);
    }
    let row_sum = |rows: &[[f64; LANES]; LANES]| rows.map(|row| row.iter().sum::<f64>());
    add_lanes(&mut sums.negative, i, &row_sum(&row_negative));
    add_lanes(&mut sums.positive, i, &row_sum(&row_positive));
    sums.sum_sq += row_sum(&squares).iter().sum::<f64>();
}

/// The [`LANES`] values of block `k` (zeros past the end).
#[inline(always)]
fn lanes_of(values: &[u64], k: usize) -> [u64; LANES] {
    let mut out = [0u64; LANES];
    if let Some(block) = values.get(k * LANES..(k + 1) * LANES) {
        out.copy_from_slice(block);
    }
    out
}

#[inline(always)]
fn add_lanes(sums: &mut [f64], k: usize, values: &[f64; LANES]) {
    if let Some(block) = sums.get_mut(k * LANES..(k + 1) * LANES) {
        for (sum, value) in block.iter_mut().zip(values) {
            *sum += value;
        }
    }
}

/// One work unit: a-blocks `range` against all later columns, in order.
#[inline(always)]
fn run_unit<T: Theta>(
    input: &PairInput<'_>,
    theta: &T,
    range: std::ops::Range<usize>,
    job: Job<'_>,
) -> Sums {
    let padded = input.bits.blocks * LANES;
    let mut sums = Sums {
        sum_sq: 0.0,
        negative: vec![0.0; padded],
        positive: vec![0.0; padded],
    };
    for i in range {
        if job.cancel.is_cancelled() {
            break;
        }
        block_row(input, theta, i, &mut sums);
    }
    sums
}

/// [`run_unit`] compiled for AVX-512 with vector popcounts.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
fn run_unit_avx512<T: Theta>(
    input: &PairInput<'_>,
    theta: &T,
    range: std::ops::Range<usize>,
    job: Job<'_>,
) -> Sums {
    run_unit(input, theta, range, job)
}

/// [`run_unit`] compiled for AVX2 and the POPCNT instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn run_unit_avx2<T: Theta>(
    input: &PairInput<'_>,
    theta: &T,
    range: std::ops::Range<usize>,
    job: Job<'_>,
) -> Sums {
    run_unit(input, theta, range, job)
}

/// Which build of the pair pass this CPU runs. The portable x86-64 target has
/// no POPCNT instruction (`count_ones` becomes a dozen instructions per word),
/// so the pass is also compiled for AVX2 + POPCNT and for AVX-512 VPOPCNTDQ
/// and the best one the CPU has is chosen at run time. All builds run the same
/// operations in the same order: their results are bit-identical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PairKernel {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl PairKernel {
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512vpopcntdq")
                && std::is_x86_feature_detected!("popcnt")
            {
                return Self::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
                return Self::Avx2;
            }
        }
        Self::Portable
    }

    /// Runs one work unit with this kernel, falling back to the portable build
    /// if the CPU lacks the kernel's features.
    #[allow(unsafe_code)]
    fn run<T: Theta>(
        self,
        input: &PairInput<'_>,
        theta: &T,
        range: std::ops::Range<usize>,
        job: Job<'_>,
    ) -> Sums {
        let detected = Self::detect();
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 if detected == Self::Avx512 => {
                // SAFETY: `run_unit_avx512` only requires avx512f, avx512vpopcntdq
                // and popcnt, which `detect` has just confirmed on this CPU.
                unsafe { run_unit_avx512(input, theta, range, job) }
            }
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 if matches!(detected, Self::Avx2 | Self::Avx512) => {
                // SAFETY: `run_unit_avx2` only requires avx2 and popcnt; `detect`
                // returns Avx2 or Avx512 only when both are present.
                unsafe { run_unit_avx2(input, theta, range, job) }
            }
            _ => run_unit(input, theta, range, job),
        }
    }
}

/// Splits `blocks` a-blocks into at most [`WORK_UNITS`] consecutive ranges of
/// about equal work (block `i` pairs with `blocks - i` b-blocks).
fn work_units(blocks: usize) -> Vec<std::ops::Range<usize>> {
    let total = blocks * (blocks + 1) / 2;
    let units = WORK_UNITS.min(blocks.max(1));
    let mut ranges = Vec::with_capacity(units);
    let (mut start, mut done) = (0, 0);
    for i in 0..blocks {
        done += blocks - i;
        if done * units >= total * (ranges.len() + 1) {
            ranges.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < blocks {
        ranges.push(start..blocks);
    }
    ranges
}

/// All work units of the pair pass, run in parallel; their sums in unit order.
struct UnitsPass<'a> {
    input: &'a PairInput<'a>,
    kernel: PairKernel,
    stage: &'a str,
    job: Job<'a>,
}

impl PairPass<Vec<Sums>> for UnitsPass<'_> {
    fn run<T: Theta>(self, theta: &T) -> Vec<Sums> {
        let units = work_units(self.input.bits.blocks);
        let n_units = units.len().max(1) as f32;
        let units_done = AtomicUsize::new(0);
        units
            .into_par_iter()
            .map(|range| {
                let sums = self.kernel.run(self.input, theta, range, self.job);
                let done = units_done.fetch_add(1, Ordering::Relaxed) + 1;
                self.job
                    .progress
                    .report(self.stage, Some(done as f32 / n_units));
                sums
            })
            .collect()
    }
}

fn compute(reference: &BitColumns, logs: &PairLogs, job: Job<'_>) -> Result<Calibration> {
    compute_with(reference, logs, PairKernel::detect(), job)
}

fn compute_with(
    reference: &BitColumns,
    logs: &PairLogs,
    kernel: PairKernel,
    job: Job<'_>,
) -> Result<Calibration> {
    let r = reference.n_rows() as u64;
    let p = reference.n_cols();
    let ones: Vec<u64> = (0..p).map(|j| reference.count_ones(j)).collect();
    let diagonal: Vec<f64> = ones.iter().map(|&m1| logs.diagonal(m1, r)).collect();
    let constant_columns = ones.iter().filter(|&&m1| m1 == 0 || m1 == r).count();

    // In parity mode constant columns have all-zero off-diagonals (delta/delta):
    // leave them out of the pair pass.
    let informative: Vec<usize> = match logs.smoothing {
        Smoothing::Parity => (0..p).filter(|&j| ones[j] != 0 && ones[j] != r).collect(),
        Smoothing::Haldane => (0..p).collect(),
    };
    let bits = Interleaved::new(reference, &informative);
    let mut informative_ones: Vec<u64> = informative.iter().map(|&j| ones[j]).collect();
    informative_ones.resize(bits.blocks * LANES, 0);
    let input = PairInput {
        bits: &bits,
        ones: informative_ones,
        columns: informative.len(),
        r,
    };

    let stage = "calibrating flip probabilities";
    job.checkpoint(stage, Some(0.0))?;
    let unit_sums = logs.with_theta(UnitsPass {
        input: &input,
        kernel,
        stage,
        job,
    });
    job.checkpoint(stage, Some(1.0))?;

    // Merge in unit order: the same sums whatever the thread count.
    let mut sum_sq = 0.0;
    let mut negative = vec![0.0; bits.blocks * LANES];
    let mut positive = vec![0.0; bits.blocks * LANES];
    for sums in unit_sums {
        sum_sq += sums.sum_sq;
        for (total, part) in negative.iter_mut().zip(&sums.negative) {
            *total += part;
        }
        for (total, part) in positive.iter_mut().zip(&sums.positive) {
            *total += part;
        }
    }
    let mut negative_sum = vec![0.0; p];
    let mut positive_sum = vec![0.0; p];
    for ((&j, neg), pos) in informative.iter().zip(&negative).zip(&positive) {
        negative_sum[j] = *neg;
        positive_sum[j] = *pos;
    }
    // theta~ is symmetric: every off-diagonal pair appears twice in ||.||_F^2.
    let diag_sq: f64 = diagonal.iter().map(|d| d * d).sum();
    let theta_norm = (2.0 * sum_sq + diag_sq).sqrt();
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
    fn block_pair_counts_match_count_ones() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        for wpc in 0..9 {
            let a: Vec<[u64; LANES]> = (0..wpc)
                .map(|_| std::array::from_fn(|_| rng.next_u64()))
                .collect();
            let b: Vec<[u64; LANES]> = (0..wpc)
                .map(|_| std::array::from_fn(|_| rng.next_u64()))
                .collect();
            let counts = block_pair_counts(&a, &b);
            for s in 0..LANES {
                for l in 0..LANES {
                    let expected: u64 = a
                        .iter()
                        .zip(&b)
                        .map(|(x, y)| u64::from((x[s] & y[l]).count_ones()))
                        .sum();
                    assert_eq!(counts[s][l], expected, "wpc {wpc}, pair {s} {l}");
                }
            }
        }
        let full = vec![[u64::MAX; LANES]; 8];
        assert_eq!(block_pair_counts(&full, &full), [[512; LANES]; LANES]);
    }

    /// A reference with `r` rows and `m` SNPs of spread frequencies.
    fn random_reference(r: usize, m: usize, seed: u64) -> Result<BitColumns> {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        let rows: Vec<Vec<u8>> = (0..r)
            .map(|_| {
                (0..m)
                    .map(|j| {
                        let f = (j % 7) as f64 / 14.0;
                        u8::from(rng.random::<f64>() < f) + u8::from(rng.random::<f64>() < f)
                    })
                    .collect()
            })
            .collect();
        let row_refs: Vec<&[u8]> = rows.iter().map(Vec::as_slice).collect();
        encode(&matrix_from_rows(&row_refs))
    }

    #[test]
    fn every_kernel_and_thread_count_gives_identical_bits() -> Result<()> {
        // 77 SNPs: informative columns do not fill whole blocks; 130 rows span
        // three words with a partial last one.
        let a = random_reference(130, 77, 5)?;
        for smoothing in [Smoothing::Parity, Smoothing::Haldane] {
            let logs = PairLogs::new(130, smoothing);
            let portable =
                job::unattended(|job| compute_with(&a, &logs, PairKernel::Portable, job))?;
            let detected =
                job::unattended(|job| compute_with(&a, &logs, PairKernel::detect(), job))?;
            // Runs the AVX2 build where the CPU has it (else the portable one).
            #[cfg(target_arch = "x86_64")]
            let avx2 = job::unattended(|job| compute_with(&a, &logs, PairKernel::Avx2, job))?;
            #[cfg(not(target_arch = "x86_64"))]
            let avx2 = job::unattended(|job| compute_with(&a, &logs, PairKernel::Portable, job))?;
            let single_thread = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .map_err(|e| Error::Parameter(e.to_string()))?
                .install(|| job::unattended(|job| compute(&a, &logs, job)))?;
            for other in [&detected, &avx2, &single_thread] {
                assert_eq!(portable.theta_norm.to_bits(), other.theta_norm.to_bits());
                assert_eq!(portable.negative_sum, other.negative_sum);
                assert_eq!(portable.positive_sum, other.positive_sum);
            }
        }
        Ok(())
    }

    #[test]
    fn work_units_cover_every_block_once() {
        for blocks in [0, 1, 5, 31, 32, 33, 1000, 7001] {
            let units = work_units(blocks);
            assert!(units.len() <= WORK_UNITS);
            let mut next = 0;
            for unit in &units {
                assert_eq!(unit.start, next);
                assert!(unit.end > unit.start);
                next = unit.end;
            }
            assert_eq!(next, blocks);
        }
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
