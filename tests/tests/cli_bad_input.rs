//! Every file of the bad-input corpus (`tests/data/bad/`) must make `inspect`,
//! `freq` and `convert` fail cleanly: a non-zero exit code, one message naming the
//! file (and the line, record or byte when the problem is at one place), no panic,
//! and no output file left behind.

use std::fs;

use genopriv_tests::{TestResult, files_in, genopriv, test_data};

/// Where the message must point. Problems found at one place name it; problems
/// of the whole file (a missing BGZF end marker, a .bed shorter than its .bim
/// requires, no variants) must say what is wrong instead.
enum Expect {
    /// A line, record or byte number.
    Location,
    /// A file-level problem; the message must contain this word (any case).
    Word(&'static str),
    /// A file-level problem with no fixed wording.
    FileOnly,
}

/// (file under `tests/data/bad/`, what the message must contain).
const CORPUS: &[(&str, Expect)] = &[
    ("truncated.vcf.gz", Expect::Word("truncated")),
    ("truncated_gzip.vcf.gz", Expect::Location),
    ("wrong_columns.vcf", Expect::Location),
    ("non_numeric_gt.vcf", Expect::Location),
    ("duplicate_samples.vcf", Expect::Word("duplicate")),
    ("empty.vcf", Expect::Word("empty")),
    ("header_only.vcf", Expect::Word("no variant")),
    ("random_bytes.vcf", Expect::Location),
    ("no_gt.vcf", Expect::Word("GT")),
    ("non_numeric.csv", Expect::Location),
    ("wrong_columns.csv", Expect::Location),
    ("duplicate_samples.csv", Expect::Word("duplicate")),
    ("header_only.csv", Expect::FileOnly),
    ("bad_magic.bed", Expect::Location),
    ("short.bed", Expect::Word("truncated")),
];

fn has_location(message: &str) -> bool {
    ["line ", "record ", "byte "].iter().any(|word| {
        message
            .match_indices(word)
            .any(|(i, w)| message[i + w.len()..].starts_with(|c: char| c.is_ascii_digit()))
    })
}

#[test]
fn every_bad_file_fails_cleanly_in_every_command() -> TestResult {
    let mut failures = Vec::new();
    for (name, expect) in CORPUS {
        let input = test_data(&format!("bad/{name}"));
        assert!(
            input.is_file(),
            "corpus file {} is missing",
            input.display()
        );
        // The name without extensions, which the message must mention (a PLINK set
        // may be reported by its .bed, .bim or .fam).
        let stem = name.split('.').next().unwrap_or(name);
        for command in ["inspect", "freq", "convert"] {
            let out_dir = tempfile::tempdir()?;
            let out = out_dir.path().join("out.vcf.gz");
            let out_tsv = out_dir.path().join("out.tsv");
            let run = match command {
                "inspect" => genopriv(["inspect".as_ref(), input.as_os_str()])?,
                "freq" => genopriv([
                    "freq".as_ref(),
                    input.as_os_str(),
                    "--out".as_ref(),
                    out_tsv.as_os_str(),
                ])?,
                _ => genopriv([
                    "convert".as_ref(),
                    input.as_os_str(),
                    "--out".as_ref(),
                    out.as_os_str(),
                ])?,
            };
            let err = run.stderr.trim();
            let mut problems = Vec::new();
            if run.success {
                problems.push("exited with success".to_owned());
            }
            if run.code.is_none() {
                problems.push("was killed by a signal".to_owned());
            }
            if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
                problems.push("panicked".to_owned());
            }
            if !err.contains(stem) {
                problems.push("does not name the file".to_owned());
            }
            if err.lines().count() != 1 {
                problems.push("is not one paragraph".to_owned());
            }
            match expect {
                Expect::Location if !has_location(err) => {
                    problems.push("does not give the line/record/byte".to_owned());
                }
                Expect::Word(w) if !err.to_lowercase().contains(&w.to_lowercase()) => {
                    problems.push(format!("does not say {w:?}"));
                }
                _ => {}
            }
            let left = files_in(out_dir.path())?;
            if !left.is_empty() {
                problems.push(format!("left files behind: {left:?}"));
            }
            if !run.stdout.is_empty() {
                problems.push("printed on stdout".to_owned());
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "{command} {name}: {} — stderr: {err}",
                    problems.join(", ")
                ));
            }
        }
        // The corpus itself is never modified.
        assert!(fs::metadata(&input)?.is_file());
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

#[test]
fn location_detection_is_strict() {
    assert!(has_location("x.vcf, line 12: bad"));
    assert!(has_location("x.bed, record 3: short"));
    assert!(!has_location("x.vcf: no line given"));
    assert!(!has_location("x.vcf: line of samples"));
}

#[test]
fn a_missing_file_is_named_once_with_its_reason_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("not_there.vcf");
    let run = genopriv(["inspect".as_ref(), missing.as_os_str()])?;
    assert!(!run.success && run.code == Some(1), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("not_there.vcf").count(),
        1,
        "{}",
        run.stderr
    );
    // The operating system's reason, said once (not again as the error's cause).
    assert_eq!(
        run.stderr.matches("os error 2").count(),
        1,
        "{}",
        run.stderr
    );
    Ok(())
}
