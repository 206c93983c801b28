//! Utility of a released genotype matrix against the original (spec
//! `sharing.md` §8–§9): record-level errors (the definitions of PROVGEN's
//! `run_experiments.py`), LD preservation ([`ld`]) and GWAS agreement
//! ([`gwas`]), bundled by [`release_utility`].
//!
//! Both matrices must have the same samples in the same order and the same
//! variants; the record-level metrics also need complete genotypes.

pub mod gwas;
pub mod ld;

use serde::Serialize;

pub use gwas::{GwasDesign, GwasSettings, GwasUtility};
pub use ld::{LdPreservation, LdSettings};

use crate::data::{GenotypeMatrix, MISSING};
use crate::error::{Error, Result};
use crate::job::Job;

/// Settings of [`release_utility`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ReleaseUtilitySettings {
    pub ld: LdSettings,
    pub gwas: GwasSettings,
}

/// Everything a release's utility is judged by.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReleaseUtility {
    /// Record-level errors (PE, SE, ME, VE).
    pub records: UtilityReport,
    pub ld: LdPreservation,
    pub gwas: GwasUtility,
}

/// Record-level, LD and GWAS utility of `released` against `original`.
pub fn release_utility(
    original: &GenotypeMatrix,
    released: &GenotypeMatrix,
    design: GwasDesign<'_>,
    settings: ReleaseUtilitySettings,
    job: Job<'_>,
) -> Result<ReleaseUtility> {
    let records = utility(original, released)?;
    let ld = ld::ld_preservation(original, released, settings.ld, job)?;
    let gwas = gwas::gwas_utility(original, released, design, settings.gwas, job)?;
    Ok(ReleaseUtility { records, ld, gwas })
}

/// All record-level utility metrics of one release.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct UtilityReport {
    /// Share of genotypes that differ (`calc_point_error`).
    pub point_error: f64,
    /// Mean over samples of the per-SNP mean `|g - g'|` (`calc_sample_distance`).
    pub sample_error: f64,
    /// Mean over SNPs of `|mean g' - mean g|` (`calc_mean_error`).
    pub mean_error: f64,
    /// Mean over SNPs of `|var g' - var g|`, population variances (`calc_variance_error`).
    pub variance_error: f64,
    /// Mean over SNPs of `|f' - f|`, `f` the counted-allele frequency (= ME / 2).
    pub allele_frequency_mae: f64,
}

/// Per-variant sums of one matrix: genotype sum and sum of squares.
fn moments(matrix: &GenotypeMatrix, j: usize) -> (f64, f64) {
    let c = matrix.call_counts(j);
    let sum = (c.het + 2 * c.hom_alt) as f64;
    let sum_sq = (c.het + 4 * c.hom_alt) as f64;
    (sum, sum_sq)
}

fn check_comparable(original: &GenotypeMatrix, released: &GenotypeMatrix) -> Result<()> {
    if original.n_samples() != released.n_samples()
        || original.n_variants() != released.n_variants()
    {
        return Err(Error::Mismatch(format!(
            "utility needs matrices of the same shape: original {} samples x {} variants, \
             released {} x {}",
            original.n_samples(),
            original.n_variants(),
            released.n_samples(),
            released.n_variants()
        )));
    }
    if original.n_samples() == 0 || original.n_variants() == 0 {
        return Err(Error::Mismatch(
            "utility of an empty matrix is undefined".into(),
        ));
    }
    for (name, m) in [("original", original), ("released", released)] {
        if let Some(j) = (0..m.n_variants()).find(|&j| m.call_counts(j).missing > 0) {
            let i = m.calls(j).position(|g| g == MISSING).unwrap_or(0);
            return Err(Error::Mismatch(format!(
                "the {name} matrix has a missing call (sample {}, variant {}): \
                 utility compares complete genotypes",
                m.samples().get(i).map_or("?", String::as_str),
                m.variants()
                    .get(j)
                    .map_or_else(|| j.to_string(), |v| v.display_id())
            )));
        }
    }
    Ok(())
}

/// Point error: `(1/nm) sum_ij [G_ij != G'_ij]`.
pub fn point_error(original: &GenotypeMatrix, released: &GenotypeMatrix) -> Result<f64> {
    Ok(utility(original, released)?.point_error)
}

/// All metrics in one pass over the matrices.
pub fn utility(original: &GenotypeMatrix, released: &GenotypeMatrix) -> Result<UtilityReport> {
    check_comparable(original, released)?;
    let n = original.n_samples();
    let m = original.n_variants();
    let nf = n as f64;
    let mut differing = 0u64;
    let mut abs_diff = vec![0u64; n];
    let (mut mean_error, mut variance_error) = (0.0, 0.0);
    for j in 0..m {
        for (i, (a, b)) in original.calls(j).zip(released.calls(j)).enumerate() {
            let d = a.abs_diff(b);
            differing += u64::from(d != 0);
            if let Some(total) = abs_diff.get_mut(i) {
                *total += u64::from(d);
            }
        }
        let (s0, q0) = moments(original, j);
        let (s1, q1) = moments(released, j);
        let (mean0, mean1) = (s0 / nf, s1 / nf);
        mean_error += (mean1 - mean0).abs();
        variance_error += ((q1 / nf - mean1 * mean1) - (q0 / nf - mean0 * mean0)).abs();
    }
    let mf = m as f64;
    let sample_error = abs_diff.iter().map(|&d| d as f64 / mf).sum::<f64>() / nf;
    Ok(UtilityReport {
        point_error: differing as f64 / (nf * mf),
        sample_error,
        mean_error: mean_error / mf,
        variance_error: variance_error / mf,
        allele_frequency_mae: mean_error / mf / 2.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Variant;

    fn matrix(rows: &[&[u8]]) -> GenotypeMatrix {
        let mut g = GenotypeMatrix::new((0..rows.len()).map(|i| format!("s{i}")).collect());
        for j in 0..rows[0].len() {
            let calls: Vec<u8> = rows.iter().map(|r| r[j]).collect();
            g.push_variant(
                Variant {
                    chrom: "1".into(),
                    pos: j as u64 + 1,
                    id: ".".into(),
                    ref_allele: "A".into(),
                    alt_allele: "G".into(),
                },
                &calls,
            );
        }
        g
    }

    #[test]
    fn metrics_match_hand_computed_values() -> Result<()> {
        // Worked by hand with the numpy definitions:
        // G  = [[0,1],[2,2],[1,0]], G' = [[2,1],[2,1],[1,1]]
        // PE = 3/6; SE = mean(2/2, 1/2, 1/2) = 2/3;
        // means: col0 1 -> 5/3, col1 1 -> 1: ME = (2/3 + 0)/2 = 1/3;
        // vars: col0 2/3 -> 2/9, col1 2/3 -> 0: VE = (4/9 + 2/3)/2 = 5/9.
        let g = matrix(&[&[0, 1], &[2, 2], &[1, 0]]);
        let h = matrix(&[&[2, 1], &[2, 1], &[1, 1]]);
        let u = utility(&g, &h)?;
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(u.point_error, 0.5));
        assert!(close(u.sample_error, 2.0 / 3.0));
        assert!(close(u.mean_error, 1.0 / 3.0));
        assert!(close(u.variance_error, 5.0 / 9.0));
        assert!(close(u.allele_frequency_mae, 1.0 / 6.0));
        let same = utility(&g, &g)?;
        assert_eq!(same.point_error, 0.0);
        assert_eq!(same.variance_error, 0.0);
        Ok(())
    }

    #[test]
    fn refuses_mismatched_or_missing() {
        let g = matrix(&[&[0, 1], &[2, 2]]);
        let h = matrix(&[&[0, 1]]);
        assert!(matches!(utility(&g, &h), Err(Error::Mismatch(_))));
        let mut k = g.clone();
        k.set(1, 0, MISSING);
        let Err(Error::Mismatch(msg)) = utility(&g, &k) else {
            panic!("missing call accepted");
        };
        assert!(msg.contains("s0"), "{msg}");
    }
}
