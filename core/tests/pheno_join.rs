//! Phenotype tables joined to genotype samples.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use genopriv_core::data::read::pheno::{
    BinaryCoding, ColumnValues, IdExamples, join, read_phenotypes,
};

fn sample_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample_data")
        .join(name)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} (is it installed?): {e}"));
    assert!(out.status.success(), "{cmd:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn demo_cohort_phenotypes_match_all_600_samples_with_295_cases() {
    let table = read_phenotypes(&sample_data("demo_cohort.pheno.tsv"), None).unwrap();
    assert_eq!(table.id_column, "sample_id");
    // Sample IDs as bcftools lists them, independently of our readers.
    let samples: Vec<String> = run(Command::new("bcftools")
        .args(["query", "-l"])
        .arg(sample_data("demo_cohort.vcf.gz")))
    .lines()
    .map(String::from)
    .collect();
    assert_eq!(samples.len(), 600);

    let report = join(&table, &samples);
    assert_eq!(report.matched, 600);
    assert_eq!(report.samples_without_phenotype, IdExamples::default());
    assert_eq!(report.phenotypes_without_genotypes, IdExamples::default());
    assert_eq!(report.duplicated_phenotype_ids.count, 0);

    let cc = table.case_control(&report, "case").unwrap();
    assert_eq!(cc.coding, BinaryCoding::ZeroOne);
    // 295 cases is the figure sample_data/README.md gives; awk agrees.
    let awk_cases = run(Command::new("awk")
        .args(["-F", "\t", "NR > 1 && $2 == 1 { n++ } END { print n }"])
        .arg(sample_data("demo_cohort.pheno.tsv")));
    assert_eq!(awk_cases.trim(), "295");
    assert_eq!((cc.cases, cc.controls, cc.missing), (295, 305, 0));
    assert!(matches!(
        &table.columns[1].values,
        ColumnValues::Text(v) if v.iter().all(|p| matches!(p.as_deref(), Some("A" | "B")))
    ));
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, content).unwrap();
    path
}

#[test]
fn plink_coding_duplicates_and_unmatched_ids_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "pheno.csv",
        "FID, IID ,status,\"age\"\n\
         f,007,2,41\n\
         f,008,1,NA\n\
         f,009,-9,30\n\
         f,010,0,\n\
         f,007,1,50\n\
         f,099,2,22\n\
         f,011,NA,19\n",
    );
    let table = read_phenotypes(&path, Some("IID")).unwrap();
    // IDs stay text: 007 is not the number 7.
    assert_eq!(table.ids[0], "007");
    assert_eq!(table.lines, [2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(
        table.columns[2].values,
        ColumnValues::Numeric(vec![
            Some(41.0),
            None,
            Some(30.0),
            None,
            Some(50.0),
            Some(22.0),
            Some(19.0)
        ])
    );

    let samples: Vec<String> = ["007", "008", "009", "010", "011", "100", "101"]
        .map(String::from)
        .to_vec();
    let report = join(&table, &samples);
    assert_eq!(report.matched, 5);
    assert_eq!(report.samples_without_phenotype.count, 2);
    assert_eq!(report.samples_without_phenotype.examples, ["100", "101"]);
    assert_eq!(report.phenotypes_without_genotypes.examples, ["099"]);
    assert_eq!(report.duplicated_phenotype_ids.examples, ["007"]);
    assert_eq!(report.row_of_sample[0], Some(0));

    let cc = table.case_control(&report, "status").unwrap();
    assert_eq!(cc.coding, BinaryCoding::PlinkOneTwo);
    // 007 case (first row), 008 control, 009 -9, 010 PLINK 0, 011 NA: missing.
    assert_eq!(
        cc.status,
        [Some(true), Some(false), None, None, None, None, None]
    );
    assert_eq!((cc.cases, cc.controls, cc.missing), (1, 1, 3));
}

#[test]
fn bad_tables_and_columns_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = read_phenotypes(&write(d, "short.tsv", "id\tcase\na\t1\nb\n"), None).unwrap_err();
    assert!(
        e.to_string().contains("short.tsv, line 3") && e.to_string().contains("has 1 fields"),
        "{e}"
    );

    let e = read_phenotypes(&write(d, "dup.tsv", "id\tx\tx\na\t1\t2\n"), None).unwrap_err();
    assert!(e.to_string().contains("dup.tsv, line 1, column 3"), "{e}");

    let e = read_phenotypes(&write(d, "empty.csv", ""), None).unwrap_err();
    assert!(
        e.to_string().contains("empty.csv: the file is empty"),
        "{e}"
    );

    let bom = read_phenotypes(&write(d, "bom.csv", "\u{feff}IID,case\na,1\n"), Some("IID"));
    assert_eq!(bom.unwrap().ids, ["a"]);

    let e = read_phenotypes(&write(d, "ok.csv", "id,case\na,1\n"), Some("IID")).unwrap_err();
    assert!(e.to_string().contains("no column `IID`"), "{e}");

    let table = read_phenotypes(
        &write(
            d,
            "values.csv",
            "id,case,ones,label\na,1,1,x\nb,3,1,y\nc,0,NA,z\n",
        ),
        None,
    )
    .unwrap();
    let samples = ["a", "b", "c"].map(String::from);
    let report = join(&table, &samples);
    let e = table.case_control(&report, "case").unwrap_err();
    assert!(
        e.to_string().contains("values.csv, line 3, column case")
            && e.to_string().contains("value 3"),
        "{e}"
    );
    let e = table.case_control(&report, "ones").unwrap_err();
    assert!(e.to_string().contains("only the value 1"), "{e}");
    let e = table.case_control(&report, "label").unwrap_err();
    assert!(e.to_string().contains("not numeric"), "{e}");
    let e = table.case_control(&report, "nope").unwrap_err();
    assert!(e.to_string().contains("no phenotype column `nope`"), "{e}");
}
