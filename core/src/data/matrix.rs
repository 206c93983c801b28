//! The bit-packed genotype matrix.

use serde::{Deserialize, Serialize};

/// A genotype call: the number of alternate alleles (0, 1 or 2), or [`MISSING`].
pub type Call = u8;

/// The code of a missing call.
pub const MISSING: Call = 3;

/// One variant's identity. `alt` is the counted allele: a call of 2 is homozygous
/// for `alt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub chrom: String,
    /// 1-based position.
    pub pos: u64,
    /// The variant ID, or `.` when the source has none.
    pub id: String,
    pub ref_allele: String,
    pub alt_allele: String,
}

impl Variant {
    /// The ID if there is one, otherwise `chrom:pos:ref:alt`.
    pub fn display_id(&self) -> String {
        if self.id.is_empty() || self.id == "." {
            format!(
                "{}:{}:{}:{}",
                self.chrom, self.pos, self.ref_allele, self.alt_allele
            )
        } else {
            self.id.clone()
        }
    }

    /// True when both alleles are single bases.
    pub fn is_snp(&self) -> bool {
        self.ref_allele.len() == 1 && self.alt_allele.len() == 1
    }
}

/// Counts of the four call codes at one variant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCounts {
    pub hom_ref: u64,
    pub het: u64,
    pub hom_alt: u64,
    pub missing: u64,
}

impl CallCounts {
    pub fn called(&self) -> u64 {
        self.hom_ref + self.het + self.hom_alt
    }

    pub fn total(&self) -> u64 {
        self.called() + self.missing
    }

    /// Number of alternate alleles among called genotypes.
    pub fn alt_alleles(&self) -> u64 {
        self.het + 2 * self.hom_alt
    }
}

/// Genotype calls of `n_samples` individuals at `n_variants` variants, stored
/// variant-major at 2 bits per call (four calls per byte, each variant's row padded
/// to a whole byte). Memory is `n_variants * ceil(n_samples / 4)` bytes plus the
/// sample and variant metadata.
///
/// Within a byte, sample `4k + i` occupies bits `2i..2i+2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenotypeMatrix {
    samples: Vec<String>,
    variants: Vec<Variant>,
    bytes_per_variant: usize,
    packed: Vec<u8>,
}

/// All-missing byte: four calls of code 3.
const ALL_MISSING: u8 = 0xFF;

impl GenotypeMatrix {
    /// An empty matrix (no variants yet) for these samples.
    pub fn new(samples: Vec<String>) -> Self {
        let bytes_per_variant = samples.len().div_ceil(4);
        Self {
            samples,
            variants: Vec::new(),
            bytes_per_variant,
            packed: Vec::new(),
        }
    }

    /// A matrix with every call missing.
    pub fn all_missing(samples: Vec<String>, variants: Vec<Variant>) -> Self {
        let mut m = Self::new(samples);
        m.packed = vec![ALL_MISSING; m.bytes_per_variant * variants.len()];
        m.variants = variants;
        m.clear_padding();
        m
    }

    pub fn n_samples(&self) -> usize {
        self.samples.len()
    }

    pub fn n_variants(&self) -> usize {
        self.variants.len()
    }

    pub fn samples(&self) -> &[String] {
        &self.samples
    }

    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }

    /// Bytes taken by the packed calls alone.
    pub fn packed_bytes(&self) -> usize {
        self.packed.len()
    }

    pub fn bytes_per_variant(&self) -> usize {
        self.bytes_per_variant
    }

    /// Reserves room for `additional` more variants (readers that know the count).
    pub fn reserve_variants(&mut self, additional: usize) {
        self.variants.reserve(additional);
        self.packed.reserve(additional * self.bytes_per_variant);
    }

    /// Appends a variant from one call per sample (codes 0, 1, 2 or [`MISSING`]; any
    /// other value is stored as missing).
    ///
    /// # Panics
    /// Never on input data: a `calls` slice of the wrong length is a programming
    /// error and is caught by a debug assertion; in release the row is truncated or
    /// padded with missing calls.
    pub fn push_variant(&mut self, variant: Variant, calls: &[Call]) {
        debug_assert_eq!(calls.len(), self.samples.len());
        let start = self.packed.len();
        self.packed.resize(start + self.bytes_per_variant, 0);
        let row = &mut self.packed[start..];
        for (byte, chunk) in row.iter_mut().zip(calls.chunks(4)) {
            let mut b = 0u8;
            for (i, &c) in chunk.iter().enumerate() {
                b |= c.min(MISSING) << (2 * i);
            }
            *byte = b;
        }
        // Samples beyond `calls` (if any) are missing.
        for s in calls.len()..self.samples.len() {
            set_in_row(row, s, MISSING);
        }
        self.variants.push(variant);
    }

    /// Appends a variant whose calls are already packed in this matrix's layout.
    /// Padding bits must be zero.
    pub fn push_packed_variant(&mut self, variant: Variant, packed_row: &[u8]) {
        debug_assert_eq!(packed_row.len(), self.bytes_per_variant);
        let mut row = packed_row.to_vec();
        row.resize(self.bytes_per_variant, 0);
        self.packed.extend_from_slice(&row);
        self.variants.push(variant);
    }

    /// The call of `sample` at `variant`. Out-of-range indices are a programming error.
    #[inline]
    pub fn get(&self, variant: usize, sample: usize) -> Call {
        let byte = self.packed[variant * self.bytes_per_variant + sample / 4];
        (byte >> (2 * (sample % 4))) & 0b11
    }

    #[inline]
    pub fn set(&mut self, variant: usize, sample: usize, call: Call) {
        let start = variant * self.bytes_per_variant;
        let row = &mut self.packed[start..start + self.bytes_per_variant];
        set_in_row(row, sample, call.min(MISSING));
    }

    /// The packed row of one variant (padding bits are zero).
    pub fn packed_row(&self, variant: usize) -> &[u8] {
        let start = variant * self.bytes_per_variant;
        &self.packed[start..start + self.bytes_per_variant]
    }

    /// Mutable packed row of one variant. Callers must keep padding bits zero.
    pub fn packed_row_mut(&mut self, variant: usize) -> &mut [u8] {
        let start = variant * self.bytes_per_variant;
        &mut self.packed[start..start + self.bytes_per_variant]
    }

    /// The calls of one variant, one per sample.
    pub fn calls(&self, variant: usize) -> impl ExactSizeIterator<Item = Call> + '_ {
        let row = self.packed_row(variant);
        (0..self.samples.len()).map(move |s| (row[s / 4] >> (2 * (s % 4))) & 0b11)
    }

    /// Writes the calls of one variant into `out` (resized to the number of samples).
    pub fn unpack_into(&self, variant: usize, out: &mut Vec<Call>) {
        out.clear();
        out.extend(self.calls(variant));
    }

    /// Counts of each call code at one variant, by table lookup over whole bytes.
    pub fn call_counts(&self, variant: usize) -> CallCounts {
        let mut c = [0u64; 4];
        for &b in self.packed_row(variant) {
            let t = &COUNT_TABLE[b as usize];
            for k in 0..4 {
                c[k] += u64::from(t[k]);
            }
        }
        // Padding bits are zero, so they were counted as homozygous reference.
        let padding = (self.bytes_per_variant * 4 - self.samples.len()) as u64;
        CallCounts {
            hom_ref: c[0] - padding,
            het: c[1],
            hom_alt: c[2],
            missing: c[3],
        }
    }

    /// A matrix with the given variants only (indices in the order given).
    pub fn select_variants(&self, indices: &[usize]) -> Self {
        let mut out = Self::new(self.samples.clone());
        out.reserve_variants(indices.len());
        for &j in indices {
            out.push_packed_variant(self.variants[j].clone(), self.packed_row(j));
        }
        out
    }

    /// A matrix with the given samples only (indices in the order given).
    pub fn select_samples(&self, indices: &[usize]) -> Self {
        let samples = indices.iter().map(|&i| self.samples[i].clone()).collect();
        let mut out = Self::new(samples);
        out.reserve_variants(self.n_variants());
        let mut calls = Vec::with_capacity(indices.len());
        for j in 0..self.n_variants() {
            calls.clear();
            calls.extend(indices.iter().map(|&i| self.get(j, i)));
            out.push_variant(self.variants[j].clone(), &calls);
        }
        out
    }

    /// Replaces every variant record (same count), e.g. after allele harmonisation.
    pub fn variants_mut(&mut self) -> &mut [Variant] {
        &mut self.variants
    }

    fn clear_padding(&mut self) {
        let n = self.samples.len();
        if n.is_multiple_of(4) || self.bytes_per_variant == 0 {
            return;
        }
        let keep_bits = 2 * (n % 4);
        let mask = (1u8 << keep_bits) - 1;
        for row in self.packed.chunks_mut(self.bytes_per_variant) {
            if let Some(last) = row.last_mut() {
                *last &= mask;
            }
        }
    }
}

#[inline]
fn set_in_row(row: &mut [u8], sample: usize, call: Call) {
    let shift = 2 * (sample % 4);
    let b = &mut row[sample / 4];
    *b = (*b & !(0b11 << shift)) | (call << shift);
}

/// For each byte value, how many of its four 2-bit fields hold codes 0, 1, 2, 3.
static COUNT_TABLE: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut b = 0;
    while b < 256 {
        let mut i = 0;
        while i < 4 {
            let code = (b >> (2 * i)) & 0b11;
            t[b][code] += 1;
            i += 1;
        }
        b += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    fn v(i: u64) -> Variant {
        Variant {
            chrom: "1".into(),
            pos: i,
            id: format!("rs{i}"),
            ref_allele: "A".into(),
            alt_allele: "G".into(),
        }
    }

    #[test]
    fn round_trips_calls_and_counts() {
        let samples: Vec<String> = (0..7).map(|i| format!("s{i}")).collect();
        let mut m = GenotypeMatrix::new(samples);
        let calls = [0, 1, 2, MISSING, 2, 2, 0];
        m.push_variant(v(1), &calls);
        m.push_variant(v(2), &[1; 7]);
        assert_eq!(m.calls(0).collect::<Vec<_>>(), calls);
        assert_eq!(m.packed_bytes(), 4);
        let c = m.call_counts(0);
        assert_eq!((c.hom_ref, c.het, c.hom_alt, c.missing), (2, 1, 3, 1));
        assert_eq!(m.call_counts(1).het, 7);
        m.set(0, 3, 1);
        assert_eq!(m.get(0, 3), 1);
        assert_eq!(m.call_counts(0).missing, 0);
    }

    #[test]
    fn all_missing_has_clean_padding() {
        let m = GenotypeMatrix::all_missing(vec!["a".into(); 5], vec![v(1)]);
        assert_eq!(m.call_counts(0).missing, 5);
        assert_eq!(m.call_counts(0).hom_ref, 0);
    }

    #[test]
    fn selects_samples_and_variants() {
        let mut m = GenotypeMatrix::new((0..5).map(|i| format!("s{i}")).collect());
        m.push_variant(v(1), &[0, 1, 2, 0, 1]);
        m.push_variant(v(2), &[2, 2, 2, 2, MISSING]);
        let s = m.select_samples(&[4, 2]);
        assert_eq!(s.samples(), ["s4", "s2"]);
        assert_eq!(s.calls(0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(s.calls(1).collect::<Vec<_>>(), [MISSING, 2]);
        let t = m.select_variants(&[1]);
        assert_eq!(t.variants()[0].pos, 2);
    }
}
