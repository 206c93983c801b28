//! A model-release audit: train the model a researcher wants to publish on part of
//! a cohort, then measure how well membership and label-inference attacks tell who
//! was in its training set (spec audits §1-§3).
//!
//! Protocol ([`ModelAudit::prepare`] once, [`ModelAudit::run`] per setting):
//! - The samples with a known case/control status are shuffled with the split seed
//!   and cut into members (train the target), as many non-members (held out) and
//!   the population (the rest, at least as many as members and non-members
//!   together). Members and non-members are the evaluation set, balanced (§1.6).
//! - Reference models are trained like the target (same algorithm, same DP
//!   settings, about as many records) on random parts of an attacker's pool:
//!   online LiRA/RMIA, the population and the evaluation records (each record IN for
//!   a quarter of the models); offline, the population only. No reference model
//!   ever learns who is a member of the target.
//! - Every decision threshold is chosen on the population alone (§1.7): reference
//!   model 0 plays the target, its own IN/OUT population records are the
//!   calibration members and non-members, and the other reference models attack it.
//!   Offline, nothing that sets a threshold has seen an evaluated record; online,
//!   reference models have trained on evaluated records (never told which are the
//!   target's members), as online LiRA requires.
//! - The shadow-model attack (spec §3.2) takes reference model 1 as its shadow: the
//!   random forest learns from that model's outputs on its own IN and OUT
//!   population records, is calibrated on reference model 0 as the other attacks
//!   are, and scores the target's members and non-members.
//!
//! Every model kind is handled through [`Classifier`] (logits and per-example
//! gradients), so each attack runs unchanged on logistic models and on the CNN.

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audit::ThresholdRule;
use crate::audit::attacks::{
    LabelledScores, OutputSignal, calibrated_attack, gradient_norm_scores, output_scores,
};
use crate::audit::label::LabelInferenceReport;
use crate::audit::lira::{
    LiraMode, LiraVariance, ReferenceSignals, keep_matrix, lira_scores, logit_signal,
};
use crate::audit::metrics::{Interval, OperatingPoint, ReportOptions, Roc, ThresholdMetrics};
use crate::audit::rmia::{DEFAULT_OFFLINE_A, RmiaMode, RmiaOptions, rmia_scores};
use crate::audit::shadow::{ModelOutputs, ShadowAttack};
use crate::data::GenotypeMatrix;
use crate::dp::{AccountingOptions, EpsilonReport, account};
use crate::error::{Error, Result};
use crate::explain::attack::min_measurable_fpr;
use crate::explain::{
    LabelInferenceResult, LabelVerdict, MembershipOperatingPoint, explain_label_inference,
    explain_membership,
};
use crate::job::Job;
use crate::models::features::select_labels;
use crate::models::{
    Classifier, CnnArchitecture, CnnModel, CnnTraining, DpSgd, Features, Fit, LogisticModel,
    LogisticRegression, Penalty, SgdLogistic,
};

/// Fewest members (and non-members) an audit accepts: below this every interval
/// spans most of [0, 1].
pub const MIN_MEMBERS: usize = 10;

/// The model a researcher wants to release.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetModel {
    /// Logistic regression with an L2 penalty `l2/2 ||w||^2`.
    Logistic { l2: f64 },
    /// Logistic regression with an L1 penalty `l1 ||w||_1` (Lasso, as the DP-MIA study).
    Lasso { l1: f64 },
    /// scikit-learn's `SGDClassifier(loss="log_loss")` with L2 strength `alpha`.
    Sgd { alpha: f64 },
    /// The DP-MIA study's 1-D CNN ([`CnnArchitecture`]), trained by mini-batch Adam
    /// with these epochs, batch size and learning rate; with [`DpTraining`], by
    /// DP-SGD with the DP settings' epochs, batch size and learning rate instead.
    Cnn {
        kernels: usize,
        kernel_size: usize,
        dropout: f64,
        l1: f64,
        epochs: usize,
        batch_size: usize,
        learning_rate: f64,
    },
}

impl TargetModel {
    pub fn label(&self) -> &'static str {
        match self {
            TargetModel::Logistic { .. } => "logistic regression (L2)",
            TargetModel::Lasso { .. } => "lasso logistic regression (L1)",
            TargetModel::Sgd { .. } => "SGD logistic classifier",
            TargetModel::Cnn { .. } => "1-D convolutional network",
        }
    }

    /// The model's name in files and on the command line (`--model`).
    pub fn id(&self) -> &'static str {
        match self {
            TargetModel::Logistic { .. } => "logistic",
            TargetModel::Lasso { .. } => "lasso",
            TargetModel::Sgd { .. } => "sgd",
            TargetModel::Cnn { .. } => "cnn",
        }
    }

    /// The DP-MIA study's CNN ([`CnnArchitecture::default`]) with an L1 strength on
    /// its kernels, trained by Adam for 20 epochs of 32 at rate 0.001: the defaults of
    /// `genopriv audit model --model cnn` and of the Audit screen.
    pub fn default_cnn(l1: f64) -> Self {
        let architecture = CnnArchitecture::default();
        TargetModel::Cnn {
            kernels: architecture.kernels,
            kernel_size: architecture.kernel_size,
            dropout: architecture.dropout,
            l1,
            epochs: 20,
            batch_size: 32,
            learning_rate: 1e-3,
        }
    }

    /// How models of this kind are trained, with or without DP-SGD.
    fn training(&self, dp: bool) -> String {
        match (self, dp) {
            (TargetModel::Cnn { .. }, true) => {
                "DP-SGD (1-D convolutional network, Poisson sampling)".into()
            }
            (_, true) => "DP-SGD (unpenalised logistic model, Poisson sampling)".into(),
            (model, false) => model.label().into(),
        }
    }
}

/// DP-SGD settings. With them every model (target and reference) is trained by
/// DP-SGD with Poisson batches of expected size `batch_size`: the CNN as
/// configured, every other kind as an unpenalised logistic model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DpTraining {
    pub noise_multiplier: f64,
    pub clip_norm: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub delta: f64,
}

/// The attacks an audit can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackKind {
    /// Threshold on the loss (black box).
    Loss,
    /// Likelihood-ratio attack with reference models.
    Lira,
    /// Relative membership inference with reference models and the population.
    Rmia,
    /// Threshold on the per-example gradient norm (white box).
    GradientNorm,
    /// Guessing case/control status from the model's prediction, on members and on
    /// non-members (the control).
    Label,
    /// Shokri-style shadow model with a random-forest attack model (spec §3.2).
    Shadow,
}

impl AttackKind {
    pub const ALL: [AttackKind; 6] = [
        AttackKind::Loss,
        AttackKind::Lira,
        AttackKind::Rmia,
        AttackKind::GradientNorm,
        AttackKind::Label,
        AttackKind::Shadow,
    ];

    /// The name used on the command line and in `attack_logs.csv`.
    pub fn id(self) -> &'static str {
        match self {
            AttackKind::Loss => "loss",
            AttackKind::Lira => "lira",
            AttackKind::Rmia => "rmia",
            AttackKind::GradientNorm => "gradnorm",
            AttackKind::Label => "label",
            AttackKind::Shadow => "shadow",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id() == id)
    }

    fn is_membership(self) -> bool {
        self != AttackKind::Label
    }
}

/// Whether reference models may train on the evaluation records (spec §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceMode {
    /// Reference models train on random quarters of population + evaluation records,
    /// so each evaluated record has IN and OUT models.
    Online,
    /// Reference models train on random halves of the population only.
    Offline,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelAuditSettings {
    pub model: TargetModel,
    pub dp: Option<DpTraining>,
    pub attacks: Vec<AttackKind>,
    pub reference_models: usize,
    pub reference_mode: ReferenceMode,
    pub bootstrap_resamples: usize,
    /// Seeds model training, reference-model assignment and the bootstrap.
    pub seed: u64,
    /// The delta of the empirical epsilon lower bounds (and of the DP account).
    pub delta: f64,
}

impl ModelAuditSettings {
    fn check(&self) -> Result<()> {
        if self.attacks.is_empty() {
            return Err(Error::Parameter("no attack was chosen".into()));
        }
        let needed = match self.reference_mode {
            ReferenceMode::Online => 8,
            ReferenceMode::Offline => 4,
        };
        if self.reference_models < needed {
            return Err(Error::Parameter(format!(
                "{:?} reference models need at least {needed} models (one calibrates the \
                 thresholds, the others must give every record IN and OUT signals); got {}",
                self.reference_mode, self.reference_models
            )));
        }
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(Error::Parameter(format!(
                "delta must be in (0, 1), got {}",
                self.delta
            )));
        }
        if let Some(dp) = &self.dp
            && (dp.epochs == 0 || dp.batch_size == 0)
        {
            return Err(Error::Parameter(
                "DP-SGD needs at least one epoch and a batch size of at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Which cohort rows play which part. Indices are rows of the cohort (samples).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditSplit {
    pub members: Vec<usize>,
    pub non_members: Vec<usize>,
    pub population: Vec<usize>,
    pub seed: u64,
}

impl AuditSplit {
    /// Shuffles the rows with a known label and cuts them into members, as many
    /// non-members, and the population (the remaining half or more).
    pub fn new(labelled_rows: &[usize], seed: u64) -> Result<Self> {
        let quarter = labelled_rows.len() / 4;
        if quarter < MIN_MEMBERS {
            return Err(Error::Parameter(format!(
                "a model audit needs at least {} samples with a known case/control status \
                 (a quarter each for members and non-members, half for the population); got {}",
                4 * MIN_MEMBERS,
                labelled_rows.len()
            )));
        }
        let mut rows = labelled_rows.to_vec();
        rows.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let population = rows.split_off(2 * quarter);
        let non_members = rows.split_off(quarter);
        Ok(Self {
            members: rows,
            non_members,
            population,
            seed,
        })
    }
}

/// A cohort prepared for model audits: features, labels and the split.
#[derive(Clone, Debug)]
pub struct ModelAudit {
    features: Features,
    labels: Vec<u8>,
    split: AuditSplit,
    n_samples: usize,
}

/// The attacker's pool: population first, then members, then non-members.
struct Pool {
    x: Features,
    y: Vec<u8>,
    n_population: usize,
    n_members: usize,
}

impl Pool {
    fn members(&self) -> std::ops::Range<usize> {
        self.n_population..self.n_population + self.n_members
    }
    fn non_members(&self) -> std::ops::Range<usize> {
        self.n_population + self.n_members..self.y.len()
    }
}

impl ModelAudit {
    /// Builds the features (alt-allele counts; a missing call is the SNP's mean
    /// count over the whole cohort) and the split of the samples whose status is
    /// known.
    pub fn prepare(
        genotypes: &GenotypeMatrix,
        case_status: &[Option<bool>],
        split_seed: u64,
        job: Job<'_>,
    ) -> Result<Self> {
        if case_status.len() != genotypes.n_samples() {
            return Err(Error::Mismatch(format!(
                "{} case/control statuses for {} samples",
                case_status.len(),
                genotypes.n_samples()
            )));
        }
        job.checkpoint("Preparing the audit", None)?;
        let labelled: Vec<usize> = case_status
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|_| i))
            .collect();
        let split = AuditSplit::new(&labelled, split_seed)?;
        let labels = case_status
            .iter()
            .map(|s| u8::from(s.unwrap_or(false)))
            .collect();
        Ok(Self {
            features: Features::from_genotypes(genotypes),
            labels,
            split,
            n_samples: genotypes.n_samples(),
        })
    }

    pub fn split(&self) -> &AuditSplit {
        &self.split
    }

    fn pool(&self) -> Result<Pool> {
        let rows: Vec<usize> = self
            .split
            .population
            .iter()
            .chain(&self.split.members)
            .chain(&self.split.non_members)
            .copied()
            .collect();
        Ok(Pool {
            x: self.features.select_rows(&rows)?,
            y: select_labels(&self.labels, &rows)?,
            n_population: self.split.population.len(),
            n_members: self.split.members.len(),
        })
    }

    /// Trains the target and the reference models and runs every chosen attack.
    pub fn run(&self, settings: &ModelAuditSettings, job: Job<'_>) -> Result<ModelAuditReport> {
        settings.check()?;
        let pool = self.pool()?;
        let members: Vec<usize> = pool.members().collect();
        let non_members: Vec<usize> = pool.non_members().collect();
        let member_x = pool.x.select_rows(&members)?;
        let member_y = select_labels(&pool.y, &members)?;
        let non_member_x = pool.x.select_rows(&non_members)?;
        let non_member_y = select_labels(&pool.y, &non_members)?;

        job.checkpoint("Training the target model", Some(0.0))?;
        let (target, privacy) = train(settings, &member_x, &member_y, settings.seed, job)?;
        let train_accuracy = accuracy(&target, &member_x, &member_y)?;
        let test_accuracy = accuracy(&target, &non_member_x, &non_member_y)?;
        let gradient_norms = GradientNorms {
            members: gradient_norms(&target, &member_x, &member_y)?,
            non_members: gradient_norms(&target, &non_member_x, &non_member_y)?,
        };

        let membership: Vec<AttackKind> = settings
            .attacks
            .iter()
            .copied()
            .filter(|a| a.is_membership())
            .collect();
        let mut attacks = Vec::new();
        if !membership.is_empty() {
            let references = self.train_references(settings, &pool, job)?;
            for (index, &attack) in membership.iter().enumerate() {
                job.checkpoint(
                    "Running the attacks",
                    Some(index as f32 / membership.len() as f32),
                )?;
                attacks.push(run_membership_attack(
                    attack,
                    settings,
                    &pool,
                    &target,
                    &references,
                )?);
            }
        }
        let label_inference = if settings.attacks.contains(&AttackKind::Label) {
            Some(label_inference(&target, &pool)?)
        } else {
            None
        };
        job.checkpoint("Running the attacks", Some(1.0))?;
        Ok(ModelAuditReport {
            model: settings.model,
            training: settings.model.training(settings.dp.is_some()),
            dp: settings.dp,
            epsilon: privacy.as_ref().map(|p| p.epsilon),
            privacy,
            n_samples: self.n_samples,
            n_variants: self.features.n_cols(),
            n_members: members.len(),
            n_non_members: non_members.len(),
            n_population: pool.n_population,
            reference_models: settings.reference_models,
            reference_mode: settings.reference_mode,
            train_accuracy,
            test_accuracy,
            attacks,
            label_inference,
            gradient_norms,
            seed: settings.seed,
            split_seed: self.split.seed,
            notices: vec![
                "Seeded study output: the split and the models can be regenerated from the \
                 seeds; an audit measures leakage, it does not make the model safe to release."
                    .into(),
            ],
        })
    }

    /// Trains the reference models on their parts of the pool (in parallel) and
    /// records every pool record's signal under each.
    fn train_references(
        &self,
        settings: &ModelAuditSettings,
        pool: &Pool,
        job: Job<'_>,
    ) -> Result<References> {
        let k = settings.reference_models;
        let n_pool = pool.y.len();
        // Each reference model trains on about as many records as the target.
        let keep: Vec<Vec<bool>> = match settings.reference_mode {
            ReferenceMode::Online => keep_matrix(k, n_pool, 0.25, settings.seed ^ KEEP_STREAM),
            ReferenceMode::Offline => {
                keep_matrix(k, pool.n_population, 0.5, settings.seed ^ KEEP_STREAM)
                    .into_iter()
                    .map(|mut row| {
                        row.resize(n_pool, false);
                        row
                    })
                    .collect()
            }
        };
        let done = AtomicUsize::new(0);
        let models = keep
            .par_iter()
            .enumerate()
            .map(|(index, mask)| {
                job.check_cancelled()?;
                let rows: Vec<usize> = mask
                    .iter()
                    .enumerate()
                    .filter_map(|(i, &k)| k.then_some(i))
                    .collect();
                let (model, _) = train(
                    settings,
                    &pool.x.select_rows(&rows)?,
                    &select_labels(&pool.y, &rows)?,
                    settings.seed.wrapping_add(1 + index as u64),
                    job,
                )?;
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                job.checkpoint(
                    "Training reference models",
                    Some(finished as f32 / k as f32),
                )?;
                Ok(model)
            })
            .collect::<Result<Vec<_>>>()?;
        let signals = models
            .iter()
            .map(|m| logit_signal(m, &pool.x, &pool.y))
            .collect();
        Ok(References {
            models,
            signals: ReferenceSignals { signals, keep },
        })
    }
}

/// Separates the seed of the reference-model assignment from the training seeds.
/// Convergence tolerance of the audit's logistic fits (largest relative change of
/// a weight in one step). The attacks read per-record losses, which at this
/// tolerance differ from the exact optimum's by far less than they differ between
/// two reference models (checked in the tests); 1e-9 made a lasso fit on a few
/// thousand SNPs take minutes.
pub const AUDIT_FIT_TOLERANCE: f64 = 1e-6;

fn audit_fit(penalty: Penalty) -> LogisticRegression {
    LogisticRegression {
        tol: AUDIT_FIT_TOLERANCE,
        ..LogisticRegression::new(penalty)
    }
}

const KEEP_STREAM: u64 = 0x6b65_6570;

struct References {
    models: Vec<TrainedModel>,
    signals: ReferenceSignals,
}

/// A trained target or reference model of any kind.
#[derive(Clone, Debug)]
enum TrainedModel {
    Linear(LogisticModel),
    Cnn(CnnModel),
}

impl Classifier for TrainedModel {
    fn n_inputs(&self) -> usize {
        match self {
            TrainedModel::Linear(m) => m.n_inputs(),
            TrainedModel::Cnn(m) => m.n_inputs(),
        }
    }

    fn logit(&self, row: &[f64]) -> f64 {
        match self {
            TrainedModel::Linear(m) => m.logit(row),
            TrainedModel::Cnn(m) => m.logit(row),
        }
    }

    fn loss_gradient(&self, row: &[f64], label: u8) -> Vec<f64> {
        match self {
            TrainedModel::Linear(m) => m.loss_gradient(row, label),
            TrainedModel::Cnn(m) => m.loss_gradient(row, label),
        }
    }

    fn logits(&self, x: &Features) -> Vec<f64> {
        match self {
            TrainedModel::Linear(m) => m.logits(x),
            TrainedModel::Cnn(m) => m.logits(x),
        }
    }
}

/// Trains one model by the settings; with DP, also returns its epsilon.
fn train(
    settings: &ModelAuditSettings,
    x: &Features,
    y: &[u8],
    seed: u64,
    job: Job<'_>,
) -> Result<(TrainedModel, Option<EpsilonReport>)> {
    let cnn_architecture = match settings.model {
        TargetModel::Cnn {
            kernels,
            kernel_size,
            dropout,
            l1,
            ..
        } => Some(CnnArchitecture {
            kernels,
            kernel_size,
            dropout,
            l1,
        }),
        _ => None,
    };
    if let Some(dp) = &settings.dp {
        let n = x.n_rows();
        let sampling_rate = (dp.batch_size as f64 / n as f64).min(1.0);
        let steps = (dp.epochs * n).div_ceil(dp.batch_size.min(n));
        let trainer = DpSgd {
            sampling_rate,
            noise_multiplier: dp.noise_multiplier,
            clip_norm: dp.clip_norm,
            learning_rate: dp.learning_rate,
            steps,
            seed,
        };
        let (model, privacy) = match cnn_architecture {
            Some(architecture) => {
                let initial = CnnModel::new(x.n_cols(), architecture, seed)?;
                let (model, privacy, _) = trainer.train_model(initial, x, y, job)?;
                (TrainedModel::Cnn(model), privacy)
            }
            None => {
                let run = trainer.train(x, y, job)?;
                (TrainedModel::Linear(run.model), run.privacy)
            }
        };
        let epsilon = account(&privacy, dp.delta, &AccountingOptions::default())?;
        return Ok((model, Some(epsilon)));
    }
    let model = match settings.model {
        TargetModel::Logistic { l2 } => {
            TrainedModel::Linear(audit_fit(Penalty::L2(l2)).fit_cancellable(x, y, job)?)
        }
        TargetModel::Lasso { l1 } => {
            TrainedModel::Linear(audit_fit(Penalty::L1(l1)).fit_cancellable(x, y, job)?)
        }
        TargetModel::Sgd { alpha } => TrainedModel::Linear(
            SgdLogistic {
                alpha,
                seed,
                ..SgdLogistic::default()
            }
            .fit(x, y)?,
        ),
        TargetModel::Cnn {
            epochs,
            batch_size,
            learning_rate,
            ..
        } => TrainedModel::Cnn(
            CnnTraining {
                architecture: cnn_architecture.unwrap_or_default(),
                epochs,
                batch_size,
                learning_rate,
                seed,
            }
            .train(x, y, job)?,
        ),
    };
    Ok((model, None))
}

fn accuracy(model: &TrainedModel, x: &Features, y: &[u8]) -> Result<f64> {
    let predicted: Vec<u8> = model
        .probabilities(x)
        .into_iter()
        .map(|p| u8::from(p >= 0.5))
        .collect();
    crate::audit::label::accuracy(&predicted, y)
}

/// Each record's per-example gradient norm under the target (what the white-box
/// attack thresholds), for the members-vs-non-members histogram.
pub(crate) fn gradient_norms<M: Classifier + ?Sized>(
    model: &M,
    x: &Features,
    y: &[u8],
) -> Result<Vec<f64>> {
    Ok(gradient_norm_scores(model, x, y)?
        .into_iter()
        .map(|score| -score)
        .collect())
}

/// Every record's membership score against `model` (the target, or reference model
/// 0 acting as one), with `reference` the other models' signals on the same records
/// and `population` indexing known non-members of `model`.
/// `shadow` is the trained attack model of the shadow attack (`None` for the others).
#[allow(clippy::too_many_arguments)]
fn scores(
    attack: AttackKind,
    settings: &ModelAuditSettings,
    model: &TrainedModel,
    x: &Features,
    y: &[u8],
    reference: &ReferenceSignals,
    population: &[usize],
    shadow: Option<&ShadowAttack>,
) -> Result<Vec<f64>> {
    let online = settings.reference_mode == ReferenceMode::Online;
    match attack {
        AttackKind::Loss => output_scores(model, x, y, OutputSignal::NegativeLoss),
        AttackKind::GradientNorm => gradient_norm_scores(model, x, y),
        AttackKind::Lira => lira_scores(
            &logit_signal(model, x, y),
            reference,
            if online {
                LiraMode::Online
            } else {
                LiraMode::OfflineOneSided
            },
            lira_variance(settings.reference_models),
        ),
        AttackKind::Rmia => rmia_scores(
            &logit_signal(model, x, y),
            reference,
            population,
            RmiaOptions {
                mode: if online {
                    RmiaMode::Online
                } else {
                    RmiaMode::Offline
                },
                offline_a: DEFAULT_OFFLINE_A,
                gamma: 1.0,
            },
        ),
        AttackKind::Shadow => {
            let Some(shadow) = shadow else {
                return Err(Error::Parameter(
                    "the shadow attack's random forest was not trained".into(),
                ));
            };
            shadow.member_probabilities(ModelOutputs {
                probabilities: &model.probabilities(x),
                labels: y,
            })
        }
        AttackKind::Label => Err(Error::Parameter(
            "label inference is not a membership score".into(),
        )),
    }
}

/// The shadow attack's random forest, trained on reference model 1 (the shadow,
/// trained like the target) and its IN/OUT population records: never on an
/// evaluated record, and never on reference model 0, which calibrates.
fn train_shadow_attack(references: &References, pool: &Pool, seed: u64) -> Result<ShadowAttack> {
    let (Some(shadow), Some(keep)) = (references.models.get(1), references.signals.keep.get(1))
    else {
        return Err(Error::Parameter(
            "the shadow attack needs at least two reference models".into(),
        ));
    };
    let split = |inside: bool| -> Vec<usize> {
        (0..pool.n_population)
            .filter(|&i| keep.get(i).copied().unwrap_or(false) == inside)
            .collect()
    };
    let outputs = |rows: &[usize]| -> Result<(Vec<f64>, Vec<u8>)> {
        Ok((
            shadow.probabilities(&pool.x.select_rows(rows)?),
            select_labels(&pool.y, rows)?,
        ))
    };
    let (in_probabilities, in_labels) = outputs(&split(true))?;
    let (out_probabilities, out_labels) = outputs(&split(false))?;
    ShadowAttack::fit(
        ModelOutputs {
            probabilities: &in_probabilities,
            labels: &in_labels,
        },
        ModelOutputs {
            probabilities: &out_probabilities,
            labels: &out_labels,
        },
        seed,
    )
}

/// One global variance below 64 reference models (spec §3.3: better there).
fn lira_variance(reference_models: usize) -> LiraVariance {
    if reference_models < 64 {
        LiraVariance::Global
    } else {
        LiraVariance::PerRecord
    }
}

fn pick(values: &[f64], indices: impl IntoIterator<Item = usize>) -> Vec<f64> {
    indices
        .into_iter()
        .filter_map(|i| values.get(i).copied())
        .collect()
}

/// The population records of the pool and reference models 1.. restricted to
/// them: what calibration may see.
fn calibration_view(references: &References, n_population: usize) -> ReferenceSignals {
    let cut = |rows: &[Vec<f64>]| -> Vec<Vec<f64>> {
        rows.iter()
            .skip(1)
            .map(|r| r.iter().take(n_population).copied().collect())
            .collect()
    };
    ReferenceSignals {
        signals: cut(&references.signals.signals),
        keep: references
            .signals
            .keep
            .iter()
            .skip(1)
            .map(|r| r.iter().take(n_population).copied().collect())
            .collect(),
    }
}

fn run_membership_attack(
    attack: AttackKind,
    settings: &ModelAuditSettings,
    pool: &Pool,
    target: &TrainedModel,
    references: &References,
) -> Result<MembershipAttackResult> {
    let n_population = pool.n_population;
    let shadow = if attack == AttackKind::Shadow {
        Some(train_shadow_attack(references, pool, settings.seed)?)
    } else {
        None
    };
    let population: Vec<usize> = (0..n_population).collect();
    // Calibration: reference model 0 is the target, population records only.
    let Some((pseudo_target, pseudo_keep)) = references
        .models
        .first()
        .zip(references.signals.keep.first())
    else {
        return Err(Error::Parameter("no reference model was trained".into()));
    };
    let calibration_x = pool.x.select_rows(&population)?;
    let calibration_y = select_labels(&pool.y, &population)?;
    let calibration_reference = calibration_view(references, n_population);
    let calibration_out: Vec<usize> = population
        .iter()
        .copied()
        .filter(|&i| !pseudo_keep.get(i).copied().unwrap_or(false))
        .collect();
    let calibration_scores = scores(
        attack,
        settings,
        pseudo_target,
        &calibration_x,
        &calibration_y,
        &calibration_reference,
        &calibration_out,
        shadow.as_ref(),
    )?;
    let calibration_in: Vec<usize> = population
        .iter()
        .copied()
        .filter(|&i| pseudo_keep.get(i).copied().unwrap_or(false))
        .collect();
    // Evaluation: the target on its members and non-members.
    let target_scores = scores(
        attack,
        settings,
        target,
        &pool.x,
        &pool.y,
        &references.signals,
        &population,
        shadow.as_ref(),
    )?;
    let evaluation_members = pick(&target_scores, pool.members());
    let evaluation_non_members = pick(&target_scores, pool.non_members());
    membership_result(
        attack,
        LabelledScores {
            members: &pick(&calibration_scores, calibration_in),
            non_members: &pick(&calibration_scores, calibration_out),
        },
        LabelledScores {
            members: &evaluation_members,
            non_members: &evaluation_non_members,
        },
        ReportOptions {
            bootstrap_resamples: settings.bootstrap_resamples,
            seed: settings.seed,
            delta: settings.delta,
        },
    )
}

/// Threshold chosen on the calibration scores (maximum advantage), metrics on the
/// evaluation scores, explained at the lowest reported FPR the non-members can
/// measure (10 / N_out).
pub(crate) fn membership_result(
    attack: AttackKind,
    calibration: LabelledScores<'_>,
    evaluation: LabelledScores<'_>,
    options: ReportOptions,
) -> Result<MembershipAttackResult> {
    let calibrated = calibrated_attack(
        calibration,
        evaluation,
        ThresholdRule::MaxAdvantage,
        options,
    )?;
    let report = calibrated.report;
    let at_one_percent = report.roc.operating_point(0.01)?;
    let explained_fpr = [0.001, 0.01, 0.1]
        .into_iter()
        .find(|&f| f >= min_measurable_fpr(report.n_out as u64))
        .unwrap_or(0.1);
    let explained_point = report.roc.operating_point(explained_fpr)?;
    let explained = explain_membership(
        &MembershipOperatingPoint {
            fpr: explained_fpr,
            true_positives: (explained_point.tpr * report.n_in as f64).round() as u64,
            members: report.n_in as u64,
            non_members: report.n_out as u64,
        },
        None,
    )?;
    Ok(MembershipAttackResult {
        attack,
        n_members: report.n_in,
        n_non_members: report.n_out,
        auc: report.auc,
        auc_interval: report.auc_interval,
        operating_points: report.operating_points,
        tpr_at_1pct_fpr: at_one_percent.tpr,
        advantage: report.advantage,
        balanced_accuracy: report.balanced_accuracy,
        at_threshold: calibrated.at_threshold,
        delta: report.delta,
        empirical_epsilon: report.empirical_epsilon,
        epsilon_lower_bound: report.epsilon_lower_bound,
        sentences: std::iter::once(explained.finding)
            .chain(explained.meaning)
            .collect(),
        roc: report.roc,
    })
}

/// Case/control guessed as the target's predicted class, on members and on
/// non-members; the baseline always guesses the population's commoner status.
fn label_inference(target: &TrainedModel, pool: &Pool) -> Result<LabelInferenceOutcome> {
    let guesses: Vec<u8> = target
        .probabilities(&pool.x)
        .into_iter()
        .map(|p| u8::from(p >= 0.5))
        .collect();
    let member_guess = pick_labels(&guesses, pool.members());
    let member_truth = pick_labels(&pool.y, pool.members());
    let non_member_guess = pick_labels(&guesses, pool.non_members());
    let non_member_truth = pick_labels(&pool.y, pool.non_members());
    let report = LabelInferenceReport::new(
        &member_guess,
        &member_truth,
        &non_member_guess,
        &non_member_truth,
    )?;
    let population_cases = pool
        .y
        .iter()
        .take(pool.n_population)
        .filter(|&&l| l == 1)
        .count();
    let majority = u8::from(2 * population_cases > pool.n_population);
    let evaluated: Vec<u8> = member_truth
        .iter()
        .chain(&non_member_truth)
        .copied()
        .collect();
    let baseline_accuracy =
        crate::audit::label::accuracy(&vec![majority; evaluated.len()], &evaluated)?;
    let correct =
        |guess: &[u8], truth: &[u8]| guess.iter().zip(truth).filter(|(a, b)| a == b).count() as u64;
    let explained = explain_label_inference(&LabelInferenceResult {
        members_correct: correct(&member_guess, &member_truth),
        members: member_truth.len() as u64,
        non_members_correct: correct(&non_member_guess, &non_member_truth),
        non_members: non_member_truth.len() as u64,
        baseline_accuracy,
    })?;
    // Cases as the positive class, among members, for the federated study's columns.
    let member_case_guesses = pick_cases(&member_guess, &member_truth, 1);
    let member_control_guesses = pick_cases(&member_guess, &member_truth, 0);
    let member_cases = if member_case_guesses.is_empty() || member_control_guesses.is_empty() {
        None
    } else {
        Some(ThresholdMetrics::evaluate(
            &member_case_guesses,
            &member_control_guesses,
            0.5,
        )?)
    };
    Ok(LabelInferenceOutcome {
        report,
        baseline_accuracy,
        verdict: match explained.verdict {
            LabelVerdict::IndividualLeak => "individual_leak",
            LabelVerdict::PopulationPatterns => "population_patterns",
            LabelVerdict::Inconclusive => "inconclusive",
            LabelVerdict::NotMeasurable => "not_measurable",
        }
        .into(),
        residual_risk: explained.residual_risk,
        sentences: explained.sentences,
        member_cases,
    })
}

fn pick_labels(values: &[u8], range: std::ops::Range<usize>) -> Vec<u8> {
    values.get(range).map(<[u8]>::to_vec).unwrap_or_default()
}

/// The guesses (0/1 as scores) of the records whose true label is `label`.
fn pick_cases(guess: &[u8], truth: &[u8], label: u8) -> Vec<f64> {
    guess
        .iter()
        .zip(truth)
        .filter(|(_, t)| **t == label)
        .map(|(g, _)| f64::from(*g))
        .collect()
}

/// One membership attack on the target, every number with its interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MembershipAttackResult {
    pub attack: AttackKind,
    pub n_members: usize,
    pub n_non_members: usize,
    pub auc: f64,
    /// Bootstrap 95 % interval over both sets.
    pub auc_interval: Interval,
    /// TPR at FPR <= 0, 0.1 %, 1 % and 10 %, Clopper-Pearson intervals.
    pub operating_points: Vec<OperatingPoint>,
    pub tpr_at_1pct_fpr: f64,
    pub advantage: f64,
    pub balanced_accuracy: f64,
    /// At the threshold chosen on the population (calibration), never on these sets.
    pub at_threshold: ThresholdMetrics,
    pub delta: f64,
    pub empirical_epsilon: f64,
    /// Clopper-Pearson based lower bound on epsilon, alpha 0.05.
    pub epsilon_lower_bound: f64,
    /// The result in words, at the lowest of 0.1 %, 1 % and 10 % FPR that the
    /// non-members can measure.
    pub sentences: Vec<String>,
    pub roc: Roc,
}

/// Label inference on members against non-members.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelInferenceOutcome {
    pub report: LabelInferenceReport,
    /// Accuracy of always guessing the population's commoner status.
    pub baseline_accuracy: f64,
    /// individual_leak, population_patterns, inconclusive or not_measurable.
    pub verdict: String,
    pub residual_risk: f64,
    pub sentences: Vec<String>,
    /// Cases as the positive class among members (guess 1 = case); `None` when
    /// the members are all cases or all controls.
    pub member_cases: Option<ThresholdMetrics>,
}

/// Per-example gradient norms of the target model, in split order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GradientNorms {
    pub members: Vec<f64>,
    pub non_members: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelAuditReport {
    pub model: TargetModel,
    pub training: String,
    pub dp: Option<DpTraining>,
    /// `None` without DP: no guarantee.
    pub epsilon: Option<f64>,
    pub privacy: Option<EpsilonReport>,
    pub n_samples: usize,
    pub n_variants: usize,
    pub n_members: usize,
    pub n_non_members: usize,
    pub n_population: usize,
    pub reference_models: usize,
    pub reference_mode: ReferenceMode,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub attacks: Vec<MembershipAttackResult>,
    pub label_inference: Option<LabelInferenceOutcome>,
    /// The target's per-example gradient norms on members and non-members.
    #[serde(default)]
    pub gradient_norms: GradientNorms,
    pub seed: u64,
    pub split_seed: u64,
    pub notices: Vec<String>,
}
