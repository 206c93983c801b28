//! The Data screen: what the loaded file holds, what loading skipped, two charts
//! with their one-sentence summaries, and the variant table.

use egui::{Align, Layout, RichText, TextStyle, WidgetText};
use egui_plot::{Bar, BarChart, Plot, Points};

use super::app::{Action, Workspace};
use super::format::{count, percent, thousands};
use super::plots;
use super::summary::{DataSummary, MAF_BIN_WIDTH, load_report_sentences};

const PLOT_HEIGHT: f32 = 220.0;
const TABLE_HEIGHT: f32 = 320.0;

pub(super) fn show(ui: &mut egui::Ui, workspace: &Workspace, actions: &mut Vec<Action>) {
    egui::ScrollArea::vertical()
        .id_salt("data_screen")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            header(ui, workspace, actions);
            ui.add_space(8.0);
            ui.columns(2, |columns| {
                if let [left, right] = columns {
                    overview(left, workspace);
                    findings(right, workspace);
                }
            });
            ui.add_space(8.0);
            ui.separator();
            let summary = &workspace.data.summary;
            ui.columns(2, |columns| {
                if let [left, right] = columns {
                    maf_chart(left, summary);
                    sample_missingness_chart(right, summary);
                }
            });
            ui.add_space(8.0);
            ui.separator();
            variant_table(ui, workspace);
        });
}

fn header(ui: &mut egui::Ui, workspace: &Workspace, actions: &mut Vec<Action>) {
    let dataset = &workspace.data.dataset;
    ui.horizontal(|ui| {
        let name = dataset
            .source
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        ui.heading(name);
        ui.label(RichText::new(dataset.format.name()).weak());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui
                .button("Open genotype file…")
                .on_hover_text("Ctrl+O")
                .clicked()
            {
                actions.push(Action::PickGenotypes);
            }
            if ui
                .button("Add phenotypes…")
                .on_hover_text("A table of sample IDs with a case/control column")
                .clicked()
            {
                actions.push(Action::PickPhenotypes);
            }
        });
    });
    ui.label(
        RichText::new(dataset.source.display().to_string())
            .small()
            .weak(),
    );
}

fn overview(ui: &mut egui::Ui, workspace: &Workspace) {
    let summary = &workspace.data.summary;
    let report = &workspace.data.dataset.report;
    ui.strong("Overview");
    egui::Grid::new("overview_counts")
        .num_columns(2)
        .striped(true)
        .spacing([24.0, 6.0])
        .show(ui, |ui| {
            let row = |ui: &mut egui::Ui, name: &str, value: String| {
                ui.label(name);
                ui.label(RichText::new(value).strong());
                ui.end_row();
            };
            row(ui, "Samples", count(summary.n_samples));
            row(ui, "Variants", count(summary.n_variants));
            row(ui, "Skipped records", thousands(report.total_skipped()));
            row(
                ui,
                "Missing calls",
                format!(
                    "{} of {} ({})",
                    thousands(summary.missing_calls),
                    thousands(summary.total_calls),
                    percent(summary.missing_rate())
                ),
            );
            match &workspace.phenotypes {
                Some(pheno) => {
                    row(ui, "Cases", count(pheno.cases));
                    row(ui, "Controls", count(pheno.controls));
                    if pheno.unknown_status > 0 {
                        row(ui, "Unknown status", count(pheno.unknown_status));
                    }
                }
                None => {
                    ui.label("Cases and controls");
                    ui.label(RichText::new("add a phenotype file to see them").weak());
                    ui.end_row();
                }
            }
        });
}

/// What loading skipped or changed, and how the phenotypes matched, in sentences.
fn findings(ui: &mut egui::Ui, workspace: &Workspace) {
    ui.strong("What loading found");
    let mut sentences = load_report_sentences(&workspace.data.dataset.report);
    if let Some(pheno) = &workspace.phenotypes {
        sentences.extend(pheno.sentences());
    }
    for sentence in sentences {
        ui.add(egui::Label::new(format!("• {sentence}")).wrap());
    }
}

fn maf_chart(ui: &mut egui::Ui, summary: &DataSummary) {
    ui.strong("Minor allele frequency spectrum");
    ui.add(egui::Label::new(summary.maf_sentence()).wrap());
    let bars: Vec<Bar> = summary
        .maf_bins
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let low = i as f64 * MAF_BIN_WIDTH;
            Bar::new(low + MAF_BIN_WIDTH / 2.0, n as f64)
                .width(MAF_BIN_WIDTH * 0.9)
                .name(format!(
                    "MAF {low:.2} to {:.2}: {} variants",
                    low + MAF_BIN_WIDTH,
                    count(n)
                ))
        })
        .collect();
    static_plot("maf_spectrum")
        .x_axis_label("Minor allele frequency")
        .y_axis_label("Variants")
        .include_x(0.0)
        .include_x(0.5)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("Variants", bars).color(ui_accent()));
        });
}

fn sample_missingness_chart(ui: &mut egui::Ui, summary: &DataSummary) {
    ui.strong("Missing calls per sample");
    ui.add(egui::Label::new(summary.sample_missingness_sentence()).wrap());
    let points: Vec<[f64; 2]> = summary
        .sample_missing_rate
        .iter()
        .enumerate()
        .map(|(i, &rate)| [(i + 1) as f64, rate * 100.0])
        .collect();
    let all_zero = summary.sample_missing_rate.iter().all(|&r| r == 0.0);
    static_plot("sample_missingness")
        .x_axis_label("Sample (file order)")
        .y_axis_label("Missing calls (%)")
        .include_y(if all_zero { 1.0 } else { 0.0 })
        .show(ui, |plot| {
            plot.points(
                Points::new("Missing calls (%)", points)
                    .radius(1.5)
                    .color(ui_accent()),
            );
        });
}

/// A plot that shows data without zoom or pan gestures (they would trap the
/// screen's scrolling), starting at zero.
fn static_plot(id: &str) -> Plot<'_> {
    plots::static_plot(id, PLOT_HEIGHT)
        .show_x(false)
        .show_y(false)
        .include_y(0.0)
}

fn ui_accent() -> egui::Color32 {
    super::welcome::ACCENT
}

/// Columns of the variant table: title, width, numbers right-aligned.
const COLUMNS: [(&str, f32, bool); 10] = [
    ("#", 64.0, true),
    ("Chrom", 56.0, false),
    ("Position", 96.0, true),
    ("ID", 150.0, false),
    ("Ref", 48.0, false),
    ("Alt", 48.0, false),
    ("Alt freq", 76.0, true),
    ("MAF", 76.0, true),
    ("Missing", 76.0, true),
    ("HWE p", 84.0, true),
];

fn variant_table(ui: &mut egui::Ui, workspace: &Workspace) {
    let matrix = &workspace.data.dataset.matrix;
    let rates = &workspace.data.summary.variants;
    ui.strong("Variant table");
    ui.label(format!(
        "All {} variants in file order; scroll the table to see more.",
        count(matrix.n_variants())
    ));
    let row_height = ui.text_style_height(&TextStyle::Body);
    ui.horizontal(|ui| {
        for (title, width, right) in COLUMNS {
            cell(ui, width, row_height, RichText::new(title).strong(), right);
        }
    });
    egui::ScrollArea::vertical()
        .id_salt("variant_table")
        .max_height(TABLE_HEIGHT)
        .auto_shrink([false, true])
        .show_rows(ui, row_height, matrix.n_variants(), |ui, rows| {
            for j in rows {
                let (Some(variant), Some(rate)) = (matrix.variants().get(j), rates.get(j)) else {
                    continue;
                };
                let freq =
                    |f: Option<f64>| f.map_or_else(|| "none called".into(), |f| format!("{f:.4}"));
                let values = [
                    count(j + 1),
                    variant.chrom.clone(),
                    thousands(variant.pos),
                    variant.display_id(),
                    variant.ref_allele.clone(),
                    variant.alt_allele.clone(),
                    freq(rate.alt_freq),
                    freq(rate.maf),
                    rate.missing_rate.map_or_else(|| "none".into(), percent),
                    rate.hwe_p.map_or_else(|| "none called".into(), hwe_p_text),
                ];
                ui.horizontal(|ui| {
                    for ((_, width, right), value) in COLUMNS.iter().zip(values) {
                        cell(ui, *width, row_height, value, *right);
                    }
                });
            }
        });
}

/// A Hardy–Weinberg p-value as people read them: plain decimals down to 0.001, then
/// scientific notation (small values are the ones that matter).
fn hwe_p_text(p: f64) -> String {
    if p >= 1e-3 {
        format!("{p:.3}")
    } else {
        format!("{p:.2e}")
    }
}

/// One table cell of fixed size; long text is cut with an ellipsis.
fn cell(ui: &mut egui::Ui, width: f32, height: f32, text: impl Into<WidgetText>, right: bool) {
    let layout = if right {
        Layout::right_to_left(Align::Center)
    } else {
        Layout::left_to_right(Align::Center)
    };
    ui.allocate_ui_with_layout(egui::vec2(width, height), layout, |ui| {
        ui.set_min_size(egui::vec2(width, height));
        ui.add(egui::Label::new(text).truncate());
    });
}
