//! `genopriv inspect` against `bcftools stats` and `bcftools query`.

use std::collections::HashMap;
use std::path::Path;

use genopriv_tests::{TestResult, external, genopriv_ok, sample_data, test_data};
use serde_json::Value;

/// The `SN` (summary numbers) section of `bcftools stats`, by description.
fn bcftools_summary(vcf: &Path) -> TestResult<HashMap<String, u64>> {
    let stats = external("bcftools", ["stats".as_ref(), vcf.as_os_str()])?.stdout;
    let mut out = HashMap::new();
    for line in stats.lines().filter(|l| l.starts_with("SN\t")) {
        let fields: Vec<&str> = line.split('\t').collect();
        if let [_, _, key, value] = fields[..] {
            out.insert(key.trim_end_matches(':').to_owned(), value.parse()?);
        }
    }
    Ok(out)
}

fn sn(summary: &HashMap<String, u64>, key: &str) -> TestResult<u64> {
    Ok(*summary
        .get(key)
        .ok_or_else(|| format!("bcftools stats has no {key:?}"))?)
}

/// Runs `genopriv inspect --json` and parses stdout, which must be exactly one
/// JSON object.
fn inspect_json(input: &Path, extra: &[&str]) -> TestResult<Value> {
    let mut args = vec!["inspect".as_ref(), input.as_os_str(), "--json".as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let run = genopriv_ok(args)?;
    let value: Value = serde_json::from_str(&run.stdout)
        .map_err(|e| format!("stdout is not one JSON value ({e}): {}", run.stdout))?;
    assert!(value.is_object(), "not an object: {value}");
    Ok(value)
}

fn count(v: &Value, key: &str) -> TestResult<u64> {
    Ok(v[key]
        .as_u64()
        .ok_or_else(|| format!("{key} is not a count in {v}"))?)
}

fn skipped(v: &Value, reason: &str) -> TestResult<u64> {
    Ok(v["skipped"][reason]
        .as_u64()
        .ok_or_else(|| format!("skipped.{reason} missing in {v}"))?)
}

/// The missing fraction of the GT calls of the biallelic SNPs, by `bcftools query`.
fn bcftools_missing_rate(vcf: &Path) -> TestResult<f64> {
    let view = external(
        "bcftools",
        ["view", "-m2", "-M2", "-v", "snps", "-Ov"]
            .iter()
            .map(std::ffi::OsStr::new)
            .chain([vcf.as_os_str()]),
    )?;
    let dir = tempfile::tempdir()?;
    let snps = dir.path().join("snps.vcf");
    std::fs::write(&snps, view.stdout)?;
    let gts = external(
        "bcftools",
        [
            "query".as_ref(),
            "-f".as_ref(),
            "[%GT\\n]".as_ref(),
            snps.as_os_str(),
        ],
    )?
    .stdout;
    let (mut missing, mut total) = (0u64, 0u64);
    for gt in gts.lines() {
        total += 1;
        if gt.contains('.') {
            missing += 1;
        }
    }
    Ok(missing as f64 / total as f64)
}

#[test]
fn inspect_counts_match_bcftools_on_demo_cohort() -> TestResult {
    let vcf = sample_data("demo_cohort.vcf.gz");
    let bcf = bcftools_summary(&vcf)?;
    let ours = inspect_json(&vcf, &[])?;
    assert_eq!(count(&ours, "n_samples")?, sn(&bcf, "number of samples")?);
    assert_eq!(count(&ours, "n_variants")?, sn(&bcf, "number of SNPs")?);
    assert_eq!(count(&ours, "n_variants")?, sn(&bcf, "number of records")?);
    for reason in ["multi_allelic", "not_snp", "no_alt", "symbolic"] {
        assert_eq!(skipped(&ours, reason)?, 0, "{reason}");
    }
    assert_eq!(ours["missing_rate"].as_f64(), Some(0.0));
    assert_eq!(ours["format"], "vcf");
    assert!(
        ours["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("demo_cohort.vcf.gz"))
    );
    // The digest of the file's bytes, checked against sha256sum.
    let digest = external("sha256sum", [vcf.as_os_str()])?.stdout;
    assert_eq!(ours["sha256"].as_str(), digest.split_whitespace().next());
    // Every variant is in exactly one place of the MAF spectrum.
    let spectrum = &ours["maf_spectrum"];
    let in_bins: u64 = spectrum["bins"]
        .as_array()
        .ok_or("no bins")?
        .iter()
        .filter_map(|b| b["count"].as_u64())
        .sum();
    let rest: u64 = ["monomorphic", "outside", "undefined"]
        .iter()
        .filter_map(|k| spectrum[k].as_u64())
        .sum();
    assert_eq!(in_bins + rest, count(&ours, "n_variants")?);
    Ok(())
}

#[test]
fn inspect_counts_skipped_records_like_bcftools() -> TestResult {
    let vcf = test_data("mixed.vcf");
    let bcf = bcftools_summary(&vcf)?;
    let ours = inspect_json(&vcf, &[])?;
    let multi_snp = sn(&bcf, "number of multiallelic SNP sites")?;
    assert_eq!(count(&ours, "n_samples")?, sn(&bcf, "number of samples")?);
    assert_eq!(
        count(&ours, "n_variants")?,
        sn(&bcf, "number of SNPs")? - multi_snp,
        "biallelic SNPs"
    );
    assert_eq!(
        skipped(&ours, "multi_allelic")?,
        sn(&bcf, "number of multiallelic sites")?
    );
    // This file's indels and MNPs are all biallelic.
    assert_eq!(
        skipped(&ours, "not_snp")?,
        sn(&bcf, "number of indels")? + sn(&bcf, "number of MNPs")?
    );
    assert_eq!(skipped(&ours, "no_alt")?, sn(&bcf, "number of no-ALTs")?);
    assert_eq!(skipped(&ours, "symbolic")?, sn(&bcf, "number of others")?);
    let all: u64 = ["multi_allelic", "not_snp", "no_alt", "symbolic"]
        .iter()
        .map(|r| skipped(&ours, r))
        .sum::<TestResult<u64>>()?;
    assert_eq!(
        all + count(&ours, "n_variants")?,
        sn(&bcf, "number of records")?
    );
    let want = bcftools_missing_rate(&vcf)?;
    let got = ours["missing_rate"].as_f64().ok_or("no missing_rate")?;
    assert!(
        (got - want).abs() < 1e-12,
        "missing rate {got} vs bcftools {want}"
    );
    Ok(())
}

#[test]
fn reader_flags_keep_what_they_name() -> TestResult {
    let vcf = test_data("mixed.vcf");
    let bcf = bcftools_summary(&vcf)?;

    // Splitting: as many SNPs as after `bcftools norm -m-` (one record per ALT).
    let dir = tempfile::tempdir()?;
    let split_vcf = dir.path().join("split.vcf");
    external(
        "bcftools",
        [
            "norm".as_ref(),
            "-m-".as_ref(),
            "-Ov".as_ref(),
            "-o".as_ref(),
            split_vcf.as_os_str(),
            vcf.as_os_str(),
        ],
    )?;
    let split_bcf = bcftools_summary(&split_vcf)?;
    let split = inspect_json(&vcf, &["--split-multiallelic"])?;
    assert_eq!(
        count(&split, "n_variants")?,
        sn(&split_bcf, "number of SNPs")?
    );
    assert_eq!(
        count(&split, "split_records")?,
        sn(&bcf, "number of multiallelic sites")?
    );
    assert_eq!(skipped(&split, "multi_allelic")?, 0);

    // Keeping non-SNPs: the biallelic indels and MNPs join the SNPs.
    let kept = inspect_json(&vcf, &["--keep-non-snps"])?;
    assert_eq!(
        count(&kept, "n_variants")?,
        sn(&bcf, "number of SNPs")? - sn(&bcf, "number of multiallelic SNP sites")?
            + sn(&bcf, "number of indels")?
            + sn(&bcf, "number of MNPs")?
    );
    assert_eq!(skipped(&kept, "not_snp")?, 0);
    Ok(())
}

#[test]
fn inspect_text_names_the_numbers() -> TestResult {
    let vcf = test_data("mixed.vcf");
    let run = genopriv_ok(["inspect".as_ref(), vcf.as_os_str()])?;
    for want in [
        "Samples:   5",
        "Variants:  3",
        "Skipped:   7 records",
        "multi-allelic records",
    ] {
        assert!(
            run.stdout.contains(want),
            "{want:?} not in:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stderr.is_empty(),
        "progress or noise on a non-terminal stderr: {}",
        run.stderr
    );
    Ok(())
}

#[test]
fn inspect_counts_cases_and_controls_of_the_phenotype_table() -> TestResult {
    let vcf = sample_data("demo_cohort.vcf.gz");
    let pheno = sample_data("demo_cohort.pheno.tsv");
    // Independent count straight from the table: column `case` is 1 or 0.
    let text = std::fs::read_to_string(&pheno)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or("empty phenotype table")?
        .split('\t')
        .collect();
    let col = header
        .iter()
        .position(|h| *h == "case")
        .ok_or("no case column")?;
    let (mut cases, mut controls) = (0u64, 0u64);
    for line in lines {
        match line.split('\t').nth(col) {
            Some("1") => cases += 1,
            Some("0") => controls += 1,
            other => return Err(format!("unexpected case value {other:?}").into()),
        }
    }
    assert!(cases > 0 && controls > 0);
    let ours = inspect_json(&vcf, &["--pheno", pheno.to_str().ok_or("path")?])?;
    assert_eq!(count(&ours, "cases")?, cases);
    assert_eq!(count(&ours, "controls")?, controls);
    assert_eq!(
        ours["phenotype"]["matched"].as_u64(),
        Some(cases + controls)
    );
    // Without --pheno there are no case/control fields.
    let plain = inspect_json(&vcf, &[])?;
    assert!(plain.get("cases").is_none());
    Ok(())
}
