//! Policy thresholds a steward sets before choosing a release, and each
//! candidate's verdict against them in words (ARX's risk monitors: a threshold
//! with a traffic light that always carries its text).
//!
//! A figure that was not measured is never taken as meeting a threshold: the
//! verdict says it could not be judged.

use serde::{Deserialize, Serialize};

use crate::explain::format::{number, percent};

use super::candidate::CandidateFigures;

/// The thresholds; `None` means not set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// Least acceptable utility (a fraction, e.g. 0.8 for 80 % GWAS retention).
    pub min_utility: Option<f64>,
    /// Largest acceptable share of members a membership attack finds when it
    /// may wrongly flag 1 % of non-members.
    pub max_tpr_at_1pct_fpr: Option<f64>,
    /// Largest acceptable privacy loss, epsilon per person over the whole release.
    pub max_epsilon: Option<f64>,
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        self.thresholds().is_empty()
    }

    /// The thresholds that are set, in a fixed order.
    pub fn thresholds(&self) -> Vec<Threshold> {
        [
            self.min_utility.map(Threshold::MinUtility),
            self.max_tpr_at_1pct_fpr.map(Threshold::MaxTpr),
            self.max_epsilon.map(Threshold::MaxEpsilon),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// One threshold with its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    MinUtility(f64),
    MaxTpr(f64),
    MaxEpsilon(f64),
}

impl Threshold {
    /// "utility at least 80 %", for lists and chart labels.
    pub fn describe(&self, utility_label: &str) -> String {
        match *self {
            Threshold::MinUtility(v) => format!("{utility_label} at least {}", percent(v, 1)),
            Threshold::MaxTpr(v) => format!(
                "members found at 1 % false accusations at most {}",
                percent(v, 1)
            ),
            Threshold::MaxEpsilon(v) => format!("privacy loss at most epsilon {}", number(v)),
        }
    }
}

/// How a candidate fares against one threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Met,
    Failed,
    /// The figure was not measured (or has no finite value to compare).
    NotJudged,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdCheck {
    pub threshold: Threshold,
    pub outcome: Outcome,
    /// The comparison in words: "GWAS SNP retention 62 % < 80 %".
    pub reason: String,
}

/// A candidate's verdict: one check per threshold set.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub checks: Vec<ThresholdCheck>,
}

/// The verdict in one word, for the label next to a colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictKind {
    NoThresholds,
    MeetsAll,
    Fails,
    NotJudged,
}

impl VerdictKind {
    pub fn word(self) -> &'static str {
        match self {
            VerdictKind::NoThresholds => "No thresholds",
            VerdictKind::MeetsAll => "Meets the policy",
            VerdictKind::Fails => "Fails the policy",
            VerdictKind::NotJudged => "Not judged",
        }
    }
}

impl Verdict {
    pub fn kind(&self) -> VerdictKind {
        if self.checks.is_empty() {
            VerdictKind::NoThresholds
        } else if self.checks.iter().any(|c| c.outcome == Outcome::Failed) {
            VerdictKind::Fails
        } else if self.checks.iter().any(|c| c.outcome == Outcome::NotJudged) {
            VerdictKind::NotJudged
        } else {
            VerdictKind::MeetsAll
        }
    }

    /// "Meets all three thresholds.", "Fails: GWAS SNP retention 62 % < 80 %."
    pub fn sentence(&self) -> String {
        let reasons = |outcome: Outcome| -> Vec<&str> {
            self.checks
                .iter()
                .filter(|c| c.outcome == outcome)
                .map(|c| c.reason.as_str())
                .collect()
        };
        match self.kind() {
            VerdictKind::NoThresholds => {
                "No policy thresholds are set, so this candidate is not judged.".to_owned()
            }
            VerdictKind::MeetsAll => format!("Meets {}.", all_thresholds(self.checks.len())),
            VerdictKind::Fails => {
                let mut text = format!("Fails: {}.", reasons(Outcome::Failed).join("; "));
                let unjudged = reasons(Outcome::NotJudged);
                if !unjudged.is_empty() {
                    text.push_str(&format!(" Not judged: {}.", unjudged.join("; ")));
                }
                text
            }
            VerdictKind::NotJudged => {
                let met = self
                    .checks
                    .iter()
                    .filter(|c| c.outcome == Outcome::Met)
                    .count();
                let mut text = format!(
                    "Cannot be judged: {}.",
                    reasons(Outcome::NotJudged).join("; ")
                );
                if met > 0 {
                    text.push_str(&format!(
                        " It meets the other {}.",
                        if met == 1 { "threshold" } else { "thresholds" }
                    ));
                }
                text
            }
        }
    }
}

fn all_thresholds(n: usize) -> String {
    match n {
        1 => "the threshold".to_owned(),
        2 => "both thresholds".to_owned(),
        3 => "all three thresholds".to_owned(),
        n => format!("all {n} thresholds"),
    }
}

/// Judges a candidate's figures against the policy.
pub fn judge(policy: &Policy, figures: &CandidateFigures) -> Verdict {
    let checks = policy
        .thresholds()
        .into_iter()
        .map(|threshold| check(threshold, figures))
        .collect();
    Verdict { checks }
}

fn check(threshold: Threshold, figures: &CandidateFigures) -> ThresholdCheck {
    let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
    let (outcome, reason) = match threshold {
        Threshold::MinUtility(min) => match finite(figures.utility) {
            Some(u) if u >= min => (
                Outcome::Met,
                compare_percent(&figures.utility_label, u, "≥", min),
            ),
            Some(u) => (
                Outcome::Failed,
                compare_percent(&figures.utility_label, u, "<", min),
            ),
            None => (
                Outcome::NotJudged,
                format!("{} was not measured", figures.utility_label),
            ),
        },
        Threshold::MaxTpr(max) => {
            let name = "members found at 1 % false accusations";
            match finite(figures.membership_tpr_at_1pct_fpr) {
                Some(t) if t <= max => (Outcome::Met, compare_percent(name, t, "≤", max)),
                Some(t) => (Outcome::Failed, compare_percent(name, t, ">", max)),
                None => (
                    Outcome::NotJudged,
                    "the membership attack was not measured (it needs a reference panel)"
                        .to_owned(),
                ),
            }
        }
        Threshold::MaxEpsilon(max) => match figures.epsilon_spent {
            Some(e) if e <= max => (
                Outcome::Met,
                format!("privacy loss epsilon {} ≤ {}", number(e), number(max)),
            ),
            Some(e) => (
                Outcome::Failed,
                format!("privacy loss epsilon {} > {}", number(e), number(max)),
            ),
            None => (
                Outcome::Failed,
                format!("privacy loss has no upper limit > {}", number(max)),
            ),
        },
    };
    ThresholdCheck {
        threshold,
        outcome,
        reason,
    }
}

/// "GWAS SNP retention 62 % < 80 %", with as many decimals as it takes for the
/// two sides not to read the same (79.96 % is not "80 % < 80 %").
fn compare_percent(name: &str, value: f64, sign: &str, threshold: f64) -> String {
    let decimals = (0..=3)
        .find(|&d| percent(value, d) != percent(threshold, d))
        .unwrap_or(3);
    format!(
        "{name} {} {sign} {}",
        percent(value, decimals),
        percent(threshold, decimals)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(epsilon: Option<f64>, utility: Option<f64>, tpr: Option<f64>) -> CandidateFigures {
        CandidateFigures {
            epsilon_nominal: epsilon.unwrap_or(1.0),
            epsilon_per_snp: None,
            epsilon_realised: epsilon,
            epsilon_spent: epsilon,
            delta: 0.0,
            utility_label: "GWAS SNP retention".into(),
            utility,
            allele_frequency_error: None,
            membership_tpr_at_1pct_fpr: tpr,
            membership_tpr_interval: None,
            membership_auc: None,
        }
    }

    fn all_three() -> Policy {
        Policy {
            min_utility: Some(0.8),
            max_tpr_at_1pct_fpr: Some(0.02),
            max_epsilon: Some(10.0),
        }
    }

    #[test]
    fn meeting_every_threshold_says_so() {
        let verdict = judge(&all_three(), &figures(Some(5.0), Some(0.85), Some(0.015)));
        assert_eq!(verdict.kind(), VerdictKind::MeetsAll);
        assert_eq!(verdict.sentence(), "Meets all three thresholds.");
        let one = Policy {
            min_utility: Some(0.8),
            ..Policy::default()
        };
        let verdict = judge(&one, &figures(Some(5.0), Some(0.8), None));
        // Exactly at the threshold meets it.
        assert_eq!(verdict.sentence(), "Meets the threshold.");
    }

    #[test]
    fn failures_name_the_figure_and_the_threshold() {
        let verdict = judge(&all_three(), &figures(Some(12.0), Some(0.62), Some(0.015)));
        assert_eq!(verdict.kind(), VerdictKind::Fails);
        assert_eq!(
            verdict.sentence(),
            "Fails: GWAS SNP retention 62 % < 80 %; privacy loss epsilon 12 > 10."
        );
        let tpr = judge(&all_three(), &figures(Some(1.0), Some(0.9), Some(0.05)));
        assert_eq!(
            tpr.sentence(),
            "Fails: members found at 1 % false accusations 5 % > 2 %."
        );
    }

    #[test]
    fn close_values_get_enough_decimals_to_differ() {
        let verdict = judge(&all_three(), &figures(Some(1.0), Some(0.7996), Some(0.0)));
        assert_eq!(
            verdict.sentence(),
            "Fails: GWAS SNP retention 79.96 % < 80.00 %."
        );
    }

    #[test]
    fn unmeasured_figures_are_never_a_pass() {
        let verdict = judge(&all_three(), &figures(Some(1.0), Some(0.9), None));
        assert_eq!(verdict.kind(), VerdictKind::NotJudged);
        assert_eq!(
            verdict.sentence(),
            "Cannot be judged: the membership attack was not measured (it needs a reference \
             panel). It meets the other thresholds."
        );
        // An unbounded privacy loss fails any epsilon limit.
        let unbounded = judge(&all_three(), &figures(None, Some(0.9), Some(0.01)));
        assert_eq!(unbounded.kind(), VerdictKind::Fails);
        assert!(unbounded.sentence().contains("no upper limit"));
        // NaN utility is not a figure.
        let nan = judge(
            &all_three(),
            &figures(Some(1.0), Some(f64::NAN), Some(0.01)),
        );
        assert_eq!(nan.kind(), VerdictKind::NotJudged);
    }

    #[test]
    fn no_thresholds_no_verdict() {
        let verdict = judge(
            &Policy::default(),
            &figures(Some(1.0), Some(0.1), Some(0.9)),
        );
        assert_eq!(verdict.kind(), VerdictKind::NoThresholds);
        assert!(Policy::default().is_empty());
        assert_eq!(all_three().thresholds().len(), 3);
    }

    #[test]
    fn old_policies_load_with_missing_fields() -> Result<(), serde_json::Error> {
        let policy: Policy = serde_json::from_str(r#"{"max_epsilon": 3.0}"#)?;
        assert_eq!(policy.thresholds(), vec![Threshold::MaxEpsilon(3.0)]);
        Ok(())
    }
}
