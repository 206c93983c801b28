//! PLINK 1 binary fileset writer (`.bed` + `.bim` + `.fam`).
//!
//! A1 is the matrix's counted (`alt`) allele and A2 its `ref` allele, mirroring the
//! reader, so `plink --freq` reports our alternate-allele frequency as the A1
//! frequency. PLINK 1.9 keeps that order only with `--keep-allele-order`; without it,
//! it swaps A1 to be the minor allele on load, which changes which allele is counted
//! but not the genotypes. The `.fam` gets FID = IID = sample ID, unknown parents and
//! sex (`0`), and a missing phenotype (`-9`).

use std::io::Write;
use std::path::Path;

use crate::data::GenotypeMatrix;
use crate::data::format::plink_paths;
use crate::data::read::plink::{BED_MAGIC, BED_SNP_MAJOR, MATRIX_TO_PLINK, padding_mask};
use crate::data::write::AtomicFile;
use crate::error::{Error, Result};
use crate::job::Job;

/// Variants written between progress and cancel checks.
const VARIANTS_PER_CHECK: usize = 4096;

/// Writes the fileset whose prefix `out` names (`x.bed`, `x.bim`, `x.fam` or `x`).
/// The three files appear only once all of them are complete.
pub fn write(m: &GenotypeMatrix, out: &Path, inputs: &[&Path], job: Job<'_>) -> Result<()> {
    if m.n_samples() == 0 || m.n_variants() == 0 {
        return Err(Error::invalid(
            out,
            "the matrix has no samples or no variants; there is nothing to write",
        ));
    }
    let (bed_path, bim_path, fam_path) = plink_paths(out);

    let mut fam = AtomicFile::create(&fam_path, inputs)?;
    for sample in m.samples() {
        check_token(&fam_path, "sample ID", sample)?;
        writeln!(fam, "{sample} {sample} 0 0 0 -9").map_err(|e| Error::io(&fam_path, e))?;
    }

    let mut bim = AtomicFile::create(&bim_path, inputs)?;
    for v in m.variants() {
        check_token(&bim_path, "chromosome", &v.chrom)?;
        check_token(&bim_path, "variant ID", &v.id)?;
        check_token(&bim_path, "allele", &v.alt_allele)?;
        check_token(&bim_path, "allele", &v.ref_allele)?;
        writeln!(
            bim,
            "{}\t{}\t0\t{}\t{}\t{}",
            v.chrom, v.id, v.pos, v.alt_allele, v.ref_allele
        )
        .map_err(|e| Error::io(&bim_path, e))?;
    }

    let mut bed = AtomicFile::create(&bed_path, inputs)?;
    let io = |e| Error::io(&bed_path, e);
    bed.write_all(&[BED_MAGIC[0], BED_MAGIC[1], BED_SNP_MAJOR])
        .map_err(io)?;
    // PLINK pads the last byte of each record with zero bits.
    let mask = padding_mask(m.n_samples());
    let mut row = Vec::with_capacity(m.bytes_per_variant());
    for j in 0..m.n_variants() {
        if j % VARIANTS_PER_CHECK == 0 {
            job.checkpoint("Writing .bed", Some(j as f32 / m.n_variants() as f32))?;
        }
        row.clear();
        row.extend(
            m.packed_row(j)
                .iter()
                .map(|&b| MATRIX_TO_PLINK[usize::from(b)]),
        );
        if let Some(last) = row.last_mut() {
            *last &= mask;
        }
        bed.write_all(&row).map_err(io)?;
    }
    job.checkpoint("Writing .bed", Some(1.0))?;

    fam.commit()?;
    bim.commit()?;
    bed.commit()
}

/// PLINK text files are whitespace-delimited: a field must be non-empty and hold no
/// whitespace.
fn check_token(path: &Path, what: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            path,
            format!(
                "{what} `{value}` is empty or contains whitespace, which PLINK files cannot hold"
            ),
        ));
    }
    Ok(())
}
