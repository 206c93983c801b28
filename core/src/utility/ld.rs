//! How well a release keeps linkage disequilibrium: r² of nearby SNP pairs in
//! the original and the released matrix, compared pair by pair and as decay
//! curves by distance.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::GenotypeMatrix;
use crate::error::{Error, Result};
use crate::job::Job;
use crate::stats::ld::{LdBin, bin_by_distance, r_squared, window_pairs};

/// Which SNP pairs are compared and how the decay curve is binned.
///
/// The default window is each SNP with the next 10 SNPs on the same chromosome,
/// closer than 1,000 kb: the pairs of `plink --r2 --ld-window 11 --ld-window-kb
/// 1000 --ld-window-r2 0` (plink's window counts the SNP itself). A SNP-count
/// window always finds pairs and costs `O(10·m·n)` whatever the panel density,
/// where a fixed bp window finds none on sparse panels (a few SNPs per Mb) and
/// explodes on dense ones (the demo cohort has a SNP every ~250 bp).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LdSettings {
    /// Each SNP is paired with at most this many following SNPs.
    pub max_lag: usize,
    /// Pairs at least this far apart are left out.
    pub max_distance_bp: u64,
    /// Number of distance bins of the decay curves.
    pub n_bins: usize,
    /// Bin width; `None` spreads `n_bins` bins over the largest pair distance
    /// actually present, so dense and sparse panels both get a useful curve.
    pub bin_width_bp: Option<u64>,
}

impl Default for LdSettings {
    fn default() -> Self {
        Self {
            max_lag: 10,
            max_distance_bp: 1_000_000,
            n_bins: 10,
            bin_width_bp: None,
        }
    }
}

/// LD of a release against the original, over the pairs of [`LdSettings`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LdPreservation {
    pub settings: LdSettings,
    /// Pairs in the window.
    pub pairs: usize,
    /// Pairs whose r² is defined in both matrices (neither SNP monomorphic).
    pub compared_pairs: usize,
    /// Mean |r²_original − r²_released| over the compared pairs.
    pub mean_abs_r_squared_difference: Option<f64>,
    pub mean_r_squared_original: Option<f64>,
    pub mean_r_squared_released: Option<f64>,
    /// The bin width used for both decay curves.
    pub bin_width_bp: u64,
    pub decay_original: Vec<LdBin>,
    pub decay_released: Vec<LdBin>,
}

/// One window pair: distance and r² in each matrix.
struct PairLd {
    distance: u64,
    original: Option<f64>,
    released: Option<f64>,
}

/// Compares the LD of `released` with that of `original` (same variants in the
/// same order; missing calls are left out pairwise).
pub fn ld_preservation(
    original: &GenotypeMatrix,
    released: &GenotypeMatrix,
    settings: LdSettings,
    job: Job<'_>,
) -> Result<LdPreservation> {
    crate::sharing::check_same_variants(
        original.variants(),
        released.variants(),
        "original and released matrices",
    )?;
    if settings.max_lag == 0 || settings.n_bins == 0 || settings.bin_width_bp == Some(0) {
        return Err(Error::Parameter(format!(
            "LD preservation needs a positive window and bins, got a lag of {}, {} bins and a \
             bin width of {:?} bp",
            settings.max_lag, settings.n_bins, settings.bin_width_bp
        )));
    }
    job.checkpoint("LD of the release", None)?;
    let window = window_pairs(
        original.variants(),
        settings.max_lag,
        settings.max_distance_bp,
    );
    let chunk = 4096;
    let mut pairs: Vec<PairLd> = Vec::with_capacity(window.len());
    for (done, block) in window.chunks(chunk).enumerate() {
        job.checkpoint(
            "LD of the release",
            Some((done * chunk) as f32 / window.len().max(1) as f32),
        )?;
        pairs.par_extend(block.par_iter().map(|&(i, j, distance)| PairLd {
            distance,
            original: r_squared(original, i, j),
            released: r_squared(released, i, j),
        }));
    }
    let bin_width_bp = settings.bin_width_bp.unwrap_or_else(|| {
        let widest = pairs.iter().map(|p| p.distance).max().unwrap_or(0);
        (widest / settings.n_bins as u64 + 1).max(1)
    });
    let mean = |values: &mut dyn Iterator<Item = f64>| {
        let (count, sum) = values.fold((0usize, 0.0), |(c, s), v| (c + 1, s + v));
        (count, (count > 0).then(|| sum / count as f64))
    };
    let (compared_pairs, mean_abs_r_squared_difference) = mean(
        &mut pairs
            .iter()
            .filter_map(|p| Some((p.original? - p.released?).abs())),
    );
    let (_, mean_r_squared_original) = mean(&mut pairs.iter().filter_map(|p| p.original));
    let (_, mean_r_squared_released) = mean(&mut pairs.iter().filter_map(|p| p.released));
    let decay_original = bin_by_distance(
        pairs.iter().map(|p| (p.distance, p.original)),
        bin_width_bp,
        settings.n_bins,
    )?;
    let decay_released = bin_by_distance(
        pairs.iter().map(|p| (p.distance, p.released)),
        bin_width_bp,
        settings.n_bins,
    )?;
    job.checkpoint("LD of the release", Some(1.0))?;
    Ok(LdPreservation {
        settings,
        pairs: pairs.len(),
        compared_pairs,
        mean_abs_r_squared_difference,
        mean_r_squared_original,
        mean_r_squared_released,
        bin_width_bp,
        decay_original,
        decay_released,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Variant;
    use crate::job;

    fn matrix(rows: &[[u8; 4]], positions: &[u64]) -> GenotypeMatrix {
        let mut g = GenotypeMatrix::new((0..4).map(|i| format!("s{i}")).collect());
        for (calls, &pos) in rows.iter().zip(positions) {
            let variant = Variant {
                chrom: "1".into(),
                pos,
                id: ".".into(),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            };
            g.push_variant(variant, calls);
        }
        g
    }

    #[test]
    fn mean_difference_and_decay_by_hand() -> Result<()> {
        // a = (0,1,2,2), b = (2,1,0,1): r²(a, a) = 1, r²(a, b) = 8/11.
        let (a, b) = ([0, 1, 2, 2], [2, 1, 0, 1]);
        let positions = [100, 300, 1_000];
        let original = matrix(&[a, a, b], &positions);
        let released = matrix(&[a, b, b], &positions);
        // Pairs (0,1), (0,2), (1,2): r² 1, 8/11, 8/11 against 8/11, 8/11, 1.
        let settings = LdSettings {
            bin_width_bp: Some(500),
            n_bins: 2,
            ..LdSettings::default()
        };
        let ld = job::unattended(|job| ld_preservation(&original, &released, settings, job))?;
        assert_eq!((ld.pairs, ld.compared_pairs), (3, 3));
        let diff = ld.mean_abs_r_squared_difference.unwrap_or(f64::NAN);
        assert!((diff - 2.0 / 11.0).abs() < 1e-12, "{diff}");
        let mean = (1.0 + 16.0 / 11.0) / 3.0;
        assert!((ld.mean_r_squared_original.unwrap_or(0.0) - mean).abs() < 1e-12);
        assert!((ld.mean_r_squared_released.unwrap_or(0.0) - mean).abs() < 1e-12);
        // Distances 200 (bin 0), 900 and 700 (bin 1).
        let original_bins: Vec<_> = ld.decay_original.iter().map(|b| b.pairs).collect();
        assert_eq!(original_bins, [1, 2]);
        assert_eq!(ld.decay_original[0].mean_r_squared, Some(1.0));
        assert_eq!(ld.decay_released[0].mean_r_squared, Some(8.0 / 11.0));

        // The automatic width puts the widest pair (900 bp) in the last bin.
        let auto = job::unattended(|job| {
            ld_preservation(&original, &released, LdSettings::default(), job)
        })?;
        assert_eq!(auto.bin_width_bp, 91);
        assert_eq!(
            auto.decay_original.iter().map(|b| b.pairs).sum::<usize>(),
            3
        );
        assert_eq!(auto.decay_original.last().map(|b| b.pairs), Some(1));

        // A monomorphic released SNP leaves its pairs out of the comparison.
        let flat = matrix(&[a, [1, 1, 1, 1], b], &positions);
        let partial = job::unattended(|job| ld_preservation(&original, &flat, settings, job))?;
        assert_eq!((partial.pairs, partial.compared_pairs), (3, 1));
        Ok(())
    }

    #[test]
    fn refuses_other_variants_and_empty_windows() {
        let a = matrix(&[[0, 1, 2, 2], [2, 1, 0, 1]], &[1, 2]);
        let b = matrix(&[[0, 1, 2, 2], [2, 1, 0, 1]], &[1, 3]);
        let result = job::unattended(|job| ld_preservation(&a, &b, LdSettings::default(), job));
        assert!(matches!(result, Err(Error::Mismatch(_))));
        let zero_lag = LdSettings {
            max_lag: 0,
            ..LdSettings::default()
        };
        let result = job::unattended(|job| ld_preservation(&a, &a, zero_lag, job));
        assert!(matches!(result, Err(Error::Parameter(_))));
    }
}
