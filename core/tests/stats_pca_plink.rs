//! Principal components and SNP–label correlations of the demo cohort against
//! plink 1.9 (`--pca`, and `--model`'s TREND test: N·r² is the trend chi-square).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use genopriv_core::data::ReadOptions;
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::read::read_genotypes;
use genopriv_core::job;
use genopriv_core::stats::{label_correlations, pca, top_label_correlations};

fn sample_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample_data")
        .join(name)
}

fn plink(args: &[&str], dir: &Path) {
    let out = Command::new("plink1.9")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("plink1.9 must be installed for this test");
    assert!(
        out.status.success(),
        "plink1.9 failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn demo_cohort_matches_plink() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = sample_data("demo_cohort.vcf.gz");
    let vcf = vcf.to_str().unwrap();
    let cohort =
        job::unattended(|job| read_genotypes(Path::new(vcf), &ReadOptions::default(), job))
            .unwrap()
            .matrix;
    let table = read_phenotypes(&sample_data("demo_cohort.pheno.tsv"), None).unwrap();
    let joined = join(&table, cohort.samples());
    let status = table.case_control(&joined, "case").unwrap().status;

    // Principal components.
    plink(
        &["--vcf", vcf, "--pca", "2", "--allow-no-sex", "--out", "p"],
        dir.path(),
    );
    let ours = job::unattended(|job| pca(&cohort, 2, job)).unwrap();
    let eigenval: Vec<f64> = std::fs::read_to_string(dir.path().join("p.eigenval"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    for (c, expected) in eigenval.iter().enumerate() {
        let got = ours.eigenvalues[c];
        assert!(
            (got - expected).abs() <= 1e-4 * expected,
            "eigenvalue {c}: {got} vs plink {expected}"
        );
    }
    let rows: HashMap<String, Vec<f64>> = std::fs::read_to_string(dir.path().join("p.eigenvec"))
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[1].to_string(),
                f[2..].iter().map(|v| v.parse().unwrap()).collect(),
            )
        })
        .collect();
    for (c, component) in ours.eigenvectors.iter().enumerate() {
        let theirs: Vec<f64> = cohort.samples().iter().map(|s| rows[s][c]).collect();
        let sign = component
            .iter()
            .zip(&theirs)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            .signum();
        for (a, b) in component.iter().zip(&theirs) {
            assert!((sign * a - b).abs() < 1e-4, "component {c}: {a} vs {b}");
        }
    }

    // Trend test.
    let pheno = dir.path().join("pheno.txt");
    let lines: Vec<String> = cohort
        .samples()
        .iter()
        .zip(&status)
        .filter_map(|(s, st)| st.map(|case| format!("{s} {s} {}", u8::from(case))))
        .collect();
    std::fs::write(&pheno, lines.join("\n")).unwrap();
    plink(
        &[
            "--vcf",
            vcf,
            "--pheno",
            pheno.to_str().unwrap(),
            "--1",
            "--model",
            "--allow-no-sex",
            "--out",
            "m",
        ],
        dir.path(),
    );
    let trend: HashMap<String, f64> = std::fs::read_to_string(dir.path().join("m.model"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("TREND"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some((f[1].to_string(), f[7].parse().ok()?))
        })
        .collect();
    let correlations = label_correlations(&cohort, &status).unwrap();
    let mut compared = 0;
    for (variant, c) in cohort.variants().iter().zip(&correlations) {
        let (Some(c), Some(expected)) = (c, trend.get(&variant.id)) else {
            continue;
        };
        let got = c.trend_chi_square();
        // plink prints 4 significant digits.
        assert!(
            (got - expected).abs() <= 1e-3 * expected.max(1e-2),
            "{}: {got} vs plink {expected}",
            variant.id
        );
        compared += 1;
    }
    assert!(compared > 10_000, "only {compared} SNPs compared");
    let top = top_label_correlations(&cohort, &status, 10).unwrap();
    let mut by_plink: Vec<(&String, &f64)> = trend.iter().collect();
    by_plink.sort_by(|a, b| b.1.total_cmp(a.1));
    assert_eq!(
        cohort.variants()[top[0].variant].id,
        *by_plink[0].0,
        "the strongest SNP"
    );
    let plink_tenth = *by_plink[9].1;
    assert!(
        top.iter()
            .all(|c| c.trend_chi_square() >= plink_tenth * (1.0 - 1e-3))
    );
}
