//! Malformed and unusual inputs: every error names the file and the line (or BCF
//! record) and says what is wrong.

mod vcf_support;

use std::fs;
use std::path::{Path, PathBuf};

use genopriv_core::data::ReadOptions;
use genopriv_core::{Error, Location};
use vcf_support::{TestResult, read, run, sample_data, shell};

const HEADER: &str = "##fileformat=VCFv4.2\n\
##contig=<ID=1>\n\
##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n";

const GOOD: &str = "1\t10\trs1\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\t1/1\n";

fn write(dir: &Path, name: &str, content: &[u8]) -> TestResult<PathBuf> {
    let path = dir.join(name);
    fs::write(&path, content)?;
    Ok(path)
}

/// Reads `content` and returns the error, checking that its message names the file.
fn error_of(dir: &Path, name: &str, content: &[u8]) -> TestResult<Error> {
    let path = write(dir, name, content)?;
    match read(&path, &ReadOptions::default()) {
        Ok(_) => Err(format!("{name} was read without error").into()),
        Err(e) => {
            assert!(e.to_string().contains(name), "file not named: {e}");
            Ok(e)
        }
    }
}

/// Asserts a parse error at `line` whose message contains `needle`.
fn assert_line_error(e: &Error, line: u64, needle: &str) {
    match e {
        Error::Parse {
            location: Location::Line(l) | Location::Field { line: l, .. },
            message,
            ..
        } => {
            assert_eq!(*l, line, "{e}");
            assert!(message.contains(needle), "{e}");
            assert!(e.to_string().contains(&format!("line {line}")), "{e}");
        }
        other => panic!("expected a parse error at line {line}, got {other:?}"),
    }
}

fn assert_invalid(e: &Error, needle: &str) {
    assert!(matches!(e, Error::Invalid { .. }), "{e:?}");
    assert!(e.to_string().contains(needle), "{e}");
}

#[test]
fn malformed_records_name_their_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    // The header takes lines 1-5; GOOD is line 6, the bad record line 7.
    let cases: [(&str, &str, &str); 9] = [
        (
            "columns.vcf",
            "1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\n",
            "expected 12 tab-separated columns",
        ),
        (
            "too_many.vcf",
            "1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\t0/0\t1/1\n",
            "found 13",
        ),
        ("fixed.vcf", "1\t20\trs2\tA\n", "found 4"),
        (
            "pos.vcf",
            "1\tabc\trs2\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\t1/1\n",
            "POS `abc`",
        ),
        (
            "gt.vcf",
            "1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/0\t0/x\t1/1\n",
            "genotype `0/x`",
        ),
        (
            "allele.vcf",
            "1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/0\t0/2\t1/1\n",
            "names allele 2",
        ),
        (
            "ploidy.vcf",
            "1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/0/1\t0/1\t1/1\n",
            "more than two alleles",
        ),
        (
            "no_gt.vcf",
            "1\t20\trs2\tA\tG\t.\t.\t.\tDP\t3\t4\t5\n",
            "has no GT key",
        ),
        (
            "late_header.vcf",
            "##INFO=<ID=X,Number=1,Type=Integer,Description=\"x\">\n",
            "header line",
        ),
    ];
    for (name, bad, needle) in cases {
        let content = format!("{HEADER}{GOOD}{bad}");
        let e = error_of(dir.path(), name, content.as_bytes())?;
        assert_line_error(&e, 7, needle);
    }
    // A bad genotype also names its column and sample.
    let content = format!("{HEADER}{GOOD}1\t20\trs2\tA\tG\t.\t.\t.\tGT\t0/0\t0/x\t1/1\n");
    let e = error_of(dir.path(), "gt.vcf", content.as_bytes())?;
    assert!(
        e.to_string().contains("line 7, column 11 (sample B)"),
        "{e}"
    );
    // Header errors are reported at their line too.
    let content = HEADER.replace("##contig=<ID=1>", "##contig=<ID=1,length=x>");
    let e = error_of(dir.path(), "header.vcf", content.as_bytes())?;
    assert_line_error(&e, 2, "invalid header line");
    Ok(())
}

#[test]
fn unusable_files_are_invalid() -> TestResult {
    let dir = tempfile::tempdir()?;
    let e = error_of(dir.path(), "empty.vcf", b"")?;
    assert_invalid(&e, "empty");
    let e = error_of(dir.path(), "empty.vcf.gz", b"")?;
    assert_invalid(&e, "empty");
    let no_chrom = HEADER.lines().take(4).collect::<Vec<_>>().join("\n") + "\n";
    let e = error_of(dir.path(), "no_chrom.vcf", no_chrom.as_bytes())?;
    assert_invalid(&e, "#CHROM");
    let no_samples = HEADER.replace("\tFORMAT\tA\tB\tC", "");
    let e = error_of(dir.path(), "no_samples.vcf", no_samples.as_bytes())?;
    assert_invalid(&e, "no samples");
    let duplicated = HEADER.replace("\tC\n", "\tA\n");
    let e = error_of(dir.path(), "dup.vcf", duplicated.as_bytes())?;
    assert_invalid(&e, "sample ID `A` appears more than once");
    let no_gt_anywhere = HEADER.replace(
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n",
        "",
    ) + "1\t20\trs2\tA\tG\t.\t.\t.\tDP\t3\t4\t5\n";
    let e = error_of(dir.path(), "no_gt.vcf", no_gt_anywhere.as_bytes())?;
    assert_invalid(&e, "no genotypes");
    Ok(())
}

#[test]
fn undeclared_gt_is_read_with_a_note() -> TestResult {
    let dir = tempfile::tempdir()?;
    let declared = write(
        dir.path(),
        "declared.vcf",
        format!("{HEADER}{GOOD}").as_bytes(),
    )?;
    let undeclared = HEADER.replace(
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n",
        "",
    ) + GOOD;
    let undeclared = write(dir.path(), "undeclared.vcf", undeclared.as_bytes())?;
    let (expected, quiet) = read(&declared, &ReadOptions::default())?;
    let (actual, noted) = read(&undeclared, &ReadOptions::default())?;
    assert_eq!(actual, expected);
    assert!(quiet.notes.is_empty(), "{:?}", quiet.notes);
    assert_eq!(noted.notes.len(), 1);
    assert!(noted.notes[0].contains("does not declare the GT"));
    Ok(())
}

#[test]
fn header_only_file_is_an_empty_matrix() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = write(dir.path(), "header_only.vcf", HEADER.as_bytes())?;
    let (matrix, report) = read(&path, &ReadOptions::default())?;
    assert_eq!((matrix.n_samples(), matrix.n_variants()), (3, 0));
    assert_eq!(report.total_skipped(), 0);
    // bcftools agrees: three samples, no records.
    let p = path.to_str().ok_or("path")?;
    assert_eq!(run("bcftools", &["query", "-l", p])?.lines().count(), 3);
    assert_eq!(run("bcftools", &["view", "-H", p])?.lines().count(), 0);
    Ok(())
}

#[test]
fn random_bytes_are_not_vcf() -> TestResult {
    let dir = tempfile::tempdir()?;
    // A fixed pseudo-random sequence (xorshift), 64 KiB.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..65_536)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    for name in ["random.vcf", "random.vcf.gz", "random.bcf"] {
        let e = error_of(dir.path(), name, &bytes)?;
        assert_line_error(&e, 1, "not a VCF file");
    }
    // Random bytes behind a gzip magic number fail in decompression.
    let mut gz = vec![0x1f, 0x8b, 0x08, 0x00];
    gz.extend_from_slice(&bytes);
    let e = error_of(dir.path(), "fake.vcf.gz", &gz)?;
    assert!(e.to_string().contains("truncated or corrupt"), "{e}");
    Ok(())
}

#[test]
fn truncated_and_corrupt_compressed_files_fail() -> TestResult {
    let dir = tempfile::tempdir()?;
    let source = sample_data("demo_cohort.vcf.gz");
    let bgzf = fs::read(&source)?;
    let half = bgzf.len() / 2;

    // BGZF cut in half: the end-of-file marker is missing.
    let e = error_of(dir.path(), "cut.vcf.gz", &bgzf[..half])?;
    assert_invalid(&e, "truncated");

    // BGZF with a damaged block in the middle but an intact end: the error names
    // the line where the damage was met.
    let mut damaged = bgzf.clone();
    for b in &mut damaged[half..half + 64] {
        *b = !*b;
    }
    let e = error_of(dir.path(), "damaged.vcf.gz", &damaged)?;
    match &e {
        Error::Parse {
            location: Location::Line(l),
            message,
            ..
        } => {
            assert!(*l > 1000, "{e}");
            assert!(message.contains("truncated or corrupt"), "{e}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }

    // Plain gzip cut in half.
    let gz = dir.path().join("plain.vcf.gz");
    let src = source.to_str().ok_or("path")?;
    let dst = gz.to_str().ok_or("path")?;
    shell(&format!("bgzip -dc '{src}' | gzip -c > '{dst}'"))?;
    let plain = fs::read(&gz)?;
    let e = error_of(dir.path(), "plain_cut.vcf.gz", &plain[..plain.len() / 2])?;
    assert!(
        matches!(e, Error::Parse { location: Location::Line(l), .. } if l > 1000),
        "{e}"
    );
    assert!(e.to_string().contains("truncated or corrupt"), "{e}");

    // Raw (not BGZF-wrapped) BCF cut mid-record: the error names the record.
    let bcf = dir.path().join("x.bcf");
    let dst = bcf.to_str().ok_or("path")?;
    shell(&format!("bcftools view -Ob '{src}' | bgzip -dc > '{dst}'"))?;
    let bytes = fs::read(&bcf)?;
    assert!(bytes.starts_with(b"BCF"));
    let e = error_of(dir.path(), "cut.bcf", &bytes[..bytes.len() / 2])?;
    assert!(
        matches!(e, Error::Parse { location: Location::Record(r), .. } if r > 1000),
        "{e}"
    );
    Ok(())
}
