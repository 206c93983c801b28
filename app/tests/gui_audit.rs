//! The Audit screen driven through its accessibility tree (egui_kittest): a small
//! seeded DP audit of the demo cohort, its figures checked against the same audit
//! run here directly with `genopriv_core`, the charts' sentences against the core's
//! PCA and correlations, and Cancel.

mod support;

use std::path::{Path, PathBuf};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use genopriv_app::gui::{AuditPlan, GenoPrivApp, ModelChoice, Screen, Startup};
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::read::read_genotypes;
use genopriv_core::data::{GenotypeMatrix, ReadOptions};
use genopriv_core::explain::format::{auc, number, percent};
use genopriv_core::models::fedavg::Aggregation;
use genopriv_core::stats::top_label_correlations;
use genopriv_core::study::audit_sweep::run_audit_sweep;
use genopriv_core::study::federated::FederatedAudit;
use genopriv_core::study::recommend::{Evidence, recommend};
use genopriv_core::study::{
    AttackKind, CandidateFigures, ModelAudit, ModelAuditReport, ReferenceMode,
};
use genopriv_core::{Result, job};
use support::{click_and_wait, label_containing, run_until_idle, visible_labels};

const SEED: u64 = 11;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample_data")
        .join(name)
}

fn cohort() -> Result<(GenotypeMatrix, Vec<Option<bool>>)> {
    job::unattended(|job| {
        let cohort = read_genotypes(&sample("demo_cohort.vcf.gz"), &ReadOptions::default(), job)?;
        let table = read_phenotypes(&sample("demo_cohort.pheno.tsv"), None)?;
        let joined = join(&table, cohort.matrix.samples());
        let status = table.case_control(&joined, "case")?.status;
        Ok((cohort.matrix, status))
    })
}

/// The app with the demo cohort loaded, on the Audit screen; tall, so that every
/// result is laid out without scrolling.
fn audit_screen() -> Harness<'static, GenoPrivApp> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 4200.0))
        .with_max_steps(24)
        .build_eframe(|cc| GenoPrivApp::new(cc, Startup::default()));
    harness.run();
    harness.state_mut().load_sample_data();
    run_until_idle(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Audit").click();
    harness.run();
    harness
}

/// Reports compared as JSON: NaN (an undefined figure) equals itself there.
fn same_report(a: &ModelAuditReport, b: &ModelAuditReport) -> bool {
    serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
}

#[test]
fn seeded_dp_audit_matches_the_core_and_cancels() -> Result<()> {
    let mut harness = audit_screen();
    assert_eq!(harness.state().screen(), Screen::Audit);

    // Settings through the widgets: DP on, RMIA off, study mode.
    // One click a frame: turning DP on opens its settings and moves what follows.
    for checkbox in [
        "Train with differential privacy (DP-SGD)",
        "RMIA (relative membership)",
        "Study mode: fixed seed",
    ] {
        harness
            .get_by_role_and_label(Role::CheckBox, checkbox)
            .click();
        harness.run();
    }
    {
        // A small audit: numbers without a widget-friendly path are set directly.
        let form = harness.state_mut().audit_form_mut();
        assert!(form.dp && form.use_seed);
        assert_eq!(form.seed_text, "1", "study mode starts with a ready seed");
        form.seed_text = SEED.to_string();
        form.epochs = 2;
        form.reference_models = 4;
        form.reference_mode = ReferenceMode::Offline;
        form.bootstrap_resamples = 100;
    }
    harness.run();
    let live = label_containing(&harness, "for 150 members");

    click_and_wait(&mut harness, "Run audit");
    let Some(report) = harness.state().audit_report().cloned() else {
        panic!("no audit report; labels: {:?}", visible_labels(&harness));
    };

    // The same audit, run by the core.
    let (matrix, status) = cohort()?;
    let settings = harness
        .state_mut()
        .audit_form_mut()
        .settings(SEED)
        .unwrap_or_else(|m| panic!("{m}"));
    assert!(!settings.attacks.contains(&AttackKind::Rmia));
    let expected = job::unattended(|job| {
        ModelAudit::prepare(&matrix, &status, SEED, job)?.run(&settings, job)
    })?;
    assert!(
        same_report(&report, &expected),
        "the window's audit differs from the core's"
    );

    // On screen: ε (live before the run, and in the results), accuracy, and every
    // attack's sentences and AUC.
    let Some(epsilon) = expected.epsilon else {
        panic!("a DP audit reports epsilon");
    };
    assert!(
        live.starts_with(&format!("ε = {} at δ", number(epsilon))),
        "{live}"
    );
    label_containing(&harness, &format!("ε = {} at δ = ", number(epsilon)));
    label_containing(&harness, &percent(expected.test_accuracy, 1));
    // Loss, LiRA, gradient norm and shadow model (RMIA was turned off).
    assert_eq!(expected.attacks.len(), 4);
    for attack in &expected.attacks {
        for sentence in &attack.sentences {
            label_containing(&harness, sentence);
        }
        label_containing(
            &harness,
            &format!(
                "AUC {} (95 % CI {} to {})",
                auc(attack.auc),
                auc(attack.auc_interval.lower),
                auc(attack.auc_interval.upper)
            ),
        );
    }
    // 150 non-members cannot measure a 1 % false-positive rate.
    label_containing(&harness, "TPR at 1 % FPR: inconclusive");
    let Some(label) = &expected.label_inference else {
        panic!("label inference was chosen");
    };
    for sentence in &label.sentences {
        label_containing(&harness, sentence);
    }

    // Chart sentences: the DP ceiling, and the cohort's strongest SNP.
    label_containing(
        &harness,
        "The dashed curve is the most any attack can reach",
    );
    label_containing(&harness, "The first two principal components explain");
    let top = top_label_correlations(&matrix, &status, 1)?;
    let Some(strongest) = top.first() else {
        panic!("the demo cohort has correlated SNPs");
    };
    let id = &matrix.variants()[strongest.variant].id;
    label_containing(
        &harness,
        &format!(
            "The SNP most correlated with case status is {id} (r = {}",
            number(strongest.r)
        ),
    );
    // A chart's table view.
    harness
        .get_by_role_and_label(Role::CheckBox, "Table view: ROC curves (log-log)")
        .click();
    harness.run();
    harness.get_by_label("DP ceiling");

    // Cancel: a second run stops, and the first run's results stay.
    harness
        .get_by_role_and_label(Role::Button, "Run audit")
        .click();
    harness.step();
    assert!(harness.state().is_busy());
    // The Cancel button is drawn from the frame after the job started.
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    harness.run();
    assert!(!harness.state().is_busy());
    label_containing(&harness, "The audit was cancelled");
    assert!(
        harness
            .state()
            .audit_report()
            .is_some_and(|r| same_report(r, &expected))
    );
    Ok(())
}

/// Federated training with secure aggregation: the attacks a federation cannot
/// run are off, the window's report equals the core's for the same seed, and the
/// server's view is the aggregate only.
#[test]
fn federated_audit_with_secure_aggregation_matches_the_core() -> Result<()> {
    let mut harness = audit_screen();
    for checkbox in [
        "Federated training (FedAvg across clients)",
        "Secure aggregation: the server sees only the sum of the updates",
        "Study mode: fixed seed",
    ] {
        harness
            .get_by_role_and_label(Role::CheckBox, checkbox)
            .click();
        harness.run();
    }
    {
        let form = harness.state_mut().audit_form_mut();
        assert_eq!(
            form.model,
            ModelChoice::Sgd,
            "federated clients are SGD models"
        );
        form.seed_text = SEED.to_string();
        form.bootstrap_resamples = 100;
        if let Some(federation) = form.federation.as_mut() {
            federation.rounds = 3;
        }
    }
    harness.run();
    let plan = harness
        .state_mut()
        .audit_form_mut()
        .plan(SEED)
        .unwrap_or_else(|m| panic!("{m}"));
    let AuditPlan::Federated(settings) = plan else {
        panic!("the form asks for a federated audit");
    };
    // Every attack box stays ticked, but only those a federation can run are run.
    assert_eq!(
        settings.attacks,
        [
            AttackKind::Loss,
            AttackKind::GradientNorm,
            AttackKind::Label
        ]
    );
    assert_eq!(settings.aggregation, Aggregation::Secure);

    click_and_wait(&mut harness, "Run audit");
    let Some(report) = harness.state().federated_audit_report().cloned() else {
        panic!(
            "no federated report; labels: {:?}",
            visible_labels(&harness)
        );
    };
    let (matrix, status) = cohort()?;
    let expected =
        job::unattended(|job| FederatedAudit::prepare(&matrix, &status)?.run(&settings, job))?;
    assert_eq!(
        serde_json::to_value(&report).ok(),
        serde_json::to_value(&expected).ok(),
        "the window's federated audit differs from the core's"
    );
    assert_eq!(expected.server_attacks.len(), 1);
    label_containing(&harness, "What the server sees");
    label_containing(&harness, "From the sum of the updates only");
    for sentence in &expected.server_attacks[0].result.sentences {
        label_containing(&harness, sentence);
    }
    label_containing(&harness, "secure aggregation: the server sees only the sum");
    Ok(())
}

/// A DP sweep from the Audit screen: the window's result equals the core's for the
/// same seed, and the recommendation shown is the core's.
#[test]
fn dp_sweep_matches_the_core_and_recommends() -> Result<()> {
    let mut harness = audit_screen();
    harness
        .get_by_role_and_label(Role::CheckBox, "Study mode: fixed seed")
        .click();
    harness.run();
    {
        let form = harness.state_mut().audit_form_mut();
        form.seed_text = SEED.to_string();
        form.epochs = 2;
        form.reference_models = 4;
        form.bootstrap_resamples = 100;
        form.sweep_noise_text = "1, 16".into();
        for attack in [
            AttackKind::Lira,
            AttackKind::Rmia,
            AttackKind::Shadow,
            AttackKind::Label,
        ] {
            form.set_attack(attack, false);
        }
    }
    harness.run();
    click_and_wait(&mut harness, "Sweep DP noise");
    let Some(result) = harness.state().audit_sweep_result().cloned() else {
        panic!("no sweep result; labels: {:?}", visible_labels(&harness));
    };
    let settings = harness
        .state_mut()
        .audit_form_mut()
        .sweep_settings(SEED)
        .unwrap_or_else(|m| panic!("{m}"));
    let (matrix, status) = cohort()?;
    let expected = job::unattended(|job| {
        let audit = ModelAudit::prepare(&matrix, &status, SEED, job)?;
        run_audit_sweep(&audit, &settings, &|_| {}, job)
    })?;
    assert_eq!(
        serde_json::to_value(&result).ok(),
        serde_json::to_value(&expected).ok(),
        "the window's sweep differs from the core's"
    );
    assert_eq!(expected.rows.len(), 3, "no DP, then σ 1 and 16");
    label_containing(&harness, &expected.sentence);
    let defences = recommend(&[Evidence::AuditSweep {
        study: "any",
        result: &expected,
    }]);
    assert!(
        !defences.is_empty(),
        "a sweep with a leaky baseline recommends"
    );
    for defence in &defences {
        label_containing(&harness, &defence.sentence);
    }

    // The Trade-offs screen reads the same sweep: accuracy against the accountant's
    // epsilon, the model trained without DP as the reference, and each DP point's
    // strongest attack at 1 % FPR with its interval.
    harness
        .get_by_role_and_label(Role::Button, "Trade-offs")
        .click();
    harness.run();
    assert_eq!(harness.state().screen(), Screen::TradeOffs);
    label_containing(
        &harness,
        "DP training sweep of the logistic regression (L2)",
    );
    let no_dp = expected
        .rows
        .first()
        .map(|r| r.test_accuracy)
        .unwrap_or_default();
    label_containing(
        &harness,
        &format!(
            "Trained without DP, the same model reaches {}",
            percent(no_dp, 0)
        ),
    );
    let dp_rows: Vec<_> = expected
        .rows
        .iter()
        .filter(|r| r.noise_multiplier.is_some())
        .collect();
    // Runs are listed by epsilon: sigma 16 (the smaller epsilon) is run 1.
    let Some(sigma_16) = dp_rows.iter().find(|r| r.noise_multiplier == Some(16.0)) else {
        panic!("no sigma 16 row in {:?}", expected.rows);
    };
    let Some(figures) = CandidateFigures::from_audit_row(sigma_16) else {
        panic!("a DP row has an epsilon");
    };
    harness
        .get_by_role_and_label(Role::Button, "Pin run 1")
        .click();
    harness.run();
    let pinned = harness
        .state()
        .tradeoffs()
        .candidates
        .first()
        .map(|c| (c.figures.clone(), c.title()));
    let Some((shown, title)) = pinned else {
        panic!("nothing pinned; labels: {:?}", visible_labels(&harness));
    };
    assert_eq!(shown, figures);
    assert!(
        title.starts_with(&format!(
            "Candidate 1: logistic regression (L2) trained with DP-SGD, epsilon {}, noise \
             multiplier 16",
            number(figures.epsilon_nominal)
        )),
        "{title}"
    );
    // Members found, with the Clopper-Pearson interval of the strongest attack.
    let Some(found) = figures.members_found() else {
        panic!("the sweep ran the loss attack");
    };
    assert!(found.contains(" to "), "{found}");
    label_containing(&harness, &format!("members found at 1 %: {found}"));
    // A model's privacy label: what is released is a trained model.
    label_containing(&harness, "The model's privacy loss is epsilon");
    Ok(())
}
