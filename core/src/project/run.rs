//! Rerunning a project's studies headless, from its recorded inputs and seeds.

use std::path::Path;

use serde::Serialize;

use crate::data::read::allele_freq::read_allele_freqs;
use crate::data::read::pheno::{join, read_phenotypes};
use crate::data::read::read_genotypes;
use crate::data::{GenotypeMatrix, MultiAllelicPolicy, ReadOptions};
use crate::error::{Error, Result};
use crate::job::Job;
use crate::sharing::NoiseKey;
use crate::stats::gwas::RetentionSettings;
use crate::study::{ModelAudit, ShareInputs, ShareStudy, run_sweep};

use super::{AuditData, CohortData, Project, ReadSettings, StudySpec, project_folder};

/// Fresh results of every study, in the project's order.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutcome {
    pub results: Vec<serde_json::Value>,
}

/// Checks the inputs' SHA-256, then reruns every study of the project. Nothing is
/// written: the caller compares or stores the results.
pub fn run_project(project: &Project, project_file: &Path, job: Job<'_>) -> Result<RunOutcome> {
    project.verify_inputs(project_file, job)?;
    let folder = project_folder(project_file);
    let mut results = Vec::with_capacity(project.studies.len());
    for study in &project.studies {
        let value = match &study.spec {
            StudySpec::Share {
                data,
                settings,
                seed,
            } => {
                let prepared = prepare_share(data, &folder, job)?;
                let mut outcome = prepared.run(settings, &NoiseKey::from_seed(*seed), job)?;
                outcome.report.input_sha256 =
                    project.input_sha256(&data.genotypes).map(str::to_owned);
                outcome.report.reference_sha256 = data
                    .reference
                    .as_deref()
                    .and_then(|r| project.input_sha256(r))
                    .map(str::to_owned);
                to_json(&study.name, &outcome.report)?
            }
            StudySpec::Sweep { data, settings } => {
                let prepared = prepare_share(data, &folder, job)?;
                to_json(&study.name, &run_sweep(&prepared, settings, &|_| {}, job)?)?
            }
            StudySpec::ModelAudit { data, settings } => {
                let audit = prepare_audit(data, settings.seed, &folder, job)?;
                to_json(&study.name, &audit.run(settings, job)?)?
            }
        };
        results.push(value);
    }
    Ok(RunOutcome { results })
}

fn to_json(study: &str, result: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(result).map_err(|e| {
        Error::Parameter(format!(
            "the results of study `{study}` could not be written as JSON: {e}"
        ))
    })
}

impl ReadSettings {
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            multi_allelic: if self.split_multiallelic {
                MultiAllelicPolicy::Split
            } else {
                MultiAllelicPolicy::Skip
            },
            keep_non_snps: self.keep_non_snps,
        }
    }
}

/// Reads a genotype file; one without samples or variants cannot be studied.
fn load(path: &Path, read: &ReadSettings, job: Job<'_>) -> Result<GenotypeMatrix> {
    let dataset = read_genotypes(path, &read.options(), job)?;
    if dataset.matrix.n_samples() == 0 || dataset.matrix.n_variants() == 0 {
        return Err(Error::invalid(
            path,
            "no samples or no variants were loaded, so there is nothing to study",
        ));
    }
    Ok(dataset.matrix)
}

/// Loads a sharing study's inputs as `genopriv share` does and prepares it.
fn prepare_share(data: &CohortData, folder: &Path, job: Job<'_>) -> Result<ShareStudy> {
    let cohort = load(&folder.join(&data.genotypes), &data.read, job)?;
    let mut inputs = ShareInputs::new(cohort);
    inputs.gwas_test = data.gwas_test;
    inputs.retention = RetentionSettings {
        alpha: data.alpha,
        tau: data.tau,
    };
    if let Some(panel) = &data.reference {
        inputs.panel = Some(load(&folder.join(panel), &data.read, job)?);
    }
    if let Some(af) = &data.reference_af {
        let table = read_allele_freqs(&folder.join(af))?;
        inputs.reference_af = Some(table.match_variants(inputs.private.variants()).0);
    }
    if let Some(pheno) = &data.pheno {
        let path = folder.join(pheno);
        let table = read_phenotypes(&path, None)?;
        let joined = join(&table, inputs.private.samples());
        inputs.case_status = Some(table.case_control(&joined, &data.case_column)?.status);
    }
    ShareStudy::prepare(inputs, job)
}

/// Loads a model audit's inputs as `genopriv audit model` does (the split seeded
/// with the audit's seed) and prepares it.
fn prepare_audit(data: &AuditData, seed: u64, folder: &Path, job: Job<'_>) -> Result<ModelAudit> {
    let cohort = load(&folder.join(&data.genotypes), &data.read, job)?;
    let table = read_phenotypes(&folder.join(&data.pheno), None)?;
    let joined = join(&table, cohort.samples());
    let status = table.case_control(&joined, &data.case_column)?;
    ModelAudit::prepare(&cohort, &status.status, seed, job)
}
