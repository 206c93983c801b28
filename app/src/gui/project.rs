//! The open project: the studies this session ran, recorded with
//! `genopriv_core::project::Project::record` (the CLI's `--project` does the same),
//! and saving and opening project files on workers.
//!
//! A study that finishes is kept as pending until the project is saved: recording
//! needs the project file's folder (paths are stored relative to it) and hashes
//! the inputs, which is work for a worker, not for a frame.

use std::path::{Path, PathBuf};

use genopriv_core::project::{
    InputCheck, InputState, Project, StudyRun, StudySpec, project_folder,
};
use genopriv_core::{Error, Job};

use super::jobs::{BackgroundJob, Outcome};

/// A study run in this session, not yet written into the project file.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingStudy {
    pub name: String,
    pub run: StudyRun,
    pub result: serde_json::Value,
}

/// A saved project as the worker wrote it.
pub struct Saved {
    path: PathBuf,
    project: Project,
    /// The pending studies it holds (more may have finished meanwhile).
    recorded: Vec<PendingStudy>,
}

/// A project read from disk, with its inputs checked.
pub struct Opened {
    path: PathBuf,
    project: Project,
    checks: Vec<InputCheck>,
}

pub enum ProjectTask {
    Save(BackgroundJob<Box<Saved>>),
    Open(BackgroundJob<Box<Opened>>),
}

impl ProjectTask {
    pub fn title(&self) -> &str {
        match self {
            ProjectTask::Save(job) => &job.title,
            ProjectTask::Open(job) => &job.title,
        }
    }

    pub fn progress(&self) -> (&str, Option<f32>) {
        match self {
            ProjectTask::Save(job) => (&job.stage, job.fraction),
            ProjectTask::Open(job) => (&job.stage, job.fraction),
        }
    }
}

/// What the window should do after a project job ended.
pub enum ProjectEvent {
    Saved,
    /// A project was opened; `cohort` is what its first study read, for the window
    /// to load (absolute paths: genotypes, phenotypes, reference panel).
    Opened {
        cohort: Option<ProjectCohort>,
    },
    Failed(Failure),
}

/// A save or open that failed, as a notice's title and detail.
pub struct Failure {
    pub title: String,
    pub detail: String,
}

/// The files of a project's first study, resolved against the project's folder.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectCohort {
    pub genotypes: PathBuf,
    pub pheno: Option<PathBuf>,
    pub panel: Option<PathBuf>,
}

/// The project of this session.
#[derive(Default)]
pub struct ProjectSession {
    /// Where it is saved; `None` until the first save.
    pub path: Option<PathBuf>,
    /// As last saved or opened.
    pub project: Project,
    pub pending: Vec<PendingStudy>,
    /// The inputs as found when the project was opened.
    pub checks: Option<Vec<InputCheck>>,
    pub task: Option<ProjectTask>,
    /// Set when the window should close once the save has finished.
    pub close_after_save: bool,
}

impl ProjectSession {
    /// Whether closing now would lose studies.
    pub fn has_unsaved_changes(&self) -> bool {
        !self.pending.is_empty()
    }

    pub fn is_busy(&self) -> bool {
        self.task.is_some()
    }

    /// The file name shown in the top bar.
    pub fn display_name(&self) -> String {
        self.path.as_ref().and_then(|p| p.file_name()).map_or_else(
            || "Untitled project".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// Keeps a finished study for the next save, replacing one of the same name
    /// (as recording it again in the project would). A result identical to the
    /// one already recorded changes nothing.
    pub fn note_study(&mut self, study: PendingStudy) {
        let recorded = self
            .project
            .studies
            .iter()
            .find(|s| s.name == study.name)
            .and_then(|s| s.result.as_ref());
        if recorded == Some(&study.result) {
            self.pending.retain(|p| p.name != study.name);
            return;
        }
        match self.pending.iter_mut().find(|p| p.name == study.name) {
            Some(slot) => *slot = study,
            None => self.pending.push(study),
        }
    }

    /// Starts a new, empty project (the caller asks about unsaved work first).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Records the pending studies and writes the project to `path`, atomically,
    /// on a worker. Saving into another folder rewrites the recorded paths so that
    /// they still point at the same files. `decide` adds what the window holds
    /// beside the studies (the Trade-offs screen's candidates and decision) to the
    /// copy being saved: the session's project changes only once the save lands.
    /// `Some` if the worker could not start.
    pub fn save_as(
        &mut self,
        path: PathBuf,
        decide: impl FnOnce(&mut Project),
        ctx: &egui::Context,
    ) -> Option<Failure> {
        let previous = self.path.clone();
        let mut project = self.project.clone();
        decide(&mut project);
        let pending = self.pending.clone();
        let target = path.clone();
        let work = move |job: Job<'_>| -> Result<Box<Saved>, Error> {
            let mut project = match &previous {
                Some(old) if old != &target => project.moved(old, &target)?,
                _ => project,
            };
            for (i, study) in pending.iter().enumerate() {
                job.checkpoint(
                    "Recording the studies and hashing their inputs",
                    Some(i as f32 / pending.len().max(1) as f32),
                )?;
                project.record(&target, &study.name, &study.run, study.result.clone(), job)?;
            }
            job.checkpoint("Writing the project", None)?;
            project.save(&target)?;
            Ok(Box::new(Saved {
                path: target,
                project,
                recorded: pending,
            }))
        };
        let title = format!("Saving {}", file_name(&path));
        ctx.request_repaint();
        match BackgroundJob::spawn(title.clone(), ctx, work) {
            Ok(job) => {
                self.task = Some(ProjectTask::Save(job));
                None
            }
            Err(e) => {
                self.close_after_save = false;
                Some(not_started(&title, &e))
            }
        }
    }

    /// Reads a project and checks its inputs' SHA-256 on a worker.
    /// `Some` if the worker could not start.
    pub fn open(&mut self, path: PathBuf, ctx: &egui::Context) -> Option<Failure> {
        let target = path.clone();
        let work = move |job: Job<'_>| -> Result<Box<Opened>, Error> {
            let project = Project::load(&target)?;
            let checks = project.check_inputs(&target, job)?;
            Ok(Box::new(Opened {
                path: target,
                project,
                checks,
            }))
        };
        let title = format!("Opening {}", file_name(&path));
        ctx.request_repaint();
        match BackgroundJob::spawn(title.clone(), ctx, work) {
            Ok(job) => {
                self.task = Some(ProjectTask::Open(job));
                None
            }
            Err(e) => Some(not_started(&title, &e)),
        }
    }

    /// Stops a save or an open; nothing is changed.
    pub fn cancel(&mut self) {
        self.task = None;
        self.close_after_save = false;
    }

    /// Takes a finished job's result.
    pub fn poll(&mut self) -> Option<ProjectEvent> {
        let task = self.task.as_mut()?;
        let event = match task {
            ProjectTask::Save(job) => {
                let outcome = job.poll()?;
                let failed = format!("{} failed", job.title);
                match outcome {
                    Outcome::Finished(Ok(saved)) => {
                        let Saved {
                            path,
                            project,
                            recorded,
                        } = *saved;
                        self.pending.retain(|p| !recorded.contains(p));
                        self.path = Some(path);
                        self.project = project;
                        self.checks = None;
                        ProjectEvent::Saved
                    }
                    Outcome::Finished(Err(e)) => {
                        self.close_after_save = false;
                        failure(failed, Some(e))
                    }
                    Outcome::Vanished => {
                        self.close_after_save = false;
                        failure(failed, None)
                    }
                }
            }
            ProjectTask::Open(job) => {
                let outcome = job.poll()?;
                let failed = format!("{} failed", job.title);
                match outcome {
                    Outcome::Finished(Ok(opened)) => {
                        let Opened {
                            path,
                            project,
                            checks,
                        } = *opened;
                        let cohort = first_cohort(&project, &path);
                        *self = Self {
                            path: Some(path),
                            project,
                            pending: Vec::new(),
                            checks: Some(checks),
                            task: None,
                            close_after_save: false,
                        };
                        ProjectEvent::Opened { cohort }
                    }
                    Outcome::Finished(Err(e)) => failure(failed, Some(e)),
                    Outcome::Vanished => failure(failed, None),
                }
            }
        };
        self.task = None;
        Some(event)
    }

    /// The inputs that changed or are missing, in one sentence each.
    pub fn input_problems(&self) -> Vec<String> {
        let Some(checks) = &self.checks else {
            return Vec::new();
        };
        checks
            .iter()
            .filter_map(|c| match &c.state {
                InputState::Unchanged => None,
                InputState::Changed { .. } => Some(format!(
                    "{} changed since the project recorded it: the stored results were computed \
                     on other data, and rerunning them would not reproduce them.",
                    c.path
                )),
                InputState::Unavailable { .. } => Some(format!(
                    "{} is not available here, so it could not be checked.",
                    c.path
                )),
            })
            .collect()
    }
}

fn not_started(title: &str, error: &std::io::Error) -> Failure {
    Failure {
        title: format!("{title} could not start"),
        detail: format!("The system refused to start a worker thread: {error}."),
    }
}

/// A failed job as a notice; `None` is a worker that vanished (a bug).
fn failure(title: String, error: Option<Error>) -> ProjectEvent {
    let detail = match error {
        Some(e) => {
            let mut text = e.to_string();
            if !text.ends_with('.') {
                text.push('.');
            }
            text
        }
        None => "The worker stopped without a result. This is a bug in GenoPriv; please \
                 report it."
            .into(),
    };
    ProjectEvent::Failed(Failure { title, detail })
}

/// The cohort the project's first study reads, resolved against its folder.
fn first_cohort(project: &Project, project_file: &Path) -> Option<ProjectCohort> {
    let folder = project_folder(project_file);
    let study = project.studies.first()?;
    Some(match &study.spec {
        StudySpec::Share { data, .. } | StudySpec::Sweep { data, .. } => ProjectCohort {
            genotypes: folder.join(&data.genotypes),
            pheno: data.pheno.as_ref().map(|p| folder.join(p)),
            panel: data.reference.as_ref().map(|p| folder.join(p)),
        },
        StudySpec::ModelAudit { data, .. } => ProjectCohort {
            genotypes: folder.join(&data.genotypes),
            pheno: Some(folder.join(&data.pheno)),
            panel: None,
        },
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use genopriv_core::project::{CohortFiles, CohortOptions, Study, StudyRun};
    use genopriv_core::study::{Budget, Mechanism, ShareSettings, TargetChoice};

    use super::*;

    fn study(result: i64) -> PendingStudy {
        PendingStudy {
            name: "share".into(),
            run: StudyRun::Share {
                files: CohortFiles {
                    genotypes: "cohort.vcf".into(),
                    reference: None,
                    reference_af: None,
                    pheno: None,
                },
                options: CohortOptions::with_case_column("case"),
                settings: ShareSettings {
                    mechanism: Mechanism::Xor,
                    budget: Budget::PerSnp(1.0),
                    targets: TargetChoice::Reference,
                },
                seed: 1,
            },
            result: serde_json::json!({ "value": result }),
        }
    }

    #[test]
    fn only_new_results_are_unsaved_work() {
        let mut session = ProjectSession::default();
        assert!(!session.has_unsaved_changes());
        session.note_study(study(1));
        session.note_study(study(2));
        // A study run again replaces the earlier run of the same name.
        assert_eq!(session.pending, [study(2)]);
        // A result the project file already holds is not unsaved work.
        session.project.upsert_study(Study {
            name: "share".into(),
            spec: StudySpec::Share {
                data: genopriv_core::project::CohortData {
                    genotypes: "cohort.vcf".into(),
                    reference: None,
                    reference_af: None,
                    pheno: None,
                    case_column: "case".into(),
                    gwas_test: genopriv_core::study::GwasTest::Allelic,
                    alpha: 0.05,
                    tau: 0.8,
                    read: genopriv_core::project::ReadSettings::default(),
                },
                settings: ShareSettings {
                    mechanism: Mechanism::Xor,
                    budget: Budget::PerSnp(1.0),
                    targets: TargetChoice::Reference,
                },
                seed: 1,
            },
            result: Some(serde_json::json!({ "value": 3 })),
        });
        session.note_study(study(3));
        assert!(!session.has_unsaved_changes());
        assert_eq!(session.display_name(), "Untitled project");
    }
}
