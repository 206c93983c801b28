//! The Learn screen: what each privacy technique protects against and costs, and
//! which of them GenoPriv applies. The texts are `genopriv_core::explain::learn`.

use egui::RichText;
use genopriv_core::explain::learn::{OVERVIEW, TECHNIQUES, Technique};

pub fn show(ui: &mut egui::Ui) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width().min(900.0));
            ui.heading("Learn: privacy techniques in plain words");
            ui.add_space(4.0);
            ui.add(egui::Label::new(OVERVIEW).wrap());
            for technique in &TECHNIQUES {
                ui.add_space(10.0);
                technique_card(ui, technique);
            }
            ui.add_space(20.0);
        });
}

fn list(ui: &mut egui::Ui, title: &str, items: &[&str]) {
    ui.strong(title);
    for item in items {
        ui.horizontal_wrapped(|ui| {
            ui.label("·");
            ui.add(egui::Label::new(*item).wrap());
        });
    }
}

fn technique_card(ui: &mut egui::Ui, t: &Technique) {
    egui::Frame::group(ui.style())
        .inner_margin(12.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(t.name).heading());
            ui.add(egui::Label::new(t.how).wrap());
            ui.add_space(6.0);
            // Two columns and the gap between them, with the row's item spacing.
            let spacing = ui.spacing().item_spacing.x;
            let half = ((ui.available_width() - 16.0 - 2.0 * spacing) / 2.0).max(0.0);
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(half);
                    list(ui, "Protects against", t.protects_against);
                });
                ui.add_space(16.0);
                ui.vertical(|ui| {
                    ui.set_width(half);
                    list(ui, "Does not protect against", t.does_not_protect_against);
                });
            });
            ui.add_space(6.0);
            ui.strong("Cost");
            ui.add(egui::Label::new(t.cost).wrap());
            ui.add_space(6.0);
            ui.strong(t.applied.label());
            ui.add(egui::Label::new(t.applied_here).wrap());
            ui.add_space(6.0);
            egui::CollapsingHeader::new(RichText::new("References").weak())
                .id_salt(t.name)
                .show(ui, |ui| {
                    for r in t.references {
                        ui.add(egui::Label::new(r.citation).wrap());
                        ui.label(RichText::new(r.link).weak().small());
                    }
                });
        });
}
