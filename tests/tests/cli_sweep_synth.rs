//! `genopriv sweep --method both` on the first 300 SNPs of the demo cohort:
//! sharing and synthesis rows in one table with the same columns, each synthesis
//! row equal to `genopriv synth` run alone with the seed and epsilon it records,
//! the principal-component figures recomputed from the report's scatter, and
//! synthesis settings that are missing named in one line.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use genopriv_tests::{TestResult, first_300_snps, genopriv, genopriv_ok, sample_data};

/// The first 300 SNPs of a demo VCF, in `dir` under the same name.
fn first_snps(dir: &Path, name: &str) -> TestResult<PathBuf> {
    let out = dir.join(name);
    first_300_snps(name, None, &out)?;
    Ok(out)
}

/// The CSV as one map from column name to value per row.
fn read_table(path: &Path) -> TestResult<Vec<HashMap<String, String>>> {
    let text = fs::read_to_string(path)?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .ok_or("empty table")?
        .split(',')
        .map(str::to_owned)
        .collect();
    Ok(lines
        .map(|line| {
            header
                .iter()
                .cloned()
                .zip(line.split(',').map(str::to_owned))
                .collect()
        })
        .collect())
}

fn cell(row: &HashMap<String, String>, column: &str) -> TestResult<f64> {
    let text = row.get(column).ok_or(format!("no column {column}"))?;
    Ok(text
        .parse::<f64>()
        .map_err(|e| format!("{column} = {text:?}: {e}"))?)
}

fn json_f64(value: &serde_json::Value, what: &str) -> TestResult<f64> {
    Ok(value.as_f64().ok_or(format!("no number at {what}"))?)
}

/// Two-sample Kolmogorov-Smirnov distance by brute force: both empirical
/// distributions evaluated at every observed value.
fn ks_brute_force(x: &[f64], y: &[f64]) -> f64 {
    let cdf = |sample: &[f64], t: f64| {
        sample.iter().filter(|&&v| v <= t).count() as f64 / sample.len() as f64
    };
    x.iter()
        .chain(y)
        .map(|&t| (cdf(x, t) - cdf(y, t)).abs())
        .fold(0.0, f64::max)
}

fn scatter_axis(points: &serde_json::Value, axis: usize) -> TestResult<Vec<f64>> {
    points
        .as_array()
        .ok_or("no scatter")?
        .iter()
        .map(|p| json_f64(&p[axis], "scatter point"))
        .collect()
}

#[test]
fn synthesis_rows_join_the_sharing_rows_and_rerun_alone() -> TestResult {
    let dir = tempfile::tempdir()?;
    let cohort = first_snps(dir.path(), "demo_cohort.vcf.gz")?;
    let panel = first_snps(dir.path(), "demo_reference_panel.vcf.gz")?;
    let pheno = sample_data("demo_cohort.pheno.tsv");
    let table = dir.path().join("tradeoff.csv");
    let json = dir.path().join("tradeoff.json");
    let run = genopriv_ok([
        "sweep".as_ref(),
        cohort.as_os_str(),
        "--reference".as_ref(),
        panel.as_os_str(),
        "--pheno".as_ref(),
        pheno.as_os_str(),
        "--method".as_ref(),
        "both".as_ref(),
        "--delta".as_ref(),
        "1e-6".as_ref(),
        "--epsilons".as_ref(),
        "5,50".as_ref(),
        "--mechanisms".as_ref(),
        "xor".as_ref(),
        "--repeats".as_ref(),
        "1".as_ref(),
        "--seed".as_ref(),
        "11".as_ref(),
        "--out".as_ref(),
        table.as_os_str(),
        "--json".as_ref(),
        json.as_os_str(),
    ])?;
    assert!(
        run.stdout.contains("Synthesis sweep seed 11"),
        "{}",
        run.stdout
    );

    let rows = read_table(&table)?;
    let of = |method: &str| -> Vec<&HashMap<String, String>> {
        rows.iter()
            .filter(|r| r.get("method").map(String::as_str) == Some(method))
            .collect()
    };
    let (shared, synthesized) = (of("share"), of("synth"));
    assert_eq!(
        shared.len() + synthesized.len(),
        rows.len(),
        "unknown method"
    );
    let epsilons = |rows: &[&HashMap<String, String>]| -> TestResult<Vec<f64>> {
        rows.iter().map(|r| cell(r, "epsilon_nominal")).collect()
    };
    let xor: Vec<&HashMap<String, String>> = shared
        .iter()
        .copied()
        .filter(|r| r.get("mechanism").map(String::as_str) == Some("xor"))
        .collect();
    assert_eq!(epsilons(&xor)?, [5.0, 50.0]);
    assert_eq!(epsilons(&synthesized)?, [5.0, 50.0]);

    // The columns both methods share are numbers on every row; each method's own
    // columns are NA on the other's rows.
    for row in &rows {
        for column in [
            "epsilon_nominal",
            "allele_frequency_mae",
            "membership_tpr_at_1pct_fpr",
            "membership_auc",
        ] {
            cell(row, column)?;
        }
    }
    for row in &shared {
        for column in [
            "membership_tpr_lower",
            "membership_tpr_upper",
            "ld_r_squared_mae",
            "pca_overlap",
            "gwas_chance",
        ] {
            assert_eq!(row.get(column).map(String::as_str), Some("NA"), "{column}");
        }
    }
    for row in &synthesized {
        for column in [
            "point_error",
            "epsilon_realised",
            "coin_flip_retention_rate",
        ] {
            assert_eq!(row.get(column).map(String::as_str), Some("NA"), "{column}");
        }
        assert_eq!(
            row.get("mechanism").map(String::as_str),
            Some("chain_order_1")
        );
        assert_eq!(row.get("repeat").map(String::as_str), Some("0"));
        let epsilon = cell(row, "epsilon_nominal")?;
        assert_eq!(cell(row, "epsilon_nominal_per_snp")?, epsilon / 300.0);
        let tpr = cell(row, "membership_tpr_at_1pct_fpr")?;
        assert!(cell(row, "membership_tpr_lower")? <= tpr);
        assert!(tpr <= cell(row, "membership_tpr_upper")?);
        let overlap = cell(row, "pca_overlap")?;
        assert!((0.0..=1.0).contains(&overlap), "{overlap}");
        let chance = cell(row, "gwas_chance")?;
        assert!((0.0..=1.0).contains(&chance), "{chance}");
    }
    let result: serde_json::Value = serde_json::from_str(&fs::read_to_string(&json)?)?;
    assert!(result["share"]["rows"].is_array());
    assert_eq!(result["synthesis"].as_array().map(Vec::len), Some(1));

    // The epsilon-50 synthesis row is `genopriv synth` with its seed, alone.
    let row = synthesized.last().ok_or("no synthesis row")?;
    let seed = row.get("seed").ok_or("no seed")?.clone();
    let out_dir = dir.path().join("alone");
    fs::create_dir(&out_dir)?;
    let report_path = out_dir.join("report.json");
    genopriv_ok([
        "synth".as_ref(),
        cohort.as_os_str(),
        "--pheno".as_ref(),
        pheno.as_os_str(),
        "--epsilon".as_ref(),
        "50".as_ref(),
        "--delta".as_ref(),
        "1e-6".as_ref(),
        "--seed".as_ref(),
        seed.as_ref(),
        "--out".as_ref(),
        out_dir.join("syn.vcf.gz").as_os_str(),
        "--report".as_ref(),
        report_path.as_os_str(),
    ])?;
    let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(&report_path)?)?;
    assert_eq!(
        cell(row, "allele_frequency_mae")?,
        json_f64(
            &report["allele_frequency"]["mean_absolute_error"],
            "allele-frequency MAE"
        )?
    );
    assert_eq!(
        cell(row, "ld_r_squared_mae")?,
        json_f64(
            &report["ld"]["mean_abs_r_squared_difference"],
            "LD difference"
        )?
    );
    let gwas = &report["gwas"];
    // The chance level: the share of all tested SNPs significant in the synthetic GWAS.
    assert_eq!(
        cell(row, "gwas_chance")?,
        json_f64(&gwas["synthetic_relaxed_hits"], "synthetic relaxed hits")?
            / json_f64(&gwas["tested"], "tested SNPs")?
    );
    if json_f64(&gwas["real_hits"], "real hits")? > 0.0 {
        assert_eq!(
            cell(row, "retention_rate")?,
            json_f64(&gwas["threshold_retention"], "retention")?
        );
    } else {
        assert_eq!(row.get("retention_rate").map(String::as_str), Some("NA"));
    }
    let attacks = report["membership"].as_array().ok_or("no attacks")?;
    let strongest = attacks
        .iter()
        .map(|a| json_f64(&a["tpr_at_1pct_fpr"], "TPR"))
        .collect::<TestResult<Vec<f64>>>()?
        .into_iter()
        .fold(0.0, f64::max);
    assert_eq!(cell(row, "membership_tpr_at_1pct_fpr")?, strongest);
    let pca = &report["pca"];
    let overlap = json_f64(&pca["overlap"], "PCA overlap")?;
    assert_eq!(cell(row, "pca_overlap")?, overlap);

    // The report's PCA figures, recomputed: the KS distances of components 1 and
    // 2 from the scatter's coordinates, and the overlap as 1 - the largest one.
    let components = pca["components"].as_array().ok_or("no components")?;
    assert_eq!(components.len(), 10);
    for (axis, component) in components.iter().take(2).enumerate() {
        let held_out = scatter_axis(&pca["first_scatter"], axis)?;
        let synthetic = scatter_axis(&pca["second_scatter"], axis)?;
        assert_eq!(held_out.len(), 300);
        let expected = ks_brute_force(&held_out, &synthetic);
        let reported = json_f64(&component["ks_distance"], "KS distance")?;
        assert!(
            (expected - reported).abs() < 1e-12,
            "PC{}: {expected} vs {reported}",
            axis + 1
        );
    }
    let largest = components
        .iter()
        .map(|c| json_f64(&c["ks_distance"], "KS distance"))
        .collect::<TestResult<Vec<f64>>>()?
        .into_iter()
        .fold(0.0, f64::max);
    assert!((overlap - (1.0 - largest)).abs() < 1e-12);
    let explanation = report["explanation"].to_string();
    assert!(
        explanation.contains("principal components"),
        "{explanation}"
    );
    Ok(())
}

#[test]
fn synthesis_sweep_names_what_is_missing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let cohort = sample_data("demo_cohort.vcf.gz");
    let table = dir.path().join("t.csv");
    let base = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = vec![
            "sweep".into(),
            cohort.display().to_string(),
            "--method".into(),
            "synth".into(),
            "--epsilons".into(),
            "1".into(),
            "--out".into(),
            table.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let pheno = sample_data("demo_cohort.pheno.tsv").display().to_string();
    for (extra, missing) in [
        (vec!["--delta", "1e-6"], "--pheno FILE"),
        (vec!["--pheno", pheno.as_str()], "--delta D"),
    ] {
        let run = genopriv(base(&extra))?;
        assert!(!run.success, "{missing}: {}", run.stdout);
        let message = run.stderr.trim();
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.contains(missing), "{message}");
        assert!(!table.exists(), "no table after a refused sweep");
    }
    Ok(())
}
