//! Helpers shared by the kittest GUI tests.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::{Harness, HarnessBuilder};
use genopriv_app::gui::{GenoPrivApp, Screen, Startup};
use genopriv_core::data::read::pheno::{join, read_phenotypes};
use genopriv_core::data::read::read_genotypes;
use genopriv_core::data::{GenotypeMatrix, ReadOptions};
use genopriv_core::{Error, Result, job};

/// Long enough for a debug build to load the demo cohort or run a study on a busy
/// two-core machine.
pub const DEADLINE: Duration = Duration::from_secs(300);

/// Steps the window (its work runs on workers) until `done` holds, bounded by
/// [`DEADLINE`].
pub fn step_until(
    harness: &mut Harness<'_, GenoPrivApp>,
    what: &str,
    done: impl Fn(&GenoPrivApp) -> bool,
) {
    let deadline = Instant::now() + DEADLINE;
    while !done(harness.state()) {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {DEADLINE:?}"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs frames until the window has no job running (bounded), then lets it settle.
pub fn run_until_idle(harness: &mut Harness<'_, GenoPrivApp>) {
    step_until(harness, "the end of the job", |app| !app.is_busy());
    harness.run();
}

/// Every label on screen, for queries and failure messages.
pub fn visible_labels(harness: &Harness<'_, GenoPrivApp>) -> Vec<String> {
    harness
        .query_all_by_role(Role::Label)
        .filter_map(|n| n.accesskit_node().value())
        .collect()
}

/// The label containing `part`, with every label listed if there is none.
// Not every GUI test binary looks labels up by part.
#[allow(dead_code)]
pub fn label_containing(harness: &Harness<'_, GenoPrivApp>, part: &str) -> String {
    visible_labels(harness)
        .into_iter()
        .find(|l| l.contains(part))
        .unwrap_or_else(|| {
            panic!(
                "no label contains {part:?}; labels: {:?}",
                visible_labels(harness)
            )
        })
}

/// Clicks the button `label`, checks that its work went to a worker (the window
/// stays responsive), and runs frames until it is done.
// Not every GUI test binary starts jobs from a button.
#[allow(dead_code)]
pub fn click_and_wait(harness: &mut Harness<'_, GenoPrivApp>, label: &str) {
    harness.get_by_role_and_label(Role::Button, label).click();
    harness.step();
    assert!(
        harness.state().is_busy(),
        "`{label}` should run on a worker"
    );
    run_until_idle(harness);
}

/// Clicks Cancel on the running job and checks that the window is idle again.
// Not every GUI test binary cancels a job.
#[allow(dead_code)]
pub fn cancel(harness: &mut Harness<'_, GenoPrivApp>) {
    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    harness.run();
    assert!(!harness.state().is_busy());
}

/// A file of the demo data in `sample_data/`.
// Not every GUI test binary reads the demo data itself.
#[allow(dead_code)]
pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample_data")
        .join(name)
}

/// The window opening with the demo cohort and its phenotypes.
// Only the synthesis test binaries start the app with data.
#[allow(dead_code)]
pub fn demo() -> Startup {
    Startup {
        sample_data: true,
        ..Startup::default()
    }
}

/// The window opening with the demo genotypes alone: no case/control statuses.
// Only the synthesis test binaries start the app with data.
#[allow(dead_code)]
pub fn demo_without_phenotypes() -> Startup {
    Startup {
        open: Some(sample("demo_cohort.vcf.gz")),
        ..Startup::default()
    }
}

/// The demo cohort and every sample's status, read directly with the core.
// Only the synthesis test binaries compare against the core's own reading.
#[allow(dead_code)]
pub fn demo_cohort() -> Result<(GenotypeMatrix, Vec<bool>)> {
    job::unattended(|job| {
        let cohort = read_genotypes(&sample("demo_cohort.vcf.gz"), &ReadOptions::default(), job)?;
        let table = read_phenotypes(&sample("demo_cohort.pheno.tsv"), None)?;
        let joined = join(&table, cohort.matrix.samples());
        let status = table.case_control(&joined, "case")?.status;
        let is_case = status
            .iter()
            .map(|s| s.ok_or_else(|| Error::Parameter("a demo sample has no status".into())))
            .collect::<Result<Vec<bool>>>()?;
        Ok((cohort.matrix, is_case))
    })
}

/// Whether two matrices hold the same samples, SNPs and calls.
// Only the test binaries that export genotypes compare matrices.
#[allow(dead_code)]
pub fn same_calls(a: &GenotypeMatrix, b: &GenotypeMatrix) -> bool {
    a.n_samples() == b.n_samples()
        && a.samples() == b.samples()
        && a.variants() == b.variants()
        && (0..a.n_variants()).all(|j| a.calls(j).eq(b.calls(j)))
}

/// The app built by `builder` with `startup`, once the data it opens at start
/// has loaded.
// Only the synthesis test binaries start the app with data.
#[allow(dead_code)]
pub fn started(
    builder: HarnessBuilder<GenoPrivApp>,
    startup: Startup,
) -> Harness<'static, GenoPrivApp> {
    let mut harness = builder
        .with_max_steps(24)
        .build_eframe(|cc| GenoPrivApp::new(cc, startup));
    // The data loads on a worker from the first frame: step, do not settle.
    harness.step();
    run_until_idle(&mut harness);
    harness
}

/// The app started with `startup` in a window of `size`, on the Protect
/// screen's Synthesize side.
// Only the synthesis test binaries open the Synthesize side.
#[allow(dead_code)]
pub fn synthesize_side(startup: Startup, size: egui::Vec2) -> Harness<'static, GenoPrivApp> {
    let mut harness = started(Harness::builder().with_size(size), startup);
    for button in ["Protect", "Synthesize"] {
        harness.get_by_role_and_label(Role::Button, button).click();
        harness.run();
    }
    assert_eq!(harness.state().screen(), Screen::Protect);
    harness
}

/// Runs a synthesis sweep from the Synthesize side in study mode: `seed`, a
/// small fit (20 estimator steps, 50 bootstrap resamples) and the epsilons in
/// `sweep` ("30, 300").
#[allow(dead_code)]
pub fn seeded_synthesis_sweep(harness: &mut Harness<'_, GenoPrivApp>, seed: u64, sweep: &str) {
    harness
        .get_by_role_and_label(Role::CheckBox, "Study mode: fixed seed (not for release)")
        .click();
    harness.run();
    {
        let form = harness.state_mut().synth_form_mut();
        form.seed_text = seed.to_string();
        form.estimator_iterations = 20;
        form.bootstrap_resamples = 50;
        form.sweep_text = sweep.into();
    }
    harness.run();
    click_and_wait(harness, "Sweep epsilon (synthesis)");
}
