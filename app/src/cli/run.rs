//! `genopriv run PROJECT [--check]`: reruns every study of a project headless,
//! from its recorded inputs (refused if any SHA-256 changed) and seeds; stores
//! the new results, or with `--check` compares them with the stored ones.

use std::path::PathBuf;

use clap::Args;
use genopriv_core::Job;
use genopriv_core::project::{Project, first_difference, run_project};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The project file (JSON, as written by --project or `genopriv run`)
    pub project: PathBuf,
    /// Compare the rerun's results with the stored ones and fail at the first
    /// differing figure, instead of storing them
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: &RunArgs, job: Job<'_>) -> anyhow::Result<()> {
    let mut project = Project::load(&args.project)?;
    if project.studies.is_empty() {
        anyhow::bail!(
            "{}: the project holds no study to run",
            args.project.display()
        );
    }
    let outcome = run_project(&project, &args.project, job)?;
    if args.check {
        for (study, fresh) in project.studies.iter().zip(&outcome.results) {
            let Some(stored) = &study.result else {
                anyhow::bail!(
                    "{}: study `{}` has no stored results to check against; run the project \
                     without --check first",
                    args.project.display(),
                    study.name
                );
            };
            if let Some(difference) = first_difference(stored, fresh) {
                anyhow::bail!(
                    "{}: study `{}` does not reproduce its stored results; first differing \
                     figure: {difference}",
                    args.project.display(),
                    study.name
                );
            }
        }
        println!(
            "All {} studies reproduce their stored results.",
            project.studies.len()
        );
        return Ok(());
    }
    for (study, fresh) in project.studies.iter_mut().zip(outcome.results) {
        study.result = Some(fresh);
    }
    project.save(&args.project)?;
    println!(
        "Reran {} studies; results stored in {}.",
        project.studies.len(),
        args.project.display()
    );
    Ok(())
}
