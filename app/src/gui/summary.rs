//! What the Data screen shows about a loaded dataset: counts, per-variant and
//! per-sample rates, the MAF spectrum, and the sentences that explain them.
//!
//! The statistics themselves come from `genopriv_core::stats`, so the window, the CLI
//! and later the report print the same numbers; only the view model (bars, sentences)
//! lives here.

use genopriv_core::data::{Dataset, GenotypeMatrix, LoadReport, SkipReason};
use genopriv_core::stats::{self, VariantStats};
use genopriv_core::{Job, Result};

use super::format::{count, percent, plural, share, thousands};

/// Minor allele frequency below which a variant is called rare.
const RARE_MAF: f64 = 0.01;
/// Minor allele frequency from which a variant is called common.
const COMMON_MAF: f64 = 0.05;
/// Width of one bar of the MAF spectrum; 10 bars cover 0 to 0.5.
pub const MAF_BIN_WIDTH: f64 = 0.05;
const MAF_BINS: usize = 10;
/// Per-sample missingness above which a sample is pointed out (plink's usual --mind 0.1
/// would drop it; 5 % is worth a look).
const HIGH_SAMPLE_MISSINGNESS: f64 = 0.05;

/// Everything the Data screen draws, computed once per load (on the worker thread).
#[derive(Clone, Debug)]
pub struct DataSummary {
    pub n_samples: usize,
    pub n_variants: usize,
    pub missing_calls: u64,
    pub total_calls: u64,
    /// One entry per variant, in matrix order.
    pub variants: Vec<VariantStats>,
    /// One entry per sample, in matrix order.
    pub sample_missing_rate: Vec<f64>,
    /// Variants per MAF bar (`[0, 0.05)`, ..., `[0.45, 0.5]`).
    pub maf_bins: [usize; MAF_BINS],
}

impl DataSummary {
    pub fn compute(matrix: &GenotypeMatrix, job: Job<'_>) -> Result<Self> {
        let n_variants = matrix.n_variants();
        let variants = stats::variant_stats(matrix, job)?;
        let missing_calls = variants.iter().map(|v| v.counts.missing).sum();
        let total_calls = variants.iter().map(|v| v.counts.total()).sum();
        let sample_missing_rate = stats::sample_stats(matrix, job)?
            .iter()
            .map(|s| s.missing_rate.unwrap_or(0.0))
            .collect();
        let mut maf_bins = [0; MAF_BINS];
        for maf in variants.iter().filter_map(|v| v.maf) {
            let bin = ((maf / MAF_BIN_WIDTH) as usize).min(MAF_BINS - 1);
            if let Some(b) = maf_bins.get_mut(bin) {
                *b += 1;
            }
        }
        Ok(Self {
            n_samples: matrix.n_samples(),
            n_variants,
            missing_calls,
            total_calls,
            variants,
            sample_missing_rate,
            maf_bins,
        })
    }

    pub fn missing_rate(&self) -> f64 {
        if self.total_calls == 0 {
            0.0
        } else {
            self.missing_calls as f64 / self.total_calls as f64
        }
    }

    /// One sentence on the MAF spectrum.
    pub fn maf_sentence(&self) -> String {
        let mafs: Vec<f64> = self.variants.iter().filter_map(|v| v.maf).collect();
        if mafs.is_empty() {
            return "No variant has a called genotype, so there is no allele frequency to show."
                .to_string();
        }
        let n = mafs.len();
        let common = mafs.iter().filter(|&&m| m >= COMMON_MAF).count();
        let rare = mafs.iter().filter(|&&m| m < RARE_MAF).count();
        let low = n - common - rare;
        let monomorphic = mafs.iter().filter(|&&m| m == 0.0).count();
        let mut sentence = format!(
            "{} ({}) are common (minor allele frequency 5 % or more), {} ({}) are low-frequency \
             (1 % to 5 %) and {} ({}) are rare (below 1 %)",
            count(common),
            share(common, n),
            count(low),
            share(low, n),
            count(rare),
            share(rare, n),
        );
        if monomorphic > 0 {
            sentence.push_str(&format!(
                "; {} no variation at all",
                plural(monomorphic, "variant shows", "variants show")
            ));
        }
        let uncalled = self.n_variants - n;
        if uncalled > 0 {
            sentence.push_str(&format!(
                "; {} no called genotype",
                plural(uncalled, "variant has", "variants have")
            ));
        }
        format!("Of {} variants, {sentence}.", count(self.n_variants))
    }

    /// One sentence on per-sample missingness.
    pub fn sample_missingness_sentence(&self) -> String {
        if self.sample_missing_rate.is_empty() || self.n_variants == 0 {
            return "There are no calls, so there is no missingness to show.".to_string();
        }
        let mut sorted = self.sample_missing_rate.clone();
        sorted.sort_by(f64::total_cmp);
        let (min, max) = match (sorted.first(), sorted.last()) {
            (Some(&min), Some(&max)) => (min, max),
            _ => (0.0, 0.0),
        };
        if max == 0.0 {
            return format!(
                "No sample has a missing call: all {} samples are fully genotyped.",
                count(sorted.len())
            );
        }
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
        let high = sorted
            .iter()
            .filter(|&&m| m > HIGH_SAMPLE_MISSINGNESS)
            .count();
        format!(
            "Per-sample missingness ranges from {} to {} (median {}); {} miss more than {} of \
             their calls.",
            percent(min),
            percent(max),
            percent(median),
            plural(high, "sample", "samples"),
            percent(HIGH_SAMPLE_MISSINGNESS),
        )
    }
}

/// The loader's report in plain sentences (what was skipped, split, recoded).
pub fn load_report_sentences(report: &LoadReport) -> Vec<String> {
    let mut sentences = Vec::new();
    let skipped = report.total_skipped();
    if skipped == 0 {
        sentences.push("No record of the file was skipped.".to_string());
    } else {
        let reasons: Vec<String> = [
            SkipReason::MultiAllelic,
            SkipReason::NotSnp,
            SkipReason::NoAlt,
            SkipReason::Symbolic,
        ]
        .into_iter()
        .filter_map(|reason| {
            let n = report.skipped.get(&reason).copied().unwrap_or(0);
            (n > 0).then(|| format!("{}: {}", reason.describe(), thousands(n)))
        })
        .collect();
        sentences.push(format!(
            "{} {} skipped ({}).",
            thousands(skipped),
            if skipped == 1 {
                "record was"
            } else {
                "records were"
            },
            reasons.join("; ")
        ));
    }
    if report.split_records > 0 {
        sentences.push(format!(
            "{} multi-allelic records were split into {} biallelic variants.",
            thousands(report.split_records),
            thousands(report.split_variants)
        ));
    }
    if report.haploid_calls > 0 {
        sentences.push(format!(
            "{} haploid calls were read as homozygous.",
            thousands(report.haploid_calls)
        ));
    }
    if report.other_allele_calls > 0 {
        sentences.push(format!(
            "{} calls carrying another alternate allele were set to missing.",
            thousands(report.other_allele_calls)
        ));
    }
    sentences.extend(report.notes.iter().cloned());
    sentences
}

/// A loaded dataset with its summary, as the worker hands it to the window.
#[derive(Debug)]
pub struct LoadedData {
    pub dataset: Dataset,
    pub summary: DataSummary,
}

#[cfg(test)]
mod tests {
    use genopriv_core::data::{MISSING, Variant};
    use genopriv_core::job;

    use super::*;

    fn variant(pos: u64) -> Variant {
        Variant {
            chrom: "1".into(),
            pos,
            id: format!("rs{pos}"),
            ref_allele: "A".into(),
            alt_allele: "G".into(),
        }
    }

    /// A deterministic pseudo-random matrix with every call code, including missing.
    fn scrambled_matrix(n_samples: usize, n_variants: usize) -> GenotypeMatrix {
        let mut m = GenotypeMatrix::new((0..n_samples).map(|i| format!("s{i}")).collect());
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for j in 0..n_variants {
            let calls: Vec<u8> = (0..n_samples)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    ((state >> 33) % 4) as u8
                })
                .collect();
            m.push_variant(variant(j as u64 + 1), &calls);
        }
        m
    }

    #[test]
    fn rates_bins_and_totals_of_a_hand_made_matrix() -> Result<()> {
        let mut m = GenotypeMatrix::new(vec!["a".into(), "b".into(), "c".into(), "d".into()]);
        m.push_variant(variant(1), &[0, 1, 2, MISSING]); // f = 3/6 = 0.5
        m.push_variant(variant(2), &[0, 0, 0, 1]); // f = 1/8 = 0.125
        m.push_variant(variant(3), &[2, 2, 2, 2]); // f = 1, MAF 0
        m.push_variant(variant(4), &[MISSING; 4]); // nothing called
        let s = job::unattended(|job| DataSummary::compute(&m, job))?;
        assert_eq!(s.variants[0].alt_freq, Some(0.5));
        assert_eq!(s.variants[0].missing_rate, Some(0.25));
        assert_eq!(s.variants[1].maf, Some(0.125));
        assert_eq!(s.variants[2].maf, Some(0.0));
        assert_eq!(s.variants[3].alt_freq, None);
        assert_eq!((s.missing_calls, s.total_calls), (5, 16));
        assert_eq!(s.sample_missing_rate, vec![0.25, 0.25, 0.25, 0.5]);
        // MAF 0 -> bar 0, 0.125 -> bar 2, 0.5 -> the last bar (closed at 0.5).
        assert_eq!(s.maf_bins, [1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(
            s.maf_sentence(),
            "Of 4 variants, 2 (66.7 %) are common (minor allele frequency 5 % or more), 0 (0.0 %) \
             are low-frequency (1 % to 5 %) and 1 (33.3 %) are rare (below 1 %); 1 variant shows no \
             variation at all; 1 variant has no called genotype."
        );
        assert_eq!(
            s.sample_missingness_sentence(),
            "Per-sample missingness ranges from 25.0 % to 50.0 % (median 25.0 %); 4 samples miss \
             more than 5.0 % of their calls."
        );
        Ok(())
    }

    #[test]
    fn cancelled_summary_stops() {
        let m = scrambled_matrix(8, 10);
        let cancel = genopriv_core::CancelToken::new();
        cancel.cancel();
        let job = Job::new(&job::NoProgress, &cancel);
        assert!(matches!(
            DataSummary::compute(&m, job),
            Err(genopriv_core::Error::Cancelled)
        ));
    }

    #[test]
    fn report_sentences_name_every_reason() {
        let mut report = LoadReport::default();
        assert_eq!(
            load_report_sentences(&report),
            ["No record of the file was skipped."]
        );
        report.skip(SkipReason::MultiAllelic);
        report.skip(SkipReason::MultiAllelic);
        report.skip(SkipReason::NotSnp);
        report.haploid_calls = 1200;
        report.notes.push("Contig chrX has no length.".into());
        assert_eq!(
            load_report_sentences(&report),
            [
                "3 records were skipped (multi-allelic records: 2; indels and other non-SNPs: 1).",
                "1,200 haploid calls were read as homozygous.",
                "Contig chrX has no length.",
            ]
        );
    }
}
