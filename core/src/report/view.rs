//! What the report reads from a project's stored results. Only the fields the
//! report shows, each optional where a study may write `null` (undefined or
//! non-finite figures), so any result a study wrote can be reported.

use serde::Deserialize;

use crate::explain::epsilon::EpsilonUnit;
use crate::explain::{MafSource, MechanismKind, ReleaseDescription};
use crate::study::recommend::{AuditFigures, strongest_of};
use crate::study::{AttackKind, DpTraining, Mechanism, ReferenceMode, TargetModel, UtilityMetric};

#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct IntervalView {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ShareView {
    pub genopriv_version: Option<String>,
    pub mechanism: Mechanism,
    pub epsilon: EpsilonView,
    pub target_source: Option<String>,
    pub n_samples: usize,
    pub n_variants: usize,
    pub point_error: Option<f64>,
    pub sample_error: Option<f64>,
    pub mean_error: Option<f64>,
    pub variance_error: Option<f64>,
    pub allele_frequency_mae: Option<f64>,
    pub retention_rate: Option<f64>,
    pub coin_flip_retention_rate: Option<f64>,
    #[serde(default)]
    pub membership: Vec<SharedMembershipView>,
    pub seed: Option<u64>,
    #[serde(default)]
    pub notices: Vec<String>,
}

impl ShareView {
    /// What the privacy label of this shared copy is built from (the report's and
    /// the desktop's label, one mapping).
    pub fn release_description(&self) -> ReleaseDescription {
        ReleaseDescription {
            mechanism: match self.mechanism {
                Mechanism::RandomizedResponse => MechanismKind::RandomizedResponse,
                Mechanism::Xor | Mechanism::CoinFlip => MechanismKind::XorSharing,
            },
            epsilon: self.epsilon.nominal_total,
            unit: EpsilonUnit::Total,
            delta: 0.0,
            maf_source: match self.target_source.as_deref() {
                Some("reference_af" | "reference_panel") => MafSource::Public,
                Some("dp") => MafSource::DifferentiallyPrivate,
                Some("raw") => MafSource::Raw,
                _ => MafSource::NotUsed,
            },
            realised_total_epsilon: self.epsilon.total_spent.or(self.epsilon.realised_total),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct EpsilonView {
    pub nominal_total: f64,
    pub nominal_per_snp: Option<f64>,
    pub realised_total: Option<f64>,
    pub realised_per_snp_min: Option<f64>,
    pub realised_per_snp_median: Option<f64>,
    pub realised_per_snp_max: Option<f64>,
    pub targets: Option<f64>,
    pub total_spent: Option<f64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SharedMembershipView {
    pub test: String,
    pub auc: Option<f64>,
    #[serde(default)]
    pub auc_interval: IntervalView,
    pub tpr_at_1pct_fpr: Option<f64>,
    #[serde(default)]
    pub tpr_at_1pct_fpr_interval: IntervalView,
    #[serde(default)]
    pub tpr_at_1pct_fpr_reliable: bool,
    pub n_members: usize,
    pub n_non_members: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SweepView {
    pub settings: SweepSettingsView,
    pub rows: Vec<SweepRowView>,
    pub curves: Vec<CurveView>,
    pub recommendation: Option<RecommendationView>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SweepSettingsView {
    pub repeats: usize,
    pub seed: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SweepRowView {
    pub mechanism: Mechanism,
    pub epsilon_nominal: f64,
    pub membership_tpr_at_1pct_fpr: Option<f64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CurveView {
    pub mechanism: Mechanism,
    pub metric: UtilityMetric,
    pub points: Vec<CurvePointView>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CurvePointView {
    pub epsilon_total: f64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub repeats: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RecommendationView {
    pub mechanism: Mechanism,
    pub metric: UtilityMetric,
    pub epsilon_total: f64,
    pub epsilon_per_snp: f64,
    pub utility: f64,
    pub coin_flip_utility: Option<f64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AuditView {
    pub model: TargetModel,
    pub training: String,
    pub dp: Option<DpTraining>,
    pub privacy: Option<PrivacyView>,
    pub n_samples: usize,
    pub n_variants: usize,
    pub n_members: usize,
    pub n_non_members: usize,
    pub n_population: usize,
    pub reference_models: usize,
    pub reference_mode: ReferenceMode,
    pub train_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
    pub attacks: Vec<AttackView>,
    pub label_inference: Option<LabelView>,
    pub seed: u64,
    pub split_seed: u64,
}

impl AuditView {
    /// The figures the recommendations compare; `None` when the stored audit
    /// lacks its test accuracy.
    pub fn figures(&self) -> Option<AuditFigures> {
        Some(AuditFigures {
            model: self.model,
            training: self.training.clone(),
            dp: self
                .dp
                .as_ref()
                .zip(self.privacy.as_ref())
                .map(|(dp, privacy)| (dp.noise_multiplier, privacy.epsilon)),
            test_accuracy: self.test_accuracy?,
            seed: self.seed,
            split_seed: self.split_seed,
            n_samples: self.n_samples,
            strongest_auc: strongest_of(
                self.attacks
                    .iter()
                    .filter_map(|a| Some((a.auc?, a.auc_interval.upper?))),
            ),
        })
    }

    /// What the privacy label of this model is built from; `None` for a model
    /// trained without DP (it has no guarantee to label).
    pub fn release_description(&self) -> Option<ReleaseDescription> {
        self.privacy.as_ref().map(|p| ReleaseDescription {
            mechanism: MechanismKind::DpModel,
            epsilon: p.epsilon,
            unit: EpsilonUnit::Total,
            delta: p.delta,
            maf_source: MafSource::NotUsed,
            realised_total_epsilon: None,
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct PrivacyView {
    pub epsilon: f64,
    pub delta: f64,
    pub label: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AttackView {
    pub attack: AttackKind,
    pub n_members: usize,
    pub n_non_members: usize,
    pub auc: Option<f64>,
    #[serde(default)]
    pub auc_interval: IntervalView,
    #[serde(default)]
    pub operating_points: Vec<OperatingPointView>,
    pub epsilon_lower_bound: Option<f64>,
    #[serde(default)]
    pub sentences: Vec<String>,
    pub roc: RocView,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OperatingPointView {
    pub max_fpr: f64,
    pub tpr: Option<f64>,
    #[serde(default)]
    pub tpr_interval: IntervalView,
    #[serde(default)]
    pub reliable: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RocView {
    pub true_positives: Vec<usize>,
    pub false_positives: Vec<usize>,
    pub n_in: usize,
    pub n_out: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LabelView {
    pub verdict: String,
    #[serde(default)]
    pub sentences: Vec<String>,
}
