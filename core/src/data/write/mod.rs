//! Writers for genotype files. Every output is written to a temporary file in the
//! destination folder and renamed into place, so a failed or cancelled write
//! leaves nothing behind; a writer refuses to replace one of its inputs.

mod atomic;
pub mod csv;
pub mod plink;
pub mod vcf;

use std::path::Path;

pub use atomic::{AtomicFile, ensure_not_input};

use super::GenotypeMatrix;
use super::format::GenotypeFormat;
use crate::error::{Error, Result};
use crate::job::Job;

/// Writes `matrix` to `out` in the format its name implies: `.vcf.gz`/`.vcf.bgz`
/// (BGZF with a tabix index), `.vcf`, `.bcf` is not written, `.bed` (with `.bim` and
/// `.fam` beside it), `.csv` or `.tsv`. `inputs` are the files the data came from;
/// none of them is ever overwritten.
pub fn write_genotypes(
    matrix: &GenotypeMatrix,
    out: &Path,
    inputs: &[&Path],
    job: Job<'_>,
) -> Result<()> {
    write_genotypes_with_meta(matrix, out, inputs, &[], job)
}

/// As [`write_genotypes`], with `##key=value` lines in a VCF header; the other
/// formats have no place for them (their report must carry the same facts).
pub fn write_genotypes_with_meta(
    matrix: &GenotypeMatrix,
    out: &Path,
    inputs: &[&Path],
    meta: &[(String, String)],
    job: Job<'_>,
) -> Result<()> {
    match GenotypeFormat::from_path(out)? {
        GenotypeFormat::Vcf => vcf::write_with_meta(matrix, out, inputs, meta, job),
        GenotypeFormat::PlinkBed => plink::write(matrix, out, inputs, job),
        GenotypeFormat::Matrix => csv::write(matrix, out, inputs, job),
        GenotypeFormat::Bcf => Err(Error::unsupported(
            out,
            "writing BCF is not supported; write .vcf.gz instead",
        )),
    }
}
