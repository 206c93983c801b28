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
    let mut counts = vec![0u64; m * cells];
    for (batch_index, batch) in counts.chunks_mut(BATCH * cells).enumerate() {
        job.checkpoint(
            "Counting clique marginals",
            Some((batch_index * BATCH) as f32 / m as f32),
        )?;
        batch
            .par_chunks_mut(cells)
            .enumerate()
            .for_each(|(offset, table)| {
                let first = batch_index * BATCH + offset;
                // Each sample's cell index, built SNP by SNP (`cell_of` order).
                let mut cells: Vec<usize> = labels.iter().map(|&y| usize::from(y)).collect();
                for snp in first..=first + domain.order {
                    for (cell, call) in cells.iter_mut().zip(matrix.calls(snp)) {
                        *cell = *cell * domain.n_states + usize::from(call);
                    }
                }
                // States and labels were validated by `check_inputs`.
                for cell in cells {
                    table[cell] += 1;
                }
            });
    }
    Ok(counts)
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
