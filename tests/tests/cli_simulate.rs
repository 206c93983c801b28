//! `genopriv simulate`: the files are what bcftools and PLINK 1.9 read, the seed
//! fixes the output, and the phenotype carries signal only when asked to.

use std::fs;
use std::path::Path;

use genopriv_tests::{TestResult, external, genopriv, genopriv_ok, whitespace_table};

fn simulate(dir: &Path, name: &str, extra: &[&str]) -> TestResult<(String, String)> {
    let vcf = dir.join(format!("{name}.vcf.gz"));
    let pheno = dir.join(format!("{name}.pheno.tsv"));
    let mut args = vec![
        "simulate".to_owned(),
        "--out".to_owned(),
        vcf.display().to_string(),
        "--pheno-out".to_owned(),
        pheno.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    genopriv_ok(&args)?;
    Ok((vcf.display().to_string(), pheno.display().to_string()))
}

/// The smallest allelic-test p-value PLINK 1.9 finds for the simulated phenotype.
fn min_assoc_p(dir: &Path, vcf: &str, pheno: &str) -> TestResult<f64> {
    // PLINK wants FID IID and 1/2 coding.
    let plink_pheno = dir.join("plink.pheno");
    let table: String = fs::read_to_string(pheno)?
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (id, case) = line.split_once('\t')?;
            Some(format!("{id} {id} {}\n", if case == "1" { 2 } else { 1 }))
        })
        .collect();
    fs::write(&plink_pheno, table)?;
    let out = dir.join("assoc");
    external(
        "plink1.9",
        [
            "--vcf",
            vcf,
            "--double-id",
            "--allow-no-sex",
            "--pheno",
            &plink_pheno.display().to_string(),
            "--assoc",
            "--out",
            &out.display().to_string(),
        ],
    )?;
    let (header, rows) = whitespace_table(&fs::read_to_string(dir.join("assoc.assoc"))?);
    let p = header.iter().position(|h| h == "P").ok_or("no P column")?;
    rows.iter()
        .filter_map(|row| row.get(p)?.parse::<f64>().ok())
        .reduce(f64::min)
        .ok_or_else(|| "plink reported no p-value".into())
}

#[test]
fn simulated_cohort_is_read_by_bcftools_and_fixed_by_its_seed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vcf, pheno) = simulate(
        dir.path(),
        "a",
        &["--samples", "150", "--snps", "80", "--seed", "3"],
    )?;
    let samples = external("bcftools", ["query", "-l", &vcf])?.stdout;
    let samples: Vec<&str> = samples.lines().collect();
    assert_eq!(samples.len(), 150);
    let records = external("bcftools", ["view", "-H", &vcf])?.stdout;
    assert_eq!(records.lines().count(), 80);
    // The phenotype rows name the VCF's samples, in order, coded 0/1.
    let text = fs::read_to_string(&pheno)?;
    let rows: Vec<(&str, &str)> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .collect();
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), samples);
    assert!(rows.iter().all(|r| r.1 == "0" || r.1 == "1"));

    let (again, _) = simulate(
        dir.path(),
        "b",
        &["--samples", "150", "--snps", "80", "--seed", "3"],
    )?;
    let (other, _) = simulate(
        dir.path(),
        "c",
        &["--samples", "150", "--snps", "80", "--seed", "4"],
    )?;
    assert_eq!(fs::read(&vcf)?, fs::read(&again)?, "one seed, one cohort");
    assert_ne!(
        fs::read(&vcf)?,
        fs::read(&other)?,
        "another seed, another cohort"
    );
    Ok(())
}

#[test]
fn phenotype_carries_signal_only_when_causal_snps_are_asked_for() -> TestResult {
    let dir = tempfile::tempdir()?;
    let common = ["--samples", "2000", "--snps", "200", "--seed", "9"];
    let (vcf, pheno) = simulate(
        dir.path(),
        "signal",
        &[&common[..], &["--causal", "10", "--effect-sd", "1.0"]].concat(),
    )?;
    assert!(min_assoc_p(dir.path(), &vcf, &pheno)? < 1e-8);
    let (vcf, pheno) = simulate(
        dir.path(),
        "null",
        &[&common[..], &["--causal", "0"]].concat(),
    )?;
    // 200 tests under the null: the smallest p-value is rarely below 1e-4.
    assert!(min_assoc_p(dir.path(), &vcf, &pheno)? > 1e-4);
    let cases = fs::read_to_string(&pheno)?
        .lines()
        .skip(1)
        .filter(|l| l.ends_with("\t1"))
        .count();
    // Binomial(2000, 0.5): 4 standard deviations is 89.
    assert!((911..=1089).contains(&cases), "{cases} cases of 2000");
    Ok(())
}

#[test]
fn same_file_for_genotypes_and_phenotypes_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("x.tsv").display().to_string();
    let run = genopriv(["simulate", "--out", &out, "--pheno-out", &out])?;
    assert!(!run.success);
    assert!(run.stderr.contains("same file"), "{}", run.stderr);
    assert!(!Path::new(&out).exists());
    Ok(())
}
