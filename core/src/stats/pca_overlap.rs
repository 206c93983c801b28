//! Whether two cohorts occupy the same place in a reference cohort's principal
//! components (synthesis spec §7, "PCA"): the components are fitted on the
//! reference alone, both cohorts are projected on them, and each component's two
//! score distributions are compared by the two-sample Kolmogorov-Smirnov distance
//! and the 1-Wasserstein distance in units of the first cohort's spread.
//!
//! Both compared cohorts must be *out of sample* (neither was used to fit the
//! components): the fitted people's own scores are inflated on every component
//! that carries little real structure (with n people and M SNPs a noise
//! component's fitted scores have a variance near M·λ/n, a new person's near 1),
//! so comparing fitted scores with projected ones would find a difference even
//! between two samples of one population.

use serde::{Deserialize, Serialize};

use super::pca::{pca, standardised_codes};
use crate::data::{GenotypeMatrix, MISSING};
use crate::error::{Error, Result};
use crate::job::Job;

/// Components fitted on a reference cohort, with the SNP loadings that project
/// any cohort on the same SNPs onto them.
#[derive(Clone, Debug, PartialEq)]
pub struct PcaProjector {
    /// Variant indices (into the reference) the components use: polymorphic in it.
    variants: Vec<usize>,
    /// Per used variant: standardised value of genotype 0, 1, 2 and missing.
    codes: Vec<[f64; 4]>,
    /// `loadings[c][k]`: unit-length weight of used variant k on component c.
    loadings: Vec<Vec<f64>>,
    /// Eigenvalues of the reference's relationship matrix (largest first).
    pub eigenvalues: Vec<f64>,
    /// Each component's share of the reference's total variance.
    pub explained: Vec<f64>,
    n_variants: usize,
}

impl PcaProjector {
    /// The top `components` of `reference` (plink's variance-standardised
    /// relationship matrix, as [`pca`]); loadings w_c = Zᵀu_c / √(M·λ_c), the
    /// unit SNP-space direction whose scores on the reference are √(M·λ_c)·u_c.
    pub fn fit(reference: &GenotypeMatrix, components: usize, job: Job<'_>) -> Result<Self> {
        let mut fitted = pca(reference, components, job)?;
        // A component with no variance (fewer people than components can fill)
        // has no direction to project on.
        let largest = fitted.eigenvalues.first().copied().unwrap_or(0.0);
        let kept = fitted
            .eigenvalues
            .iter()
            .take_while(|&&l| l > 1e-9 * largest)
            .count();
        if kept == 0 {
            return Err(Error::Parameter(
                "the reference cohort has no variance to fit principal components on".into(),
            ));
        }
        fitted.eigenvalues.truncate(kept);
        fitted.eigenvectors.truncate(kept);
        fitted.explained.truncate(kept);
        let mut variants = Vec::with_capacity(fitted.n_variants_used);
        let mut codes = Vec::with_capacity(fitted.n_variants_used);
        for j in 0..reference.n_variants() {
            if let Some(table) = standardised_codes(reference, j) {
                variants.push(j);
                codes.push(table);
            }
        }
        let m = variants.len() as f64;
        let mut loadings = vec![vec![0.0; variants.len()]; fitted.eigenvectors.len()];
        for (k, (&j, table)) in variants.iter().zip(&codes).enumerate() {
            if k % 4096 == 0 {
                job.checkpoint("Principal components: loadings", None)?;
            }
            let z: Vec<f64> = reference.calls(j).map(|g| table[code(g)]).collect();
            for ((weights, u), &lambda) in loadings
                .iter_mut()
                .zip(&fitted.eigenvectors)
                .zip(&fitted.eigenvalues)
            {
                let scale = (m * lambda).sqrt();
                if let Some(w) = weights.get_mut(k) {
                    *w = z.iter().zip(u).map(|(a, b)| a * b).sum::<f64>() / scale;
                }
            }
        }
        Ok(Self {
            variants,
            codes,
            loadings,
            eigenvalues: fitted.eigenvalues,
            explained: fitted.explained,
            n_variants: reference.n_variants(),
        })
    }

    pub fn n_components(&self) -> usize {
        self.loadings.len()
    }

    /// Polymorphic reference SNPs the components use.
    pub fn n_variants_used(&self) -> usize {
        self.variants.len()
    }

    /// Scores of every person of `cohort` (same SNPs, same order as the
    /// reference), standardised with the reference's frequencies; a missing
    /// call counts as the reference mean. `scores[c][i]`: person i on component c.
    pub fn project(&self, cohort: &GenotypeMatrix, job: Job<'_>) -> Result<Vec<Vec<f64>>> {
        if cohort.n_variants() != self.n_variants {
            return Err(Error::Mismatch(format!(
                "the principal components were fitted on {} SNPs but the cohort to project \
                 has {}",
                self.n_variants,
                cohort.n_variants()
            )));
        }
        let mut scores = vec![vec![0.0; cohort.n_samples()]; self.loadings.len()];
        let mut calls = Vec::new();
        for (k, (&j, table)) in self.variants.iter().zip(&self.codes).enumerate() {
            if k % 4096 == 0 {
                job.checkpoint("Principal components: projection", None)?;
            }
            cohort.unpack_into(j, &mut calls);
            for (component, weights) in scores.iter_mut().zip(&self.loadings) {
                let w = weights.get(k).copied().unwrap_or(0.0);
                for (score, &g) in component.iter_mut().zip(&calls) {
                    *score += w * table[code(g)];
                }
            }
        }
        Ok(scores)
    }
}

fn code(call: u8) -> usize {
    if call == MISSING {
        3
    } else {
        usize::from(call.min(2))
    }
}

/// How far apart two score distributions are on one component.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentOverlap {
    /// 1-based component number.
    pub component: usize,
    /// The component's share of the reference's variance.
    pub explained: f64,
    /// Two-sample Kolmogorov-Smirnov distance: the largest gap between the two
    /// cumulative distributions (0 identical, 1 disjoint).
    pub ks_distance: f64,
    /// Its asymptotic p-value (Kolmogorov distribution with Stephens' small-sample
    /// correction): small when sampling alone does not explain the gap.
    pub ks_p_value: f64,
    /// 1-Wasserstein distance (mean shift needed to turn one distribution into the
    /// other) divided by the first cohort's standard deviation on the component.
    pub wasserstein_in_sd: f64,
}

/// Two cohorts compared on a reference's top principal components.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PcaOverlap {
    /// People the components were fitted on, and the SNPs used.
    pub n_fitted: usize,
    pub n_variants_used: usize,
    pub n_first: usize,
    pub n_second: usize,
    pub components: Vec<ComponentOverlap>,
    /// 1 − the largest KS distance over the components: the overlap on the
    /// component where the two cohorts differ most (1 = the same distribution on
    /// every component).
    pub overlap: f64,
    /// Components whose KS p-value is below 0.05 / components (Bonferroni): the
    /// ones where the difference is more than sampling explains.
    pub components_differing: usize,
    /// Scores on components 1 and 2 for a scatter (empty with one component).
    pub first_scatter: Vec<[f64; 2]>,
    pub second_scatter: Vec<[f64; 2]>,
}

/// How the components are fitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcaOverlapSettings {
    /// Components compared (the spec's 10), fewer if the reference is small.
    pub components: usize,
    /// The relationship matrix costs n²·M: at most this many reference people
    /// (evenly spaced) fit the components; structure shows in far fewer.
    pub max_fit_samples: usize,
    /// At most this many evenly spaced SNPs (spacing also thins out LD).
    pub max_fit_variants: usize,
}

impl Default for PcaOverlapSettings {
    fn default() -> Self {
        Self {
            components: 10,
            max_fit_samples: 1000,
            max_fit_variants: 10_000,
        }
    }
}

/// Fits the components on `reference` and compares `first` with `second` on
/// them; neither may contain reference people (see the module comment).
pub fn pca_overlap(
    reference: &GenotypeMatrix,
    first: &GenotypeMatrix,
    second: &GenotypeMatrix,
    settings: PcaOverlapSettings,
    job: Job<'_>,
) -> Result<PcaOverlap> {
    if first.n_samples() < 2 || second.n_samples() < 2 {
        return Err(Error::Parameter(format!(
            "comparing principal-component scores needs at least 2 people on each side, got \
             {} and {}",
            first.n_samples(),
            second.n_samples()
        )));
    }
    let rows = evenly_spaced(reference.n_samples(), settings.max_fit_samples);
    let columns = evenly_spaced(reference.n_variants(), settings.max_fit_variants);
    let fit_set = reference.select_samples(&rows).select_variants(&columns);
    let components = settings.components.min(rows.len().saturating_sub(1));
    let projector = PcaProjector::fit(&fit_set, components, job)?;
    let a = projector.project(&first.select_variants(&columns), job)?;
    let b = projector.project(&second.select_variants(&columns), job)?;
    let mut compared = Vec::with_capacity(components);
    for (c, (x, y)) in a.iter().zip(&b).enumerate() {
        let (ks_distance, ks_p_value) = kolmogorov_smirnov(x, y);
        let spread = standard_deviation(x);
        compared.push(ComponentOverlap {
            component: c + 1,
            explained: projector.explained.get(c).copied().unwrap_or(f64::NAN),
            ks_distance,
            ks_p_value,
            wasserstein_in_sd: if spread > 0.0 {
                wasserstein_1(x, y) / spread
            } else {
                f64::NAN
            },
        });
    }
    let worst = compared.iter().map(|c| c.ks_distance).fold(0.0, f64::max);
    let threshold = 0.05 / compared.len().max(1) as f64;
    let scatter = |scores: &[Vec<f64>]| -> Vec<[f64; 2]> {
        match (scores.first(), scores.get(1)) {
            (Some(pc1), Some(pc2)) => pc1.iter().zip(pc2).map(|(&u, &v)| [u, v]).collect(),
            _ => Vec::new(),
        }
    };
    Ok(PcaOverlap {
        n_fitted: rows.len(),
        n_variants_used: projector.n_variants_used(),
        n_first: first.n_samples(),
        n_second: second.n_samples(),
        overlap: 1.0 - worst,
        components_differing: compared.iter().filter(|c| c.ks_p_value < threshold).count(),
        components: compared,
        first_scatter: scatter(&a),
        second_scatter: scatter(&b),
    })
}

/// At most `max` indices of 0..n, evenly spaced (all of them when n ≤ max).
fn evenly_spaced(n: usize, max: usize) -> Vec<usize> {
    if n <= max || max == 0 {
        return (0..n).collect();
    }
    (0..max).map(|k| k * n / max).collect()
}

fn standard_deviation(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    if x.len() < 2 {
        return 0.0;
    }
    let mean = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

fn sorted(x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Two-sample KS distance sup |F_x − F_y| and its asymptotic p-value.
pub fn kolmogorov_smirnov(x: &[f64], y: &[f64]) -> (f64, f64) {
    let (a, b) = (sorted(x), sorted(y));
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (mut i, mut k, mut distance) = (0usize, 0usize, 0.0f64);
    while i < n && k < m {
        // Step past every value equal to the smallest remaining one, in both.
        let v = a[i].min(b[k]);
        while i < n && a[i] <= v {
            i += 1;
        }
        while k < m && b[k] <= v {
            k += 1;
        }
        distance = distance.max((i as f64 / n as f64 - k as f64 / m as f64).abs());
    }
    let effective = (n * m) as f64 / (n + m) as f64;
    let root = effective.sqrt();
    let lambda = (root + 0.12 + 0.11 / root) * distance;
    (distance, kolmogorov_survival(lambda))
}

/// P(K > λ) for the Kolmogorov distribution: 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}.
pub fn kolmogorov_survival(lambda: f64) -> f64 {
    if lambda < 0.2 {
        // The series converges slowly here and the value is 1 to 15 digits.
        return 1.0;
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let k = f64::from(k);
        let term = (-2.0 * k * k * lambda * lambda).exp();
        sum += if k % 2.0 == 1.0 { term } else { -term };
        if term < 1e-16 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// 1-Wasserstein distance of two empirical distributions: ∫ |F_x − F_y|.
pub fn wasserstein_1(x: &[f64], y: &[f64]) -> f64 {
    let (a, b) = (sorted(x), sorted(y));
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return f64::NAN;
    }
    let mut points: Vec<f64> = a.iter().chain(&b).copied().collect();
    points.sort_by(f64::total_cmp);
    let (mut i, mut k, mut total) = (0usize, 0usize, 0.0);
    for pair in points.windows(2) {
        let (left, right) = (pair[0], pair[1]);
        while i < n && a[i] <= left {
            i += 1;
        }
        while k < m && b[k] <= left {
            k += 1;
        }
        total += (i as f64 / n as f64 - k as f64 / m as f64).abs() * (right - left);
    }
    total
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::data::Variant;
    use crate::job::unattended;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Kolmogorov's distribution at its published critical values: 1.358 at 5 %,
    /// 1.628 at 1 %, 1.224 at 10 %.
    #[test]
    fn kolmogorov_tail_matches_the_critical_values() {
        assert!((kolmogorov_survival(1.358) - 0.05).abs() < 5e-4);
        assert!((kolmogorov_survival(1.628) - 0.01).abs() < 2e-4);
        assert!((kolmogorov_survival(1.224) - 0.10).abs() < 5e-4);
        assert_eq!(kolmogorov_survival(0.1), 1.0);
    }

    #[test]
    fn ks_and_wasserstein_on_hand_checked_samples() {
        // Disjoint samples: KS distance 1; W1 of a shift by c is c.
        let x = [0.0, 1.0, 2.0, 3.0];
        let y: Vec<f64> = x.iter().map(|v| v + 10.0).collect();
        assert_eq!(kolmogorov_smirnov(&x, &y).0, 1.0);
        assert!((wasserstein_1(&x, &y) - 10.0).abs() < 1e-12);
        // Equal sizes: W1 = mean |sorted difference| = (1 + 1 + 1 + 2) / 4.
        let u = [3.0, 0.0, 2.0, 5.0];
        let v = [1.0, 1.0, 2.0, 3.0];
        assert!((wasserstein_1(&u, &v) - 1.25).abs() < 1e-12);
        // F_u − F_v is 1/4 at 0 and −1/4 at 1, 2 and 3.
        assert!((kolmogorov_smirnov(&u, &v).0 - 0.25).abs() < 1e-12);
        // Unequal sizes, ties across samples: F_p(1) = 1/2, F_q(1) = 1/3, both 1 at 2.
        let p = [1.0, 1.0, 2.0, 2.0];
        let q = [1.0, 2.0, 2.0];
        assert!((kolmogorov_smirnov(&p, &q).0 - (0.5 - 1.0 / 3.0)).abs() < 1e-12);
        // ∫|F_p − F_q| = (1/2 − 1/3) over [1, 2).
        assert!((wasserstein_1(&p, &q) - (0.5 - 1.0 / 3.0)).abs() < 1e-12);
    }

    /// `n` people from two populations (share `share_b` from B); SNP j has alt
    /// frequency `freq_a[j]` in A and `freq_b[j]` in B, Hardy-Weinberg within each.
    fn mixture(
        n: usize,
        share_b: f64,
        freq_a: &[f64],
        freq_b: &[f64],
        rng: &mut ChaCha8Rng,
    ) -> GenotypeMatrix {
        let from_b: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < share_b).collect();
        let mut m = GenotypeMatrix::new((0..n).map(|i| format!("s{i}")).collect());
        for (j, (&pa, &pb)) in freq_a.iter().zip(freq_b).enumerate() {
            let calls: Vec<u8> = from_b
                .iter()
                .map(|&b| {
                    let p = if b { pb } else { pa };
                    u8::from(rng.random::<f64>() < p) + u8::from(rng.random::<f64>() < p)
                })
                .collect();
            let variant = Variant {
                chrom: "1".into(),
                pos: j as u64 + 1,
                id: format!("v{j}"),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            };
            m.push_variant(variant, &calls);
        }
        m
    }

    fn populations(n_snps: usize, rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<f64>) {
        let a: Vec<f64> = (0..n_snps)
            .map(|_| 0.1 + 0.8 * rng.random::<f64>())
            .collect();
        let b = a
            .iter()
            .map(|&p| {
                let shifted = if rng.random::<bool>() {
                    p + 0.2
                } else {
                    p - 0.2
                };
                shifted.clamp(0.02, 0.98)
            })
            .collect();
        (a, b)
    }

    #[test]
    fn same_population_overlaps_and_a_shifted_mixture_does_not() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (a, b) = populations(400, &mut rng);
        let reference = mixture(300, 0.5, &a, &b, &mut rng);
        let first = mixture(300, 0.5, &a, &b, &mut rng);
        let same = mixture(300, 0.5, &a, &b, &mut rng);
        let shifted = mixture(300, 0.9, &a, &b, &mut rng);
        let settings = PcaOverlapSettings::default();
        let alike =
            unattended(|job| pca_overlap(&reference, &first, &same, settings, job)).unwrap();
        let unlike =
            unattended(|job| pca_overlap(&reference, &first, &shifted, settings, job)).unwrap();
        assert_eq!(alike.components.len(), 10);
        assert_eq!(alike.n_variants_used, 400);
        // Ten KS distances of two 300-person samples of one distribution: each
        // at most ~0.11 at 5 %, the largest rarely above 0.15.
        assert!(alike.overlap > 0.83, "{alike:?}");
        assert_eq!(alike.components_differing, 0, "{alike:?}");
        // 90 % instead of 50 % from B: PC1 (the population axis) puts 40 % of the
        // people on the other side of the gap.
        let pc1 = unlike.components[0];
        assert!(unlike.overlap < 0.7, "{unlike:?}");
        assert!(pc1.ks_distance > 0.3 && pc1.ks_p_value < 1e-6, "{pc1:?}");
        assert!(pc1.wasserstein_in_sd > 0.5, "{pc1:?}");
        assert!(unlike.components_differing >= 1);
        assert_eq!(unlike.first_scatter.len(), 300);
    }

    /// The loadings reproduce the fitted people's own scores: projecting the
    /// reference gives √(M·λ_c)·u_c, the eigenvectors of the relationship matrix
    /// (an identity between two different computations).
    #[test]
    fn projecting_the_reference_gives_its_scaled_eigenvectors() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (a, b) = populations(200, &mut rng);
        let reference = mixture(80, 0.3, &a, &b, &mut rng);
        let projector = unattended(|job| PcaProjector::fit(&reference, 3, job)).unwrap();
        let fitted = unattended(|job| pca(&reference, 3, job)).unwrap();
        let scores = unattended(|job| projector.project(&reference, job)).unwrap();
        let m = projector.n_variants_used() as f64;
        assert_eq!(scores.len(), 3);
        for (c, ((component, eigenvector), lambda)) in scores
            .iter()
            .zip(&fitted.eigenvectors)
            .zip(&fitted.eigenvalues)
            .enumerate()
        {
            let scale = (m * lambda).sqrt();
            for (s, u) in component.iter().zip(eigenvector) {
                assert!((s - scale * u).abs() < 1e-6 * scale, "component {c}");
            }
        }
        let other = mixture(10, 0.3, &a, &b, &mut rng).select_variants(&[0, 1]);
        assert!(unattended(|job| projector.project(&other, job)).is_err());
    }
}
