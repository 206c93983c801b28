//! The Trade-offs screen driven through its accessibility tree (egui_kittest): a
//! seeded sharing sweep from the Protect screen, then pins, a comparison, a
//! choice and a threshold. What the screen shows is checked against the same
//! sweep run here directly with `genopriv_core`, and against the core's verdict,
//! comparison and odds functions on the core's own figures. A second test walks
//! the whole flow, from the welcome screen to the exported report and the
//! clinician's view of it.

mod support;

use std::path::{Path, PathBuf};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use genopriv_app::gui::{GenoPrivApp, Role as UserRole, Screen, Startup};
use genopriv_core::data::ReadOptions;
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::read::read_genotypes;
use genopriv_core::explain::format::{number, percent};
use genopriv_core::explain::odds::{odds_sentence, posterior_bound};
use genopriv_core::explain::overlay::{SharedUtility, overlay_sentence};
use genopriv_core::project::Project;
use genopriv_core::report::{ReportSection, build_report};
use genopriv_core::study::candidate::compare;
use genopriv_core::study::{
    Budget, CandidateFigures, Mechanism, ShareInputs, ShareStudy, SweepResult, SweepRow,
    SweepSettings, TargetChoice, judge, run_sweep,
};
use genopriv_core::{Error, Result, job};
use support::{
    click_and_wait, label_containing, run_until_idle, seeded_synthesis_sweep, visible_labels,
};

const SEED: u64 = 11;
/// A grid whose retention curve bends on the demo cohort (as in gui_protect).
const SWEEP_PER_SNP: [f64; 4] = [2.0, 8.0, 16.0, 32.0];

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample_data")
        .join(name)
}

/// The demo study prepared directly with the core, as the window should.
fn core_study() -> Result<ShareStudy> {
    job::unattended(|job| {
        let cohort = read_genotypes(&sample("demo_cohort.vcf.gz"), &ReadOptions::default(), job)?;
        let panel = read_genotypes(
            &sample("demo_reference_panel.vcf.gz"),
            &ReadOptions::default(),
            job,
        )?;
        let table = read_phenotypes(&sample("demo_cohort.pheno.tsv"), None)?;
        let joined = join(&table, cohort.matrix.samples());
        let status = table.case_control(&joined, "case")?;
        let mut inputs = ShareInputs::new(cohort.matrix);
        inputs.panel = Some(panel.matrix);
        inputs.case_status = Some(status.status);
        ShareStudy::prepare(inputs, job)
    })
}

/// The window's sharing sweep (XOR and coin flip, reference targets, one
/// repeat, the test's seed) over `per_snp`, run by the core.
fn core_sweep(per_snp: &[f64]) -> Result<SweepResult> {
    let study = core_study()?;
    let settings = SweepSettings {
        mechanisms: vec![Mechanism::Xor, Mechanism::CoinFlip],
        budgets: per_snp.iter().map(|&e| Budget::PerSnp(e)).collect(),
        targets: TargetChoice::Reference,
        repeats: 1,
        seed: SEED,
    };
    job::unattended(|job| run_sweep(&study, &settings, &|_| {}, job))
}

/// Equal up to floating-point summation order.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn is_disabled(harness: &Harness<'_, GenoPrivApp>, prefix: &str) -> bool {
    harness
        .get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.starts_with(prefix)))
        .accesskit_node()
        .is_disabled()
}

/// Protect's "Sweep epsilon" over [`SWEEP_PER_SNP`] with the bundled panel and
/// [`SEED`], through the widgets, run to the end.
fn seeded_sharing_sweep(harness: &mut Harness<'_, GenoPrivApp>) {
    seeded_sharing_sweep_over(harness, &SWEEP_PER_SNP);
}

/// The same over per-SNP budgets `grid`.
fn seeded_sharing_sweep_over(harness: &mut Harness<'_, GenoPrivApp>, grid: &[f64]) {
    harness
        .get_by_role_and_label(Role::Button, "Protect")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Use the bundled demo panel")
        .click();
    harness.run();
    {
        let form = harness.state_mut().protect_form_mut();
        form.use_seed = true;
        form.seed_text = SEED.to_string();
        form.sweep_per_snp = grid.to_vec();
        form.sweep_repeats = 1;
    }
    harness.run();
    click_and_wait(harness, "Sweep epsilon");
}

#[test]
fn pins_compares_chooses_and_judges_the_core_sweep() -> Result<()> {
    let mut harness = Harness::builder()
        // Tall, so that both columns are laid out without scrolling.
        .with_size(egui::vec2(1400.0, 3600.0))
        .with_max_steps(24)
        .build_eframe(|cc| GenoPrivApp::new(cc, Startup::default()));
    harness.run();
    harness.state_mut().load_sample_data();
    support::run_until_idle(&mut harness);
    assert!(
        is_disabled(&harness, "Trade-offs"),
        "Trade-offs needs a sweep first"
    );
    seeded_sharing_sweep(&mut harness);
    assert!(!is_disabled(&harness, "Trade-offs"));
    harness
        .get_by_role_and_label(Role::Button, "Trade-offs")
        .click();
    harness.run();
    assert_eq!(harness.state().screen(), Screen::TradeOffs);

    // The same sweep with the core: the recommendation on screen is the core's.
    let swept = core_sweep(&SWEEP_PER_SNP)?;
    let Some(r) = &swept.recommendation else {
        panic!("the demo cohort's retention curve should bend over this grid");
    };
    label_containing(
        &harness,
        &format!(
            "Recommended: epsilon {} per SNP ({} in total per person)",
            number(r.epsilon_per_snp),
            number(r.epsilon_total)
        ),
    );
    // Both charts carry a sentence and a table switch.
    label_containing(&harness, "GWAS SNP retention rises from");
    label_containing(&harness, "Allowed to wrongly flag 1 in 100 non-members");
    assert_eq!(harness.query_all_by_label("Table view").count(), 2);

    // Runs are listed by epsilon: run 1 is 2 per SNP, run 3 is 16 per SNP.
    let xor_rows: Vec<&SweepRow> = swept
        .rows
        .iter()
        .filter(|r| r.mechanism == Mechanism::Xor)
        .collect();
    let metric = r.metric;
    let core_figures = |per_snp: f64| -> CandidateFigures {
        let row = xor_rows
            .iter()
            .find(|r| r.epsilon_nominal_per_snp == per_snp)
            .unwrap_or_else(|| panic!("no core row at {per_snp} per SNP"));
        CandidateFigures::from_sweep_row(row, metric)
    };
    harness
        .get_by_role_and_label(Role::Button, "Pin run 1")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Pin run 3")
        .click();
    harness.run();
    let pinned: Vec<(u32, CandidateFigures)> = harness
        .state()
        .tradeoffs()
        .candidates
        .iter()
        .map(|c| (c.id, c.figures.clone()))
        .collect();
    assert_eq!(pinned.len(), 2);
    let (a, b) = (core_figures(2.0), core_figures(16.0));
    for ((_, shown), expected) in pinned.iter().zip([&a, &b]) {
        assert_eq!(shown.utility, expected.utility);
        assert_eq!(
            shown.membership_tpr_at_1pct_fpr,
            expected.membership_tpr_at_1pct_fpr
        );
        assert!(close(shown.epsilon_nominal, expected.epsilon_nominal));
    }
    label_containing(
        &harness,
        "Candidate 1: XOR mechanism (PROVGEN), epsilon 2 per SNP",
    );
    label_containing(
        &harness,
        "Candidate 2: XOR mechanism (PROVGEN), epsilon 16 per SNP",
    );

    // Side by side: the utility row shows both figures, and the difference is B - A.
    harness
        .get_by_role_and_label(Role::CheckBox, "Compare candidate 1")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::CheckBox, "Compare candidate 2")
        .click();
    harness.run();
    let labels = visible_labels(&harness);
    let utility_row = compare(&a, &b)
        .into_iter()
        .find(|row| row.name == "Utility")
        .unwrap_or_else(|| panic!("no utility row in the core comparison"));
    let header = labels
        .iter()
        .position(|l| l == "B − A")
        .unwrap_or_else(|| panic!("no comparison table in {labels:?}"));
    let at = header
        + labels
            .iter()
            .skip(header)
            .position(|l| l == "Utility")
            .unwrap_or_else(|| panic!("no utility row in {labels:?}"));
    let (Some(ua), Some(ub), Some(d)) = (utility_row.a, utility_row.b, utility_row.difference)
    else {
        panic!("the demo sweep measures retention at both budgets");
    };
    assert_eq!(labels.get(at + 1), Some(&percent(ua, 1)));
    assert_eq!(labels.get(at + 2), Some(&percent(ub, 1)));
    assert!(
        labels
            .get(at + 3)
            .is_some_and(|l| l.starts_with(&format!("{:+.1} points", d * 100.0))),
        "{:?}",
        labels.get(at + 3)
    );

    // Choose candidate 2.
    harness
        .get_by_role_and_label(Role::Button, "Choose candidate 2 for release")
        .click();
    harness.run();
    label_containing(&harness, "Chosen for release: candidate 2");
    assert_eq!(
        harness
            .state()
            .tradeoffs()
            .decision
            .as_ref()
            .map(|d| d.candidate),
        Some(2)
    );
    // Its cards: the odds sentence for its actual privacy loss, prior 1 in 10.
    label_containing(
        &harness,
        "What candidate 2 means for the people in the cohort",
    );
    let bound = posterior_bound(0.1, b.epsilon_spent.unwrap_or(f64::INFINITY), 0.0)?;
    harness.get_by_label(&odds_sentence(&bound));
    label_containing(&harness, "relatives share much of their DNA");

    // A threshold: the least retention, 80 % by default; each verdict is the core's.
    harness
        .get_by_role_and_label(Role::CheckBox, "Least GWAS SNP retention")
        .click();
    harness.run();
    let policy = harness.state().tradeoffs().policy.clone();
    assert_eq!(policy.min_utility, Some(0.8));
    for figures in [&a, &b] {
        let verdict = judge(&policy, figures);
        let text = verdict.sentence();
        assert!(
            harness.query_all_by_label(&text).count() >= 1,
            "{text:?} not in {:?}",
            visible_labels(&harness)
        );
    }
    let low = judge(&policy, &a);
    assert!(
        a.utility.is_some_and(|u| u < 0.8)
            == low.sentence().starts_with("Fails: GWAS SNP retention"),
        "{}",
        low.sentence()
    );
    label_containing(&harness, "Releases about the same people add up");

    // The decision goes into a project and its report, user text escaped.
    harness
        .state_mut()
        .tradeoffs_mut()
        .candidates
        .iter_mut()
        .for_each(|c| {
            c.note = format!("<i>note {}</i>", c.id);
        });
    let mut project = Project::new();
    harness.state().tradeoffs().store_in(&mut project);
    let html = job::unattended(|job| build_report(&project, &[ReportSection::Decision], job))?;
    assert!(html.contains("Chosen: Candidate 2: XOR mechanism (PROVGEN), epsilon 16 per SNP"));
    assert!(html.contains("&lt;i&gt;note 1&lt;/i&gt;") && !html.contains("<i>note"));
    Ok(())
}

/// The steward's whole path through the widgets: the sample cohort from the
/// welcome screen, a sharing sweep, the dashboard, a candidate pinned, annotated
/// and chosen, the project saved, the report exported (equal to the core's report
/// of the saved file, decision included); then the clinician's plain view.
#[test]
fn whole_flow_from_the_welcome_screen_to_the_exported_report() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("genopriv-gui-flow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let project_file = dir.join("flow.genopriv.json");
    let report_file = dir.join("flow-report.html");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 3600.0))
        .with_max_steps(24)
        .build_eframe(|cc| GenoPrivApp::new(cc, Startup::default()));
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Try with sample data")
        .click();
    // One frame: the load then runs on a worker, its progress bar animating.
    harness.step();
    assert!(harness.state().is_busy());
    run_until_idle(&mut harness);
    assert!(harness.state().loaded_shape().is_some());

    seeded_sharing_sweep(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Trade-offs")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Pin run 3")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Choose candidate 1 for release")
        .click();
    harness.run();
    harness.state_mut().save_project_as(project_file.clone());
    run_until_idle(&mut harness);
    assert!(!harness.state().has_unsaved_changes());

    // A note typed afterwards is unsaved work, and the report waits for it.
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Note on candidate 1")
        .focus();
    harness.run();
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Note on candidate 1")
        .type_text("keeps most GWAS hits");
    harness.run();
    assert!(harness.state().has_unsaved_changes());
    label_containing(&harness, "unsaved decision");
    harness
        .get_by_role_and_label(Role::Button, "Report")
        .click();
    harness.run();
    assert!(is_disabled(&harness, "Export report"));
    harness
        .get_by_role_and_label(Role::Button, "Save project")
        .click();
    // The save runs on a worker, its progress bar animating: step, do not settle.
    harness.step();
    run_until_idle(&mut harness);
    assert!(!harness.state().has_unsaved_changes());
    assert!(!is_disabled(&harness, "Export report"));

    // What Export writes after its file dialog: the core's report of the saved file.
    harness.state_mut().export_report(report_file.clone());
    run_until_idle(&mut harness);
    let html = std::fs::read_to_string(&report_file).map_err(|e| Error::io(&report_file, e))?;
    let saved = Project::load(&project_file)?;
    assert_eq!(saved.decision.as_ref().map(|d| d.candidate), Some(1));
    let expected = job::unattended(|job| build_report(&saved, &ReportSection::ALL, job))?;
    assert_eq!(html, expected);
    assert!(html.contains("Chosen: Candidate 1: XOR mechanism (PROVGEN), epsilon 16 per SNP"));
    assert!(html.contains("Steward&#39;s note: keeps most GWAS hits"));

    // The clinician reads the outcome in plain words and can run nothing.
    harness
        .get_by_role_and_label(Role::Button, UserRole::Clinician.label())
        .click();
    harness.run();
    assert_eq!(harness.state().screen(), Screen::Report);
    assert!(is_disabled(&harness, "Protect") && is_disabled(&harness, "Audit"));
    label_containing(&harness, "In plain words");
    assert!(
        harness
            .query_by_label("What the report will hold")
            .is_none()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Rows of the screen's tables, as consecutive labels.
fn has_row(labels: &[String], row: &[String]) -> bool {
    labels.windows(row.len()).any(|w| w == row)
}

/// Sharing and synthesis on one chart: small sweeps of both kinds from the
/// Protect screen (one budget in common), the comparison chosen on the
/// Trade-offs screen; both series with their legend names, the sentence equal to
/// the core's for the rows the two sweeps produced (the synthesis rows the
/// window holds, the sharing rows rerun with the core), the same figures in the
/// table view; pinning still works per release.
#[test]
fn sharing_and_synthesis_share_one_chart() -> Result<()> {
    // 0.25 per SNP over the demo's 10,946 SNPs is 2,736.5 in total, which the
    // synthesis sweep also tries.
    const SHARING_PER_SNP: [f64; 2] = [0.25, 2.0];
    const SYNTHESIS_EPSILONS: &str = "300, 2736.5";
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 3600.0))
        .with_max_steps(24)
        .build_eframe(|cc| GenoPrivApp::new(cc, Startup::default()));
    harness.run();
    harness.state_mut().load_sample_data();
    run_until_idle(&mut harness);
    seeded_sharing_sweep_over(&mut harness, &SHARING_PER_SNP);

    harness
        .get_by_role_and_label(Role::Button, "Synthesize")
        .click();
    harness.run();
    seeded_synthesis_sweep(&mut harness, SEED, SYNTHESIS_EPSILONS);
    let Some(synthesis) = harness.state().synth_sweep_result().cloned() else {
        panic!("no synthesis sweep; labels: {:?}", visible_labels(&harness));
    };

    harness
        .get_by_role_and_label(Role::Button, "Trade-offs")
        .click();
    harness.run();
    harness
        .get_by_label("Compare sharing and synthetic data on one chart")
        .click();
    harness.run();
    assert!(harness.state().tradeoffs().compare_methods);
    // Both series are drawn: each has its legend entry (a checkbox that hides it).
    // Beside sharing's coin-flip control, the synthetic data's chance level: the
    // retention that SNPs looking significant by noise alone would give.
    for name in [
        "Sharing the genotypes",
        "Synthetic genotypes",
        "Sharing's coin-flip control (epsilon 0)",
        "Synthetic genotypes: retention by chance",
    ] {
        harness.get_by_role_and_label(Role::CheckBox, name);
    }
    // Under the chart: how the two retentions and epsilons differ.
    label_containing(&harness, "but of different GWAS");
    label_containing(
        &harness,
        "Epsilon is per person over the whole release on both",
    );

    // The sentence is the core's for the rows both sweeps produced: one run per
    // epsilon (repeats 1), so each run is its epsilon's mean.
    let shared = core_sweep(&SHARING_PER_SNP)?;
    let xor: Vec<&SweepRow> = shared
        .rows
        .iter()
        .filter(|r| r.mechanism == Mechanism::Xor)
        .collect();
    assert_eq!(xor.len(), SHARING_PER_SNP.len());
    let sharing_points: Vec<(f64, f64)> = xor
        .iter()
        .filter_map(|r| Some((r.epsilon_nominal, r.retention_rate?)))
        .collect();
    let synthesis_points: Vec<(f64, f64)> = synthesis
        .rows
        .iter()
        .filter_map(|r| Some((r.epsilon, r.gwas_retention?)))
        .collect();
    assert_eq!(sharing_points.len(), 2, "the demo sweep measures retention");
    assert_eq!(
        synthesis_points.len(),
        2,
        "the demo synthesis measures retention"
    );
    let expected = overlay_sentence(
        SharedUtility::GwasRetention,
        &sharing_points,
        &synthesis_points,
    );
    assert!(
        expected.contains("2 other budgets were tried by one sweep only"),
        "the grids share one budget: {expected}"
    );
    harness.get_by_label(&expected);

    // The table view: one row per release and epsilon, both utilities.
    harness
        .get_by_role_and_label(Role::CheckBox, "Table view")
        .click();
    harness.run();
    let labels = visible_labels(&harness);
    for r in &xor {
        let row = [
            number(r.epsilon_nominal),
            "Sharing the genotypes".to_owned(),
            "1".to_owned(),
            r.retention_rate
                .map_or_else(|| "not measured".to_owned(), |u| percent(u, 1)),
            "coin-flip control below".to_owned(),
            number(r.allele_frequency_mae),
        ];
        assert!(has_row(&labels, &row), "{row:?} not in {labels:?}");
    }
    for r in &synthesis.rows {
        let row = [
            number(r.epsilon),
            "Synthetic genotypes".to_owned(),
            "1".to_owned(),
            r.gwas_retention
                .map_or_else(|| "not measured".to_owned(), |u| percent(u, 1)),
            r.gwas_chance
                .map_or_else(|| "not measured".to_owned(), |c| percent(c, 1)),
            number(r.allele_frequency_mae),
        ];
        assert!(has_row(&labels, &row), "{row:?} not in {labels:?}");
    }

    // The comparison pins nothing; one release at a time does, and its
    // candidate stays on the right when comparing again.
    assert!(harness.query_by_label("Pin run 1").is_none());
    harness
        .get_by_label("Releasing synthetic genotypes (Protect screen)")
        .click();
    harness.run();
    assert!(!harness.state().tradeoffs().compare_methods);
    harness
        .get_by_role_and_label(Role::Button, "Pin run 1")
        .click();
    harness.run();
    harness
        .get_by_label("Compare sharing and synthetic data on one chart")
        .click();
    harness.run();
    label_containing(&harness, "Candidate 1: DP synthetic genotypes, epsilon 300");
    harness.get_by_label(&expected);
    Ok(())
}
