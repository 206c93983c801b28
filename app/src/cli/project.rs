//! `--project FILE` on `share`, `sweep` and `audit model`: records the study
//! (inputs with their SHA-256, every setting, the seed and the results) in a
//! project file, replacing a study of the same name, so that `genopriv run`
//! can rerun it and `genopriv report` can report it. The recording itself is
//! `genopriv_core::project::Project::record`, shared with the desktop.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use genopriv_core::Job;
use genopriv_core::project::{CohortFiles, CohortOptions, Project, ReadSettings, StudyRun};
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

fn cohort(study: &StudyArgs) -> (CohortFiles, CohortOptions) {
    (
        CohortFiles {
            genotypes: study.input.clone(),
            reference: study.reference.clone(),
            reference_af: study.reference_af.clone(),
            pheno: study.pheno.clone(),
        },
        CohortOptions {
            case_column: study.case_column.clone(),
            gwas_test: study.gwas_test.into(),
            alpha: study.alpha,
            tau: study.tau,
            read: read_settings(&study.read),
        },
    )
}

/// Records `run` with the core's [`Project::record`] (the desktop's too) and saves.
fn store(
    opened: Option<(PathBuf, Project)>,
    args: &ProjectArgs,
    run: &StudyRun,
    result: &impl Serialize,
    job: Job<'_>,
) -> anyhow::Result<()> {
    let Some((file, mut project)) = opened else {
        return Ok(());
    };
    let name = args
        .study_name
        .clone()
        .unwrap_or_else(|| run.default_name().to_owned());
    project.record(&file, &name, run, serde_json::to_value(result)?, job)?;
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
    if opened.is_none() {
        return Ok(());
    }
    let (files, options) = cohort(study);
    let run = StudyRun::Share {
        files,
        options,
        settings,
        seed: seed.context("a study recorded in a project needs --seed")?,
    };
    store(opened, args, &run, result, job)
}

pub fn record_sweep(
    opened: Option<(PathBuf, Project)>,
    args: &ProjectArgs,
    study: &StudyArgs,
    settings: &SweepSettings,
    result: &impl Serialize,
    job: Job<'_>,
) -> anyhow::Result<()> {
    let (files, options) = cohort(study);
    let run = StudyRun::Sweep {
        files,
        options,
        settings: settings.clone(),
    };
    store(opened, args, &run, result, job)
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
    let run = StudyRun::ModelAudit {
        genotypes: input.to_path_buf(),
        pheno: pheno.to_path_buf(),
        case_column: case_column.to_owned(),
        read: read_settings(read),
        settings: settings.clone(),
    };
    store(opened, args, &run, result, job)
}
