//! Utility metrics comparing real and synthetic genotypes (spec §7): allele
//! frequencies, adjacent-pair LD and the LD-decay curve. Missing calls are left
//! out of each statistic (pairwise for LD).

use serde::{Deserialize, Serialize};

use crate::data::{GenotypeMatrix, MISSING};
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

/// Composite genotype LD r² = corr(g_i, g_j)² over samples called at both;
/// `None` when either variant is monomorphic there.
pub fn r_squared(matrix: &GenotypeMatrix, i: usize, j: usize) -> Option<f64> {
    let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in matrix.calls(i).zip(matrix.calls(j)) {
        if x == MISSING || y == MISSING {
            continue;
        }
        let (x, y) = (f64::from(x), f64::from(y));
        n += 1.0;
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
    }
    let vx = n * sxx - sx * sx;
    let vy = n * syy - sy * sy;
    if n < 2.0 || vx <= 0.0 || vy <= 0.0 {
        return None;
    }
    let cov = n * sxy - sx * sy;
    Some(cov * cov / (vx * vy))
}

/// r² of each adjacent pair (j, j+1).
pub fn adjacent_r_squared(matrix: &GenotypeMatrix) -> Vec<Option<f64>> {
    (1..matrix.n_variants())
        .map(|j| r_squared(matrix, j - 1, j))
        .collect()
}

/// One bin of the LD-decay curve: pairs with distance in `[from_bp, to_bp)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LdBin {
    pub from_bp: u64,
    pub to_bp: u64,
    pub pairs: usize,
    /// `None` when no pair with a defined r² falls in the bin.
    pub mean_r_squared: Option<f64>,
}

/// Mean r² by distance bin for pairs on the same chromosome closer than
/// `n_bins · bin_width_bp`, each variant paired with at most `max_lag` following
/// variants (a cap that keeps dense panels tractable).
pub fn ld_decay(
    matrix: &GenotypeMatrix,
    bin_width_bp: u64,
    n_bins: usize,
    max_lag: usize,
) -> Result<Vec<LdBin>> {
    if bin_width_bp == 0 || n_bins == 0 {
        return Err(Error::Parameter(
            "the LD-decay bins need a positive width and count".into(),
        ));
    }
    let mut sums = vec![(0usize, 0.0f64); n_bins];
    let variants = matrix.variants();
    for (i, left) in variants.iter().enumerate() {
        for (j, right) in variants.iter().enumerate().skip(i + 1).take(max_lag) {
            if right.chrom != left.chrom {
                break;
            }
            let bin = (right.pos.abs_diff(left.pos) / bin_width_bp) as usize;
            let Some(slot) = sums.get_mut(bin) else {
                break;
            };
            if let Some(r2) = r_squared(matrix, i, j) {
                slot.0 += 1;
                slot.1 += r2;
            }
        }
    }
    Ok(sums
        .into_iter()
        .enumerate()
        .map(|(b, (pairs, sum))| LdBin {
            from_bp: b as u64 * bin_width_bp,
            to_bp: (b as u64 + 1) * bin_width_bp,
            pairs,
            mean_r_squared: (pairs > 0).then(|| sum / pairs as f64),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Variant;

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
    fn frequencies_and_r_squared_by_hand() -> Result<()> {
        let mut m = GenotypeMatrix::new((0..4).map(|i| format!("s{i}")).collect());
        m.push_variant(variant(100), &[0, 1, 2, MISSING]);
        m.push_variant(variant(150), &[0, 1, 2, 2]);
        m.push_variant(variant(400), &[2, 1, 0, 1]);
        let af = allele_frequencies(&m);
        assert_eq!(af, [Some(0.5), Some(5.0 / 8.0), Some(0.5)]);
        // Perfectly correlated and anti-correlated on the shared calls.
        assert!((r_squared(&m, 0, 1).unwrap_or(0.0) - 1.0).abs() < 1e-12);
        assert!((r_squared(&m, 0, 2).unwrap_or(0.0) - 1.0).abs() < 1e-12);
        // g1 = (0,1,2,2), g2 = (2,1,0,1): r = -0.8528..., r² = 8/11.
        let r2 = r_squared(&m, 1, 2).unwrap_or(0.0);
        assert!((r2 - 8.0 / 11.0).abs() < 1e-12, "{r2}");
        let decay = ld_decay(&m, 100, 4, 10)?;
        assert_eq!(decay[0].pairs, 1);
        assert_eq!(decay[2].pairs, 1);
        assert_eq!(decay[3].pairs, 1);
        assert!(decay[1].mean_r_squared.is_none());
        assert!((mean_absolute_error(&af, &[Some(0.4), None, Some(0.7)])? - 0.15).abs() < 1e-12);
        Ok(())
    }
}
