//! GWAS utility of a release (spec `sharing.md` §9): does the released matrix
//! find the same hits as the original? SNP retention (threshold and `ratio`
//! variants), precision and recall of the top-k hits, Manhattan and QQ data and
//! the genomic inflation factor.
//!
//! A p-value that is NaN (an undefined test) is never a hit, is left out of the
//! QQ data and of λ_GC, and has no Manhattan height.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::data::{GenotypeMatrix, Variant};
use crate::error::{Error, Result};
use crate::job::Job;
use crate::stats::gwas::{
    AssociationResult, RetentionSettings, association_tests, association_tests_split, snp_retention,
};

/// Median of the 1-df chi-square distribution: λ_GC's denominator.
pub const CHI2_1DF_MEDIAN: f64 = 0.454_936_4;

/// Which per-SNP test the GWAS uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssociationTest {
    /// 2x3 genotype chi-square (PROVGEN's `chi2`).
    Genotypic,
    /// PROVGEN's dominant-model odds-ratio test (`odds`).
    Dominant,
    /// 1-df allelic chi-square of `plink --assoc`.
    Allelic,
    /// Cochran-Armitage trend test.
    Trend,
}

impl AssociationTest {
    pub fn p_value(self, result: &AssociationResult) -> f64 {
        match self {
            Self::Genotypic => result.genotypic.p_value,
            Self::Dominant => result.dominant.p_value,
            Self::Allelic => result.allelic.chi_square.p_value,
            Self::Trend => result.trend.p_value,
        }
    }
}

/// How the GWAS of a release is compared with the original's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GwasSettings {
    pub test: AssociationTest,
    /// Threshold retention: original hits at `p < alpha`, released at `p < alpha / tau`.
    pub alpha: f64,
    /// Tolerance of both retention variants.
    pub tau: f64,
    /// Ratio retention: the top `floor(m * rho)` original SNPs against the top
    /// `floor(m * rho / tau)` released ones.
    pub rho: f64,
    /// Size of the hit lists compared by precision and recall.
    pub top_k: usize,
}

impl Default for GwasSettings {
    /// PROVGEN's defaults (chi-square, α = 0.05, τ = 0.8, `top_metric_value`
    /// 0.05 for the ratio too) and the 100 best hits, a follow-up list's size.
    fn default() -> Self {
        Self {
            test: AssociationTest::Genotypic,
            alpha: 0.05,
            tau: 0.8,
            rho: 0.05,
            top_k: 100,
        }
    }
}

/// Indices of the `count` smallest defined p-values, smallest first; ties keep
/// SNP order. Fewer are returned when fewer p-values are defined.
pub fn top_hits(p_values: &[f64], count: usize) -> Vec<usize> {
    let mut order: Vec<(f64, usize)> = p_values
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_nan())
        .map(|(j, &p)| (p, j))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    order.into_iter().take(count).map(|(_, j)| j).collect()
}

/// Number of indices shared by two hit lists.
fn shared(a: &[usize], b: &[usize], m: usize) -> usize {
    let mut in_a = vec![false; m];
    for &j in a {
        if let Some(slot) = in_a.get_mut(j) {
            *slot = true;
        }
    }
    b.iter()
        .filter(|&&j| in_a.get(j).copied().unwrap_or(false))
        .count()
}

fn same_length(original: &[f64], released: &[f64]) -> Result<()> {
    if original.len() == released.len() {
        Ok(())
    } else {
        Err(Error::Mismatch(format!(
            "{} original p-values against {} released",
            original.len(),
            released.len()
        )))
    }
}

/// PROVGEN's `top_metric = "ratio"` retention.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatioRetention {
    pub rho: f64,
    pub tau: f64,
    /// `floor(m * rho)` (fewer if fewer p-values are defined).
    pub original_hits: usize,
    /// `floor(m * rho / tau)`, at most `m`.
    pub released_hits: usize,
    pub retained: usize,
    /// `retained / original_hits`; 0 when there is no original hit, as PROVGEN.
    pub retention: f64,
}

/// The top `floor(m * rho)` original SNPs kept among the top
/// `floor(m * rho / tau)` released ones (PROVGEN's `get_significant_snps`,
/// `int(len(p) * value)`, with `rho / tau` computed first as there).
pub fn ratio_retention(
    original: &[f64],
    released: &[f64],
    rho: f64,
    tau: f64,
) -> Result<RatioRetention> {
    same_length(original, released)?;
    if !(rho > 0.0 && rho <= 1.0 && tau > 0.0 && tau <= 1.0) {
        return Err(Error::Parameter(format!(
            "ratio retention needs 0 < rho <= 1 and 0 < tau <= 1, got rho {rho} and tau {tau}"
        )));
    }
    let m = original.len();
    let size = |fraction: f64| ((m as f64 * fraction).floor() as usize).min(m);
    let original_top = top_hits(original, size(rho));
    let released_top = top_hits(released, size(rho / tau));
    let retained = shared(&original_top, &released_top, m);
    Ok(RatioRetention {
        rho,
        tau,
        original_hits: original_top.len(),
        released_hits: released_top.len(),
        retained,
        retention: if original_top.is_empty() {
            0.0
        } else {
            retained as f64 / original_top.len() as f64
        },
    })
}

/// Agreement of the released top-k hits with the original top-k.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopKAgreement {
    pub k: usize,
    pub original_hits: usize,
    pub released_hits: usize,
    pub shared: usize,
    /// Share of released hits that are original hits; `None` without released hits.
    pub precision: Option<f64>,
    /// Share of original hits found by the release; `None` without original hits.
    /// Equal to the precision whenever both lists have k entries.
    pub recall: Option<f64>,
}

pub fn top_k_agreement(original: &[f64], released: &[f64], k: usize) -> Result<TopKAgreement> {
    same_length(original, released)?;
    if k == 0 {
        return Err(Error::Parameter("the top-k comparison needs k >= 1".into()));
    }
    let original_top = top_hits(original, k);
    let released_top = top_hits(released, k);
    let common = shared(&original_top, &released_top, original.len());
    let share = |total: usize| (total > 0).then(|| common as f64 / total as f64);
    Ok(TopKAgreement {
        k,
        original_hits: original_top.len(),
        released_hits: released_top.len(),
        shared: common,
        precision: share(released_top.len()),
        recall: share(original_top.len()),
    })
}

/// −log10 p; p = 0 (an underflowed tail) is shown at the smallest normal f64's
/// height, 307.65; NaN has none.
pub fn neg_log10(p: f64) -> Option<f64> {
    (!p.is_nan()).then(|| -p.max(f64::MIN_POSITIVE).log10())
}

/// One SNP of a Manhattan plot, in the original and the released GWAS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManhattanPoint {
    pub chrom: String,
    pub pos: u64,
    pub id: String,
    pub original_neg_log10_p: Option<f64>,
    pub released_neg_log10_p: Option<f64>,
}

pub fn manhattan(
    variants: &[Variant],
    original: &[f64],
    released: &[f64],
) -> Result<Vec<ManhattanPoint>> {
    same_length(original, released)?;
    if variants.len() != original.len() {
        return Err(Error::Mismatch(format!(
            "{} variants against {} p-values",
            variants.len(),
            original.len()
        )));
    }
    Ok(variants
        .iter()
        .zip(original.iter().zip(released))
        .map(|(v, (&p, &q))| ManhattanPoint {
            chrom: v.chrom.clone(),
            pos: v.pos,
            id: v.id.clone(),
            original_neg_log10_p: neg_log10(p),
            released_neg_log10_p: neg_log10(q),
        })
        .collect())
}

/// One point of a QQ plot: −log10 of the i-th smallest p-value against its
/// expectation −log10((i − 0.5) / n) under the uniform null.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QqPoint {
    pub expected: f64,
    pub observed: f64,
}

/// QQ data of one GWAS and its genomic inflation factor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QqData {
    pub points: Vec<QqPoint>,
    /// λ_GC; `None` without a defined p-value.
    pub lambda_gc: Option<f64>,
}

pub fn qq(p_values: &[f64]) -> QqData {
    let mut sorted: Vec<f64> = p_values.iter().copied().filter(|p| !p.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let points = sorted
        .iter()
        .enumerate()
        .filter_map(|(i, &p)| {
            Some(QqPoint {
                expected: -((i as f64 + 0.5) / n).log10(),
                observed: neg_log10(p)?,
            })
        })
        .collect();
    QqData {
        points,
        lambda_gc: genomic_inflation(p_values),
    }
}

/// 1-df chi-square statistic with upper tail `p`: (Φ⁻¹(p/2))², exact for 1 df
/// and accurate for small p where 1 − p would lose digits.
fn chi2_1df_from_p(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p / 2.0).powi(2)
}

/// Genomic inflation factor λ_GC = median χ²(1 df) / 0.4549364, with every
/// p-value turned into its 1-df χ² (Devlin and Roeder 1999); the median of an
/// even count is the mean of the middle two. `None` without a defined p-value.
pub fn genomic_inflation(p_values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = p_values.iter().copied().filter(|p| !p.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let upper = sorted.get(n / 2).copied()?;
    let median = if n % 2 == 1 {
        chi2_1df_from_p(upper)
    } else {
        let lower = sorted.get(n / 2 - 1).copied()?;
        (chi2_1df_from_p(lower) + chi2_1df_from_p(upper)) / 2.0
    };
    Some(median / CHI2_1DF_MEDIAN)
}

/// Everything the GWAS of a release is judged by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GwasUtility {
    pub settings: GwasSettings,
    /// PROVGEN's threshold retention (α, τ).
    pub threshold_retention: f64,
    pub ratio_retention: RatioRetention,
    pub top_k: TopKAgreement,
    pub original_qq: QqData,
    pub released_qq: QqData,
    pub manhattan: Vec<ManhattanPoint>,
}

/// Compares two GWAS given their per-SNP p-values.
pub fn compare_gwas(
    variants: &[Variant],
    original: &[f64],
    released: &[f64],
    settings: GwasSettings,
) -> Result<GwasUtility> {
    Ok(GwasUtility {
        settings,
        threshold_retention: snp_retention(
            original,
            released,
            RetentionSettings {
                alpha: settings.alpha,
                tau: settings.tau,
            },
        )?,
        ratio_retention: ratio_retention(original, released, settings.rho, settings.tau)?,
        top_k: top_k_agreement(original, released, settings.top_k)?,
        original_qq: qq(original),
        released_qq: qq(released),
        manhattan: manhattan(variants, original, released)?,
    })
}

/// Who the cases are tested against.
#[derive(Clone, Copy, Debug)]
pub enum GwasDesign<'a> {
    /// Every row of the matrices is a case, tested against these unperturbed
    /// controls (PROVGEN: the reference set).
    Controls(&'a GenotypeMatrix),
    /// Case (true) / control (false) label of each row, the same rows in the
    /// original and the released matrix.
    Labels(&'a [bool]),
}

/// Runs the GWAS on both matrices and compares them.
pub fn gwas_utility(
    original: &GenotypeMatrix,
    released: &GenotypeMatrix,
    design: GwasDesign<'_>,
    settings: GwasSettings,
    job: Job<'_>,
) -> Result<GwasUtility> {
    crate::sharing::check_same_variants(
        original.variants(),
        released.variants(),
        "original and released matrices",
    )?;
    let (original_tests, released_tests) = match design {
        GwasDesign::Controls(controls) => (
            association_tests(original, controls, job)?,
            association_tests(released, controls, job)?,
        ),
        GwasDesign::Labels(labels) => (
            association_tests_split(original, labels, job)?,
            association_tests_split(released, labels, job)?,
        ),
    };
    let p = |tests: &[AssociationResult]| -> Vec<f64> {
        tests.iter().map(|r| settings.test.p_value(r)).collect()
    };
    compare_gwas(
        original.variants(),
        &p(&original_tests),
        &p(&released_tests),
        settings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn top_hits_skip_nan_and_keep_snp_order_on_ties() {
        let p = [0.3, f64::NAN, 0.01, 0.01, 0.5];
        assert_eq!(top_hits(&p, 3), [2, 3, 0]);
        assert_eq!(top_hits(&p, 10), [2, 3, 0, 4]);
        assert!(top_hits(&p, 0).is_empty());
    }

    #[test]
    fn ratio_retention_by_hand() -> Result<()> {
        // m = 10, rho = 0.2: original top 2 = {0, 1}. rho / tau = 0.4: released
        // top 4 = {1, 5, 6, 7}: one of two retained.
        let original = [0.001, 0.002, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.96, 0.97];
        let released = [0.9, 0.01, 0.5, 0.6, 0.7, 0.02, 0.03, 0.04, 0.96, 0.97];
        let r = ratio_retention(&original, &released, 0.2, 0.5)?;
        assert_eq!((r.original_hits, r.released_hits, r.retained), (2, 4, 1));
        assert!(close(r.retention, 0.5, 1e-15));
        // tau = 0.8: floor(10 * 0.25) = 2 released hits, {1, 5}.
        let r = ratio_retention(&original, &released, 0.2, 0.8)?;
        assert_eq!((r.original_hits, r.released_hits, r.retained), (2, 2, 1));
        // rho so small that no SNP is a hit: retention 0, as PROVGEN.
        let r = ratio_retention(&original, &released, 0.05, 0.8)?;
        assert_eq!((r.original_hits, r.retention), (0, 0.0));
        assert!(ratio_retention(&original, &released, 0.0, 0.8).is_err());
        assert!(ratio_retention(&original, &released, 0.1, 1.5).is_err());
        assert!(ratio_retention(&original, &released[1..], 0.1, 0.8).is_err());
        Ok(())
    }

    #[test]
    fn identical_gwas_agree_completely() -> Result<()> {
        let p: Vec<f64> = (0..200).map(|j| ((j * 37) % 200) as f64 / 1000.0).collect();
        let variants: Vec<Variant> = (0..200)
            .map(|j| Variant {
                chrom: "1".into(),
                pos: j as u64 + 1,
                id: format!("rs{j}"),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            })
            .collect();
        let u = compare_gwas(&variants, &p, &p, GwasSettings::default())?;
        assert_eq!(u.threshold_retention, 1.0);
        assert_eq!(u.ratio_retention.retention, 1.0);
        assert_eq!(u.ratio_retention.original_hits, 10);
        assert_eq!(u.ratio_retention.released_hits, 12);
        assert_eq!((u.top_k.precision, u.top_k.recall), (Some(1.0), Some(1.0)));
        assert_eq!(u.original_qq, u.released_qq);
        assert_eq!(u.manhattan.len(), 200);
        assert!(
            u.manhattan
                .iter()
                .all(|m| m.original_neg_log10_p == m.released_neg_log10_p)
        );
        Ok(())
    }

    #[test]
    fn top_k_precision_and_recall_by_hand() -> Result<()> {
        // Original top 3 = {0, 1, 2}; released top 3 = {2, 3, 0}: 2 shared.
        let original = [0.01, 0.02, 0.03, 0.5, 0.6];
        let released = [0.03, 0.5, 0.01, 0.02, 0.6];
        let t = top_k_agreement(&original, &released, 3)?;
        assert_eq!(t.shared, 2);
        assert_eq!(t.precision, Some(2.0 / 3.0));
        assert_eq!(t.recall, Some(2.0 / 3.0));
        // Only two released p-values are defined, SNPs 2 and 3: of these only 2 is
        // an original hit, so precision 1/2 and recall 1/3.
        let sparse = [f64::NAN, f64::NAN, 0.01, 0.5, f64::NAN];
        let t = top_k_agreement(&original, &sparse, 3)?;
        assert_eq!((t.released_hits, t.shared), (2, 1));
        assert_eq!(t.precision, Some(0.5));
        assert_eq!(t.recall, Some(1.0 / 3.0));
        let none = [f64::NAN; 5];
        assert_eq!(top_k_agreement(&original, &none, 3)?.precision, None);
        assert!(top_k_agreement(&original, &released, 0).is_err());
        Ok(())
    }

    #[test]
    fn lambda_and_qq_by_hand() -> Result<()> {
        // The 1-df chi-square at p = 0.05 is 1.959964² = 3.841459; at p = 0.5 it is
        // the distribution's median.
        let chi2_05 = 3.841_458_820_694_124;
        let lambda = genomic_inflation(&[0.05]).unwrap_or(f64::NAN);
        assert!(close(lambda, chi2_05 / CHI2_1DF_MEDIAN, 1e-9), "{lambda}");
        let lambda = genomic_inflation(&[0.5]).unwrap_or(f64::NAN);
        assert!(close(lambda, 1.0, 1e-6), "{lambda}");
        // Even count: mean of the middle two statistics; NaN left out.
        let lambda = genomic_inflation(&[0.5, f64::NAN, 0.05, 0.9, 0.01]).unwrap_or(f64::NAN);
        let expected = (chi2_05 + 0.454_936_423_119_572_8) / 2.0 / CHI2_1DF_MEDIAN;
        assert!(close(lambda, expected, 1e-6), "{lambda} vs {expected}");
        assert_eq!(genomic_inflation(&[f64::NAN]), None);

        let data = qq(&[0.1, 0.001, f64::NAN, 1.0]);
        let expected: Vec<(f64, f64)> = vec![
            (-(0.5f64 / 3.0).log10(), 3.0),
            (-(1.5f64 / 3.0).log10(), 1.0),
            (-(2.5f64 / 3.0).log10(), 0.0),
        ];
        assert_eq!(data.points.len(), 3);
        for (point, (e, o)) in data.points.iter().zip(expected) {
            assert!(close(point.expected, e, 1e-12) && close(point.observed, o, 1e-12));
        }
        assert_eq!(neg_log10(f64::NAN), None);
        assert!(close(
            neg_log10(0.0).unwrap_or(0.0),
            307.652_655_568_588,
            1e-9
        ));
        Ok(())
    }
}
