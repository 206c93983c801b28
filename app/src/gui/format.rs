//! Numbers written for people: thousands separators, percentages, plurals.

/// `10946` -> `"10,946"`.
pub fn thousands(n: impl Into<u64>) -> String {
    let digits = n.into().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// [`thousands`] for `usize` counts.
pub fn count(n: usize) -> String {
    thousands(u64::try_from(n).unwrap_or(u64::MAX))
}

/// A fraction in `[0, 1]` as a percentage that never rounds a non-zero value to
/// zero or a value below one to 100 %: `0.00004` -> `"< 0.01%"`.
pub fn percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    if p <= 0.0 {
        "0%".to_string()
    } else if p < 0.01 {
        "< 0.01%".to_string()
    } else if p < 1.0 {
        format!("{p:.2}%")
    } else if p < 99.95 {
        format!("{p:.1}%")
    } else if p < 100.0 {
        "> 99.9%".to_string()
    } else {
        "100%".to_string()
    }
}

/// `part` as a percentage of `whole` (0 % of nothing).
pub fn share(part: usize, whole: usize) -> String {
    if whole == 0 {
        percent(0.0)
    } else {
        percent(part as f64 / whole as f64)
    }
}

/// `"1 sample"`, `"2 samples"`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0u64), "0");
        assert_eq!(thousands(999u64), "999");
        assert_eq!(thousands(1000u64), "1,000");
        assert_eq!(thousands(10_946u64), "10,946");
        assert_eq!(thousands(6_567_600u64), "6,567,600");
    }

    #[test]
    fn percentages_keep_small_values_visible() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.000_04), "< 0.01%");
        assert_eq!(percent(0.004_2), "0.42%");
        assert_eq!(percent(0.491_666), "49.2%");
        assert_eq!(percent(0.999_9), "> 99.9%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(share(295, 600), "49.2%");
        assert_eq!(share(1, 0), "0%");
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "sample", "samples"), "1 sample");
        assert_eq!(plural(1200, "sample", "samples"), "1,200 samples");
    }
}
