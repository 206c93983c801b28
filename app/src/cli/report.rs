//! `genopriv report PROJECT --out report.html`: the IRB report of a project's
//! stored results, one self-contained HTML file written atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use genopriv_core::project::{Project, project_folder};
use genopriv_core::report::{ReportSection, build_report};
use genopriv_core::{Error, Job};

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The project file whose stored results are reported
    pub project: PathBuf,
    /// The HTML report
    #[arg(long, short, value_name = "REPORT.html")]
    pub out: PathBuf,
    /// Sections to include, comma-separated: label, decision, utility-risk,
    /// assumptions, epsilon, checksums, software, seeds, signoff
    #[arg(
        long,
        value_name = "LIST",
        default_value = "label,decision,utility-risk,assumptions,epsilon,checksums,software,seeds,signoff"
    )]
    pub sections: String,
}

pub fn run(args: &ReportArgs, job: Job<'_>) -> anyhow::Result<()> {
    let sections = ReportSection::parse_list(&args.sections)?;
    let project = Project::load(&args.project)?;
    let folder = project_folder(&args.project);
    let mut protected: Vec<PathBuf> = project
        .inputs
        .iter()
        .map(|i| folder.join(&i.path))
        .collect();
    protected.push(args.project.clone());
    let protected_refs: Vec<&Path> = protected.iter().map(PathBuf::as_path).collect();
    let mut file = genopriv_core::data::write::AtomicFile::create(&args.out, &protected_refs)?;
    let html = build_report(&project, &sections, job)?;
    file.write_all(html.as_bytes())
        .map_err(|e| Error::io(&args.out, e))?;
    file.commit()?;
    println!("Wrote the report to {}.", args.out.display());
    Ok(())
}
