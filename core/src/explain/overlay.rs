//! Sharing the genotypes and releasing synthetic genotypes on one trade-off
//! chart, in words: the comparison the two sweeps support (at the budgets both
//! tried, or else between their closest runs, saying which spent more), and
//! how differently the two measure the same-named utility.

use super::format::{number, percent};

/// A utility both sweeps measure on every run, on the overlay's y axis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SharedUtility {
    /// PROVGEN's threshold retention of GWAS hits: higher is better.
    #[default]
    GwasRetention,
    /// Mean absolute allele-frequency error over the SNPs: lower is better.
    AlleleFrequencyError,
}

impl SharedUtility {
    pub fn label(self) -> &'static str {
        match self {
            SharedUtility::GwasRetention => "GWAS SNP retention",
            SharedUtility::AlleleFrequencyError => "allele-frequency error",
        }
    }

    pub fn higher_is_better(self) -> bool {
        self == SharedUtility::GwasRetention
    }

    /// A value as the sentence writes it; two values reading the same are a tie.
    pub fn show(self, value: f64) -> String {
        match self {
            SharedUtility::GwasRetention => percent(value, 0),
            SharedUtility::AlleleFrequencyError => number(value),
        }
    }

    /// "the synthetic genotypes keep 45 % of the GWAS hits".
    fn clause(self, subject: &str, value: f64) -> String {
        match self {
            SharedUtility::GwasRetention => {
                format!("{subject} keep {} of the GWAS hits", self.show(value))
            }
            SharedUtility::AlleleFrequencyError => format!(
                "{subject} miss the real allele frequencies by {} on average",
                self.show(value)
            ),
        }
    }

    /// The second half of a pair: "the shared genotypes 30 %".
    fn short_clause(self, subject: &str, value: f64) -> String {
        match self {
            SharedUtility::GwasRetention => format!("{subject} {}", self.show(value)),
            SharedUtility::AlleleFrequencyError => format!("{subject} by {}", self.show(value)),
        }
    }

    /// Which of two values is better, `None` when they read the same.
    fn better(self, a: f64, b: f64) -> Option<Better> {
        if self.show(a) == self.show(b) {
            return None;
        }
        Some(if (a > b) == self.higher_is_better() {
            Better::First
        } else {
            Better::Second
        })
    }
}

enum Better {
    First,
    Second,
}

/// The two releases the overlay draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Sharing,
    Synthesis,
}

impl Method {
    /// The series' name in the legend.
    pub fn legend(self) -> &'static str {
        match self {
            Method::Sharing => "Sharing the genotypes",
            Method::Synthesis => "Synthetic genotypes",
        }
    }

    fn subject(self) -> &'static str {
        match self {
            Method::Sharing => "the shared genotypes",
            Method::Synthesis => "the synthetic genotypes",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Method::Sharing => "sharing",
            Method::Synthesis => "synthesis",
        }
    }
}

/// Two epsilons a grid meant to be the same (a per-SNP budget times the SNP
/// count is not bit-exact).
fn same_epsilon(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// The measured points, by increasing epsilon.
fn measured(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|&(e, u)| e > 0.0 && e.is_finite() && u.is_finite())
        .collect();
    kept.sort_by(|a, b| a.0.total_cmp(&b.0));
    kept
}

/// The overlay chart in one sentence. `sharing` and `synthesis` are each sweep's
/// `(total epsilon per person, mean utility over its runs)`, one per epsilon.
///
/// At budgets both sweeps tried, the largest is compared and the others are
/// tallied; budgets one sweep tried alone are counted, not compared. With no
/// budget in common, the closest runs are compared with their budgets, and the
/// method spending less is said to do better only when it does at least as well:
/// spending less and keeping less is what more noise does, not a verdict.
pub fn overlay_sentence(
    metric: SharedUtility,
    sharing: &[(f64, f64)],
    synthesis: &[(f64, f64)],
) -> String {
    let sharing = measured(sharing);
    let synthesis = measured(synthesis);
    let distance = |(s, y): &((f64, f64), (f64, f64))| (s.0.ln() - y.0.ln()).abs();
    let closest = sharing
        .iter()
        .flat_map(|&s| synthesis.iter().map(move |&y| (s, y)))
        .min_by(|a, b| distance(a).total_cmp(&distance(b)));
    let Some((shared, synthetic)) = closest else {
        return missing_sentence(metric, sharing.is_empty(), synthesis.is_empty());
    };
    let common: Vec<(f64, f64, f64)> = sharing
        .iter()
        .filter_map(|&(e, shared)| {
            synthesis
                .iter()
                .find(|(f, _)| same_epsilon(e, *f))
                .map(|&(_, synthetic)| (e, shared, synthetic))
        })
        .collect();
    let mut text = match common.last() {
        Some(&(epsilon, shared, synthetic)) => {
            let unmatched = |these: &[(f64, f64)], others: &[(f64, f64)]| {
                these
                    .iter()
                    .filter(|(e, _)| !others.iter().any(|(f, _)| same_epsilon(*e, *f)))
                    .count()
            };
            let alone = unmatched(&sharing, &synthesis) + unmatched(&synthesis, &sharing);
            common_sentence(metric, epsilon, shared, synthetic, &common, alone)
        }
        None => closest_sentence(metric, shared, synthetic),
    };
    for (method, points) in [(Method::Synthesis, &synthesis), (Method::Sharing, &sharing)] {
        text.push_str(&chance_caveat(metric, method, points));
    }
    text.push('.');
    text
}

/// Below this fall in retention from the smallest budget to a larger one, the
/// curve is read as flat (sampling noise between runs).
const CHANCE_FALL: f64 = 0.05;

/// A retention that is higher at the smallest budget than at a larger one:
/// noisy data makes many SNPs look significant, which finds real hits by
/// chance, so the small budgets' figures overstate what the release keeps.
/// Empty when no larger budget keeps clearly less.
fn chance_caveat(metric: SharedUtility, method: Method, points: &[(f64, f64)]) -> String {
    let Some((&(e0, u0), larger)) = points.split_first() else {
        return String::new();
    };
    let lowest = larger.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    match lowest {
        Some(&(e1, u1)) if metric == SharedUtility::GwasRetention && u0 - u1 >= CHANCE_FALL => {
            format!(
                "; careful: {} keep more GWAS hits at epsilon {} ({}) than at {} ({}), a sign \
                 that noise makes many SNPs look significant and finds real hits by chance, so \
                 their retention at small budgets overstates what they keep",
                method.subject(),
                number(e0),
                percent(u0, 0),
                number(e1),
                percent(u1, 0)
            )
        }
        _ => String::new(),
    }
}

/// The sweep that has not measured the utility yet, or both.
fn missing_sentence(metric: SharedUtility, no_sharing: bool, no_synthesis: bool) -> String {
    let label = metric.label();
    let missing = match (no_sharing, no_synthesis) {
        (true, true) => {
            return format!(
                "Neither sweep has measured {label} yet: the comparison appears once both have."
            );
        }
        (true, false) => Method::Sharing,
        (false, _) => Method::Synthesis,
    };
    format!(
        "The {} sweep has not measured {label} yet: the comparison appears once it has.",
        missing.noun()
    )
}

fn common_sentence(
    metric: SharedUtility,
    epsilon: f64,
    shared: f64,
    synthetic: f64,
    common: &[(f64, f64, f64)],
    alone: usize,
) -> String {
    let mut text = format!(
        "At epsilon {} in total per person, {} and {}",
        number(epsilon),
        metric.clause(Method::Synthesis.subject(), synthetic),
        metric.short_clause(Method::Sharing.subject(), shared)
    );
    if common.len() > 1 {
        let (mut synthesis_wins, mut sharing_wins) = (0, 0);
        for &(_, shared, synthetic) in common {
            match metric.better(synthetic, shared) {
                Some(Better::First) => synthesis_wins += 1,
                Some(Better::Second) => sharing_wins += 1,
                None => {}
            }
        }
        let ties = common.len() - synthesis_wins - sharing_wins;
        text.push_str(&format!(
            "; of the {} budgets both sweeps tried, synthesis does better at {synthesis_wins} \
             and sharing at {sharing_wins}",
            common.len()
        ));
        if ties > 0 {
            text.push_str(&format!(", and {ties} read the same"));
        }
    }
    if alone > 0 {
        let (noun, verb) = if alone == 1 {
            ("budget", "was")
        } else {
            ("budgets", "were")
        };
        text.push_str(&format!(
            "; {alone} other {noun} {verb} tried by one sweep only, so not compared"
        ));
    }
    text
}

/// The closest runs of two sweeps without a common budget, `(epsilon, utility)`.
fn closest_sentence(metric: SharedUtility, shared: (f64, f64), synthetic: (f64, f64)) -> String {
    // The run spending less first.
    let ((low, low_point), (high, high_point)) = if synthetic.0 < shared.0 {
        ((Method::Synthesis, synthetic), (Method::Sharing, shared))
    } else {
        ((Method::Sharing, shared), (Method::Synthesis, synthetic))
    };
    let verdict = match metric.better(low_point.1, high_point.1) {
        Some(Better::First) => format!("{} does better on less budget", low.noun()),
        None => format!("{} does as well on less budget", low.noun()),
        Some(Better::Second) => format!(
            "{} spends less and does worse, as less budget does, so these grids cannot tell \
             which method does better at one budget (sweep both over common epsilons)",
            low.noun()
        ),
    };
    format!(
        "The two sweeps tried no budget in common; at their closest runs {} at epsilon {} in \
         total per person and {} at epsilon {} ({} times the budget): {verdict}",
        metric.clause(low.subject(), low_point.1),
        number(low_point.0),
        metric.short_clause(high.subject(), high_point.1),
        number(high_point.0),
        number(high_point.0 / low_point.0)
    )
}

/// What differs between the two curves although they share a name and an axis:
/// the data each utility is measured against, and what each epsilon adds up.
pub fn overlay_definitions(metric: SharedUtility, synthesis_delta: Option<f64>) -> String {
    let utility = match metric {
        SharedUtility::GwasRetention => {
            "Both curves are PROVGEN's GWAS SNP retention (a hit at p < alpha found again at \
             p < alpha / tau), but of different GWAS: sharing's hits are the whole cohort's, \
             looked for in the shared genotypes; synthesis's are the training half's, looked \
             for in a GWAS of the synthetic people. The same percentage is not the same set \
             of hits, and noisy data finds some hits by chance: sharing's coin-flip control \
             (epsilon 0) shows how many for sharing, the synthetic genotypes' retention by \
             chance (the share of all SNPs significant in their GWAS) for synthesis."
        }
        SharedUtility::AlleleFrequencyError => {
            "Both curves are the mean absolute allele-frequency error over the SNPs, but \
             against different real data: sharing's against the whole cohort, synthesis's \
             against the training half it learned from. Sharing pulls the frequencies back to \
             its target frequencies after the noise, so its error changes little with epsilon."
        }
    };
    let delta = synthesis_delta.map_or_else(String::new, |d| format!(" with delta {}", number(d)));
    format!(
        "{utility} Epsilon is per person over the whole release on both: sharing's adds up its \
         per-SNP budget over the SNPs (delta 0); synthesis's is one budget{delta}."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETENTION: SharedUtility = SharedUtility::GwasRetention;
    const FREQUENCY: SharedUtility = SharedUtility::AlleleFrequencyError;

    #[test]
    fn compares_at_the_largest_common_budget_and_tallies_the_rest() {
        // 0.01 per SNP over 10,946 SNPs is 109.46000000000001: the same budget.
        let sharing = [(0.01 * 10_946.0, 0.2), (300.0, 0.5), (1_000.0, 0.7)];
        let synthesis = [(1_000.0, 0.81), (109.46, 0.2), (300.0, 0.4), (3.0, 0.1)];
        assert_eq!(
            overlay_sentence(RETENTION, &sharing, &synthesis),
            "At epsilon 1,000 in total per person, the synthetic genotypes keep 81 % of the \
             GWAS hits and the shared genotypes 70 %; of the 3 budgets both sweeps tried, \
             synthesis does better at 1 and sharing at 1, and 1 read the same; 1 other budget \
             was tried by one sweep only, so not compared."
        );
    }

    #[test]
    fn a_single_common_budget_needs_no_tally() {
        let sentence = overlay_sentence(FREQUENCY, &[(3.0, 0.031), (30.0, 0.004)], &[(3.0, 0.012)]);
        assert_eq!(
            sentence,
            "At epsilon 3 in total per person, the synthetic genotypes miss the real allele \
             frequencies by 0.012 on average and the shared genotypes by 0.031; 1 other budget \
             was tried by one sweep only, so not compared."
        );
    }

    #[test]
    fn lower_error_is_better() {
        let sentence = overlay_sentence(
            FREQUENCY,
            &[(1.0, 0.02), (10.0, 0.01)],
            &[(1.0, 0.03), (10.0, 0.005)],
        );
        assert!(
            sentence.contains("synthesis does better at 1 and sharing at 1."),
            "{sentence}"
        );
    }

    #[test]
    fn without_a_common_budget_less_spent_and_as_useful_is_a_verdict() {
        // The GUI's default grids: synthesis up to 100, sharing from 0.25 per SNP.
        let synthesis = [(1.0, 0.05), (10.0, 0.2), (100.0, 0.45)];
        let sharing = [(2_736.5, 0.3), (21_892.0, 0.6)];
        assert_eq!(
            overlay_sentence(RETENTION, &sharing, &synthesis),
            "The two sweeps tried no budget in common; at their closest runs the synthetic \
             genotypes keep 45 % of the GWAS hits at epsilon 100 in total per person and the \
             shared genotypes 30 % at epsilon 2,737 (27 times the budget): synthesis does \
             better on less budget."
        );
        let tie = overlay_sentence(RETENTION, &sharing, &[(100.0, 0.301)]);
        assert!(
            tie.ends_with("synthesis does as well on less budget."),
            "{tie}"
        );
    }

    #[test]
    fn without_a_common_budget_less_spent_and_less_kept_is_no_verdict() {
        let sentence = overlay_sentence(RETENTION, &[(50.0, 0.1)], &[(10.0, 0.4), (200.0, 0.9)]);
        // 200 is closer to 50 than 10 is (log scale): sharing spends less there.
        assert_eq!(
            sentence,
            "The two sweeps tried no budget in common; at their closest runs the shared \
             genotypes keep 10 % of the GWAS hits at epsilon 50 in total per person and the \
             synthetic genotypes 90 % at epsilon 200 (4 times the budget): sharing spends less \
             and does worse, as less budget does, so these grids cannot tell which method does \
             better at one budget (sweep both over common epsilons)."
        );
    }

    #[test]
    fn a_retention_falling_with_the_budget_is_flagged() {
        // The demo's synthesis: noisy synthetic data finds real hits by chance;
        // the lowest retention after the smallest budget is the one compared.
        let synthesis = [(1.0, 0.866), (10.0, 0.778), (100.0, 0.553), (1_000.0, 0.63)];
        let sharing = [(2_736.5, 0.07), (350_272.0, 0.66)];
        let sentence = overlay_sentence(RETENTION, &sharing, &synthesis);
        assert!(
            sentence.ends_with(
                "synthesis does better on less budget; careful: the synthetic genotypes keep \
                 more GWAS hits at epsilon 1 (87 %) than at 100 (55 %), a sign that noise makes \
                 many SNPs look significant and finds real hits by chance, so their retention at \
                 small budgets overstates what they keep."
            ),
            "{sentence}"
        );
        // A dip within sampling noise, and the frequency error, are not flagged.
        let flat = overlay_sentence(RETENTION, &sharing, &[(1.0, 0.5), (100.0, 0.46)]);
        assert!(!flat.contains("careful"), "{flat}");
        let error = overlay_sentence(FREQUENCY, &[(1.0, 0.01)], &[(1.0, 0.3), (9.0, 0.1)]);
        assert!(!error.contains("careful"), "{error}");
    }

    #[test]
    fn missing_measurements_are_named_not_compared() {
        let no_gwas = [(3.0, f64::NAN)];
        assert_eq!(
            overlay_sentence(RETENTION, &no_gwas, &[(3.0, 0.5)]),
            "The sharing sweep has not measured GWAS SNP retention yet: the comparison appears \
             once it has."
        );
        assert!(overlay_sentence(RETENTION, &[(3.0, 0.5)], &[]).starts_with("The synthesis sweep"),);
        assert!(overlay_sentence(FREQUENCY, &[], &[]).starts_with("Neither sweep"));
    }

    #[test]
    fn definitions_name_both_differences() {
        let note = overlay_definitions(RETENTION, Some(1e-6));
        assert!(note.contains("the training half's"), "{note}");
        // Each release's chance level is named: sharing's control, synthesis's own.
        assert!(
            note.contains("coin-flip control") && note.contains("retention by chance"),
            "{note}"
        );
        assert!(note.ends_with("one budget with delta 0.000001."), "{note}");
        let note = overlay_definitions(FREQUENCY, None);
        assert!(note.contains("against the whole cohort"), "{note}");
        assert!(note.ends_with("one budget."), "{note}");
    }

    #[test]
    fn no_banned_words_over_a_grid() {
        // The ux spec's banned words (as core/tests/explain_wording.rs scans).
        const BANNED: [&str; 11] = [
            "anonymous",
            "anonymised",
            "anonymized",
            "secure",
            "safe",
            "risk-free",
            "cannot be re-identified",
            "no risk",
            "zero risk",
            "undefined",
            "NaN",
        ];
        let curves: [&[(f64, f64)]; 4] = [
            &[],
            &[(1.0, 0.9), (10.0, 0.2)],
            &[(10.0, 0.3), (100.0, 0.6)],
            &[(1_000.0, 0.5), (10.0, 0.0), (f64::INFINITY, 1.0)],
        ];
        for metric in [RETENTION, FREQUENCY] {
            let mut sentences = vec![
                overlay_definitions(metric, Some(1e-6)),
                overlay_definitions(metric, None),
            ];
            for sharing in curves {
                for synthesis in curves {
                    sentences.push(overlay_sentence(metric, sharing, synthesis));
                }
            }
            for sentence in sentences {
                assert!(sentence.ends_with('.'), "{sentence}");
                let lower = sentence.to_lowercase();
                for word in BANNED {
                    assert!(!lower.contains(&word.to_lowercase()), "{word}: {sentence}");
                }
            }
        }
    }
}
