//! Synthesis throughput: each stage at 2,000 individuals × 20,000 SNPs, and (when
//! `GENOPRIV_BENCH_FULL=1`) one timed run of the whole pipeline at the target
//! size of 10,000 × 100,000 (goal: under 60 s), printed to stderr with the time
//! of each stage. `GENOPRIV_BENCH_QUALITY=1` prints the estimator's final loss
//! and allele-frequency error at 2,000 × 5,000, the figures a speed change to
//! the estimator must not worsen. Results: `benchmarks/synthesis_speed.md`.

use std::time::Instant;

mod support;

use criterion::{Criterion, criterion_group};
use genopriv_core::data::GenotypeMatrix;
use genopriv_core::job::{self, CancelToken, Job};
use genopriv_core::synthesis::metrics::{allele_frequencies, mean_absolute_error};
use genopriv_core::synthesis::simulate::{SimulationParameters, simulate_cohort};
use genopriv_core::synthesis::{
    ChainDomain, ChainModel, DiscreteGaussian, EstimatorOptions, MissingPolicy, Observations,
    SeedPolicy, Structure, SynthesisConfig, measure, synthesize, zcdp,
};
use support::StageClock;

/// Exact clique counts and the sampler, then the noisy clique and SNP tables
/// and their σ, as `synthesize` measures them at epsilon 3.
#[allow(clippy::type_complexity)]
fn noisy_tables(
    matrix: &GenotypeMatrix,
    labels: &[u8],
    domain: &ChainDomain,
) -> Option<((Vec<u64>, DiscreteGaussian), (Vec<f64>, Vec<f64>, f64))> {
    let counts = job::unattended(|job| measure::clique_counts(matrix, labels, domain, job)).ok()?;
    let tables = domain.n_cliques() + domain.n_snps;
    let sigma = zcdp::cdp_rho(3.0, 1e-6)
        .and_then(|rho| zcdp::sigma_for(rho, tables))
        .ok()?;
    let sampler = DiscreteGaussian::new(sigma * sigma).ok()?;
    let noise = |values: &[u64], cells: usize, seed: [u8; 32]| {
        job::unattended(|job| measure::add_noise(values, cells, &sampler, seed, job))
            .ok()
            .map(|noisy| noisy.iter().map(|&v| v as f64).collect::<Vec<f64>>())
    };
    let noisy = noise(&counts, domain.clique_cells(), [1; 32])?;
    let snps = noise(&measure::snp_counts(matrix, 3), 3, [2; 32])?;
    let sigma = sampler.sigma2().sqrt();
    Some(((counts, sampler), (noisy, snps, sigma)))
}

fn stages(c: &mut Criterion) {
    let (matrix, labels) = simulate_cohort(&SimulationParameters {
        n_samples: 2_000,
        n_snps: 20_000,
        ..SimulationParameters::default()
    });
    let Ok(domain) = ChainDomain::new(2, 3, matrix.n_variants()) else {
        return;
    };
    let mut group = c.benchmark_group("synthesis_2000x20000");
    group.sample_size(10);
    group.bench_function("count", |b| {
        b.iter(|| job::unattended(|job| measure::clique_counts(&matrix, &labels, &domain, job)))
    });
    let Some(((counts, sampler), (noisy, snps, sigma))) = noisy_tables(&matrix, &labels, &domain)
    else {
        return;
    };
    group.bench_function("noise", |b| {
        b.iter(|| {
            job::unattended(|job| {
                measure::add_noise(&counts, domain.clique_cells(), &sampler, [1; 32], job)
            })
        })
    });
    let options = EstimatorOptions {
        max_iterations: 100,
        relative_tolerance: 0.0,
    };
    let observations = Observations {
        cliques: &noisy,
        snps: &snps,
        sigma,
    };
    group.bench_function("fit_100_iterations", |b| {
        b.iter(|| job::unattended(|job| ChainModel::fit(domain, observations, options, job)))
    });
    let Ok((model, _)) = job::unattended(|job| ChainModel::fit(domain, observations, options, job))
    else {
        return;
    };
    group.bench_function("sample_2000", |b| {
        b.iter(|| job::unattended(|job| model.sample(2_000, matrix.variants(), [2; 32], job)))
    });
    group.finish();
}

/// One run at the target size, timed stage by stage through `synthesize`.
fn full_size() {
    let (n, d) = (10_000, 100_000);
    let started = Instant::now();
    let (matrix, labels) = simulate_cohort(&SimulationParameters {
        n_samples: n,
        n_snps: d,
        ..SimulationParameters::default()
    });
    eprintln!(
        "simulated {n} x {d} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let config = SynthesisConfig {
        epsilon: 3.0,
        delta: 1e-6,
        structure: Structure::TanChain,
        missing: MissingPolicy::Reject,
        n_classes: 2,
        n_synthetic: n,
        estimator: EstimatorOptions::default(),
        seed: SeedPolicy::Study { seed: 1 },
    };
    let clock = StageClock::default();
    let cancel = CancelToken::new();
    let started = Instant::now();
    let result = synthesize(&matrix, Some(&labels), &config, Job::new(&clock, &cancel));
    let finished = Instant::now();
    match result {
        Ok(synthesis) => {
            eprintln!(
                "synthesized {n} x {d} (measure + fit + sample) in {:.1} s; estimator {:?}",
                (finished - started).as_secs_f64(),
                synthesis.manifest.estimator
            );
            clock.print(finished);
            let real = allele_frequencies(&matrix);
            let synthetic = allele_frequencies(&synthesis.cohort.matrix);
            if let Ok(mae) = mean_absolute_error(&real, &synthetic) {
                eprintln!("  allele-frequency MAE, synthetic vs real: {mae:.5}");
            }
        }
        Err(error) => eprintln!("synthesis failed: {error}"),
    }
}

/// Estimator quality at a mid-size cohort (2,000 × 5,000, ε 3): iterations, final
/// loss, fit time and the allele-frequency MAE of 2,000 synthetic individuals
/// against the real ones, with the default options and then, for each cap in
/// `GENOPRIV_BENCH_CAPS` (comma-separated), with no tolerance and that many
/// iterations. Speed changes to the estimator must not raise either figure.
fn estimator_quality() {
    let (n, d) = (2_000, 5_000);
    let (matrix, labels) = simulate_cohort(&SimulationParameters {
        n_samples: n,
        n_snps: d,
        ..SimulationParameters::default()
    });
    let Ok(domain) = ChainDomain::new(2, 3, d) else {
        return;
    };
    let Some((_, (noisy, snps, sigma))) = noisy_tables(&matrix, &labels, &domain) else {
        return;
    };
    let observations = Observations {
        cliques: &noisy,
        snps: &snps,
        sigma,
    };
    let real = allele_frequencies(&matrix);
    let mut runs = vec![EstimatorOptions::default()];
    if let Ok(caps) = std::env::var("GENOPRIV_BENCH_CAPS") {
        runs.extend(
            caps.split(',')
                .filter_map(|cap| cap.trim().parse().ok())
                .map(|max_iterations| EstimatorOptions {
                    max_iterations,
                    relative_tolerance: 0.0,
                }),
        );
    }
    for options in runs {
        let started = Instant::now();
        let Ok((model, report)) =
            job::unattended(|job| ChainModel::fit(domain, observations, options, job))
        else {
            eprintln!("fit failed with {options:?}");
            continue;
        };
        let fit_seconds = started.elapsed().as_secs_f64();
        let Ok(cohort) = job::unattended(|job| model.sample(n, matrix.variants(), [2; 32], job))
        else {
            continue;
        };
        let Ok(mae) = mean_absolute_error(&real, &allele_frequencies(&cohort.matrix)) else {
            continue;
        };
        eprintln!(
            "quality {n} x {d}, {options:?}: {} iterations (converged {}), loss {:.6e} -> {:.6e}, \
             fit {fit_seconds:.2} s, allele-frequency MAE {mae:.5}",
            report.iterations, report.converged, report.initial_loss, report.final_loss
        );
    }
}

criterion_group!(benches, stages);

fn main() {
    benches();
    if std::env::var("GENOPRIV_BENCH_QUALITY").is_ok_and(|v| v == "1") {
        estimator_quality();
    }
    if std::env::var("GENOPRIV_BENCH_FULL").is_ok_and(|v| v == "1") {
        full_size();
    }
    Criterion::default().configure_from_args().final_summary();
}
