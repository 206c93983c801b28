//! Forward sampling of synthetic individuals (spec §4.4): y ~ P(y),
//! s_1 | y, then s_{i+1} | (y, s_i). Sampling is post-processing: it costs no
//! privacy budget.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

use super::model::{ChainDomain, ChainModel, SamplingTables, cumulative};
use crate::data::{GenotypeMatrix, Variant};
use crate::error::{Error, Result};
use crate::job::Job;

/// Individuals per sampling block. Block b draws from ChaCha20 stream b of the
/// seed, so output is identical whatever the number of threads. A multiple of 4
/// so each block fills whole packed bytes. Cancellation is checked per block.
const BLOCK: usize = 256;

/// Synthetic genotypes and their labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntheticCohort {
    pub matrix: GenotypeMatrix,
    /// One class per synthetic individual.
    pub labels: Vec<u8>,
}

/// A uniform draw in [0, 1) from 53 random bits.
fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Index of the first cumulative probability above `u`, for `u` in [0, 1) and
/// a table ending in 1: the number of entries before the last that are at most
/// `u`. Counting instead of searching has no data-dependent branch, which a
/// random `u` would mispredict about every other draw.
fn pick(cumulative: &[f64], u: f64) -> usize {
    let inner = cumulative.len().saturating_sub(1);
    cumulative[..inner]
        .iter()
        .map(|&c| usize::from(c <= u))
        .sum()
}

/// Names of synthetic individuals: `synthetic_1`, `synthetic_2`, ...
fn synthetic_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("synthetic_{i}")).collect()
}

impl ChainModel {
    /// `n` synthetic individuals by forward sampling, with the variant records
    /// given (one per SNP of the model).
    pub fn sample(
        &self,
        n: usize,
        variants: &[Variant],
        seed: [u8; 32],
        job: Job<'_>,
    ) -> Result<SyntheticCohort> {
        let domain = self.domain();
        if variants.len() != domain.n_snps {
            return Err(Error::Mismatch(format!(
                "{} variant records given for a model of {} SNPs",
                variants.len(),
                domain.n_snps
            )));
        }
        job.checkpoint("Sampling synthetic individuals", Some(0.0))?;
        let tables = self.sampling_tables();
        let blocks: Vec<(Vec<u8>, Vec<u8>)> = (0..n.div_ceil(BLOCK))
            .into_par_iter()
            .map(|block| {
                let size = BLOCK.min(n - block * BLOCK);
                job.check_cancelled()?;
                Ok(sample_block(&tables, &domain, size, seed, block))
            })
            .collect::<Result<_>>()?;
        job.checkpoint("Sampling synthetic individuals", Some(0.9))?;
        Ok(assemble(n, variants, blocks))
    }
}

/// One block of individuals: their labels and, per SNP, their packed calls.
fn sample_block(
    tables: &SamplingTables,
    domain: &ChainDomain,
    size: usize,
    seed: [u8; 32],
    block: usize,
) -> (Vec<u8>, Vec<u8>) {
    let mut rng = ChaCha20Rng::from_seed(seed);
    rng.set_stream(block as u64);
    let (k, d, order) = (domain.n_states, domain.n_snps, domain.order);
    let width = domain.separator_cells() / domain.n_classes;
    let bytes = size.div_ceil(4);
    let mut packed = vec![0u8; bytes * d];
    let labels: Vec<usize> = (0..size)
        .map(|_| pick(&tables.label, unit(&mut rng)))
        .collect();
    // Each individual's last `order` states as a base-K number.
    let mut windows: Vec<usize> = labels
        .iter()
        .map(|&y| {
            pick(
                &tables.first_states[y * width..(y + 1) * width],
                unit(&mut rng),
            )
        })
        .collect();
    for snp in 0..order {
        let divisor = k.pow((order - 1 - snp) as u32);
        let row = &mut packed[snp * bytes..(snp + 1) * bytes];
        for (i, &window) in windows.iter().enumerate() {
            // States are 0..K ≤ 4, the call codes themselves.
            row[i / 4] |= (((window / divisor) % k) as u8) << (2 * (i % 4));
        }
    }
    // The window after appending a state, by table instead of a division per draw:
    // (window·K + state) mod K^order.
    let shifted: Vec<usize> = (0..width * k).map(|code| code % width).collect();
    // Each individual's row offset in a clique table: (y, window) → (y·width + window)·K.
    let class_offsets: Vec<usize> = labels.iter().map(|&y| y * width).collect();
    let clique_cells = domain.clique_cells();
    for (snp, clique) in (order..d).zip(tables.transitions.chunks(clique_cells)) {
        let row = &mut packed[snp * bytes..(snp + 1) * bytes];
        for (i, (window, &offset)) in windows.iter_mut().zip(&class_offsets).enumerate() {
            let start = (offset + *window) * k;
            let state = pick(&clique[start..start + k], unit(&mut rng));
            *window = shifted[*window * k + state];
            row[i / 4] |= (state as u8) << (2 * (i % 4));
        }
    }
    (labels.into_iter().map(|y| y as u8).collect(), packed)
}

/// Concatenates block rows into a variant-major matrix.
fn assemble(n: usize, variants: &[Variant], blocks: Vec<(Vec<u8>, Vec<u8>)>) -> SyntheticCohort {
    let mut matrix = GenotypeMatrix::new(synthetic_names(n));
    matrix.reserve_variants(variants.len());
    let mut row = Vec::with_capacity(matrix.bytes_per_variant());
    for (snp, variant) in variants.iter().enumerate() {
        row.clear();
        for (labels, packed) in &blocks {
            let bytes = labels.len().div_ceil(4);
            row.extend_from_slice(&packed[snp * bytes..(snp + 1) * bytes]);
        }
        matrix.push_packed_variant(variant.clone(), &row);
    }
    let labels = blocks.into_iter().flat_map(|(labels, _)| labels).collect();
    SyntheticCohort { matrix, labels }
}

/// The baseline generator: SNPs independent given the label. Measures the C·K
/// table (y, s_i) of every SNP (d marginals, Δ₂ = √d), clips negative noisy
/// counts to zero and samples y ~ P(y) (pooled over SNPs), then each s_i | y.
/// It keeps per-class allele frequencies and loses all LD: the yardstick the
/// chain must beat.
pub fn sample_independent(
    noisy: &[i64],
    n_classes: usize,
    n_states: usize,
    n: usize,
    variants: &[Variant],
    seed: [u8; 32],
    job: Job<'_>,
) -> Result<SyntheticCohort> {
    let cells = n_classes * n_states;
    if cells == 0 || noisy.len() != cells * variants.len() {
        return Err(Error::Mismatch(format!(
            "{} noisy counts given for {} SNPs of {cells} cells",
            noisy.len(),
            variants.len()
        )));
    }
    job.checkpoint("Sampling independent baseline", Some(0.0))?;
    let clipped: Vec<f64> = noisy.iter().map(|&v| v.max(0) as f64).collect();
    let mut label = vec![0.0; n_classes];
    for table in clipped.chunks(cells) {
        for (y, row) in table.chunks(n_states).enumerate() {
            label[y] += row.iter().sum::<f64>();
        }
    }
    if label.iter().sum::<f64>() <= 0.0 {
        return Err(Error::Parameter(
            "every noisy count is zero or negative: the budget is too small for this data".into(),
        ));
    }
    let label = cumulative(&label);
    // Per SNP and class: cumulative P(s | y); a row with no positive count is uniform.
    let conditional: Vec<f64> = clipped
        .chunks(n_states)
        .flat_map(|row| {
            if row.iter().sum::<f64>() > 0.0 {
                cumulative(row)
            } else {
                cumulative(&vec![1.0; row.len()])
            }
        })
        .collect();
    let blocks: Vec<(Vec<u8>, Vec<u8>)> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|block| {
            let size = BLOCK.min(n - block * BLOCK);
            job.check_cancelled()?;
            let mut rng = ChaCha20Rng::from_seed(seed);
            rng.set_stream(block as u64);
            let bytes = size.div_ceil(4);
            let labels: Vec<usize> = (0..size).map(|_| pick(&label, unit(&mut rng))).collect();
            let mut packed = vec![0u8; bytes * variants.len()];
            for (snp, row) in packed.chunks_mut(bytes.max(1)).enumerate() {
                for (i, &y) in labels.iter().enumerate() {
                    let start = (snp * n_classes + y) * n_states;
                    let state = pick(&conditional[start..start + n_states], unit(&mut rng));
                    row[i / 4] |= (state as u8) << (2 * (i % 4));
                }
            }
            Ok((labels.into_iter().map(|y| y as u8).collect(), packed))
        })
        .collect::<Result<_>>()?;
    Ok(assemble(n, variants, blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The branch-free count equals the first index whose cumulative probability
    /// exceeds u, including tables with zero-probability states (repeated
    /// entries) and u exactly on an entry.
    #[test]
    fn pick_finds_the_first_entry_above_u() {
        let tables = [
            cumulative(&[0.2, 0.5, 0.3]),
            cumulative(&[0.0, 1.0, 0.0]),
            cumulative(&[0.25, 0.0, 0.25, 0.5]),
            cumulative(&[1.0]),
            cumulative(&[0.0, 0.0, 3.0]),
        ];
        for table in &tables {
            let entries = table.iter().copied();
            for u in (0..1000).map(|i| f64::from(i) / 1000.0).chain(entries) {
                if u >= 1.0 {
                    continue;
                }
                let first_above = table.iter().position(|&c| u < c);
                assert_eq!(Some(pick(table, u)), first_above, "{table:?} at {u}");
            }
        }
    }
}
