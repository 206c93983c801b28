//! Drawing the Trade-offs screen: the charts and runs of a sweep on the left;
//! on the right the policy thresholds, the pinned candidates with their verdicts
//! and notes, a side-by-side comparison, the decision, the cohort's budget ledger
//! and the plain-language cards of one candidate.

use egui::{Color32, DragValue, RichText};
use genopriv_core::explain::format::{capitalised, number, percent};
use genopriv_core::explain::label::RELATIVES_CAUTION;
use genopriv_core::explain::odds::{IconArray, posterior_bound};
use genopriv_core::explain::report::chosen_release_sentence;
use genopriv_core::explain::{
    EpsilonUnit, MEMBERSHIP_ATTACKER, MafSource, MechanismKind, ReleaseDescription,
    candidate_risk_sentence, odds_sentence, privacy_label, realised_epsilon_sentence,
};
use genopriv_core::study::candidate::{ComparedFigure, Direction, compare};
use genopriv_core::study::ledger::ledger_for;
use genopriv_core::study::{
    Candidate, CandidateRun, LedgerEntry, Mechanism, Policy, TargetChoice, VerdictKind, judge,
};

use super::app::Action;
use super::app::Screen;
use super::table::table;
use super::tradeoffs::{
    OverlayData, SourceKind, SourcePoint, TradeoffData, TradeoffSource, TradeoffsScreen, by_epsilon,
};
use super::tradeoffs_charts::{EpsilonAxis, icon_array, overlay_chart, risk_chart, utility_chart};

/// The prior of the odds card: the ux spec's "1 in 10 chance that Alice is in the study".
const CARD_PRIOR: f64 = 0.1;

/// Threshold values a steward starts from when switching one on.
const DEFAULT_MIN_UTILITY: f64 = 0.8;
const DEFAULT_MAX_TPR: f64 = 0.05;
const DEFAULT_MAX_EPSILON: f64 = 10.0;

/// What the controls ask for; applied after drawing.
enum Edit {
    Pin(Box<SourcePoint>),
    Unpin(u32),
    ToggleCompared(u32),
    Choose(u32),
    Select(u32),
    RecordChosen,
    RecordPast,
    RemoveRelease(usize),
}

/// The Trade-offs screen over `sources`: the sweeps that have runs (at most one
/// of each kind).
pub(super) fn show(
    ui: &mut egui::Ui,
    screen: &mut TradeoffsScreen,
    sources: Vec<TradeoffSource<'_>>,
    actions: &mut Vec<Action>,
) {
    ui.heading("Trade-offs: what each candidate release costs and risks");
    let wanted = screen.source.unwrap_or(SourceKind::Sharing);
    let Some(source) = sources
        .iter()
        .find(|s| s.kind() == wanted)
        .or_else(|| sources.first())
    else {
        ui.label(
            "Run a sweep first: on the Protect screen, Sweep epsilon releases the cohort at \
             several budgets and measures each one; on the Audit screen, Sweep DP noise trains \
             the model at several noise levels and attacks each one. Their runs appear here as \
             they finish.",
        );
        ui.horizontal(|ui| {
            if ui.button("Go to Protect").clicked() {
                actions.push(Action::Show(Screen::Protect));
            }
            if ui.button("Go to Audit").clicked() {
                actions.push(Action::Show(Screen::Audit));
            }
        });
        return;
    };
    let overlay = overlay_of(&sources);
    let comparing = screen.compare_methods && overlay.is_some();
    if sources.len() > 1 {
        ui.horizontal_wrapped(|ui| {
            ui.label("Release to decide on:");
            for kind in sources.iter().map(TradeoffSource::kind) {
                if ui
                    .selectable_label(!comparing && source.kind() == kind, kind.label())
                    .clicked()
                {
                    screen.source = Some(kind);
                    screen.compare_methods = false;
                }
            }
            if overlay.is_some() {
                ui.separator();
                if ui
                    .selectable_label(comparing, COMPARE_METHODS)
                    .on_hover_text(
                        "Both releases' utility on one epsilon axis; to pin runs, choose one \
                         release",
                    )
                    .clicked()
                {
                    screen.compare_methods = true;
                }
            }
        });
    }
    // The comparison pins nothing: the decision panel keeps the sharing sweep's
    // cohort and labels (a synthetic candidate's cards need neither).
    let overlay = overlay.filter(|_| comparing);
    let source = match overlay {
        Some(_) => sources
            .iter()
            .find(|s| s.kind() == SourceKind::Sharing)
            .unwrap_or(source),
        None => source,
    };
    let cohort_sha256 = source.cohort_sha256();
    let data = source.data();
    let summary = by_epsilon(&data.points);
    match &overlay {
        Some(o) => overlay_status(ui, o),
        None => source_status(ui, source, &data),
    }
    let mut edits = Vec::new();
    ui.add_space(4.0);
    ui.horizontal_top(|ui| {
        let left = (ui.available_width() * 0.54).max(360.0);
        ui.vertical(|ui| {
            ui.set_width(left);
            egui::ScrollArea::vertical()
                .id_salt("tradeoff_charts")
                .auto_shrink([false, false])
                .show(ui, |ui| match &overlay {
                    Some(o) => overlay_chart(ui, screen, o),
                    None => {
                        match EpsilonAxis::of(&summary, &screen.policy) {
                            Some(axis) => {
                                utility_chart(ui, screen, &data, &summary, axis);
                                ui.add_space(8.0);
                                risk_chart(ui, screen, &data, &summary, axis);
                            }
                            None => {
                                ui.label("No run that spends a budget has finished yet.");
                            }
                        }
                        ui.add_space(8.0);
                        runs_ui(ui, screen, &data, &mut edits);
                    }
                });
        });
        ui.separator();
        let right = ui.available_width().max(300.0);
        ui.vertical(|ui| {
            ui.set_width(right);
            ui.set_max_width(right);
            egui::ScrollArea::vertical()
                .id_salt("tradeoff_decision")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    decision_ui(ui, screen, &data, cohort_sha256, &mut edits);
                });
        });
    });
    for edit in edits {
        apply(screen, edit, cohort_sha256);
    }
}

/// The choice that draws sharing and synthesis on one chart.
const COMPARE_METHODS: &str = "Compare sharing and synthetic data on one chart";

/// Both releases' sweeps, when both have runs.
fn overlay_of(sources: &[TradeoffSource<'_>]) -> Option<OverlayData> {
    let sharing = sources.iter().find_map(|s| match s {
        TradeoffSource::Sharing { view, .. } => Some(*view),
        _ => None,
    })?;
    let synthesis = sources.iter().find_map(|s| match s {
        TradeoffSource::Synthesis { view, .. } => Some(*view),
        _ => None,
    })?;
    Some(OverlayData::of(sharing, synthesis))
}

fn overlay_status(ui: &mut egui::Ui, overlay: &OverlayData) {
    let mut status = format!(
        "Sharing and synthesis on one chart: {} sharing runs and {} synthetic runs",
        overlay.sharing.iter().map(|p| p.runs).sum::<usize>(),
        overlay.synthesis.iter().map(|p| p.runs).sum::<usize>()
    );
    if overlay.running {
        status.push_str(" so far");
    }
    status.push_str(
        ". A comparison only: to pin candidates, or to see a release's risk, choose that \
         release above; the candidates pinned so far stay on the right.",
    );
    ui.add(egui::Label::new(RichText::new(status).weak()).wrap());
}

/// The source's name, run count and recommended epsilon.
fn source_status(ui: &mut egui::Ui, source: &TradeoffSource<'_>, data: &TradeoffData) {
    let mut status = format!("{}: {} runs", data.title, data.points.len());
    if data.running {
        status.push_str(" so far; the charts grow as the sweep runs");
    }
    ui.label(RichText::new(status).weak());
    match data.recommended {
        Some(r) => {
            let per_snp = r
                .epsilon_per_snp
                .map(|e| format!("{} per SNP (", number(e)))
                .unwrap_or_default();
            let close = if per_snp.is_empty() { "" } else { ")" };
            ui.add(
                egui::Label::new(
                    RichText::new(format!(
                        "Recommended: epsilon {per_snp}{} in total per person{close}, where {} \
                         levels off at {}.",
                        number(r.epsilon_total),
                        data.utility_label,
                        percent(r.utility, 1)
                    ))
                    .strong(),
                )
                .wrap(),
            );
        }
        None if !data.running => {
            let (grid, screen) = match source.kind() {
                SourceKind::Sharing | SourceKind::Synthesis => ("epsilons", "Protect"),
                SourceKind::ModelTraining => ("noise multipliers", "Audit"),
            };
            ui.add(
                egui::Label::new(format!(
                    "No recommendation: the utility curve does not level off over this grid. \
                     Try a wider range of {grid} on the {screen} screen."
                ))
                .wrap(),
            );
        }
        None => {}
    }
}

fn apply(screen: &mut TradeoffsScreen, edit: Edit, cohort_sha256: Option<&str>) {
    match edit {
        Edit::Pin(point) => {
            screen.pin(&point, cohort_sha256);
        }
        Edit::Unpin(id) => screen.unpin(id),
        Edit::ToggleCompared(id) => screen.toggle_compared(id),
        Edit::Choose(id) => screen.choose(id),
        Edit::Select(id) => screen.selected = Some(id),
        Edit::RecordChosen => {
            let Some(sha) = cohort_sha256 else { return };
            let Some(chosen) = screen.chosen() else {
                return;
            };
            let entry = LedgerEntry {
                label: chosen.title(),
                epsilon: chosen.figures.epsilon_spent.unwrap_or(f64::INFINITY),
                delta: chosen.figures.delta,
            };
            let result = ledger_for(&mut screen.ledgers, sha).record(entry);
            screen.notice = result.err().map(|e| format!("Not recorded: {e}."));
        }
        Edit::RecordPast => {
            let Some(sha) = cohort_sha256 else { return };
            let label = screen.past_label.trim();
            let entry = LedgerEntry {
                label: if label.is_empty() {
                    "An earlier release".to_owned()
                } else {
                    label.to_owned()
                },
                epsilon: screen.past_epsilon,
                delta: 0.0,
            };
            match ledger_for(&mut screen.ledgers, sha).record(entry) {
                Ok(()) => {
                    screen.past_label.clear();
                    screen.notice = None;
                }
                Err(e) => screen.notice = Some(format!("Not recorded: {e}.")),
            }
        }
        Edit::RemoveRelease(index) => {
            let Some(sha) = cohort_sha256 else { return };
            let ledger = ledger_for(&mut screen.ledgers, sha);
            if index < ledger.releases.len() {
                ledger.releases.remove(index);
            }
        }
    }
}

/// Every run of the sweep with a Pin button.
fn runs_ui(
    ui: &mut egui::Ui,
    screen: &TradeoffsScreen,
    data: &TradeoffData,
    edits: &mut Vec<Edit>,
) {
    ui.strong("Runs: pin the ones worth considering");
    ui.label(
        RichText::new(
            "Each run is one release at that budget, measured. Pinned runs become candidates on \
             the right.",
        )
        .small()
        .weak(),
    );
    let per_snp = data
        .points
        .iter()
        .any(|p| p.figures.epsilon_per_snp.is_some());
    egui::ScrollArea::horizontal()
        .id_salt("tradeoff_runs_scroll")
        .show(ui, |ui| {
            egui::Grid::new("tradeoff_runs")
                .striped(true)
                .spacing([12.0, 4.0])
                .show(ui, |ui| runs_grid(ui, screen, data, per_snp, edits));
        });
}

fn runs_grid(
    ui: &mut egui::Ui,
    screen: &TradeoffsScreen,
    data: &TradeoffData,
    per_snp: bool,
    edits: &mut Vec<Edit>,
) {
    let headings: &[&str] = if per_snp {
        &[
            "Run",
            "Per SNP",
            "Total",
            "Which",
            "Utility",
            "Members found",
            "",
        ]
    } else {
        &["Run", "Epsilon", "Which", "Utility", "Members found", ""]
    };
    for h in headings {
        ui.label(RichText::new(*h).strong());
    }
    ui.end_row();
    for (index, point) in data.points.iter().enumerate() {
        let f = &point.figures;
        let number_of_run = index + 1;
        ui.label(number_of_run.to_string());
        if per_snp {
            ui.label(f.epsilon_per_snp.map_or_else(String::new, number));
        }
        ui.label(number(f.epsilon_nominal));
        ui.label(point.run.point());
        ui.label(f.utility.map_or_else(|| "–".into(), |u| percent(u, 1)));
        ui.label(f.members_found().unwrap_or_else(|| "–".into()));
        let pinned = screen.candidates.iter().find(|c| c.is_run(&point.run));
        match pinned {
            Some(c) => {
                ui.label(RichText::new(format!("Pinned as {}", c.id)).weak());
            }
            None => {
                if ui
                    .button(format!("Pin run {number_of_run}"))
                    .on_hover_text("Keep this run as a candidate for release")
                    .clicked()
                {
                    edits.push(Edit::Pin(Box::new(point.clone())));
                }
            }
        }
        ui.end_row();
    }
}

fn decision_ui(
    ui: &mut egui::Ui,
    screen: &mut TradeoffsScreen,
    data: &TradeoffData,
    cohort_sha256: Option<&str>,
    edits: &mut Vec<Edit>,
) {
    if let Some(notice) = &screen.notice {
        ui.label(RichText::new(notice).color(ui.visuals().error_fg_color));
    }
    section(ui, "Policy thresholds", |ui| {
        policy_ui(ui, &mut screen.policy, &data.utility_label)
    });
    section(ui, "Candidates", |ui| candidates_ui(ui, screen, edits));
    if let [a, b] = *screen.compared.as_slice()
        && let (Some(a), Some(b)) = (screen.candidate(a), screen.candidate(b))
    {
        section(ui, "Side by side", |ui| comparison_ui(ui, a, b));
    }
    section(ui, "Privacy budget ledger", |ui| {
        ledger_ui(ui, screen, cohort_sha256, edits)
    });
    if let Some(candidate) = screen.shown() {
        let n_variants = data
            .points
            .first()
            .and_then(|p| Some(p.figures.epsilon_nominal / p.figures.epsilon_per_snp?))
            .map(|n| n.round() as u64);
        section(
            ui,
            &format!(
                "What candidate {} means for the people in the cohort",
                candidate.id
            ),
            |ui| cards_ui(ui, candidate, n_variants),
        );
    }
}

fn section(ui: &mut egui::Ui, title: &str, body: impl FnOnce(&mut egui::Ui)) {
    egui::Frame::group(ui.style())
        .inner_margin(8.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.strong(title);
            body(ui);
        });
    ui.add_space(6.0);
}

/// A threshold switched on with a checkbox; `as_percent` edits a fraction in percent.
fn threshold_row(
    ui: &mut egui::Ui,
    value: &mut Option<f64>,
    label: &str,
    default: f64,
    as_percent: bool,
) {
    ui.horizontal(|ui| {
        let mut on = value.is_some();
        let switch = ui.checkbox(&mut on, label);
        if switch.changed() {
            *value = on.then_some(default);
        }
        if let Some(v) = value {
            if as_percent {
                let mut shown = *v * 100.0;
                let response = ui
                    .add(
                        DragValue::new(&mut shown)
                            .range(0.0..=100.0)
                            .speed(0.5)
                            .suffix(" %"),
                    )
                    .labelled_by(switch.id);
                if response.changed() {
                    *v = shown / 100.0;
                }
            } else {
                ui.add(DragValue::new(v).range(0.0..=f64::MAX).speed(0.5))
                    .labelled_by(switch.id);
            }
        }
    });
}

fn policy_ui(ui: &mut egui::Ui, policy: &mut Policy, utility_label: &str) {
    ui.label(
        RichText::new(
            "Limits agreed before choosing: each candidate is judged against them, and they are \
             drawn on the charts.",
        )
        .small()
        .weak(),
    );
    threshold_row(
        ui,
        &mut policy.min_utility,
        &format!("Least {utility_label}"),
        DEFAULT_MIN_UTILITY,
        true,
    );
    threshold_row(
        ui,
        &mut policy.max_tpr_at_1pct_fpr,
        "Most members found at 1 % false accusations",
        DEFAULT_MAX_TPR,
        true,
    );
    threshold_row(
        ui,
        &mut policy.max_epsilon,
        "Largest privacy loss (epsilon per person)",
        DEFAULT_MAX_EPSILON,
        false,
    );
}

/// The verdict's colour, always shown with its word.
fn verdict_colour(ui: &egui::Ui, kind: VerdictKind) -> Color32 {
    match kind {
        VerdictKind::MeetsAll => Color32::from_rgb(60, 160, 90),
        VerdictKind::Fails => ui.visuals().error_fg_color,
        VerdictKind::NotJudged => ui.visuals().warn_fg_color,
        VerdictKind::NoThresholds => ui.visuals().weak_text_color(),
    }
}

fn candidates_ui(ui: &mut egui::Ui, screen: &mut TradeoffsScreen, edits: &mut Vec<Edit>) {
    if screen.candidates.is_empty() {
        ui.label("No candidate yet: pin runs from the table on the left.");
        return;
    }
    let chosen = screen.chosen().map(|c| c.id);
    let shown = screen.shown().map(|c| c.id);
    let TradeoffsScreen {
        candidates,
        policy,
        compared,
        decision,
        ..
    } = screen;
    for candidate in candidates.iter_mut() {
        let id = candidate.id;
        ui.add_space(4.0);
        let mut title = candidate.title();
        if chosen == Some(id) {
            title.push_str(" — chosen for release");
        }
        ui.add(egui::Label::new(RichText::new(title).strong()).wrap());
        ui.label(
            RichText::new(format!("Seed {} (reruns it)", candidate.run.seed()))
                .small()
                .weak(),
        );
        let f = &candidate.figures;
        ui.add(
            egui::Label::new(format!(
                "{}: {} · members found at 1 %: {}",
                capitalised(&f.utility_label),
                f.utility
                    .map_or_else(|| "not measured".into(), |u| percent(u, 1)),
                f.members_found().unwrap_or_else(|| "not measured".into())
            ))
            .wrap(),
        );
        let verdict = judge(policy, f);
        let kind = verdict.kind();
        ui.add(
            egui::Label::new(
                // The sentence starts with the verdict ("Fails: …", "Meets …").
                RichText::new(verdict.sentence()).color(verdict_colour(ui, kind)),
            )
            .wrap(),
        );
        let note_label = ui.label(RichText::new(format!("Note on candidate {id}")).small());
        ui.add(
            egui::TextEdit::multiline(&mut candidate.note)
                .desired_rows(1)
                .desired_width(f32::INFINITY)
                .hint_text("Why consider it? (goes into the report)"),
        )
        .labelled_by(note_label.id);
        ui.horizontal_wrapped(|ui| {
            if shown != Some(id) && ui.button(format!("Explain candidate {id}")).clicked() {
                edits.push(Edit::Select(id));
            }
            let mut ticked = compared.contains(&id);
            if ui
                .checkbox(&mut ticked, format!("Compare candidate {id}"))
                .on_hover_text("Tick two candidates to see them side by side")
                .changed()
            {
                edits.push(Edit::ToggleCompared(id));
            }
            if chosen != Some(id)
                && ui
                    .button(format!("Choose candidate {id} for release"))
                    .clicked()
            {
                edits.push(Edit::Choose(id));
            }
            if ui.button(format!("Unpin candidate {id}")).clicked() {
                edits.push(Edit::Unpin(id));
            }
        });
        ui.separator();
    }
    match decision {
        Some(d) => {
            ui.label(
                RichText::new(format!("Chosen for release: candidate {}", d.candidate)).strong(),
            );
            let label = ui.label(RichText::new("Reason for the choice").small());
            ui.add(
                egui::TextEdit::multiline(&mut d.rationale)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY)
                    .hint_text("For the reviewers: why this candidate (goes into the report)"),
            )
            .labelled_by(label.id);
        }
        None => {
            ui.label(
                RichText::new("No candidate is chosen for release yet.")
                    .color(ui.visuals().warn_fg_color),
            );
        }
    }
}

fn comparison_ui(ui: &mut egui::Ui, a: &Candidate, b: &Candidate) {
    ui.label(
        RichText::new(format!(
            "A = candidate {}, B = candidate {}; the difference is B minus A.",
            a.id, b.id
        ))
        .small()
        .weak(),
    );
    let rows = compare(&a.figures, &b.figures);
    table(
        ui,
        "tradeoff_comparison",
        &["Figure", "A", "B", "B − A"],
        rows.iter().map(|r| {
            vec![
                r.name.to_owned(),
                figure_text(r, r.a),
                figure_text(r, r.b),
                difference_text(r),
            ]
        }),
    );
}

/// Rates as percentages, AUC with decimals, epsilons as numbers.
fn is_rate(figure: &ComparedFigure) -> bool {
    matches!(
        figure.name,
        "Utility"
            | "Members found at 1 % false accusations"
            | "Guaranteed ceiling at 1 % false accusations"
    )
}

fn figure_text(figure: &ComparedFigure, value: Option<f64>) -> String {
    let Some(v) = value else {
        return "not measured".to_owned();
    };
    if is_rate(figure) {
        percent(v, 1)
    } else if figure.name == "Membership attack AUC" || figure.name == "Allele-frequency error" {
        format!("{v:.3}")
    } else {
        number(v)
    }
}

/// The difference with its meaning in words ("+12.0 points, better").
fn difference_text(figure: &ComparedFigure) -> String {
    let Some(d) = figure.difference else {
        return "–".to_owned();
    };
    if d == 0.0 {
        return "same".to_owned();
    }
    let amount = if is_rate(figure) {
        format!("{:+.1} points", d * 100.0)
    } else if figure.name == "Membership attack AUC" || figure.name == "Allele-frequency error" {
        format!("{d:+.3}")
    } else {
        format!("{}{}", if d > 0.0 { "+" } else { "-" }, number(d.abs()))
    };
    let better = (d > 0.0) == (figure.larger_is == Direction::Better);
    format!("{amount}, {}", if better { "better" } else { "worse" })
}

fn ledger_ui(
    ui: &mut egui::Ui,
    screen: &mut TradeoffsScreen,
    cohort_sha256: Option<&str>,
    edits: &mut Vec<Edit>,
) {
    let Some(sha) = cohort_sha256 else {
        ui.label(
            "The ledger is kept per cohort file, by its SHA-256 checksum; the checksum is \
             computed when the sweep finishes.",
        );
        return;
    };
    let planned = screen
        .chosen()
        .map(|c| c.figures.epsilon_spent.unwrap_or(f64::INFINITY));
    let ledger = ledger_for(&mut screen.ledgers, sha);
    ui.label(
        RichText::new(format!(
            "Cohort file SHA-256 {}…",
            sha.get(..16).unwrap_or(sha)
        ))
        .small()
        .weak(),
    );
    ui.horizontal(|ui| {
        let mut on = ledger.total_budget.is_some();
        let switch = ui.checkbox(&mut on, "Total budget for this cohort");
        if switch.changed() {
            ledger.total_budget = on.then_some(DEFAULT_MAX_EPSILON);
        }
        if let Some(total) = &mut ledger.total_budget {
            ui.add(DragValue::new(total).range(0.0..=f64::MAX).speed(0.5))
                .labelled_by(switch.id);
        }
    });
    ui.add(egui::Label::new(ledger.sentence(planned)).wrap());
    if planned.is_some_and(|p| ledger.status(Some(p)).is_over_budget() && p.is_finite()) {
        ui.label(
            RichText::new("Over budget: the chosen candidate would spend more than remains.")
                .color(ui.visuals().error_fg_color),
        );
    }
    for (index, release) in ledger.releases.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.label(format!(
                "{}: epsilon {}",
                release.label,
                number(release.epsilon)
            ));
            if ui
                .small_button(format!("Remove release {}", index + 1))
                .clicked()
            {
                edits.push(Edit::RemoveRelease(index));
            }
        });
    }
    ui.horizontal(|ui| {
        let label = ui.label("Earlier release");
        ui.add(
            egui::TextEdit::singleline(&mut screen.past_label)
                .desired_width(140.0)
                .hint_text("name"),
        )
        .labelled_by(label.id);
        let epsilon_label = ui.label("epsilon");
        ui.add(
            DragValue::new(&mut screen.past_epsilon)
                .range(0.0..=f64::MAX)
                .speed(0.1),
        )
        .labelled_by(epsilon_label.id);
        if ui.button("Record earlier release").clicked() {
            edits.push(Edit::RecordPast);
        }
    });
    if screen.chosen().is_some()
        && ui
            .button("Record the chosen candidate as released")
            .on_hover_text("Add its privacy loss to this cohort's ledger once it is released")
            .clicked()
    {
        edits.push(Edit::RecordChosen);
    }
}

fn mechanism_kind(mechanism: Mechanism) -> MechanismKind {
    match mechanism {
        Mechanism::RandomizedResponse => MechanismKind::RandomizedResponse,
        Mechanism::Xor | Mechanism::CoinFlip => MechanismKind::XorSharing,
    }
}

fn maf_source(mechanism: Mechanism, targets: TargetChoice) -> MafSource {
    if mechanism == Mechanism::RandomizedResponse {
        return MafSource::NotUsed;
    }
    match targets {
        TargetChoice::Reference => MafSource::Public,
        TargetChoice::DifferentiallyPrivate { .. } => MafSource::DifferentiallyPrivate,
        TargetChoice::Raw => MafSource::Raw,
    }
}

fn cards_ui(ui: &mut egui::Ui, candidate: &Candidate, n_variants: Option<u64>) {
    let f = &candidate.figures;
    let spent = f.epsilon_spent.unwrap_or(f64::INFINITY);
    // Worst case by the guarantee: odds with a concrete prior, and the icon array.
    ui.add_space(2.0);
    ui.label(RichText::new("Worst case, by the guarantee").underline());
    match posterior_bound(CARD_PRIOR, spent, f.delta) {
        Ok(bound) => {
            ui.horizontal_top(|ui| {
                let array = IconArray::new(&bound);
                icon_array(ui, &array);
                ui.vertical(|ui| {
                    ui.add(egui::Label::new(odds_sentence(&bound)).wrap());
                    ui.add(egui::Label::new(RichText::new(array.caption()).small().weak()).wrap());
                });
            });
        }
        Err(e) => {
            ui.label(format!("The odds bound cannot be stated: {e}."));
        }
    }
    ui.add_space(4.0);
    ui.label(RichText::new("Measured on this cohort").underline());
    ui.add(egui::Label::new(RichText::new(MEMBERSHIP_ATTACKER.title).italics()).wrap());
    ui.add(
        egui::Label::new(candidate_risk_sentence(
            f.membership_tpr_at_1pct_fpr,
            f.membership_auc,
            f.tpr_ceiling(),
        ))
        .wrap(),
    );
    let (kind, maf) = match &candidate.run {
        CandidateRun::Sharing {
            mechanism, targets, ..
        } => (mechanism_kind(*mechanism), maf_source(*mechanism, *targets)),
        CandidateRun::ModelTraining { .. } => (MechanismKind::DpModel, MafSource::NotUsed),
        CandidateRun::Synthesis { .. } => (MechanismKind::SyntheticData, MafSource::NotUsed),
    };
    let epsilon_text = match f.epsilon_realised {
        // A model's epsilon is the accountant's: there is no separate target to compare.
        Some(_) if kind == MechanismKind::DpModel => format!(
            "The model's privacy loss is epsilon {} with delta {} (RDP accountant over every \
             training step).",
            number(f.epsilon_nominal),
            number(f.delta)
        ),
        Some(realised) => realised_epsilon_sentence(f.epsilon_nominal, realised)
            .unwrap_or_else(|e| format!("The realised epsilon cannot be stated: {e}.")),
        None => chosen_release_sentence(&candidate.run.method(), f.epsilon_nominal, None),
    };
    ui.add(egui::Label::new(epsilon_text).wrap());
    ui.add_space(4.0);
    ui.label(RichText::new("Relatives").underline());
    ui.add(egui::Label::new(RELATIVES_CAUTION).wrap());
    ui.add_space(4.0);
    let (epsilon, unit) = match (f.epsilon_per_snp, n_variants) {
        (Some(per_snp), Some(snps)) => (per_snp, EpsilonUnit::PerSnp { snps }),
        _ => (f.epsilon_nominal, EpsilonUnit::Total),
    };
    let description = ReleaseDescription {
        mechanism: kind,
        epsilon,
        unit,
        delta: f.delta,
        maf_source: maf,
        realised_total_epsilon: Some(spent),
    };
    match privacy_label(&description) {
        Ok(label) => {
            egui::CollapsingHeader::new("Privacy label")
                .default_open(false)
                .show(ui, |ui| {
                    for (heading, items) in [
                        ("Protects against", &label.protects_against),
                        ("Does not protect against", &label.does_not_protect_against),
                        ("Who sees the exact data", &label.who_sees_what),
                        ("What is released", &label.what_is_released),
                    ] {
                        ui.strong(heading);
                        for item in items.iter().filter(|i| i.as_str() != RELATIVES_CAUTION) {
                            // egui's bundled font has no bullet glyph.
                            ui.add(egui::Label::new(format!("- {item}")).wrap());
                        }
                    }
                });
        }
        Err(e) => {
            ui.label(format!("The privacy label cannot be made: {e}."));
        }
    }
}
