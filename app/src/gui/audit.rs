//! The Audit screen's state: the model-audit settings, the cohort's charts cached
//! between runs, and the audit job on a worker.
//!
//! Drawing lives in [`super::audit_view`] and [`super::audit_charts`]; every figure
//! comes from `genopriv_core::study::audit` (the same run `genopriv audit model`
//! makes) and the sentences from `genopriv_core::explain`.

use std::sync::Arc;

use crossbeam_channel::Receiver;

use genopriv_core::dp::{AccountingOptions, DpSgdSetting, EpsilonReport, account};
use genopriv_core::models::CnnArchitecture;
use genopriv_core::models::fedavg::Aggregation;
use genopriv_core::study::audit_sweep::{
    AuditSweepResult, AuditSweepRow, AuditSweepSettings, DpSchedule, NoiseGrid, run_audit_sweep,
};
use genopriv_core::study::federated::{
    FederatedAudit, FederatedAuditReport, FederatedAuditSettings, FederatedDp,
};
use genopriv_core::study::recommend::{Defence, Evidence, recommend};
use genopriv_core::study::{
    AttackKind, DpTraining, ModelAudit, ModelAuditReport, ModelAuditSettings, ReferenceMode,
    TargetModel, os_seed,
};
use genopriv_core::{Error, Job};

use super::app::Workspace;
use super::audit_charts::{AuditCharts, CohortCharts};
use super::jobs::{BackgroundJob, Outcome};
use super::protect::first_file;

/// The models the screen offers. A new model is a new variant here and one arm in
/// each match below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelChoice {
    Logistic,
    Lasso,
    Sgd,
    Cnn,
}

impl ModelChoice {
    pub const ALL: [ModelChoice; 4] = [
        ModelChoice::Logistic,
        ModelChoice::Lasso,
        ModelChoice::Sgd,
        ModelChoice::Cnn,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ModelChoice::Logistic => "Logistic regression (L2)",
            ModelChoice::Lasso => "Lasso logistic regression (L1)",
            ModelChoice::Sgd => "SGD logistic classifier",
            ModelChoice::Cnn => "1-D convolutional network (CNN)",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            ModelChoice::Logistic => {
                "The usual phenotype predictor; the penalty shrinks all weights"
            }
            ModelChoice::Lasso => {
                "Keeps few SNPs with non-zero weight, as in the DP-MIA study of a yeast cohort"
            }
            ModelChoice::Sgd => {
                "scikit-learn's SGDClassifier(loss=\"log_loss\"), the federated study's local model"
            }
            ModelChoice::Cnn => {
                "The DP-MIA study's network: 8 filters over 5 neighbouring SNPs, then one output; \
                 slower to train than the linear models"
            }
        }
    }

    /// The penalty's name and the CLI's default strength.
    pub fn penalty(self) -> (&'static str, f64) {
        match self {
            ModelChoice::Logistic => ("L2 penalty", 1e-2),
            ModelChoice::Lasso => ("L1 penalty", 1e-2),
            ModelChoice::Sgd => ("Alpha (L2)", 1e-4),
            ModelChoice::Cnn => ("L1 on the filters", CnnArchitecture::default().l1),
        }
    }

    pub fn target(self, penalty: f64) -> TargetModel {
        match self {
            ModelChoice::Logistic => TargetModel::Logistic { l2: penalty },
            ModelChoice::Lasso => TargetModel::Lasso { l1: penalty },
            ModelChoice::Sgd => TargetModel::Sgd { alpha: penalty },
            ModelChoice::Cnn => TargetModel::default_cnn(penalty),
        }
    }

    /// Whether DP-SGD can train it on one site (the core trains the CNN as
    /// configured and every linear model as an unpenalised logistic model).
    pub fn supports_dp(self) -> bool {
        matches!(self, ModelChoice::Logistic | ModelChoice::Cnn)
    }
}

/// Whether the federated audit runs this attack: the others need reference models
/// trained like the whole federation.
pub fn federated_attack(attack: AttackKind) -> bool {
    matches!(
        attack,
        AttackKind::Loss | AttackKind::GradientNorm | AttackKind::Label
    )
}

/// How the model is trained: on one site, or by federated averaging.
#[derive(Clone, Debug, PartialEq)]
pub struct FederationForm {
    pub clients: usize,
    pub rounds: usize,
    pub local_epochs: usize,
    pub secure_aggregation: bool,
}

impl Default for FederationForm {
    /// The federated study's set-up, as `genopriv audit model --federated`.
    fn default() -> Self {
        let defaults = FederatedAuditSettings::default();
        Self {
            clients: defaults.clients,
            rounds: defaults.rounds,
            local_epochs: defaults.local_epochs,
            secure_aggregation: false,
        }
    }
}

/// What an audit runs: one model, or a federation.
#[derive(Clone, Debug, PartialEq)]
pub enum AuditPlan {
    Central(ModelAuditSettings),
    Federated(FederatedAuditSettings),
}

impl AuditPlan {
    pub fn seed(&self) -> u64 {
        match self {
            AuditPlan::Central(s) => s.seed,
            AuditPlan::Federated(s) => s.seed,
        }
    }
}

/// Human names of the attacks, for checkboxes and results.
pub fn attack_label(attack: AttackKind) -> &'static str {
    match attack {
        AttackKind::Loss => "Loss threshold",
        AttackKind::Lira => "LiRA (likelihood ratio)",
        AttackKind::Rmia => "RMIA (relative membership)",
        AttackKind::GradientNorm => "Gradient norm",
        AttackKind::Label => "Label inference",
        AttackKind::Shadow => "Shadow model",
    }
}

pub fn attack_meaning(attack: AttackKind) -> &'static str {
    match attack {
        AttackKind::Loss => "Members tend to have a smaller loss: a black-box threshold",
        AttackKind::Lira => {
            "Compares the model's confidence with reference models trained with and without the record"
        }
        AttackKind::Rmia => {
            "Compares the record's likelihood with population records under reference models"
        }
        AttackKind::GradientNorm => "White box: members tend to have smaller per-example gradients",
        AttackKind::Label => {
            "Guesses case/control status from the prediction, on members and on non-members (the control)"
        }
        AttackKind::Shadow => {
            "A shadow model trained like the target teaches a random forest what members look like"
        }
    }
}

/// The settings a steward chooses on the Audit screen (defaults as `genopriv audit model`).
#[derive(Clone, Debug, PartialEq)]
pub struct AuditForm {
    pub model: ModelChoice,
    pub penalty: f64,
    pub dp: bool,
    pub noise_multiplier: f64,
    pub clip_norm: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub delta: f64,
    /// Attacks in [`AttackKind::ALL`] order with whether each runs.
    pub attacks: Vec<(AttackKind, bool)>,
    pub reference_models: usize,
    pub reference_mode: ReferenceMode,
    pub bootstrap_resamples: usize,
    /// Study mode: the split, the models and the bootstrap from this seed.
    pub use_seed: bool,
    pub seed_text: String,
    /// `Some` trains by federated averaging (SGD clients only).
    pub federation: Option<FederationForm>,
    /// The noise multipliers a DP sweep tries, as typed ("0.5, 1, 2").
    pub sweep_noise_text: String,
}

impl Default for AuditForm {
    fn default() -> Self {
        Self {
            model: ModelChoice::Logistic,
            penalty: ModelChoice::Logistic.penalty().1,
            dp: false,
            noise_multiplier: 1.0,
            clip_norm: 1.0,
            epochs: 10,
            batch_size: 32,
            learning_rate: 0.1,
            delta: 1e-5,
            attacks: AttackKind::ALL.iter().map(|&a| (a, true)).collect(),
            reference_models: 8,
            reference_mode: ReferenceMode::Offline,
            bootstrap_resamples: 1000,
            use_seed: false,
            seed_text: String::new(),
            federation: None,
            sweep_noise_text: "0.5, 1, 2, 4, 8".into(),
        }
    }
}

impl AuditForm {
    pub fn set_model(&mut self, model: ModelChoice) {
        if model != self.model {
            self.model = model;
            self.penalty = model.penalty().1;
        }
    }

    pub fn set_attack(&mut self, attack: AttackKind, on: bool) {
        for (a, chosen) in &mut self.attacks {
            if *a == attack {
                *chosen = on;
            }
        }
    }

    fn dp_training(&self) -> Option<DpTraining> {
        self.dp.then_some(DpTraining {
            noise_multiplier: self.noise_multiplier,
            clip_norm: self.clip_norm,
            epochs: self.epochs,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            delta: self.delta,
        })
    }

    /// The study seed, `None` for a fresh one; an unreadable seed is an error.
    pub fn seed(&self) -> Result<Option<u64>, String> {
        super::format::study_seed(self.use_seed, &self.seed_text)
    }

    /// Turns federated training on or off; federated clients are SGD models.
    pub fn set_federated(&mut self, on: bool) {
        if on {
            self.set_model(ModelChoice::Sgd);
            self.federation.get_or_insert_with(FederationForm::default);
        } else {
            self.federation = None;
        }
    }

    /// The chosen attacks this kind of training can run.
    fn chosen_attacks(&self) -> Result<Vec<AttackKind>, String> {
        let attacks: Vec<AttackKind> = self
            .attacks
            .iter()
            .filter(|&&(a, on)| on && (self.federation.is_none() || federated_attack(a)))
            .map(|&(a, _)| a)
            .collect();
        if attacks.is_empty() {
            return Err("Choose at least one attack to run.".into());
        }
        Ok(attacks)
    }

    /// What to run, or what is wrong with the form.
    pub fn plan(&self, seed: u64) -> Result<AuditPlan, String> {
        match &self.federation {
            None => self.settings(seed).map(AuditPlan::Central),
            Some(federation) => self
                .federated_settings(federation, seed)
                .map(AuditPlan::Federated),
        }
    }

    fn federated_settings(
        &self,
        federation: &FederationForm,
        seed: u64,
    ) -> Result<FederatedAuditSettings, String> {
        if self.model != ModelChoice::Sgd {
            return Err(format!(
                "Federated training trains scikit-learn-style SGD clients, as the federated study \
                 did, not the {}: choose the SGD logistic classifier.",
                self.model.label()
            ));
        }
        Ok(FederatedAuditSettings {
            clients: federation.clients,
            rounds: federation.rounds,
            local_epochs: federation.local_epochs,
            alpha: self.penalty,
            aggregation: if federation.secure_aggregation {
                Aggregation::Secure
            } else {
                Aggregation::Plain
            },
            dp: self.dp.then_some(FederatedDp {
                noise_multiplier: self.noise_multiplier,
                clip_norm: self.clip_norm,
                delta: self.delta,
            }),
            attacks: self.chosen_attacks()?,
            bootstrap_resamples: self.bootstrap_resamples,
            seed,
            delta: self.delta,
            ..FederatedAuditSettings::default()
        })
    }

    /// A sweep over DP noise: the model and attacks of the form, trained once
    /// without DP and once per noise multiplier with the form's DP schedule.
    pub fn sweep_settings(&self, seed: u64) -> Result<AuditSweepSettings, String> {
        if self.federation.is_some() {
            return Err(
                "A DP sweep trains one model per noise level on one site: turn federated \
                 training off to sweep."
                    .into(),
            );
        }
        if self.model == ModelChoice::Cnn {
            return Err(
                "A DP sweep of the CNN would train it once per noise level and take a long \
                 time: sweep a linear model, and audit the CNN at the chosen noise."
                    .into(),
            );
        }
        let noise_multipliers = super::format::positive_numbers(
            &self.sweep_noise_text,
            "a noise multiplier",
            "0.5, 1, 2, 4",
        )?;
        let audit = AuditForm {
            dp: false,
            ..self.clone()
        }
        .settings(seed)?;
        Ok(AuditSweepSettings {
            audit,
            schedule: DpSchedule {
                clip_norm: self.clip_norm,
                epochs: self.epochs,
                batch_size: self.batch_size,
                learning_rate: self.learning_rate,
                delta: self.delta,
            },
            grid: NoiseGrid::NoiseMultipliers(noise_multipliers),
        })
    }

    /// The single-model audit's settings, or what is wrong with the form.
    pub fn settings(&self, seed: u64) -> Result<ModelAuditSettings, String> {
        if self.dp && !self.model.supports_dp() {
            return Err(format!(
                "DP-SGD trains an unpenalised logistic model or the CNN, so it cannot be combined \
                 with the {}: choose logistic regression or the CNN, or turn DP training off.",
                self.model.label()
            ));
        }
        let attacks = self.chosen_attacks()?;
        Ok(ModelAuditSettings {
            model: self.model.target(self.penalty),
            dp: self.dp_training(),
            attacks,
            reference_models: self.reference_models,
            reference_mode: self.reference_mode,
            bootstrap_resamples: self.bootstrap_resamples,
            seed,
            delta: self.delta,
        })
    }

    /// The ε the DP settings give when the target trains on `members` records
    /// (Poisson batches of expected size `batch_size`, as the audit trains it); in
    /// a federation, the client-level ε (every client in every round).
    pub fn epsilon(&self, members: usize) -> Result<EpsilonReport, Error> {
        if let Some(federation) = &self.federation {
            let setting = DpSgdSetting {
                sampling_rate: 1.0,
                noise_multiplier: self.noise_multiplier,
                steps: federation.rounds as u64,
            };
            return account(&setting, self.delta, &AccountingOptions::default());
        }
        if members == 0 || self.batch_size == 0 || self.epochs == 0 {
            return Err(Error::Parameter(
                "DP-SGD needs records, at least one epoch and a batch size of at least 1".into(),
            ));
        }
        let setting = DpSgdSetting {
            sampling_rate: (self.batch_size as f64 / members as f64).min(1.0),
            noise_multiplier: self.noise_multiplier,
            steps: (self.epochs * members).div_ceil(self.batch_size.min(members)) as u64,
        };
        account(&setting, self.delta, &AccountingOptions::default())
    }
}

/// Members of an audit of `labelled` samples with a known status (a quarter).
pub fn members_for(labelled: usize) -> usize {
    labelled / 4
}

/// One finished audit with what the screen draws of it.
pub struct AuditResult {
    pub plan: AuditPlan,
    /// The model's audit (for a federation, its final global model's).
    pub report: ModelAuditReport,
    /// What a federation's server saw, when the model was trained federated.
    pub federated: Option<FederatedAuditReport>,
    pub charts: AuditCharts,
}

/// The cohort's charts (PCA, correlations) for one workspace.
pub struct CohortCache {
    workspace: u64,
    pub charts: CohortCharts,
}

type AuditJobResult = Box<(Arc<CohortCache>, AuditResult)>;

/// A DP sweep: its rows as they finish, then the whole result and the defences
/// it supports.
#[derive(Default)]
pub struct AuditSweepView {
    pub rows: Vec<AuditSweepRow>,
    pub result: Option<AuditSweepResult>,
    pub defences: Vec<Defence>,
    /// SHA-256 of the cohort file, once the sweep finished: the Trade-offs
    /// screen's budget ledger is kept by it.
    pub cohort_sha256: Option<String>,
}

/// The job the screen is running (one at a time).
pub enum AuditTask {
    Audit(BackgroundJob<AuditJobResult>),
    Sweep(
        BackgroundJob<Box<(AuditSweepResult, String)>>,
        Receiver<AuditSweepRow>,
    ),
}

impl AuditTask {
    pub fn progress(&self) -> (&str, &str, Option<f32>) {
        let (title, stage, fraction) = match self {
            AuditTask::Audit(job) => (&job.title, &job.stage, job.fraction),
            AuditTask::Sweep(job, _) => (&job.title, &job.stage, job.fraction),
        };
        (title, stage, fraction)
    }
}

/// A message on the Audit screen.
pub enum AuditNotice {
    Problem(String),
    Note(String),
}

/// What the Audit screen's controls ask for; applied after drawing.
pub enum AuditAction {
    Run,
    Sweep,
    Cancel,
    DismissNotice,
}

/// Which charts show their table instead.
#[derive(Default)]
pub struct TableViews {
    pub roc: bool,
    pub radar: bool,
    pub gradients: bool,
    pub pca: bool,
    pub correlations: bool,
}

/// The Audit screen.
#[derive(Default)]
pub struct AuditScreen {
    pub form: AuditForm,
    workspace: u64,
    /// The cohort's charts, once an audit computed them.
    pub cohort: Option<Arc<CohortCache>>,
    pub result: Option<AuditResult>,
    pub sweep: Option<AuditSweepView>,
    pub task: Option<AuditTask>,
    pub notice: Option<AuditNotice>,
    pub tables: TableViews,
}

impl AuditScreen {
    /// A new cohort or phenotype join drops the results and caches (and stops a
    /// job working on the old one).
    pub fn follow(&mut self, generation: u64) {
        if generation != self.workspace {
            self.workspace = generation;
            self.cohort = None;
            self.result = None;
            self.sweep = None;
            self.task = None;
            self.notice = None;
        }
    }

    pub fn is_busy(&self) -> bool {
        self.task.is_some()
    }

    /// What every job needs before the long work: statuses, a readable seed and a
    /// form `check` accepts (with a placeholder seed). A problem becomes the notice.
    fn checked_start(
        &mut self,
        workspace: &Workspace,
        what: &str,
        check: impl Fn(&AuditForm) -> Result<(), String>,
    ) -> Option<(Option<u64>, Vec<Option<bool>>)> {
        let problem = match (&workspace.phenotypes, self.form.seed()) {
            (None, _) => format!(
                "{what} needs case/control statuses: add a phenotype table on the Data screen \
                 first."
            ),
            (Some(_), Err(message)) => message,
            (Some(phenotypes), Ok(seed)) => match check(&self.form) {
                Ok(()) => return Some((seed, phenotypes.status.clone())),
                Err(message) => message,
            },
        };
        self.notice = Some(AuditNotice::Problem(problem));
        None
    }

    /// Starts an audit of the loaded cohort on a worker.
    pub fn run(&mut self, workspace: &Workspace, ctx: &egui::Context) {
        let Some((fixed_seed, status)) =
            self.checked_start(workspace, "A model audit", |form| form.plan(0).map(drop))
        else {
            return;
        };
        let form = self.form.clone();
        let cohort = workspace.data.dataset.matrix.clone();
        let generation = self.workspace;
        let cached = self
            .cohort
            .as_ref()
            .filter(|c| c.workspace == generation)
            .cloned();
        let work = move |job: Job<'_>| -> Result<AuditJobResult, Error> {
            let seed = match fixed_seed {
                Some(seed) => seed,
                None => os_seed()?,
            };
            let plan = form.plan(seed).map_err(Error::Parameter)?;
            let (report, federated) = match &plan {
                AuditPlan::Central(settings) => {
                    let audit = ModelAudit::prepare(&cohort, &status, seed, job)?;
                    (audit.run(settings, job)?, None)
                }
                AuditPlan::Federated(settings) => {
                    let federated =
                        FederatedAudit::prepare(&cohort, &status)?.run(settings, job)?;
                    (federated.audit.clone(), Some(federated))
                }
            };
            job.checkpoint("Drawing the charts", None)?;
            let charts = AuditCharts::compute(&report)?;
            let cache = match cached {
                Some(cache) => cache,
                None => Arc::new(CohortCache {
                    workspace: generation,
                    charts: CohortCharts::compute(&cohort, &status, job)?,
                }),
            };
            Ok(Box::new((
                cache,
                AuditResult {
                    plan,
                    report,
                    federated,
                    charts,
                },
            )))
        };
        self.notice = None;
        match BackgroundJob::spawn("Auditing the model".into(), ctx, work) {
            Ok(job) => self.task = Some(AuditTask::Audit(job)),
            Err(e) => {
                self.notice = Some(AuditNotice::Problem(format!(
                    "The audit could not start: the system refused to start a worker thread: {e}."
                )))
            }
        }
        ctx.request_repaint();
    }

    /// Starts a sweep over DP noise on a worker; its rows appear as they finish.
    pub fn run_sweep(&mut self, workspace: &Workspace, ctx: &egui::Context) {
        let Some((fixed_seed, status)) = self.checked_start(workspace, "A DP sweep", |form| {
            form.sweep_settings(0).map(drop)
        }) else {
            return;
        };
        let form = self.form.clone();
        let cohort = workspace.data.dataset.matrix.clone();
        let cohort_file = first_file(&workspace.data.dataset.source);
        let (row_tx, row_rx) = crossbeam_channel::unbounded();
        let row_ctx = ctx.clone();
        let work = move |job: Job<'_>| -> Result<Box<(AuditSweepResult, String)>, Error> {
            let seed = match fixed_seed {
                Some(seed) => seed,
                None => os_seed()?,
            };
            let settings = form.sweep_settings(seed).map_err(Error::Parameter)?;
            let audit = ModelAudit::prepare(&cohort, &status, seed, job)?;
            let on_row = move |row: &AuditSweepRow| {
                // The screen may have dropped the sweep (cancelled): nothing to tell.
                let _ = row_tx.send(row.clone());
                row_ctx.request_repaint();
            };
            let result = run_audit_sweep(&audit, &settings, &on_row, job)?;
            let cohort_sha256 = crate::cli::sha256_file(&cohort_file, job)?;
            Ok(Box::new((result, cohort_sha256)))
        };
        self.notice = None;
        match BackgroundJob::spawn("Sweeping DP noise".into(), ctx, work) {
            Ok(job) => {
                self.sweep = Some(AuditSweepView::default());
                self.task = Some(AuditTask::Sweep(job, row_rx));
            }
            Err(e) => {
                self.notice = Some(AuditNotice::Problem(format!(
                    "The sweep could not start: the system refused to start a worker thread: {e}."
                )))
            }
        }
        ctx.request_repaint();
    }

    pub fn cancel(&mut self) {
        match self.task.take() {
            Some(AuditTask::Audit(_)) => {
                self.notice = Some(AuditNotice::Note(
                    "The audit was cancelled; the results shown before are kept.".into(),
                ));
            }
            Some(AuditTask::Sweep(..)) => {
                self.sweep = None;
                self.notice = Some(AuditNotice::Note(
                    "The DP sweep was cancelled; its unfinished rows were dropped.".into(),
                ));
            }
            None => {}
        }
    }

    /// Takes what the running job sent since the last frame.
    pub fn poll(&mut self) {
        match &mut self.task {
            None => {}
            Some(AuditTask::Audit(_)) => self.poll_audit(),
            Some(AuditTask::Sweep(..)) => self.poll_sweep(),
        }
    }

    fn poll_sweep(&mut self) {
        let Some(AuditTask::Sweep(job, rows)) = &mut self.task else {
            return;
        };
        if let Some(view) = &mut self.sweep {
            view.rows.extend(rows.try_iter());
        }
        let Some(outcome) = job.poll() else { return };
        self.task = None;
        match outcome {
            Outcome::Finished(Ok(done)) => {
                let (result, cohort_sha256) = *done;
                let defences = recommend(&[Evidence::AuditSweep {
                    study: "DP sweep (Audit screen)",
                    result: &result,
                }]);
                self.sweep = Some(AuditSweepView {
                    rows: result.rows.clone(),
                    result: Some(result),
                    defences,
                    cohort_sha256: Some(cohort_sha256),
                });
            }
            Outcome::Finished(Err(e)) => {
                self.sweep = None;
                self.notice = Some(AuditNotice::Problem(format!("The DP sweep failed: {e}.")));
            }
            Outcome::Vanished => {
                self.sweep = None;
                self.notice = Some(AuditNotice::Problem(
                    "The DP sweep failed: the worker stopped without a result. This is a bug in \
                     GenoPriv; please report it."
                        .into(),
                ));
            }
        }
    }

    fn poll_audit(&mut self) {
        let Some(AuditTask::Audit(job)) = &mut self.task else {
            return;
        };
        let Some(outcome) = job.poll() else { return };
        self.task = None;
        match outcome {
            Outcome::Finished(Ok(done)) => {
                let (cache, result) = *done;
                self.cohort = Some(cache);
                self.result = Some(result);
            }
            Outcome::Finished(Err(e)) => {
                self.notice = Some(AuditNotice::Problem(format!("The audit failed: {e}.")));
            }
            Outcome::Vanished => {
                self.notice = Some(AuditNotice::Problem(
                    "The audit failed: the worker stopped without a result. This is a bug in \
                     GenoPriv; please report it."
                        .into(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dp_refuses_models_it_cannot_train() {
        let mut form = AuditForm {
            dp: true,
            ..AuditForm::default()
        };
        assert!(form.settings(1).is_ok_and(|s| s.dp.is_some()));
        form.set_model(ModelChoice::Lasso);
        assert!(form.settings(1).is_err_and(|m| m.contains("DP-SGD")));
    }

    #[test]
    fn no_attack_is_explained() {
        let mut form = AuditForm::default();
        for attack in AttackKind::ALL {
            form.set_attack(attack, false);
        }
        assert_eq!(
            form.settings(1),
            Err("Choose at least one attack to run.".into())
        );
    }

    #[test]
    fn sweep_and_seed_input_errors_name_the_problem() {
        let mut form = AuditForm {
            sweep_noise_text: "0.5, two, 4".into(),
            ..AuditForm::default()
        };
        assert!(
            form.sweep_settings(1)
                .is_err_and(|m| m.contains("\"two\" is not a noise"))
        );
        form.sweep_noise_text = "0, 1".into();
        assert!(form.sweep_settings(1).is_err_and(|m| m.contains("\"0\"")));
        form.sweep_noise_text = " , ".into();
        assert!(
            form.sweep_settings(1)
                .is_err_and(|m| m.contains("at least one"))
        );
        form.sweep_noise_text = "1; 2 4".into();
        let Ok(settings) = form.sweep_settings(1) else {
            panic!("a valid list is refused");
        };
        assert!(
            matches!(settings.grid, NoiseGrid::NoiseMultipliers(ref s) if s == &[1.0, 2.0, 4.0])
        );
        form.set_federated(true);
        assert!(
            form.sweep_settings(1)
                .is_err_and(|m| m.contains("federated"))
        );
        assert!(
            form.plan(1)
                .is_ok_and(|p| matches!(p, AuditPlan::Federated(_)))
        );
        form.use_seed = true;
        form.seed_text = "-3".into();
        assert!(form.seed().is_err_and(|m| m.contains("\"-3\"")));
    }

    #[test]
    fn live_epsilon_shrinks_with_more_noise() -> Result<(), Error> {
        let mut form = AuditForm::default();
        let loud = form.epsilon(150)?.epsilon;
        form.noise_multiplier = 4.0;
        let quiet = form.epsilon(150)?.epsilon;
        assert!(quiet < loud, "{quiet} vs {loud}");
        Ok(())
    }
}
