//! Plain-language explanations: numbers in, sentences (and small data for
//! pictures) out.
//!
//! The GUI and the exported report both call these functions, so the same
//! numbers always read the same way and wording changes show up in review (ux
//! spec §5). Everything here is a pure function: no I/O, no randomness.
//!
//! - [`mod@format`]: figures, percentages and "1 in N" chances.
//! - [`odds`]: epsilon as a limit on belief ([`posterior_bound`], [`odds_sentence`],
//!   the odds table, the icon array).
//! - [`attack`]: membership attacks at a fixed false-accusation rate and label
//!   inference against a non-member control, with explicit "inconclusive".
//! - [`confidence`]: Clopper-Pearson intervals behind every attack verdict.
//! - [`epsilon`]: realised vs requested epsilon, per-SNP epsilon, slider anchors
//!   and warnings.
//! - [`model_audit`]: a model audit's charts in words.
//! - [`label`]: the privacy label card; [`persona`]: the attackers.
//! - [`learn`]: what each privacy technique protects against and costs (the Learn screen).
//! - [`release`]: notices on a shared dataset's frequency source and seed.
//! - [`tradeoff`]: the turning point of a DP-training sweep; the trade-off
//!   dashboard's utility and risk charts in one sentence each.
//! - [`mod@report`]: the decision, attack assumptions, ROC ceiling and sign-off
//!   sentences of the IRB report.
//! - [`silo`]: a cross-silo session's threat model, noise split and abort in words.
//! - [`synthesis`]: a synthetic release's measurements, noise and checks in words.
//!
//! Wording rules: consequences first; "inconclusive" is never turned into a
//! verdict of safety; the words "anonymous", "secure" and "cannot be
//! re-identified" are never used (a test scans every sentence for them).

pub mod attack;
pub mod confidence;
pub mod epsilon;
pub mod format;
pub mod label;
pub mod learn;
pub mod model_audit;
pub mod odds;
pub mod overlay;
pub mod persona;
pub mod recommend;
pub mod release;
pub mod report;
pub mod silo;
pub mod synthesis;
pub mod tradeoff;

pub use attack::{
    AttackVerdict, Comparison, Guarantee, LabelExplanation, LabelInferenceResult, LabelVerdict,
    MembershipExplanation, MembershipOperatingPoint, explain_label_inference, explain_membership,
};
pub use confidence::{Interval, clopper_pearson};
pub use epsilon::{
    EpsilonUnit, epsilon_warning, per_snp_epsilon_sentence, realised_epsilon_sentence,
};
pub use label::{MafSource, MechanismKind, PrivacyLabel, ReleaseDescription, privacy_label};
pub use odds::{
    IconArray, PosteriorBound, odds_comparison_sentence, odds_sentence, odds_table, posterior_bound,
};
pub use persona::{LABEL_ATTACKER, MEMBERSHIP_ATTACKER, Persona};
pub use tradeoff::{
    RiskPoint, TradeoffPoint, UtilityReference, candidate_risk_sentence, risk_curve_sentence,
    turning_point_sentence, utility_curve_sentence,
};
