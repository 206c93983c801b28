//! Projects end to end: studies recorded with `--project` on `share`, `sweep` and
//! `audit model` are rerun by `genopriv run --check` to the same numbers, and the
//! check fails, naming the figure or the file, when a stored number is edited or an
//! input changes.

mod project_fixture;

use std::fs;

use genopriv_tests::{TestResult, genopriv, genopriv_ok};
use serde_json::Value;

fn read_json(path: &std::path::Path) -> TestResult<Value> {
    Ok(serde_json::from_str(&fs::read_to_string(path)?)?)
}

#[test]
fn a_recorded_project_reruns_to_the_same_numbers_and_edits_are_caught() -> TestResult {
    let fixture = project_fixture::build(true)?;
    let project = read_json(&fixture.project)?;
    assert_eq!(project["format_version"], 1);
    let kinds: Vec<&str> = project["studies"]
        .as_array()
        .ok_or("no studies")?
        .iter()
        .filter_map(|s| s["spec"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["share", "sweep", "model_audit"]);
    // Inputs are stored relative to the project file, with their SHA-256.
    let inputs: Vec<&str> = project["inputs"]
        .as_array()
        .ok_or("no inputs")?
        .iter()
        .filter_map(|i| i["path"].as_str())
        .collect();
    assert_eq!(
        inputs,
        ["data/cohort.vcf.gz", "data/panel.vcf.gz", "data/pheno.tsv"]
    );
    // What the project stores is what `share` wrote beside its output.
    let share_report = read_json(&fixture.dir.path().join("out/share.json"))?;
    assert_eq!(project["studies"][0]["result"], share_report);

    let check = genopriv_ok([
        "run".as_ref(),
        fixture.project.as_os_str(),
        "--check".as_ref(),
    ])?;
    assert!(
        check.stdout.contains("All 3 studies reproduce"),
        "{}",
        check.stdout
    );

    // An edited figure is named.
    let original = fs::read_to_string(&fixture.project)?;
    let mut edited = project.clone();
    let retention = edited["studies"][1]["result"]["rows"][2]["retention_rate"]
        .as_f64()
        .ok_or("the sweep row has no retention rate")?;
    edited["studies"][1]["result"]["rows"][2]["retention_rate"] = (retention + 0.01).into();
    fs::write(&fixture.project, serde_json::to_string_pretty(&edited)?)?;
    let failed = genopriv([
        "run".as_ref(),
        fixture.project.as_os_str(),
        "--check".as_ref(),
    ])?;
    assert!(!failed.success);
    assert!(
        failed.stderr.contains("study `sweep`") && failed.stderr.contains("rows[2].retention_rate"),
        "{}",
        failed.stderr
    );

    // Without --check the rerun stores fresh results, which undo the edit.
    genopriv_ok(["run".as_ref(), fixture.project.as_os_str()])?;
    let rerun = read_json(&fixture.project)?;
    assert_eq!(
        rerun["studies"][1]["result"]["rows"][2]["retention_rate"].as_f64(),
        Some(retention)
    );
    fs::write(&fixture.project, &original)?;

    // A changed input is refused by name before anything runs.
    let pheno_path = fixture.dir.path().join("data/pheno.tsv");
    let mut pheno = fs::read_to_string(&pheno_path)?;
    pheno.push('\n');
    fs::write(&pheno_path, pheno)?;
    let changed = genopriv([
        "run".as_ref(),
        fixture.project.as_os_str(),
        "--check".as_ref(),
    ])?;
    assert!(!changed.success);
    assert!(
        changed.stderr.contains("pheno.tsv") && changed.stderr.contains("changed"),
        "{}",
        changed.stderr
    );
    Ok(())
}

#[test]
fn unknown_project_versions_are_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("future.json");
    fs::write(
        &path,
        r#"{"format_version": 7, "inputs": [], "studies": []}"#,
    )?;
    let run = genopriv(["run".as_ref(), path.as_os_str()])?;
    assert!(!run.success);
    assert!(
        run.stderr.contains("future.json")
            && run.stderr.contains("format version 7 is not supported"),
        "{}",
        run.stderr
    );
    Ok(())
}
