//! Phenotype and covariate tables (polars), joined to genotypes by sample ID.
