//! Sentences proposing a defence with its measured cost ("DP-SGD with noise
//! multiplier 1 brings every attack to chance and costs 3 points of accuracy").
//! The figures come from [`crate::study::recommend`]; the words live here so the
//! dashboard and the report say the same thing.

use super::format::{number, percent};

/// Accuracy change in percentage points, in words ("costs 3.1 points of accuracy",
/// "at no accuracy cost" within half a point).
pub fn accuracy_cost_phrase(before: f64, after: f64) -> String {
    let points = (before - after) * 100.0;
    if points.abs() < 0.5 {
        format!(
            "at no measurable accuracy cost ({} against {})",
            percent(after, 1),
            percent(before, 1)
        )
    } else if points > 0.0 {
        format!(
            "costs {} points of accuracy ({} to {})",
            number(points),
            percent(before, 1),
            percent(after, 1)
        )
    } else {
        format!(
            "and gains {} points of accuracy ({} to {})",
            number(-points),
            percent(before, 1),
            percent(after, 1)
        )
    }
}

/// DP training that brings every measured attack to chance (AUC interval
/// containing 0.5).
pub fn dp_training_sentence(
    noise_multiplier: f64,
    epsilon: f64,
    strongest_auc: f64,
    auc_interval: (f64, f64),
    accuracy_before: f64,
    accuracy_after: f64,
) -> String {
    format!(
        "Train with DP-SGD at noise multiplier {} (ε = {}): every attack measured is then no \
         better than guessing (strongest AUC {}, 95 % CI {} to {}), and it {}.",
        number(noise_multiplier),
        number(epsilon),
        number(strongest_auc),
        number(auc_interval.0),
        number(auc_interval.1),
        accuracy_cost_phrase(accuracy_before, accuracy_after)
    )
}

/// No noise level tried brought the attacks to chance.
pub fn dp_training_not_enough_sentence(largest_noise: f64, epsilon: f64, auc: f64) -> String {
    format!(
        "Even the most noise tried (noise multiplier {}, ε = {}) left an attack better than \
         guessing (AUC {}): try more noise, fewer epochs or a larger clipping-free margin before \
         release.",
        number(largest_noise),
        number(epsilon),
        number(auc)
    )
}

/// One trained model leaks measurably less than another on the same data.
pub fn safer_model_sentence(
    change: &str,
    auc_before: f64,
    auc_after: f64,
    auc_after_upper: f64,
    accuracy_before: f64,
    accuracy_after: f64,
) -> String {
    format!(
        "{change} lowers the strongest attack's AUC from {} to {} (95 % CI up to {}) and it {}.",
        number(auc_before),
        number(auc_after),
        number(auc_after_upper),
        accuracy_cost_phrase(accuracy_before, accuracy_after)
    )
}

/// The knee of a sharing sweep, with the membership risk measured there.
pub fn sharing_budget_sentence(
    mechanism: &str,
    epsilon: f64,
    utility_label: &str,
    utility: f64,
    membership_tpr_at_1pct: Option<f64>,
) -> String {
    let risk = match membership_tpr_at_1pct {
        Some(tpr) => format!(
            "; there, the membership test found {} of members while wrongly flagging 1 % of \
             non-members",
            percent(tpr, 1)
        ),
        None => String::new(),
    };
    format!(
        "Share with the {mechanism} at ε = {}: beyond it more budget buys little utility \
         ({utility_label} {}){risk}.",
        number(epsilon),
        percent(utility, 1)
    )
}

/// Utility restored from the cohort's exact frequencies: nothing bounds the release.
pub const RAW_TARGETS_SENTENCE: &str = "Restore allele frequencies from the public reference \
    panel (or from DP frequencies) instead of the cohort's exact ones: with the exact ones the \
    release has no overall ε, since the frequencies themselves are disclosed.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_read_as_points_and_small_changes_as_free() {
        assert_eq!(
            accuracy_cost_phrase(0.71, 0.68),
            "costs 3 points of accuracy (71.0 % to 68.0 %)"
        );
        assert!(accuracy_cost_phrase(0.71, 0.708).starts_with("at no measurable accuracy cost"));
        assert!(accuracy_cost_phrase(0.65, 0.70).starts_with("and gains 5 points"));
    }

    #[test]
    fn dp_sentence_names_noise_epsilon_interval_and_cost() {
        let s = dp_training_sentence(1.0, 3.2, 0.52, (0.47, 0.57), 0.71, 0.68);
        for part in [
            "noise multiplier 1 ",
            "ε = 3.2",
            "0.47 to 0.57",
            "costs 3 points",
        ] {
            assert!(s.contains(part), "{part} missing from {s}");
        }
    }

    #[test]
    fn sharing_sentence_carries_the_risk_only_when_measured() {
        let with =
            sharing_budget_sentence("XOR mechanism", 2.0, "GWAS SNP retention", 0.85, Some(0.03));
        assert!(with.contains("found 3.0 % of members"), "{with}");
        let without =
            sharing_budget_sentence("XOR mechanism", 2.0, "GWAS SNP retention", 0.85, None);
        assert!(!without.contains("members"), "{without}");
    }
}
