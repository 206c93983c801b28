//! Plain words for a cross-silo session (synthesis spec §5): the threat model
//! every site sees before it takes part, how the noise is split across the
//! sites, and why a session ended without a release. The desktop wizard and
//! `genopriv silo` print the same sentences.

use super::format::{integer, number};
use crate::synthesis::silo::{DistributedNoise, SiloSetup};

/// The public set-up in one line, as the host proposes it and every site checks it.
pub fn setup_sentence(setup: &SiloSetup) -> String {
    format!(
        "{} sites (up to {} may collude), epsilon {} (delta {:e}), {} SNPs, {} synthetic people.",
        integer(setup.sites as u64),
        integer(setup.tolerance as u64),
        number(setup.epsilon),
        setup.delta,
        integer(setup.panel.len() as u64),
        integer(setup.n_synthetic as u64)
    )
}

/// Who is trusted with what (spec §5, "shown in the UI"): semi-honest sites,
/// collusion up to `tolerance`, a host that relays only masked tables, and the
/// limit of a per-person guarantee.
pub fn threat_model_sentence(sites: usize, tolerance: usize) -> String {
    let collusion = if tolerance == 0 {
        "the budget holds only if every site adds its noise and keeps it to itself (a \
         collusion tolerance of 0)"
            .to_owned()
    } else {
        format!(
            "the budget holds even if up to {} of the {} sites collude or add no noise",
            integer(tolerance as u64),
            integer(sites as u64)
        )
    };
    format!(
        "Each site, the host included, is trusted to follow the protocol; {collusion}. The host \
         passes messages on but never sees any one site's counts: only the noisy total of all \
         sites is revealed, to every site. Relatives are not protected: the guarantee covers \
         each person's own record, not what family members share."
    )
}

/// How each site's noise adds up to the noise the budget needs, and the
/// privacy loss when every site added its share.
pub fn noise_split_sentence(noise: &DistributedNoise) -> String {
    let per_site = noise.per_site_sigma2.sqrt();
    let honest = noise.sites.saturating_sub(noise.tolerance);
    let needed = (honest as f64 * noise.per_site_sigma2).sqrt();
    let opening = format!(
        "Each of the {} sites adds random noise with standard deviation {} to every count; \
         together the counts carry noise with standard deviation {}.",
        integer(noise.sites as u64),
        number(per_site),
        number(noise.realised_sigma)
    );
    if noise.tolerance == 0 {
        return format!(
            "{opening} The budget needs all of it: if a site added no noise, the release \
             would spend more than its epsilon."
        );
    }
    format!(
        "{opening} The budget needs only the noise of {} sites (standard deviation {}), so it \
         holds even if {} none; with every site's noise the privacy loss is lower than the \
         budget (rho {} instead of {}).",
        integer(honest as u64),
        number(needed),
        match noise.tolerance {
            1 => "1 site adds".to_owned(),
            t => format!("{} sites add", integer(t as u64)),
        },
        number(noise.realised_rho),
        number(noise.target_rho)
    )
}

/// A session that ended without a release, for every way it can end so: a
/// site left, timed out, misbehaved or disagreed, or someone cancelled.
/// `reason` is the core's message (it names the site and the step).
pub fn abort_sentence(reason: &str) -> String {
    let reason = reason.trim().trim_end_matches('.');
    // The core words an abort relayed from another site "the session was aborted by X: …".
    match reason.strip_prefix("the session was aborted ") {
        Some(by) => format!("The session was aborted {by}. Nothing was released."),
        None => format!("The session was aborted: {reason}. Nothing was released."),
    }
}

/// The end of a session: what every site now holds.
pub fn session_complete_sentence(
    n_synthetic: usize,
    n_variants: usize,
    sites: &[String],
) -> String {
    format!(
        "Session complete: {} synthetic people × {} SNPs from {} sites ({}).",
        integer(n_synthetic as u64),
        integer(n_variants as u64),
        integer(sites.len() as u64),
        sites.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use crate::synthesis::{Structure, plan};

    #[test]
    fn the_set_up_reads_as_one_line() -> Result<()> {
        let panel = (1..=1200u64)
            .map(|pos| crate::data::Variant {
                chrom: "1".into(),
                pos,
                id: ".".into(),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            })
            .collect();
        let parameters = crate::synthesis::silo::SiloParameters {
            epsilon: 3.0,
            delta: 1e-6,
            structure: Structure::TanChain,
            sites: 3,
            tolerance: 1,
            n_synthetic: 2500,
            estimator: crate::synthesis::EstimatorOptions::default(),
        };
        let setup = SiloSetup::new(panel, &parameters, "00".into(), 1)?;
        assert_eq!(
            setup_sentence(&setup),
            "3 sites (up to 1 may collude), epsilon 3 (delta 1e-6), 1,200 SNPs, 2,500 synthetic people."
        );
        Ok(())
    }

    /// The sentence's "needed" noise is the single-site mechanism's σ for the
    /// same budget (computed here by the single-site planner), the total is
    /// √M times each site's share, and the ρ figures are the plan's.
    #[test]
    fn noise_split_against_the_single_site_plan() -> Result<()> {
        let single = plan(3.0, 1e-6, Structure::TanChain, 2, 3, 1_000)?;
        let split = DistributedNoise::plan(3.0, 1e-6, Structure::TanChain, 2, 3, 1_000, 3, 1)?;
        let s = noise_split_sentence(&split);
        let per_site = split.per_site_sigma2.sqrt();
        assert!(
            s.starts_with(&format!(
                "Each of the 3 sites adds random noise with standard deviation {} to every count",
                number(per_site)
            )),
            "{s}"
        );
        assert!(
            s.contains(&format!(
                "standard deviation {}.",
                number(3f64.sqrt() * per_site)
            )),
            "{s}"
        );
        assert!(
            s.contains(&format!(
                "only the noise of 2 sites (standard deviation {})",
                number(single.sigma)
            )),
            "{s}"
        );
        assert!(s.contains("even if 1 site adds none"), "{s}");
        assert!(
            s.contains(&format!(
                "(rho {} instead of {})",
                number(single.rho * 2.0 / 3.0),
                number(single.rho)
            )),
            "{s}"
        );
        let tight = DistributedNoise::plan(3.0, 1e-6, Structure::TanChain, 2, 3, 1_000, 2, 0)?;
        let s = noise_split_sentence(&tight);
        assert!(s.contains("The budget needs all of it"), "{s}");
        assert!(
            s.contains(&format!(
                "together the counts carry noise with standard deviation {}",
                number(single.sigma)
            )),
            "{s}"
        );
        Ok(())
    }

    #[test]
    fn threat_model_names_the_tolerance() {
        let s = threat_model_sentence(3, 1);
        assert!(s.contains("even if up to 1 of the 3 sites collude"), "{s}");
        assert!(s.contains("never sees any one site's counts"), "{s}");
        assert!(s.contains("Relatives are not protected"), "{s}");
        let s = threat_model_sentence(2, 0);
        assert!(s.contains("only if every site adds its noise"), "{s}");
    }

    #[test]
    fn aborts_say_why_and_that_nothing_was_released() {
        assert_eq!(
            abort_sentence("Lyon left the session while masked counts were expected."),
            "The session was aborted: Lyon left the session while masked counts were expected. \
             Nothing was released."
        );
        assert_eq!(
            abort_sentence("the session was aborted by host: the host proposes epsilon 5"),
            "The session was aborted by host: the host proposes epsilon 5. Nothing was released."
        );
    }

    #[test]
    fn completion_counts_people_snps_and_sites() {
        let sites = vec!["Leeds".to_owned(), "Lyon".to_owned(), "Graz".to_owned()];
        assert_eq!(
            session_complete_sentence(1_200, 10_946, &sites),
            "Session complete: 1,200 synthetic people × 10,946 SNPs from 3 sites (Leeds, Lyon, \
             Graz)."
        );
    }

    #[test]
    fn no_forbidden_words() -> Result<()> {
        let split = DistributedNoise::plan(3.0, 1e-6, Structure::TanChain, 2, 3, 100, 3, 1)?;
        for s in [
            threat_model_sentence(3, 1),
            threat_model_sentence(2, 0),
            noise_split_sentence(&split),
            abort_sentence("x"),
            session_complete_sentence(1, 3, &["a".to_owned()]),
        ] {
            let lower = s.to_lowercase();
            for word in ["anonymous", "secure", "cannot be re-identified"] {
                assert!(!lower.contains(word), "{s}");
            }
        }
        Ok(())
    }
}
