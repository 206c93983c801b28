//! A radix-2 complex FFT, enough for composing privacy loss distributions
//! without a dependency.

use std::ops::{Add, Mul, Sub};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Complex {
    pub re: f64,
    pub im: f64,
}

impl Complex {
    pub const ONE: Complex = Complex { re: 1.0, im: 0.0 };
    pub const ZERO: Complex = Complex { re: 0.0, im: 0.0 };

    pub fn powu(self, mut exponent: u64) -> Complex {
        let mut base = self;
        let mut result = Complex::ONE;
        while exponent > 0 {
            if exponent & 1 == 1 {
                result = result * base;
            }
            base = base * base;
            exponent >>= 1;
        }
        result
    }
}

impl Add for Complex {
    type Output = Complex;
    fn add(self, o: Complex) -> Complex {
        Complex {
            re: self.re + o.re,
            im: self.im + o.im,
        }
    }
}

impl Sub for Complex {
    type Output = Complex;
    fn sub(self, o: Complex) -> Complex {
        Complex {
            re: self.re - o.re,
            im: self.im - o.im,
        }
    }
}

impl Mul for Complex {
    type Output = Complex;
    fn mul(self, o: Complex) -> Complex {
        Complex {
            re: self.re * o.re - self.im * o.im,
            im: self.re * o.im + self.im * o.re,
        }
    }
}

/// In-place FFT of a power-of-two-length buffer; the inverse includes the 1/n
/// factor. Twiddles are computed directly (no recurrence) to keep the error at
/// O(ε log n).
pub fn fft_in_place(data: &mut [Complex], inverse: bool) {
    let n = data.len();
    if n <= 1 {
        return;
    }
    debug_assert!(n.is_power_of_two());
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            data.swap(i, j);
        }
    }
    let sign = if inverse { 1.0 } else { -1.0 };
    let twiddles: Vec<Complex> = (0..n / 2)
        .map(|k| {
            let angle = sign * 2.0 * std::f64::consts::PI * k as f64 / n as f64;
            let (s, c) = angle.sin_cos();
            Complex { re: c, im: s }
        })
        .collect();
    let mut len = 2;
    while len <= n {
        let half = len / 2;
        let stride = n / len;
        for block in data.chunks_exact_mut(len) {
            let (lo, hi) = block.split_at_mut(half);
            for (k, (a, b)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                // k < len/2 and stride = n/len, so the index is below n/2.
                let w = twiddles.get(k * stride).copied().unwrap_or(Complex::ONE);
                let t = w * *b;
                *b = *a - t;
                *a = *a + t;
            }
        }
        len *= 2;
    }
    if inverse {
        let scale = 1.0 / n as f64;
        for value in data.iter_mut() {
            value.re *= scale;
            value.im *= scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_convolution_equals_direct_convolution() {
        let a = [0.2, 0.5, 0.3];
        let b = [0.1, 0.0, 0.6, 0.3];
        let mut direct = [0.0; 6];
        for (i, x) in a.iter().enumerate() {
            for (j, y) in b.iter().enumerate() {
                direct[i + j] += x * y;
            }
        }
        let n = 8;
        let load = |v: &[f64]| {
            let mut buf = vec![Complex::ZERO; n];
            for (slot, x) in buf.iter_mut().zip(v) {
                slot.re = *x;
            }
            fft_in_place(&mut buf, false);
            buf
        };
        let fa = load(&a);
        let fb = load(&b);
        let mut product: Vec<Complex> = fa.iter().zip(&fb).map(|(x, y)| *x * *y).collect();
        fft_in_place(&mut product, true);
        for (k, expected) in direct.iter().enumerate() {
            assert!((product[k].re - expected).abs() < 1e-15, "k = {k}");
        }
        assert!(product[6].re.abs() < 1e-15 && product[7].re.abs() < 1e-15);
    }

    #[test]
    fn powu_matches_repeated_multiplication() {
        let z = Complex { re: 0.6, im: 0.7 };
        let mut expected = Complex::ONE;
        for _ in 0..13 {
            expected = expected * z;
        }
        let got = z.powu(13);
        assert!((got.re - expected.re).abs() < 1e-14 && (got.im - expected.im).abs() < 1e-14);
    }
}
