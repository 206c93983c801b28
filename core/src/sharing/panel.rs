//! A public reference panel lined up with a private cohort's SNPs, so that the
//! calibration, the restoration targets and the GWAS controls all describe the
//! same variant, in the same order, with the same counted allele (spec §6 flaw 6).

use std::collections::HashMap;

use crate::data::read::allele_freq::normalise_chrom;
use crate::data::{GenotypeMatrix, MISSING, Variant};
use crate::error::{Error, Result};
use crate::job::Job;

use super::{NoiseKey, allele_frequencies, impute_missing_hwe};

/// Missing panel calls are imputed with this fixed seed: the panel is public, and a
/// fixed draw keeps the calibration of a release reproducible.
const PANEL_IMPUTATION_SEED: u64 = 0x5EED_0F9A;

/// A panel restricted and ordered to a cohort's variants.
#[derive(Clone, Debug)]
pub struct AlignedPanel {
    /// Complete genotypes (missing calls imputed), variants equal to the cohort's.
    pub matrix: GenotypeMatrix,
    /// Counted-allele frequency per cohort variant, from the panel's called genotypes.
    pub frequencies: Vec<f64>,
    /// Panel variants not in the cohort, left out.
    pub dropped: usize,
    /// Cohort variants whose panel record has REF and ALT exchanged, recoded.
    pub swapped: usize,
    /// Missing panel calls imputed from the panel's own frequencies.
    pub imputed_calls: u64,
}

/// Lines `panel` up with `cohort`: every cohort SNP must be in the panel (matched
/// on chromosome (with or without a `chr` prefix), position and alleles; an exchanged REF/ALT is recoded). Panel
/// SNPs the cohort lacks are dropped and counted.
pub fn align_panel(
    panel: &GenotypeMatrix,
    cohort: &[Variant],
    job: Job<'_>,
) -> Result<AlignedPanel> {
    job.checkpoint("lining up the reference panel", None)?;
    if panel.n_samples() == 0 {
        return Err(Error::Parameter(
            "the reference panel has no samples".into(),
        ));
    }
    let mut by_site: HashMap<(&str, u64), Vec<usize>> = HashMap::new();
    for (k, v) in panel.variants().iter().enumerate() {
        by_site
            .entry((normalise_chrom(&v.chrom), v.pos))
            .or_default()
            .push(k);
    }
    let mut rows = Vec::with_capacity(cohort.len());
    let mut swapped_rows = Vec::new();
    let mut missing = Vec::new();
    for v in cohort {
        let found = by_site
            .get(&(normalise_chrom(&v.chrom), v.pos))
            .into_iter()
            .flatten()
            .find_map(|&k| {
                let p = panel.variants().get(k)?;
                if p.ref_allele == v.ref_allele && p.alt_allele == v.alt_allele {
                    Some((k, false))
                } else if p.ref_allele == v.alt_allele && p.alt_allele == v.ref_allele {
                    Some((k, true))
                } else {
                    None
                }
            });
        match found {
            Some((k, swapped)) => {
                if swapped {
                    swapped_rows.push(rows.len());
                }
                rows.push(k);
            }
            None => missing.push(v.display_id()),
        }
    }
    if !missing.is_empty() {
        let examples: Vec<&str> = missing.iter().take(3).map(String::as_str).collect();
        return Err(Error::Mismatch(format!(
            "{} of the cohort's {} SNPs are not in the reference panel with the same alleles \
             (e.g. {}); the panel must cover every SNP to be released",
            missing.len(),
            cohort.len(),
            examples.join(", ")
        )));
    }
    let mut matrix = panel.select_variants(&rows);
    for &j in &swapped_rows {
        for i in 0..matrix.n_samples() {
            let g = matrix.get(j, i);
            if g != MISSING {
                matrix.set(j, i, 2 - g);
            }
        }
    }
    matrix.variants_mut().clone_from_slice(cohort);
    let frequencies = allele_frequencies(&matrix);
    if let Some(j) = frequencies.iter().position(|f| f.is_nan()) {
        return Err(Error::Parameter(format!(
            "the reference panel has no called genotype at {}",
            cohort
                .get(j)
                .map_or_else(|| j.to_string(), Variant::display_id)
        )));
    }
    let (matrix, imputed_calls) = impute_missing_hwe(
        &matrix,
        &frequencies,
        &NoiseKey::from_seed(PANEL_IMPUTATION_SEED),
        job,
    )?;
    Ok(AlignedPanel {
        matrix,
        frequencies,
        dropped: panel.n_variants() - rows.len(),
        swapped: swapped_rows.len(),
        imputed_calls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job;

    fn variant(pos: u64, r: &str, a: &str) -> Variant {
        Variant {
            chrom: "1".into(),
            pos,
            id: format!("rs{pos}"),
            ref_allele: r.into(),
            alt_allele: a.into(),
        }
    }

    fn panel() -> GenotypeMatrix {
        let mut g = GenotypeMatrix::new(vec!["a".into(), "b".into(), "c".into()]);
        g.push_variant(variant(10, "A", "G"), &[0, 1, 2]);
        g.push_variant(variant(20, "C", "T"), &[2, 2, MISSING]);
        g.push_variant(variant(30, "G", "A"), &[0, 0, 1]);
        g
    }

    #[test]
    fn reorders_recodes_swaps_and_drops() -> Result<()> {
        // Cohort: SNP 30 first, SNP 20 with REF/ALT exchanged, SNP 10 absent.
        let cohort = [variant(30, "G", "A"), variant(20, "T", "C")];
        let aligned = job::unattended(|job| align_panel(&panel(), &cohort, job))?;
        assert_eq!(aligned.matrix.variants(), &cohort);
        assert_eq!(
            (aligned.dropped, aligned.swapped, aligned.imputed_calls),
            (1, 1, 1)
        );
        assert_eq!(aligned.matrix.calls(0).collect::<Vec<_>>(), [0, 0, 1]);
        // 2,2 recoded to 0,0; the missing call imputed at frequency 0 gives 0.
        assert_eq!(aligned.matrix.calls(1).collect::<Vec<_>>(), [0, 0, 0]);
        assert_eq!(aligned.frequencies, [1.0 / 6.0, 0.0]);
        Ok(())
    }

    #[test]
    fn names_cohort_snps_the_panel_lacks() {
        let cohort = [variant(10, "A", "C"), variant(40, "A", "G")];
        let Err(Error::Mismatch(msg)) = job::unattended(|job| align_panel(&panel(), &cohort, job))
        else {
            panic!("a panel without the cohort's SNPs was accepted");
        };
        assert!(msg.starts_with("2 of the cohort's 2 SNPs"), "{msg}");
        assert!(msg.contains("rs40"), "{msg}");
    }
}
