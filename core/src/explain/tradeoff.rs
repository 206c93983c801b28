//! The privacy-accuracy trade-off of DP training in one sentence: where spending
//! more epsilon stops buying accuracy, and what the attacks achieve there.

use super::format::number;

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

#[cfg(test)]
mod tests {
    use super::*;

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
