//! Shared by the PROVGEN reproduction tests: where the artifact's data lives and a
//! small reader for its CSV matrices (the general CSV reader is a separate module).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use genopriv_core::data::{GenotypeMatrix, Variant};
use genopriv_core::{Error, Result};

/// The reference studies live outside the repository (they are not shipped):
/// `GENOPRIV_REFERENCE_STUDIES` points at them, by default `shared/reference_studies` beside the repository.
/// A missing folder fails the test: it must not pass by skipping.
pub fn study_dir(dataset: &str) -> PathBuf {
    let root = std::env::var_os("GENOPRIV_REFERENCE_STUDIES").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/reference_studies"
            ))
        },
        PathBuf::from,
    );
    root.join("provgen_opensnp").join(dataset)
}

/// Reads the artifact's CSV (`PATIENT_ID,0,1,...`, one row per person, cells
/// 0/1/2) into a variant-major matrix.
pub fn read_provgen_csv(path: &Path) -> Result<GenotypeMatrix> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text.lines();
    let header = lines
        .next()
        .ok_or_else(|| Error::invalid(path, "the file is empty"))?;
    let snp_ids: Vec<&str> = header.split(',').skip(1).collect();
    let mut samples = Vec::new();
    let mut rows: Vec<Vec<u8>> = Vec::new();
    for (index, line) in lines.enumerate() {
        let line_no = index as u64 + 2;
        let mut fields = line.split(',');
        let id = fields.next().unwrap_or_default().to_string();
        let row = fields
            .map(|f| match f.trim() {
                "0" => Ok(0u8),
                "1" => Ok(1),
                "2" => Ok(2),
                other => Err(Error::parse(
                    path,
                    genopriv_core::Location::Line(line_no),
                    format!("genotype {other:?} is not 0, 1 or 2"),
                )),
            })
            .collect::<Result<Vec<u8>>>()?;
        if row.len() != snp_ids.len() {
            return Err(Error::parse(
                path,
                genopriv_core::Location::Line(line_no),
                format!("{} genotypes for {} SNP columns", row.len(), snp_ids.len()),
            ));
        }
        samples.push(id);
        rows.push(row);
    }
    let mut matrix = GenotypeMatrix::new(samples);
    let mut calls = vec![0u8; rows.len()];
    for (j, id) in snp_ids.iter().enumerate() {
        for (call, row) in calls.iter_mut().zip(&rows) {
            *call = row[j];
        }
        let variant = Variant {
            chrom: "NA".into(),
            pos: j as u64 + 1,
            id: (*id).to_string(),
            ref_allele: "A".into(),
            alt_allele: "B".into(),
        };
        matrix.push_variant(variant, &calls);
    }
    Ok(matrix)
}

/// Writes cases and controls as a PLINK text fileset (`.ped` / `.map`), ref
/// allele `A`, counted (alt) allele `C`.
// Not every test binary that includes this module writes PLINK files.
#[allow(dead_code)]
pub fn write_ped(
    cases: &GenotypeMatrix,
    controls: &GenotypeMatrix,
    prefix: &Path,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut map = String::new();
    for (j, v) in cases.variants().iter().enumerate() {
        writeln!(map, "1\tsnp{}\t0\t{}", v.id, j + 1)?;
    }
    std::fs::write(prefix.with_extension("map"), map)?;
    let mut ped = String::new();
    for (group, matrix, phenotype) in [("case", cases, 2), ("ctrl", controls, 1)] {
        for i in 0..matrix.n_samples() {
            write!(ped, "{group}{i} {group}{i} 0 0 1 {phenotype}")?;
            for j in 0..matrix.n_variants() {
                ped.push_str(match matrix.get(j, i) {
                    0 => " A A",
                    1 => " A C",
                    2 => " C C",
                    _ => " 0 0",
                });
            }
            ped.push('\n');
        }
    }
    std::fs::write(prefix.with_extension("ped"), ped)?;
    Ok(())
}
