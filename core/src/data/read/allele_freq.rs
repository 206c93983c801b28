//! Allele-frequency tables matched to genotype variants.
//!
//! A table has a header naming the columns `chrom`, `pos`, `ref`, `alt`, `alt_freq`
//! and optionally `id` (any order, case-insensitive, a leading `#` ignored), and one
//! line per variant; e.g. `sample_data/demo_reference_af.tsv`. The delimiter is a
//! tab, or a comma for `.csv`. `NA` or an empty cell is an unknown frequency.
//!
//! Matching is by chromosome (a `chr` prefix ignored) and position, then alleles:
//! - same ref/alt: the frequency as is;
//! - ref and alt exchanged: `1 - f`, counted as swapped;
//! - alleles on the other strand (complemented) for SNPs that are not A/T or C/G:
//!   `f`, or `1 - f` if also exchanged, counted as strand flips;
//! - A/T and C/G SNPs whose alleles are exchanged could equally be a strand flip;
//!   they are assumed to be on the same strand (`1 - f`) and counted as ambiguous,
//!   so the caller can drop them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::matrix_csv::{TextFile, delimiter_for, split_fields};
use crate::data::Variant;
use crate::error::{Error, Location, Result};

const EXAMPLES: usize = 5;

/// One row of an allele-frequency table.
#[derive(Clone, Debug, PartialEq)]
pub struct AlleleFreqEntry {
    pub chrom: String,
    pub pos: u64,
    /// `.` when the table has no ID column.
    pub id: String,
    pub ref_allele: String,
    pub alt_allele: String,
    /// Frequency of `alt_allele`; `None` when the table says `NA`.
    pub alt_freq: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlleleFreqTable {
    pub source: PathBuf,
    pub entries: Vec<AlleleFreqEntry>,
}

/// Reads an allele-frequency table (see the module documentation for its layout).
pub fn read_allele_freqs(path: &Path) -> Result<AlleleFreqTable> {
    let delimiter = delimiter_for(path).unwrap_or('\t');
    let mut text = TextFile::open(path)?;
    let Some((header_no, header)) = text.next_line()? else {
        return Err(Error::invalid(path, "the file is empty"));
    };
    let names: Vec<String> = split_fields(&header, delimiter)
        .into_iter()
        .map(|f| f.trim().trim_start_matches('#').to_ascii_lowercase())
        .collect();
    let find = |wanted: &str| names.iter().position(|n| n == wanted);
    let required = |wanted: &str| {
        find(wanted).ok_or_else(|| {
            Error::parse(
                path,
                Location::Line(header_no),
                format!(
                    "the header has no `{wanted}` column (need chrom, pos, ref, alt, alt_freq)"
                ),
            )
        })
    };
    let (c_chrom, c_pos, c_ref, c_alt, c_freq) = (
        required("chrom")?,
        required("pos")?,
        required("ref")?,
        required("alt")?,
        required("alt_freq")?,
    );
    let c_id = find("id");

    let mut entries = Vec::new();
    let mut line_of: HashMap<(String, u64, String, String), u64> = HashMap::new();
    while let Some((line_no, line)) = text.next_line()? {
        let fields = split_fields(&line, delimiter);
        if fields.len() != names.len() {
            return Err(Error::parse(
                path,
                Location::Line(line_no),
                format!(
                    "has {} fields but the header has {}",
                    fields.len(),
                    names.len()
                ),
            ));
        }
        let cell = |c: usize| fields.get(c).map(|f| f.trim()).unwrap_or("");
        let at = |c: usize| Location::Field {
            line: line_no,
            field: names.get(c).cloned().unwrap_or_default(),
        };
        let pos = cell(c_pos).parse::<u64>().map_err(|_| {
            Error::parse(
                path,
                at(c_pos),
                format!("`{}` is not a non-negative whole number", cell(c_pos)),
            )
        })?;
        let alt_freq = match cell(c_freq) {
            "" | "NA" => None,
            raw => match raw.parse::<f64>() {
                Ok(f) if (0.0..=1.0).contains(&f) => Some(f),
                _ => {
                    return Err(Error::parse(
                        path,
                        at(c_freq),
                        format!("`{raw}` is not a frequency between 0 and 1"),
                    ));
                }
            },
        };
        for c in [c_chrom, c_ref, c_alt] {
            if cell(c).is_empty() {
                return Err(Error::parse(path, at(c), "the value is empty"));
            }
        }
        let entry = AlleleFreqEntry {
            chrom: cell(c_chrom).to_string(),
            pos,
            id: c_id
                .map(cell)
                .filter(|s| !s.is_empty())
                .unwrap_or(".")
                .to_string(),
            ref_allele: cell(c_ref).to_ascii_uppercase(),
            alt_allele: cell(c_alt).to_ascii_uppercase(),
            alt_freq,
        };
        let key = (
            normalise_chrom(&entry.chrom).to_string(),
            pos,
            entry.ref_allele.clone(),
            entry.alt_allele.clone(),
        );
        if let Some(first) = line_of.insert(key, line_no) {
            return Err(Error::parse(
                path,
                Location::Line(line_no),
                format!(
                    "{}:{} {}>{} is listed twice (first on line {first})",
                    entry.chrom, pos, entry.ref_allele, entry.alt_allele
                ),
            ));
        }
        entries.push(entry);
    }
    if entries.is_empty() {
        return Err(Error::invalid(
            path,
            "the file has a header but no variants",
        ));
    }
    Ok(AlleleFreqTable {
        source: path.to_path_buf(),
        entries,
    })
}

/// How one variant was matched to the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlleleMatch {
    Exact,
    Swapped,
    StrandFlipped,
    StrandFlippedSwapped,
    /// A/T or C/G SNP with exchanged alleles: taken as swapped, but it could be a flip.
    AmbiguousSwapped,
    /// No table row at this chromosome and position.
    NotFound,
    /// Rows at this position, none with these alleles.
    AlleleMismatch,
}

/// Counts of each kind of match, with a few example variant IDs of the kinds a
/// user may want to check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchReport {
    pub n_variants: usize,
    pub exact: usize,
    pub swapped: usize,
    pub strand_flipped: usize,
    pub strand_flipped_swapped: usize,
    pub ambiguous_swapped: usize,
    pub not_found: usize,
    pub allele_mismatch: usize,
    /// Matched variants whose table frequency is `NA`.
    pub missing_frequency: usize,
    pub swapped_examples: Vec<String>,
    pub ambiguous_examples: Vec<String>,
    pub unmatched_examples: Vec<String>,
}

impl MatchReport {
    /// Variants given a frequency from the table (in any orientation).
    pub fn matched(&self) -> usize {
        self.exact
            + self.swapped
            + self.strand_flipped
            + self.strand_flipped_swapped
            + self.ambiguous_swapped
    }

    pub fn unmatched(&self) -> usize {
        self.not_found + self.allele_mismatch
    }
}

impl AlleleFreqTable {
    /// The frequency of each variant's `alt` allele from the table (`None` when not
    /// matched or unknown), and how the variants matched.
    pub fn match_variants(&self, variants: &[Variant]) -> (Vec<Option<f64>>, MatchReport) {
        let mut at_position: HashMap<(&str, u64), Vec<&AlleleFreqEntry>> = HashMap::new();
        for entry in &self.entries {
            at_position
                .entry((normalise_chrom(&entry.chrom), entry.pos))
                .or_default()
                .push(entry);
        }
        let mut report = MatchReport {
            n_variants: variants.len(),
            ..MatchReport::default()
        };
        let mut freqs = Vec::with_capacity(variants.len());
        for v in variants {
            let candidates = at_position
                .get(&(normalise_chrom(&v.chrom), v.pos))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let (kind, entry) = best_match(v, candidates);
            let example = |list: &mut Vec<String>| {
                if list.len() < EXAMPLES {
                    list.push(v.display_id());
                }
            };
            let freq = match kind {
                AlleleMatch::Exact => {
                    report.exact += 1;
                    entry.and_then(|e| e.alt_freq)
                }
                AlleleMatch::StrandFlipped => {
                    report.strand_flipped += 1;
                    entry.and_then(|e| e.alt_freq)
                }
                AlleleMatch::Swapped => {
                    report.swapped += 1;
                    example(&mut report.swapped_examples);
                    entry.and_then(|e| e.alt_freq).map(|f| 1.0 - f)
                }
                AlleleMatch::StrandFlippedSwapped => {
                    report.strand_flipped_swapped += 1;
                    example(&mut report.swapped_examples);
                    entry.and_then(|e| e.alt_freq).map(|f| 1.0 - f)
                }
                AlleleMatch::AmbiguousSwapped => {
                    report.ambiguous_swapped += 1;
                    example(&mut report.ambiguous_examples);
                    entry.and_then(|e| e.alt_freq).map(|f| 1.0 - f)
                }
                AlleleMatch::NotFound => {
                    report.not_found += 1;
                    example(&mut report.unmatched_examples);
                    None
                }
                AlleleMatch::AlleleMismatch => {
                    report.allele_mismatch += 1;
                    example(&mut report.unmatched_examples);
                    None
                }
            };
            if entry.is_some_and(|e| e.alt_freq.is_none()) {
                report.missing_frequency += 1;
            }
            freqs.push(freq);
        }
        (freqs, report)
    }
}

/// The best way `v` matches one of the table rows at its position.
fn best_match<'a>(
    v: &Variant,
    candidates: &[&'a AlleleFreqEntry],
) -> (AlleleMatch, Option<&'a AlleleFreqEntry>) {
    if candidates.is_empty() {
        return (AlleleMatch::NotFound, None);
    }
    let (r, a) = (
        v.ref_allele.to_ascii_uppercase(),
        v.alt_allele.to_ascii_uppercase(),
    );
    let find = |want_ref: &str, want_alt: &str| {
        candidates
            .iter()
            .find(|e| e.ref_allele == want_ref && e.alt_allele == want_alt)
            .copied()
    };
    if let Some(e) = find(&r, &a) {
        return (AlleleMatch::Exact, Some(e));
    }
    let palindromic = is_palindromic(&r, &a);
    if let Some(e) = find(&a, &r) {
        let kind = if palindromic {
            AlleleMatch::AmbiguousSwapped
        } else {
            AlleleMatch::Swapped
        };
        return (kind, Some(e));
    }
    if !palindromic && let (Some(rc), Some(ac)) = (complement(&r), complement(&a)) {
        if let Some(e) = find(&rc, &ac) {
            return (AlleleMatch::StrandFlipped, Some(e));
        }
        if let Some(e) = find(&ac, &rc) {
            return (AlleleMatch::StrandFlippedSwapped, Some(e));
        }
    }
    (AlleleMatch::AlleleMismatch, None)
}

/// `chr1` and `1` name the same chromosome.
pub(crate) fn normalise_chrom(chrom: &str) -> &str {
    let lower_prefix = chrom.get(..3).map(str::to_ascii_lowercase);
    match lower_prefix.as_deref() {
        Some("chr") => chrom.get(3..).unwrap_or(chrom),
        _ => chrom,
    }
}

/// The other strand's base of a single-base allele.
fn complement(allele: &str) -> Option<String> {
    let base = match allele {
        "A" => "T",
        "T" => "A",
        "C" => "G",
        "G" => "C",
        _ => return None,
    };
    Some(base.to_string())
}

/// A/T and C/G SNPs read the same on both strands.
fn is_palindromic(ref_allele: &str, alt_allele: &str) -> bool {
    complement(ref_allele).as_deref() == Some(alt_allele)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromosome_names_and_palindromes() {
        assert_eq!(normalise_chrom("chr7"), "7");
        assert_eq!(normalise_chrom("CHRX"), "X");
        assert_eq!(normalise_chrom("7"), "7");
        assert!(is_palindromic("A", "T"));
        assert!(is_palindromic("G", "C"));
        assert!(!is_palindromic("A", "G"));
    }
}
