//! End-to-end checks of the single-site generator on simulated cohorts: fidelity
//! at negligible noise, sampling against the model, reproducibility, and utility
//! as the budget shrinks.

use genopriv_core::Result;
use genopriv_core::data::{GenotypeMatrix, MISSING};
use genopriv_core::job;
use genopriv_core::synthesis::metrics::{
    adjacent_r_squared, allele_frequencies, ld_decay, mean_absolute_error, r_squared,
};
use genopriv_core::synthesis::simulate::{SimulationParameters, simulate_cohort};
use genopriv_core::synthesis::{
    ChainDomain, ChainModel, EstimatorOptions, MissingPolicy, SeedPolicy, Structure, Synthesis,
    SynthesisConfig, TableKind, measure, synthesize, zcdp,
};

fn cohort(n_samples: usize, n_snps: usize, seed: u64) -> (GenotypeMatrix, Vec<u8>) {
    simulate_cohort(&SimulationParameters {
        n_samples,
        n_snps,
        seed,
        ..SimulationParameters::default()
    })
}

fn config(epsilon: f64, structure: Structure, n_synthetic: usize, seed: u64) -> SynthesisConfig {
    SynthesisConfig {
        epsilon,
        delta: 1e-6,
        structure,
        missing: MissingPolicy::Reject,
        n_classes: 2,
        n_synthetic,
        estimator: EstimatorOptions {
            max_iterations: 300,
            relative_tolerance: 1e-7,
        },
        seed: SeedPolicy::Study { seed },
    }
}

fn run(matrix: &GenotypeMatrix, labels: &[u8], config: &SynthesisConfig) -> Result<Synthesis> {
    job::unattended(|job| synthesize(matrix, Some(labels), config, job))
}

/// Alt-allele frequency of `snp` among individuals of class `class`.
fn class_frequency(matrix: &GenotypeMatrix, labels: &[u8], snp: usize, class: u8) -> f64 {
    let (mut alleles, mut calls) = (0u64, 0u64);
    for (call, &y) in matrix.calls(snp).zip(labels) {
        if y == class && call != MISSING {
            alleles += u64::from(call);
            calls += 1;
        }
    }
    alleles as f64 / (2 * calls).max(1) as f64
}

/// With ε = 10⁴ the noise is σ ≈ 0.17 (almost always 0): the fitted clique
/// marginals must equal the true clique frequencies, and a large synthetic
/// cohort must reproduce allele frequencies, adjacent LD, the LD-decay curve
/// and the case/control frequency gap at the causal SNPs, up to sampling error.
#[test]
fn negligible_noise_reproduces_the_input() -> Result<()> {
    let (matrix, labels) = cohort(600, 300, 11);
    let synthesis = run(
        &matrix,
        &labels,
        &config(1e4, Structure::TanChain, 6_000, 5),
    )?;
    let Some(model) = &synthesis.model else {
        panic!("the chain generator returned no model");
    };
    let domain = ChainDomain::new(2, 3, matrix.n_variants())?;
    let counts = job::unattended(|job| measure::clique_counts(&matrix, &labels, &domain, job))?;
    let n = matrix.n_samples() as f64;
    let worst = model
        .marginals()
        .iter()
        .zip(&counts)
        .map(|(p, &c)| (p - c as f64 / n).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-3, "largest marginal error {worst}");

    let real = &matrix;
    let synthetic = &synthesis.cohort.matrix;
    let af_error = mean_absolute_error(&allele_frequencies(real), &allele_frequencies(synthetic))?;
    // Sampling sd of a frequency from 6,000 individuals is at most 0.0065.
    assert!(af_error < 0.008, "allele-frequency MAE {af_error}");
    let ld_error = mean_absolute_error(&adjacent_r_squared(real), &adjacent_r_squared(synthetic))?;
    assert!(ld_error < 0.04, "adjacent r² MAE {ld_error}");

    // A first-order chain implies multiplicative decay; the simulator's chain is
    // first order too, so the whole curve must match.
    let real_decay = ld_decay(real, 1_000, 6, 6)?;
    let synthetic_decay = ld_decay(synthetic, 1_000, 6, 6)?;
    for (r, s) in real_decay.iter().zip(&synthetic_decay).skip(1) {
        let (Some(r), Some(s)) = (r.mean_r_squared, s.mean_r_squared) else {
            panic!("an LD-decay bin is empty");
        };
        assert!(
            (r - s).abs() < 0.03,
            "bin {:?}: real {r}, synthetic {s}",
            (r, s)
        );
    }

    // Label balance and the GWAS signal at causal SNPs (every 50th).
    let synthetic_labels = &synthesis.cohort.labels;
    let real_cases = labels.iter().filter(|&&y| y == 1).count() as f64 / n;
    let synthetic_cases =
        synthetic_labels.iter().filter(|&&y| y == 1).count() as f64 / synthetic_labels.len() as f64;
    assert!((real_cases - synthetic_cases).abs() < 0.02);
    for snp in (0..matrix.n_variants()).step_by(50) {
        let gap = |m: &GenotypeMatrix, l: &[u8]| {
            class_frequency(m, l, snp, 1) - class_frequency(m, l, snp, 0)
        };
        let (real_gap, synthetic_gap) = (gap(real, &labels), gap(synthetic, synthetic_labels));
        assert!(
            (real_gap - synthetic_gap).abs() < 0.03,
            "SNP {snp}: case-control gap {real_gap} real, {synthetic_gap} synthetic"
        );
    }
    Ok(())
}

/// The independent baseline keeps frequencies but loses LD; the chain keeps it.
#[test]
fn chain_beats_the_independent_baseline_on_ld() -> Result<()> {
    let (matrix, labels) = cohort(600, 200, 12);
    let real_ld = adjacent_r_squared(&matrix);
    let mut ld_error = Vec::new();
    let mut af_error = Vec::new();
    for structure in [Structure::TanChain, Structure::Independent] {
        let synthesis = run(&matrix, &labels, &config(1e4, structure, 3_000, 7))?;
        let synthetic = &synthesis.cohort.matrix;
        ld_error.push(mean_absolute_error(
            &real_ld,
            &adjacent_r_squared(synthetic),
        )?);
        af_error.push(mean_absolute_error(
            &allele_frequencies(&matrix),
            &allele_frequencies(synthetic),
        )?);
    }
    assert!(af_error.iter().all(|&e| e < 0.012), "AF MAE {af_error:?}");
    assert!(ld_error[0] < 0.04, "chain LD MAE {}", ld_error[0]);
    // The simulator's adjacent r² averages well above 0.2; the baseline's is ~0.
    assert!(ld_error[1] > 0.2, "baseline LD MAE {}", ld_error[1]);
    Ok(())
}

/// Clique frequencies of 40,000 forward samples match the model's marginals
/// within 5 standard errors in every cell, with and without a missing state,
/// for first- and second-order chains.
#[test]
fn sampled_marginals_match_the_model() -> Result<()> {
    for (classes, states, order) in [(2, 3, 1), (3, 4, 1), (1, 3, 1), (2, 3, 2), (1, 4, 2)] {
        let domain = ChainDomain::with_order(classes, states, 5, order)?;
        let theta: Vec<f64> = (0..domain.n_cliques() * domain.clique_cells())
            .map(|i| ((i * 37 % 23) as f64 / 5.0).cos() * 1.5)
            .collect();
        let model = ChainModel::from_potentials(domain, theta)?;
        let (template, _) = cohort(4, domain.n_snps, 1);
        let n = 40_000;
        let sample = job::unattended(|job| model.sample(n, template.variants(), [3; 32], job))?;
        let counts = job::unattended(|job| {
            measure::clique_counts(&sample.matrix, &sample.labels, &domain, job)
        })?;
        for (cell, (&count, p)) in counts.iter().zip(model.marginals()).enumerate() {
            let observed = count as f64 / n as f64;
            let standard_error = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (observed - p).abs() <= 5.0 * standard_error + 1e-12,
                "C {classes} K {states} order {order} cell {cell}: observed {observed}, model {p}"
            );
        }
    }
    Ok(())
}

/// Controlled rounding, on a first-order chain: clique counts sit far closer to
/// n·p than independent draws would put them (their errors, in units of the
/// binomial sampling sd, have an RMS well below 1), and rounding adds no
/// dependence the chain does not have: the 3-SNP tables (y, s_i, s_{i+1},
/// s_{i+2}) of the sample match the model's P(y, a, b)·P(c | y, b).
#[test]
fn rounded_samples_track_the_model_and_keep_its_independences() -> Result<()> {
    let domain = ChainDomain::new(2, 3, 8)?;
    let theta: Vec<f64> = (0..domain.n_cliques() * domain.clique_cells())
        .map(|i| ((i * 29 % 17) as f64 / 3.0).sin() * 1.8)
        .collect();
    let model = ChainModel::from_potentials(domain, theta)?;
    let (template, _) = cohort(4, domain.n_snps, 1);
    let n = 30_000;
    let sample = job::unattended(|job| model.sample(n, template.variants(), [9; 32], job))?;
    let counts = job::unattended(|job| {
        measure::clique_counts(&sample.matrix, &sample.labels, &domain, job)
    })?;
    let standardised: Vec<f64> = counts
        .iter()
        .zip(model.marginals())
        .filter(|&(_, &p)| p > 1e-3)
        .map(|(&count, &p)| (count as f64 - n as f64 * p) / (n as f64 * p * (1.0 - p)).sqrt())
        .collect();
    let rms = (standardised.iter().map(|z| z * z).sum::<f64>() / standardised.len() as f64).sqrt();
    assert!(
        rms < 0.35,
        "RMS standardised cell error {rms} (independent draws: about 1)"
    );

    let triples = ChainDomain::with_order(2, 3, 8, 2)?;
    let observed = job::unattended(|job| {
        measure::clique_counts(&sample.matrix, &sample.labels, &triples, job)
    })?;
    let cells = domain.clique_cells();
    for (i, table) in observed.chunks(triples.clique_cells()).enumerate() {
        let left = &model.marginals()[i * cells..(i + 1) * cells];
        let right = &model.marginals()[(i + 1) * cells..(i + 2) * cells];
        for y in 0..2 {
            for b in 0..3 {
                let given: f64 = (0..3).map(|c| right[domain.cell(y, b, c)]).sum();
                for a in 0..3 {
                    for c in 0..3 {
                        let p = left[domain.cell(y, a, b)] * right[domain.cell(y, b, c)] / given;
                        let seen = table[triples.cell_of(y, &[a, b, c])] as f64 / n as f64;
                        let sd = (p * (1.0 - p) / n as f64).sqrt();
                        assert!(
                            (seen - p).abs() <= 5.0 * sd + 1e-9,
                            "clique {i} (y {y}, {a}, {b}, {c}): sampled {seen}, chain {p}"
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// A study seed makes noise and sampling reproducible bit for bit (matrix,
/// labels and manifest); another seed or the release policy gives other data.
#[test]
fn seeded_runs_are_bit_for_bit_reproducible() -> Result<()> {
    let (matrix, labels) = cohort(300, 60, 13);
    let settings = config(2.0, Structure::TanChain, 500, 42);
    let first = run(&matrix, &labels, &settings)?;
    let second = run(&matrix, &labels, &settings)?;
    assert_eq!(first.cohort, second.cohort);
    let json = |s: &Synthesis| serde_json::to_string(&s.manifest).unwrap_or_default();
    assert!(!json(&first).is_empty());
    assert_eq!(json(&first), json(&second));
    let other = run(&matrix, &labels, &config(2.0, Structure::TanChain, 500, 43))?;
    assert_ne!(first.cohort.matrix, other.cohort.matrix);
    let release = SynthesisConfig {
        seed: SeedPolicy::Release,
        ..settings
    };
    let a = run(&matrix, &labels, &release)?;
    let b = run(&matrix, &labels, &release)?;
    assert_ne!(a.manifest.measurements, b.manifest.measurements);
    Ok(())
}

/// Averaged over seeds, allele-frequency and LD errors grow as ε shrinks.
#[test]
fn utility_degrades_as_epsilon_shrinks() -> Result<()> {
    let (matrix, labels) = cohort(600, 100, 14);
    let real_af = allele_frequencies(&matrix);
    let real_ld = adjacent_r_squared(&matrix);
    let mut previous: Option<(f64, f64)> = None;
    for epsilon in [100.0, 10.0, 1.0, 0.1] {
        let (mut af, mut ld) = (0.0, 0.0);
        let seeds = 3;
        for seed in 0..seeds {
            let synthesis = run(
                &matrix,
                &labels,
                &config(epsilon, Structure::TanChain, 2_000, seed),
            )?;
            let synthetic = &synthesis.cohort.matrix;
            af += mean_absolute_error(&real_af, &allele_frequencies(synthetic))? / seeds as f64;
            ld += mean_absolute_error(&real_ld, &adjacent_r_squared(synthetic))? / seeds as f64;
        }
        if let Some((previous_af, previous_ld)) = previous {
            assert!(
                af > previous_af,
                "eps {epsilon}: AF MAE {af} <= {previous_af}"
            );
            assert!(
                ld > previous_ld,
                "eps {epsilon}: LD MAE {ld} <= {previous_ld}"
            );
        }
        previous = Some((af, ld));
    }
    Ok(())
}

/// The manifest charges no more than the budget, records every clique and SNP
/// table with the σ that the accountant prescribes for all of them together,
/// and splits ρ between the two groups by their number of tables.
#[test]
fn manifest_accounts_for_every_measurement() -> Result<()> {
    let (matrix, labels) = cohort(200, 40, 15);
    let synthesis = run(&matrix, &labels, &config(3.0, Structure::TanChain, 100, 1))?;
    let manifest = &synthesis.manifest;
    let rho = zcdp::cdp_rho(3.0, 1e-6)?;
    assert!((manifest.rho - rho).abs() < 1e-12);
    let spent: f64 = manifest.measurements.iter().map(|m| m.rho).sum();
    assert!(
        spent <= rho && spent > rho * 0.999,
        "spent {spent} of {rho}"
    );
    let [group, snps] = manifest.measurements.as_slice() else {
        panic!("two measurement groups expected");
    };
    assert_eq!(group.kind, TableKind::Cliques);
    assert_eq!(group.cliques.len(), 39);
    assert_eq!(group.cliques[5].variants, [5, 6]);
    assert_eq!(group.cliques[5].noisy_counts.len(), 18);
    assert_eq!(snps.kind, TableKind::Snps);
    assert_eq!(snps.cliques.len(), 40);
    assert_eq!(snps.cliques[39].variants, [39]);
    assert_eq!(snps.cliques[39].noisy_counts.len(), 3);
    let sigma = zcdp::sigma_for(rho, 39 + 40)?;
    for (g, tables) in [(group, 39.0_f64), (snps, 40.0)] {
        assert!(g.sigma >= sigma && g.sigma < sigma * 1.001);
        assert!((g.l2_sensitivity - tables.sqrt()).abs() < 1e-12);
        assert!((g.rho - tables / (2.0 * g.sigma * g.sigma)).abs() < 1e-12);
    }
    let estimator = manifest.estimator.ok_or_else(|| {
        genopriv_core::Error::Parameter("the manifest lacks the estimator report".into())
    })?;
    assert!(estimator.final_loss <= estimator.initial_loss);
    let round_trip: genopriv_core::synthesis::Manifest =
        serde_json::from_str(&serde_json::to_string(manifest).unwrap_or_default())
            .map_err(|e| genopriv_core::Error::Parameter(e.to_string()))?;
    // serde_json may move a float by one ulp; integers and text survive exactly.
    assert_eq!(round_trip.measurements[0].cliques, group.cliques);
    assert_eq!(round_trip.structure, manifest.structure);
    assert_eq!(round_trip.seed_policy, manifest.seed_policy);
    assert!((round_trip.rho - manifest.rho).abs() <= 1e-15);
    Ok(())
}

/// Missing calls: refused under `Reject`, reproduced at their rate under
/// `Category`.
#[test]
fn missing_calls_follow_the_declared_policy() -> Result<()> {
    let (mut matrix, labels) = cohort(400, 30, 16);
    for sample in (0..400).step_by(10) {
        matrix.set(7, sample, MISSING);
    }
    let rejected = run(&matrix, &labels, &config(1e4, Structure::TanChain, 100, 1));
    assert!(matches!(rejected, Err(genopriv_core::Error::Mismatch(ref m)) if m.contains("sim8")));
    let with_category = SynthesisConfig {
        missing: MissingPolicy::Category,
        ..config(1e4, Structure::TanChain, 8_000, 1)
    };
    let synthesis = run(&matrix, &labels, &with_category)?;
    let rate = synthesis.cohort.matrix.call_counts(7).missing as f64 / 8_000.0;
    // True rate 0.1; sampling sd 0.0034.
    assert!((rate - 0.1).abs() < 0.015, "missing rate {rate}");
    // A SNP without missing calls: the fitted model gives the state the weight
    // of a hundredth of a person or so, not exactly zero.
    assert!(synthesis.cohort.matrix.call_counts(6).missing <= 4);
    Ok(())
}

/// The label-free chain needs no labels and yields the same frequencies.
#[test]
fn label_free_chain_runs_without_labels() -> Result<()> {
    let (matrix, _) = cohort(500, 50, 17);
    let settings = config(1e4, Structure::Chain, 4_000, 3);
    let synthesis = job::unattended(|job| synthesize(&matrix, None, &settings, job))?;
    assert!(!synthesis.labels_modelled);
    let error = mean_absolute_error(
        &allele_frequencies(&matrix),
        &allele_frequencies(&synthesis.cohort.matrix),
    )?;
    assert!(error < 0.012, "AF MAE {error}");
    let needs_labels = config(1e4, Structure::TanChain, 10, 3);
    assert!(job::unattended(|job| synthesize(&matrix, None, &needs_labels, job)).is_err());
    Ok(())
}

/// The second-order chain at negligible noise: fitted 4-way clique marginals
/// equal the true ones, and synthetic data keep frequencies and LD at lags 1
/// and 2.
#[test]
fn second_order_chain_reproduces_the_input() -> Result<()> {
    let (matrix, labels) = cohort(600, 120, 18);
    let synthesis = run(
        &matrix,
        &labels,
        &config(1e4, Structure::SecondOrderTanChain, 6_000, 9),
    )?;
    let Some(model) = &synthesis.model else {
        panic!("the chain generator returned no model");
    };
    let domain = ChainDomain::with_order(2, 3, matrix.n_variants(), 2)?;
    let counts = job::unattended(|job| measure::clique_counts(&matrix, &labels, &domain, job))?;
    let n = matrix.n_samples() as f64;
    let worst = model
        .marginals()
        .iter()
        .zip(&counts)
        .map(|(p, &c)| (p - c as f64 / n).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-3, "largest marginal error {worst}");
    assert_eq!(synthesis.manifest.measurements[0].cliques.len(), 118);
    assert_eq!(
        synthesis.manifest.measurements[0].cliques[0].variants,
        [0, 1, 2]
    );
    let synthetic = &synthesis.cohort.matrix;
    let af_error =
        mean_absolute_error(&allele_frequencies(&matrix), &allele_frequencies(synthetic))?;
    assert!(af_error < 0.008, "allele-frequency MAE {af_error}");
    let lag2 = |m: &GenotypeMatrix| -> Vec<Option<f64>> {
        (2..m.n_variants())
            .map(|j| r_squared(m, j - 2, j))
            .collect()
    };
    let lag2_error = mean_absolute_error(&lag2(&matrix), &lag2(synthetic))?;
    assert!(lag2_error < 0.04, "lag-2 r² MAE {lag2_error}");
    Ok(())
}
