//! Cost of the audit building blocks at cohort-like sizes: a penalised logistic fit,
//! LiRA reference models, the AUC bootstrap, DP-SGD steps.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use genopriv_core::audit::lira::{keep_matrix, train_reference_models};
use genopriv_core::audit::metrics::{AttackReport, ReportOptions};
use genopriv_core::job;
use genopriv_core::models::{DpSgd, Features, Fit, LogisticRegression, Penalty};
use genopriv_core::simulate::{SimulationConfig, simulate};

fn cohort(n_samples: usize, n_snps: usize) -> Option<(Features, Vec<u8>)> {
    let cohort = simulate(&SimulationConfig {
        n_samples,
        n_snps,
        ..SimulationConfig::default()
    })
    .ok()?;
    Some((
        Features::from_genotypes(&cohort.genotypes),
        cohort.phenotype,
    ))
}

fn benches(c: &mut Criterion) {
    let Some((x, y)) = cohort(1000, 500) else {
        panic!("the benchmark cohort must simulate");
    };
    // Benchmark only working paths: an error would be timed instead.
    let l2 = LogisticRegression::new(Penalty::L2(0.01));
    let l1 = LogisticRegression::new(Penalty::L1(0.01));
    assert!(
        l2.fit(&x, &y).is_ok() && l1.fit(&x, &y).is_ok(),
        "benchmark fits must converge"
    );
    let mut group = c.benchmark_group("audit");
    group.sample_size(10);

    group.bench_function("logistic_l2_fit_1000x500", |b| {
        b.iter(|| l2.fit(black_box(&x), black_box(&y)))
    });
    group.bench_function("logistic_l1_fit_1000x500", |b| {
        b.iter(|| l1.fit(black_box(&x), black_box(&y)))
    });

    let keep = keep_matrix(16, x.n_rows(), 0.5, 1);
    group.bench_function("lira_16_reference_models_1000x500", |b| {
        b.iter(|| train_reference_models(&l2, black_box(&x), black_box(&y), keep.clone()))
    });

    let scores_in: Vec<f64> = (0..2000)
        .map(|i| ((i * 7919) % 2000) as f64 / 1000.0)
        .collect();
    let scores_out: Vec<f64> = (0..2000)
        .map(|i| ((i * 104_729) % 2000) as f64 / 1100.0)
        .collect();
    group.bench_function("attack_report_2000+2000_bootstrap_1000", |b| {
        b.iter(|| {
            AttackReport::new(
                black_box(&scores_in),
                black_box(&scores_out),
                ReportOptions::default(),
            )
        })
    });

    let dp = DpSgd {
        sampling_rate: 0.02,
        noise_multiplier: 1.0,
        clip_norm: 1.0,
        learning_rate: 0.1,
        steps: 1000,
        seed: 1,
    };
    group.bench_function("dp_sgd_1000_steps_q0.02_1000x500", |b| {
        b.iter(|| job::unattended(|job| dp.train(black_box(&x), black_box(&y), job)))
    });
    group.finish();
}

criterion_group!(audit, benches);
criterion_main!(audit);
