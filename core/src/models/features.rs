//! Dense row-major feature matrices for the models.

use crate::data::{GenotypeMatrix, MISSING};
use crate::error::{Error, Result};

/// A dense `n_rows x n_cols` matrix, one row per sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    n_rows: usize,
    n_cols: usize,
    values: Vec<f64>,
}

impl Features {
    /// Builds a matrix from row-major values; fails if the length is not `n_rows * n_cols`.
    pub fn from_row_major(n_rows: usize, n_cols: usize, values: Vec<f64>) -> Result<Self> {
        if n_rows.checked_mul(n_cols) != Some(values.len()) {
            return Err(Error::Mismatch(format!(
                "{} values cannot fill a {n_rows} x {n_cols} feature matrix",
                values.len()
            )));
        }
        Ok(Self {
            n_rows,
            n_cols,
            values,
        })
    }

    /// Builds a matrix from rows of equal length.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Self> {
        let n_cols = rows.first().map_or(0, Vec::len);
        let mut values = Vec::with_capacity(rows.len() * n_cols);
        for (index, row) in rows.iter().enumerate() {
            if row.len() != n_cols {
                return Err(Error::Mismatch(format!(
                    "feature row {} has {} values, row 1 has {n_cols}",
                    index + 1,
                    row.len()
                )));
            }
            values.extend_from_slice(row);
        }
        Self::from_row_major(rows.len(), n_cols, values)
    }

    /// Alt-allele counts (0/1/2) of every sample (rows) at every variant (columns).
    /// A missing call is replaced by the mean count of the called samples at that
    /// variant (0 when nobody is called), so imputation adds no signal.
    pub fn from_genotypes(matrix: &GenotypeMatrix) -> Self {
        let n_rows = matrix.n_samples();
        let n_cols = matrix.n_variants();
        let mut values = vec![0.0; n_rows * n_cols];
        for variant in 0..n_cols {
            let counts = matrix.call_counts(variant);
            let mean = if counts.called() == 0 {
                0.0
            } else {
                counts.alt_alleles() as f64 / counts.called() as f64
            };
            for (sample, call) in matrix.calls(variant).enumerate() {
                let value = if call == MISSING {
                    mean
                } else {
                    f64::from(call)
                };
                if let Some(slot) = values.get_mut(sample * n_cols + variant) {
                    *slot = value;
                }
            }
        }
        Self {
            n_rows,
            n_cols,
            values,
        }
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Row `i`; an out-of-range index gives an empty slice.
    pub fn row(&self, i: usize) -> &[f64] {
        let start = i.saturating_mul(self.n_cols);
        self.values
            .get(start..start.saturating_add(self.n_cols))
            .unwrap_or(&[])
    }

    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[f64]> + '_ {
        // `max(1)` keeps `chunks_exact` valid for zero columns; then there are no values.
        let chunks = self.values.chunks_exact(self.n_cols.max(1));
        let empty_rows = if self.n_cols == 0 { self.n_rows } else { 0 };
        RowIter { chunks, empty_rows }
    }

    /// The rows at `indices`, in that order (indices out of range are an error).
    pub fn select_rows(&self, indices: &[usize]) -> Result<Self> {
        let mut values = Vec::with_capacity(indices.len() * self.n_cols);
        for &index in indices {
            if index >= self.n_rows {
                return Err(Error::Parameter(format!(
                    "row index {index} is out of range for {} rows",
                    self.n_rows
                )));
            }
            values.extend_from_slice(self.row(index));
        }
        Self::from_row_major(indices.len(), self.n_cols, values)
    }

    /// The row-major values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

struct RowIter<'a> {
    chunks: std::slice::ChunksExact<'a, f64>,
    empty_rows: usize,
}

impl<'a> Iterator for RowIter<'a> {
    type Item = &'a [f64];

    fn next(&mut self) -> Option<&'a [f64]> {
        if self.empty_rows > 0 {
            self.empty_rows -= 1;
            return Some(&[]);
        }
        self.chunks.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.empty_rows + self.chunks.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for RowIter<'_> {}

/// Picks labels at `indices` (as [`Features::select_rows`] picks rows).
pub fn select_labels(y: &[u8], indices: &[usize]) -> Result<Vec<u8>> {
    indices
        .iter()
        .map(|&index| {
            y.get(index).copied().ok_or_else(|| {
                Error::Parameter(format!(
                    "label index {index} is out of range for {} labels",
                    y.len()
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Variant;

    #[test]
    fn missing_calls_take_the_called_mean() -> Result<()> {
        let mut matrix = GenotypeMatrix::new(vec!["a".into(), "b".into(), "c".into()]);
        let variant = Variant {
            chrom: "1".into(),
            pos: 1,
            id: ".".into(),
            ref_allele: "A".into(),
            alt_allele: "G".into(),
        };
        matrix.push_variant(variant.clone(), &[0, 2, MISSING]);
        matrix.push_variant(variant, &[1, 1, 2]);
        let features = Features::from_genotypes(&matrix);
        assert_eq!(features.row(0), &[0.0, 1.0]);
        assert_eq!(features.row(2), &[1.0, 2.0]);
        assert_eq!(features.rows().len(), 3);
        assert_eq!(features.select_rows(&[2, 0])?.row(1), &[0.0, 1.0]);
        Ok(())
    }
}
