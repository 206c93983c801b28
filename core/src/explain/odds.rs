//! Epsilon as a limit on how far a release can move someone's belief.
//!
//! For an epsilon-DP release, posterior odds <= e^epsilon x prior odds, so a
//! prior p becomes at most p e^eps / (p e^eps + 1 - p) (ux spec §5.1). Odds-based
//! wording beat every other explanation in Nanayakkara et al. 2023.

use crate::error::{Error, Result};

use super::format::{Chance, chance, number, percent};

/// Above this worst-case posterior the bound no longer limits anything a reader
/// would care about.
const NO_MEANINGFUL_LIMIT: f64 = 0.99;

/// Above this delta the failure chance is too large to pass over quietly.
const LARGE_DELTA: f64 = 1e-3;

/// The most a release can raise someone's belief that a person took part.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PosteriorBound {
    pub prior: f64,
    pub epsilon: f64,
    /// Probability with which the (epsilon, delta) guarantee may not hold.
    pub delta: f64,
    /// Worst-case posterior when the guarantee holds.
    pub posterior: f64,
}

impl PosteriorBound {
    /// True when even the worst case leaves the belief far from certainty.
    pub fn is_meaningful(&self) -> bool {
        self.posterior < NO_MEANINGFUL_LIMIT || self.prior >= NO_MEANINGFUL_LIMIT
    }
}

/// e^epsilon: how many times the odds can be multiplied.
pub fn odds_multiplier(epsilon: f64) -> f64 {
    epsilon.exp()
}

/// Worst-case posterior for `prior` under an (epsilon, delta) guarantee. The
/// posterior is computed as 1 / (1 + (1 - p)/p x e^-eps), which stays exact for
/// huge epsilon where e^eps overflows.
pub fn posterior_bound(prior: f64, epsilon: f64, delta: f64) -> Result<PosteriorBound> {
    if !(0.0..=1.0).contains(&prior) {
        return Err(Error::Parameter(format!(
            "a prior belief is a probability between 0 and 1, got {prior}"
        )));
    }
    check_epsilon(epsilon)?;
    if !(0.0..=1.0).contains(&delta) {
        return Err(Error::Parameter(format!(
            "delta is a probability between 0 and 1, got {delta}"
        )));
    }
    let posterior = if prior == 0.0 || prior == 1.0 {
        prior
    } else {
        1.0 / (1.0 + (1.0 - prior) / prior * (-epsilon).exp())
    };
    Ok(PosteriorBound {
        prior,
        epsilon,
        delta,
        posterior,
    })
}

/// Rejects a negative or undefined epsilon; infinity is allowed (no guarantee).
pub(crate) fn check_epsilon(epsilon: f64) -> Result<()> {
    if epsilon.is_nan() || epsilon < 0.0 {
        return Err(Error::Parameter(format!(
            "epsilon must be zero or more, got {epsilon}"
        )));
    }
    Ok(())
}

/// The odds sentence of the ux spec: "Suppose someone already thinks there is a
/// 1-in-10 chance that Alice's DNA is in this study. After seeing this release
/// (epsilon = 1), their estimate can rise to at most about 1-in-4 (23 %)."
/// A delta > 0 adds the chance that the bound fails.
pub fn odds_sentence(bound: &PosteriorBound) -> String {
    let mut text = belief_sentence(bound);
    if bound.delta > 0.0 {
        text.push(' ');
        text.push_str(&delta_sentence(bound.delta));
    }
    text
}

/// The follow-up that contrasts another epsilon with the same prior, as in the ux
/// spec: "At epsilon = 5 it could rise to 94 %."
pub fn odds_comparison_sentence(prior: f64, epsilon: f64) -> Result<String> {
    let bound = posterior_bound(prior, epsilon, 0.0)?;
    let outcome = if bound.is_meaningful() {
        outcome_phrase(bound.posterior)
    } else {
        "near certainty".to_owned()
    };
    Ok(format!(
        "At epsilon = {} it could rise to {outcome}.",
        number(epsilon)
    ))
}

fn belief_sentence(bound: &PosteriorBound) -> String {
    let epsilon = number(bound.epsilon);
    if bound.prior == 0.0 {
        return "Someone who is certain that Alice's DNA is not in this study cannot be moved \
                by any release under this guarantee."
            .to_owned();
    }
    if bound.prior == 1.0 {
        return "Someone who already knows that Alice's DNA is in this study learns nothing \
                new about her membership from this release."
            .to_owned();
    }
    let prior = belief_phrase(bound.prior);
    let opening = format!(
        "Suppose someone already thinks there is {prior} chance that Alice's DNA is in this study."
    );
    if bound.epsilon == 0.0 {
        return format!(
            "{opening} After seeing this release (epsilon = 0), their estimate cannot change \
             at all: the release says nothing about whether Alice took part."
        );
    }
    if !bound.is_meaningful() {
        return format!(
            "{opening} After seeing this release (epsilon = {epsilon}), their estimate could \
             rise to near certainty: at this epsilon the guarantee places no meaningful limit \
             on what can be learned about whether Alice took part."
        );
    }
    format!(
        "{opening} After seeing this release (epsilon = {epsilon}), their estimate can rise \
         to at most {}.",
        outcome_phrase(bound.posterior)
    )
}

/// "a 1-in-10", "about a 1-in-4", "a 73 %": the prior with its article.
fn belief_phrase(probability: f64) -> String {
    match chance(probability) {
        Chance::OneIn { n, approximate } => {
            let exact = Chance::OneIn {
                n,
                approximate: false,
            };
            let about = if approximate { "about " } else { "" };
            format!("{about}a {}", exact.hyphenated())
        }
        Chance::Negligible => "a negligible".to_owned(),
        _ => {
            let text = percent(probability, 0);
            format!("{} {text}", article(&text))
        }
    }
}

/// "about 1-in-4 (23 %)" for small chances, "73 %" for larger ones.
fn outcome_phrase(probability: f64) -> String {
    let decimals = if probability < 0.1 { 1 } else { 0 };
    let share = percent(probability, decimals);
    match chance(probability) {
        one_in @ Chance::OneIn { .. } => format!("{} ({share})", one_in.hyphenated()),
        _ => share,
    }
}

/// The sentence a non-zero delta requires: the bound above can fail.
fn delta_sentence(delta: f64) -> String {
    let mut text = format!(
        "This guarantee also allows a small chance (delta = {}, {}) that the limit does not \
         hold, and then the estimate is not limited at all.",
        number(delta),
        chance(delta)
    );
    if delta >= LARGE_DELTA {
        text.push_str(
            " That chance is large: delta should be far smaller than one divided by the \
             number of people in the study.",
        );
    }
    text
}

/// "an" before numbers read with a vowel sound (8, 11, 18, 80-89), else "a".
fn article(text: &str) -> &'static str {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    if digits.starts_with('8') || digits == "11" || digits == "18" {
        "an"
    } else {
        "a"
    }
}

/// One row of the odds table (ux spec §5.1), formatted for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OddsTableRow {
    pub epsilon: String,
    /// e^epsilon, "times the odds".
    pub multiplier: String,
    /// Worst-case posterior for each prior, in the order the priors were given.
    pub posteriors: Vec<String>,
}

/// The odds table: for each epsilon, the odds multiplier and the worst-case
/// posterior of each prior, as percentages with one decimal.
pub fn odds_table(epsilons: &[f64], priors: &[f64]) -> Result<Vec<OddsTableRow>> {
    epsilons
        .iter()
        .map(|&epsilon| {
            let posteriors = priors
                .iter()
                .map(|&prior| Ok(percent(posterior_bound(prior, epsilon, 0.0)?.posterior, 1)))
                .collect::<Result<Vec<_>>>()?;
            Ok(OddsTableRow {
                epsilon: number(epsilon),
                multiplier: number(odds_multiplier(epsilon)),
                posteriors,
            })
        })
        .collect()
}

/// Number of people in an icon array.
pub const ICON_ARRAY_SIZE: u32 = 100;

/// What one icon of the array shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconState {
    /// Counted in the prior belief (and so also in the worst case).
    Prior,
    /// Added by the release in the worst case.
    AddedByRelease,
    /// Not counted.
    Empty,
}

/// An icon array of 100 people for a [`PosteriorBound`]: `prior` icons filled
/// before the release, `worst_case` after it (Bancilhon et al. 2020 found icon
/// arrays give the soundest risk decisions). Data only: the GUI draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IconArray {
    pub prior: u32,
    pub worst_case: u32,
}

impl IconArray {
    pub fn new(bound: &PosteriorBound) -> Self {
        let to_icons = |p: f64| (p * f64::from(ICON_ARRAY_SIZE)).round() as u32;
        Self {
            prior: to_icons(bound.prior),
            worst_case: to_icons(bound.posterior).max(to_icons(bound.prior)),
        }
    }

    /// The 100 icons in reading order: prior first, then the increase, then empty.
    pub fn icons(&self) -> Vec<IconState> {
        (0..ICON_ARRAY_SIZE)
            .map(|index| {
                if index < self.prior {
                    IconState::Prior
                } else if index < self.worst_case {
                    IconState::AddedByRelease
                } else {
                    IconState::Empty
                }
            })
            .collect()
    }

    /// The text alternative for screen readers and the report.
    pub fn caption(&self) -> String {
        format!(
            "Of 100 people like Alice, {} filled icons show the belief before the release \
             and {} show the worst case after it.",
            self.prior, self.worst_case
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_wording_example() -> Result<()> {
        let bound = posterior_bound(0.1, 1.0, 0.0)?;
        assert_eq!(
            odds_sentence(&bound),
            "Suppose someone already thinks there is a 1-in-10 chance that Alice's DNA is in \
             this study. After seeing this release (epsilon = 1), their estimate can rise to at \
             most about 1-in-4 (23 %)."
        );
        assert_eq!(
            odds_comparison_sentence(0.1, 5.0)?,
            "At epsilon = 5 it could rise to 94 %."
        );
        assert_eq!(
            odds_comparison_sentence(0.1, 10.0)?,
            "At epsilon = 10 it could rise to near certainty."
        );
        let at_five = posterior_bound(0.1, 5.0, 0.0)?;
        assert!(odds_sentence(&at_five).ends_with("can rise to at most 94 %."));
        Ok(())
    }

    #[test]
    fn posterior_matches_the_odds_form() -> Result<()> {
        // Property: posterior odds = e^eps x prior odds, checked in odds space.
        for prior in [0.001, 0.01, 0.1, 0.5, 0.9] {
            for epsilon in [0.01, 0.1, 1.0, 3.0, 7.0] {
                let bound = posterior_bound(prior, epsilon, 0.0)?;
                let prior_odds = prior / (1.0 - prior);
                let posterior_odds = bound.posterior / (1.0 - bound.posterior);
                let expected = prior_odds * epsilon.exp();
                assert!((posterior_odds / expected - 1.0).abs() < 1e-9);
            }
        }
        Ok(())
    }

    #[test]
    fn epsilon_zero_cannot_move_the_belief() -> Result<()> {
        let bound = posterior_bound(0.1, 0.0, 0.0)?;
        assert_eq!(bound.posterior, 0.1);
        assert!(odds_sentence(&bound).contains("cannot change at all"));
        Ok(())
    }

    #[test]
    fn huge_epsilon_is_called_meaningless() -> Result<()> {
        for epsilon in [20.0, 1000.0, 9389.0, f64::INFINITY] {
            let bound = posterior_bound(0.1, epsilon, 0.0)?;
            assert!(bound.posterior > 0.99 && bound.posterior <= 1.0);
            assert!(!bound.is_meaningful());
            assert!(odds_sentence(&bound).contains("places no meaningful limit"));
        }
        Ok(())
    }

    #[test]
    fn delta_is_stated_as_a_failure_chance() -> Result<()> {
        let bound = posterior_bound(0.1, 1.0, 1e-5)?;
        let text = odds_sentence(&bound);
        assert!(text.contains("delta = 0.00001, 1 in 100,000"), "{text}");
        assert!(text.contains("does not hold"));
        assert!(!text.contains("That chance is large"));
        let loose = posterior_bound(0.1, 1.0, 0.01)?;
        assert!(odds_sentence(&loose).contains("That chance is large"));
        Ok(())
    }

    #[test]
    fn invalid_inputs_are_refused() {
        assert!(posterior_bound(1.5, 1.0, 0.0).is_err());
        assert!(posterior_bound(0.1, -1.0, 0.0).is_err());
        assert!(posterior_bound(0.1, f64::NAN, 0.0).is_err());
        assert!(posterior_bound(0.1, 1.0, 2.0).is_err());
    }

    #[test]
    fn prior_articles_read_naturally() -> Result<()> {
        let bound = posterior_bound(0.8, 0.1, 0.0)?;
        assert!(odds_sentence(&bound).contains("there is an 80 % chance"));
        let quarter = posterior_bound(0.3, 0.1, 0.0)?;
        assert!(odds_sentence(&quarter).contains("there is about a 1-in-3 chance"));
        let tiny = posterior_bound(1e-13, 1.0, 0.0)?;
        assert!(odds_sentence(&tiny).contains("there is a negligible chance"));
        Ok(())
    }

    #[test]
    fn icon_array_counts_and_states() -> Result<()> {
        let bound = posterior_bound(0.1, 1.0, 0.0)?;
        let array = IconArray::new(&bound);
        assert_eq!((array.prior, array.worst_case), (10, 23));
        let icons = array.icons();
        assert_eq!(icons.len(), 100);
        let count = |state| icons.iter().filter(|&&icon| icon == state).count();
        assert_eq!(count(IconState::Prior), 10);
        assert_eq!(count(IconState::AddedByRelease), 13);
        assert_eq!(count(IconState::Empty), 77);
        let none = IconArray::new(&posterior_bound(0.1, 0.0, 0.0)?);
        assert_eq!(none.prior, none.worst_case);
        Ok(())
    }
}
