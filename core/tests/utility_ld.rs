//! LD statistics of a release: the composite r² against `plink1.9 --r2` on a
//! slice of the demo cohort, and LD preservation on a release that keeps the
//! genotypes against one that shuffles each SNP's calls across samples.
//!
//! plink1.9 and bcftools must be installed (CI installs them): the test fails,
//! never skips, without them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use genopriv_core::data::read::read_genotypes;
use genopriv_core::data::{GenotypeMatrix, ReadOptions};
use genopriv_core::job;
use genopriv_core::stats::ld::{r_squared, window_pairs};
use genopriv_core::utility::ld::{LdSettings, ld_preservation};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn run(cmd: &mut Command) -> Result<String, Box<dyn std::error::Error>> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?} (is it installed?): {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// The first 60 kb of the demo cohort (158 SNPs, 600 samples) as a plain VCF.
fn demo_slice(dir: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let vcf = dir.join("slice.vcf");
    run(Command::new("bcftools")
        .args(["view", "-Ov", "-r", "1:1-60000", "-o"])
        .arg(&vcf)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data/demo_cohort.vcf.gz")))?;
    Ok(vcf)
}

fn read(path: &Path) -> Result<GenotypeMatrix, Box<dyn std::error::Error>> {
    Ok(job::unattended(|job| read_genotypes(path, &ReadOptions::default(), job))?.matrix)
}

#[test]
fn r_squared_matches_plink() -> TestResult {
    let dir = tempfile::tempdir()?;
    let vcf = demo_slice(dir.path())?;
    let prefix = dir.path().join("ld");
    // plink's --ld-window counts the SNP itself: 11 = the next 10 SNPs.
    run(Command::new("plink1.9")
        .arg("--vcf")
        .arg(&vcf)
        .args([
            "--r2",
            "--ld-window",
            "11",
            "--ld-window-kb",
            "1000",
            "--ld-window-r2",
            "0",
            "--double-id",
            "--out",
        ])
        .arg(&prefix))?;
    // CHR_A BP_A SNP_A CHR_B BP_B SNP_B R2
    let mut plink: HashMap<(u64, u64), Option<f64>> = HashMap::new();
    for line in std::fs::read_to_string(prefix.with_extension("ld"))?
        .lines()
        .skip(1)
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [_, bp_a, _, _, bp_b, _, r2] = f[..] else {
            return Err(format!("unexpected .ld line: {line}").into());
        };
        plink.insert((bp_a.parse()?, bp_b.parse()?), r2.parse().ok());
    }

    let matrix = read(&vcf)?;
    let settings = LdSettings::default();
    let pairs = window_pairs(
        matrix.variants(),
        settings.max_lag,
        settings.max_distance_bp,
    );
    assert!(matrix.n_variants() > 100 && matrix.n_samples() == 600);
    // Same pairs: plink's window is ours.
    assert_eq!(pairs.len(), plink.len());
    let mut compared = 0;
    for (i, j, _) in pairs {
        let key = (matrix.variants()[i].pos, matrix.variants()[j].pos);
        let theirs = plink
            .get(&key)
            .ok_or_else(|| format!("pair {key:?} not in plink's output"))?;
        let ours = r_squared(&matrix, i, j);
        match (ours, *theirs) {
            (Some(a), Some(b)) => {
                // plink prints 6 significant digits.
                assert!(
                    (a - b).abs() <= 1e-5 * b.abs() + 1e-9,
                    "{key:?}: ours {a}, plink {b}"
                );
                compared += 1;
            }
            (None, None) => {}
            (a, b) => return Err(format!("{key:?}: ours {a:?}, plink {b:?}").into()),
        }
    }
    assert!(compared > 1_000, "{compared}");
    Ok(())
}

#[test]
fn shuffling_samples_destroys_ld_and_identity_keeps_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let original = read(&demo_slice(dir.path())?)?;
    let same =
        job::unattended(|job| ld_preservation(&original, &original, LdSettings::default(), job))?;
    assert_eq!(same.mean_abs_r_squared_difference, Some(0.0));
    assert_eq!(same.decay_original, same.decay_released);
    assert_eq!(same.compared_pairs, same.pairs);

    // Each SNP's calls permuted independently across samples: allele
    // frequencies stay, LD goes, so E r² ≈ 1/(n − 1) ≈ 0.0017 for n = 600.
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut shuffled = GenotypeMatrix::new(original.samples().to_vec());
    for (j, variant) in original.variants().iter().enumerate() {
        let mut calls: Vec<u8> = original.calls(j).collect();
        calls.shuffle(&mut rng);
        shuffled.push_variant(variant.clone(), &calls);
    }
    let ld =
        job::unattended(|job| ld_preservation(&original, &shuffled, LdSettings::default(), job))?;
    let released = ld.mean_r_squared_released.unwrap_or(f64::NAN);
    let kept = ld.mean_r_squared_original.unwrap_or(f64::NAN);
    // sd of one r² under independence ≈ √2/(n − 1); over ~1,500 pairs the mean
    // is within 0.0017 ± 0.0004.
    assert!(released < 0.003, "shuffled mean r² {released}");
    assert!(kept > 0.05, "original mean r² {kept}");
    let diff = ld.mean_abs_r_squared_difference.unwrap_or(f64::NAN);
    assert!(
        (diff - (kept - released)).abs() < 0.01 + 0.1 * kept,
        "{diff}"
    );
    Ok(())
}
