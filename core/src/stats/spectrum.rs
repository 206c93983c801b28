//! The minor-allele-frequency spectrum: how many variants fall in each MAF bin.

use serde::{Deserialize, Serialize};

use super::variant::VariantStats;
use crate::error::{Error, Result};

/// Bin edges used when the caller has no preference: rare (<= 1%), low-frequency
/// (<= 5%) and common variants in steps of 10%.
pub const DEFAULT_MAF_EDGES: [f64; 8] = [0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5];

/// Variants with a MAF in `(lower, upper]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MafBin {
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
}

/// A MAF histogram. Every variant is counted exactly once: in a bin, as
/// monomorphic (MAF 0), as outside the bins, or as undefined (no called allele).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MafSpectrum {
    pub bins: Vec<MafBin>,
    pub monomorphic: u64,
    /// Polymorphic variants whose MAF lies outside `(first edge, last edge]`.
    pub outside: u64,
    pub undefined: u64,
}

impl MafSpectrum {
    pub fn total(&self) -> u64 {
        self.bins.iter().map(|b| b.count).sum::<u64>()
            + self.monomorphic
            + self.outside
            + self.undefined
    }
}

/// Counts the variants in each bin `(edges[i], edges[i+1]]`. Edges must be finite,
/// strictly increasing and within `[0, 0.5]`, at least two of them.
pub fn maf_spectrum(stats: &[VariantStats], edges: &[f64]) -> Result<MafSpectrum> {
    if edges.len() < 2 {
        return Err(Error::Parameter(format!(
            "a MAF spectrum needs at least two bin edges, got {}",
            edges.len()
        )));
    }
    if let Some(bad) = edges.iter().find(|e| !(0.0..=0.5).contains(*e)) {
        return Err(Error::Parameter(format!(
            "MAF bin edge {bad} is outside [0, 0.5]"
        )));
    }
    if let Some(pair) = edges.windows(2).find(|w| w[0] >= w[1]) {
        return Err(Error::Parameter(format!(
            "MAF bin edges must increase strictly, but {} is followed by {}",
            pair[0], pair[1]
        )));
    }
    let mut spectrum = MafSpectrum {
        bins: edges
            .windows(2)
            .map(|w| MafBin {
                lower: w[0],
                upper: w[1],
                count: 0,
            })
            .collect(),
        monomorphic: 0,
        outside: 0,
        undefined: 0,
    };
    for maf in stats.iter().map(|s| s.maf) {
        match maf {
            None => spectrum.undefined += 1,
            Some(0.0) => spectrum.monomorphic += 1,
            Some(m) => {
                // Number of edges strictly below m: m is in bin (edges[i-1], edges[i]].
                let i = edges.partition_point(|&e| e < m);
                match i.checked_sub(1).and_then(|b| spectrum.bins.get_mut(b)) {
                    Some(bin) => bin.count += 1,
                    None => spectrum.outside += 1,
                }
            }
        }
    }
    Ok(spectrum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CallCounts;

    fn with_maf(maf: Option<f64>) -> VariantStats {
        VariantStats {
            counts: CallCounts::default(),
            alt_freq: maf,
            maf,
            missing_rate: Some(0.0),
            hwe_p: None,
        }
    }

    #[test]
    fn bins_are_left_open_right_closed_and_cover_every_variant() -> Result<()> {
        let mafs = [
            None,
            Some(0.0),
            Some(0.01),
            Some(0.010001),
            Some(0.05),
            Some(0.5),
            Some(0.3),
        ];
        let stats: Vec<_> = mafs.iter().map(|&m| with_maf(m)).collect();
        let s = maf_spectrum(&stats, &[0.0, 0.01, 0.05, 0.4])?;
        let counts: Vec<u64> = s.bins.iter().map(|b| b.count).collect();
        assert_eq!(counts, [1, 2, 1]);
        assert_eq!((s.monomorphic, s.undefined, s.outside), (1, 1, 1));
        assert_eq!(s.total(), stats.len() as u64);
        Ok(())
    }

    #[test]
    fn rejects_bad_edges() {
        let stats = [with_maf(Some(0.1))];
        for edges in [
            &[0.1][..],
            &[0.0, 0.6],
            &[0.2, 0.1],
            &[0.0, f64::NAN],
            &[0.1, 0.1],
        ] {
            assert!(
                matches!(maf_spectrum(&stats, edges), Err(Error::Parameter(_))),
                "{edges:?}"
            );
        }
    }
}
