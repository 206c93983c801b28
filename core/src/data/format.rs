//! Recognising genotype file formats from their names.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The genotype formats GenoPriv reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GenotypeFormat {
    /// VCF text, plain or compressed (BGZF or plain gzip).
    Vcf,
    /// BCF (binary VCF).
    Bcf,
    /// PLINK 1 binary fileset: `.bed`, `.bim`, `.fam`.
    PlinkBed,
    /// A delimited matrix (CSV or TSV): one row per individual, an ID column, then
    /// one column per SNP holding 0, 1, 2 or NA.
    Matrix,
}

impl GenotypeFormat {
    /// Recognises the format from a file name (case-insensitive):
    /// `.vcf`, `.vcf.gz`, `.vcf.bgz`, `.bcf`, `.bed`/`.bim`/`.fam` (or a PLINK prefix
    /// whose `.bed` exists), `.csv`, `.tsv`, `.txt` (optionally `.gz`).
    pub fn from_path(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let base = name
            .strip_suffix(".gz")
            .or_else(|| name.strip_suffix(".bgz"))
            .unwrap_or(&name);
        if base.ends_with(".vcf") {
            Ok(Self::Vcf)
        } else if base.ends_with(".bcf") || name.ends_with(".bcf") {
            Ok(Self::Bcf)
        } else if name.ends_with(".bed") || name.ends_with(".bim") || name.ends_with(".fam") {
            Ok(Self::PlinkBed)
        } else if base.ends_with(".csv") || base.ends_with(".tsv") || base.ends_with(".txt") {
            Ok(Self::Matrix)
        } else if path.with_extension("bed").is_file() && path.extension().is_none() {
            Ok(Self::PlinkBed)
        } else {
            Err(Error::unsupported(
                path,
                "unrecognised file type; expected .vcf, .vcf.gz, .bcf, a PLINK .bed/.bim/.fam \
                 set, or a .csv/.tsv genotype matrix",
            ))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Vcf => "VCF",
            Self::Bcf => "BCF",
            Self::PlinkBed => "PLINK .bed/.bim/.fam",
            Self::Matrix => "delimited matrix",
        }
    }
}

/// The `.bed`, `.bim` and `.fam` paths of a PLINK fileset named by any of its
/// files or by its prefix.
pub fn plink_paths(path: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let lower = path.to_string_lossy().to_ascii_lowercase();
    let prefix = if lower.ends_with(".bed") || lower.ends_with(".bim") || lower.ends_with(".fam") {
        path.with_extension("")
    } else {
        path.to_path_buf()
    };
    let with = |ext: &str| {
        let mut s = prefix.clone().into_os_string();
        s.push(".");
        s.push(ext);
        PathBuf::from(s)
    };
    (with("bed"), with("bim"), with("fam"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_extensions() {
        let f = |s: &str| GenotypeFormat::from_path(Path::new(s)).ok();
        assert_eq!(f("a.vcf"), Some(GenotypeFormat::Vcf));
        assert_eq!(f("a.VCF.GZ"), Some(GenotypeFormat::Vcf));
        assert_eq!(f("a.vcf.bgz"), Some(GenotypeFormat::Vcf));
        assert_eq!(f("a.bcf"), Some(GenotypeFormat::Bcf));
        assert_eq!(f("a.bim"), Some(GenotypeFormat::PlinkBed));
        assert_eq!(f("a.tsv.gz"), Some(GenotypeFormat::Matrix));
        assert_eq!(f("a.xyz"), None);
    }

    #[test]
    fn plink_paths_from_any_member() {
        let (b, m, f) = plink_paths(Path::new("/x/data.fam"));
        assert_eq!(b, Path::new("/x/data.bed"));
        assert_eq!(m, Path::new("/x/data.bim"));
        assert_eq!(f, Path::new("/x/data.fam"));
        let (b, _, _) = plink_paths(Path::new("/x/data.v2"));
        assert_eq!(b, Path::new("/x/data.v2.bed"));
    }
}
