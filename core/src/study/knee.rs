//! The knee of a utility curve: the point where spending more epsilon stops
//! buying much utility, taken as the point of maximum curvature (as the DP-MIA
//! study chose its turning point).
//!
//! Both axes are first scaled to [0, 1], so the answer does not depend on the
//! metric's units; the curvature at a grid point is the Menger curvature of it and
//! its two neighbours (the inverse radius of the circle through them), which is
//! well defined on an uneven grid such as 1, 2, 5, 10, 20, 50.

/// Index of the grid point of maximum curvature where the curve bends from rising
/// to levelling off (concave); `None` when there are fewer than three points, the
/// curve is flat, or it never bends that way. `x` must be increasing; pass
/// `log10(epsilon)` for an epsilon grid, and a metric where higher is better.
pub fn max_curvature_index(x: &[f64], y: &[f64]) -> Option<usize> {
    if x.len() != y.len() || x.len() < 3 || x.windows(2).any(|w| w[0] >= w[1]) {
        return None;
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let scale = |v: &[f64]| -> Option<Vec<f64>> {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (hi > lo).then(|| v.iter().map(|a| (a - lo) / (hi - lo)).collect())
    };
    let (xs, ys) = (scale(x)?, scale(y)?);
    let mut best: Option<(usize, f64)> = None;
    for i in 1..xs.len() - 1 {
        let (x0, x1, x2) = (xs[i - 1], xs[i], xs[i + 1]);
        let (y0, y1, y2) = (ys[i - 1], ys[i], ys[i + 1]);
        // Negative cross product: the middle point lies above the chord (concave).
        let cross = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
        if cross >= 0.0 {
            continue;
        }
        let side = |ax: f64, ay: f64, bx: f64, by: f64| (ax - bx).hypot(ay - by);
        let product = side(x0, y0, x1, y1) * side(x1, y1, x2, y2) * side(x0, y0, x2, y2);
        if product <= 0.0 {
            continue;
        }
        let curvature = 2.0 * cross.abs() / product;
        if best.is_none_or(|(_, c)| curvature > c) {
            best = Some((i, curvature));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_corner_of_a_rise_then_plateau() {
        // Rises steeply to x = 3, then almost flat.
        let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let y = [0.0, 0.3, 0.6, 0.9, 0.92, 0.94, 0.95];
        assert_eq!(max_curvature_index(&x, &y), Some(3));
    }

    #[test]
    fn answer_does_not_depend_on_units() {
        let x = [0.0, 0.3, 0.7, 1.0, 1.3, 1.7, 2.0];
        let y = [0.05, 0.2, 0.55, 0.8, 0.86, 0.88, 0.89];
        let scaled: Vec<f64> = y.iter().map(|v| 100.0 * v - 7.0).collect();
        let stretched: Vec<f64> = x.iter().map(|v| 3.0 * v + 1.0).collect();
        let knee = max_curvature_index(&x, &y);
        assert!(knee.is_some());
        assert_eq!(max_curvature_index(&stretched, &scaled), knee);
    }

    #[test]
    fn saturating_exponential_knee_is_where_theory_puts_it() {
        // y = 1 - exp(-k x) on [0, 1], scaled: y = a (1 - e^{-kx}), a = 1/(1 - e^-k).
        // With u = y' = a k e^{-kx}, curvature = k u / (1 + u^2)^{3/2}, largest at
        // u = 1/sqrt(2), i.e. x* = ln(a k sqrt(2)) / k.
        let k: f64 = 8.0;
        let n = 201;
        let x: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
        let y: Vec<f64> = x.iter().map(|v| 1.0 - (-k * v).exp()).collect();
        let a = 1.0 / (1.0 - (-k).exp());
        let x_star = (a * k * 2f64.sqrt()).ln() / k;
        let Some(i) = max_curvature_index(&x, &y) else {
            panic!("no knee on a saturating curve");
        };
        assert!(
            (x[i] - x_star).abs() <= 1.0 / (n - 1) as f64,
            "{} vs {x_star}",
            x[i]
        );
    }

    #[test]
    fn no_knee_on_lines_flat_or_convex_curves() {
        let x = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(max_curvature_index(&x, &[0.0, 1.0, 2.0, 3.0]), None);
        assert_eq!(max_curvature_index(&x, &[0.5; 4]), None);
        assert_eq!(max_curvature_index(&x, &[0.0, 0.1, 0.4, 0.9]), None);
        assert_eq!(max_curvature_index(&x[..2], &[0.0, 1.0]), None);
        assert_eq!(
            max_curvature_index(&[0.0, 0.0, 1.0], &[0.0, 1.0, 2.0]),
            None
        );
    }
}
