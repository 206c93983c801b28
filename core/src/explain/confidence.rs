//! Exact binomial confidence intervals for attack success rates.
//!
//! The audit spec asks for Clopper-Pearson intervals on TP/N_in: they never
//! undercover, which matters when a narrow interval would read as "no leak".

use statrs::function::beta::checked_beta_reg;

use crate::error::{Error, Result};

/// A two-sided confidence interval for a proportion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }
}

/// The confidence level every explanation states ("95 % CI").
pub const CONFIDENCE_LEVEL: f64 = 0.95;

/// Bisection steps: 200 halvings of [0, 1] reach the resolution of an f64.
const BISECTION_STEPS: usize = 200;

/// Clopper-Pearson interval for `successes` out of `trials` at `level` (e.g.
/// 0.95): the lower end solves P(Bin(n, p) >= x) = alpha/2, the upper end
/// P(Bin(n, p) <= x) = alpha/2, written through the regularised incomplete beta
/// function and solved by bisection, which cannot fail to converge.
pub fn clopper_pearson(successes: u64, trials: u64, level: f64) -> Result<Interval> {
    if trials == 0 {
        return Err(Error::Parameter(
            "a confidence interval needs at least one trial".to_owned(),
        ));
    }
    if successes > trials {
        return Err(Error::Parameter(format!(
            "{successes} successes cannot come from only {trials} trials"
        )));
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::Parameter(format!(
            "confidence level must be between 0 and 1, got {level}"
        )));
    }
    let alpha = 1.0 - level;
    let x = successes as f64;
    let n = trials as f64;
    let lower = if successes == 0 {
        0.0
    } else {
        // Lower end = quantile alpha/2 of Beta(x, n - x + 1).
        beta_quantile(x, n - x + 1.0, alpha / 2.0)?
    };
    let upper = if successes == trials {
        1.0
    } else {
        // Upper end = quantile 1 - alpha/2 of Beta(x + 1, n - x).
        beta_quantile(x + 1.0, n - x, 1.0 - alpha / 2.0)?
    };
    Ok(Interval { lower, upper })
}

/// A confidence interval for the difference p1 - p2 of two independent
/// proportions, by Newcombe's square-and-add method (MOVER) on Clopper-Pearson
/// intervals; it is used to tell "learns about Alice" from "learns about the
/// population" in label inference.
pub fn difference_interval(
    successes_1: u64,
    trials_1: u64,
    successes_2: u64,
    trials_2: u64,
    level: f64,
) -> Result<Interval> {
    let first = clopper_pearson(successes_1, trials_1, level)?;
    let second = clopper_pearson(successes_2, trials_2, level)?;
    let p1 = successes_1 as f64 / trials_1 as f64;
    let p2 = successes_2 as f64 / trials_2 as f64;
    let difference = p1 - p2;
    let below = ((p1 - first.lower).powi(2) + (second.upper - p2).powi(2)).sqrt();
    let above = ((first.upper - p1).powi(2) + (p2 - second.lower).powi(2)).sqrt();
    Ok(Interval {
        lower: difference - below,
        upper: difference + above,
    })
}

/// The `probability` quantile of Beta(a, b).
fn beta_quantile(a: f64, b: f64, probability: f64) -> Result<f64> {
    let mut low = 0.0_f64;
    let mut high = 1.0_f64;
    for _ in 0..BISECTION_STEPS {
        let middle = 0.5 * (low + high);
        if middle <= low || middle >= high {
            break;
        }
        let cdf = checked_beta_reg(a, b, middle)
            .map_err(|error| Error::Parameter(format!("beta function failed: {error}")))?;
        if cdf < probability {
            low = middle;
        } else {
            high = middle;
        }
    }
    Ok(0.5 * (low + high))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values computed independently with mpmath at 50 digits, by
    /// bisection on the exact binomial tail sums (not the beta function); the
    /// first row is also R's `binom.test(682, 925)` example (0.7076683, 0.7654066).
    const REFERENCE: [(u64, u64, f64, f64); 9] = [
        (682, 925, 0.707668264079, 0.765406558242),
        (3, 1000, 0.00061909993165, 0.00874202323848),
        (0, 1000, 0.0, 0.00368208389687),
        (1000, 1000, 0.996317916103, 1.0),
        (7, 20, 0.153909204785, 0.592188534533),
        (1, 10, 0.00252857854446, 0.445016117028),
        (50, 600, 0.06248244273, 0.108390145759),
        (0, 5, 0.0, 0.521823750105),
        (5, 5, 0.478176249895, 1.0),
    ];

    #[test]
    fn matches_independent_reference_values() -> Result<()> {
        for (x, n, lower, upper) in REFERENCE {
            let interval = clopper_pearson(x, n, 0.95)?;
            assert!(
                (interval.lower - lower).abs() < 1e-9,
                "{x}/{n}: {interval:?}"
            );
            assert!(
                (interval.upper - upper).abs() < 1e-9,
                "{x}/{n}: {interval:?}"
            );
        }
        Ok(())
    }

    /// Second implementation: the defining binomial tail sums, evaluated by
    /// direct summation of the probability mass function.
    fn binomial_cdf(x: u64, n: u64, p: f64) -> f64 {
        let mut total = 0.0;
        for k in 0..=x {
            let ln_choose = statrs::function::gamma::ln_gamma(n as f64 + 1.0)
                - statrs::function::gamma::ln_gamma(k as f64 + 1.0)
                - statrs::function::gamma::ln_gamma((n - k) as f64 + 1.0);
            total += (ln_choose + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp();
        }
        total
    }

    #[test]
    fn ends_solve_the_binomial_tail_equations() -> Result<()> {
        for (x, n) in [(1, 7), (3, 40), (12, 300), (150, 300), (299, 300)] {
            let interval = clopper_pearson(x, n, 0.95)?;
            let upper_tail_at_lower = 1.0 - binomial_cdf(x - 1, n, interval.lower);
            let lower_tail_at_upper = binomial_cdf(x, n, interval.upper);
            assert!((upper_tail_at_lower - 0.025).abs() < 1e-8, "{x}/{n}");
            assert!((lower_tail_at_upper - 0.025).abs() < 1e-8, "{x}/{n}");
        }
        Ok(())
    }

    #[test]
    fn closed_forms_at_the_edges() -> Result<()> {
        // x = 0: upper = 1 - (alpha/2)^(1/n); x = n: lower = (alpha/2)^(1/n).
        for n in [1_u64, 2, 10, 1000] {
            let zero = clopper_pearson(0, n, 0.95)?;
            let all = clopper_pearson(n, n, 0.95)?;
            let edge = 0.025_f64.powf(1.0 / n as f64);
            assert!((zero.upper - (1.0 - edge)).abs() < 1e-12);
            assert!((all.lower - edge).abs() < 1e-12);
        }
        Ok(())
    }

    #[test]
    fn rejects_impossible_counts() {
        assert!(clopper_pearson(1, 0, 0.95).is_err());
        assert!(clopper_pearson(5, 4, 0.95).is_err());
        assert!(clopper_pearson(1, 4, 1.0).is_err());
    }

    #[test]
    fn difference_interval_brackets_the_difference() -> Result<()> {
        let same = difference_interval(570, 1000, 570, 1000, 0.95)?;
        assert!(same.contains(0.0));
        let apart = difference_interval(700, 1000, 570, 1000, 0.95)?;
        assert!(apart.lower > 0.0 && apart.contains(0.13));
        // Close to the Wald interval (width 2 x 1.96 x 0.02133 = 0.0836) and, being
        // built on exact intervals, not narrower than it.
        let width = apart.upper - apart.lower;
        assert!((0.0836..0.0836 * 1.1).contains(&width), "width {width}");
        Ok(())
    }
}
