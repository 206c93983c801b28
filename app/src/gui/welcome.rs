//! The first screen: what GenoPriv does and how to load data.

use egui::{Button, RichText};

use super::app::{Action, ProjectCommand};

const WIDTH: f32 = 620.0;
/// GenoPriv's teal (the icon's), for the primary action and the charts.
pub(super) const ACCENT: egui::Color32 = egui::Color32::from_rgb(0x2a, 0x9d, 0x8f);

/// The workflow in one line per screen, so a first-time user sees where this leads.
const WORKFLOW: [&str; 6] = [
    "Data: load genotypes (and phenotypes) and check what they hold.",
    "Protect: share a copy with differential privacy, or sweep epsilon to compare settings.",
    "Audit: attack a trained model to measure what it still gives away.",
    "Trade-offs: compare privacy and usefulness across settings. Coming.",
    "Report: save the studies in a project and export the report for reviewers.",
    "Learn: what each privacy technique protects against, in plain words.",
];

pub(super) fn show(ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    let margin = ((ui.available_width() - WIDTH) / 2.0).max(0.0);
    ui.add_space(24.0);
    ui.horizontal(|ui| {
        ui.add_space(margin);
        ui.vertical(|ui| {
            ui.set_max_width(WIDTH);
            ui.heading(RichText::new("Welcome to GenoPriv").size(26.0));
            ui.add_space(4.0);
            ui.label(
                "GenoPriv tells you whether a genomic dataset is safe to release, and how to \
                 make it safer. Start by loading a dataset.",
            );
            ui.add_space(16.0);
            egui::Frame::group(ui.style())
                .inner_margin(16.0)
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    let button_size = egui::vec2(200.0, 32.0);
                    egui::Grid::new("welcome_actions")
                        .num_columns(2)
                        .spacing([16.0, 14.0])
                        .show(ui, |ui| {
                            let sample = Button::new(
                                RichText::new("Try with sample data")
                                    .strong()
                                    .color(egui::Color32::WHITE),
                            )
                            .fill(ACCENT)
                            .min_size(button_size);
                            if ui.add(sample).clicked() {
                                actions.push(Action::LoadSampleData);
                            }
                            ui.add(
                                egui::Label::new(
                                    "A simulated case/control study: 600 people, 10,946 SNPs. \
                                 No real person's data.",
                                )
                                .wrap(),
                            );
                            ui.end_row();

                            let open = Button::new("Open genotype file…").min_size(button_size);
                            if ui
                                .add(open)
                                .on_hover_text(
                                    "Ctrl+O. If no file dialog appears, drop the file onto \
                                     this window or start GenoPriv with --open FILE.",
                                )
                                .clicked()
                            {
                                actions.push(Action::PickGenotypes);
                            }
                            ui.add(
                                egui::Label::new(
                                    "VCF (.vcf, .vcf.gz), BCF, PLINK (.bed/.bim/.fam) or a CSV/TSV \
                                 genotype matrix. You can also drop a file onto this window.",
                                )
                                .wrap(),
                            );
                            ui.end_row();

                            let pheno = Button::new("Add phenotypes…").min_size(button_size);
                            ui.add_enabled(false, pheno)
                                .on_disabled_hover_text("Open a genotype file first");
                            ui.add(
                                egui::Label::new(
                                    "A table of sample IDs with a case/control column, matched to \
                                 the genotypes once they are loaded.",
                                )
                                .wrap(),
                            );
                            ui.end_row();

                            let project = Button::new("Open project…").min_size(button_size);
                            if ui.add(project).clicked() {
                                actions.push(Action::Project(ProjectCommand::Open));
                            }
                            ui.add(
                                egui::Label::new(
                                    "A saved GenoPriv project: its studies, settings, seeds and \
                                 results. Reviewers can read it without the raw data.",
                                )
                                .wrap(),
                            );
                            ui.end_row();
                        });
                });
            ui.add_space(20.0);
            ui.strong("How GenoPriv works");
            ui.add_space(4.0);
            for (step, text) in WORKFLOW.iter().enumerate() {
                ui.label(format!("{}. {text}", step + 1));
            }
            ui.add_space(16.0);
            ui.label(
                RichText::new(
                    "Everything runs on this computer; nothing is uploaded. GenoPriv remembers \
                     only your display preferences, never your data or file names.",
                )
                .weak(),
            );
        });
    });
}
