//! Recording a study that has run into a project: the one implementation behind
//! the CLI's `--project` and the desktop's project files.
//!
//! A [`StudyRun`] names its files as the user gave them (any path); recording it
//! stores them relative to the project file with their SHA-256, so the project
//! can be moved with its data and `genopriv run` can check them.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::job::Job;
use crate::stats::gwas::RetentionSettings;
use crate::study::{GwasTest, ModelAuditSettings, ShareSettings, SweepSettings};

use super::{AuditData, CohortData, Project, ReadSettings, Study, StudySpec, project_folder};

/// The files a sharing study or sweep reads, as the user named them.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortFiles {
    pub genotypes: PathBuf,
    pub reference: Option<PathBuf>,
    pub reference_af: Option<PathBuf>,
    pub pheno: Option<PathBuf>,
}

/// How a sharing study reads its cohort and measures retention.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortOptions {
    pub case_column: String,
    pub gwas_test: GwasTest,
    pub alpha: f64,
    pub tau: f64,
    pub read: ReadSettings,
}

impl CohortOptions {
    /// The defaults of `genopriv share` (and of the desktop) with the phenotype
    /// column `case_column`.
    pub fn with_case_column(case_column: &str) -> Self {
        let retention = RetentionSettings::default();
        Self {
            case_column: case_column.to_owned(),
            gwas_test: GwasTest::Allelic,
            alpha: retention.alpha,
            tau: retention.tau,
            read: ReadSettings::default(),
        }
    }
}

/// A study that has run, with everything needed to record it.
#[derive(Clone, Debug, PartialEq)]
pub enum StudyRun {
    Share {
        files: CohortFiles,
        options: CohortOptions,
        settings: ShareSettings,
        seed: u64,
    },
    Sweep {
        files: CohortFiles,
        options: CohortOptions,
        settings: SweepSettings,
    },
    ModelAudit {
        genotypes: PathBuf,
        pheno: PathBuf,
        case_column: String,
        read: ReadSettings,
        settings: ModelAuditSettings,
    },
}

impl StudyRun {
    /// The name a study of this kind gets when the user gives none (the CLI
    /// command's name).
    pub fn default_name(&self) -> &'static str {
        match self {
            StudyRun::Share { .. } => "share",
            StudyRun::Sweep { .. } => "sweep",
            StudyRun::ModelAudit { .. } => "model_audit",
        }
    }
}

impl Project {
    /// Records `run` and its `result` under `name`, replacing a study of that
    /// name: its inputs are hashed and stored relative to `project_file`, and
    /// inputs no study reads any more are dropped. Nothing is written: call
    /// [`Project::save`].
    pub fn record(
        &mut self,
        project_file: &Path,
        name: &str,
        run: &StudyRun,
        result: serde_json::Value,
        job: Job<'_>,
    ) -> Result<()> {
        let spec = match run {
            StudyRun::Share {
                files,
                options,
                settings,
                seed,
            } => StudySpec::Share {
                data: self.cohort_data(project_file, files, options, job)?,
                settings: *settings,
                seed: *seed,
            },
            StudyRun::Sweep {
                files,
                options,
                settings,
            } => StudySpec::Sweep {
                data: self.cohort_data(project_file, files, options, job)?,
                settings: settings.clone(),
            },
            StudyRun::ModelAudit {
                genotypes,
                pheno,
                case_column,
                read,
                settings,
            } => StudySpec::ModelAudit {
                data: AuditData {
                    genotypes: self.add_input(project_file, genotypes, job)?,
                    pheno: self.add_input(project_file, pheno, job)?,
                    case_column: case_column.clone(),
                    read: *read,
                },
                settings: settings.clone(),
            },
        };
        self.upsert_study(Study {
            name: name.to_owned(),
            spec,
            result: Some(result),
        });
        self.prune_inputs();
        Ok(())
    }

    fn cohort_data(
        &mut self,
        project_file: &Path,
        files: &CohortFiles,
        options: &CohortOptions,
        job: Job<'_>,
    ) -> Result<CohortData> {
        let mut add = |path: &PathBuf| self.add_input(project_file, path, job);
        Ok(CohortData {
            genotypes: add(&files.genotypes)?,
            reference: files.reference.as_ref().map(&mut add).transpose()?,
            reference_af: files.reference_af.as_ref().map(&mut add).transpose()?,
            pheno: files.pheno.as_ref().map(&mut add).transpose()?,
            case_column: options.case_column.clone(),
            gwas_test: options.gwas_test,
            alpha: options.alpha,
            tau: options.tau,
            read: options.read,
        })
    }

    /// The same project with every path made relative to `to_file` instead of
    /// `from_file` ("Save as" into another folder). Paths are rewritten by name,
    /// so the inputs need not be present.
    pub fn moved(&self, from_file: &Path, to_file: &Path) -> Result<Project> {
        let from = absolute_folder(from_file)?;
        let to = absolute_folder(to_file)?;
        if from == to {
            return Ok(self.clone());
        }
        let rebase = |path: &mut String| -> Result<()> {
            let target = normalise(&from.join(path.as_str()));
            *path = lexical_relative(&to, &target).ok_or_else(|| {
                Error::invalid(
                    to_file,
                    format!(
                        "the input {} is on another drive than this folder, so the project \
                         cannot refer to it; save the project next to its data",
                        target.display()
                    ),
                )
            })?;
            Ok(())
        };
        let mut moved = self.clone();
        for input in &mut moved.inputs {
            rebase(&mut input.path)?;
        }
        for study in &mut moved.studies {
            match &mut study.spec {
                StudySpec::Share { data, .. } | StudySpec::Sweep { data, .. } => {
                    rebase(&mut data.genotypes)?;
                    for path in [&mut data.reference, &mut data.reference_af, &mut data.pheno]
                        .into_iter()
                        .flatten()
                    {
                        rebase(path)?;
                    }
                }
                StudySpec::ModelAudit { data, .. } => {
                    rebase(&mut data.genotypes)?;
                    rebase(&mut data.pheno)?;
                }
            }
        }
        Ok(moved)
    }
}

/// The project file's folder as an absolute path (the folder must exist).
fn absolute_folder(project_file: &Path) -> Result<PathBuf> {
    let folder = project_folder(project_file);
    folder.canonicalize().map_err(|e| Error::io(&folder, e))
}

/// `path` with `.` and `..` resolved by name.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// `target` relative to `folder` (both absolute and normalised), with `/`
/// separators; `None` when they share no root (another drive).
fn lexical_relative(folder: &Path, target: &Path) -> Option<String> {
    let from: Vec<Component> = folder.components().collect();
    let to: Vec<Component> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return None;
    }
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to.iter()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::unattended;
    use crate::study::{Budget, Mechanism, TargetChoice};

    fn share_run(genotypes: PathBuf, pheno: PathBuf) -> StudyRun {
        StudyRun::Share {
            files: CohortFiles {
                genotypes,
                reference: None,
                reference_af: None,
                pheno: Some(pheno),
            },
            options: CohortOptions::with_case_column("case"),
            settings: ShareSettings {
                mechanism: Mechanism::Xor,
                budget: Budget::PerSnp(1.0),
                targets: TargetChoice::Reference,
            },
            seed: 11,
        }
    }

    #[test]
    fn recording_hashes_inputs_and_moving_keeps_them_found() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let data = dir.path().join("data");
        let deep = dir.path().join("projects").join("deep");
        for folder in [&data, &deep] {
            std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
        }
        let cohort = data.join("cohort.tsv");
        let pheno = data.join("pheno.tsv");
        std::fs::write(&cohort, "abc").map_err(|e| Error::io(&cohort, e))?;
        std::fs::write(&pheno, "").map_err(|e| Error::io(&pheno, e))?;
        let first = dir.path().join("p.json");
        let mut project = Project::new();
        let run = share_run(cohort.clone(), pheno.clone());
        assert_eq!(run.default_name(), "share");
        unattended(|job| project.record(&first, "share", &run, serde_json::json!({"x": 1}), job))?;
        // SHA-256 of "abc" and of the empty string (FIPS 180-2; NIST examples).
        assert_eq!(
            project.input_sha256("data/cohort.tsv"),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            project.input_sha256("data/pheno.tsv"),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        // Recording again under the name replaces the study.
        unattended(|job| project.record(&first, "share", &run, serde_json::json!({"x": 2}), job))?;
        assert_eq!(project.studies.len(), 1);

        let second = deep.join("p.json");
        let moved = project.moved(&first, &second)?;
        let Some(StudySpec::Share { data, .. }) = moved.studies.first().map(|s| &s.spec) else {
            return Err(Error::Parameter("the study was lost".into()));
        };
        assert_eq!(data.genotypes, "../../data/cohort.tsv");
        assert_eq!(data.pheno.as_deref(), Some("../../data/pheno.tsv"));
        // The moved project still finds and checks its inputs from its new place.
        unattended(|job| moved.verify_inputs(&second, job))?;
        // Moving back gives the original.
        assert_eq!(moved.moved(&second, &first)?, project);
        Ok(())
    }
}
