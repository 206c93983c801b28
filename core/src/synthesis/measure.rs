//! Counting the chain's clique marginals and adding exact discrete Gaussian noise
//! (spec §4.2).

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::ChainDomain;
use crate::data::{GenotypeMatrix, MISSING};
use crate::dp::noise::DiscreteGaussian;
use crate::error::{Error, Result};
use crate::job::Job;

/// How missing calls enter the model. The choice is public and made before the
/// data are seen: choosing it from the data would itself reveal whether any call
/// is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MissingPolicy {
    /// Three states; a missing call is an error (impute first, inside the privacy
    /// analysis, or choose [`MissingPolicy::Category`]).
    Reject,
    /// Four states: "missing" is a genotype state of its own (spec §2), and
    /// synthetic data contain missing calls at the modelled rate.
    Category,
}

impl MissingPolicy {
    pub fn n_states(self) -> usize {
        match self {
            MissingPolicy::Reject => 3,
            MissingPolicy::Category => 4,
        }
    }
}

/// Cliques counted per batch between progress/cancel checkpoints.
const BATCH: usize = 2048;

/// Exact clique counts: for each clique i the C·K^(order+1) table of
/// (y, s_i, ..., s_{i+order}), concatenated. `labels` holds one class per sample (all zero for a single class).
pub fn clique_counts(
    matrix: &GenotypeMatrix,
    labels: &[u8],
    domain: &ChainDomain,
    job: Job<'_>,
) -> Result<Vec<u64>> {
    check_inputs(matrix, labels, domain)?;
    let cells = domain.clique_cells();
    let m = domain.n_cliques();
    let method = CountMethod::for_shape(domain, matrix.n_samples());
    let classes = (method == CountMethod::Bitsets).then(|| class_masks(labels, domain));
    let mut counts = vec![0u64; m * cells];
    for (batch_index, batch) in counts.chunks_mut(BATCH * cells).enumerate() {
        job.checkpoint(
            "Counting clique marginals",
            Some((batch_index * BATCH) as f32 / m as f32),
        )?;
        batch
            .par_chunks_mut(RUN * cells)
            .enumerate()
            .for_each(|(run_index, tables)| {
                let first = batch_index * BATCH + run_index * RUN;
                match &classes {
                    Some(classes) => count_run_bitsets(matrix, classes, domain, first, tables),
                    None => count_run_per_sample(matrix, labels, domain, first, tables),
                }
            });
    }
    Ok(counts)
}

/// Each SNP's genotype counts without the label: K cells per SNP (hom-ref, het,
/// hom-alt, and missing when K = 4), concatenated. Missing calls under a
/// three-state policy were rejected when the cliques were counted.
pub fn snp_counts(matrix: &GenotypeMatrix, n_states: usize) -> Vec<u64> {
    (0..matrix.n_variants())
        .flat_map(|j| {
            let calls = matrix.call_counts(j);
            [calls.hom_ref, calls.het, calls.hom_alt, calls.missing]
                .into_iter()
                .take(n_states)
        })
        .collect()
}

/// Consecutive cliques counted by one task (they share their SNPs' masks).
const RUN: usize = 64;

/// Samples per bitset word.
const WORD: usize = 64;

/// How [`clique_counts`] tallies a clique.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CountMethod {
    /// One pass over the samples per clique, building each sample's cell.
    PerSample,
    /// Per cell, the popcount of the AND of bit masks (one bit per sample) of
    /// its class and its SNP states [derived]: far fewer operations when the
    /// table is small next to the number of samples.
    Bitsets,
}

impl CountMethod {
    /// The method with less work: the bitset path costs about
    /// C·(K + K² + … + K^(order+1)) word operations per 64 samples, the
    /// per-sample path about order + 1 steps per sample.
    fn for_shape(domain: &ChainDomain, n_samples: usize) -> Self {
        let partial_tables: usize = (1..=domain.order as u32 + 1)
            .map(|level| domain.n_states.pow(level))
            .sum();
        let bitset_work = domain.n_classes * partial_tables * n_samples.div_ceil(WORD);
        let per_sample_work = n_samples * (domain.order + 1);
        if bitset_work <= 2 * per_sample_work {
            CountMethod::Bitsets
        } else {
            CountMethod::PerSample
        }
    }
}

/// Counts the cliques from `first` on into `tables` (whole tables), one pass
/// over the samples each.
fn count_run_per_sample(
    matrix: &GenotypeMatrix,
    labels: &[u8],
    domain: &ChainDomain,
    first: usize,
    tables: &mut [u64],
) {
    let mut cells: Vec<usize> = Vec::with_capacity(labels.len());
    for (offset, table) in tables.chunks_mut(domain.clique_cells()).enumerate() {
        // Each sample's cell index, built SNP by SNP (`cell_of` order).
        cells.clear();
        cells.extend(labels.iter().map(|&y| usize::from(y)));
        for snp in first + offset..=first + offset + domain.order {
            for (cell, call) in cells.iter_mut().zip(matrix.calls(snp)) {
                *cell = *cell * domain.n_states + usize::from(call);
            }
        }
        // States and labels were validated by `check_inputs`.
        for &cell in &cells {
            table[cell] += 1;
        }
    }
}

/// One bit mask per class: bit s of word s / 64 is set when sample s has that
/// class. Padding bits past the last sample are never set, so every count
/// (which ANDs a class mask) ignores them.
fn class_masks(labels: &[u8], domain: &ChainDomain) -> Vec<u64> {
    let words = labels.len().div_ceil(WORD);
    let mut masks = vec![0u64; domain.n_classes * words];
    for (s, &y) in labels.iter().enumerate() {
        masks[usize::from(y) * words + s / WORD] |= 1 << (s % WORD);
    }
    masks
}

/// The even bits of `x` (bits 0, 2, …, 62) packed into the low 32 bits.
fn even_bits(x: u64) -> u64 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF
}

/// One mask per genotype state 0..K of a packed row (2 bits per call, sample
/// 4k + i at bits 2i of byte k), state-major, appended to `out`.
fn state_masks(row: &[u8], n_states: usize, words: usize, out: &mut Vec<u64>) {
    let start = out.len();
    out.resize(start + n_states * words, 0);
    let masks = &mut out[start..];
    for w in 0..words {
        // 64 calls = 16 bytes = two little-endian halves of 32 calls.
        let mut halves = [0u64; 2];
        for (h, half) in halves.iter_mut().enumerate() {
            let mut bytes = [0u8; 8];
            let from = (w * 16 + h * 8).min(row.len());
            let to = (from + 8).min(row.len());
            bytes[..to - from].copy_from_slice(&row[from..to]);
            *half = u64::from_le_bytes(bytes);
        }
        let low = even_bits(halves[0]) | even_bits(halves[1]) << 32;
        let high = even_bits(halves[0] >> 1) | even_bits(halves[1] >> 1) << 32;
        for (state, mask) in [!low & !high, low & !high, !low & high, low & high]
            .into_iter()
            .take(n_states)
            .enumerate()
        {
            masks[state * words + w] = mask;
        }
    }
}

/// Counts the cliques from `first` on into `tables` by AND and popcount.
fn count_run_bitsets(
    matrix: &GenotypeMatrix,
    classes: &[u64],
    domain: &ChainDomain,
    first: usize,
    tables: &mut [u64],
) {
    let (k, order) = (domain.n_states, domain.order);
    let words = matrix.n_samples().div_ceil(WORD);
    let n_tables = tables.len() / domain.clique_cells();
    let mut masks = Vec::with_capacity((n_tables + order) * k * words);
    for snp in first..first + n_tables + order {
        state_masks(matrix.packed_row(snp), k, words, &mut masks);
    }
    let snp_masks: Vec<&[u64]> = masks.chunks(k * words).collect();
    // scratch[level]: the AND of the class mask and the first `level` states.
    let mut scratch = vec![0u64; (order + 1) * words];
    for (offset, table) in tables.chunks_mut(domain.clique_cells()).enumerate() {
        let snps = &snp_masks[offset..offset + order + 1];
        for (class, by_class) in classes
            .chunks(words)
            .zip(table.chunks_mut(table.len() / domain.n_classes))
        {
            scratch[..words].copy_from_slice(class);
            tally(snps, k, words, &mut scratch, by_class);
        }
    }
}

/// Adds to `out` (K^snps cells, first SNP slowest) the popcounts of the mask
/// in `scratch[..words]` ANDed with each combination of the SNPs' states.
fn tally(snps: &[&[u64]], k: usize, words: usize, scratch: &mut [u64], out: &mut [u64]) {
    let Some((masks, rest)) = snps.split_first() else {
        return;
    };
    let (prefix, deeper) = scratch.split_at_mut(words);
    for (state, cells) in out.chunks_mut(out.len() / k).enumerate() {
        let mask = &masks[state * words..(state + 1) * words];
        if rest.is_empty() {
            cells[0] += prefix
                .iter()
                .zip(mask)
                .map(|(a, b)| u64::from((a & b).count_ones()))
                .sum::<u64>();
        } else {
            for ((next, a), b) in deeper[..words].iter_mut().zip(prefix.iter()).zip(mask) {
                *next = a & b;
            }
            tally(rest, k, words, deeper, cells);
        }
    }
}

/// Rejects labels of the wrong length or out of range, and missing calls when
/// the model has no missing state, naming the first offending variant or sample.
fn check_inputs(matrix: &GenotypeMatrix, labels: &[u8], domain: &ChainDomain) -> Result<()> {
    if matrix.n_variants() != domain.n_snps {
        return Err(Error::Mismatch(format!(
            "the genotype matrix has {} variants but the model expects {}",
            matrix.n_variants(),
            domain.n_snps
        )));
    }
    if labels.len() != matrix.n_samples() {
        return Err(Error::Mismatch(format!(
            "{} labels given for {} samples",
            labels.len(),
            matrix.n_samples()
        )));
    }
    if let Some((index, &y)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &y)| usize::from(y) >= domain.n_classes)
    {
        let sample = matrix.samples().get(index).map_or("?", String::as_str);
        return Err(Error::Mismatch(format!(
            "sample {sample} has class {y}, but only classes 0 to {} are declared",
            domain.n_classes - 1
        )));
    }
    if domain.n_states <= usize::from(MISSING) {
        for (j, variant) in matrix.variants().iter().enumerate() {
            let missing = matrix.call_counts(j).missing;
            if missing > 0 {
                return Err(Error::Mismatch(format!(
                    "variant {} has {missing} missing calls; impute them first or \
                     model missing calls as a genotype state of their own",
                    variant.display_id()
                )));
            }
        }
    }
    Ok(())
}

/// Counts plus independent discrete Gaussian noise on every cell. Clique i uses
/// ChaCha20 stream i of `seed`, so the result does not depend on thread count.
pub fn add_noise(
    counts: &[u64],
    cells_per_clique: usize,
    sampler: &DiscreteGaussian,
    seed: [u8; 32],
    job: Job<'_>,
) -> Result<Vec<i64>> {
    let mut noisy = vec![0i64; counts.len()];
    let n_cliques = counts.len() / cells_per_clique.max(1);
    for (batch_index, (out, input)) in noisy
        .chunks_mut(BATCH * cells_per_clique)
        .zip(counts.chunks(BATCH * cells_per_clique))
        .enumerate()
    {
        job.checkpoint(
            "Adding noise to the marginals",
            Some((batch_index * BATCH) as f32 / n_cliques.max(1) as f32),
        )?;
        out.par_chunks_mut(cells_per_clique)
            .zip(input.par_chunks(cells_per_clique))
            .enumerate()
            .try_for_each(|(offset, (out, input))| -> Result<()> {
                let mut rng = ChaCha20Rng::from_seed(seed);
                rng.set_stream((batch_index * BATCH + offset) as u64);
                for (o, &count) in out.iter_mut().zip(input) {
                    let count = i64::try_from(count).map_err(|_| {
                        Error::Parameter(format!("a count of {count} does not fit in i64"))
                    })?;
                    *o = count + sampler.sample(&mut rng)?;
                }
                Ok(())
            })?;
    }
    Ok(noisy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Variant;
    use crate::job;

    fn variant(pos: u64) -> Variant {
        Variant {
            chrom: "1".into(),
            pos,
            id: format!("rs{pos}"),
            ref_allele: "A".into(),
            alt_allele: "C".into(),
        }
    }

    #[test]
    fn counts_match_a_hand_tally() -> Result<()> {
        let mut matrix = GenotypeMatrix::new((0..5).map(|i| format!("s{i}")).collect());
        matrix.push_variant(variant(1), &[0, 1, 2, 2, 0]);
        matrix.push_variant(variant(2), &[1, 1, 2, 0, 0]);
        matrix.push_variant(variant(3), &[2, 0, 2, 0, 1]);
        let labels = [0, 1, 1, 0, 0];
        let domain = ChainDomain::new(2, 3, 3)?;
        let counts = job::unattended(|job| clique_counts(&matrix, &labels, &domain, job))?;
        let cells = domain.clique_cells();
        let mut expected = vec![0u64; 2 * cells];
        // (y, s1, s2) per sample, then (y, s2, s3).
        for (y, a, b) in [(0, 0, 1), (1, 1, 1), (1, 2, 2), (0, 2, 0), (0, 0, 0)] {
            expected[domain.cell(y, a, b)] += 1;
        }
        for (y, a, b) in [(0, 1, 2), (1, 1, 0), (1, 2, 2), (0, 0, 0), (0, 0, 1)] {
            expected[cells + domain.cell(y, a, b)] += 1;
        }
        assert_eq!(counts, expected);
        // Second order: one clique (y, s1, s2, s3).
        let second = ChainDomain::with_order(2, 3, 3, 2)?;
        let counts = job::unattended(|job| clique_counts(&matrix, &labels, &second, job))?;
        let mut expected = vec![0u64; second.clique_cells()];
        for (y, states) in [
            (0, [0, 1, 2]),
            (1, [1, 1, 0]),
            (1, [2, 2, 2]),
            (0, [2, 0, 0]),
            (0, [0, 0, 1]),
        ] {
            expected[second.cell_of(y, &states)] += 1;
        }
        assert_eq!(counts, expected);
        Ok(())
    }

    /// The bitset path (AND + popcount) against the per-sample tally on
    /// irregular data: sample counts around word boundaries, 1 to 3 classes,
    /// 3 or 4 states (missing calls as a state) and orders 1 to 3.
    #[test]
    fn bitset_counts_equal_per_sample_counts() -> Result<()> {
        for n in [1, 5, 63, 64, 65, 130] {
            for (c, k, order) in [(1, 3, 1), (2, 3, 1), (3, 4, 1), (2, 3, 2), (2, 4, 3)] {
                let mut matrix = GenotypeMatrix::new((0..n).map(|i| format!("s{i}")).collect());
                let d = order + 70;
                for j in 0..d {
                    let calls: Vec<u8> = (0..n)
                        .map(|s| ((s * 7 + j * 13 + s * j) % k) as u8)
                        .collect();
                    matrix.push_variant(variant(j as u64 + 1), &calls);
                }
                let labels: Vec<u8> = (0..n).map(|s| ((s * 5 + s / 3) % c) as u8).collect();
                let domain = ChainDomain::with_order(c, k, d, order)?;
                let cells = domain.clique_cells();
                let mut per_sample = vec![0u64; domain.n_cliques() * cells];
                count_run_per_sample(&matrix, &labels, &domain, 0, &mut per_sample);
                let mut bitsets = vec![0u64; domain.n_cliques() * cells];
                count_run_bitsets(
                    &matrix,
                    &class_masks(&labels, &domain),
                    &domain,
                    0,
                    &mut bitsets,
                );
                assert_eq!(bitsets, per_sample, "n {n}, C {c}, K {k}, order {order}");
                // Every table holds each sample once.
                assert!(
                    per_sample
                        .chunks(cells)
                        .all(|t| t.iter().sum::<u64>() == n as u64)
                );
                let counted = job::unattended(|job| clique_counts(&matrix, &labels, &domain, job))?;
                assert_eq!(counted, per_sample);
            }
        }
        Ok(())
    }

    #[test]
    fn rejects_missing_calls_bad_labels_and_counts_them_as_a_state() -> Result<()> {
        let mut matrix = GenotypeMatrix::new(vec!["a".into(), "b".into()]);
        matrix.push_variant(variant(1), &[0, MISSING]);
        matrix.push_variant(variant(2), &[1, 1]);
        let three = ChainDomain::new(1, 3, 2)?;
        let err = job::unattended(|job| clique_counts(&matrix, &[0, 0], &three, job));
        assert!(matches!(err, Err(Error::Mismatch(ref m)) if m.contains("rs1")));
        let bad_label = job::unattended(|job| clique_counts(&matrix, &[0, 1], &three, job));
        assert!(matches!(bad_label, Err(Error::Mismatch(ref m)) if m.contains("sample b")));
        let four = ChainDomain::new(1, 4, 2)?;
        let counts = job::unattended(|job| clique_counts(&matrix, &[0, 0], &four, job))?;
        assert_eq!(counts[four.cell(0, 3, 1)], 1);
        assert_eq!(counts[four.cell(0, 0, 1)], 1);
        Ok(())
    }

    #[test]
    fn noise_is_reproducible_and_centred() -> Result<()> {
        let counts = vec![100u64; 9 * 300];
        let sampler = DiscreteGaussian::new(25.0)?;
        let a = job::unattended(|job| add_noise(&counts, 9, &sampler, [7; 32], job))?;
        let b = job::unattended(|job| add_noise(&counts, 9, &sampler, [7; 32], job))?;
        assert_eq!(a, b);
        let n = a.len() as f64;
        let mean = a.iter().map(|&v| v as f64 - 100.0).sum::<f64>() / n;
        let var = a
            .iter()
            .map(|&v| (v as f64 - 100.0 - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!(mean.abs() < 4.0 * (25.0 / n).sqrt(), "mean {mean}");
        assert!(
            (var - 25.0).abs() < 4.0 * 25.0 * (2.0 / n).sqrt(),
            "var {var}"
        );
        Ok(())
    }
}
