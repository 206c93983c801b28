//! Plain words for a synthetic-data release (synthesis spec §6): what was
//! measured, how much noise each count got, what that does to an allele
//! frequency, and what the guarantee and the distance check say.

use super::format::{integer, number, percent};

/// What the generator measured and how much noise each count received.
/// `order` is the chain order (1: each SNP with the next; 2: with the next
/// two); `expected_absolute_error` is σ·√(2/π), the typical size of the noise.
pub fn measurement_sentence(
    n_tables: usize,
    cells_per_table: usize,
    order: usize,
    labelled: bool,
    sigma: f64,
    expected_absolute_error: f64,
) -> String {
    let run = match order {
        1 => "each SNP and the next one".to_owned(),
        2 => "each SNP and the next two".to_owned(),
        o => format!("each SNP and the next {o}"),
    };
    let label = if labelled {
        ", split by case/control status"
    } else {
        ""
    };
    format!(
        "The generator counted how many people have each combination of genotypes at {run}{label}: \
         {} tables of {} counts. Every count then got random noise of typically {} people either \
         way (standard deviation {}), so no single person's presence changes what was released \
         by more than the noise hides.",
        integer(n_tables as u64),
        integer(cells_per_table as u64),
        number(expected_absolute_error),
        number(sigma)
    )
}

/// The budget and where it went: everything on the measured counts, nothing on
/// the structure, which follows the public SNP order.
pub fn budget_sentence(epsilon: f64, delta: f64, rho_total: f64, rho_spent: f64) -> String {
    format!(
        "The release spends epsilon {} (delta {}), which is {} in zero-concentrated terms; {} of \
         it went on the counts. Choosing which SNPs to link cost nothing: the links follow the \
         public order of the SNPs along the chromosome.",
        number(epsilon),
        delta_text(delta),
        number(rho_total),
        number(rho_spent)
    )
}

/// How far an allele frequency read off the noisy counts may be from the
/// cohort's, for a standard deviation `sd` on the 0-to-1 scale.
pub fn frequency_noise_sentence(sd: f64) -> String {
    format!(
        "From the noise alone, an allele frequency of the synthetic data is typically off by \
         about {} on a 0-to-1 scale (before sampling adds its own variation).",
        number(sd)
    )
}

/// The distance-to-closest-record check: the share of synthetic records nearer
/// to a training record than to a held-out one (half means no sign of copying).
pub fn distance_sentence(share_closer_to_training: f64, lower: f64, upper: f64) -> String {
    let reading = if lower > 0.5 {
        "more than the half expected if nobody's record was copied: the synthetic data sit \
         closer to the people they were made from"
    } else if upper < 0.5 {
        "fewer than half, so there is no sign that training records were copied"
    } else {
        "consistent with the half expected if nobody's record was copied"
    };
    format!(
        "{} of the synthetic records are closer to a person they were made from than to a \
         held-out person (95 % interval {} to {}): {reading}. This is a diagnostic, not a \
         guarantee.",
        percent(share_closer_to_training, 1),
        percent(lower, 1),
        percent(upper, 1)
    )
}

/// The DP ceiling on membership attacks at a 1 % false-accusation rate.
pub fn dp_bound_sentence(epsilon: f64, delta: f64, tpr_ceiling_at_1pct: f64) -> String {
    format!(
        "Whatever method an attacker uses, epsilon {} (delta {}) caps how often they can \
         correctly say that someone was used to make the data at {} of those people, when \
         they wrongly say so of 1 in 100 people who were not.",
        number(epsilon),
        delta_text(delta),
        percent(tpr_ceiling_at_1pct, 1)
    )
}

/// δ as written in a sentence: scientific notation below 0.001.
fn delta_text(delta: f64) -> String {
    if delta > 0.0 && delta < 1e-3 {
        format!("{delta:e}")
    } else {
        number(delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measurement_in_words() {
        let s = measurement_sentence(10_945, 18, 1, true, 453.2, 361.6);
        assert!(s.contains("each SNP and the next one, split by case/control status"));
        assert!(s.contains("10,945 tables of 18 counts"));
        assert!(s.contains("typically 362 people"));
        assert!(s.contains("standard deviation 453"));
        let s = measurement_sentence(8, 27, 2, false, 2.0, 1.6);
        assert!(s.contains("the next two:"), "{s}");
        assert!(s.contains("typically 1.6 people"));
    }

    #[test]
    fn budget_and_noise_in_words() {
        let s = budget_sentence(1.0, 1e-6, 0.0244, 0.0243);
        assert!(s.contains("epsilon 1 (delta 1e-6)"), "{s}");
        assert!(
            s.contains("0.024 in zero-concentrated terms; 0.024 of it"),
            "{s}"
        );
        assert!(frequency_noise_sentence(0.0123).contains("about 0.012 on"));
    }

    #[test]
    fn distance_reading_follows_the_interval() {
        assert!(distance_sentence(0.5, 0.45, 0.55).contains("consistent with the half"));
        assert!(distance_sentence(0.7, 0.65, 0.75).contains("closer to the people"));
        assert!(distance_sentence(0.3, 0.25, 0.35).contains("no sign"));
        assert!(distance_sentence(0.5, 0.45, 0.55).starts_with("50.0 %"));
    }

    #[test]
    fn bound_in_words() {
        let s = dp_bound_sentence(1.0, 1e-6, 0.0272);
        assert!(s.contains("at 2.7 % of those people"), "{s}");
    }

    #[test]
    fn no_forbidden_words() {
        let sentences = [
            measurement_sentence(3, 18, 1, true, 1.0, 0.8),
            budget_sentence(1.0, 1e-6, 0.02, 0.02),
            frequency_noise_sentence(0.01),
            distance_sentence(0.5, 0.4, 0.6),
            distance_sentence(0.9, 0.8, 0.95),
            dp_bound_sentence(5.0, 1e-6, 0.5),
        ];
        for s in sentences {
            let lower = s.to_lowercase();
            for word in ["anonymous", "secure", "cannot be re-identified"] {
                assert!(!lower.contains(word), "{s}");
            }
        }
    }
}
