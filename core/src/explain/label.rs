//! The privacy label card: consequences first, then one line of mechanism
//! (Smart et al. 2024 "privacy nutrition labels"; Xiong et al. 2020).

use crate::error::{Error, Result};

use super::epsilon::EpsilonUnit;
use super::format::{chance, integer, number};
use super::odds::{check_epsilon, odds_sentence, posterior_bound};
use super::persona::{LABEL_ATTACKER, MEMBERSHIP_ATTACKER};

/// The prior the label card's odds sentence starts from (the ux spec's example).
const LABEL_PRIOR: f64 = 0.1;

/// How the released data were produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MechanismKind {
    /// Column-wise XOR noise on the encoded genotype matrix (PROVGEN / Lynx.MD).
    XorSharing,
    /// Generalised randomised response on each genotype.
    RandomizedResponse,
    /// Synthetic genotypes from a generator trained with differential privacy.
    SyntheticData,
    /// A model trained with differential privacy (e.g. DP-SGD).
    DpModel,
}

/// Where the allele frequencies that shape the noise came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MafSource {
    /// A public reference panel: no disclosure about participants.
    Public,
    /// The study itself, through a differentially private estimate.
    DifferentiallyPrivate,
    /// The study itself, without noise: an extra disclosure.
    Raw,
    /// The mechanism uses no allele frequencies.
    NotUsed,
}

/// What a label is built from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReleaseDescription {
    pub mechanism: MechanismKind,
    /// The requested epsilon, in `unit`.
    pub epsilon: f64,
    pub unit: EpsilonUnit,
    pub delta: f64,
    pub maf_source: MafSource,
    /// The mechanism's actual worst-case total privacy loss, when it differs from
    /// the requested one (sharing spec §4.3); the label then quotes it instead.
    pub realised_total_epsilon: Option<f64>,
}

/// A privacy label card: four lists of plain sentences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivacyLabel {
    pub protects_against: Vec<String>,
    pub does_not_protect_against: Vec<String>,
    pub who_sees_what: Vec<String>,
    pub what_is_released: Vec<String>,
}

/// Caution every label carries: DP is about one person's own record.
pub const RELATIVES_CAUTION: &str = "Learning about Alice's relatives: relatives share much of \
    their DNA, so what the release shows about a participant, or about the population, also \
    applies to family members, whether or not they took part.";

/// Builds the label for a release.
pub fn privacy_label(release: &ReleaseDescription) -> Result<PrivacyLabel> {
    check_epsilon(release.epsilon)?;
    if let Some(realised) = release.realised_total_epsilon {
        check_epsilon(realised)?;
    }
    if !(0.0..=1.0).contains(&release.delta) {
        return Err(Error::Parameter(format!(
            "delta is a probability between 0 and 1, got {}",
            release.delta
        )));
    }
    let total = release
        .realised_total_epsilon
        .unwrap_or_else(|| release.unit.total(release.epsilon));
    // Delta has its own line under "does not protect against".
    let bound = posterior_bound(LABEL_PRIOR, total, 0.0)?;

    let protects_against = if bound.is_meaningful() {
        vec![
            format!(
                "{}, up to a limit. {}",
                MEMBERSHIP_ATTACKER.title,
                odds_sentence(&bound)
            ),
            format!(
                "{}, up to the same limit for what comes from her own record (population \
                 patterns are not limited; see below).",
                LABEL_ATTACKER.title
            ),
        ]
    } else {
        vec![format!(
            "No limit that can be stated as a guarantee: at a total epsilon of {} the \
             mathematical guarantee places no meaningful limit on what can be learned about \
             one person. Any protection comes from the noise in practice, as measured by the \
             privacy audit.",
            number(total)
        )]
    };

    let mut does_not_protect_against = vec![
        RELATIVES_CAUTION.to_owned(),
        "Learning facts about the population, such as which variants go with the disease, and \
         applying them to anyone, including people who did not take part: that is what the \
         release is for."
            .to_owned(),
        "Other releases about the same people: privacy losses add up across releases.".to_owned(),
    ];
    if release.delta > 0.0 {
        does_not_protect_against.push(format!(
            "The small chance (delta = {}, {}) that the guarantee does not hold.",
            number(release.delta),
            chance(release.delta)
        ));
    }
    if release.maf_source == MafSource::Raw {
        does_not_protect_against.push(
            "The allele frequencies of the study itself, used without noise: they are an extra \
             disclosure that epsilon does not cover, and allele frequencies alone can reveal \
             whether someone whose DNA is known took part (Homer et al. 2008)."
                .to_owned(),
        );
    }

    let who_sees_what = vec![
        "The data steward sees the exact genotypes, on this computer only; GenoPriv sends \
         nothing over a network."
            .to_owned(),
        recipient_view(release.mechanism).to_owned(),
    ];

    let mut what_is_released = vec![
        mechanism_line(release.mechanism).to_owned(),
        parameter_line(release, total),
    ];
    if let Some(line) = maf_line(release.maf_source) {
        what_is_released.push(line.to_owned());
    }

    Ok(PrivacyLabel {
        protects_against,
        does_not_protect_against,
        who_sees_what,
        what_is_released,
    })
}

fn recipient_view(mechanism: MechanismKind) -> &'static str {
    match mechanism {
        MechanismKind::XorSharing => {
            "Recipients see a genotype matrix in which genotype bits were flipped at random, \
             more often at some SNPs than others; they never see the exact genotypes."
        }
        MechanismKind::RandomizedResponse => {
            "Recipients see genotypes that were each replaced at random by another value with a \
             set probability; they never see the exact genotypes."
        }
        MechanismKind::SyntheticData => {
            "Recipients see made-up people generated by a model trained with differential \
             privacy; no released row is a participant's record."
        }
        MechanismKind::DpModel => {
            "Recipients see only a trained model and its outputs; they never see the genotypes."
        }
    }
}

fn mechanism_line(mechanism: MechanismKind) -> &'static str {
    match mechanism {
        MechanismKind::XorSharing => {
            "How it works: each genotype is written as bits and each bit is flipped with a \
             probability set per SNP (XOR noise)."
        }
        MechanismKind::RandomizedResponse => {
            "How it works: each genotype is kept with some probability and otherwise replaced \
             by a random other genotype (randomised response)."
        }
        MechanismKind::SyntheticData => {
            "How it works: a model learns the study's patterns with added noise, then generates \
             new genotypes from them."
        }
        MechanismKind::DpModel => {
            "How it works: the model is trained with noise added at every step, which limits \
             what it can memorise about any one person."
        }
    }
}

fn parameter_line(release: &ReleaseDescription, total: f64) -> String {
    let requested = match release.unit {
        EpsilonUnit::PerSnp { snps } => format!(
            "epsilon {} per SNP over {} SNPs ({} in total for one person)",
            number(release.epsilon),
            integer(snps),
            number(release.unit.total(release.epsilon))
        ),
        EpsilonUnit::Total => format!("epsilon {} in total", number(release.epsilon)),
    };
    let mut line = format!("Privacy setting requested: {requested}");
    if release.delta > 0.0 {
        line.push_str(&format!(", delta {}", number(release.delta)));
    }
    line.push('.');
    if release.realised_total_epsilon.is_some() {
        line.push_str(&format!(
            " Actual worst-case privacy loss: {} in total.",
            number(total)
        ));
    }
    line
}

fn maf_line(source: MafSource) -> Option<&'static str> {
    match source {
        MafSource::Public => Some(
            "Allele frequencies that shape the noise came from a public reference panel, not \
             from the study.",
        ),
        MafSource::DifferentiallyPrivate => Some(
            "Allele frequencies that shape the noise were estimated from the study with \
             differential privacy; that estimate is part of the privacy loss.",
        ),
        MafSource::Raw => Some(
            "Allele frequencies that shape the noise were computed from the study without \
             noise (see what this does not protect against).",
        ),
        MafSource::NotUsed => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(epsilon: f64, unit: EpsilonUnit, maf_source: MafSource) -> ReleaseDescription {
        ReleaseDescription {
            mechanism: MechanismKind::XorSharing,
            epsilon,
            unit,
            delta: 0.0,
            maf_source,
            realised_total_epsilon: None,
        }
    }

    #[test]
    fn every_label_warns_about_relatives() -> Result<()> {
        for mechanism in [
            MechanismKind::XorSharing,
            MechanismKind::RandomizedResponse,
            MechanismKind::SyntheticData,
            MechanismKind::DpModel,
        ] {
            let label = privacy_label(&ReleaseDescription {
                mechanism,
                ..release(1.0, EpsilonUnit::Total, MafSource::Public)
            })?;
            assert!(
                label
                    .does_not_protect_against
                    .iter()
                    .any(|s| s == RELATIVES_CAUTION)
            );
            assert!(!label.who_sees_what.is_empty() && !label.what_is_released.is_empty());
        }
        Ok(())
    }

    #[test]
    fn raw_frequencies_are_an_extra_disclosure() -> Result<()> {
        let raw = privacy_label(&release(1.0, EpsilonUnit::Total, MafSource::Raw))?;
        assert!(
            raw.does_not_protect_against
                .iter()
                .any(|s| s.contains("extra disclosure"))
        );
        let public = privacy_label(&release(1.0, EpsilonUnit::Total, MafSource::Public))?;
        assert!(
            !public
                .does_not_protect_against
                .iter()
                .any(|s| s.contains("extra disclosure"))
        );
        Ok(())
    }

    #[test]
    fn small_epsilon_states_the_odds_limit() -> Result<()> {
        let label = privacy_label(&release(1.0, EpsilonUnit::Total, MafSource::Public))?;
        assert!(
            label
                .protects_against
                .iter()
                .any(|s| s.contains("about 1-in-4 (23 %)"))
        );
        Ok(())
    }

    #[test]
    fn per_snp_epsilon_is_judged_on_its_total() -> Result<()> {
        // 1 per SNP over 9,389 SNPs: no meaningful limit, and the label says so.
        let label = privacy_label(&release(
            1.0,
            EpsilonUnit::PerSnp { snps: 9389 },
            MafSource::Public,
        ))?;
        assert_eq!(label.protects_against.len(), 1);
        assert!(
            label
                .protects_against
                .iter()
                .all(|s| s.contains("no meaningful limit"))
        );
        assert!(
            label
                .what_is_released
                .iter()
                .any(|s| s.contains("(9,389 in total for one person)"))
        );
        Ok(())
    }

    #[test]
    fn realised_epsilon_replaces_the_requested_one() -> Result<()> {
        let label = privacy_label(&ReleaseDescription {
            realised_total_epsilon: Some(0.74),
            delta: 1e-6,
            ..release(0.01, EpsilonUnit::PerSnp { snps: 100 }, MafSource::Public)
        })?;
        assert!(
            label
                .what_is_released
                .iter()
                .any(|s| s.contains("Actual worst-case privacy loss: 0.74"))
        );
        assert!(
            label
                .does_not_protect_against
                .iter()
                .any(|s| s.contains("1 in 1,000,000"))
        );
        Ok(())
    }
}
