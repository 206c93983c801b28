//! Release of genotype matrices with the column-wise XOR mechanism of PROVGEN /
//! Lynx.MD (spec `sharing.md`), reproduced faithfully and reported honestly.
//!
//! Pipeline: [`encode`] the private genotypes, calibrate flip rates from a public
//! reference ([`Calibration`]), XOR Bernoulli noise ([`apply_xor_noise`]), restore
//! allele frequencies to a target ([`restore_frequencies`]), decode. Every release
//! reports the nominal budget next to the realised one ([`RealisedEpsilon`]),
//! because the nominal budget only scales the reference-derived parameters.
//!
//! Missing genotypes (the published code has none) are imputed before encoding
//! from the target frequencies under Hardy-Weinberg proportions, with the study's
//! random stream, and counted in [`XorRelease::imputed_calls`].

pub mod calibrate;
pub mod encode;
pub mod grr;
pub mod panel;
pub mod restore;
pub mod xor;

use rand::RngExt;
use rayon::prelude::*;

pub use calibrate::{
    Calibration, FlipRates, NEAR_HALF_THRESHOLD, PARITY_DELTA, RealisedEpsilon, Smoothing,
    diagonal_log_odds, pair_log_odds, realised_epsilon,
};
pub use encode::{BitColumns, decode, encode, encoded_frequencies};
pub use grr::{
    grr_expected_point_error, grr_keep_probability, grr_release, legacy_provgen_ldp_release,
};
pub use panel::{AlignedPanel, align_panel};
pub use restore::{RestorationReport, restoration_counts, restore_frequencies};
pub use xor::{NoiseKey, apply_xor_noise};

use crate::data::{Call, GenotypeMatrix, MISSING, Variant};
use crate::dp::noise::DiscreteLaplace;
use crate::error::{Error, Result};
use crate::job::Job;
use xor::Purpose;

/// Where the restoration targets come from: restoration is free post-processing
/// only if they are public or themselves differentially private (spec §6 flaw 2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TargetSource {
    /// Frequencies of a public reference, allele coding checked by the caller.
    PublicReference,
    /// Frequencies the user declares already published: an unprotected disclosure.
    DeclaredPublished,
    /// Frequencies computed from the private data itself (what the PROVGEN artifact
    /// does): a separate, unprotected disclosure.
    PrivateData,
    /// Frequencies released with their own budget `epsilon`.
    DifferentiallyPrivate { epsilon: f64 },
}

/// Per-SNP restoration targets and their provenance.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetFrequencies {
    pub values: Vec<f64>,
    pub source: TargetSource,
}

impl TargetFrequencies {
    /// The frequency of the counted allele in `matrix` (mean genotype / 2 over
    /// called genotypes), as the published artifact computes its targets.
    pub fn from_private_data(matrix: &GenotypeMatrix) -> Result<Self> {
        let values = allele_frequencies(matrix);
        if let Some(j) = values.iter().position(|f| f.is_nan()) {
            return Err(Error::Parameter(format!(
                "variant {} has no called genotype: no target frequency can be computed",
                matrix
                    .variants()
                    .get(j)
                    .map_or_else(|| j.to_string(), Variant::display_id)
            )));
        }
        Ok(Self {
            values,
            source: TargetSource::PrivateData,
        })
    }
}

impl TargetFrequencies {
    /// Differentially private targets (spec §6 flaw 3, default DP-MAF): exact
    /// discrete Laplace noise on each SNP's counted-allele count `c_j`, then
    /// `f_j = clamp(c_j + noise, 0, 2n) / (2n)`. Under replace-one neighbours a
    /// count moves by at most 2, so the L1 sensitivity over `m` SNPs is `2m` and
    /// the noise scale `2m / epsilon` (the frequency scale `m / (n * epsilon)` of
    /// the spec). The release's total budget is `epsilon_real + epsilon` (basic
    /// composition).
    ///
    /// Missing calls are refused: the denominator `2n` must not depend on the
    /// private missingness pattern, and counting only called alleles over `2n`
    /// would bias every frequency down by its missing rate. Impute or filter
    /// first (the release's own imputation needs these targets, so it cannot).
    pub fn differentially_private(
        matrix: &GenotypeMatrix,
        epsilon: f64,
        key: &NoiseKey,
    ) -> Result<Self> {
        if !epsilon.is_finite() || epsilon <= 0.0 {
            return Err(Error::Parameter(format!(
                "the frequency budget must be finite and > 0, got {epsilon}"
            )));
        }
        let (n, m) = (matrix.n_samples(), matrix.n_variants());
        if n == 0 || m == 0 {
            return Err(Error::Parameter(
                "differentially private frequencies need at least one sample and one variant"
                    .into(),
            ));
        }
        if let Some(j) = (0..m).find(|&j| matrix.call_counts(j).missing > 0) {
            let missing = matrix.call_counts(j).missing;
            return Err(Error::Parameter(format!(
                "variant {} has {missing} missing call(s): differentially private frequencies \
                 need complete genotypes: restore toward a public reference's frequencies \
                 instead, or impute or filter missing calls first",
                matrix
                    .variants()
                    .get(j)
                    .map_or_else(|| j.to_string(), Variant::display_id)
            )));
        }
        let noise = DiscreteLaplace::new(2.0 * m as f64 / epsilon)?;
        let mut rng = key.stream(Purpose::TargetNoise, 0);
        let alleles = 2 * n as i64;
        let values = (0..m)
            .map(|j| {
                let count = matrix.call_counts(j).alt_alleles() as i64;
                let noisy = count.saturating_add(noise.sample(&mut rng)?);
                Ok(noisy.clamp(0, alleles) as f64 / alleles as f64)
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            values,
            source: TargetSource::DifferentiallyPrivate { epsilon },
        })
    }
}

/// A released matrix and everything that must be shown next to it.
#[derive(Clone, Debug)]
pub struct XorRelease {
    pub released: GenotypeMatrix,
    /// The budget the flip rates were scaled to (0 for the coin-flip control).
    pub nominal_epsilon: f64,
    /// The guarantee the noise really gives (spec §4.3).
    pub realised: RealisedEpsilon,
    /// Flip probability per bit column.
    pub flip_probabilities: Vec<f64>,
    pub target_source: TargetSource,
    pub restoration: RestorationReport,
    /// Missing private calls imputed before encoding.
    pub imputed_calls: u64,
    /// The study seed, `None` when the noise came from the OS CSPRNG.
    pub seed: Option<u64>,
}

/// Checks that two matrices describe the same SNPs in the same order with the
/// same counted allele (spec §6 flaw 6).
pub fn check_same_variants(a: &[Variant], b: &[Variant], what: &str) -> Result<()> {
    if a.len() != b.len() {
        return Err(Error::Mismatch(format!(
            "{what}: {} variants against {}",
            a.len(),
            b.len()
        )));
    }
    for (j, (x, y)) in a.iter().zip(b).enumerate() {
        if (&x.chrom, x.pos, &x.ref_allele, &x.alt_allele)
            != (&y.chrom, y.pos, &y.ref_allele, &y.alt_allele)
        {
            return Err(Error::Mismatch(format!(
                "{what}: variant {} is {}:{} {}>{} in one and {}:{} {}>{} in the other \
                 (same SNPs, order and counted allele are required)",
                j + 1,
                x.chrom,
                x.pos,
                x.ref_allele,
                x.alt_allele,
                y.chrom,
                y.pos,
                y.ref_allele,
                y.alt_allele
            )));
        }
    }
    Ok(())
}

/// Calibrates flip rates from a public reference panel in parity mode (no
/// missing calls allowed: the pair counts need complete genotypes).
pub fn calibrate(reference: &GenotypeMatrix, job: Job<'_>) -> Result<Calibration> {
    calibrate_with(reference, Smoothing::Parity, job)
}

/// As [`calibrate`], with the given treatment of zero cells.
pub fn calibrate_with(
    reference: &GenotypeMatrix,
    smoothing: Smoothing,
    job: Job<'_>,
) -> Result<Calibration> {
    let bits = encode(reference).map_err(|e| match e {
        Error::Parameter(msg) => Error::Parameter(format!("reference panel: {msg}")),
        other => other,
    })?;
    Calibration::from_reference_with(&bits, reference.variants().to_vec(), smoothing, job)
}

/// Replaces missing calls by draws from Hardy-Weinberg proportions at the target
/// frequency of their SNP; returns the completed matrix and the number imputed.
pub fn impute_missing_hwe(
    matrix: &GenotypeMatrix,
    target: &[f64],
    key: &NoiseKey,
    job: Job<'_>,
) -> Result<(GenotypeMatrix, u64)> {
    if target.len() != matrix.n_variants() {
        return Err(Error::Mismatch(format!(
            "{} target frequencies for {} variants",
            target.len(),
            matrix.n_variants()
        )));
    }
    job.checkpoint("imputing missing calls", None)?;
    let mut out = matrix.clone();
    let mut imputed = 0u64;
    let mut calls: Vec<Call> = Vec::with_capacity(matrix.n_samples());
    for (j, &t) in target.iter().enumerate() {
        if matrix.call_counts(j).missing == 0 {
            continue;
        }
        let mut rng = key.stream(Purpose::Imputation, j);
        let (p0, p1) = ((1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t));
        matrix.unpack_into(j, &mut calls);
        for (i, &g) in calls.iter().enumerate() {
            if g == MISSING {
                let u = rng.random::<f64>();
                out.set(j, i, u8::from(u >= p0) + u8::from(u >= p0 + p1));
                imputed += 1;
            }
        }
    }
    Ok((out, imputed))
}

/// Releases `private` with the given flip rates (calibrated or the coin-flip
/// control), then restores allele frequencies to `target`.
pub fn release_xor(
    private: &GenotypeMatrix,
    rates: &FlipRates,
    target: &TargetFrequencies,
    key: &NoiseKey,
    job: Job<'_>,
) -> Result<XorRelease> {
    let m = private.n_variants();
    if private.n_samples() == 0 || m == 0 {
        return Err(Error::Parameter(
            "nothing to release: the private matrix has no samples or no variants".into(),
        ));
    }
    check_same_variants(
        private.variants(),
        &rates.variants,
        "private data and reference panel",
    )?;
    let (complete, imputed_calls) = impute_missing_hwe(private, &target.values, key, job)?;
    let mut bits = encode(&complete)?;
    apply_xor_noise(&mut bits, &rates.p, key, job)?;
    let restoration = restore_frequencies(&mut bits, &target.values, key, job)?;
    let released = decode(
        &bits,
        private.samples().to_vec(),
        private.variants().to_vec(),
    )?;
    Ok(XorRelease {
        released,
        nominal_epsilon: rates.nominal_epsilon,
        realised: rates.realised_epsilon(),
        flip_probabilities: rates.p.clone(),
        target_source: target.source,
        restoration,
        imputed_calls,
        seed: key.seed(),
    })
}

/// Frequency of the counted allele per SNP (mean genotype / 2 over called
/// genotypes; NaN where nothing is called).
pub fn allele_frequencies(matrix: &GenotypeMatrix) -> Vec<f64> {
    (0..matrix.n_variants())
        .into_par_iter()
        .map(|j| {
            let c = matrix.call_counts(j);
            match c.called() {
                0 => f64::NAN,
                called => c.alt_alleles() as f64 / (2 * called) as f64,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job;
    use crate::sharing::encode::tests::matrix_from_rows;

    #[test]
    fn imputes_missing_calls_from_hwe_and_counts_them() -> Result<()> {
        let n = 2000;
        let mut g = GenotypeMatrix::new((0..n).map(|i| format!("s{i}")).collect());
        let variant = |pos| Variant {
            chrom: "1".into(),
            pos,
            id: ".".into(),
            ref_allele: "A".into(),
            alt_allele: "T".into(),
        };
        g.push_variant(variant(1), &vec![MISSING; n]);
        g.push_variant(variant(2), &vec![1; n]);
        let (out, imputed) = job::unattended(|job| {
            impute_missing_hwe(&g, &[0.3, 0.5], &NoiseKey::from_seed(2), job)
        })?;
        assert_eq!(imputed, n as u64);
        let c = out.call_counts(0);
        assert_eq!(c.missing, 0);
        // HWE at t = 0.3: 0.49 / 0.42 / 0.09, sd of a share < 0.012.
        let share = |x: u64| x as f64 / n as f64;
        assert!((share(c.hom_ref) - 0.49).abs() < 0.04);
        assert!((share(c.het) - 0.42).abs() < 0.04);
        assert!((share(c.hom_alt) - 0.09).abs() < 0.03);
        assert_eq!(out.call_counts(1).het, n as u64);
        Ok(())
    }

    #[test]
    fn dp_targets_have_discrete_laplace_noise_of_the_right_scale() -> Result<()> {
        // m = 2000 SNPs, n = 400: count scale t = 2m / eps = 40 at eps = 100, i.e.
        // a frequency scale of 40 / 800 = 0.05; counts sit at 400 of 800, so
        // clamping never happens in practice.
        let (n, m) = (400, 2000);
        let rows: Vec<Vec<u8>> = (0..n)
            .map(|i| (0..m).map(|j| ((i + j) % 2) as u8).collect())
            .collect();
        let refs: Vec<&[u8]> = rows.iter().map(Vec::as_slice).collect();
        let g = matrix_from_rows(&refs);
        let exact = TargetFrequencies::from_private_data(&g)?;
        let noisy = TargetFrequencies::differentially_private(&g, 100.0, &NoiseKey::from_seed(8))?;
        assert_eq!(
            noisy.source,
            TargetSource::DifferentiallyPrivate { epsilon: 100.0 }
        );
        let alleles = 2.0 * n as f64;
        let noise: Vec<f64> = noisy
            .values
            .iter()
            .zip(&exact.values)
            .map(|(a, b)| (a - b) * alleles)
            .collect();
        // The noise is on counts: every value is a whole number of alleles.
        assert!(noise.iter().all(|z| (z - z.round()).abs() < 1e-6));
        // E|Z| = 2q / (1 - q²) and Var Z = 2q / (1 - q)² with q = exp(-1/t).
        let q = (-1.0f64 / 40.0).exp();
        let expected_abs = 2.0 * q / (1.0 - q * q);
        let variance = 2.0 * q / ((1.0 - q) * (1.0 - q));
        let mean_abs = noise.iter().map(|z| z.abs()).sum::<f64>() / m as f64;
        let sd_abs = ((variance - expected_abs * expected_abs) / m as f64).sqrt();
        assert!(
            (mean_abs - expected_abs).abs() < 4.0 * sd_abs,
            "{mean_abs} vs {expected_abs}"
        );
        let mean = noise.iter().sum::<f64>() / m as f64;
        assert!(mean.abs() < 4.0 * (variance / m as f64).sqrt(), "{mean}");
        assert!(noisy.values.iter().all(|f| (0.0..=1.0).contains(f)));
        // A tiny budget saturates at the bounds rather than leaving [0, 1].
        let wild = TargetFrequencies::differentially_private(&g, 0.01, &NoiseKey::from_seed(9))?;
        assert!(wild.values.iter().any(|&f| f == 0.0 || f == 1.0));
        assert!(wild.values.iter().all(|f| (0.0..=1.0).contains(f)));
        Ok(())
    }

    #[test]
    fn dp_targets_refuse_missing_calls() {
        let mut g = matrix_from_rows(&[&[0, 1], &[2, 1]]);
        g.set(1, 0, MISSING);
        let Err(Error::Parameter(msg)) =
            TargetFrequencies::differentially_private(&g, 1.0, &NoiseKey::from_seed(1))
        else {
            panic!("missing call accepted");
        };
        assert!(msg.contains("missing") && msg.contains("impute"), "{msg}");
    }

    #[test]
    fn refuses_mismatched_variants() {
        let a = matrix_from_rows(&[&[0, 1]]);
        let mut b = a.clone();
        b.variants_mut()[1].alt_allele = "T".into();
        let Err(Error::Mismatch(msg)) = check_same_variants(a.variants(), b.variants(), "x") else {
            panic!("allele swap accepted");
        };
        assert!(msg.contains("variant 2"), "{msg}");
    }

    #[test]
    fn coin_flip_release_keeps_target_frequencies() -> Result<()> {
        let rows: Vec<Vec<u8>> = (0..50)
            .map(|i| (0..30).map(|j| ((i * 7 + j * 3) % 5 % 3) as u8).collect())
            .collect();
        let refs: Vec<&[u8]> = rows.iter().map(Vec::as_slice).collect();
        let g = matrix_from_rows(&refs);
        let target = TargetFrequencies::from_private_data(&g)?;
        let out = job::unattended(|job| {
            release_xor(
                &g,
                &FlipRates::coin_flip(g.variants()),
                &target,
                &NoiseKey::from_seed(4),
                job,
            )
        })?;
        assert_eq!(out.seed, Some(4));
        assert_eq!(out.realised.total, 0.0);
        assert_eq!(out.realised.near_half_share, 1.0);
        for (f, t) in allele_frequencies(&out.released).iter().zip(&target.values) {
            assert!((f - t).abs() * 100.0 < 1.0);
        }
        Ok(())
    }
}
