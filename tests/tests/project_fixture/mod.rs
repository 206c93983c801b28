//! A seeded project built through the CLI's `--project` flag on the demo cohort's
//! first 1,500 SNPs (cohort and reference panel cut by bcftools, as in
//! `cli_audit`): a share, optionally a sweep, and a DP-SGD model audit.

use std::fs;
use std::path::{Path, PathBuf};

use genopriv_tests::{TestResult, external, genopriv_ok, sample_data};

const SNPS: usize = 1500;

pub struct Fixture {
    /// Keeps the folder alive for the test.
    pub dir: tempfile::TempDir,
    pub project: PathBuf,
}

/// The first `SNPS` records of `file` (positions taken from the cohort).
fn subset(source: &Path, out: &Path) -> TestResult {
    let cohort = sample_data("demo_cohort.vcf.gz");
    let positions = external(
        "bcftools",
        [
            "query".as_ref(),
            "-f".as_ref(),
            "%CHROM\t%POS\n".as_ref(),
            cohort.as_os_str(),
        ],
    )?;
    let last = positions
        .stdout
        .lines()
        .nth(SNPS - 1)
        .ok_or("the demo cohort has too few records")?
        .to_owned();
    let (chrom, end) = last.split_once('\t').ok_or("bad bcftools query line")?;
    external(
        "bcftools",
        [
            "view".as_ref(),
            "-r".as_ref(),
            format!("{chrom}:1-{end}").as_ref(),
            "-Oz".as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
            source.as_os_str(),
        ],
    )?;
    Ok(())
}

pub fn build(with_sweep: bool) -> TestResult<Fixture> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    fs::create_dir(&data)?;
    fs::create_dir(&out)?;
    let cohort = data.join("cohort.vcf.gz");
    let panel = data.join("panel.vcf.gz");
    let pheno = data.join("pheno.tsv");
    subset(&sample_data("demo_cohort.vcf.gz"), &cohort)?;
    subset(&sample_data("demo_reference_panel.vcf.gz"), &panel)?;
    fs::copy(sample_data("demo_cohort.pheno.tsv"), &pheno)?;
    let project = dir.path().join("study.genopriv.json");
    let p = |path: &Path| path.as_os_str().to_owned();
    let study = [
        p(&cohort),
        "--reference".into(),
        p(&panel),
        "--pheno".into(),
        p(&pheno),
    ];
    let mut share = vec!["share".into()];
    share.extend(study.iter().cloned());
    share.extend([
        "--epsilon".into(),
        "3000".into(),
        "--seed".into(),
        "11".into(),
        "--out".into(),
        p(&out.join("shared.vcf.gz")),
        "--report".into(),
        p(&out.join("share.json")),
        "--project".into(),
        p(&project),
    ]);
    genopriv_ok(share)?;
    if with_sweep {
        let mut sweep = vec!["sweep".into()];
        sweep.extend(study.iter().cloned());
        sweep.extend([
            "--epsilons".into(),
            "300,1500,3000,15000,150000".into(),
            "--repeats".into(),
            "1".into(),
            "--seed".into(),
            "12".into(),
            "--out".into(),
            p(&out.join("sweep.csv")),
            "--project".into(),
            p(&project),
        ]);
        genopriv_ok(sweep)?;
    }
    genopriv_ok([
        "audit".into(),
        "model".into(),
        "--input".into(),
        p(&cohort),
        "--pheno".into(),
        p(&pheno),
        "--dp".into(),
        "--epochs".into(),
        "2".into(),
        "--attacks".into(),
        "loss,lira,label".into(),
        "--reference-models".into(),
        "4".into(),
        "--bootstrap".into(),
        "50".into(),
        "--seed".into(),
        "13".into(),
        "--out".into(),
        p(&out.join("audit")),
        "--project".into(),
        p(&project),
    ])?;
    Ok(Fixture { dir, project })
}
