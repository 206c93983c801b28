//! VCF writer: BGZF with a tabix index (`.vcf.gz`, `.vcf.bgz`), or plain text (`.vcf`).
//!
//! The output is VCF 4.2 with a `##source=GenoPriv <version>` line, one `##contig`
//! line per chromosome (in order of first appearance), the GT FORMAT definition,
//! and one record per variant in matrix order. Calls are written unphased
//! (`0/0`, `0/1`, `1/1`, `./.`): the matrix holds allele counts, not haplotypes.
//! QUAL, FILTER and INFO are `.`.
//!
//! For compressed output a tabix index is written beside the data, as
//! `<out>.tbi`, so that `tabix` and `bcftools view -r` can query it. The index is
//! only possible when records are sorted; it is skipped when a chromosome's
//! variants are not contiguous, positions decrease within a chromosome, or a
//! position is 0 or beyond the 2^29 − 1 limit of the tabix binning scheme. In
//! that case any existing `<out>.tbi` is removed, since it would describe the
//! file just replaced. Both files are written atomically (see
//! [`AtomicFile`](super::AtomicFile)); the data file is committed first.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use noodles_bgzf as bgzf;
use noodles_core::Position;
use noodles_csi::binning_index::index::header::Builder as IndexHeaderBuilder;
use noodles_csi::binning_index::index::reference_sequence::bin::Chunk;
use noodles_tabix as tabix;

use super::atomic::{AtomicFile, ensure_not_input};
use crate::data::{GenotypeMatrix, Variant};
use crate::error::{Error, Result};
use crate::job::Job;

/// Variants between two progress reports and cancel checks.
const CHECKPOINT_EVERY: usize = 1_000;

/// Largest position a tabix (`.tbi`) index can hold.
const TABIX_MAX_POSITION: u64 = (1 << 29) - 1;

const STAGE: &str = "Writing VCF";

/// The text of each call code, with the tab that precedes it.
const CALL_TEXT: [&[u8; 4]; 4] = [b"\t0/0", b"\t0/1", b"\t1/1", b"\t./."];

/// The text of the four calls packed in each possible byte.
static BYTE_TEXT: [[u8; 16]; 256] = {
    let mut table = [[0u8; 16]; 256];
    let mut b = 0;
    while b < 256 {
        let mut i = 0;
        while i < 4 {
            let code = (b >> (2 * i)) & 0b11;
            let mut k = 0;
            while k < 4 {
                table[b][4 * i + k] = CALL_TEXT[code][k];
                k += 1;
            }
            i += 1;
        }
        b += 1;
    }
    table
};

/// Writes `matrix` as VCF to `out` (see the module doc). `inputs` are never
/// overwritten.
pub fn write(matrix: &GenotypeMatrix, out: &Path, inputs: &[&Path], job: Job<'_>) -> Result<()> {
    write_with_meta(matrix, out, inputs, &[], job)
}

/// As [`write`], with extra `##key=value` header lines (e.g. how a shared copy was
/// made, and that a seeded one is not for release). Keys must be plain words and
/// values single lines.
pub fn write_with_meta(
    matrix: &GenotypeMatrix,
    out: &Path,
    inputs: &[&Path],
    meta: &[(String, String)],
    job: Job<'_>,
) -> Result<()> {
    validate(matrix, out)?;
    if let Some((key, _)) = meta.iter().find(|(k, v)| {
        k.is_empty()
            || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || v.contains(['\n', '\r'])
    }) {
        return Err(Error::Parameter(format!(
            "VCF header line `{key}` must be a plain word with a one-line value"
        )));
    }
    let name = out.to_string_lossy().to_ascii_lowercase();
    let compressed = name.ends_with(".gz") || name.ends_with(".bgz");
    let mut data = AtomicFile::create(out, inputs)?;
    if !compressed {
        write_records(matrix, meta, &mut data, out, job, |w, _, line| {
            w.write_all(line)
        })?;
        return data.commit();
    }
    let index_path = index_path(out);
    ensure_not_input(&index_path, inputs)?;
    let mut writer = bgzf::io::Writer::new(data);
    if index_blocker(matrix.variants()).is_some() {
        write_records(matrix, meta, &mut writer, out, job, |w, _, line| {
            w.write_all(line)
        })?;
        writer.finish().map_err(|e| Error::io(out, e))?.commit()?;
        return match fs::remove_file(&index_path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io(&index_path, e)),
            _ => Ok(()),
        };
    }
    let mut indexer = tabix::index::Indexer::default();
    indexer.set_header(IndexHeaderBuilder::vcf().build());
    write_records(matrix, meta, &mut writer, out, job, |w, variant, line| {
        let start = w.virtual_position();
        w.write_all(line)?;
        add_to_index(&mut indexer, variant, start, w.virtual_position())
    })?;
    let data = writer.finish().map_err(|e| Error::io(out, e))?;
    let mut index_writer = tabix::io::Writer::new(AtomicFile::create(&index_path, inputs)?);
    index_writer
        .write_index(&indexer.build())
        .map_err(|e| Error::io(&index_path, e))?;
    let index = index_writer
        .into_inner()
        .finish()
        .map_err(|e| Error::io(&index_path, e))?;
    data.commit()?;
    index.commit()
}

/// Where the tabix index of `out` goes.
pub fn index_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".tbi");
    PathBuf::from(s)
}

/// Why the variants cannot be indexed with tabix, if they cannot.
pub fn index_blocker(variants: &[Variant]) -> Option<String> {
    let mut finished: HashSet<&str> = HashSet::new();
    let mut previous: Option<&Variant> = None;
    for v in variants {
        if v.pos == 0 || v.pos > TABIX_MAX_POSITION {
            return Some(format!(
                "position {} on chromosome {} is outside the range a tabix index holds",
                v.pos, v.chrom
            ));
        }
        if let Some(p) = previous {
            if p.chrom != v.chrom {
                finished.insert(p.chrom.as_str());
                if finished.contains(v.chrom.as_str()) {
                    return Some(format!(
                        "the variants of chromosome {} are not contiguous",
                        v.chrom
                    ));
                }
            } else if v.pos < p.pos {
                return Some(format!(
                    "positions decrease within chromosome {} (at {})",
                    v.chrom, v.pos
                ));
            }
        }
        previous = Some(v);
    }
    None
}

fn add_to_index(
    indexer: &mut tabix::index::Indexer,
    variant: &Variant,
    start: bgzf::VirtualPosition,
    end: bgzf::VirtualPosition,
) -> io::Result<()> {
    let to_position = |p: u64| {
        usize::try_from(p)
            .ok()
            .and_then(|p| Position::try_from(p).ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "position out of range"))
    };
    let first = to_position(variant.pos)?;
    let last = to_position(variant.pos + variant.ref_allele.len().max(1) as u64 - 1)?;
    indexer.add_record(&variant.chrom, first, last, Chunk::new(start, end))
}

/// Writes the header, then each record's line through `write_line(writer,
/// variant, line)` (which may also index it).
fn write_records<W: Write>(
    matrix: &GenotypeMatrix,
    meta: &[(String, String)],
    writer: &mut W,
    out: &Path,
    job: Job<'_>,
    mut write_line: impl FnMut(&mut W, &Variant, &[u8]) -> io::Result<()>,
) -> Result<()> {
    let io_error = |e| Error::io(out, e);
    job.checkpoint(STAGE, Some(0.0))?;
    writer.write_all(&header(matrix, meta)).map_err(io_error)?;
    let n_samples = matrix.n_samples();
    let full_bytes = n_samples / 4;
    let mut line = Vec::with_capacity(64 + 4 * n_samples);
    for (j, variant) in matrix.variants().iter().enumerate() {
        if j % CHECKPOINT_EVERY == 0 {
            job.checkpoint(STAGE, Some(j as f32 / matrix.n_variants() as f32))?;
        }
        line.clear();
        line.extend_from_slice(variant.chrom.as_bytes());
        line.push(b'\t');
        line.extend_from_slice(variant.pos.to_string().as_bytes());
        for field in [&variant.id, &variant.ref_allele, &variant.alt_allele] {
            line.push(b'\t');
            line.extend_from_slice(if field.is_empty() {
                b"."
            } else {
                field.as_bytes()
            });
        }
        line.extend_from_slice(b"\t.\t.\t.\tGT");
        let row = matrix.packed_row(j);
        let (full, rest) = row.split_at(full_bytes.min(row.len()));
        for &b in full {
            line.extend_from_slice(&BYTE_TEXT[usize::from(b)]);
        }
        if let Some(&last) = rest.first() {
            for i in 0..n_samples % 4 {
                let code = (last >> (2 * i)) & 0b11;
                line.extend_from_slice(CALL_TEXT[usize::from(code)]);
            }
        }
        line.push(b'\n');
        write_line(writer, variant, &line).map_err(io_error)?;
    }
    job.checkpoint(STAGE, Some(1.0))?;
    Ok(())
}

fn header(matrix: &GenotypeMatrix, meta: &[(String, String)]) -> Vec<u8> {
    let mut h = String::new();
    h.push_str("##fileformat=VCFv4.2\n");
    h.push_str(concat!(
        "##source=GenoPriv ",
        env!("CARGO_PKG_VERSION"),
        "\n"
    ));
    for (key, value) in meta {
        h.push_str(&format!("##{key}={value}\n"));
    }
    let mut seen = HashSet::new();
    for v in matrix.variants() {
        if seen.insert(v.chrom.as_str()) {
            h.push_str(&format!("##contig=<ID={}>\n", v.chrom));
        }
    }
    h.push_str("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n");
    h.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
    for s in matrix.samples() {
        h.push('\t');
        h.push_str(s);
    }
    h.push('\n');
    h.into_bytes()
}

/// Refuses names and alleles that would break the VCF layout.
fn validate(matrix: &GenotypeMatrix, out: &Path) -> Result<()> {
    for s in matrix.samples() {
        if s.is_empty() || s.contains(char::is_whitespace) {
            return Err(Error::invalid(
                out,
                format!("sample ID `{s}` is empty or contains white space, which VCF cannot hold"),
            ));
        }
    }
    let spaced = |s: &str| s.contains(char::is_whitespace);
    for v in matrix.variants() {
        // Empty ID and ALT are written as `.`; an allele list cannot hold a comma.
        let bad = [
            (
                "chromosome",
                &v.chrom,
                v.chrom.is_empty() || spaced(&v.chrom),
            ),
            ("ID", &v.id, spaced(&v.id)),
            (
                "REF allele",
                &v.ref_allele,
                v.ref_allele.is_empty() || spaced(&v.ref_allele) || v.ref_allele.contains(','),
            ),
            (
                "ALT allele",
                &v.alt_allele,
                spaced(&v.alt_allele) || v.alt_allele.contains(','),
            ),
        ]
        .into_iter()
        .find(|(_, _, bad)| *bad);
        if let Some((what, value, _)) = bad {
            return Err(Error::invalid(
                out,
                format!(
                    "variant {} has {what} `{value}`, which VCF cannot hold (empty, white \
                     space or a comma)",
                    v.display_id()
                ),
            ));
        }
    }
    Ok(())
}
