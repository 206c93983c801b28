//! Epsilon in the steward's units: realised vs requested, per SNP vs in total,
//! and the anchors and warnings of the epsilon slider (DP Wizard's guardrails).

use crate::error::{Error, Result};

use super::format::{integer, number, ratio};
use super::odds::check_epsilon;

/// Epsilon at or above which the slider warns that privacy may be compromised.
pub const HIGH_EPSILON: f64 = 5.0;
/// Epsilon at or below which the slider warns that results may be too noisy.
pub const LOW_EPSILON: f64 = 0.2;
/// The log slider's range (DP Wizard: 0.1 to 10).
pub const SLIDER_MIN: f64 = 0.1;
pub const SLIDER_MAX: f64 = 10.0;

/// A labelled point on the epsilon slider.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliderAnchor {
    pub epsilon: f64,
    pub label: &'static str,
}

/// Verbal anchors: the two ends say what moving the slider trades.
pub const SLIDER_ANCHORS: [SliderAnchor; 3] = [
    SliderAnchor {
        epsilon: SLIDER_MIN,
        label: "Better privacy",
    },
    SliderAnchor {
        epsilon: 1.0,
        label: "Odds at most 2.7 times higher",
    },
    SliderAnchor {
        epsilon: SLIDER_MAX,
        label: "Better accuracy",
    },
];

/// Position in [0, 1] of `epsilon` on the log slider (clamped to its range).
pub fn slider_position(epsilon: f64) -> f64 {
    let clamped = epsilon.clamp(SLIDER_MIN, SLIDER_MAX);
    (clamped / SLIDER_MIN).ln() / (SLIDER_MAX / SLIDER_MIN).ln()
}

/// Epsilon at `position` in [0, 1] of the log slider.
pub fn slider_epsilon(position: f64) -> f64 {
    SLIDER_MIN * (SLIDER_MAX / SLIDER_MIN).powf(position.clamp(0.0, 1.0))
}

/// What an epsilon is counted over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpsilonUnit {
    /// Spent on each of `snps` SNPs; one person's total is epsilon x snps.
    PerSnp { snps: u64 },
    /// The whole release for one person.
    Total,
}

impl EpsilonUnit {
    /// One person's total privacy loss for `epsilon` in this unit.
    pub fn total(&self, epsilon: f64) -> f64 {
        match self {
            EpsilonUnit::PerSnp { snps } => epsilon * *snps as f64,
            EpsilonUnit::Total => epsilon,
        }
    }
}

/// The slider warning for `epsilon` in `unit`, or `None` inside [0.2, 5]. A
/// per-SNP epsilon is judged on the total it adds up to; a low per-SNP value
/// also means each SNP is close to a coin flip.
pub fn epsilon_warning(epsilon: f64, unit: EpsilonUnit) -> Result<Option<String>> {
    check_epsilon(epsilon)?;
    let total = unit.total(epsilon);
    let mut warnings = Vec::new();
    if total >= HIGH_EPSILON {
        warnings.push(match unit {
            EpsilonUnit::PerSnp { snps } => format!(
                "Epsilon {} per SNP adds up to {} over {} SNPs for one person: a total that \
                 high may compromise privacy; check the privacy audit before release.",
                number(epsilon),
                number(total),
                integer(snps)
            ),
            EpsilonUnit::Total => format!(
                "Epsilon {} may compromise privacy: the odds that someone is right about \
                 Alice could be multiplied by up to {}.",
                number(epsilon),
                number(epsilon.exp())
            ),
        });
    }
    if epsilon <= LOW_EPSILON {
        warnings.push(match unit {
            EpsilonUnit::PerSnp { .. } => format!(
                "Epsilon {} per SNP makes each released SNP close to a coin flip: results may \
                 be too noisy to be useful.",
                number(epsilon)
            ),
            EpsilonUnit::Total => format!(
                "Epsilon {} adds a lot of noise: results may be too noisy to be useful.",
                number(epsilon)
            ),
        });
    }
    Ok((!warnings.is_empty()).then(|| warnings.join(" ")))
}

/// Total epsilon below which the realised figure is itself a usable limit.
const MEANINGFUL_TOTAL: f64 = 10.0;

/// "The mechanism was asked for epsilon 9,389 in total; its actual worst-case
/// privacy loss is 7,287 (0.78 of nominal)." The nominal epsilon only scales the
/// noise; the realised one is what the released law guarantees (sharing spec
/// §4.3), so a realised value above nominal is a plain warning.
pub fn realised_epsilon_sentence(nominal: f64, realised: f64) -> Result<String> {
    check_epsilon(nominal)?;
    check_epsilon(realised)?;
    if nominal == 0.0 {
        return Ok(format!(
            "The mechanism was asked for no privacy loss at all; its actual worst-case privacy \
             loss is {}.",
            number(realised)
        ));
    }
    let share = realised / nominal;
    let mut text = if realised > nominal {
        format!(
            "Warning: the mechanism was asked for epsilon {} in total, but its actual \
             worst-case privacy loss is higher: {} ({} times nominal). Quote the actual \
             figure, not the requested one.",
            number(nominal),
            number(realised),
            ratio(share)
        )
    } else {
        format!(
            "The mechanism was asked for epsilon {} in total; its actual worst-case privacy \
             loss is {} ({} of nominal).",
            number(nominal),
            number(realised),
            ratio(share)
        )
    };
    if realised > MEANINGFUL_TOTAL {
        text.push_str(&format!(
            " A total of {} is not a meaningful limit for one person on its own: read it with \
             the per-SNP figure and the privacy audit.",
            number(realised)
        ));
    }
    Ok(text)
}

/// Per-SNP privacy loss in words: the largest and the average over SNPs, and
/// what they add up to for one person.
pub fn per_snp_epsilon_sentence(per_snp: &[f64]) -> Result<String> {
    if per_snp.is_empty() {
        return Err(Error::Parameter(
            "a per-SNP epsilon needs at least one SNP".to_owned(),
        ));
    }
    for &epsilon in per_snp {
        check_epsilon(epsilon)?;
    }
    let total: f64 = per_snp.iter().sum();
    let largest = per_snp.iter().copied().fold(0.0, f64::max);
    let average = total / per_snp.len() as f64;
    Ok(format!(
        "Looking at a single SNP, the privacy loss is at most {} (average {} over {} SNPs); \
         over all SNPs of one person it adds up to {}.",
        number(largest),
        number(average),
        integer(per_snp.len() as u64),
        number(total)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realised_below_nominal_matches_the_spec() -> Result<()> {
        let text = realised_epsilon_sentence(9389.0, 7287.0)?;
        assert!(text.starts_with(
            "The mechanism was asked for epsilon 9,389 in total; its actual worst-case privacy \
             loss is 7,287 (0.78 of nominal)."
        ));
        assert!(text.contains("not a meaningful limit"));
        Ok(())
    }

    #[test]
    fn realised_above_nominal_is_a_warning() -> Result<()> {
        // Sharing spec §4.3, lactose: 9,091 nominal, 9,230 realised, ratio 1.02.
        let text = realised_epsilon_sentence(9091.0, 9230.0)?;
        assert!(text.starts_with("Warning:"));
        assert!(text.contains("is higher: 9,230 (1.02 times nominal)"));
        let small = realised_epsilon_sentence(1.0, 0.74)?;
        assert!(!small.contains("not a meaningful limit"));
        Ok(())
    }

    #[test]
    fn per_snp_sentence_adds_up() -> Result<()> {
        let text = per_snp_epsilon_sentence(&[0.5, 1.0, 1.5])?;
        assert_eq!(
            text,
            "Looking at a single SNP, the privacy loss is at most 1.5 (average 1 over 3 SNPs); \
             over all SNPs of one person it adds up to 3."
        );
        assert!(per_snp_epsilon_sentence(&[]).is_err());
        assert!(per_snp_epsilon_sentence(&[1.0, -0.1]).is_err());
        Ok(())
    }

    #[test]
    fn warnings_at_the_dp_wizard_thresholds() -> Result<()> {
        assert!(epsilon_warning(1.0, EpsilonUnit::Total)?.is_none());
        assert!(epsilon_warning(4.9, EpsilonUnit::Total)?.is_none());
        assert!(epsilon_warning(0.21, EpsilonUnit::Total)?.is_none());
        assert!(
            epsilon_warning(5.0, EpsilonUnit::Total)?
                .is_some_and(|w| w.contains("multiplied by up to 148"))
        );
        assert!(epsilon_warning(0.2, EpsilonUnit::Total)?.is_some_and(|w| w.contains("too noisy")));
        // 1 per SNP over 10,946 SNPs is a total of 10,946.
        let per_snp = epsilon_warning(1.0, EpsilonUnit::PerSnp { snps: 10_946 })?;
        assert!(per_snp.is_some_and(|w| w.contains("adds up to 10,946 over 10,946 SNPs")));
        // A low per-SNP value can be both too noisy per SNP and large in total.
        let both = epsilon_warning(0.1, EpsilonUnit::PerSnp { snps: 9389 })?;
        assert!(both.is_some_and(|w| w.contains("coin flip") && w.contains("939")));
        Ok(())
    }

    #[test]
    fn slider_is_logarithmic() {
        assert!((slider_position(1.0) - 0.5).abs() < 1e-12);
        assert!((slider_position(0.01) - 0.0).abs() < 1e-12);
        assert!((slider_epsilon(0.5) - 1.0).abs() < 1e-12);
        for position in [0.0, 0.25, 0.7, 1.0] {
            assert!((slider_position(slider_epsilon(position)) - position).abs() < 1e-12);
        }
        assert!(
            SLIDER_ANCHORS
                .iter()
                .all(|a| (SLIDER_MIN..=SLIDER_MAX).contains(&a.epsilon))
        );
    }
}
