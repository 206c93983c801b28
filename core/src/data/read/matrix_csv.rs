//! Delimited genotype matrix reader (polars).

use std::path::Path;

use crate::data::{GenotypeMatrix, LoadReport};
use crate::error::{Error, Result};
use crate::job::Job;

/// Reads a CSV/TSV matrix: one row per individual, an ID column, then SNP columns.
pub fn read(path: &Path, _job: Job<'_>) -> Result<(GenotypeMatrix, LoadReport)> {
    Err(Error::unsupported(path, "matrix reading is being built"))
}
