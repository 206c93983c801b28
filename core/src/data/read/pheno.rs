//! Phenotype and covariate tables (polars), joined to genotypes by sample ID.
//!
//! A table is a CSV (`.csv`) or tab-separated (`.tsv`, `.txt`) file, optionally
//! gzip-compressed, with a header line. One column holds the sample IDs (the first
//! column unless another is named); every other column is loaded as numbers if all
//! its values are numeric, else as text. `NA` and empty cells are missing.
//!
//! The file is first read line by line to check that every line has as many fields
//! as the header (polars would pad a short line with nulls, and cannot say which
//! line is wrong), then handed to polars for column typing.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::{
    CsvReadOptions, DataFrame, DataType, NullValues, PlSmallStr, Schema, SerReader,
};

use super::matrix_csv::{TextFile, delimiter_for, split_fields};
use crate::error::{Error, Location, Result};

/// The name given to an unnamed first column (R's row names) read as the IDs.
pub const ROW_NAMES_COLUMN: &str = "row_names";

/// How many example IDs a report lists.
const EXAMPLES: usize = 5;

/// The values of one phenotype or covariate column, one per table row.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnValues {
    Numeric(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct PhenotypeColumn {
    pub name: String,
    pub values: ColumnValues,
}

/// A phenotype/covariate table: one row per ID, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct PhenotypeTable {
    pub source: PathBuf,
    pub id_column: String,
    pub ids: Vec<String>,
    /// The file line each row came from (for messages).
    pub lines: Vec<u64>,
    /// Every column but the ID column, in file order.
    pub columns: Vec<PhenotypeColumn>,
}

/// Reads a phenotype table. `id_column` names the ID column; `None` takes the first.
pub fn read_phenotypes(path: &Path, id_column: Option<&str>) -> Result<PhenotypeTable> {
    let delimiter = delimiter_for(path).ok_or_else(|| {
        Error::unsupported(
            path,
            "a phenotype table must be named .csv, .tsv or .txt (optionally .gz)",
        )
    })?;
    let mut text = TextFile::open(path)?;
    let Some((header_no, header)) = text.next_line()? else {
        return Err(Error::invalid(path, "the file is empty"));
    };
    let mut names: Vec<String> = split_fields(&header, delimiter)
        .into_iter()
        .map(|f| f.trim().to_string())
        .collect();
    // R's `write.csv` leaves the header of its row-name column empty: those are the IDs.
    if id_column.is_none()
        && let Some(first) = names.first_mut()
        && first.is_empty()
    {
        *first = ROW_NAMES_COLUMN.to_string();
    }
    check_header(path, header_no, &names)?;
    let id_index = match id_column {
        None => 0,
        Some(wanted) => names.iter().position(|n| n == wanted).ok_or_else(|| {
            Error::invalid(
                path,
                format!(
                    "has no column `{wanted}`; its columns are {}",
                    names.join(", ")
                ),
            )
        })?,
    };
    let id_name = names.get(id_index).cloned().unwrap_or_default();

    // Blank lines dropped and line endings normalised; field counts checked. The
    // header is rewritten from the trimmed, quoted names so polars sees the same names.
    let quoted: Vec<String> = names
        .iter()
        .map(|n| format!("\"{}\"", n.replace('"', "\"\"")))
        .collect();
    let mut clean = quoted.join(&delimiter.to_string()).into_bytes();
    clean.push(b'\n');
    let mut lines = Vec::new();
    while let Some((line_no, line)) = text.next_line()? {
        let n_fields = split_fields(&line, delimiter).len();
        if n_fields != names.len() {
            return Err(Error::parse(
                path,
                Location::Line(line_no),
                format!("has {n_fields} fields but the header has {}", names.len()),
            ));
        }
        clean.extend_from_slice(line.as_bytes());
        clean.push(b'\n');
        lines.push(line_no);
    }
    if lines.is_empty() {
        return Err(Error::invalid(path, "the file has a header but no rows"));
    }

    let frame = parse_with_polars(path, clean, delimiter, &id_name)?;
    let mut ids = Vec::with_capacity(lines.len());
    let mut columns = Vec::new();
    for column in frame.columns() {
        let name = column.name().to_string();
        let polars_err = |e: polars::prelude::PolarsError| {
            Error::invalid(path, format!("cannot read column `{name}`: {e}"))
        };
        if name == id_name {
            let text = column.cast(&DataType::String).map_err(polars_err)?;
            for (row, id) in text.str().map_err(polars_err)?.iter().enumerate() {
                let line = lines.get(row).copied().unwrap_or(0);
                match id.map(str::trim) {
                    Some(id) if !id.is_empty() => ids.push(id.to_string()),
                    _ => {
                        return Err(Error::parse(
                            path,
                            Location::Field {
                                line,
                                field: id_name.clone(),
                            },
                            "the sample ID is missing",
                        ));
                    }
                }
            }
        } else if column.dtype().is_primitive_numeric() {
            let numbers = column.cast(&DataType::Float64).map_err(polars_err)?;
            let values = numbers.f64().map_err(polars_err)?.iter().collect();
            columns.push(PhenotypeColumn {
                name,
                values: ColumnValues::Numeric(values),
            });
        } else {
            let text = column.cast(&DataType::String).map_err(polars_err)?;
            let values = text
                .str()
                .map_err(polars_err)?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect();
            columns.push(PhenotypeColumn {
                name,
                values: ColumnValues::Text(values),
            });
        }
    }
    if ids.len() != lines.len() {
        return Err(Error::invalid(
            path,
            format!(
                "polars read {} rows where the file has {}; check for quoted line breaks",
                ids.len(),
                lines.len()
            ),
        ));
    }
    Ok(PhenotypeTable {
        source: path.to_path_buf(),
        id_column: id_name,
        ids,
        lines,
        columns,
    })
}

/// Column names must be present and unique.
fn check_header(path: &Path, line: u64, names: &[String]) -> Result<()> {
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    for (index, name) in names.iter().enumerate() {
        let location = Location::Field {
            line,
            field: (index + 1).to_string(),
        };
        if name.is_empty() {
            return Err(Error::parse(path, location, "the column has no name"));
        }
        if let Some(first) = first_of.insert(name, index) {
            return Err(Error::parse(
                path,
                location,
                format!(
                    "column name `{name}` was already used by column {}",
                    first + 1
                ),
            ));
        }
    }
    Ok(())
}

/// Types the columns with polars, keeping the ID column as text (IDs such as
/// `00123` must not become numbers).
fn parse_with_polars(
    path: &Path,
    text: Vec<u8>,
    delimiter: char,
    id_name: &str,
) -> Result<DataFrame> {
    let id_schema = Schema::from_iter([(PlSmallStr::from(id_name), DataType::String)]);
    let null_values = NullValues::AllColumns(vec![PlSmallStr::from("NA"), PlSmallStr::from("")]);
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .with_schema_overwrite(Some(Arc::new(id_schema)))
        .map_parse_options(|options| {
            options
                .with_separator(if delimiter == ',' { b',' } else { b'\t' })
                .with_null_values(Some(null_values.clone()))
        })
        .into_reader_with_file_handle(Cursor::new(text))
        .finish()
        .map_err(|e| Error::invalid(path, format!("cannot read the table: {e}")))
}

/// How many IDs fell in a category, with the first few of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdExamples {
    pub count: usize,
    pub examples: Vec<String>,
}

impl IdExamples {
    fn add(&mut self, id: &str) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(id.to_string());
        }
    }
}

/// How a phenotype table lines up with the samples of a genotype matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinReport {
    pub n_samples: usize,
    /// Samples with a phenotype row.
    pub matched: usize,
    pub samples_without_phenotype: IdExamples,
    pub phenotypes_without_genotypes: IdExamples,
    /// IDs on more than one row (each counted once); the first row is used.
    pub duplicated_phenotype_ids: IdExamples,
    /// For each genotype sample, the table row holding its phenotypes.
    pub row_of_sample: Vec<Option<usize>>,
}

/// Matches table rows to genotype samples by exact ID.
pub fn join(table: &PhenotypeTable, samples: &[String]) -> JoinReport {
    let mut row_of_id: HashMap<&str, usize> = HashMap::with_capacity(table.ids.len());
    let mut duplicated = IdExamples::default();
    let mut counted_duplicate: HashMap<&str, ()> = HashMap::new();
    for (row, id) in table.ids.iter().enumerate() {
        if let Entry::Vacant(slot) = row_of_id.entry(id.as_str()) {
            slot.insert(row);
        } else if counted_duplicate.insert(id.as_str(), ()).is_none() {
            duplicated.add(id);
        }
    }
    let mut without_phenotype = IdExamples::default();
    let mut used: HashMap<&str, ()> = HashMap::with_capacity(samples.len());
    let row_of_sample: Vec<Option<usize>> = samples
        .iter()
        .map(|s| {
            let row = row_of_id.get(s.as_str()).copied();
            match row {
                Some(_) => {
                    used.insert(s.as_str(), ());
                }
                None => without_phenotype.add(s),
            }
            row
        })
        .collect();
    let mut without_genotypes = IdExamples::default();
    let mut reported: HashMap<&str, ()> = HashMap::new();
    for id in &table.ids {
        if !used.contains_key(id.as_str()) && reported.insert(id.as_str(), ()).is_none() {
            without_genotypes.add(id);
        }
    }
    JoinReport {
        n_samples: samples.len(),
        matched: row_of_sample.iter().flatten().count(),
        samples_without_phenotype: without_phenotype,
        phenotypes_without_genotypes: without_genotypes,
        duplicated_phenotype_ids: duplicated,
        row_of_sample,
    }
}

/// How a binary trait column codes case and control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryCoding {
    /// 0 control, 1 case.
    ZeroOne,
    /// PLINK: 1 control, 2 case, 0 missing.
    PlinkOneTwo,
}

/// Case/control status of every genotype sample from one column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseControl {
    pub column: String,
    pub coding: BinaryCoding,
    /// Per genotype sample: `Some(true)` case, `Some(false)` control, `None` when
    /// the sample has no phenotype row or its value is missing.
    pub status: Vec<Option<bool>>,
    pub cases: usize,
    pub controls: usize,
    /// Matched samples whose value is missing.
    pub missing: usize,
}

impl PhenotypeTable {
    /// Case/control status of the joined samples from a binary column coded 0/1
    /// (1 = case) or PLINK-style 1/2 (2 = case, 0 missing); `NA`, empty and `-9`
    /// are missing. The coding is recognised from all the column's values: any 2
    /// means 1/2 coding.
    pub fn case_control(&self, join: &JoinReport, column: &str) -> Result<CaseControl> {
        let Some(found) = self.columns.iter().find(|c| c.name == column) else {
            let names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
            return Err(Error::invalid(
                &self.source,
                format!(
                    "has no phenotype column `{column}`; its columns are {}",
                    names.join(", ")
                ),
            ));
        };
        let ColumnValues::Numeric(values) = &found.values else {
            return Err(Error::invalid(
                &self.source,
                format!("column `{column}` is not numeric; a case/control column holds 0/1 or 1/2"),
            ));
        };
        let mut seen = [false; 3];
        for (row, value) in values.iter().enumerate() {
            match value {
                None => {}
                Some(v) if *v == -9.0 => {}
                Some(v) if *v == 0.0 || *v == 1.0 || *v == 2.0 => {
                    if let Some(flag) = seen.get_mut(*v as usize) {
                        *flag = true;
                    }
                }
                Some(v) => {
                    return Err(Error::parse(
                        &self.source,
                        Location::Field {
                            line: self.lines.get(row).copied().unwrap_or(0),
                            field: column.to_string(),
                        },
                        format!(
                            "value {v} is not a case/control code (0/1, or PLINK 1/2; \
                             NA or -9 for missing)"
                        ),
                    ));
                }
            }
        }
        let coding = match seen {
            [_, _, true] => BinaryCoding::PlinkOneTwo,
            [true, _, false] => BinaryCoding::ZeroOne,
            [false, true, false] => {
                return Err(Error::invalid(
                    &self.source,
                    format!(
                        "column `{column}` holds only the value 1, so 0/1 coding (all cases) \
                         cannot be told from PLINK 1/2 coding (all controls)"
                    ),
                ));
            }
            [false, false, false] => {
                return Err(Error::invalid(
                    &self.source,
                    format!("column `{column}` has no case/control values, only missing ones"),
                ));
            }
        };
        let decode = |v: f64| match (coding, v as i64) {
            (BinaryCoding::ZeroOne, 0) | (BinaryCoding::PlinkOneTwo, 1) => Some(false),
            (BinaryCoding::ZeroOne, 1) | (BinaryCoding::PlinkOneTwo, 2) => Some(true),
            _ => None,
        };
        let mut result = CaseControl {
            column: column.to_string(),
            coding,
            status: Vec::with_capacity(join.row_of_sample.len()),
            cases: 0,
            controls: 0,
            missing: 0,
        };
        for row in &join.row_of_sample {
            let status = match row {
                None => None,
                Some(row) => {
                    let status = values.get(*row).copied().flatten().and_then(decode);
                    match status {
                        Some(true) => result.cases += 1,
                        Some(false) => result.controls += 1,
                        None => result.missing += 1,
                    }
                    status
                }
            };
            result.status.push(status);
        }
        Ok(result)
    }
}
