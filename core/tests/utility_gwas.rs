//! GWAS utility of a release: λ_GC against `plink1.9 --assoc --adjust` on the
//! PROVGEN hair data, λ_GC and the QQ data under the uniform null and a known
//! inflation, and the whole release-utility report on an identical release and
//! on the coin-flip control (spec `sharing.md` §11.5).
//!
//! plink1.9 and the reference studies must be present: the tests fail, never
//! skip, without them.

mod provgen_common;

use std::process::Command;

use genopriv_core::data::GenotypeMatrix;
use genopriv_core::job;
use genopriv_core::sharing::{FlipRates, NoiseKey, TargetFrequencies, release_xor};
use genopriv_core::stats::gwas::association_tests;
use genopriv_core::utility::gwas::{
    AssociationTest, CHI2_1DF_MEDIAN, GwasDesign, genomic_inflation, qq,
};
use genopriv_core::utility::{ReleaseUtilitySettings, release_utility};
use provgen_common::{read_provgen_csv, study_dir, write_ped};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use statrs::distribution::{ChiSquared, ContinuousCDF};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// plink's `--adjust` divides the median chi-square by 0.456, not 0.4549364.
const PLINK_MEDIAN: f64 = 0.456;

fn hair() -> Result<(GenotypeMatrix, GenotypeMatrix), Box<dyn std::error::Error>> {
    let dir = study_dir("hair");
    Ok((
        read_provgen_csv(&dir.join("data.csv"))?,
        read_provgen_csv(&dir.join("reference.csv"))?,
    ))
}

#[test]
fn lambda_matches_plink_adjust_on_hair() -> TestResult {
    let (cases, controls) = hair()?;
    let dir = tempfile::tempdir()?;
    let prefix = dir.path().join("hair");
    write_ped(&cases, &controls, &prefix)?;
    let output = Command::new("plink1.9")
        .arg("--file")
        .arg(&prefix)
        .args(["--assoc", "--adjust", "--allow-no-sex", "--out"])
        .arg(&prefix)
        .output()
        .map_err(|e| format!("plink1.9 could not be run (is it installed?): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "plink1.9 failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let log = std::fs::read_to_string(prefix.with_extension("log"))?;
    let theirs: f64 = log
        .lines()
        .find_map(|l| l.split("lambda (based on median chisq) = ").nth(1))
        .ok_or("no lambda in plink's log")?
        .trim_end_matches('.')
        .parse()?;

    let tests = job::unattended(|job| association_tests(&cases, &controls, job))?;
    let p: Vec<f64> = tests
        .iter()
        .map(|r| AssociationTest::Allelic.p_value(r))
        .collect();
    let ours = genomic_inflation(&p).ok_or("no lambda")?;
    // Same median statistic, plink's rounder denominator; plink prints 6 digits.
    let ours_as_plink = ours * CHI2_1DF_MEDIAN / PLINK_MEDIAN;
    assert!(
        (ours_as_plink - theirs).abs() < 1e-5 * theirs,
        "ours {ours} ({ours_as_plink} with plink's denominator), plink {theirs}"
    );
    eprintln!("hair allelic lambda_GC: ours {ours:.5}, plink {theirs}");
    Ok(())
}

#[test]
fn lambda_is_one_under_the_null_and_finds_a_known_inflation() {
    let n = 20_000;
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let uniform: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    // Delta method: sd(λ) ≈ 2.332 / √n = 0.0165 here.
    let sd = 2.332 / (n as f64).sqrt();
    let lambda = genomic_inflation(&uniform).unwrap_or(f64::NAN);
    assert!((lambda - 1.0).abs() < 4.0 * sd, "uniform: lambda {lambda}");

    // Every 1-df statistic scaled by 1.5: λ must follow.
    let Ok(chi2) = ChiSquared::new(1.0) else {
        panic!("chi-square distribution");
    };
    let inflated: Vec<f64> = uniform
        .iter()
        .map(|&p| chi2.sf(1.5 * chi2.inverse_cdf(1.0 - p)))
        .collect();
    let lambda = genomic_inflation(&inflated).unwrap_or(f64::NAN);
    assert!(
        (lambda - 1.5).abs() < 1.5 * 4.0 * sd,
        "inflated: lambda {lambda}"
    );

    // QQ of uniform p-values hugs the diagonal: the largest gap between the
    // i-th order statistic and (i - 0.5)/n is the Kolmogorov-Smirnov distance,
    // below 1.63/√n with probability 0.99.
    let data = qq(&uniform);
    let ks = data
        .points
        .iter()
        .map(|q| (10f64.powf(-q.observed) - 10f64.powf(-q.expected)).abs())
        .fold(0.0, f64::max);
    assert!(ks < 1.63 / (n as f64).sqrt() + 0.5 / n as f64, "KS {ks}");
    assert!(
        data.points
            .windows(2)
            .all(|w| w[0].observed >= w[1].observed)
    );
}

#[test]
fn release_utility_of_identity_and_coin_flip_control_on_hair() -> TestResult {
    let (cases, controls) = hair()?;
    let settings = ReleaseUtilitySettings::default();
    let design = GwasDesign::Controls(&controls);
    let same = job::unattended(|job| release_utility(&cases, &cases, design, settings, job))?;
    assert_eq!(same.records.point_error, 0.0);
    assert_eq!(same.ld.mean_abs_r_squared_difference, Some(0.0));
    assert_eq!(same.gwas.threshold_retention, 1.0);
    assert_eq!(same.gwas.ratio_retention.retention, 1.0);
    assert_eq!(same.gwas.top_k.precision, Some(1.0));
    assert_eq!(same.gwas.top_k.recall, Some(1.0));
    // floor(9389 * 0.05) and floor(9389 * 0.0625).
    assert_eq!(same.gwas.ratio_retention.original_hits, 469);
    assert_eq!(same.gwas.ratio_retention.released_hits, 586);

    // The p = 0.5 control with restoration to the private frequencies: records
    // look like random genotypes with the right frequencies (spec §11.5: PE .365,
    // ME .004, chi² retention .79), LD is gone.
    let target = TargetFrequencies::from_private_data(&cases)?;
    let release = job::unattended(|job| {
        release_xor(
            &cases,
            &FlipRates::coin_flip(cases.variants()),
            &target,
            &NoiseKey::from_seed(11),
            job,
        )
    })?;
    let control =
        job::unattended(|job| release_utility(&cases, &release.released, design, settings, job))?;
    assert!((control.records.point_error - 0.365).abs() < 0.01);
    assert!(control.records.mean_error < 0.01);
    assert!(
        (control.gwas.threshold_retention - 0.79).abs() < 0.03,
        "retention {}",
        control.gwas.threshold_retention
    );
    let original_r2 = control.ld.mean_r_squared_original.unwrap_or(f64::NAN);
    let released_r2 = control.ld.mean_r_squared_released.unwrap_or(f64::NAN);
    // Independent SNPs with n = 60: E r² ≈ 1/59 = 0.017.
    assert!(released_r2 < 0.025, "released mean r² {released_r2}");
    assert!(original_r2 > released_r2, "{original_r2} vs {released_r2}");
    eprintln!(
        "hair coin-flip control: PE {:.4}, threshold retention {:.3}, ratio retention {:.3}, \
         top-{} precision {:?}, lambda original {:?} released {:?}, LD |dr2| {:?}, r2 {:.4} -> {:.4}",
        control.records.point_error,
        control.gwas.threshold_retention,
        control.gwas.ratio_retention.retention,
        control.gwas.settings.top_k,
        control.gwas.top_k.precision,
        control.gwas.original_qq.lambda_gc,
        control.gwas.released_qq.lambda_gc,
        control.ld.mean_abs_r_squared_difference,
        original_r2,
        released_r2
    );
    // The report serialises (the GUI and CLI show it as JSON).
    let json = serde_json::to_string(&control)?;
    assert!(json.contains("\"ratio_retention\""));
    Ok(())
}
