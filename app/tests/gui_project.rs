//! Projects, roles, the Report screen's Export and the Learn screen, driven
//! through the accessibility tree (egui_kittest).
//!
//! What the window saves is checked independently: the recorded SHA-256 against
//! `sha256sum`, the stored result against a headless rerun of the saved project
//! (`genopriv_core::project::run_project`, what `genopriv run --check` does), and
//! the exported HTML against `genopriv_core::report::build_report` on the saved
//! file.

mod support;

use std::path::{Path, PathBuf};

use egui::accesskit::Role as A11yRole;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use genopriv_app::gui::{EpsilonUnitChoice, GenoPrivApp, Role, Screen, Startup};
use genopriv_core::explain::learn::TECHNIQUES;
use genopriv_core::project::{Project, StudySpec, first_difference, run_project};
use genopriv_core::report::{ReportSection, build_report};
use genopriv_core::{Error, Result, job};
use support::{click_and_wait, label_containing, run_until_idle, visible_labels};

const SEED: u64 = 7;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample_data")
        .join(name)
}

fn sha256sum(path: &Path) -> String {
    let output = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("sha256sum is needed for this test and could not run: {e}"));
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn nav_disabled(harness: &Harness<'_, GenoPrivApp>, title: &str) -> bool {
    harness
        .get_by(|n| n.role() == A11yRole::Button && n.label().is_some_and(|l| l.starts_with(title)))
        .accesskit_node()
        .is_disabled()
}

#[test]
fn a_saved_project_reopens_reviews_and_reports() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("genopriv-gui-project-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    // The phenotypes are a copy, so the test can change an input later.
    let pheno = dir.join("demo_cohort.pheno.tsv");
    std::fs::copy(sample("demo_cohort.pheno.tsv"), &pheno).map_err(|e| Error::io(&pheno, e))?;
    let project_file = dir.join("study.genopriv.json");

    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 3200.0))
        .with_max_steps(24)
        .build_eframe(|cc| GenoPrivApp::new(cc, Startup::default()));
    harness.run();
    harness.state_mut().set_role(Role::Steward);
    harness
        .state_mut()
        .open_genotypes(sample("demo_cohort.vcf.gz"), Some(pheno.clone()));
    run_until_idle(&mut harness);
    assert_eq!(harness.state().loaded_shape(), Some((600, 10_946)));

    // A small seeded release on the Protect screen.
    harness
        .get_by_role_and_label(A11yRole::Button, "Protect")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(A11yRole::Button, "Use the bundled demo panel")
        .click();
    harness.run();
    {
        let form = harness.state_mut().protect_form_mut();
        form.unit = EpsilonUnitChoice::PerSnp;
        form.epsilon = 2.0;
        form.use_seed = true;
        form.seed_text = SEED.to_string();
    }
    harness.run();
    click_and_wait(&mut harness, "Run release");
    assert!(harness.state().release_report().is_some());
    assert!(harness.state().has_unsaved_changes());
    label_containing(&harness, "unsaved studies");
    // Starting another project with unsaved studies asks first.
    harness
        .get_by_role_and_label(A11yRole::Button, "Project")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(A11yRole::Button, "New project")
        .click();
    harness.run();
    harness.get_by_label("Save your work first?");
    harness
        .get_by_role_and_label(A11yRole::Button, "Keep working")
        .click();
    harness.run();
    assert!(harness.query_by_label("Save your work first?").is_none());
    assert!(harness.state().has_unsaved_changes());

    harness.state_mut().save_project_as(project_file.clone());
    run_until_idle(&mut harness);
    assert!(
        !harness.state().has_unsaved_changes(),
        "{:?}",
        visible_labels(&harness)
    );
    assert_eq!(harness.state().project_path(), Some(project_file.as_path()));
    assert!(
        visible_labels(&harness)
            .iter()
            .all(|l| !l.contains("unsaved studies"))
    );

    // The file holds the study with its seed, settings and inputs' SHA-256.
    let saved = Project::load(&project_file)?;
    let Some(study) = saved.studies.first() else {
        return Err(Error::Parameter("no study was recorded".into()));
    };
    assert_eq!((study.name.as_str(), study.spec.seed()), ("share", SEED));
    let StudySpec::Share { data, .. } = &study.spec else {
        return Err(Error::Parameter("the study is not a share".into()));
    };
    assert_eq!(data.pheno.as_deref(), Some("demo_cohort.pheno.tsv"));
    assert_eq!(data.case_column, "case");
    for (recorded, file) in [
        (&data.genotypes, sample("demo_cohort.vcf.gz")),
        (
            data.reference.as_ref().unwrap_or(&String::new()),
            sample("demo_reference_panel.vcf.gz"),
        ),
        (&"demo_cohort.pheno.tsv".to_owned(), pheno.clone()),
    ] {
        assert_eq!(
            saved.input_sha256(recorded),
            Some(sha256sum(&file).as_str()),
            "{recorded}"
        );
    }
    // The stored result is the window's release, and a headless rerun of the saved
    // project reproduces it number for number.
    let shown = serde_json::to_value(harness.state().release_report())
        .map_err(|e| Error::Parameter(e.to_string()))?;
    let rerun = job::unattended(|job| run_project(&saved, &project_file, job))?;
    let (Some(stored), Some(fresh)) = (study.result.as_ref(), rerun.results.first()) else {
        return Err(Error::Parameter("nothing to compare".into()));
    };
    // Compared as `genopriv run --check` compares: JSON read back from a file may
    // differ in a float's last digit.
    assert_eq!(first_difference(stored, &shown), None);
    assert_eq!(first_difference(stored, fresh), None);

    // Reopening shows the stored results and reloads the cohort.
    harness.state_mut().new_project();
    harness.run();
    assert!(harness.state().project().studies.is_empty());
    harness.state_mut().open_project(project_file.clone());
    run_until_idle(&mut harness);
    assert_eq!(harness.state().screen(), Screen::Report);
    assert_eq!(harness.state().project(), &saved);
    assert_eq!(harness.state().loaded_shape(), Some((600, 10_946)));
    label_containing(&harness, "Every input file was found unchanged");
    assert_eq!(
        harness.query_all_by_label("unchanged").count(),
        saved.inputs.len()
    );
    label_containing(
        &harness,
        "The release under review uses the XOR mechanism (PROVGEN) with a privacy budget of epsilon",
    );

    // Export with chosen sections: the file is build_report of the saved project.
    for title in [
        ReportSection::Seeds.title(),
        ReportSection::Software.title(),
    ] {
        harness
            .get_by_role_and_label(A11yRole::CheckBox, title)
            .click();
    }
    harness.run();
    let chosen: Vec<ReportSection> = ReportSection::ALL
        .into_iter()
        .filter(|s| !matches!(s, ReportSection::Seeds | ReportSection::Software))
        .collect();
    let out = dir.join("report.html");
    harness.state_mut().export_report(out.clone());
    run_until_idle(&mut harness);
    label_containing(&harness, "The report was written to");
    let html = std::fs::read_to_string(&out).map_err(|e| Error::io(&out, e))?;
    let expected = job::unattended(|job| build_report(&saved, &chosen, job))?;
    assert_eq!(html, expected);
    for section in ReportSection::ALL {
        assert_eq!(
            html.contains(&format!("<section id=\"{}\">", section.id())),
            chosen.contains(&section),
            "{section:?}"
        );
    }

    // The IRB reviewer cannot run anything.
    harness
        .get_by_role_and_label(A11yRole::Button, "IRB reviewer")
        .click();
    harness.run();
    assert_eq!(harness.state().role(), Role::Reviewer);
    assert!(nav_disabled(&harness, "Protect"));
    assert!(nav_disabled(&harness, "Audit"));
    harness.state_mut().show_screen(Screen::Protect);
    harness.run();
    assert_eq!(harness.state().screen(), Screen::Report);
    assert!(harness.query_by_label("Run release").is_none());
    assert!(harness.query_by_label("Run sweep").is_none());
    label_containing(&harness, "they do not restrict access");

    // A changed input is a notice, and the stored results are still shown.
    std::fs::write(
        &pheno,
        std::fs::read_to_string(&pheno).map_err(|e| Error::io(&pheno, e))? + "\n",
    )
    .map_err(|e| Error::io(&pheno, e))?;
    harness.state_mut().open_project(project_file.clone());
    run_until_idle(&mut harness);
    label_containing(
        &harness,
        "Some inputs are not the ones the project recorded",
    );
    label_containing(
        &harness,
        "demo_cohort.pheno.tsv changed since the project recorded it",
    );
    label_containing(
        &harness,
        "The release under review uses the XOR mechanism (PROVGEN)",
    );

    // The Learn screen explains every technique.
    harness
        .get_by_role_and_label(A11yRole::Button, "Learn")
        .click();
    harness.run();
    for technique in &TECHNIQUES {
        harness.get_by_label(technique.name);
        harness.get_by_label(technique.cost);
    }
    std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))
}
