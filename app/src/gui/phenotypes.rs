//! Case/control counts from a phenotype table joined to the loaded samples, and
//! the sentences that report the join. Reading and joining are
//! `genopriv_core::data::read::pheno`'s; this module picks the status column and
//! words the result.

use std::path::Path;

use genopriv_core::data::read::pheno::{IdExamples, join, read_phenotypes};
use genopriv_core::{Error, Job, Result};

use super::format::{count, plural};

/// Columns that may hold the case/control status, in order of preference
/// (compared without regard to case).
const STATUS_COLUMNS: [&str; 4] = ["case", "status", "phenotype", "pheno"];

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
    /// Genotyped samples without a phenotype row.
    pub without_row: IdExamples,
    /// Phenotype rows naming no genotyped sample.
    pub unmatched_rows: IdExamples,
    /// IDs on more than one row (the first row is used).
    pub duplicated_ids: IdExamples,
    /// Per genotyped sample, in matrix order: `Some(true)` case, `Some(false)`
    /// control, `None` unknown (the GWAS of the Protect screen uses it).
    pub status: Vec<Option<bool>>,
}

impl PhenotypeSummary {
    /// The join in plain sentences.
    pub fn sentences(&self) -> Vec<String> {
        let mut sentences = vec![format!(
            "{} of {} matched a genotyped sample; case/control status read from column \"{}\".",
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
        if self.without_row.count > 0 {
            sentences.push(format!(
                "{} no phenotype row (e.g. {}).",
                plural(
                    self.without_row.count,
                    "genotyped sample has",
                    "genotyped samples have"
                ),
                self.without_row.examples.join(", ")
            ));
        }
        if self.unmatched_rows.count > 0 {
            sentences.push(format!(
                "{} in the genotype file (e.g. {}).",
                plural(
                    self.unmatched_rows.count,
                    "phenotype row names a sample that is not",
                    "phenotype rows name samples that are not"
                ),
                self.unmatched_rows.examples.join(", ")
            ));
        }
        if self.duplicated_ids.count > 0 {
            sentences.push(format!(
                "{} more than one row; the first row was used (e.g. {}).",
                plural(
                    self.duplicated_ids.count,
                    "sample ID appears on",
                    "sample IDs appear on"
                ),
                self.duplicated_ids.examples.join(", ")
            ));
        }
        sentences
    }
}

/// Reads a phenotype table (sample IDs in the first column), joins it to
/// `samples`, and takes the case/control status from the first column named
/// `case`, `status`, `phenotype` or `pheno` (coded 0/1 or PLINK's 1/2).
pub fn read_and_join(path: &Path, samples: &[String], job: Job<'_>) -> Result<PhenotypeSummary> {
    job.checkpoint("Reading phenotypes", None)?;
    let table = read_phenotypes(path, None)?;
    job.checkpoint("Matching phenotypes to samples", None)?;
    let Some(status_column) = STATUS_COLUMNS.iter().find_map(|wanted| {
        table
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(wanted))
    }) else {
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        return Err(Error::invalid(
            path,
            format!(
                "no case/control column: expected one named {}, but the columns are {}",
                STATUS_COLUMNS.join(", "),
                names.join(", ")
            ),
        ));
    };
    let joined = join(&table, samples);
    let status = table.case_control(&joined, &status_column.name)?;
    Ok(PhenotypeSummary {
        file_name: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        ),
        status_column: status.column,
        matched: joined.matched,
        cases: status.cases,
        controls: status.controls,
        unknown_status: status.missing,
        without_row: joined.samples_without_phenotype,
        unmatched_rows: joined.phenotypes_without_genotypes,
        duplicated_ids: joined.duplicated_phenotype_ids,
        status: status.status,
    })
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

    /// Cases and controls counted with plain string handling, independent of the
    /// reader.
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

    /// Writes `text` to a file of its own in the temporary folder.
    fn temp_table(name: &str, text: &str) -> std::io::Result<PathBuf> {
        let path = std::env::temp_dir().join(format!("genopriv-gui-{}-{name}", std::process::id()));
        std::fs::write(&path, text)?;
        Ok(path)
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
        assert_eq!(s.without_row.count + s.unmatched_rows.count, 0);
        assert_eq!(s.unknown_status, 0);
        Ok(())
    }

    #[test]
    fn partial_join_is_reported_with_examples() -> Result<()> {
        let path = demo_pheno();
        let mut samples: Vec<String> = (0..10).map(|i| format!("ind{i:05}")).collect();
        samples.push("stranger".into());
        let s = job::unattended(|job| read_and_join(&path, &samples, job))?;
        assert_eq!(
            (s.matched, s.without_row.count, s.unmatched_rows.count),
            (10, 1, 590)
        );
        assert_eq!(s.without_row.examples, ["stranger"]);
        let sentences = s.sentences();
        assert!(
            sentences
                .iter()
                .any(|t| t.contains("1 genotyped sample has no phenotype row (e.g. stranger)")),
            "{sentences:?}"
        );
        Ok(())
    }

    #[test]
    fn status_column_is_found_by_name_and_errors_name_the_file() -> std::io::Result<()> {
        let samples = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let plink = temp_table(
            "plink.txt",
            "IID\tSEX\tSTATUS\na\t1\t2\nb\t2\t1\nc\t1\t-9\n",
        )?;
        let result = job::unattended(|job| read_and_join(&plink, &samples, job));
        std::fs::remove_file(&plink)?;
        match result {
            Ok(s) => {
                // PLINK coding: 2 case, 1 control, -9 unknown.
                assert_eq!((s.cases, s.controls, s.unknown_status), (1, 1, 1));
                assert_eq!(s.status_column, "STATUS");
            }
            Err(e) => panic!("a PLINK-coded table was refused: {e}"),
        }

        let no_status = temp_table("nostatus.tsv", "id\tage\na\t3\n")?;
        let result = job::unattended(|job| read_and_join(&no_status, &samples, job));
        std::fs::remove_file(&no_status)?;
        let Err(error) = result else {
            panic!("a table without a status column was accepted");
        };
        let message = error.to_string();
        assert!(
            message.starts_with(&*no_status.to_string_lossy()),
            "{message}"
        );
        assert!(
            message.contains("no case/control column: expected one named case, status, phenotype, pheno, but the columns are age"),
            "{message}"
        );
        Ok(())
    }

    #[test]
    fn duplicated_ids_are_reported() {
        let summary = PhenotypeSummary {
            file_name: "p.tsv".into(),
            status_column: "case".into(),
            matched: 2,
            duplicated_ids: IdExamples {
                count: 1,
                examples: vec!["a".into()],
            },
            ..PhenotypeSummary::default()
        };
        assert_eq!(
            summary.sentences(),
            [
                "2 phenotype rows of p.tsv matched a genotyped sample; case/control status read \
                 from column \"case\".",
                "1 sample ID appears on more than one row; the first row was used (e.g. a).",
            ]
        );
    }
}
