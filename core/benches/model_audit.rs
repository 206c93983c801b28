//! The issue-4 speed targets on a 2,000 x 10,000 simulated cohort: per-example
//! gradients, one DP-SGD epoch, and a whole model audit (target + 8 reference
//! models, loss, LiRA and shadow-model attacks with bootstrap CIs) that must finish in under 60 s
//! on 2 cores.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use genopriv_core::job;
use genopriv_core::models::{DpSgd, Features, LogisticModel};
use genopriv_core::simulate::{SimulatedCohort, SimulationConfig, simulate};
use genopriv_core::study::audit::{
    AttackKind, ModelAudit, ModelAuditSettings, ReferenceMode, TargetModel,
};

const N_SAMPLES: usize = 2_000;
const N_SNPS: usize = 10_000;

fn cohort() -> SimulatedCohort {
    match simulate(&SimulationConfig {
        n_samples: N_SAMPLES,
        n_snps: N_SNPS,
        seed: 4,
        ..SimulationConfig::default()
    }) {
        Ok(cohort) => cohort,
        Err(error) => panic!("the benchmark cohort must simulate: {error}"),
    }
}

fn benches(c: &mut Criterion) {
    let cohort = cohort();
    let x = Features::from_genotypes(&cohort.genotypes);
    let y = cohort.phenotype.clone();
    let model = LogisticModel {
        weights: (0..N_SNPS).map(|j| ((j % 7) as f64 - 3.0) * 1e-3).collect(),
        intercept: 0.1,
    };

    let mut group = c.benchmark_group("model_audit_2000x10000");
    group.sample_size(10);

    group.bench_function("per_example_gradients_2000", |b| {
        b.iter(|| {
            x.rows()
                .zip(&y)
                .map(|(row, &label)| black_box(model.example_gradient(row, label)).len())
                .sum::<usize>()
        })
    });

    // One epoch: expected batch 64, steps = n / 64.
    let epoch = DpSgd {
        sampling_rate: 64.0 / N_SAMPLES as f64,
        noise_multiplier: 1.0,
        clip_norm: 1.0,
        learning_rate: 0.1,
        steps: N_SAMPLES / 64,
        seed: 1,
    };
    group.bench_function("dp_sgd_epoch_batch64", |b| {
        b.iter(|| job::unattended(|job| epoch.train(black_box(&x), black_box(&y), job)))
    });

    let status: Vec<Option<bool>> = cohort.phenotype.iter().map(|&v| Some(v == 1)).collect();
    let audit = match job::unattended(|job| ModelAudit::prepare(&cohort.genotypes, &status, 7, job))
    {
        Ok(audit) => audit,
        Err(error) => panic!("the audit must prepare: {error}"),
    };
    let settings = ModelAuditSettings {
        model: TargetModel::Logistic { l2: 1e-2 },
        dp: None,
        attacks: vec![AttackKind::Loss, AttackKind::Lira, AttackKind::Shadow],
        reference_models: 8,
        reference_mode: ReferenceMode::Offline,
        bootstrap_resamples: 1000,
        seed: 11,
        delta: 1e-5,
    };
    group.bench_function("audit_logistic_loss_lira_shadow_8_references", |b| {
        b.iter(|| job::unattended(|job| audit.run(black_box(&settings), job)))
    });
    group.finish();
}

criterion_group!(model_audit, benches);
criterion_main!(model_audit);
