//! Per-variant statistics: allele frequency, MAF, missingness, genotype counts, HWE.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::hwe::hwe_exact_p;
use crate::data::{CallCounts, GenotypeMatrix};
use crate::error::Result;
use crate::job::Job;

/// Variants processed between two progress reports / cancel checks.
pub(crate) const BLOCK: usize = 4096;

/// Summary statistics of one variant. Quantities that are undefined because no
/// genotype was called are `None` (shown as `NA`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantStats {
    pub counts: CallCounts,
    /// Frequency of the alternate (counted) allele among called alleles.
    pub alt_freq: Option<f64>,
    /// Minor allele frequency, `min(f, 1 - f)`.
    pub maf: Option<f64>,
    /// Fraction of samples with a missing call (`None` with no samples).
    pub missing_rate: Option<f64>,
    /// Hardy-Weinberg exact test p-value, as PLINK 1.9's `--hardy` computes it.
    pub hwe_p: Option<f64>,
}

impl VariantStats {
    /// Statistics from the counts of the four call codes.
    pub fn from_counts(counts: CallCounts) -> Self {
        let called = counts.called();
        let alt_freq = (called > 0).then(|| counts.alt_alleles() as f64 / (2 * called) as f64);
        let total = counts.total();
        Self {
            counts,
            alt_freq,
            maf: alt_freq.map(|f| f.min(1.0 - f)),
            missing_rate: (total > 0).then(|| counts.missing as f64 / total as f64),
            hwe_p: (called > 0).then(|| hwe_exact_p(counts.het, counts.hom_ref, counts.hom_alt)),
        }
    }
}

/// Statistics of every variant, in matrix order, computed in parallel.
pub fn variant_stats(matrix: &GenotypeMatrix, job: Job<'_>) -> Result<Vec<VariantStats>> {
    let n = matrix.n_variants();
    let mut out = Vec::with_capacity(n);
    for start in (0..n).step_by(BLOCK) {
        job.checkpoint(
            "Computing variant statistics",
            Some(start as f32 / n as f32),
        )?;
        let end = (start + BLOCK).min(n);
        out.par_extend(
            (start..end)
                .into_par_iter()
                .map(|j| VariantStats::from_counts(matrix.call_counts(j))),
        );
    }
    job.checkpoint("Computing variant statistics", Some(1.0))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{MISSING, Variant};
    use crate::job;

    fn variant(pos: u64) -> Variant {
        Variant {
            chrom: "1".into(),
            pos,
            id: format!("v{pos}"),
            ref_allele: "A".into(),
            alt_allele: "C".into(),
        }
    }

    #[test]
    fn frequencies_count_called_alleles_only() -> Result<()> {
        let mut m = GenotypeMatrix::new((0..5).map(|i| format!("s{i}")).collect());
        m.push_variant(variant(1), &[0, 1, 2, 2, MISSING]);
        m.push_variant(variant(2), &[MISSING; 5]);
        m.push_variant(variant(3), &[0, 0, 0, 0, 0]);
        let stats = job::unattended(|job| variant_stats(&m, job))?;
        // 5 alt alleles among 8 called alleles.
        assert_eq!(stats[0].alt_freq, Some(5.0 / 8.0));
        assert_eq!(stats[0].maf, Some(3.0 / 8.0));
        assert_eq!(stats[0].missing_rate, Some(0.2));
        assert_eq!(stats[0].counts.het, 1);
        assert_eq!(stats[1].alt_freq, None);
        assert_eq!(stats[1].hwe_p, None);
        assert_eq!(stats[1].missing_rate, Some(1.0));
        assert_eq!(stats[2].maf, Some(0.0));
        assert_eq!(stats[2].hwe_p, Some(1.0));
        Ok(())
    }

    #[test]
    fn order_and_values_do_not_depend_on_blocking() -> Result<()> {
        // More variants than one block, each with a distinct het count.
        let n_samples = 40;
        let mut m = GenotypeMatrix::new((0..n_samples).map(|i| format!("s{i}")).collect());
        let n_variants = BLOCK + 37;
        for j in 0..n_variants {
            let hets = j % (n_samples + 1);
            let calls: Vec<u8> = (0..n_samples).map(|s| u8::from(s < hets)).collect();
            m.push_variant(variant(j as u64), &calls);
        }
        let stats = job::unattended(|job| variant_stats(&m, job))?;
        assert_eq!(stats.len(), n_variants);
        for (j, s) in stats.iter().enumerate() {
            assert_eq!(s.counts.het as usize, j % (n_samples + 1));
        }
        Ok(())
    }

    #[test]
    fn honours_cancel() {
        let m = GenotypeMatrix::all_missing(vec!["a".into()], vec![variant(1)]);
        let cancel = crate::job::CancelToken::new();
        cancel.cancel();
        let job = Job::new(&crate::job::NoProgress, &cancel);
        assert!(matches!(
            variant_stats(&m, job),
            Err(crate::Error::Cancelled)
        ));
    }
}
