//! PLINK 1 binary fileset reader.

use std::path::Path;

use crate::data::{GenotypeMatrix, LoadReport};
use crate::error::{Error, Result};
use crate::job::Job;

/// Reads a `.bed`/`.bim`/`.fam` fileset named by any of its files or its prefix.
pub fn read(path: &Path, _job: Job<'_>) -> Result<(GenotypeMatrix, LoadReport)> {
    Err(Error::unsupported(path, "PLINK reading is being built"))
}
