//! The Report screen: the project's studies and their stored results, the
//! sections the IRB report will hold with a preview of each, and Export, which
//! builds the HTML with `genopriv_core::report::build_report` on a worker (the
//! same file `genopriv report` writes).
//!
//! Every sentence of the preview comes from `genopriv_core::explain`, as in the
//! report itself.

use std::path::PathBuf;

use egui::{Button, RichText};
use genopriv_core::explain::format::number;
use genopriv_core::explain::report as words;
use genopriv_core::explain::{PrivacyLabel, privacy_label, realised_epsilon_sentence};
use genopriv_core::project::{InputState, Project, StudyRun, StudySpec};
use genopriv_core::report::ReportSection;
use genopriv_core::report::view::{AuditView, ShareView, SweepView};
use genopriv_core::{Error, Job};

use super::jobs::{BackgroundJob, Outcome};
use super::project::ProjectSession;
use super::roles::{ROLE_NOTE, Role};

/// What the Report screen's controls ask for; applied after drawing.
pub enum ReportAction {
    Export,
    Cancel,
    DismissNotice,
    SaveProject,
}

pub enum ReportNotice {
    Problem(String),
    Written(PathBuf),
}

/// The Report screen's state.
pub struct ReportScreen {
    /// Every section with whether it is included, in report order.
    pub sections: Vec<(ReportSection, bool)>,
    pub task: Option<BackgroundJob<PathBuf>>,
    pub notice: Option<ReportNotice>,
}

impl Default for ReportScreen {
    fn default() -> Self {
        Self {
            sections: ReportSection::ALL.iter().map(|&s| (s, true)).collect(),
            task: None,
            notice: None,
        }
    }
}

impl ReportScreen {
    pub fn chosen(&self) -> Vec<ReportSection> {
        self.sections
            .iter()
            .filter_map(|&(s, on)| on.then_some(s))
            .collect()
    }

    pub fn is_busy(&self) -> bool {
        self.task.is_some()
    }

    /// Why Export cannot run now, if it cannot.
    /// Why Export cannot run now; `unsaved`: the window holds work the project
    /// file does not (studies, or the Trade-offs screen's decision).
    pub fn export_blocker(
        &self,
        session: &ProjectSession,
        unsaved: bool,
        sections: &[ReportSection],
    ) -> Option<String> {
        if session.path.is_none() || unsaved {
            return Some(
                "Save the project first: the report is built from the saved project file, so a \
                 reviewer can check it against the same file."
                    .into(),
            );
        }
        if !session.project.studies.iter().any(|s| s.result.is_some()) {
            return Some("The project holds no study results to report yet.".into());
        }
        if sections.is_empty() {
            return Some("Choose at least one section.".into());
        }
        None
    }

    /// Builds the report of the saved project and writes it to `out` on a worker.
    pub fn export(
        &mut self,
        session: &ProjectSession,
        unsaved: bool,
        out: PathBuf,
        ctx: &egui::Context,
    ) {
        let sections = self.chosen();
        if let Some(reason) = self.export_blocker(session, unsaved, &sections) {
            self.notice = Some(ReportNotice::Problem(reason));
            return;
        }
        let Some(project_file) = session.path.clone() else {
            return;
        };
        let project = session.project.clone();
        let work = move |job: Job<'_>| -> Result<PathBuf, Error> {
            crate::cli::report::write_report(&project, &project_file, &sections, &out, job)?;
            Ok(out)
        };
        self.notice = None;
        match BackgroundJob::spawn("Writing the report".into(), ctx, work) {
            Ok(job) => self.task = Some(job),
            Err(e) => {
                self.notice = Some(ReportNotice::Problem(format!(
                    "The report could not start: the system refused to start a worker thread: {e}."
                )))
            }
        }
        ctx.request_repaint();
    }

    pub fn cancel(&mut self) {
        if self.task.take().is_some() {
            self.notice = Some(ReportNotice::Problem(
                "Writing the report was cancelled; no file was written.".into(),
            ));
        }
    }

    pub fn poll(&mut self) {
        let Some(job) = &mut self.task else { return };
        let Some(outcome) = job.poll() else { return };
        self.task = None;
        self.notice = Some(match outcome {
            Outcome::Finished(Ok(path)) => ReportNotice::Written(path),
            Outcome::Finished(Err(e)) => {
                ReportNotice::Problem(format!("The report could not be written: {e}."))
            }
            Outcome::Vanished => ReportNotice::Problem(
                "The report could not be written: the worker stopped without a result. This is \
                 a bug in GenoPriv; please report it."
                    .into(),
            ),
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Share,
    Sweep,
    Audit,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Share => "Shared genotypes",
            Kind::Sweep => "Sweep over epsilon",
            Kind::Audit => "Model audit",
        }
    }
}

/// One study as the screen lists it: saved in the project or run this session.
struct Entry<'a> {
    name: &'a str,
    kind: Kind,
    seed: u64,
    result: Option<&'a serde_json::Value>,
    saved: bool,
}

fn entries(session: &ProjectSession) -> Vec<Entry<'_>> {
    let mut list: Vec<Entry<'_>> = session
        .project
        .studies
        .iter()
        .filter(|s| !session.pending.iter().any(|p| p.name == s.name))
        .map(|s| Entry {
            name: &s.name,
            kind: kind_of(&s.spec),
            seed: s.spec.seed(),
            result: s.result.as_ref(),
            saved: true,
        })
        .collect();
    list.extend(session.pending.iter().map(|p| Entry {
        name: &p.name,
        kind: run_kind(&p.run),
        seed: run_seed(&p.run),
        result: Some(&p.result),
        saved: false,
    }));
    list
}

fn kind_of(spec: &StudySpec) -> Kind {
    match spec {
        StudySpec::Share { .. } => Kind::Share,
        StudySpec::Sweep { .. } => Kind::Sweep,
        StudySpec::ModelAudit { .. } => Kind::Audit,
    }
}

fn run_kind(run: &StudyRun) -> Kind {
    match run {
        StudyRun::Share { .. } => Kind::Share,
        StudyRun::Sweep { .. } => Kind::Sweep,
        StudyRun::ModelAudit { .. } => Kind::Audit,
    }
}

fn run_seed(run: &StudyRun) -> u64 {
    match run {
        StudyRun::Share { seed, .. } => *seed,
        StudyRun::Sweep { settings, .. } => settings.seed,
        StudyRun::ModelAudit { settings, .. } => settings.seed,
    }
}

/// A study's stored result, read as the report reads it.
enum Loaded {
    Share(Box<ShareView>),
    Sweep(Box<SweepView>),
    Audit(Box<AuditView>),
    Unreadable(String),
}

fn load(entry: &Entry<'_>) -> Option<Loaded> {
    let value = entry.result?.clone();
    let loaded = match entry.kind {
        Kind::Share => serde_json::from_value(value).map(|v| Loaded::Share(Box::new(v))),
        Kind::Sweep => serde_json::from_value(value).map(|v| Loaded::Sweep(Box::new(v))),
        Kind::Audit => serde_json::from_value(value).map(|v| Loaded::Audit(Box::new(v))),
    };
    Some(loaded.unwrap_or_else(|e| {
        Loaded::Unreadable(format!(
            "The stored results of study {} cannot be read: {e}.",
            entry.name
        ))
    }))
}

/// The study's main finding in one sentence.
fn headline(loaded: &Loaded) -> String {
    match loaded {
        Loaded::Share(r) => words::chosen_release_sentence(
            r.mechanism.label(),
            r.epsilon.nominal_total,
            r.epsilon.total_spent.or(r.epsilon.realised_total),
        ),
        Loaded::Sweep(r) => match &r.recommendation {
            Some(rec) => words::recommendation_sentence(
                rec.mechanism.label(),
                rec.metric.label(),
                rec.epsilon_total,
                rec.epsilon_per_snp,
                rec.utility,
                rec.coin_flip_utility,
            ),
            None => words::NO_RECOMMENDATION.to_owned(),
        },
        Loaded::Audit(r) => match (r.train_accuracy, r.test_accuracy) {
            (Some(train), Some(test)) => words::model_accuracy_sentence(train, test),
            _ => format!("A {} was audited.", r.training),
        },
        Loaded::Unreadable(message) => message.clone(),
    }
}

pub fn show(
    ui: &mut egui::Ui,
    screen: &mut ReportScreen,
    session: &ProjectSession,
    unsaved: bool,
    role: Role,
    actions: &mut Vec<ReportAction>,
) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width().min(980.0));
            ui.heading("Report");
            ui.label(
                "The IRB report: one self-contained HTML file with the privacy label, the \
                 decision, utility and risk, assumptions, epsilon, checksums, seeds and sign-off \
                 fields, built from the saved project.",
            );
            if role != Role::Steward {
                ui.add_space(4.0);
                ui.label(RichText::new(format!("{} {ROLE_NOTE}", role.description())).weak());
            }
            ui.add_space(10.0);
            studies_card(ui, session, role);
            ui.add_space(12.0);
            let list = entries(session);
            let loaded: Vec<(&Entry<'_>, Loaded)> = list
                .iter()
                .filter_map(|e| load(e).map(|l| (e, l)))
                .collect();
            if role.shows_details() {
                sections_picker(ui, screen);
                ui.add_space(8.0);
                export_card(ui, screen, session, unsaved, actions);
                ui.add_space(12.0);
                ui.heading("What the report will hold");
                ui.add_space(4.0);
                let chosen = screen.chosen();
                if chosen.is_empty() {
                    ui.label("No section is chosen.");
                }
                for section in chosen {
                    section_preview(ui, section, &loaded, &session.project);
                }
            } else {
                ui.heading("In plain words");
                ui.add_space(4.0);
                plain_summary(ui, &loaded);
                ui.add_space(12.0);
                export_card(ui, screen, session, unsaved, actions);
            }
            ui.add_space(20.0);
        });
}

fn studies_card(ui: &mut egui::Ui, session: &ProjectSession, role: Role) {
    egui::Frame::group(ui.style())
        .inner_margin(12.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.strong(format!("Project: {}", session.display_name()));
            match &session.path {
                Some(path) => ui.label(format!("Saved as {}", path.display())),
                None => ui.label("Not saved yet."),
            };
            let list = entries(session);
            if list.is_empty() {
                let hint = if role.runs_studies() {
                    "No studies yet. Run a release or a sweep on the Protect screen, or an audit \
                     on the Audit screen; they are recorded here. Or open a saved project from \
                     the Project menu."
                } else {
                    "No studies yet. Open a saved project from the Project menu to review it; \
                     its raw data files are not needed."
                };
                ui.add(egui::Label::new(hint).wrap());
                return;
            }
            ui.add_space(6.0);
            egui::Grid::new("report_studies")
                .num_columns(5)
                .striped(true)
                .spacing([14.0, 6.0])
                .show(ui, |ui| {
                    for title in ["Study", "Kind", "Seed", "In the project file", "Result"] {
                        ui.strong(title);
                    }
                    ui.end_row();
                    for entry in &list {
                        ui.label(entry.name);
                        ui.label(entry.kind.label());
                        ui.label(entry.seed.to_string());
                        ui.label(if entry.saved {
                            "saved"
                        } else {
                            "not saved yet"
                        });
                        let text = load(entry)
                            .map_or_else(|| "Not run yet.".to_owned(), |loaded| headline(&loaded));
                        ui.add(egui::Label::new(text).wrap());
                        ui.end_row();
                    }
                });
            if let Some(checks) = &session.checks
                && !checks.is_empty()
            {
                ui.add_space(8.0);
                ui.strong("Input files, checked against their recorded SHA-256");
                egui::Grid::new("report_inputs")
                    .num_columns(2)
                    .spacing([14.0, 4.0])
                    .show(ui, |ui| {
                        for check in checks {
                            ui.label(&check.path);
                            ui.label(match &check.state {
                                InputState::Unchanged => "unchanged",
                                InputState::Changed { .. } => {
                                    "changed since it was recorded: results not reproducible"
                                }
                                InputState::Unavailable { .. } => "not available here",
                            });
                            ui.end_row();
                        }
                    });
            }
        });
}

fn sections_picker(ui: &mut egui::Ui, screen: &mut ReportScreen) {
    ui.heading("Sections");
    ui.label("Choose what the report holds; it keeps this order.");
    ui.add_space(4.0);
    egui::Grid::new("report_sections")
        .num_columns(3)
        .spacing([18.0, 4.0])
        .show(ui, |ui| {
            for (i, (section, on)) in screen.sections.iter_mut().enumerate() {
                ui.checkbox(on, section.title());
                if i % 3 == 2 {
                    ui.end_row();
                }
            }
        });
}

fn bullet(ui: &mut egui::Ui, text: &str) {
    ui.horizontal_wrapped(|ui| {
        ui.label("·");
        ui.add(egui::Label::new(text).wrap());
    });
}

fn label_card(ui: &mut egui::Ui, label: &PrivacyLabel) {
    egui::Grid::new(ui.next_auto_id())
        .num_columns(2)
        .spacing([18.0, 8.0])
        .min_col_width(ui.available_width() / 2.0 - 20.0)
        .max_col_width(ui.available_width() / 2.0 - 20.0)
        .show(ui, |ui| {
            let cells = [
                ("Protects against", &label.protects_against),
                ("Does not protect against", &label.does_not_protect_against),
                ("Who sees what", &label.who_sees_what),
                ("What is released", &label.what_is_released),
            ];
            for (i, (title, items)) in cells.iter().enumerate() {
                ui.vertical(|ui| {
                    ui.strong(*title);
                    for item in items.iter() {
                        bullet(ui, item);
                    }
                });
                if i % 2 == 1 {
                    ui.end_row();
                }
            }
        });
}

/// The privacy label of each shared copy and DP model, or why there is none.
fn labels(ui: &mut egui::Ui, loaded: &[(&Entry<'_>, Loaded)]) {
    let mut any = false;
    for (entry, result) in loaded {
        let description = match result {
            Loaded::Share(r) => Some(r.release_description()),
            Loaded::Audit(r) => r.release_description(),
            _ => continue,
        };
        any = true;
        ui.label(RichText::new(entry.name).italics());
        match description.map(|d| privacy_label(&d)) {
            Some(Ok(label)) => label_card(ui, &label),
            Some(Err(e)) => {
                ui.label(format!("The label could not be built: {e}."));
            }
            None => {
                ui.add(egui::Label::new(words::NO_GUARANTEE).wrap());
            }
        }
    }
    if !any {
        ui.add(egui::Label::new(words::NO_RELEASE).wrap());
    }
}

fn section_preview(
    ui: &mut egui::Ui,
    section: ReportSection,
    loaded: &[(&Entry<'_>, Loaded)],
    project: &Project,
) {
    ui.add_space(6.0);
    egui::Frame::group(ui.style())
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.strong(section.title());
            match section {
                ReportSection::PrivacyLabel => {
                    labels(ui, loaded);
                    bullet(
                        ui,
                        "With an icon array of 100 people for each epsilon, and the attackers \
                         considered.",
                    );
                }
                ReportSection::Decision => {
                    let mut sweeps = 0;
                    for (_, result) in loaded {
                        match result {
                            Loaded::Share(_) => bullet(ui, &headline(result)),
                            Loaded::Sweep(r) => {
                                sweeps += 1;
                                bullet(ui, &headline(result));
                                if let Some(curve) = r.curves.first() {
                                    bullet(
                                        ui,
                                        &format!(
                                            "Figure: {} against epsilon, with the recommended \
                                             budget marked, and its table.",
                                            curve.metric.label()
                                        ),
                                    );
                                }
                            }
                            _ => {}
                        }
                    }
                    if sweeps == 0 {
                        bullet(ui, words::NO_ALTERNATIVES);
                    }
                }
                ReportSection::UtilityRisk => {
                    for (entry, result) in loaded {
                        match result {
                            Loaded::Share(r) => {
                                if let Some(e) = r.point_error {
                                    bullet(ui, &words::point_error_sentence(e));
                                }
                                if let Some(retention) = r.retention_rate {
                                    bullet(
                                        ui,
                                        &words::retention_sentence(
                                            retention,
                                            r.coin_flip_retention_rate,
                                        ),
                                    );
                                }
                                if !r.membership.is_empty() {
                                    bullet(
                                        ui,
                                        &format!(
                                            "Table: membership tests on {} (AUC and TPR at 1 % \
                                             FPR with 95 % intervals).",
                                            entry.name
                                        ),
                                    );
                                }
                            }
                            Loaded::Audit(r) => {
                                bullet(ui, &headline(result));
                                bullet(
                                    ui,
                                    &format!(
                                        "Table and figure: {} attacks on {} with AUC and TPR at \
                                         0.1, 1 and 10 % FPR, and their ROC curves on log-log \
                                         axes.",
                                        r.attacks.len(),
                                        entry.name
                                    ),
                                );
                            }
                            _ => {}
                        }
                    }
                }
                ReportSection::Assumptions => {
                    let mut names: Vec<String> = Vec::new();
                    for (_, result) in loaded {
                        match result {
                            Loaded::Share(r) => {
                                names.extend(r.membership.iter().map(|m| m.test.clone()))
                            }
                            Loaded::Audit(r) => {
                                names.extend(r.attacks.iter().map(|a| a.attack.id().to_owned()))
                            }
                            _ => {}
                        }
                    }
                    names.sort();
                    names.dedup();
                    let texts: Vec<&str> = names
                        .iter()
                        .filter_map(|n| words::attack_assumption(n))
                        .collect();
                    if texts.is_empty() {
                        bullet(ui, words::NO_ATTACKS);
                    }
                    for text in texts {
                        bullet(ui, text);
                    }
                }
                ReportSection::Epsilon => {
                    for (entry, result) in loaded {
                        match result {
                            Loaded::Share(r) => {
                                let text = match r.epsilon.realised_total {
                                    Some(realised) => {
                                        realised_epsilon_sentence(r.epsilon.nominal_total, realised)
                                            .unwrap_or_else(|e| e.to_string())
                                    }
                                    None => headline(result),
                                };
                                bullet(ui, &format!("{}: {text}", entry.name));
                            }
                            Loaded::Audit(r) => {
                                let text = match &r.privacy {
                                    Some(p) => format!(
                                        "{}: guaranteed epsilon {} (delta {}).",
                                        entry.name,
                                        number(p.epsilon),
                                        number(p.delta)
                                    ),
                                    None => format!("{}: {}", entry.name, words::NO_GUARANTEE),
                                };
                                bullet(ui, &text);
                            }
                            _ => {}
                        }
                    }
                }
                ReportSection::Checksums => {
                    bullet(ui, words::CHECKSUMS_NOTE);
                    for input in &project.inputs {
                        bullet(ui, &format!("{}: SHA-256 {}", input.path, input.sha256));
                    }
                }
                ReportSection::Software => bullet(
                    ui,
                    &format!(
                        "GenoPriv {}, project format version {}, and the version each study \
                         was computed with.",
                        env!("CARGO_PKG_VERSION"),
                        project.format_version
                    ),
                ),
                ReportSection::Seeds => {
                    bullet(ui, words::SEEDS_NOTE);
                    for study in &project.studies {
                        bullet(ui, &format!("{}: seed {}", study.name, study.spec.seed()));
                    }
                }
                ReportSection::SignOff => {
                    bullet(ui, words::SIGN_OFF_NOTE);
                    bullet(
                        ui,
                        "Blank fields for the reviewer to fill in on paper or in the PDF: Name, \
                         Role, Date, Decision (Approve, Approve with conditions, Do not \
                         approve), Conditions or reasons, Signature.",
                    );
                }
            }
        });
}

/// The clinician's view: the label and one sentence per study.
fn plain_summary(ui: &mut egui::Ui, loaded: &[(&Entry<'_>, Loaded)]) {
    if loaded.is_empty() {
        ui.label("There are no results to read yet.");
        return;
    }
    for (entry, result) in loaded {
        bullet(ui, &format!("{}: {}", entry.name, headline(result)));
    }
    ui.add_space(8.0);
    ui.strong("Privacy label");
    labels(ui, loaded);
}

fn export_card(
    ui: &mut egui::Ui,
    screen: &ReportScreen,
    session: &ProjectSession,
    unsaved: bool,
    actions: &mut Vec<ReportAction>,
) {
    egui::Frame::group(ui.style())
        .inner_margin(12.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.strong("Export");
            if let Some(job) = &screen.task {
                ui.label(format!("{}: {}…", job.title, job.stage));
                let bar = match job.fraction {
                    Some(f) => egui::ProgressBar::new(f).show_percentage(),
                    None => egui::ProgressBar::new(0.0).animate(true),
                };
                ui.add(bar);
                if ui.button("Cancel").clicked() {
                    actions.push(ReportAction::Cancel);
                }
                return;
            }
            let blocker = screen.export_blocker(session, unsaved, &screen.chosen());
            ui.horizontal(|ui| {
                let export = ui
                    .add_enabled(blocker.is_none(), Button::new("Export report…"))
                    .on_hover_text("Write the report as one HTML file");
                if export.clicked() {
                    actions.push(ReportAction::Export);
                }
                if blocker.is_some() && unsaved && ui.button("Save project").clicked() {
                    actions.push(ReportAction::SaveProject);
                }
            });
            if let Some(reason) = &blocker {
                ui.label(RichText::new(reason).weak());
            }
            ui.label(
                RichText::new(
                    "For a PDF, open the HTML file in a web browser and print it to PDF: the \
                     report has a print layout (A4, sign-off on its own page).",
                )
                .weak(),
            );
            match &screen.notice {
                Some(ReportNotice::Written(path)) => {
                    ui.horizontal(|ui| {
                        ui.label(format!("The report was written to {}.", path.display()));
                        if ui.button("Dismiss").clicked() {
                            actions.push(ReportAction::DismissNotice);
                        }
                    });
                }
                Some(ReportNotice::Problem(message)) => {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(message).color(ui.visuals().error_fg_color));
                        if ui.button("Dismiss").clicked() {
                            actions.push(ReportAction::DismissNotice);
                        }
                    });
                }
                None => {}
            }
        });
}
