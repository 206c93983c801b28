//! Drawing the Protect screen: settings (mechanism, epsilon with its anchors and
//! warnings, target frequencies, reference panel, randomness), the running job,
//! and a release's results, charts, sweep and export.

use egui::{Align, Color32, DragValue, Layout, ProgressBar, RichText, Slider};
use genopriv_core::audit::shared_data::SharedDataSummary;
use genopriv_core::explain::epsilon::{SLIDER_ANCHORS, slider_epsilon, slider_position};
use genopriv_core::explain::format::{number, percent, ratio};
use genopriv_core::explain::release::frequency_source_warning;
use genopriv_core::explain::{
    EpsilonUnit, MafSource, epsilon_warning, per_snp_epsilon_sentence, realised_epsilon_sentence,
};
use genopriv_core::study::{GwasRetention, Mechanism, ShareReport};

use super::app::Workspace;
use super::columns::settings_and_results;
use super::format::{count, whole_percent};
use super::protect::{
    EpsilonUnitChoice, ProtectAction, ProtectMode, ProtectNotice, ProtectScreen, Release,
    TargetKind,
};
use super::protect_charts::{frequency_ui, manhattan_ui, sweep_ui};
use super::synth_view;

/// What each mechanism is, in one line.
fn mechanism_meaning(m: Mechanism) -> &'static str {
    match m {
        Mechanism::Xor => {
            "Flips bits of each genotype with probabilities calibrated on a public panel, then \
             pulls allele frequencies back toward the targets (PROVGEN)"
        }
        Mechanism::RandomizedResponse => {
            "Reports each genotype truthfully with a probability set by epsilon, otherwise one \
             of the other two at random"
        }
        Mechanism::CoinFlip => {
            "Replaces every genotype bit by a coin flip, then restores the target frequencies: \
             shows how much utility comes from the frequencies alone"
        }
    }
}

/// Width of the settings column; results take the rest.
const SETTINGS_WIDTH: f32 = 430.0;

pub(super) fn show(
    ui: &mut egui::Ui,
    screen: &mut ProtectScreen,
    workspace: &Workspace,
    actions: &mut Vec<ProtectAction>,
) {
    let n_variants = workspace.data.summary.n_variants;
    let shape = format!(
        "{} samples × {} SNPs.",
        count(workspace.data.summary.n_samples),
        count(n_variants)
    );
    let (heading, intro) = match screen.mode {
        ProtectMode::Share => (
            "Protect: share a perturbed copy of the cohort",
            "The shared copy keeps the GWAS signal as well as the privacy budget allows; every \
             figure is measured on this cohort.",
        ),
        ProtectMode::Synthesize => (
            "Protect: synthesize a cohort with differential privacy",
            "Synthetic people are drawn from noisy counts of the real ones; half of the cohort \
             trains the generator, the other half is held out to check utility and privacy.",
        ),
    };
    ui.heading(heading);
    ui.add(egui::Label::new(RichText::new(format!("{shape} {intro}")).weak()).wrap());
    ui.add_space(4.0);
    settings_and_results(
        ui,
        "protect",
        &mut (screen, actions),
        SETTINGS_WIDTH,
        |ui, (screen, actions)| {
            let busy = screen.is_busy();
            ui.add_enabled_ui(!busy, |ui| {
                mode_ui(ui, screen);
                match screen.mode {
                    ProtectMode::Share => settings_ui(ui, screen, workspace, actions),
                    ProtectMode::Synthesize => {
                        synth_view::settings_ui(ui, &mut screen.synth, workspace, actions)
                    }
                }
            });
        },
        |ui, (screen, actions)| match screen.mode {
            ProtectMode::Share => results_ui(ui, screen, actions),
            ProtectMode::Synthesize => synth_view::results_ui(ui, &mut screen.synth, actions),
        },
    );
}

/// Share or synthesize: the first choice of the settings column.
fn mode_ui(ui: &mut egui::Ui, screen: &mut ProtectScreen) {
    ui.horizontal(|ui| {
        ui.selectable_value(
            &mut screen.mode,
            ProtectMode::Share,
            "Share a perturbed copy",
        )
        .on_hover_text("Release the real genotypes with random flips (XOR, randomized response)");
        ui.selectable_value(&mut screen.mode, ProtectMode::Synthesize, "Synthesize")
            .on_hover_text("Release synthetic people drawn from noisy counts of the cohort");
    });
    ui.add_space(4.0);
}

fn results_ui(ui: &mut egui::Ui, screen: &mut ProtectScreen, actions: &mut Vec<ProtectAction>) {
    let busy = screen.is_busy();
    task_ui(ui, screen, actions);
    notice_ui(ui, screen, actions);
    if screen.release.is_none() && screen.sweep.is_none() && !busy {
        ui.label(
            RichText::new(
                "Choose the settings on the left, then Run release to see what the shared copy \
                 keeps and what it costs in privacy, or Sweep epsilon to compare budgets.",
            )
            .weak(),
        );
    }
    // The trade-off first: it is how a steward picks the epsilon of a release.
    if let Some(view) = &screen.sweep {
        sweep_ui(ui, view, &mut screen.sweep_table, actions);
        ui.separator();
    }
    if let Some(release) = &screen.release {
        if release.settings != screen.form.settings() {
            ui.label(
                RichText::new(
                    "The settings have changed since these results were made: they describe \
                     the last run. Run release again to see the new settings' results.",
                )
                .color(ui.visuals().warn_fg_color),
            );
        }
        release_ui(ui, release, busy, actions);
        if let Some(exported) = &screen.exported {
            ui.label(format!(
                "Exported: {} and its report {}.",
                exported.data.display(),
                exported.report.display()
            ));
        }
        ui.separator();
        manhattan_ui(ui, &release.charts, &mut screen.manhattan_table);
        ui.add_space(6.0);
        frequency_ui(ui, &release.charts, &mut screen.frequency_table);
    }
}

fn settings_ui(
    ui: &mut egui::Ui,
    screen: &mut ProtectScreen,
    workspace: &Workspace,
    actions: &mut Vec<ProtectAction>,
) {
    let n_variants = workspace.data.summary.n_variants;
    egui::Frame::group(ui.style())
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.strong("Mechanism");
            let form = &mut screen.form;
            for m in [
                Mechanism::Xor,
                Mechanism::RandomizedResponse,
                Mechanism::CoinFlip,
            ] {
                ui.radio_value(&mut form.mechanism, m, m.label());
                ui.indent(m.id(), |ui| {
                    ui.add(
                        egui::Label::new(RichText::new(mechanism_meaning(m)).weak().small()).wrap(),
                    );
                });
            }
            ui.add_space(6.0);
            epsilon_ui(ui, screen, n_variants);
            ui.add_space(6.0);
            targets_ui(ui, screen);
            ui.add_space(6.0);
            panel_ui(ui, screen, actions);
            ui.add_space(6.0);
            randomness_ui(ui, screen);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui
                    .button("Run release")
                    .on_hover_text("Perturb the cohort once and measure privacy and utility")
                    .clicked()
                {
                    actions.push(ProtectAction::Run);
                }
                if ui
                    .button("Sweep epsilon")
                    .on_hover_text(
                        "Release over a grid of epsilons (per SNP 0.25 to 32, doubling) with the \
                         coin-flip control, and recommend the epsilon where utility levels off",
                    )
                    .clicked()
                {
                    actions.push(ProtectAction::Sweep);
                }
            });
            if screen.has_prepared_study() {
                ui.add(
                    egui::Label::new(
                        RichText::new(
                            "Panel alignment, calibration and the original GWAS are ready and \
                             will be reused",
                        )
                        .small()
                        .weak(),
                    )
                    .wrap(),
                );
            }
        });
}

fn epsilon_ui(ui: &mut egui::Ui, screen: &mut ProtectScreen, n_variants: usize) {
    let form = &mut screen.form;
    ui.horizontal(|ui| {
        ui.strong("Privacy budget (epsilon)");
        let mut unit = form.unit;
        ui.selectable_value(&mut unit, EpsilonUnitChoice::PerSnp, "Per SNP");
        ui.selectable_value(&mut unit, EpsilonUnitChoice::Total, "Total per person");
        form.set_unit(unit, n_variants);
    });
    if form.mechanism == Mechanism::CoinFlip {
        ui.label("The coin-flip control spends no budget: its epsilon is 0.");
        return;
    }
    ui.horizontal(|ui| {
        let mut position = slider_position(form.epsilon);
        ui.spacing_mut().slider_width = 200.0;
        let slider = Slider::new(&mut position, 0.0..=1.0)
            .show_value(false)
            .text("Epsilon (log scale)");
        if ui.add(slider).changed() {
            // Two significant digits: the slider picks a scale, not a precise value.
            form.epsilon = round_2_significant(slider_epsilon(position));
        }
        let label = ui.label("Exact value");
        ui.add(
            DragValue::new(&mut form.epsilon)
                .range(0.0..=f64::MAX)
                .speed(0.01)
                .max_decimals(4),
        )
        .labelled_by(label.id)
        .on_hover_text("Type any value; the slider covers 0.1 to 10");
    });
    let anchors: Vec<String> = SLIDER_ANCHORS
        .iter()
        .map(|a| format!("{} at {}", a.label, number(a.epsilon)))
        .collect();
    ui.add(egui::Label::new(RichText::new(anchors.join("  ·  ")).small().weak()).wrap());
    let budget = form.budget();
    ui.label(
        RichText::new(format!(
            "{} per SNP × {} SNPs = {} in total per person",
            number(budget.per_snp(n_variants)),
            count(n_variants),
            number(budget.total(n_variants))
        ))
        .strong(),
    );
    let unit = match form.unit {
        EpsilonUnitChoice::Total => EpsilonUnit::Total,
        EpsilonUnitChoice::PerSnp => EpsilonUnit::PerSnp {
            snps: u64::try_from(n_variants).unwrap_or(u64::MAX),
        },
    };
    match epsilon_warning(form.epsilon, unit) {
        Ok(Some(warning)) => warning_frame(ui, &warning),
        Ok(None) => {}
        Err(e) => warning_frame(ui, &format!("This epsilon cannot be used: {e}.")),
    }
}

pub(super) fn round_2_significant(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x;
    }
    // Dividing by a power of ten (not multiplying by 0.1) keeps 1.2 exactly 1.2.
    let digits = 1 - x.log10().floor() as i32;
    if digits >= 0 {
        let scale = 10f64.powi(digits);
        (x * scale).round() / scale
    } else {
        let scale = 10f64.powi(-digits);
        (x / scale).round() * scale
    }
}

fn targets_ui(ui: &mut egui::Ui, screen: &mut ProtectScreen) {
    let form = &mut screen.form;
    ui.strong("Target allele frequencies (for restoring the data)");
    ui.radio_value(
        &mut form.targets,
        TargetKind::Reference,
        "Public reference panel: costs the participants nothing (recommended)",
    );
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(
            &mut form.targets,
            TargetKind::DifferentiallyPrivate,
            "The cohort's frequencies with differential privacy",
        );
        let label = ui.label("at epsilon");
        ui.add(
            DragValue::new(&mut form.targets_epsilon)
                .range(0.0..=f64::MAX)
                .speed(0.01),
        )
        .labelled_by(label.id);
        ui.label(RichText::new("(added to the budget)").weak().small());
    });
    ui.radio_value(
        &mut form.targets,
        TargetKind::Raw,
        "The cohort's exact frequencies (not covered by epsilon)",
    );
    if form.targets == TargetKind::Raw
        && let Some(warning) = frequency_source_warning(MafSource::Raw)
    {
        warning_frame(ui, &warning);
    }
}

fn panel_ui(ui: &mut egui::Ui, screen: &ProtectScreen, actions: &mut Vec<ProtectAction>) {
    ui.strong("Reference panel");
    match &screen.form.panel {
        Some(path) => ui.add(egui::Label::new(path.display().to_string()).wrap()),
        None => ui.add(
            egui::Label::new(
                RichText::new(
                    "None chosen: the XOR mechanism and public target frequencies need one",
                )
                .weak(),
            )
            .wrap(),
        ),
    };
    ui.horizontal(|ui| {
        if ui.button("Choose reference panel…").clicked() {
            actions.push(ProtectAction::PickPanel);
        }
        if screen.bundled_panel.is_some()
            && screen.form.panel != screen.bundled_panel
            && ui
                .button("Use the bundled demo panel")
                .on_hover_text("demo_reference_panel.vcf.gz: 1,200 public genomes, same SNPs")
                .clicked()
        {
            actions.push(ProtectAction::UseBundledPanel);
        }
    });
}

fn randomness_ui(ui: &mut egui::Ui, screen: &mut ProtectScreen) {
    let form = &mut screen.form;
    ui.strong("Randomness");
    let study_mode = ui.checkbox(
        &mut form.use_seed,
        "Study mode: fixed seed (not for release)",
    );
    // A ready seed: an empty field would only lead to an error on Run.
    if study_mode.changed() && form.use_seed && form.seed_text.trim().is_empty() {
        form.seed_text = "1".into();
    }
    ui.horizontal(|ui| {
        if form.use_seed {
            let label = ui.label("Seed");
            ui.add(egui::TextEdit::singleline(&mut form.seed_text).desired_width(140.0))
                .labelled_by(label.id);
        } else {
            ui.label(
                RichText::new("Noise from the operating system's secure random source")
                    .weak()
                    .small(),
            );
        }
    });
}

fn task_ui(ui: &mut egui::Ui, screen: &ProtectScreen, actions: &mut Vec<ProtectAction>) {
    let Some(task) = &screen.task else { return };
    let (stage, fraction) = task.progress();
    if job_frame(ui, task.title(), stage, fraction) {
        actions.push(ProtectAction::Cancel);
    }
}

/// A running job: its title, stage and progress bar; true when Cancel was clicked.
pub(super) fn job_frame(
    ui: &mut egui::Ui,
    title: &str,
    stage: &str,
    fraction: Option<f32>,
) -> bool {
    let mut cancel = false;
    egui::Frame::group(ui.style())
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.strong(title);
            ui.label(format!("{stage}…"));
            ui.horizontal(|ui| {
                let bar = match fraction {
                    Some(f) => ProgressBar::new(f).text(whole_percent(f64::from(f))),
                    None => ProgressBar::new(0.0).animate(true).text(stage.to_string()),
                };
                ui.add_sized([420.0, 18.0], bar);
                cancel = ui.button("Cancel").clicked();
            });
        });
    cancel
}

fn notice_ui(ui: &mut egui::Ui, screen: &ProtectScreen, actions: &mut Vec<ProtectAction>) {
    if let Some(notice) = &screen.notice
        && notice_frame(ui, notice)
    {
        actions.push(ProtectAction::DismissNotice);
    }
}

/// A problem or note in a framed box; true when Dismiss was clicked.
pub(super) fn notice_frame(ui: &mut egui::Ui, notice: &ProtectNotice) -> bool {
    let (marker, text, colour) = match notice {
        ProtectNotice::Problem(t) => ("Problem", t, ui.visuals().error_fg_color),
        ProtectNotice::Note(t) => ("Note", t, ui.visuals().weak_text_color()),
    };
    let mut dismiss = false;
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, colour))
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(marker).strong().color(colour));
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    dismiss = ui.button("Dismiss").clicked();
                });
            });
            ui.add(egui::Label::new(text.as_str()).wrap());
        });
    dismiss
}

/// A warning in a framed box: coloured, and always labelled in words.
pub(super) fn warning_frame(ui: &mut egui::Ui, text: &str) {
    let colour = ui.visuals().warn_fg_color;
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, colour))
        .inner_margin(8.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new("Warning").strong().color(colour));
            ui.add(egui::Label::new(text.strip_prefix("Warning: ").unwrap_or(text)).wrap());
        });
}

fn release_ui(ui: &mut egui::Ui, release: &Release, busy: bool, actions: &mut Vec<ProtectAction>) {
    let report = &release.outcome.report;
    ui.horizontal(|ui| {
        ui.heading(format!("Result: {}", report.mechanism.label()));
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let export = ui.add_enabled(!busy, egui::Button::new("Export shared dataset…"));
            if export
                .on_hover_text("Writes the shared genotypes (.vcf.gz) and their JSON report")
                .clicked()
            {
                actions.push(ProtectAction::Export);
            }
        });
    });
    if report.not_for_release {
        warning_frame(
            ui,
            "Study output, not for release: this copy's noise comes from a seed.",
        );
    }
    ui.strong("Privacy");
    for sentence in epsilon_sentences(report, &release.outcome.realised_per_snp) {
        ui.add(egui::Label::new(sentence).wrap());
    }
    egui::Grid::new("epsilon_table")
        .striped(true)
        .spacing([24.0, 4.0])
        .show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new("Total per person").strong());
            ui.label(RichText::new("Per SNP").strong());
            ui.end_row();
            ui.label("Nominal (asked for)");
            ui.label(number(report.epsilon.nominal_total));
            ui.label(number(report.epsilon.nominal_per_snp));
            ui.end_row();
            ui.label("Realised (what the noise gives)");
            ui.label(
                report
                    .epsilon
                    .realised_total
                    .map_or_else(|| "unbounded".into(), number),
            );
            ui.label(format!(
                "{} to {} (median {})",
                number(report.epsilon.realised_per_snp_min),
                number(report.epsilon.realised_per_snp_max),
                number(report.epsilon.realised_per_snp_median)
            ));
            ui.end_row();
        });
    ui.add_space(6.0);
    ui.strong("Utility");
    utility_cards(ui, report);
    ui.add_space(6.0);
    if let Some(gwas) = &report.gwas {
        ui.strong("GWAS SNP retention");
        ui.add(egui::Label::new(retention_sentence(gwas)).wrap());
        ui.add(egui::Label::new(top_hits_sentence(gwas)).wrap());
    }
    if !report.membership.is_empty() {
        ui.add_space(6.0);
        ui.strong("Membership test on the shared copy");
        for summary in &report.membership {
            ui.add(egui::Label::new(membership_sentence(summary)).wrap());
        }
    }
    for notice in &report.notices {
        if notice.starts_with("Warning") {
            warning_frame(ui, notice);
        } else {
            ui.add(egui::Label::new(notice.as_str()).wrap());
        }
    }
}

/// The realised-vs-nominal sentence and the per-SNP spread, from core's wording.
pub fn epsilon_sentences(report: &ShareReport, per_snp: &[f64]) -> Vec<String> {
    let mut sentences = Vec::new();
    match report.epsilon_realised {
        Some(realised) => match realised_epsilon_sentence(report.epsilon_nominal, realised) {
            Ok(s) => sentences.push(s),
            Err(e) => sentences.push(format!("The realised epsilon cannot be stated: {e}.")),
        },
        None => sentences.push(format!(
            "Warning: the mechanism was asked for epsilon {} in total, but some SNP's noise \
             never changes it, so the actual worst-case privacy loss is unbounded.",
            number(report.epsilon_nominal)
        )),
    }
    if let Ok(s) = per_snp_epsilon_sentence(per_snp) {
        sentences.push(s);
    }
    if let Some(share) = report.epsilon.coin_flip_columns {
        sentences.push(format!(
            "{} of the bit columns are flipped with probability close to 1/2: for those, the \
             shared copy carries practically nothing of the person.",
            percent(share, 1)
        ));
    }
    sentences
}

/// Retention next to the coin-flip control, in one paragraph.
pub fn retention_sentence(gwas: &GwasRetention) -> String {
    if gwas.significant_original == 0 {
        return format!(
            "No SNP is significant in the original GWAS (p < {}), so retention cannot be \
             measured.",
            number(gwas.alpha)
        );
    }
    let gain = gwas.retention_rate - gwas.coin_flip_retention_rate;
    let verdict = if gain > 0.0 {
        format!(
            "the shared genotypes add {} percentage points beyond what the allele frequencies \
             alone keep.",
            number(gain * 100.0)
        )
    } else {
        "at this epsilon the shared genotypes add nothing beyond what the allele frequencies \
         alone keep."
            .to_owned()
    };
    format!(
        "Of the {} SNPs significant in the original GWAS (p < {}), {} are still significant in \
         the shared copy (p < {}). The coin-flip control, which keeps only the allele \
         frequencies, retains {}: {verdict}",
        count(gwas.significant_original),
        number(gwas.alpha),
        percent(gwas.retention_rate, 1),
        number(gwas.alpha / gwas.tau),
        percent(gwas.coin_flip_retention_rate, 1),
    )
}

/// Agreement of the strongest hits, in one sentence.
pub fn top_hits_sentence(gwas: &GwasRetention) -> String {
    let top = &gwas.top_k;
    format!(
        "Of the original GWAS's top {} SNPs, {} are also among the shared copy's top {}.",
        count(top.k),
        count(top.shared),
        count(top.k)
    )
}

/// One membership test on a release of half the cohort, members against the
/// held-out half: its power at a 1 % false-accusation rate, with its interval.
pub fn membership_sentence(summary: &SharedDataSummary) -> String {
    let interval = &summary.tpr_at_1pct_fpr_interval;
    let mut chars = summary.test.chars();
    let test: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    let mut text = format!(
        "{}: allowed to wrongly flag 1 in 100 non-members, the attack found {} of members \
         (95 % CI {} to {}; guessing finds 1 %); AUC {} (0.5 is guessing), on {} members \
         and {} non-members.",
        test,
        percent(summary.tpr_at_1pct_fpr, 1),
        percent(interval.lower, 1),
        percent(interval.upper, 1),
        ratio(summary.auc),
        count(summary.n_members),
        count(summary.n_non_members)
    );
    if !summary.tpr_at_1pct_fpr_reliable {
        text.push_str(
            " Too few non-members to measure a 1 % false-accusation rate reliably: read this \
             as inconclusive.",
        );
    }
    text
}

/// The five record-level utility figures, each with what it means.
pub fn utility_figures(report: &ShareReport) -> [(&'static str, f64, String); 5] {
    [
        (
            "Point error",
            report.point_error,
            format!(
                "{} of all genotypes differ from the original",
                percent(report.point_error, 1)
            ),
        ),
        (
            "Sample error",
            report.sample_error,
            "Average change of one person's genotype at a SNP, in alleles (0 to 2)".to_owned(),
        ),
        (
            "Mean error",
            report.mean_error,
            "Average change of a SNP's mean allele count".to_owned(),
        ),
        (
            "Variance error",
            report.variance_error,
            "Average change of a SNP's genotype variance".to_owned(),
        ),
        (
            "Allele-frequency error",
            report.allele_frequency_mae,
            "Average change of a SNP's allele frequency".to_owned(),
        ),
    ]
}

/// Width of one utility card, margins included.
const CARD_WIDTH: f32 = 190.0;

fn utility_cards(ui: &mut egui::Ui, report: &ShareReport) {
    // Rows of as many cards as fit: frames do not wrap by themselves.
    let per_row = ((ui.available_width() / (CARD_WIDTH + 8.0)).floor() as usize).max(1);
    let figures = utility_figures(report);
    for row in figures.chunks(per_row) {
        ui.horizontal_top(|ui| {
            for (title, value, meaning) in row {
                egui::Frame::group(ui.style())
                    .inner_margin(8.0)
                    .show(ui, |ui| {
                        ui.set_width(CARD_WIDTH - 18.0);
                        ui.vertical(|ui| {
                            ui.label(RichText::new(*title).strong());
                            ui.label(RichText::new(number(*value)).size(20.0).color(accent(ui)));
                            ui.add(
                                egui::Label::new(RichText::new(meaning.as_str()).small()).wrap(),
                            );
                        });
                    });
            }
        });
    }
}

fn accent(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(140, 190, 255)
    } else {
        Color32::from_rgb(30, 90, 170)
    }
}

#[cfg(test)]
mod tests {
    use genopriv_core::study::{GwasDesign, GwasTest};
    use genopriv_core::utility::gwas::TopKAgreement;

    use super::*;

    fn retention(rate: f64, coin: f64, significant: usize) -> GwasRetention {
        GwasRetention {
            design: GwasDesign::Phenotype,
            test: GwasTest::Allelic,
            n_cases: 10,
            n_controls: 10,
            alpha: 0.05,
            tau: 0.8,
            significant_original: significant,
            retention_rate: rate,
            coin_flip_retention_rate: coin,
            ratio_retention_rate: rate,
            top_k: TopKAgreement {
                k: 100,
                original_hits: 100,
                released_hits: 100,
                shared: 50,
                precision: Some(0.5),
                recall: Some(0.5),
            },
            lambda_gc_original: None,
            lambda_gc_released: None,
        }
    }

    #[test]
    fn retention_is_read_against_the_control() {
        let s = retention_sentence(&retention(0.5, 0.125, 40));
        assert!(s.contains("Of the 40 SNPs"), "{s}");
        assert!(s.contains("50.0 % are still significant"), "{s}");
        assert!(
            s.contains("(p < 0.062)") || s.contains("(p < 0.063)"),
            "{s}"
        );
        assert!(
            s.contains("retains 12.5 %: the shared genotypes add 38 percentage"),
            "{s}"
        );
        let none = retention_sentence(&retention(0.1, 0.2, 40));
        assert!(none.contains("add nothing beyond"), "{none}");
        assert!(retention_sentence(&retention(0.0, 0.0, 0)).contains("cannot be measured"));
    }

    #[test]
    fn slider_values_are_rounded_to_two_digits() {
        assert_eq!(round_2_significant(1.2345), 1.2);
        assert!((round_2_significant(0.3981) - 0.4).abs() < 1e-12);
        assert_eq!(round_2_significant(7.96), 8.0);
        assert_eq!(round_2_significant(21_892.0), 22_000.0);
    }
}
