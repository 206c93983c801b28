//! A small haplotype simulator for tests and benchmarks: cohorts with realistic
//! shape (LD that decays along the chromosome, a case/control label with a few
//! associated SNPs) built in memory, without any file.
//!
//! Unlike the founder-mosaic [`crate::simulate`], each haplotype here is a
//! first-order Markov chain along the SNPs: the family the chain generator
//! fits exactly, so tests can demand that the whole LD-decay curve survives.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::data::{GenotypeMatrix, Variant};

/// Parameters of [`simulate_cohort`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimulationParameters {
    pub n_samples: usize,
    pub n_snps: usize,
    /// Probability that a haplotype copies its allele from the previous SNP
    /// instead of drawing afresh: sets adjacent LD (r² ≈ copy² for equal
    /// frequencies).
    pub copy_probability: f64,
    /// Every `causal_every`-th SNP has its fresh-draw frequency raised by
    /// `effect` in cases.
    pub causal_every: usize,
    pub effect: f64,
    pub seed: u64,
}

impl Default for SimulationParameters {
    fn default() -> Self {
        Self {
            n_samples: 600,
            n_snps: 500,
            copy_probability: 0.8,
            causal_every: 50,
            effect: 0.2,
            seed: 1,
        }
    }
}

fn unit(rng: &mut ChaCha20Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Genotypes and 0/1 labels (half cases in expectation). Each of an
/// individual's two haplotypes is a Markov chain along the SNPs: copy the
/// previous allele with `copy_probability`, else draw alt with the SNP's
/// frequency (uniform in [0.05, 0.5], shifted in cases at causal SNPs). SNPs sit
/// 1 kb apart on chromosome 1.
pub fn simulate_cohort(parameters: &SimulationParameters) -> (GenotypeMatrix, Vec<u8>) {
    let mut rng = ChaCha20Rng::seed_from_u64(parameters.seed);
    let n = parameters.n_samples;
    let frequencies: Vec<f64> = (0..parameters.n_snps)
        .map(|_| 0.05 + 0.45 * unit(&mut rng))
        .collect();
    let labels: Vec<u8> = (0..n).map(|_| u8::from(unit(&mut rng) < 0.5)).collect();
    let samples = (1..=n).map(|i| format!("sim_{i}")).collect();
    let mut matrix = GenotypeMatrix::new(samples);
    let mut haplotypes = vec![[false; 2]; n];
    let mut calls = vec![0u8; n];
    for (j, &p) in frequencies.iter().enumerate() {
        let causal = parameters.causal_every > 0 && j % parameters.causal_every == 0;
        for ((pair, call), &y) in haplotypes.iter_mut().zip(&mut calls).zip(&labels) {
            let p = if causal && y == 1 {
                (p + parameters.effect).min(0.95)
            } else {
                p
            };
            for allele in pair.iter_mut() {
                if j == 0 || unit(&mut rng) >= parameters.copy_probability {
                    *allele = unit(&mut rng) < p;
                }
            }
            *call = u8::from(pair[0]) + u8::from(pair[1]);
        }
        let variant = Variant {
            chrom: "1".into(),
            pos: 1_000 * (j as u64 + 1),
            id: format!("sim{}", j + 1),
            ref_allele: "A".into(),
            alt_allele: "G".into(),
        };
        matrix.push_variant(variant, &calls);
    }
    (matrix, labels)
}
