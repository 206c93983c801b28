//! The Synthesize side of the Protect screen: its settings, the synthesis study
//! (`genopriv_core::study::synth`) on a worker, and the export of the synthetic
//! data through the same writer as `genopriv synth`.
//!
//! Drawing lives in [`super::synth_view`] and [`super::synth_charts`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam_channel::Receiver;
use genopriv_core::data::GenotypeMatrix;
use genopriv_core::explain::synthesis::{CellNoiseCheck, cell_noise_check};
use genopriv_core::study::os_seed;
use genopriv_core::study::synth::{SynthInputs, SynthOutcome, SynthSettings, run_synth_study};
use genopriv_core::study::synth_sweep::{
    SynthSweepResult, SynthSweepRow, SynthSweepSettings, run_synth_sweep,
};
use genopriv_core::synthesis::{MissingPolicy, Structure, plan};
use genopriv_core::{Error, Job};

use super::app::Workspace;
use super::format::{count, plural};
use super::jobs::{BackgroundJob, Outcome};
use super::protect::{ProtectNotice, first_file, report_path_for, start_task};
use super::silo::{SiloAction, SiloPanel};
use super::synth_charts::SynthCharts;
use crate::cli::synth::{SynthFiles, SynthOutputs, record_inputs};

/// The settings of one synthesis.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthForm {
    /// Total budget per person, over every SNP.
    pub epsilon: f64,
    /// δ as typed ("1e-6").
    pub delta_text: String,
    /// Chain order: 1 links each SNP to the next, 2 to the next two.
    pub order: usize,
    /// Draw as many synthetic people as the training half has.
    pub as_many_as_training: bool,
    pub n_synthetic: usize,
    /// Study mode: reproducible noise from this seed; the output is not for release.
    pub use_seed: bool,
    pub seed_text: String,
    /// The estimator's iteration cap.
    pub estimator_iterations: usize,
    pub bootstrap_resamples: usize,
    /// The epsilons a sweep tries, as typed ("1, 3, 10").
    pub sweep_text: String,
}

impl Default for SynthForm {
    fn default() -> Self {
        let defaults = SynthSettings::new(3.0, 1e-6, None);
        Self {
            epsilon: defaults.epsilon,
            delta_text: "1e-6".into(),
            order: defaults.order,
            as_many_as_training: true,
            n_synthetic: 300,
            use_seed: false,
            seed_text: String::new(),
            estimator_iterations: defaults.estimator.max_iterations,
            bootstrap_resamples: defaults.bootstrap_resamples,
            sweep_text: "1, 3, 10, 30, 100".into(),
        }
    }
}

impl SynthForm {
    /// δ, or why the typed text is not one.
    pub fn delta(&self) -> Result<f64, String> {
        delta_from_text(&self.delta_text)
    }

    /// The study seed, `None` for a release; an unreadable seed is an error.
    pub fn seed(&self) -> Result<Option<u64>, String> {
        super::format::study_seed(self.use_seed, &self.seed_text)
    }

    /// The study's settings, or the form's first problem in a sentence.
    pub fn settings(&self) -> Result<SynthSettings, String> {
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(format!(
                "Epsilon must be a positive number, got {}.",
                self.epsilon
            ));
        }
        let mut settings = SynthSettings::new(self.epsilon, self.delta()?, self.seed()?);
        settings.order = self.order;
        settings.n_synthetic = (!self.as_many_as_training).then_some(self.n_synthetic);
        settings.estimator.max_iterations = self.estimator_iterations;
        settings.bootstrap_resamples = self.bootstrap_resamples;
        Ok(settings)
    }
}

impl SynthForm {
    /// The sweep's grid: the form's settings at each typed epsilon, seeded with
    /// `seed` (a sweep is a study), or the form's first problem.
    pub fn sweep_settings(&self, seed: u64) -> Result<SynthSweepSettings, String> {
        let epsilons =
            super::format::positive_numbers(&self.sweep_text, "an epsilon", "1, 3, 10, 30")?;
        let base = SynthSettings {
            seed: Some(seed),
            ..self.settings()?
        };
        Ok(SynthSweepSettings { base, epsilons })
    }
}

/// δ as typed ("1e-6"), or why the text is not one.
pub fn delta_from_text(text: &str) -> Result<f64, String> {
    let text = text.trim();
    match text.parse::<f64>() {
        Ok(delta) if delta > 0.0 && delta < 1.0 => Ok(delta),
        _ => Err(format!(
            "Delta \"{text}\" is not a number strictly between 0 and 1 (for example 1e-6)."
        )),
    }
}

/// A synthesis sweep's rows as they finish, then its result.
#[derive(Default)]
pub struct SynthSweepView {
    pub rows: Vec<SynthSweepRow>,
    pub result: Option<SynthSweepResult>,
    /// SHA-256 of the cohort file, once the sweep finished: the Trade-offs
    /// screen's budget ledger is kept by it.
    pub cohort_sha256: Option<String>,
}

/// The people a synthesis trains on: the larger half of the cohort.
pub fn training_size(n_samples: usize) -> usize {
    n_samples - n_samples / 2
}

/// Every sample's case/control status, or why synthesis cannot run on this
/// workspace (no phenotypes, unknown statuses, missing genotype calls).
pub fn prerequisites(workspace: &Workspace) -> Result<Vec<bool>, String> {
    let missing = workspace.data.summary.missing_calls;
    if missing > 0 {
        return Err(format!(
            "Synthesis needs complete genotypes, but {} of the cohort's calls are missing: \
             impute them first (for example with Beagle) and load the imputed file.",
            count(usize::try_from(missing).unwrap_or(usize::MAX))
        ));
    }
    let Some(phenotypes) = &workspace.phenotypes else {
        return Err(
            "Synthesis needs case/control statuses: add a phenotype table on the Data \
                    screen first."
                .into(),
        );
    };
    let unknown = phenotypes.status.iter().filter(|s| s.is_none()).count();
    if unknown > 0 {
        return Err(format!(
            "Synthesis needs every sample's case/control status, but {} no phenotype row or \
             an unknown status: complete the phenotype table and add it again on the Data \
             screen.",
            plural(unknown, "sample has", "samples have")
        ));
    }
    Ok(phenotypes.status.iter().map(|s| s == &Some(true)).collect())
}

/// The loaded cohort as the input of a synthesis, here or in a cross-silo
/// session: its genotypes, every sample's status, and the two files they came
/// from (whose checksums the manifest records).
pub(super) struct CohortData {
    pub matrix: GenotypeMatrix,
    pub is_case: Vec<bool>,
    pub genotypes: PathBuf,
    pub phenotypes: PathBuf,
}

impl CohortData {
    /// The workspace's cohort, or why it cannot be synthesized.
    pub(super) fn load(workspace: &Workspace) -> Result<Self, String> {
        let is_case = prerequisites(workspace)?;
        let phenotypes = workspace.phenotypes_file.clone().ok_or_else(|| {
            "Synthesis needs the phenotype table's file: add it again on the Data screen."
                .to_owned()
        })?;
        Ok(Self {
            matrix: workspace.data.dataset.matrix.clone(),
            is_case,
            genotypes: workspace.data.dataset.source.clone(),
            phenotypes,
        })
    }

    /// SHA-256 of the genotypes (the `.bed` of a PLINK set) and of the
    /// phenotype table, in that order.
    pub(super) fn checksums(&self, job: Job<'_>) -> Result<(String, String), Error> {
        job.checkpoint("Computing the inputs' checksums", None)?;
        let genotypes = crate::cli::sha256_file(&first_file(&self.genotypes), job)?;
        let phenotypes = crate::cli::sha256_file(&self.phenotypes, job)?;
        Ok((genotypes, phenotypes))
    }

    /// Every file the cohort was read from: an export must not overwrite them.
    pub(super) fn files(&self) -> Vec<PathBuf> {
        let mut files = super::protect::files_of(&self.genotypes);
        files.push(self.phenotypes.clone());
        files
    }
}

/// What a cached noise check was computed from.
#[derive(Clone, Debug, PartialEq)]
struct CheckInputs {
    epsilon: f64,
    delta_text: String,
    order: usize,
    n_variants: usize,
    n_training: usize,
}

/// The "needed n" check of `form`'s budget for `n_variants` SNPs and a
/// training half of `n_training` people.
fn planned_check(
    form: &SynthForm,
    n_variants: usize,
    n_training: usize,
) -> Result<CellNoiseCheck, String> {
    let delta = form.delta()?;
    let structure = match form.order {
        1 => Structure::TanChain,
        _ => Structure::SecondOrderTanChain,
    };
    plan(
        form.epsilon,
        delta,
        structure,
        2,
        MissingPolicy::Reject.n_states(),
        n_variants,
    )
    .map(|p| cell_noise_check(&p, n_training, delta))
    .map_err(|e| format!("These settings cannot be used: {e}."))
}

/// A finished synthesis with what the screen draws of it.
pub struct Synthesis {
    /// The settings it was made with: the screen flags results the form no longer matches.
    pub settings: SynthSettings,
    pub outcome: Arc<SynthOutcome>,
    pub charts: SynthCharts,
    /// The files it was made from: an export must not overwrite them.
    pub input_files: Vec<PathBuf>,
}

/// The job the Synthesize side is running (one at a time).
pub enum SynthTask {
    Run(BackgroundJob<Box<Synthesis>>),
    Sweep(
        BackgroundJob<Box<(SynthSweepResult, String)>>,
        Receiver<SynthSweepRow>,
    ),
    Export(BackgroundJob<SynthFiles>),
}

impl SynthTask {
    pub fn title(&self) -> &str {
        match self {
            SynthTask::Run(job) => &job.title,
            SynthTask::Sweep(job, _) => &job.title,
            SynthTask::Export(job) => &job.title,
        }
    }

    pub fn progress(&self) -> (&str, Option<f32>) {
        match self {
            SynthTask::Run(job) => (&job.stage, job.fraction),
            SynthTask::Sweep(job, _) => (&job.stage, job.fraction),
            SynthTask::Export(job) => (&job.stage, job.fraction),
        }
    }
}

/// What the Synthesize controls ask for; applied after drawing.
pub enum SynthAction {
    Run,
    Sweep,
    Cancel,
    Export,
    DismissNotice,
    /// One of the cross-silo wizard's actions.
    Silo(SiloAction),
}

/// The Synthesize side's state.
#[derive(Default)]
pub struct SynthPanel {
    pub form: SynthForm,
    pub result: Option<Synthesis>,
    pub sweep: Option<SynthSweepView>,
    pub task: Option<SynthTask>,
    pub notice: Option<ProtectNotice>,
    pub exported: Option<SynthFiles>,
    /// Chart or table, per chart.
    pub ld_table: bool,
    pub frequency_table: bool,
    /// The "needed n" check of the form's settings, recomputed when they change.
    check: Option<(CheckInputs, Result<CellNoiseCheck, String>)>,
    /// Synthesis together with other sites.
    pub silo: SiloPanel,
}

impl SynthPanel {
    /// A new cohort or phenotype join drops the results (and stops a running job).
    pub fn forget_results(&mut self) {
        self.result = None;
        self.sweep = None;
        self.task = None;
        self.notice = None;
        self.exported = None;
        self.check = None;
        self.silo.forget();
    }

    pub fn is_busy(&self) -> bool {
        self.task.is_some() || self.silo.is_busy()
    }

    /// What the form's budget does to a cohort of `n_samples` × `n_variants`,
    /// before running (spec §4.5: per-cell noise against the counts).
    pub fn noise_check(
        &mut self,
        n_samples: usize,
        n_variants: usize,
    ) -> &Result<CellNoiseCheck, String> {
        let inputs = CheckInputs {
            epsilon: self.form.epsilon,
            delta_text: self.form.delta_text.clone(),
            order: self.form.order,
            n_variants,
            n_training: training_size(n_samples),
        };
        if self.check.as_ref().is_some_and(|(was, _)| *was != inputs) {
            self.check = None;
        }
        let form = &self.form;
        let (_, result) = self.check.get_or_insert_with(|| {
            let result = planned_check(form, n_variants, inputs.n_training);
            (inputs, result)
        });
        result
    }

    /// Applies one of the side's actions (the export asks for a file name first).
    pub fn apply(&mut self, action: SynthAction, workspace: &Workspace, ctx: &egui::Context) {
        match action {
            SynthAction::Run => self.run(workspace, ctx),
            SynthAction::Sweep => self.run_sweep(workspace, ctx),
            SynthAction::Cancel => self.cancel(),
            SynthAction::DismissNotice => self.notice = None,
            SynthAction::Silo(action) => self.silo.apply(action, workspace, ctx),
            SynthAction::Export => {
                if let Some(path) = ask_export_path() {
                    self.export(path, ctx);
                }
            }
        }
    }

    /// Starts a synthesis of the loaded cohort on a worker.
    pub fn run(&mut self, workspace: &Workspace, ctx: &egui::Context) {
        let checked =
            CohortData::load(workspace).and_then(|data| Ok((data, self.form.settings()?)));
        let (data, settings) = match checked {
            Ok(checked) => checked,
            Err(message) => {
                self.notice = Some(ProtectNotice::Problem(message));
                return;
            }
        };
        let input_files = data.files();
        let work = move |job: Job<'_>| -> Result<Box<Synthesis>, Error> {
            let (genotypes_sha256, pheno_sha256) = data.checksums(job)?;
            let CohortData {
                matrix: real,
                is_case,
                genotypes,
                phenotypes,
            } = data;
            let variants = real.variants().to_vec();
            let mut outcome = run_synth_study(&SynthInputs { real, is_case }, &settings, job)?;
            record_inputs(
                &mut outcome.report,
                &genotypes,
                genotypes_sha256,
                &phenotypes,
                pheno_sha256,
            );
            job.checkpoint("Drawing the charts", None)?;
            let charts = SynthCharts::compute(&variants, &outcome);
            Ok(Box::new(Synthesis {
                settings,
                outcome: Arc::new(outcome),
                charts,
                input_files,
            }))
        };
        let title = "Synthesizing".to_owned();
        self.start(title, ctx, |title, ctx| {
            BackgroundJob::spawn(title, ctx, work).map(SynthTask::Run)
        });
    }

    /// Starts a synthesis sweep on a worker; its rows appear as they finish. Without
    /// a study seed, one is drawn from the operating system and recorded.
    pub fn run_sweep(&mut self, workspace: &Workspace, ctx: &egui::Context) {
        let checked = prerequisites(workspace).and_then(|is_case| {
            let seed = self.form.seed()?;
            self.form.sweep_settings(0)?;
            Ok((is_case, seed))
        });
        let (is_case, fixed_seed) = match checked {
            Ok(checked) => checked,
            Err(message) => {
                self.notice = Some(ProtectNotice::Problem(message));
                return;
            }
        };
        let form = self.form.clone();
        let real = workspace.data.dataset.matrix.clone();
        let cohort_file = first_file(&workspace.data.dataset.source);
        let (row_tx, row_rx) = crossbeam_channel::unbounded();
        let row_ctx = ctx.clone();
        let work = move |job: Job<'_>| -> Result<Box<(SynthSweepResult, String)>, Error> {
            let seed = match fixed_seed {
                Some(seed) => seed,
                None => os_seed()?,
            };
            let settings = form.sweep_settings(seed).map_err(Error::Parameter)?;
            let on_row = move |row: &SynthSweepRow| {
                // The side may have dropped the sweep (cancelled): nothing to tell.
                let _ = row_tx.send(row.clone());
                row_ctx.request_repaint();
            };
            let inputs = SynthInputs { real, is_case };
            let result = run_synth_sweep(&inputs, &settings, &on_row, job)?;
            let cohort_sha256 = crate::cli::sha256_file(&cohort_file, job)?;
            Ok(Box::new((result, cohort_sha256)))
        };
        self.start("Sweeping epsilon (synthesis)".into(), ctx, |title, ctx| {
            BackgroundJob::spawn(title, ctx, work).map(|job| SynthTask::Sweep(job, row_rx))
        });
        // Rows stream in from now on; a worker that did not start left a notice.
        self.sweep = self.task.is_some().then(SynthSweepView::default);
    }

    /// Writes the synthetic genotypes to `data` (format from its name) with
    /// `OUT.pheno.tsv`, `OUT.manifest.json` beside them and the report as
    /// `<name>.report.json`, all atomically, on a worker.
    pub fn export(&mut self, data: PathBuf, ctx: &egui::Context) {
        let Some(result) = &self.result else {
            self.notice = Some(ProtectNotice::Problem(
                "Run a synthesis first: there is nothing to export yet.".into(),
            ));
            return;
        };
        let report = report_path_for(&data);
        let outcome = Arc::clone(&result.outcome);
        let inputs = result.input_files.clone();
        let work = move |job: Job<'_>| -> Result<SynthFiles, Error> {
            let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
            SynthOutputs::claim(&data, &report, &input_refs)?.write(&outcome, &input_refs, job)
        };
        self.exported = None;
        self.start("Exporting the synthetic data".into(), ctx, |title, ctx| {
            BackgroundJob::spawn(title, ctx, work).map(SynthTask::Export)
        });
    }

    pub fn cancel(&mut self) {
        if let Some(task) = self.task.take() {
            if matches!(task, SynthTask::Sweep(..)) {
                self.sweep = None;
            }
            self.notice = Some(ProtectNotice::Note(format!(
                "{} was cancelled; nothing was changed.",
                task.title()
            )));
        }
    }

    fn start(
        &mut self,
        title: String,
        ctx: &egui::Context,
        spawn: impl FnOnce(String, &egui::Context) -> std::io::Result<SynthTask>,
    ) {
        start_task(&mut self.task, &mut self.notice, title, ctx, spawn);
    }

    /// Takes what the running job sent since the last frame.
    pub fn poll(&mut self) {
        self.silo.poll();
        let Some(task) = &mut self.task else { return };
        match task {
            SynthTask::Run(job) => {
                let Some(outcome) = job.poll() else { return };
                self.task = None;
                if let Some(done) = self.finished(outcome, "The synthesis failed") {
                    self.result = Some(*done);
                    self.exported = None;
                }
            }
            SynthTask::Sweep(job, rows) => {
                if let Some(view) = &mut self.sweep {
                    view.rows.extend(rows.try_iter());
                }
                let Some(outcome) = job.poll() else { return };
                self.task = None;
                match self.finished(outcome, "The synthesis sweep failed") {
                    Some(done) => {
                        let (result, cohort_sha256) = *done;
                        self.sweep = Some(SynthSweepView {
                            rows: result.rows.clone(),
                            result: Some(result),
                            cohort_sha256: Some(cohort_sha256),
                        });
                    }
                    None => self.sweep = None,
                }
            }
            SynthTask::Export(job) => {
                let Some(outcome) = job.poll() else { return };
                self.task = None;
                self.exported = self.finished(outcome, "The export failed");
            }
        }
    }

    /// A finished job's value, or its failure as the side's notice.
    fn finished<T>(&mut self, outcome: Outcome<T>, failed: &str) -> Option<T> {
        match outcome {
            Outcome::Finished(Ok(value)) => Some(value),
            Outcome::Finished(Err(e)) => {
                self.notice = Some(ProtectNotice::Problem(format!("{failed}: {e}.")));
                None
            }
            Outcome::Vanished => {
                self.notice = Some(ProtectNotice::Problem(format!(
                    "{failed}: the worker stopped without a result. This is a bug in GenoPriv; \
                     please report it."
                )));
                None
            }
        }
    }
}

/// Where to export synthetic data, asked in a save dialog: synchronous and on
/// the main thread, as rfd requires on some platforms.
pub(super) fn ask_export_path() -> Option<std::path::PathBuf> {
    rfd::FileDialog::new()
        .set_title("Export the synthetic data")
        .set_file_name("synthetic.vcf.gz")
        .add_filter("Compressed VCF", &["vcf.gz", "gz"])
        .add_filter("PLINK, CSV, TSV", &["bed", "csv", "tsv"])
        .save_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_settings_follow_the_fields() -> Result<(), String> {
        let mut form = SynthForm::default();
        let defaults = form.settings()?;
        assert_eq!(defaults, SynthSettings::new(3.0, 1e-6, None));
        form.order = 2;
        form.as_many_as_training = false;
        form.n_synthetic = 1234;
        form.use_seed = true;
        form.seed_text = "9".into();
        form.estimator_iterations = 40;
        form.bootstrap_resamples = 60;
        let s = form.settings()?;
        assert_eq!(
            (s.order, s.n_synthetic, s.seed, s.estimator.max_iterations),
            (2, Some(1234), Some(9), 40)
        );
        assert_eq!(s.bootstrap_resamples, 60);
        Ok(())
    }

    #[test]
    fn bad_delta_and_epsilon_are_explained() {
        let mut form = SynthForm {
            delta_text: "0".into(),
            ..SynthForm::default()
        };
        assert!(
            form.settings()
                .is_err_and(|m| m.contains("Delta \"0\" is not"))
        );
        form.delta_text = " 1e-9 ".into();
        assert_eq!(form.delta(), Ok(1e-9));
        form.epsilon = 0.0;
        assert!(
            form.settings()
                .is_err_and(|m| m.contains("Epsilon must be a positive number"))
        );
    }

    #[test]
    fn the_training_half_is_the_larger_half() {
        assert_eq!(training_size(600), 300);
        assert_eq!(training_size(601), 301);
    }
}
