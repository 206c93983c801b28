//! LiRA (Carlini et al. 2022; spec audits §3.3) for any [`Classifier`] target.
//!
//! Reference models are trained on random halves of the attacker's pool
//! ([`keep_matrix`]); for each record the logit-scaled confidence
//! `phi = ln p_y - ln(1 - p_y)` (for a sigmoid model: `+z` for a case, `-z` for a
//! control) is collected from the models that saw it (IN) and those that did not
//! (OUT). Means are medians, as in the reference code.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use statrs::distribution::{Continuous, Normal};

use crate::error::{Error, Result};
use crate::models::{Classifier, Features, Fit, features::select_labels};

/// Guards a zero standard deviation, as the reference code's `+ 1e-30`.
const STD_GUARD: f64 = 1e-30;

/// `keep[m][i]`: whether reference model `m` trains on record `i`. Each record is IN
/// for exactly `round(pkeep * n_models)` models (`uniform(0, 1, (N, n)).argsort(0) <
/// pkeep * N`).
pub fn keep_matrix(n_models: usize, n_records: usize, pkeep: f64, seed: u64) -> Vec<Vec<bool>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let in_count = (pkeep * n_models as f64).round() as usize;
    let mut keep = vec![vec![false; n_records]; n_models];
    for record in 0..n_records {
        let mut draws: Vec<(f64, usize)> =
            (0..n_models).map(|m| (rng.random::<f64>(), m)).collect();
        draws.sort_by(|a, b| a.0.total_cmp(&b.0));
        for &(_, model) in draws.iter().take(in_count) {
            if let Some(slot) = keep.get_mut(model).and_then(|row| row.get_mut(record)) {
                *slot = true;
            }
        }
    }
    keep
}

/// `phi` of every record: the logit signed by the true label.
pub fn logit_signal<M: Classifier + ?Sized>(model: &M, x: &Features, y: &[u8]) -> Vec<f64> {
    model
        .logits(x)
        .into_iter()
        .zip(y)
        .map(|(z, &label)| if label == 1 { z } else { -z })
        .collect()
}

/// Signals of the pool's records under every reference model, with who saw what.
#[derive(Clone, Debug)]
pub struct ReferenceSignals {
    /// `signals[m][i]`.
    pub signals: Vec<Vec<f64>>,
    pub keep: Vec<Vec<bool>>,
}

/// Trains one reference model per row of `keep` (in parallel) on the pool records it
/// keeps, and records every pool record's signal under it.
pub fn train_reference_models<T>(
    trainer: &T,
    pool_x: &Features,
    pool_y: &[u8],
    keep: Vec<Vec<bool>>,
) -> Result<ReferenceSignals>
where
    T: Fit + Sync,
    T::Model: Classifier,
{
    let signals = keep
        .par_iter()
        .map(|mask| {
            if mask.len() != pool_x.n_rows() {
                return Err(Error::Mismatch(format!(
                    "a keep mask covers {} records but the pool has {}",
                    mask.len(),
                    pool_x.n_rows()
                )));
            }
            let indices: Vec<usize> = mask
                .iter()
                .enumerate()
                .filter_map(|(i, &k)| k.then_some(i))
                .collect();
            let model = trainer.fit(
                &pool_x.select_rows(&indices)?,
                &select_labels(pool_y, &indices)?,
            )?;
            Ok(logit_signal(&model, pool_x, pool_y))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ReferenceSignals { signals, keep })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiraMode {
    /// ln N(phi; mu_in, s_in^2) - ln N(phi; mu_out, s_out^2).
    Online,
    /// The paper's one-sided test Pr[Z < phi], Z ~ N(mu_out, s_out^2), returned as its
    /// probit `(phi - mu_out) / s_out` (same ranking, no saturation at 1).
    OfflineOneSided,
    /// The repository's `-ln N(phi; mu_out, s_out^2)` ("repository-compatible").
    OfflineTwoSided,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiraVariance {
    /// A standard deviation per record from its own reference signals.
    PerRecord,
    /// One standard deviation over all IN signals and one over all OUT signals
    /// ("fixed variance", better below ~64 models). The reference code's online
    /// quirk `std_out = std(dat_in)` is not reproduced.
    Global,
}

/// LiRA membership scores (higher = more likely a member) of the pool's records
/// given their signals under the target model.
pub fn lira_scores(
    target_signals: &[f64],
    reference: &ReferenceSignals,
    mode: LiraMode,
    variance: LiraVariance,
) -> Result<Vec<f64>> {
    let n = target_signals.len();
    if reference.signals.iter().any(|s| s.len() != n)
        || reference.keep.len() != reference.signals.len()
    {
        return Err(Error::Mismatch(format!(
            "reference signals do not cover the {n} target records"
        )));
    }
    let split = |record: usize| -> (Vec<f64>, Vec<f64>) {
        let mut inside = Vec::new();
        let mut outside = Vec::new();
        for (signals, keep) in reference.signals.iter().zip(&reference.keep) {
            let (Some(&s), Some(&k)) = (signals.get(record), keep.get(record)) else {
                continue;
            };
            if k { inside.push(s) } else { outside.push(s) }
        }
        (inside, outside)
    };
    let per_record: Vec<(Vec<f64>, Vec<f64>)> = (0..n).map(split).collect();
    let needs_in = mode == LiraMode::Online;
    if let Some(record) = per_record
        .iter()
        .position(|(i, o)| o.is_empty() || (needs_in && i.is_empty()))
    {
        return Err(Error::Parameter(format!(
            "record {} has no {} reference model; train more reference models",
            record + 1,
            if per_record.get(record).is_some_and(|(_, o)| o.is_empty()) {
                "OUT"
            } else {
                "IN"
            }
        )));
    }
    let (global_in, global_out) = match variance {
        LiraVariance::Global => (
            std_dev(
                &per_record
                    .iter()
                    .flat_map(|(i, _)| i.iter().copied())
                    .collect::<Vec<_>>(),
            ),
            std_dev(
                &per_record
                    .iter()
                    .flat_map(|(_, o)| o.iter().copied())
                    .collect::<Vec<_>>(),
            ),
        ),
        LiraVariance::PerRecord => (0.0, 0.0),
    };
    per_record
        .iter()
        .zip(target_signals)
        .map(|((inside, outside), &phi)| {
            let (sd_in, sd_out) = match variance {
                LiraVariance::Global => (global_in, global_out),
                LiraVariance::PerRecord => (std_dev(inside), std_dev(outside)),
            };
            let mu_out = median(outside);
            let out_density = log_normal_density(phi, mu_out, sd_out)?;
            Ok(match mode {
                LiraMode::Online => log_normal_density(phi, median(inside), sd_in)? - out_density,
                LiraMode::OfflineOneSided => (phi - mu_out) / (sd_out + STD_GUARD),
                LiraMode::OfflineTwoSided => -out_density,
            })
        })
        .collect()
}

fn log_normal_density(x: f64, mean: f64, sd: f64) -> Result<f64> {
    Normal::new(mean, sd + STD_GUARD)
        .map(|d| d.ln_pdf(x))
        .map_err(|e| Error::Parameter(format!("LiRA Gaussian fit failed: {e}")))
}

/// Population standard deviation (NumPy `np.std`, ddof 0).
fn std_dev(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    super::metrics::quantile_sorted(&sorted, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_is_in_for_exactly_half_the_models() {
        let keep = keep_matrix(16, 50, 0.5, 3);
        for record in 0..50 {
            assert_eq!(keep.iter().filter(|row| row[record]).count(), 8);
        }
        // And the assignment differs between records.
        assert!((1..50).any(|r| keep.iter().any(|row| row[r] != row[0])));
    }

    #[test]
    fn online_score_by_hand() -> Result<()> {
        // One record; IN signals {1, 3}, OUT {-1, 1}: medians 2 and 0, sds 1 and 1.
        let reference = ReferenceSignals {
            signals: vec![vec![1.0], vec![3.0], vec![-1.0], vec![1.0]],
            keep: vec![vec![true], vec![true], vec![false], vec![false]],
        };
        let score = lira_scores(
            &[2.0],
            &reference,
            LiraMode::Online,
            LiraVariance::PerRecord,
        )?;
        // ln N(2; 2, 1) - ln N(2; 0, 1) = 0 - (-2) = 2.
        assert!((score[0] - 2.0).abs() < 1e-9);
        let offline = lira_scores(
            &[2.0],
            &reference,
            LiraMode::OfflineOneSided,
            LiraVariance::PerRecord,
        )?;
        assert!((offline[0] - 2.0).abs() < 1e-9);
        Ok(())
    }
}
