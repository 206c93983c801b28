//! The IRB report: one self-contained HTML file built from a [`Project`]'s
//! stored results, with the sections the user chooses.
//!
//! Self-contained means no external resource of any kind: styles are inline,
//! charts are inline SVG ([`svg`]), there is no script, and a Content Security
//! Policy (`default-src 'none'`) makes a browser refuse anything else. A print
//! stylesheet lays it out for "Print to PDF". Every sentence comes from
//! [`crate::explain`], so the report and the GUI say the same thing; this module
//! only adds headings, table labels and layout.

pub mod svg;
pub mod view;

use std::fmt::Write as _;

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::explain::attack::INCONCLUSIVE;
use crate::explain::format::{capitalised, number, percent};
use crate::explain::odds::{IconArray, posterior_bound};
use crate::explain::persona::PERSONAS;
use crate::explain::release::seeded_output_notice;
use crate::explain::report as words;
use crate::explain::{PrivacyLabel, privacy_label, realised_epsilon_sentence};
use crate::job::Job;
use crate::project::{Project, Study, StudySpec};
use crate::study::recommend::{AuditFigures, Evidence, recommend};
use crate::study::{AttackKind, Mechanism, judge};

use svg::{Axis, LineChart, Marker, Series};
use view::{AttackView, AuditView, ShareView, SweepView};

/// The sections a report can hold, in the order it shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportSection {
    PrivacyLabel,
    Decision,
    UtilityRisk,
    Assumptions,
    Epsilon,
    Checksums,
    Software,
    Seeds,
    SignOff,
}

impl ReportSection {
    pub const ALL: [ReportSection; 9] = [
        ReportSection::PrivacyLabel,
        ReportSection::Decision,
        ReportSection::UtilityRisk,
        ReportSection::Assumptions,
        ReportSection::Epsilon,
        ReportSection::Checksums,
        ReportSection::Software,
        ReportSection::Seeds,
        ReportSection::SignOff,
    ];

    /// The name used on the command line and as the HTML anchor.
    pub fn id(self) -> &'static str {
        match self {
            ReportSection::PrivacyLabel => "label",
            ReportSection::Decision => "decision",
            ReportSection::UtilityRisk => "utility-risk",
            ReportSection::Assumptions => "assumptions",
            ReportSection::Epsilon => "epsilon",
            ReportSection::Checksums => "checksums",
            ReportSection::Software => "software",
            ReportSection::Seeds => "seeds",
            ReportSection::SignOff => "signoff",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ReportSection::PrivacyLabel => "Privacy label",
            ReportSection::Decision => "The decision and its alternatives",
            ReportSection::UtilityRisk => "Utility and risk",
            ReportSection::Assumptions => "Assumptions behind each attack",
            ReportSection::Epsilon => "Privacy budget: nominal and realised epsilon",
            ReportSection::Checksums => "Input checksums",
            ReportSection::Software => "Software",
            ReportSection::Seeds => "Seeds",
            ReportSection::SignOff => "Sign-off",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// Parses a comma-separated list of section ids, refusing unknown names and
    /// repeats; the report keeps its own section order whatever the list's.
    pub fn parse_list(list: &str) -> Result<Vec<Self>> {
        let mut sections = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let section = Self::from_id(name).ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|s| s.id()).collect();
                Error::Parameter(format!(
                    "`{name}` is not a report section; choose from {}",
                    known.join(", ")
                ))
            })?;
            if sections.contains(&section) {
                return Err(Error::Parameter(format!(
                    "the section `{name}` is named twice"
                )));
            }
            sections.push(section);
        }
        if sections.is_empty() {
            return Err(Error::Parameter("no report section was chosen".into()));
        }
        Ok(sections)
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A study's stored result, read for the report.
enum Loaded<'a> {
    Share(&'a Study, ShareView),
    Sweep(&'a Study, SweepView),
    Audit(&'a Study, AuditView),
}

fn read_result<T: DeserializeOwned>(study: &Study) -> Result<Option<T>> {
    study
        .result
        .clone()
        .map(|value| {
            serde_json::from_value(value).map_err(|e| {
                Error::Parameter(format!(
                    "the stored results of study `{}` cannot be read: {e}",
                    study.name
                ))
            })
        })
        .transpose()
}

/// Builds the report. Studies that have not run yet are listed as such.
pub fn build_report(project: &Project, sections: &[ReportSection], job: Job<'_>) -> Result<String> {
    let mut loaded = Vec::new();
    let mut not_run = Vec::new();
    for study in &project.studies {
        let entry = match &study.spec {
            StudySpec::Share { .. } => read_result(study)?.map(|v| Loaded::Share(study, v)),
            StudySpec::Sweep { .. } => read_result(study)?.map(|v| Loaded::Sweep(study, v)),
            StudySpec::ModelAudit { .. } => read_result(study)?.map(|v| Loaded::Audit(study, v)),
        };
        match entry {
            Some(e) => loaded.push(e),
            None => not_run.push(study.name.as_str()),
        }
    }
    if loaded.is_empty() && project.candidates.is_empty() {
        return Err(Error::Parameter(
            "the project has no study results to report; run `genopriv run PROJECT` first".into(),
        ));
    }
    let mut html = String::new();
    html.push_str(HEAD);
    let _ = write!(
        html,
        "<header><h1>Privacy review of a genomic data release</h1><p class=\"meta\">Prepared \
         with GenoPriv {} from a project of {} studies.</p>",
        escape(env!("CARGO_PKG_VERSION")),
        project.studies.len()
    );
    if !not_run.is_empty() {
        let _ = write!(
            html,
            "<p class=\"warning\">Not reported (no results yet): {}</p>",
            escape(&not_run.join(", "))
        );
    }
    html.push_str("<nav><h2>Contents</h2><ol>");
    for section in ReportSection::ALL.iter().filter(|s| sections.contains(s)) {
        let _ = write!(
            html,
            "<li><a href=\"#{}\">{}</a></li>",
            section.id(),
            section.title()
        );
    }
    html.push_str("</ol></nav></header><main>");
    let chosen: Vec<ReportSection> = ReportSection::ALL
        .into_iter()
        .filter(|s| sections.contains(s))
        .collect();
    for (index, section) in chosen.iter().enumerate() {
        job.checkpoint(
            "Writing the report",
            Some(index as f32 / chosen.len() as f32),
        )?;
        let _ = write!(
            html,
            "<section id=\"{}\"><h2>{}</h2>",
            section.id(),
            section.title()
        );
        let body = match section {
            ReportSection::PrivacyLabel => privacy_label_section(&loaded)?,
            ReportSection::Decision => decision_section(project, &loaded),
            ReportSection::UtilityRisk => utility_risk_section(&loaded),
            ReportSection::Assumptions => assumptions_section(&loaded),
            ReportSection::Epsilon => epsilon_section(&loaded)?,
            ReportSection::Checksums => checksums_section(project),
            ReportSection::Software => software_section(project, &loaded),
            ReportSection::Seeds => seeds_section(project),
            ReportSection::SignOff => sign_off_section(),
        };
        html.push_str(&body);
        html.push_str("</section>");
    }
    job.checkpoint("Writing the report", Some(1.0))?;
    html.push_str("</main></body></html>\n");
    Ok(html)
}

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GenoPriv privacy review</title>
<style>
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #111; background: #fff; max-width: 60rem; margin: 0 auto; padding: 1.5rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #0072B2; padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
.meta { color: #444; }
.warning { border-left: 4px solid #D55E00; padding: 0.3rem 0.6rem; background: #fff4ec; }
.note { color: #333; font-style: italic; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef3f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 0.85rem; word-break: break-all; }
.card { display: grid; grid-template-columns: 1fr 1fr; gap: 0.8rem; }
.card > div { border: 1px solid #bbb; border-radius: 4px; padding: 0.4rem 0.8rem; }
.card h3 { margin-top: 0.2rem; }
figure { margin: 1rem 0; }
figcaption { font-size: 0.9rem; color: #333; }
svg.chart { width: 100%; max-width: 40rem; height: auto; }
svg.icons { width: 11rem; height: auto; float: left; margin-right: 1rem; }
.clear { clear: both; }
.signoff td { height: 2.2rem; min-width: 22rem; }
.box { display: inline-block; width: 0.9rem; height: 0.9rem; border: 1px solid #111; margin-right: 0.4rem; vertical-align: middle; }
@page { size: A4; margin: 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  section { break-inside: auto; }
  h2 { break-after: avoid; }
  figure, table, .card > div { break-inside: avoid; }
  #signoff { break-before: page; }
  a { color: inherit; text-decoration: none; }
}
</style>
</head>
<body>
"#;

fn paragraph(html: &mut String, text: &str) {
    let _ = write!(html, "<p>{}</p>", escape(text));
}

fn list(html: &mut String, items: &[String]) {
    html.push_str("<ul>");
    for item in items {
        let _ = write!(html, "<li>{}</li>", escape(item));
    }
    html.push_str("</ul>");
}

fn opt(value: Option<f64>) -> String {
    value.map_or_else(|| "not defined".to_owned(), number)
}

fn interval(value: Option<f64>, ci: view::IntervalView) -> String {
    match (value, ci.lower, ci.upper) {
        (Some(v), Some(lo), Some(hi)) => {
            format!("{} (95 % CI {} to {})", number(v), number(lo), number(hi))
        }
        (v, ..) => opt(v),
    }
}

fn label_card(html: &mut String, label: &PrivacyLabel) {
    html.push_str("<div class=\"card\">");
    for (title, items) in [
        ("Protects against", &label.protects_against),
        ("Does not protect against", &label.does_not_protect_against),
        ("Who sees what", &label.who_sees_what),
        ("What is released", &label.what_is_released),
    ] {
        let _ = write!(html, "<div><h3>{title}</h3>");
        list(html, items);
        html.push_str("</div>");
    }
    html.push_str("</div>");
}

/// The odds bound at the label's prior as an icon array with its caption.
fn icon_figure(html: &mut String, epsilon: f64, delta: f64) -> Result<()> {
    let bound = posterior_bound(0.1, epsilon, delta)?;
    if !bound.is_meaningful() {
        return Ok(());
    }
    let icons = IconArray::new(&bound);
    let caption = icons.caption();
    let _ = write!(
        html,
        "<figure>{}<figcaption>{}</figcaption><div class=\"clear\"></div></figure>",
        svg::icon_array(icons.prior, icons.worst_case, &caption),
        escape(&caption)
    );
    Ok(())
}

fn privacy_label_section(loaded: &[Loaded<'_>]) -> Result<String> {
    let mut html = String::new();
    let mut any = false;
    for entry in loaded {
        match entry {
            Loaded::Share(study, r) => {
                any = true;
                let _ = write!(html, "<h3>Shared genotypes: {}</h3>", escape(&study.name));
                let realised = r.epsilon.realised_total;
                let label = privacy_label(&r.release_description())?;
                label_card(&mut html, &label);
                let total = r
                    .epsilon
                    .total_spent
                    .or(realised)
                    .unwrap_or(r.epsilon.nominal_total);
                icon_figure(&mut html, total, 0.0)?;
            }
            Loaded::Audit(study, r) => {
                any = true;
                let _ = write!(html, "<h3>Released model: {}</h3>", escape(&study.name));
                match (r.release_description(), &r.privacy) {
                    (Some(description), Some(p)) => {
                        let label = privacy_label(&description)?;
                        label_card(&mut html, &label);
                        icon_figure(&mut html, p.epsilon, p.delta)?;
                    }
                    _ => {
                        let _ = write!(
                            html,
                            "<p class=\"warning\">{}</p>",
                            escape(words::NO_GUARANTEE)
                        );
                    }
                }
            }
            Loaded::Sweep(..) => {}
        }
    }
    if !any {
        paragraph(&mut html, words::NO_RELEASE);
    }
    html.push_str("<h3>The attackers considered</h3><dl>");
    for persona in PERSONAS {
        let _ = write!(
            html,
            "<dt><strong>{}</strong></dt><dd>{}</dd>",
            escape(persona.title),
            escape(persona.description)
        );
    }
    html.push_str("</dl>");
    Ok(html)
}

fn decision_section(project: &Project, loaded: &[Loaded<'_>]) -> String {
    let mut html = candidates_html(project);
    let chosen: Vec<&ShareView> = loaded
        .iter()
        .filter_map(|e| match e {
            Loaded::Share(_, r) => Some(r),
            _ => None,
        })
        .collect();
    for r in &chosen {
        paragraph(
            &mut html,
            &words::chosen_release_sentence(
                r.mechanism.label(),
                r.epsilon.nominal_total,
                r.epsilon.total_spent.or(r.epsilon.realised_total),
            ),
        );
    }
    let sweeps: Vec<(&Study, &SweepView)> = loaded
        .iter()
        .filter_map(|e| match e {
            Loaded::Sweep(s, r) => Some((*s, r)),
            _ => None,
        })
        .collect();
    if sweeps.is_empty() && project.candidates.is_empty() {
        paragraph(&mut html, words::NO_ALTERNATIVES);
    }
    defences_section(&mut html, loaded);
    for (study, sweep) in sweeps {
        let _ = write!(
            html,
            "<h3>Alternatives measured: {}</h3>",
            escape(&study.name)
        );
        match &sweep.recommendation {
            Some(r) => paragraph(
                &mut html,
                &words::recommendation_sentence(
                    r.mechanism.label(),
                    r.metric.label(),
                    r.epsilon_total,
                    r.epsilon_per_snp,
                    r.utility,
                    r.coin_flip_utility,
                ),
            ),
            None => paragraph(&mut html, words::NO_RECOMMENDATION),
        }
        html.push_str(&tradeoff_figure(sweep, &chosen));
        tradeoff_table(&mut html, sweep);
    }
    html
}

/// Defences the stored model audits support, each with the runs behind it.
fn defences_section(html: &mut String, loaded: &[Loaded<'_>]) {
    let figures: Vec<(&str, AuditFigures)> = loaded
        .iter()
        .filter_map(|e| match e {
            Loaded::Audit(study, view) => view.figures().map(|f| (study.name.as_str(), f)),
            _ => None,
        })
        .collect();
    let evidence: Vec<Evidence<'_>> = figures
        .iter()
        .map(|(study, figures)| Evidence::ModelAudit { study, figures })
        .collect();
    let defences = recommend(&evidence);
    if defences.is_empty() {
        return;
    }
    html.push_str("<h3>Recommended defences</h3><ul>");
    for defence in defences {
        let runs: Vec<String> = defence
            .evidence
            .iter()
            .map(|r| format!("{} ({})", r.study, r.point))
            .collect();
        let _ = write!(
            html,
            "<li>{} <span class=\"meta\">Measured in: {}.</span></li>",
            escape(&defence.sentence),
            escape(&runs.join("; "))
        );
    }
    html.push_str("</ul>");
}

/// The steward's decision: the chosen candidate, the pinned alternatives with
/// their notes and verdicts, the policy thresholds and the cohort's budget ledger.
/// Notes are the user's own text: everything is escaped.
fn candidates_html(project: &Project) -> String {
    let mut html = String::new();
    if project.candidates.is_empty() && project.policy.is_empty() && project.ledgers.is_empty() {
        return html;
    }
    let chosen = project.chosen_candidate();
    html.push_str("<h3>Candidate chosen for release</h3>");
    match (chosen, &project.decision) {
        (Some(c), decision) => {
            paragraph(&mut html, &format!("Chosen: {}.", c.title()));
            paragraph(&mut html, &judge(&project.policy, &c.figures).sentence());
            if !c.note.trim().is_empty() {
                paragraph(&mut html, &format!("Steward's note: {}", c.note.trim()));
            }
            if let Some(d) = decision.as_ref().filter(|d| !d.rationale.trim().is_empty()) {
                paragraph(
                    &mut html,
                    &format!("Reason for the choice: {}", d.rationale.trim()),
                );
            }
        }
        (None, Some(d)) => paragraph(
            &mut html,
            &format!(
                "The decision names candidate {}, which is no longer among the pinned \
                 candidates: choose again before filing this report.",
                d.candidate
            ),
        ),
        (None, None) => paragraph(&mut html, words::NO_CHOICE),
    }
    if !project.candidates.is_empty() {
        html.push_str("<h3>Pinned candidates</h3>");
        candidates_table(&mut html, project);
    }
    html.push_str("<h3>Policy thresholds</h3>");
    let thresholds = project.policy.thresholds();
    let utility_label = project
        .candidates
        .first()
        .map_or("utility", |c| c.figures.utility_label.as_str());
    if thresholds.is_empty() {
        paragraph(&mut html, words::NO_THRESHOLDS);
    } else {
        let items: Vec<String> = thresholds
            .iter()
            .map(|t| capitalised(&t.describe(utility_label)))
            .collect();
        list(&mut html, &items);
    }
    for ledger in &project.ledgers {
        let _ = write!(
            html,
            "<h3>Privacy budget ledger</h3><p>Cohort file SHA-256 <code>{}</code></p>",
            escape(&ledger.cohort_sha256)
        );
        let planned = chosen
            .filter(|c| c.cohort_sha256.as_deref() == Some(ledger.cohort_sha256.as_str()))
            .map(|c| c.figures.epsilon_spent.unwrap_or(f64::INFINITY));
        paragraph(&mut html, &ledger.sentence(planned));
        if !ledger.releases.is_empty() {
            html.push_str(
                "<table><thead><tr><th>Release</th><th>Epsilon</th><th>Delta</th></tr></thead>\
                 <tbody>",
            );
            for r in &ledger.releases {
                let _ = write!(
                    html,
                    "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    escape(&r.label),
                    number(r.epsilon),
                    number(r.delta)
                );
            }
            html.push_str("</tbody></table>");
        }
    }
    html
}

fn candidates_table(html: &mut String, project: &Project) {
    let chosen = project.chosen_candidate().map(|c| c.id);
    html.push_str(
        "<table><thead><tr><th>Candidate</th><th>Utility</th><th>Members found at 1 % false \
         accusations</th><th>Attack AUC</th><th>Privacy loss (epsilon)</th><th>Verdict</th>\
         <th>Note</th></tr></thead><tbody>",
    );
    for c in &project.candidates {
        let f = &c.figures;
        let verdict = judge(&project.policy, f);
        let marker = if Some(c.id) == chosen {
            " (chosen)"
        } else {
            ""
        };
        let utility = f.utility.map_or_else(
            || "not measured".to_owned(),
            |u| format!("{} {}", percent(u, 1), f.utility_label),
        );
        let _ = write!(
            html,
            "<tr><td>{}{marker}<br><small>seed {}</small></td><td>{}</td><td class=\"num\">{}\
             </td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}: {}</td><td>{}</td>\
             </tr>",
            escape(&c.title()),
            c.run.seed(),
            escape(&utility),
            f.members_found()
                .unwrap_or_else(|| "not measured".to_owned()),
            opt(f.membership_auc),
            f.epsilon_spent
                .map_or_else(|| "no upper limit".to_owned(), number),
            verdict.kind().word(),
            escape(&verdict.sentence()),
            escape(c.note.trim())
        );
    }
    html.push_str("</tbody></table>");
}

fn tradeoff_figure(sweep: &SweepView, chosen: &[&ShareView]) -> String {
    let Some(metric) = sweep.curves.first().map(|c| c.metric) else {
        return String::new();
    };
    let positive: Vec<f64> = sweep
        .curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.epsilon_total))
        .filter(|&e| e > 0.0)
        .collect();
    let (Some(lo), Some(hi)) = (
        positive.iter().copied().reduce(f64::min),
        positive.iter().copied().reduce(f64::max),
    ) else {
        return String::new();
    };
    let x = Axis {
        min: 10f64.powf(lo.log10().floor()),
        max: 10f64.powf(hi.log10().ceil()).max(lo * 10.0),
        log: true,
    };
    let mut series = Vec::new();
    let mut reference = Vec::new();
    for curve in &sweep.curves {
        if curve.mechanism == Mechanism::CoinFlip {
            if let Some(mean) = curve.points.first().and_then(|p| p.mean) {
                reference.push(Series {
                    label: format!("{} ({})", curve.mechanism.label(), number(mean)),
                    points: vec![(x.min, mean), (x.max, mean)],
                    band: Vec::new(),
                });
            }
            continue;
        }
        let points: Vec<_> = curve
            .points
            .iter()
            .filter(|p| p.epsilon_total > 0.0)
            .filter_map(|p| Some((p.epsilon_total, p.mean?, p.min?, p.max?)))
            .collect();
        series.push(Series {
            label: curve.mechanism.label().to_owned(),
            points: points.iter().map(|&(e, m, ..)| (e, m)).collect(),
            band: points.iter().map(|&(e, _, lo, hi)| (e, lo, hi)).collect(),
        });
    }
    let mut markers = Vec::new();
    if let Some(r) = &sweep.recommendation {
        markers.push(Marker {
            label: "recommended".into(),
            x: r.epsilon_total,
            y: r.utility,
        });
    }
    for release in chosen {
        let utility = match metric {
            crate::study::UtilityMetric::RetentionRate => release.retention_rate,
            crate::study::UtilityMetric::GenotypesUnchanged => release.point_error.map(|e| 1.0 - e),
        };
        if let Some(y) = utility.filter(|_| release.epsilon.nominal_total > 0.0) {
            markers.push(Marker {
                label: "under review".into(),
                x: release.epsilon.nominal_total,
                y,
            });
        }
    }
    let chart = LineChart {
        title: format!("Trade-off: {} against epsilon", metric.label()),
        x_label: "epsilon per person, over all SNPs (log scale)".into(),
        y_label: metric.label().into(),
        x,
        y: Axis {
            min: 0.0,
            max: 1.0,
            log: false,
        },
        series,
        reference,
        markers,
    };
    format!(
        "<figure>{}<figcaption>{}</figcaption></figure>",
        chart.render(),
        escape(&words::tradeoff_summary(metric.label()))
    )
}

fn tradeoff_table(html: &mut String, sweep: &SweepView) {
    html.push_str(
        "<table><thead><tr><th>Mechanism</th><th>Epsilon (total)</th><th>Utility, mean</th>\
         <th>Range over repeats</th><th>Repeats</th><th>Membership TPR at 1 % FPR, mean</th>\
         </tr></thead><tbody>",
    );
    for curve in &sweep.curves {
        for p in &curve.points {
            let tprs: Vec<f64> = sweep
                .rows
                .iter()
                .filter(|r| r.mechanism == curve.mechanism && r.epsilon_nominal == p.epsilon_total)
                .filter_map(|r| r.membership_tpr_at_1pct_fpr)
                .collect();
            let tpr = (!tprs.is_empty()).then(|| tprs.iter().sum::<f64>() / tprs.len() as f64);
            let _ = write!(
                html,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{} to {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(curve.mechanism.label()),
                number(p.epsilon_total),
                opt(p.mean),
                opt(p.min),
                opt(p.max),
                p.repeats,
                opt(tpr)
            );
        }
    }
    html.push_str("</tbody></table>");
}

fn utility_risk_section(loaded: &[Loaded<'_>]) -> String {
    let mut html = String::new();
    for entry in loaded {
        match entry {
            Loaded::Share(study, r) => {
                let _ = write!(html, "<h3>Shared genotypes: {}</h3>", escape(&study.name));
                if let Some(e) = r.point_error {
                    paragraph(&mut html, &words::point_error_sentence(e));
                }
                if let Some(retention) = r.retention_rate {
                    paragraph(
                        &mut html,
                        &words::retention_sentence(retention, r.coin_flip_retention_rate),
                    );
                }
                let _ = write!(
                    html,
                    "<table><tbody><tr><th>Samples × SNPs</th><td class=\"num\">{} × {}</td></tr>\
                     <tr><th>Point error</th><td class=\"num\">{}</td></tr>\
                     <tr><th>Sample error</th><td class=\"num\">{}</td></tr>\
                     <tr><th>Mean error</th><td class=\"num\">{}</td></tr>\
                     <tr><th>Variance error</th><td class=\"num\">{}</td></tr>\
                     <tr><th>Allele-frequency mean absolute error</th><td class=\"num\">{}</td></tr>\
                     <tr><th>GWAS SNP retention</th><td class=\"num\">{}</td></tr>\
                     <tr><th>Coin-flip control retention</th><td class=\"num\">{}</td></tr>\
                     </tbody></table>",
                    r.n_samples,
                    r.n_variants,
                    opt(r.point_error),
                    opt(r.sample_error),
                    opt(r.mean_error),
                    opt(r.variance_error),
                    opt(r.allele_frequency_mae),
                    opt(r.retention_rate),
                    opt(r.coin_flip_retention_rate)
                );
                if !r.membership.is_empty() {
                    html.push_str(
                        "<table><thead><tr><th>Membership test on the shared data</th>\
                         <th>AUC</th><th>TPR at 1 % FPR</th><th>Members / non-members</th>\
                         </tr></thead><tbody>",
                    );
                    for m in &r.membership {
                        let tpr = if m.tpr_at_1pct_fpr_reliable {
                            interval(m.tpr_at_1pct_fpr, m.tpr_at_1pct_fpr_interval)
                        } else {
                            format!(
                                "{} (too few non-members to measure 1 %)",
                                interval(m.tpr_at_1pct_fpr, m.tpr_at_1pct_fpr_interval)
                            )
                        };
                        let _ = write!(
                            html,
                            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                             <td class=\"num\">{} / {}</td></tr>",
                            escape(&m.test),
                            interval(m.auc, m.auc_interval),
                            escape(&tpr),
                            m.n_members,
                            m.n_non_members
                        );
                    }
                    html.push_str("</tbody></table>");
                }
                html.push_str(&format!(
                    "<p class=\"note\">{}</p>",
                    escape(words::PER_SNP_PLOTS_NOTE)
                ));
            }
            Loaded::Audit(study, r) => audit_utility_risk(&mut html, study, r),
            Loaded::Sweep(..) => {}
        }
    }
    html
}

fn audit_utility_risk(html: &mut String, study: &Study, r: &AuditView) {
    let _ = write!(
        html,
        "<h3>Released model: {} ({})</h3>",
        escape(&study.name),
        escape(&r.training)
    );
    if let (Some(train), Some(test)) = (r.train_accuracy, r.test_accuracy) {
        paragraph(html, &words::model_accuracy_sentence(train, test));
    }
    html.push_str(
        "<table><thead><tr><th>Attack</th><th>AUC</th><th>TPR at 0.1 % FPR</th>\
         <th>TPR at 1 % FPR</th><th>TPR at 10 % FPR</th></tr></thead><tbody>",
    );
    for attack in &r.attacks {
        let _ = write!(
            html,
            "<tr><td>{}</td><td class=\"num\">{}</td>",
            escape(attack.attack.id()),
            interval(attack.auc, attack.auc_interval)
        );
        for fpr in [0.001, 0.01, 0.1] {
            let cell = attack
                .operating_points
                .iter()
                .find(|p| p.max_fpr == fpr)
                .map_or_else(
                    || "not measured".to_owned(),
                    |p| {
                        if p.reliable {
                            interval(p.tpr, p.tpr_interval)
                        } else {
                            "too few non-members to measure".to_owned()
                        }
                    },
                );
            let _ = write!(html, "<td class=\"num\">{}</td>", escape(&cell));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    for attack in &r.attacks {
        let _ = write!(html, "<p><strong>{}</strong>: ", escape(attack.attack.id()));
        let text: Vec<String> = attack.sentences.iter().map(|s| escape(s)).collect();
        html.push_str(&text.join(" "));
        html.push_str("</p>");
    }
    if let Some(label) = &r.label_inference {
        html.push_str("<p><strong>label inference</strong>: ");
        let text: Vec<String> = label.sentences.iter().map(|s| escape(s)).collect();
        html.push_str(&text.join(" "));
        html.push_str("</p>");
        if label.verdict == "inconclusive" && !label.sentences.iter().any(|s| s == INCONCLUSIVE) {
            paragraph(html, INCONCLUSIVE);
        }
    }
    html.push_str(&roc_figure(&r.attacks, r.privacy.as_ref()));
}

fn roc_figure(attacks: &[AttackView], privacy: Option<&view::PrivacyView>) -> String {
    let Some(n_out) = attacks.iter().map(|a| a.roc.n_out).max().filter(|&n| n > 0) else {
        return String::new();
    };
    // The smallest FPR a curve can show is one non-member in n_out.
    let floor = 10f64.powf((1.0 / n_out as f64).log10().floor()).min(1e-2);
    let axis = Axis {
        min: floor,
        max: 1.0,
        log: true,
    };
    let series = attacks
        .iter()
        .map(|a| Series {
            label: a.attack.id().to_owned(),
            points: a
                .roc
                .false_positives
                .iter()
                .zip(&a.roc.true_positives)
                .map(|(&fp, &tp)| {
                    (
                        fp as f64 / a.roc.n_out.max(1) as f64,
                        tp as f64 / a.roc.n_in.max(1) as f64,
                    )
                })
                .filter(|&(f, _)| f > 0.0)
                .collect(),
            band: Vec::new(),
        })
        .collect();
    let grid: Vec<f64> = (0..=60)
        .map(|i| 10f64.powf(floor.log10() * (1.0 - f64::from(i) / 60.0)))
        .collect();
    let mut reference = vec![Series {
        label: "guessing".into(),
        points: grid.iter().map(|&f| (f, f)).collect(),
        band: Vec::new(),
    }];
    let mut caption = words::ROC_SUMMARY.to_owned();
    if let Some(p) = privacy {
        let guarantee = crate::explain::Guarantee {
            epsilon: p.epsilon,
            delta: p.delta,
        };
        reference.push(Series {
            label: format!("DP ceiling (epsilon {})", number(p.epsilon)),
            points: grid
                .iter()
                .map(|&f| (f, guarantee.tpr_ceiling(f)))
                .collect(),
            band: Vec::new(),
        });
        caption.push(' ');
        caption.push_str(&words::roc_ceiling_sentence(p.epsilon, p.delta));
    }
    let chart = LineChart {
        title: "Membership attacks: ROC on log-log axes".into(),
        x_label: "false-positive rate: non-members wrongly flagged (log scale)".into(),
        y_label: "true-positive rate: members found (log)".into(),
        x: axis,
        y: axis,
        series,
        reference,
        markers: Vec::new(),
    };
    format!(
        "<figure>{}<figcaption>{}</figcaption></figure>",
        chart.render(),
        escape(&caption)
    )
}

fn assumptions_section(loaded: &[Loaded<'_>]) -> String {
    let mut html = String::new();
    let mut seen: Vec<String> = Vec::new();
    let mut items = Vec::new();
    for entry in loaded {
        let (names, counts): (Vec<String>, Option<(usize, usize)>) = match entry {
            Loaded::Share(_, r) => (
                r.membership.iter().map(|m| m.test.clone()).collect(),
                r.membership.first().map(|m| (m.n_members, m.n_non_members)),
            ),
            Loaded::Audit(_, r) => {
                let mut names: Vec<String> =
                    r.attacks.iter().map(|a| a.attack.id().to_owned()).collect();
                if r.label_inference.is_some() {
                    names.push(AttackKind::Label.id().to_owned());
                }
                (names, Some((r.n_members, r.n_non_members)))
            }
            Loaded::Sweep(..) => (Vec::new(), None),
        };
        for name in names {
            if seen.contains(&name) {
                continue;
            }
            if let Some(text) = words::attack_assumption(&name) {
                items.push(text.to_owned());
            }
            seen.push(name);
        }
        if let Some((members, non_members)) = counts {
            let text = words::evaluation_assumption(members, non_members);
            if !items.contains(&text) {
                items.push(text);
            }
        }
    }
    if items.is_empty() {
        paragraph(&mut html, words::NO_ATTACKS);
    } else {
        list(&mut html, &items);
    }
    html
}

fn epsilon_section(loaded: &[Loaded<'_>]) -> Result<String> {
    let mut html = String::new();
    for entry in loaded {
        match entry {
            Loaded::Share(study, r) => {
                let _ = write!(html, "<h3>Shared genotypes: {}</h3>", escape(&study.name));
                match r.epsilon.realised_total {
                    Some(realised) => paragraph(
                        &mut html,
                        &realised_epsilon_sentence(r.epsilon.nominal_total, realised)?,
                    ),
                    None => paragraph(
                        &mut html,
                        &words::chosen_release_sentence(
                            r.mechanism.label(),
                            r.epsilon.nominal_total,
                            None,
                        ),
                    ),
                }
                let _ = write!(
                    html,
                    "<table><tbody><tr><th>Nominal, total per person</th><td class=\"num\">{}</td></tr>\
                     <tr><th>Nominal, per SNP</th><td class=\"num\">{}</td></tr>\
                     <tr><th>Realised, total per person</th><td class=\"num\">{}</td></tr>\
                     <tr><th>Realised per SNP: smallest / median / largest</th><td class=\"num\">{} / {} / {}</td></tr>\
                     <tr><th>Spent on restoration frequencies</th><td class=\"num\">{}</td></tr>\
                     <tr><th>Total spent</th><td class=\"num\">{}</td></tr></tbody></table>",
                    number(r.epsilon.nominal_total),
                    opt(r.epsilon.nominal_per_snp),
                    r.epsilon
                        .realised_total
                        .map_or_else(|| "no limit".to_owned(), number),
                    opt(r.epsilon.realised_per_snp_min),
                    opt(r.epsilon.realised_per_snp_median),
                    opt(r.epsilon.realised_per_snp_max),
                    r.epsilon
                        .targets
                        .map_or_else(|| "nothing".to_owned(), number),
                    r.epsilon
                        .total_spent
                        .map_or_else(|| "no limit".to_owned(), number),
                );
                for notice in &r.notices {
                    let class = if notice.starts_with("Warning:") {
                        "warning"
                    } else {
                        "note"
                    };
                    let _ = write!(html, "<p class=\"{class}\">{}</p>", escape(notice));
                }
            }
            Loaded::Audit(study, r) => {
                let _ = write!(html, "<h3>Released model: {}</h3>", escape(&study.name));
                match &r.privacy {
                    Some(p) => {
                        let _ = write!(
                            html,
                            "<table><tbody><tr><th>Guaranteed epsilon (delta {})</th><td class=\"num\">{}</td></tr>\
                             <tr><th>How it was computed</th><td>{}</td></tr></tbody></table>",
                            number(p.delta),
                            number(p.epsilon),
                            escape(p.label.as_deref().unwrap_or("not recorded"))
                        );
                    }
                    None => paragraph(&mut html, words::NO_GUARANTEE),
                }
                let strongest = r
                    .attacks
                    .iter()
                    .filter_map(|a| a.epsilon_lower_bound)
                    .filter(|e| e.is_finite())
                    .reduce(f64::max);
                if let Some(lower) = strongest {
                    paragraph(
                        &mut html,
                        &words::empirical_epsilon_sentence(
                            lower,
                            r.privacy.as_ref().map(|p| p.epsilon),
                        ),
                    );
                }
            }
            Loaded::Sweep(..) => {}
        }
    }
    Ok(html)
}

fn checksums_section(project: &Project) -> String {
    let mut html = String::new();
    paragraph(&mut html, words::CHECKSUMS_NOTE);
    html.push_str("<table><thead><tr><th>File (relative to the project)</th><th>SHA-256</th></tr></thead><tbody>");
    for input in &project.inputs {
        let _ = write!(
            html,
            "<tr><td>{}</td><td><code>{}</code></td></tr>",
            escape(&input.path),
            escape(&input.sha256)
        );
    }
    html.push_str("</tbody></table>");
    html
}

fn software_section(project: &Project, loaded: &[Loaded<'_>]) -> String {
    let mut html = String::from("<table><tbody>");
    let _ = write!(
        html,
        "<tr><th>Report written by</th><td>GenoPriv {}</td></tr>\
         <tr><th>Project format version</th><td>{}</td></tr>",
        escape(env!("CARGO_PKG_VERSION")),
        project.format_version
    );
    for entry in loaded {
        if let Loaded::Share(study, r) = entry
            && let Some(v) = &r.genopriv_version
        {
            let _ = write!(
                html,
                "<tr><th>Study {} computed by</th><td>GenoPriv {}</td></tr>",
                escape(&study.name),
                escape(v)
            );
        }
    }
    html.push_str("</tbody></table>");
    html
}

fn seeds_section(project: &Project) -> String {
    let mut html = String::new();
    paragraph(&mut html, words::SEEDS_NOTE);
    html.push_str("<table><thead><tr><th>Study</th><th>Kind</th><th>Seed</th></tr></thead><tbody>");
    for study in &project.studies {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(&study.name),
            study.spec.kind(),
            study.spec.seed()
        );
    }
    html.push_str("</tbody></table>");
    if let Some(seed) = project
        .studies
        .iter()
        .find(|s| matches!(s.spec, StudySpec::Share { .. }))
        .map(|s| s.spec.seed())
    {
        let _ = write!(
            html,
            "<p class=\"warning\">{}</p>",
            escape(&seeded_output_notice(seed))
        );
    }
    html
}

fn sign_off_section() -> String {
    let mut html = String::new();
    paragraph(&mut html, words::SIGN_OFF_NOTE);
    html.push_str("<table class=\"signoff\"><tbody>");
    for field in ["Name", "Role", "Date"] {
        let _ = write!(html, "<tr><th>{field}</th><td></td></tr>");
    }
    html.push_str("<tr><th>Decision</th><td>");
    for option in ["Approve", "Approve with conditions", "Do not approve"] {
        let _ = write!(html, "<span class=\"box\"></span>{option}&nbsp;&nbsp; ");
    }
    html.push_str(
        "</td></tr><tr><th>Conditions or reasons</th><td style=\"height:6rem\"></td></tr>\
         <tr><th>Signature</th><td></td></tr></tbody></table>",
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_lists_parse_in_report_order() -> Result<()> {
        let sections = ReportSection::parse_list("seeds, label")?;
        assert_eq!(
            sections,
            vec![ReportSection::Seeds, ReportSection::PrivacyLabel]
        );
        assert!(ReportSection::parse_list("label,label").is_err());
        assert!(ReportSection::parse_list("label,appendix").is_err());
        assert!(ReportSection::parse_list("").is_err());
        for s in ReportSection::ALL {
            assert_eq!(ReportSection::from_id(s.id()), Some(s));
        }
        Ok(())
    }

    #[test]
    fn decision_lists_the_choice_alternatives_thresholds_and_ledger() -> Result<()> {
        use crate::study::{
            Candidate, CandidateFigures, CandidateRun, Decision, Ledger, LedgerEntry, TargetChoice,
        };
        let candidate = |id: u32, utility: f64, note: &str| Candidate {
            id,
            run: CandidateRun::Sharing {
                mechanism: Mechanism::Xor,
                targets: TargetChoice::Reference,
                repeat: 0,
                seed: 9,
            },
            figures: CandidateFigures {
                epsilon_nominal: 4.0,
                epsilon_per_snp: None,
                epsilon_realised: Some(3.0),
                epsilon_spent: Some(3.0),
                delta: 0.0,
                utility_label: "GWAS SNP retention".into(),
                utility: Some(utility),
                allele_frequency_error: None,
                membership_tpr_at_1pct_fpr: Some(0.01),
                membership_tpr_interval: None,
                membership_auc: Some(0.5),
            },
            cohort_sha256: Some("cd".repeat(32)),
            note: note.into(),
        };
        let mut project = Project::new();
        project.candidates = vec![
            candidate(1, 0.62, "<script>alert(1)</script>"),
            candidate(2, 0.9, "keeps R&D's hits"),
        ];
        project.decision = Some(Decision {
            candidate: 2,
            rationale: "best \"retention\"".into(),
        });
        project.policy.min_utility = Some(0.8);
        let mut ledger = Ledger::new("cd".repeat(32));
        ledger.set_total_budget(Some(10.0))?;
        ledger.record(LedgerEntry {
            label: "<b>2025</b>".into(),
            epsilon: 5.0,
            delta: 0.0,
        })?;
        project.ledgers.push(ledger);
        let html =
            crate::job::unattended(|job| build_report(&project, &[ReportSection::Decision], job))?;
        // User text is escaped, never markup.
        assert!(!html.contains("<script>alert") && !html.contains("<b>2025"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("keeps R&amp;D&#39;s hits"));
        assert!(html.contains("best &quot;retention&quot;"));
        assert!(html.contains("Chosen: Candidate 2: XOR mechanism (PROVGEN), epsilon 4"));
        assert!(html.contains("(chosen)"));
        // Verdicts from the policy module, word and sentence.
        assert!(html.contains("Fails the policy: Fails: GWAS SNP retention 62 % &lt; 80 %."));
        assert!(html.contains("Meets the policy: Meets the threshold."));
        assert!(html.contains("GWAS SNP retention at least 80.0 %"));
        // The chosen candidate is counted against its cohort's ledger: 5 + 3 of 10.
        assert!(html.contains("would add epsilon 3, leaving 2."), "{html}");
        Ok(())
    }

    #[test]
    fn a_dp_trained_model_candidate_is_reported_with_its_interval() -> Result<()> {
        use crate::audit::metrics::Interval;
        use crate::study::audit_sweep::{AttackPoint, AuditSweepRow};
        use crate::study::{AttackKind, Candidate, CandidateFigures, CandidateRun, TargetModel};
        let interval = |lower, upper| Interval { lower, upper };
        let row = AuditSweepRow {
            noise_multiplier: Some(4.0),
            target_epsilon: None,
            epsilon: Some(1.7),
            accountant: None,
            sampling_rate: Some(0.1),
            steps: Some(100),
            delta: 1e-5,
            train_accuracy: 0.6,
            test_accuracy: 0.587,
            attacks: vec![AttackPoint {
                attack: AttackKind::Lira,
                auc: 0.56,
                auc_interval: interval(0.5, 0.62),
                tpr_at_1pct_fpr: 0.04,
                tpr_at_1pct_fpr_interval: interval(0.015, 0.085),
                accuracy: 0.52,
                accuracy_interval: interval(0.47, 0.57),
                balanced_accuracy: 0.55,
                advantage: 0.1,
            }],
            seed: 12_345_678_901_234_567_890,
        };
        let Some(figures) = CandidateFigures::from_audit_row(&row) else {
            panic!("a DP row has figures");
        };
        let mut project = Project::new();
        project.candidates = vec![Candidate {
            id: 1,
            run: CandidateRun::model_training(&TargetModel::Logistic { l2: 0.01 }, 4.0, row.seed),
            figures,
            cohort_sha256: None,
            note: String::new(),
        }];
        let html =
            crate::job::unattended(|job| build_report(&project, &[ReportSection::Decision], job))?;
        assert!(html.contains(
            "Candidate 1: logistic regression (L2) trained with DP-SGD, epsilon 1.7, noise \
             multiplier 4<br><small>seed 12345678901234567890</small>"
        ));
        assert!(html.contains("58.7 % model accuracy on held-out people"));
        assert!(html.contains("4.0 % (1.5 % to 8.5 %)"), "{html}");
        Ok(())
    }

    #[test]
    fn escaping_covers_markup_characters() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
