//! Projection on a reference's principal components against plink2: components
//! fitted on the demo cohort's first 300 people (`--pca allele-wts`), the other
//! 300 projected with `--score ... variance-standardize` and the reference's
//! frequencies (plink2's documented projection recipe). plink2's scores are ours
//! up to one scale factor and sign per component.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use genopriv_core::data::ReadOptions;
use genopriv_core::data::read::read_genotypes;
use genopriv_core::job;
use genopriv_core::stats::pca_overlap::PcaProjector;

const COMPONENTS: usize = 3;

fn sample_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample_data")
        .join(name)
}

fn plink2(args: &[&str], dir: &Path) {
    let out = Command::new("plink2")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("plink2 must be installed for this test");
    assert!(
        out.status.success(),
        "plink2 failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}

#[test]
fn projection_matches_plink2_scores() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = sample_data("demo_cohort.vcf.gz");
    let cohort = job::unattended(|job| read_genotypes(&vcf, &ReadOptions::default(), job))
        .unwrap()
        .matrix;
    let n = cohort.n_samples();
    let (reference_rows, other_rows): (Vec<usize>, Vec<usize>) =
        ((0..n / 2).collect(), (n / 2..n).collect());
    let names = |rows: &[usize]| -> String {
        rows.iter()
            .map(|&i| cohort.samples()[i].clone() + "\n")
            .collect()
    };
    std::fs::write(dir.path().join("ref.txt"), names(&reference_rows)).unwrap();
    std::fs::write(dir.path().join("other.txt"), names(&other_rows)).unwrap();
    let vcf = vcf.to_str().unwrap();
    plink2(
        &[
            "--vcf",
            vcf,
            "--keep",
            "ref.txt",
            "--freq",
            "--pca",
            "3",
            "allele-wts",
            "--out",
            "ref",
        ],
        dir.path(),
    );
    plink2(
        &[
            "--vcf",
            vcf,
            "--keep",
            "other.txt",
            "--read-freq",
            "ref.afreq",
            "--score",
            "ref.eigenvec.allele",
            "2",
            "5",
            "header-read",
            "no-mean-imputation",
            "variance-standardize",
            "--score-col-nums",
            "6-8",
            "--out",
            "proj",
        ],
        dir.path(),
    );

    let reference = cohort.select_samples(&reference_rows);
    let other = cohort.select_samples(&other_rows);
    let projector = job::unattended(|job| PcaProjector::fit(&reference, COMPONENTS, job)).unwrap();
    let ours = job::unattended(|job| projector.project(&other, job)).unwrap();

    // Eigenvalues of the reference: plink2's relationship matrix is ours.
    let eigenval: Vec<f64> = std::fs::read_to_string(dir.path().join("ref.eigenval"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    for (c, expected) in eigenval.iter().enumerate() {
        let got = projector.eigenvalues[c];
        assert!(
            (got - expected).abs() <= 1e-4 * expected,
            "eigenvalue {c}: {got} vs plink2 {expected}"
        );
    }

    let scores: HashMap<String, Vec<f64>> = std::fs::read_to_string(dir.path().join("proj.sscore"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[3..].iter().map(|v| v.parse().unwrap()).collect(),
            )
        })
        .collect();
    for (c, component) in ours.iter().enumerate() {
        let theirs: Vec<f64> = other_rows
            .iter()
            .map(|&i| scores[&cohort.samples()[i]][c])
            .collect();
        let r = correlation(component, &theirs);
        assert!(r.abs() > 0.9999, "component {c}: correlation {r}");
        // One scale factor per component: the ratios agree person by person.
        let scale = component
            .iter()
            .zip(&theirs)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / theirs.iter().map(|b| b * b).sum::<f64>();
        for (a, b) in component.iter().zip(&theirs) {
            let spread = theirs.iter().map(|x| x.abs()).fold(0.0, f64::max);
            assert!(
                (a - scale * b).abs() < 1e-3 * scale.abs() * spread,
                "component {c}: {a} vs {scale} x {b}"
            );
        }
    }
}
