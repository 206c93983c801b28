//! The Protect screen's state: the release settings, the prepared study cached
//! between runs, and the jobs (release, sweep, export) that run on workers.
//!
//! Drawing lives in [`super::protect_view`] and [`super::protect_charts`]; the
//! figures and most sentences come from `genopriv_core::study` and
//! `genopriv_core::explain`, so the window and the exported report agree.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam_channel::Receiver;
use genopriv_core::data::read::read_genotypes;
use genopriv_core::data::write::{AtomicFile, write_genotypes_with_meta};
use genopriv_core::data::{GenotypeFormat, ReadOptions, plink_paths};
use genopriv_core::sharing::NoiseKey;
use genopriv_core::study::{
    Budget, Mechanism, ShareInputs, ShareOutcome, ShareSettings, ShareStudy, SweepResult, SweepRow,
    SweepSettings, TargetChoice, os_seed, run_sweep,
};
use genopriv_core::{Error, Job};

use super::app::Workspace;
use super::jobs::{BackgroundJob, Outcome};
use super::protect_charts::ReleaseCharts;
use super::sample_data::locate_sample_data;
use super::synth::{SynthAction, SynthPanel};

/// What the Protect screen makes of the cohort.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProtectMode {
    /// A perturbed copy of the real genotypes (XOR, randomized response).
    #[default]
    Share,
    /// Differentially private synthetic genotypes.
    Synthesize,
}

/// How the epsilon on the slider is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpsilonUnitChoice {
    /// One person's budget over all SNPs (what the XOR mechanism takes).
    Total,
    /// Per SNP (PROVGEN's "effective" epsilon; total = per SNP x SNPs).
    PerSnp,
}

/// Where the restoration target frequencies come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// The public reference panel's frequencies: no privacy cost (the default).
    Reference,
    /// The cohort's frequencies with DP noise, their epsilon added to the budget.
    DifferentiallyPrivate,
    /// The cohort's exact frequencies: a disclosure epsilon does not cover.
    Raw,
}

/// The settings a steward chooses on the Protect screen.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtectForm {
    pub mechanism: Mechanism,
    pub unit: EpsilonUnitChoice,
    /// The epsilon in `unit`.
    pub epsilon: f64,
    pub targets: TargetKind,
    /// Budget of differentially private target frequencies.
    pub targets_epsilon: f64,
    pub panel: Option<PathBuf>,
    /// Study mode: reproducible noise from this seed; the output is not for release.
    pub use_seed: bool,
    pub seed_text: String,
    /// The sweep's grid, per SNP.
    pub sweep_per_snp: Vec<f64>,
    pub sweep_repeats: usize,
}

/// Per-SNP epsilons of the default sweep: 0.25 to 32, doubling.
pub const DEFAULT_SWEEP_PER_SNP: [f64; 8] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
const DEFAULT_SWEEP_REPEATS: usize = 2;

impl Default for ProtectForm {
    fn default() -> Self {
        Self {
            mechanism: Mechanism::Xor,
            unit: EpsilonUnitChoice::PerSnp,
            epsilon: 1.0,
            targets: TargetKind::Reference,
            targets_epsilon: 1.0,
            panel: None,
            use_seed: false,
            seed_text: String::new(),
            sweep_per_snp: DEFAULT_SWEEP_PER_SNP.to_vec(),
            sweep_repeats: DEFAULT_SWEEP_REPEATS,
        }
    }
}

impl ProtectForm {
    pub fn budget(&self) -> Budget {
        match self.unit {
            EpsilonUnitChoice::Total => Budget::Total(self.epsilon),
            EpsilonUnitChoice::PerSnp => Budget::PerSnp(self.epsilon),
        }
    }

    /// Switches the unit keeping the same budget.
    pub fn set_unit(&mut self, unit: EpsilonUnitChoice, n_variants: usize) {
        if unit == self.unit {
            return;
        }
        self.epsilon = match unit {
            EpsilonUnitChoice::Total => self.budget().total(n_variants),
            EpsilonUnitChoice::PerSnp => self.budget().per_snp(n_variants),
        };
        self.unit = unit;
    }

    pub fn target_choice(&self) -> TargetChoice {
        match self.targets {
            TargetKind::Reference => TargetChoice::Reference,
            TargetKind::DifferentiallyPrivate => TargetChoice::DifferentiallyPrivate {
                epsilon: self.targets_epsilon,
            },
            TargetKind::Raw => TargetChoice::Raw,
        }
    }

    pub fn settings(&self) -> ShareSettings {
        ShareSettings {
            mechanism: self.mechanism,
            budget: self.budget(),
            targets: self.target_choice(),
        }
    }

    /// The study seed, `None` for a release; an unreadable seed is an error.
    pub fn seed(&self) -> Result<Option<u64>, String> {
        super::format::study_seed(self.use_seed, &self.seed_text)
    }
}

/// What a prepared study was prepared from: reuse it only while this is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PreparedFor {
    workspace: u64,
    panel: Option<PathBuf>,
}

/// The epsilon-independent work (panel alignment, calibration, original GWAS)
/// and the checksums that go into every report.
pub struct Prepared {
    for_inputs: PreparedFor,
    pub study: ShareStudy,
    pub input_sha256: String,
    pub reference_sha256: Option<String>,
    /// The files the release was made from: an export must not overwrite them.
    pub input_files: Vec<PathBuf>,
}

/// One release with what the screen draws of it.
pub struct Release {
    /// The settings it was made with: the screen flags results the form no longer matches.
    pub settings: ShareSettings,
    pub outcome: ShareOutcome,
    pub charts: ReleaseCharts,
    pub input_files: Vec<PathBuf>,
}

/// A sweep: rows stream in while it runs; the result arrives at the end.
#[derive(Default)]
pub struct SweepView {
    pub rows: Vec<SweepRow>,
    pub result: Option<SweepResult>,
    pub n_variants: usize,
}

/// Where an export went.
pub struct Exported {
    pub data: PathBuf,
    pub report: PathBuf,
}

type ReleaseJobResult = Box<(Arc<Prepared>, Release)>;
type SweepJobResult = Box<(Arc<Prepared>, SweepResult)>;

/// The job the screen is running (one at a time).
pub enum Task {
    Release(BackgroundJob<ReleaseJobResult>),
    Sweep(BackgroundJob<SweepJobResult>, Receiver<SweepRow>),
    Export(BackgroundJob<Exported>),
}

impl Task {
    pub fn title(&self) -> &str {
        match self {
            Task::Release(job) => &job.title,
            Task::Sweep(job, _) => &job.title,
            Task::Export(job) => &job.title,
        }
    }

    pub fn progress(&self) -> (&str, Option<f32>) {
        match self {
            Task::Release(job) => (&job.stage, job.fraction),
            Task::Sweep(job, _) => (&job.stage, job.fraction),
            Task::Export(job) => (&job.stage, job.fraction),
        }
    }
}

/// A message on the Protect screen.
pub enum ProtectNotice {
    Problem(String),
    Note(String),
}

/// What the Protect screen's controls ask for; applied after drawing.
pub enum ProtectAction {
    Run,
    Sweep,
    Cancel,
    PickPanel,
    UseBundledPanel,
    UseRecommended {
        per_snp: f64,
    },
    Export,
    DismissNotice,
    /// One of the Synthesize side's actions.
    Synth(SynthAction),
}

/// The Protect screen.
#[derive(Default)]
pub struct ProtectScreen {
    /// Share a perturbed copy or synthesize.
    pub mode: ProtectMode,
    pub form: ProtectForm,
    /// The Synthesize side: its settings, results and jobs.
    pub synth: SynthPanel,
    /// The workspace the screen last saw; a change drops results and caches.
    workspace: u64,
    /// The bundled demo panel, offered when the bundled sample cohort is loaded.
    pub bundled_panel: Option<PathBuf>,
    prepared: Option<Arc<Prepared>>,
    pub release: Option<Release>,
    pub sweep: Option<SweepView>,
    pub task: Option<Task>,
    pub notice: Option<ProtectNotice>,
    pub exported: Option<Exported>,
    /// Chart or table, per chart.
    pub manhattan_table: bool,
    pub frequency_table: bool,
    pub sweep_table: bool,
}

impl ProtectScreen {
    /// Follows the loaded workspace: a new cohort or phenotype join invalidates the
    /// prepared study and the results (and stops a job working on the old one).
    pub fn follow(&mut self, generation: u64, workspace: Option<&Workspace>) {
        if generation == self.workspace {
            return;
        }
        self.workspace = generation;
        self.prepared = None;
        self.release = None;
        self.sweep = None;
        self.task = None;
        self.exported = None;
        self.notice = None;
        self.synth.forget_results();
        let old_bundled = self.bundled_panel.take();
        self.bundled_panel = workspace.and_then(|ws| {
            let sample = locate_sample_data().ok()?;
            let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            };
            (same(&ws.data.dataset.source, &sample.genotypes) && sample.reference_panel.is_file())
                .then_some(sample.reference_panel)
        });
        // The bundled panel fits only the bundled cohort; a panel the user chose stays.
        if self.form.panel.is_some()
            && self.form.panel == old_bundled
            && self.bundled_panel.is_none()
        {
            self.form.panel = None;
        }
    }

    pub fn is_busy(&self) -> bool {
        self.task.is_some() || self.synth.is_busy()
    }

    /// Whether runs can reuse the prepared study (for the screen and tests).
    pub fn has_prepared_study(&self) -> bool {
        self.prepared.is_some()
    }

    /// SHA-256 of the cohort file the prepared study read: the key of its budget ledger.
    pub fn input_sha256(&self) -> Option<&str> {
        self.prepared.as_ref().map(|p| p.input_sha256.as_str())
    }

    pub fn set_panel(&mut self, panel: Option<PathBuf>) {
        if panel != self.form.panel {
            self.form.panel = panel;
            self.prepared = None;
        }
    }

    /// The prepared study if it fits the current inputs.
    fn reusable(&self) -> Option<Arc<Prepared>> {
        let wanted = PreparedFor {
            workspace: self.workspace,
            panel: self.form.panel.clone(),
        };
        self.prepared
            .as_ref()
            .filter(|p| p.for_inputs == wanted)
            .cloned()
    }

    /// Starts one release of the loaded cohort on a worker.
    pub fn run_release(&mut self, workspace: &Workspace, ctx: &egui::Context) {
        let seed = match self.form.seed() {
            Ok(seed) => seed,
            Err(message) => {
                self.notice = Some(ProtectNotice::Problem(message));
                return;
            }
        };
        let settings = self.form.settings();
        let preparation = self.preparation(workspace);
        let work = move |job: Job<'_>| -> Result<ReleaseJobResult, Error> {
            let prepared = preparation.get(job)?;
            let key = match seed {
                Some(seed) => NoiseKey::from_seed(seed),
                None => NoiseKey::from_os()?,
            };
            job.checkpoint("Releasing and measuring", None)?;
            let mut outcome = prepared.study.run(&settings, &key, job)?;
            outcome.report.input_sha256 = Some(prepared.input_sha256.clone());
            outcome.report.reference_sha256 = prepared.reference_sha256.clone();
            job.checkpoint("Drawing the charts", None)?;
            let charts = ReleaseCharts::compute(prepared.study.private(), &outcome);
            let release = Release {
                settings,
                outcome,
                charts,
                input_files: prepared.input_files.clone(),
            };
            Ok(Box::new((prepared, release)))
        };
        let title = format!("Releasing with the {}", self.form.mechanism.label());
        self.start(title, ctx, |title, ctx| {
            BackgroundJob::spawn(title, ctx, work).map(Task::Release)
        });
    }

    /// Starts a sweep over the form's grid: XOR (or randomized response) and the
    /// coin-flip control, rows streaming in as they finish.
    pub fn run_sweep(&mut self, workspace: &Workspace, ctx: &egui::Context) {
        let mechanism = match self.form.mechanism {
            Mechanism::CoinFlip => Mechanism::Xor,
            m => m,
        };
        let budgets: Vec<Budget> = self
            .form
            .sweep_per_snp
            .iter()
            .map(|&e| Budget::PerSnp(e))
            .collect();
        let targets = self.form.target_choice();
        let repeats = self.form.sweep_repeats;
        let fixed_seed = match self.form.seed() {
            Ok(seed) => seed,
            Err(message) => {
                self.notice = Some(ProtectNotice::Problem(message));
                return;
            }
        };
        let preparation = self.preparation(workspace);
        let (row_tx, row_rx) = crossbeam_channel::unbounded();
        let row_ctx = ctx.clone();
        let work = move |job: Job<'_>| -> Result<SweepJobResult, Error> {
            let prepared = preparation.get(job)?;
            let seed = match fixed_seed {
                Some(seed) => seed,
                None => os_seed()?,
            };
            let settings = SweepSettings {
                mechanisms: vec![mechanism, Mechanism::CoinFlip],
                budgets,
                targets,
                repeats,
                seed,
            };
            let on_row = move |row: &SweepRow| {
                // The screen may have dropped the sweep (cancelled): nothing to tell.
                let _ = row_tx.send(row.clone());
                row_ctx.request_repaint();
            };
            let result = run_sweep(&prepared.study, &settings, &on_row, job)?;
            Ok(Box::new((prepared, result)))
        };
        self.sweep = Some(SweepView {
            n_variants: workspace.data.summary.n_variants,
            ..SweepView::default()
        });
        self.start("Sweeping epsilon".into(), ctx, |title, ctx| {
            BackgroundJob::spawn(title, ctx, work).map(|job| Task::Sweep(job, row_rx))
        });
    }

    /// Writes the shared dataset to `data` (format from its name; `.vcf.gz` by
    /// default) and its JSON report beside it as `<name>.report.json`, both
    /// atomically, on a worker.
    pub fn export_release(&mut self, data: PathBuf, ctx: &egui::Context) {
        let Some(release) = &self.release else {
            self.notice = Some(ProtectNotice::Problem(
                "Run a release first: there is nothing to export yet.".into(),
            ));
            return;
        };
        let report_path = report_path_for(&data);
        let released = release.outcome.released.clone();
        let report = release.outcome.report.clone();
        let inputs = release.input_files.clone();
        let work = move |job: Job<'_>| -> Result<Exported, Error> {
            let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
            // Claim the report's name first: it fails early if it would replace an input.
            let mut report_file = AtomicFile::create(&report_path, &input_refs)?;
            let meta = crate::cli::share::vcf_meta(&report);
            write_genotypes_with_meta(&released, &data, &input_refs, &meta, job)?;
            let text = serde_json::to_string_pretty(&report).map_err(|e| {
                Error::invalid(
                    &report_path,
                    format!("the report could not be encoded: {e}"),
                )
            })?;
            writeln!(report_file, "{text}").map_err(|e| Error::io(&report_path, e))?;
            report_file.commit()?;
            Ok(Exported {
                data,
                report: report_path,
            })
        };
        self.exported = None;
        self.start("Exporting the shared dataset".into(), ctx, |title, ctx| {
            BackgroundJob::spawn(title, ctx, work).map(Task::Export)
        });
    }

    pub fn cancel(&mut self) {
        if let Some(task) = self.task.take() {
            if matches!(task, Task::Sweep(..)) {
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
        spawn: impl FnOnce(String, &egui::Context) -> std::io::Result<Task>,
    ) {
        start_task(&mut self.task, &mut self.notice, title, ctx, spawn);
    }

    /// What a job needs to get a prepared study: the cached one, or the inputs to
    /// prepare it.
    fn preparation(&self, workspace: &Workspace) -> Preparation {
        match self.reusable() {
            Some(prepared) => Preparation::Cached(prepared),
            None => Preparation::Fresh(Box::new(FreshInputs {
                for_inputs: PreparedFor {
                    workspace: self.workspace,
                    panel: self.form.panel.clone(),
                },
                cohort: workspace.data.dataset.matrix.clone(),
                cohort_file: workspace.data.dataset.source.clone(),
                case_status: workspace.phenotypes.as_ref().map(|p| p.status.clone()),
            })),
        }
    }

    /// Takes what the running job sent since the last frame.
    pub fn poll(&mut self) {
        self.synth.poll();
        let Some(task) = &mut self.task else { return };
        match task {
            Task::Release(job) => {
                let Some(outcome) = job.poll() else { return };
                self.task = None;
                if let Some(done) = self.finished(outcome, "The release failed") {
                    let (prepared, release) = *done;
                    self.prepared = Some(prepared);
                    self.release = Some(release);
                    self.exported = None;
                }
            }
            Task::Sweep(job, rows) => {
                if let Some(view) = &mut self.sweep {
                    view.rows.extend(rows.try_iter());
                }
                let Some(outcome) = job.poll() else { return };
                self.task = None;
                match self.finished(outcome, "The sweep failed") {
                    Some(done) => {
                        let (prepared, result) = *done;
                        self.prepared = Some(prepared);
                        if let Some(view) = &mut self.sweep {
                            view.rows.clone_from(&result.rows);
                            view.result = Some(result);
                        }
                    }
                    None => self.sweep = None,
                }
            }
            Task::Export(job) => {
                let Some(outcome) = job.poll() else { return };
                self.task = None;
                self.exported = self.finished(outcome, "The export failed");
            }
        }
    }

    /// A finished job's value, or its failure as the screen's notice.
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

/// `shared.vcf.gz` -> `shared.report.json` in the same folder.
pub fn report_path_for(data: &Path) -> PathBuf {
    let name = data
        .file_name()
        .map_or_else(|| "shared".to_owned(), |n| n.to_string_lossy().into_owned());
    let stem = [".vcf.gz", ".vcf.bgz", ".vcf", ".bed", ".csv", ".tsv"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(&name)
        .to_owned();
    data.with_file_name(format!("{stem}.report.json"))
}

/// The inputs of a study not prepared yet.
struct FreshInputs {
    for_inputs: PreparedFor,
    cohort: genopriv_core::data::GenotypeMatrix,
    cohort_file: PathBuf,
    case_status: Option<Vec<Option<bool>>>,
}

enum Preparation {
    Cached(Arc<Prepared>),
    Fresh(Box<FreshInputs>),
}

impl Preparation {
    /// The prepared study, preparing it on this (worker) thread if needed.
    fn get(self, job: Job<'_>) -> Result<Arc<Prepared>, Error> {
        let fresh = match self {
            Preparation::Cached(prepared) => return Ok(prepared),
            Preparation::Fresh(fresh) => *fresh,
        };
        let mut input_files = files_of(&fresh.cohort_file);
        let input_sha256 = crate::cli::sha256_file(&first_file(&fresh.cohort_file), job)?;
        let mut inputs = ShareInputs::new(fresh.cohort);
        inputs.case_status = fresh.case_status;
        let mut reference_sha256 = None;
        if let Some(panel) = &fresh.for_inputs.panel {
            job.checkpoint("Reading the reference panel", None)?;
            let dataset = read_genotypes(panel, &ReadOptions::default(), job)?;
            inputs.panel = Some(dataset.matrix);
            reference_sha256 = Some(crate::cli::sha256_file(&first_file(panel), job)?);
            input_files.extend(files_of(panel));
        }
        job.checkpoint("Calibrating the noise and running the original GWAS", None)?;
        let study = ShareStudy::prepare(inputs, job)?;
        Ok(Arc::new(Prepared {
            for_inputs: fresh.for_inputs,
            study,
            input_sha256,
            reference_sha256,
            input_files,
        }))
    }
}

/// Replaces `task` with the job `spawn` starts (the Share and Synthesize sides
/// run one job at a time each), or says in `notice` why it could not start.
pub(super) fn start_task<T>(
    task: &mut Option<T>,
    notice: &mut Option<ProtectNotice>,
    title: String,
    ctx: &egui::Context,
    spawn: impl FnOnce(String, &egui::Context) -> std::io::Result<T>,
) {
    *task = None;
    *notice = None;
    match spawn(title.clone(), ctx) {
        Ok(started) => *task = Some(started),
        Err(e) => {
            *notice = Some(ProtectNotice::Problem(format!(
                "{title} could not start: the system refused to start a worker thread: {e}."
            )))
        }
    }
    ctx.request_repaint();
}

/// The files a genotype input consists of (a PLINK set is three).
pub(super) fn files_of(path: &Path) -> Vec<PathBuf> {
    match GenotypeFormat::from_path(path) {
        Ok(GenotypeFormat::PlinkBed) => {
            let (bed, bim, fam) = plink_paths(path);
            vec![bed, bim, fam]
        }
        _ => vec![path.to_path_buf()],
    }
}

/// The file whose bytes identify an input (the `.bed` of a PLINK set).
pub(super) fn first_file(path: &Path) -> PathBuf {
    files_of(path)
        .into_iter()
        .next()
        .unwrap_or_else(|| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_switch_keeps_the_budget() {
        let mut form = ProtectForm {
            epsilon: 2.0,
            ..ProtectForm::default()
        };
        form.set_unit(EpsilonUnitChoice::Total, 10_946);
        assert_eq!(form.budget(), Budget::Total(21_892.0));
        form.set_unit(EpsilonUnitChoice::PerSnp, 10_946);
        assert_eq!(form.budget(), Budget::PerSnp(2.0));
    }

    #[test]
    fn seeds_are_parsed_or_explained() {
        let mut form = ProtectForm::default();
        assert_eq!(form.seed(), Ok(None));
        form.use_seed = true;
        form.seed_text = " 42 ".into();
        assert_eq!(form.seed(), Ok(Some(42)));
        form.seed_text = "-1".into();
        assert!(
            form.seed()
                .is_err_and(|m| m.contains("\"-1\" is not a whole number"))
        );
    }

    #[test]
    fn report_goes_beside_the_data() {
        assert_eq!(
            report_path_for(Path::new("/out/shared.vcf.gz")),
            PathBuf::from("/out/shared.report.json")
        );
        assert_eq!(
            report_path_for(Path::new("/out/copy.bed")),
            PathBuf::from("/out/copy.report.json")
        );
    }
}
