//! `genopriv gwas`, `share` and `sweep` end to end: the association table against
//! `plink1.9 --assoc`, a shared VCF read back by bcftools and compared genotype by
//! genotype with the report, and the published PROVGEN table reproduced through
//! `sweep` on the artifact's openSNP data.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use genopriv_tests::{TestResult, external, genopriv, genopriv_ok, sample_data, whitespace_table};

fn reference_study(dataset: &str, file: &str) -> PathBuf {
    let root = std::env::var_os("GENOPRIV_REFERENCE_STUDIES").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/reference_studies"
            ))
        },
        PathBuf::from,
    );
    root.join("provgen_opensnp").join(dataset).join(file)
}

/// Half a unit in the last printed digit of `s` (e.g. 0.0005 for "1.233",
/// 5e-8 for "3.21e-05"): the rounding error of a printed number.
fn half_last_digit(s: &str) -> f64 {
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let decimals = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
    0.5 * 10f64.powi(exponent - decimals)
}

fn number(s: &str) -> TestResult<f64> {
    Ok(s.parse::<f64>()
        .map_err(|e| format!("bad number {s:?}: {e}"))?)
}

#[test]
fn gwas_allelic_test_equals_plink_assoc() -> TestResult {
    let dir = tempfile::tempdir()?;
    let ours = dir.path().join("gwas.tsv");
    genopriv_ok([
        "gwas".as_ref(),
        sample_data("demo_cohort.vcf.gz").as_os_str(),
        "--pheno".as_ref(),
        sample_data("demo_cohort.pheno.tsv").as_os_str(),
        "--out".as_ref(),
        ours.as_os_str(),
    ])?;
    // plink's phenotype file: FID IID status, 2 = case, 1 = control.
    let pheno_text = fs::read_to_string(sample_data("demo_cohort.pheno.tsv"))?;
    let mut plink_pheno = String::new();
    for line in pheno_text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let status = if f.get(1) == Some(&"1") { 2 } else { 1 };
        plink_pheno.push_str(&format!("{0} {0} {status}\n", f[0]));
    }
    let pheno = dir.path().join("pheno.txt");
    fs::write(&pheno, plink_pheno)?;
    let prefix = dir.path().join("plink");
    external(
        "plink1.9",
        [
            "--vcf".as_ref(),
            sample_data("demo_cohort.vcf.gz").as_os_str(),
            "--double-id".as_ref(),
            "--keep-allele-order".as_ref(),
            "--allow-no-sex".as_ref(),
            "--pheno".as_ref(),
            pheno.as_os_str(),
            "--assoc".as_ref(),
            "--out".as_ref(),
            prefix.as_os_str(),
        ],
    )?;
    let (header, plink_rows) =
        whitespace_table(&fs::read_to_string(prefix.with_extension("assoc"))?);
    let plink: Vec<HashMap<&str, &str>> = plink_rows
        .iter()
        .map(|row| {
            header
                .iter()
                .map(String::as_str)
                .zip(row.iter().map(String::as_str))
                .collect()
        })
        .collect();
    let text = fs::read_to_string(&ours)?;
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id\tchrom\tpos\tstat\tp\tor"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), plink.len(), "one row per SNP in both");
    let mut compared = 0;
    for (ours, theirs) in rows.iter().zip(&plink) {
        assert_eq!(ours[0], theirs["SNP"]);
        assert_eq!(ours[2], theirs["BP"]);
        if theirs["CHISQ"] == "NA" {
            assert_eq!(ours[3], "NA", "{}", ours[0]);
            continue;
        }
        // plink rounds to 4 significant digits: ours must round to what it printed.
        for (col, name) in [(3, "CHISQ"), (4, "P"), (5, "OR")] {
            let (a, b) = (number(ours[col])?, number(theirs[name])?);
            assert!(
                (a - b).abs() <= half_last_digit(theirs[name]) * 1.000_001,
                "{} {name}: ours {a}, plink {}",
                ours[0],
                theirs[name]
            );
        }
        compared += 1;
    }
    assert!(compared > 10_000, "only {compared} SNPs compared");
    Ok(())
}

/// Alt-allele counts per (sample, SNP) of a VCF, read with bcftools.
fn alt_counts(vcf: &Path) -> TestResult<Vec<Vec<u8>>> {
    let run = external(
        "bcftools",
        [
            "query".as_ref(),
            "-f".as_ref(),
            "[%GT\t]\n".as_ref(),
            vcf.as_os_str(),
        ],
    )?;
    run.stdout
        .lines()
        .map(|line| {
            line.split('\t')
                .filter(|gt| !gt.is_empty())
                .map(|gt| {
                    let alleles: Vec<&str> = gt.split(['|', '/']).collect();
                    if alleles.contains(&".") {
                        return Err(format!("missing call {gt} in {}", vcf.display()).into());
                    }
                    Ok(alleles.iter().filter(|a| **a == "1").count() as u8)
                })
                .collect()
        })
        .collect()
}

#[test]
fn share_writes_a_marked_vcf_and_a_truthful_report() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("shared.vcf.gz");
    let report = dir.path().join("report.json");
    let run = genopriv_ok([
        "share".as_ref(),
        sample_data("demo_cohort.vcf.gz").as_os_str(),
        "--reference".as_ref(),
        sample_data("demo_reference_panel.vcf.gz").as_os_str(),
        "--pheno".as_ref(),
        sample_data("demo_cohort.pheno.tsv").as_os_str(),
        "--epsilon-per-snp".as_ref(),
        "3".as_ref(),
        "--seed".as_ref(),
        "7".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--report".as_ref(),
        report.as_os_str(),
    ])?;
    assert!(run.stdout.contains("realised"), "{}", run.stdout);
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(&report)?)?;
    for key in [
        "mechanism",
        "epsilon_nominal",
        "epsilon_realised",
        "point_error",
        "sample_error",
        "mean_error",
        "variance_error",
        "retention_rate",
        "coin_flip_retention_rate",
        "membership_tpr_at_1pct_fpr",
        "seed",
        "input_sha256",
    ] {
        assert!(json.get(key).is_some(), "report lacks {key}: {json}");
    }
    assert_eq!(json["mechanism"], "xor");
    assert_eq!(json["seed"], 7);
    assert_eq!(json["not_for_release"], true);
    let n_snps = json["n_variants"].as_f64().ok_or("n_variants")?;
    let nominal = json["epsilon_nominal"].as_f64().ok_or("epsilon_nominal")?;
    assert!((nominal - 3.0 * n_snps).abs() < 1e-6 * nominal);
    // The hash is the cohort file's, as sha256sum computes it.
    let sums = external("sha256sum", [sample_data("demo_cohort.vcf.gz")])?;
    let expected = sums.stdout.split_whitespace().next().unwrap_or_default();
    assert_eq!(json["input_sha256"], expected);
    // bcftools reads the shared file; its header says it is not for release.
    let header = external(
        "bcftools",
        ["view".as_ref(), "-h".as_ref(), out.as_os_str()],
    )?;
    assert!(
        header.stdout.contains("##genopriv_not_for_release="),
        "{}",
        header.stdout
    );
    assert!(header.stdout.contains("##genopriv_seed=7"));
    // Point error recomputed from the two files genotype by genotype.
    let original = alt_counts(&sample_data("demo_cohort.vcf.gz"))?;
    let shared = alt_counts(&out)?;
    assert_eq!(original.len(), shared.len());
    let (mut differ, mut total) = (0u64, 0u64);
    for (a, b) in original.iter().zip(&shared) {
        assert_eq!(a.len(), b.len());
        differ += a.iter().zip(b).filter(|(x, y)| x != y).count() as u64;
        total += a.len() as u64;
    }
    let pe = json["point_error"].as_f64().ok_or("point_error")?;
    assert!(
        (pe - differ as f64 / total as f64).abs() < 1e-12,
        "{pe} vs {differ}/{total}"
    );
    Ok(())
}

#[test]
fn share_explains_what_the_xor_mechanism_needs() -> TestResult {
    let dir = tempfile::tempdir()?;
    let run = genopriv([
        "share".as_ref(),
        sample_data("demo_cohort.vcf.gz").as_os_str(),
        "--epsilon".as_ref(),
        "100".as_ref(),
        "--out".as_ref(),
        dir.path().join("x.vcf.gz").as_os_str(),
        "--report".as_ref(),
        dir.path().join("x.json").as_os_str(),
    ])?;
    assert!(!run.success);
    assert!(run.stderr.contains("reference panel"), "{}", run.stderr);
    assert!(
        fs::read_dir(dir.path())?.next().is_none(),
        "nothing may be left behind"
    );
    Ok(())
}

/// Mean of a column per (mechanism, per-SNP epsilon) of a sweep CSV.
fn sweep_means(csv: &Path, column: &str) -> TestResult<HashMap<(String, String), f64>> {
    let text = fs::read_to_string(csv)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or("empty sweep table")?
        .split(',')
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("no column {name}"))
    };
    let (m, e, c) = (
        col("mechanism")?,
        col("epsilon_nominal_per_snp")?,
        col(column)?,
    );
    let mut sums: HashMap<(String, String), (f64, f64)> = HashMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let entry = sums.entry((f[m].to_owned(), f[e].to_owned())).or_default();
        entry.0 += number(f[c])?;
        entry.1 += 1.0;
    }
    Ok(sums.into_iter().map(|(k, (s, n))| (k, s / n)).collect())
}

/// Spec `sharing.md` §11.2/§11.3/§11.5 through the real binary: the artifact's
/// setup (reference = calibration panel and GWAS controls, targets = the data's
/// own frequencies, per-SNP epsilon, 2x3 chi-square), 4 copies per setting.
#[test]
fn sweep_reproduces_the_published_provgen_table() -> TestResult {
    // (dataset, eps_e, published PE, published chi-square retention)
    let published = [
        ("hair", "1", 0.3455, 0.806),
        ("hair", "5", 0.2269, 0.876),
        ("lactose", "1", 0.3900, 0.562),
        ("lactose", "5", 0.2433, 0.626),
    ];
    let dir = tempfile::tempdir()?;
    for dataset in ["hair", "lactose"] {
        let table = dir.path().join(format!("{dataset}.csv"));
        let run = genopriv_ok([
            "sweep".as_ref(),
            reference_study(dataset, "data.csv").as_os_str(),
            "--reference".as_ref(),
            reference_study(dataset, "reference.csv").as_os_str(),
            "--maf-source".as_ref(),
            "raw".as_ref(),
            "--gwas-test".as_ref(),
            "genotypic".as_ref(),
            "--epsilons".as_ref(),
            "1,5".as_ref(),
            "--per-snp".as_ref(),
            "--mechanisms".as_ref(),
            "xor,coin-flip".as_ref(),
            "--repeats".as_ref(),
            "4".as_ref(),
            "--seed".as_ref(),
            "2024".as_ref(),
            "--out".as_ref(),
            table.as_os_str(),
        ])?;
        assert!(run.stdout.contains("not for release"), "{}", run.stdout);
        let pe = sweep_means(&table, "point_error")?;
        let retention = sweep_means(&table, "retention_rate")?;
        for &(_, eps, want_pe, want_ret) in published.iter().filter(|p| p.0 == dataset) {
            let key = ("xor".to_owned(), eps.to_owned());
            let (got_pe, got_ret) = (pe[&key], retention[&key]);
            assert!(
                (got_pe - want_pe).abs() <= 0.01,
                "{dataset} eps {eps}: PE {got_pe} vs {want_pe}"
            );
            assert!(
                (got_ret - want_ret).abs() <= 0.03,
                "{dataset} eps {eps}: retention {got_ret} vs {want_ret}"
            );
        }
        if dataset == "hair" {
            // §11.5: the coin-flip control keeps PE .365 and chi-square retention .79.
            let key = ("coin_flip".to_owned(), "0".to_owned());
            assert!((pe[&key] - 0.365).abs() <= 0.01, "coin PE {}", pe[&key]);
            assert!(
                (retention[&key] - 0.79).abs() <= 0.03,
                "coin retention {}",
                retention[&key]
            );
        }
    }
    Ok(())
}

/// The coin-flip control restored toward a public frequency table: every shared
/// SNP's allele frequency (as bcftools computes it) lands within one allele of
/// the table's, the report names the source, and both membership tests ran.
#[test]
fn coin_flip_restores_to_the_reference_table() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("control.vcf.gz");
    let report = dir.path().join("control.json");
    genopriv_ok([
        "share".as_ref(),
        sample_data("demo_cohort.vcf.gz").as_os_str(),
        "--mechanism".as_ref(),
        "coin-flip".as_ref(),
        "--reference-af".as_ref(),
        sample_data("demo_reference_af.tsv").as_os_str(),
        "--epsilon".as_ref(),
        "0".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--report".as_ref(),
        report.as_os_str(),
    ])?;
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(&report)?)?;
    assert_eq!(json["target_source"], "reference_af");
    assert_eq!(json["epsilon_realised"], 0.0);
    assert_eq!(json["seed"], serde_json::Value::Null, "no seed: a release");
    assert_eq!(json["not_for_release"], false);
    assert_eq!(json["membership"].as_array().map(Vec::len), Some(2));
    let table = fs::read_to_string(sample_data("demo_reference_af.tsv"))?;
    let want: HashMap<String, f64> = table
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Ok((format!("{}:{}", f[0], f[1]), number(f[5])?))
        })
        .collect::<TestResult<_>>()?;
    let tags = external(
        "bcftools",
        [
            "+fill-tags".as_ref(),
            out.as_os_str(),
            "--".as_ref(),
            "-t".as_ref(),
            "AF".as_ref(),
        ],
    )?;
    let n_alleles = 2.0 * 600.0;
    let mut checked = 0;
    for line in tags.stdout.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let af = f[7]
            .split(';')
            .find_map(|x| x.strip_prefix("AF="))
            .ok_or("no AF")?;
        let target = want[&format!("{}:{}", f[0], f[1])];
        assert!(
            // Less than one allele of residual, plus bcftools' printing precision.
            (number(af)? - target).abs() <= 1.0 / n_alleles + 1e-5,
            "{}:{} shared AF {af}, target {target}",
            f[0],
            f[1]
        );
        checked += 1;
    }
    assert_eq!(checked, want.len());
    Ok(())
}
