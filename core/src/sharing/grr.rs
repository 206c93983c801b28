//! Baselines: per-SNP generalised randomized response over {0, 1, 2} done
//! correctly, and PROVGEN's miscalibrated "LDP" kept only to match its tables
//! (spec §7).

use rand::RngExt;
use rayon::prelude::*;

use super::xor::{NoiseKey, Purpose};
use crate::data::{Call, GenotypeMatrix, MISSING, Variant};
use crate::error::{Error, Result};
use crate::job::Job;

/// Probability that GRR with `k = 3` reports the true genotype:
/// `e^eps / (e^eps + 2)`, written to stay finite for large budgets.
pub fn grr_keep_probability(epsilon_per_snp: f64) -> f64 {
    1.0 / (1.0 + 2.0 * (-epsilon_per_snp).exp())
}

/// Expected point error of GRR: `2 / (e^eps + 2)`.
pub fn grr_expected_point_error(epsilon_per_snp: f64) -> f64 {
    1.0 - grr_keep_probability(epsilon_per_snp)
}

/// Per-SNP GRR with budget `epsilon_per_snp` (per-individual budget `m` times it):
/// each genotype is kept with [`grr_keep_probability`], otherwise replaced by one
/// of the two other genotypes, each with probability `1 / (e^eps + 2)`.
pub fn grr_release(
    matrix: &GenotypeMatrix,
    epsilon_per_snp: f64,
    key: &NoiseKey,
    job: Job<'_>,
) -> Result<GenotypeMatrix> {
    if !epsilon_per_snp.is_finite() || epsilon_per_snp < 0.0 {
        return Err(Error::Parameter(format!(
            "per-SNP epsilon must be a finite number >= 0, got {epsilon_per_snp}"
        )));
    }
    let keep = grr_keep_probability(epsilon_per_snp);
    perturb_each_call(matrix, key, job, "randomized response", |rng, g| {
        if rng.random::<f64>() < keep {
            g
        } else {
            // One of the two other genotypes, uniformly.
            (g + 1 + u8::from(rng.random::<bool>())) % 3
        }
    })
}

/// **Legacy, miscalibrated**: PROVGEN's `generate_ldp_dataset`, for matching its
/// published tables only. It replaces each genotype, with probability
/// `q = e^(eps/m) / (e^(eps/m) + 2)` (GRR's *keep* probability used as a
/// *replace* probability), by a uniform draw from {0, 1, 2}. Its real per-genotype
/// budget is `ln 7` whatever `eps` is; never offer it as a privacy mechanism.
pub fn legacy_provgen_ldp_release(
    matrix: &GenotypeMatrix,
    epsilon_per_snp: f64,
    key: &NoiseKey,
    job: Job<'_>,
) -> Result<GenotypeMatrix> {
    if !epsilon_per_snp.is_finite() || epsilon_per_snp < 0.0 {
        return Err(Error::Parameter(format!(
            "epsilon must be a finite number >= 0, got {epsilon_per_snp}"
        )));
    }
    let replace = grr_keep_probability(epsilon_per_snp / matrix.n_variants().max(1) as f64);
    perturb_each_call(matrix, key, job, "legacy LDP", |rng, g| {
        if rng.random::<f64>() < replace {
            rng.random_range(0..3u8)
        } else {
            g
        }
    })
}

fn perturb_each_call<F>(
    matrix: &GenotypeMatrix,
    key: &NoiseKey,
    job: Job<'_>,
    stage: &str,
    perturb: F,
) -> Result<GenotypeMatrix>
where
    F: Fn(&mut rand_chacha::ChaCha20Rng, Call) -> Call + Sync,
{
    let m = matrix.n_variants();
    job.checkpoint(stage, Some(0.0))?;
    let rows: Vec<Result<Vec<Call>>> = (0..m)
        .into_par_iter()
        .map(|j| {
            job.check_cancelled()?;
            let mut rng = key.stream(Purpose::RandomizedResponse, j);
            matrix
                .calls(j)
                .enumerate()
                .map(|(i, g)| {
                    if g == MISSING {
                        Err(missing_call_error(matrix, i, j))
                    } else {
                        Ok(perturb(&mut rng, g))
                    }
                })
                .collect()
        })
        .collect();
    let mut out = GenotypeMatrix::new(matrix.samples().to_vec());
    out.reserve_variants(m);
    for (variant, calls) in matrix.variants().iter().zip(rows) {
        out.push_variant(variant.clone(), &calls?);
    }
    job.checkpoint(stage, Some(1.0))?;
    Ok(out)
}

pub(crate) fn missing_call_error(matrix: &GenotypeMatrix, sample: usize, variant: usize) -> Error {
    Error::Parameter(format!(
        "sample {} has a missing call at variant {}: impute or exclude missing calls first",
        matrix.samples().get(sample).map_or("?", String::as_str),
        matrix
            .variants()
            .get(variant)
            .map_or_else(|| variant.to_string(), Variant::display_id),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job;
    use crate::utility::point_error;

    fn uniform_matrix(n: usize, m: usize) -> GenotypeMatrix {
        let mut g = GenotypeMatrix::new((0..n).map(|i| format!("s{i}")).collect());
        for j in 0..m {
            let calls: Vec<u8> = (0..n).map(|i| ((i + j) % 3) as u8).collect();
            g.push_variant(
                Variant {
                    chrom: "1".into(),
                    pos: j as u64 + 1,
                    id: format!("rs{j}"),
                    ref_allele: "A".into(),
                    alt_allele: "C".into(),
                },
                &calls,
            );
        }
        g
    }

    #[test]
    fn keep_probability_is_grr() {
        // e^eps / (e^eps + 2) and the likelihood ratio keep/other = e^eps.
        for eps in [0.0, 0.5, 1.0, 3.0, 10.0] {
            let keep = grr_keep_probability(eps);
            let e = f64::exp(eps);
            assert!((keep - e / (e + 2.0)).abs() < 1e-12);
            let other = (1.0 - keep) / 2.0;
            assert!(((keep / other).ln() - eps).abs() < 1e-9);
        }
        assert!((grr_keep_probability(0.0) - 1.0 / 3.0).abs() < 1e-15);
        assert!((grr_keep_probability(1e6) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn empirical_point_error_matches_two_over_e_eps_plus_two() -> Result<()> {
        let g = uniform_matrix(300, 200);
        for eps in [0.5, 1.0, 2.0] {
            let out = job::unattended(|job| grr_release(&g, eps, &NoiseKey::from_seed(5), job))?;
            let pe = point_error(&g, &out)?;
            let expected = grr_expected_point_error(eps);
            // 60,000 Bernoulli trials: sd < 0.002.
            assert!(
                (pe - expected).abs() < 0.01,
                "eps {eps}: {pe} vs {expected}"
            );
            // Errors split evenly between the two other genotypes.
            let mut up = 0u64;
            let mut down = 0u64;
            for j in 0..g.n_variants() {
                for (a, b) in g.calls(j).zip(out.calls(j)) {
                    if b == (a + 1) % 3 {
                        up += 1;
                    } else if b == (a + 2) % 3 {
                        down += 1;
                    }
                }
            }
            let share = up as f64 / (up + down) as f64;
            assert!((share - 0.5).abs() < 0.02, "{share}");
        }
        Ok(())
    }

    #[test]
    fn legacy_ldp_has_constant_point_error_two_ninths() -> Result<()> {
        // Published: PE ~ 0.222 at every epsilon (q ~ 1/3 replaced, 2/3 of those change).
        let g = uniform_matrix(300, 200);
        for eps in [1.0, 5.0] {
            let out = job::unattended(|job| {
                legacy_provgen_ldp_release(&g, eps, &NoiseKey::from_seed(6), job)
            })?;
            let pe = point_error(&g, &out)?;
            assert!((pe - 2.0 / 9.0).abs() < 0.01, "{pe}");
        }
        Ok(())
    }

    #[test]
    fn refuses_missing_calls() {
        let mut g = uniform_matrix(4, 2);
        g.set(1, 2, MISSING);
        let out = job::unattended(|job| grr_release(&g, 1.0, &NoiseKey::from_seed(5), job));
        assert!(
            matches!(out, Err(Error::Parameter(msg)) if msg.contains("s2") && msg.contains("rs1"))
        );
    }
}
