//! What the window remembers between sessions (display preferences, and never the
//! data or where it came from), and how it fits a small window at 200 % scale.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use eframe::App;
use egui::ThemePreference;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use genopriv_app::gui::{GenoPrivApp, Startup};

/// eframe's storage, in memory.
#[derive(Default)]
struct MemoryStorage(HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

#[test]
fn theme_is_remembered_but_not_the_data() {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(|cc| GenoPrivApp::new(cc, Startup::default()));
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Light").click();
    harness.run();
    assert_eq!(
        harness.ctx.options(|o| o.theme_preference),
        ThemePreference::Light
    );
    harness.state_mut().load_sample_data();
    let deadline = Instant::now() + Duration::from_secs(180);
    while harness.state().is_busy() {
        assert!(Instant::now() < deadline, "the sample data did not load");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(harness.state().loaded_shape().is_some());

    let mut storage = MemoryStorage::default();
    harness.state_mut().save(&mut storage);
    let saved: Vec<&String> = storage.0.values().collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let text = saved.first().map(|s| s.as_str()).unwrap_or_default();
    assert!(text.contains("Light"), "{text}");
    for private in ["demo_cohort", "sample_data", "/", "ind0"] {
        assert!(!text.contains(private), "{private:?} was saved: {text}");
    }

    // A new window starts with the saved theme.
    let storage: &'static MemoryStorage = Box::leak(Box::new(storage));
    let mut reopened = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            cc.storage = Some(storage);
            GenoPrivApp::new(cc, Startup::default())
        });
    reopened.run();
    assert_eq!(
        reopened.ctx.options(|o| o.theme_preference),
        ThemePreference::Light
    );
    assert_eq!(reopened.state().loaded_shape(), None);
    reopened.get_by_label("Welcome to GenoPriv");
}

/// At 200 % on a 1920 x 1080 screen the window has 960 x 540 points: every screen
/// opens, and its sentences wrap inside the window instead of running past its
/// right edge (tables may scroll sideways; sentences may not).
#[test]
fn every_screen_fits_a_small_window_at_200_percent() {
    let size = egui::vec2(960.0, 540.0);
    let mut harness = Harness::builder()
        .with_size(size)
        .with_pixels_per_point(2.0)
        .with_max_steps(24)
        .build_eframe(|cc| GenoPrivApp::new(cc, Startup::default()));
    harness.run();
    harness.state_mut().load_sample_data();
    support::run_until_idle(&mut harness);
    assert!(
        harness.state().loaded_shape().is_some(),
        "{:?}",
        support::visible_labels(&harness)
    );
    // A short sharing sweep, so that the Trade-offs screen has runs to lay out.
    click_in_view(&mut harness, "Protect");
    click_in_view(&mut harness, "Use the bundled demo panel");
    {
        let form = harness.state_mut().protect_form_mut();
        form.use_seed = true;
        form.seed_text = "3".into();
        form.sweep_per_snp = vec![2.0, 16.0];
        form.sweep_repeats = 1;
    }
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Sweep epsilon")
        .scroll_to_me();
    harness.run();
    support::click_and_wait(&mut harness, "Sweep epsilon");
    click_in_view(&mut harness, "Trade-offs");
    click_in_view(&mut harness, "Pin run 2");
    for screen in ["Data", "Protect", "Audit", "Trade-offs", "Report", "Learn"] {
        click_in_view(&mut harness, screen);
        let labels = support::visible_labels(&harness);
        assert!(
            labels.len() > 5,
            "{screen} shows almost nothing: {labels:?}"
        );
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
            "{screen}: sentences run past the window's right edge ({} points): {overflowing:#?}",
            size.x
        );
    }
}

/// A pointer click on a button, scrolled into the small window first.
fn click_in_view(harness: &mut Harness<'_, GenoPrivApp>, label: &str) {
    harness
        .get_by_role_and_label(Role::Button, label)
        .scroll_to_me();
    harness.run();
    harness.get_by_role_and_label(Role::Button, label).click();
    harness.run();
}
