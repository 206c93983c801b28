//! Secure aggregation by pairwise masks (spec §5 item 4): every pair of sites
//! agrees on a secret seed by X25519 through the host, expands it into a mask
//! vector with ChaCha20, and one of the two adds the mask while the other
//! subtracts it, modulo 2⁶⁴. Each masked vector alone is uniformly random to
//! whoever holds fewer than all of the other sites' seeds; their sum is the sum
//! of the sites' (noisy) count tables, because every mask cancels.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::hkdf;
use ring::rand::SystemRandom;

use crate::error::{Error, Result};

/// An X25519 public key as sent on the wire.
pub type PublicKey = [u8; 32];

/// One site's private keys, one per peer (ring's X25519 keys are single-use).
pub struct MaskKeys {
    own_index: usize,
    private: Vec<Option<EphemeralPrivateKey>>,
    public: Vec<PublicKey>,
}

impl MaskKeys {
    /// Fresh keys for site `own_index` of `sites`, from the operating system's
    /// random source. The entry for the site itself is unused (all zero).
    pub fn generate(own_index: usize, sites: usize) -> Result<Self> {
        let rng = SystemRandom::new();
        let mut private = Vec::with_capacity(sites);
        let mut public = Vec::with_capacity(sites);
        for peer in 0..sites {
            if peer == own_index {
                private.push(None);
                public.push([0; 32]);
                continue;
            }
            let key = EphemeralPrivateKey::generate(&X25519, &rng)
                .map_err(|_| Error::Session("no X25519 key could be generated".into()))?;
            let mut bytes = [0u8; 32];
            let computed = key
                .compute_public_key()
                .map_err(|_| Error::Session("no X25519 public key could be computed".into()))?;
            bytes.copy_from_slice(computed.as_ref());
            private.push(Some(key));
            public.push(bytes);
        }
        Ok(Self {
            own_index,
            private,
            public,
        })
    }

    /// The public keys to send: entry j is for peer j.
    pub fn public_keys(&self) -> &[PublicKey] {
        &self.public
    }

    /// The pairwise seeds with every peer, from the matrix of all sites' public
    /// keys (`all[j][i]` is the key site j made for site i), bound to the session.
    pub fn pairwise_seeds(
        self,
        all: &[Vec<PublicKey>],
        session_id: &[u8],
    ) -> Result<Vec<PairSeed>> {
        let me = self.own_index;
        let mut seeds = Vec::new();
        for (peer, private) in self.private.into_iter().enumerate() {
            let Some(private) = private else { continue };
            let theirs = all.get(peer).and_then(|keys| keys.get(me)).ok_or_else(|| {
                Error::Session(format!("site {} sent no mask key for us", peer + 1))
            })?;
            let (low, high) = (me.min(peer) as u32, me.max(peer) as u32);
            let seed = agreement::agree_ephemeral(
                private,
                &UnparsedPublicKey::new(&X25519, theirs),
                |shared| expand_seed(shared, session_id, low, high),
            )
            .map_err(|_| {
                Error::Session(format!(
                    "site {}'s mask key is not a valid X25519 key",
                    peer + 1
                ))
            })??;
            seeds.push(PairSeed { peer, seed });
        }
        Ok(seeds)
    }
}

/// The seed one site shares with one peer.
#[derive(Clone, Copy)]
pub struct PairSeed {
    pub peer: usize,
    pub seed: [u8; 32],
}

struct SeedLength;

impl hkdf::KeyType for SeedLength {
    fn len(&self) -> usize {
        32
    }
}

/// HKDF-SHA256 of the X25519 secret, salted with the session id and labelled with
/// the pair, so that seeds differ between pairs and sessions.
fn expand_seed(shared: &[u8], session_id: &[u8], low: u32, high: u32) -> Result<[u8; 32]> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, session_id).extract(shared);
    let (low, high) = (low.to_be_bytes(), high.to_be_bytes());
    let info: [&[u8]; 3] = [b"genopriv silo mask v1", &low, &high];
    let mut seed = [0u8; 32];
    prk.expand(&info, SeedLength)
        .and_then(|okm| okm.fill(&mut seed))
        .map_err(|_| Error::Session("the mask seed could not be derived".into()))?;
    Ok(seed)
}

/// Masks `values` in place for site `own_index`: + mask for peers above it,
/// − mask for peers below it, all modulo 2⁶⁴.
pub fn mask(values: &mut [u64], own_index: usize, seeds: &[PairSeed]) {
    for pair in seeds {
        let mut rng = ChaCha20Rng::from_seed(pair.seed);
        if pair.peer > own_index {
            for v in values.iter_mut() {
                *v = v.wrapping_add(rng.next_u64());
            }
        } else {
            for v in values.iter_mut() {
                *v = v.wrapping_sub(rng.next_u64());
            }
        }
    }
}

/// Adds `masked` into `sum` modulo 2⁶⁴.
pub fn accumulate(sum: &mut [u64], masked: &[u64]) -> Result<()> {
    if sum.len() != masked.len() {
        return Err(Error::Session(format!(
            "a masked table has {} cells, expected {}",
            masked.len(),
            sum.len()
        )));
    }
    for (s, m) in sum.iter_mut().zip(masked) {
        *s = s.wrapping_add(*m);
    }
    Ok(())
}

/// A site's noisy counts as elements of Z/2⁶⁴ (two's complement).
pub fn to_ring(noisy: &[i64]) -> Vec<u64> {
    noisy.iter().map(|&v| v as u64).collect()
}

/// The revealed sum back as signed counts (two's complement).
pub fn from_ring(sum: &[u64]) -> Vec<i64> {
    sum.iter().map(|&v| v as i64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(sites: usize, session: &[u8]) -> Result<Vec<Vec<PairSeed>>> {
        let keys: Vec<MaskKeys> = (0..sites)
            .map(|i| MaskKeys::generate(i, sites))
            .collect::<Result<_>>()?;
        let all: Vec<Vec<PublicKey>> = keys.iter().map(|k| k.public_keys().to_vec()).collect();
        keys.into_iter()
            .map(|k| k.pairwise_seeds(&all, session))
            .collect()
    }

    /// The masks cancel: the sum of masked vectors is the sum of the inputs,
    /// negative noisy counts included.
    #[test]
    fn masks_cancel_in_the_sum() -> Result<()> {
        let seeds = exchange(4, b"session one")?;
        let inputs: Vec<Vec<i64>> = (0..4)
            .map(|k| (0..500).map(|c| (c * (k + 1)) as i64 - 300).collect())
            .collect();
        let mut sum = vec![0u64; 500];
        for (k, input) in inputs.iter().enumerate() {
            let mut masked = to_ring(input);
            mask(&mut masked, k, &seeds[k]);
            assert_ne!(masked, to_ring(input), "site {k}'s table left unmasked");
            accumulate(&mut sum, &masked)?;
        }
        let expected: Vec<i64> = (0..500)
            .map(|c| inputs.iter().map(|v| v[c]).sum())
            .collect();
        assert_eq!(from_ring(&sum), expected);
        assert!(accumulate(&mut sum, &[1, 2]).is_err());
        Ok(())
    }

    /// A masked table looks uniform: over 20,000 cells the top bit is set about
    /// half the time even though every count is small (top bit 0).
    #[test]
    fn masked_counts_look_uniform() -> Result<()> {
        let seeds = exchange(3, b"s")?;
        let mut masked = vec![7u64; 20_000];
        mask(&mut masked, 1, &seeds[1]);
        let high = masked.iter().filter(|&&v| v >> 63 == 1).count() as f64;
        // Binomial(20,000, ½): sd ≈ 71; 5 sd.
        assert!(
            (high - 10_000.0).abs() < 355.0,
            "{high} of 20,000 top bits set"
        );
        Ok(())
    }

    /// Both ends of a pair derive the same seed; other pairs and other sessions
    /// get different ones.
    #[test]
    fn seeds_agree_per_pair_and_differ_between_pairs_and_sessions() -> Result<()> {
        let seeds = exchange(3, b"a")?;
        let between = |i: usize, j: usize| seeds[i].iter().find(|p| p.peer == j).map(|p| p.seed);
        assert_eq!(between(0, 1), between(1, 0));
        assert_eq!(between(1, 2), between(2, 1));
        assert_ne!(between(0, 1), between(0, 2));
        let again = exchange(3, b"b")?;
        assert_ne!(
            seeds[0].first().map(|p| p.seed),
            again[0].first().map(|p| p.seed)
        );
        Ok(())
    }
}
