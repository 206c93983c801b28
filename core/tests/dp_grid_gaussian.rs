//! The lattice Gaussian used for DP-SGD noise, checked against the normal
//! distribution it stands in for (statrs CDF, Kolmogorov-Smirnov), its moments,
//! and the lattice property that makes it safe (every output is an exact multiple
//! of a power-of-two step far below sigma).

use genopriv_core::Result;
use genopriv_core::dp::noise::GridGaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use statrs::distribution::{ContinuousCDF, Normal};

fn draws(sampler: &GridGaussian, n: usize, seed: u64) -> Result<Vec<f64>> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..n).map(|_| sampler.sample(&mut rng)).collect()
}

/// Kolmogorov-Smirnov p-value of `sample` against the N(0, sd²) CDF (asymptotic
/// Kolmogorov distribution with the Stephens correction).
fn ks_p_value(sample: &[f64], sd: f64) -> f64 {
    let Ok(normal) = Normal::new(0.0, sd) else {
        return 0.0;
    };
    let mut sorted = sample.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let statistic = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let cdf = normal.cdf(x);
            (cdf - i as f64 / n).max((i + 1) as f64 / n - cdf)
        })
        .fold(0.0, f64::max);
    let lambda = (n.sqrt() + 0.12 + 0.11 / n.sqrt()) * statistic;
    let tail: f64 = (1..=100)
        .map(|k| {
            let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
            sign * (-2.0 * f64::from(k * k) * lambda * lambda).exp()
        })
        .sum();
    (2.0 * tail).clamp(0.0, 1.0)
}

#[test]
fn matches_the_normal_distribution_at_every_scale() -> Result<()> {
    let n = 20_000;
    for (sigma, seed) in [(1.0, 1), (0.37, 2), (2.5e-3, 3), (1234.5, 4)] {
        let sampler = GridGaussian::new(sigma)?;
        let sample = draws(&sampler, n, seed)?;
        let count = n as f64;
        let mean = sample.iter().sum::<f64>() / count;
        let variance = sample.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (count - 1.0);
        assert!(
            mean.abs() < 4.0 * sigma / count.sqrt(),
            "sigma {sigma}: mean {mean}"
        );
        // Var of the sample variance of a normal: 2 sigma^4 / (n - 1).
        let variance_se = sigma * sigma * (2.0 / (count - 1.0)).sqrt();
        assert!(
            (variance - sigma * sigma).abs() < 4.0 * variance_se,
            "sigma {sigma}: variance {variance}"
        );
        let p = ks_p_value(&sample, sigma);
        assert!(p > 1e-3, "sigma {sigma}: KS p {p}");
    }
    Ok(())
}

/// The KS check has power: the same kind of draws are rejected against a normal
/// with a 20 % larger standard deviation, and against one shifted by 0.1 sigma.
#[test]
fn the_goodness_of_fit_test_rejects_a_wrong_normal() -> Result<()> {
    let sampler = GridGaussian::new(1.0)?;
    let sample = draws(&sampler, 20_000, 5)?;
    let p = ks_p_value(&sample, 1.2);
    assert!(p < 1e-6, "wider normal accepted: p {p}");
    let shifted: Vec<f64> = sample.iter().map(|x| x + 0.1).collect();
    let p = ks_p_value(&shifted, 1.0);
    assert!(p < 1e-6, "shifted normal accepted: p {p}");
    Ok(())
}

#[test]
fn outputs_lie_on_a_power_of_two_grid_thirty_bits_below_sigma() -> Result<()> {
    for (sigma, seed) in [(1.0, 6), (0.37, 7), (3.0e-7, 8), (5.0e4, 9)] {
        let sampler = GridGaussian::new(sigma)?;
        let step = sampler.step();
        // A power of two: the significand bits are zero.
        assert_eq!(step.to_bits() & ((1u64 << 52) - 1), 0, "step {step}");
        let ratio = sigma / step;
        assert!(
            (2f64.powi(30)..2f64.powi(31)).contains(&ratio),
            "sigma {sigma}: sigma/step {ratio}"
        );
        // sigma rounds up by less than one step.
        assert!(sampler.sigma() >= sigma && sampler.sigma() < sigma + step);
        for x in draws(&sampler, 2_000, seed)? {
            let steps = x / step;
            assert_eq!(steps.fract(), 0.0, "{x} is not a multiple of {step}");
            // Exact: the float is the integer times the step.
            assert_eq!((steps as i64) as f64 * step, x);
        }
        // Noise added to an arbitrary value lands on the lattice too, within a few
        // sigma of the value.
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let value = 0.123_456_789_f64 * sigma * 7.0;
        for _ in 0..200 {
            let noisy = sampler.add_to(value, &mut rng)?;
            assert_eq!((noisy / step).fract(), 0.0);
            assert!((noisy - value).abs() < 8.0 * sigma);
        }
    }
    Ok(())
}

#[test]
fn add_to_is_unbiased_and_refuses_what_it_cannot_represent() -> Result<()> {
    let sampler = GridGaussian::new(0.5)?;
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let value = -3.75;
    let n = 10_000;
    let mut total = 0.0;
    for _ in 0..n {
        total += sampler.add_to(value, &mut rng)? - value;
    }
    let mean = total / f64::from(n);
    assert!(mean.abs() < 4.0 * 0.5 / f64::from(n).sqrt(), "bias {mean}");
    // Beyond 2^53 grid steps the lattice arithmetic would not be exact.
    let huge = sampler.step() * 2f64.powi(54);
    assert!(sampler.add_to(huge, &mut rng).is_err());
    assert!(sampler.add_to(f64::NAN, &mut rng).is_err());
    assert!(sampler.add_to(f64::INFINITY, &mut rng).is_err());
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-310, 1e305] {
        assert!(GridGaussian::new(bad).is_err(), "sigma {bad} accepted");
    }
    Ok(())
}
