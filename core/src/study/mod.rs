//! Studies: one release measured end to end ([`share`]), and sweeps of releases
//! over epsilon with a recommended budget at the knee of the utility curve
//! ([`sweep`], [`knee`]); the steward's decision over them: pinned candidates
//! ([`candidate`]), policy thresholds ([`policy`]) and the cohort's budget
//! ledger ([`ledger`]).
//!
//! A study is reproducible from its recorded seed, and everything it outputs is
//! marked as not for release; a real release draws its noise from the OS CSPRNG.

pub mod audit;
pub mod audit_sweep;
pub mod audit_table;
pub mod candidate;
pub mod federated;
pub mod knee;
pub mod ledger;
pub mod policy;
pub mod recommend;
pub mod share;
pub mod sweep;
pub mod synth;
pub mod synth_sweep;

pub use audit::{
    AttackKind, AuditSplit, DpTraining, LabelInferenceOutcome, MembershipAttackResult, ModelAudit,
    ModelAuditReport, ModelAuditSettings, ReferenceMode, TargetModel,
};
pub use candidate::{Candidate, CandidateFigures, CandidateRun, Decision};
pub use knee::max_curvature_index;
pub use ledger::{Ledger, LedgerEntry, LedgerStatus};
pub use policy::{Policy, Verdict, VerdictKind, judge};
pub use share::{
    Budget, EpsilonAccount, FrequencyComparison, GwasComparison, GwasDesign, GwasRetention,
    GwasTest, Mechanism, ShareInputs, ShareOutcome, ShareReport, ShareSettings, ShareStudy,
    TargetChoice,
};
pub use sweep::{
    Curve, CurvePoint, Recommendation, SweepResult, SweepRow, SweepSettings, UtilityMetric,
    run_sweep,
};

/// A fresh study seed from the operating system, for a study the user gave no
/// seed: it is recorded in the results, so the study can still be rerun.
pub fn os_seed() -> crate::Result<u64> {
    use rand::TryRng;
    rand::rngs::SysRng.try_next_u64().map_err(|e| {
        crate::Error::io(
            "operating-system random source",
            std::io::Error::other(e.to_string()),
        )
    })
}
