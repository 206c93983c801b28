//! Genotype data: the in-memory model, readers and writers.
//!
//! Readers stream their input (never holding the whole text in memory), report
//! progress, honour cancellation, and report everything they skip in a
//! [`LoadReport`]; nothing is dropped silently.

mod format;
mod matrix;
pub mod read;
pub mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use format::{GenotypeFormat, plink_paths};
pub use matrix::{Call, CallCounts, GenotypeMatrix, MISSING, Variant};

/// A genotype matrix together with where it came from and what loading it skipped.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub matrix: GenotypeMatrix,
    pub source: PathBuf,
    pub format: GenotypeFormat,
    pub report: LoadReport,
}

/// Why a record of the input was not loaded as a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// More than one alternate allele, with [`MultiAllelicPolicy::Skip`].
    MultiAllelic,
    /// An indel or other non-SNP, unless [`ReadOptions::keep_non_snps`].
    NotSnp,
    /// No alternate allele (ALT is `.`): monomorphic in the source.
    NoAlt,
    /// A symbolic or breakend ALT allele (`<DEL>`, `*`, `N[...`).
    Symbolic,
}

impl SkipReason {
    /// The key used in reports and JSON output.
    pub fn key(self) -> &'static str {
        match self {
            SkipReason::MultiAllelic => "multi_allelic",
            SkipReason::NotSnp => "not_snp",
            SkipReason::NoAlt => "no_alt",
            SkipReason::Symbolic => "symbolic",
        }
    }

    /// A plain description for people.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::MultiAllelic => "multi-allelic records",
            SkipReason::NotSnp => "indels and other non-SNPs",
            SkipReason::NoAlt => "records without an alternate allele",
            SkipReason::Symbolic => "symbolic or breakend alleles",
        }
    }
}

/// What a reader did beyond loading the variants it returned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Records not loaded, by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Multi-allelic records split into biallelic variants (with
    /// [`MultiAllelicPolicy::Split`]), and the number of variants they produced.
    pub split_records: u64,
    pub split_variants: u64,
    /// Haploid calls read, coded as homozygous (0 or 2).
    pub haploid_calls: u64,
    /// Calls with an allele index other than 0 or the variant's alternate allele
    /// (in split multi-allelic records), coded as missing.
    pub other_allele_calls: u64,
    /// Anything else the user should know, in plain sentences.
    pub notes: Vec<String>,
}

impl LoadReport {
    pub fn skip(&mut self, reason: SkipReason) {
        *self.skipped.entry(reason).or_insert(0) += 1;
    }

    pub fn total_skipped(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Skipped counts keyed by [`SkipReason::key`], every reason present (zero if none).
    pub fn skipped_by_key(&self) -> BTreeMap<&'static str, u64> {
        [
            SkipReason::MultiAllelic,
            SkipReason::NotSnp,
            SkipReason::NoAlt,
            SkipReason::Symbolic,
        ]
        .into_iter()
        .map(|r| (r.key(), self.skipped.get(&r).copied().unwrap_or(0)))
        .collect()
    }
}

/// How to load records with several alternate alleles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiAllelicPolicy {
    /// Skip the record and count it.
    #[default]
    Skip,
    /// One biallelic variant per alternate allele; a call carrying another
    /// alternate allele is coded as missing at that variant (as `bcftools norm -m-`
    /// followed by treating the other allele as unknown).
    Split,
}

/// Options for the genotype readers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadOptions {
    pub multi_allelic: MultiAllelicPolicy,
    /// Keep indels and other non-SNP biallelic variants (skipped by default: the
    /// privacy mechanisms assume SNPs).
    pub keep_non_snps: bool,
}
