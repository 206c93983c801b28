//! SNP–label correlations: how strongly each SNP's alt-allele count goes with
//! case/control status. N·r² is the Cochran-Armitage trend statistic (Sasieni
//! 1997), so the figures can be checked against `plink --model`'s TREND test.

use serde::{Deserialize, Serialize};

use crate::data::{GenotypeMatrix, MISSING};
use crate::error::{Error, Result};

/// One SNP's Pearson correlation with case status (case = 1, control = 0).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnpLabelCorrelation {
    /// The SNP's index in the matrix.
    pub variant: usize,
    pub r: f64,
    /// Samples with both a call and a known status.
    pub n: usize,
}

impl SnpLabelCorrelation {
    /// The Cochran-Armitage trend chi-square, N·r².
    pub fn trend_chi_square(&self) -> f64 {
        self.n as f64 * self.r * self.r
    }
}

/// Every SNP's correlation with the status, over samples with a call and a known
/// status; `None` where the SNP or the status does not vary among them.
pub fn label_correlations(
    genotypes: &GenotypeMatrix,
    case_status: &[Option<bool>],
) -> Result<Vec<Option<SnpLabelCorrelation>>> {
    if case_status.len() != genotypes.n_samples() {
        return Err(Error::Mismatch(format!(
            "{} case/control statuses for {} samples",
            case_status.len(),
            genotypes.n_samples()
        )));
    }
    Ok((0..genotypes.n_variants())
        .map(|j| {
            let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) =
                (0usize, 0.0, 0.0, 0.0, 0.0, 0.0);
            for (call, status) in genotypes.calls(j).zip(case_status) {
                let Some(status) = status else { continue };
                if call == MISSING {
                    continue;
                }
                let x = f64::from(call);
                let y = f64::from(u8::from(*status));
                n += 1;
                sx += x;
                sy += y;
                sxx += x * x;
                syy += y * y;
                sxy += x * y;
            }
            let count = n as f64;
            let covariance = sxy - sx * sy / count;
            let var_x = sxx - sx * sx / count;
            let var_y = syy - sy * sy / count;
            (n > 1 && var_x > 0.0 && var_y > 0.0).then(|| SnpLabelCorrelation {
                variant: j,
                r: covariance / (var_x * var_y).sqrt(),
                n,
            })
        })
        .collect())
}

/// The `k` SNPs most correlated with the status (largest |r| first; ties by index).
pub fn top_label_correlations(
    genotypes: &GenotypeMatrix,
    case_status: &[Option<bool>],
    k: usize,
) -> Result<Vec<SnpLabelCorrelation>> {
    let mut all: Vec<SnpLabelCorrelation> = label_correlations(genotypes, case_status)?
        .into_iter()
        .flatten()
        .collect();
    all.sort_by(|a, b| {
        b.r.abs()
            .total_cmp(&a.r.abs())
            .then(a.variant.cmp(&b.variant))
    });
    all.truncate(k);
    Ok(all)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::data::Variant;

    fn matrix(rows: &[&[u8]]) -> GenotypeMatrix {
        let n = rows.first().map_or(0, |r| r.len());
        let mut m = GenotypeMatrix::new((0..n).map(|i| format!("s{i}")).collect());
        for (j, calls) in rows.iter().enumerate() {
            m.push_variant(
                Variant {
                    chrom: "1".into(),
                    pos: j as u64 + 1,
                    id: format!("v{j}"),
                    ref_allele: "A".into(),
                    alt_allele: "C".into(),
                },
                calls,
            );
        }
        m
    }

    #[test]
    fn hand_computed_correlations_and_order() {
        // SNP 0 equals 2 × status: r = 1. SNP 1 is the opposite: r = -1 but listed
        // after SNP 0. SNP 2: x = (0,1,2,1), y = (0,0,1,1).
        let m = matrix(&[&[0, 0, 2, 2], &[2, 2, 0, 0], &[0, 1, 2, 1], &[1, 1, 1, 1]]);
        let status = [Some(false), Some(false), Some(true), Some(true)];
        let all = label_correlations(&m, &status).unwrap();
        assert!((all[0].as_ref().unwrap().r - 1.0).abs() < 1e-12);
        assert!((all[1].as_ref().unwrap().r + 1.0).abs() < 1e-12);
        // Means 1 and 0.5; cov = Σ(x-1)(y-.5) = (.5+0+.5+0) = 1; var_x = 2, var_y = 1.
        assert!((all[2].as_ref().unwrap().r - 1.0 / 2f64.sqrt()).abs() < 1e-12);
        assert!(all[3].is_none(), "a constant SNP has no correlation");
        let top = top_label_correlations(&m, &status, 2).unwrap();
        assert_eq!(
            top.iter().map(|c| c.variant).collect::<Vec<_>>(),
            vec![0, 1]
        );
    }

    #[test]
    fn unknown_status_and_missing_calls_are_left_out() {
        let m = matrix(&[&[0, MISSING, 2, 2, 0]]);
        let status = [Some(false), Some(false), Some(true), Some(true), None];
        let only = label_correlations(&m, &status).unwrap();
        let c = only[0].as_ref().unwrap();
        assert_eq!(c.n, 3);
        assert!((c.r - 1.0).abs() < 1e-12);
    }
}
