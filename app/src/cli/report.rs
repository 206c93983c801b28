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
    write_report(&project, &args.project, &sections, &args.out, job)?;
    println!("Wrote the report to {}.", args.out.display());
    Ok(())
}

/// Builds the report of `project` (saved at `project_file`) and writes it to
/// `out` atomically, refusing to replace the project or one of its inputs. The
/// desktop's Export uses it too.
pub fn write_report(
    project: &Project,
    project_file: &Path,
    sections: &[ReportSection],
    out: &Path,
    job: Job<'_>,
) -> genopriv_core::Result<()> {
    let folder = project_folder(project_file);
    let mut protected: Vec<PathBuf> = project
        .inputs
        .iter()
        .map(|i| folder.join(&i.path))
        .collect();
    protected.push(project_file.to_path_buf());
    let protected_refs: Vec<&Path> = protected.iter().map(PathBuf::as_path).collect();
    let mut file = genopriv_core::data::write::AtomicFile::create(out, &protected_refs)?;
    let html = build_report(project, sections, job)?;
    file.write_all(html.as_bytes())
        .map_err(|e| Error::io(out, e))?;
    file.commit()
}
