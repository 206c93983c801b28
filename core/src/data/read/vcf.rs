//! VCF and BCF reader.
//!
//! # Inputs
//! `.vcf` (plain text), `.vcf.gz`/`.vcf.bgz` (BGZF, or plain gzip when the gzip
//! header lacks the BGZF extra field) and `.bcf` (BGZF-compressed or uncompressed).
//! What a file holds is recognised from its bytes, not its name; a file whose name
//! disagrees with its content is read by its content and a note says so.
//!
//! BGZF is decompressed on background threads (`noodles_bgzf::io::MultithreadedReader`)
//! while this thread parses. VCF text lines are parsed here directly: the fixed
//! columns are split off and the GT subfield of each sample column is read byte by
//! byte, because building a full `noodles` record per line is several times
//! slower for thousands of samples. The commonest column (`0/1` alone) is
//! recognised from its four bytes, and a biallelic record's calls go straight to
//! allele counts; only split multi-allelic records keep per-call allele pairs. The header is parsed line by line with
//! `noodles_vcf::header::Parser`, so a malformed header line is reported with its
//! line number. BCF records are framed by `noodles_bcf`; their GT values are decoded
//! here from the raw typed arrays (the `noodles_bcf` sample accessors panic on some
//! malformed input, which no input may cause here).
//!
//! # Genotype coding
//! Each call becomes the count of the variant's alternate allele:
//! - diploid `0/0`, `0/1` (or `1/0`), `1/1` become 0, 1, 2; phased (`|`) and
//!   unphased (`/`) calls are read alike;
//! - `./.`, `.|.`, `.` and half-missing calls such as `0/.` are missing: one
//!   unknown allele leaves the alternate-allele count unknown;
//! - haploid calls (`0`, `1`, e.g. male chrX or chrY) are coded as homozygous, 0 or
//!   2, so that allele frequencies computed as `count / 2` stay right; every
//!   non-missing haploid call read is counted in [`LoadReport::haploid_calls`]
//!   (once per record, also when a split record yields several variants);
//! - calls with more than two alleles (polyploid) are rejected with an error, as
//!   GenoPriv's models are diploid.
//!
//! # Records that are not loaded
//! Nothing is dropped silently; each skipped record is counted in
//! [`LoadReport::skipped`]:
//! - ALT `.` is [`SkipReason::NoAlt`];
//! - symbolic (`<DEL>`), breakend (`G]2:421]`, `.A`) and spanning-deletion (`*`)
//!   alleles are [`SkipReason::Symbolic`];
//! - indels and MNPs (REF or ALT longer than one base) are [`SkipReason::NotSnp`]
//!   unless [`ReadOptions::keep_non_snps`];
//! - records with several ALT alleles are [`SkipReason::MultiAllelic`] under
//!   [`MultiAllelicPolicy::Skip`]. Under [`MultiAllelicPolicy::Split`] each ALT
//!   allele is judged alone by the rules above and yields one biallelic variant
//!   (same CHROM, POS, ID and REF) whose calls count that allele only; a call
//!   carrying another ALT allele is missing at that variant and counted in
//!   [`LoadReport::other_allele_calls`]; an ALT allele that is not loaded is
//!   counted under its own reason.
//!
//! The genotype columns of a skipped record are not parsed, but its column count
//! is still checked.
//!
//! # Strictness
//! Errors name the file and the physical line (counting header lines) of a VCF, or
//! the record number of a BCF. A record whose FORMAT lacks GT is an error rather
//! than a variant of missing calls: such a variant carries no genotypes at all, and
//! loading it would silently inflate the missingness and the variant count; the
//! user should remove those records explicitly. A file whose header declares no GT
//! FORMAT field and whose first record has none either is rejected as a whole
//! ("no genotypes"). A BGZF file must end with the BGZF end-of-file marker: without
//! it, a file cut at a block boundary would otherwise load as a shorter, valid file.
//! Blank lines in the record section are ignored (they hold no data).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::num::NonZero;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use noodles_bcf as bcf;
use noodles_bgzf as bgzf;
use noodles_vcf as vcf;
use vcf::variant::record::{AlternateBases as _, Samples as _};

use crate::data::{
    Call, GenotypeMatrix, LoadReport, MISSING, MultiAllelicPolicy, ReadOptions, SkipReason, Variant,
};
use crate::error::{Error, Location, Result};
use crate::job::Job;

/// Records between two progress reports and cancel checks.
const CHECKPOINT_EVERY: u64 = 1_000;

/// The 28-byte empty block that ends every complete BGZF file (SAMv1 §4.1.2).
const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// The longest first line accepted before deciding that a file is not VCF text.
const MAX_FIRST_LINE: u64 = 4_096;

/// Reads `.vcf`, `.vcf.gz` (BGZF or plain gzip) and `.bcf` (see the module doc for
/// the coding of calls and what is skipped).
pub fn read(
    path: &Path,
    options: &ReadOptions,
    job: Job<'_>,
) -> Result<(GenotypeMatrix, LoadReport)> {
    let mut input = Input::open(path)?;
    let named_bcf = path
        .to_string_lossy()
        .to_ascii_lowercase()
        .ends_with(".bcf");
    let is_bcf = input
        .stream
        .fill_buf()
        .map_err(|e| stream_error(path, Location::Byte(0), &e))?
        .starts_with(b"BCF");
    let mut loader = Loader::new(options);
    if is_bcf != named_bcf {
        let (content, name) = if is_bcf {
            ("BCF", "VCF")
        } else {
            ("VCF text", "BCF")
        };
        loader.report.notes.push(format!(
            "The file is named like {name} but holds {content}; it was read as {content}."
        ));
    }
    job.checkpoint(STAGE, Some(0.0))?;
    let matrix = if is_bcf {
        read_bcf(path, input, &mut loader, job)?
    } else {
        read_vcf_text(path, input, &mut loader, job)?
    };
    job.checkpoint(STAGE, Some(1.0))?;
    Ok((matrix, loader.report))
}

const STAGE: &str = "Reading genotypes";

// ---------------------------------------------------------------------------
// Opening and decompressing

/// A decompressed byte stream and a way to tell how much of the file it has read.
struct Input {
    stream: Box<dyn BufRead + Send>,
    compressed_read: Arc<AtomicU64>,
    file_size: u64,
}

impl Input {
    fn open(path: &Path) -> Result<Self> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let file_size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if file_size == 0 {
            return Err(Error::invalid(path, "the file is empty"));
        }
        let mut magic = [0u8; 18];
        let magic_len = read_up_to(&mut file, &mut magic).map_err(|e| Error::io(path, e))?;
        let magic = magic.get(..magic_len).unwrap_or_default();
        let compression = Compression::detect(magic);
        if compression == Compression::Bgzf {
            check_bgzf_eof(path, &mut file, file_size)?;
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(path, e))?;
        let compressed_read = Arc::new(AtomicU64::new(0));
        let counted = CountingReader {
            inner: BufReader::with_capacity(1 << 16, file),
            count: Arc::clone(&compressed_read),
        };
        let stream: Box<dyn BufRead + Send> = match compression {
            Compression::Bgzf => Box::new(bgzf::io::MultithreadedReader::with_worker_count(
                decompression_workers(),
                counted,
            )),
            Compression::Gzip => Box::new(BufReader::with_capacity(
                1 << 16,
                flate2::read::MultiGzDecoder::new(counted),
            )),
            Compression::None => Box::new(BufReader::with_capacity(1 << 16, counted)),
        };
        Ok(Self {
            stream,
            compressed_read,
            file_size,
        })
    }

    /// The fraction of the file read so far.
    fn fraction(&self) -> f32 {
        let read = self.compressed_read.load(Ordering::Relaxed);
        (read as f64 / self.file_size.max(1) as f64) as f32
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compression {
    Bgzf,
    Gzip,
    None,
}

impl Compression {
    /// Recognises BGZF by the `BC` extra subfield of its first gzip header.
    fn detect(magic: &[u8]) -> Self {
        match magic {
            [
                0x1f,
                0x8b,
                0x08,
                flags,
                _,
                _,
                _,
                _,
                _,
                _,
                6,
                0,
                b'B',
                b'C',
                2,
                0,
                ..,
            ] if flags & 0x04 != 0 => Self::Bgzf,
            [0x1f, 0x8b, ..] => Self::Gzip,
            _ => Self::None,
        }
    }
}

/// Decompression threads: all cores but the one that parses, at least one.
fn decompression_workers() -> NonZero<usize> {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .ok()
        .and_then(NonZero::new)
        .unwrap_or(NonZero::<usize>::MIN)
}

fn check_bgzf_eof(path: &Path, file: &mut File, file_size: u64) -> Result<()> {
    let mut tail = [0u8; 28];
    let complete = file_size >= tail.len() as u64
        && file
            .seek(SeekFrom::End(-(tail.len() as i64)))
            .and_then(|_| file.read_exact(&mut tail))
            .is_ok()
        && tail == BGZF_EOF;
    if complete {
        Ok(())
    } else {
        Err(Error::invalid(
            path,
            "the file does not end with the BGZF end-of-file marker, so it is probably \
             truncated (an interrupted download or copy?); obtain the complete file, or \
             re-compress it with `bgzip` if its writer left the marker out",
        ))
    }
}

/// Fills as much of `buf` as the reader has; returns the number of bytes read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Counts the bytes read from the file, for progress by compressed position.
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

/// An error of the decompressed stream (corrupt or truncated compressed data).
fn stream_error(path: &Path, location: Location, e: &io::Error) -> Error {
    Error::parse(
        path,
        location,
        format!("the data could not be read ({e}); the file is truncated or corrupt"),
    )
}

// ---------------------------------------------------------------------------
// Building the matrix (shared by VCF text and BCF)

/// One call's alleles as read: `ploidy` is 0, 1 or 2; unused slots and unknown
/// alleles hold [`UNKNOWN_ALLELE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Genotype {
    ploidy: u8,
    alleles: [u32; 2],
}

const UNKNOWN_ALLELE: u32 = u32::MAX;

impl Genotype {
    const MISSING: Self = Self {
        ploidy: 0,
        alleles: [UNKNOWN_ALLELE; 2],
    };

    /// The count of allele `k` (coded as for a biallelic variant with ALT `k`), and
    /// whether the call carries an ALT allele other than `k`.
    #[inline]
    fn code_for(self, k: u32) -> (Call, bool) {
        let [a, b] = self.alleles;
        match self.ploidy {
            1 if a == 0 => (0, false),
            1 if a == k => (2, false),
            1 if a == UNKNOWN_ALLELE => (MISSING, false),
            1 => (MISSING, true),
            2 if a == UNKNOWN_ALLELE || b == UNKNOWN_ALLELE => (MISSING, false),
            2 => {
                let other = (a != 0 && a != k) || (b != 0 && b != k);
                if other {
                    (MISSING, true)
                } else {
                    (u8::from(a == k) + u8::from(b == k), false)
                }
            }
            _ => (MISSING, false),
        }
    }
}

/// How one ALT allele is classified.
fn allele_skip_reason(ref_allele: &str, alt: &str, keep_non_snps: bool) -> Option<SkipReason> {
    let symbolic = alt == "*"
        || alt.starts_with('<')
        || alt.contains(['[', ']'])
        || (alt.len() > 1 && (alt.starts_with('.') || alt.ends_with('.')));
    if symbolic {
        Some(SkipReason::Symbolic)
    } else if !keep_non_snps && (ref_allele.len() != 1 || alt.len() != 1) {
        Some(SkipReason::NotSnp)
    } else {
        None
    }
}

/// The fields of a record's site that become a [`Variant`].
struct Site<'r> {
    chrom: &'r str,
    pos: u64,
    id: &'r str,
    ref_allele: &'r str,
    alts: Vec<&'r str>,
}

impl Site<'_> {
    fn variant(&self, alt: &str) -> Variant {
        Variant {
            chrom: self.chrom.to_owned(),
            pos: self.pos,
            id: self.id.to_owned(),
            ref_allele: self.ref_allele.to_owned(),
            alt_allele: alt.to_owned(),
        }
    }
}

/// Where the calls of one record go as they are parsed: straight to allele
/// counts for a biallelic record, or to [`Genotype`]s when its ALT alleles are
/// split (each split variant codes them differently).
trait CallSink {
    fn start(&mut self, n_samples: usize);
    /// Takes the four bytes of the commonest sample column (a diploid GT with
    /// single-digit alleles, then a tab); returns false when they are not one.
    fn common(&mut self, word: &[u8], n_alts: u32) -> bool;
    fn genotype(&mut self, genotype: Genotype);
}

impl CallSink for Vec<Genotype> {
    fn start(&mut self, n_samples: usize) {
        self.clear();
        self.reserve(n_samples);
    }

    #[inline]
    fn common(&mut self, word: &[u8], n_alts: u32) -> bool {
        common_gt(word, n_alts).map(|g| self.push(g)).is_some()
    }

    fn genotype(&mut self, genotype: Genotype) {
        self.push(genotype);
    }
}

/// Allele counts of a record with a single ALT allele, and its haploid calls.
struct BiallelicCalls<'a> {
    calls: &'a mut Vec<Call>,
    haploid: u64,
}

impl CallSink for BiallelicCalls<'_> {
    fn start(&mut self, n_samples: usize) {
        self.calls.clear();
        self.calls.reserve(n_samples);
    }

    #[inline]
    fn common(&mut self, word: &[u8], _n_alts: u32) -> bool {
        let &[a, separator, b, b'\t'] = word else {
            return false;
        };
        if separator != b'/' && separator != b'|' {
            return false;
        }
        let (da, db) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
        if da <= 1 && db <= 1 {
            self.calls.push(da + db);
            true
        } else if a == b'.' && b == b'.' {
            self.calls.push(MISSING);
            true
        } else {
            false
        }
    }

    fn genotype(&mut self, genotype: Genotype) {
        if genotype.ploidy == 1 && genotype.alleles[0] != UNKNOWN_ALLELE {
            self.haploid += 1;
        }
        self.calls.push(genotype.code_for(1).0);
    }
}

/// Accumulates the matrix and the report from records in file order.
struct Loader<'o> {
    options: &'o ReadOptions,
    report: LoadReport,
    /// ALT indices (1-based) of the record at hand that become variants.
    kept_alts: Vec<u32>,
    genotypes: Vec<Genotype>,
    calls: Vec<Call>,
    /// Whether any record so far had a GT field (to tell "no genotypes at all").
    seen_gt: bool,
}

impl<'o> Loader<'o> {
    fn new(options: &'o ReadOptions) -> Self {
        Self {
            options,
            report: LoadReport::default(),
            kept_alts: Vec::new(),
            genotypes: Vec::new(),
            calls: Vec::new(),
            seen_gt: false,
        }
    }

    /// Decides which ALT alleles of the site become variants, counting what is
    /// skipped. Returns false when none does.
    fn plan(&mut self, site: &Site<'_>) -> bool {
        self.kept_alts.clear();
        let keep_non_snps = self.options.keep_non_snps;
        match site.alts.as_slice() {
            [] => self.report.skip(SkipReason::NoAlt),
            [alt] => match allele_skip_reason(site.ref_allele, alt, keep_non_snps) {
                Some(reason) => self.report.skip(reason),
                None => self.kept_alts.push(1),
            },
            alts => match self.options.multi_allelic {
                MultiAllelicPolicy::Skip => self.report.skip(SkipReason::MultiAllelic),
                MultiAllelicPolicy::Split => {
                    self.report.split_records += 1;
                    for (k, alt) in (1u32..).zip(alts) {
                        match allele_skip_reason(site.ref_allele, alt, keep_non_snps) {
                            Some(reason) => self.report.skip(reason),
                            None => self.kept_alts.push(k),
                        }
                    }
                    self.report.split_variants += self.kept_alts.len() as u64;
                }
            },
        }
        !self.kept_alts.is_empty()
    }

    /// Appends the planned variants of a site: from `self.calls` for a
    /// biallelic site, otherwise one per planned ALT allele from `self.genotypes`.
    fn push(&mut self, matrix: &mut GenotypeMatrix, site: &Site<'_>) {
        if let [alt] = site.alts.as_slice() {
            matrix.push_variant(site.variant(alt), &self.calls);
            return;
        }
        self.report.haploid_calls += self
            .genotypes
            .iter()
            .filter(|g| g.ploidy == 1 && g.alleles[0] != UNKNOWN_ALLELE)
            .count() as u64;
        for &k in &self.kept_alts {
            let alt = site.alts.get(k as usize - 1).copied().unwrap_or_default();
            let mut other = 0u64;
            self.calls.clear();
            self.calls.extend(self.genotypes.iter().map(|g| {
                let (code, is_other) = g.code_for(k);
                other += u64::from(is_other);
                code
            }));
            self.report.other_allele_calls += other;
            matrix.push_variant(site.variant(alt), &self.calls);
        }
    }
}

// ---------------------------------------------------------------------------
// VCF text

fn read_vcf_text(
    path: &Path,
    mut input: Input,
    loader: &mut Loader<'_>,
    job: Job<'_>,
) -> Result<GenotypeMatrix> {
    let header = read_vcf_header(path, &mut input.stream)?;
    let n_samples = header.samples.len();
    let mut matrix = GenotypeMatrix::new(header.samples);
    let mut line = Vec::with_capacity(1 << 16);
    let mut line_no = header.lines;
    let mut records = 0u64;
    loop {
        line.clear();
        let n = input
            .stream
            .read_until(b'\n', &mut line)
            .map_err(|e| stream_error(path, Location::Line(line_no + 1), &e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = trim_line_end(&line);
        if text.is_empty() {
            continue;
        }
        let record = TextRecord {
            path,
            line_no,
            n_samples,
            sample_names: matrix.samples(),
            header_declares_gt: header.declares_gt,
        };
        let site = record.parse(text, loader)?;
        if let Some(site) = site {
            loader.push(&mut matrix, &site);
        }
        records += 1;
        if records.is_multiple_of(CHECKPOINT_EVERY) {
            job.checkpoint(STAGE, Some(input.fraction()))?;
        }
    }
    match (header.declares_gt, loader.seen_gt) {
        (false, false) => return Err(no_genotypes(path)),
        (false, true) => loader.report.notes.push(
            "The header does not declare the GT FORMAT field; the records' GT values were \
             read as genotypes anyway."
                .into(),
        ),
        _ => {}
    }
    Ok(matrix)
}

fn no_genotypes(path: &Path) -> Error {
    Error::invalid(
        path,
        "the file has no genotypes: its header declares no GT FORMAT field and its records \
         carry none; GenoPriv needs the GT (genotype) of every sample",
    )
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

struct VcfHeader {
    samples: Vec<String>,
    declares_gt: bool,
    /// Number of header lines (the last is `#CHROM`).
    lines: u64,
}

fn read_vcf_header(path: &Path, stream: &mut dyn BufRead) -> Result<VcfHeader> {
    let mut parser = vcf::header::Parser::default();
    let mut line = Vec::new();
    let mut line_no = 0u64;
    // The first line is read with a length cap so that a large non-VCF file is
    // rejected without reading it whole.
    stream
        .take(MAX_FIRST_LINE)
        .read_until(b'\n', &mut line)
        .map_err(|e| stream_error(path, Location::Line(1), &e))?;
    loop {
        if line.is_empty() {
            return Err(if line_no == 0 {
                Error::invalid(path, "the file is empty")
            } else {
                Error::invalid(
                    path,
                    "the header ends without the `#CHROM` line that names the samples",
                )
            });
        }
        line_no += 1;
        let text = trim_line_end(&line);
        if line_no == 1 && !text.starts_with(b"##fileformat=VCF") {
            return Err(Error::parse(
                path,
                Location::Line(1),
                "this is not a VCF file: the first line must be `##fileformat=VCFv4.x`",
            ));
        }
        if !text.starts_with(b"#") {
            return Err(Error::parse(
                path,
                Location::Line(line_no),
                "expected a header line (starting with `#`) or the `#CHROM` line before \
                 the first record",
            ));
        }
        if text.starts_with(b"#CHROM") {
            let samples = parse_sample_names(path, line_no, text)?;
            parser
                .parse_partial(text)
                .map_err(|e| header_error(path, line_no, &e))?;
            let header = parser
                .finish()
                .map_err(|e| header_error(path, line_no, &e))?;
            return Ok(VcfHeader {
                samples,
                declares_gt: header.formats().contains_key("GT"),
                lines: line_no,
            });
        }
        parser
            .parse_partial(text)
            .map_err(|e| header_error(path, line_no, &e))?;
        line.clear();
        stream
            .read_until(b'\n', &mut line)
            .map_err(|e| stream_error(path, Location::Line(line_no + 1), &e))?;
    }
}

fn header_error(path: &Path, line_no: u64, e: &vcf::header::parser::ParseError) -> Error {
    let mut message = format!("invalid header line: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    Error::parse(path, Location::Line(line_no), message)
}

/// The sample IDs of the `#CHROM` line, checked for presence and uniqueness.
fn parse_sample_names(path: &Path, line_no: u64, text: &[u8]) -> Result<Vec<String>> {
    let text = std::str::from_utf8(text).map_err(|_| {
        Error::parse(
            path,
            Location::Line(line_no),
            "the #CHROM line is not valid UTF-8 text",
        )
    })?;
    let samples: Vec<String> = text.split('\t').skip(9).map(str::to_owned).collect();
    if samples.is_empty() {
        return Err(Error::invalid(
            path,
            format!(
                "the file has no samples (no columns after FORMAT in the #CHROM line, line \
                 {line_no}); GenoPriv needs individual genotypes"
            ),
        ));
    }
    let mut seen = HashSet::with_capacity(samples.len());
    for sample in &samples {
        if !seen.insert(sample.as_str()) {
            return Err(Error::invalid(
                path,
                format!(
                    "sample ID `{sample}` appears more than once in the #CHROM line (line \
                     {line_no}); sample IDs must be unique"
                ),
            ));
        }
    }
    Ok(samples)
}

/// The context needed to parse one VCF data line.
struct TextRecord<'a> {
    path: &'a Path,
    line_no: u64,
    n_samples: usize,
    sample_names: &'a [String],
    header_declares_gt: bool,
}

/// The fixed columns of a VCF data line.
const FIXED_COLUMNS: usize = 9;

impl TextRecord<'_> {
    fn error(&self, message: impl Into<String>) -> Error {
        Error::parse(self.path, Location::Line(self.line_no), message)
    }

    fn column_count_error(&self, line: &[u8]) -> Error {
        let found = line.iter().filter(|&&b| b == b'\t').count() + 1;
        self.error(format!(
            "expected {} tab-separated columns (9 fixed and {} samples) but found {found}",
            FIXED_COLUMNS + self.n_samples,
            self.n_samples
        ))
    }

    fn text<'l>(&self, column: &str, bytes: &'l [u8]) -> Result<&'l str> {
        std::str::from_utf8(bytes)
            .map_err(|_| self.error(format!("the {column} column is not valid UTF-8 text")))
    }

    /// Parses a data line: returns its site when it yields variants, with the
    /// genotypes left in `loader.genotypes`.
    fn parse<'l>(&self, line: &'l [u8], loader: &mut Loader<'_>) -> Result<Option<Site<'l>>> {
        if line.starts_with(b"#") {
            return Err(self.error("a header line (starting with `#`) after the #CHROM line"));
        }
        let mut columns = line.splitn(FIXED_COLUMNS + 1, |&b| b == b'\t');
        let mut fixed: [&[u8]; FIXED_COLUMNS] = [&[]; FIXED_COLUMNS];
        for slot in &mut fixed {
            *slot = columns
                .next()
                .ok_or_else(|| self.column_count_error(line))?;
        }
        let samples = columns
            .next()
            .ok_or_else(|| self.column_count_error(line))?;
        let [
            chrom,
            pos,
            id,
            ref_allele,
            alt,
            _qual,
            _filter,
            _info,
            format,
        ] = fixed;
        let chrom = self.text("CHROM", chrom)?;
        if chrom.is_empty() {
            return Err(self.error("the CHROM column is empty"));
        }
        let pos = self.text("POS", pos)?;
        let pos: u64 = pos
            .parse()
            .map_err(|_| self.error(format!("POS `{pos}` is not a position (a whole number)")))?;
        let id = self.text("ID", id)?;
        let ref_allele = self.text("REF", ref_allele)?;
        if ref_allele.is_empty() || ref_allele == "." {
            return Err(self.error("the REF allele is missing"));
        }
        let alt = self.text("ALT", alt)?;
        let alts: Vec<&str> = if alt == "." {
            Vec::new()
        } else {
            alt.split(',').collect()
        };
        if alts.iter().any(|a| a.is_empty() || *a == ".") {
            return Err(self.error(format!(
                "ALT `{alt}` lists an empty or `.` allele among others"
            )));
        }
        let site = Site {
            chrom,
            pos,
            id: if id.is_empty() { "." } else { id },
            ref_allele,
            alts,
        };
        if !loader.plan(&site) {
            if samples.iter().filter(|&&b| b == b'\t').count() + 1 != self.n_samples {
                return Err(self.column_count_error(line));
            }
            return Ok(None);
        }
        let Some(gt_index) = format.split(|&b| b == b':').position(|k| k == b"GT") else {
            return Err(if self.header_declares_gt || loader.seen_gt {
                self.error(format!(
                    "FORMAT `{}` has no GT key; every record must carry genotypes (remove \
                     records without GT first, e.g. with `bcftools view -i 'GT!=\"mis\"'`)",
                    String::from_utf8_lossy(format)
                ))
            } else {
                no_genotypes(self.path)
            });
        };
        loader.seen_gt = true;
        if site.alts.len() == 1 {
            let mut sink = BiallelicCalls {
                calls: &mut loader.calls,
                haploid: 0,
            };
            self.parse_genotypes(line, samples, gt_index, 1, &mut sink)?;
            loader.report.haploid_calls += sink.haploid;
        } else {
            let n_alts = site.alts.len() as u32;
            self.parse_genotypes(line, samples, gt_index, n_alts, &mut loader.genotypes)?;
        }
        Ok(Some(site))
    }

    /// Reads the GT subfield (the `gt_index`-th `:`-separated subfield) of every
    /// sample column into `out`.
    fn parse_genotypes(
        &self,
        line: &[u8],
        samples: &[u8],
        gt_index: usize,
        n_alts: u32,
        out: &mut impl CallSink,
    ) -> Result<()> {
        out.start(self.n_samples);
        let len = samples.len();
        let mut p = 0usize;
        for s in 0..self.n_samples {
            if s > 0 {
                // The previous sample stopped at a tab or at the end of the line.
                if p >= len {
                    return Err(self.column_count_error(line));
                }
                p += 1;
            }
            let start = p;
            if gt_index == 0 && samples.get(p..p + 4).is_some_and(|w| out.common(w, n_alts)) {
                // The usual `a/b` or `a|b` alone in its column: no general parsing.
                p += 3;
                continue;
            }
            let mut has_gt = true;
            for _ in 0..gt_index {
                while p < len && samples[p] != b':' && samples[p] != b'\t' {
                    p += 1;
                }
                if p < len && samples[p] == b':' {
                    p += 1;
                } else {
                    has_gt = false;
                    break;
                }
            }
            let genotype = if has_gt {
                match parse_gt(samples, &mut p, n_alts) {
                    Ok(g) => g,
                    Err(problem) => {
                        return Err(self.sample_error(samples, start, s, n_alts, problem));
                    }
                }
            } else {
                // Trailing subfields may be dropped (VCF 4.3 §1.6.2): GT is unknown.
                Genotype::MISSING
            };
            out.genotype(genotype);
            while p < len && samples[p] != b'\t' {
                p += 1;
            }
        }
        if p < len {
            return Err(self.column_count_error(line));
        }
        Ok(())
    }

    fn sample_error(
        &self,
        samples: &[u8],
        start: usize,
        sample: usize,
        n_alts: u32,
        problem: GtProblem,
    ) -> Error {
        let end = samples
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\t'))
            .map_or(samples.len(), |n| start + n);
        let field = String::from_utf8_lossy(samples.get(start..end).unwrap_or_default());
        let shown: String = field.chars().take(40).collect();
        let name = self.sample_names.get(sample).map_or("?", String::as_str);
        let message = match problem {
            GtProblem::Syntax => format!("genotype `{shown}` is not a valid GT value"),
            GtProblem::Polyploid => format!(
                "genotype `{shown}` has more than two alleles; only haploid and diploid \
                 calls are supported"
            ),
            GtProblem::AlleleOutOfRange(a) => format!(
                "genotype `{shown}` names allele {a} but the record has only {n_alts} ALT \
                 allele(s)"
            ),
        };
        Error::parse(
            self.path,
            Location::Field {
                line: self.line_no,
                field: format!("{} (sample {name})", FIXED_COLUMNS + sample + 1),
            },
            message,
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GtProblem {
    Syntax,
    Polyploid,
    AlleleOutOfRange(u32),
}

/// Recognises the commonest sample column, a diploid GT with single-digit
/// alleles and nothing after it (`0/1` then a tab), from its four bytes.
#[inline]
fn common_gt(word: &[u8], n_alts: u32) -> Option<Genotype> {
    let &[a, separator, b, b'\t'] = word else {
        return None;
    };
    if separator != b'/' && separator != b'|' {
        return None;
    }
    let (da, db) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
    if u32::from(da.max(db)) <= n_alts.min(9) {
        Some(Genotype {
            ploidy: 2,
            alleles: [u32::from(da), u32::from(db)],
        })
    } else if a == b'.' && b == b'.' {
        Some(Genotype {
            ploidy: 2,
            alleles: [UNKNOWN_ALLELE; 2],
        })
    } else {
        None
    }
}

/// Parses a GT value at `*p`, leaving `*p` just after it (at `:`, a tab or the end).
#[inline]
fn parse_gt(src: &[u8], p: &mut usize, n_alts: u32) -> Result<Genotype, GtProblem> {
    let mut genotype = Genotype {
        ploidy: 0,
        alleles: [UNKNOWN_ALLELE; 2],
    };
    let mut i = *p;
    loop {
        let allele = match src.get(i) {
            Some(b'.') => {
                i += 1;
                UNKNOWN_ALLELE
            }
            Some(b) if b.is_ascii_digit() => {
                let mut value: u32 = 0;
                while let Some(&d) = src.get(i).filter(|d| d.is_ascii_digit()) {
                    value = value
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u32::from(d - b'0')))
                        .ok_or(GtProblem::Syntax)?;
                    i += 1;
                }
                if value > n_alts {
                    return Err(GtProblem::AlleleOutOfRange(value));
                }
                value
            }
            _ => return Err(GtProblem::Syntax),
        };
        let slot = genotype
            .alleles
            .get_mut(usize::from(genotype.ploidy))
            .ok_or(GtProblem::Polyploid)?;
        *slot = allele;
        genotype.ploidy += 1;
        match src.get(i) {
            Some(b'/' | b'|') => i += 1,
            None | Some(b':' | b'\t') => break,
            Some(_) => return Err(GtProblem::Syntax),
        }
    }
    *p = i;
    Ok(genotype)
}

// ---------------------------------------------------------------------------
// BCF

fn read_bcf(
    path: &Path,
    input: Input,
    loader: &mut Loader<'_>,
    job: Job<'_>,
) -> Result<GenotypeMatrix> {
    let Input {
        stream,
        compressed_read,
        file_size,
    } = input;
    let fraction =
        || (compressed_read.load(Ordering::Relaxed) as f64 / file_size.max(1) as f64) as f32;
    let mut reader = bcf::io::Reader::from(stream);
    let header = reader
        .read_header()
        .map_err(|e| Error::invalid(path, format!("the BCF header could not be read: {e}")))?;
    let samples: Vec<String> = header.sample_names().iter().cloned().collect();
    if samples.is_empty() {
        return Err(Error::invalid(
            path,
            "the file has no samples; GenoPriv needs individual genotypes",
        ));
    }
    let declares_gt = header.formats().contains_key("GT");
    let gt_string_id = header.string_maps().strings().get_index_of("GT");
    let n_samples = samples.len();
    let mut matrix = GenotypeMatrix::new(samples);
    let mut record = bcf::Record::default();
    let mut record_no = 0u64;
    loop {
        let n = reader.read_record(&mut record).map_err(|e| {
            Error::parse(
                path,
                Location::Record(record_no + 1),
                format!("the record could not be read ({e}); the file is truncated or corrupt"),
            )
        })?;
        if n == 0 {
            break;
        }
        record_no += 1;
        let error = |message: String| Error::parse(path, Location::Record(record_no), message);
        let chrom = record
            .reference_sequence_name(header.string_maps())
            .map_err(|e| error(format!("invalid chromosome: {e}")))?;
        let pos = match record.variant_start() {
            None => 0,
            Some(p) => p
                .map_err(|e| error(format!("invalid position: {e}")))?
                .get() as u64,
        };
        let ids = record.ids();
        let id = std::str::from_utf8(ids.as_ref())
            .map_err(|_| error("the ID is not valid UTF-8 text".into()))?;
        let reference_bases = record.reference_bases();
        let ref_allele = std::str::from_utf8(reference_bases.as_ref())
            .map_err(|_| error("the REF allele is not valid UTF-8 text".into()))?;
        if ref_allele.is_empty() {
            return Err(error("the REF allele is missing".into()));
        }
        let alternate_bases = record.alternate_bases();
        let alts = alternate_bases
            .iter()
            .collect::<io::Result<Vec<&str>>>()
            .map_err(|e| error(format!("invalid ALT allele: {e}")))?;
        let site = Site {
            chrom,
            pos,
            id: if id.is_empty() { "." } else { id },
            ref_allele,
            alts,
        };
        if loader.plan(&site) {
            let samples = record
                .samples()
                .map_err(|e| error(format!("invalid sample data: {e}")))?;
            let sample_count = samples.len();
            if sample_count != n_samples {
                return Err(error(format!(
                    "the record has {sample_count} samples but the header names {n_samples}"
                )));
            }
            let series = gt_string_id
                .map(|id| {
                    find_bcf_series(samples.as_ref(), samples.format_count(), sample_count, id)
                })
                .transpose()
                .map_err(|m| error(m.to_owned()))?
                .flatten();
            let Some(series) = series else {
                return Err(if declares_gt || loader.seen_gt {
                    error(
                        "the record has no GT field; every record must carry genotypes \
                         (remove records without GT first)"
                            .into(),
                    )
                } else {
                    no_genotypes(path)
                });
            };
            loader.seen_gt = true;
            let sample_error = |(sample, problem): (usize, GtProblem)| {
                let name = matrix.samples().get(sample).map_or("?", String::as_str);
                error(format!("sample {name}: {}", problem.describe()))
            };
            if site.alts.len() == 1 {
                let mut sink = BiallelicCalls {
                    calls: &mut loader.calls,
                    haploid: 0,
                };
                decode_bcf_genotypes(&series, sample_count, 1, &mut sink).map_err(sample_error)?;
                loader.report.haploid_calls += sink.haploid;
            } else {
                let n_alts = site.alts.len() as u32;
                decode_bcf_genotypes(&series, sample_count, n_alts, &mut loader.genotypes)
                    .map_err(sample_error)?;
            }
            loader.push(&mut matrix, &site);
        }
        if record_no.is_multiple_of(CHECKPOINT_EVERY) {
            job.checkpoint(STAGE, Some(fraction()))?;
        }
    }
    if !declares_gt && !loader.seen_gt {
        return Err(no_genotypes(path));
    }
    Ok(matrix)
}

impl GtProblem {
    fn describe(self) -> String {
        match self {
            GtProblem::Syntax => "the GT value is not valid".into(),
            GtProblem::Polyploid => {
                "the genotype has more than two alleles; only haploid and diploid calls \
                 are supported"
                    .into()
            }
            GtProblem::AlleleOutOfRange(a) => {
                format!("the genotype names allele {a}, beyond the record's ALT alleles")
            }
        }
    }
}

/// A BCF FORMAT field: its values for all samples, `width` values of
/// `value_size` bytes per sample.
struct BcfSeries<'r> {
    data: &'r [u8],
    value_size: usize,
    width: usize,
}

/// Reads a typed integer (a string-map key) at `*p` (BCF 2.2 §6.3.3).
fn read_typed_int(src: &[u8], p: &mut usize) -> Result<i64, &'static str> {
    let descriptor = *src.get(*p).ok_or("sample data ends early")?;
    *p += 1;
    let size = match descriptor & 0x0f {
        1 => 1,
        2 => 2,
        3 => 4,
        _ => return Err("a FORMAT key is not an integer"),
    };
    let end = *p + size;
    let bytes = src.get(*p..end).ok_or("sample data ends early")?;
    *p = end;
    Ok(match bytes {
        [a] => i64::from(*a as i8),
        [a, b] => i64::from(i16::from_le_bytes([*a, *b])),
        [a, b, c, d] => i64::from(i32::from_le_bytes([*a, *b, *c, *d])),
        _ => return Err("sample data ends early"),
    })
}

/// Finds the series with string-map key `gt_id` among the `format_count` series
/// of a record's sample data.
fn find_bcf_series(
    src: &[u8],
    format_count: usize,
    sample_count: usize,
    gt_id: usize,
) -> Result<Option<BcfSeries<'_>>, &'static str> {
    let mut p = 0usize;
    for _ in 0..format_count {
        let key = read_typed_int(src, &mut p)?;
        let descriptor = *src.get(p).ok_or("sample data ends early")?;
        p += 1;
        let value_size: usize = match descriptor & 0x0f {
            0 => 0,
            1 | 7 => 1,
            2 => 2,
            3 | 5 => 4,
            _ => return Err("a FORMAT field has an unknown type"),
        };
        let mut width = usize::from(descriptor >> 4);
        if width == 15 {
            width = usize::try_from(read_typed_int(src, &mut p)?)
                .map_err(|_| "a FORMAT field has a negative length")?;
        }
        let len = value_size
            .checked_mul(width)
            .and_then(|n| n.checked_mul(sample_count))
            .ok_or("a FORMAT field is too large")?;
        let end = p.checked_add(len).ok_or("a FORMAT field is too large")?;
        let data = src.get(p..end).ok_or("sample data ends early")?;
        p = end;
        if usize::try_from(key).ok() == Some(gt_id) {
            if !matches!(descriptor & 0x0f, 1..=3) {
                return Err("the GT field is not stored as integers");
            }
            return Ok(Some(BcfSeries {
                data,
                value_size,
                width,
            }));
        }
    }
    Ok(None)
}

/// Decodes BCF GT values: `(allele + 1) << 1 | phased`, 0 for an unknown allele,
/// padded with the end-of-vector value for lower ploidy (BCF 2.2 §6.3.3).
fn decode_bcf_genotypes(
    series: &BcfSeries<'_>,
    sample_count: usize,
    n_alts: u32,
    out: &mut impl CallSink,
) -> Result<(), (usize, GtProblem)> {
    out.start(sample_count);
    let (end_of_vector, missing) = match series.value_size {
        1 => (-127i32, -128i32),
        2 => (-32767, -32768),
        _ => (i32::MIN + 1, i32::MIN),
    };
    let stride = series.value_size * series.width;
    for s in 0..sample_count {
        let values = series
            .data
            .get(s * stride..(s + 1) * stride)
            .ok_or((s, GtProblem::Syntax))?;
        let mut genotype = Genotype::MISSING;
        for value in values.chunks_exact(series.value_size) {
            let v = match value {
                [a] => i32::from(*a as i8),
                [a, b] => i32::from(i16::from_le_bytes([*a, *b])),
                [a, b, c, d] => i32::from_le_bytes([*a, *b, *c, *d]),
                _ => return Err((s, GtProblem::Syntax)),
            };
            if v == end_of_vector {
                break;
            }
            let allele = if v == missing || (v >> 1) <= 0 {
                UNKNOWN_ALLELE
            } else {
                let a = ((v >> 1) - 1) as u32;
                if a > n_alts {
                    return Err((s, GtProblem::AlleleOutOfRange(a)));
                }
                a
            };
            let slot = genotype
                .alleles
                .get_mut(usize::from(genotype.ploidy))
                .ok_or((s, GtProblem::Polyploid))?;
            *slot = allele;
            genotype.ploidy += 1;
        }
        out.genotype(genotype);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gt(s: &str, n_alts: u32) -> Result<Genotype, GtProblem> {
        let mut p = 0;
        let g = parse_gt(s.as_bytes(), &mut p, n_alts)?;
        assert!(p == s.len() || matches!(s.as_bytes()[p], b':' | b'\t'));
        Ok(g)
    }

    #[test]
    fn parses_gt_forms() {
        let code = |s: &str| gt(s, 1).map(|g| g.code_for(1).0);
        assert_eq!(code("0/0"), Ok(0));
        assert_eq!(code("0|1"), Ok(1));
        assert_eq!(code("1/0"), Ok(1));
        assert_eq!(code("1|1"), Ok(2));
        assert_eq!(code("./."), Ok(MISSING));
        assert_eq!(code(".|."), Ok(MISSING));
        assert_eq!(code("."), Ok(MISSING));
        assert_eq!(code("0/."), Ok(MISSING));
        assert_eq!(code("0"), Ok(0));
        assert_eq!(code("1"), Ok(2));
        assert_eq!(code("0/1:35:7"), Ok(1));
        assert_eq!(code("0/x"), Err(GtProblem::Syntax));
        assert_eq!(code(""), Err(GtProblem::Syntax));
        assert_eq!(code("0/"), Err(GtProblem::Syntax));
        assert_eq!(code("0/0/1"), Err(GtProblem::Polyploid));
        assert_eq!(code("0/2"), Err(GtProblem::AlleleOutOfRange(2)));
        assert_eq!(code("99999999999/0"), Err(GtProblem::Syntax));
    }

    #[test]
    fn common_gt_agrees_with_the_general_parser() {
        let alphabet = b"0129./|x\t:";
        let mut recognised = 0;
        for &a in alphabet {
            for &sep in alphabet {
                for &b in alphabet {
                    for n_alts in [1, 2, 9] {
                        let word = [a, sep, b, b'\t'];
                        if let Some(g) = common_gt(&word, n_alts) {
                            recognised += 1;
                            let mut p = 0;
                            assert_eq!(parse_gt(&word, &mut p, n_alts), Ok(g), "{word:?}");
                            assert_eq!(p, 3);
                        }
                    }
                }
            }
        }
        // 0,1 (and 2, 9 where allowed) on both sides of / and |, plus ./. and .|.
        assert_eq!(recognised, 2 * (4 + 9 + 16) + 2 * 3);
    }

    #[test]
    fn split_codes_count_one_allele() -> Result<(), GtProblem> {
        let g = gt("1/2", 2)?;
        assert_eq!(g.code_for(1), (MISSING, true));
        assert_eq!(g.code_for(2), (MISSING, true));
        let g = gt("0/2", 2)?;
        assert_eq!(g.code_for(1), (MISSING, true));
        assert_eq!(g.code_for(2), (1, false));
        let g = gt("2", 2)?;
        assert_eq!(g.code_for(2), (2, false));
        assert_eq!(g.code_for(1), (MISSING, true));
        Ok(())
    }

    #[test]
    fn classifies_alleles() {
        assert_eq!(allele_skip_reason("A", "G", false), None);
        assert_eq!(
            allele_skip_reason("A", "AT", false),
            Some(SkipReason::NotSnp)
        );
        assert_eq!(
            allele_skip_reason("AT", "GC", false),
            Some(SkipReason::NotSnp)
        );
        assert_eq!(allele_skip_reason("A", "AT", true), None);
        assert_eq!(
            allele_skip_reason("A", "*", true),
            Some(SkipReason::Symbolic)
        );
        assert_eq!(
            allele_skip_reason("A", "<DEL>", true),
            Some(SkipReason::Symbolic)
        );
        assert_eq!(
            allele_skip_reason("G", "G]2:421]", true),
            Some(SkipReason::Symbolic)
        );
        assert_eq!(
            allele_skip_reason("G", ".G", true),
            Some(SkipReason::Symbolic)
        );
    }

    #[test]
    fn detects_compression() {
        let mut bgzf_header = BGZF_EOF[..18].to_vec();
        assert_eq!(Compression::detect(&bgzf_header), Compression::Bgzf);
        bgzf_header[12] = b'X';
        assert_eq!(Compression::detect(&bgzf_header), Compression::Gzip);
        assert_eq!(Compression::detect(b"##fileformat"), Compression::None);
        assert_eq!(Compression::detect(b""), Compression::None);
    }

    #[test]
    fn decodes_bcf_gt() -> Result<(), (usize, GtProblem)> {
        // 0|1, 1/1, ./., haploid 1 (padded with end-of-vector), 0/2.
        let data = [0x02, 0x05, 0x04, 0x04, 0x00, 0x00, 0x04, 0x81, 0x02, 0x06];
        let series = BcfSeries {
            data: &data,
            value_size: 1,
            width: 2,
        };
        let mut out = Vec::new();
        decode_bcf_genotypes(&series, 5, 2, &mut out)?;
        let codes: Vec<Call> = out.iter().map(|g| g.code_for(1).0).collect();
        assert_eq!(codes, [1, 2, MISSING, 2, MISSING]);
        assert_eq!(out[3].ploidy, 1);
        assert!(decode_bcf_genotypes(&series, 5, 1, &mut out).is_err());
        Ok(())
    }

    #[test]
    fn finds_bcf_series_safely() {
        // Two samples: key 0 as int8[1], then key 1 as int8[2].
        let src = [
            0x11, 0x00, 0x11, 0x0a, 0x0b, 0x11, 0x01, 0x21, 0x02, 0x04, 0x04, 0x04,
        ];
        let found = find_bcf_series(&src, 2, 2, 1);
        assert!(
            matches!(found, Ok(Some(BcfSeries { width: 2, value_size: 1, data })) if data.len() == 4)
        );
        assert!(matches!(find_bcf_series(&src, 2, 2, 5), Ok(None)));
        assert!(find_bcf_series(&src[..src.len() - 1], 2, 2, 1).is_err());
        // A GT stored as floats, or with no type, is refused rather than misread.
        for descriptor in [0x15, 0x00] {
            let mut bad = src;
            bad[7] = descriptor;
            assert!(find_bcf_series(&bad, 2, 2, 1).is_err(), "{descriptor:#x}");
        }
    }
}
