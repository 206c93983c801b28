//! The charts of a model audit in words: one sentence per chart, and an operating
//! point that the data cannot measure said to be inconclusive rather than shown as
//! a number (audits spec §1.8).

use super::attack::min_measurable_fpr;
use super::format::{integer, number, percent};

/// "3.0 % (95 % CI 1.0 % to 7.0 %)", or why the number cannot be measured.
pub fn tpr_at_fpr_phrase(
    max_fpr: f64,
    tpr: f64,
    lower: f64,
    upper: f64,
    non_members: u64,
) -> String {
    let minimum = min_measurable_fpr(non_members);
    if max_fpr < minimum {
        return format!(
            "inconclusive: {} non-members cannot measure a {} false-positive rate (at least {} \
             is needed)",
            integer(non_members),
            percent(max_fpr, 1),
            percent(minimum, 1)
        );
    }
    format!(
        "{} (95 % CI {} to {})",
        percent(tpr, 1),
        percent(lower, 1),
        percent(upper, 1)
    )
}

/// The ROC chart: what the diagonal and the DP ceiling mean, and whether a
/// measured point crosses the ceiling (a bug in the attack, training or accounting).
pub fn roc_sentence(epsilon: Option<f64>, points_above_ceiling: usize) -> String {
    match epsilon {
        None => "Each curve is one attack; the diagonal is guessing. The model was trained \
                 without differential privacy, so no ceiling limits what an attack can reach."
            .to_owned(),
        Some(epsilon) if points_above_ceiling == 0 => format!(
            "Each curve is one attack; the diagonal is guessing. The dashed curve is the most \
             any attack can reach under the training's ε = {}: every measured point is below it.",
            number(epsilon)
        ),
        Some(epsilon) => format!(
            "Each curve is one attack; the diagonal is guessing. {} measured points lie clearly \
             above (their whole 95 % interval) the most any attack can reach under ε = {}: that \
             points to a bug in the attack, the training or the accounting.",
            integer(points_above_ceiling as u64),
            number(epsilon)
        ),
    }
}

/// The radar chart: which attack did best, by AUC.
pub fn radar_sentence(attacks: &[(&str, f64)]) -> Option<String> {
    let (name, auc) = attacks.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(format!(
        "The largest shape is the strongest attack: {name}, with an AUC of {} (0.5 is \
         guessing, 1 finds every member without a false alarm).",
        number(auc)
    ))
}

/// The gradient-norm histogram, from each group's (median, mean). Medians are the
/// robust summary; when both are about 0 (a saturated model fits most records
/// exactly) they cannot tell the groups apart, and the means are compared instead.
pub fn gradient_norm_sentence(members: (f64, f64), non_members: (f64, f64)) -> String {
    let ((member_median, member_mean), (non_member_median, non_member_mean)) =
        (members, non_members);
    let scale = member_mean.abs().max(non_member_mean.abs());
    let saturated = member_median.abs().max(non_member_median.abs()) <= 1e-6 * scale;
    let (member, non_member) = if saturated {
        (member_mean, non_member_mean)
    } else {
        (member_median, non_member_median)
    };
    let comparison = if member < 0.8 * non_member {
        "smaller on members: the model fits its training records more closely, which is \
         what the gradient-norm attack exploits"
    } else if member > 1.25 * non_member {
        "larger on members, unusually: the gradient-norm attack's threshold direction does \
         not fit this model"
    } else {
        "about the same for members and non-members: the gradients give little away"
    };
    if saturated {
        format!(
            "Most records of both groups have a gradient norm of about 0 (the model is \
             saturated on them); on average the norm is {} for members and {} for \
             non-members: {comparison}.",
            number(member_mean),
            number(non_member_mean)
        )
    } else {
        format!(
            "The median gradient norm is {} for members and {} for non-members: {comparison}.",
            number(member_median),
            number(non_member_median)
        )
    }
}

/// The PCA scatter: the variance the components explain and how case status lines
/// up with them (r of the status with each component).
pub fn pca_sentence(explained: [f64; 2], status_correlation: [f64; 2]) -> String {
    let strongest = status_correlation[0].abs().max(status_correlation[1].abs());
    let meaning = if strongest >= 0.3 {
        "cases and controls sit in different parts of the population, so ancestry alone \
         predicts status: a model (or an attacker) can guess status without learning anyone's \
         record"
    } else if strongest >= 0.1 {
        "cases and controls are slightly shifted along them: some of what a model learns is \
         population structure"
    } else {
        "cases and controls are mixed along them: population structure says little about status"
    };
    format!(
        "The first two principal components explain {} and {} of the genotype variance; case \
         status correlates with them at r = {} and {}: {meaning}.",
        percent(explained[0], 1),
        percent(explained[1], 1),
        number(status_correlation[0]),
        number(status_correlation[1])
    )
}

/// The top SNP–label correlations: the strongest one and what it means.
pub fn correlation_sentence(top_id: &str, r: f64, n: u64) -> String {
    format!(
        "The SNP most correlated with case status is {top_id} (r = {}, trend χ² = {} on {} \
         samples); a model leans on SNPs like these, and an attacker who knows a person's \
         genotype there learns a little about their status from the model.",
        number(r),
        number(n as f64 * r * r),
        integer(n)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmeasurable_rates_are_inconclusive() {
        // 150 non-members: 10 false positives need a 6.7 % rate.
        let text = tpr_at_fpr_phrase(0.01, 0.02, 0.0, 0.05, 150);
        assert!(text.starts_with("inconclusive"), "{text}");
        assert!(text.contains("6.7 %"), "{text}");
        let measured = tpr_at_fpr_phrase(0.1, 0.2, 0.14, 0.27, 150);
        assert_eq!(measured, "20.0 % (95 % CI 14.0 % to 27.0 %)");
    }

    #[test]
    fn the_ceiling_sentence_follows_the_evidence() {
        assert!(roc_sentence(None, 0).contains("no ceiling"));
        assert!(roc_sentence(Some(2.0), 0).contains("every measured point is below it"));
        assert!(roc_sentence(Some(2.0), 3).contains("bug"));
    }

    #[test]
    fn the_strongest_attack_is_named() {
        let text = radar_sentence(&[("Loss", 0.52), ("LiRA", 0.61), ("RMIA", 0.58)]);
        assert!(text.is_some_and(|t| t.contains("LiRA, with an AUC of 0.61")));
        assert_eq!(radar_sentence(&[]), None);
    }

    #[test]
    fn gradient_and_structure_sentences_judge_the_numbers() {
        assert!(gradient_norm_sentence((0.1, 0.2), (0.3, 0.3)).contains("smaller on members"));
        assert!(gradient_norm_sentence((0.3, 0.3), (0.31, 0.3)).contains("about the same"));
        // Saturated: equal medians of 0 say nothing; the means decide.
        let saturated = gradient_norm_sentence((0.0, 10.0), (0.0, 25.0));
        assert!(saturated.starts_with("Most records"), "{saturated}");
        assert!(saturated.contains("smaller on members"), "{saturated}");
        assert!(pca_sentence([0.03, 0.01], [0.5, 0.0]).contains("ancestry alone"));
        assert!(pca_sentence([0.03, 0.01], [0.01, -0.02]).contains("mixed"));
        // χ² = N r² = 600 × 0.01.
        assert!(correlation_sentence("snp1", 0.1, 600).contains("trend χ² = 6 on 600"));
    }
}
