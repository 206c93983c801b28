//! Per-sample statistics: missingness and heterozygosity.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::variant::BLOCK;
use crate::data::{GenotypeMatrix, MISSING};
use crate::error::Result;
use crate::job::Job;

/// Summary statistics of one sample across all variants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleStats {
    pub id: String,
    pub called: u64,
    pub missing: u64,
    pub het: u64,
    /// Fraction of variants with a missing call (`None` with no variants).
    pub missing_rate: Option<f64>,
    /// Heterozygous calls over called calls (`None` with no called genotype).
    pub heterozygosity: Option<f64>,
}

/// Per-sample tallies, accumulated over any subset of variants and then merged.
#[derive(Clone)]
struct Tally {
    missing: Vec<u64>,
    het: Vec<u64>,
}

impl Tally {
    fn new(n_samples: usize) -> Self {
        Self {
            missing: vec![0; n_samples],
            het: vec![0; n_samples],
        }
    }

    fn add_row(mut self, row: &[u8]) -> Self {
        let n = self.missing.len();
        for (k, &byte) in row.iter().enumerate() {
            for i in 0..4 {
                let sample = 4 * k + i;
                if sample >= n {
                    break;
                }
                match (byte >> (2 * i)) & 0b11 {
                    MISSING => self.missing[sample] += 1,
                    1 => self.het[sample] += 1,
                    _ => {}
                }
            }
        }
        self
    }

    fn merge(mut self, other: Self) -> Self {
        for (a, b) in self.missing.iter_mut().zip(&other.missing) {
            *a += b;
        }
        for (a, b) in self.het.iter_mut().zip(&other.het) {
            *a += b;
        }
        self
    }
}

/// Statistics of every sample, in matrix order. Work is split over variants.
pub fn sample_stats(matrix: &GenotypeMatrix, job: Job<'_>) -> Result<Vec<SampleStats>> {
    let n_samples = matrix.n_samples();
    let n_variants = matrix.n_variants();
    let mut tally = Tally::new(n_samples);
    for start in (0..n_variants).step_by(BLOCK) {
        job.checkpoint(
            "Computing sample statistics",
            Some(start as f32 / n_variants as f32),
        )?;
        let end = (start + BLOCK).min(n_variants);
        let block = (start..end)
            .into_par_iter()
            .with_min_len(256)
            .fold(
                || Tally::new(n_samples),
                |t, j| t.add_row(matrix.packed_row(j)),
            )
            .reduce(|| Tally::new(n_samples), Tally::merge);
        tally = tally.merge(block);
    }
    job.checkpoint("Computing sample statistics", Some(1.0))?;
    let total = n_variants as u64;
    Ok(matrix
        .samples()
        .iter()
        .zip(tally.missing.iter().zip(&tally.het))
        .map(|(id, (&missing, &het))| {
            let called = total - missing;
            SampleStats {
                id: id.clone(),
                called,
                missing,
                het,
                missing_rate: (total > 0).then(|| missing as f64 / total as f64),
                heterozygosity: (called > 0).then(|| het as f64 / called as f64),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Variant;
    use crate::job;

    #[test]
    fn counts_match_a_direct_per_call_tally() -> Result<()> {
        // 7 samples (a padded last byte) and enough variants to span blocks.
        let n_samples = 7;
        let mut m = GenotypeMatrix::new((0..n_samples).map(|i| format!("s{i}")).collect());
        let n_variants = BLOCK + 11;
        for j in 0..n_variants {
            let calls: Vec<u8> = (0..n_samples)
                .map(|s| ((j * 7 + s * 3) % 4) as u8)
                .collect();
            m.push_variant(
                Variant {
                    chrom: "1".into(),
                    pos: j as u64 + 1,
                    id: ".".into(),
                    ref_allele: "A".into(),
                    alt_allele: "T".into(),
                },
                &calls,
            );
        }
        let stats = job::unattended(|job| sample_stats(&m, job))?;
        for (s, st) in stats.iter().enumerate() {
            let calls: Vec<u8> = (0..n_variants).map(|j| m.get(j, s)).collect();
            let missing = calls.iter().filter(|&&c| c == MISSING).count() as u64;
            let het = calls.iter().filter(|&&c| c == 1).count() as u64;
            assert_eq!(
                (st.missing, st.het, st.called),
                (missing, het, n_variants as u64 - missing)
            );
            assert_eq!(st.id, format!("s{s}"));
            assert_eq!(st.missing_rate, Some(missing as f64 / n_variants as f64));
            assert_eq!(
                st.heterozygosity,
                Some(het as f64 / (n_variants as u64 - missing) as f64)
            );
        }
        Ok(())
    }

    #[test]
    fn undefined_rates_are_none() -> Result<()> {
        let m = GenotypeMatrix::new(vec!["only".into()]);
        let stats = job::unattended(|job| sample_stats(&m, job))?;
        assert_eq!(stats[0].missing_rate, None);
        assert_eq!(stats[0].heterozygosity, None);
        Ok(())
    }
}
