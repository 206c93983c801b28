//! The one text table every chart's "table view" uses.

use egui::RichText;

/// A small table of text cells with a header row; it scrolls sideways rather than
/// widen its column past the window.
pub fn table(
    ui: &mut egui::Ui,
    id: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) {
    egui::ScrollArea::horizontal().id_salt(id).show(ui, |ui| {
        egui::Grid::new(id)
            .striped(true)
            .spacing([14.0, 4.0])
            .show(ui, |ui| {
                for h in header {
                    ui.label(RichText::new(*h).strong());
                }
                ui.end_row();
                for row in rows {
                    for cell in row {
                        ui.label(cell);
                    }
                    ui.end_row();
                }
            });
    });
}
