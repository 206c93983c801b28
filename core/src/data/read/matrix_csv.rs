//! Delimited genotype matrix reader (CSV/TSV, optionally gzip-compressed).
//!
//! Layout: a header line naming an ID column and then one column per SNP; then one
//! line per individual holding its ID and a call per SNP: `0`, `1` or `2` copies of
//! the counted allele, `NA` or an empty field for a missing call. This is the layout
//! of the PROVGEN/OpenSNP `data.csv` files (`PATIENT_ID,0,1,...`). The delimiter
//! follows the extension: `.csv` comma, `.tsv`/`.txt` tab; a `.gz` suffix (or gzip
//! content) is decompressed on the fly. A field may be wrapped in double quotes.
//!
//! Such a file names its SNPs but says nothing else about them, so each variant gets
//! `id` = column name, `chrom` = `0` (PLINK's code for an unplaced variant, so a
//! written `.bim` loads in `plink` without extra flags), `pos` = the 1-based
//! index of its genotype column, and alleles `A`/`B` (the Illumina A/B convention
//! for "allele letters unknown"; `B` is the counted allele). Writing such a matrix
//! as CSV and reading it back gives the same matrix.
//!
//! The file is parsed here rather than by polars: lines are read one at a time and
//! each individual's calls are packed at 2 bits as soon as they are parsed, so the
//! text is never held whole, and every bad field is reported by line and column
//! (polars pads short rows with nulls and reports bad cells by byte offset). The
//! packed individual-major rows are then transposed into the variant-major matrix:
//! peak memory is about twice the packed size.
//!
//! [`MatrixCoding::HaploidPlusMinusOne`] reads the same layout holding haploid
//! calls coded `+1`/`-1` (the DP-MIA yeast segregants: lab vs vineyard parent).
//! `+1` is taken as the counted allele `B` and coded 2, `-1` as 0, the way the VCF
//! reader codes haploid calls: a haploid cohort then has one coding whatever file it
//! came from, and the 0/2 features differ from the study's ±1 by a shift of 1 alone,
//! which a model's intercept absorbs (same spread, so the same L1/L2 penalty means
//! the same fit).

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

use crate::data::{GenotypeMatrix, LoadReport, MISSING, Variant};
use crate::error::{Error, Location, Result};
use crate::job::Job;

/// The chromosome, reference and counted allele given to matrix columns.
pub const MATRIX_CHROM: &str = "0";
pub const MATRIX_REF_ALLELE: &str = "A";
pub const MATRIX_ALT_ALLELE: &str = "B";

/// Lines parsed between progress and cancel checks.
const LINES_PER_CHECK: u64 = 64;

/// How the cells of a matrix code the calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MatrixCoding {
    /// `0`, `1`, `2` copies of the counted allele.
    #[default]
    AltCounts,
    /// Haploid calls: `+1` (or `1`) the counted allele, coded 2; `-1` the other, coded 0.
    HaploidPlusMinusOne,
}

/// Reads a CSV/TSV matrix: one row per individual, an ID column, then SNP columns.
pub fn read(path: &Path, job: Job<'_>) -> Result<(GenotypeMatrix, LoadReport)> {
    read_with(path, MatrixCoding::AltCounts, job)
}

/// [`read`] for a matrix whose cells use `coding`.
pub fn read_with(
    path: &Path,
    coding: MatrixCoding,
    job: Job<'_>,
) -> Result<(GenotypeMatrix, LoadReport)> {
    let delimiter = delimiter_for(path).ok_or_else(|| {
        Error::unsupported(
            path,
            "a genotype matrix must be named .csv, .tsv or .txt (optionally .gz)",
        )
    })?;
    let mut text = TextFile::open(path)?;
    job.checkpoint("Reading matrix", Some(0.0))?;

    let Some((header_no, header)) = text.next_line()? else {
        return Err(Error::invalid(path, "the file is empty"));
    };
    let columns: Vec<String> = split_fields(&header, delimiter)
        .into_iter()
        .map(Cow::into_owned)
        .collect();
    let variants = matrix_variants(path, header_no, &columns)?;
    let n_variants = variants.len();
    let bytes_per_row = n_variants.div_ceil(4);

    let mut ids: Vec<String> = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    let mut rows: Vec<u8> = Vec::new();
    while let Some((line_no, line)) = text.next_line()? {
        if line_no % LINES_PER_CHECK == 0 {
            job.checkpoint("Reading matrix", Some(text.fraction_read()))?;
        }
        let fields = split_fields(&line, delimiter);
        if fields.len() != columns.len() {
            return Err(Error::parse(
                path,
                Location::Line(line_no),
                format!(
                    "has {} fields but the header has {}",
                    fields.len(),
                    columns.len()
                ),
            ));
        }
        let start = rows.len();
        rows.resize(start + bytes_per_row, 0);
        let row = &mut rows[start..];
        for (j, field) in fields.iter().skip(1).enumerate() {
            let parsed = match coding {
                MatrixCoding::AltCounts => parse_call(field),
                MatrixCoding::HaploidPlusMinusOne => parse_haploid_sign(field),
            };
            let call = parsed.map_err(|message| {
                Error::parse(path, column_location(line_no, j + 1, &columns), message)
            })?;
            row[j / 4] |= call << (2 * (j % 4));
        }
        let id = fields
            .first()
            .map(|f| f.trim().to_string())
            .unwrap_or_default();
        if id.is_empty() {
            return Err(Error::parse(
                path,
                column_location(line_no, 0, &columns),
                "the individual's ID is empty",
            ));
        }
        match first_line_of.entry(id.clone()) {
            Entry::Occupied(first) => {
                return Err(Error::parse(
                    path,
                    column_location(line_no, 0, &columns),
                    format!("ID `{id}` was already used on line {}", first.get()),
                ));
            }
            Entry::Vacant(slot) => {
                slot.insert(line_no);
            }
        }
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(Error::invalid(
            path,
            "the file has a header but no individuals",
        ));
    }
    drop(first_line_of);
    job.checkpoint("Reading matrix", Some(1.0))?;
    let matrix = transpose(&rows, ids, variants, job)?;
    let mut report = LoadReport::default();
    if coding == MatrixCoding::HaploidPlusMinusOne {
        let calls: u64 = (0..matrix.n_variants())
            .map(|j| matrix.call_counts(j).called())
            .sum();
        report.haploid_calls = calls;
        report.notes.push(format!(
            "{calls} haploid calls coded +1/-1 were read as 2/0 copies of the counted allele \
             (B = the +1 allele)"
        ));
    }
    Ok((matrix, report))
}

/// Variant records for the genotype columns of a matrix header.
fn matrix_variants(path: &Path, header_no: u64, columns: &[String]) -> Result<Vec<Variant>> {
    if columns.len() < 2 {
        return Err(Error::parse(
            path,
            Location::Line(header_no),
            "the header needs an ID column followed by at least one genotype column",
        ));
    }
    let mut first_column_of: HashMap<&str, usize> = HashMap::new();
    let mut variants = Vec::with_capacity(columns.len() - 1);
    for (j, name) in columns.iter().enumerate().skip(1) {
        if name.trim().is_empty() {
            return Err(Error::parse(
                path,
                column_location(header_no, j, columns),
                "the genotype column has no name (is there a trailing delimiter?)",
            ));
        }
        if let Some(first) = first_column_of.insert(name.as_str(), j) {
            return Err(Error::parse(
                path,
                column_location(header_no, j, columns),
                format!(
                    "column name `{name}` was already used by column {}",
                    first + 1
                ),
            ));
        }
        variants.push(Variant {
            chrom: MATRIX_CHROM.to_string(),
            pos: j as u64,
            id: name.clone(),
            ref_allele: MATRIX_REF_ALLELE.to_string(),
            alt_allele: MATRIX_ALT_ALLELE.to_string(),
        });
    }
    Ok(variants)
}

/// A call from a matrix cell: 0, 1, 2, or missing for `NA` or an empty cell.
fn parse_call(field: &str) -> std::result::Result<u8, String> {
    match field.trim() {
        "0" => Ok(0),
        "1" => Ok(1),
        "2" => Ok(2),
        "" | "NA" => Ok(MISSING),
        other => Err(match other.parse::<f64>() {
            Ok(_) => format!("genotype `{other}` is outside 0..2 (expected 0, 1, 2 or NA)"),
            Err(_) => format!("`{other}` is not a genotype (expected 0, 1, 2 or NA)"),
        }),
    }
}

/// A haploid call coded by sign: `+1`/`1` is 2 copies of the counted allele, `-1`
/// is 0, `NA` or an empty cell is missing.
fn parse_haploid_sign(field: &str) -> std::result::Result<u8, String> {
    match field.trim() {
        "1" | "+1" => Ok(2),
        "-1" => Ok(0),
        "" | "NA" => Ok(MISSING),
        other => Err(format!(
            "`{other}` is not a haploid call coded by sign (expected +1, -1 or NA)"
        )),
    }
}

/// Location of a cell, naming the column by its 1-based number and header name.
fn column_location(line: u64, column: usize, columns: &[String]) -> Location {
    let name = columns.get(column).map(String::as_str).unwrap_or("");
    Location::Field {
        line,
        field: format!("{} ({name})", column + 1),
    }
}

/// Turns individual-major packed rows (one byte holds four variants) into the
/// variant-major matrix, four variants (one byte column) at a time.
fn transpose(
    rows: &[u8],
    samples: Vec<String>,
    variants: Vec<Variant>,
    job: Job<'_>,
) -> Result<GenotypeMatrix> {
    let n_samples = samples.len();
    let bytes_per_row = variants.len().div_ceil(4);
    let mut matrix = GenotypeMatrix::new(samples);
    matrix.reserve_variants(variants.len());
    let bytes_per_variant = matrix.bytes_per_variant();
    let mut block = vec![0u8; 4 * bytes_per_variant];
    let mut pending = variants.into_iter();
    for column in 0..bytes_per_row {
        if column % 1024 == 0 {
            job.checkpoint(
                "Transposing matrix",
                Some(column as f32 / bytes_per_row as f32),
            )?;
        }
        block.fill(0);
        for (i, row) in rows.chunks_exact(bytes_per_row).enumerate() {
            let byte = row.get(column).copied().unwrap_or(0);
            let (target, shift) = (i / 4, 2 * (i % 4));
            for k in 0..4 {
                let call = (byte >> (2 * k)) & 0b11;
                if let Some(b) = block.get_mut(k * bytes_per_variant + target) {
                    *b |= call << shift;
                }
            }
        }
        for packed in block.chunks_exact(bytes_per_variant).take(4) {
            let Some(variant) = pending.next() else { break };
            matrix.push_packed_variant(variant, packed);
        }
    }
    debug_assert_eq!(matrix.n_samples(), n_samples);
    Ok(matrix)
}

/// The field delimiter a table's name implies: `.csv` comma, `.tsv`/`.txt` tab
/// (ignoring a `.gz` suffix and case).
pub(crate) fn delimiter_for(path: &Path) -> Option<char> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let base = name.strip_suffix(".gz").unwrap_or(&name);
    if base.ends_with(".csv") {
        Some(',')
    } else if base.ends_with(".tsv") || base.ends_with(".txt") {
        Some('\t')
    } else {
        None
    }
}

/// Splits one line into fields. A field wrapped in double quotes may hold the
/// delimiter, and `""` inside it stands for one quote; the quotes are removed.
pub(crate) fn split_fields(line: &str, delimiter: char) -> Vec<Cow<'_, str>> {
    if !line.contains('"') {
        return line.split(delimiter).map(Cow::Borrowed).collect();
    }
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => in_quotes = !in_quotes,
            c if c == delimiter && !in_quotes => {
                fields.push(Cow::Owned(std::mem::take(&mut field)))
            }
            c => field.push(c),
        }
    }
    fields.push(Cow::Owned(field));
    fields
}

/// A text file read line by line, gzip-decompressed if its content is gzip,
/// counting the bytes taken from disk for progress.
pub(crate) struct TextFile<'p> {
    path: &'p Path,
    reader: Box<dyn BufRead>,
    consumed: Arc<AtomicU64>,
    size: u64,
    line_no: u64,
    buffer: Vec<u8>,
}

impl<'p> TextFile<'p> {
    pub(crate) fn open(path: &'p Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let consumed = Arc::new(AtomicU64::new(0));
        let counted = BufReader::new(CountingReader {
            inner: file,
            count: Arc::clone(&consumed),
        });
        let mut counted = counted;
        let is_gzip = counted
            .fill_buf()
            .map_err(|e| Error::io(path, e))?
            .starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn BufRead> = if is_gzip {
            Box::new(BufReader::with_capacity(
                1 << 16,
                MultiGzDecoder::new(counted),
            ))
        } else {
            Box::new(counted)
        };
        Ok(Self {
            path,
            reader,
            consumed,
            size,
            line_no: 0,
            buffer: Vec::new(),
        })
    }

    /// The next non-blank line and its 1-based number, without the line ending (or
    /// a byte-order mark on line 1).
    pub(crate) fn next_line(&mut self) -> Result<Option<(u64, String)>> {
        loop {
            self.buffer.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| Error::io(self.path, e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            while matches!(self.buffer.last(), Some(b'\n' | b'\r')) {
                self.buffer.pop();
            }
            if self.line_no == 1 && self.buffer.starts_with(UTF8_BOM) {
                self.buffer.drain(..UTF8_BOM.len());
            }
            if self.buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let line = String::from_utf8(std::mem::take(&mut self.buffer)).map_err(|_| {
                Error::parse(
                    self.path,
                    Location::Line(self.line_no),
                    "the line is not valid UTF-8 text",
                )
            })?;
            return Ok(Some((self.line_no, line)));
        }
    }

    /// Share of the file on disk read so far.
    pub(crate) fn fraction_read(&self) -> f32 {
        if self.size == 0 {
            return 1.0;
        }
        self.consumed.load(Ordering::Relaxed) as f32 / self.size as f32
    }
}

/// The byte-order mark some spreadsheet programs put at the start of UTF-8 files.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Counts the bytes read through it.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields() {
        let fields = split_fields(r#""a,b",1,"say ""hi""",,2"#, ',');
        assert_eq!(fields, ["a,b", "1", r#"say "hi""#, "", "2"]);
        assert_eq!(split_fields("x\t0\t\tNA", '\t'), ["x", "0", "", "NA"]);
    }

    #[test]
    fn parses_calls() {
        assert_eq!(parse_call("2"), Ok(2));
        assert_eq!(parse_call("NA"), Ok(MISSING));
        assert_eq!(parse_call(""), Ok(MISSING));
        assert!(parse_call("3").is_err_and(|m| m.contains("outside 0..2")));
        assert!(parse_call("x").is_err_and(|m| m.contains("not a genotype")));
    }

    #[test]
    fn parses_haploid_signs() {
        assert_eq!(parse_haploid_sign("+1"), Ok(2));
        assert_eq!(parse_haploid_sign("1"), Ok(2));
        assert_eq!(parse_haploid_sign("-1"), Ok(0));
        assert_eq!(parse_haploid_sign("NA"), Ok(MISSING));
        assert!(parse_haploid_sign("0").is_err_and(|m| m.contains("by sign")));
        assert!(parse_haploid_sign("2").is_err());
    }
}
