//! `genopriv synth` end to end on the first 300 SNPs of the demo cohort: bcftools
//! reads the synthetic VCF, the report's allele-frequency error is recomputed
//! from `bcftools +fill-tags` on the training samples and the synthetic file,
//! the side files are there, seeded runs repeat, and bad inputs fail cleanly
//! leaving nothing behind.

use std::fs;
use std::path::{Path, PathBuf};

use genopriv_tests::{
    TestResult, external, files_in, first_300_snps, genopriv, genopriv_ok, sample_data,
};

/// The demo cohort's first 300 SNPs.
fn small_cohort(dir: &Path) -> TestResult<PathBuf> {
    let out = dir.join("small.vcf.gz");
    first_300_snps("demo_cohort.vcf.gz", None, &out)?;
    Ok(out)
}

fn synth(input: &Path, out_dir: &Path, extra: &[&str]) -> TestResult<genopriv_tests::Run> {
    let mut args: Vec<String> = vec![
        "synth".into(),
        input.display().to_string(),
        "--pheno".into(),
        sample_data("demo_cohort.pheno.tsv").display().to_string(),
        "--delta".into(),
        "1e-6".into(),
        "--out".into(),
        out_dir.join("syn.vcf.gz").display().to_string(),
        "--report".into(),
        out_dir.join("report.json").display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    genopriv(args)
}

/// Alternate-allele frequencies from `bcftools +fill-tags -t AF`, optionally
/// on a subset of samples.
fn bcftools_af(vcf: &Path, samples: Option<&Path>, dir: &Path) -> TestResult<Vec<f64>> {
    let tagged = dir.join(format!(
        "af_{}.vcf",
        vcf.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    let source = match samples {
        Some(list) => {
            let subset = dir.join("subset.vcf");
            external(
                "bcftools",
                [
                    "view".as_ref(),
                    "-S".as_ref(),
                    list.as_os_str(),
                    "-o".as_ref(),
                    subset.as_os_str(),
                    vcf.as_os_str(),
                ],
            )?;
            subset
        }
        None => vcf.to_path_buf(),
    };
    external(
        "bcftools",
        [
            "+fill-tags".as_ref(),
            source.as_os_str(),
            "-o".as_ref(),
            tagged.as_os_str(),
            "--".as_ref(),
            "-t".as_ref(),
            "AF".as_ref(),
        ],
    )?;
    let run = external(
        "bcftools",
        [
            "query".as_ref(),
            "-f".as_ref(),
            "%AF\n".as_ref(),
            tagged.as_os_str(),
        ],
    )?;
    run.stdout
        .lines()
        .map(|l| Ok(l.parse::<f64>().map_err(|e| format!("AF {l:?}: {e}"))?))
        .collect()
}

#[test]
fn synthetic_vcf_is_read_by_bcftools_and_its_af_error_recomputes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = small_cohort(dir.path())?;
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir)?;
    let run = synth(&input, &out_dir, &["--epsilon", "5", "--seed", "7"])?;
    assert!(run.success, "{}", run.stderr);
    let synthetic = out_dir.join("syn.vcf.gz");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out_dir.join("report.json"))?)?;

    // Sample and variant counts as bcftools sees them.
    let samples = external(
        "bcftools",
        ["query".as_ref(), "-l".as_ref(), synthetic.as_os_str()],
    )?;
    assert_eq!(samples.stdout.lines().count(), 300);
    let records = external(
        "bcftools",
        ["view".as_ref(), "-H".as_ref(), synthetic.as_os_str()],
    )?;
    assert_eq!(records.stdout.lines().count(), 300);
    let header = external(
        "bcftools",
        ["view".as_ref(), "-h".as_ref(), synthetic.as_os_str()],
    )?;
    for line in [
        "##genopriv_epsilon=5",
        "##genopriv_delta=0.000001",
        "##genopriv_seed=7",
    ] {
        assert!(header.stdout.contains(line), "missing {line}");
    }
    assert!(header.stdout.contains("##genopriv_not_for_release="));

    // The report's allele-frequency error from bcftools on both files.
    let training: Vec<String> = report["training_samples"]
        .as_array()
        .ok_or("no training_samples")?
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    assert_eq!(training.len(), 300);
    let list = dir.path().join("training.txt");
    fs::write(&list, training.join("\n") + "\n")?;
    let real_af = bcftools_af(&input, Some(&list), dir.path())?;
    let synthetic_af = bcftools_af(&synthetic, None, dir.path())?;
    assert_eq!(real_af.len(), synthetic_af.len());
    let errors: Vec<f64> = real_af
        .iter()
        .zip(&synthetic_af)
        .map(|(a, b)| (a - b).abs())
        .collect();
    let mae = errors.iter().sum::<f64>() / errors.len() as f64;
    let max = errors.iter().copied().fold(0.0, f64::max);
    let reported = &report["allele_frequency"];
    // bcftools prints six significant digits.
    let mae_reported = reported["mean_absolute_error"].as_f64().ok_or("no MAE")?;
    let max_reported = reported["max_absolute_error"].as_f64().ok_or("no max")?;
    assert!((mae - mae_reported).abs() < 1e-5, "{mae} vs {mae_reported}");
    assert!((max - max_reported).abs() < 1e-5, "{max} vs {max_reported}");

    // Side files: the phenotype table and the manifest.
    let pheno = fs::read_to_string(out_dir.join("syn.pheno.tsv"))?;
    let mut lines = pheno.lines();
    assert_eq!(lines.next(), Some("sample_id\tcase"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 300);
    assert!(
        rows.iter()
            .all(|r| r.ends_with("\t0") || r.ends_with("\t1"))
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out_dir.join("syn.manifest.json"))?)?;
    assert_eq!(manifest, report["manifest"]);
    assert_eq!(manifest["inputs"].as_array().map(Vec::len), Some(2));
    let spent: f64 = manifest["measurements"]
        .as_array()
        .ok_or("no measurements")?
        .iter()
        .filter_map(|m| m["rho"].as_f64())
        .sum();
    let total = manifest["rho"].as_f64().ok_or("no rho")?;
    assert!(
        spent <= total && spent > 0.999 * total,
        "{spent} of {total}"
    );

    // The same seed again: the same synthetic genotypes and phenotypes.
    let again_dir = dir.path().join("again");
    fs::create_dir(&again_dir)?;
    genopriv_ok([
        "synth",
        &input.display().to_string(),
        "--pheno",
        &sample_data("demo_cohort.pheno.tsv").display().to_string(),
        "--epsilon",
        "5",
        "--delta",
        "1e-6",
        "--seed",
        "7",
        "--out",
        &again_dir.join("syn.vcf.gz").display().to_string(),
        "--report",
        &again_dir.join("report.json").display().to_string(),
    ])?;
    let body = |p: &Path| external("bcftools", ["view".as_ref(), "-H".as_ref(), p.as_os_str()]);
    assert_eq!(
        body(&synthetic)?.stdout,
        body(&again_dir.join("syn.vcf.gz"))?.stdout
    );
    assert_eq!(pheno, fs::read_to_string(again_dir.join("syn.pheno.tsv"))?);
    Ok(())
}

#[test]
fn a_release_run_carries_no_seed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = small_cohort(dir.path())?;
    let run = synth(
        &input,
        dir.path(),
        &["--epsilon", "2", "--order", "2", "--n-synthetic", "120"],
    )?;
    assert!(run.success, "{}", run.stderr);
    let synthetic = dir.path().join("syn.vcf.gz");
    let header = external(
        "bcftools",
        ["view".as_ref(), "-h".as_ref(), synthetic.as_os_str()],
    )?;
    assert!(!header.stdout.contains("genopriv_seed"));
    assert!(!header.stdout.contains("not_for_release"));
    let samples = external(
        "bcftools",
        ["query".as_ref(), "-l".as_ref(), synthetic.as_os_str()],
    )?;
    assert_eq!(samples.stdout.lines().count(), 120);
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("report.json"))?)?;
    assert_eq!(report["not_for_release"], serde_json::Value::Bool(false));
    assert_eq!(report["order"], 2);
    Ok(())
}

#[test]
fn bad_inputs_fail_cleanly_and_leave_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = small_cohort(dir.path())?;
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir)?;
    let cases: [(&[&str], &str); 4] = [
        (&["--epsilon=-1"], "epsilon must be a positive number"),
        (
            &["--epsilon", "1", "--case-column", "nope"],
            "no phenotype column `nope`",
        ),
        (&["--epsilon", "1", "--order", "3"], "order"),
        (&["--epsilon", "1", "--n-synthetic", "0"], "positive"),
    ];
    for (extra, expected) in cases {
        let run = synth(&input, &out_dir, extra)?;
        assert!(!run.success, "{extra:?} succeeded");
        assert!(run.stderr.contains(expected), "{extra:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(
            files_in(&out_dir)?.is_empty(),
            "{extra:?} left {:?}",
            files_in(&out_dir)?
        );
    }
    // The output may not replace the input.
    let run = genopriv([
        "synth",
        &input.display().to_string(),
        "--pheno",
        &sample_data("demo_cohort.pheno.tsv").display().to_string(),
        "--epsilon",
        "1",
        "--delta",
        "1e-6",
        "--out",
        &input.display().to_string(),
        "--report",
        &out_dir.join("r.json").display().to_string(),
    ])?;
    assert!(!run.success);
    assert!(files_in(&out_dir)?.is_empty());
    Ok(())
}
