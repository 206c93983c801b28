//! Sentences of the IRB report (and of the GUI's decision and audit screens):
//! the decision and its alternatives, the assumptions behind each attack, the
//! limits a DP guarantee puts on an ROC curve, and the sign-off.
//!
//! Headings and table labels belong to the report; every full sentence it
//! prints comes from here or from the other `explain` modules.

use super::format::{number, percent};

/// What an attacker is assumed to have and do, per attack. Model attacks are
/// named by their command-line id (`loss`, `lira`, `rmia`, `gradnorm`, `label`);
/// tests on shared data by their name. `None` for an attack this build does not
/// know.
pub fn attack_assumption(attack: &str) -> Option<&'static str> {
    Some(match attack {
        "loss" => {
            "Loss threshold: the attacker holds Alice's genotypes and her case/control status, \
             can ask the released model for its prediction on them, and flags her as a member \
             when the model fits her unusually well. The threshold was set on other people of the \
             population, never on the evaluated people."
        }
        "lira" => {
            "Likelihood-ratio attack (LiRA): the attacker also has data from the same \
             population and the training recipe, trains reference models with and without \
             people like Alice, and compares the released model's output on her with both. \
             This is the strongest black-box attack tested."
        }
        "rmia" => {
            "Relative membership inference (RMIA): like LiRA, the attacker trains reference \
             models on population data, and compares how much better the released model fits \
             Alice than it fits other people of the population."
        }
        "gradnorm" => {
            "Gradient norm: the attacker has the model's parameters themselves (white box), \
             holds Alice's genotypes and status, and flags her when the model would barely \
             change if trained on her again."
        }
        "label" => {
            "Label inference: the attacker knows Alice's genotypes and uses the model's \
             prediction to guess whether she is a case or a control; the same guess on people \
             outside the study is the control that separates population patterns from what \
             leaks about her."
        }
        "nearest released record (Hamming)" => {
            "Nearest released record: the attacker holds Alice's genotypes and the released \
             copy, and flags her as a participant when some released record is unusually \
             close to her DNA."
        }
        "allele-frequency likelihood ratio" => {
            "Allele-frequency likelihood ratio (Homer et al. 2008, Sankararaman et al. 2009): \
             the attacker holds Alice's genotypes and public reference frequencies, and tests \
             whether her DNA pulls the released data's frequencies toward her own."
        }
        _ => return None,
    })
}

/// Every measured attack's shared assumption: how the evaluation was balanced.
pub fn evaluation_assumption(members: usize, non_members: usize) -> String {
    format!(
        "Each attack was scored on {members} people who were in the data and {non_members} \
         who were not, in equal parts, so guessing at random is right half the time; a real \
         attacker rarely knows this much about who might be in the study."
    )
}

/// The release under review, in one sentence.
pub fn chosen_release_sentence(
    mechanism: &str,
    epsilon_total: f64,
    realised_total: Option<f64>,
) -> String {
    let mut text = format!(
        "The release under review uses the {mechanism} with a privacy budget of epsilon {} \
         per person over all SNPs",
        number(epsilon_total)
    );
    match realised_total {
        Some(r) if r != epsilon_total => {
            text.push_str(&format!(
                "; its actual worst-case privacy loss is {}.",
                number(r)
            ));
        }
        Some(_) => text.push('.'),
        None => text.push_str("; its actual privacy loss has no upper limit."),
    }
    text
}

/// The knee of a sweep's utility curve as a recommendation, against the
/// coin-flip control when it was run.
pub fn recommendation_sentence(
    mechanism: &str,
    metric: &str,
    epsilon_total: f64,
    epsilon_per_snp: f64,
    utility: f64,
    coin_flip_utility: Option<f64>,
) -> String {
    let mut text = format!(
        "Recommended budget: epsilon {} in total ({} per SNP) for the {mechanism}, where the \
         curve of {metric} bends: below it utility falls quickly, above it more budget buys \
         little. {} there is {}",
        number(epsilon_total),
        number(epsilon_per_snp),
        capitalised(metric),
        number(utility)
    );
    if let Some(coin) = coin_flip_utility {
        text.push_str(&format!(
            ", against {} for pure coin-flip noise",
            number(coin)
        ));
    }
    text.push('.');
    text
}

/// When the sweep's curve does not bend, there is no recommendation to give.
pub const NO_RECOMMENDATION: &str = "No budget is recommended: the utility curve does not bend \
    over the epsilons tried, so a wider or denser sweep is needed before choosing.";

/// When the project holds no sweep, the decision has no measured alternatives.
pub const NO_ALTERNATIVES: &str = "No alternatives were measured: the project holds no sweep \
    over epsilon, so this report cannot show what a smaller or larger budget would cost.";

/// When candidates were pinned but none chosen.
pub const NO_CHOICE: &str = "No candidate has been chosen for release yet: the candidates \
    below were pinned for comparison only.";

/// When the steward set no policy thresholds.
pub const NO_THRESHOLDS: &str = "No policy thresholds were set: the candidates were compared \
    on their figures alone, without limits agreed in advance.";

/// GWAS retention in the reader's units, next to the coin-flip control.
pub fn retention_sentence(retention: f64, coin_flip: Option<f64>) -> String {
    let mut text = format!(
        "Of the SNPs significant in the original GWAS, {} are still significant in the \
         protected data",
        percent(retention, 0)
    );
    if let Some(coin) = coin_flip {
        text.push_str(&format!(
            "; with pure coin-flip noise and the same frequencies it would be {}, the part of \
             the signal that comes from the public frequencies alone",
            percent(coin, 0)
        ));
    }
    text.push('.');
    text
}

/// Record-level change of a shared copy.
pub fn point_error_sentence(point_error: f64) -> String {
    format!(
        "{} of the individual genotypes were changed by the noise; the released data are \
         for population-level analysis, not for reading any one person's genotype.",
        percent(point_error, 1)
    )
}

/// A model's accuracy on its training people and on held-out people.
pub fn model_accuracy_sentence(train: f64, test: f64) -> String {
    format!(
        "The model is right {} of the time on the people it was trained on and {} on people \
         it never saw; a large gap means it memorised its training set.",
        percent(train, 0),
        percent(test, 0)
    )
}

/// A model trained without differential privacy has no guarantee to state.
pub const NO_GUARANTEE: &str = "This model was trained without differential privacy, so no \
    mathematical limit applies to what it reveals about one person; only the audit below \
    measures it, and an audit can miss a leak.";

/// The ROC chart's ceiling in words.
pub fn roc_ceiling_sentence(epsilon: f64, delta: f64) -> String {
    format!(
        "The dashed ceiling is the most any attack can achieve under the guarantee (epsilon \
         {}, delta {}): at each rate of wrongly flagged non-members, the share of members \
         found cannot rise above e^epsilon times that rate plus delta.",
        number(epsilon),
        number(delta)
    )
}

/// The ROC chart in one sentence, for readers who do not read charts.
pub const ROC_SUMMARY: &str = "Each curve shows, for one attack, the share of members it found \
    (up) against the share of non-members it wrongly flagged (across), both on logarithmic \
    scales; the diagonal is guessing, and curves near it mean the attack learned little.";

/// The trade-off chart in one sentence.
pub fn tradeoff_summary(metric: &str) -> String {
    format!(
        "The chart shows {metric} (up) against the privacy budget epsilon per person \
         (across, logarithmic): more budget means more utility and weaker protection. Shaded \
         bands span the repeats; the marked points are the recommended budget and the \
         release under review."
    )
}

/// What the attacks showed about epsilon, next to the guarantee.
pub fn empirical_epsilon_sentence(lower_bound: f64, guaranteed: Option<f64>) -> String {
    let mut text = format!(
        "The strongest attack proves a privacy loss of at least {} (95 % confidence)",
        number(lower_bound)
    );
    match guaranteed {
        Some(e) if lower_bound > e => text.push_str(&format!(
            ", above the guaranteed {}: the accounting or the implementation must be checked \
             before release.",
            number(e)
        )),
        Some(e) => text.push_str(&format!(
            "; the guarantee allows up to {}. The gap is how much the guarantee may \
             overstate the risk, or how much stronger attacks might find.",
            number(e)
        )),
        None => text.push('.'),
    }
    text
}

/// When the project holds only sweeps, there is no release to label.
pub const NO_RELEASE: &str = "The project records no release under review (no shared copy and \
    no model), so there is no privacy label to show.";

/// When no study measured an attack.
pub const NO_ATTACKS: &str = "No attack was measured in this project, so nothing here shows \
    how much the release leaks in practice.";

/// Why the inputs are listed with their fingerprints.
pub const CHECKSUMS_NOTE: &str = "These SHA-256 fingerprints identify the exact files the \
    studies read; `genopriv run PROJECT --check` refuses to rerun on any file that changed, \
    and checks that every figure in this report comes out again.";

/// Why the seeds are listed.
pub const SEEDS_NOTE: &str = "Every random choice of the studies (noise, splits, models, \
    bootstrap) follows from these seeds, so the studies can be rerun to the same numbers. A \
    seeded output is study output: a release for real draws fresh noise from the operating \
    system.";

/// The sign-off block's instruction.
pub const SIGN_OFF_NOTE: &str = "The reviewer records the decision below; a release is \
    approved only for the settings, data and recipients described in this report.";

/// The figures this report has no data for.
pub const PER_SNP_PLOTS_NOTE: &str = "Per-SNP plots (Manhattan, allele frequencies) are not \
    included: the project stores study summaries, not per-SNP results.";

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attack_the_studies_run_has_an_assumption() {
        for id in ["loss", "lira", "rmia", "gradnorm", "label"] {
            assert!(attack_assumption(id).is_some(), "{id}");
        }
        for name in [
            "nearest released record (Hamming)",
            "allele-frequency likelihood ratio",
        ] {
            assert!(attack_assumption(name).is_some(), "{name}");
        }
        assert_eq!(attack_assumption("shadow"), None);
    }

    #[test]
    fn recommendation_names_budget_utility_and_control() {
        let s = recommendation_sentence(
            "XOR mechanism (PROVGEN)",
            "GWAS SNP retention",
            9389.0,
            1.0,
            0.8123,
            Some(0.41),
        );
        assert!(s.contains("epsilon 9,389 in total (1 per SNP)"), "{s}");
        assert!(s.contains("GWAS SNP retention there is 0.81"), "{s}");
        assert!(s.ends_with("against 0.41 for pure coin-flip noise."), "{s}");
    }

    #[test]
    fn realised_loss_is_stated_when_it_differs() {
        let same = chosen_release_sentence("XOR mechanism", 10.0, Some(10.0));
        assert!(
            same.ends_with("epsilon 10 per person over all SNPs."),
            "{same}"
        );
        let differs = chosen_release_sentence("XOR mechanism", 10.0, Some(7.5));
        assert!(
            differs.contains("actual worst-case privacy loss is 7.5"),
            "{differs}"
        );
        let unbounded = chosen_release_sentence("XOR mechanism", 10.0, None);
        assert!(unbounded.contains("no upper limit"), "{unbounded}");
    }

    #[test]
    fn an_attack_above_the_guarantee_is_a_warning() {
        let above = empirical_epsilon_sentence(2.0, Some(1.0));
        assert!(above.contains("must be checked"), "{above}");
        let below = empirical_epsilon_sentence(0.2, Some(1.0));
        assert!(below.contains("allows up to 1"), "{below}");
    }

    #[test]
    fn no_sentence_uses_the_forbidden_words() {
        let mut sentences: Vec<String> = [
            NO_RECOMMENDATION,
            NO_ALTERNATIVES,
            NO_GUARANTEE,
            ROC_SUMMARY,
            NO_RELEASE,
            NO_ATTACKS,
            CHECKSUMS_NOTE,
            SEEDS_NOTE,
            SIGN_OFF_NOTE,
            PER_SNP_PLOTS_NOTE,
            NO_CHOICE,
            NO_THRESHOLDS,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        sentences.extend(
            [
                "loss",
                "lira",
                "rmia",
                "gradnorm",
                "label",
                "nearest released record (Hamming)",
                "allele-frequency likelihood ratio",
            ]
            .iter()
            .filter_map(|a| attack_assumption(a))
            .map(str::to_owned),
        );
        sentences.extend([
            evaluation_assumption(10, 10),
            chosen_release_sentence("XOR", 1.0, None),
            recommendation_sentence("XOR", "retention", 1.0, 0.1, 0.5, Some(0.2)),
            retention_sentence(0.5, Some(0.2)),
            point_error_sentence(0.1),
            model_accuracy_sentence(0.9, 0.6),
            roc_ceiling_sentence(1.0, 1e-5),
            tradeoff_summary("retention"),
            empirical_epsilon_sentence(0.5, Some(1.0)),
            crate::explain::tradeoff::utility_curve_sentence(
                "retention",
                &[(1.0, 0.2), (10.0, 0.9)],
                Some((3.0, 0.7)),
                Some(crate::explain::tradeoff::UtilityReference::CoinFlip(0.1)),
            ),
            crate::explain::tradeoff::risk_curve_sentence(&[crate::explain::tradeoff::RiskPoint {
                epsilon: 1.0,
                tpr_at_1pct_fpr: Some(0.02),
                auc: Some(0.55),
                ceiling: 1.0,
            }]),
            crate::explain::tradeoff::candidate_risk_sentence(None, None, 0.5),
        ]);
        for sentence in sentences {
            let lower = sentence.to_lowercase();
            for banned in [
                "anonym",
                "secure",
                "cannot be re-identified",
                "de-identified",
            ] {
                assert!(!lower.contains(banned), "{sentence}");
            }
        }
    }

    #[test]
    fn retention_reads_as_percentages() {
        let s = retention_sentence(0.85, Some(0.4));
        assert!(s.contains("85 %") && s.contains("40 %"), "{s}");
    }
}
