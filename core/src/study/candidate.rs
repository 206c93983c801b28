//! Candidate releases: runs of a sweep a steward pins, annotates, compares and
//! finally chooses one of for release (ARX's "clipboard" of transformations).
//!
//! A candidate keeps its own copy of the figures it was pinned with, so a project
//! and its report can show the decision without the sweep that produced it, and
//! a later sweep does not silently change what was chosen.

use serde::{Deserialize, Serialize};

use crate::audit::metrics::Interval;
use crate::dp::profile::single_pair_tpr;
use crate::explain::format::{number, percent_with_interval};

use super::audit::TargetModel;
use super::audit_sweep::AuditSweepRow;
use super::share::{Mechanism, TargetChoice};
use super::sweep::{SweepRow, UtilityMetric};
use super::synth_sweep::SynthSweepRow;

/// The false-positive rate the dashboard reads membership attacks at (1 %).
pub const RISK_FPR: f64 = 0.01;

/// The utility of a model candidate.
pub const MODEL_ACCURACY: &str = "model accuracy on held-out people";

/// Which run a candidate is: enough to rerun it alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CandidateRun {
    /// One grid run of a sharing sweep (`run_sweep`), rerunnable from its seed.
    Sharing {
        mechanism: Mechanism,
        targets: TargetChoice,
        repeat: usize,
        seed: u64,
    },
    /// One DP point of a model-audit sweep (`run_audit_sweep`): the model trained
    /// by DP-SGD at this noise multiplier; the sweep's seed reruns it.
    ModelTraining {
        /// [`TargetModel::label`]: "logistic regression (L2)".
        model: String,
        noise_multiplier: f64,
        seed: u64,
    },
    /// One synthesis of a synthesis sweep (`run_synth_sweep`): DP synthetic
    /// genotypes from a chain of this order, rerunnable from its seed.
    Synthesis { order: usize, seed: u64 },
}

impl CandidateRun {
    /// A run of a model sweep trained with `model`.
    pub fn model_training(model: &TargetModel, noise_multiplier: f64, seed: u64) -> Self {
        CandidateRun::ModelTraining {
            model: model.label().to_owned(),
            noise_multiplier,
            seed,
        }
    }

    /// What made the release: "XOR mechanism (PROVGEN)", "logistic regression (L2)
    /// trained with DP-SGD".
    pub fn method(&self) -> String {
        match self {
            CandidateRun::Sharing { mechanism, .. } => mechanism.label().to_owned(),
            CandidateRun::ModelTraining { model, .. } => format!("{model} trained with DP-SGD"),
            CandidateRun::Synthesis { .. } => "DP synthetic genotypes".to_owned(),
        }
    }

    /// Which run of the grid, short: "repeat 1", "noise multiplier 1.2".
    pub fn point(&self) -> String {
        match self {
            CandidateRun::Sharing { repeat, .. } => format!("repeat {}", repeat + 1),
            CandidateRun::ModelTraining {
                noise_multiplier, ..
            } => format!("noise multiplier {}", number(*noise_multiplier)),
            CandidateRun::Synthesis { order, .. } => format!("chain of order {order}"),
        }
    }

    /// The seed that reruns it.
    pub fn seed(&self) -> u64 {
        match self {
            CandidateRun::Sharing { seed, .. }
            | CandidateRun::ModelTraining { seed, .. }
            | CandidateRun::Synthesis { seed, .. } => *seed,
        }
    }
}

/// What a candidate measured: what the dashboard draws and the policy judges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateFigures {
    /// The budget the noise was scaled to, per person over the whole release.
    pub epsilon_nominal: f64,
    /// The same per SNP, for releases counted per SNP.
    pub epsilon_per_snp: Option<f64>,
    /// The worst-case loss the noise really gives, when it differs from the
    /// budget it was scaled to (`None`: unbounded or not computed).
    #[serde(default)]
    pub epsilon_realised: Option<f64>,
    /// What one person risks in all (realised epsilon plus any budget of the
    /// frequencies); `None` when it has no upper limit.
    pub epsilon_spent: Option<f64>,
    pub delta: f64,
    /// What the utility figure is ("GWAS SNP retention").
    pub utility_label: String,
    /// Higher is better, in [0, 1].
    pub utility: Option<f64>,
    pub allele_frequency_error: Option<f64>,
    /// The strongest membership test's true-positive rate at [`RISK_FPR`], and its AUC.
    pub membership_tpr_at_1pct_fpr: Option<f64>,
    /// The 95 % interval of that rate, where the attack gives one (model audits:
    /// Clopper-Pearson on the members found).
    #[serde(default)]
    pub membership_tpr_interval: Option<Interval>,
    pub membership_auc: Option<f64>,
}

impl CandidateFigures {
    /// The figures of one sharing-sweep row, its utility in `metric`.
    pub fn from_sweep_row(row: &SweepRow, metric: UtilityMetric) -> Self {
        let utility = match metric {
            UtilityMetric::RetentionRate => row.retention_rate,
            UtilityMetric::GenotypesUnchanged => Some(1.0 - row.point_error),
        };
        Self {
            epsilon_nominal: row.epsilon_nominal,
            epsilon_per_snp: Some(row.epsilon_nominal_per_snp),
            epsilon_realised: row.epsilon_realised,
            epsilon_spent: row.epsilon_total_spent,
            delta: 0.0,
            utility_label: metric.label().to_owned(),
            utility,
            allele_frequency_error: Some(row.allele_frequency_mae),
            membership_tpr_at_1pct_fpr: row.membership_tpr_at_1pct_fpr,
            membership_tpr_interval: None,
            membership_auc: row.membership_auc,
        }
    }

    /// The figures of one DP point of a model-audit sweep: utility is the held-out
    /// accuracy, risk the attack that finds the most members at [`RISK_FPR`] (with
    /// its interval) and the largest AUC. `None` for the point trained without DP,
    /// which has no privacy loss to place on an epsilon axis.
    pub fn from_audit_row(row: &AuditSweepRow) -> Option<Self> {
        let epsilon = row.epsilon?;
        let strongest = row
            .attacks
            .iter()
            .max_by(|a, b| a.tpr_at_1pct_fpr.total_cmp(&b.tpr_at_1pct_fpr));
        Some(Self {
            epsilon_nominal: epsilon,
            epsilon_per_snp: None,
            // The accountant's epsilon is what the noise gives, not a target.
            epsilon_realised: Some(epsilon),
            epsilon_spent: Some(epsilon),
            delta: row.delta,
            utility_label: MODEL_ACCURACY.to_owned(),
            utility: Some(row.test_accuracy),
            allele_frequency_error: None,
            membership_tpr_at_1pct_fpr: strongest.map(|a| a.tpr_at_1pct_fpr),
            membership_tpr_interval: strongest.map(|a| a.tpr_at_1pct_fpr_interval),
            membership_auc: row.strongest_auc(),
        })
    }

    /// The most any membership attack can find at [`RISK_FPR`] under the
    /// guarantee actually given: min(1, e^eps x FPR + delta, ...). An unbounded
    /// loss allows everything.
    pub fn tpr_ceiling(&self) -> f64 {
        match self.epsilon_spent {
            Some(epsilon) => single_pair_tpr(epsilon, self.delta, RISK_FPR),
            None => 1.0,
        }
    }

    /// The figures of one synthesis of a synthesis sweep: utility is the GWAS
    /// retention of the training half's hits, risk the strongest membership attack
    /// on the synthetic data (training people against held-out ones).
    pub fn from_synth_row(row: &SynthSweepRow) -> Self {
        Self {
            epsilon_nominal: row.epsilon,
            epsilon_per_snp: None,
            // Gaussian measurements under zCDP, converted to (epsilon, delta):
            // the budget asked for is the guarantee given.
            epsilon_realised: Some(row.epsilon),
            epsilon_spent: Some(row.epsilon),
            delta: row.delta,
            utility_label: UtilityMetric::RetentionRate.label().to_owned(),
            utility: row.gwas_retention,
            allele_frequency_error: Some(row.allele_frequency_mae),
            membership_tpr_at_1pct_fpr: row.membership_tpr_at_1pct_fpr,
            membership_tpr_interval: row.membership_tpr_interval,
            membership_auc: row.membership_auc,
        }
    }

    /// "12.0 % (8.1 % to 16.3 %)": members found at [`RISK_FPR`], with the 95 %
    /// interval when the attack gives one; `None` when not measured.
    pub fn members_found(&self) -> Option<String> {
        let tpr = self.membership_tpr_at_1pct_fpr?;
        let interval = self.membership_tpr_interval.map(|i| (i.lower, i.upper));
        Some(percent_with_interval(tpr, interval, 1))
    }

    /// "epsilon 16 per SNP (175,136 in total)", or the total alone.
    pub fn epsilon_phrase(&self) -> String {
        match self.epsilon_per_snp {
            Some(per_snp) => format!(
                "epsilon {} per SNP ({} in total)",
                number(per_snp),
                number(self.epsilon_nominal)
            ),
            None => format!("epsilon {}", number(self.epsilon_nominal)),
        }
    }
}

/// A pinned run with the steward's note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Unique within a project; the decision refers to it.
    pub id: u32,
    pub run: CandidateRun,
    pub figures: CandidateFigures,
    /// SHA-256 of the cohort file the run was made from: its budget ledger.
    #[serde(default)]
    pub cohort_sha256: Option<String>,
    #[serde(default)]
    pub note: String,
}

impl Candidate {
    /// "Candidate 2: XOR mechanism (PROVGEN), epsilon 16 per SNP (175,136 in total),
    /// repeat 1" (the seed, up to 20 digits, is shown apart).
    pub fn title(&self) -> String {
        format!(
            "Candidate {}: {}, {}, {}",
            self.id,
            self.run.method(),
            self.figures.epsilon_phrase(),
            self.run.point()
        )
    }

    /// Whether this candidate is the run `run` (pinning it twice adds nothing).
    pub fn is_run(&self, run: &CandidateRun) -> bool {
        &self.run == run
    }
}

/// The candidate chosen for release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub candidate: u32,
    #[serde(default)]
    pub rationale: String,
}

/// The next free candidate id.
pub fn next_candidate_id(candidates: &[Candidate]) -> u32 {
    candidates.iter().map(|c| c.id).max().map_or(1, |m| m + 1)
}

/// One figure of two candidates side by side, with the difference B - A.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparedFigure {
    pub name: &'static str,
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// `b - a` when both are measured and finite.
    pub difference: Option<f64>,
    /// Whether larger is better for the steward (utility), worse (risk,
    /// error, epsilon), or neither.
    pub larger_is: Direction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Better,
    Worse,
}

/// Two candidates figure by figure (ARX compares input and output this way).
pub fn compare(a: &CandidateFigures, b: &CandidateFigures) -> Vec<ComparedFigure> {
    let row = |name, a: Option<f64>, b: Option<f64>, larger_is| ComparedFigure {
        name,
        a,
        b,
        difference: match (a, b) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Some(y - x),
            _ => None,
        },
        larger_is,
    };
    vec![
        row(
            "Epsilon per SNP",
            a.epsilon_per_snp,
            b.epsilon_per_snp,
            Direction::Worse,
        ),
        row(
            "Epsilon in total (requested)",
            Some(a.epsilon_nominal),
            Some(b.epsilon_nominal),
            Direction::Worse,
        ),
        row(
            "Privacy loss (actual worst case)",
            a.epsilon_spent,
            b.epsilon_spent,
            Direction::Worse,
        ),
        row("Utility", a.utility, b.utility, Direction::Better),
        row(
            "Allele-frequency error",
            a.allele_frequency_error,
            b.allele_frequency_error,
            Direction::Worse,
        ),
        row(
            "Members found at 1 % false accusations",
            a.membership_tpr_at_1pct_fpr,
            b.membership_tpr_at_1pct_fpr,
            Direction::Worse,
        ),
        row(
            "Membership attack AUC",
            a.membership_auc,
            b.membership_auc,
            Direction::Worse,
        ),
        row(
            "Guaranteed ceiling at 1 % false accusations",
            Some(a.tpr_ceiling()),
            Some(b.tpr_ceiling()),
            Direction::Worse,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(epsilon: f64, utility: f64, tpr: f64) -> CandidateFigures {
        CandidateFigures {
            epsilon_nominal: epsilon,
            epsilon_per_snp: None,
            epsilon_realised: Some(epsilon),
            epsilon_spent: Some(epsilon),
            delta: 0.0,
            utility_label: "GWAS SNP retention".into(),
            utility: Some(utility),
            allele_frequency_error: None,
            membership_tpr_at_1pct_fpr: Some(tpr),
            membership_tpr_interval: None,
            membership_auc: Some(0.5),
        }
    }

    #[test]
    fn ceiling_is_e_to_the_epsilon_times_the_fpr() {
        // e^1 x 0.01 = 0.0272: the DP hypothesis-testing bound at 1 % FPR.
        let f = figures(1.0, 0.5, 0.01);
        assert!((f.tpr_ceiling() - 1f64.exp() * 0.01).abs() < 1e-12);
        // Epsilon 0: no attack beats guessing, TPR = FPR.
        assert!((figures(0.0, 0.5, 0.01).tpr_ceiling() - 0.01).abs() < 1e-12);
        // At epsilon 20 the second bound binds: 1 - e^-20 x (1 - FPR).
        let twenty = 1.0 - (-20f64).exp() * 0.99;
        assert!((figures(20.0, 0.5, 0.01).tpr_ceiling() - twenty).abs() < 1e-15);
        // A sharing release's thousands, or an unbounded loss, allow finding everyone.
        assert_eq!(figures(2_736.0, 0.5, 0.01).tpr_ceiling(), 1.0);
        let unbounded = CandidateFigures {
            epsilon_spent: None,
            ..figures(1.0, 0.5, 0.01)
        };
        assert_eq!(unbounded.tpr_ceiling(), 1.0);
    }

    #[test]
    fn comparison_differences_are_b_minus_a() {
        let a = figures(2.0, 0.6, 0.02);
        let b = CandidateFigures {
            membership_tpr_at_1pct_fpr: None,
            ..figures(8.0, 0.9, 0.05)
        };
        let rows = compare(&a, &b);
        let get = |name: &str| rows.iter().find(|r| r.name == name).cloned();
        let utility = get("Utility").map(|r| r.difference);
        assert!(utility.flatten().is_some_and(|d| (d - 0.3).abs() < 1e-12));
        let total = get("Epsilon in total (requested)").and_then(|r| r.difference);
        assert_eq!(total, Some(6.0));
        // Unmeasured on one side: no difference is invented.
        let tpr = get("Members found at 1 % false accusations");
        assert_eq!(
            tpr.map(|r| (r.a, r.b, r.difference)),
            Some((Some(0.02), None, None))
        );
    }

    #[test]
    fn ids_are_fresh_and_titles_name_the_run() {
        let run = CandidateRun::Sharing {
            mechanism: Mechanism::Xor,
            targets: TargetChoice::Reference,
            repeat: 0,
            seed: 42,
        };
        let candidate = Candidate {
            id: 3,
            run: run.clone(),
            figures: CandidateFigures {
                epsilon_per_snp: Some(16.0),
                ..figures(175_136.0, 0.9, 0.02)
            },
            cohort_sha256: None,
            note: String::new(),
        };
        assert_eq!(
            candidate.title(),
            "Candidate 3: XOR mechanism (PROVGEN), epsilon 16 per SNP (175,136 in total), \
             repeat 1"
        );
        assert_eq!(candidate.run.seed(), 42);
        assert!(candidate.is_run(&run));
        assert_eq!(next_candidate_id(&[]), 1);
        assert_eq!(next_candidate_id(std::slice::from_ref(&candidate)), 4);
    }
}
