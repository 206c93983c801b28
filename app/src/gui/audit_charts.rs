//! The Audit screen's charts: ROC curves on log-log axes with the DP ceiling, a
//! radar comparing the attacks, gradient-norm histograms of members and
//! non-members, the PCA scatter of samples by status and the SNPs most correlated
//! with status. Each has a one-sentence summary (from `genopriv_core::explain`)
//! and a table view; colours always come with a legend or a table.

use egui::{Color32, RichText};
use egui_plot::{
    Bar, BarChart, Legend, Line, LineStyle, MarkerShape, Plot, PlotPoint, Points, Polygon, Text,
};
use genopriv_core::audit::metrics::clopper_pearson;
use genopriv_core::data::GenotypeMatrix;
use genopriv_core::dp::profile::{PrivacyProfile, default_fpr_grid, profile_tpr};
use genopriv_core::dp::{AccountingOptions, privacy_profile};
use genopriv_core::explain::format::{integer, number, percent};
use genopriv_core::explain::model_audit::{
    correlation_sentence, gradient_norm_sentence, pca_sentence, radar_sentence, roc_sentence,
};
use genopriv_core::stats::{pca, top_label_correlations};
use genopriv_core::study::ModelAuditReport;
use genopriv_core::{Error, Job};

use super::audit::attack_label;
use super::plots;
use super::table::table;

const PLOT_HEIGHT: f32 = 260.0;
const HISTOGRAM_BINS: usize = 20;
/// SNPs listed as most correlated with status.
pub const TOP_SNPS: usize = 10;

/// One colour per attack, in report order (colour-blind-safe Okabe-Ito palette).
const ATTACK_COLOURS: [Color32; 5] = [
    Color32::from_rgb(0, 114, 178),
    Color32::from_rgb(230, 159, 0),
    Color32::from_rgb(0, 158, 115),
    Color32::from_rgb(204, 121, 167),
    Color32::from_rgb(86, 180, 233),
];
const MEMBER_COLOUR: Color32 = Color32::from_rgb(213, 94, 0);
const NON_MEMBER_COLOUR: Color32 = Color32::from_rgb(0, 114, 178);
const CEILING_COLOUR: Color32 = Color32::from_rgb(200, 60, 60);
const GUESS_COLOUR: Color32 = Color32::from_rgb(150, 150, 150);

fn attack_colour(index: usize) -> Color32 {
    ATTACK_COLOURS[index % ATTACK_COLOURS.len()]
}

/// The radar's axes: each in [0, 1], larger = more leakage.
pub const RADAR_AXES: [&str; 5] = [
    "AUC",
    "Balanced accuracy",
    "Advantage",
    "TPR at 10 % FPR",
    "TPR at 1 % FPR",
];

/// One attack's ROC on log-log axes.
pub struct RocSeries {
    pub name: &'static str,
    /// `[log10 FPR, log10 TPR]`, points with a zero rate left out.
    pub points: Vec<[f64; 2]>,
}

/// What the audit's charts draw, computed once on the worker.
pub struct AuditCharts {
    pub roc: Vec<RocSeries>,
    /// `[log10 FPR, log10 TPR_max]` of the DP privacy profile, when DP was on.
    pub ceiling: Option<Vec<[f64; 2]>>,
    pub ceiling_source: Option<String>,
    /// Smallest FPR drawn (log10): half a step of the non-members.
    pub min_log_fpr: f64,
    pub roc_sentence: String,
    /// `(attack, values on RADAR_AXES)`.
    pub radar: Vec<(&'static str, [f64; 5])>,
    pub radar_sentence: Option<String>,
    /// Histogram bins: `(lower edge, upper edge, share of members, share of non-members)`.
    pub gradient_bins: Vec<(f64, f64, f64, f64)>,
    pub gradient_sentence: Option<String>,
}

fn mean(values: &[f64]) -> Option<f64> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        0.5 * (sorted[mid - 1] + sorted[mid])
    } else {
        sorted[mid]
    })
}

impl AuditCharts {
    pub fn compute(report: &ModelAuditReport) -> Result<Self, Error> {
        let n_out = report.n_non_members.max(1);
        let min_log_fpr = (0.5 / n_out as f64).log10();
        let roc: Vec<RocSeries> = report
            .attacks
            .iter()
            .map(|a| RocSeries {
                name: attack_label(a.attack),
                points: a
                    .roc
                    .fpr()
                    .into_iter()
                    .zip(a.roc.tpr())
                    .filter(|(f, t)| *f > 0.0 && *t > 0.0)
                    .map(|(f, t)| [f.log10(), t.log10()])
                    .collect(),
            })
            .collect();
        let profile = match &report.privacy {
            Some(privacy) => Some(privacy_profile(
                &privacy.setting,
                privacy.epsilon,
                &AccountingOptions::default(),
            )?),
            None => None,
        };
        let (ceiling, ceiling_source, above) = match &profile {
            Some(profile) => {
                let floor = 10f64.powf(min_log_fpr);
                let mut line = Vec::new();
                for fpr in default_fpr_grid().into_iter().filter(|&f| f >= floor) {
                    let tpr = profile_tpr(profile, fpr)?;
                    if tpr > 0.0 {
                        line.push([fpr.log10(), tpr.log10()]);
                    }
                }
                (
                    Some(line),
                    Some(profile.source.clone()),
                    points_clearly_above(report, profile)?,
                )
            }
            None => (None, None, 0),
        };
        let radar: Vec<(&'static str, [f64; 5])> = report
            .attacks
            .iter()
            .map(|a| {
                let at = |fpr: f64| a.roc.tpr_at_fpr(fpr);
                (
                    attack_label(a.attack),
                    [
                        a.auc,
                        a.balanced_accuracy,
                        a.advantage,
                        at(0.1),
                        a.tpr_at_1pct_fpr,
                    ],
                )
            })
            .collect();
        let names: Vec<(&str, f64)> = report
            .attacks
            .iter()
            .map(|a| (attack_label(a.attack), a.auc))
            .collect();
        let norms = &report.gradient_norms;
        let summary = |values: &[f64]| median(values).zip(mean(values));
        let gradient_sentence = summary(&norms.members)
            .zip(summary(&norms.non_members))
            .map(|(m, n)| gradient_norm_sentence(m, n));
        Ok(Self {
            roc,
            ceiling,
            ceiling_source,
            min_log_fpr,
            roc_sentence: roc_sentence(report.epsilon, above),
            radar,
            radar_sentence: radar_sentence(&names),
            gradient_bins: histogram(&norms.members, &norms.non_members),
            gradient_sentence,
        })
    }
}

/// ROC points clearly above the DP ceiling: the lower 95 % Clopper-Pearson limit of
/// their TPR exceeds the ceiling at the upper limit of their FPR. Both rates are
/// measured on finite sets (no false positive among 150 non-members still allows a
/// true FPR of 2 %), so a point just above the curve can be sampling noise.
fn points_clearly_above(
    report: &ModelAuditReport,
    profile: &PrivacyProfile,
) -> Result<usize, Error> {
    let mut count = 0;
    for attack in &report.attacks {
        let roc = &attack.roc;
        for (&tp, &fp) in roc.true_positives.iter().zip(&roc.false_positives) {
            let fpr_upper = clopper_pearson(fp, roc.n_out, 0.95)?.upper;
            let lower = clopper_pearson(tp, roc.n_in, 0.95)?.lower;
            if lower > profile_tpr(profile, fpr_upper.min(1.0))? {
                count += 1;
            }
        }
    }
    Ok(count)
}

/// Shares of members and non-members per bin, on common bins from 0 to the
/// largest norm.
fn histogram(members: &[f64], non_members: &[f64]) -> Vec<(f64, f64, f64, f64)> {
    let top = members
        .iter()
        .chain(non_members)
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if top <= 0.0 || members.is_empty() || non_members.is_empty() {
        return Vec::new();
    }
    let width = top / HISTOGRAM_BINS as f64;
    let shares = |values: &[f64]| {
        let mut counts = vec![0usize; HISTOGRAM_BINS];
        for v in values.iter().filter(|v| v.is_finite()) {
            let bin = ((v / width) as usize).min(HISTOGRAM_BINS - 1);
            if let Some(c) = counts.get_mut(bin) {
                *c += 1;
            }
        }
        counts
            .into_iter()
            .map(|c| c as f64 / values.len() as f64)
            .collect::<Vec<_>>()
    };
    let (m, n) = (shares(members), shares(non_members));
    m.iter()
        .zip(&n)
        .enumerate()
        .map(|(b, (&sm, &sn))| (b as f64 * width, (b + 1) as f64 * width, sm, sn))
        .collect()
}

/// One group of the PCA scatter.
pub struct PcaGroup {
    pub name: &'static str,
    pub points: Vec<[f64; 2]>,
}

/// One row of the correlation table.
pub struct CorrelationRow {
    pub id: String,
    pub chrom: String,
    pub pos: u64,
    pub r: f64,
    /// Samples with a call and a known status.
    pub n: usize,
    pub trend_chi_square: f64,
}

/// The cohort's charts: independent of the audit's settings, computed once.
pub struct CohortCharts {
    pub pca_groups: Vec<PcaGroup>,
    pub explained: [f64; 2],
    pub pca_sentence: String,
    pub correlations: Vec<CorrelationRow>,
    pub correlation_sentence: Option<String>,
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len()) as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    }
}

impl CohortCharts {
    pub fn compute(
        cohort: &GenotypeMatrix,
        status: &[Option<bool>],
        job: Job<'_>,
    ) -> Result<Self, Error> {
        let components = pca(cohort, 2, job)?;
        let pc = |c: usize, i: usize| {
            components
                .eigenvectors
                .get(c)
                .and_then(|v| v.get(i))
                .copied()
                .unwrap_or(0.0)
        };
        let mut groups = [
            PcaGroup {
                name: "Cases",
                points: Vec::new(),
            },
            PcaGroup {
                name: "Controls",
                points: Vec::new(),
            },
            PcaGroup {
                name: "Status unknown",
                points: Vec::new(),
            },
        ];
        let (mut known_pcs, mut known_status) = ([Vec::new(), Vec::new()], Vec::new());
        for (i, s) in status.iter().enumerate() {
            let point = [pc(0, i), pc(1, i)];
            let group = match s {
                Some(true) => 0,
                Some(false) => 1,
                None => 2,
            };
            if let Some(g) = groups.get_mut(group) {
                g.points.push(point);
            }
            if let Some(case) = s {
                known_pcs[0].push(point[0]);
                known_pcs[1].push(point[1]);
                known_status.push(f64::from(u8::from(*case)));
            }
        }
        let explained = [
            components.explained.first().copied().unwrap_or(0.0),
            components.explained.get(1).copied().unwrap_or(0.0),
        ];
        let status_r = [
            pearson(&known_pcs[0], &known_status),
            pearson(&known_pcs[1], &known_status),
        ];
        job.checkpoint("Correlating SNPs with status", None)?;
        let variants = cohort.variants();
        let correlations: Vec<CorrelationRow> = top_label_correlations(cohort, status, TOP_SNPS)?
            .into_iter()
            .filter_map(|c| {
                let v = variants.get(c.variant)?;
                Some(CorrelationRow {
                    id: v.display_id(),
                    chrom: v.chrom.clone(),
                    pos: v.pos,
                    r: c.r,
                    n: c.n,
                    trend_chi_square: c.trend_chi_square(),
                })
            })
            .collect();
        let correlation_sentence = correlations
            .first()
            .map(|row| correlation_sentence(&row.id, row.r, row.n as u64));
        Ok(Self {
            pca_groups: groups
                .into_iter()
                .filter(|g| !g.points.is_empty())
                .collect(),
            explained,
            pca_sentence: pca_sentence(explained, status_r),
            correlations,
            correlation_sentence,
        })
    }
}

/// A plot that keeps the screen scrollable (no zoom or drag gestures).
fn static_plot(id: &str) -> Plot<'_> {
    plots::static_plot(id, PLOT_HEIGHT).legend(Legend::default())
}

fn chart_header(ui: &mut egui::Ui, title: &str, show_table: &mut bool) {
    ui.horizontal(|ui| {
        ui.strong(title);
        ui.checkbox(show_table, format!("Table view: {title}"))
            .on_hover_text("Show the chart's numbers as a table");
    });
}

fn sentence(ui: &mut egui::Ui, text: &str) {
    ui.add(egui::Label::new(text).wrap());
}

/// A rate from its log10, for the log axes ("0.1 %").
fn log_rate(mark: f64) -> String {
    percent(10f64.powf(mark), 1)
}

pub fn roc_ui(ui: &mut egui::Ui, charts: &AuditCharts, show_table: &mut bool) {
    chart_header(ui, "ROC curves (log-log)", show_table);
    sentence(ui, &charts.roc_sentence);
    if let Some(source) = &charts.ceiling_source {
        ui.label(
            RichText::new(format!("Ceiling from the {source}."))
                .small()
                .weak(),
        );
    }
    if *show_table {
        // The ROC at the reported false-positive rates, with the ceiling beside it.
        let mut rows = Vec::new();
        for fpr in [0.01, 0.1, 0.5] {
            let mut row = vec![percent(fpr, 0)];
            for series in &charts.roc {
                let tpr = series
                    .points
                    .iter()
                    .filter(|p| p[0] <= fpr.log10() + 1e-12)
                    .map(|p| p[1])
                    .fold(f64::NEG_INFINITY, f64::max);
                row.push(if tpr.is_finite() {
                    percent(10f64.powf(tpr), 1)
                } else {
                    percent(0.0, 1)
                });
            }
            if let Some(ceiling) = &charts.ceiling {
                let bound = ceiling
                    .iter()
                    .filter(|p| p[0] <= fpr.log10() + 1e-12)
                    .map(|p| p[1])
                    .fold(f64::NEG_INFINITY, f64::max);
                row.push(if bound.is_finite() {
                    percent(10f64.powf(bound), 1)
                } else {
                    "-".into()
                });
            }
            rows.push(row);
        }
        let mut header = vec!["FPR"];
        header.extend(charts.roc.iter().map(|s| s.name));
        if charts.ceiling.is_some() {
            header.push("DP ceiling");
        }
        table(ui, "roc_table", &header, rows.into_iter());
        return;
    }
    static_plot("roc_loglog")
        .x_axis_label("False-positive rate (non-members wrongly flagged, log scale)")
        .y_axis_label("True-positive rate (log)")
        .x_axis_formatter(|mark, _| log_rate(mark.value))
        .y_axis_formatter(|mark, _| log_rate(mark.value))
        .include_x(charts.min_log_fpr)
        .include_x(0.0)
        .include_y(charts.min_log_fpr)
        .include_y(0.0)
        .show(ui, |plot| {
            plot.line(
                Line::new(
                    "Guessing (diagonal)",
                    vec![[charts.min_log_fpr, charts.min_log_fpr], [0.0, 0.0]],
                )
                .color(GUESS_COLOUR)
                .style(LineStyle::dotted_loose()),
            );
            if let Some(ceiling) = &charts.ceiling {
                plot.line(
                    Line::new("DP ceiling (most any attack can reach)", ceiling.clone())
                        .color(CEILING_COLOUR)
                        .style(LineStyle::dashed_dense())
                        .width(2.0),
                );
            }
            for (i, series) in charts.roc.iter().enumerate() {
                plot.line(
                    Line::new(series.name, series.points.clone())
                        .color(attack_colour(i))
                        .width(1.5),
                );
            }
        });
}

pub fn radar_ui(ui: &mut egui::Ui, charts: &AuditCharts, show_table: &mut bool) {
    chart_header(ui, "Attacks compared", show_table);
    if let Some(text) = &charts.radar_sentence {
        sentence(ui, text);
    }
    if *show_table {
        let mut header = vec!["Attack"];
        header.extend(RADAR_AXES);
        table(
            ui,
            "radar_table",
            &header,
            charts.radar.iter().map(|(name, values)| {
                std::iter::once((*name).to_owned())
                    .chain(values.iter().map(|v| number(*v)))
                    .collect()
            }),
        );
        return;
    }
    let corner = |axis: usize, radius: f64| {
        let angle = std::f64::consts::FRAC_PI_2
            - std::f64::consts::TAU * axis as f64 / RADAR_AXES.len() as f64;
        [radius * angle.cos(), radius * angle.sin()]
    };
    Plot::new("radar")
        .height(PLOT_HEIGHT + 40.0)
        .data_aspect(1.0)
        .show_axes(false)
        .show_grid(false)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .legend(Legend::default())
        .include_x(-1.6)
        .include_x(1.6)
        .include_y(-1.3)
        .include_y(1.3)
        .show(ui, |plot| {
            for ring in [0.25, 0.5, 0.75, 1.0] {
                let points: Vec<[f64; 2]> =
                    (0..=RADAR_AXES.len()).map(|a| corner(a, ring)).collect();
                plot.line(
                    Line::new("Scale (0.25 steps, outer ring 1)", points)
                        .color(GUESS_COLOUR)
                        .width(0.5),
                );
            }
            for (axis, name) in RADAR_AXES.iter().enumerate() {
                let [x, y] = corner(axis, 1.0);
                plot.line(
                    Line::new("Scale (0.25 steps, outer ring 1)", vec![[0.0, 0.0], [x, y]])
                        .color(GUESS_COLOUR)
                        .width(0.5),
                );
                let [tx, ty] = corner(axis, 1.18);
                plot.text(Text::new(*name, PlotPoint::new(tx, ty), *name).color(ui_text_colour()));
            }
            for (i, (name, values)) in charts.radar.iter().enumerate() {
                let points: Vec<[f64; 2]> = values
                    .iter()
                    .enumerate()
                    .map(|(axis, v)| corner(axis, v.clamp(0.0, 1.0)))
                    .collect();
                let colour = attack_colour(i);
                plot.polygon(
                    Polygon::new(*name, points)
                        .stroke(egui::Stroke::new(1.5, colour))
                        .fill_color(colour.gamma_multiply(0.15)),
                );
            }
        });
}

fn ui_text_colour() -> Color32 {
    Color32::from_gray(140)
}

pub fn gradients_ui(ui: &mut egui::Ui, charts: &AuditCharts, show_table: &mut bool) {
    chart_header(ui, "Gradient norms: members vs non-members", show_table);
    let Some(text) = &charts.gradient_sentence else {
        ui.label("No gradient norms were recorded for this model.");
        return;
    };
    sentence(ui, text);
    if *show_table {
        table(
            ui,
            "gradient_table",
            &["Gradient norm", "Members", "Non-members"],
            charts.gradient_bins.iter().map(|(lo, hi, m, n)| {
                vec![
                    format!("{} to {}", number(*lo), number(*hi)),
                    percent(*m, 1),
                    percent(*n, 1),
                ]
            }),
        );
        return;
    }
    let width = charts
        .gradient_bins
        .first()
        .map_or(1.0, |(lo, hi, _, _)| hi - lo);
    let bars = |member: bool| -> Vec<Bar> {
        charts
            .gradient_bins
            .iter()
            .map(|(lo, _, m, n)| {
                let (offset, share) = if member { (0.3, m) } else { (0.7, n) };
                Bar::new(lo + offset * width, *share).width(0.4 * width)
            })
            .collect()
    };
    static_plot("gradient_histogram")
        .x_axis_label("Per-example gradient norm")
        .y_axis_label("Share of the group")
        .y_axis_formatter(|mark, _| percent(mark.value, 0))
        .include_y(0.0)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("Members (trained on)", bars(true)).color(MEMBER_COLOUR));
            plot.bar_chart(
                BarChart::new("Non-members (held out)", bars(false)).color(NON_MEMBER_COLOUR),
            );
        });
}

pub fn pca_ui(ui: &mut egui::Ui, charts: &CohortCharts, show_table: &mut bool) {
    chart_header(ui, "Samples by status: principal components", show_table);
    sentence(ui, &charts.pca_sentence);
    if *show_table {
        table(
            ui,
            "pca_table",
            &["Group", "Samples", "Mean PC1", "Mean PC2"],
            charts.pca_groups.iter().map(|g| {
                let n = g.points.len().max(1) as f64;
                vec![
                    g.name.to_owned(),
                    integer(g.points.len() as u64),
                    format!("{:+.4}", g.points.iter().map(|p| p[0]).sum::<f64>() / n),
                    format!("{:+.4}", g.points.iter().map(|p| p[1]).sum::<f64>() / n),
                ]
            }),
        );
        return;
    }
    let styles = [
        (MEMBER_COLOUR, MarkerShape::Circle),
        (NON_MEMBER_COLOUR, MarkerShape::Diamond),
        (GUESS_COLOUR, MarkerShape::Cross),
    ];
    static_plot("pca_scatter")
        .x_axis_label(format!(
            "PC1 ({} of the variance)",
            percent(charts.explained[0], 1)
        ))
        .y_axis_label(format!("PC2 ({})", percent(charts.explained[1], 1)))
        .show(ui, |plot| {
            for (group, (colour, shape)) in charts.pca_groups.iter().zip(styles) {
                plot.points(
                    Points::new(group.name, group.points.clone())
                        .color(colour)
                        .shape(shape)
                        .radius(2.0),
                );
            }
        });
}

pub fn correlations_ui(ui: &mut egui::Ui, charts: &CohortCharts, show_table: &mut bool) {
    chart_header(
        ui,
        &format!("The {TOP_SNPS} SNPs most correlated with status"),
        show_table,
    );
    let Some(text) = &charts.correlation_sentence else {
        ui.label("No SNP varies among samples with a known status.");
        return;
    };
    sentence(ui, text);
    if *show_table {
        table(
            ui,
            "correlation_table",
            &["Rank", "ID", "Chrom", "Position", "r", "Trend χ²"],
            charts.correlations.iter().enumerate().map(|(rank, c)| {
                vec![
                    format!("{}", rank + 1),
                    c.id.clone(),
                    c.chrom.clone(),
                    integer(c.pos),
                    format!("{:+.3}", c.r),
                    number(c.trend_chi_square),
                ]
            }),
        );
        return;
    }
    let ids: Vec<String> = charts.correlations.iter().map(|c| c.id.clone()).collect();
    let bars: Vec<Bar> = charts
        .correlations
        .iter()
        .enumerate()
        .map(|(rank, c)| Bar::new((rank + 1) as f64, c.r).name(&c.id).width(0.6))
        .collect();
    static_plot("correlation_bars")
        .x_axis_label("Rank (SNP IDs in the table view)")
        .y_axis_label("Correlation r with case status")
        .x_axis_formatter(move |mark, _| {
            let rank = mark.value.round();
            if (mark.value - rank).abs() < 1e-6 && rank >= 1.0 {
                ids.get(rank as usize - 1).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .include_y(0.0)
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new("r (positive: alt allele commoner in cases)", bars)
                    .color(MEMBER_COLOUR),
            );
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_shares_sum_to_one_per_group() {
        let bins = histogram(&[0.1, 0.2, 0.2, 1.0], &[0.5, 0.9]);
        assert_eq!(bins.len(), HISTOGRAM_BINS);
        let members: f64 = bins.iter().map(|b| b.2).sum();
        let non_members: f64 = bins.iter().map(|b| b.3).sum();
        assert!((members - 1.0).abs() < 1e-12 && (non_members - 1.0).abs() < 1e-12);
        // The largest value lands in the last bin.
        assert!(bins.last().is_some_and(|b| b.2 == 0.25));
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
