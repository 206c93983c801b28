//! VCF and BCF reader (noodles).

use std::path::Path;

use crate::data::{GenotypeMatrix, LoadReport, ReadOptions};
use crate::error::{Error, Result};
use crate::job::Job;

/// Reads `.vcf`, `.vcf.gz` (BGZF or plain gzip) and `.bcf`.
pub fn read(
    path: &Path,
    _options: &ReadOptions,
    _job: Job<'_>,
) -> Result<(GenotypeMatrix, LoadReport)> {
    Err(Error::unsupported(path, "VCF reading is being built"))
}
