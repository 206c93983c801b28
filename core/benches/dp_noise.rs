//! Cost of one Gaussian noise draw for DP-SGD: the exact lattice sampler
//! (`GridGaussian`) against the Box-Muller formula it replaced, and one DP-SGD
//! step's worth of noise (d = 10,001: 10,000 SNPs and the intercept).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use genopriv_core::dp::noise::GridGaussian;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The float formula DP-SGD used before, kept here only as the speed baseline.
fn box_muller(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn benches(c: &mut Criterion) {
    let Ok(grid) = GridGaussian::new(1.0) else {
        panic!("sigma 1 must be accepted");
    };
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    assert!(
        grid.sample(&mut rng).is_ok(),
        "benchmark draws must succeed"
    );
    let mut group = c.benchmark_group("dp_noise");

    group.bench_function("grid_gaussian_draw", |b| {
        b.iter(|| grid.sample(black_box(&mut rng)))
    });
    group.bench_function("box_muller_draw", |b| {
        b.iter(|| box_muller(black_box(&mut rng)))
    });
    let gradient: Vec<f64> = (0..10_001).map(|i| (i as f64 * 0.37).sin()).collect();
    group.bench_function("grid_gaussian_add_to_10001", |b| {
        b.iter(|| {
            gradient
                .iter()
                .map(|&g| grid.add_to(g, &mut rng))
                .collect::<Result<Vec<f64>, _>>()
        })
    });
    group.bench_function("box_muller_add_to_10001", |b| {
        b.iter(|| {
            gradient
                .iter()
                .map(|&g| g + box_muller(&mut rng))
                .collect::<Vec<f64>>()
        })
    });
    group.finish();
}

criterion_group!(dp_noise, benches);
criterion_main!(dp_noise);
