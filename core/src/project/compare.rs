//! Finding the first figure that differs between stored and rerun results.
//!
//! Results are compared as JSON trees: numbers, true/false, missing values
//! (`null`), list lengths and identifiers must agree; prose (notices and
//! explanation sentences) and the software version may change between releases
//! of GenoPriv without changing a result, so they are not compared.

use std::fmt;

use serde_json::Value;

/// Relative tolerance on numbers. A float written to JSON and read back may
/// differ in its last bit (serde_json parses without exact round-tripping by
/// default); a seeded rerun that really differs does so far above this.
pub const RELATIVE_TOLERANCE: f64 = 1e-12;

/// Keys whose values are prose or provenance, not results.
const NOT_COMPARED: [&str; 4] = ["genopriv_version", "notices", "sentences", "missing_policy"];

/// Where stored and rerun results first disagree.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// The JSON path of the figure, e.g. `rows[3].retention_rate`.
    pub path: String,
    pub stored: String,
    pub rerun: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: stored {}, rerun gives {}",
            self.path, self.stored, self.rerun
        )
    }
}

/// The first difference, in document order, or `None` when the results agree.
pub fn first_difference(stored: &Value, rerun: &Value) -> Option<Difference> {
    walk(stored, rerun, String::new())
}

fn walk(stored: &Value, rerun: &Value, path: String) -> Option<Difference> {
    let differ = |path: String| {
        Some(Difference {
            path: if path.is_empty() {
                "(whole result)".to_owned()
            } else {
                path
            },
            stored: short(stored),
            rerun: short(rerun),
        })
    };
    match (stored, rerun) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, va) in a {
                if NOT_COMPARED.contains(&key.as_str()) {
                    continue;
                }
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match b.get(key) {
                    Some(vb) => {
                        if let Some(d) = walk(va, vb, child) {
                            return Some(d);
                        }
                    }
                    None => {
                        return Some(Difference {
                            path: child,
                            stored: short(va),
                            rerun: "nothing".to_owned(),
                        });
                    }
                }
            }
            b.iter()
                .find(|(key, _)| !a.contains_key(*key) && !NOT_COMPARED.contains(&key.as_str()))
                .map(|(key, vb)| Difference {
                    path: if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    },
                    stored: "nothing".to_owned(),
                    rerun: short(vb),
                })
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                if let Some(d) = walk(va, vb, format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            if a.len() != b.len() {
                return Some(Difference {
                    path: format!("{path} (number of entries)"),
                    stored: a.len().to_string(),
                    rerun: b.len().to_string(),
                });
            }
            None
        }
        (Value::Number(a), Value::Number(b)) => {
            let same = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), ..) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => match (a.as_f64(), b.as_f64()) {
                    (Some(x), Some(y)) => close(x, y),
                    _ => false,
                },
            };
            if same { None } else { differ(path) }
        }
        (a, b) if a == b => None,
        _ => differ(path),
    }
}

fn close(x: f64, y: f64) -> bool {
    x == y || (x - y).abs() <= RELATIVE_TOLERANCE * x.abs().max(y.abs())
}

fn short(value: &Value) -> String {
    match value {
        Value::Object(_) => "an object".to_owned(),
        Value::Array(a) => format!("a list of {}", a.len()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_first_differing_figure() {
        let stored =
            json!({"a": 1, "rows": [{"x": 0.5, "y": null}, {"x": 0.25}], "notices": ["x"]});
        let same = json!({"a": 1, "rows": [{"x": 0.5, "y": null}, {"x": 0.25}], "notices": ["y"]});
        assert_eq!(first_difference(&stored, &same), None);
        let edited = json!({"a": 1, "rows": [{"x": 0.5, "y": null}, {"x": 0.26}], "notices": []});
        let d = first_difference(&stored, &edited);
        assert_eq!(d.as_ref().map(|d| d.path.as_str()), Some("rows[1].x"));
        assert_eq!(
            d.map(|d| d.to_string()).as_deref(),
            Some("rows[1].x: stored 0.25, rerun gives 0.26")
        );
        let became_defined = json!({"a": 1, "rows": [{"x": 0.5, "y": 3}, {"x": 0.25}]});
        assert_eq!(
            first_difference(&stored, &became_defined).map(|d| d.path),
            Some("rows[0].y".to_owned())
        );
        let shorter = json!({"a": 1, "rows": [{"x": 0.5, "y": null}]});
        assert_eq!(
            first_difference(&stored, &shorter).map(|d| d.path),
            Some("rows (number of entries)".to_owned())
        );
    }

    #[test]
    fn last_bit_noise_is_tolerated_and_more_is_not() {
        let x: f64 = 0.1 + 0.2;
        let next = f64::from_bits(x.to_bits() + 1);
        assert_eq!(first_difference(&json!(x), &json!(next)), None);
        assert!(first_difference(&json!(x), &json!(x * (1.0 + 1e-9))).is_some());
        assert!(first_difference(&json!(3), &json!(4)).is_some());
    }
}
