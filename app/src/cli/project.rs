//! `--project FILE` on `share`, `sweep` and `audit model`: records the study
//! (inputs with their SHA-256, every setting, the seed and the results) in a
//! project file, replacing a study of the same name, so that `genopriv run`
//! can rerun it and `genopriv report` can report it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use genopriv_core::Job;
use genopriv_core::project::{AuditData, CohortData, Project, ReadSettings, Study, StudySpec};
use genopriv_core::study::{ModelAuditSettings, ShareSettings, SweepSettings};
use serde::Serialize;

use super::ReadArgs;
use super::share::StudyArgs;

#[derive(Args, Debug, Clone, Default)]
pub struct ProjectArgs {
    /// Record this study (inputs with SHA-256, settings, seed, results) in a project
    /// file, created if needed; `genopriv run` reruns it, `genopriv report` reports it
    #[arg(long, value_name = "PROJECT.json")]
    pub project: Option<PathBuf>,
    /// The study's name in the project; a study of the same name is replaced
    /// (default: the command's name)
    #[arg(long, value_name = "NAME", requires = "project")]
    pub study_name: Option<String>,
}

impl ProjectArgs {
    /// Opens the project before the long work, so a bad project file fails fast.
    pub fn open(&self) -> anyhow::Result<Option<(PathBuf, Project)>> {
        self.project
            .as_ref()
            .map(|path| Ok((path.clone(), Project::load_or_new(path)?)))
            .transpose()
    }
}

fn read_settings(read: &ReadArgs) -> ReadSettings {
    ReadSettings {
        split_multiallelic: read.split_multiallelic,
        keep_non_snps: read.keep_non_snps,
    }
}

fn cohort_data(
    project: &mut Project,
    file: &Path,
    study: &StudyArgs,
    job: Job<'_>,
) -> anyhow::Result<CohortData> {
    let mut add = |path: &PathBuf| project.add_input(file, path, job);
    Ok(CohortData {
        genotypes: add(&study.input)?,
        reference: study.reference.as_ref().map(&mut add).transpose()?,
        reference_af: study.reference_af.as_ref().map(&mut add).transpose()?,
        pheno: study.pheno.as_ref().map(&mut add).transpose()?,
        case_column: study.case_column.clone(),
        gwas_test: study.gwas_test.into(),
        alpha: study.alpha,
        tau: study.tau,
        read: read_settings(&study.read),
    })
}

fn store(
    opened: Option<(PathBuf, Project)>,
    args: &ProjectArgs,
    default_name: &str,
    spec: impl FnOnce(&mut Project, &Path) -> anyhow::Result<StudySpec>,
    result: &impl Serialize,
) -> anyhow::Result<()> {
    let Some((file, mut project)) = opened else {
        return Ok(());
    };
    let name = args
        .study_name
        .clone()
        .unwrap_or_else(|| default_name.to_owned());
    let spec = spec(&mut project, &file)?;
    project.upsert_study(Study {
        name: name.clone(),
        spec,
        result: Some(serde_json::to_value(result)?),
    });
    project.prune_inputs();
    project
        .save(&file)
        .with_context(|| format!("recording study `{name}` in the project"))?;
    eprintln!("genopriv: recorded study `{name}` in {}", file.display());
    Ok(())
}

pub fn record_share(
    opened: Option<(PathBuf, Project)>,
    args: &ProjectArgs,
    study: &StudyArgs,
    settings: ShareSettings,
    seed: Option<u64>,
    result: &impl Serialize,
    job: Job<'_>,
) -> anyhow::Result<()> {
    store(
        opened,
        args,
        "share",
        |project, file| {
            Ok(StudySpec::Share {
                data: cohort_data(project, file, study, job)?,
                settings,
                seed: seed.context("a study recorded in a project needs --seed")?,
            })
        },
        result,
    )
}

pub fn record_sweep(
    opened: Option<(PathBuf, Project)>,
    args: &ProjectArgs,
    study: &StudyArgs,
    settings: &SweepSettings,
    result: &impl Serialize,
    job: Job<'_>,
) -> anyhow::Result<()> {
    store(
        opened,
        args,
        "sweep",
        |project, file| {
            Ok(StudySpec::Sweep {
                data: cohort_data(project, file, study, job)?,
                settings: settings.clone(),
            })
        },
        result,
    )
}

#[allow(clippy::too_many_arguments)]
pub fn record_audit(
    opened: Option<(PathBuf, Project)>,
    args: &ProjectArgs,
    input: &Path,
    pheno: &Path,
    case_column: &str,
    read: &ReadArgs,
    settings: &ModelAuditSettings,
    result: &impl Serialize,
    job: Job<'_>,
) -> anyhow::Result<()> {
    store(
        opened,
        args,
        "model_audit",
        |project, file| {
            Ok(StudySpec::ModelAudit {
                data: AuditData {
                    genotypes: project.add_input(file, input, job)?,
                    pheno: project.add_input(file, pheno, job)?,
                    case_column: case_column.to_owned(),
                    read: read_settings(read),
                },
                settings: settings.clone(),
            })
        },
        result,
    )
}
