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
    /// Marginals measured together (d − 1 for chains, d for the baseline).
    pub n_marginals: usize,
    pub cells_per_marginal: usize,
    /// Per-cell standard deviation σ = √(m / (2ρ)).
    pub sigma: f64,
    /// E|noise| per cell, σ·√(2/π).
    pub expected_absolute_error: f64,
    /// Σ g² over one marginal's cells, g = alternate-allele count of the SNP
    /// read off it: 5·C·K^order for a chain clique, 5·C for a (y, s) table.
    allele_weight: f64,
}

impl NoisePlan {
    /// Standard deviation of an allele frequency read off one noisy marginal in a
    /// cohort of `n` individuals: σ·√(Σ g²) / (2n) (spec §4.5 item 3; pooling the
    /// two cliques that contain a SNP roughly divides the variance by two).
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
    let (n_marginals, cells, allele_weight) = match structure {
        Structure::Independent => (n_variants, classes * n_states, 5 * classes),
        Structure::TanChain | Structure::Chain => (
            n_variants.saturating_sub(1),
            classes * n_states * n_states,
            5 * classes * n_states,
        ),
        Structure::SecondOrderTanChain => (
            n_variants.saturating_sub(2),
            classes * n_states.pow(3),
            5 * classes * n_states * n_states,
        ),
    };
    let sigma = zcdp::sigma_for(rho, n_marginals)?;
    Ok(NoisePlan {
        rho,
        n_marginals,
        cells_per_marginal: cells,
        sigma,
        expected_absolute_error: sigma * (2.0 / std::f64::consts::PI).sqrt(),
        allele_weight: allele_weight as f64,
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
    /// actually read off noisy clique tables (2,000 cliques: the sd estimate has
    /// a relative error of about 1.6 %).
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
        let sampler = DiscreteGaussian::new(planned.sigma * planned.sigma)?;
        let noisy = job::unattended(|job| {
            measure::add_noise(&counts, domain.clique_cells(), &sampler, [4; 32], job)
        })?;
        let n = matrix.n_samples();
        let frequency = |table: &[i64]| -> f64 {
            let mut alleles = 0.0;
            for y in 0..2 {
                for a in 0..3 {
                    for b in 0..3 {
                        alleles += a as f64 * table[domain.cell(y, a, b)] as f64;
                    }
                }
            }
            alleles / (2 * n) as f64
        };
        let errors: Vec<f64> = noisy
            .chunks(domain.clique_cells())
            .zip(counts.chunks(domain.clique_cells()))
            .map(|(noisy, exact)| {
                let exact: Vec<i64> = exact.iter().map(|&c| c as i64).collect();
                frequency(noisy) - frequency(&exact)
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

    /// Spec §4.5 Table B (ε 3, d 10⁴: σ ≈ 164) and the "n of order 10⁴ or more"
    /// conclusion for a 3×3 table at that σ.
    #[test]
    fn needed_n_follows_the_spec_trade_off() -> Result<()> {
        let planned = plan(3.0, 1e-6, Structure::TanChain, 2, 3, 10_000)?;
        assert!(
            (planned.sigma - 164.0).abs() < 1.0,
            "sigma {}",
            planned.sigma
        );
        let needed = planned.samples_needed(0.01)?;
        assert!(planned.allele_frequency_sd(needed) <= 0.01);
        assert!(planned.allele_frequency_sd(needed - 1) > 0.01);
        assert!(needed > 10_000, "needed n {needed}");
        // The spec's closed form for the TAN chain: Var = 15·C·σ²/(4n²).
        let n = 5_000;
        let spec = (15.0 * 2.0 * planned.sigma.powi(2) / (4.0 * (n * n) as f64)).sqrt();
        assert!((planned.allele_frequency_sd(n) - spec).abs() < 1e-12);
        assert!(planned.samples_needed(0.0).is_err());
        Ok(())
    }
}
