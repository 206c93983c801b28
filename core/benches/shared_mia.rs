//! Benchmarks of the shared-data membership tests at study scale (2 cores):
//! - nearest-released-record Hamming distances, 2,000 tested people against a
//!   2,000-row release at 20,000 SNPs (4 million row pairs);
//! - allele-frequency likelihood-ratio scores of 5,000 people at 100,000 SNPs.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

use genopriv_core::audit::shared_data::{hamming_scores, likelihood_ratio_scores};
use genopriv_core::data::{GenotypeMatrix, Variant};
use genopriv_core::job;

/// Hardy-Weinberg genotypes of `n` people at `m` SNPs with frequencies in
/// [0.05, 0.5], and those frequencies.
fn genotypes(n: usize, m: usize, prefix: &str, seed: u64) -> (GenotypeMatrix, Vec<f64>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut matrix = GenotypeMatrix::new((0..n).map(|i| format!("{prefix}{i}")).collect());
    let mut frequencies = Vec::with_capacity(m);
    let mut calls = vec![0u8; n];
    for j in 0..m {
        let f = 0.05 + 0.45 * rng.random::<f64>();
        for call in calls.iter_mut() {
            *call = u8::from(rng.random::<f64>() < f) + u8::from(rng.random::<f64>() < f);
        }
        let variant = Variant {
            chrom: "1".into(),
            pos: j as u64 + 1,
            id: ".".into(),
            ref_allele: "A".into(),
            alt_allele: "G".into(),
        };
        matrix.push_variant(variant, &calls);
        frequencies.push(f);
    }
    (matrix, frequencies)
}

fn hamming(c: &mut Criterion) {
    let (tested, _) = genotypes(2_000, 20_000, "t", 1);
    let (released, _) = genotypes(2_000, 20_000, "r", 2);
    let mut group = c.benchmark_group("shared-data MIA");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("Hamming 2k tested x 2k released x 20k SNPs", |b| {
        b.iter(|| job::unattended(|job| hamming_scores(black_box(&tested), &released, job)))
    });
    group.finish();
}

fn likelihood_ratio(c: &mut Criterion) {
    let (tested, reference) = genotypes(5_000, 100_000, "t", 3);
    let pool: Vec<f64> = reference.iter().map(|f| (f * 1.05).min(1.0)).collect();
    let mut group = c.benchmark_group("shared-data MIA");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("likelihood ratio 5k x 100k SNPs", |b| {
        b.iter(|| {
            job::unattended(|job| {
                likelihood_ratio_scores(black_box(&tested), &pool, &reference, job)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, hamming, likelihood_ratio);
criterion_main!(benches);
