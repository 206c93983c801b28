//! Inline SVG charts as plain strings: no script, no external resource, readable
//! in print. Series differ by dash pattern and marker as well as colour, and each
//! carries a text label, so no chart relies on colour alone.

use std::fmt::Write as _;

use super::escape;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 380.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 55.0;

/// Line styles in series order: colour (Okabe-Ito, colour-blind safe) and dash.
const STYLES: [(&str, &str); 6] = [
    ("#0072B2", ""),
    ("#D55E00", "8 4"),
    ("#009E73", "2 3"),
    ("#CC79A7", "10 3 2 3"),
    ("#E69F00", "4 4"),
    ("#56B4E9", "1 2"),
];

/// One axis: data range, scale, and the pixel span it maps to.
#[derive(Clone, Copy, Debug)]
pub struct Axis {
    pub min: f64,
    pub max: f64,
    pub log: bool,
}

impl Axis {
    fn fraction(&self, v: f64) -> f64 {
        let (a, b, v) = if self.log {
            (self.min.log10(), self.max.log10(), v.max(self.min).log10())
        } else {
            (self.min, self.max, v)
        };
        if b > a {
            ((v - a) / (b - a)).clamp(0.0, 1.0)
        } else {
            0.5
        }
    }

    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let lo = self.min.log10().floor() as i32;
            let hi = self.max.log10().ceil() as i32;
            (lo..=hi)
                .map(|e| 10f64.powi(e))
                .filter(|&v| v >= self.min * 0.999 && v <= self.max * 1.001)
                .collect()
        } else {
            (0..=4)
                .map(|i| self.min + (self.max - self.min) * f64::from(i) / 4.0)
                .collect()
        }
    }
}

fn tick_label(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-2 || v.abs() >= 1e5) {
        format!("{v:.0e}")
    } else {
        crate::explain::format::number(v)
    }
}

/// A series of points drawn as a line.
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// A shaded band around the line (x, low, high), e.g. the range over repeats.
    pub band: Vec<(f64, f64, f64)>,
}

/// A point marked with a ring and a label (the recommendation, the release).
pub struct Marker {
    pub label: String,
    pub x: f64,
    pub y: f64,
}

/// A line chart with a legend at the right. `reference` lines (e.g. chance, a
/// DP ceiling) are drawn grey and dashed, with their own legend entries.
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
    pub reference: Vec<Series>,
    pub markers: Vec<Marker>,
}

impl LineChart {
    fn px(&self, x: f64) -> f64 {
        LEFT + self.x.fraction(x) * (WIDTH - LEFT - RIGHT)
    }

    fn py(&self, y: f64) -> f64 {
        HEIGHT - BOTTOM - self.y.fraction(y) * (HEIGHT - TOP - BOTTOM)
    }

    fn path(&self, points: &[(f64, f64)]) -> String {
        let mut d = String::new();
        for (i, &(x, y)) in points.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if i == 0 { "M" } else { "L" },
                self.px(x),
                self.py(y)
            );
        }
        d
    }

    /// The chart as an `<svg>` element with a title for screen readers.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" class="chart"><title>{}</title>"#,
            escape(&self.title),
            escape(&self.title)
        );
        let (x0, x1) = (LEFT, WIDTH - RIGHT);
        let (y0, y1) = (HEIGHT - BOTTOM, TOP);
        // Grid and ticks.
        for t in self.x.ticks() {
            let x = self.px(t);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{y0}" x2="{x:.1}" y2="{y1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"##,
                y0 + 16.0,
                escape(&tick_label(t))
            );
        }
        for t in self.y.ticks() {
            let y = self.py(t);
            let _ = write!(
                s,
                r##"<line x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11">{}</text>"##,
                x0 - 6.0,
                y + 4.0,
                escape(&tick_label(t))
            );
        }
        let _ = write!(
            s,
            r##"<rect x="{x0}" y="{y1}" width="{:.1}" height="{:.1}" fill="none" stroke="#444"/>"##,
            x1 - x0,
            y0 - y1
        );
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12">{}</text>"#,
            (x0 + x1) / 2.0,
            HEIGHT - 12.0,
            escape(&self.x_label)
        );
        let _ = write!(
            s,
            r#"<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle" font-size="12">{}</text>"#,
            (y0 + y1) / 2.0,
            escape(&self.y_label)
        );
        let mut legend_y = TOP + 10.0;
        let legend_x = x1 + 12.0;
        let mut legend = |s: &mut String, label: &str, colour: &str, dash: &str, width: f64| {
            let _ = write!(
                s,
                r#"<line x1="{legend_x:.1}" y1="{legend_y:.1}" x2="{:.1}" y2="{legend_y:.1}" stroke="{colour}" stroke-width="{width}" stroke-dasharray="{dash}"/>"#,
                legend_x + 26.0
            );
            for (i, line) in wrap(label, 20).iter().enumerate() {
                let _ = write!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" font-size="11">{}</text>"#,
                    legend_x + 32.0,
                    legend_y + 4.0 + 13.0 * i as f64,
                    escape(line)
                );
            }
            legend_y += 13.0 * wrap(label, 20).len() as f64 + 8.0;
        };
        for reference in &self.reference {
            let _ = write!(
                s,
                r##"<path d="{}" fill="none" stroke="#777" stroke-width="1.5" stroke-dasharray="6 4"/>"##,
                self.path(&reference.points)
            );
            legend(&mut s, &reference.label, "#777", "6 4", 1.5);
        }
        for (series, (colour, dash)) in self.series.iter().zip(STYLES.iter().cycle()) {
            if !series.band.is_empty() {
                let upper: Vec<(f64, f64)> =
                    series.band.iter().map(|&(x, _, hi)| (x, hi)).collect();
                let lower: Vec<(f64, f64)> = series
                    .band
                    .iter()
                    .rev()
                    .map(|&(x, lo, _)| (x, lo))
                    .collect();
                let mut d = self.path(&upper);
                d.push_str(&self.path(&lower).replacen('M', "L", 1));
                let _ = write!(
                    s,
                    r#"<path d="{d}Z" fill="{colour}" fill-opacity="0.15" stroke="none"/>"#
                );
            }
            let _ = write!(
                s,
                r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
                self.path(&series.points)
            );
            for &(x, y) in &series.points {
                let _ = write!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{colour}"/>"#,
                    self.px(x),
                    self.py(y)
                );
            }
            legend(&mut s, &series.label, colour, dash, 2.0);
        }
        for marker in &self.markers {
            let (x, y) = (self.px(marker.x), self.py(marker.y));
            let _ = write!(
                s,
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="7" fill="none" stroke="#000" stroke-width="2"/><text x="{:.1}" y="{:.1}" font-size="11" font-weight="bold">{}</text>"##,
                x + 9.0,
                y - 9.0,
                escape(&marker.label)
            );
        }
        s.push_str("</svg>");
        s
    }
}

/// Splits a label into lines of at most about `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// A 10 x 10 icon array: `prior` filled icons, then up to `worst_case` hatched
/// ones, the rest empty; the caption says the same in words.
pub fn icon_array(prior: u32, worst_case: u32, caption: &str) -> String {
    let mut s = format!(
        r##"<svg viewBox="0 0 230 230" role="img" aria-label="{}" class="icons"><title>{}</title><defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="2" height="4" fill="#D55E00"/></pattern></defs>"##,
        escape(caption),
        escape(caption)
    );
    for i in 0..100u32 {
        let (cx, cy) = (15 + (i % 10) * 22, 15 + (i / 10) * 22);
        let fill = if i < prior {
            "#0072B2"
        } else if i < worst_case {
            "url(#hatch)"
        } else {
            "none"
        };
        let _ = write!(
            s,
            r##"<circle cx="{cx}" cy="{cy}" r="8" fill="{fill}" stroke="#444" stroke-width="1"/>"##
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_places_decades_evenly() {
        let axis = Axis {
            min: 0.001,
            max: 1.0,
            log: true,
        };
        assert_eq!(axis.ticks(), vec![0.001, 0.01, 0.1, 1.0]);
        assert!((axis.fraction(0.01) - 1.0 / 3.0).abs() < 1e-12);
        // Zero (no false positives) sits on the axis, not off the chart.
        assert_eq!(axis.fraction(0.0), 0.0);
    }

    #[test]
    fn icon_array_has_a_hundred_icons() {
        let svg = icon_array(10, 23, "caption");
        assert_eq!(svg.matches("<circle").count(), 100);
        assert_eq!(svg.matches(r##"fill="#0072B2""##).count(), 10);
        assert_eq!(svg.matches("url(#hatch)").count(), 13);
    }
}
