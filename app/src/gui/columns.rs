//! The Protect and Audit screens' layout: settings beside results when the window
//! is wide enough, settings above results when it is not (a small laptop screen
//! at 200 %), so that results are never squeezed narrower than they can be read
//! nor pushed past the window's edge.

/// Below this the results column is too narrow for its charts and sentences.
const MIN_RESULTS_WIDTH: f32 = 420.0;

/// Draws `settings` (in a column `settings_width` wide) and `results`, each in
/// its own vertical scroll area side by side, or both in one scroll area, one
/// above the other, when the window is narrow.
pub fn settings_and_results<S>(
    ui: &mut egui::Ui,
    id: &str,
    state: &mut S,
    settings_width: f32,
    settings: impl FnOnce(&mut egui::Ui, &mut S),
    results: impl FnOnce(&mut egui::Ui, &mut S),
) {
    // The separator and the settings frame's margins.
    let side_by_side = ui.available_width() >= settings_width + MIN_RESULTS_WIDTH + 40.0;
    if !side_by_side {
        egui::ScrollArea::vertical()
            .id_salt((id, "stacked"))
            .auto_shrink([false, false])
            .show(ui, |ui| {
                settings(ui, state);
                ui.separator();
                results(ui, state);
            });
        return;
    }
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(settings_width);
            egui::ScrollArea::vertical()
                .id_salt((id, "settings"))
                .auto_shrink([false, false])
                .show(ui, |ui| settings(ui, state));
        });
        ui.separator();
        // An explicit width: inside a horizontal row, text would otherwise not wrap.
        let results_width = ui.available_width();
        ui.vertical(|ui| {
            ui.set_width(results_width);
            ui.set_max_width(results_width);
            egui::ScrollArea::vertical()
                .id_salt((id, "results"))
                .auto_shrink([false, false])
                .show(ui, |ui| results(ui, state));
        });
    });
}
