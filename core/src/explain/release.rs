//! Notices every shared dataset carries about where its allele frequencies came
//! from and whether it may be released at all (sharing spec §6 flaws 2 and 3).

use super::format::number;
use super::label::MafSource;

/// The warning a release's frequency source calls for, or `None` when the
/// frequencies cost the participants nothing (public) or are counted in epsilon.
pub fn frequency_source_warning(source: MafSource) -> Option<String> {
    match source {
        MafSource::Raw => Some(
            "Warning: the released genotypes were pulled toward the cohort's own allele \
             frequencies. Those frequencies are an extra disclosure that epsilon does not \
             cover: from them alone, someone who has Alice's DNA can test whether she is in \
             the cohort. Use a public reference panel's frequencies, or differentially \
             private ones, for a real release."
                .to_owned(),
        ),
        MafSource::Public | MafSource::DifferentiallyPrivate | MafSource::NotUsed => None,
    }
}

/// One sentence on the budget spent on the frequencies, when it was.
pub fn frequency_budget_sentence(epsilon_release: f64, epsilon_frequencies: f64) -> String {
    format!(
        "The allele frequencies used to restore the data were themselves released with \
         epsilon {}; with the genotypes' {}, one person's total privacy loss is at most {}.",
        number(epsilon_frequencies),
        number(epsilon_release),
        number(epsilon_release + epsilon_frequencies)
    )
}

/// Warns when differentially private frequencies are mostly noise: each of `m`
/// allele counts gets discrete Laplace noise of scale `2m / epsilon` alleles,
/// against `2n` alleles counted, so the typical frequency error is about
/// `m / (n epsilon)`. Above 0.05 the restored data follow the noise, not the cohort.
pub fn dp_frequency_noise_warning(n_samples: usize, n_snps: usize, epsilon: f64) -> Option<String> {
    if n_samples == 0 || epsilon.is_nan() || epsilon <= 0.0 {
        return None;
    }
    let typical_error = n_snps as f64 / (n_samples as f64 * epsilon);
    (typical_error > 0.05).then(|| {
        format!(
            "Warning: with epsilon {} spread over {} SNPs and {} people, each private \
             frequency is off by about {} on a 0-to-1 scale, so the data would be restored \
             toward noise. Use a public reference panel's frequencies, fewer SNPs, or a \
             larger frequency budget.",
            number(epsilon),
            super::format::integer(n_snps as u64),
            super::format::integer(n_samples as u64),
            number(typical_error.min(1.0))
        )
    })
}

/// Why a seeded study output must not be shared: whoever learns the seed can
/// regenerate the noise and strip it.
pub fn seeded_output_notice(seed: u64) -> String {
    format!(
        "Study output, not for release: its noise comes from the recorded seed {seed}, so \
         anyone who knows the seed can regenerate the noise and remove it. Releases draw \
         their noise from the operating system's secure random source."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_raw_frequencies_raise_a_warning() {
        let raw = frequency_source_warning(MafSource::Raw).unwrap_or_default();
        assert!(raw.starts_with("Warning:"), "{raw}");
        assert!(raw.contains("not"), "{raw}");
        for quiet in [
            MafSource::Public,
            MafSource::DifferentiallyPrivate,
            MafSource::NotUsed,
        ] {
            assert_eq!(frequency_source_warning(quiet), None);
        }
    }

    #[test]
    fn budget_sentence_adds_the_two_budgets() {
        let s = frequency_budget_sentence(2.5, 0.5);
        assert!(
            s.contains("epsilon 0.5") && s.contains("2.5") && s.contains("at most 3"),
            "{s}"
        );
    }

    #[test]
    fn dp_frequency_warning_follows_the_noise_scale() {
        // PROVGEN hair: 60 people, 9,389 SNPs, epsilon 1: error ~ 156, capped at 1.
        let hair = dp_frequency_noise_warning(60, 9_389, 1.0).unwrap_or_default();
        assert!(hair.contains("off by about 1 "), "{hair}");
        // 100,000 people, 500 SNPs, epsilon 1: error 0.005, no warning.
        assert_eq!(dp_frequency_noise_warning(100_000, 500, 1.0), None);
        // The boundary: m / (n eps) = 0.05 exactly is still fine.
        assert_eq!(dp_frequency_noise_warning(1_000, 50, 1.0), None);
        assert!(dp_frequency_noise_warning(1_000, 51, 1.0).is_some());
    }

    #[test]
    fn seeded_notice_names_the_seed() {
        let s = seeded_output_notice(42);
        assert!(s.contains("not for release") && s.contains("42"), "{s}");
    }
}
