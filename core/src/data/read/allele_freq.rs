//! Allele-frequency tables matched to genotype variants.
