//! Allele-frequency restoration ("optimal transport", spec §5): per SNP, flip
//! exactly as many uniformly chosen bits of its pooled `n x 2` block as needed to
//! bring the frequency to the target, leaving less than one allele of error.

use rand::RngExt;
use rayon::prelude::*;

use super::encode::{BitColumns, last_word_mask};
use super::xor::{NoiseKey, Purpose};
use crate::error::{Error, Result};
use crate::job::Job;

/// What restoration changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RestorationReport {
    /// Bits flipped in total.
    pub flipped_bits: u64,
    /// SNPs whose block had too few bits of the needed value to reach the target.
    pub unreachable_snps: usize,
    /// Largest `|allele count after - t_j * 2n|` over SNPs.
    pub max_residual_alleles: f64,
}

/// The number of bits to flip per SNP, `k_j = trunc((f_j - t_j) * 2n)`, truncated
/// toward zero as the published code's `astype(int)` does (positive: ones to
/// clear; negative: zeros to set).
pub fn restoration_counts(freq: &[f64], target: &[f64], n_rows: usize) -> Vec<i64> {
    let two_n = (2 * n_rows) as f64;
    freq.iter()
        .zip(target)
        .map(|(f, t)| flips_needed(f * two_n, t * two_n))
        .collect()
}

/// `trunc(count - target_count)`, where a target within 1e-9 of a whole allele
/// count is taken as that count. Deliberate deviation from the published
/// `(f - t) * 2n`: with targets computed from data, float rounding there can give
/// 10.999... and truncation then leaves a whole allele of error; here the residual
/// is always below one allele, as the method intends.
fn flips_needed(count: f64, target_count: f64) -> i64 {
    let whole = target_count.round();
    let target_count = if (target_count - whole).abs() < 1e-9 {
        whole
    } else {
        target_count
    };
    (count - target_count).trunc() as i64
}

/// Restores per-SNP allele frequencies of an encoded matrix to `target`, in place.
pub fn restore_frequencies(
    bits: &mut BitColumns,
    target: &[f64],
    key: &NoiseKey,
    job: Job<'_>,
) -> Result<RestorationReport> {
    let m = bits.n_cols() / 2;
    if target.len() != m {
        return Err(Error::Mismatch(format!(
            "{} target frequencies for {m} SNPs",
            target.len()
        )));
    }
    if let Some(j) = target.iter().position(|t| !(0.0..=1.0).contains(t)) {
        return Err(Error::Parameter(format!(
            "target frequency of SNP {} is {}, outside [0, 1]",
            j + 1,
            target[j]
        )));
    }
    let n = bits.n_rows();
    if n == 0 {
        return Ok(RestorationReport::default());
    }
    let wpc = bits.words_per_col();
    let mask = last_word_mask(n);
    let two_n = (2 * n) as f64;
    let stage = "restoring allele frequencies";
    job.checkpoint(stage, Some(0.0))?;
    let report = bits
        .par_snp_blocks_mut()
        .zip(target.par_iter())
        .enumerate()
        .map(|(j, (block, &t))| {
            if job.cancel.is_cancelled() {
                return RestorationReport::default();
            }
            let ones: u64 = block.iter().map(|w| u64::from(w.count_ones())).sum();
            let k = flips_needed(ones as f64, t * two_n);
            let (value, available) = if k > 0 {
                (true, ones)
            } else {
                (false, 2 * n as u64 - ones)
            };
            let wanted = k.unsigned_abs();
            let flips = wanted.min(available);
            if flips > 0 {
                let mut rng = key.stream(Purpose::Restoration, j);
                flip_uniform_subset(block, wpc, mask, value, available, flips, &mut rng);
            }
            let after = if k > 0 { ones - flips } else { ones + flips };
            if j % 4096 == 0 {
                job.progress.report(stage, Some(j as f32 / m.max(1) as f32));
            }
            RestorationReport {
                flipped_bits: flips,
                unreachable_snps: usize::from(flips < wanted),
                max_residual_alleles: (after as f64 - t * two_n).abs(),
            }
        })
        .reduce(RestorationReport::default, |a, b| RestorationReport {
            flipped_bits: a.flipped_bits + b.flipped_bits,
            unreachable_snps: a.unreachable_snps + b.unreachable_snps,
            max_residual_alleles: a.max_residual_alleles.max(b.max_residual_alleles),
        });
    job.checkpoint(stage, Some(1.0))?;
    Ok(report)
}

/// Flips `flips` of the `available` positions holding `value` in a SNP block (two
/// columns of `wpc` words), chosen uniformly without replacement.
fn flip_uniform_subset<R: rand::Rng>(
    block: &mut [u64],
    wpc: usize,
    last_mask: u64,
    value: bool,
    available: u64,
    flips: u64,
    rng: &mut R,
) {
    // Choose the smaller of the flip set and its complement by Floyd's algorithm,
    // as a bitmap over the ranks of the candidate positions.
    let complement = flips > available / 2;
    let chosen = if complement { available - flips } else { flips };
    let mut ranks = vec![0u64; (available as usize).div_ceil(64) + 1];
    for upper in available - chosen..available {
        let pick = rng.random_range(0..=upper);
        let (w, b) = ((pick / 64) as usize, pick % 64);
        if ranks[w] >> b & 1 == 1 {
            ranks[(upper / 64) as usize] |= 1 << (upper % 64);
        } else {
            ranks[w] |= 1 << b;
        }
    }
    let mut rank = 0u64;
    for (idx, word) in block.iter_mut().enumerate() {
        let valid = if idx % wpc == wpc - 1 {
            last_mask
        } else {
            u64::MAX
        };
        let candidates = if value { *word } else { !*word & valid };
        let count = u64::from(candidates.count_ones());
        if count == 0 {
            continue;
        }
        let mut selected = extract_bits(&ranks, rank, count);
        if complement {
            selected = !selected & low_mask(count);
        }
        rank += count;
        if selected == 0 {
            continue;
        }
        if selected == low_mask(count) {
            *word ^= candidates;
            continue;
        }
        // Walk the candidate positions in order, flipping the selected ones.
        let mut rest = candidates;
        let mut i = 0;
        while rest != 0 {
            let lowest = rest & rest.wrapping_neg();
            if selected >> i & 1 == 1 {
                *word ^= lowest;
            }
            rest ^= lowest;
            i += 1;
        }
    }
}

/// The `len <= 64` bits of `bitmap` starting at bit `start`, as the low bits.
fn extract_bits(bitmap: &[u64], start: u64, len: u64) -> u64 {
    let (w, b) = ((start / 64) as usize, start % 64);
    let low = bitmap.get(w).copied().unwrap_or(0) >> b;
    let high = if b == 0 {
        0
    } else {
        bitmap.get(w + 1).copied().unwrap_or(0) << (64 - b)
    };
    (low | high) & low_mask(len)
}

fn low_mask(len: u64) -> u64 {
    if len >= 64 {
        u64::MAX
    } else {
        (1u64 << len) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job;
    use crate::sharing::encode::encoded_frequencies;

    #[test]
    fn counts_match_the_spec_vector() {
        // Spec §12: n = 4, f = [0.875, 0.5, 0.375], t = [0.25, 0.5, 0.125].
        assert_eq!(
            restoration_counts(&[0.875, 0.5, 0.375], &[0.25, 0.5, 0.125], 4),
            vec![5, 0, 2]
        );
        // Truncation toward zero, not floor.
        assert_eq!(restoration_counts(&[0.1], &[0.3], 4), vec![-1]);
        // A target that is a whole allele count up to float error counts as one:
        // (61/120 - 50/120) * 120 is 10.999... in f64, yet 11 alleles must move.
        let (f, t) = (61.0 / 120.0, 50.0 / 120.0);
        assert!(((f - t) * 120.0f64).trunc() < 11.0);
        assert_eq!(restoration_counts(&[f], &[t], 60), vec![11]);
    }

    #[test]
    fn restores_the_spec_vector_matrix() -> Result<()> {
        // An n = 4 block per SNP with 7, 4 and 3 ones of 8.
        let mut bits = BitColumns::zeros(4, 6);
        for (col, rows) in [
            (0, &[0, 1, 2][..]),
            (1, &[0, 1, 2, 3]),
            (2, &[0, 1]),
            (3, &[2, 3]),
            (4, &[3]),
            (5, &[0, 1]),
        ] {
            for &i in rows {
                bits.set(i, col, true);
            }
        }
        assert_eq!(encoded_frequencies(&bits), vec![0.875, 0.5, 0.375]);
        let before = bits.clone();
        let target = [0.25, 0.5, 0.125];
        let report = job::unattended(|job| {
            restore_frequencies(&mut bits, &target, &NoiseKey::from_seed(1), job)
        })?;
        assert_eq!(report.flipped_bits, 7);
        assert_eq!(encoded_frequencies(&bits), vec![0.25, 0.5, 0.125]);
        // Only ones were cleared: no zero became one.
        for col in 0..6 {
            for i in 0..4 {
                assert!(!bits.get(i, col) || before.get(i, col));
            }
        }
        Ok(())
    }

    #[test]
    fn residual_is_below_one_allele_and_choice_is_uniform() -> Result<()> {
        // 130 rows (three words, a partial last word), many SNPs with random
        // targets, both directions and the complement path.
        use rand::SeedableRng;
        let n = 130;
        let m = 400;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let mut bits = BitColumns::zeros(n, 2 * m);
        for col in 0..2 * m {
            for i in 0..n {
                if rng.random::<f64>() < 0.5 {
                    bits.set(i, col, true);
                }
            }
        }
        let target: Vec<f64> = (0..m).map(|_| rng.random::<f64>()).collect();
        let original = bits.clone();
        let report = job::unattended(|job| {
            restore_frequencies(&mut bits, &target, &NoiseKey::from_seed(9), job)
        })?;
        assert_eq!(report.unreachable_snps, 0);
        assert!(report.max_residual_alleles < 1.0);
        for (j, f) in encoded_frequencies(&bits).iter().enumerate() {
            assert!((f - target[j]).abs() * (2 * n) as f64 <= 1.0, "SNP {j}");
        }
        // Padding bits stay zero.
        for col in 0..2 * m {
            let last = bits.column(col).last().copied().unwrap_or(0);
            assert_eq!(last & !last_word_mask(n), 0);
        }
        // Uniformity: every row is touched at about the same rate.
        let mut touched = vec![0u32; n];
        for col in 0..2 * m {
            for (i, t) in touched.iter_mut().enumerate() {
                *t += u32::from(bits.get(i, col) != original.get(i, col));
            }
        }
        let mean = touched.iter().sum::<u32>() as f64 / n as f64;
        let sd = mean.sqrt();
        for (i, &t) in touched.iter().enumerate() {
            assert!((t as f64 - mean).abs() < 5.0 * sd, "row {i}: {t} vs {mean}");
        }
        Ok(())
    }
}
