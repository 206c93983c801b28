//! Benchmarks of the XOR-mechanism release at production scale:
//! - flip-rate calibration on 28,000 SNPs (56,000 bit columns) with a simulated
//!   400-person reference (target: < 5 s on 2 cores);
//! - XOR noise plus frequency restoration on 5,000 people x 100,000 SNPs
//!   (target: < 5 s on 2 cores).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

use genopriv_core::data::{GenotypeMatrix, Variant};
use genopriv_core::job;
use genopriv_core::sharing::{
    BitColumns, NoiseKey, apply_xor_noise, calibrate, encoded_frequencies, restore_frequencies,
};

/// Genotypes of `n` people at `m` SNPs drawn under Hardy-Weinberg with allele
/// frequencies from 0 to 0.5 (a tenth monomorphic, as in real panels).
fn simulate_genotypes(n: usize, m: usize, seed: u64) -> GenotypeMatrix {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut matrix = GenotypeMatrix::new((0..n).map(|i| format!("ref{i}")).collect());
    let mut calls = vec![0u8; n];
    for j in 0..m {
        let f: f64 = if rng.random::<f64>() < 0.1 {
            0.0
        } else {
            rng.random::<f64>() * 0.5
        };
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
    }
    matrix
}

/// A large encoded matrix filled word by word (its content does not change the
/// cost of noise and restoration): carriers at rate ~1/2, homozygotes ~1/4.
fn random_encoded(n: usize, m: usize, seed: u64) -> BitColumns {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut bits = BitColumns::zeros(n, 2 * m);
    let mask = match n % 64 {
        0 => u64::MAX,
        used => (1u64 << used) - 1,
    };
    for j in 0..m {
        let carriers: Vec<u64> = (0..bits.words_per_col()).map(|_| rng.next_u64()).collect();
        for (w, word) in bits.column_mut(2 * j + 1).iter_mut().enumerate() {
            *word = carriers[w];
        }
        for (w, word) in bits.column_mut(2 * j).iter_mut().enumerate() {
            *word = carriers[w] & rng.next_u64();
        }
        for col in [2 * j, 2 * j + 1] {
            if let Some(last) = bits.column_mut(col).last_mut() {
                *last &= mask;
            }
        }
    }
    bits
}

fn calibration(c: &mut Criterion) {
    let reference = simulate_genotypes(400, 28_000, 1);
    let mut group = c.benchmark_group("calibration");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("28k SNPs x 400 reference", |b| {
        b.iter(|| {
            job::unattended(|job| calibrate(black_box(&reference), job)).map(|cal| cal.theta_norm)
        })
    });
    group.finish();
}

fn noise_and_restoration(c: &mut Criterion) {
    let (n, m) = (5_000, 100_000);
    let original = random_encoded(n, m, 2);
    let target = encoded_frequencies(&original);
    // Flip rates spread like the calibrated ones (0 to 0.5).
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let p: Vec<f64> = (0..2 * m).map(|_| rng.random::<f64>() * 0.5).collect();
    let key = NoiseKey::from_seed(4);
    let mut group = c.benchmark_group("release");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("noise + restoration 5k x 100k", |b| {
        b.iter_batched(
            || original.clone(),
            |mut bits| {
                job::unattended(|job| {
                    apply_xor_noise(&mut bits, &p, &key, job)?;
                    restore_frequencies(&mut bits, &target, &key, job)
                })
                .map(|report| report.flipped_bits)
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, calibration, noise_and_restoration);
criterion_main!(benches);
