//! Delimited matrix writer: the layout [`crate::data::read::matrix_csv`] reads.
//!
//! A header `sample_id` followed by one column per variant, named by
//! [`crate::data::Variant::display_id`]; then one line per sample with its calls
//! (`0`, `1`, `2`, `NA` for missing). The delimiter follows the extension (`.csv`
//! comma, `.tsv`/`.txt` tab); a `.gz` suffix writes gzip.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::data::GenotypeMatrix;
use crate::data::read::matrix_csv::delimiter_for;
use crate::data::write::AtomicFile;
use crate::error::{Error, Result};
use crate::job::Job;

/// Text buffered per block of samples; bounds memory for very wide matrices.
const BLOCK_TEXT_BYTES: usize = 64 << 20;

pub fn write(m: &GenotypeMatrix, out: &Path, inputs: &[&Path], job: Job<'_>) -> Result<()> {
    let delimiter = delimiter_for(out).ok_or_else(|| {
        Error::unsupported(
            out,
            "a genotype matrix must be named .csv, .tsv or .txt (optionally .gz)",
        )
    })?;
    if m.n_samples() == 0 || m.n_variants() == 0 {
        return Err(Error::invalid(
            out,
            "the matrix has no samples or no variants; there is nothing to write",
        ));
    }
    for sample in m.samples() {
        check_name(out, "sample ID", sample, delimiter)?;
    }
    let names: Vec<String> = m.variants().iter().map(|v| v.display_id()).collect();
    let mut seen = HashSet::with_capacity(names.len());
    for name in &names {
        check_name(out, "variant ID", name, delimiter)?;
        if !seen.insert(name.as_str()) {
            return Err(Error::invalid(
                out,
                format!(
                    "variant ID `{name}` names two variants; a matrix file needs one name per \
                     column (give the variants distinct IDs first)"
                ),
            ));
        }
    }

    let file = AtomicFile::create(out, inputs)?;
    let gzip = out.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
    if gzip {
        let mut encoder = GzEncoder::new(file, Compression::default());
        write_text(m, &names, delimiter, &mut encoder, out, job)?;
        encoder.finish().map_err(|e| Error::io(out, e))?.commit()
    } else {
        let mut file = file;
        write_text(m, &names, delimiter, &mut file, out, job)?;
        file.commit()
    }
}

fn write_text(
    m: &GenotypeMatrix,
    names: &[String],
    delimiter: char,
    w: &mut impl Write,
    out: &Path,
    job: Job<'_>,
) -> Result<()> {
    let io = |e| Error::io(out, e);
    let mut header = String::from("sample_id");
    for name in names {
        header.push(delimiter);
        header.push_str(name);
    }
    header.push('\n');
    w.write_all(header.as_bytes()).map_err(io)?;

    // Samples are written in blocks of whole bytes of the packed rows, so each
    // variant row is visited once per block.
    let line_bytes = 2 * m.n_variants() + 64;
    let block = (BLOCK_TEXT_BYTES / line_bytes).clamp(4, 4096) / 4 * 4;
    let mut lines: Vec<String> = Vec::with_capacity(block);
    for start in (0..m.n_samples()).step_by(block) {
        job.checkpoint(
            "Writing matrix",
            Some(start as f32 / m.n_samples().max(1) as f32),
        )?;
        let end = (start + block).min(m.n_samples());
        lines.clear();
        lines.extend(m.samples()[start..end].iter().map(|id| {
            let mut line = String::with_capacity(line_bytes);
            line.push_str(id);
            line
        }));
        for j in 0..m.n_variants() {
            let row = &m.packed_row(j)[start / 4..end.div_ceil(4)];
            for (offset, line) in lines.iter_mut().enumerate() {
                let call = (row[offset / 4] >> (2 * (offset % 4))) & 0b11;
                line.push(delimiter);
                line.push_str(match call {
                    0 => "0",
                    1 => "1",
                    2 => "2",
                    _ => "NA",
                });
            }
        }
        for line in &mut lines {
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(io)?;
        }
    }
    job.checkpoint("Writing matrix", Some(1.0))?;
    Ok(())
}

/// Names are written unquoted, so they must not hold the delimiter, quotes or
/// line breaks; and the reader trims IDs, so they must not start or end with spaces.
fn check_name(out: &Path, what: &str, name: &str, delimiter: char) -> Result<()> {
    if name.trim().is_empty() || name.trim() != name || name.contains([delimiter, '"', '\n', '\r'])
    {
        return Err(Error::invalid(
            out,
            format!(
                "{what} `{name}` is empty, has surrounding spaces, or contains the delimiter, a quote or a line break, \
                 which this matrix file cannot hold"
            ),
        ));
    }
    Ok(())
}
