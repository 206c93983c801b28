//! Helpers shared by the VCF tests: running bcftools (the independent reference
//! implementation) and decoding the GT strings it prints.

#![allow(dead_code)] // Each test crate uses a different subset.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

use genopriv_core::data::read::vcf;
use genopriv_core::data::{Call, GenotypeMatrix, LoadReport, MISSING, ReadOptions};
use genopriv_core::job;

pub type TestResult<T = ()> = Result<T, Box<dyn Error>>;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/vcf")
        .join(name)
}

pub fn sample_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample_data")
        .join(name)
}

pub fn read(
    path: &Path,
    options: &ReadOptions,
) -> genopriv_core::Result<(GenotypeMatrix, LoadReport)> {
    job::unattended(|job| vcf::read(path, options, job))
}

/// Runs an external tool and returns its standard output. A missing tool is an
/// error, never a skip: CI installs bcftools, tabix, bgzip and gzip.
pub fn run(program: &str, args: &[&str]) -> TestResult<String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("`{program}` is required by this test and could not be run: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Runs a shell pipeline (for tools writing to a file through redirection).
pub fn shell(script: &str) -> TestResult<String> {
    run("bash", &["-c", &format!("set -euo pipefail; {script}")])
}

/// One record as bcftools prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct BcfRecord {
    pub chrom: String,
    pub pos: u64,
    pub id: String,
    pub ref_allele: String,
    pub alt: String,
    pub gts: Vec<String>,
}

/// All records of `path` through `bcftools query` (extra `view` arguments filter).
pub fn bcftools_records(path: &Path) -> TestResult<Vec<BcfRecord>> {
    let path = path.to_str().ok_or("non-UTF-8 path")?;
    parse_query(&run(
        "bcftools",
        &[
            "query",
            "-f",
            "%CHROM\t%POS\t%ID\t%REF\t%ALT[\t%GT]\n",
            path,
        ],
    )?)
}

pub fn parse_query(text: &str) -> TestResult<Vec<BcfRecord>> {
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 5 {
                return Err(format!("short bcftools line: {line}").into());
            }
            Ok(BcfRecord {
                chrom: f[0].to_owned(),
                pos: f[1].parse()?,
                id: f[2].to_owned(),
                ref_allele: f[3].to_owned(),
                alt: f[4].to_owned(),
                gts: f[5..].iter().map(|s| (*s).to_owned()).collect(),
            })
        })
        .collect()
}

/// Decodes a GT string as printed by bcftools into the count of allele `k`,
/// independently of the reader: any unknown allele makes the call missing, a
/// haploid call counts twice, and an allele other than 0 and `k` makes it
/// missing (the second value says so).
pub fn gt_code(gt: &str, k: &str) -> (Call, bool) {
    let alleles: Vec<&str> = gt.split(['/', '|']).collect();
    if alleles.contains(&".") {
        return (MISSING, false);
    }
    if alleles.iter().any(|a| *a != "0" && *a != k) {
        return (MISSING, true);
    }
    let count = alleles.iter().filter(|a| **a == k).count() as u8;
    if alleles.len() == 1 {
        (2 * count, false)
    } else {
        (count, false)
    }
}
