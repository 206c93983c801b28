//! Per-SNP case/control association tests and the SNP retention rate used to
//! judge whether a released matrix reproduces a GWAS (spec `sharing.md` §9).
//!
//! - the 2x3 genotypic chi-square exactly as `scipy.stats.chi2_contingency` with
//!   its defaults (genotype columns empty in both groups dropped; Yates'
//!   correction only when the table has collapsed to 2x2), as PROVGEN uses it;
//! - PROVGEN's dominant-model odds-ratio test (0.5 added to every count);
//! - the 1-df allelic chi-square of `plink --assoc` (no continuity correction);
//! - the Cochran-Armitage trend test (additive weights 0, 1, 2).
//!
//! Missing calls are left out of the counts.

use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use crate::data::{GenotypeMatrix, MISSING};
use crate::error::{Error, Result};
use crate::job::Job;

/// Counts of genotypes 0, 1, 2 (alt-allele count) in one group at one SNP.
pub type GenotypeCounts = [u64; 3];

/// A chi-square statistic, its degrees of freedom and p-value. A statistic that
/// is undefined (a zero margin) is NaN, with p-value NaN: never significant.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ChiSquareTest {
    pub statistic: f64,
    pub dof: u32,
    pub p_value: f64,
}

/// PROVGEN's dominant-model odds-ratio test (carriers of the counted allele).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OddsRatioTest {
    pub odds_ratio: f64,
    pub z: f64,
    pub p_value: f64,
}

/// The allelic test of `plink --assoc`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AllelicTest {
    pub chi_square: ChiSquareTest,
    /// Odds ratio of the counted (alt) allele, cases against controls.
    pub odds_ratio: f64,
}

/// All tests at one SNP.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AssociationResult {
    pub genotypic: ChiSquareTest,
    pub dominant: OddsRatioTest,
    pub allelic: AllelicTest,
    pub trend: ChiSquareTest,
}

fn chi_square_p(statistic: f64, dof: u32) -> f64 {
    if !statistic.is_finite() {
        return f64::NAN;
    }
    match ChiSquared::new(f64::from(dof)) {
        Ok(dist) => dist.sf(statistic),
        Err(_) => f64::NAN,
    }
}

fn undefined(dof: u32) -> ChiSquareTest {
    ChiSquareTest {
        statistic: f64::NAN,
        dof,
        p_value: f64::NAN,
    }
}

/// The 2x3 genotype-count chi-square as `scipy.stats.chi2_contingency` computes it
/// with its defaults, after PROVGEN drops genotype columns empty in both groups.
pub fn genotypic_chi_square(case: GenotypeCounts, control: GenotypeCounts) -> ChiSquareTest {
    let columns: Vec<(f64, f64)> = case
        .iter()
        .zip(&control)
        .filter(|(a, b)| **a != 0 || **b != 0)
        .map(|(&a, &b)| (a as f64, b as f64))
        .collect();
    let dof = columns.len().saturating_sub(1) as u32;
    let row_case: f64 = columns.iter().map(|c| c.0).sum();
    let row_control: f64 = columns.iter().map(|c| c.1).sum();
    let total = row_case + row_control;
    if row_case == 0.0 || row_control == 0.0 {
        // scipy raises (a zero expected frequency); treat as no evidence.
        return undefined(dof);
    }
    if dof == 0 {
        // scipy returns statistic 0, p 1 for a table with one column.
        return ChiSquareTest {
            statistic: 0.0,
            dof,
            p_value: 1.0,
        };
    }
    let mut statistic = 0.0;
    for &(a, b) in &columns {
        let column = a + b;
        for (observed, row) in [(a, row_case), (b, row_control)] {
            let expected = row * column / total;
            let mut observed = observed;
            if dof == 1 {
                // Yates: move each observation toward its expectation by at most 0.5.
                let diff = expected - observed;
                observed += diff.signum() * diff.abs().min(0.5);
            }
            statistic += (observed - expected) * (observed - expected) / expected;
        }
    }
    ChiSquareTest {
        statistic,
        dof,
        p_value: chi_square_p(statistic, dof),
    }
}

/// PROVGEN's `calc_or_pvalues`: 0.5 added to every count, the odds ratio of
/// carrying the counted allele in cases against controls, `z = ln OR / SE`,
/// two-sided normal p-value.
pub fn dominant_odds_ratio(case: GenotypeCounts, control: GenotypeCounts) -> OddsRatioTest {
    let [case0, case1, case2] = case.map(|c| c as f64 + 0.5);
    let [ctrl0, ctrl1, ctrl2] = control.map(|c| c as f64 + 0.5);
    let odds_ratio = (ctrl0 * (case1 + case2)) / (case0 * (ctrl1 + ctrl2));
    let se = (1.0 / (case1 + case2) + 1.0 / case0 + 1.0 / (ctrl1 + ctrl2) + 1.0 / ctrl0).sqrt();
    let z = odds_ratio.ln() / se;
    let p_value = 2.0 * Normal::standard().sf(z.abs());
    OddsRatioTest {
        odds_ratio,
        z,
        p_value,
    }
}

/// Pearson chi-square (1 df, no continuity correction) on the 2x2 table of allele
/// counts, as `plink --assoc`; assumes Hardy-Weinberg proportions in the pooled
/// sample.
pub fn allelic_chi_square(case: GenotypeCounts, control: GenotypeCounts) -> AllelicTest {
    let alleles = |c: GenotypeCounts| AlleleCounts {
        alt: c[1] + 2 * c[2],
        reference: c[1] + 2 * c[0],
    };
    allelic_test_from_alleles(alleles(case), alleles(control))
}

/// Counts of the counted (alt) and the reference allele in one group at one SNP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlleleCounts {
    pub alt: u64,
    pub reference: u64,
}

/// [`allelic_chi_square`] from the groups' allele counts.
pub fn allelic_test_from_alleles(case: AlleleCounts, control: AlleleCounts) -> AllelicTest {
    let (a, b) = (case.alt as f64, case.reference as f64);
    let (c, d) = (control.alt as f64, control.reference as f64);
    let n = a + b + c + d;
    let denominator = (a + b) * (c + d) * (a + c) * (b + d);
    let chi_square = if denominator == 0.0 {
        undefined(1)
    } else {
        let statistic = n * (a * d - b * c).powi(2) / denominator;
        ChiSquareTest {
            statistic,
            dof: 1,
            p_value: chi_square_p(statistic, 1),
        }
    };
    AllelicTest {
        chi_square,
        odds_ratio: (a * d) / (b * c),
    }
}

/// Cochran-Armitage trend test with weights 0, 1, 2:
/// `N (N sum t r - R sum t n)^2 / (R S (N sum t^2 n - (sum t n)^2))`, 1 df.
pub fn trend_test(case: GenotypeCounts, control: GenotypeCounts) -> ChiSquareTest {
    let cases: f64 = case.iter().sum::<u64>() as f64;
    let controls: f64 = control.iter().sum::<u64>() as f64;
    let n = cases + controls;
    let (mut tr, mut tn, mut ttn) = (0.0, 0.0, 0.0);
    for (t, (&r, &s)) in case.iter().zip(&control).enumerate() {
        let t = t as f64;
        let column = (r + s) as f64;
        tr += t * r as f64;
        tn += t * column;
        ttn += t * t * column;
    }
    let denominator = cases * controls * (n * ttn - tn * tn);
    if denominator == 0.0 {
        return undefined(1);
    }
    let statistic = n * (n * tr - cases * tn).powi(2) / denominator;
    ChiSquareTest {
        statistic,
        dof: 1,
        p_value: chi_square_p(statistic, 1),
    }
}

/// All tests at one SNP from the two groups' genotype counts.
pub fn associate(case: GenotypeCounts, control: GenotypeCounts) -> AssociationResult {
    AssociationResult {
        genotypic: genotypic_chi_square(case, control),
        dominant: dominant_odds_ratio(case, control),
        allelic: allelic_chi_square(case, control),
        trend: trend_test(case, control),
    }
}

fn counts_of(matrix: &GenotypeMatrix, j: usize) -> GenotypeCounts {
    let c = matrix.call_counts(j);
    [c.hom_ref, c.het, c.hom_alt]
}

/// Tests every SNP with `cases` against a separate `controls` matrix (as PROVGEN
/// does, with the unperturbed reference as controls). Variants must match.
pub fn association_tests(
    cases: &GenotypeMatrix,
    controls: &GenotypeMatrix,
    job: Job<'_>,
) -> Result<Vec<AssociationResult>> {
    crate::sharing::check_same_variants(
        cases.variants(),
        controls.variants(),
        "cases and controls",
    )?;
    if cases.n_samples() == 0 || controls.n_samples() == 0 {
        return Err(Error::Parameter(format!(
            "association tests need cases and controls; got {} cases and {} controls",
            cases.n_samples(),
            controls.n_samples()
        )));
    }
    job.checkpoint("association tests", None)?;
    let results = (0..cases.n_variants())
        .into_par_iter()
        .map(|j| associate(counts_of(cases, j), counts_of(controls, j)))
        .collect();
    job.checkpoint("association tests", Some(1.0))?;
    Ok(results)
}

/// Tests every SNP of one matrix split into cases and controls by `is_case`.
pub fn association_tests_split(
    matrix: &GenotypeMatrix,
    is_case: &[bool],
    job: Job<'_>,
) -> Result<Vec<AssociationResult>> {
    check_split(matrix, is_case)?;
    job.checkpoint("association tests", None)?;
    let results = (0..matrix.n_variants())
        .into_par_iter()
        .map(|j| {
            let mut case = [0u64; 3];
            let mut control = [0u64; 3];
            for (g, &is) in matrix.calls(j).zip(is_case) {
                let group = if is { &mut case } else { &mut control };
                if let Some(slot) = group.get_mut(usize::from(g)) {
                    *slot += 1;
                }
            }
            associate(case, control)
        })
        .collect();
    job.checkpoint("association tests", Some(1.0))?;
    Ok(results)
}

/// Case and control allele counts of four packed calls, four 16-bit fields
/// (case alt, case ref, control alt, control ref), indexed by
/// `case_nibble << 8 | packed_byte` where bit `t` of `case_nibble` says sample
/// `t` of the byte is a case. Missing calls count in no field.
static ALLELE_TABLE: [u64; 16 * 256] = allele_table();

const fn allele_table() -> [u64; 16 * 256] {
    let mut table = [0u64; 16 * 256];
    let mut index = 0;
    while index < 16 * 256 {
        let (case_nibble, byte) = (index >> 8, index & 0xff);
        let mut fields = 0u64;
        let mut t = 0;
        while t < 4 {
            let call = (byte >> (2 * t)) & 0b11;
            if call != MISSING as usize {
                let (alt, reference) = (call as u64, 2 - call as u64);
                let shift = if (case_nibble >> t) & 1 == 1 { 0 } else { 32 };
                fields += (alt << shift) + (reference << (shift + 16));
            }
            t += 1;
        }
        table[index] = fields;
        index += 1;
    }
    table
}

/// Packed bytes summed in 16-bit fields before they could overflow (8 alleles
/// per field per byte at most).
const BYTES_PER_FLUSH: usize = (u16::MAX as usize) / 8;

/// Case and control allele counts of one packed row. `case_nibbles[byte]` marks
/// the cases among the byte's four samples; `padding` holds the padding calls
/// of the last byte set to missing (OR-ed in so they count nowhere).
#[inline]
fn row_allele_counts(row: &[u8], case_nibbles: &[u8], padding: u8) -> [AlleleCounts; 2] {
    let lookup = |byte: u8, nibble: u8| {
        let index = usize::from(nibble) << 8 | usize::from(byte);
        ALLELE_TABLE.get(index).copied().unwrap_or(0)
    };
    let mut totals = [0u64; 4];
    let mut add_fields = |fields: u64| {
        for (k, total) in totals.iter_mut().enumerate() {
            *total += (fields >> (16 * k)) & 0xffff;
        }
    };
    let (full, last) = match (row.split_last(), case_nibbles.split_last()) {
        (Some((&byte, full)), Some((&nibble, _))) => (full, lookup(byte | padding, nibble)),
        _ => (row, 0),
    };
    add_fields(last);
    for (bytes, nibbles) in full
        .chunks(BYTES_PER_FLUSH)
        .zip(case_nibbles.chunks(BYTES_PER_FLUSH))
    {
        // Two independent sums: the lookups of consecutive bytes overlap.
        let (mut even, mut odd) = (0u64, 0u64);
        let mut pairs = bytes.chunks_exact(2).zip(nibbles.chunks_exact(2));
        for (byte_pair, nibble_pair) in pairs.by_ref() {
            if let ([b0, b1], [n0, n1]) = (byte_pair, nibble_pair) {
                even += lookup(*b0, *n0);
                odd += lookup(*b1, *n1);
            }
        }
        if let (Some(&byte), Some(&nibble)) = (
            bytes.chunks_exact(2).remainder().first(),
            nibbles.get(bytes.len() - 1),
        ) {
            even += lookup(byte, nibble);
        }
        add_fields(even);
        add_fields(odd);
    }
    [
        AlleleCounts {
            alt: totals[0],
            reference: totals[1],
        },
        AlleleCounts {
            alt: totals[2],
            reference: totals[3],
        },
    ]
}

/// The allelic test of `plink --assoc` at every SNP of one matrix split into
/// cases and controls by `is_case`: equal to the `allelic` field of
/// [`association_tests_split`], without the other three tests, with allele
/// counts taken by table lookup over whole packed bytes.
pub fn allelic_tests_split(
    matrix: &GenotypeMatrix,
    is_case: &[bool],
    job: Job<'_>,
) -> Result<Vec<AllelicTest>> {
    check_split(matrix, is_case)?;
    let case_nibbles: Vec<u8> = is_case
        .chunks(4)
        .map(|chunk| {
            chunk
                .iter()
                .enumerate()
                .fold(0u8, |nibble, (t, &case)| nibble | (u8::from(case) << t))
        })
        .collect();
    let used = matrix.n_samples() % 4;
    let padding = if used == 0 { 0 } else { 0xffu8 << (2 * used) };
    job.checkpoint("allelic association tests", None)?;
    let results = (0..matrix.n_variants())
        .into_par_iter()
        .with_min_len(256)
        .map(|j| {
            let [case, control] = row_allele_counts(matrix.packed_row(j), &case_nibbles, padding);
            allelic_test_from_alleles(case, control)
        })
        .collect();
    job.checkpoint("allelic association tests", Some(1.0))?;
    Ok(results)
}

/// Labels must match the samples and include both cases and controls.
fn check_split(matrix: &GenotypeMatrix, is_case: &[bool]) -> Result<()> {
    if is_case.len() != matrix.n_samples() {
        return Err(Error::Mismatch(format!(
            "{} case/control labels for {} samples",
            is_case.len(),
            matrix.n_samples()
        )));
    }
    let n_cases = is_case.iter().filter(|&&c| c).count();
    if n_cases == 0 || n_cases == is_case.len() {
        return Err(Error::Parameter(format!(
            "association tests need cases and controls; got {n_cases} cases of {} samples",
            is_case.len()
        )));
    }
    Ok(())
}

/// Thresholds of the SNP retention rate (PROVGEN's `top_metric = "threshold"`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RetentionSettings {
    /// Significance level of the original GWAS.
    pub alpha: f64,
    /// Tolerance: the released GWAS is read at `alpha / tau`.
    pub tau: f64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            tau: 0.8,
        }
    }
}

/// Share of SNPs significant in the original GWAS (`p < alpha`) that are also
/// significant in the released one (`p < alpha / tau`); 0 if none is significant.
pub fn snp_retention(
    original: &[f64],
    released: &[f64],
    settings: RetentionSettings,
) -> Result<f64> {
    if original.len() != released.len() {
        return Err(Error::Mismatch(format!(
            "{} original p-values against {} released",
            original.len(),
            released.len()
        )));
    }
    if !(settings.alpha > 0.0 && settings.alpha < 1.0 && settings.tau > 0.0 && settings.tau <= 1.0)
    {
        return Err(Error::Parameter(format!(
            "retention needs 0 < alpha < 1 and 0 < tau <= 1, got alpha {} and tau {}",
            settings.alpha, settings.tau
        )));
    }
    let relaxed = settings.alpha / settings.tau;
    let (mut significant, mut retained) = (0usize, 0usize);
    for (&p, &q) in original.iter().zip(released) {
        if p < settings.alpha {
            significant += 1;
            retained += usize::from(q < relaxed);
        }
    }
    Ok(if significant == 0 {
        0.0
    } else {
        retained as f64 / significant as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    // Tables worked by hand; with 2 dof the chi-square survival function has the
    // closed form exp(-x / 2), an independent check of the p-value.
    #[test]
    fn genotypic_chi_square_matches_scipy_definition() {
        // [[10, 20, 30], [30, 20, 10]]: every expected count is 20, chi2 = 400 / 20.
        let t = genotypic_chi_square([10, 20, 30], [30, 20, 10]);
        assert!(close(t.statistic, 20.0, 1e-12));
        assert_eq!(t.dof, 2);
        assert!(close(t.p_value, (-10.0f64).exp(), 1e-9));
        // A dropped column leaves 2x2: Yates applies.
        // [[5, 15], [12, 8]]: expected [[8.5, 11.5], [8.5, 11.5]], |O - E| = 3.5 -> 3;
        // chi2 = 9 * (2/8.5 + 2/11.5) = 3.6828644501.
        let t = genotypic_chi_square([5, 15, 0], [12, 8, 0]);
        assert_eq!(t.dof, 1);
        assert!(close(t.statistic, 9.0 * (2.0 / 8.5 + 2.0 / 11.5), 1e-12));
        // One column left: statistic 0, p 1, as scipy.
        let t = genotypic_chi_square([0, 0, 7], [0, 0, 9]);
        assert_eq!((t.statistic, t.dof, t.p_value), (0.0, 0, 1.0));
    }

    #[test]
    fn dominant_odds_ratio_follows_the_published_formula() {
        // case (10, 20, 30) -> 10.5 / 51; control (30, 20, 10) -> 30.5 / 31.
        let t = dominant_odds_ratio([10, 20, 30], [30, 20, 10]);
        let or = (30.5 * 51.0) / (10.5 * 31.0);
        assert!(close(t.odds_ratio, or, 1e-12));
        let se = (1.0 / 51.0 + 1.0 / 10.5 + 1.0 / 31.0 + 1.0 / 30.5f64).sqrt();
        assert!(close(t.z, or.ln() / se, 1e-12));
        // Two-sided: p = erfc(|z| / sqrt 2) is symmetric in the direction of effect.
        let s = dominant_odds_ratio([30, 20, 10], [10, 20, 30]);
        assert!(close(s.p_value, t.p_value, 1e-12));
        assert!(t.p_value > 0.0 && t.p_value < 1e-3);
    }

    #[test]
    fn trend_equals_n_times_squared_correlation() {
        // The Armitage statistic is N r^2 of genotype score against case status.
        let case = [12u64, 25, 9];
        let control = [30u64, 18, 4];
        let t = trend_test(case, control);
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for (g, (&r, &s)) in case.iter().zip(&control).enumerate() {
            for _ in 0..r {
                xs.push(g as f64);
                ys.push(1.0);
            }
            for _ in 0..s {
                xs.push(g as f64);
                ys.push(0.0);
            }
        }
        let n = xs.len() as f64;
        let mx = xs.iter().sum::<f64>() / n;
        let my = ys.iter().sum::<f64>() / n;
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let syy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
        let r2 = sxy * sxy / (sxx * syy);
        assert!(close(t.statistic, n * r2, 1e-12));
    }

    #[test]
    fn split_mode_equals_separate_matrices() -> Result<()> {
        use crate::data::Variant;
        let n = 40;
        let mut all = GenotypeMatrix::new((0..n).map(|i| format!("s{i}")).collect());
        for j in 0..25u64 {
            let calls: Vec<u8> = (0..n as u64)
                .map(|i| ((i * i + j * 7) % 5 % 3) as u8)
                .collect();
            all.push_variant(
                Variant {
                    chrom: "1".into(),
                    pos: j + 1,
                    id: ".".into(),
                    ref_allele: "A".into(),
                    alt_allele: "G".into(),
                },
                &calls,
            );
        }
        let is_case: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let cases: Vec<usize> = (0..n).filter(|&i| is_case[i]).collect();
        let controls: Vec<usize> = (0..n).filter(|&i| !is_case[i]).collect();
        let split = crate::job::unattended(|job| association_tests_split(&all, &is_case, job))?;
        let separate = crate::job::unattended(|job| {
            association_tests(
                &all.select_samples(&cases),
                &all.select_samples(&controls),
                job,
            )
        })?;
        assert_eq!(split.len(), 25);
        for (a, b) in split.iter().zip(&separate) {
            assert_eq!(
                a.allelic.chi_square.statistic.to_bits(),
                b.allelic.chi_square.statistic.to_bits()
            );
            assert_eq!(a.genotypic.p_value.to_bits(), b.genotypic.p_value.to_bits());
        }
        assert!(
            crate::job::unattended(|job| association_tests_split(&all, &[true; 40], job)).is_err()
        );
        Ok(())
    }

    #[test]
    fn allelic_only_entry_point_equals_the_four_test_function() -> Result<()> {
        use crate::data::Variant;
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(21);
        // Sample counts with every remainder mod 4 (padding in the last byte),
        // missing calls, monomorphic SNPs (undefined statistic).
        for n in [5usize, 6, 7, 8, 41] {
            let mut matrix = GenotypeMatrix::new((0..n).map(|i| format!("s{i}")).collect());
            for j in 0..60u64 {
                let f = (j % 6) as f64 / 10.0;
                let calls: Vec<u8> = (0..n)
                    .map(|_| {
                        if rng.random::<f64>() < 0.1 {
                            MISSING
                        } else {
                            u8::from(rng.random::<f64>() < f) + u8::from(rng.random::<f64>() < f)
                        }
                    })
                    .collect();
                let variant = Variant {
                    chrom: "1".into(),
                    pos: j + 1,
                    id: ".".into(),
                    ref_allele: "A".into(),
                    alt_allele: "G".into(),
                };
                matrix.push_variant(variant, &calls);
            }
            let is_case: Vec<bool> = (0..n).map(|i| i % 3 != 1).collect();
            let all =
                crate::job::unattended(|job| association_tests_split(&matrix, &is_case, job))?;
            let fast = crate::job::unattended(|job| allelic_tests_split(&matrix, &is_case, job))?;
            assert_eq!(all.len(), fast.len());
            for (j, (a, b)) in all.iter().zip(&fast).enumerate() {
                let same =
                    |x: f64, y: f64| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
                assert!(
                    same(a.allelic.chi_square.statistic, b.chi_square.statistic)
                        && same(a.allelic.chi_square.p_value, b.chi_square.p_value)
                        && same(a.allelic.odds_ratio, b.odds_ratio),
                    "n {n}, SNP {j}: {:?} vs {b:?}",
                    a.allelic
                );
            }
        }
        let matrix = GenotypeMatrix::new(vec!["a".into(), "b".into()]);
        assert!(crate::job::unattended(|job| allelic_tests_split(&matrix, &[true], job)).is_err());
        Ok(())
    }

    #[test]
    fn allele_fields_cannot_overflow_on_long_rows() {
        // 70,000 samples, all homozygous alt cases: 140,000 alt alleles, more
        // than one 16-bit field holds.
        let n = 70_000;
        let row = vec![0b1010_1010u8; n / 4];
        let nibbles = vec![0x0fu8; n / 4];
        let [case, control] = row_allele_counts(&row, &nibbles, 0);
        assert_eq!(
            case,
            AlleleCounts {
                alt: 140_000,
                reference: 0
            }
        );
        assert_eq!(control, AlleleCounts::default());
    }

    #[test]
    fn retention_uses_alpha_and_relaxed_threshold() -> Result<()> {
        let original = [0.01, 0.04, 0.2, 0.049];
        let released = [0.06, 0.07, 0.01, 0.5];
        // Significant originally: 0, 1, 3; retained at 0.0625: 0 only.
        let r = snp_retention(&original, &released, RetentionSettings::default())?;
        assert!(close(r, 1.0 / 3.0, 1e-15));
        assert_eq!(
            snp_retention(&[0.5], &[0.0], RetentionSettings::default())?,
            0.0
        );
        assert!(snp_retention(&[0.5], &[], RetentionSettings::default()).is_err());
        Ok(())
    }
}
