//! `genopriv audit model` end to end on the bundled cohort (its first 1,500 SNPs, cut
//! by bcftools): the three files and their columns, precision/recall/F1 consistent
//! with each other and with the ROC points, the AUC recomputed from the ROC, and
//! bad arguments refused in one paragraph with nothing written.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use genopriv_tests::{TestResult, external, genopriv, genopriv_ok, sample_data};

const SNPS: usize = 1500;

/// The cohort's first `SNPS` records as a bgzipped VCF, cut with bcftools.
fn cohort_subset(dir: &Path) -> TestResult<PathBuf> {
    let cohort = sample_data("demo_cohort.vcf.gz");
    let positions = external(
        "bcftools",
        [
            "query".as_ref(),
            "-f".as_ref(),
            "%CHROM\t%POS\n".as_ref(),
            cohort.as_os_str(),
        ],
    )?;
    let (first, last) = match (
        positions.stdout.lines().next(),
        positions.stdout.lines().nth(SNPS - 1),
    ) {
        (Some(first), Some(last)) => (first.to_owned(), last.to_owned()),
        _ => return Err("the demo cohort has too few records".into()),
    };
    let (chrom, end) = last.split_once('\t').ok_or("bad bcftools query line")?;
    if !first.starts_with(&format!("{chrom}\t")) {
        return Err("the first SNPS records span several chromosomes".into());
    }
    let out = dir.join("subset.vcf.gz");
    external(
        "bcftools",
        [
            "view".as_ref(),
            "-r".as_ref(),
            format!("{chrom}:1-{end}").as_ref(),
            "-Oz".as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
            cohort.as_os_str(),
        ],
    )?;
    Ok(out)
}

/// A CSV row by column name.
type Row = HashMap<String, String>;

fn read_csv(path: &Path) -> TestResult<(Vec<String>, Vec<Row>)> {
    let text = fs::read_to_string(path)?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .ok_or("empty CSV")?
        .split(',')
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != header.len() {
            return Err(
                format!("{} cells for {} columns: {line}", cells.len(), header.len()).into(),
            );
        }
        rows.push(
            header
                .iter()
                .cloned()
                .zip(cells.into_iter().map(str::to_owned))
                .collect(),
        );
    }
    Ok((header, rows))
}

fn value(row: &HashMap<String, String>, column: &str) -> TestResult<f64> {
    let cell = row
        .get(column)
        .ok_or_else(|| format!("no column {column}"))?;
    if cell == "inf" {
        return Ok(f64::INFINITY);
    }
    Ok(cell
        .parse::<f64>()
        .map_err(|e| format!("{column} = {cell:?}: {e}"))?)
}

#[test]
fn audit_model_writes_consistent_logs_summary_and_roc() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = cohort_subset(dir.path())?;
    let out = dir.path().join("results");
    let run = genopriv_ok([
        "audit".as_ref(),
        "model".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--pheno".as_ref(),
        sample_data("demo_cohort.pheno.tsv").as_os_str(),
        "--model".as_ref(),
        "logistic".as_ref(),
        "--attacks".as_ref(),
        "loss,lira,gradnorm,label".as_ref(),
        "--reference-models".as_ref(),
        "4".as_ref(),
        "--bootstrap".as_ref(),
        "200".as_ref(),
        "--seed".as_ref(),
        "17".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ])?;
    assert!(run.stdout.contains("loss: AUC"), "{}", run.stdout);

    let (header, logs) = read_csv(&out.join("attack_logs.csv"))?;
    let federated = [
        "attack_type",
        "client_count",
        "threshold",
        "precision",
        "recall",
        "f1_score",
    ];
    assert_eq!(&header[..federated.len()], &federated);
    for column in [
        "auc",
        "auc_low",
        "auc_high",
        "tpr_at_1pct_fpr",
        "n_members",
        "n_non_members",
        "seed",
    ] {
        assert!(header.iter().any(|h| h == column), "no {column} column");
    }
    let kinds: Vec<&str> = logs.iter().map(|r| r["attack_type"].as_str()).collect();
    assert_eq!(kinds, ["loss", "lira", "gradnorm", "label_inference"]);

    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json"))?)?;
    assert_eq!(summary["n_variants"].as_u64(), Some(SNPS as u64));
    assert!(summary["epsilon"].is_null());
    assert_logs_match_roc_and_summary(&out)
}

/// What must hold between the three output files: balanced member/non-member sets;
/// per attack row, F1 from precision and recall, recall and precision equal to the
/// ROC point at the logged threshold, the AUC equal to the area under the ROC
/// points and inside its interval, and the same AUC in summary.json.
fn assert_logs_match_roc_and_summary(out: &Path) -> TestResult {
    let (_, logs) = read_csv(&out.join("attack_logs.csv"))?;
    let (roc_header, roc) = read_csv(&out.join("roc.csv"))?;
    assert_eq!(roc_header, ["attack", "fpr", "tpr", "threshold"]);
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json"))?)?;
    let n_members = summary["n_members"].as_f64().ok_or("no n_members")?;
    let n_non_members = summary["n_non_members"]
        .as_f64()
        .ok_or("no n_non_members")?;
    // Balanced: a quarter of the 600 labelled samples each.
    assert_eq!((n_members, n_non_members), (150.0, 150.0));

    for row in &logs {
        let (p, r, f1) = (
            value(row, "precision")?,
            value(row, "recall")?,
            value(row, "f1_score")?,
        );
        let expected = if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        };
        assert!((f1 - expected).abs() < 1e-12, "{row:?}");
        if row["attack_type"] == "label_inference" {
            continue;
        }
        assert_eq!(value(row, "n_members")?, n_members);
        let attack = row["attack_type"].as_str();
        let points: Vec<&HashMap<String, String>> =
            roc.iter().filter(|p| p["attack"] == attack).collect();
        // The records called members at threshold t are those scoring >= t: the last
        // ROC point (thresholds fall down the file) whose threshold is >= t.
        let threshold = value(row, "threshold")?;
        let mut at = None;
        for point in &points {
            if value(point, "threshold")? >= threshold {
                at = Some(*point);
            }
        }
        let at = at.ok_or("no ROC point at the threshold")?;
        let (tpr, fpr) = (value(at, "tpr")?, value(at, "fpr")?);
        assert!(
            (tpr - r).abs() < 1e-12,
            "{attack}: recall {r}, ROC TPR {tpr}"
        );
        let (tp, fp) = (tpr * n_members, fpr * n_non_members);
        // Nobody called a member (possible with the shadow forest's coarse vote
        // shares): precision is reported as 0.
        let expected_precision = if tp + fp == 0.0 { 0.0 } else { tp / (tp + fp) };
        assert!(
            (p - expected_precision).abs() < 1e-9,
            "{attack}: precision {p}"
        );
        // The AUC is the area under the ROC points (ties are one diagonal step).
        let mut area = 0.0;
        for pair in points.windows(2) {
            let (x0, y0) = (value(pair[0], "fpr")?, value(pair[0], "tpr")?);
            let (x1, y1) = (value(pair[1], "fpr")?, value(pair[1], "tpr")?);
            area += (x1 - x0) * (y0 + y1) / 2.0;
        }
        let auc = value(row, "auc")?;
        assert!(
            (area - auc).abs() < 1e-9,
            "{attack}: AUC {auc}, area {area}"
        );
        assert!(value(row, "auc_low")? <= auc && auc <= value(row, "auc_high")?);
        let reported = summary["attacks"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|x| x["attack"] == attack.replace("gradnorm", "gradient_norm"))
            })
            .and_then(|x| x["auc"].as_f64())
            .ok_or("attack missing from summary.json")?;
        assert!((reported - auc).abs() < 1e-12);
    }
    Ok(())
}

fn assert_refused(args: &[&str], expected: &str) -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("results");
    let pheno = sample_data("demo_cohort.pheno.tsv");
    let cohort = sample_data("demo_cohort.vcf.gz");
    let mut all: Vec<&std::ffi::OsStr> = vec![
        "audit".as_ref(),
        "model".as_ref(),
        "--input".as_ref(),
        cohort.as_os_str(),
        "--pheno".as_ref(),
        pheno.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    let run = genopriv(all)?;
    assert!(!run.success);
    let err = run.stderr.trim();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(expected), "{err}");
    assert!(!out.exists(), "the output folder was created");
    assert!(genopriv_tests::files_in(dir.path())?.is_empty());
    Ok(())
}

#[test]
fn a_bad_attack_name_is_refused_in_one_paragraph() -> TestResult {
    assert_refused(&["--attacks", "loss,shadows"], "`shadows` is not an attack")
}

#[test]
fn a_missing_phenotype_column_is_refused_in_one_paragraph() -> TestResult {
    assert_refused(
        &["--case-column", "disease"],
        "no phenotype column `disease`",
    )
}

#[test]
fn dp_audit_reports_the_accountants_epsilon_for_its_batches() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = cohort_subset(dir.path())?;
    let out = dir.path().join("dp");
    genopriv_ok([
        "audit".as_ref(),
        "model".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--pheno".as_ref(),
        sample_data("demo_cohort.pheno.tsv").as_os_str(),
        "--dp".as_ref(),
        "--noise-multiplier".as_ref(),
        "1.5".as_ref(),
        "--epochs".as_ref(),
        "4".as_ref(),
        "--batch".as_ref(),
        "30".as_ref(),
        "--attacks".as_ref(),
        "loss".as_ref(),
        "--reference-models".as_ref(),
        "4".as_ref(),
        "--bootstrap".as_ref(),
        "100".as_ref(),
        "--seed".as_ref(),
        "3".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ])?;
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json"))?)?;
    let epsilon = summary["epsilon"].as_f64().ok_or("no epsilon with --dp")?;
    // 150 members in batches of 30: q = 0.2, 4 epochs = 20 steps.
    let accountant = genopriv_ok([
        "accountant",
        "--sampling-rate",
        "0.2",
        "--noise-multiplier",
        "1.5",
        "--steps",
        "20",
        "--delta",
        "1e-5",
        "--json",
    ])?;
    let expected: serde_json::Value = serde_json::from_str(&accountant.stdout)?;
    let expected = expected["epsilon"]
        .as_f64()
        .ok_or("no accountant epsilon")?;
    assert!(
        (epsilon - expected).abs() < 1e-12 * expected,
        "{epsilon} vs {expected}"
    );
    let (_, logs) = read_csv(&out.join("attack_logs.csv"))?;
    let logged = logs.first().ok_or("no attack row")?;
    assert!((value(logged, "dp_epsilon")? - epsilon).abs() < 1e-12 * epsilon);
    Ok(())
}

/// The CNN target with the shadow-model attack beside loss and gradient norm: the
/// same invariants between the files as for the logistic model, the CNN named in
/// the logs and the summary, and the shadow attack's scores (the forest's vote
/// shares) as ROC thresholds in [0, 1].
#[test]
fn cnn_audit_with_the_shadow_attack_writes_consistent_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = cohort_subset(dir.path())?;
    let out = dir.path().join("cnn");
    let run = genopriv_ok([
        "audit".as_ref(),
        "model".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--pheno".as_ref(),
        sample_data("demo_cohort.pheno.tsv").as_os_str(),
        "--model".as_ref(),
        "cnn".as_ref(),
        "--kernels".as_ref(),
        "4".as_ref(),
        "--kernel-size".as_ref(),
        "5".as_ref(),
        "--cnn-epochs".as_ref(),
        "3".as_ref(),
        "--attacks".as_ref(),
        "loss,gradnorm,shadow".as_ref(),
        "--reference-models".as_ref(),
        "4".as_ref(),
        "--bootstrap".as_ref(),
        "100".as_ref(),
        "--seed".as_ref(),
        "5".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ])?;
    assert!(run.stdout.contains("shadow: AUC"), "{}", run.stdout);
    assert!(
        run.stdout.contains("1-D convolutional network"),
        "{}",
        run.stdout
    );
    let (_, logs) = read_csv(&out.join("attack_logs.csv"))?;
    let kinds: Vec<&str> = logs.iter().map(|r| r["attack_type"].as_str()).collect();
    assert_eq!(kinds, ["loss", "gradnorm", "shadow"]);
    assert!(logs.iter().all(|r| r["model"] == "cnn"));
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json"))?)?;
    assert_eq!(summary["model"]["kind"], "cnn");
    assert_eq!(summary["model"]["kernels"].as_u64(), Some(4));
    let (_, roc) = read_csv(&out.join("roc.csv"))?;
    for point in roc.iter().filter(|p| p["attack"] == "shadow") {
        let threshold = value(point, "threshold")?;
        assert!(
            threshold.is_infinite() || (0.0..=1.0).contains(&threshold),
            "shadow score {threshold} is not a vote share"
        );
    }
    assert_logs_match_roc_and_summary(&out)
}

#[test]
fn cnn_options_are_refused_for_other_models() -> TestResult {
    assert_refused(
        &["--model", "logistic", "--kernels", "8"],
        "--kernels applies only to --model cnn",
    )
}

/// `--federated`: the table carries the final model's attacks, then the server's
/// attack on each client's update and the label inference from per-sample
/// gradients, every row with the federation's client count and a consistent F1;
/// with secure aggregation the server's one attack is on the sum of the updates
/// and no per-sample gradient is seen.
#[test]
fn federated_audit_logs_name_what_the_server_attacked() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = cohort_subset(dir.path())?;
    for secure in [false, true] {
        let out = dir.path().join(if secure { "secure" } else { "plain" });
        let mut args: Vec<std::ffi::OsString> = [
            "audit",
            "model",
            "--model",
            "sgd",
            "--federated",
            "--clients",
            "3",
            "--rounds",
            "2",
            "--attacks",
            "loss,gradnorm,label",
            "--bootstrap",
            "100",
            "--seed",
            "3",
        ]
        .iter()
        .map(Into::into)
        .collect();
        args.extend([
            "--input".into(),
            input.clone().into_os_string(),
            "--pheno".into(),
            sample_data("demo_cohort.pheno.tsv").into_os_string(),
            "--out".into(),
            out.clone().into_os_string(),
        ]);
        if secure {
            args.push("--secure-aggregation".into());
        }
        genopriv_ok(args)?;
        let (_, logs) = read_csv(&out.join("attack_logs.csv"))?;
        let kinds: Vec<&str> = logs.iter().map(|r| r["attack_type"].as_str()).collect();
        let expected: Vec<&str> = if secure {
            vec![
                "loss",
                "gradnorm",
                "label_inference",
                "server_update_aggregate",
            ]
        } else {
            vec![
                "loss",
                "gradnorm",
                "label_inference",
                "server_update_client1",
                "server_update_client2",
                "server_update_client3",
                "label_inference_gradient_sign",
                "label_inference_gradient_meta",
            ]
        };
        assert_eq!(kinds, expected);
        for row in &logs {
            assert_eq!(row["client_count"], "3");
            if row["precision"] == "NA" {
                continue;
            }
            let (p, r, f1) = (
                value(row, "precision")?,
                value(row, "recall")?,
                value(row, "f1_score")?,
            );
            let harmonic = if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            };
            assert!((f1 - harmonic).abs() < 1e-9, "{row:?}");
        }
    }
    Ok(())
}
