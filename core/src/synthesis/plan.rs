//! What a budget buys, before any data are read (spec §4.5): per-cell σ, the
//! expected error per cell, the allele-frequency noise it implies and the
//! cohort size needed for a target precision: the "needed n" warning to show
//! before running. Everything here depends on public parameters only.

use serde::{Deserialize, Serialize};

use super::{Structure, zcdp};
use crate::error::{Error, Result};

/// The noise a synthesis run will add, from its public parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoisePlan {
    pub rho: f64,
    /// Tables measured together: for chains, d − order cliques and d SNP
    /// tables; for the baseline, d tables (y, s_i).
    pub n_marginals: usize,
    /// Cells of one structure table (a clique, or (y, s_i) for the baseline).
    pub cells_per_marginal: usize,
    /// Cells of all tables together: the dimension of the noise vector.
    pub n_cells: usize,
    /// Per-cell standard deviation σ = √(m / (2ρ)).
    pub sigma: f64,
    /// E|noise| per cell, σ·√(2/π).
    pub expected_absolute_error: f64,
    /// Allele-count noise variance, in units of σ², of a SNP's best linear
    /// estimate: Σ g² over the cells it is read from (g the alternate-allele
    /// count: 5·C·K^order for a clique, 5 for a SNP table, 5·C for a (y, s)
    /// table), the clique and SNP-table estimates pooled by inverse variance.
    allele_weight: f64,
}

impl NoisePlan {
    /// Standard deviation of an allele frequency read off the noisy tables in a
    /// cohort of `n` individuals: σ·√(Σ g²) / (2n) per table (spec §4.5 item 3),
    /// the SNP's table pooled with one clique that holds it (a lower bound on
    /// what the estimator achieves, which also uses the second clique).
    pub fn allele_frequency_sd(&self, n: usize) -> f64 {
        self.sigma * self.allele_weight.sqrt() / (2.0 * n.max(1) as f64)
    }

    /// The smallest cohort whose allele-frequency noise sd is at most `target`.
    pub fn samples_needed(&self, target_sd: f64) -> Result<usize> {
        if !(target_sd.is_finite() && target_sd > 0.0) {
            return Err(Error::Parameter(format!(
                "the target allele-frequency precision must be positive, got {target_sd}"
            )));
        }
        Ok((self.sigma * self.allele_weight.sqrt() / (2.0 * target_sd)).ceil() as usize)
    }
}

/// The noise plan for `n_variants` SNPs, `n_classes` label classes (1 for
/// [`Structure::Chain`]) and `n_states` genotype states.
pub fn plan(
    epsilon: f64,
    delta: f64,
    structure: Structure,
    n_classes: usize,
    n_states: usize,
    n_variants: usize,
) -> Result<NoisePlan> {
    let rho = zcdp::cdp_rho(epsilon, delta)?;
    let classes = match structure {
        Structure::Chain => 1,
        Structure::TanChain | Structure::SecondOrderTanChain | Structure::Independent => n_classes,
    };
    let order = match structure {
        Structure::Independent | Structure::TanChain | Structure::Chain => 1,
        Structure::SecondOrderTanChain => 2,
    };
    let (n_tables, cells, n_snp_tables) = match structure {
        Structure::Independent => (n_variants, classes * n_states, 0),
        _ => (
            n_variants.saturating_sub(order),
            classes * n_states.pow(order as u32 + 1),
            n_variants,
        ),
    };
    // Σ g² over a table's cells: 5 (g = 0, 1, 2) for each combination of the
    // other variables in it.
    let per_table_weight = (5 * cells / n_states) as f64;
    let allele_weight = if n_snp_tables > 0 {
        1.0 / (1.0 / per_table_weight + 1.0 / 5.0)
    } else {
        per_table_weight
    };
    let n_marginals = n_tables + n_snp_tables;
    let sigma = zcdp::sigma_for(rho, n_marginals)?;
    Ok(NoisePlan {
        rho,
        n_marginals,
        cells_per_marginal: cells,
        n_cells: n_tables * cells + n_snp_tables * n_states,
        sigma,
        expected_absolute_error: sigma * (2.0 / std::f64::consts::PI).sqrt(),
        allele_weight,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dp::noise::DiscreteGaussian;
    use crate::job;
    use crate::synthesis::measure;
    use crate::synthesis::model::ChainDomain;
    use crate::synthesis::simulate::{SimulationParameters, simulate_cohort};

    /// The predicted allele-frequency noise matches the spread of frequencies
    /// actually read off noisy tables: each SNP's table pooled with its clique by
    /// inverse variance (2,000 SNPs: the sd estimate has a relative error of
    /// about 1.6 %).
    #[test]
    fn predicted_frequency_noise_matches_noisy_tables() -> Result<()> {
        let (matrix, labels) = simulate_cohort(&SimulationParameters {
            n_samples: 300,
            n_snps: 2_001,
            ..SimulationParameters::default()
        });
        let planned = plan(30.0, 1e-6, Structure::TanChain, 2, 3, matrix.n_variants())?;
        let domain = ChainDomain::new(2, 3, matrix.n_variants())?;
        let counts = job::unattended(|job| measure::clique_counts(&matrix, &labels, &domain, job))?;
        let snps = measure::snp_counts(&matrix, 3);
        let sampler = DiscreteGaussian::new(planned.sigma * planned.sigma)?;
        let (noisy, noisy_snps) = job::unattended(|job| {
            Ok((
                measure::add_noise(&counts, domain.clique_cells(), &sampler, [4; 32], job)?,
                measure::add_noise(&snps, 3, &sampler, [5; 32], job)?,
            ))
        })?;
        let n = matrix.n_samples();
        // Allele counts of the first SNP of a clique, and of a SNP table.
        let from_clique = |table: &[i64]| -> f64 {
            let mut alleles = 0.0;
            for y in 0..2 {
                for a in 0..3 {
                    for b in 0..3 {
                        alleles += a as f64 * table[domain.cell(y, a, b)] as f64;
                    }
                }
            }
            alleles
        };
        let from_snp = |table: &[i64]| (table[1] + 2 * table[2]) as f64;
        let exact = |values: &[u64]| values.iter().map(|&c| c as i64).collect::<Vec<_>>();
        // Σ g² is 30 for a clique, 5 for a SNP table: weights 1/30 and 1/5.
        let pooled = |clique: f64, snp: f64| (clique / 30.0 + snp / 5.0) / (1.0 / 30.0 + 1.0 / 5.0);
        let errors: Vec<f64> = noisy
            .chunks(domain.clique_cells())
            .zip(counts.chunks(domain.clique_cells()))
            .zip(noisy_snps.chunks(3).zip(snps.chunks(3)))
            .map(|((noisy, truth), (noisy_snp, true_snp))| {
                let estimate = pooled(from_clique(noisy), from_snp(noisy_snp));
                let truth = pooled(from_clique(&exact(truth)), from_snp(&exact(true_snp)));
                (estimate - truth) / (2 * n) as f64
            })
            .collect();
        let sd = (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt();
        let predicted = planned.allele_frequency_sd(n);
        assert!(
            (sd / predicted - 1.0).abs() < 0.06,
            "observed sd {sd}, predicted {predicted}"
        );
        Ok(())
    }

    /// Spec §4.5 Table B (ε 3, d 10⁴: σ ≈ 164 for the d − 1 cliques alone; the
    /// d SNP tables double the tables, so σ grows by √((2d − 1)/(d − 1))) and
    /// the "n of order 10⁴ or more" conclusion at that σ.
    #[test]
    fn needed_n_follows_the_spec_trade_off() -> Result<()> {
        let planned = plan(3.0, 1e-6, Structure::TanChain, 2, 3, 10_000)?;
        let table_b = 164.0 * (19_999.0_f64 / 9_999.0).sqrt();
        assert!(
            (planned.sigma - table_b).abs() < 1.5,
            "sigma {}",
            planned.sigma
        );
        assert_eq!(planned.n_marginals, 19_999);
        assert_eq!(planned.n_cells, 9_999 * 18 + 10_000 * 3);
        let needed = planned.samples_needed(0.01)?;
        assert!(planned.allele_frequency_sd(needed) <= 0.01);
        assert!(planned.allele_frequency_sd(needed - 1) > 0.01);
        assert!(needed > 10_000, "needed n {needed}");
        // The spec's closed form for one TAN-chain clique, Var = 15·C·σ²/(4n²),
        // pooled with the SNP table's 5σ²/(4n²).
        let n = 5_000;
        let clique = 15.0 * 2.0 * planned.sigma.powi(2) / (4.0 * (n * n) as f64);
        let snp = 5.0 * planned.sigma.powi(2) / (4.0 * (n * n) as f64);
        let spec = (1.0 / (1.0 / clique + 1.0 / snp)).sqrt();
        assert!((planned.allele_frequency_sd(n) - spec).abs() < 1e-12);
        assert!(planned.samples_needed(0.0).is_err());
        Ok(())
    }
}
