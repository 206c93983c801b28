//! A whole-dataset summary: what `inspect` shows.

use serde::{Deserialize, Serialize};

use super::sample::{SampleStats, sample_stats};
use super::spectrum::{MafSpectrum, maf_spectrum};
use super::variant::{VariantStats, variant_stats};
use crate::data::GenotypeMatrix;
use crate::error::Result;
use crate::job::Job;

/// Minimum, median, mean and maximum of a set of values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub min: f64,
    /// For an even count, the mean of the two middle values.
    pub median: f64,
    pub mean: f64,
    pub max: f64,
}

impl Distribution {
    /// `None` for an empty set. Values must not be NaN (statistics here never are).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Self> {
        let mut v: Vec<f64> = values.into_iter().collect();
        v.sort_by(f64::total_cmp);
        let (&min, &max) = (v.first()?, v.last()?);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            *v.get(mid)?
        } else {
            (*v.get(mid - 1)? + *v.get(mid)?) / 2.0
        };
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        Some(Self {
            min,
            median,
            mean,
            max,
        })
    }
}

/// The numbers a data steward looks at first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n_samples: usize,
    pub n_variants: usize,
    /// Missing calls over all calls (`None` for an empty matrix).
    pub missing_rate: Option<f64>,
    /// Per-sample missing rates.
    pub sample_missingness: Option<Distribution>,
    /// Samples with at least one missing call.
    pub samples_with_missing: usize,
    /// Per-sample heterozygosity (het calls over called calls).
    pub heterozygosity: Option<Distribution>,
    /// Per-variant missing rates.
    pub variant_missingness: Option<Distribution>,
    pub maf_spectrum: MafSpectrum,
}

impl Summary {
    /// Summarises statistics already computed.
    pub fn from_stats(
        variants: &[VariantStats],
        samples: &[SampleStats],
        maf_edges: &[f64],
    ) -> Result<Self> {
        let missing: u64 = variants.iter().map(|v| v.counts.missing).sum();
        let total: u64 = variants.iter().map(|v| v.counts.total()).sum();
        Ok(Self {
            n_samples: samples.len(),
            n_variants: variants.len(),
            missing_rate: (total > 0).then(|| missing as f64 / total as f64),
            sample_missingness: Distribution::of(samples.iter().filter_map(|s| s.missing_rate)),
            samples_with_missing: samples.iter().filter(|s| s.missing > 0).count(),
            heterozygosity: Distribution::of(samples.iter().filter_map(|s| s.heterozygosity)),
            variant_missingness: Distribution::of(variants.iter().filter_map(|v| v.missing_rate)),
            maf_spectrum: maf_spectrum(variants, maf_edges)?,
        })
    }
}

/// Computes variant and sample statistics and summarises them.
pub fn summarize(matrix: &GenotypeMatrix, maf_edges: &[f64], job: Job<'_>) -> Result<Summary> {
    let variants = variant_stats(matrix, job)?;
    let samples = sample_stats(matrix, job)?;
    Summary::from_stats(&variants, &samples, maf_edges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{MISSING, Variant};
    use crate::job;
    use crate::stats::DEFAULT_MAF_EDGES;

    #[test]
    fn distribution_of_small_sets() {
        assert_eq!(Distribution::of([]), None);
        let d = Distribution::of([3.0, 1.0, 2.0, 10.0]);
        assert_eq!(
            d,
            Some(Distribution {
                min: 1.0,
                median: 2.5,
                mean: 4.0,
                max: 10.0
            })
        );
        assert_eq!(Distribution::of([5.0]).map(|d| d.median), Some(5.0));
    }

    #[test]
    fn overall_missing_rate_counts_every_call() -> Result<()> {
        let mut m = GenotypeMatrix::new((0..3).map(|i| format!("s{i}")).collect());
        let v = |pos| Variant {
            chrom: "2".into(),
            pos,
            id: ".".into(),
            ref_allele: "G".into(),
            alt_allele: "A".into(),
        };
        m.push_variant(v(1), &[0, MISSING, 1]);
        m.push_variant(v(2), &[MISSING, MISSING, 2]);
        let s = job::unattended(|job| summarize(&m, &DEFAULT_MAF_EDGES, job))?;
        assert_eq!((s.n_samples, s.n_variants), (3, 2));
        assert_eq!(s.missing_rate, Some(3.0 / 6.0));
        assert_eq!(s.samples_with_missing, 2);
        // Sample missing rates 0.5, 1.0, 0.0.
        assert_eq!(
            s.sample_missingness.map(|d| (d.min, d.median, d.max)),
            Some((0.0, 0.5, 1.0))
        );
        // MAFs 0.25 and 0 (one hom-alt call: alt frequency 1).
        assert_eq!(s.maf_spectrum.monomorphic, 1);
        assert_eq!(s.maf_spectrum.total(), 2);
        Ok(())
    }
}
