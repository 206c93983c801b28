//! Plain words for a synthetic-data release (synthesis spec §6): what was
//! measured, how much noise each count got, what that does to an allele
//! frequency, and what the guarantee and the distance check say.

use super::attack::INCONCLUSIVE;
use super::format::{capitalised, integer, number, percent};
use crate::stats::pca_overlap::PcaOverlap;
use crate::study::synth::{FrequencyError, SynthAttack, SynthGwas, TrainSyntheticTestReal};
use crate::synthesis::zcdp::cdp_delta;
use crate::synthesis::{MeasurementGroup, NoisePlan, TableKind};
use crate::utility::ld::LdPreservation;

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

/// One measurement group of a manifest in words: the structure's tables or the
/// per-SNP counts.
pub fn measurement_group_sentence(
    group: &MeasurementGroup,
    order: usize,
    labelled: bool,
) -> String {
    match group.kind {
        TableKind::Cliques => measurement_sentence(
            group.cliques.len(),
            group.cells_per_clique,
            order,
            labelled,
            group.sigma,
            group.expected_absolute_error,
        ),
        TableKind::Snps => snp_table_sentence(
            group.cliques.len(),
            group.sigma,
            group.expected_absolute_error,
        ),
    }
}

/// The per-SNP genotype counts measured beside the structure's tables.
pub fn snp_table_sentence(n_snps: usize, sigma: f64, expected_absolute_error: f64) -> String {
    format!(
        "It also counted, for each of the {} SNPs on its own, how many people carry 0, 1 or 2 \
         copies of the alternate allele, without the case/control status, with the same noise \
         (typically {} people either way, standard deviation {}). These counts pin down the \
         allele frequencies, which the tables above spread over many cells.",
        integer(n_snps as u64),
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
    if sd >= SWAMPED_FREQUENCY_SD {
        return format!(
            "From the noise alone, an allele frequency read off the counts would be off by \
             about {} on a 0-to-1 scale: the counts say almost nothing about the cohort's \
             allele frequencies.",
            number(sd)
        );
    }
    format!(
        "From the noise alone, an allele frequency of the synthetic data is typically off by \
         about {} on a 0-to-1 scale (before sampling adds its own variation).",
        number(sd)
    )
}

/// A frequency noise sd from which a frequency could be anywhere in [0, 1]
/// (the sd of a uniform draw on [0, 1] is 0.29).
const SWAMPED_FREQUENCY_SD: f64 = 0.29;

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

/// What the planned noise does to one clique table of the training half,
/// before running (spec §4.5 item 2: the "needed n" warning).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellNoiseCheck {
    /// Per-cell noise standard deviation of the plan.
    pub sigma: f64,
    /// Its typical size, σ·√(2/π).
    pub expected_absolute_error: f64,
    pub cells_per_table: usize,
    pub n_training: usize,
    /// What an average cell of one table holds: n_training / cells.
    pub mean_cell_count: f64,
    /// The noise is larger than an average count.
    pub too_noisy: bool,
    /// The smallest training half whose average count reaches σ: ⌈σ·cells⌉.
    pub training_needed: usize,
    /// The cohort that gives that training half (the training half is the
    /// larger half): 2·training_needed − 1.
    pub cohort_needed: usize,
    /// The smallest epsilon (at the same δ, SNPs and structure) at which an
    /// average count of this training half reaches σ.
    pub epsilon_needed: f64,
    /// Allele-frequency noise sd read off one table of this training half.
    pub allele_frequency_sd: f64,
}

/// Compares the plan's per-cell noise with the counts of a training half of
/// `n_training` people (at least 1 is assumed).
pub fn cell_noise_check(plan: &NoisePlan, n_training: usize, delta: f64) -> CellNoiseCheck {
    let n = n_training.max(1);
    let cells = plan.cells_per_marginal.max(1);
    let mean_cell_count = n as f64 / cells as f64;
    let training_needed = (plan.sigma * cells as f64).ceil() as usize;
    // σ = mean count needs ρ = m / (2·mean²) (ρ = Δ₂²/(2σ²), Δ₂² = m).
    let rho_needed = plan.n_marginals as f64 / (2.0 * mean_cell_count * mean_cell_count);
    CellNoiseCheck {
        sigma: plan.sigma,
        expected_absolute_error: plan.expected_absolute_error,
        cells_per_table: cells,
        n_training: n,
        mean_cell_count,
        too_noisy: plan.sigma > mean_cell_count,
        training_needed,
        cohort_needed: (2 * training_needed).saturating_sub(1),
        epsilon_needed: epsilon_for_rho(rho_needed, delta),
        allele_frequency_sd: plan.allele_frequency_sd(n),
    }
}

/// The smallest ε at which ρ-zCDP implies (ε, δ)-DP: the inverse of `cdp_rho`,
/// by bisection on `cdp_delta`, which decreases in ε.
pub fn epsilon_for_rho(rho: f64, delta: f64) -> f64 {
    if !(rho.is_finite() && rho > 0.0) {
        return 0.0;
    }
    // ρ + 2·√(ρ·ln(1/δ)) always suffices (Bun and Steinke, Proposition 1.3).
    let mut high = rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt();
    while cdp_delta(rho, high) > delta && high < 1e12 {
        high *= 2.0;
    }
    let mut low = 0.0_f64;
    for _ in 0..200 {
        let mid = (low + high) / 2.0;
        if cdp_delta(rho, mid) <= delta {
            high = mid;
        } else {
            low = mid;
        }
    }
    high
}

/// What each count will get, in one sentence shown before every run.
pub fn planned_noise_sentence(check: &CellNoiseCheck) -> String {
    format!(
        "Each count will get noise of typically {} people (standard deviation {}); with {} \
         people in the training half, an average count of one table ({} cells) holds {} people.",
        number(check.expected_absolute_error),
        number(check.sigma),
        integer(check.n_training as u64),
        integer(check.cells_per_table as u64),
        number(check.mean_cell_count)
    )
}

/// The "needed n" warning (spec §4.5 item 2) when the noise swamps the counts,
/// `None` when an average count is at least its noise.
pub fn needed_n_warning(check: &CellNoiseCheck) -> Option<String> {
    if !check.too_noisy {
        return None;
    }
    Some(format!(
        "Warning: The noise per count is larger than an average count, so the synthetic data \
         will carry little of this cohort ({}). An average count reaches its noise with about \
         {} people in the cohort (half of them train the generator), or for this cohort at \
         epsilon {}. Fewer SNPs also help (prune by LD or keep one region before loading the \
         cohort): the noise grows with the square root of their number.",
        if check.allele_frequency_sd >= SWAMPED_FREQUENCY_SD {
            "from the noise alone, an allele frequency could land almost anywhere between 0 \
             and 1"
                .to_owned()
        } else {
            format!(
                "an allele frequency would be off by about {} from the noise alone",
                number(check.allele_frequency_sd)
            )
        },
        integer(check.cohort_needed as u64),
        number(check.epsilon_needed)
    ))
}

/// The LD-decay chart in one sentence.
pub fn ld_decay_sentence(ld: &LdPreservation) -> String {
    match (
        ld.mean_r_squared_original,
        ld.mean_r_squared_released,
        ld.mean_abs_r_squared_difference,
    ) {
        (Some(real), Some(synthetic), Some(difference)) => format!(
            "Over {} pairs of nearby SNPs, the mean r\u{b2} is {} in the training half and {} \
             in the synthetic data; pair by pair, r\u{b2} differs by {} on average (0 is \
             identical, 1 is the largest possible difference).",
            integer(ld.compared_pairs as u64),
            number(real),
            number(synthetic),
            number(difference)
        ),
        _ => "No pair of nearby SNPs is polymorphic in both the training half and the \
              synthetic data, so their linkage disequilibrium cannot be compared."
            .to_owned(),
    }
}

/// The allele-frequency chart in one sentence.
pub fn frequency_error_sentence(error: &FrequencyError, n_snps: usize) -> String {
    format!(
        "The synthetic allele frequencies differ from the training half's by {} on average \
         over {} SNPs (largest {}); the noise alone predicts about {}. A point on the diagonal \
         is a SNP whose frequency is kept exactly.",
        number(error.mean_absolute_error),
        integer(n_snps as u64),
        number(error.max_absolute_error),
        number(error.predicted_noise_sd)
    )
}

/// One membership attack on the synthetic data beside the DP ceiling.
pub fn synthetic_attack_sentence(attack: &SynthAttack) -> String {
    let at_1pct = attack.operating_points.iter().find(|p| p.max_fpr == 0.01);
    let mut text = format!(
        "{}: AUC {} (95 % CI {} to {}; 0.5 is guessing). Allowed to wrongly flag 1 in 100 \
         held-out people, it picks out {} of the people the data were made from (95 % CI {} \
         to {}; guessing picks out 1 %)",
        capitalised(&attack.name),
        number(attack.auc),
        number(attack.auc_interval.lower),
        number(attack.auc_interval.upper),
        percent(attack.tpr_at_1pct_fpr, 1),
        percent(attack.tpr_at_1pct_fpr_interval.lower, 1),
        percent(attack.tpr_at_1pct_fpr_interval.upper, 1)
    );
    match at_1pct {
        Some(point) => text.push_str(&format!(
            "; the guarantee caps any attack at {}.",
            percent(point.dp_ceiling, 1)
        )),
        None => text.push('.'),
    }
    if at_1pct.is_some_and(|p| !p.reliable) {
        text.push_str(" At this rate the test is inconclusive (too few held-out people).");
    }
    if !attack.within_dp_bound {
        text.push_str(
            " Warning: this attack does better than the guarantee allows, which points to a \
             bug; please report it.",
        );
    }
    text
}

/// Said once under attacks whose 1 % operating point rests on too few held-out
/// people (fewer than 10 expected false positives).
pub fn too_few_held_out_sentence(n_non_members: usize) -> String {
    format!(
        "{} held-out people are too few to measure a 1 % false-accusation rate reliably. \
         {INCONCLUSIVE}",
        integer(n_non_members as u64)
    )
}

/// GWAS hits kept by the synthetic data.
pub fn synthetic_gwas_sentence(gwas: &SynthGwas) -> String {
    if gwas.real_hits == 0 {
        return format!(
            "No SNP reaches p < {} in the training half's GWAS, so hit retention cannot be \
             measured. Of its top {} SNPs, {} {} also among the synthetic data's top {}.",
            number(gwas.alpha),
            integer(gwas.top_k.k as u64),
            integer(gwas.top_k.shared as u64),
            if gwas.top_k.shared == 1 { "is" } else { "are" },
            integer(gwas.top_k.k as u64)
        );
    }
    let chance = if gwas.tested == 0 {
        0.0
    } else {
        gwas.synthetic_relaxed_hits as f64 / gwas.tested as f64
    };
    format!(
        "Of the {} SNPs at p < {} in the training half's GWAS, {} still reach p < {} in the \
         synthetic data's; by chance alone {} would, as that share of all SNPs reaches p < {} \
         there. Of the training half's top {} SNPs, {} {} also among the synthetic data's top \
         {}.",
        integer(gwas.real_hits as u64),
        number(gwas.alpha),
        percent(gwas.threshold_retention, 1),
        number(gwas.alpha / gwas.tau),
        percent(chance, 1),
        number(gwas.alpha / gwas.tau),
        integer(gwas.top_k.k as u64),
        integer(gwas.top_k.shared as u64),
        if gwas.top_k.shared == 1 { "is" } else { "are" },
        integer(gwas.top_k.k as u64)
    )
}

/// Train on synthetic, test on real, against training on the real half.
pub fn train_synthetic_test_real_sentence(t: &TrainSyntheticTestReal) -> String {
    let majority = t.test_case_share.max(1.0 - t.test_case_share);
    format!(
        "A case/control classifier on {} SNPs trained on the synthetic data is right about {} \
         of {} held-out people (AUC {}); trained on the real training half it is right about \
         {} (AUC {}). Always guessing the larger group is right about {}.",
        integer(t.n_snps as u64),
        percent(t.synthetic_trained_accuracy, 1),
        integer(t.n_test as u64),
        number(t.synthetic_trained_auc),
        percent(t.real_trained_accuracy, 1),
        number(t.real_trained_auc),
        percent(majority, 1)
    )
}

/// Synthetic and held-out real people on the training half's principal
/// components (the main axes of ancestry), read at the component where they
/// differ most.
pub fn pca_overlap_sentence(pca: &PcaOverlap) -> String {
    let k = pca.components.len();
    let Some(worst) = pca
        .components
        .iter()
        .max_by(|a, b| a.ks_distance.total_cmp(&b.ks_distance))
    else {
        return "No principal component could be fitted, so the synthetic people's ancestry \
                spread cannot be compared with the real people's."
            .to_owned();
    };
    let differing = match pca.components_differing {
        0 => "on none of them is the difference larger than sampling alone explains".to_owned(),
        n => format!(
            "on {} of them the difference is larger than sampling alone explains",
            integer(n as u64)
        ),
    };
    let shift = number(worst.wasserstein_in_sd);
    let unit = if shift == "1" {
        "standard deviation"
    } else {
        "standard deviations"
    };
    format!(
        "Placed on the training half's top {} principal components (the main axes of \
         ancestry), synthetic and held-out real people overlap {} on the component where they \
         differ most (component {}: the two distributions are {} apart at most, and matching \
         them would move people by {shift} {unit} of the real spread on average); 100 % would \
         be the same spread on every component, and {}.",
        integer(k as u64),
        percent(pca.overlap, 0),
        worst.component,
        percent(worst.ks_distance, 0),
        differing
    )
}

/// What differential privacy leaves out (spec §2), said beside every result.
pub const RELATIVES_NOTE: &str = "The guarantee is about each person's own record. It does not \
     cover what relatives share: the synthetic data keep the cohort's allele frequencies and \
     linkage, which also describe the families of the people they were made from.";

/// The estimator's fit of the noisy counts, from the manifest.
pub fn estimator_sentence(iterations: usize, converged: bool, total: f64) -> String {
    let ending = if converged {
        "it converged"
    } else {
        "it stopped at the step limit before converging, so a larger limit may fit the counts \
         better"
    };
    format!(
        "A model consistent with every noisy table was fitted in {} steps ({ending}); the \
         counts imply about {} people in the training half.",
        integer(iterations as u64),
        number(total)
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
        let s = snp_table_sentence(10_946, 453.2, 361.6);
        assert!(s.contains("each of the 10,946 SNPs on its own"), "{s}");
        assert!(s.contains("typically 362 people either way, standard deviation 453"));
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
        assert!(frequency_noise_sentence(1.6).contains("say almost nothing"));
    }

    #[test]
    fn distance_reading_follows_the_interval() {
        assert!(distance_sentence(0.5, 0.45, 0.55).contains("consistent with the half"));
        assert!(distance_sentence(0.7, 0.65, 0.75).contains("closer to the people"));
        assert!(distance_sentence(0.3, 0.25, 0.35).contains("no sign"));
        assert!(distance_sentence(0.5, 0.45, 0.55).starts_with("50.0 %"));
    }

    #[test]
    fn pca_overlap_in_words() {
        use crate::stats::pca_overlap::ComponentOverlap;
        let component = |c: usize, ks: f64| ComponentOverlap {
            component: c,
            explained: 0.01,
            ks_distance: ks,
            ks_p_value: 0.5,
            wasserstein_in_sd: 0.123,
        };
        let mut pca = PcaOverlap {
            n_fitted: 300,
            n_variants_used: 1000,
            n_first: 300,
            n_second: 300,
            components: vec![component(1, 0.08), component(2, 0.42), component(3, 0.05)],
            overlap: 0.58,
            components_differing: 1,
            first_scatter: Vec::new(),
            second_scatter: Vec::new(),
        };
        let s = pca_overlap_sentence(&pca);
        assert!(s.contains("top 3 principal components"), "{s}");
        assert!(s.contains("overlap 58 % on the component"), "{s}");
        assert!(
            s.contains("(component 2: the two distributions are 42 % apart"),
            "{s}"
        );
        assert!(s.contains("by 0.12 standard deviations of the real"), "{s}");
        assert!(s.contains("on 1 of them the difference is larger"), "{s}");
        pca.components_differing = 0;
        pca.components[1].wasserstein_in_sd = 1.0;
        let s = pca_overlap_sentence(&pca);
        assert!(s.contains("on none of them"), "{s}");
        assert!(s.contains("by 1 standard deviation of"), "{s}");
        pca.components.clear();
        assert!(pca_overlap_sentence(&pca).starts_with("No principal component"));
    }

    #[test]
    fn bound_in_words() {
        let s = dp_bound_sentence(1.0, 1e-6, 0.0272);
        assert!(s.contains("at 2.7 % of those people"), "{s}");
    }

    /// Spec §3's table (ε 1, 3, 10 at δ 1e-6: ρ 0.0244, 0.185, 1.539) read
    /// backwards, and a round trip through `cdp_rho`.
    #[test]
    fn epsilon_from_rho_inverts_the_conversion() -> crate::error::Result<()> {
        for (epsilon, rho) in [(1.0, 0.0244), (3.0, 0.185), (10.0, 1.539)] {
            let back = epsilon_for_rho(rho, 1e-6);
            assert!((back / epsilon - 1.0).abs() < 0.01, "rho {rho}: {back}");
        }
        let rho = crate::synthesis::zcdp::cdp_rho(2.5, 1e-9)?;
        assert!((epsilon_for_rho(rho, 1e-9) - 2.5).abs() < 1e-6);
        Ok(())
    }

    /// ε 3, 10⁴ SNPs (spec Table B: σ ≈ 164 per cell): 300 training people are
    /// far too few for 18-cell tables; the needed sizes and epsilon are checked
    /// against `plan`, which computes σ by its own route.
    #[test]
    fn needed_n_follows_the_plan() -> crate::error::Result<()> {
        use crate::synthesis::{Structure, plan};
        let planned = plan(3.0, 1e-6, Structure::TanChain, 2, 3, 10_000)?;
        let check = cell_noise_check(&planned, 300, 1e-6);
        assert!(check.too_noisy);
        assert_eq!(check.cells_per_table, 18);
        assert!((check.mean_cell_count - 300.0 / 18.0).abs() < 1e-12);
        let t = check.training_needed as f64;
        assert!(t / 18.0 >= check.sigma && (t - 1.0) / 18.0 < check.sigma);
        assert_eq!(check.cohort_needed, 2 * check.training_needed - 1);
        // At the needed epsilon the plan's σ is an average count; just below, more.
        let at = plan(
            check.epsilon_needed,
            1e-6,
            Structure::TanChain,
            2,
            3,
            10_000,
        )?;
        assert!(
            (at.sigma / check.mean_cell_count - 1.0).abs() < 1e-3,
            "sigma {} at epsilon {}",
            at.sigma,
            check.epsilon_needed
        );
        let below = plan(
            0.98 * check.epsilon_needed,
            1e-6,
            Structure::TanChain,
            2,
            3,
            10_000,
        )?;
        assert!(below.sigma > check.mean_cell_count);
        let warning = needed_n_warning(&check).unwrap_or_default();
        assert!(
            warning.contains(&format!(
                "about {} people in the cohort",
                integer(check.cohort_needed as u64)
            )),
            "{warning}"
        );
        assert!(warning.contains(&format!("at epsilon {}", number(check.epsilon_needed))));
        assert!(warning.contains("could land almost anywhere"), "{warning}");
        let milder = cell_noise_check(&planned, 2_000, 1e-6);
        assert!(milder.too_noisy && milder.allele_frequency_sd < SWAMPED_FREQUENCY_SD);
        let milder_warning = needed_n_warning(&milder).unwrap_or_default();
        assert!(
            milder_warning.contains(&format!(
                "off by about {} from",
                number(milder.allele_frequency_sd)
            )),
            "{milder_warning}"
        );
        assert!(planned_noise_sentence(&check).contains("holds 17 people"));
        // A cohort of 20,000 (10,000 training) has 556 people per cell: no warning.
        let large = cell_noise_check(&planned, 10_000, 1e-6);
        assert!(!large.too_noisy && needed_n_warning(&large).is_none());
        Ok(())
    }

    fn interval(lower: f64, upper: f64) -> crate::audit::metrics::Interval {
        crate::audit::metrics::Interval { lower, upper }
    }

    #[test]
    fn attack_beside_its_ceiling() {
        use crate::study::synth::BoundedOperatingPoint;
        let point = BoundedOperatingPoint {
            max_fpr: 0.01,
            tpr: 0.02,
            tpr_interval: interval(0.005, 0.05),
            reliable: false,
            dp_ceiling: 0.1234,
            fpr_upper: 0.03,
            dp_ceiling_at_fpr_upper: 0.3,
        };
        let mut attack = SynthAttack {
            name: "distance to the closest synthetic record".into(),
            description: String::new(),
            n_members: 300,
            n_non_members: 300,
            auc: 0.512,
            auc_interval: interval(0.47, 0.56),
            tpr_at_1pct_fpr: 0.02,
            tpr_at_1pct_fpr_interval: interval(0.005, 0.05),
            operating_points: vec![point],
            within_dp_bound: true,
        };
        let s = synthetic_attack_sentence(&attack);
        assert!(
            s.starts_with(
                "Distance to the closest synthetic record: AUC 0.51 (95 % CI 0.47 to 0.56"
            ),
            "{s}"
        );
        assert!(s.contains("picks out 2.0 % of the people"), "{s}");
        assert!(s.contains("caps any attack at 12.3 %."), "{s}");
        assert!(s.contains("inconclusive (too few held-out people)"), "{s}");
        assert!(!s.contains("bug"));
        assert!(too_few_held_out_sentence(300).starts_with("300 held-out people are too few"));
        attack.within_dp_bound = false;
        assert!(synthetic_attack_sentence(&attack).contains("points to a bug"));
    }

    #[test]
    fn utility_in_words() {
        use crate::utility::gwas::{RatioRetention, TopKAgreement};
        let top_k = TopKAgreement {
            k: 10,
            original_hits: 10,
            released_hits: 10,
            shared: 4,
            precision: Some(0.4),
            recall: Some(0.4),
        };
        let gwas = SynthGwas {
            alpha: 0.05,
            tau: 0.8,
            real_hits: 500,
            threshold_retention: 0.25,
            tested: 1000,
            synthetic_relaxed_hits: 100,
            ratio_retention: RatioRetention {
                rho: 0.01,
                tau: 0.8,
                original_hits: 1,
                released_hits: 1,
                retained: 0,
                retention: 0.0,
            },
            top_k,
        };
        let s = synthetic_gwas_sentence(&gwas);
        assert!(s.contains("Of the 500 SNPs at p < 0.05"), "{s}");
        assert!(
            s.contains("25.0 % still reach p < 0.062")
                || s.contains("25.0 % still reach p < 0.063"),
            "{s}"
        );
        assert!(s.contains("top 10 SNPs, 4 are"), "{s}");
        assert!(s.contains("by chance alone 10.0 % would"), "{s}");
        let one = SynthGwas {
            top_k: TopKAgreement {
                shared: 1,
                ..gwas.top_k
            },
            ..gwas.clone()
        };
        assert!(synthetic_gwas_sentence(&one).contains("top 10 SNPs, 1 is also"));
        let none = SynthGwas {
            real_hits: 0,
            ..gwas
        };
        assert!(synthetic_gwas_sentence(&none).contains("cannot be measured"));
        let t = TrainSyntheticTestReal {
            n_snps: 50,
            n_test: 300,
            synthetic_trained_accuracy: 0.55,
            synthetic_trained_auc: 0.57,
            real_trained_accuracy: 0.7,
            real_trained_auc: 0.76,
            test_case_share: 0.4,
        };
        let s = train_synthetic_test_real_sentence(&t);
        assert!(s.contains("right about 55.0 % of 300"), "{s}");
        assert!(s.contains("right about 70.0 % (AUC 0.76)"), "{s}");
        assert!(s.ends_with("right about 60.0 %."), "{s}");
        let error = FrequencyError {
            mean_absolute_error: 0.0123,
            max_absolute_error: 0.2,
            root_mean_square_error: 0.02,
            predicted_noise_sd: 0.011,
        };
        let s = frequency_error_sentence(&error, 10_946);
        assert!(
            s.contains("by 0.012 on average over 10,946 SNPs (largest 0.2)"),
            "{s}"
        );
    }

    #[test]
    fn ld_decay_in_words() {
        let mut ld = LdPreservation {
            settings: crate::utility::ld::LdSettings::default(),
            pairs: 120,
            compared_pairs: 100,
            mean_abs_r_squared_difference: Some(0.031),
            mean_r_squared_original: Some(0.25),
            mean_r_squared_released: Some(0.18),
            bin_width_bp: 1000,
            decay_original: Vec::new(),
            decay_released: Vec::new(),
        };
        let s = ld_decay_sentence(&ld);
        assert!(s.contains("Over 100 pairs"), "{s}");
        assert!(
            s.contains("0.25 in the training half and 0.18 in the synthetic"),
            "{s}"
        );
        assert!(s.contains("differs by 0.031 on average"), "{s}");
        ld.mean_abs_r_squared_difference = None;
        assert!(ld_decay_sentence(&ld).contains("cannot be compared"));
    }

    #[test]
    fn estimator_in_words() {
        let s = estimator_sentence(1000, false, 299.6);
        assert!(
            s.contains("in 1,000 steps (it stopped at the step limit"),
            "{s}"
        );
        assert!(s.ends_with("about 300 people in the training half."), "{s}");
        assert!(estimator_sentence(40, true, 12.0).contains("(it converged)"));
    }

    #[test]
    fn no_forbidden_words() -> crate::error::Result<()> {
        let planned = crate::synthesis::plan(
            3.0,
            1e-6,
            crate::synthesis::Structure::TanChain,
            2,
            3,
            10_000,
        )?;
        let check = cell_noise_check(&planned, 300, 1e-6);
        let sentences = [
            planned_noise_sentence(&check),
            needed_n_warning(&check).unwrap_or_default(),
            frequency_noise_sentence(1.5),
            too_few_held_out_sentence(300),
            measurement_sentence(3, 18, 1, true, 1.0, 0.8),
            snp_table_sentence(4, 1.0, 0.8),
            budget_sentence(1.0, 1e-6, 0.02, 0.02),
            frequency_noise_sentence(0.01),
            distance_sentence(0.5, 0.4, 0.6),
            distance_sentence(0.9, 0.8, 0.95),
            dp_bound_sentence(5.0, 1e-6, 0.5),
            RELATIVES_NOTE.to_owned(),
            estimator_sentence(3, true, 10.0),
        ];
        for s in sentences {
            let lower = s.to_lowercase();
            for word in ["anonymous", "secure", "cannot be re-identified"] {
                assert!(!lower.contains(word), "{s}");
            }
        }
        Ok(())
    }
}
