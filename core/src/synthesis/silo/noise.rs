//! Distributed noise (spec §5 item 3): every site adds its own discrete Gaussian
//! share so that the noise in the sum still meets the budget when up to `t`
//! sites withhold theirs (they collude, or their noise is known to the others).
//!
//! Accounting follows Kairouz, Liu and Steinke, "The Distributed Discrete
//! Gaussian Mechanism for Federated Learning with Secure Aggregation" (ICML
//! 2021, Theorem 1): the sum of n independent N_Z(0, σ²) draws added to a
//! query of L2 sensitivity Δ in d dimensions is ½ε²-concentrated DP with
//! ε ≤ Δ/(√n·σ) + τ·√d, τ = 10·Σ_{k=1}^{n−1} exp(−2π²σ²·k/(k+1)). For the
//! per-site σ used here (tens to hundreds) τ is far below 1e-100, so the
//! guarantee equals that of one discrete Gaussian with variance n·σ².

use serde::{Deserialize, Serialize};

use crate::dp::noise::DiscreteGaussian;
use crate::error::{Error, Result};
use crate::synthesis::{Structure, plan, zcdp};

/// How the noise of one cross-silo measurement is split across sites, and what
/// it guarantees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistributedNoise {
    /// Sites M taking part.
    pub sites: usize,
    /// Sites t that may withhold or reveal their noise without breaking the budget.
    pub tolerance: usize,
    /// The zCDP budget from (ε, δ).
    pub target_rho: f64,
    pub n_marginals: usize,
    pub cells_per_marginal: usize,
    /// Each site's discrete Gaussian variance σ_k² (as the exact sampler holds it).
    pub per_site_sigma2: f64,
    /// ρ guaranteed when only M − t sites' noise is in the sum.
    pub guaranteed_rho: f64,
    /// ρ when every site added its noise (the usual case: more noise, less ρ).
    pub realised_rho: f64,
    /// Standard deviation of the noise in the sum when every site added its share.
    pub realised_sigma: f64,
}

impl DistributedNoise {
    /// The split for a public set-up: σ² of the single-site mechanism for the
    /// same budget, divided among the M − t sites that are sure to add noise.
    #[allow(clippy::too_many_arguments)]
    pub fn plan(
        epsilon: f64,
        delta: f64,
        structure: Structure,
        n_classes: usize,
        n_states: usize,
        n_variants: usize,
        sites: usize,
        tolerance: usize,
    ) -> Result<Self> {
        if sites < 2 {
            return Err(Error::Parameter(format!(
                "a cross-silo session needs at least 2 sites, got {sites}"
            )));
        }
        if tolerance >= sites {
            return Err(Error::Parameter(format!(
                "the collusion tolerance ({tolerance}) must be below the number of sites \
                 ({sites}): at least one site's noise must be trusted"
            )));
        }
        let single = plan(epsilon, delta, structure, n_classes, n_states, n_variants)?;
        let honest = sites - tolerance;
        // Aim a hair below the budget so the (negligible) τ term cannot push the
        // guarantee over it.
        let sigma = zcdp::sigma_for(single.rho * (1.0 - 1e-9), single.n_marginals)?;
        let sampler = DiscreteGaussian::new(sigma * sigma / honest as f64)?;
        let per_site_sigma2 = sampler.sigma2();
        let dimension = single.n_cells;
        let guaranteed_rho = sum_rho(single.n_marginals, per_site_sigma2, honest, dimension)?;
        if guaranteed_rho > single.rho {
            return Err(Error::Parameter(format!(
                "the per-site noise (σ² {per_site_sigma2}) is too small for the distributed \
                 discrete Gaussian bound: it guarantees ρ {guaranteed_rho}, above the budget's {}",
                single.rho
            )));
        }
        Ok(Self {
            sites,
            tolerance,
            target_rho: single.rho,
            n_marginals: single.n_marginals,
            cells_per_marginal: single.cells_per_marginal,
            per_site_sigma2,
            guaranteed_rho,
            realised_rho: sum_rho(single.n_marginals, per_site_sigma2, sites, dimension)?,
            realised_sigma: (sites as f64 * per_site_sigma2).sqrt(),
        })
    }

    /// The sampler every site draws its share from.
    pub fn sampler(&self) -> Result<DiscreteGaussian> {
        DiscreteGaussian::new(self.per_site_sigma2)
    }
}

/// ρ of the sum of `n` discrete Gaussians of variance `sigma2` added to `m`
/// marginals measured together (Δ₂ = √m) in `dimension` cells (module docs).
pub fn sum_rho(m: usize, sigma2: f64, n: usize, dimension: usize) -> Result<f64> {
    if sigma2 < 0.25 {
        return Err(Error::Parameter(format!(
            "each site's noise variance must be at least 1/4 for the distributed bound, got {sigma2}"
        )));
    }
    let sensitivity = (m as f64).sqrt();
    let tau: f64 = 10.0
        * (1..n)
            .map(|k| {
                let k = k as f64;
                (-2.0 * std::f64::consts::PI.powi(2) * sigma2 * k / (k + 1.0)).exp()
            })
            .sum::<f64>();
    let epsilon = sensitivity / ((n as f64) * sigma2).sqrt() + tau * (dimension as f64).sqrt();
    Ok(epsilon * epsilon / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One noise-adding site is the single-site discrete Gaussian: ρ = m/(2σ²).
    #[test]
    fn one_site_is_the_plain_discrete_gaussian() -> Result<()> {
        let rho = sum_rho(99, 400.0, 1, 99 * 18)?;
        assert!((rho - 99.0 / 800.0).abs() < 1e-15);
        Ok(())
    }

    /// The τ term matters only for tiny σ: at σ = 0.5 with 3 sites it is large,
    /// at σ = 3 it has vanished (exp(−2π²·9/2) ≈ 1e-39).
    #[test]
    fn tau_vanishes_beyond_small_sigma() -> Result<()> {
        let plain = |s2: f64| 10.0 / (2.0 * 3.0 * s2);
        assert!(sum_rho(10, 0.25, 3, 1_000)? > 1.5 * plain(0.25));
        assert!((sum_rho(10, 9.0, 3, 1_000)? / plain(9.0) - 1.0).abs() < 1e-12);
        assert!(sum_rho(10, 0.2, 3, 1_000).is_err());
        Ok(())
    }

    /// The split meets the budget with t sites silent, spends less with all
    /// sites adding noise, and matches the single-site σ when t = M − 1.
    #[test]
    fn split_meets_the_budget_under_collusion() -> Result<()> {
        let single = plan(3.0, 1e-6, Structure::TanChain, 2, 3, 1_000)?;
        let split = DistributedNoise::plan(3.0, 1e-6, Structure::TanChain, 2, 3, 1_000, 3, 1)?;
        assert!(split.guaranteed_rho <= single.rho);
        assert!(split.guaranteed_rho > single.rho * (1.0 - 1e-3));
        // All three sites' noise: variance 3σ²/2, so ρ is two thirds of the budget.
        assert!((split.realised_rho / single.rho - 2.0 / 3.0).abs() < 1e-3);
        assert!((split.per_site_sigma2 - single.sigma.powi(2) / 2.0).abs() < 1e-2);
        let all_but_one =
            DistributedNoise::plan(3.0, 1e-6, Structure::TanChain, 2, 3, 1_000, 3, 2)?;
        assert!((all_but_one.per_site_sigma2 - single.sigma.powi(2)).abs() < 1e-2);
        assert!(DistributedNoise::plan(3.0, 1e-6, Structure::TanChain, 2, 3, 1_000, 3, 3).is_err());
        assert!(DistributedNoise::plan(3.0, 1e-6, Structure::TanChain, 2, 3, 1_000, 1, 0).is_err());
        Ok(())
    }
}
