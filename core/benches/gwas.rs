//! The allelic GWAS of `plink --assoc` on 2,000 people (about half cases) x 27,000
//! SNPs, timed against plink1.9 itself on the same `.bed` (target: no slower).
//!
//! The data are `plink1.9 --dummy` output (1 % missing calls); plink1.9 must be
//! installed. Before timing, our statistics are checked against plink's `.assoc`.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use genopriv_core::data::ReadOptions;
use genopriv_core::data::read::read_genotypes;
use genopriv_core::job;
use genopriv_core::stats::gwas::{allelic_tests_split, association_tests_split};

fn plink(args: &[&str], prefix: &Path) -> bool {
    let status = Command::new("plink1.9")
        .args(args)
        .arg("--out")
        .arg(prefix)
        .output();
    assert!(
        matches!(&status, Ok(out) if out.status.success()),
        "plink1.9 {args:?} failed (is plink1.9 installed?): {status:?}"
    );
    true
}

/// Case status from the `.fam` phenotype column (2 = case).
fn cases_of(fam: &Path) -> Vec<bool> {
    let text = std::fs::read_to_string(fam).unwrap_or_default();
    text.lines()
        .map(|line| line.split_whitespace().nth(5) == Some("2"))
        .collect()
}

/// plink's CHISQ per SNP id from an `.assoc` file.
fn plink_chi_squares(assoc: &Path) -> HashMap<String, f64> {
    let text = std::fs::read_to_string(assoc).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            Some((fields.get(1)?.to_string(), fields.get(7)?.parse().ok()?))
        })
        .collect()
}

fn gwas(c: &mut Criterion) {
    let dir = tempfile::tempdir();
    assert!(dir.is_ok(), "a temporary folder is needed: {dir:?}");
    let Ok(dir) = dir else { return };
    let prefix = dir.path().join("dummy");
    let prefix_arg = prefix.to_string_lossy().to_string();
    plink(
        &[
            "--dummy",
            "2000",
            "27000",
            "0.01",
            "0",
            "acgt",
            "--seed",
            "7",
            "--make-bed",
        ],
        &prefix,
    );
    let bed = prefix.with_extension("bed");
    let load = || {
        job::unattended(|job| read_genotypes(&bed, &ReadOptions::default(), job))
            .map(|dataset| dataset.matrix)
    };
    let loaded = load();
    assert!(loaded.is_ok(), "the dummy .bed must load: {loaded:?}");
    let Ok(matrix) = loaded else { return };
    let is_case = cases_of(&prefix.with_extension("fam"));
    assert_eq!((matrix.n_samples(), matrix.n_variants()), (2000, 27_000));
    let cases = is_case.iter().filter(|&&case| case).count();
    assert!(cases > 800 && cases < 1200, "{cases} cases of 2,000");

    // Our allelic chi-square must be plink's (to its printed 4 significant digits).
    plink(
        &["--bfile", &prefix_arg, "--assoc", "--allow-no-sex"],
        &prefix,
    );
    let theirs = plink_chi_squares(&prefix.with_extension("assoc"));
    let ours = job::unattended(|job| allelic_tests_split(&matrix, &is_case, job));
    assert!(ours.is_ok(), "allelic tests: {ours:?}");
    let ours = ours.unwrap_or_default();
    let mut compared = 0;
    for (variant, test) in matrix.variants().iter().zip(&ours) {
        let Some(&expected) = theirs.get(&variant.id) else {
            continue;
        };
        let got = test.chi_square.statistic;
        assert!(
            (got - expected).abs() <= 1e-3 * expected.abs() + 1e-4,
            "{}: plink CHISQ {expected}, ours {got}",
            variant.id
        );
        compared += 1;
    }
    assert_eq!(compared, 27_000, "every SNP compared with plink");

    let mut group = c.benchmark_group("gwas 2k x 27k");
    group.sample_size(20);
    group.bench_function("plink1.9 --bfile --assoc (whole process)", |b| {
        b.iter(|| {
            plink(
                &["--bfile", &prefix_arg, "--assoc", "--allow-no-sex"],
                &prefix,
            )
        })
    });
    group.bench_function("read .bed + allelic tests", |b| {
        b.iter(|| {
            load().and_then(|matrix| {
                job::unattended(|job| allelic_tests_split(&matrix, &is_case, job))
                    .map(|tests| black_box(tests.len()))
            })
        })
    });
    group.bench_function("allelic tests (loaded)", |b| {
        b.iter(|| {
            job::unattended(|job| allelic_tests_split(black_box(&matrix), &is_case, job))
                .map(|tests| tests.len())
        })
    });
    group.bench_function("four tests (loaded)", |b| {
        b.iter(|| {
            job::unattended(|job| association_tests_split(black_box(&matrix), &is_case, job))
                .map(|tests| tests.len())
        })
    });
    group.finish();
}

criterion_group!(benches, gwas);
criterion_main!(benches);
