//! Summary statistics: allele frequencies, missingness, Hardy-Weinberg tests,
//! per-sample missingness and heterozygosity, the MAF spectrum.
pub mod gwas;
