//! Utility metrics comparing real and synthetic genotypes (spec §7): allele
//! frequencies, and the LD statistics of [`crate::stats::ld`] (adjacent-pair r²
//! and the LD-decay curve). Missing calls are left out of each statistic
//! (pairwise for LD).

pub use crate::stats::ld::{LdBin, adjacent_r_squared, ld_decay, r_squared};

use crate::data::GenotypeMatrix;
use crate::error::{Error, Result};

/// Alternate-allele frequency p_j = (n₁ + 2n₂) / (2·called) of every variant;
/// `None` where no call is present.
pub fn allele_frequencies(matrix: &GenotypeMatrix) -> Vec<Option<f64>> {
    (0..matrix.n_variants())
        .map(|j| {
            let counts = matrix.call_counts(j);
            (counts.called() > 0)
                .then(|| counts.alt_alleles() as f64 / (2 * counts.called()) as f64)
        })
        .collect()
}

/// Mean absolute difference over positions where both values exist.
pub fn mean_absolute_error(a: &[Option<f64>], b: &[Option<f64>]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(Error::Mismatch(format!(
            "cannot compare {} values with {}",
            a.len(),
            b.len()
        )));
    }
    let diffs: Vec<f64> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some((x.as_ref()? - y.as_ref()?).abs()))
        .collect();
    if diffs.is_empty() {
        return Err(Error::Mismatch("no value is defined in both series".into()));
    }
    Ok(diffs.iter().sum::<f64>() / diffs.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{MISSING, Variant};

    fn variant(pos: u64) -> Variant {
        Variant {
            chrom: "1".into(),
            pos,
            id: ".".into(),
            ref_allele: "A".into(),
            alt_allele: "G".into(),
        }
    }

    #[test]
    fn frequencies_by_hand() -> Result<()> {
        let mut m = GenotypeMatrix::new((0..4).map(|i| format!("s{i}")).collect());
        m.push_variant(variant(100), &[0, 1, 2, MISSING]);
        m.push_variant(variant(150), &[0, 1, 2, 2]);
        m.push_variant(variant(400), &[2, 1, 0, 1]);
        let af = allele_frequencies(&m);
        assert_eq!(af, [Some(0.5), Some(5.0 / 8.0), Some(0.5)]);
        assert!((mean_absolute_error(&af, &[Some(0.4), None, Some(0.7)])? - 0.15).abs() < 1e-12);
        assert!(mean_absolute_error(&af, &[None]).is_err());
        Ok(())
    }
}
