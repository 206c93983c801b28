//! Readers for genotype files and the tables that go with them.

pub mod allele_freq;
pub mod matrix_csv;
pub mod pheno;
pub mod plink;
pub mod vcf;

use std::path::Path;

use super::format::GenotypeFormat;
use super::{Dataset, ReadOptions};
use crate::error::Result;
use crate::job::Job;

/// Reads a genotype file of any supported format, recognised by its name.
pub fn read_genotypes(path: &Path, options: &ReadOptions, job: Job<'_>) -> Result<Dataset> {
    let format = GenotypeFormat::from_path(path)?;
    let (matrix, report) = match format {
        GenotypeFormat::Vcf | GenotypeFormat::Bcf => vcf::read(path, options, job)?,
        GenotypeFormat::PlinkBed => plink::read(path, job)?,
        GenotypeFormat::Matrix => matrix_csv::read(path, job)?,
    };
    Ok(Dataset {
        matrix,
        source: path.to_path_buf(),
        format,
        report,
    })
}
