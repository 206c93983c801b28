//! RMIA, the relative membership inference attack (Zarifzadeh et al., ICML 2024;
//! spec audits §3.4), scored as ML Privacy Meter's `rmia.py` does, for logistic
//! targets.
//!
//! Pr(x|θ) is the true-label probability, σ(φ) for the signed logit φ that
//! [`super::lira`] collects. Its marginal P(x) over models comes from the same
//! reference models as LiRA ([`super::lira::train_reference_models`]):
//! - online (models with and without x): P(x) = ½(mean P_IN + mean P_OUT);
//! - offline (OUT models only): P(x) = ((1 + a)/2)·mean P_OUT + (1 − a)/2, from the
//!   approximation P_IN ≈ a·P_OUT + 1 − a.
//!
//! The score of x is the fraction of population records z (known non-members of
//! the target) with [Pr(x|θ)/P(x)] / [Pr(z|θ)/P(z)] > γ. It is a non-decreasing
//! function of x's own ratio, so the population only calibrates the scale (and
//! makes scores comparable between targets); records no reference model trained
//! on, such as the population, always use the offline formula.

use super::lira::ReferenceSignals;
use super::metrics::auc;
use crate::error::{Error, Result};

/// ML Privacy Meter's default a when it is not tuned.
pub const DEFAULT_OFFLINE_A: f64 = 0.3;

/// Marginal probabilities below this are treated as this (a = 1 with P_OUT ≈ 0
/// would otherwise divide by zero).
const PROBABILITY_FLOOR: f64 = f64::MIN_POSITIVE;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmiaMode {
    /// Every candidate has IN and OUT reference models.
    Online,
    /// Only OUT reference models are used, with the `a` approximation.
    Offline,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmiaOptions {
    pub mode: RmiaMode,
    /// a in P_IN ≈ a·P_OUT + 1 − a, in [0, 1]: offline mode, and any record without
    /// an IN model in online mode. [`tune_offline_a`] chooses it.
    pub offline_a: f64,
    /// γ: x beats z when its likelihood ratio exceeds z's by more than this factor.
    pub gamma: f64,
}

impl Default for RmiaOptions {
    fn default() -> Self {
        Self {
            mode: RmiaMode::Online,
            offline_a: DEFAULT_OFFLINE_A,
            gamma: 1.0,
        }
    }
}

/// Pr(x|θ) from the signed logit φ: σ(φ), evaluated without overflow.
fn probability(phi: f64) -> f64 {
    if phi >= 0.0 {
        1.0 / (1.0 + (-phi).exp())
    } else {
        let e = phi.exp();
        e / (1.0 + e)
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// ((1 + a)/2)·P_OUT + (1 − a)/2, floored away from zero.
fn offline_marginal(p_out: f64, a: f64) -> f64 {
    ((1.0 + a) / 2.0 * p_out + (1.0 - a) / 2.0).max(PROBABILITY_FLOOR)
}

fn check_options(options: &RmiaOptions) -> Result<()> {
    if !(0.0..=1.0).contains(&options.offline_a) {
        return Err(Error::Parameter(format!(
            "RMIA's offline coefficient a must lie in [0, 1], got {}",
            options.offline_a
        )));
    }
    if !(options.gamma.is_finite() && options.gamma > 0.0) {
        return Err(Error::Parameter(format!(
            "RMIA's gamma must be a positive number, got {}",
            options.gamma
        )));
    }
    Ok(())
}

/// Checks that the reference signals cover `n` records and that `population` is a
/// non-empty set of valid record indices.
fn check_shapes(n: usize, reference: &ReferenceSignals, population: &[usize]) -> Result<()> {
    if reference.signals.is_empty()
        || reference.keep.len() != reference.signals.len()
        || reference.signals.iter().any(|s| s.len() != n)
        || reference.keep.iter().any(|k| k.len() != n)
    {
        return Err(Error::Mismatch(format!(
            "reference signals do not cover the {n} target records"
        )));
    }
    if population.is_empty() {
        return Err(Error::Parameter(
            "RMIA needs population records (known non-members of the target)".into(),
        ));
    }
    if let Some(&bad) = population.iter().find(|&&z| z >= n) {
        return Err(Error::Mismatch(format!(
            "population record {} is beyond the {n} scored records",
            bad + 1
        )));
    }
    Ok(())
}

/// ln[Pr(x|θ)/P(x)] of every record, P(x) from the reference models by `options`.
fn log_ratios(
    target_signals: &[f64],
    reference: &ReferenceSignals,
    options: &RmiaOptions,
) -> Result<Vec<f64>> {
    target_signals
        .iter()
        .enumerate()
        .map(|(record, &phi)| {
            let mut inside = Vec::new();
            let mut outside = Vec::new();
            for (signals, keep) in reference.signals.iter().zip(&reference.keep) {
                if let (Some(&s), Some(&k)) = (signals.get(record), keep.get(record)) {
                    if k {
                        inside.push(probability(s));
                    } else {
                        outside.push(probability(s));
                    }
                }
            }
            if outside.is_empty() {
                return Err(Error::Parameter(format!(
                    "record {} has no OUT reference model; train more reference models",
                    record + 1
                )));
            }
            let marginal = if options.mode == RmiaMode::Online && !inside.is_empty() {
                ((mean(&inside) + mean(&outside)) / 2.0).max(PROBABILITY_FLOOR)
            } else {
                offline_marginal(mean(&outside), options.offline_a)
            };
            Ok(probability(phi).ln() - marginal.ln())
        })
        .collect()
}

/// The fraction of `population_ratios` (sorted ascending) that `ratio` beats by
/// more than ln γ.
fn fraction_beaten(ratio: f64, sorted_population: &[f64], log_gamma: f64) -> f64 {
    let beaten = sorted_population.partition_point(|&z| z < ratio - log_gamma);
    beaten as f64 / sorted_population.len() as f64
}

/// RMIA scores in [0, 1] (higher = more likely a member) of every record, given
/// their signed logits under the target model and the reference models' signals
/// for the same records. `population` indexes the records used as z: known
/// non-members of the target (usually records no reference model trained on).
pub fn rmia_scores(
    target_signals: &[f64],
    reference: &ReferenceSignals,
    population: &[usize],
    options: RmiaOptions,
) -> Result<Vec<f64>> {
    check_options(&options)?;
    check_shapes(target_signals.len(), reference, population)?;
    let ratios = log_ratios(target_signals, reference, &options)?;
    let mut sorted_population: Vec<f64> = population
        .iter()
        .filter_map(|&z| ratios.get(z).copied())
        .collect();
    sorted_population.sort_by(f64::total_cmp);
    let log_gamma = options.gamma.ln();
    Ok(ratios
        .iter()
        .map(|&r| fraction_beaten(r, &sorted_population, log_gamma))
        .collect())
}

/// The chosen `a` and what it scored.
#[derive(Clone, Debug, PartialEq)]
pub struct OfflineATuning {
    pub offline_a: f64,
    /// AUC of the paired attack at the chosen `a`.
    pub auc: f64,
    /// (a, AUC) for every value tried.
    pub tried: Vec<(f64, f64)>,
}

/// Chooses a ∈ {0, 0.1, …, 1} as ML Privacy Meter's `tune_offline_a` does (spec
/// §3.4.4): reference model 0 plays the target and reference model 1 (its pair,
/// index xor 1) is the only reference model; a maximises the AUC of that attack on
/// model 0's own members and non-members among the non-population records, with
/// ties going to the smaller a. Records IN model 1 have no OUT signal from it, so
/// their P_OUT is recovered by inverting P_IN ≈ a·P_OUT + 1 − a (clipped at 0; at
/// a = 0, where the inversion is undefined, the reference code uses 0.3 instead, as
/// here). Only the reference models are used: the target is never consulted.
pub fn tune_offline_a(
    reference: &ReferenceSignals,
    population: &[usize],
    gamma: f64,
) -> Result<OfflineATuning> {
    let (Some(pseudo_target), Some(helper), Some(target_keep), Some(helper_keep)) = (
        reference.signals.first(),
        reference.signals.get(1),
        reference.keep.first(),
        reference.keep.get(1),
    ) else {
        return Err(Error::Parameter(
            "tuning RMIA's offline coefficient needs at least two reference models".into(),
        ));
    };
    let n = pseudo_target.len();
    check_shapes(n, reference, population)?;
    if let Some(&z) = population
        .iter()
        .find(|&&z| target_keep.get(z).copied().unwrap_or(false))
    {
        return Err(Error::Parameter(format!(
            "population record {} was trained on by the first reference model, so it cannot act \
             as a non-member when tuning a",
            z + 1
        )));
    }
    let mut is_population = vec![false; n];
    for &z in population {
        if let Some(slot) = is_population.get_mut(z) {
            *slot = true;
        }
    }
    let log_gamma = gamma.ln();
    let mut tried = Vec::with_capacity(11);
    for step in 0..=10 {
        let a = f64::from(step) / 10.0;
        let inversion_a = if step == 0 { DEFAULT_OFFLINE_A } else { a };
        let ratios: Vec<f64> = pseudo_target
            .iter()
            .zip(helper)
            .zip(helper_keep)
            .map(|((&phi_target, &phi_helper), &helper_saw)| {
                let p_helper = probability(phi_helper);
                let p_out = if helper_saw {
                    ((p_helper + inversion_a - 1.0) / inversion_a).max(0.0)
                } else {
                    p_helper
                };
                probability(phi_target).ln() - offline_marginal(p_out, a).ln()
            })
            .collect();
        let mut sorted_population: Vec<f64> = population
            .iter()
            .filter_map(|&z| ratios.get(z).copied())
            .collect();
        sorted_population.sort_by(f64::total_cmp);
        let (mut members, mut non_members) = (Vec::new(), Vec::new());
        for ((&ratio, &member), &excluded) in ratios.iter().zip(target_keep).zip(&is_population) {
            if excluded {
                continue;
            }
            let score = fraction_beaten(ratio, &sorted_population, log_gamma);
            if member {
                members.push(score);
            } else {
                non_members.push(score);
            }
        }
        tried.push((a, auc(&members, &non_members)?));
    }
    let (offline_a, best) =
        tried
            .iter()
            .copied()
            .fold((0.0, f64::NEG_INFINITY), |best, (a, value)| {
                if value > best.1 { (a, value) } else { best }
            });
    Ok(OfflineATuning {
        offline_a,
        auc: best,
        tried,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logit(p: f64) -> f64 {
        (p / (1.0 - p)).ln()
    }

    /// Record 0 is a candidate (IN model A, OUT model B); records 1 and 2 are the
    /// population (OUT everywhere). Target probabilities 0.9, 0.6, 0.3.
    fn example() -> (Vec<f64>, ReferenceSignals) {
        let target = vec![logit(0.9), logit(0.6), logit(0.3)];
        let reference = ReferenceSignals {
            signals: vec![
                vec![logit(0.95), logit(0.5), logit(0.4)],
                vec![logit(0.7), logit(0.7), logit(0.2)],
            ],
            keep: vec![vec![true, false, false], vec![false, false, false]],
        };
        (target, reference)
    }

    #[test]
    fn scores_by_hand() -> Result<()> {
        // Population (a = 0.3): P(z1) = 0.65 * 0.6 + 0.35 = 0.74, ratio 0.6 / 0.74
        // = 0.8108; P(z2) = 0.65 * 0.3 + 0.35 = 0.545, ratio 0.5505.
        // Online: P(x) = (0.95 + 0.7) / 2 = 0.825, ratio 1.0909: beats z1 by 1.3455
        // and z2 by 1.98. Offline: P(x) = 0.65 * 0.7 + 0.35 = 0.805, ratio 1.1180:
        // beats z1 by 1.3789. With gamma 1.35 only the offline score counts z1.
        let (target, reference) = example();
        let population = [1, 2];
        let online = RmiaOptions {
            gamma: 1.35,
            ..RmiaOptions::default()
        };
        let scores = rmia_scores(&target, &reference, &population, online)?;
        assert_eq!(scores, vec![0.5, 0.5, 0.0]);
        let offline = RmiaOptions {
            mode: RmiaMode::Offline,
            ..online
        };
        let scores = rmia_scores(&target, &reference, &population, offline)?;
        assert_eq!(scores, vec![1.0, 0.5, 0.0]);
        // gamma 1: x beats both population records in either mode.
        let scores = rmia_scores(&target, &reference, &population, RmiaOptions::default())?;
        assert_eq!(scores.first().copied(), Some(1.0));
        Ok(())
    }

    #[test]
    fn rejects_bad_inputs() {
        let (target, reference) = example();
        let bad_a = RmiaOptions {
            offline_a: 1.5,
            ..RmiaOptions::default()
        };
        assert!(rmia_scores(&target, &reference, &[1, 2], bad_a).is_err());
        let bad_gamma = RmiaOptions {
            gamma: 0.0,
            ..RmiaOptions::default()
        };
        assert!(rmia_scores(&target, &reference, &[1, 2], bad_gamma).is_err());
        assert!(rmia_scores(&target, &reference, &[], RmiaOptions::default()).is_err());
        assert!(rmia_scores(&target, &reference, &[3], RmiaOptions::default()).is_err());
        assert!(rmia_scores(&target[..2], &reference, &[1], RmiaOptions::default()).is_err());
        // A record with no OUT model cannot be scored.
        let all_in = ReferenceSignals {
            keep: vec![vec![true, false, false], vec![true, false, false]],
            ..reference
        };
        assert!(rmia_scores(&target, &all_in, &[1, 2], RmiaOptions::default()).is_err());
    }
}
