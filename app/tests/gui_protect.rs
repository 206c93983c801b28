//! The Protect screen driven through its accessibility tree (egui_kittest). The
//! figures it shows are checked against the same study run here directly with
//! `genopriv_core`: that checks the wiring from the window to the core, and the
//! exported files are read back with the core's reader, bcftools and sha256sum.

mod support;

use std::path::{Path, PathBuf};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use genopriv_app::gui::{EpsilonUnitChoice, GenoPrivApp, Screen, Startup};
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::read::read_genotypes;
use genopriv_core::data::{GenotypeMatrix, ReadOptions};
use genopriv_core::explain::format::{number, percent};
use genopriv_core::explain::realised_epsilon_sentence;
use genopriv_core::sharing::NoiseKey;
use genopriv_core::study::{
    Budget, Mechanism, ShareInputs, ShareSettings, ShareStudy, SweepSettings, TargetChoice,
    run_sweep,
};
use genopriv_core::{Result, job};
use support::{click_and_wait, label_containing, run_until_idle, visible_labels};

const SEED: u64 = 7;
const PER_SNP: f64 = 2.0;
/// A grid whose retention curve bends on the demo cohort (`genopriv sweep` with
/// the same grid and seed recommends 16 per SNP too).
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

fn bcftools_header(path: &Path) -> String {
    let output = std::process::Command::new("bcftools")
        .args(["view", "-h"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("bcftools is needed for this test and could not run: {e}"));
    assert!(
        output.status.success(),
        "bcftools cannot read the export: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Equal up to floating-point summation order.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn same_calls(a: &GenotypeMatrix, b: &GenotypeMatrix) -> bool {
    a.n_samples() == b.n_samples()
        && a.samples() == b.samples()
        && a.variants() == b.variants()
        && (0..a.n_variants()).all(|j| a.calls(j).eq(b.calls(j)))
}

#[test]
fn seeded_release_sweep_and_export_match_the_core() -> Result<()> {
    let mut harness = Harness::builder()
        // Tall, so that every result is laid out without scrolling.
        .with_size(egui::vec2(1280.0, 3200.0))
        // After a cancel or a result the screen can take up to 7 frames to settle
        // (seen in runs): more than kittest's default of 4.
        .with_max_steps(24)
        .build_eframe(|cc| GenoPrivApp::new(cc, Startup::default()));
    harness.run();
    let protect = |h: &Harness<'_, GenoPrivApp>| {
        h.get_by(|n| {
            n.role() == Role::Button && n.label().is_some_and(|l| l.starts_with("Protect"))
        })
        .accesskit_node()
        .is_disabled()
    };
    assert!(protect(&harness), "Protect needs a cohort first");

    harness.state_mut().load_sample_data();
    run_until_idle(&mut harness);
    assert_eq!(harness.state().loaded_shape(), Some((600, 10_946)));
    assert!(!protect(&harness));
    harness
        .get_by_role_and_label(Role::Button, "Protect")
        .click();
    harness.run();
    assert_eq!(harness.state().screen(), Screen::Protect);

    // The honest default, and the loud warning when the cohort's own
    // frequencies are chosen.
    harness.get_by_label_contains("Public reference panel: costs the participants nothing");
    harness
        .get_by_label_contains("The cohort's exact frequencies")
        .click();
    harness.run();
    label_containing(&harness, "epsilon does not cover");
    harness
        .get_by_label_contains("Public reference panel: costs the participants nothing")
        .click();
    harness.run();
    assert!(
        visible_labels(&harness)
            .iter()
            .all(|l| !l.contains("epsilon does not cover"))
    );

    harness
        .get_by_role_and_label(Role::Button, "Use the bundled demo panel")
        .click();
    harness.run();
    label_containing(&harness, "demo_reference_panel.vcf.gz");
    {
        let form = harness.state_mut().protect_form_mut();
        form.unit = EpsilonUnitChoice::PerSnp;
        form.epsilon = PER_SNP;
        form.use_seed = true;
        form.seed_text = SEED.to_string();
        form.sweep_per_snp = SWEEP_PER_SNP.to_vec();
        form.sweep_repeats = 1;
    }
    harness.run();
    // Both units are always shown.
    label_containing(
        &harness,
        "2 per SNP × 10,946 SNPs = 21,892 in total per person",
    );

    // Cancel stops a run (the first run reads the panel, so it is still going).
    harness
        .get_by_role_and_label(Role::Button, "Run release")
        .click();
    harness.step();
    assert!(
        harness.state().is_busy(),
        "the release should run on a worker"
    );
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    harness.step();
    assert!(!harness.state().is_busy());
    harness.run();
    label_containing(&harness, "was cancelled; nothing was changed");
    assert!(harness.state().release_report().is_none());

    click_and_wait(&mut harness, "Run release");
    assert!(
        harness.query_by_label("Problem").is_none(),
        "the release failed: {:?}",
        visible_labels(&harness)
    );

    // The same release computed directly with the core.
    let study = core_study()?;
    let settings = ShareSettings {
        mechanism: Mechanism::Xor,
        budget: Budget::PerSnp(PER_SNP),
        targets: TargetChoice::Reference,
    };
    let expected = job::unattended(|job| study.run(&settings, &NoiseKey::from_seed(SEED), job))?;
    let report = &expected.report;
    let Some(realised) = report.epsilon_realised else {
        panic!("the demo release should have a bounded realised epsilon");
    };
    let sentence = realised_epsilon_sentence(report.epsilon_nominal, realised)?;
    harness.get_by_label(&sentence);
    for (card, value) in [
        ("Point error", report.point_error),
        ("Sample error", report.sample_error),
        ("Mean error", report.mean_error),
        ("Variance error", report.variance_error),
        ("Allele-frequency error", report.allele_frequency_mae),
    ] {
        let labels = visible_labels(&harness);
        let at = labels
            .iter()
            .position(|l| l == card)
            .unwrap_or_else(|| panic!("no {card} card in {labels:?}"));
        assert_eq!(labels.get(at + 1), Some(&number(value)), "{card}");
    }
    let (Some(retention), Some(coin), Some(gwas)) = (
        report.retention_rate,
        report.coin_flip_retention_rate,
        &report.gwas,
    ) else {
        panic!("the demo cohort has phenotypes, so retention must be measured");
    };
    let retention_text = label_containing(&harness, "SNPs significant in the original GWAS");
    for part in [
        format!("Of the {} SNPs", number(gwas.significant_original as f64)),
        format!("{} are still significant", percent(retention, 1)),
        format!("retains {}", percent(coin, 1)),
    ] {
        assert!(
            retention_text.contains(&part),
            "{part:?} not in {retention_text:?}"
        );
    }
    label_containing(
        &harness,
        &format!(
            "Of the original GWAS's top {} SNPs, {} are also among",
            number(gwas.top_k.k as f64),
            number(gwas.top_k.shared as f64)
        ),
    );
    assert!(
        !report.membership.is_empty(),
        "a panel allows the membership audit"
    );
    for test in &report.membership {
        label_containing(
            &harness,
            &format!(
                ": allowed to wrongly flag 1 in 100 non-members, the attack found {} of members",
                percent(test.tpr_at_1pct_fpr, 1)
            ),
        );
        // The window capitalises the test name.
        label_containing(&harness, test.test.get(1..).unwrap_or_default());
    }
    // The window's report is the core's, plus the input checksums.
    let Some(shown) = harness.state().release_report() else {
        panic!("no release report kept");
    };
    assert_eq!(shown.point_error, report.point_error);
    // The calibration sums in parallel, so totals may differ in the last bits.
    assert!(close(
        shown.epsilon.nominal_total,
        report.epsilon.nominal_total
    ));
    assert!(
        shown
            .epsilon
            .realised_total
            .is_some_and(|r| close(r, realised))
    );
    label_containing(&harness, "Study output, not for release");
    label_containing(&harness, "In the original GWAS,");
    label_containing(
        &harness,
        "The shared allele frequencies differ from the original",
    );

    // The charts have table views; the Manhattan table starts with the core's
    // strongest original signal.
    let switches = harness.query_all_by_label("Table view").count();
    assert!(switches >= 2, "{switches} table switches");
    let Some(p) = &expected.gwas_p else {
        panic!("no GWAS p-values");
    };
    let strongest = (0..p.original.len())
        .filter_map(|j| Some((j, *p.original.get(j)?)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .and_then(|(j, _)| study.private().variants().get(j))
        .map(|v| v.display_id())
        .unwrap_or_default();
    harness
        .query_all_by_label("Table view")
        .next()
        .unwrap_or_else(|| panic!("no table switch"))
        .click();
    harness.run();
    harness.get_by_label("Original p");
    let labels = visible_labels(&harness);
    let header = labels.iter().position(|l| l == "Shared p");
    assert_eq!(
        header.and_then(|at| labels.get(at + 1)),
        Some(&strongest),
        "the table's first row should be the strongest SNP"
    );

    // A small sweep: the recommendation is the core's for the same grid and seed.
    click_and_wait(&mut harness, "Sweep epsilon");
    let sweep = SweepSettings {
        mechanisms: vec![Mechanism::Xor, Mechanism::CoinFlip],
        budgets: SWEEP_PER_SNP.iter().map(|&e| Budget::PerSnp(e)).collect(),
        targets: TargetChoice::Reference,
        repeats: 1,
        seed: SEED,
    };
    let swept = job::unattended(|job| run_sweep(&study, &sweep, &|_| {}, job))?;
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
    harness
        .get_by_role_and_label(
            Role::Button,
            &format!("Use epsilon {} per SNP", number(r.epsilon_per_snp)),
        )
        .click();
    harness.run();
    assert_eq!(
        harness.state_mut().protect_form_mut().epsilon,
        r.epsilon_per_snp
    );
    // The release on screen was made at another epsilon: the screen says so.
    label_containing(
        &harness,
        "The settings have changed since these results were made",
    );

    // Export, and read both files back.
    let dir = std::env::temp_dir().join(format!("genopriv-gui-protect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| genopriv_core::Error::io(&dir, e))?;
    let out = dir.join("shared.vcf.gz");
    harness.state_mut().export_release(out.clone());
    run_until_idle(&mut harness);
    label_containing(&harness, "Exported:");
    let back = job::unattended(|job| read_genotypes(&out, &ReadOptions::default(), job))?;
    assert!(
        same_calls(&back.matrix, &expected.released),
        "the exported VCF is not the core's release"
    );
    let header = bcftools_header(&out);
    assert!(header.contains("##genopriv_mechanism=xor"), "{header}");
    assert!(
        header.contains(&format!("##genopriv_seed={SEED}")),
        "{header}"
    );
    let report_path = dir.join("shared.report.json");
    let text = std::fs::read_to_string(&report_path)
        .map_err(|e| genopriv_core::Error::io(&report_path, e))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the report is not JSON: {e}\n{text}"));
    assert_eq!(json["mechanism"], "xor");
    assert_eq!(json["seed"], SEED);
    assert_eq!(json["not_for_release"], true);
    assert_eq!(
        json["epsilon_nominal"].as_f64(),
        Some(report.epsilon_nominal)
    );
    assert!(
        json["epsilon_realised"]
            .as_f64()
            .is_some_and(|r| close(r, realised))
    );
    assert_eq!(json["point_error"].as_f64(), Some(report.point_error));
    assert_eq!(json["retention_rate"].as_f64(), Some(retention));
    assert_eq!(
        json["input_sha256"].as_str(),
        Some(sha256sum(&sample("demo_cohort.vcf.gz")).as_str())
    );
    assert_eq!(
        json["reference_sha256"].as_str(),
        Some(sha256sum(&sample("demo_reference_panel.vcf.gz")).as_str())
    );
    std::fs::remove_dir_all(&dir).map_err(|e| genopriv_core::Error::io(&dir, e))?;
    Ok(())
}
