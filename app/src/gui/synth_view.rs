//! Drawing the Synthesize side of the Protect screen: its settings with the
//! planned noise and the "needed n" warning, the running job, and a synthesis's
//! manifest, utility, privacy checks and charts. Every sentence comes from
//! `genopriv_core::explain::synthesis`, so the window and the report agree.

use egui::{Align, DragValue, Layout, RichText, Slider};
use genopriv_core::explain::epsilon::{SLIDER_ANCHORS, slider_epsilon, slider_position};
use genopriv_core::explain::format::{auc, capitalised, integer, number, percent};
use genopriv_core::explain::synthesis::{
    RELATIVES_NOTE, budget_sentence, distance_sentence, dp_bound_sentence, estimator_sentence,
    frequency_noise_sentence, measurement_group_sentence, needed_n_warning, planned_noise_sentence,
    synthetic_attack_sentence, synthetic_gwas_sentence, too_few_held_out_sentence,
    train_synthetic_test_real_sentence,
};
use genopriv_core::explain::{EpsilonUnit, epsilon_warning};
use genopriv_core::study::CandidateFigures;
use genopriv_core::study::synth::{SynthAttack, SynthReport};

use super::app::Workspace;
use super::format::{count, plural};
use super::protect::ProtectAction;
use super::protect_view::{job_frame, notice_frame, round_2_significant, warning_frame};
use super::silo_view;
use super::synth::{
    SynthAction, SynthPanel, SynthSweepView, Synthesis, delta_from_text, prerequisites,
    training_size,
};
use super::synth_charts::{frequency_ui, ld_decay_ui, pca_ui};
use super::table::table;

fn push(actions: &mut Vec<ProtectAction>, action: SynthAction) {
    actions.push(ProtectAction::Synth(action));
}

pub(super) fn settings_ui(
    ui: &mut egui::Ui,
    panel: &mut SynthPanel,
    workspace: &Workspace,
    actions: &mut Vec<ProtectAction>,
) {
    if panel.silo.wizard.is_some() {
        silo_view::form_ui(ui, &mut panel.silo, workspace, actions);
        return;
    }
    let n_samples = workspace.data.summary.n_samples;
    let n_variants = workspace.data.summary.n_variants;
    let n_training = training_size(n_samples);
    silo_view::entry_ui(ui, actions);
    ui.add_space(6.0);
    egui::Frame::group(ui.style())
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            if let Err(problem) = prerequisites(workspace) {
                warning_frame(ui, &problem);
                ui.add_space(6.0);
            }
            budget_ui(ui, panel);
            ui.add_space(6.0);
            structure_ui(ui, panel, n_training);
            ui.add_space(6.0);
            ui.strong("Noise per count");
            match panel.noise_check(n_samples, n_variants).clone() {
                Ok(check) => {
                    ui.add(egui::Label::new(planned_noise_sentence(&check)).wrap());
                    if let Some(warning) = needed_n_warning(&check) {
                        warning_frame(ui, &warning);
                    }
                }
                Err(problem) => warning_frame(ui, &problem),
            }
            ui.add_space(6.0);
            randomness_ui(ui, panel);
            ui.add_space(6.0);
            egui::CollapsingHeader::new("Advanced")
                .id_salt("synth_advanced")
                .show(ui, |ui| advanced_ui(ui, panel));
            ui.add_space(8.0);
            if ui
                .button("Run synthesis")
                .on_hover_text(
                    "Measure the noisy counts, fit the model, draw the synthetic people and \
                     check their utility and privacy against the held-out half",
                )
                .clicked()
            {
                push(actions, SynthAction::Run);
            }
            ui.add_space(10.0);
            ui.strong("What would each epsilon give?");
            ui.add(
                egui::Label::new(
                    RichText::new(
                        "Synthesizes and checks the cohort once per epsilon with the settings \
                         above; the runs appear on the Trade-offs screen beside any sharing \
                         sweep.",
                    )
                    .small()
                    .weak(),
                )
                .wrap(),
            );
            ui.horizontal(|ui| {
                let label = ui.label("Epsilons");
                ui.add(
                    egui::TextEdit::singleline(&mut panel.form.sweep_text)
                        .desired_width(160.0)
                        .hint_text("1, 3, 10, 30"),
                )
                .labelled_by(label.id);
            });
            if ui
                .button("Sweep epsilon (synthesis)")
                .on_hover_text("One synthesis study per epsilon, seeded: a study, not a release")
                .clicked()
            {
                push(actions, SynthAction::Sweep);
            }
        });
}

/// The sweep's runs so far, with the recommended epsilon once it is done.
fn sweep_ui(ui: &mut egui::Ui, view: &SynthSweepView) {
    ui.strong("Synthesis sweep: utility and risk by epsilon");
    match view.result.as_ref() {
        None => {
            ui.label(format!(
                "{} done; the rest follow.",
                plural(view.rows.len(), "epsilon", "epsilons")
            ));
        }
        Some(result) => {
            let sentence = match &result.recommendation {
                Some(r) => format!(
                    "Recommended: epsilon {}, where GWAS retention levels off at {}. The \
                     Trade-offs screen draws the runs beside the guaranteed ceiling.",
                    number(r.epsilon),
                    percent(r.gwas_retention, 1)
                ),
                None => "No recommendation: GWAS retention does not level off over these \
                         epsilons (or the training half has no hit to retain). Try a wider \
                         range."
                    .to_owned(),
            };
            ui.add(egui::Label::new(sentence).wrap());
        }
    }
    table(
        ui,
        "synth_sweep_table",
        &[
            "Epsilon",
            "GWAS retention",
            "By chance",
            "Frequency error",
            "Members found at 1 %",
            "PCA overlap",
        ],
        view.rows.iter().map(|row| {
            let figures = CandidateFigures::from_synth_row(row);
            vec![
                number(row.epsilon),
                row.gwas_retention
                    .map_or_else(|| "no hits".to_owned(), |r| percent(r, 1)),
                row.gwas_chance
                    .map_or_else(|| "not measured".to_owned(), |c| percent(c, 1)),
                format!("{:.3}", row.allele_frequency_mae),
                figures
                    .members_found()
                    .unwrap_or_else(|| "not measured".to_owned()),
                row.pca_overlap
                    .map_or_else(|| "not measured".to_owned(), |o| percent(o, 0)),
            ]
        }),
    );
}

fn budget_ui(ui: &mut egui::Ui, panel: &mut SynthPanel) {
    let form = &mut panel.form;
    budget_controls(ui, &mut form.epsilon, &mut form.delta_text);
}

/// The epsilon slider with its exact value, anchors and warnings, and delta:
/// the same control for a synthesis here and a session with other sites.
pub(super) fn budget_controls(ui: &mut egui::Ui, epsilon: &mut f64, delta_text: &mut String) {
    ui.strong("Privacy budget (epsilon, total per person)");
    ui.horizontal(|ui| {
        let mut position = slider_position(*epsilon);
        ui.spacing_mut().slider_width = 200.0;
        let slider = Slider::new(&mut position, 0.0..=1.0)
            .show_value(false)
            .text("Epsilon (log scale)");
        if ui.add(slider).changed() {
            // Two significant digits: the slider picks a scale, not a precise value.
            *epsilon = round_2_significant(slider_epsilon(position));
        }
        let label = ui.label("Exact value");
        ui.add(
            DragValue::new(epsilon)
                .range(0.001..=f64::MAX)
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
    match epsilon_warning(*epsilon, EpsilonUnit::Total) {
        Ok(Some(warning)) => warning_frame(ui, &warning),
        Ok(None) => {}
        Err(e) => warning_frame(ui, &format!("This epsilon cannot be used: {e}.")),
    }
    ui.horizontal(|ui| {
        let label = ui.label("Delta");
        ui.add(egui::TextEdit::singleline(delta_text).desired_width(90.0))
            .labelled_by(label.id)
            .on_hover_text(
                "The chance the guarantee fails; keep it far below 1 in the cohort size",
            );
    });
    if let Err(problem) = delta_from_text(delta_text) {
        ui.label(RichText::new(problem).color(ui.visuals().error_fg_color));
    }
}

fn structure_ui(ui: &mut egui::Ui, panel: &mut SynthPanel, n_training: usize) {
    let form = &mut panel.form;
    ui.strong("What the generator links");
    for (order, label, meaning) in [
        (
            1,
            "Each SNP with the next one",
            "Counts of every pair of neighbouring SNPs by case/control status: 18 counts per \
             table (recommended)",
        ),
        (
            2,
            "Each SNP with the next two",
            "Keeps more linkage but spreads the same noise over 54 counts per table",
        ),
    ] {
        ui.radio_value(&mut form.order, order, label);
        ui.indent(("synth_order", order), |ui| {
            ui.add(egui::Label::new(RichText::new(meaning).weak().small()).wrap());
        });
    }
    ui.add_space(6.0);
    ui.strong("Synthetic people");
    ui.checkbox(
        &mut form.as_many_as_training,
        format!("As many as the training half ({})", count(n_training)),
    );
    if !form.as_many_as_training {
        ui.horizontal(|ui| {
            let label = ui.label("Number of synthetic people");
            ui.add(DragValue::new(&mut form.n_synthetic).range(1..=10_000_000))
                .labelled_by(label.id);
        });
    }
}

fn randomness_ui(ui: &mut egui::Ui, panel: &mut SynthPanel) {
    let form = &mut panel.form;
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

fn advanced_ui(ui: &mut egui::Ui, panel: &mut SynthPanel) {
    let form = &mut panel.form;
    egui::Grid::new("synth_advanced_grid")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("Fitting steps (at most)");
            ui.add(DragValue::new(&mut form.estimator_iterations).range(1..=100_000))
                .labelled_by(label.id)
                .on_hover_text("The estimator stops earlier when the fit stops improving");
            ui.end_row();
            let label = ui.label("Bootstrap resamples");
            ui.add(DragValue::new(&mut form.bootstrap_resamples).range(10..=100_000))
                .labelled_by(label.id)
                .on_hover_text("For the 95 % intervals of the attacks' AUC");
            ui.end_row();
        });
}

pub(super) fn results_ui(
    ui: &mut egui::Ui,
    panel: &mut SynthPanel,
    actions: &mut Vec<ProtectAction>,
) {
    if panel.silo.wizard.is_some() {
        silo_view::session_ui(ui, &panel.silo, actions);
        return;
    }
    if let Some(task) = &panel.task {
        let (stage, fraction) = task.progress();
        if job_frame(ui, task.title(), stage, fraction) {
            push(actions, SynthAction::Cancel);
        }
    }
    if let Some(notice) = &panel.notice
        && notice_frame(ui, notice)
    {
        push(actions, SynthAction::DismissNotice);
    }
    if let Some(view) = &panel.sweep {
        sweep_ui(ui, view);
        ui.separator();
    }
    let busy = panel.is_busy();
    let current = panel.form.settings().ok();
    let SynthPanel {
        result,
        exported,
        ld_table,
        frequency_table,
        ..
    } = panel;
    let Some(result) = result else {
        if !busy {
            ui.add(
                egui::Label::new(
                    RichText::new(
                        "Choose the settings on the left, then Run synthesis to see what was \
                         measured, how well the synthetic data keep the cohort's frequencies, \
                         linkage and GWAS signal, and what the privacy checks find.",
                    )
                    .weak(),
                )
                .wrap(),
            );
        }
        return;
    };
    if current.is_some_and(|s| s != result.settings) {
        ui.label(
            RichText::new(
                "The settings have changed since these results were made: they describe the \
                 last run. Run synthesis again to see the new settings' results.",
            )
            .color(ui.visuals().warn_fg_color),
        );
    }
    header_ui(ui, result, busy, actions);
    if let Some(files) = exported {
        ui.add(
            egui::Label::new(format!(
                "Exported: {}, with {}, {} and the report {}.",
                files.genotypes.display(),
                files.phenotypes.display(),
                files.manifest.display(),
                files.report.display()
            ))
            .wrap(),
        );
    }
    let report = &result.outcome.report;
    ui.separator();
    manifest_ui(ui, report);
    ui.separator();
    ui.strong("Utility");
    if let Some(gwas) = &report.gwas {
        ui.add(egui::Label::new(synthetic_gwas_sentence(gwas)).wrap());
    }
    if let Some(tstr) = &report.train_synthetic_test_real {
        ui.add(egui::Label::new(train_synthetic_test_real_sentence(tstr)).wrap());
    }
    ui.add_space(6.0);
    frequency_ui(ui, &result.charts, frequency_table);
    ui.add_space(6.0);
    ld_decay_ui(ui, &result.charts, ld_table);
    if let Some(pca) = &report.pca {
        ui.add_space(6.0);
        pca_ui(ui, pca);
    }
    ui.separator();
    privacy_ui(ui, report);
    for notice in &report.notices {
        if notice.starts_with("Warning") {
            warning_frame(ui, notice);
        } else {
            ui.add(egui::Label::new(notice.as_str()).wrap());
        }
    }
}

fn header_ui(ui: &mut egui::Ui, result: &Synthesis, busy: bool, actions: &mut Vec<ProtectAction>) {
    let report = &result.outcome.report;
    ui.horizontal(|ui| {
        ui.heading("Result: synthetic cohort");
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let export = ui.add_enabled(!busy, egui::Button::new("Export synthetic data…"));
            if export
                .on_hover_text(
                    "Writes the synthetic genotypes (.vcf.gz), their case/control table, the \
                     release manifest and the evaluation report",
                )
                .clicked()
            {
                push(actions, SynthAction::Export);
            }
        });
    });
    if report.not_for_release {
        warning_frame(
            ui,
            "Study output, not for release: the noise comes from a seed, and anyone holding \
             the seed can remove it.",
        );
    } else {
        ui.label(
            RichText::new(
                "A release: the noise came from the operating system's secure random source \
                 and was not stored.",
            )
            .weak(),
        );
    }
    ui.add(
        egui::Label::new(format!(
            "{} synthetic people × {} SNPs, made from {} training people; {} were held out \
             for the checks below. The evaluation report names the training people: keep it \
             internal.",
            count(report.n_synthetic),
            count(report.n_variants),
            count(report.n_training),
            count(report.n_holdout)
        ))
        .wrap(),
    );
}

/// The release manifest in words and as a table.
fn manifest_ui(ui: &mut egui::Ui, report: &SynthReport) {
    let manifest = &report.manifest;
    ui.strong("What was measured (the release manifest)");
    for group in &manifest.measurements {
        ui.add(egui::Label::new(measurement_group_sentence(group, report.order, true)).wrap());
    }
    let rho_spent: f64 = manifest.measurements.iter().map(|m| m.rho).sum();
    ui.add(
        egui::Label::new(budget_sentence(
            report.epsilon,
            report.delta,
            manifest.rho,
            rho_spent,
        ))
        .wrap(),
    );
    ui.add(
        egui::Label::new(frequency_noise_sentence(
            report.allele_frequency.predicted_noise_sd,
        ))
        .wrap(),
    );
    if let Some(estimator) = &manifest.estimator {
        ui.add(
            egui::Label::new(estimator_sentence(
                estimator.iterations,
                estimator.converged,
                estimator.total,
            ))
            .wrap(),
        );
    }
    ui.add_space(4.0);
    let share = |rho: f64| {
        if manifest.rho > 0.0 {
            percent(rho / manifest.rho, 1)
        } else {
            "undefined".to_owned()
        }
    };
    let mut rows: Vec<Vec<String>> = manifest
        .measurements
        .iter()
        .map(|g| {
            vec![
                g.description.clone(),
                integer(g.cliques.len() as u64),
                integer(g.cells_per_clique as u64),
                number(g.sigma),
                number(g.expected_absolute_error),
                format!("{:.4}", g.rho),
                share(g.rho),
            ]
        })
        .collect();
    rows.push(vec![
        "Whole budget".to_owned(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        format!("{:.4}", manifest.rho),
        share(rho_spent),
    ]);
    table(
        ui,
        "synth_manifest_table",
        &[
            "Measured",
            "Tables",
            "Counts each",
            "Noise sd",
            "Typical noise",
            "rho",
            "Share",
        ],
        rows.into_iter(),
    );
}

/// The DP ceiling in words, the distance check, and the attacks beside the ceiling.
fn privacy_ui(ui: &mut egui::Ui, report: &SynthReport) {
    ui.strong("Privacy checks");
    let ceiling = &report.dp_ceiling;
    if let Some(tpr) = ceiling
        .fpr
        .iter()
        .zip(&ceiling.tpr_max)
        .find(|(f, _)| **f == 0.01)
        .map(|(_, t)| *t)
    {
        ui.add(egui::Label::new(dp_bound_sentence(report.epsilon, report.delta, tpr)).wrap());
    }
    ui.add(egui::Label::new(RichText::new(RELATIVES_NOTE).weak()).wrap());
    let dcr = &report.distance_to_closest_record;
    ui.add(
        egui::Label::new(distance_sentence(
            dcr.share_closer_to_training,
            dcr.share_interval.lower,
            dcr.share_interval.upper,
        ))
        .wrap(),
    );
    for attack in &report.membership {
        ui.add(egui::Label::new(synthetic_attack_sentence(attack)).wrap());
    }
    let at_1pct = |a: &SynthAttack| {
        a.operating_points
            .iter()
            .find(|p| p.max_fpr == 0.01)
            .copied()
    };
    if let Some(attack) = report
        .membership
        .iter()
        .find(|a| at_1pct(a).is_some_and(|p| !p.reliable))
    {
        ui.add(egui::Label::new(too_few_held_out_sentence(attack.n_non_members)).wrap());
    }
    table(
        ui,
        "synth_attack_table",
        &[
            "Attack",
            "AUC (95 % CI)",
            "Found at 1 % false flags (95 % CI)",
            "DP ceiling",
        ],
        report.membership.iter().map(|a| {
            vec![
                capitalised(&a.name),
                format!(
                    "{} ({} to {})",
                    auc(a.auc),
                    auc(a.auc_interval.lower),
                    auc(a.auc_interval.upper)
                ),
                format!(
                    "{} ({} to {})",
                    percent(a.tpr_at_1pct_fpr, 1),
                    percent(a.tpr_at_1pct_fpr_interval.lower, 1),
                    percent(a.tpr_at_1pct_fpr_interval.upper, 1)
                ),
                at_1pct(a).map_or_else(|| "undefined".to_owned(), |p| percent(p.dp_ceiling, 1)),
            ]
        }),
    );
}
