//! Delimited genotype matrices: the PROVGEN/OpenSNP data, round trips, plink1.9 and
//! awk as independent checks, and bad inputs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use genopriv_core::data::read::{matrix_csv, plink, read_genotypes};
use genopriv_core::data::write::write_genotypes;
use genopriv_core::data::{GenotypeMatrix, MISSING, ReadOptions};
use genopriv_core::job;

/// PROVGEN's cleaned OpenSNP hair data (MIT), from the reference studies folder:
/// `$GENOPRIV_REFERENCE_STUDIES`, by default `shared/reference_studies` beside the
/// repository (where CI and the developers' machines keep it).
fn hair_csv() -> PathBuf {
    let root = std::env::var_os("GENOPRIV_REFERENCE_STUDIES").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/reference_studies"
            ))
        },
        PathBuf::from,
    );
    let path = root.join("provgen_opensnp/hair/data.csv");
    assert!(
        path.is_file(),
        "{} is missing: set GENOPRIV_REFERENCE_STUDIES to the reference studies folder",
        path.display()
    );
    path
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} (is it installed?): {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn read(path: &Path) -> genopriv_core::Result<GenotypeMatrix> {
    job::unattended(|job| matrix_csv::read(path, job)).map(|(m, _)| m)
}

fn write(m: &GenotypeMatrix, out: &Path) {
    job::unattended(|job| write_genotypes(m, out, &[], job)).unwrap();
}

/// Per-column sums of the genotype columns, by awk (`NA` and empty count 0).
fn awk_column_sums(path: &Path, delimiter: &str) -> Vec<u64> {
    let out = run(Command::new("awk")
        .arg("-F")
        .arg(delimiter)
        .arg(
            "NR > 1 { for (i = 2; i <= NF; i++) s[i] += ($i == \"NA\" ? 0 : $i) } \
              END { for (i = 2; i <= NF; i++) print s[i] + 0 }",
        )
        .arg(path));
    out.lines().map(|l| l.parse().unwrap()).collect()
}

fn alt_counts(m: &GenotypeMatrix) -> Vec<u64> {
    (0..m.n_variants())
        .map(|j| m.call_counts(j).alt_alleles())
        .collect()
}

#[test]
fn provgen_hair_loads_with_awks_column_sums() {
    let path = hair_csv();
    let m = read(&path).unwrap();
    assert_eq!((m.n_samples(), m.n_variants()), (60, 9_389));
    assert_eq!(alt_counts(&m), awk_column_sums(&path, ","));
    assert!((0..m.n_variants()).all(|j| m.call_counts(j).missing == 0));
    let ids = run(Command::new("awk")
        .args(["-F", ",", "NR > 1 { print $1 }"])
        .arg(&path));
    assert_eq!(m.samples(), ids.lines().collect::<Vec<_>>());
    let v = &m.variants()[9_388];
    assert_eq!(
        (v.id.as_str(), v.chrom.as_str(), v.pos),
        ("9388", "0", 9_389)
    );
}

#[test]
fn csv_round_trips_and_plink_agrees_on_counts() {
    let dir = tempfile::tempdir().unwrap();
    let m = read(&hair_csv()).unwrap();

    // read(write(x)) == x, variant records included, in each delimiter and gzip.
    for name in ["hair.csv", "hair.tsv", "hair.csv.gz"] {
        let out = dir.path().join(name);
        write(&m, &out);
        let back = job::unattended(|job| read_genotypes(&out, &ReadOptions::default(), job))
            .unwrap()
            .matrix;
        assert_eq!(back, m, "{name}");
    }
    // The tab-separated copy has the same column sums by awk.
    assert_eq!(
        awk_column_sums(&dir.path().join("hair.tsv"), "\t"),
        alt_counts(&m)
    );

    // A matrix column (chrom 0) loads in plink1.9 without extra flags, and plink
    // counts the same alleles as awk does in the CSV.
    let bed = dir.path().join("hair.bed");
    write(&m, &bed);
    let freq = dir.path().join("hair_freq");
    run(Command::new("plink1.9")
        .arg("--bfile")
        .arg(dir.path().join("hair"))
        .args(["--freq", "counts", "--keep-allele-order", "--out"])
        .arg(&freq));
    let text = fs::read_to_string(freq.with_extension("frq.counts")).unwrap();
    let plink_c1: Vec<u64> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(4).unwrap().parse().unwrap())
        .collect();
    assert_eq!(plink_c1, awk_column_sums(&hair_csv(), ","));
}

#[test]
fn missing_calls_and_plink_variants_survive_a_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("demo");
    run(Command::new("plink1.9")
        .arg("--vcf")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data/demo_cohort.vcf.gz"))
        .args(["--make-bed", "--keep-allele-order", "--double-id", "--out"])
        .arg(&prefix));
    let (full, _) = job::unattended(|job| plink::read(&prefix, job)).unwrap();
    let mut m = full.select_variants(&(0..500).collect::<Vec<_>>());
    for (j, i) in [(0, 0), (3, 599), (499, 17), (250, 250)] {
        m.set(j, i, MISSING);
    }
    let out = dir.path().join("demo.tsv.gz");
    write(&m, &out);
    let back = read(&out).unwrap();
    assert_eq!(back.samples(), m.samples());
    for j in 0..m.n_variants() {
        assert!(back.calls(j).eq(m.calls(j)), "variant {j}");
        assert_eq!(back.variants()[j].id, m.variants()[j].id);
    }
    assert_eq!(back.get(3, 599), MISSING);
}

fn error_for(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, content).unwrap();
    match read(&path) {
        Ok(_) => panic!("{name} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_matrices_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = error_for(d, "word.csv", "id,rs1,rs2\na,0,1\nb,1,x\n");
    assert!(
        e.contains("word.csv, line 3, column 3 (rs2)") && e.contains("`x` is not a genotype"),
        "{e}"
    );
    let e = error_for(d, "three.tsv", "id\trs1\trs2\na\t3\t1\n");
    assert!(
        e.contains("three.tsv, line 2, column 2 (rs1)") && e.contains("outside 0..2"),
        "{e}"
    );
    let e = error_for(d, "short.csv", "id,rs1,rs2\na,0,1\nb,1\n");
    assert!(
        e.contains("short.csv, line 3") && e.contains("has 2 fields but the header has 3"),
        "{e}"
    );
    let e = error_for(d, "dup.csv", "id,rs1\na,0\nb,1\na,2\n");
    assert!(
        e.contains("dup.csv, line 4, column 1 (id)") && e.contains("already used on line 2"),
        "{e}"
    );
    let e = error_for(d, "dupcol.csv", "id,rs1,rs1\na,0,1\n");
    assert!(e.contains("dupcol.csv, line 1, column 3 (rs1)"), "{e}");
    let e = error_for(d, "trailing.csv", "id,rs1,\na,1,\n");
    assert!(
        e.contains("trailing.csv, line 1, column 3 ()") && e.contains("no name"),
        "{e}"
    );
    let e = error_for(d, "header.csv", "id,rs1,rs2\n");
    assert!(
        e.contains("header.csv") && e.contains("no individuals"),
        "{e}"
    );
    let e = error_for(d, "empty.csv", "");
    assert!(e.contains("empty.csv") && e.contains("empty"), "{e}");
    let e = error_for(d, "noid.csv", "id,rs1\n,1\n");
    assert!(e.contains("noid.csv, line 2, column 1 (id)"), "{e}");
    let e = error_for(d, "matrix.dat", "id,rs1\na,1\n");
    assert!(e.contains("matrix.dat") && e.contains(".csv"), "{e}");
}

#[test]
fn quoted_fields_crlf_and_blank_lines_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quoted.csv");
    fs::write(
        &path,
        "\"ID\",\"rs 1\",rs2\r\n\"a,1\",\"2\",NA\r\n\r\nb,,0\r\n",
    )
    .unwrap();
    let m = read(&path).unwrap();
    assert_eq!(m.samples(), ["a,1", "b"]);
    assert_eq!(m.variants()[0].id, "rs 1");
    assert_eq!(m.calls(0).collect::<Vec<_>>(), [2, MISSING]);
    assert_eq!(m.calls(1).collect::<Vec<_>>(), [MISSING, 0]);
    // A sample ID holding the delimiter cannot be written back unquoted.
    let out = dir.path().join("out.csv");
    let e = job::unattended(|job| write_genotypes(&m, &out, &[], job));
    assert!(e.is_err_and(|e| e.to_string().contains("`a,1`")));
    assert!(!out.exists());

    let mut twins = GenotypeMatrix::new(vec!["a".into()]);
    let v = m.variants()[1].clone();
    twins.push_variant(v.clone(), &[0]);
    twins.push_variant(v, &[1]);
    let e = job::unattended(|job| write_genotypes(&twins, &out, &[], job));
    assert!(e.is_err_and(|e| e.to_string().contains("`rs2` names two variants")));
}

#[test]
fn cancelled_matrix_jobs_stop_and_leave_no_output() {
    use genopriv_core::job::NoProgress;
    use genopriv_core::{CancelToken, Error, Job};

    let dir = tempfile::tempdir().unwrap();
    let m = read(&hair_csv()).unwrap();
    let cancel = CancelToken::new();
    cancel.cancel();
    let job = Job::new(&NoProgress, &cancel);
    assert!(matches!(
        matrix_csv::read(&hair_csv(), job),
        Err(Error::Cancelled)
    ));
    let out = dir.path().join("cancelled.csv");
    assert!(matches!(
        write_genotypes(&m, &out, &[], job),
        Err(Error::Cancelled)
    ));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}
