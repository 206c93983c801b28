//! The measurement step against its guarantee: the optimal membership attack on
//! the noisy clique counts (likelihood-ratio test on the target's cells) must
//! achieve exactly the error rates the accountant's σ implies, and never beat
//! the (ε, δ)-DP bound TPR ≤ e^ε·FPR + δ (spec §8.3, §11).

use genopriv_core::Result;
use genopriv_core::job;
use genopriv_core::synthesis::simulate::{SimulationParameters, simulate_cohort};
use genopriv_core::synthesis::{ChainDomain, DiscreteGaussian, measure, zcdp};

/// Exact pmf of a discrete Gaussian with variance parameter σ² on [-support, support].
fn discrete_gaussian_pmf(sigma2: f64, support: i64) -> Vec<f64> {
    let weights: Vec<f64> = (-support..=support)
        .map(|z| (-(z as f64).powi(2) / (2.0 * sigma2)).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

/// Distribution of the sum of two independent draws (index = value + 2·support).
fn convolve(p: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; 2 * p.len() - 1];
    for (i, a) in p.iter().enumerate() {
        for (j, b) in p.iter().enumerate() {
            out[i + j] += a * b;
        }
    }
    out
}

#[test]
fn membership_attack_matches_theory_and_respects_the_bound() -> Result<()> {
    let (epsilon, delta) = (3.0, 1e-6);
    let (with_target, labels) = simulate_cohort(&SimulationParameters {
        n_samples: 40,
        n_snps: 3,
        seed: 21,
        ..SimulationParameters::default()
    });
    // Add/remove neighbours: the same cohort without individual 0.
    let without_target = with_target.select_samples(&(1..40).collect::<Vec<_>>());
    let domain = ChainDomain::new(2, 3, 3)?;
    let counts_with =
        job::unattended(|job| measure::clique_counts(&with_target, &labels, &domain, job))?;
    let counts_without =
        job::unattended(|job| measure::clique_counts(&without_target, &labels[1..], &domain, job))?;
    // The target's cell in each of the two cliques.
    let (y, g0, g1, g2) = (
        usize::from(labels[0]),
        usize::from(with_target.get(0, 0)),
        usize::from(with_target.get(1, 0)),
        usize::from(with_target.get(2, 0)),
    );
    let cells = [
        domain.cell(y, g0, g1),
        domain.clique_cells() + domain.cell(y, g1, g2),
    ];
    let baseline: i64 = cells.iter().map(|&c| counts_without[c] as i64).sum();

    // σ as the accountant prescribes for m = 2 marginals.
    let sigma = zcdp::sigma_for(zcdp::cdp_rho(epsilon, delta)?, domain.n_cliques())?;
    let sampler = DiscreteGaussian::new(sigma * sigma)?;

    // Exact law of the attack statistic S − baseline: N₁ + N₂ without the target,
    // 2 + N₁ + N₂ with it. Threshold t: the smallest with P(N₁+N₂ ≥ t) ≤ 0.1.
    let support = 80;
    let noise_sum = convolve(&discrete_gaussian_pmf(sigma * sigma, support));
    let tail = |t: i64| -> f64 {
        noise_sum
            .iter()
            .enumerate()
            .filter(|&(i, _)| i as i64 - 2 * support >= t)
            .map(|(_, p)| p)
            .sum()
    };
    let Some(threshold) = (-2 * support..=2 * support).find(|&t| tail(t) <= 0.1) else {
        panic!("no threshold reaches FPR 0.1");
    };
    let (fpr_exact, tpr_exact) = (tail(threshold), tail(threshold - 2));
    assert!(
        tpr_exact <= epsilon.exp() * fpr_exact + delta,
        "the mechanism's exact trade-off breaks the DP bound: TPR {tpr_exact}, FPR {fpr_exact}"
    );

    let trials = 4_000u32;
    let statistic = |counts: &[u64], trial: u32, side: u8| -> Result<i64> {
        let mut seed = [side; 32];
        seed[..4].copy_from_slice(&trial.to_le_bytes());
        let noisy = job::unattended(|job| {
            measure::add_noise(counts, domain.clique_cells(), &sampler, seed, job)
        })?;
        Ok(cells.iter().map(|&c| noisy[c]).sum::<i64>() - baseline)
    };
    let (mut false_positives, mut true_positives) = (0u32, 0u32);
    for trial in 0..trials {
        false_positives += u32::from(statistic(&counts_without, trial, 1)? >= threshold);
        true_positives += u32::from(statistic(&counts_with, trial, 2)? >= threshold);
    }
    let n = f64::from(trials);
    let (fpr, tpr) = (
        f64::from(false_positives) / n,
        f64::from(true_positives) / n,
    );
    let se = |p: f64| (p * (1.0 - p) / n).sqrt();
    assert!(
        (fpr - fpr_exact).abs() <= 4.0 * se(fpr_exact),
        "FPR {fpr}, exact {fpr_exact}"
    );
    assert!(
        (tpr - tpr_exact).abs() <= 4.0 * se(tpr_exact),
        "TPR {tpr}, exact {tpr_exact}"
    );
    // The attack has power (the noise is not excessive) yet stays within the bound.
    assert!(tpr > fpr + 4.0 * se(tpr), "TPR {tpr} vs FPR {fpr}");
    assert!(tpr <= epsilon.exp() * fpr + delta + 4.0 * se(tpr));
    Ok(())
}
