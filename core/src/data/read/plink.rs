//! PLINK 1 binary fileset reader (`.bed` + `.bim` + `.fam`).
//!
//! Allele convention: PLINK 1.9 codes each call by its copies of A2 in a
//! two-bit field (`00` homozygous A1, `01` missing, `10` heterozygous,
//! `11` homozygous A2). GenoPriv counts A1: a variant is loaded with
//! `alt_allele = A1` and `ref_allele = A2`, so the alternate-allele frequency of
//! the matrix equals PLINK's own A1 frequency (`plink --freq`). A fileset made
//! with `plink --vcf ... --keep-allele-order` has A1 = VCF ALT, so its calls load
//! exactly as from the VCF.
//!
//! Sample IDs are the `.fam` IIDs; when IIDs repeat across families, every
//! sample is named `FID_IID` instead (and the load report says so).

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::data::format::plink_paths;
use crate::data::{GenotypeMatrix, LoadReport, Variant};
use crate::error::{Error, Location, Result};
use crate::job::Job;

/// The first two bytes of every PLINK 1 `.bed` file.
pub(crate) const BED_MAGIC: [u8; 2] = [0x6c, 0x1b];
/// Third header byte: variant-major ("SNP-major") layout.
pub(crate) const BED_SNP_MAJOR: u8 = 0x01;

/// Variants decoded between progress and cancel checks.
const VARIANTS_PER_CHECK: usize = 2048;

/// Reads a `.bed`/`.bim`/`.fam` fileset named by any of its files or its prefix.
pub fn read(path: &Path, job: Job<'_>) -> Result<(GenotypeMatrix, LoadReport)> {
    let (bed_path, bim_path, fam_path) = plink_paths(path);
    let mut report = LoadReport::default();
    job.checkpoint("Reading .fam", None)?;
    let samples = read_fam(&fam_path, &mut report)?;
    job.checkpoint("Reading .bim", None)?;
    let variants = read_bim(&bim_path)?;
    let unknown_allele = variants
        .iter()
        .filter(|v| v.alt_allele == "0" || v.ref_allele == "0")
        .count();
    if unknown_allele > 0 {
        report.notes.push(format!(
            "{unknown_allele} variants have an unknown allele (`0`) in the .bim: they were \
             monomorphic where the fileset was made."
        ));
    }
    read_bed(&bed_path, samples, variants, job).map(|m| (m, report))
}

/// Sample IDs from a `.fam` file: IIDs, or `FID_IID` if IIDs are not unique.
fn read_fam(path: &Path, report: &mut LoadReport) -> Result<Vec<String>> {
    let mut ids: Vec<(String, String)> = Vec::new();
    for_each_six_field_line(
        path,
        "FID IID father mother sex phenotype",
        |_, [fid, iid, _father, _mother, _sex, _pheno]| {
            ids.push((fid.to_string(), iid.to_string()));
            Ok(())
        },
    )?;
    if ids.is_empty() {
        return Err(Error::invalid(path, "the .fam file lists no samples"));
    }
    let mut seen = HashSet::with_capacity(ids.len());
    if ids.iter().all(|(_, iid)| seen.insert(iid.as_str())) {
        return Ok(ids.into_iter().map(|(_, iid)| iid).collect());
    }
    let combined: Vec<String> = ids
        .iter()
        .map(|(fid, iid)| format!("{fid}_{iid}"))
        .collect();
    let mut seen = HashSet::with_capacity(combined.len());
    if let Some(dup) = combined.iter().find(|id| !seen.insert(id.as_str())) {
        return Err(Error::invalid(
            path,
            format!("sample `{dup}` (FID_IID) appears more than once"),
        ));
    }
    report.notes.push(
        "Individual IDs (IID) repeat across families in the .fam file, so samples are \
         named FID_IID."
            .to_string(),
    );
    Ok(combined)
}

/// Variants from a `.bim` file (chrom, id, cM, pos, A1, A2), with alt = A1.
fn read_bim(path: &Path) -> Result<Vec<Variant>> {
    let mut variants = Vec::new();
    for_each_six_field_line(
        path,
        "chromosome ID cM position A1 A2",
        |line_no, [chrom, id, _cm, pos, a1, a2]| {
            let pos = pos.parse::<u64>().map_err(|_| {
                Error::parse(
                    path,
                    Location::Field {
                        line: line_no,
                        field: "position".into(),
                    },
                    format!("`{pos}` is not a non-negative whole number"),
                )
            })?;
            variants.push(Variant {
                chrom: chrom.to_string(),
                pos,
                id: id.to_string(),
                ref_allele: a2.to_string(),
                alt_allele: a1.to_string(),
            });
            Ok(())
        },
    )?;
    if variants.is_empty() {
        return Err(Error::invalid(path, "the .bim file lists no variants"));
    }
    Ok(variants)
}

/// Calls `row` with the line number and the six whitespace-separated fields of every
/// non-blank line of a `.fam` or `.bim` file; `layout` names the fields in the error
/// for a line that has another count.
fn for_each_six_field_line(
    path: &Path,
    layout: &str,
    mut row: impl FnMut(u64, [&str; 6]) -> Result<()>,
) -> Result<()> {
    let reader = BufReader::new(File::open(path).map_err(|e| Error::io(path, e))?);
    for (index, line) in reader.lines().enumerate() {
        let line_no = index as u64 + 1;
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Ok(six) = <[&str; 6]>::try_from(fields.as_slice()) else {
            return Err(Error::parse(
                path,
                Location::Line(line_no),
                format!("expected 6 fields ({layout}), found {}", fields.len()),
            ));
        };
        row(line_no, six)?;
    }
    Ok(())
}

/// Streams the `.bed` calls, one variant record at a time, into a matrix.
fn read_bed(
    path: &Path,
    samples: Vec<String>,
    variants: Vec<Variant>,
    job: Job<'_>,
) -> Result<GenotypeMatrix> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let actual = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let n_samples = samples.len();
    let n_variants = variants.len();
    let bytes_per_variant = n_samples.div_ceil(4);
    check_bed_size(path, actual, n_samples, n_variants)?;

    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut header = [0u8; 3];
    reader
        .read_exact(&mut header)
        .map_err(|e| Error::io(path, e))?;
    if header[..2] != BED_MAGIC {
        return Err(Error::parse(
            path,
            Location::Byte(0),
            format!(
                "not a PLINK 1 .bed file (first bytes are {:#04x} {:#04x}, expected 0x6c 0x1b)",
                header[0], header[1]
            ),
        ));
    }
    match header[2] {
        BED_SNP_MAJOR => {}
        0x00 => {
            return Err(Error::unsupported(
                path,
                "this .bed file is in individual-major mode (from PLINK 0.99 or earlier); \
                 convert it with `plink --bfile <prefix> --make-bed` first",
            ));
        }
        other => {
            return Err(Error::parse(
                path,
                Location::Byte(2),
                format!("unknown .bed mode byte {other:#04x} (expected 0x01, variant-major)"),
            ));
        }
    }

    let padding_mask = padding_mask(n_samples);
    let mut matrix = GenotypeMatrix::new(samples);
    matrix.reserve_variants(n_variants);
    let mut row = vec![0u8; bytes_per_variant];
    for (index, variant) in variants.into_iter().enumerate() {
        if index % VARIANTS_PER_CHECK == 0 {
            job.checkpoint("Reading .bed", Some(index as f32 / n_variants as f32))?;
        }
        reader.read_exact(&mut row).map_err(|e| {
            Error::parse(
                path,
                Location::Record(index as u64 + 1),
                format!("cannot read this variant's calls: {e}"),
            )
        })?;
        for byte in &mut row {
            *byte = PLINK_TO_MATRIX[usize::from(*byte)];
        }
        if let Some(last) = row.last_mut() {
            *last &= padding_mask;
        }
        matrix.push_packed_variant(variant, &row);
    }
    job.checkpoint("Reading .bed", Some(1.0))?;
    Ok(matrix)
}

/// Checks that the `.bed` size matches the `.bim` and `.fam` counts and, if not,
/// says which count disagrees.
fn check_bed_size(path: &Path, actual: u64, n_samples: usize, n_variants: usize) -> Result<()> {
    let bytes_per_variant = n_samples.div_ceil(4) as u64;
    let expected = 3 + n_variants as u64 * bytes_per_variant;
    if actual == expected {
        return Ok(());
    }
    let body = actual.saturating_sub(3);
    let hint = if actual < 3 {
        "the file is too short to hold the 3-byte header".to_string()
    } else if body.is_multiple_of(bytes_per_variant) {
        format!(
            "it holds {} variants of {n_samples} samples, but the .bim lists {n_variants} \
             variants: the .bim does not belong to this .bed, or the .bed is truncated",
            body / bytes_per_variant
        )
    } else {
        "its size is not a whole number of variant records for the samples in the .fam: \
         the .fam does not belong to this .bed, or the file is truncated"
            .to_string()
    };
    Err(Error::invalid(
        path,
        format!(
            "size is {actual} bytes, expected 3 + {n_variants} variants x {bytes_per_variant} \
             bytes ({n_samples} samples) = {expected}; {hint}"
        ),
    ))
}

/// Mask keeping the used bits of a row's last byte (all bits when full).
pub(crate) fn padding_mask(n_samples: usize) -> u8 {
    match n_samples % 4 {
        0 => 0xFF,
        used => (1u8 << (2 * used)) - 1,
    }
}

/// A1 count (our call code) of each PLINK two-bit code: `00` homozygous A1,
/// `01` missing, `10` heterozygous, `11` homozygous A2.
const PLINK_CODE_TO_CALL: [u8; 4] = [2, 3, 1, 0];
/// PLINK two-bit code of each call code (the inverse of [`PLINK_CODE_TO_CALL`]).
const CALL_TO_PLINK_CODE: [u8; 4] = [0b11, 0b10, 0b00, 0b01];

/// Applies a per-field code map to the four two-bit fields of every byte value.
const fn byte_table(map: [u8; 4]) -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let mut out = 0u8;
        let mut i = 0;
        while i < 4 {
            out |= map[(b >> (2 * i)) & 0b11] << (2 * i);
            i += 1;
        }
        table[b] = out;
        b += 1;
    }
    table
}

/// PLINK byte -> matrix byte (both keep sample `4k + i` in bits `2i..2i+2`).
pub(crate) static PLINK_TO_MATRIX: [u8; 256] = byte_table(PLINK_CODE_TO_CALL);
/// Matrix byte -> PLINK byte.
pub(crate) static MATRIX_TO_PLINK: [u8; 256] = byte_table(CALL_TO_PLINK_CODE);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_tables_are_inverse_and_follow_plink_codes() {
        for b in 0..=255u8 {
            assert_eq!(
                MATRIX_TO_PLINK[usize::from(PLINK_TO_MATRIX[usize::from(b)])],
                b
            );
        }
        // Sample 0 hom A1 (00), sample 1 missing (01), sample 2 het (10), sample 3 hom A2 (11).
        let plink = 0b11_10_01_00u8;
        assert_eq!(PLINK_TO_MATRIX[usize::from(plink)], 0b00_01_11_10);
    }

    #[test]
    fn padding_masks() {
        assert_eq!(padding_mask(4), 0xFF);
        assert_eq!(padding_mask(5), 0b11);
        assert_eq!(padding_mask(7), 0b11_1111);
    }
}
