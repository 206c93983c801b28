//! The Trade-offs screen's charts: epsilon against utility and against measured
//! risk with the guaranteed ceiling, on one shared log axis, with the
//! recommended epsilon, the chosen and selected candidates and the policy
//! thresholds marked in words; each with a one-sentence summary and a table
//! view. Also the icon array of 100 people.

use egui::{Align2, Color32, RichText};
use egui_plot::{
    Corner, HLine, Legend, Line, LineStyle, MarkerShape, Plot, PlotPoint, Points, Text, VLine,
};
use genopriv_core::explain::format::{capitalised, number, percent, percent_with_interval};
use genopriv_core::explain::odds::{IconArray, IconState};
use genopriv_core::explain::overlay::{Method, SharedUtility, overlay_definitions};
use genopriv_core::explain::{RiskPoint, risk_curve_sentence, utility_curve_sentence};
use genopriv_core::study::Policy;

use super::plots;
use super::table::table;
use super::tradeoffs::{EpsilonSummary, OverlayData, OverlayPoint, TradeoffData, TradeoffsScreen};

const PLOT_HEIGHT: f32 = 210.0;

pub const UTILITY_COLOUR: Color32 = Color32::from_rgb(230, 140, 40);
pub const RISK_COLOUR: Color32 = Color32::from_rgb(200, 70, 90);
const AUC_COLOUR: Color32 = Color32::from_rgb(150, 110, 200);
const CEILING_COLOUR: Color32 = Color32::from_rgb(90, 140, 200);
const CONTROL_COLOUR: Color32 = Color32::from_rgb(150, 150, 150);
const RECOMMENDED_COLOUR: Color32 = Color32::from_rgb(60, 170, 90);
const POLICY_COLOUR: Color32 = Color32::from_rgb(210, 60, 60);
const CHOSEN_COLOUR: Color32 = Color32::from_rgb(40, 120, 220);
/// The overlay's two releases: orange and blue tell apart for most colour
/// vision, and each also has its own marker and line style.
const SHARING_COLOUR: Color32 = UTILITY_COLOUR;
const SYNTHESIS_COLOUR: Color32 = Color32::from_rgb(50, 130, 210);

/// The overlay is the screen's only chart: taller than the per-source ones.
const OVERLAY_PLOT_HEIGHT: f32 = 320.0;
/// The y range drawn, as a multiple of the highest value: the top band is the
/// legend's: its three entries, and one more share per policy line and for the
/// synthetic releases' chance line.
const LEGEND_HEADROOM: f64 = 1.4;
const POLICY_ENTRY_HEADROOM: f64 = 0.12;
/// The synthetic releases' chance level on the overlay: the retention noisy
/// synthetic data give by making many SNPs look significant.
const SYNTHESIS_CHANCE_LEGEND: &str = "Synthetic genotypes: retention by chance";

/// The overlay's x axis: the unit both releases share.
pub const OVERLAY_EPSILON_AXIS: &str = "Total epsilon per person, whole release (log scale)";

/// The shared x axis: log10 of epsilon per person, padded, so both charts line up.
#[derive(Clone, Copy)]
pub struct EpsilonAxis {
    pub min: f64,
    pub max: f64,
}

impl EpsilonAxis {
    pub fn of(summary: &[EpsilonSummary], policy: &Policy) -> Option<Self> {
        Self::spanning(summary.iter().map(|s| s.epsilon_total), policy)
    }

    /// The axis over `epsilons` and the policy's epsilon limit.
    pub fn spanning(epsilons: impl Iterator<Item = f64>, policy: &Policy) -> Option<Self> {
        let logs: Vec<f64> = epsilons
            .chain(policy.max_epsilon)
            .filter(|&e| e > 0.0 && e.is_finite())
            .map(f64::log10)
            .collect();
        let lo = logs.iter().copied().reduce(f64::min)?;
        let hi = logs.iter().copied().reduce(f64::max)?;
        let pad = ((hi - lo) * 0.08).max(0.2);
        Some(Self {
            min: lo - pad,
            max: hi + pad,
        })
    }
}

/// A plot that keeps the screen scrollable (no zoom or drag gestures), on the
/// shared epsilon axis.
fn epsilon_plot<'a>(
    id: &'a str,
    axis: EpsilonAxis,
    x_label: &'a str,
    y_label: &'a str,
) -> Plot<'a> {
    plots::static_plot(id, PLOT_HEIGHT)
        // Top left: the curves rise to the right, where the candidates sit.
        .legend(Legend::default().position(Corner::LeftTop))
        .x_axis_label(x_label)
        .y_axis_label(y_label)
        .x_axis_formatter(|mark, _| number(10f64.powf(mark.value)))
        .y_axis_formatter(|mark, _| percent(mark.value.clamp(0.0, 1.0), 0))
        .include_x(axis.min)
        .include_x(axis.max)
        .include_y(0.0)
        .include_y(1.0)
}

fn table_switch(ui: &mut egui::Ui, show_table: &mut bool) {
    ui.checkbox(show_table, "Table view")
        .on_hover_text("Show the chart's numbers as a table");
}

fn x_of(epsilon: f64) -> Option<f64> {
    (epsilon > 0.0 && epsilon.is_finite()).then(|| epsilon.log10())
}

/// The utility chart's sentence (shared with the screen's test through the core).
pub fn utility_sentence(data: &TradeoffData, summary: &[EpsilonSummary]) -> String {
    let points: Vec<(f64, f64)> = summary
        .iter()
        .filter_map(|s| Some((s.epsilon_total, s.utility_mean?)))
        .collect();
    utility_curve_sentence(
        &data.utility_label,
        &points,
        data.recommended.map(|r| (r.epsilon_total, r.utility)),
        data.reference,
    )
}

pub fn risk_sentence(summary: &[EpsilonSummary]) -> String {
    let points: Vec<RiskPoint> = summary
        .iter()
        .map(|s| RiskPoint {
            epsilon: s.epsilon_total,
            tpr_at_1pct_fpr: s.tpr_mean,
            auc: s.auc_mean,
            ceiling: s.ceiling,
        })
        .collect();
    risk_curve_sentence(&points)
}

/// Markers shared by both charts: the recommended epsilon and the epsilon limit.
fn shared_markers(plot: &mut egui_plot::PlotUi<'_>, data: &TradeoffData, policy: &Policy) {
    if let Some(x) = data.recommended.and_then(|r| x_of(r.epsilon_total)) {
        plot.vline(
            VLine::new("Recommended epsilon (knee)", x)
                .color(RECOMMENDED_COLOUR)
                .style(LineStyle::dashed_loose()),
        );
        plot.text(
            Text::new(String::new(), PlotPoint::new(x, 0.97), "Recommended")
                .id("recommended label")
                .color(RECOMMENDED_COLOUR)
                .anchor(Align2::LEFT_TOP),
        );
    }
    if let Some(x) = policy.max_epsilon.and_then(x_of) {
        plot.vline(VLine::new("Policy: largest epsilon", x).color(POLICY_COLOUR));
        plot.text(
            Text::new(String::new(), PlotPoint::new(x, 0.86), "Epsilon limit")
                .id("epsilon limit label")
                .color(POLICY_COLOUR)
                .anchor(Align2::RIGHT_TOP),
        );
    }
}

/// A candidate's point with its name written beside it.
fn candidate_marker(
    plot: &mut egui_plot::PlotUi<'_>,
    screen: &TradeoffsScreen,
    figure: impl Fn(&genopriv_core::study::CandidateFigures) -> Option<f64>,
) {
    let chosen = screen.chosen().map(|c| c.id);
    let selected = screen.shown().map(|c| c.id);
    for candidate in &screen.candidates {
        let is_chosen = Some(candidate.id) == chosen;
        let is_selected = Some(candidate.id) == selected;
        let (Some(x), Some(y)) = (
            x_of(candidate.figures.epsilon_nominal),
            figure(&candidate.figures),
        ) else {
            continue;
        };
        let (name, colour) = if is_chosen {
            (format!("Chosen: candidate {}", candidate.id), CHOSEN_COLOUR)
        } else if is_selected {
            (
                format!("Selected: candidate {}", candidate.id),
                CHOSEN_COLOUR,
            )
        } else {
            (format!("Candidate {}", candidate.id), CONTROL_COLOUR)
        };
        plot.points(
            Points::new(name.clone(), vec![[x, y]])
                .shape(MarkerShape::Diamond)
                .radius(if is_chosen || is_selected { 7.0 } else { 5.0 })
                .filled(is_chosen || is_selected)
                .color(colour),
        );
        plot.text(
            Text::new(String::new(), PlotPoint::new(x, y), name)
                .id(("candidate label", candidate.id))
                .color(colour)
                .anchor(Align2::LEFT_BOTTOM),
        );
    }
}

pub fn utility_chart(
    ui: &mut egui::Ui,
    screen: &mut TradeoffsScreen,
    data: &TradeoffData,
    summary: &[EpsilonSummary],
    axis: EpsilonAxis,
) {
    ui.horizontal(|ui| {
        ui.strong(format!(
            "Usefulness: {} against epsilon",
            data.utility_label
        ));
        table_switch(ui, &mut screen.utility_table);
    });
    ui.add(egui::Label::new(utility_sentence(data, summary)).wrap());
    if screen.utility_table {
        table(
            ui,
            "utility_table",
            &["Per SNP", "Total", "Runs", "Mean", "Lowest", "Highest"],
            summary.iter().map(|s| {
                vec![
                    s.epsilon_per_snp.map_or_else(String::new, number),
                    number(s.epsilon_total),
                    s.runs.to_string(),
                    s.utility_mean.map_or_else(not_measured, |u| percent(u, 1)),
                    s.utility_min.map_or_else(not_measured, |u| percent(u, 1)),
                    s.utility_max.map_or_else(not_measured, |u| percent(u, 1)),
                ]
            }),
        );
        if let Some(r) = data.reference {
            ui.label(format!("{}: {}", r.label(), percent(r.value(), 1)));
        }
        return;
    }
    let screen = &*screen;
    let runs: Vec<[f64; 2]> = data
        .points
        .iter()
        .filter_map(|p| Some([x_of(p.figures.epsilon_nominal)?, p.figures.utility?]))
        .collect();
    let mean: Vec<[f64; 2]> = summary
        .iter()
        .filter_map(|s| Some([x_of(s.epsilon_total)?, s.utility_mean?]))
        .collect();
    epsilon_plot(
        "tradeoff_utility",
        axis,
        data.epsilon_axis,
        &data.utility_axis,
    )
    .show(ui, |plot| {
        plot.line(Line::new("Mean over repeats", mean).color(UTILITY_COLOUR));
        plot.points(
            Points::new("Each run", runs)
                .radius(2.5)
                .color(UTILITY_COLOUR),
        );
        if let Some(r) = data.reference {
            plot.hline(HLine::new(r.label(), r.value()).color(CONTROL_COLOUR));
        }
        if let Some(min) = screen.policy.min_utility {
            plot.hline(HLine::new("Policy: least utility", min).color(POLICY_COLOUR));
            plot.text(
                // Right, under the line: the legend fills the top left, and the
                // curve runs above the limit where epsilon is large.
                Text::new(
                    String::new(),
                    PlotPoint::new(axis.max, min),
                    format!("At least {}", percent(min, 0)),
                )
                .id("utility limit label")
                .color(POLICY_COLOUR)
                .anchor(Align2::RIGHT_TOP),
            );
        }
        shared_markers(plot, data, &screen.policy);
        candidate_marker(plot, screen, |f| f.utility);
    });
}

pub fn risk_chart(
    ui: &mut egui::Ui,
    screen: &mut TradeoffsScreen,
    data: &TradeoffData,
    summary: &[EpsilonSummary],
    axis: EpsilonAxis,
) {
    ui.horizontal(|ui| {
        ui.strong("Risk: members found at 1 % false accusations");
        table_switch(ui, &mut screen.risk_table);
    });
    ui.add(egui::Label::new(risk_sentence(summary)).wrap());
    if screen.risk_table {
        table(
            ui,
            "risk_table",
            &[
                "Per SNP",
                "Total",
                "Members found (mean)",
                "Attack AUC (mean)",
                "Guaranteed ceiling",
            ],
            summary.iter().map(|s| {
                vec![
                    s.epsilon_per_snp.map_or_else(String::new, number),
                    number(s.epsilon_total),
                    s.tpr_mean.map_or_else(not_measured, |t| {
                        percent_with_interval(t, s.tpr_interval.map(|i| (i.lower, i.upper)), 1)
                    }),
                    s.auc_mean.map_or_else(not_measured, |a| format!("{a:.3}")),
                    percent(s.ceiling, 1),
                ]
            }),
        );
        return;
    }
    let screen = &*screen;
    let series = |f: &dyn Fn(&EpsilonSummary) -> Option<f64>| -> Vec<[f64; 2]> {
        summary
            .iter()
            .filter_map(|s| Some([x_of(s.epsilon_total)?, f(s)?]))
            .collect()
    };
    let tpr = series(&|s| s.tpr_mean);
    let auc = series(&|s| s.auc_mean);
    let ceiling = series(&|s| Some(s.ceiling));
    let intervals: Vec<[[f64; 2]; 2]> = summary
        .iter()
        .filter_map(|s| {
            let (x, i) = (x_of(s.epsilon_total)?, s.tpr_interval?);
            Some([[x, i.lower], [x, i.upper]])
        })
        .collect();
    epsilon_plot("tradeoff_risk", axis, data.epsilon_axis, "Share of members").show(ui, |plot| {
        plot.line(
            Line::new("Guaranteed ceiling (e^epsilon × 1 % + delta)", ceiling)
                .color(CEILING_COLOUR)
                .style(LineStyle::dashed_dense()),
        );
        plot.hline(
            HLine::new("Guessing (1 % found)", 0.01)
                .color(CONTROL_COLOUR)
                .style(LineStyle::dotted_dense()),
        );
        if !tpr.is_empty() {
            plot.line(Line::new("Members found by the attack", tpr.clone()).color(RISK_COLOUR));
            plot.points(
                Points::new("Members found by the attack", tpr)
                    .radius(3.0)
                    .color(RISK_COLOUR),
            );
        }
        // One legend entry for every run's 95 % interval (same name, same colour).
        for interval in intervals {
            plot.line(
                Line::new("95 % interval of members found", interval.to_vec())
                    .color(RISK_COLOUR.gamma_multiply(0.6))
                    .width(2.0),
            );
        }
        if !auc.is_empty() {
            plot.line(
                Line::new("Attack AUC (0.5 is guessing)", auc)
                    .color(AUC_COLOUR)
                    .style(LineStyle::dashed_loose()),
            );
        }
        if let Some(max) = screen.policy.max_tpr_at_1pct_fpr {
            plot.hline(HLine::new("Policy: most members found", max).color(POLICY_COLOUR));
            plot.text(
                Text::new(
                    String::new(),
                    PlotPoint::new(axis.min, max),
                    format!("At most {}", percent(max, 0)),
                )
                .id("risk limit label")
                .color(POLICY_COLOUR)
                .anchor(Align2::LEFT_BOTTOM),
            );
        }
        shared_markers(plot, data, &screen.policy);
        candidate_marker(plot, screen, |f| f.membership_tpr_at_1pct_fpr);
    });
}

/// Sharing and synthesis on one chart: each release's mean utility per total
/// epsilon, a sentence comparing them, what differs in their definitions, and
/// a table view with both utilities.
pub fn overlay_chart(ui: &mut egui::Ui, screen: &mut TradeoffsScreen, overlay: &OverlayData) {
    let metric = overlay.metric(screen.overlay_metric);
    ui.horizontal_wrapped(|ui| {
        ui.strong(format!(
            "Usefulness of each release: {} against total epsilon",
            metric.label()
        ));
        table_switch(ui, &mut screen.overlay_table);
    });
    let metrics = overlay.metrics();
    if metrics.len() > 1 {
        ui.horizontal_wrapped(|ui| {
            ui.label("Compare by");
            for m in metrics {
                if ui
                    .selectable_label(m == metric, capitalised(m.label()))
                    .clicked()
                {
                    screen.overlay_metric = m;
                }
            }
        });
    } else {
        let unmeasured: Vec<&str> = [Method::Sharing, Method::Synthesis]
            .into_iter()
            .filter(|&m| overlay.points(m).iter().all(|p| p.gwas_retention.is_none()))
            .map(Method::legend)
            .collect();
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "Compared by allele-frequency error: GWAS SNP retention was not measured \
                     for {} (it needs case/control status and GWAS hits).",
                    unmeasured.join(" nor for ").to_lowercase()
                ))
                .weak(),
            )
            .wrap(),
        );
    }
    ui.add(egui::Label::new(overlay.sentence(metric)).wrap());
    if screen.overlay_table {
        overlay_table(ui, overlay);
    } else {
        overlay_plot(ui, screen, overlay, metric);
    }
    ui.add(
        egui::Label::new(
            RichText::new(overlay_definitions(metric, overlay.synthesis_delta)).weak(),
        )
        .wrap(),
    );
}

/// Both releases' figures, by total epsilon: both utilities, whichever is drawn.
fn overlay_table(ui: &mut egui::Ui, overlay: &OverlayData) {
    let mut rows: Vec<(f64, Method, &OverlayPoint)> = [Method::Sharing, Method::Synthesis]
        .into_iter()
        .flat_map(|m| {
            overlay
                .points(m)
                .iter()
                .map(move |p| (p.epsilon_total, m, p))
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    ui.label(
        RichText::new(
            "Means over each epsilon's runs: GWAS SNP retention, the retention chance \
             alone gives (the share of all SNPs significant in the synthetic data), and \
             the mean absolute allele-frequency error.",
        )
        .small()
        .weak(),
    );
    table(
        ui,
        "overlay_table",
        &[
            "Total epsilon",
            "Release",
            "Runs",
            "GWAS retention",
            "By chance",
            "Frequency error",
        ],
        rows.into_iter().map(|(epsilon, method, p)| {
            vec![
                number(epsilon),
                method.legend().to_owned(),
                p.runs.to_string(),
                p.gwas_retention
                    .map_or_else(not_measured, |u| percent(u, 1)),
                match method {
                    Method::Sharing => "coin-flip control below".to_owned(),
                    Method::Synthesis => p.gwas_chance.map_or_else(not_measured, |c| percent(c, 1)),
                },
                number(p.allele_frequency_error),
            ]
        }),
    );
    if let Some(c) = overlay.sharing_control {
        ui.label(format!(
            "Sharing's coin-flip control (epsilon 0) keeps {} of the GWAS hits.",
            percent(c, 1)
        ));
    }
}

fn overlay_plot(
    ui: &mut egui::Ui,
    screen: &TradeoffsScreen,
    overlay: &OverlayData,
    metric: SharedUtility,
) {
    let epsilons = overlay
        .sharing
        .iter()
        .chain(&overlay.synthesis)
        .map(|p| p.epsilon_total);
    let Some(axis) = EpsilonAxis::spanning(epsilons, &screen.policy) else {
        ui.label("No run that spends a budget has finished yet.");
        return;
    };
    let series: Vec<(Method, Vec<[f64; 2]>)> = [Method::Sharing, Method::Synthesis]
        .into_iter()
        .map(|method| {
            let points = overlay
                .series(method, metric)
                .into_iter()
                .filter_map(|(e, u)| Some([x_of(e)?, u]))
                .collect();
            (method, points)
        })
        .collect();
    let control = overlay
        .sharing_control
        .filter(|_| metric == SharedUtility::GwasRetention);
    let chance: Vec<[f64; 2]> = match metric {
        SharedUtility::GwasRetention => overlay
            .synthesis_chance()
            .into_iter()
            .filter_map(|(e, c)| Some([x_of(e)?, c]))
            .collect(),
        SharedUtility::AlleleFrequencyError => Vec::new(),
    };
    let top = match metric {
        SharedUtility::GwasRetention => 1.0,
        SharedUtility::AlleleFrequencyError => series
            .iter()
            .flat_map(|(_, points)| points.iter().map(|p| p[1]))
            .fold(0.0, f64::max),
    };
    // Headroom above the highest value holds the legend, so it covers no point;
    // each policy line adds an entry.
    let policy_lines = [
        screen
            .policy
            .min_utility
            .filter(|_| metric == SharedUtility::GwasRetention),
        screen.policy.max_epsilon,
    ]
    .iter()
    .flatten()
    .count()
        + usize::from(!chance.is_empty());
    let headroom = LEGEND_HEADROOM + POLICY_ENTRY_HEADROOM * policy_lines as f64;
    let plot = plots::static_plot("tradeoff_overlay", OVERLAY_PLOT_HEIGHT)
        .legend(
            Legend::default()
                .position(Corner::LeftTop)
                .follow_insertion_order(true),
        )
        .x_axis_label(OVERLAY_EPSILON_AXIS)
        .y_axis_label(capitalised(metric.label()))
        .x_axis_formatter(|mark, _| number(10f64.powf(mark.value)))
        .include_x(axis.min)
        .include_x(axis.max)
        .include_y(0.0)
        .include_y(top * headroom);
    let plot = match metric {
        // No tick above 100 %: the headroom is the legend's.
        SharedUtility::GwasRetention => plot.y_axis_formatter(|mark, _| {
            if mark.value > 1.0 + 1e-9 {
                String::new()
            } else {
                percent(mark.value.max(0.0), 0)
            }
        }),
        SharedUtility::AlleleFrequencyError => {
            plot.y_axis_formatter(|mark, _| number(mark.value.max(0.0)))
        }
    };
    plot.show(ui, |plot| {
        for (method, points) in series {
            let (colour, shape, style) = match method {
                Method::Sharing => (SHARING_COLOUR, MarkerShape::Circle, LineStyle::Solid),
                Method::Synthesis => (
                    SYNTHESIS_COLOUR,
                    MarkerShape::Square,
                    LineStyle::dashed_loose(),
                ),
            };
            plot.line(
                Line::new(method.legend(), points.clone())
                    .color(colour)
                    .style(style)
                    .width(2.0),
            );
            plot.points(
                Points::new(method.legend(), points)
                    .shape(shape)
                    .radius(4.5)
                    .filled(true)
                    .color(colour),
            );
        }
        if let Some(c) = control {
            plot.hline(
                HLine::new("Sharing's coin-flip control (epsilon 0)", c)
                    .color(CONTROL_COLOUR)
                    .style(LineStyle::dotted_dense()),
            );
        }
        if !chance.is_empty() {
            plot.line(
                Line::new(SYNTHESIS_CHANCE_LEGEND, chance)
                    .color(SYNTHESIS_COLOUR)
                    .style(LineStyle::dotted_dense())
                    .width(1.5),
            );
        }
        if metric == SharedUtility::GwasRetention
            && let Some(min) = screen.policy.min_utility
        {
            plot.hline(HLine::new("Policy: least utility", min).color(POLICY_COLOUR));
        }
        if let Some(x) = screen.policy.max_epsilon.and_then(x_of) {
            plot.vline(VLine::new("Policy: largest epsilon", x).color(POLICY_COLOUR));
        }
    });
}

fn not_measured() -> String {
    "not measured".to_owned()
}

/// 100 squares, ten to a row: the prior belief filled, the worst case after the
/// release filled in a second colour, with the caption as text beside them.
pub fn icon_array(ui: &mut egui::Ui, array: &IconArray) {
    const CELL: f32 = 11.0;
    const GAP: f32 = 2.0;
    let side = 10.0 * CELL + 9.0 * GAP;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, array.caption()));
    let painter = ui.painter_at(rect);
    let before = ui.visuals().text_color();
    let empty = ui.visuals().weak_text_color().gamma_multiply(0.4);
    for (index, state) in array.icons().into_iter().enumerate() {
        let (row, col) = ((index / 10) as f32, (index % 10) as f32);
        let cell = egui::Rect::from_min_size(
            rect.min + egui::vec2(col * (CELL + GAP), row * (CELL + GAP)),
            egui::vec2(CELL, CELL),
        );
        let colour = match state {
            IconState::Prior => before,
            IconState::AddedByRelease => RISK_COLOUR,
            IconState::Empty => empty,
        };
        painter.rect_filled(cell, 2.0, colour);
    }
}
