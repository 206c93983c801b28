//! Helpers shared by the kittest GUI tests.

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use genopriv_app::gui::GenoPrivApp;

/// Long enough for a debug build to load the demo cohort or run a study on a busy
/// two-core machine.
pub const DEADLINE: Duration = Duration::from_secs(300);

/// Runs frames until the window has no job running (bounded), then lets it settle.
pub fn run_until_idle(harness: &mut Harness<'_, GenoPrivApp>) {
    let deadline = Instant::now() + DEADLINE;
    while harness.state().is_busy() {
        assert!(
            Instant::now() < deadline,
            "the job did not finish within {DEADLINE:?}"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
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
