//! Numbers written for people. Figures and percentages go through
//! `genopriv_core::explain::format`, so the window and the exported report print
//! the same figure the same way.

use genopriv_core::explain::format as shared;

/// `10946` -> `"10,946"`.
pub fn thousands(n: u64) -> String {
    shared::integer(n)
}

/// [`thousands`] for `usize` counts.
pub fn count(n: usize) -> String {
    thousands(u64::try_from(n).unwrap_or(u64::MAX))
}

/// A fraction in `[0, 1]` as a percentage with one decimal ("49.2 %"); a value
/// that is not exactly 0 or 1 never reads as 0 % or 100 %.
pub fn percent(fraction: f64) -> String {
    shared::percent(fraction, 1)
}

/// A percentage without decimals ("25 %"), for progress.
pub fn whole_percent(fraction: f64) -> String {
    shared::percent(fraction, 0)
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

/// Positive numbers typed as a list ("0.5, 1 2; 4"), or a sentence naming the
/// first entry that is not one; `what` names an entry ("a noise multiplier").
pub fn positive_numbers(text: &str, what: &str, example: &str) -> Result<Vec<f64>, String> {
    let mut values = Vec::new();
    for part in text.split([',', ' ', ';']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        match part.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => values.push(v),
            _ => {
                return Err(format!(
                    "\"{part}\" is not {what}: give positive numbers separated by commas, such \
                     as {example}."
                ));
            }
        }
    }
    if values.is_empty() {
        return Err(format!(
            "Give at least one {} to sweep.",
            what.trim_start_matches("a ").trim_start_matches("an ")
        ));
    }
    Ok(values)
}

/// A form's study seed: `None` when study mode is off (fresh randomness), the
/// typed number when on; anything else is an error the form shows.
pub fn study_seed(use_seed: bool, text: &str) -> Result<Option<u64>, String> {
    if !use_seed {
        return Ok(None);
    }
    text.trim().parse::<u64>().map(Some).map_err(|_| {
        format!(
            "The seed \"{}\" is not a whole number between 0 and {}.",
            text.trim(),
            u64::MAX
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10_946), "10,946");
        assert_eq!(thousands(6_567_600), "6,567,600");
    }

    #[test]
    fn percentages_keep_small_values_visible() {
        assert_eq!(percent(0.0), "0.0 %");
        assert_eq!(percent(0.000_04), "under 0.1 %");
        assert_eq!(percent(0.491_666), "49.2 %");
        assert_eq!(percent(0.999_9), "~100 %");
        assert_eq!(share(295, 600), "49.2 %");
        assert_eq!(share(1, 0), "0.0 %");
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "sample", "samples"), "1 sample");
        assert_eq!(plural(1200, "sample", "samples"), "1,200 samples");
    }
}
