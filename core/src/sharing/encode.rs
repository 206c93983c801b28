//! The binary encoding of genotypes used by the XOR mechanism (spec §3).
//!
//! Genotype `g` of SNP `j` becomes two bits: bit `2j` = `[g = 2]` and bit `2j + 1`
//! = `[g >= 1]`, so 0 -> 00, 1 -> 01, 2 -> 11. Bits are stored column-major, one
//! bit column per encoded position, 64 individuals per `u64` word: the per-column
//! flip rates, the pair counts of the calibration and the per-SNP restoration all
//! work on whole columns.

use crate::data::{GenotypeMatrix, MISSING, Variant};
use crate::error::{Error, Result};

/// A binary matrix of `n_rows` individuals by `n_cols` bit columns, column-major,
/// each column padded to whole `u64` words with zero bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitColumns {
    n_rows: usize,
    n_cols: usize,
    words_per_col: usize,
    words: Vec<u64>,
}

impl BitColumns {
    /// An all-zero matrix.
    pub fn zeros(n_rows: usize, n_cols: usize) -> Self {
        let words_per_col = n_rows.div_ceil(64);
        Self {
            n_rows,
            n_cols,
            words_per_col,
            words: vec![0; words_per_col * n_cols],
        }
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    pub fn words_per_col(&self) -> usize {
        self.words_per_col
    }

    /// The words of one column (padding bits are zero).
    pub fn column(&self, col: usize) -> &[u64] {
        let start = col * self.words_per_col;
        &self.words[start..start + self.words_per_col]
    }

    /// Mutable words of one column. Callers must keep padding bits zero.
    pub fn column_mut(&mut self, col: usize) -> &mut [u64] {
        let start = col * self.words_per_col;
        &mut self.words[start..start + self.words_per_col]
    }

    /// Mutable columns in parallel, for per-column work on all cores.
    pub fn par_columns_mut(&mut self) -> rayon::slice::ChunksExactMut<'_, u64> {
        use rayon::slice::ParallelSliceMut;
        let size = self.words_per_col.max(1);
        self.words.par_chunks_exact_mut(size)
    }

    /// Mutable blocks of two adjacent columns in parallel: the `n x 2` block of
    /// each SNP.
    pub fn par_snp_blocks_mut(&mut self) -> rayon::slice::ChunksExactMut<'_, u64> {
        use rayon::slice::ParallelSliceMut;
        let size = 2 * self.words_per_col.max(1);
        self.words.par_chunks_exact_mut(size)
    }

    #[inline]
    pub fn get(&self, row: usize, col: usize) -> bool {
        let word = self.words[col * self.words_per_col + row / 64];
        (word >> (row % 64)) & 1 == 1
    }

    #[inline]
    pub fn set(&mut self, row: usize, col: usize, value: bool) {
        let word = &mut self.words[col * self.words_per_col + row / 64];
        let mask = 1u64 << (row % 64);
        if value {
            *word |= mask;
        } else {
            *word &= !mask;
        }
    }

    /// Number of ones in one column.
    pub fn count_ones(&self, col: usize) -> u64 {
        self.column(col)
            .iter()
            .map(|w| u64::from(w.count_ones()))
            .sum()
    }

    /// The mask of valid bits in the last word of a column (all ones if full).
    pub fn last_word_mask(&self) -> u64 {
        last_word_mask(self.n_rows)
    }
}

/// The mask of the valid bits in the last word of a column of `n_rows` bits.
pub(crate) fn last_word_mask(n_rows: usize) -> u64 {
    match n_rows % 64 {
        0 => u64::MAX,
        used => (1u64 << used) - 1,
    }
}

/// Encodes a genotype matrix (variant-major) into `2m` bit columns.
///
/// Missing calls cannot be encoded: impute them first
/// ([`super::impute_missing_hwe`]) or exclude the variant.
pub fn encode(matrix: &GenotypeMatrix) -> Result<BitColumns> {
    let n = matrix.n_samples();
    let mut bits = BitColumns::zeros(n, 2 * matrix.n_variants());
    for j in 0..matrix.n_variants() {
        for (i, call) in matrix.calls(j).enumerate() {
            match call {
                0 => {}
                1 => bits.set(i, 2 * j + 1, true),
                2 => {
                    bits.set(i, 2 * j, true);
                    bits.set(i, 2 * j + 1, true);
                }
                _ => {
                    debug_assert_eq!(call, MISSING);
                    return Err(Error::Parameter(format!(
                        "sample {} has a missing call at variant {}: the XOR encoding needs \
                         complete genotypes (impute or exclude missing calls first)",
                        matrix.samples().get(i).map_or("?", String::as_str),
                        matrix
                            .variants()
                            .get(j)
                            .map_or_else(|| j.to_string(), Variant::display_id),
                    )));
                }
            }
        }
    }
    Ok(bits)
}

/// Decodes bit columns back to genotypes, `g = b_2j + b_2j+1`: the pattern (1, 0),
/// which XOR noise can create, decodes to 1.
pub fn decode(
    bits: &BitColumns,
    samples: Vec<String>,
    variants: Vec<Variant>,
) -> Result<GenotypeMatrix> {
    if bits.n_cols() != 2 * variants.len() || bits.n_rows() != samples.len() {
        return Err(Error::Mismatch(format!(
            "cannot decode {} bit columns of {} rows into {} variants and {} samples",
            bits.n_cols(),
            bits.n_rows(),
            variants.len(),
            samples.len()
        )));
    }
    let n = samples.len();
    let mut out = GenotypeMatrix::new(samples);
    out.reserve_variants(variants.len());
    let mut calls = vec![0u8; n];
    for (j, variant) in variants.into_iter().enumerate() {
        let hom = bits.column(2 * j);
        let carrier = bits.column(2 * j + 1);
        for (i, call) in calls.iter_mut().enumerate() {
            let (w, b) = (i / 64, i % 64);
            let hi = (hom[w] >> b) & 1;
            let lo = (carrier[w] >> b) & 1;
            *call = (hi + lo) as u8;
        }
        out.push_variant(variant, &calls);
    }
    Ok(out)
}

/// Frequency of the counted allele per SNP from encoded bits (spec §3):
/// `f_j = (ones in column 2j + ones in column 2j+1) / 2n`. Not folded to <= 0.5.
pub fn encoded_frequencies(bits: &BitColumns) -> Vec<f64> {
    let denom = (2 * bits.n_rows()) as f64;
    (0..bits.n_cols() / 2)
        .map(|j| (bits.count_ones(2 * j) + bits.count_ones(2 * j + 1)) as f64 / denom)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn variant(i: usize) -> Variant {
        Variant {
            chrom: "1".into(),
            pos: i as u64 + 1,
            id: format!("rs{i}"),
            ref_allele: "A".into(),
            alt_allele: "G".into(),
        }
    }

    pub(crate) fn matrix_from_rows(rows: &[&[u8]]) -> GenotypeMatrix {
        let n = rows.len();
        let m = rows.first().map_or(0, |r| r.len());
        let mut g = GenotypeMatrix::new((0..n).map(|i| format!("s{i}")).collect());
        for j in 0..m {
            let calls: Vec<u8> = rows.iter().map(|r| r[j]).collect();
            g.push_variant(variant(j), &calls);
        }
        g
    }

    #[test]
    fn encodes_the_spec_vector_rows() -> Result<()> {
        // Spec §12: the 6 x 3 reference and its encoded rows.
        let g = matrix_from_rows(&[
            &[0, 1, 2],
            &[1, 1, 0],
            &[0, 0, 1],
            &[2, 1, 0],
            &[1, 0, 0],
            &[0, 2, 1],
        ]);
        let bits = encode(&g)?;
        let expected = ["000111", "010100", "000001", "110100", "010000", "001101"];
        for (i, row) in expected.iter().enumerate() {
            let got: String = (0..6)
                .map(|c| if bits.get(i, c) { '1' } else { '0' })
                .collect();
            assert_eq!(&got, row, "row {i}");
        }
        let back = decode(&bits, g.samples().to_vec(), g.variants().to_vec())?;
        assert_eq!(back, g);
        Ok(())
    }

    #[test]
    fn decodes_the_xor_only_pattern_to_one() -> Result<()> {
        let mut bits = BitColumns::zeros(1, 2);
        bits.set(0, 0, true);
        let g = decode(&bits, vec!["a".into()], vec![variant(0)])?;
        assert_eq!(g.get(0, 0), 1);
        Ok(())
    }

    #[test]
    fn frequencies_are_mean_genotype_over_two() -> Result<()> {
        let g = matrix_from_rows(&[&[0, 2], &[1, 2], &[2, 0]]);
        let f = encoded_frequencies(&encode(&g)?);
        assert_eq!(f, vec![0.5, 4.0 / 6.0]);
        Ok(())
    }

    #[test]
    fn refuses_missing_calls() {
        let g = matrix_from_rows(&[&[0, MISSING]]);
        let Err(Error::Parameter(msg)) = encode(&g) else {
            panic!("missing call accepted");
        };
        assert!(msg.contains("rs1"), "{msg}");
    }
}
