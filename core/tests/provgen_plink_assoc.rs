//! Cross-checks the allelic chi-square against `plink1.9 --assoc` and the
//! Cochran-Armitage trend test against `plink1.9 --model` (TREND rows), on the
//! PROVGEN hair data (cases) against its reference panel (controls), and on the
//! same data after an XOR release (the released matrices are what gets tested
//! in practice). plink1.9 must be installed: the test fails if it is missing.

mod provgen_common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use genopriv_core::data::GenotypeMatrix;
use genopriv_core::job;
use genopriv_core::sharing::{NoiseKey, TargetFrequencies, calibrate, release_xor};
use genopriv_core::stats::gwas::{AssociationResult, association_tests};
use provgen_common::{read_provgen_csv, study_dir, write_ped};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn run_plink(prefix: &Path, test: &str) -> TestResult {
    let output = Command::new("plink1.9")
        .arg("--file")
        .arg(prefix)
        .args([test, "--allow-no-sex", "--out"])
        .arg(prefix)
        .output()
        .map_err(|e| format!("plink1.9 could not be run (is it installed?): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "plink1.9 {test} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

fn parse_number(field: &str) -> Option<f64> {
    field.parse().ok()
}

/// Relative agreement to plink's printed precision (4 significant digits by default).
fn agrees(ours: f64, plink: Option<f64>, what: &str, snp: &str) -> TestResult {
    match plink {
        None => {
            if ours.is_nan() {
                Ok(())
            } else {
                Err(format!("{snp} {what}: plink NA, ours {ours}").into())
            }
        }
        Some(theirs) => {
            let tolerance = 1e-3 * theirs.abs() + 1e-12;
            if (ours - theirs).abs() <= tolerance {
                Ok(())
            } else {
                Err(format!("{snp} {what}: plink {theirs}, ours {ours}").into())
            }
        }
    }
}

fn compare_with_plink(
    cases: &GenotypeMatrix,
    controls: &GenotypeMatrix,
    label: &str,
) -> TestResult {
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join(label);
    write_ped(cases, controls, &prefix)?;
    run_plink(&prefix, "--assoc")?;
    run_plink(&prefix, "--model")?;
    let ours: HashMap<String, AssociationResult> = cases
        .variants()
        .iter()
        .map(|v| format!("snp{}", v.id))
        .zip(job::unattended(|job| {
            association_tests(cases, controls, job)
        })?)
        .collect();

    // .assoc: CHR SNP BP A1 F_A F_U A2 CHISQ P OR
    let assoc = std::fs::read_to_string(prefix.with_extension("assoc"))?;
    let mut checked = 0;
    for line in assoc.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [_, snp, _, a1, _, _, _, chisq, p, or] = f[..] else {
            return Err(format!("unexpected .assoc line: {line}").into());
        };
        let r = ours.get(snp).ok_or_else(|| format!("{snp} missing"))?;
        agrees(
            r.allelic.chi_square.statistic,
            parse_number(chisq),
            "CHISQ",
            snp,
        )?;
        agrees(r.allelic.chi_square.p_value, parse_number(p), "P", snp)?;
        // plink's OR is for A1, the minor allele: ours is for the counted allele C.
        let our_or = if a1 == "C" {
            r.allelic.odds_ratio
        } else {
            1.0 / r.allelic.odds_ratio
        };
        if let Some(theirs) = parse_number(or) {
            agrees(our_or, Some(theirs), "OR", snp)?;
        }
        checked += 1;
    }
    assert_eq!(checked, cases.n_variants());

    // .model: CHR SNP A1 A2 TEST AFF UNAFF CHISQ DF P; the TREND rows.
    let model = std::fs::read_to_string(prefix.with_extension("model"))?;
    let mut trend_rows = 0;
    for line in model.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [_, snp, _, _, test, _, _, chisq, _, p] = f[..] else {
            return Err(format!("unexpected .model line: {line}").into());
        };
        if test != "TREND" {
            continue;
        }
        let r = ours.get(snp).ok_or_else(|| format!("{snp} missing"))?;
        agrees(r.trend.statistic, parse_number(chisq), "TREND CHISQ", snp)?;
        agrees(r.trend.p_value, parse_number(p), "TREND P", snp)?;
        trend_rows += 1;
    }
    assert_eq!(trend_rows, cases.n_variants());
    eprintln!("{label}: {checked} SNPs agree with plink1.9 --assoc and --model TREND");
    Ok(())
}

#[test]
fn allelic_and_trend_tests_match_plink() -> TestResult {
    let dir = study_dir("hair");
    let cases = read_provgen_csv(&dir.join("data.csv"))?;
    let controls = read_provgen_csv(&dir.join("reference.csv"))?;
    compare_with_plink(&cases, &controls, "hair_original")?;

    let calibration = job::unattended(|job| calibrate(&controls, job))?;
    let rates = calibration.flip_rates(cases.n_variants() as f64)?;
    let target = TargetFrequencies::from_private_data(&cases)?;
    let release =
        job::unattended(|job| release_xor(&cases, &rates, &target, &NoiseKey::from_seed(5), job))?;
    compare_with_plink(&release.released, &controls, "hair_released")
}
