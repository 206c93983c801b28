//! Linkage disequilibrium between variants: the composite genotype r² (the
//! statistic of `plink --r2`, squared Pearson correlation of allele counts, phase
//! ignored), adjacent-pair r² and the r² decay by distance. Missing calls are
//! left out pairwise.

use serde::{Deserialize, Serialize};

use crate::data::{GenotypeMatrix, MISSING, Variant};
use crate::error::{Error, Result};

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

/// Variant pairs `(i, j, distance in bp)` on the same chromosome with
/// `i < j <= i + max_lag` and distance below `max_distance_bp`, in order.
/// Variants are assumed sorted by position within a chromosome, as every reader
/// here delivers them.
pub fn window_pairs(
    variants: &[Variant],
    max_lag: usize,
    max_distance_bp: u64,
) -> Vec<(usize, usize, u64)> {
    let mut pairs = Vec::new();
    for (i, left) in variants.iter().enumerate() {
        for (j, right) in variants.iter().enumerate().skip(i + 1).take(max_lag) {
            let distance = right.pos.abs_diff(left.pos);
            if right.chrom != left.chrom || distance >= max_distance_bp {
                break;
            }
            pairs.push((i, j, distance));
        }
    }
    pairs
}

/// Mean r² by distance bin `[b·width, (b+1)·width)` of `(distance, r²)` pairs;
/// pairs with an undefined r² or beyond the last bin are left out.
pub fn bin_by_distance(
    pairs: impl IntoIterator<Item = (u64, Option<f64>)>,
    bin_width_bp: u64,
    n_bins: usize,
) -> Result<Vec<LdBin>> {
    if bin_width_bp == 0 || n_bins == 0 {
        return Err(Error::Parameter(
            "the LD-decay bins need a positive width and count".into(),
        ));
    }
    let mut sums = vec![(0usize, 0.0f64); n_bins];
    for (distance, r2) in pairs {
        let bin = usize::try_from(distance / bin_width_bp).unwrap_or(usize::MAX);
        if let (Some(slot), Some(r2)) = (sums.get_mut(bin), r2) {
            slot.0 += 1;
            slot.1 += r2;
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

/// Mean r² by distance bin for pairs on the same chromosome closer than
/// `n_bins · bin_width_bp`, each variant paired with at most `max_lag` following
/// variants (a cap that keeps dense panels tractable).
pub fn ld_decay(
    matrix: &GenotypeMatrix,
    bin_width_bp: u64,
    n_bins: usize,
    max_lag: usize,
) -> Result<Vec<LdBin>> {
    let limit = bin_width_bp.saturating_mul(n_bins as u64);
    let pairs = window_pairs(matrix.variants(), max_lag, limit);
    bin_by_distance(
        pairs
            .into_iter()
            .map(|(i, j, distance)| (distance, r_squared(matrix, i, j))),
        bin_width_bp,
        n_bins,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn r_squared_and_decay_by_hand() -> Result<()> {
        let mut m = GenotypeMatrix::new((0..4).map(|i| format!("s{i}")).collect());
        m.push_variant(variant(100), &[0, 1, 2, MISSING]);
        m.push_variant(variant(150), &[0, 1, 2, 2]);
        m.push_variant(variant(400), &[2, 1, 0, 1]);
        m.push_variant(variant(500), &[1, 1, 1, 1]);
        // Perfectly correlated and anti-correlated on the shared calls.
        assert!((r_squared(&m, 0, 1).unwrap_or(0.0) - 1.0).abs() < 1e-12);
        assert!((r_squared(&m, 0, 2).unwrap_or(0.0) - 1.0).abs() < 1e-12);
        // g1 = (0,1,2,2), g2 = (2,1,0,1): r = -0.8528..., r² = 8/11.
        let r2 = r_squared(&m, 1, 2).unwrap_or(0.0);
        assert!((r2 - 8.0 / 11.0).abs() < 1e-12, "{r2}");
        // A monomorphic variant has no r².
        assert_eq!(r_squared(&m, 2, 3), None);
        assert_eq!(adjacent_r_squared(&m).len(), 3);
        let decay = ld_decay(&m, 100, 4, 10)?;
        assert_eq!(decay[0].pairs, 1);
        assert_eq!(decay[2].pairs, 1);
        assert_eq!(decay[3].pairs, 1);
        assert!(decay[1].mean_r_squared.is_none());
        assert!(ld_decay(&m, 0, 4, 10).is_err());
        // The lag cap and the distance limit both end a variant's window.
        assert_eq!(
            window_pairs(m.variants(), 1, 1_000),
            [(0, 1, 50), (1, 2, 250), (2, 3, 100)]
        );
        assert_eq!(
            window_pairs(m.variants(), 10, 260),
            [(0, 1, 50), (1, 2, 250), (2, 3, 100)]
        );
        let mut other_chrom = m.variants().to_vec();
        other_chrom[2].chrom = "2".into();
        other_chrom[3].chrom = "2".into();
        assert_eq!(
            window_pairs(&other_chrom, 10, 1_000),
            [(0, 1, 50), (2, 3, 100)]
        );
        Ok(())
    }
}
