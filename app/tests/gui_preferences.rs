//! What the window remembers between sessions: display preferences, and never the
//! data or where it came from.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use eframe::App;
use egui::ThemePreference;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
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
