//! The privacy-accuracy trade-off in one sentence per chart: where spending more
//! epsilon stops buying accuracy (DP training), and what the trade-off
//! dashboard's utility and risk charts show for any sweep.

use super::format::{number, percent};

/// One point of a DP-training curve, as the sentence needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TradeoffPoint {
    pub epsilon: f64,
    pub accuracy: f64,
    /// The strongest membership attack's AUC (0.5 = guessing).
    pub attack_auc: Option<f64>,
}

/// What a DP-training sweep found: the turning point of accuracy against epsilon
/// (if the curve has one), compared with the model trained without DP.
///
/// ("Beyond epsilon 4.6, more privacy budget buys little accuracy: test accuracy
/// is 0.75 there against 0.79 without DP; the strongest attack's AUC is 0.52 there
/// against 0.58 without DP (0.5 is guessing).")
pub fn turning_point_sentence(
    turning_point: Option<TradeoffPoint>,
    non_private: Option<TradeoffPoint>,
) -> String {
    let Some(knee) = turning_point else {
        return "The accuracy curve has no turning point over these epsilons (too few \
                points, or accuracy keeps changing at the same rate): widen the grid \
                before choosing an epsilon."
            .to_owned();
    };
    let mut sentence = format!(
        "Beyond epsilon {}, more privacy budget buys little accuracy: test accuracy is {} \
         there",
        number(knee.epsilon),
        number(knee.accuracy)
    );
    if let Some(reference) = non_private {
        sentence.push_str(&format!(
            " against {} without DP",
            number(reference.accuracy)
        ));
    }
    if let Some(auc) = knee.attack_auc {
        sentence.push_str(&format!(
            "; the strongest membership attack's AUC is {} there",
            number(auc)
        ));
        if let Some(reference_auc) = non_private.and_then(|p| p.attack_auc) {
            sentence.push_str(&format!(" against {} without DP", number(reference_auc)));
        }
        sentence.push_str(" (0.5 is guessing)");
    }
    sentence.push('.');
    sentence
}

/// The utility chart of a sweep in one sentence: how utility moves over the
/// epsilons tried (`(epsilon, utility)` sorted by epsilon), its value at the
/// recommended epsilon, and the coin-flip control's.
pub fn utility_curve_sentence(
    metric: &str,
    points: &[(f64, f64)],
    recommended: Option<(f64, f64)>,
    reference: Option<UtilityReference>,
) -> String {
    let (Some(&(e0, u0)), Some(&(e1, u1))) = (points.first(), points.last()) else {
        return "No run of the sweep has finished yet: the chart fills in as they do.".to_owned();
    };
    let mut text = if points.len() == 1 {
        format!(
            "At epsilon {} in total, {metric} is {}",
            number(e0),
            percent(u0, 0)
        )
    } else {
        let movement = if (u1 - u0).abs() < 0.01 {
            format!("stays near {}", percent(u0, 0))
        } else if u1 > u0 {
            format!("rises from {} to {}", percent(u0, 0), percent(u1, 0))
        } else {
            format!("falls from {} to {}", percent(u0, 0), percent(u1, 0))
        };
        format!(
            "From epsilon {} to {} in total, {metric} {movement}",
            number(e0),
            number(e1)
        )
    };
    if let Some((e, u)) = recommended {
        text.push_str(&format!(
            "; at the recommended epsilon {} it is {}",
            number(e),
            percent(u, 0)
        ));
    }
    text.push('.');
    match reference {
        Some(UtilityReference::CoinFlip(c)) => text.push_str(&format!(
            " The coin-flip control (epsilon 0) keeps {}: that much comes from the public \
             frequencies alone.",
            percent(c, 0)
        )),
        Some(UtilityReference::WithoutDp(u)) => text.push_str(&format!(
            " Trained without DP, the same model reaches {}: the most DP training can keep.",
            percent(u, 0)
        )),
        None => {}
    }
    text
}

/// The run a sweep's utility is read against, drawn as a line on its chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UtilityReference {
    /// A sharing sweep's epsilon-0 control: what the public frequencies alone keep.
    CoinFlip(f64),
    /// A DP-training sweep's model trained without DP: the most DP can keep.
    WithoutDp(f64),
}

impl UtilityReference {
    pub fn value(self) -> f64 {
        match self {
            UtilityReference::CoinFlip(v) | UtilityReference::WithoutDp(v) => v,
        }
    }

    /// The line's name on a chart.
    pub fn label(self) -> &'static str {
        match self {
            UtilityReference::CoinFlip(_) => "Coin-flip control (epsilon 0)",
            UtilityReference::WithoutDp(_) => "Trained without DP",
        }
    }
}

/// One epsilon of the risk chart: the measured attack and the guaranteed ceiling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RiskPoint {
    pub epsilon: f64,
    /// Members found at a 1 % false-accusation rate.
    pub tpr_at_1pct_fpr: Option<f64>,
    pub auc: Option<f64>,
    /// The most any attack can find at that rate under the guarantee.
    pub ceiling: f64,
}

/// Above this the ceiling allows finding practically everyone.
const VACUOUS_CEILING: f64 = 0.999;

/// The risk chart of a sweep in one sentence: the range of what the membership
/// attack found, and what the guarantee alone allows.
pub fn risk_curve_sentence(points: &[RiskPoint]) -> String {
    let range = |values: Vec<f64>| -> Option<(f64, f64)> {
        let lo = values.iter().copied().reduce(f64::min)?;
        let hi = values.iter().copied().reduce(f64::max)?;
        Some((lo, hi))
    };
    let tprs = range(points.iter().filter_map(|p| p.tpr_at_1pct_fpr).collect());
    let aucs = range(points.iter().filter_map(|p| p.auc).collect());
    let ceilings = range(points.iter().map(|p| p.ceiling).collect());
    let Some((c_lo, c_hi)) = ceilings else {
        return "No run of the sweep has finished yet: the chart fills in as they do.".to_owned();
    };
    let span = |(lo, hi): (f64, f64), show: &dyn Fn(f64) -> String| {
        if show(lo) == show(hi) {
            show(lo)
        } else {
            format!("between {} and {}", show(lo), show(hi))
        }
    };
    let mut text = match tprs {
        Some(t) => {
            let mut s = format!(
                "Allowed to wrongly flag 1 in 100 non-members, the membership attack found {} \
                 of members across these budgets",
                span(t, &|v| percent(v, 1))
            );
            if let Some(a) = aucs {
                s.push_str(&format!(
                    " (AUC {}; 0.5 is guessing)",
                    span(a, &|v| format!("{v:.2}"))
                ));
            }
            s.push('.');
            s
        }
        None => "The membership attack was not measured in this sweep (it needs a public \
                 reference panel), so only the guaranteed ceiling is shown."
            .to_owned(),
    };
    if c_lo >= VACUOUS_CEILING {
        text.push_str(
            " The guarantee alone would allow an attack to find every member at every budget \
             tried: at these epsilons any protection comes from the noise as measured, not \
             from a mathematical limit.",
        );
    } else {
        text.push_str(&format!(
            " The guarantee caps what any attack can find at {}.",
            span((c_lo, c_hi), &|v| percent(v, 1))
        ));
    }
    text
}

/// One candidate's measured risk next to its guaranteed ceiling (ux spec §5.5).
pub fn candidate_risk_sentence(
    tpr_at_1pct_fpr: Option<f64>,
    auc: Option<f64>,
    ceiling: f64,
) -> String {
    let limit = if ceiling >= VACUOUS_CEILING {
        "the guarantee alone would allow an attack to find every member".to_owned()
    } else {
        format!(
            "the guarantee allows no attack to find more than {}",
            percent(ceiling, 1)
        )
    };
    match tpr_at_1pct_fpr {
        Some(t) => {
            let auc = auc
                .map(|a| format!(" (AUC {a:.2}; 0.5 is guessing)"))
                .unwrap_or_default();
            format!(
                "Allowed to wrongly flag 1 in 100 non-members, the membership attack found {} \
                 of members{auc}; {limit}.",
                percent(t, 1)
            )
        }
        None => format!(
            "The membership attack was not measured for this run (it needs a public reference \
             panel); {limit}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_risk_sentence_pairs_measure_and_limit() {
        assert_eq!(
            candidate_risk_sentence(Some(0.034), Some(0.553), 1.0),
            "Allowed to wrongly flag 1 in 100 non-members, the membership attack found 3.4 % \
             of members (AUC 0.55; 0.5 is guessing); the guarantee alone would allow an attack \
             to find every member."
        );
        // e^1 x 1 % = 2.7 %.
        let tight = candidate_risk_sentence(None, None, 1f64.exp() * 0.01);
        assert!(
            tight.ends_with("no attack to find more than 2.7 %."),
            "{tight}"
        );
    }

    #[test]
    fn utility_sentence_follows_the_curve() {
        let points = [(2_736.0, 0.12), (21_892.0, 0.6), (350_272.0, 0.95)];
        assert_eq!(
            utility_curve_sentence(
                "GWAS SNP retention",
                &points,
                Some((21_892.0, 0.6)),
                Some(UtilityReference::CoinFlip(0.08))
            ),
            "From epsilon 2,736 to 350,272 in total, GWAS SNP retention rises from 12 % to \
             95 %; at the recommended epsilon 21,892 it is 60 %. The coin-flip control \
             (epsilon 0) keeps 8 %: that much comes from the public frequencies alone."
        );
        let flat = utility_curve_sentence("x", &[(1.0, 0.5), (2.0, 0.505)], None, None);
        assert_eq!(flat, "From epsilon 1 to 2 in total, x stays near 50 %.");
        let model = utility_curve_sentence(
            "model accuracy on held-out people",
            &[(0.5, 0.55), (8.0, 0.7)],
            None,
            Some(UtilityReference::WithoutDp(0.74)),
        );
        assert_eq!(
            model,
            "From epsilon 0.5 to 8 in total, model accuracy on held-out people rises from 55 % \
             to 70 %. Trained without DP, the same model reaches 74 %: the most DP training \
             can keep."
        );
        assert!(utility_curve_sentence("x", &[], None, None).contains("No run"));
    }

    #[test]
    fn risk_sentence_states_what_the_guarantee_allows() {
        let point = |epsilon: f64, tpr: Option<f64>, auc: Option<f64>| RiskPoint {
            epsilon,
            tpr_at_1pct_fpr: tpr,
            auc,
            ceiling: (epsilon.exp() * 0.01).min(1.0),
        };
        let vacuous = risk_curve_sentence(&[
            point(2_736.0, Some(0.012), Some(0.51)),
            point(21_892.0, Some(0.035), Some(0.55)),
        ]);
        assert_eq!(
            vacuous,
            "Allowed to wrongly flag 1 in 100 non-members, the membership attack found \
             between 1.2 % and 3.5 % of members across these budgets (AUC between 0.51 and \
             0.55; 0.5 is guessing). The guarantee alone would allow an attack to find every \
             member at every budget tried: at these epsilons any protection comes from the \
             noise as measured, not from a mathematical limit."
        );
        // e^0.5 x 1 % = 1.6 %, e^1 x 1 % = 2.7 %.
        let tight = risk_curve_sentence(&[point(0.5, None, None), point(1.0, None, None)]);
        assert!(tight.starts_with("The membership attack was not measured"));
        assert!(
            tight.ends_with("caps what any attack can find at between 1.6 % and 2.7 %."),
            "{tight}"
        );
    }

    #[test]
    fn names_the_turning_point_and_the_non_private_reference() {
        let sentence = turning_point_sentence(
            Some(TradeoffPoint {
                epsilon: 4.64,
                accuracy: 0.752,
                attack_auc: Some(0.521),
            }),
            Some(TradeoffPoint {
                epsilon: f64::INFINITY,
                accuracy: 0.79,
                attack_auc: Some(0.58),
            }),
        );
        assert_eq!(
            sentence,
            "Beyond epsilon 4.6, more privacy budget buys little accuracy: test accuracy is \
             0.75 there against 0.79 without DP; the strongest membership attack's AUC is 0.52 \
             there against 0.58 without DP (0.5 is guessing)."
        );
    }

    #[test]
    fn without_a_turning_point_it_says_so() {
        let sentence = turning_point_sentence(None, None);
        assert!(sentence.contains("no turning point"));
    }
}
