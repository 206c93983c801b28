//! Case/control counts from a phenotype table joined to the loaded samples.
//!
//! INTERIM: this small reader stands in for `genopriv_core::data::read::pheno`
//! (branch `plink`); once that is merged, `read_and_join` becomes a call to its
//! `read_phenotypes` + `join` and only [`PhenotypeSummary`]'s sentences stay here.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use genopriv_core::{Error, Job, Location, Result};

use super::format::{count, plural};

/// Columns that may hold the case/control status, in order of preference.
const STATUS_COLUMNS: [&str; 4] = ["case", "status", "phenotype", "pheno"];
/// Values read as "status unknown".
const MISSING_VALUES: [&str; 5] = ["", "na", "nan", "-9", "."];
/// How many example IDs a sentence names.
const EXAMPLES: usize = 3;

/// What joining a phenotype table to the genotyped samples found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhenotypeSummary {
    pub file_name: String,
    pub status_column: String,
    /// Genotyped samples with a phenotype row.
    pub matched: usize,
    pub cases: usize,
    pub controls: usize,
    /// Matched samples whose status is missing (NA, -9, empty).
    pub unknown_status: usize,
    /// Genotyped samples without a phenotype row (first few IDs in `..._examples`).
    pub without_row: usize,
    pub without_row_examples: Vec<String>,
    /// Phenotype rows naming no genotyped sample.
    pub unmatched_rows: usize,
    pub unmatched_row_examples: Vec<String>,
}

impl PhenotypeSummary {
    /// The join in plain sentences.
    pub fn sentences(&self) -> Vec<String> {
        let mut sentences = vec![format!(
            "{} of {} matched a genotyped sample; status read from column \"{}\".",
            plural(self.matched, "phenotype row", "phenotype rows"),
            self.file_name,
            self.status_column
        )];
        if self.unknown_status > 0 {
            sentences.push(format!(
                "{} an unknown case/control status.",
                plural(
                    self.unknown_status,
                    "matched sample has",
                    "matched samples have"
                )
            ));
        }
        if self.without_row > 0 {
            sentences.push(format!(
                "{} no phenotype row (e.g. {}).",
                plural(
                    self.without_row,
                    "genotyped sample has",
                    "genotyped samples have"
                ),
                self.without_row_examples.join(", ")
            ));
        }
        if self.unmatched_rows > 0 {
            sentences.push(format!(
                "{} in the genotype file (e.g. {}).",
                plural(
                    self.unmatched_rows,
                    "phenotype row names a sample that is not",
                    "phenotype rows name samples that are not"
                ),
                self.unmatched_row_examples.join(", ")
            ));
        }
        sentences
    }
}

/// Case/control coding of the status column.
#[derive(Clone, Copy)]
enum Coding {
    /// 1 = case, 0 = control.
    ZeroOne,
    /// PLINK: 2 = case, 1 = control.
    OneTwo,
}

/// Reads a delimited phenotype table (header line; sample ID in the first column;
/// status in a column named `case`, `status`, `phenotype` or `pheno`, coded 0/1 or
/// PLINK's 1/2; `NA`, `-9`, `.` or empty for unknown) and joins it to `samples`.
pub fn read_and_join(path: &Path, samples: &[String], job: Job<'_>) -> Result<PhenotypeSummary> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i as u64 + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| !line.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(Error::invalid(path, "the phenotype file is empty"));
    };
    let split = splitter(header);
    let columns: Vec<&str> = split(header);
    let Some(status_index) = STATUS_COLUMNS.iter().find_map(|wanted| {
        columns
            .iter()
            .position(|c| c.trim().eq_ignore_ascii_case(wanted))
    }) else {
        return Err(Error::parse(
            path,
            Location::Line(1),
            format!(
                "no case/control column: expected one named {} (the header has {})",
                STATUS_COLUMNS.join(", "),
                columns.join(", ")
            ),
        ));
    };
    let status_column = columns.get(status_index).map_or("", |c| c.trim());

    let mut rows: Vec<(u64, String, Option<u8>)> = Vec::new();
    let mut seen = HashSet::new();
    for (line_no, line) in lines {
        if line_no % 10_000 == 0 {
            job.checkpoint("Reading phenotypes", None)?;
        }
        let fields = split(line);
        if fields.len() != columns.len() {
            return Err(Error::parse(
                path,
                Location::Line(line_no),
                format!(
                    "{} fields where the header has {}",
                    fields.len(),
                    columns.len()
                ),
            ));
        }
        let id = fields.first().map_or("", |f| f.trim()).to_string();
        if !seen.insert(id.clone()) {
            return Err(Error::parse(
                path,
                Location::Line(line_no),
                format!("sample ID \"{id}\" appears twice"),
            ));
        }
        let raw = fields.get(status_index).map_or("", |f| f.trim());
        let value = if MISSING_VALUES.contains(&raw.to_ascii_lowercase().as_str()) {
            None
        } else {
            match raw {
                "0" => Some(0),
                "1" => Some(1),
                "2" => Some(2),
                other => {
                    return Err(Error::parse(
                        path,
                        Location::Field {
                            line: line_no,
                            field: status_column.to_string(),
                        },
                        format!(
                            "\"{other}\" is not a case/control status (use 0/1, PLINK's 1/2, or NA)"
                        ),
                    ));
                }
            }
        };
        rows.push((line_no, id, value));
    }

    let coding = coding_of(path, &rows)?;
    let genotyped: HashSet<&str> = samples.iter().map(String::as_str).collect();
    let mut status_of: HashMap<&str, Option<u8>> = HashMap::new();
    let mut summary = PhenotypeSummary {
        file_name: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        ),
        status_column: status_column.to_string(),
        ..PhenotypeSummary::default()
    };
    for (_, id, value) in &rows {
        if genotyped.contains(id.as_str()) {
            status_of.insert(id, *value);
        } else {
            summary.unmatched_rows += 1;
            if summary.unmatched_row_examples.len() < EXAMPLES {
                summary.unmatched_row_examples.push(id.clone());
            }
        }
    }
    for sample in samples {
        match status_of.get(sample.as_str()) {
            None => {
                summary.without_row += 1;
                if summary.without_row_examples.len() < EXAMPLES {
                    summary.without_row_examples.push(sample.clone());
                }
            }
            Some(value) => {
                summary.matched += 1;
                match (coding, value) {
                    (_, None) => summary.unknown_status += 1,
                    (Coding::ZeroOne, Some(1)) | (Coding::OneTwo, Some(2)) => summary.cases += 1,
                    _ => summary.controls += 1,
                }
            }
        }
    }
    Ok(summary)
}

/// 0/1 unless the column holds only 1 and 2 (PLINK's coding); a 0 next to a 2 is an error.
fn coding_of(path: &Path, rows: &[(u64, String, Option<u8>)]) -> Result<Coding> {
    let first_zero = rows.iter().find(|(_, _, v)| *v == Some(0));
    let first_two = rows.iter().find(|(_, _, v)| *v == Some(2));
    match (first_zero, first_two) {
        (Some(_), Some((line, id, _))) => Err(Error::parse(
            path,
            Location::Line(*line),
            format!(
                "status 2 for sample \"{id}\" mixes PLINK's 1/2 coding with the 0/1 coding of \
                 other rows"
            ),
        )),
        (None, Some(_)) => Ok(Coding::OneTwo),
        _ => Ok(Coding::ZeroOne),
    }
}

/// Tab- or comma-separated if the header says so, otherwise any whitespace.
fn splitter(header: &str) -> fn(&str) -> Vec<&str> {
    if header.contains('\t') {
        |line| line.split('\t').collect()
    } else if header.contains(',') {
        |line| line.split(',').collect()
    } else {
        |line| line.split_whitespace().collect()
    }
}

/// "295 cases, 305 controls" style counts for the status bar.
pub fn counts_phrase(summary: &PhenotypeSummary) -> String {
    format!(
        "{} cases, {} controls",
        count(summary.cases),
        count(summary.controls)
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use genopriv_core::job;

    use super::*;

    fn demo_pheno() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data/demo_cohort.pheno.tsv")
    }

    /// Cases counted with plain string handling, independent of the reader above.
    fn count_cases_by_hand(path: &Path) -> (usize, usize) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let statuses: Vec<&str> = text
            .lines()
            .skip(1)
            .filter_map(|l| l.split('\t').nth(1))
            .collect();
        (
            statuses.iter().filter(|s| **s == "1").count(),
            statuses.iter().filter(|s| **s == "0").count(),
        )
    }

    #[test]
    fn demo_cohort_has_295_cases() -> Result<()> {
        let path = demo_pheno();
        let samples: Vec<String> = (0..600).map(|i| format!("ind{i:05}")).collect();
        let s = job::unattended(|job| read_and_join(&path, &samples, job))?;
        // The sample data's README states 295 cases among 600 people.
        assert_eq!((s.matched, s.cases, s.controls), (600, 295, 305));
        assert_eq!((s.cases, s.controls), count_cases_by_hand(&path));
        assert_eq!(s.status_column, "case");
        assert_eq!(s.without_row + s.unmatched_rows + s.unknown_status, 0);
        Ok(())
    }

    /// Writes `text` to a file of its own in the temporary folder.
    fn temp_table(name: &str, text: &str) -> std::io::Result<PathBuf> {
        let path = std::env::temp_dir().join(format!("genopriv-gui-{}-{name}", std::process::id()));
        std::fs::write(&path, text)?;
        Ok(path)
    }

    #[test]
    fn bad_tables_name_file_line_and_problem() -> std::io::Result<()> {
        let samples = vec!["a".to_string(), "b".to_string()];
        let cases = [
            ("empty.tsv", "", "the phenotype file is empty"),
            (
                "nostatus.tsv",
                "id\tage\na\t3\n",
                "line 1: no case/control column",
            ),
            (
                "short.tsv",
                "id\tcase\na\t1\nb\n",
                "line 3: 1 fields where the header has 2",
            ),
            (
                "word.tsv",
                "id\tcase\na\tyes\n",
                "line 2, column case: \"yes\" is not",
            ),
            (
                "twice.csv",
                "id,case\na,1\na,0\n",
                "line 3: sample ID \"a\" appears twice",
            ),
            (
                "mixed.tsv",
                "id\tcase\na\t0\nb\t2\n",
                "line 3: status 2 for sample \"b\"",
            ),
        ];
        for (name, text, expected) in cases {
            let path = temp_table(name, text)?;
            let result = job::unattended(|job| read_and_join(&path, &samples, job));
            std::fs::remove_file(&path)?;
            let Err(error) = result else {
                panic!("{name} was accepted");
            };
            let message = error.to_string();
            assert!(message.starts_with(&*path.to_string_lossy()), "{message}");
            assert!(message.contains(expected), "{name}: {message}");
        }
        Ok(())
    }

    #[test]
    fn plink_coding_and_missing_values() -> Result<()> {
        let text = "FID IID PHENO\na a 2\nb b 1\nc c -9\n";
        let path = temp_table("plink.pheno", text).map_err(|e| Error::io("plink.pheno", e))?;
        let samples: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let result = job::unattended(|job| read_and_join(&path, &samples, job));
        let _ = std::fs::remove_file(&path);
        let s = result?;
        // The first column is the ID: FID here, which equals IID in this table.
        assert_eq!((s.cases, s.controls, s.unknown_status), (1, 1, 1));
        assert_eq!(s.status_column, "PHENO");
        Ok(())
    }

    #[test]
    fn partial_join_is_reported_with_examples() -> Result<()> {
        let path = demo_pheno();
        let mut samples: Vec<String> = (0..10).map(|i| format!("ind{i:05}")).collect();
        samples.push("stranger".into());
        let s = job::unattended(|job| read_and_join(&path, &samples, job))?;
        assert_eq!((s.matched, s.without_row, s.unmatched_rows), (10, 1, 590));
        assert_eq!(s.without_row_examples, ["stranger"]);
        let sentences = s.sentences();
        assert!(
            sentences
                .iter()
                .any(|t| t.contains("1 genotyped sample has no phenotype row (e.g. stranger)")),
            "{sentences:?}"
        );
        Ok(())
    }
}
