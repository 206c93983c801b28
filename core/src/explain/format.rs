//! Number formatting shared by every explanation, so that the GUI and the report
//! print the same figure the same way.
//!
//! Rules: thousands separators on whole numbers; two significant digits below
//! 100 (the precision a reader can use); whole numbers from 100 up; percentages
//! never shown as exactly 0 % or 100 % when the value is not exactly that.

use std::fmt;

/// Significant digits for figures below 100.
const SIGNIFICANT_DIGITS: i32 = 2;

/// A figure for a sentence: two significant digits below 100 ("0.78", "2.7",
/// "23"), whole numbers with thousands separators from 100 up ("148", "22,026").
pub fn number(x: f64) -> String {
    if x.is_nan() {
        return "undefined".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "infinity"
        } else {
            "minus infinity"
        }
        .to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let magnitude = x.abs();
    let body = if magnitude >= 100.0 || magnitude == 0.0 {
        whole_digits(magnitude)
    } else {
        let order = magnitude.log10().floor() as i32;
        let decimals = (SIGNIFICANT_DIGITS - 1 - order).max(0) as usize;
        let text = format!("{magnitude:.decimals$}");
        trim_fraction(&text).to_owned()
    };
    if body == "0" {
        body
    } else {
        format!("{sign}{body}")
    }
}

/// A count with thousands separators: "1,000", "22,026".
pub fn integer(n: u64) -> String {
    group_thousands(&n.to_string())
}

/// A ratio with two decimals ("0.78", "1.02"): the precision at which "a little
/// above 1" is still visible.
pub fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        number(x)
    }
}

/// A probability as a percentage with `decimals` decimals and a space before the
/// sign ("23.2 %"). Values that round to 0 or 100 without being exactly 0 or 1
/// read "under 0.1 %" and "~100 %", so a reader never sees a false certainty.
pub fn percent(probability: f64, decimals: usize) -> String {
    if !probability.is_finite() {
        return number(probability);
    }
    let value = probability * 100.0;
    let text = format!("{value:.decimals$}");
    if text == format!("{:.decimals$}", 100.0) && probability < 1.0 {
        return "~100 %".to_owned();
    }
    if text == format!("{:.decimals$}", 0.0) && probability > 0.0 {
        let smallest = 10f64.powi(-(decimals as i32));
        return format!(
            "under {} %",
            trim_fraction(&format!("{smallest:.decimals$}"))
        );
    }
    format!("{text} %")
}

/// An AUC (or an end of its interval) with two decimals, so a table's column of
/// them lines up ("0.60", not "0.6" beside "0.54").
pub fn auc(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.2}")
    } else {
        number(value)
    }
}

/// A probability with its interval when it has one: "12.0 % (8.1 % to 16.3 %)".
pub fn percent_with_interval(value: f64, interval: Option<(f64, f64)>, decimals: usize) -> String {
    match interval {
        Some((lower, upper)) => format!(
            "{} ({} to {})",
            percent(value, decimals),
            percent(lower, decimals),
            percent(upper, decimals)
        ),
        None => percent(value, decimals),
    }
}

/// The text with its first letter in upper case, for a label that starts a line.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// A probability in words, the way risk communication research recommends: small
/// chances as "1 in N", larger ones as "N in 100".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chance {
    /// Exactly zero.
    Impossible,
    /// Below 1 in a trillion, where "1 in N" stops meaning anything.
    Negligible,
    /// "1 in `n`"; `approximate` adds "about".
    OneIn { n: u64, approximate: bool },
    /// "`count` in 100"; `approximate` adds "about".
    InHundred { count: u64, approximate: bool },
    /// Above 99.5 % but below 1: "more than 99 in 100".
    AlmostCertain,
    /// Exactly one.
    Certain,
}

/// Below this probability a chance is only called negligible.
const NEGLIGIBLE: f64 = 1e-12;

/// Relative error below which a friendly fraction is stated without "about":
/// only floating-point noise, so any real rounding is admitted.
const EXACT_TOLERANCE: f64 = 1e-6;

/// Turns a probability into a [`Chance`]. Probabilities up to one half become
/// "1 in N" (N rounded to a whole number below 20 and to two significant digits
/// above, as in "1 in 22,000"); larger ones become "N in 100".
pub fn chance(probability: f64) -> Chance {
    if probability.is_nan() || probability <= 0.0 {
        return Chance::Impossible;
    }
    if probability >= 1.0 {
        return Chance::Certain;
    }
    if probability < NEGLIGIBLE {
        return Chance::Negligible;
    }
    if probability <= 0.5 {
        let exact = 1.0 / probability;
        let n = round_to_friendly_whole(exact);
        let approximate = ((n - exact) / exact).abs() > EXACT_TOLERANCE;
        return Chance::OneIn {
            n: n as u64,
            approximate,
        };
    }
    let exact = probability * 100.0;
    let count = exact.round();
    if count >= 100.0 {
        return Chance::AlmostCertain;
    }
    Chance::InHundred {
        count: count as u64,
        approximate: ((count - exact) / exact).abs() > EXACT_TOLERANCE,
    }
}

impl Chance {
    /// The adjective form used before "chance": "a 1-in-10 chance".
    pub fn hyphenated(&self) -> String {
        match self {
            Chance::OneIn { n, approximate } => {
                format!("{}1-in-{}", about(*approximate), integer(*n))
            }
            Chance::InHundred { count, approximate } => {
                format!("{}{count}-in-100", about(*approximate))
            }
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Chance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Chance::Impossible => write!(f, "no chance"),
            Chance::Negligible => write!(f, "less than 1 in 1,000,000,000,000"),
            Chance::OneIn { n, approximate } => {
                write!(f, "{}1 in {}", about(*approximate), integer(*n))
            }
            Chance::InHundred { count, approximate } => {
                write!(f, "{}{count} in 100", about(*approximate))
            }
            Chance::AlmostCertain => write!(f, "more than 99 in 100"),
            Chance::Certain => write!(f, "certain"),
        }
    }
}

/// A rate on a fixed scale: `rate_per(0.003, 1000)` is "3 in 1,000". Used when
/// several rates share one denominator, as in an attack's true- and
/// false-positive rates.
pub fn rate_per(probability: f64, per: u64) -> String {
    format!("{} in {}", number(probability * per as f64), integer(per))
}

/// The power of ten that makes a small rate read as whole people: 1 in 1,000 for
/// 0.001, 1 in 100 for 0.01 or 0.05. Never below 100.
pub fn natural_scale(probability: f64) -> u64 {
    if !(probability > 0.0 && probability < 1.0) {
        return 100;
    }
    // The small tolerance keeps exact powers of ten (0.001) on their own scale.
    let exponent = (-probability.log10() - 1e-9).ceil().clamp(2.0, 15.0) as i32;
    10u64.pow(exponent as u32)
}

fn about(approximate: bool) -> &'static str {
    if approximate { "about " } else { "" }
}

/// Whole below 20, two significant digits above ("4", "17", "310", "22,000").
fn round_to_friendly_whole(x: f64) -> f64 {
    if x < 20.0 {
        return x.round().max(1.0);
    }
    let order = x.log10().floor() as i32;
    let unit = 10f64.powi(order + 1 - SIGNIFICANT_DIGITS);
    (x / unit).round() * unit
}

fn whole_digits(magnitude: f64) -> String {
    group_thousands(&format!("{:.0}", magnitude.round()))
}

fn group_thousands(digits: &str) -> String {
    let count = digits.chars().count();
    let mut grouped = String::with_capacity(count + count / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (count - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_two_significant_digits_below_100() {
        assert_eq!(number(0.78125), "0.78");
        assert_eq!(number(std::f64::consts::E), "2.7");
        assert_eq!(number(7.389), "7.4");
        assert_eq!(number(23.2), "23");
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(0.00001), "0.00001");
        assert_eq!(number(9.96), "10");
        assert_eq!(number(-0.5), "-0.5");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-0.0), "0");
    }

    #[test]
    fn numbers_from_100_are_whole_with_separators() {
        assert_eq!(number(148.41), "148");
        assert_eq!(number(22026.47), "22,026");
        assert_eq!(number(9389.0), "9,389");
        assert_eq!(number(1_234_567.5), "1,234,568");
        assert_eq!(number(99.96), "100");
        assert_eq!(number(f64::INFINITY), "infinity");
        assert_eq!(integer(1000), "1,000");
        assert_eq!(integer(999), "999");
        assert_eq!(integer(0), "0");
        assert_eq!(integer(100_000), "100,000");
    }

    #[test]
    fn ratios_keep_two_decimals() {
        assert_eq!(ratio(7287.0 / 9389.0), "0.78");
        assert_eq!(ratio(9230.0 / 9091.0), "1.02");
        assert_eq!(ratio(1.0), "1.00");
    }

    #[test]
    fn intervals_and_capitals() {
        assert_eq!(
            percent_with_interval(0.12, Some((0.081, 0.163)), 1),
            "12.0 % (8.1 % to 16.3 %)"
        );
        assert_eq!(
            percent_with_interval(0.0002, Some((0.0, 0.0004)), 1),
            "under 0.1 % (0.0 % to under 0.1 %)"
        );
        assert_eq!(percent_with_interval(0.5, None, 0), "50 %");
        assert_eq!(
            (auc(0.6), auc(0.537), auc(1.0)),
            ("0.60".into(), "0.54".into(), "1.00".into())
        );
        assert_eq!(capitalised("model accuracy"), "Model accuracy");
        assert_eq!(capitalised("épsilon"), "Épsilon");
        assert_eq!(capitalised(""), "");
    }

    #[test]
    fn percentages_never_claim_false_certainty() {
        assert_eq!(percent(0.232, 1), "23.2 %");
        assert_eq!(percent(0.232, 0), "23 %");
        assert_eq!(percent(0.99959, 1), "~100 %");
        assert_eq!(percent(1.0, 1), "100.0 %");
        assert_eq!(percent(0.0, 0), "0 %");
        assert_eq!(percent(0.0001, 1), "under 0.1 %");
        assert_eq!(percent(0.004, 0), "under 1 %");
    }

    #[test]
    fn chances_read_as_friendly_fractions() {
        assert_eq!(chance(0.1).to_string(), "1 in 10");
        assert_eq!(chance(0.1).hyphenated(), "1-in-10");
        assert_eq!(chance(0.232).hyphenated(), "about 1-in-4");
        assert_eq!(chance(0.001).to_string(), "1 in 1,000");
        assert_eq!(chance(0.5).to_string(), "1 in 2");
        assert_eq!(chance(0.00001).to_string(), "1 in 100,000");
        assert_eq!(chance(1.0 / 22026.47).to_string(), "about 1 in 22,000");
        assert_eq!(chance(0.00314).to_string(), "about 1 in 320");
        assert_eq!(chance(0.731).to_string(), "about 73 in 100");
        assert_eq!(chance(0.75).to_string(), "75 in 100");
        assert_eq!(chance(0.999).to_string(), "more than 99 in 100");
        assert_eq!(chance(0.0), Chance::Impossible);
        assert_eq!(chance(1e-300), Chance::Negligible);
        assert_eq!(chance(2e-12).to_string(), "1 in 500,000,000,000");
        assert_eq!(chance(1.0), Chance::Certain);
    }

    #[test]
    fn one_in_n_is_close_to_the_probability() {
        // Property: the stated N is within the rounding rule of 1/p.
        for i in 1..=5000 {
            let p = f64::from(i) / 10_000.0;
            if let Chance::OneIn { n, .. } = chance(p) {
                let exact = 1.0 / p;
                let tolerance = if exact < 20.0 { 0.5 } else { exact * 0.05 };
                assert!((n as f64 - exact).abs() <= tolerance + 1e-9, "p={p} n={n}");
            } else {
                panic!("p={p} should read as 1 in N");
            }
        }
    }

    #[test]
    fn rates_share_a_denominator() {
        assert_eq!(rate_per(0.003, 1000), "3 in 1,000");
        assert_eq!(rate_per(0.000619, 1000), "0.62 in 1,000");
        assert_eq!(natural_scale(0.001), 1000);
        assert_eq!(natural_scale(0.01), 100);
        assert_eq!(natural_scale(0.05), 100);
        assert_eq!(natural_scale(0.0001), 10_000);
        assert_eq!(natural_scale(0.002), 1000);
    }
}
