//! The Synthesize side of the Protect screen driven through its accessibility
//! tree (egui_kittest): a small seeded synthesis of the demo cohort, its report
//! checked against the same study run here directly with `genopriv_core`, the
//! sentences on screen against the core's, the export read back (the core's
//! reader, bcftools, sha256sum), Cancel, and the missing-phenotype message.

mod support;

use std::path::Path;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use genopriv_app::gui::{GenoPrivApp, Startup};
use genopriv_core::data::ReadOptions;
use genopriv_core::data::read::read_genotypes;
use genopriv_core::explain::synthesis::{
    cell_noise_check, frequency_error_sentence, ld_decay_sentence, needed_n_warning,
    synthetic_attack_sentence,
};
use genopriv_core::study::CandidateFigures;
use genopriv_core::study::synth::{SynthInputs, SynthReport, run_synth_study};
use genopriv_core::study::synth_sweep::run_synth_sweep;
use genopriv_core::synthesis::{Structure, plan};
use genopriv_core::{Error, Result, job};
use support::{
    cancel, click_and_wait, demo, demo_cohort, demo_without_phenotypes, label_containing,
    run_until_idle, same_calls, sample, seeded_synthesis_sweep, started, synthesize_side,
    visible_labels,
};

const SEED: u64 = 5;

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

/// `bcftools query` of the genotypes as allele counts, one line per SNP.
fn bcftools_allele_counts(path: &Path) -> Vec<Vec<u8>> {
    let output = std::process::Command::new("bcftools")
        .args(["query", "-f", "[%GT\\t]\\n"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("bcftools is needed for this test and could not run: {e}"));
    assert!(
        output.status.success(),
        "bcftools cannot read the export: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            line.split('\t')
                .filter(|gt| !gt.is_empty())
                .map(|gt| gt.bytes().filter(|&b| b == b'1').count() as u8)
                .collect()
        })
        .collect()
}

/// What the export writes for a JSON side file.
fn pretty_json(value: &impl serde::Serialize) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_else(|e| panic!("not JSON: {e}"))
    )
}

/// Reports compared as JSON: NaN (an undefined figure) equals itself there.
fn same_report(a: &SynthReport, b: &SynthReport) -> bool {
    serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
}

/// The app on the Protect screen's Synthesize side; tall, so that every result
/// is laid out without scrolling.
fn synthesize_screen(startup: Startup) -> Harness<'static, GenoPrivApp> {
    let harness = synthesize_side(startup, egui::vec2(1280.0, 4600.0));
    label_containing(
        &harness,
        "Protect: synthesize a cohort with differential privacy",
    );
    harness
}

#[test]
fn seeded_synthesis_matches_the_core_and_exports() -> Result<()> {
    let mut harness = synthesize_screen(demo());

    // Before running: the demo cohort (300 training people, 10,946 SNPs) is far
    // too small for epsilon 3, and the screen says so with the core's figures.
    let planned = plan(3.0, 1e-6, Structure::TanChain, 2, 3, 10_946)?;
    let check = cell_noise_check(&planned, 300, 1e-6);
    let Some(warning) = needed_n_warning(&check) else {
        panic!("epsilon 3 on 300 training people should be too noisy: {check:?}");
    };
    label_containing(&harness, warning.trim_start_matches("Warning: "));

    harness
        .get_by_role_and_label(Role::CheckBox, "Study mode: fixed seed (not for release)")
        .click();
    harness.run();
    {
        // A small study: the numbers without a widget-friendly path are set directly.
        let form = harness.state_mut().synth_form_mut();
        assert!(form.use_seed);
        assert_eq!(form.seed_text, "1", "study mode starts with a ready seed");
        form.seed_text = SEED.to_string();
        form.estimator_iterations = 20;
        form.bootstrap_resamples = 50;
    }
    harness.run();
    click_and_wait(&mut harness, "Run synthesis");
    let Some(window) = harness.state().synth_outcome().cloned() else {
        panic!("no synthesis; labels: {:?}", visible_labels(&harness));
    };

    // The same study, run by the core.
    let settings = harness
        .state_mut()
        .synth_form_mut()
        .settings()
        .unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(settings.seed, Some(SEED));
    assert_eq!(settings.epsilon, 3.0);
    assert_eq!(settings.delta, 1e-6);
    let (real, is_case) = demo_cohort()?;
    let mut expected =
        job::unattended(|job| run_synth_study(&SynthInputs { real, is_case }, &settings, job))?;
    // The window records its inputs' checksums; sha256sum computes them again.
    let report = &window.report;
    assert_eq!(
        report.input_sha256.as_deref(),
        Some(sha256sum(&sample("demo_cohort.vcf.gz")).as_str())
    );
    let hashes: Vec<&str> = report
        .manifest
        .inputs
        .iter()
        .map(|i| i.sha256.as_str())
        .collect();
    assert_eq!(
        hashes,
        [
            sha256sum(&sample("demo_cohort.vcf.gz")),
            sha256sum(&sample("demo_cohort.pheno.tsv"))
        ]
    );
    expected.report.input_sha256 = report.input_sha256.clone();
    expected.report.manifest.inputs = report.manifest.inputs.clone();
    assert!(
        same_report(report, &expected.report),
        "the window's synthesis report differs from the core's"
    );
    assert!(same_calls(
        &window.synthetic.matrix,
        &expected.synthetic.matrix
    ));
    assert_eq!(window.frequencies, expected.frequencies);
    assert!(report.not_for_release);

    // On screen: every sentence of the core's explanation (the manifest's
    // measurement, the budget, the frequency noise, the distance check and the
    // DP bound), each attack beside its ceiling, and both charts' sentences.
    let explanation = &expected.report.explanation;
    for start in ["The generator counted", "Whatever method an attacker uses"] {
        assert!(
            explanation.iter().any(|s| s.starts_with(start)),
            "the core's explanation has no sentence starting {start:?}"
        );
    }
    for sentence in explanation {
        label_containing(&harness, sentence);
    }
    assert_eq!(report.membership.len(), 3);
    for attack in &report.membership {
        label_containing(&harness, &synthetic_attack_sentence(attack));
    }
    label_containing(&harness, &ld_decay_sentence(&report.ld));
    label_containing(
        &harness,
        &frequency_error_sentence(&report.allele_frequency, 10_946),
    );
    label_containing(&harness, "Study output, not for release");

    // A chart's table view.
    harness
        .get_by_role_and_label(Role::CheckBox, "Table view: LD decay")
        .click();
    harness.run();
    harness.get_by_label("Synthetic mean r\u{b2}");

    // Export, and read everything back.
    let dir = std::env::temp_dir().join(format!("genopriv-gui-synth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let out = dir.join("synthetic.vcf.gz");
    harness.state_mut().export_synthesis(out.clone());
    run_until_idle(&mut harness);
    label_containing(&harness, "Exported:");
    let back = job::unattended(|job| read_genotypes(&out, &ReadOptions::default(), job))?;
    assert!(
        same_calls(&back.matrix, &window.synthetic.matrix),
        "the exported VCF is not the synthetic cohort"
    );
    let counts = bcftools_allele_counts(&out);
    assert_eq!(counts.len(), window.synthetic.matrix.n_variants());
    for (j, row) in counts.iter().enumerate() {
        assert!(
            window.synthetic.matrix.calls(j).eq(row.iter().copied()),
            "bcftools reads other calls at SNP {j}"
        );
    }
    let read = |name: &str| -> Result<String> {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))
    };
    let pheno = read("synthetic.pheno.tsv")?;
    let mut lines = pheno.lines();
    assert_eq!(lines.next(), Some("sample_id\tcase"));
    let rows: Vec<String> = lines.map(str::to_owned).collect();
    let wanted: Vec<String> = window
        .synthetic
        .matrix
        .samples()
        .iter()
        .zip(&window.synthetic.labels)
        .map(|(s, y)| format!("{s}\t{y}"))
        .collect();
    assert_eq!(rows, wanted);
    // The side files hold exactly the JSON of the window's manifest and report
    // (compared as text: parsing JSON back may move the last digit of a float).
    assert!(
        read("synthetic.manifest.json")? == pretty_json(&report.manifest),
        "the exported manifest is not the window's"
    );
    assert!(
        read("synthetic.report.json")? == pretty_json(report),
        "the exported report is not the window's"
    );
    std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;

    // Cancel: a second run stops, and the first run's results stay.
    harness
        .get_by_role_and_label(Role::Button, "Run synthesis")
        .click();
    harness.step();
    assert!(harness.state().is_busy());
    // The Cancel button is drawn from the frame after the job started.
    harness.step();
    cancel(&mut harness);
    label_containing(&harness, "Synthesizing was cancelled; nothing was changed");
    assert!(
        harness
            .state()
            .synth_outcome()
            .is_some_and(|o| same_report(&o.report, report))
    );
    Ok(())
}

/// Without phenotypes the side says what is missing, before and on Run.
#[test]
fn missing_statuses_are_explained() {
    let mut harness = synthesize_screen(demo_without_phenotypes());
    let message = "Synthesis needs case/control statuses: add a phenotype table on the Data \
                   screen first.";
    label_containing(&harness, message);
    harness
        .get_by_role_and_label(Role::Button, "Run synthesis")
        .click();
    harness.run();
    assert!(!harness.state().is_busy());
    assert!(harness.state().synth_outcome().is_none());
    // The settings column and the problem notice both say it.
    let shown = visible_labels(&harness)
        .iter()
        .filter(|l| l.contains(message))
        .count();
    assert_eq!(shown, 2, "labels: {:?}", visible_labels(&harness));
}

/// At 200 % on a 1920 x 1080 screen (960 x 540 points) the Synthesize side and
/// a finished synthesis wrap their sentences inside the window (tables may
/// scroll sideways; sentences may not).
#[test]
fn synthesis_fits_a_small_window_at_200_percent() {
    let size = egui::vec2(960.0, 540.0);
    let mut harness = started(
        Harness::builder()
            .with_size(size)
            .with_pixels_per_point(2.0),
        demo(),
    );
    for button in ["Protect", "Synthesize"] {
        harness
            .get_by_role_and_label(Role::Button, button)
            .scroll_to_me();
        harness.run();
        harness.get_by_role_and_label(Role::Button, button).click();
        harness.run();
    }
    {
        let form = harness.state_mut().synth_form_mut();
        form.use_seed = true;
        form.seed_text = SEED.to_string();
        form.estimator_iterations = 5;
        form.bootstrap_resamples = 20;
    }
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Run synthesis")
        .scroll_to_me();
    harness.run();
    click_and_wait(&mut harness, "Run synthesis");
    assert!(harness.state().synth_outcome().is_some());
    let overflowing: Vec<String> = harness
        .query_all_by_role(Role::Label)
        .filter_map(|n| {
            let node = n.accesskit_node();
            let text = node.value()?;
            let bounds = node.raw_bounds()?;
            let sentence = text.len() > 80 && text.contains(' ');
            (sentence && bounds.x1 > f64::from(size.x) + 0.5)
                .then(|| format!("{text:?} ends at x = {:.0}", bounds.x1))
        })
        .collect();
    assert!(
        overflowing.is_empty(),
        "sentences run past the window's right edge ({} points): {overflowing:#?}",
        size.x
    );
    // The results were laid out too, not only the settings.
    label_containing(&harness, "The generator counted");
}

/// A seeded synthesis sweep: the window's result equals the core's for the same
/// settings, and the Trade-offs screen draws it as its own source, whose pinned
/// runs carry the core's figures.
#[test]
fn synthesis_sweep_matches_the_core_and_reaches_the_dashboard() -> Result<()> {
    let mut harness = synthesize_screen(demo());
    seeded_synthesis_sweep(&mut harness, SEED, "30, 300");
    let Some(window) = harness.state().synth_sweep_result().cloned() else {
        panic!("no sweep; labels: {:?}", visible_labels(&harness));
    };
    let settings = harness
        .state_mut()
        .synth_form_mut()
        .sweep_settings(SEED)
        .unwrap_or_else(|m| panic!("{m}"));
    let (real, is_case) = demo_cohort()?;
    let expected = job::unattended(|job| {
        run_synth_sweep(&SynthInputs { real, is_case }, &settings, &|_| {}, job)
    })?;
    assert_eq!(
        serde_json::to_value(&window).ok(),
        serde_json::to_value(&expected).ok(),
        "the window's sweep differs from the core's"
    );
    assert_eq!(expected.rows.len(), 2);
    // More budget keeps the frequencies closer.
    let errors: Vec<f64> = expected
        .rows
        .iter()
        .map(|r| r.allele_frequency_mae)
        .collect();
    assert!(errors.windows(2).all(|w| w[1] < w[0]), "{errors:?}");

    harness
        .get_by_role_and_label(Role::Button, "Trade-offs")
        .click();
    harness.run();
    label_containing(&harness, "Synthesis sweep (chain of order 1): 2 runs");
    harness
        .get_by_role_and_label(Role::Button, "Pin run 2")
        .click();
    harness.run();
    let pinned = harness
        .state()
        .tradeoffs()
        .candidates
        .first()
        .map(|c| (c.figures.clone(), c.title()));
    let Some((figures, title)) = pinned else {
        panic!("nothing pinned; labels: {:?}", visible_labels(&harness));
    };
    let Some(row) = expected.rows.last() else {
        panic!("two rows");
    };
    assert_eq!(figures, CandidateFigures::from_synth_row(row));
    assert_eq!(
        title,
        "Candidate 1: DP synthetic genotypes, epsilon 300, chain of order 1"
    );
    label_containing(&harness, "Seed ");
    Ok(())
}
