//! Scans every sentence the explain module produces, over a grid of inputs, for
//! words the ux spec (§5.11) bans: they promise what differential privacy and an
//! attack audit cannot deliver. Also checks that sentences are well formed.

use genopriv_core::Result;
use genopriv_core::explain::attack::{
    Guarantee, INCONCLUSIVE, LabelInferenceResult, MembershipOperatingPoint,
    explain_label_inference, explain_membership,
};
use genopriv_core::explain::epsilon::{
    EpsilonUnit, SLIDER_ANCHORS, epsilon_warning, per_snp_epsilon_sentence,
    realised_epsilon_sentence,
};
use genopriv_core::explain::label::{MafSource, MechanismKind, ReleaseDescription, privacy_label};
use genopriv_core::explain::odds::{
    IconArray, odds_comparison_sentence, odds_sentence, posterior_bound,
};
use genopriv_core::explain::persona::PERSONAS;

const BANNED_WORDS: [&str; 8] = [
    "anonymous",
    "anonymised",
    "anonymized",
    "anonymisation",
    "anonymization",
    "secure",
    "safe",
    "risk-free",
];
const BANNED_PHRASES: [&str; 4] = [
    "cannot be re-identified",
    "guaranteed safe",
    "no risk",
    "zero risk",
];

const EPSILONS: [f64; 12] = [
    0.0,
    0.01,
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
    100.0,
    9389.0,
    f64::INFINITY,
];
const PROBABILITIES: [f64; 10] = [0.0, 1e-13, 0.0001, 0.01, 0.1, 0.3, 0.5, 0.8, 0.99, 1.0];

fn every_sentence() -> Result<Vec<String>> {
    let mut sentences = Vec::new();
    for &epsilon in &EPSILONS {
        for &prior in &PROBABILITIES {
            for delta in [0.0, 1e-6, 0.01] {
                let bound = posterior_bound(prior, epsilon, delta)?;
                sentences.push(odds_sentence(&bound));
                sentences.push(IconArray::new(&bound).caption());
                sentences.push(odds_comparison_sentence(prior, epsilon)?);
            }
        }
        for unit in [
            EpsilonUnit::Total,
            EpsilonUnit::PerSnp { snps: 1 },
            EpsilonUnit::PerSnp { snps: 10_946 },
        ] {
            sentences.extend(epsilon_warning(epsilon, unit)?);
            for mechanism in [
                MechanismKind::XorSharing,
                MechanismKind::RandomizedResponse,
                MechanismKind::SyntheticData,
                MechanismKind::DpModel,
            ] {
                for maf_source in [
                    MafSource::Public,
                    MafSource::DifferentiallyPrivate,
                    MafSource::Raw,
                    MafSource::NotUsed,
                ] {
                    for (delta, realised) in [(0.0, None), (1e-5, Some(epsilon * 0.78))] {
                        let label = privacy_label(&ReleaseDescription {
                            mechanism,
                            epsilon,
                            unit,
                            delta,
                            maf_source,
                            realised_total_epsilon: realised,
                        })?;
                        sentences.extend(label.protects_against);
                        sentences.extend(label.does_not_protect_against);
                        sentences.extend(label.who_sees_what);
                        sentences.extend(label.what_is_released);
                    }
                }
            }
        }
        for realised in [0.0, 0.5, 7287.0, 9230.0] {
            sentences.push(realised_epsilon_sentence(epsilon, realised)?);
        }
        sentences.push(per_snp_epsilon_sentence(&[epsilon, epsilon / 2.0])?);
    }
    for fpr in [0.0, 0.001, 0.01, 0.05, 0.5] {
        for (true_positives, members) in [(0, 1000), (3, 1000), (30, 1000), (999, 1000), (0, 0)] {
            for non_members in [0, 600, 1000, 100_000] {
                for guarantee in [
                    None,
                    Some(Guarantee {
                        epsilon: 1.0,
                        delta: 0.0,
                    }),
                    Some(Guarantee {
                        epsilon: 50.0,
                        delta: 1e-5,
                    }),
                ] {
                    let point = MembershipOperatingPoint {
                        fpr,
                        true_positives,
                        members,
                        non_members,
                    };
                    let explained = explain_membership(&point, guarantee)?;
                    sentences.push(explained.finding);
                    sentences.extend(explained.meaning);
                }
            }
        }
    }
    for (members_correct, non_members_correct, baseline) in [
        (580, 570, 0.5),
        (700, 570, 0.5),
        (510, 500, 0.5),
        (400, 600, 0.55),
        (1000, 1000, 0.5),
    ] {
        for (members, non_members) in [(1000, 1000), (1000, 0)] {
            let explained = explain_label_inference(&LabelInferenceResult {
                members_correct: members_correct.min(members),
                members,
                non_members_correct: non_members_correct.min(non_members),
                non_members,
                baseline_accuracy: baseline,
            })?;
            sentences.extend(explained.sentences);
        }
    }
    for persona in PERSONAS {
        sentences.push(persona.title.to_owned());
        sentences.push(persona.description.to_owned());
    }
    sentences.extend(SLIDER_ANCHORS.iter().map(|anchor| anchor.label.to_owned()));
    Ok(sentences)
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn no_sentence_uses_a_banned_word() -> Result<()> {
    let sentences = every_sentence()?;
    assert!(
        sentences.len() > 1000,
        "the grid should cover many sentences"
    );
    for sentence in &sentences {
        let lower = sentence.to_lowercase();
        for word in words(sentence) {
            assert!(
                !BANNED_WORDS.contains(&word.as_str()),
                "{word:?} in: {sentence}"
            );
        }
        for phrase in BANNED_PHRASES {
            assert!(!lower.contains(phrase), "{phrase:?} in: {sentence}");
        }
    }
    Ok(())
}

#[test]
fn the_scan_would_catch_banned_words() {
    // The scan itself must be able to fail: a verdict of "safe" is caught, while
    // "not proof of safety" is allowed.
    assert!(words("The release is safe.").contains(&"safe".to_owned()));
    assert!(
        !words(INCONCLUSIVE)
            .iter()
            .any(|w| BANNED_WORDS.contains(&w.as_str()))
    );
}

#[test]
fn sentences_are_well_formed() -> Result<()> {
    for sentence in every_sentence()? {
        assert!(
            !sentence.contains("NaN") && !sentence.contains("undefined"),
            "{sentence}"
        );
        assert!(!sentence.contains("  "), "double space in: {sentence}");
        assert!(
            sentence.chars().next().is_some_and(char::is_uppercase),
            "{sentence}"
        );
    }
    Ok(())
}
