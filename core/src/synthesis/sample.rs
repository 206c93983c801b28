//! Forward sampling of synthetic individuals (spec §4.4): y, then s_1 | y, then
//! s_{i+1} | (y, s_i), by controlled rounding rather than independent draws.
//! Sampling is post-processing: it costs no privacy budget.
//!
//! Rounding [after mbi's "round" method, spec §4.4]: the individuals of a block
//! are grouped by what the next column is conditioned on (their label and last
//! states); each group of n_g gets state counts floor(n_g·C_s + u) −
//! floor(n_g·C_{s−1} + u) from the cumulative row C and one uniform u
//! (systematic sampling: unbiased, and within one of n_g·P(s)), dealt to the
//! group's members in a random order. Independent draws would add binomial
//! noise of sd √(n·p(1−p)) to every count; rounding removes it, which matters
//! most when the synthetic cohort is small. The random order keeps each new
//! state independent of everything before it given the group, as the chain
//! requires (mbi fixed rounding-induced correlation in 2026 by shuffling the
//! same way).

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

use super::model::{ChainDomain, ChainModel, SamplingTables, cumulative};
use crate::data::{GenotypeMatrix, Variant};
use crate::error::{Error, Result};
use crate::job::Job;

/// Individuals per sampling block, rounded together. Block b draws from
/// ChaCha20 stream b of the seed, so output is identical whatever the number
/// of threads. A multiple of 4 so each block fills whole packed bytes.
/// Cancellation is checked per block.
const BLOCK: usize = 1024;

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

/// Names of synthetic individuals: `synthetic_1`, `synthetic_2`, ...
fn synthetic_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("synthetic_{i}")).collect()
}

/// Deals one column of values to a block of individuals by controlled rounding
/// (see the module documentation). Buffers are kept between columns.
struct Dealer {
    /// Members per group, then each group's next unread position in `deck`.
    cursor: Vec<usize>,
    /// The values dealt, group after group, each group's run shuffled.
    deck: Vec<u8>,
}

impl Dealer {
    fn new(size: usize) -> Self {
        Self {
            cursor: Vec::new(),
            deck: vec![0; size],
        }
    }

    /// Writes into `out[i]` a value for the member in group `groups[i]`, with
    /// `row(g)` the cumulative distribution of group g's values (ending in 1).
    fn deal<'t>(
        &mut self,
        groups: &[usize],
        n_groups: usize,
        row: impl Fn(usize) -> &'t [f64],
        rng: &mut ChaCha20Rng,
        out: &mut [usize],
    ) {
        self.cursor.clear();
        self.cursor.resize(n_groups, 0);
        for &g in groups {
            self.cursor[g] += 1;
        }
        let mut start = 0;
        for (g, cursor) in self.cursor.iter_mut().enumerate() {
            let members = *cursor;
            *cursor = start;
            if members == 0 {
                continue;
            }
            let run = &mut self.deck[start..start + members];
            let u = unit(rng);
            let mut dealt = 0;
            for (value, &c) in row(g).iter().enumerate() {
                // floor(n·C + u) never decreases along the row and reaches n at C = 1.
                let upto = ((members as f64 * c + u).floor() as usize).clamp(dealt, members);
                run[dealt..upto].fill(value as u8);
                dealt = upto;
            }
            run.shuffle(rng);
            start += members;
        }
        for (value, &g) in out.iter_mut().zip(groups) {
            *value = usize::from(self.deck[self.cursor[g]]);
            self.cursor[g] += 1;
        }
    }
}

impl ChainModel {
    /// `n` synthetic individuals by forward sampling with controlled rounding,
    /// with the variant records given (one per SNP of the model).
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

/// Writes state `states[i]` of each individual into a packed row.
fn pack(states: &[usize], row: &mut [u8]) {
    for (i, &state) in states.iter().enumerate() {
        // States are 0..K ≤ 4, the call codes themselves.
        row[i / 4] |= (state as u8) << (2 * (i % 4));
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
    let (c, k, d, order) = (
        domain.n_classes,
        domain.n_states,
        domain.n_snps,
        domain.order,
    );
    let width = domain.separator_cells() / c;
    let bytes = size.div_ceil(4);
    let mut packed = vec![0u8; bytes * d];
    let mut dealer = Dealer::new(size);
    let mut labels = vec![0; size];
    dealer.deal(&vec![0; size], 1, |_| &tables.label, &mut rng, &mut labels);
    // Each individual's last `order` states as a base-K number.
    let mut windows = vec![0; size];
    dealer.deal(
        &labels,
        c,
        |y| &tables.first_states[y * width..(y + 1) * width],
        &mut rng,
        &mut windows,
    );
    let mut states = vec![0; size];
    for snp in 0..order {
        let divisor = k.pow((order - 1 - snp) as u32);
        for (state, &window) in states.iter_mut().zip(&windows) {
            *state = (window / divisor) % k;
        }
        pack(&states, &mut packed[snp * bytes..(snp + 1) * bytes]);
    }
    // Each individual's group: its row in a clique table, y·width + window.
    let mut groups = vec![0; size];
    for (snp, clique) in (order..d).zip(tables.transitions.chunks(domain.clique_cells())) {
        for ((group, &y), &window) in groups.iter_mut().zip(&labels).zip(&windows) {
            *group = y * width + window;
        }
        dealer.deal(
            &groups,
            c * width,
            |g| &clique[g * k..(g + 1) * k],
            &mut rng,
            &mut states,
        );
        pack(&states, &mut packed[snp * bytes..(snp + 1) * bytes]);
        for (window, &state) in windows.iter_mut().zip(&states) {
            *window = (*window * k + state) % width;
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
/// counts to zero and samples y ~ P(y) (pooled over SNPs), then each s_i | y,
/// with the same controlled rounding as the chain. It keeps per-class allele
/// frequencies and loses all LD: the yardstick the chain must beat.
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
            let mut dealer = Dealer::new(size);
            let mut labels = vec![0; size];
            dealer.deal(&vec![0; size], 1, |_| &label, &mut rng, &mut labels);
            let mut packed = vec![0u8; bytes * variants.len()];
            let mut states = vec![0; size];
            for (snp, row) in packed.chunks_mut(bytes.max(1)).enumerate() {
                let tables = &conditional[snp * cells..(snp + 1) * cells];
                dealer.deal(
                    &labels,
                    n_classes,
                    |y| &tables[y * n_states..(y + 1) * n_states],
                    &mut rng,
                    &mut states,
                );
                pack(&states, row);
            }
            Ok((labels.into_iter().map(|y| y as u8).collect(), packed))
        })
        .collect::<Result<_>>()?;
    Ok(assemble(n, variants, blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each group receives exactly its size in values, every value count within
    /// one of n_g·P, impossible values never, and over many seeds the mean count
    /// equals n_g·P (systematic sampling is unbiased).
    #[test]
    fn dealt_counts_are_rounded_and_unbiased() {
        let rows = [
            cumulative(&[0.2, 0.5, 0.3]),
            cumulative(&[0.0, 1.0, 0.0]),
            cumulative(&[0.25, 0.0, 0.25, 0.5]),
            cumulative(&[0.01, 0.0, 0.99]),
        ];
        let groups: Vec<usize> = (0..257).map(|i| (i * 7 + i / 5) % rows.len()).collect();
        let sizes: Vec<usize> = (0..rows.len())
            .map(|g| groups.iter().filter(|&&h| h == g).count())
            .collect();
        let mut dealer = Dealer::new(groups.len());
        let mut out = vec![0; groups.len()];
        let runs = 4_000;
        let mut totals = vec![vec![0usize; 4]; rows.len()];
        for seed in 0..runs {
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            dealer.deal(&groups, rows.len(), |g| &rows[g], &mut rng, &mut out);
            for (g, row) in rows.iter().enumerate() {
                let mut counts = vec![0usize; row.len()];
                for (&value, _) in out.iter().zip(&groups).filter(|&(_, &h)| h == g) {
                    counts[value] += 1;
                }
                let mut previous = 0.0;
                for (value, (&count, &c)) in counts.iter().zip(row).enumerate() {
                    let expected = sizes[g] as f64 * (c - previous);
                    assert!(
                        (count as f64 - expected).abs() < 1.0,
                        "group {g} value {value}: {count} dealt, {expected} expected"
                    );
                    if c == previous {
                        assert_eq!(count, 0);
                    }
                    totals[g][value] += count;
                    previous = c;
                }
            }
        }
        for (g, row) in rows.iter().enumerate() {
            let mut previous = 0.0;
            for (value, &c) in row.iter().enumerate() {
                let expected = sizes[g] as f64 * (c - previous);
                let mean = totals[g][value] as f64 / runs as f64;
                // The rounding error is within (−1, 1): its mean over 4,000 runs has sd < 0.0079.
                assert!(
                    (mean - expected).abs() < 0.04,
                    "group {g} value {value}: mean {mean}, expected {expected}"
                );
                previous = c;
            }
        }
    }

    /// The order of the dealt values is random within a group: over many seeds
    /// each position of a group takes each value at its overall rate.
    #[test]
    fn dealt_values_are_in_random_order() {
        let row = cumulative(&[0.5, 0.3, 0.2]);
        let size = 40;
        let groups = vec![0; size];
        let mut dealer = Dealer::new(size);
        let mut out = vec![0; size];
        let runs = 20_000;
        let mut first = [0usize; 3];
        let mut last = [0usize; 3];
        for seed in 0..runs {
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            dealer.deal(&groups, 1, |_| &row, &mut rng, &mut out);
            first[out[0]] += 1;
            last[out[size - 1]] += 1;
        }
        for (value, p) in [0.5, 0.3, 0.2].into_iter().enumerate() {
            let sd = (p * (1.0 - p) / runs as f64).sqrt();
            for (position, tally) in [("first", first), ("last", last)] {
                let rate = tally[value] as f64 / runs as f64;
                assert!(
                    (rate - p).abs() < 5.0 * sd,
                    "{position} position, value {value}: {rate}"
                );
            }
        }
    }
}
