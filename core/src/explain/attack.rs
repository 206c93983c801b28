//! Attack results in words: members found at a fixed false-accusation rate, and
//! label inference against a non-member control.
//!
//! An attack that does not beat its baseline is inconclusive, never a clean bill
//! of health (Anonymeter; ux spec §5.5-§5.7, audits spec §1.8-§1.9).

use crate::error::{Error, Result};

use super::confidence::{CONFIDENCE_LEVEL, Interval, clopper_pearson, difference_interval};
use super::format::{chance, integer, natural_scale, number, percent, rate_per};
use super::odds::check_epsilon;

/// Operating points need at least this many expected false positives: FPR moves
/// in steps of 1/N_out, so rates below 10/N_out are greyed out (audits §1.8).
pub const MIN_FALSE_POSITIVES: f64 = 10.0;

/// The sentence every inconclusive result carries.
pub const INCONCLUSIVE: &str =
    "Inconclusive: this test could not detect a leak; that is not proof of safety.";

/// An (epsilon, delta) privacy guarantee claimed for a release.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Guarantee {
    pub epsilon: f64,
    pub delta: f64,
}

impl Guarantee {
    /// The highest true-positive rate any attack may reach at `fpr`:
    /// min(1, e^eps x FPR + delta) (audits spec §6).
    pub fn tpr_ceiling(&self, fpr: f64) -> f64 {
        (self.epsilon.exp() * fpr + self.delta).min(1.0)
    }
}

/// One operating point of a membership-inference attack.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MembershipOperatingPoint {
    /// The false-positive rate the attack was held to.
    pub fpr: f64,
    /// Members correctly flagged at that rate.
    pub true_positives: u64,
    /// Members tested (N_in).
    pub members: u64,
    /// Non-members tested (N_out).
    pub non_members: u64,
}

/// What an attack result lets us conclude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttackVerdict {
    /// The attack clearly beat its baseline: the release leaks.
    LeakDetected,
    /// No leak detected; not proof that there is none.
    Inconclusive,
    /// Too few people were tested to measure at this operating point.
    NotMeasurable,
}

/// How the attack compares with guessing, judged on the confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// The whole interval is above the baseline.
    ClearlyBetter,
    /// The interval contains the baseline.
    AboutTheSame,
    /// The whole interval is below the baseline.
    NoBetter,
}

impl Comparison {
    fn judge(interval: &Interval, baseline: f64) -> Self {
        if interval.lower > baseline {
            Comparison::ClearlyBetter
        } else if interval.upper < baseline {
            Comparison::NoBetter
        } else {
            Comparison::AboutTheSame
        }
    }

    fn phrase(self) -> &'static str {
        match self {
            Comparison::ClearlyBetter => "clearly better than guessing",
            Comparison::AboutTheSame => "about the same as guessing",
            Comparison::NoBetter => "no better than guessing",
        }
    }
}

/// A membership-attack result explained.
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipExplanation {
    pub verdict: AttackVerdict,
    /// `None` when the point is not measurable.
    pub comparison: Option<Comparison>,
    /// TP / N_in.
    pub tpr: f64,
    /// Clopper-Pearson interval on TP / N_in; `None` when not measurable.
    pub interval: Option<Interval>,
    /// The finding, e.g. "Allowed to wrongly flag only 1 in 1,000 non-members, ...".
    pub finding: String,
    /// What the finding means for the release (verdict and, if given, the ceiling).
    pub meaning: Vec<String>,
}

/// The lowest false-positive rate that `non_members` can support (10 / N_out).
pub fn min_measurable_fpr(non_members: u64) -> f64 {
    if non_members == 0 {
        1.0
    } else {
        (MIN_FALSE_POSITIVES / non_members as f64).min(1.0)
    }
}

/// Explains one operating point: "Allowed to wrongly flag only 1 in 1,000
/// non-members, the attack correctly found 3 in 1,000 members — about the same as
/// guessing (95 % CI 0.62 to 8.7 in 1,000)." Random guessing at a
/// false-positive rate f finds a share f of members, so f is the baseline; the
/// verdict uses the interval, not the point estimate. With a `guarantee`, the
/// DP ceiling is stated, and a result above it is flagged as a bug.
pub fn explain_membership(
    point: &MembershipOperatingPoint,
    guarantee: Option<Guarantee>,
) -> Result<MembershipExplanation> {
    if !(0.0..=1.0).contains(&point.fpr) {
        return Err(Error::Parameter(format!(
            "a false-positive rate is between 0 and 1, got {}",
            point.fpr
        )));
    }
    if point.true_positives > point.members {
        return Err(Error::Parameter(format!(
            "{} members found out of only {} tested",
            point.true_positives, point.members
        )));
    }
    if let Some(guarantee) = guarantee {
        check_epsilon(guarantee.epsilon)?;
    }
    let scale = natural_scale(point.fpr);
    let minimum = min_measurable_fpr(point.non_members);
    if point.members == 0 || point.fpr < minimum {
        return Ok(not_measurable(point, minimum, scale));
    }
    let tpr = point.true_positives as f64 / point.members as f64;
    let interval = clopper_pearson(point.true_positives, point.members, CONFIDENCE_LEVEL)?;
    let comparison = Comparison::judge(&interval, point.fpr);
    let finding = format!(
        "Allowed to wrongly flag only {} non-members, the attack correctly found {} members \
         — {} ({} CI {} to {}).",
        rate_per(point.fpr, scale),
        rate_per(tpr, scale),
        comparison.phrase(),
        percent(CONFIDENCE_LEVEL, 0),
        number(interval.lower * scale as f64),
        rate_per(interval.upper, scale),
    );
    let verdict = if comparison == Comparison::ClearlyBetter {
        AttackVerdict::LeakDetected
    } else {
        AttackVerdict::Inconclusive
    };
    let mut meaning = vec![match verdict {
        AttackVerdict::LeakDetected => format!(
            "Leak detected: someone who has a person's DNA can tell, better than by chance, \
             whether that person is in the study (tested on {} members and {} non-members).",
            integer(point.members),
            integer(point.non_members)
        ),
        _ => INCONCLUSIVE.to_owned(),
    }];
    if let Some(guarantee) = guarantee {
        meaning.push(ceiling_sentence(guarantee, point.fpr, &interval, scale));
    }
    Ok(MembershipExplanation {
        verdict,
        comparison: Some(comparison),
        tpr,
        interval: Some(interval),
        finding,
        meaning,
    })
}

fn not_measurable(
    point: &MembershipOperatingPoint,
    minimum: f64,
    scale: u64,
) -> MembershipExplanation {
    let finding = if point.members == 0 {
        "No members were tested, so the attack's success cannot be measured.".to_owned()
    } else if point.fpr == 0.0 {
        format!(
            "A false-accusation rate of zero cannot be measured: with {} non-members the \
             smallest step is 1 in {}, and the lowest rate this test supports is {}.",
            integer(point.non_members),
            integer(point.non_members),
            chance(minimum)
        )
    } else {
        let needed = (MIN_FALSE_POSITIVES / point.fpr).ceil();
        format!(
            "A false-accusation rate of {} cannot be measured with {} non-members: it needs at \
             least {} non-members. The lowest rate this test supports is {}.",
            rate_per(point.fpr, scale),
            integer(point.non_members),
            number(needed),
            chance(minimum)
        )
    };
    MembershipExplanation {
        verdict: AttackVerdict::NotMeasurable,
        comparison: None,
        tpr: if point.members == 0 {
            0.0
        } else {
            point.true_positives as f64 / point.members as f64
        },
        interval: None,
        finding,
        meaning: vec![
            "Not measured: this operating point says nothing either way about a leak.".to_owned(),
        ],
    }
}

fn ceiling_sentence(guarantee: Guarantee, fpr: f64, interval: &Interval, scale: u64) -> String {
    let ceiling = guarantee.tpr_ceiling(fpr);
    if interval.lower > ceiling {
        return format!(
            "Warning: the attack did better than the guarantee (epsilon = {}) allows, which is \
             at most {} members at this rate. The guarantee or its implementation is broken; \
             do not release until this is explained.",
            number(guarantee.epsilon),
            rate_per(ceiling, scale)
        );
    }
    if ceiling >= 1.0 {
        return format!(
            "At epsilon = {} the guarantee does not limit this attack at all: it would allow \
             every member to be found at this rate.",
            number(guarantee.epsilon)
        );
    }
    format!(
        "Under the guarantee (epsilon = {}), no attack can find more than {} members at this \
         rate.",
        number(guarantee.epsilon),
        rate_per(ceiling, scale)
    )
}

/// A label-inference attack (guessing case/control status), run on members and
/// on a control group of non-members, next to a baseline that uses no release.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelInferenceResult {
    pub members_correct: u64,
    pub members: u64,
    pub non_members_correct: u64,
    pub non_members: u64,
    /// Accuracy without the release (e.g. always guessing the commoner status).
    pub baseline_accuracy: f64,
}

/// What a label-inference result shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelVerdict {
    /// Members' labels are guessed better than non-members': the release reveals
    /// something about the individuals in it.
    IndividualLeak,
    /// The release helps guess anyone's label, members or not: population patterns.
    PopulationPatterns,
    /// The guesses do not beat the no-release baseline.
    Inconclusive,
    /// A group was empty.
    NotMeasurable,
}

/// A label-inference result explained.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelExplanation {
    pub verdict: LabelVerdict,
    /// (main - control) / (1 - control), floored at 0 (Anonymeter's residual risk).
    pub residual_risk: f64,
    pub sentences: Vec<String>,
}

/// "With the release, case/control status was guessed right 58 % of the time; for
/// people not in the study it was 57 %. So the release reveals population
/// patterns, not Alice's status" (ux spec §5.6). The member/non-member difference
/// is judged on a 95 % interval (Newcombe's method on Clopper-Pearson intervals).
pub fn explain_label_inference(result: &LabelInferenceResult) -> Result<LabelExplanation> {
    if result.members_correct > result.members || result.non_members_correct > result.non_members {
        return Err(Error::Parameter(
            "more correct guesses than people tested in a label-inference result".to_owned(),
        ));
    }
    if !(0.0..=1.0).contains(&result.baseline_accuracy) {
        return Err(Error::Parameter(format!(
            "a baseline accuracy is between 0 and 1, got {}",
            result.baseline_accuracy
        )));
    }
    if result.members == 0 || result.non_members == 0 {
        return Ok(LabelExplanation {
            verdict: LabelVerdict::NotMeasurable,
            residual_risk: 0.0,
            sentences: vec![
                "Label inference needs both people in the study and people outside it; one \
                 group was empty, so nothing can be concluded."
                    .to_owned(),
            ],
        });
    }
    let main = result.members_correct as f64 / result.members as f64;
    let control = result.non_members_correct as f64 / result.non_members as f64;
    let residual_risk = if control < 1.0 {
        ((main - control) / (1.0 - control)).max(0.0)
    } else {
        0.0
    };
    let difference = difference_interval(
        result.members_correct,
        result.members,
        result.non_members_correct,
        result.non_members,
        CONFIDENCE_LEVEL,
    )?;
    let main_interval = clopper_pearson(result.members_correct, result.members, CONFIDENCE_LEVEL)?;
    let finding = format!(
        "With the release, case/control status was guessed right {} of the time for people in \
         the study; for people not in the study it was {}, and without the release {}.",
        percent(main, 0),
        percent(control, 0),
        percent(result.baseline_accuracy, 0)
    );
    let (verdict, meaning) = if difference.lower > 0.0 {
        (
            LabelVerdict::IndividualLeak,
            format!(
                "Leak detected: the release reveals the status of people in the study beyond \
                 population patterns (residual risk {}, tested on {} members and {} \
                 non-members).",
                percent(residual_risk, 0),
                integer(result.members),
                integer(result.non_members)
            ),
        )
    } else if main_interval.lower > result.baseline_accuracy {
        (
            LabelVerdict::PopulationPatterns,
            "So the release reveals population patterns, not Alice's status: this test found \
             no extra knowledge about people in the study, which is not proof that there is \
             none."
                .to_owned(),
        )
    } else {
        (LabelVerdict::Inconclusive, INCONCLUSIVE.to_owned())
    };
    Ok(LabelExplanation {
        verdict,
        residual_risk,
        sentences: vec![finding, meaning],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(
        fpr: f64,
        true_positives: u64,
        members: u64,
        non_members: u64,
    ) -> MembershipOperatingPoint {
        MembershipOperatingPoint {
            fpr,
            true_positives,
            members,
            non_members,
        }
    }

    #[test]
    fn the_spec_example_is_about_the_same_as_guessing() -> Result<()> {
        let explained = explain_membership(&point(0.001, 3, 1000, 10_000), None)?;
        assert_eq!(explained.verdict, AttackVerdict::Inconclusive);
        assert_eq!(explained.comparison, Some(Comparison::AboutTheSame));
        assert_eq!(
            explained.finding,
            "Allowed to wrongly flag only 1 in 1,000 non-members, the attack correctly found 3 \
             in 1,000 members — about the same as guessing (95 % CI 0.62 to 8.7 in 1,000)."
        );
        assert_eq!(explained.meaning, vec![INCONCLUSIVE.to_owned()]);
        Ok(())
    }

    #[test]
    fn a_clear_leak_is_reported() -> Result<()> {
        // 30/1000 at FPR 0.001: CI [0.020, 0.043] lies far above 0.001.
        let explained = explain_membership(&point(0.001, 30, 1000, 10_000), None)?;
        assert_eq!(explained.verdict, AttackVerdict::LeakDetected);
        assert!(explained.finding.contains("clearly better than guessing"));
        Ok(())
    }

    #[test]
    fn zero_found_is_no_better_than_guessing_yet_inconclusive() -> Result<()> {
        let explained = explain_membership(&point(0.01, 0, 1000, 1000), None)?;
        assert_eq!(explained.comparison, Some(Comparison::NoBetter));
        assert_eq!(explained.verdict, AttackVerdict::Inconclusive);
        Ok(())
    }

    #[test]
    fn rates_below_ten_over_n_out_are_refused() -> Result<()> {
        // 600 non-members support FPR >= 10/600 = 1.7 %, not 0.1 % nor 0 %.
        for fpr in [0.001, 0.0] {
            let explained = explain_membership(&point(fpr, 5, 600, 600), None)?;
            assert_eq!(explained.verdict, AttackVerdict::NotMeasurable);
            assert!(explained.interval.is_none());
        }
        let refused = explain_membership(&point(0.001, 5, 600, 600), None)?;
        assert!(
            refused
                .finding
                .contains("needs at least 10,000 non-members"),
            "{}",
            refused.finding
        );
        let zero = explain_membership(&point(0.0, 5, 600, 600), None)?;
        assert!(
            zero.finding
                .starts_with("A false-accusation rate of zero cannot be measured")
        );
        let allowed = explain_membership(&point(0.02, 5, 600, 600), None)?;
        assert_ne!(allowed.verdict, AttackVerdict::NotMeasurable);
        Ok(())
    }

    #[test]
    fn ceiling_is_stated_and_a_breach_flagged() -> Result<()> {
        let guarantee = Guarantee {
            epsilon: 1.0,
            delta: 0.0,
        };
        let within = explain_membership(&point(0.01, 20, 1000, 1000), Some(guarantee))?;
        assert!(
            within
                .meaning
                .iter()
                .any(|s| s.contains("no attack can find more than 2.7 in 100"))
        );
        // 200/1000 at FPR 1 % is far above e^1 x 1 % = 2.7 %: a bug.
        let breach = explain_membership(&point(0.01, 200, 1000, 1000), Some(guarantee))?;
        assert!(
            breach
                .meaning
                .iter()
                .any(|s| s.starts_with("Warning: the attack did better"))
        );
        Ok(())
    }

    #[test]
    fn label_inference_with_population_patterns_only() -> Result<()> {
        let explained = explain_label_inference(&LabelInferenceResult {
            members_correct: 580,
            members: 1000,
            non_members_correct: 570,
            non_members: 1000,
            baseline_accuracy: 0.5,
        })?;
        assert_eq!(explained.verdict, LabelVerdict::PopulationPatterns);
        assert!(
            explained
                .sentences
                .iter()
                .any(|s| s.contains("guessed right 58 % of the time"))
        );
        assert!(
            explained
                .sentences
                .iter()
                .any(|s| s.contains("not in the study it was 57 %"))
        );
        // (0.58 - 0.57) / (1 - 0.57)
        assert!((explained.residual_risk - 0.01 / 0.43).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn label_inference_detects_an_individual_leak() -> Result<()> {
        let explained = explain_label_inference(&LabelInferenceResult {
            members_correct: 700,
            members: 1000,
            non_members_correct: 570,
            non_members: 1000,
            baseline_accuracy: 0.5,
        })?;
        assert_eq!(explained.verdict, LabelVerdict::IndividualLeak);
        Ok(())
    }

    #[test]
    fn label_inference_no_better_than_baseline_is_inconclusive() -> Result<()> {
        let explained = explain_label_inference(&LabelInferenceResult {
            members_correct: 51,
            members: 100,
            non_members_correct: 50,
            non_members: 100,
            baseline_accuracy: 0.5,
        })?;
        assert_eq!(explained.verdict, LabelVerdict::Inconclusive);
        assert!(explained.sentences.iter().any(|s| s == INCONCLUSIVE));
        Ok(())
    }
}
