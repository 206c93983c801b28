//! The privacy budget ledger of one cohort: what the releases drawn from the same
//! people have spent, against the total the steward allows (BigQuery's
//! `epsilon_budget_remaining`; Snowflake refuses queries beyond it).
//!
//! Accounting is basic sequential composition: releases about the same people
//! with (eps_i, delta_i) together give (sum eps_i, sum delta_i). It is loose but
//! always valid, whatever the mechanisms; tighter composition would need each
//! mechanism's privacy profile.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::explain::format::{integer, number};

/// One release already made (or recorded as made) from the cohort.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub label: String,
    /// The release's privacy loss per person; infinite when it has no upper limit.
    pub epsilon: f64,
    #[serde(default)]
    pub delta: f64,
}

/// The ledger of one cohort, identified by its input file's SHA-256.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub cohort_sha256: String,
    /// The most the steward allows all releases together to spend.
    #[serde(default)]
    pub total_budget: Option<f64>,
    #[serde(default)]
    pub releases: Vec<LedgerEntry>,
}

/// Where the budget stands, with a planned release counted in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LedgerStatus {
    pub spent_epsilon: f64,
    pub spent_delta: f64,
    pub planned: Option<f64>,
    pub total_budget: Option<f64>,
    /// Budget left after the planned release (negative: over budget).
    pub remaining: Option<f64>,
}

impl LedgerStatus {
    pub fn is_over_budget(&self) -> bool {
        self.remaining.is_some_and(|r| r < 0.0)
    }
}

fn check_epsilon(epsilon: f64) -> Result<()> {
    if epsilon.is_nan() || epsilon < 0.0 {
        return Err(Error::Parameter(format!(
            "a release's epsilon must be zero or more, got {epsilon}"
        )));
    }
    Ok(())
}

impl Ledger {
    pub fn new(cohort_sha256: impl Into<String>) -> Self {
        Self {
            cohort_sha256: cohort_sha256.into(),
            total_budget: None,
            releases: Vec::new(),
        }
    }

    /// Records a release; refuses an epsilon or delta that is not a valid budget.
    pub fn record(&mut self, entry: LedgerEntry) -> Result<()> {
        check_epsilon(entry.epsilon)?;
        if !(0.0..=1.0).contains(&entry.delta) {
            return Err(Error::Parameter(format!(
                "a release's delta is a probability between 0 and 1, got {}",
                entry.delta
            )));
        }
        self.releases.push(entry);
        Ok(())
    }

    /// Sets (or clears) the total budget; refuses a negative or undefined one.
    pub fn set_total_budget(&mut self, budget: Option<f64>) -> Result<()> {
        if let Some(b) = budget {
            check_epsilon(b)?;
        }
        self.total_budget = budget;
        Ok(())
    }

    /// Sequential composition of the recorded releases, with `planned` added.
    pub fn status(&self, planned: Option<f64>) -> LedgerStatus {
        let spent_epsilon: f64 = self.releases.iter().map(|r| r.epsilon).sum();
        let spent_delta: f64 = self.releases.iter().map(|r| r.delta).sum();
        let after = spent_epsilon + planned.unwrap_or(0.0);
        LedgerStatus {
            spent_epsilon,
            spent_delta: spent_delta.min(1.0),
            planned,
            total_budget: self.total_budget,
            remaining: self.total_budget.map(|total| total - after),
        }
    }

    /// The ledger in words, with the planned release (named) counted in.
    pub fn sentence(&self, planned: Option<f64>) -> String {
        let status = self.status(planned);
        let n = self.releases.len();
        let mut text = if n == 0 {
            "No release from this cohort is recorded yet".to_owned()
        } else {
            format!(
                "{} from this cohort {} spent epsilon {}",
                match n {
                    1 => "1 recorded release".to_owned(),
                    n => format!("{} recorded releases", integer(n as u64)),
                },
                if n == 1 { "has" } else { "have" },
                number(status.spent_epsilon)
            )
        };
        match status.total_budget {
            Some(total) => text.push_str(&format!(" of a total budget of {}", number(total))),
            None => text.push_str("; no total budget is set"),
        }
        text.push('.');
        if let Some(planned) = planned {
            text.push_str(&format!(
                " The release chosen here would add epsilon {}",
                number(planned)
            ));
            match status.remaining {
                Some(r) if r < 0.0 => {
                    text.push_str(&format!(" and exceed the total budget by {}.", number(-r)))
                }
                Some(r) => text.push_str(&format!(", leaving {}.", number(r))),
                None => text.push_str(&format!(
                    ", for epsilon {} in all.",
                    number(status.spent_epsilon + planned)
                )),
            }
        } else if let Some(r) = status.remaining {
            if r < 0.0 {
                text.push_str(&format!(
                    " The budget is already exceeded by {}.",
                    number(-r)
                ));
            } else {
                text.push_str(&format!(" Epsilon {} remains.", number(r)));
            }
        }
        text.push_str(
            " Releases about the same people add up: their epsilons are summed (basic \
             sequential composition), whatever mechanisms made them.",
        );
        text
    }
}

/// The ledger of the cohort with `sha256`, created empty if there is none yet.
pub fn ledger_for<'a>(ledgers: &'a mut Vec<Ledger>, sha256: &str) -> &'a mut Ledger {
    let index = match ledgers.iter().position(|l| l.cohort_sha256 == sha256) {
        Some(i) => i,
        None => {
            ledgers.push(Ledger::new(sha256));
            ledgers.len() - 1
        }
    };
    // The index is in range: found, or the entry just pushed.
    &mut ledgers[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(label: &str, epsilon: f64) -> LedgerEntry {
        LedgerEntry {
            label: label.into(),
            epsilon,
            delta: 0.0,
        }
    }

    #[test]
    fn epsilons_add_up_and_the_remainder_follows() -> Result<()> {
        let mut ledger = Ledger::new("ab");
        ledger.set_total_budget(Some(10.0))?;
        ledger.record(entry("first", 3.0))?;
        ledger.record(LedgerEntry {
            delta: 1e-6,
            ..entry("second", 2.5)
        })?;
        let status = ledger.status(Some(4.0));
        assert_eq!(status.spent_epsilon, 5.5);
        assert_eq!(status.spent_delta, 1e-6);
        assert_eq!(status.remaining, Some(0.5));
        assert!(!status.is_over_budget());
        assert!(ledger.status(Some(4.6)).is_over_budget());
        assert_eq!(
            ledger.sentence(Some(4.0)),
            "2 recorded releases from this cohort have spent epsilon 5.5 of a total budget of \
             10. The release chosen here would add epsilon 4, leaving 0.5. Releases about the \
             same people add up: their epsilons are summed (basic sequential composition), \
             whatever mechanisms made them."
        );
        assert!(
            ledger
                .sentence(Some(6.0))
                .contains("would add epsilon 6 and exceed the total budget by 1.5.")
        );
        Ok(())
    }

    #[test]
    fn without_a_budget_it_reports_the_total_spent() {
        let ledger = Ledger::new("ab");
        let text = ledger.sentence(Some(2.0));
        assert!(
            text.starts_with(
                "No release from this cohort is recorded yet; no total budget is set. The \
                 release chosen here would add epsilon 2, for epsilon 2 in all."
            ),
            "{text}"
        );
        assert_eq!(ledger.status(None).remaining, None);
    }

    #[test]
    fn unbounded_releases_exhaust_any_budget() -> Result<()> {
        let mut ledger = Ledger::new("ab");
        ledger.set_total_budget(Some(1e6))?;
        ledger.record(entry("raw frequencies", f64::INFINITY))?;
        assert!(ledger.status(None).is_over_budget());
        Ok(())
    }

    #[test]
    fn invalid_budgets_are_refused() {
        let mut ledger = Ledger::new("ab");
        assert!(ledger.record(entry("bad", -1.0)).is_err());
        assert!(ledger.record(entry("bad", f64::NAN)).is_err());
        assert!(
            ledger
                .record(LedgerEntry {
                    delta: 2.0,
                    ..entry("bad", 1.0)
                })
                .is_err()
        );
        assert!(ledger.set_total_budget(Some(-3.0)).is_err());
        assert!(ledger.releases.is_empty());
    }

    #[test]
    fn ledgers_are_kept_per_cohort() {
        let mut ledgers = Vec::new();
        ledger_for(&mut ledgers, "aa").total_budget = Some(1.0);
        ledger_for(&mut ledgers, "bb");
        assert_eq!(ledger_for(&mut ledgers, "aa").total_budget, Some(1.0));
        assert_eq!(ledgers.len(), 2);
    }
}
