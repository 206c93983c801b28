//! The noise of the XOR mechanism: `Y = X xor B`, `B_ij ~ Bernoulli(p_j)`
//! independently over rows and columns (spec §4.2 step 7), and the randomness
//! every sharing step draws from.

use rand::rngs::SysRng;
use rand::{SeedableRng, TryRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

use super::encode::{BitColumns, last_word_mask};
use crate::error::{Error, Result};
use crate::job::Job;

/// The randomness of one release or study run: a ChaCha20 key, either expanded
/// from a recorded seed (studies, tests: reproducible) or drawn from the operating
/// system's CSPRNG (releases: nothing to record).
///
/// Every step derives its own independent stream per column or SNP from the key,
/// so results do not depend on the number of threads.
#[derive(Clone)]
pub struct NoiseKey {
    key: [u8; 32],
    seed: Option<u64>,
}

impl std::fmt::Debug for NoiseKey {
    // Never print the key of a release: it would let anyone strip the noise.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoiseKey")
            .field("seed", &self.seed)
            .finish()
    }
}

/// Which sharing step a random stream serves (the high bits of its stream id).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Purpose {
    XorNoise = 0,
    Restoration = 1,
    Imputation = 2,
    RandomizedResponse = 3,
    TargetNoise = 4,
}

impl NoiseKey {
    /// A reproducible key for studies and tests; the seed is recorded in results.
    pub fn from_seed(seed: u64) -> Self {
        Self {
            key: ChaCha20Rng::seed_from_u64(seed).get_seed(),
            seed: Some(seed),
        }
    }

    /// A fresh key from the operating system's CSPRNG, for releases.
    pub fn from_os() -> Result<Self> {
        let mut key = [0u8; 32];
        SysRng.try_fill_bytes(&mut key).map_err(|e| {
            Error::io(
                "operating-system random source",
                std::io::Error::other(e.to_string()),
            )
        })?;
        Ok(Self { key, seed: None })
    }

    /// The seed of a study key, `None` for an OS-seeded release key.
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// The independent stream of one step for one column, SNP or variant.
    pub(crate) fn stream(&self, purpose: Purpose, index: usize) -> ChaCha20Rng {
        let mut rng = ChaCha20Rng::from_seed(self.key);
        rng.set_stream(((purpose as u64) << 60) | index as u64);
        rng
    }
}

/// 64 independent Bernoulli(`p`) bits, each exactly `[u < p]` for `u` uniform on
/// the 2^53-point grid of `[0, 1)` (the law of `rng.random::<f64>() < p`).
///
/// Instead of drawing 64 floats, `u = K / 2^53` is compared with `p` bit by bit
/// from the most significant, 64 lanes per random word, and a lane stops as soon
/// as its comparison is decided: about 8 words per 64 bits instead of 64.
pub(crate) fn bernoulli_word<R: rand::Rng>(rng: &mut R, p: f64) -> u64 {
    // `p <= 0` or NaN: never flip.
    if p.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return 0;
    }
    // u < p  <=>  K < ceil(p * 2^53)  for integer K (scaling by 2^53 is exact).
    let threshold = (p * 9_007_199_254_740_992.0).ceil();
    if threshold >= 9_007_199_254_740_992.0 {
        return u64::MAX;
    }
    let threshold = threshold as u64;
    let mut result = 0u64;
    let mut undecided = u64::MAX;
    for bit in (0..53).rev() {
        let random = rng.next_u64();
        if (threshold >> bit) & 1 == 1 {
            // Lanes drawing 0 here are below the threshold.
            result |= undecided & !random;
            undecided &= random;
        } else {
            // Lanes drawing 1 here are above the threshold.
            undecided &= !random;
        }
        if undecided == 0 {
            break;
        }
    }
    // Lanes still undecided drew K == threshold: not below it.
    result
}

/// XORs every bit column with Bernoulli(`p[j]`) noise, in place.
pub fn apply_xor_noise(
    bits: &mut BitColumns,
    p: &[f64],
    key: &NoiseKey,
    job: Job<'_>,
) -> Result<()> {
    if p.len() != bits.n_cols() {
        return Err(Error::Mismatch(format!(
            "{} flip probabilities for {} bit columns",
            p.len(),
            bits.n_cols()
        )));
    }
    if let Some(bad) = p.iter().position(|q| !(0.0..=1.0).contains(q)) {
        return Err(Error::Parameter(format!(
            "flip probability of bit column {bad} is {}, outside [0, 1]",
            p[bad]
        )));
    }
    let stage = "adding XOR noise";
    job.checkpoint(stage, Some(0.0))?;
    let mask = last_word_mask(bits.n_rows());
    let n_cols = bits.n_cols().max(1);
    bits.par_columns_mut()
        .zip(p.par_iter())
        .enumerate()
        .for_each(|(j, (column, &q))| {
            if job.cancel.is_cancelled() {
                return;
            }
            let mut rng = key.stream(Purpose::XorNoise, j);
            for word in column.iter_mut() {
                *word ^= bernoulli_word(&mut rng, q);
            }
            if let Some(last) = column.last_mut() {
                *last &= mask;
            }
            if j % 4096 == 0 {
                job.progress.report(stage, Some(j as f32 / n_cols as f32));
            }
        });
    job.checkpoint(stage, Some(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job;

    #[test]
    fn bernoulli_words_have_the_requested_rate() {
        // 2^20 bits per rate: the sd of the observed rate is below 5e-4.
        for (i, p) in [0.0028718841, 0.1, 0.3577849526, 0.5, 0.5003293317, 0.9]
            .into_iter()
            .enumerate()
        {
            let mut rng = NoiseKey::from_seed(11).stream(Purpose::XorNoise, i);
            let ones: u64 = (0..16_384)
                .map(|_| u64::from(bernoulli_word(&mut rng, p).count_ones()))
                .sum();
            let rate = ones as f64 / (16_384.0 * 64.0);
            let sd = (p * (1.0 - p) / (16_384.0 * 64.0)).sqrt();
            assert!((rate - p).abs() < 5.0 * sd + 1e-12, "p {p}: rate {rate}");
        }
        let mut rng = NoiseKey::from_seed(11).stream(Purpose::XorNoise, 99);
        assert_eq!(bernoulli_word(&mut rng, 0.0), 0);
        assert_eq!(bernoulli_word(&mut rng, 1.0), u64::MAX);
    }

    #[test]
    fn bernoulli_lanes_are_independent() {
        // Adjacent lanes of one word must not be correlated: P(both) = p^2.
        let p = 0.3;
        let mut rng = NoiseKey::from_seed(12).stream(Purpose::XorNoise, 0);
        let words = 32_768;
        let both: u64 = (0..words)
            .map(|_| {
                let w = bernoulli_word(&mut rng, p);
                u64::from((w & (w >> 1)).count_ones())
            })
            .sum();
        let rate = both as f64 / (words as f64 * 63.0);
        assert!((rate - p * p).abs() < 0.003, "{rate}");
    }

    #[test]
    fn noise_is_reproducible_from_a_seed_and_keeps_padding_clear() -> Result<()> {
        let mut a = BitColumns::zeros(70, 4);
        let mut b = a.clone();
        let p = [0.5, 0.0, 1.0, 0.25];
        job::unattended(|job| apply_xor_noise(&mut a, &p, &NoiseKey::from_seed(1), job))?;
        job::unattended(|job| apply_xor_noise(&mut b, &p, &NoiseKey::from_seed(1), job))?;
        assert_eq!(a, b);
        assert_eq!(a.count_ones(1), 0);
        assert_eq!(a.count_ones(2), 70);
        let mut c = BitColumns::zeros(70, 4);
        job::unattended(|job| apply_xor_noise(&mut c, &p, &NoiseKey::from_seed(2), job))?;
        assert_ne!(a, c);
        assert!(NoiseKey::from_os()?.seed().is_none());
        assert!(
            job::unattended(|job| apply_xor_noise(&mut c, &[0.5], &NoiseKey::from_seed(2), job))
                .is_err()
        );
        Ok(())
    }
}
