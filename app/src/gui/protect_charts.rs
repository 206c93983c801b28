//! The Protect screen's charts: the Manhattan plot (original vs shared GWAS), the
//! allele-frequency scatter and the epsilon trade-off curve, each with a
//! one-sentence summary and a table view (ux spec §6: plots are painted shapes,
//! so every chart also has words and a table).

use egui::{Color32, RichText};
use egui_plot::{HLine, Legend, Line, MarkerShape, Plot, Points, VLine};
use genopriv_core::data::GenotypeMatrix;
use genopriv_core::explain::format::{integer, number, percent};
use genopriv_core::study::{Mechanism, ShareOutcome, SweepRow};

use super::format::count;
use super::plots;
use super::protect::{ProtectAction, SweepView};
use super::table::table;

const PLOT_HEIGHT: f32 = 240.0;
/// Rows of the chart tables.
const TABLE_ROWS: usize = 20;
/// p-values are clamped here before -log10 so that p = 0 stays on the chart.
const SMALLEST_P: f64 = 1e-300;

pub const ORIGINAL_COLOUR: Color32 = Color32::from_rgb(90, 140, 200);
pub const SHARED_COLOUR: Color32 = Color32::from_rgb(230, 140, 40);
const CONTROL_COLOUR: Color32 = Color32::from_rgb(150, 150, 150);

/// One SNP row of the Manhattan table.
pub struct TopSnp {
    pub id: String,
    pub chrom: String,
    pub pos: u64,
    pub original_p: f64,
    pub shared_p: f64,
}

/// One SNP row of the frequency table.
pub struct FrequencyRow {
    pub id: String,
    pub original: f64,
    pub shared: f64,
}

/// Everything the release's charts draw, computed once on the worker.
pub struct ReleaseCharts {
    /// `[genome position, -log10 p]`, one series per GWAS.
    pub manhattan_original: Vec<[f64; 2]>,
    pub manhattan_shared: Vec<[f64; 2]>,
    /// -log10 of the significance level, drawn as a line.
    pub significance_line: Option<f64>,
    pub manhattan_sentence: Option<String>,
    /// The strongest original signals with their shared p-values.
    pub top_snps: Vec<TopSnp>,
    /// `[original, shared]` allele frequency per SNP.
    pub frequency_points: Vec<[f64; 2]>,
    pub frequency_sentence: String,
    /// The SNPs whose frequency moved most.
    pub frequency_rows: Vec<FrequencyRow>,
}

impl ReleaseCharts {
    pub fn compute(cohort: &GenotypeMatrix, outcome: &ShareOutcome) -> Self {
        let variants = cohort.variants();
        let positions = genome_positions(cohort);
        let (mut manhattan_original, mut manhattan_shared) = (Vec::new(), Vec::new());
        let mut top_snps = Vec::new();
        let mut manhattan_sentence = None;
        let mut significance_line = None;
        if let (Some(gwas), Some(p)) = (&outcome.report.gwas, &outcome.gwas_p) {
            let log_p = |p: f64| -p.max(SMALLEST_P).log10();
            for ((&x, &po), &ps) in positions.iter().zip(&p.original).zip(&p.released) {
                if po.is_finite() {
                    manhattan_original.push([x, log_p(po)]);
                }
                if ps.is_finite() {
                    manhattan_shared.push([x, log_p(ps)]);
                }
            }
            significance_line = Some(-gwas.alpha.log10());
            let mut order: Vec<usize> = (0..p.original.len())
                .filter(|&j| p.original.get(j).is_some_and(|v| v.is_finite()))
                .collect();
            order.sort_by(|&a, &b| {
                let pa = p.original.get(a).copied().unwrap_or(1.0);
                let pb = p.original.get(b).copied().unwrap_or(1.0);
                pa.total_cmp(&pb)
            });
            top_snps = order
                .iter()
                .take(TABLE_ROWS)
                .filter_map(|&j| {
                    let v = variants.get(j)?;
                    Some(TopSnp {
                        id: v.display_id(),
                        chrom: v.chrom.clone(),
                        pos: v.pos,
                        original_p: *p.original.get(j)?,
                        shared_p: *p.released.get(j)?,
                    })
                })
                .collect();
            let relaxed = gwas.alpha / gwas.tau;
            let significant_shared = p.released.iter().filter(|&&q| q < gwas.alpha).count();
            let kept = p
                .original
                .iter()
                .zip(&p.released)
                .filter(|(o, s)| **o < gwas.alpha && **s < relaxed)
                .count();
            let strongest = top_snps
                .first()
                .map(|t| format!(" (strongest: {}, p = {})", t.id, p_text(t.original_p)))
                .unwrap_or_default();
            manhattan_sentence = Some(format!(
                "In the original GWAS, {} SNPs reach p < {}{strongest}; in the shared copy {} \
                 do, and {} of the original's {} still reach the relaxed p < {}.",
                integer(gwas.significant_original as u64),
                number(gwas.alpha),
                integer(significant_shared as u64),
                integer(kept as u64),
                integer(gwas.significant_original as u64),
                number(relaxed)
            ));
        }
        let freq = &outcome.frequencies;
        let frequency_points: Vec<[f64; 2]> = freq
            .original
            .iter()
            .zip(&freq.released)
            .map(|(&o, &s)| [o, s])
            .collect();
        let mut by_change: Vec<usize> = (0..frequency_points.len()).collect();
        let change = |j: usize| frequency_points.get(j).map_or(0.0, |[o, s]| (s - o).abs());
        by_change.sort_by(|&a, &b| change(b).total_cmp(&change(a)));
        let frequency_rows: Vec<FrequencyRow> = by_change
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
        let largest = frequency_rows
            .first()
            .map(|r| {
                format!(
                    " (largest: {} at {})",
                    number((r.shared - r.original).abs()),
                    r.id
                )
            })
            .unwrap_or_default();
        let frequency_sentence = format!(
            "The shared allele frequencies differ from the original ones by {} on average \
             over {} SNPs{largest}; a point on the diagonal is a SNP whose frequency is unchanged.",
            number(outcome.report.allele_frequency_mae),
            count(frequency_points.len()),
        );
        Self {
            manhattan_original,
            manhattan_shared,
            significance_line,
            manhattan_sentence,
            top_snps,
            frequency_points,
            frequency_sentence,
            frequency_rows,
        }
    }
}

/// Position along the genome: chromosomes laid end to end in file order.
fn genome_positions(cohort: &GenotypeMatrix) -> Vec<f64> {
    let mut positions = Vec::with_capacity(cohort.n_variants());
    let mut offset = 0.0;
    let mut current: Option<&str> = None;
    let mut chrom_end = 0.0;
    for v in cohort.variants() {
        if current != Some(v.chrom.as_str()) {
            offset += chrom_end;
            chrom_end = 0.0;
            current = Some(v.chrom.as_str());
        }
        let pos = v.pos as f64;
        chrom_end = f64::max(chrom_end, pos);
        positions.push(offset + pos);
    }
    positions
}

/// A p-value as people read them: decimals down to 0.001, then scientific.
pub fn p_text(p: f64) -> String {
    if p >= 1e-3 {
        format!("{p:.3}")
    } else {
        format!("{p:.2e}")
    }
}

/// A plot that keeps the screen scrollable (no zoom or drag gestures).
fn static_plot(id: &str) -> Plot<'_> {
    plots::static_plot(id, PLOT_HEIGHT).legend(Legend::default())
}

/// A "Table view" switch in front of a chart.
fn table_switch(ui: &mut egui::Ui, show_table: &mut bool) {
    ui.checkbox(show_table, "Table view")
        .on_hover_text("Show the chart's numbers as a table");
}

pub fn manhattan_ui(ui: &mut egui::Ui, charts: &ReleaseCharts, show_table: &mut bool) {
    ui.horizontal(|ui| {
        ui.strong("GWAS along the genome: original vs shared");
        table_switch(ui, show_table);
    });
    let Some(sentence) = &charts.manhattan_sentence else {
        ui.label(
            "No GWAS could be run: add a phenotype file with cases and controls, or choose a \
             reference panel (its people then serve as controls).",
        );
        return;
    };
    ui.add(egui::Label::new(sentence.as_str()).wrap());
    if *show_table {
        table(
            ui,
            "manhattan_table",
            &["ID", "Chrom", "Position", "Original p", "Shared p"],
            charts.top_snps.iter().map(|t| {
                vec![
                    t.id.clone(),
                    t.chrom.clone(),
                    integer(t.pos),
                    p_text(t.original_p),
                    p_text(t.shared_p),
                ]
            }),
        );
        ui.label(
            RichText::new(format!(
                "The {TABLE_ROWS} strongest signals of the original GWAS."
            ))
            .small()
            .weak(),
        );
        return;
    }
    static_plot("manhattan")
        .x_axis_label("Position along the genome (chromosomes end to end)")
        .y_axis_label("-log10 p")
        .include_y(0.0)
        .show(ui, |plot| {
            plot.points(
                Points::new("Shared copy", charts.manhattan_shared.clone())
                    .radius(1.5)
                    .shape(MarkerShape::Diamond)
                    .color(SHARED_COLOUR),
            );
            // The original on top: the shared copy's points mostly sit near zero.
            plot.points(
                Points::new("Original GWAS", charts.manhattan_original.clone())
                    .radius(1.5)
                    .color(ORIGINAL_COLOUR),
            );
            if let Some(y) = charts.significance_line {
                plot.hline(HLine::new("Significance level", y).color(Color32::RED));
            }
        });
}

pub fn frequency_ui(ui: &mut egui::Ui, charts: &ReleaseCharts, show_table: &mut bool) {
    ui.horizontal(|ui| {
        ui.strong("Allele frequencies: original vs shared");
        table_switch(ui, show_table);
    });
    ui.add(egui::Label::new(charts.frequency_sentence.as_str()).wrap());
    if *show_table {
        table(
            ui,
            "frequency_table",
            &["ID", "Original", "Shared", "Difference"],
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
                "The {TABLE_ROWS} SNPs whose frequency changed most."
            ))
            .small()
            .weak(),
        );
        return;
    }
    static_plot("frequency_scatter")
        .x_axis_label("Original allele frequency")
        .y_axis_label("Shared allele frequency")
        .include_x(0.0)
        .include_x(1.0)
        .include_y(0.0)
        .include_y(1.0)
        .show(ui, |plot| {
            plot.line(
                Line::new("Unchanged (diagonal)", vec![[0.0, 0.0], [1.0, 1.0]])
                    .color(CONTROL_COLOUR),
            );
            plot.points(
                Points::new("SNPs", charts.frequency_points.clone())
                    .radius(1.5)
                    .color(SHARED_COLOUR),
            );
        });
}

/// The utility a sweep row is judged by: GWAS retention when measured, else the
/// share of genotypes left unchanged (as `run_sweep` chooses).
fn row_utility(row: &SweepRow, use_retention: bool) -> Option<f64> {
    if use_retention {
        row.retention_rate
    } else {
        Some(1.0 - row.point_error)
    }
}

/// Mean utility per per-SNP epsilon of one mechanism's rows, sorted by epsilon.
fn live_curve(rows: &[SweepRow], mechanism: Mechanism, use_retention: bool) -> Vec<[f64; 3]> {
    let mut points: Vec<(f64, f64, usize)> = Vec::new();
    for row in rows.iter().filter(|r| r.mechanism == mechanism) {
        let Some(u) = row_utility(row, use_retention) else {
            continue;
        };
        let e = row.epsilon_nominal_per_snp;
        match points.iter_mut().find(|(x, ..)| *x == e) {
            Some((_, sum, n)) => {
                *sum += u;
                *n += 1;
            }
            None => points.push((e, u, 1)),
        }
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points
        .into_iter()
        .map(|(e, sum, n)| [e, sum / n as f64, n as f64])
        .collect()
}

/// The recommendation in one sentence (or why there is none).
pub fn recommendation_sentence(view: &SweepView) -> Option<String> {
    let result = view.result.as_ref()?;
    Some(match &result.recommendation {
        Some(r) => {
            let coin = r
                .coin_flip_utility
                .map(|c| format!(" (the coin-flip control: {})", percent(c, 1)))
                .unwrap_or_default();
            format!(
                "Recommended: epsilon {} per SNP ({} in total per person) with the {}. There \
                 the {} levels off at {}{coin}; spending more epsilon buys little more utility.",
                number(r.epsilon_per_snp),
                number(r.epsilon_total),
                r.mechanism.label(),
                r.metric.label(),
                percent(r.utility, 1),
            )
        }
        None => "No recommendation: the utility curve does not level off over this grid. Try \
                 a wider range of epsilons or more repeats."
            .to_owned(),
    })
}

pub fn sweep_ui(
    ui: &mut egui::Ui,
    view: &SweepView,
    show_table: &mut bool,
    actions: &mut Vec<ProtectAction>,
) {
    let use_retention = view.rows.iter().all(|r| r.retention_rate.is_some());
    let metric = if use_retention {
        "GWAS SNP retention"
    } else {
        "Genotypes unchanged"
    };
    ui.horizontal(|ui| {
        ui.strong(format!("Trade-off: {metric} against epsilon"));
        table_switch(ui, show_table);
    });
    let main = view
        .rows
        .iter()
        .map(|r| r.mechanism)
        .find(|&m| m != Mechanism::CoinFlip);
    let curve = main
        .map(|m| live_curve(&view.rows, m, use_retention))
        .unwrap_or_default();
    let control = live_curve(&view.rows, Mechanism::CoinFlip, use_retention);
    match recommendation_sentence(view) {
        Some(sentence) => {
            ui.add(egui::Label::new(RichText::new(sentence).strong()).wrap());
        }
        None => {
            ui.label(format!(
                "{} of the sweep's releases are done; the curve grows as they finish.",
                count(view.rows.len())
            ));
        }
    }
    let recommended = view.result.as_ref().and_then(|r| r.recommendation.as_ref());
    if let Some(r) = recommended
        && ui
            .button(format!("Use epsilon {} per SNP", number(r.epsilon_per_snp)))
            .on_hover_text("Put the recommended epsilon into the release settings")
            .clicked()
    {
        actions.push(ProtectAction::UseRecommended {
            per_snp: r.epsilon_per_snp,
        });
    }
    if *show_table {
        let mut rows: Vec<Vec<String>> = curve
            .iter()
            .map(|[e, u, n]| {
                vec![
                    main.map_or_else(String::new, |m| m.label().to_owned()),
                    number(*e),
                    number(*e * view.n_variants as f64),
                    percent(*u, 1),
                    format!("{n}"),
                ]
            })
            .collect();
        rows.extend(control.iter().map(|[_, u, n]| {
            vec![
                Mechanism::CoinFlip.label().to_owned(),
                "0".to_owned(),
                "0".to_owned(),
                percent(*u, 1),
                format!("{n}"),
            ]
        }));
        table(
            ui,
            "sweep_table",
            &["Mechanism", "Per SNP", "Total", metric, "Repeats"],
            rows.into_iter(),
        );
        return;
    }
    static_plot("sweep_curve")
        .x_axis_label("Epsilon per SNP (log scale)")
        .y_axis_label(metric)
        .x_axis_formatter(|mark, _| number(10f64.powf(mark.value)))
        .include_y(0.0)
        .include_y(1.0)
        .show(ui, |plot| {
            let line: Vec<[f64; 2]> = curve
                .iter()
                .filter(|[e, ..]| *e > 0.0)
                .map(|[e, u, _]| [e.log10(), *u])
                .collect();
            let name = main.map_or("Mechanism", |m| m.label());
            plot.line(Line::new(name, line.clone()).color(SHARED_COLOUR));
            plot.points(Points::new(name, line).radius(3.0).color(SHARED_COLOUR));
            if let Some([_, u, _]) = control.first() {
                plot.hline(HLine::new("Coin-flip control (epsilon 0)", *u).color(CONTROL_COLOUR));
            }
            if let Some(r) = recommended {
                plot.vline(
                    VLine::new("Recommended epsilon", r.epsilon_per_snp.log10())
                        .color(Color32::from_rgb(60, 170, 90)),
                );
            }
        });
}

#[cfg(test)]
mod tests {
    use genopriv_core::data::Variant;

    use super::*;

    #[test]
    fn chromosomes_are_laid_end_to_end() {
        let mut m = GenotypeMatrix::new(vec!["a".into()]);
        for (chrom, pos) in [("1", 100), ("1", 500), ("2", 50), ("2", 70)] {
            let v = Variant {
                chrom: chrom.into(),
                pos,
                id: String::new(),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            };
            m.push_variant(v, &[0]);
        }
        assert_eq!(genome_positions(&m), [100.0, 500.0, 550.0, 570.0]);
    }

    #[test]
    fn live_curve_averages_repeats() {
        let row = |e: f64, r: f64| SweepRow {
            mechanism: Mechanism::Xor,
            epsilon_nominal: e * 10.0,
            epsilon_nominal_per_snp: e,
            epsilon_realised: None,
            epsilon_total_spent: None,
            repeat: 0,
            seed: 0,
            point_error: 0.5,
            sample_error: 0.0,
            mean_error: 0.0,
            variance_error: 0.0,
            allele_frequency_mae: 0.0,
            retention_rate: Some(r),
            coin_flip_retention_rate: None,
            membership_tpr_at_1pct_fpr: None,
            membership_auc: None,
        };
        let rows = [row(2.0, 0.4), row(1.0, 0.2), row(2.0, 0.6)];
        assert_eq!(
            live_curve(&rows, Mechanism::Xor, true),
            [[1.0, 0.2, 1.0], [2.0, 0.5, 2.0]]
        );
        assert_eq!(live_curve(&rows, Mechanism::Xor, false).len(), 2);
    }
}
