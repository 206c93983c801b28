//! A seeded genotype and phenotype simulator for tests, benchmarks and null
//! controls (spec audits §1.10, §1.13, §9).
//!
//! Model:
//! - Allele frequencies: `p_j ~ U(freq_range)` per SNP.
//! - LD by haplotype copying (a Li-Stephens-like Markov chain): a pool of founder
//!   haplotypes whose alleles are `1[z_j < Phi^-1(p_j)]` for a latent AR(1) chain
//!   `z_j = r z_{j-1} + sqrt(1 - r^2) e_j` (so `P(allele) = p_j` and founders carry
//!   LD decaying like `r^d`); every sample haplotype copies one
//!   founder and switches to a uniformly drawn founder between adjacent SNPs with
//!   probability `switch_rate` (a recombination), and each copied allele flips with
//!   probability `copy_error`. LD between SNPs `d` apart decays like
//!   `(1 - switch_rate)^d`. Two haplotypes make a diploid 0/1/2 genotype.
//!   With [`GenotypeModel::IndependentBinomial`] instead, every call is
//!   `Binomial(2, p_j)` independently (no LD): the federated study's data model
//!   (spec §9), kept so that its set-up can be re-run as published.
//! - Phenotype: `y = 1[sigmoid(intercept + sum_{j in S} beta_j x_j) > U]`,
//!   `U ~ U(0, 1)`, `beta_j ~ N(0, effect_sd^2)` on `n_causal` SNPs drawn uniformly
//!   (spec §9); or no signal: `y ~ Bernoulli(case_fraction)` independent of genotype.

use rand::seq::index;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::data::{Call, GenotypeMatrix, Variant};
use crate::error::{Error, Result};
use crate::models::dpsgd::standard_normal;
use crate::models::sigmoid;

#[derive(Clone, Debug, PartialEq)]
pub enum PhenotypeModel {
    /// Logistic liability on a few causal SNPs.
    Causal {
        n_causal: usize,
        effect_sd: f64,
        intercept: f64,
    },
    /// Phenotype independent of genotype (the null control).
    NoSignal { case_fraction: f64 },
}

/// How genotypes are drawn from the allele frequencies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GenotypeModel {
    /// Haplotype copying from founders: LD and founder-pool frequency noise.
    #[default]
    HaplotypeCopying,
    /// `x_ij ~ Binomial(2, p_j)`, independent across samples and SNPs (spec §9).
    IndependentBinomial,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SimulationConfig {
    pub n_samples: usize,
    pub n_snps: usize,
    /// Range of the drawn alt-allele frequencies.
    pub freq_range: (f64, f64),
    pub n_founders: usize,
    /// r: the lag-one correlation of the founders' latent chain.
    pub founder_correlation: f64,
    /// Probability of a founder switch between adjacent SNPs.
    pub switch_rate: f64,
    pub copy_error: f64,
    /// The founder and copying parameters above apply to haplotype copying only.
    pub genotype_model: GenotypeModel,
    pub phenotype: PhenotypeModel,
    pub seed: u64,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self {
            n_samples: 1000,
            n_snps: 100,
            freq_range: (0.05, 0.5),
            n_founders: 40,
            founder_correlation: 0.9,
            switch_rate: 0.1,
            copy_error: 0.01,
            genotype_model: GenotypeModel::HaplotypeCopying,
            phenotype: PhenotypeModel::Causal {
                n_causal: 10,
                effect_sd: 0.5,
                intercept: 0.0,
            },
            seed: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CausalSnp {
    pub index: usize,
    pub effect: f64,
}

#[derive(Clone, Debug)]
pub struct SimulatedCohort {
    pub genotypes: GenotypeMatrix,
    /// 0 = control, 1 = case.
    pub phenotype: Vec<u8>,
    /// The SNPs the phenotype depends on (empty without signal).
    pub causal: Vec<CausalSnp>,
    /// The drawn founder frequencies `p_j`.
    pub allele_frequencies: Vec<f64>,
}

impl SimulationConfig {
    fn check(&self) -> Result<()> {
        let (low, high) = self.freq_range;
        let probability = |v: f64| (0.0..=1.0).contains(&v);
        if !(probability(low) && probability(high) && low <= high) {
            return Err(Error::Parameter(format!(
                "allele frequency range must satisfy 0 <= low <= high <= 1, got {low}..{high}"
            )));
        }
        if !(probability(self.switch_rate)
            && probability(self.copy_error)
            && probability(self.founder_correlation))
            || self.n_founders == 0
        {
            return Err(Error::Parameter(
                "switch rate, copy error and founder correlation must be in [0, 1], and there \
                 must be a founder"
                    .into(),
            ));
        }
        match self.phenotype {
            PhenotypeModel::Causal { n_causal, .. } if n_causal > self.n_snps => {
                Err(Error::Parameter(format!(
                    "{n_causal} causal SNPs requested of {}",
                    self.n_snps
                )))
            }
            PhenotypeModel::NoSignal { case_fraction } if !probability(case_fraction) => {
                Err(Error::Parameter(format!(
                    "case fraction {case_fraction} is not a probability"
                )))
            }
            _ => Ok(()),
        }
    }
}

pub fn simulate(config: &SimulationConfig) -> Result<SimulatedCohort> {
    config.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let (low, high) = config.freq_range;
    let frequencies: Vec<f64> = (0..config.n_snps)
        .map(|_| low + (high - low) * rng.random::<f64>())
        .collect();
    let dosages = match config.genotype_model {
        GenotypeModel::HaplotypeCopying => haplotype_copying(config, &frequencies, &mut rng),
        GenotypeModel::IndependentBinomial => {
            let mut dosages = vec![0 as Call; config.n_samples * config.n_snps];
            for sample_dosages in dosages.chunks_mut(config.n_snps.max(1)) {
                for (dosage, &p) in sample_dosages.iter_mut().zip(&frequencies) {
                    *dosage =
                        Call::from(rng.random::<f64>() < p) + Call::from(rng.random::<f64>() < p);
                }
            }
            dosages
        }
    };
    let samples = (0..config.n_samples)
        .map(|i| format!("sim{}", i + 1))
        .collect();
    let mut genotypes = GenotypeMatrix::new(samples);
    genotypes.reserve_variants(config.n_snps);
    let mut calls = Vec::with_capacity(config.n_samples);
    for snp in 0..config.n_snps {
        calls.clear();
        calls.extend((0..config.n_samples).map(|sample| {
            dosages
                .get(sample * config.n_snps + snp)
                .copied()
                .unwrap_or(0)
        }));
        let variant = Variant {
            chrom: "1".into(),
            pos: 1000 * (snp as u64 + 1),
            id: format!("snp{}", snp + 1),
            ref_allele: "A".into(),
            alt_allele: "G".into(),
        };
        genotypes.push_variant(variant, &calls);
    }
    let (phenotype, causal) = match config.phenotype {
        PhenotypeModel::NoSignal { case_fraction } => (
            (0..config.n_samples)
                .map(|_| u8::from(rng.random::<f64>() < case_fraction))
                .collect(),
            Vec::new(),
        ),
        PhenotypeModel::Causal {
            n_causal,
            effect_sd,
            intercept,
        } => {
            let mut causal: Vec<CausalSnp> = index::sample(&mut rng, config.n_snps, n_causal)
                .into_iter()
                .map(|index| CausalSnp { index, effect: 0.0 })
                .collect();
            causal.sort_by_key(|c| c.index);
            for snp in &mut causal {
                snp.effect = effect_sd * standard_normal(&mut rng);
            }
            let phenotype = (0..config.n_samples)
                .map(|sample| {
                    let liability = intercept
                        + causal
                            .iter()
                            .map(|c| {
                                let x = dosages
                                    .get(sample * config.n_snps + c.index)
                                    .copied()
                                    .unwrap_or(0);
                                c.effect * f64::from(x)
                            })
                            .sum::<f64>();
                    u8::from(sigmoid(liability) > rng.random::<f64>())
                })
                .collect();
            (phenotype, causal)
        }
    };
    Ok(SimulatedCohort {
        genotypes,
        phenotype,
        causal,
        allele_frequencies: frequencies,
    })
}

/// Sample-major dosages by haplotype copying from a founder pool (module docs).
fn haplotype_copying(
    config: &SimulationConfig,
    frequencies: &[f64],
    rng: &mut ChaCha8Rng,
) -> Vec<Call> {
    let standard = Normal::standard();
    let cutoffs: Vec<f64> = frequencies
        .iter()
        .map(|&p| standard.inverse_cdf(p))
        .collect();
    let r = config.founder_correlation;
    let innovation_sd = (1.0 - r * r).sqrt();
    let founders: Vec<Vec<bool>> = (0..config.n_founders)
        .map(|_| {
            let mut z = standard_normal(rng);
            cutoffs
                .iter()
                .enumerate()
                .map(|(snp, &cutoff)| {
                    if snp > 0 {
                        z = r * z + innovation_sd * standard_normal(rng);
                    }
                    z < cutoff
                })
                .collect()
        })
        .collect();
    // Genotypes built sample-major, then stored variant-major.
    let mut dosages = vec![0 as Call; config.n_samples * config.n_snps];
    for sample in 0..config.n_samples {
        for _ in 0..2 {
            let mut founder = rng.random_range(0..config.n_founders);
            for snp in 0..config.n_snps {
                if snp > 0 && rng.random::<f64>() < config.switch_rate {
                    founder = rng.random_range(0..config.n_founders);
                }
                let mut allele = founders
                    .get(founder)
                    .and_then(|h| h.get(snp))
                    .copied()
                    .unwrap_or(false);
                if rng.random::<f64>() < config.copy_error {
                    allele = !allele;
                }
                if allele && let Some(d) = dosages.get_mut(sample * config.n_snps + snp) {
                    *d += 1;
                }
            }
        }
    }
    dosages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn correlation(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }

    fn dosages(cohort: &SimulatedCohort, snp: usize) -> Vec<f64> {
        cohort.genotypes.calls(snp).map(f64::from).collect()
    }

    #[test]
    fn frequencies_ld_and_seed_behave() -> Result<()> {
        let config = SimulationConfig {
            n_samples: 2000,
            n_snps: 60,
            ..SimulationConfig::default()
        };
        let cohort = simulate(&config)?;
        // Same seed, same data.
        assert_eq!(simulate(&config)?.genotypes, cohort.genotypes);
        // Observed alt frequency tracks the founder-pool frequency (40 founders add
        // sampling noise of sd ~ sqrt(p(1-p)/40) <= 0.08; copy errors pull to 0.5).
        let mut mean_abs_error = 0.0;
        for snp in 0..config.n_snps {
            let observed = cohort.genotypes.call_counts(snp).alt_alleles() as f64 / 4000.0;
            mean_abs_error += (observed - cohort.allele_frequencies[snp]).abs();
        }
        assert!(mean_abs_error / (config.n_snps as f64) < 0.08);
        // LD: adjacent SNPs correlate more than SNPs 30 apart, on average (r^2).
        let mean_r2 = |gap: usize| {
            let pairs: Vec<f64> = (0..config.n_snps - gap)
                .map(|j| correlation(&dosages(&cohort, j), &dosages(&cohort, j + gap)).powi(2))
                .filter(|r| r.is_finite())
                .collect();
            pairs.iter().sum::<f64>() / pairs.len() as f64
        };
        let (near, far) = (mean_r2(1), mean_r2(30));
        assert!(
            near > 3.0 * far && near > 0.2,
            "r2 adjacent {near}, 30 apart {far}"
        );
        Ok(())
    }

    #[test]
    fn no_signal_phenotype_ignores_genotypes() -> Result<()> {
        let config = SimulationConfig {
            n_samples: 4000,
            n_snps: 20,
            phenotype: PhenotypeModel::NoSignal { case_fraction: 0.5 },
            ..SimulationConfig::default()
        };
        let cohort = simulate(&config)?;
        let y: Vec<f64> = cohort.phenotype.iter().map(|&v| f64::from(v)).collect();
        // |r| < 4/sqrt(n) = 0.063 for every SNP under independence (Bonferroni-safe).
        for snp in 0..config.n_snps {
            let r = correlation(&dosages(&cohort, snp), &y);
            assert!(r.abs() < 0.063, "SNP {snp}: r = {r}");
        }
        Ok(())
    }

    #[test]
    fn independent_binomial_genotypes_have_the_drawn_frequencies_and_no_ld() -> Result<()> {
        let config = SimulationConfig {
            n_samples: 4000,
            n_snps: 40,
            genotype_model: GenotypeModel::IndependentBinomial,
            ..SimulationConfig::default()
        };
        let cohort = simulate(&config)?;
        for snp in 0..config.n_snps {
            // 8,000 alleles: sd of the frequency <= 0.0056; 5 sd.
            let observed = cohort.genotypes.call_counts(snp).alt_alleles() as f64 / 8000.0;
            let p = cohort.allele_frequencies[snp];
            assert!((observed - p).abs() < 0.028, "SNP {snp}: {observed} vs {p}");
        }
        // Independent SNPs: |r| < 4/sqrt(n) = 0.063 between neighbours.
        for snp in 0..config.n_snps - 1 {
            let r = correlation(&dosages(&cohort, snp), &dosages(&cohort, snp + 1));
            assert!(r.abs() < 0.063, "SNPs {snp}, {}: r = {r}", snp + 1);
        }
        Ok(())
    }
}
