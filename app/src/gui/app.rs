//! The window: navigation, file actions, the loading job and notices.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{Align, Button, CentralPanel, Color32, Key, KeyboardShortcut, Layout, Modifiers, Panel};
use egui::{ProgressBar, RichText, ThemePreference, ViewportCommand};
use genopriv_core::data::{Dataset, GenotypeFormat, ReadOptions};
use genopriv_core::project::{CohortFiles, CohortOptions, Project, StudyRun};
use genopriv_core::{Error, Job};
use serde::{Deserialize, Serialize};

use super::audit::{AuditAction, AuditForm, AuditPlan, AuditScreen, AuditTask};
use super::format::{count, whole_percent};
use super::frame_times::FrameTimes;
use super::jobs::{BackgroundJob, Outcome};
use super::phenotypes::{self, PhenotypeSummary};
use super::project::{Failure, PendingStudy, ProjectEvent, ProjectSession};
use super::protect::{EpsilonUnitChoice, ProtectAction, ProtectForm, ProtectScreen, Task};
use super::report_screen::{ReportAction, ReportScreen};
use super::roles::{ROLE_NOTE, Role};
use super::sample_data::locate_sample_data;
use super::summary::{DataSummary, LoadedData};
use super::synth::SynthForm;
use super::tradeoffs::{TradeoffSource, TradeoffsScreen};
use super::{audit_view, data_screen, learn, protect_view, report_screen, tradeoffs_view, welcome};
use genopriv_core::study::audit_sweep::AuditSweepResult;
use genopriv_core::study::federated::FederatedAuditReport;
use genopriv_core::study::synth::SynthOutcome;
use genopriv_core::study::synth_sweep::SynthSweepResult;
use genopriv_core::study::{Mechanism, ModelAuditReport, ShareReport};

/// The genotype reader the window uses: `genopriv_core`'s by default; tests may
/// substitute one that is slow or fails on purpose.
pub type ReadFn =
    Arc<dyn Fn(&Path, &ReadOptions, Job<'_>) -> genopriv_core::Result<Dataset> + Send + Sync>;

/// The workflow's screens. Data, Report and Learn are always open; Protect and Audit need a
/// loaded cohort (and the Steward role); the others are shown, greyed, so that the
/// product's shape is visible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Screen {
    #[default]
    Data,
    Protect,
    Audit,
    TradeOffs,
    Report,
    Learn,
}

impl Screen {
    pub const ALL: [Screen; 6] = [
        Screen::Data,
        Screen::Protect,
        Screen::Audit,
        Screen::TradeOffs,
        Screen::Report,
        Screen::Learn,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Data => "Data",
            Screen::Protect => "Protect",
            Screen::Audit => "Audit",
            Screen::TradeOffs => "Trade-offs",
            Screen::Report => "Report",
            Screen::Learn => "Learn",
        }
    }

    /// Whether the screen can be opened; Protect needs a loaded cohort, Trade-offs
    /// a sweep (sharing or DP training) with at least one finished run.
    pub fn is_available(self, has_data: bool, has_sweep: bool) -> bool {
        match self {
            Screen::Data | Screen::Report | Screen::Learn => true,
            Screen::Protect | Screen::Audit => has_data,
            Screen::TradeOffs => has_data && has_sweep,
        }
    }

    /// Whether the screen runs or tunes studies (hidden from roles that only read).
    fn runs_studies(self) -> bool {
        matches!(self, Screen::Protect | Screen::Audit)
    }

    /// What the screen will do, for the hover text of a screen not built yet.
    fn purpose(self) -> &'static str {
        match self {
            Screen::Data => "Load a dataset and see what it holds",
            Screen::Protect => {
                "Share a perturbed copy of the cohort with differential privacy, and measure it"
            }
            Screen::Audit => "Audit a trained model: membership and case/control inference attacks",
            Screen::TradeOffs => "Privacy against usefulness, for several settings side by side",
            Screen::Report => {
                "The project's studies and the IRB report, with the sections you choose"
            }
            Screen::Learn => {
                "What each privacy technique protects against and costs, in plain words"
            }
        }
    }
}

/// What is remembered between sessions: display preferences only, never data,
/// results or file paths.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Preferences {
    theme: ThemePreference,
    screen: Screen,
    role: Role,
}

/// What to do when the window opens (from the command line).
#[derive(Clone, Debug, Default)]
pub struct Startup {
    pub open: Option<PathBuf>,
    pub phenotypes: Option<PathBuf>,
    pub sample_data: bool,
    pub project: Option<PathBuf>,
    /// `--frame-times`: where to write every frame's CPU time on exit.
    pub frame_times: Option<PathBuf>,
}

/// A loaded dataset and, once added, its phenotypes.
pub(super) struct Workspace {
    pub data: LoadedData,
    pub phenotypes: Option<PhenotypeSummary>,
    /// The phenotype table the statuses came from (a project records it).
    pub phenotypes_file: Option<PathBuf>,
}

/// A message to the user above the current screen.
enum Notice {
    Error { title: String, detail: String },
    Info { title: String, detail: String },
}

/// A genotype load's result: the data, and the phenotype join if one was asked for
/// (boxed: it is large and moves through a channel and an enum).
type GenotypeResult = Box<(LoadedData, Option<Result<PhenotypeSummary, Error>>)>;

/// The running job, the name of the file it reads and the phenotype table it joins.
enum Running {
    Genotypes(BackgroundJob<GenotypeResult>, String, Option<PathBuf>),
    Phenotypes(BackgroundJob<PhenotypeSummary>, String, PathBuf),
}

impl Running {
    fn title(&self) -> &str {
        match self {
            Running::Genotypes(job, ..) => &job.title,
            Running::Phenotypes(job, ..) => &job.title,
        }
    }

    fn progress(&self) -> (&str, Option<f32>) {
        match self {
            Running::Genotypes(job, ..) => (&job.stage, job.fraction),
            Running::Phenotypes(job, ..) => (&job.stage, job.fraction),
        }
    }
}

/// The project commands of the top bar's Project menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ProjectCommand {
    New,
    Open,
    Save,
    SaveAs,
}

/// What waits for the answer to "save the unsaved studies?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Close,
    New,
    Open,
}

/// What the screens ask the window to do; applied at the end of the frame.
pub(super) enum Action {
    LoadSampleData,
    PickGenotypes,
    PickPhenotypes,
    Cancel,
    DismissNotice,
    Show(Screen),
    Protect(ProtectAction),
    Audit(AuditAction),
    Report(ReportAction),
    Project(ProjectCommand),
    CancelProjectJob,
    DismissProjectNotice,
    /// The answer to the unsaved-changes question: save first, discard, or keep working.
    Unsaved(UnsavedChoice),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UnsavedChoice {
    Save,
    Discard,
    Back,
}

const OPEN_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
/// Closes the window (asking about unsaved work first), as desktop programs do.
const QUIT_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);

/// The GenoPriv desktop workbench.
pub struct GenoPrivApp {
    prefs: Preferences,
    ctx: egui::Context,
    read_genotypes: ReadFn,
    workspace: Option<Workspace>,
    running: Option<Running>,
    notice: Option<Notice>,
    /// The app icon, shown in the top bar.
    logo: Option<egui::TextureHandle>,
    /// Counts changes of the workspace (new cohort, phenotypes added), so that
    /// the Protect screen knows when its cached study is stale.
    workspace_generation: u64,
    protect: ProtectScreen,
    /// Whether the About box is showing.
    about_open: bool,
    audit: AuditScreen,
    project: ProjectSession,
    report: ReportScreen,
    /// Messages about the project (opened, inputs changed, a study not recorded).
    project_notice: Option<Notice>,
    /// The reference panel of the release and of the sweep last started: the
    /// project records what they read.
    release_panel: Option<PathBuf>,
    sweep_panel: Option<PathBuf>,
    /// A cohort loading because a project was opened: stay on the Report screen.
    loading_for_project: bool,
    /// An action waiting for the unsaved-changes question.
    confirm: Option<Pending>,
    /// Closing was confirmed: let the window close.
    may_close: bool,
    tradeoffs: TradeoffsScreen,
    frame_times: Option<FrameTimes>,
}

impl GenoPrivApp {
    pub fn new(cc: &eframe::CreationContext<'_>, startup: Startup) -> Self {
        let mut prefs: Preferences = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
            .unwrap_or_default();
        if !prefs.screen.is_available(false, false) {
            prefs.screen = Screen::Data;
        }
        if !prefs.role.runs_studies() && prefs.screen.runs_studies() {
            prefs.screen = Screen::Report;
        }
        // Set now to avoid a first frame in the wrong theme; `top_bar` keeps it set.
        cc.egui_ctx.set_theme(prefs.theme);
        let mut app = Self {
            prefs,
            ctx: cc.egui_ctx.clone(),
            read_genotypes: Arc::new(|path, options, job| {
                genopriv_core::data::read::read_genotypes(path, options, job)
            }),
            workspace: None,
            running: None,
            notice: None,
            logo: load_logo(&cc.egui_ctx),
            workspace_generation: 0,
            protect: ProtectScreen::default(),
            about_open: false,
            audit: AuditScreen::default(),
            project: ProjectSession::default(),
            report: ReportScreen::default(),
            project_notice: None,
            release_panel: None,
            sweep_panel: None,
            loading_for_project: false,
            confirm: None,
            may_close: false,
            tradeoffs: TradeoffsScreen::default(),
            frame_times: startup.frame_times.map(FrameTimes::new),
        };
        if startup.sample_data {
            app.load_sample_data();
        } else if let Some(path) = startup.open {
            app.open_genotypes(path, startup.phenotypes);
        } else if let Some(path) = startup.project {
            app.open_project(path);
        }
        app
    }

    /// Replaces the genotype reader (for tests). Affects loads started afterwards.
    pub fn with_reader(mut self, read: ReadFn) -> Self {
        self.read_genotypes = read;
        self
    }

    /// The screen on display.
    pub fn screen(&self) -> Screen {
        self.prefs.screen
    }

    /// True while a file is being loaded, a project saved or opened, a report
    /// written, or a Protect or Audit job runs.
    pub fn is_busy(&self) -> bool {
        self.running.is_some()
            || self.protect.is_busy()
            || self.audit.is_busy()
            || self.project.is_busy()
            || self.report.is_busy()
    }

    pub fn role(&self) -> Role {
        self.prefs.role
    }

    /// Switches role; a screen the role does not show gives way to the Report.
    pub fn set_role(&mut self, role: Role) {
        self.prefs.role = role;
        if !role.runs_studies() && self.prefs.screen.runs_studies() {
            self.prefs.screen = Screen::Report;
        }
    }

    /// Shows `screen` if it is open to the current role and data.
    pub fn show_screen(&mut self, screen: Screen) {
        self.apply(Action::Show(screen));
    }

    /// The project as last saved or opened.
    pub fn project(&self) -> &Project {
        &self.project.project
    }

    /// Where the project is saved, once it is.
    pub fn project_path(&self) -> Option<&Path> {
        self.project.path.as_deref()
    }

    /// Whether studies ran, or the candidates, decision, thresholds or ledgers
    /// changed, since the last save.
    pub fn has_unsaved_changes(&self) -> bool {
        self.project.has_unsaved_changes() || self.tradeoffs.differs_from(&self.project.project)
    }

    /// Starts a new, empty project, dropping unsaved studies (the menu asks first).
    pub fn new_project(&mut self) {
        self.project.reset();
        // The candidates and decision belonged to the old project.
        self.tradeoffs.load_from(&self.project.project);
        self.report.notice = None;
        self.project_notice = None;
    }

    /// Saves the project to `path` (what Save as… does after its dialog).
    pub fn save_project_as(&mut self, path: PathBuf) {
        // The steward's candidates, decision, thresholds and ledgers travel with it.
        let tradeoffs = &self.tradeoffs;
        self.project_notice = self
            .project
            .save_as(path, |project| tradeoffs.store_in(project), &self.ctx)
            .map(notice_of);
    }

    /// Opens the project at `path` (what Open… does after its dialog).
    pub fn open_project(&mut self, path: PathBuf) {
        self.project_notice = self.project.open(path, &self.ctx).map(notice_of);
    }

    /// Writes the report of the saved project to `out` (what Export… does after
    /// its dialog).
    pub fn export_report(&mut self, out: PathBuf) {
        let unsaved = self.has_unsaved_changes();
        self.report.export(&self.project, unsaved, out, &self.ctx);
    }

    /// The Audit screen's settings (tests set them without the widgets).
    pub fn audit_form_mut(&mut self) -> &mut AuditForm {
        &mut self.audit.form
    }

    /// The report of the last audit on the Audit screen.
    pub fn audit_report(&self) -> Option<&ModelAuditReport> {
        self.audit.result.as_ref().map(|r| &r.report)
    }

    /// The Audit screen's last finished DP sweep.
    pub fn audit_sweep_result(&self) -> Option<&AuditSweepResult> {
        self.audit.sweep.as_ref().and_then(|s| s.result.as_ref())
    }

    /// What the last audit's federation server saw, when it trained federated.
    pub fn federated_audit_report(&self) -> Option<&FederatedAuditReport> {
        self.audit
            .result
            .as_ref()
            .and_then(|r| r.federated.as_ref())
    }

    /// The Trade-offs screen: candidates, decision, policy and ledgers.
    pub fn tradeoffs(&self) -> &TradeoffsScreen {
        &self.tradeoffs
    }

    /// The same, to change (tests, and opening a project).
    pub fn tradeoffs_mut(&mut self) -> &mut TradeoffsScreen {
        &mut self.tradeoffs
    }

    /// Whether a sweep has at least one finished run to trade off.
    /// Whether a sharing, DP-training or synthesis sweep has a finished run to draw.
    fn has_sweep(&self) -> bool {
        self.protect
            .sweep
            .as_ref()
            .is_some_and(|s| !s.rows.is_empty())
            || self
                .audit
                .sweep
                .as_ref()
                .is_some_and(|s| s.rows.iter().any(|r| r.epsilon.is_some()))
            || self
                .protect
                .synth
                .sweep
                .as_ref()
                .is_some_and(|s| !s.rows.is_empty())
    }

    /// The Protect screen's settings (tests set them without the widgets).
    pub fn protect_form_mut(&mut self) -> &mut ProtectForm {
        &mut self.protect.form
    }

    /// The report of the last release on the Protect screen.
    pub fn release_report(&self) -> Option<&ShareReport> {
        self.protect.release.as_ref().map(|r| &r.outcome.report)
    }

    /// Starts writing the last release to `data` and its JSON report beside it as
    /// `<name>.report.json` (what the export dialog does, without the dialog).
    pub fn export_release(&mut self, data: PathBuf) {
        self.protect.export_release(data, &self.ctx);
    }

    /// The Synthesize settings of the Protect screen (tests set them without the widgets).
    pub fn synth_form_mut(&mut self) -> &mut SynthForm {
        &mut self.protect.synth.form
    }

    /// The finished synthesis sweep on the Protect screen.
    pub fn synth_sweep_result(&self) -> Option<&SynthSweepResult> {
        self.protect
            .synth
            .sweep
            .as_ref()
            .and_then(|v| v.result.as_ref())
    }

    /// The last synthesis on the Protect screen: the synthetic data and their report.
    pub fn synth_outcome(&self) -> Option<&SynthOutcome> {
        self.protect
            .synth
            .result
            .as_ref()
            .map(|r| r.outcome.as_ref())
    }

    /// Starts writing the last synthesis to `data` with its side files and report
    /// (what the export dialog does, without the dialog).
    pub fn export_synthesis(&mut self, data: PathBuf) {
        self.protect.synth.export(data, &self.ctx);
    }

    /// The cross-silo wizard of the Synthesize side (tests fill its forms and
    /// read the session it runs).
    pub fn silo_mut(&mut self) -> &mut super::silo::SiloPanel {
        &mut self.protect.synth.silo
    }

    pub fn silo(&self) -> &super::silo::SiloPanel {
        &self.protect.synth.silo
    }

    /// Starts writing a finished cross-silo session's synthetic data to `data`
    /// (what the export dialog does, without the dialog).
    pub fn export_silo(&mut self, data: PathBuf) {
        self.protect.synth.silo.export(data, &self.ctx);
    }

    /// Samples and variants of the loaded dataset, if any.
    pub fn loaded_shape(&self) -> Option<(usize, usize)> {
        self.workspace
            .as_ref()
            .map(|ws| (ws.data.summary.n_samples, ws.data.summary.n_variants))
    }

    /// Loads the bundled demo cohort with its phenotypes.
    pub fn load_sample_data(&mut self) {
        match locate_sample_data() {
            Ok(sample) => self.open_genotypes(sample.genotypes, Some(sample.phenotypes)),
            Err(message) => {
                self.notice = Some(Notice::Error {
                    title: "Sample data not found".into(),
                    detail: message,
                })
            }
        }
    }

    /// Starts loading a genotype file (and optionally a phenotype table to join to
    /// it) on a worker thread. A load already running is cancelled and discarded.
    pub fn open_genotypes(&mut self, path: PathBuf, phenotypes: Option<PathBuf>) {
        let name = file_name(&path);
        let read = Arc::clone(&self.read_genotypes);
        let phenotypes_file = phenotypes.clone();
        self.loading_for_project = false;
        let work = move |job: Job<'_>| -> Result<GenotypeResult, Error> {
            let dataset = read(&path, &ReadOptions::default(), job)?;
            let summary = DataSummary::compute(&dataset.matrix, job)?;
            let joined = phenotypes
                .map(|pheno| phenotypes::read_and_join(&pheno, dataset.matrix.samples(), job));
            // A cancel during the join must cancel the load, not read as a bad file.
            if let Some(Err(Error::Cancelled)) = joined {
                return Err(Error::Cancelled);
            }
            Ok(Box::new((LoadedData { dataset, summary }, joined)))
        };
        self.start(format!("Loading {name}"), move |title, ctx| {
            BackgroundJob::spawn(title, ctx, work)
                .map(|job| Running::Genotypes(job, name, phenotypes_file))
        });
    }

    /// Starts joining a phenotype table to the loaded samples.
    pub fn open_phenotypes(&mut self, path: PathBuf) {
        let Some(workspace) = &self.workspace else {
            self.notice = Some(Notice::Error {
                title: "No genotypes loaded".into(),
                detail: "Open a genotype file first: phenotypes are matched to its samples.".into(),
            });
            return;
        };
        let samples = workspace.data.dataset.matrix.samples().to_vec();
        let name = file_name(&path);
        let file = path.clone();
        let work = move |job: Job<'_>| phenotypes::read_and_join(&path, &samples, job);
        self.start(
            format!("Adding phenotypes from {name}"),
            move |title, ctx| {
                BackgroundJob::spawn(title, ctx, work)
                    .map(|job| Running::Phenotypes(job, name, file))
            },
        );
    }

    /// Stops the running job; whatever it still produces is discarded.
    pub fn cancel_job(&mut self) {
        if let Some(running) = self.running.take() {
            let what = running.title().to_string();
            let kept = if self.workspace.is_some() {
                " The data opened before is still shown."
            } else {
                ""
            };
            self.notice = Some(Notice::Info {
                title: "Cancelled".into(),
                detail: format!("{what} was cancelled.{kept}"),
            });
        }
    }

    fn start(
        &mut self,
        title: String,
        spawn: impl FnOnce(String, &egui::Context) -> std::io::Result<Running>,
    ) {
        // Dropping the old job cancels it and discards its channel.
        self.running = None;
        self.notice = None;
        match spawn(title.clone(), &self.ctx) {
            Ok(running) => self.running = Some(running),
            Err(e) => {
                self.notice = Some(Notice::Error {
                    title: format!("{title} could not start"),
                    detail: format!("The system refused to start a worker thread: {e}."),
                })
            }
        }
        self.ctx.request_repaint();
    }

    /// Takes a finished job's result.
    fn poll_job(&mut self) {
        let outcome = match &mut self.running {
            None => return,
            Some(Running::Genotypes(job, name, pheno)) => job
                .poll()
                .map(|o| JobEnd::Genotypes(format!("Could not open {name}"), o, pheno.clone())),
            Some(Running::Phenotypes(job, name, file)) => job.poll().map(|o| {
                JobEnd::Phenotypes(
                    format!("Could not add phenotypes from {name}"),
                    o,
                    file.clone(),
                )
            }),
        };
        let Some(end) = outcome else { return };
        self.running = None;
        match end {
            JobEnd::Genotypes(_, Outcome::Finished(Ok(loaded)), pheno) => {
                let (data, joined) = *loaded;
                let (phenotypes, failure) = match joined {
                    None => (None, None),
                    Some(Ok(summary)) => (Some(summary), None),
                    Some(Err(e)) => (None, Some(e)),
                };
                let phenotypes_file = pheno.filter(|_| phenotypes.is_some());
                self.workspace = Some(Workspace {
                    data,
                    phenotypes,
                    phenotypes_file,
                });
                self.workspace_generation += 1;
                if std::mem::take(&mut self.loading_for_project) {
                    // The project's cohort: its candidates and decision still apply.
                    self.tradeoffs.follow(self.workspace_generation);
                    self.tradeoffs.load_from(&self.project.project);
                } else {
                    self.prefs.screen = Screen::Data;
                }
                self.notice = failure.map(|e| Notice::Error {
                    title: "The genotypes were loaded, but the phenotypes could not be added"
                        .into(),
                    detail: describe_error(&e),
                });
            }
            JobEnd::Phenotypes(_, Outcome::Finished(Ok(summary)), file) => {
                if let Some(workspace) = &mut self.workspace {
                    workspace.phenotypes = Some(summary);
                    workspace.phenotypes_file = Some(file);
                    self.workspace_generation += 1;
                }
            }
            JobEnd::Genotypes(title, Outcome::Finished(Err(e)), _)
            | JobEnd::Phenotypes(title, Outcome::Finished(Err(e)), _) => {
                self.notice = Some(Notice::Error {
                    title,
                    detail: describe_error(&e),
                });
            }
            JobEnd::Genotypes(title, Outcome::Vanished, _)
            | JobEnd::Phenotypes(title, Outcome::Vanished, _) => {
                self.notice = Some(Notice::Error {
                    title,
                    detail: "The worker stopped without a result. This is a bug in GenoPriv; \
                             please report it, naming the file's format."
                        .into(),
                });
            }
        }
    }

    /// Opens the first dropped file GenoPriv recognises as genotypes.
    fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        let Some(first) = dropped.first() else {
            return;
        };
        match dropped
            .iter()
            .find(|p| GenotypeFormat::from_path(p).is_ok())
        {
            Some(path) => self.open_genotypes(path.clone(), None),
            None => {
                self.notice = Some(Notice::Error {
                    title: format!("{} cannot be opened", file_name(first)),
                    detail: GenotypeFormat::from_path(first)
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default(),
                })
            }
        }
    }

    fn apply(&mut self, action: Action) {
        match action {
            Action::LoadSampleData => self.load_sample_data(),
            Action::PickGenotypes => {
                // Synchronous and on the main thread, as rfd requires on some platforms.
                if let Some(path) = rfd::FileDialog::new()
                    .set_title("Open genotype file")
                    .add_filter(
                        "Genotype files",
                        &[
                            "vcf", "gz", "bgz", "bcf", "bed", "bim", "fam", "csv", "tsv", "txt",
                        ],
                    )
                    .add_filter("All files", &["*"])
                    .pick_file()
                {
                    self.open_genotypes(path, None);
                }
            }
            Action::PickPhenotypes => {
                if let Some(path) = rfd::FileDialog::new()
                    .set_title("Add phenotypes")
                    .add_filter("Phenotype tables", &["tsv", "csv", "txt", "gz"])
                    .add_filter("All files", &["*"])
                    .pick_file()
                {
                    self.open_phenotypes(path);
                }
            }
            Action::Cancel => self.cancel_job(),
            Action::DismissNotice => self.notice = None,
            Action::Show(screen) => {
                if screen.is_available(self.workspace.is_some(), self.has_sweep())
                    && (self.prefs.role.runs_studies() || !screen.runs_studies())
                {
                    self.prefs.screen = screen;
                }
            }
            Action::Report(action) => match action {
                ReportAction::Export => {
                    if let Some(path) = rfd::FileDialog::new()
                        .set_title("Export the report")
                        .set_file_name("report.html")
                        .add_filter("HTML", &["html", "htm"])
                        .save_file()
                    {
                        self.export_report(path);
                    }
                }
                ReportAction::Cancel => self.report.cancel(),
                ReportAction::DismissNotice => self.report.notice = None,
                ReportAction::SaveProject => self.apply(Action::Project(ProjectCommand::Save)),
            },
            Action::Project(command) => self.apply_project(command),
            Action::CancelProjectJob => self.project.cancel(),
            Action::DismissProjectNotice => self.project_notice = None,
            Action::Unsaved(choice) => {
                let Some(waiting) = self.confirm.take() else {
                    return;
                };
                match choice {
                    UnsavedChoice::Back => {}
                    UnsavedChoice::Save => {
                        self.project.close_after_save = waiting == Pending::Close;
                        self.apply_project(ProjectCommand::Save);
                    }
                    UnsavedChoice::Discard => match waiting {
                        Pending::Close => {
                            self.may_close = true;
                            self.ctx.send_viewport_cmd(ViewportCommand::Close);
                        }
                        Pending::New => self.new_project(),
                        Pending::Open => {
                            self.project.pending.clear();
                            self.tradeoffs.load_from(&self.project.project);
                            self.apply_project(ProjectCommand::Open);
                        }
                    },
                }
            }
            Action::Protect(action) => self.apply_protect(action),
            Action::Audit(action) => match action {
                AuditAction::Run => {
                    if let Some(workspace) = &self.workspace {
                        self.audit.run(workspace, &self.ctx);
                    }
                }
                AuditAction::Sweep => {
                    if let Some(workspace) = &self.workspace {
                        self.audit.run_sweep(workspace, &self.ctx);
                    }
                }
                AuditAction::Cancel => self.audit.cancel(),
                AuditAction::DismissNotice => self.audit.notice = None,
            },
        }
    }

    fn apply_project(&mut self, command: ProjectCommand) {
        if self.project.is_busy() {
            return;
        }
        match command {
            ProjectCommand::New | ProjectCommand::Open if self.has_unsaved_changes() => {
                self.confirm = Some(if command == ProjectCommand::New {
                    Pending::New
                } else {
                    Pending::Open
                });
            }
            ProjectCommand::New => self.new_project(),
            ProjectCommand::Open => {
                // Synchronous and on the main thread, as rfd requires on some platforms.
                if let Some(path) = rfd::FileDialog::new()
                    .set_title("Open project")
                    .add_filter("GenoPriv project", &["json"])
                    .add_filter("All files", &["*"])
                    .pick_file()
                {
                    self.open_project(path);
                }
            }
            ProjectCommand::Save if self.project.path.is_some() => {
                if let Some(path) = self.project.path.clone() {
                    self.save_project_as(path);
                }
            }
            ProjectCommand::Save | ProjectCommand::SaveAs => {
                if let Some(path) = rfd::FileDialog::new()
                    .set_title("Save project as")
                    .set_file_name("study.genopriv.json")
                    .add_filter("GenoPriv project", &["json"])
                    .save_file()
                {
                    self.save_project_as(path);
                } else {
                    self.project.close_after_save = false;
                }
            }
        }
    }

    /// Applies what a finished save or open means for the window.
    fn project_event(&mut self, event: ProjectEvent) {
        match event {
            ProjectEvent::Saved => {
                self.project_notice = None;
                if std::mem::take(&mut self.project.close_after_save) {
                    self.may_close = true;
                    self.ctx.send_viewport_cmd(ViewportCommand::Close);
                }
            }
            ProjectEvent::Failed(failure) => self.project_notice = Some(notice_of(failure)),
            ProjectEvent::Opened { cohort } => {
                self.prefs.screen = Screen::Report;
                self.tradeoffs.load_from(&self.project.project);
                let studies = self.project.project.studies.len();
                let mut notice = Notice::Info {
                    title: format!("Opened {}", self.project.display_name()),
                    detail: format!(
                        "{studies} {} with {} stored results, shown here. Every input file \
                    was found unchanged.",
                        if studies == 1 { "study" } else { "studies" },
                        if studies == 1 { "its" } else { "their" },
                    ),
                };
                let problems = self.project.input_problems();
                if !problems.is_empty() {
                    notice = Notice::Error {
                        title: "Some inputs are not the ones the project recorded".into(),
                        detail: format!(
                            "{} The stored results are still shown.",
                            problems.join(" ")
                        ),
                    };
                }
                if let Some(cohort) = cohort.filter(|_| self.prefs.role.loads_cohort()) {
                    if cohort.genotypes.exists() {
                        self.protect.set_panel(cohort.panel);
                        self.open_genotypes(cohort.genotypes, cohort.pheno);
                        self.loading_for_project = true;
                    } else if problems.is_empty() {
                        notice = Notice::Error {
                            title: "The project's cohort was not found".into(),
                            detail: format!(
                                "{} does not exist; the stored results are still shown.",
                                cohort.genotypes.display()
                            ),
                        };
                    }
                }
                self.project_notice = Some(notice);
            }
        }
    }

    /// Notes a study that just finished for the project, as the CLI's `--project`
    /// records it.
    fn note_finished(&mut self, finished: Finished) {
        let Some(ws) = &self.workspace else { return };
        let files = |panel: Option<PathBuf>| CohortFiles {
            genotypes: ws.data.dataset.source.clone(),
            reference: panel,
            reference_af: None,
            pheno: ws.phenotypes_file.clone(),
        };
        let options = CohortOptions::with_case_column(
            ws.phenotypes
                .as_ref()
                .map_or("case", |p| p.status_column.as_str()),
        );
        let (run, result) = match finished {
            Finished::Release => {
                let Some(release) = &self.protect.release else {
                    return;
                };
                let Some(seed) = release.outcome.report.seed else {
                    self.project_notice = Some(Notice::Info {
                        title: "This release is not recorded in the project".into(),
                        detail: "It used fresh random noise (no seed), so a project could not \
                    rerun it. To record a release, set a seed on the Protect \
                    screen and run it again."
                            .into(),
                    });
                    return;
                };
                let run = StudyRun::Share {
                    files: files(self.release_panel.clone()),
                    options,
                    settings: release.settings,
                    seed,
                };
                (run, serde_json::to_value(&release.outcome.report))
            }
            Finished::Sweep => {
                let Some(result) = self.protect.sweep.as_ref().and_then(|v| v.result.as_ref())
                else {
                    return;
                };
                let run = StudyRun::Sweep {
                    files: files(self.sweep_panel.clone()),
                    options,
                    settings: result.settings.clone(),
                };
                (run, serde_json::to_value(result))
            }
            Finished::Audit => {
                let (Some(result), Some(pheno)) = (&self.audit.result, &ws.phenotypes_file) else {
                    return;
                };
                let AuditPlan::Central(settings) = &result.plan else {
                    self.project_notice = Some(Notice::Info {
                        title: "This federated audit is not recorded in the project".into(),
                        detail: "Projects record single-model audits, releases and sweeps; a \
                                 federated audit's results stay on the Audit screen."
                            .into(),
                    });
                    return;
                };
                let run = StudyRun::ModelAudit {
                    genotypes: ws.data.dataset.source.clone(),
                    pheno: pheno.clone(),
                    case_column: options.case_column,
                    read: options.read,
                    settings: settings.clone(),
                };
                (run, serde_json::to_value(&result.report))
            }
        };
        match result {
            Ok(result) => self.project.note_study(PendingStudy {
                name: run.default_name().to_owned(),
                run,
                result,
            }),
            Err(e) => {
                self.project_notice = Some(Notice::Error {
                    title: "The study could not be recorded in the project".into(),
                    detail: format!("Its results could not be written as JSON: {e}."),
                })
            }
        }
    }

    fn apply_protect(&mut self, action: ProtectAction) {
        let Some(workspace) = &self.workspace else {
            return;
        };
        let protect = &mut self.protect;
        match action {
            ProtectAction::Run => {
                self.release_panel = protect.form.panel.clone();
                protect.run_release(workspace, &self.ctx);
            }
            ProtectAction::Sweep => {
                self.sweep_panel = protect.form.panel.clone();
                protect.run_sweep(workspace, &self.ctx);
            }
            ProtectAction::Cancel => protect.cancel(),
            ProtectAction::Synth(action) => protect.synth.apply(action, workspace, &self.ctx),
            ProtectAction::DismissNotice => protect.notice = None,
            ProtectAction::UseBundledPanel => protect.set_panel(protect.bundled_panel.clone()),
            ProtectAction::UseRecommended { per_snp } => {
                protect.form.unit = EpsilonUnitChoice::PerSnp;
                protect.form.epsilon = per_snp;
                if protect.form.mechanism == Mechanism::CoinFlip {
                    protect.form.mechanism = Mechanism::Xor;
                }
            }
            ProtectAction::PickPanel => {
                // Synchronous and on the main thread, as rfd requires on some platforms.
                if let Some(path) = rfd::FileDialog::new()
                    .set_title("Choose a public reference panel")
                    .add_filter(
                        "Genotype files",
                        &["vcf", "gz", "bgz", "bcf", "bed", "csv", "tsv", "txt"],
                    )
                    .add_filter("All files", &["*"])
                    .pick_file()
                {
                    protect.set_panel(Some(path));
                }
            }
            ProtectAction::Export => {
                if let Some(path) = rfd::FileDialog::new()
                    .set_title("Export the shared dataset")
                    .set_file_name("shared.vcf.gz")
                    .add_filter("Compressed VCF", &["vcf.gz", "gz"])
                    .add_filter("PLINK, CSV, TSV", &["bed", "csv", "tsv"])
                    .save_file()
                {
                    protect.export_release(path, &self.ctx);
                }
            }
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            if let Some(logo) = &self.logo {
                ui.add(egui::Image::new((logo.id(), egui::vec2(22.0, 22.0))));
            }
            ui.label(RichText::new("GenoPriv").strong().size(18.0));
            ui.add_space(8.0);
            let idle = !self.project.is_busy();
            ui.menu_button("Project", |ui| {
                for (command, label, hint) in [
                    (ProjectCommand::New, "New project", "Start an empty project"),
                    (
                        ProjectCommand::Open,
                        "Open project…",
                        "Open a saved project and its stored results",
                    ),
                    (
                        ProjectCommand::Save,
                        "Save project",
                        "Record this session's studies in the project file",
                    ),
                    (
                        ProjectCommand::SaveAs,
                        "Save project as…",
                        "Save the project under another name",
                    ),
                ] {
                    if ui
                        .add_enabled(idle, Button::new(label))
                        .on_hover_text(hint)
                        .clicked()
                    {
                        actions.push(Action::Project(command));
                        ui.close();
                    }
                }
            });
            let mut name = RichText::new(self.project.display_name());
            if self.project.path.is_none() {
                name = name.weak();
            }
            ui.label(name);
            if self.project.has_unsaved_changes() {
                ui.label(RichText::new("unsaved studies").color(ui.visuals().warn_fg_color))
                    .on_hover_text(
                        "Studies run in this session are kept in the project when you save it",
                    );
            } else if self.has_unsaved_changes() {
                ui.label(RichText::new("unsaved decision").color(ui.visuals().warn_fg_color))
                    .on_hover_text(
                        "Candidates, notes, thresholds and ledgers changed on the Trade-offs \
                         screen are kept in the project when you save it",
                    );
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui.button("About").clicked() {
                    self.about_open = true;
                }
                for (theme, name) in [
                    (ThemePreference::Dark, "Dark"),
                    (ThemePreference::Light, "Light"),
                    (ThemePreference::System, "System"),
                ] {
                    ui.selectable_value(&mut self.prefs.theme, theme, name);
                }
                ui.label("Theme");
                // The saved preference wins over whatever the context started with.
                if ui.ctx().options(|o| o.theme_preference) != self.prefs.theme {
                    ui.ctx().set_theme(self.prefs.theme);
                }
                ui.separator();
                for role in Role::ALL.iter().rev() {
                    if ui
                        .selectable_label(self.prefs.role == *role, role.label())
                        .on_hover_text(format!("{} {ROLE_NOTE}", role.description()))
                        .clicked()
                    {
                        self.set_role(*role);
                    }
                }
                ui.label("Role");
            });
        });
    }

    fn navigation(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.add_space(8.0);
        ui.label(RichText::new("Workflow").small().weak());
        ui.add_space(4.0);
        let width = ui.available_width();
        let role = self.prefs.role;
        for screen in Screen::ALL {
            if screen.runs_studies() && !role.runs_studies() {
                let button = Button::selectable(false, screen.title())
                    .right_text(RichText::new("steward").small().italics())
                    .min_size(egui::vec2(width, 28.0));
                ui.add_enabled(false, button)
                    .on_disabled_hover_text(format!(
                        "{}. Runs and tunes studies: switch to the Steward role.",
                        screen.purpose()
                    ));
            } else if screen.is_available(self.workspace.is_some(), self.has_sweep()) {
                let button = Button::selectable(self.prefs.screen == screen, screen.title())
                    .min_size(egui::vec2(width, 28.0));
                if ui.add(button).on_hover_text(screen.purpose()).clicked() {
                    actions.push(Action::Show(screen));
                }
            } else if matches!(screen, Screen::Protect | Screen::Audit) {
                let button = Button::selectable(false, screen.title())
                    .right_text(RichText::new("load data").small().italics())
                    .min_size(egui::vec2(width, 28.0));
                ui.add_enabled(false, button)
                    .on_disabled_hover_text(format!(
                        "{}. Load a cohort on the Data screen first.",
                        screen.purpose()
                    ));
            } else if screen == Screen::TradeOffs {
                let button = Button::selectable(false, screen.title())
                    .right_text(RichText::new("run a sweep").small().italics())
                    .min_size(egui::vec2(width, 28.0));
                ui.add_enabled(false, button)
                    .on_disabled_hover_text(format!(
                        "{}. Run Sweep epsilon on the Protect screen, or Sweep DP noise on \
                         the Audit screen, first.",
                        screen.purpose()
                    ));
            } else {
                let button = Button::selectable(false, screen.title())
                    .right_text(RichText::new("coming").small().italics())
                    .min_size(egui::vec2(width, 28.0));
                ui.add_enabled(false, button)
                    .on_disabled_hover_text(format!(
                        "{}. Coming in a later version.",
                        screen.purpose()
                    ));
            }
        }
        ui.add_space(16.0);
        ui.label(
            RichText::new(format!("Role: {}", role.label()))
                .small()
                .strong(),
        );
        ui.add(egui::Label::new(RichText::new(role.description()).small().weak()).wrap());
        if role != Role::Steward {
            ui.add(egui::Label::new(RichText::new(ROLE_NOTE).small().weak()).wrap());
        }
    }

    fn status_bar(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let status = match (&self.running, &self.workspace) {
                (Some(running), _) => format!("{}…", running.title()),
                (None, Some(ws)) => {
                    let mut s = format!(
                        "{} · {} · {} samples × {} variants",
                        file_name(&ws.data.dataset.source),
                        ws.data.dataset.format.name(),
                        count(ws.data.summary.n_samples),
                        count(ws.data.summary.n_variants)
                    );
                    if let Some(pheno) = &ws.phenotypes {
                        s.push_str(" · ");
                        s.push_str(&phenotypes::counts_phrase(pheno));
                    }
                    s
                }
                (None, None) => "No data loaded".into(),
            };
            ui.label(status);
            // The one exception to working offline is a session the user opened.
            let network = if self.protect.synth.silo.session_running() {
                "Cross-silo session: only masked, noisy counts leave this computer"
            } else {
                "Works offline: your data never leaves this computer"
            };
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                ui.label(RichText::new(network).weak());
            });
        });
    }

    fn central(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if let Some(running) = &self.running {
            let (stage, fraction) = running.progress();
            loading_card(
                ui,
                running.title(),
                stage,
                fraction,
                Action::Cancel,
                actions,
            );
            return;
        }
        if let Some(task) = &self.project.task {
            let (stage, fraction) = task.progress();
            loading_card(
                ui,
                task.title(),
                stage,
                fraction,
                Action::CancelProjectJob,
                actions,
            );
            return;
        }
        if let Some(notice) = &self.notice {
            notice_card(ui, notice, Action::DismissNotice, actions);
            ui.add_space(8.0);
        }
        if let Some(notice) = &self.project_notice {
            notice_card(ui, notice, Action::DismissProjectNotice, actions);
            ui.add_space(8.0);
        }
        match (&self.prefs.screen, &self.workspace) {
            (Screen::Report, _) => {
                let mut report_actions = Vec::new();
                let unsaved = self.has_unsaved_changes();
                report_screen::show(
                    ui,
                    &mut self.report,
                    &self.project,
                    unsaved,
                    self.prefs.role,
                    &mut report_actions,
                );
                actions.extend(report_actions.into_iter().map(Action::Report));
            }
            (Screen::Learn, _) => learn::show(ui),
            (Screen::Data, Some(workspace)) => data_screen::show(ui, workspace, actions),
            (Screen::Protect, Some(workspace)) => {
                let mut protect_actions = Vec::new();
                protect_view::show(ui, &mut self.protect, workspace, &mut protect_actions);
                actions.extend(protect_actions.into_iter().map(Action::Protect));
            }
            (Screen::Audit, Some(workspace)) => {
                let mut audit_actions = Vec::new();
                audit_view::show(ui, &mut self.audit, workspace, &mut audit_actions);
                actions.extend(audit_actions.into_iter().map(Action::Audit));
            }
            (Screen::TradeOffs, Some(_)) => {
                let sharing = self
                    .protect
                    .sweep
                    .as_ref()
                    .filter(|view| !view.rows.is_empty())
                    .map(|view| TradeoffSource::Sharing {
                        view,
                        targets: self.protect.form.target_choice(),
                        cohort_sha256: self.protect.input_sha256(),
                    });
                let model = self
                    .audit
                    .sweep
                    .as_ref()
                    .filter(|view| view.rows.iter().any(|r| r.epsilon.is_some()))
                    .map(|view| TradeoffSource::ModelTraining {
                        view,
                        model: self.audit.form.model.target(self.audit.form.penalty),
                    });
                let synthesis = self
                    .protect
                    .synth
                    .sweep
                    .as_ref()
                    .filter(|view| !view.rows.is_empty())
                    .map(|view| TradeoffSource::Synthesis {
                        view,
                        order: self.protect.synth.form.order,
                    });
                let sources = sharing.into_iter().chain(model).chain(synthesis).collect();
                tradeoffs_view::show(ui, &mut self.tradeoffs, sources, actions);
            }
            _ => welcome::show(ui, actions),
        }
    }
}

/// A finished job with the title of the message should it have failed.
enum JobEnd {
    Genotypes(String, Outcome<GenotypeResult>, Option<PathBuf>),
    Phenotypes(String, Outcome<PhenotypeSummary>, PathBuf),
}

/// A study kind whose job just finished on the Protect or Audit screen.
enum Finished {
    Release,
    Sweep,
    Audit,
}

fn notice_of(failure: Failure) -> Notice {
    Notice::Error {
        title: failure.title,
        detail: failure.detail,
    }
}

/// Asks what to do with unsaved studies before closing, or starting or opening
/// another project.
fn unsaved_dialog(ctx: &egui::Context, actions: &mut Vec<Action>) {
    let modal = egui::Modal::new(egui::Id::unique("unsaved_studies")).show(ctx, |ui| {
        ui.set_max_width(420.0);
        ui.heading("Save your work first?");
        ui.add_space(6.0);
        ui.add(
            egui::Label::new(
                "Studies were run, or candidates and decisions changed, since the project was \
                 last saved. They are lost unless the project is saved.",
            )
            .wrap(),
        );
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            if ui.button("Save project").clicked() {
                actions.push(Action::Unsaved(UnsavedChoice::Save));
            }
            if ui.button("Discard changes").clicked() {
                actions.push(Action::Unsaved(UnsavedChoice::Discard));
            }
            if ui.button("Keep working").clicked() {
                actions.push(Action::Unsaved(UnsavedChoice::Back));
            }
        });
    });
    if modal.should_close() {
        actions.push(Action::Unsaved(UnsavedChoice::Back));
    }
}

/// The icon as a texture; without it the top bar simply shows the name.
fn load_logo(ctx: &egui::Context) -> Option<egui::TextureHandle> {
    let icon = eframe::icon_data::from_png_bytes(super::ICON_PNG).ok()?;
    let size = [
        usize::try_from(icon.width).ok()?,
        usize::try_from(icon.height).ok()?,
    ];
    if size[0] * size[1] * 4 != icon.rgba.len() {
        return None;
    }
    let image = egui::ColorImage::from_rgba_unmultiplied(size, &icon.rgba);
    Some(ctx.load_texture("genopriv_logo", image, egui::TextureOptions::LINEAR))
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// The core error as one sentence, with a hint for the errors people meet first.
fn describe_error(error: &Error) -> String {
    let mut text = error.to_string();
    if !text.ends_with('.') {
        text.push('.');
    }
    if let Error::Io { reason: source, .. } = error
        && source.kind() == std::io::ErrorKind::NotFound
    {
        text.push_str(" Check that the file still exists and that the path is right.");
    }
    text
}

fn loading_card(
    ui: &mut egui::Ui,
    title: &str,
    stage: &str,
    fraction: Option<f32>,
    cancel: Action,
    actions: &mut Vec<Action>,
) {
    ui.add_space(60.0);
    ui.vertical_centered(|ui| {
        ui.set_max_width(520.0);
        egui::Frame::group(ui.style())
            .inner_margin(20.0)
            .show(ui, |ui| {
                ui.heading(title);
                ui.add_space(6.0);
                ui.label(format!("{stage}…"));
                ui.add_space(6.0);
                // Custom text rather than `show_percentage`: it also names the bar for
                // screen readers.
                let bar = match fraction {
                    Some(f) => ProgressBar::new(f).text(whole_percent(f64::from(f))),
                    None => ProgressBar::new(0.0).animate(true).text(stage.to_string()),
                };
                ui.add(bar);
                ui.add_space(10.0);
                if ui
                    .button("Cancel")
                    .on_hover_text("Stop; nothing is changed")
                    .clicked()
                {
                    actions.push(cancel);
                }
                ui.add_space(4.0);
                ui.label(
                    RichText::new("The window stays usable while this runs.")
                        .small()
                        .weak(),
                );
            });
    });
}

fn notice_card(ui: &mut egui::Ui, notice: &Notice, dismiss: Action, actions: &mut Vec<Action>) {
    let (title, detail, colour, marker) = match notice {
        Notice::Error { title, detail } => (title, detail, ui.visuals().error_fg_color, "Problem"),
        Notice::Info { title, detail } => (title, detail, ui.visuals().weak_text_color(), "Note"),
    };
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, colour))
        .inner_margin(12.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(marker).strong().color(colour));
                ui.label(RichText::new(title).strong());
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui.button("Dismiss").clicked() {
                        actions.push(dismiss);
                    }
                });
            });
            ui.add(egui::Label::new(detail.as_str()).wrap());
        });
}

/// Paints a hint over the window while files are dragged over it.
fn drop_overlay(ctx: &egui::Context) {
    if ctx.input(|i| i.raw.hovered_files.is_empty()) {
        return;
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop_overlay"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, Color32::from_black_alpha(170));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop a genotype file to open it\n(VCF, BCF, PLINK .bed/.bim/.fam, CSV/TSV matrix)",
        egui::FontId::proportional(22.0),
        Color32::WHITE,
    );
}

impl eframe::App for GenoPrivApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_job();
        if let Some(event) = self.project.poll() {
            self.project_event(event);
        }
        self.protect
            .follow(self.workspace_generation, self.workspace.as_ref());
        let protect_study = match &self.protect.task {
            Some(Task::Release(_)) => Some(Finished::Release),
            Some(Task::Sweep(..)) => Some(Finished::Sweep),
            Some(Task::Export(_)) | None => None,
        };
        self.protect.poll();
        // A study that ended without a problem notice finished: the project records it.
        if self.protect.task.is_none()
            && self.protect.notice.is_none()
            && let Some(finished) = protect_study
        {
            self.note_finished(finished);
        }
        self.audit.follow(self.workspace_generation);
        // Only a single audit is recorded; a DP sweep's rows stay on the screen.
        let auditing = matches!(self.audit.task, Some(AuditTask::Audit(_)));
        self.audit.poll();
        if auditing && !self.audit.is_busy() && self.audit.notice.is_none() {
            self.note_finished(Finished::Audit);
        }
        self.report.poll();
        self.tradeoffs.follow(self.workspace_generation);
        self.take_dropped_files(ctx);
        if ctx.input(|i| i.viewport().close_requested())
            && self.has_unsaved_changes()
            && !self.may_close
        {
            ctx.send_viewport_cmd(ViewportCommand::CancelClose);
            self.confirm = Some(Pending::Close);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let busy = self.is_busy();
        if let Some(times) = &mut self.frame_times {
            times.record(frame.info().cpu_usage, busy, self.prefs.screen.title());
        }
        let mut actions = Vec::new();
        if self.running.is_none() && ui.input_mut(|i| i.consume_shortcut(&OPEN_SHORTCUT)) {
            actions.push(Action::PickGenotypes);
        }
        if ui.input_mut(|i| i.consume_shortcut(&QUIT_SHORTCUT)) {
            ui.ctx().send_viewport_cmd(ViewportCommand::Close);
        }
        Panel::top("top_bar").show(ui, |ui| self.top_bar(ui, &mut actions));
        Panel::bottom("status_bar").show(ui, |ui| self.status_bar(ui));
        Panel::left("navigation")
            .resizable(false)
            .exact_size(170.0)
            .show(ui, |ui| self.navigation(ui, &mut actions));
        CentralPanel::default().show(ui, |ui| self.central(ui, &mut actions));
        drop_overlay(ui.ctx());
        super::about::show(ui.ctx(), &mut self.about_open);
        if self.confirm.is_some() {
            unsaved_dialog(ui.ctx(), &mut actions);
        }
        for action in actions {
            self.apply(action);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(times) = &self.frame_times
            && let Err(e) = times.write()
        {
            eprintln!("genopriv: the frame times could not be written: {e}");
        }
    }

    /// egui's memory (window layout, scroll positions) is not worth keeping, and
    /// keeping less is the safer default for a tool that handles genomes.
    fn persist_egui_memory(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_hold_display_settings_only() -> Result<(), serde_json::Error> {
        let prefs = Preferences {
            theme: ThemePreference::Light,
            screen: Screen::Data,
            role: Role::Reviewer,
        };
        let value = serde_json::to_value(&prefs)?;
        let keys: Vec<&String> = value
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["role", "screen", "theme"]);
        // Settings saved by an older version (fewer fields) still load.
        let old: Preferences = serde_json::from_str("{}")?;
        assert_eq!(
            (old.theme, old.screen, old.role),
            (ThemePreference::System, Screen::Data, Role::Steward)
        );
        Ok(())
    }

    #[test]
    fn not_found_errors_get_a_hint() {
        let error = Error::io(
            "/data/x.vcf",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        let text = describe_error(&error);
        assert!(text.starts_with("/data/x.vcf: "), "{text}");
        assert!(text.ends_with("Check that the file still exists and that the path is right."));
    }
}
