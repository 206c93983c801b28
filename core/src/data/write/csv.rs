//! Delimited matrix writer.

use std::path::Path;

use crate::data::GenotypeMatrix;
use crate::error::{Error, Result};
use crate::job::Job;

pub fn write(_m: &GenotypeMatrix, out: &Path, _inputs: &[&Path], _job: Job<'_>) -> Result<()> {
    Err(Error::unsupported(out, "CSV writing is being built"))
}
