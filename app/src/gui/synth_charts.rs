//! The Synthesize side's charts: LD decay and allele frequencies, training half
//! against synthetic data, and held-out against synthetic people on the training
//! half's principal components, each with a one-sentence summary from
//! `genopriv_core::explain::synthesis` and a table view.

use egui::RichText;
use egui_plot::{Legend, Line, Plot, Points};
use genopriv_core::data::Variant;
use genopriv_core::explain::format::{integer, percent};
use genopriv_core::explain::synthesis::{
    frequency_error_sentence, ld_decay_sentence, pca_overlap_sentence,
};
use genopriv_core::stats::pca_overlap::PcaOverlap;
use genopriv_core::study::synth::SynthOutcome;

use super::plots;
use super::protect_charts::{FrequencyRow, ORIGINAL_COLOUR, SHARED_COLOUR, p_text};
use super::table::table;

const PLOT_HEIGHT: f32 = 240.0;
/// Rows of the frequency table.
const TABLE_ROWS: usize = 20;
const DIAGONAL_COLOUR: egui::Color32 = egui::Color32::from_rgb(150, 150, 150);

/// One distance bin of the LD-decay curves.
#[derive(Clone, Debug, PartialEq)]
pub struct LdRow {
    pub from_bp: u64,
    pub to_bp: u64,
    pub pairs: usize,
    pub training: Option<f64>,
    pub synthetic: Option<f64>,
}

/// Everything the synthesis charts draw, computed once on the worker.
pub struct SynthCharts {
    /// `[bin middle in kb, mean r²]` where defined.
    pub ld_training: Vec<[f64; 2]>,
    pub ld_synthetic: Vec<[f64; 2]>,
    pub ld_rows: Vec<LdRow>,
    pub ld_sentence: String,
    /// `[training, synthetic]` allele frequency per SNP.
    pub frequency_points: Vec<[f64; 2]>,
    /// The SNPs whose frequency moved most.
    pub frequency_rows: Vec<FrequencyRow>,
    pub frequency_sentence: String,
}

impl SynthCharts {
    pub fn compute(variants: &[Variant], outcome: &SynthOutcome) -> Self {
        let report = &outcome.report;
        let ld = &report.ld;
        let ld_rows: Vec<LdRow> = ld
            .decay_original
            .iter()
            .zip(&ld.decay_released)
            .map(|(training, synthetic)| LdRow {
                from_bp: training.from_bp,
                to_bp: training.to_bp,
                pairs: training.pairs,
                training: training.mean_r_squared,
                synthetic: synthetic.mean_r_squared,
            })
            .collect();
        let curve = |pick: fn(&LdRow) -> Option<f64>| -> Vec<[f64; 2]> {
            ld_rows
                .iter()
                .filter_map(|r| {
                    let middle_kb = (r.from_bp + r.to_bp) as f64 / 2000.0;
                    pick(r).map(|y| [middle_kb, y])
                })
                .collect()
        };
        let frequencies = &outcome.frequencies;
        let frequency_points: Vec<[f64; 2]> = frequencies
            .training
            .iter()
            .zip(&frequencies.synthetic)
            .map(|(&t, &s)| [t, s])
            .collect();
        let change = |j: usize| frequency_points.get(j).map_or(0.0, |[t, s]| (s - t).abs());
        let mut by_change: Vec<usize> = (0..frequency_points.len()).collect();
        by_change.sort_by(|&a, &b| change(b).total_cmp(&change(a)));
        let frequency_rows = by_change
            .iter()
            .take(TABLE_ROWS)
            .filter_map(|&j| {
                let [original, shared] = *frequency_points.get(j)?;
                Some(FrequencyRow {
                    id: variants.get(j)?.display_id(),
                    original,
                    shared,
                })
            })
            .collect();
        Self {
            ld_training: curve(|r| r.training),
            ld_synthetic: curve(|r| r.synthetic),
            ld_sentence: ld_decay_sentence(ld),
            ld_rows,
            frequency_sentence: frequency_error_sentence(
                &report.allele_frequency,
                frequency_points.len(),
            ),
            frequency_points,
            frequency_rows,
        }
    }
}

fn static_plot(id: &str) -> Plot<'_> {
    plots::static_plot(id, PLOT_HEIGHT).legend(Legend::default())
}

/// A "Table view" switch in front of a chart, named after it.
fn table_switch(ui: &mut egui::Ui, show_table: &mut bool, chart: &str) {
    ui.checkbox(show_table, format!("Table view: {chart}"))
        .on_hover_text("Show the chart's numbers as a table");
}

fn r_squared_text(value: Option<f64>) -> String {
    value.map_or_else(|| "no pair".to_owned(), |v| format!("{v:.4}"))
}

pub fn ld_decay_ui(ui: &mut egui::Ui, charts: &SynthCharts, show_table: &mut bool) {
    ui.horizontal(|ui| {
        ui.strong("Linkage disequilibrium by distance: training half vs synthetic");
        table_switch(ui, show_table, "LD decay");
    });
    ui.add(egui::Label::new(charts.ld_sentence.as_str()).wrap());
    if *show_table {
        table(
            ui,
            "ld_decay_table",
            &[
                "Distance (bp)",
                "Pairs",
                "Training mean r\u{b2}",
                "Synthetic mean r\u{b2}",
            ],
            charts.ld_rows.iter().map(|r| {
                vec![
                    format!("{} to {}", integer(r.from_bp), integer(r.to_bp)),
                    integer(r.pairs as u64),
                    r_squared_text(r.training),
                    r_squared_text(r.synthetic),
                ]
            }),
        );
        return;
    }
    static_plot("ld_decay")
        .x_axis_label("Distance between the two SNPs (kb)")
        .y_axis_label("Mean r\u{b2}")
        .include_x(0.0)
        .include_y(0.0)
        .show(ui, |plot| {
            for (name, points, colour) in [
                ("Training half", &charts.ld_training, ORIGINAL_COLOUR),
                ("Synthetic", &charts.ld_synthetic, SHARED_COLOUR),
            ] {
                plot.line(Line::new(name, points.clone()).color(colour));
                plot.points(Points::new(name, points.clone()).radius(3.0).color(colour));
            }
        });
}

pub fn frequency_ui(ui: &mut egui::Ui, charts: &SynthCharts, show_table: &mut bool) {
    ui.horizontal(|ui| {
        ui.strong("Allele frequencies: training half vs synthetic");
        table_switch(ui, show_table, "allele frequencies");
    });
    ui.add(egui::Label::new(charts.frequency_sentence.as_str()).wrap());
    if *show_table {
        table(
            ui,
            "synth_frequency_table",
            &["ID", "Training", "Synthetic", "Difference"],
            charts.frequency_rows.iter().map(|r| {
                vec![
                    r.id.clone(),
                    format!("{:.4}", r.original),
                    format!("{:.4}", r.shared),
                    format!("{:+.4}", r.shared - r.original),
                ]
            }),
        );
        ui.label(
            RichText::new(format!(
                "The {TABLE_ROWS} SNPs whose frequency differs most, of {}.",
                integer(charts.frequency_points.len() as u64)
            ))
            .small()
            .weak(),
        );
        return;
    }
    static_plot("synth_frequency_scatter")
        .x_axis_label("Allele frequency in the training half")
        .y_axis_label("Synthetic allele frequency")
        .include_x(0.0)
        .include_x(1.0)
        .include_y(0.0)
        .include_y(1.0)
        .show(ui, |plot| {
            plot.line(
                Line::new("Kept exactly (diagonal)", vec![[0.0, 0.0], [1.0, 1.0]])
                    .color(DIAGONAL_COLOUR),
            );
            plot.points(
                Points::new("SNPs", charts.frequency_points.clone())
                    .radius(1.5)
                    .color(SHARED_COLOUR),
            );
        });
}

/// Held-out real people and synthetic people on the training half's first two
/// principal components; the table view lists every component's comparison.
pub fn pca_ui(ui: &mut egui::Ui, pca: &PcaOverlap) {
    // The switch lives in the window's memory: it is view state, not a result.
    let id = egui::Id::unique("synth_pca_table_view");
    let mut show_table = ui.data(|d| d.get_temp::<bool>(id).unwrap_or(false));
    ui.horizontal(|ui| {
        ui.strong("Principal components: held-out real people vs synthetic");
        table_switch(ui, &mut show_table, "principal components");
    });
    ui.data_mut(|d| d.insert_temp(id, show_table));
    ui.add(egui::Label::new(pca_overlap_sentence(pca)).wrap());
    if show_table || pca.first_scatter.is_empty() {
        table(
            ui,
            "synth_pca_table",
            &[
                "Component",
                "Variance explained",
                "KS distance",
                "KS p-value",
                "Shift (SD)",
            ],
            pca.components.iter().map(|c| {
                vec![
                    c.component.to_string(),
                    percent(c.explained, 1),
                    format!("{:.3}", c.ks_distance),
                    p_text(c.ks_p_value),
                    format!("{:.3}", c.wasserstein_in_sd),
                ]
            }),
        );
        return;
    }
    static_plot("synth_pca_scatter")
        .x_axis_label("Principal component 1")
        .y_axis_label("Principal component 2")
        .show(ui, |plot| {
            plot.points(
                Points::new("Held-out real people", pca.first_scatter.clone())
                    .radius(2.0)
                    .color(ORIGINAL_COLOUR),
            );
            plot.points(
                Points::new("Synthetic people", pca.second_scatter.clone())
                    .radius(2.0)
                    .color(SHARED_COLOUR),
            );
        });
}
