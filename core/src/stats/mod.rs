//! Summary statistics: allele frequencies, missingness, Hardy-Weinberg tests,
//! per-sample missingness and heterozygosity, the MAF spectrum, LD r², principal
//! components and SNP–label correlations, and
//! how two cohorts overlap on a reference's principal components.
//!
//! Pure functions over a [`GenotypeMatrix`](crate::data::GenotypeMatrix), parallel
//! over variants; the long ones take a [`Job`](crate::job::Job). Results are plain
//! serde structs.

mod correlation;
pub mod gwas;
mod hwe;
pub mod ld;
mod pca;
pub mod pca_overlap;
mod sample;
mod spectrum;
mod summary;
mod variant;

pub use correlation::{SnpLabelCorrelation, label_correlations, top_label_correlations};
pub use hwe::hwe_exact_p;
pub use pca::{Pca, pca, top_eigenpairs};
pub use sample::{SampleStats, sample_stats};
pub use spectrum::{DEFAULT_MAF_EDGES, MafBin, MafSpectrum, maf_spectrum};
pub use summary::{Distribution, Summary, summarize};
pub use variant::{VariantStats, variant_stats};
