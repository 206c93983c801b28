//! Drawing the Audit screen: the model, DP training, attacks and reference-model
//! settings with the live ε, the running audit, and the results (accuracy, ε, one
//! plain sentence per attack with AUC and TPR at 1 % FPR, then the charts).

use egui::{DragValue, ProgressBar, RichText};
use genopriv_core::explain::format::{auc, integer, number, percent};
use genopriv_core::explain::model_audit::tpr_at_fpr_phrase;
use genopriv_core::models::fedavg::Aggregation;
use genopriv_core::study::federated::{FederatedAuditReport, ObservedUpdate};
use genopriv_core::study::{
    AttackKind, LabelInferenceOutcome, MembershipAttackResult, ModelAuditReport, ReferenceMode,
};

use super::app::Workspace;
use super::audit::{
    AuditAction, AuditForm, AuditNotice, AuditResult, AuditScreen, AuditSweepView, ModelChoice,
    attack_label, attack_meaning, federated_attack, members_for,
};
use super::audit_charts::{correlations_ui, gradients_ui, pca_ui, radar_ui, roc_ui};
use super::columns::settings_and_results;
use super::format::{count, whole_percent};

const SETTINGS_WIDTH: f32 = 400.0;

pub(super) fn show(
    ui: &mut egui::Ui,
    screen: &mut AuditScreen,
    workspace: &Workspace,
    actions: &mut Vec<AuditAction>,
) {
    ui.heading("Audit: does a trained model leak who was in its training set?");
    let labelled = workspace
        .phenotypes
        .as_ref()
        .map_or(0, |p| p.cases + p.controls);
    let intro = match &screen.form.federation {
        None => format!(
            "A phenotype model is trained on a quarter of the {} samples with a known status \
             (the members); attacks then try to tell them from another quarter that was held \
             out. Half is left to the attacker as the population.",
            count(labelled)
        ),
        Some(federation) => format!(
            "The {} samples with a known status are dealt to {} clients; each trains on 80 % of \
             its share (the members) and holds out 20 %. Attacks on the final model and on what \
             the server sees try to tell members from held-out records.",
            count(labelled),
            integer(federation.clients as u64)
        ),
    };
    ui.add(egui::Label::new(RichText::new(intro).weak()).wrap());
    ui.add_space(4.0);
    settings_and_results(
        ui,
        "audit",
        &mut (screen, actions),
        SETTINGS_WIDTH,
        |ui, (screen, actions)| {
            let busy = screen.is_busy();
            ui.add_enabled_ui(!busy, |ui| settings_ui(ui, screen, labelled, actions));
        },
        |ui, (screen, actions)| results_ui(ui, screen, actions),
    );
}

fn settings_ui(
    ui: &mut egui::Ui,
    screen: &mut AuditScreen,
    labelled: usize,
    actions: &mut Vec<AuditAction>,
) {
    let form = &mut screen.form;
    egui::Frame::group(ui.style())
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.strong("Model to release");
            let federated = form.federation.is_some();
            for model in ModelChoice::ALL {
                let enabled = if federated {
                    model == ModelChoice::Sgd
                } else {
                    !form.dp || model.supports_dp()
                };
                let radio = ui.add_enabled(
                    enabled,
                    egui::RadioButton::new(form.model == model, model.label()),
                );
                if radio.clicked() {
                    form.set_model(model);
                }
                radio.on_disabled_hover_text(if federated {
                    "Federated clients train the SGD logistic classifier, as the federated study did"
                } else {
                    "DP-SGD trains a logistic model or the CNN"
                });
                ui.indent(model.label(), |ui| {
                    ui.add(egui::Label::new(RichText::new(model.meaning()).weak().small()).wrap());
                });
            }
            ui.add_enabled_ui(!form.dp, |ui| {
                ui.horizontal(|ui| {
                    let label = ui.label(form.model.penalty().0);
                    ui.add(
                        DragValue::new(&mut form.penalty)
                            .range(0.0..=100.0)
                            .speed(0.001)
                            .max_decimals(6),
                    )
                    .labelled_by(label.id);
                });
            });

            ui.add_space(8.0);
            ui.strong("Where it trains");
            let mut federated = form.federation.is_some();
            if ui
                .checkbox(&mut federated, "Federated training (FedAvg across clients)")
                .on_hover_text(
                    "Several sites train together: each updates the model on its own records \
                     and a server averages the updates, round after round",
                )
                .changed()
            {
                form.set_federated(federated);
            }
            if let Some(federation) = &mut form.federation {
                ui.indent("federation", |ui| {
                    egui::Grid::new("federation_grid")
                        .num_columns(2)
                        .show(ui, |ui| {
                            let label = ui.label("Clients");
                            ui.add(DragValue::new(&mut federation.clients).range(2..=50))
                                .labelled_by(label.id);
                            ui.end_row();
                            let label = ui.label("Rounds");
                            ui.add(DragValue::new(&mut federation.rounds).range(1..=500))
                                .labelled_by(label.id);
                            ui.end_row();
                            let label = ui.label("Local epochs");
                            ui.add(DragValue::new(&mut federation.local_epochs).range(1..=100))
                                .labelled_by(label.id);
                            ui.end_row();
                        });
                    ui.checkbox(
                        &mut federation.secure_aggregation,
                        "Secure aggregation: the server sees only the sum of the updates",
                    )
                    .on_hover_text(
                        "Then no single client's update can be attacked; the server's attack \
                         uses the aggregate instead",
                    );
                });
            }

            ui.add_space(8.0);
            ui.strong("Training");
            let dp_label = if form.federation.is_some() {
                "Client-level differential privacy (clip and noise each client's update)"
            } else {
                "Train with differential privacy (DP-SGD)"
            };
            ui.checkbox(&mut form.dp, dp_label).on_hover_text(
                "Clip each record's (or client's) contribution, add Gaussian noise, and account \
                 the privacy spent: the model then comes with an ε guarantee",
            );
            if form.dp && form.federation.is_none() && !form.model.supports_dp() {
                form.set_model(ModelChoice::Logistic);
            }
            let federated = form.federation.is_some();
            if form.dp {
                ui.indent("dp_settings", |ui| {
                    egui::Grid::new("dp_grid").num_columns(2).show(ui, |ui| {
                        let label = ui.label("Noise multiplier");
                        ui.add(
                            DragValue::new(&mut form.noise_multiplier)
                                .range(0.0..=100.0)
                                .speed(0.05),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                        let label = ui.label("Clipping norm");
                        ui.add(
                            DragValue::new(&mut form.clip_norm)
                                .range(0.001..=1000.0)
                                .speed(0.05),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                        if !federated {
                            let label = ui.label("Epochs");
                            ui.add(DragValue::new(&mut form.epochs).range(1..=1000))
                                .labelled_by(label.id);
                            ui.end_row();
                            let label = ui.label("Batch size (expected)");
                            ui.add(DragValue::new(&mut form.batch_size).range(1..=100_000))
                                .labelled_by(label.id);
                            ui.end_row();
                            let label = ui.label("Learning rate");
                            ui.add(
                                DragValue::new(&mut form.learning_rate)
                                    .range(0.0001..=10.0)
                                    .speed(0.01),
                            )
                            .labelled_by(label.id);
                            ui.end_row();
                        }
                        let label = ui.label("δ");
                        ui.add(
                            DragValue::new(&mut form.delta)
                                .range(1e-12..=0.1)
                                .speed(1e-6)
                                .custom_formatter(|v, _| format!("{v:e}")),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                    });
                    let members = members_for(labelled);
                    match form.epsilon(members) {
                        Ok(report) => {
                            let whom = match &form.federation {
                                Some(federation) => format!(
                                    "for each client's whole data, over {} rounds",
                                    integer(federation.rounds as u64)
                                ),
                                None => format!("for {} members", count(members)),
                            };
                            ui.label(
                                RichText::new(format!(
                                    "ε = {} at δ = {} {whom}",
                                    number(report.epsilon),
                                    number(report.delta),
                                ))
                                .strong(),
                            );
                            ui.add(
                                egui::Label::new(RichText::new(&report.label).small().weak())
                                    .wrap(),
                            );
                        }
                        Err(e) => {
                            ui.label(
                                RichText::new(e.to_string()).color(ui.visuals().error_fg_color),
                            );
                        }
                    }
                });
            } else {
                ui.label(
                    RichText::new("Without DP the model has no privacy guarantee (no ε).")
                        .small()
                        .weak(),
                );
            }

            ui.add_space(8.0);
            ui.strong("Attacks to run");
            for (attack, on) in &mut form.attacks {
                let runs_here = !federated || federated_attack(*attack);
                // An attack this training cannot run shows unticked; the choice
                // comes back when federated training is turned off.
                let mut shown = *on && runs_here;
                let checkbox = ui.add_enabled(
                    runs_here,
                    egui::Checkbox::new(&mut shown, attack_label(*attack)),
                );
                if checkbox.changed() {
                    *on = shown;
                }
                checkbox
                    .on_hover_text(attack_meaning(*attack))
                .on_disabled_hover_text(
                    "Not in a federated audit: it needs reference models trained like the whole \
                     federation",
                );
            }
            if federated {
                ui.label(
                    RichText::new(
                        "The server's attack on the client updates always runs in a federated \
                         audit.",
                    )
                    .small()
                    .weak(),
                );
            }

            ui.add_space(8.0);
            ui.strong("Reference models");
            ui.add_enabled_ui(!federated, |ui| reference_models_ui(ui, form));

            ui.add_space(8.0);
            ui.strong("Randomness");
            let study_mode = ui
                .checkbox(&mut form.use_seed, "Study mode: fixed seed")
                .on_hover_text(
                    "The split, the models and the bootstrap follow the seed, so the audit can be \
                     rerun exactly; otherwise a fresh seed is drawn and shown with the results",
                );
            // A ready seed: an empty field would only lead to an error on Run.
            if study_mode.changed() && form.use_seed && form.seed_text.trim().is_empty() {
                form.seed_text = "1".into();
            }
            if form.use_seed {
                ui.horizontal(|ui| {
                    let label = ui.label("Seed");
                    ui.add(egui::TextEdit::singleline(&mut form.seed_text).desired_width(120.0))
                        .labelled_by(label.id);
                });
            }
            ui.add_space(8.0);
            if ui
                .button("Run audit")
                .on_hover_text("Train the model and run the chosen attacks on a worker")
                .clicked()
            {
                actions.push(AuditAction::Run);
            }

            ui.add_space(10.0);
            ui.strong("What would DP training cost?");
            ui.add(
                egui::Label::new(
                    RichText::new(
                        "Trains and audits the model once without DP, then once per noise \
                         multiplier with the DP settings above (epochs, batch, clipping), and \
                         proposes the least noise that brings the attacks to chance.",
                    )
                    .small()
                    .weak(),
                )
                .wrap(),
            );
            ui.horizontal(|ui| {
                let label = ui.label("Noise multipliers");
                ui.add(
                    egui::TextEdit::singleline(&mut form.sweep_noise_text).desired_width(160.0),
                )
                .labelled_by(label.id);
            });
            if ui
                .button("Sweep DP noise")
                .on_hover_text("One audit per noise multiplier, on a worker; rows appear as they finish")
                .clicked()
            {
                actions.push(AuditAction::Sweep);
            }
        });
}

/// The DP sweep: one row per noise level as it finishes, then the turning point
/// and the defences the measurements support.
fn sweep_ui(ui: &mut egui::Ui, sweep: &AuditSweepView) {
    ui.strong("DP training: privacy against accuracy");
    if let Some(result) = &sweep.result {
        ui.add(egui::Label::new(result.sentence.as_str()).wrap());
    } else {
        ui.label(
            RichText::new(format!(
                "{} of the points are done; they appear here as they finish.",
                count(sweep.rows.len())
            ))
            .weak(),
        );
    }
    egui::ScrollArea::horizontal()
        .id_salt("audit_sweep_scroll")
        .show(ui, |ui| {
            egui::Grid::new("audit_sweep_table")
                .striped(true)
                .spacing([14.0, 4.0])
                .show(ui, |ui| {
                    for h in [
                        "Noise multiplier",
                        "ε",
                        "Test accuracy",
                        "Strongest attack AUC (95 % CI)",
                    ] {
                        ui.label(RichText::new(h).strong());
                    }
                    ui.end_row();
                    for row in &sweep.rows {
                        ui.label(row.noise_multiplier.map_or("none (no DP)".into(), number));
                        ui.label(row.epsilon.map_or("no guarantee".into(), number));
                        ui.label(percent(row.test_accuracy, 1));
                        let strongest = row.attacks.iter().max_by(|a, b| a.auc.total_cmp(&b.auc));
                        ui.label(strongest.map_or("-".into(), |a| {
                            format!(
                                "{} ({} to {}) {}",
                                auc(a.auc),
                                auc(a.auc_interval.lower),
                                auc(a.auc_interval.upper),
                                attack_label(a.attack)
                            )
                        }));
                        ui.end_row();
                    }
                });
        });
    if !sweep.defences.is_empty() {
        ui.add_space(4.0);
        ui.strong("Recommended");
        for defence in &sweep.defences {
            ui.add(egui::Label::new(defence.sentence.as_str()).wrap());
        }
    }
}

/// How many reference models LiRA, RMIA and the thresholds use, and whether they see
/// evaluated records.
fn reference_models_ui(ui: &mut egui::Ui, form: &mut AuditForm) {
    ui.horizontal(|ui| {
        let label = ui.label("Models");
        ui.add(DragValue::new(&mut form.reference_models).range(4..=256))
            .labelled_by(label.id);
    })
    .response
    .on_hover_text(
        "Trained like the target on the attacker's data: LiRA and RMIA compare with them, \
         and one sets every threshold. Offline needs at least 4, online at least 8.",
    );
    ui.horizontal(|ui| {
        ui.radio_value(&mut form.reference_mode, ReferenceMode::Offline, "Offline")
            .on_hover_text("Reference models never see an evaluated record");
        ui.radio_value(&mut form.reference_mode, ReferenceMode::Online, "Online")
            .on_hover_text(
                "Reference models also train on evaluated records (never told who is a \
                 member): stronger LiRA and RMIA",
            );
    });
}

fn results_ui(ui: &mut egui::Ui, screen: &mut AuditScreen, actions: &mut Vec<AuditAction>) {
    if let Some(task) = &screen.task {
        let (title, stage, fraction) = task.progress();
        egui::Frame::group(ui.style())
            .inner_margin(10.0)
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.strong(title);
                ui.label(format!("{stage}…"));
                let bar = match fraction {
                    Some(f) => ProgressBar::new(f).text(whole_percent(f64::from(f))),
                    None => ProgressBar::new(0.0).animate(true).text(stage.to_owned()),
                };
                ui.add(bar);
                if ui
                    .button("Cancel")
                    .on_hover_text("Stop the audit; the results shown before are kept")
                    .clicked()
                {
                    actions.push(AuditAction::Cancel);
                }
            });
        ui.add_space(6.0);
    }
    if let Some(notice) = &screen.notice {
        let (marker, text, colour) = match notice {
            AuditNotice::Problem(t) => ("Problem", t, ui.visuals().error_fg_color),
            AuditNotice::Note(t) => ("Note", t, ui.visuals().weak_text_color()),
        };
        egui::Frame::group(ui.style())
            .stroke(egui::Stroke::new(1.5, colour))
            .inner_margin(8.0)
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(RichText::new(marker).strong().color(colour));
                    if ui.button("Dismiss").clicked() {
                        actions.push(AuditAction::DismissNotice);
                    }
                });
                ui.add(egui::Label::new(text.as_str()).wrap());
            });
        ui.add_space(6.0);
    }
    if let Some(sweep) = &screen.sweep {
        sweep_ui(ui, sweep);
        ui.separator();
    }
    let Some(result) = &screen.result else {
        if screen.task.is_none() && screen.sweep.is_none() {
            ui.label(
                RichText::new(
                    "Choose the model, the training and the attacks on the left, then Run audit. \
                     A small audit (no DP, 8 reference models) takes under a minute on the demo \
                     cohort.",
                )
                .weak(),
            );
        }
        return;
    };
    if let Ok(plan) = screen.form.plan(result.plan.seed())
        && plan != result.plan
    {
        ui.label(
            RichText::new(
                "The settings have changed since this audit ran: the results describe the last \
                 run. Run audit again to see the new settings' results.",
            )
            .color(ui.visuals().warn_fg_color),
        );
    }
    summary_ui(ui, result);
    ui.separator();
    for attack in &result.report.attacks {
        attack_ui(ui, attack_label(attack.attack), attack);
        ui.add_space(6.0);
    }
    if let Some(label) = &result.report.label_inference {
        label_outcome_ui(ui, attack_label(AttackKind::Label), label);
    }
    attack_table(ui, &result.report);
    if let Some(federated) = &result.federated {
        ui.separator();
        server_view_ui(ui, federated);
    }
    ui.separator();
    let tables = &mut screen.tables;
    if !result.report.attacks.is_empty() {
        roc_ui(ui, &result.charts, &mut tables.roc);
        ui.add_space(8.0);
        radar_ui(ui, &result.charts, &mut tables.radar);
        ui.add_space(8.0);
    }
    gradients_ui(ui, &result.charts, &mut tables.gradients);
    if let Some(cohort) = screen.cohort.as_ref().map(|c| &c.charts) {
        ui.add_space(8.0);
        pca_ui(ui, cohort, &mut tables.pca);
        ui.add_space(8.0);
        correlations_ui(ui, cohort, &mut tables.correlations);
    }
}

fn summary_ui(ui: &mut egui::Ui, result: &AuditResult) {
    let report = &result.report;
    ui.strong(format!("The model: {}", report.training));
    egui::Grid::new("audit_summary")
        .num_columns(2)
        .spacing([18.0, 4.0])
        .show(ui, |ui| {
            ui.label("Accuracy on members (training)");
            ui.label(percent(report.train_accuracy, 1));
            ui.end_row();
            ui.label("Accuracy on non-members (held out)");
            ui.label(percent(report.test_accuracy, 1));
            ui.end_row();
            ui.label("Privacy guarantee");
            ui.label(match (&report.epsilon, &report.privacy) {
                (Some(e), Some(p)) => format!("ε = {} at δ = {}", number(*e), number(p.delta)),
                _ => "none: trained without differential privacy".to_owned(),
            });
            ui.end_row();
            ui.label("Members / non-members / population");
            ui.label(format!(
                "{} / {} / {}",
                count(report.n_members),
                count(report.n_non_members),
                count(report.n_population)
            ));
            ui.end_row();
            if let Some(federated) = &result.federated {
                ui.label("Federation");
                ui.label(format!(
                    "{} clients × {} rounds of {} local epoch(s), {}",
                    integer(federated.clients as u64),
                    integer(federated.rounds as u64),
                    integer(federated.local_epochs as u64),
                    match federated.aggregation {
                        Aggregation::Plain => "the server sees each client's update",
                        Aggregation::Secure => "secure aggregation: the server sees only the sum",
                    }
                ));
                ui.end_row();
            }
            ui.label("Seed");
            ui.label(format!("{}", report.seed));
            ui.end_row();
        });
    if let Some(notion) = result.federated.as_ref().and_then(|f| f.dp_notion.as_ref()) {
        ui.add(egui::Label::new(RichText::new(notion).small().weak()).wrap());
    }
    for notice in &report.notices {
        ui.add(egui::Label::new(RichText::new(notice).small().weak()).wrap());
    }
}

fn attack_ui(ui: &mut egui::Ui, title: &str, attack: &MembershipAttackResult) {
    ui.strong(title);
    for sentence in &attack.sentences {
        ui.add(egui::Label::new(sentence.as_str()).wrap());
    }
    let at_one = attack
        .operating_points
        .iter()
        .find(|p| (p.max_fpr - 0.01).abs() < 1e-12);
    let tpr_text = at_one.map_or_else(
        || "not reported".to_owned(),
        |p| {
            tpr_at_fpr_phrase(
                p.max_fpr,
                p.tpr,
                p.tpr_interval.lower,
                p.tpr_interval.upper,
                attack.n_non_members as u64,
            )
        },
    );
    ui.label(
        RichText::new(format!(
            "AUC {} (95 % CI {} to {}) · TPR at 1 % FPR: {tpr_text}",
            auc(attack.auc),
            auc(attack.auc_interval.lower),
            auc(attack.auc_interval.upper),
        ))
        .small(),
    );
}

/// What the federation's server could learn: from each client's update (or only
/// the aggregate, under secure aggregation), and case/control status from
/// per-sample gradients; with the precision "flag everyone" gets, since the
/// training pool is mostly members.
fn server_view_ui(ui: &mut egui::Ui, report: &FederatedAuditReport) {
    ui.strong("What the server sees");
    for attack in &report.server_attacks {
        let title = match attack.view {
            ObservedUpdate::Client(k) => format!("From client {k}'s update"),
            ObservedUpdate::Aggregate => "From the sum of the updates only".to_owned(),
        };
        attack_ui(ui, &title, &attack.result);
        ui.add_space(6.0);
    }
    if let Some(gradients) = &report.gradient_label_inference {
        label_outcome_ui(
            ui,
            "Case/control status from a person's gradient (sign of the bias)",
            &gradients.sign_rule,
        );
        label_outcome_ui(
            ui,
            "Case/control status from a person's gradient (trained meta-classifier)",
            &gradients.meta_classifier,
        );
    }
    let baseline = &report.everyone_member_baseline;
    ui.add(
        egui::Label::new(
            RichText::new(format!(
                "For comparison: calling everyone in a client's pool a member is right {} of the \
                 time (the members' share), with recall 100 % and F1 {}: published precision near \
                 that share is no evidence of a leak.",
                percent(baseline.precision, 0),
                number(baseline.f1)
            ))
            .small()
            .weak(),
        )
        .wrap(),
    );
}

fn label_outcome_ui(ui: &mut egui::Ui, title: &str, label: &LabelInferenceOutcome) {
    ui.strong(title);
    for sentence in &label.sentences {
        ui.add(egui::Label::new(sentence.as_str()).wrap());
    }
    ui.label(
        RichText::new(format!(
            "Correct on members {} · on non-members {} · always guessing the commoner status {}",
            percent(label.report.member_accuracy, 1),
            percent(label.report.non_member_accuracy, 1),
            percent(label.baseline_accuracy, 1)
        ))
        .small(),
    );
    ui.add_space(6.0);
}

fn attack_table(ui: &mut egui::Ui, report: &ModelAuditReport) {
    if report.attacks.is_empty() {
        return;
    }
    ui.add_space(4.0);
    // Sideways scrolling keeps the wide table from widening the results column.
    egui::ScrollArea::horizontal()
        .id_salt("attack_table_scroll")
        .show(ui, |ui| attack_grid(ui, report));
    ui.label(
        RichText::new(format!(
            "Rates below {} false positives per {} non-members are inconclusive: too few people \
             to measure them.",
            integer(10),
            count(report.n_non_members)
        ))
        .small()
        .weak(),
    );
}

fn attack_grid(ui: &mut egui::Ui, report: &ModelAuditReport) {
    egui::Grid::new("attack_table")
        .striped(true)
        .spacing([14.0, 4.0])
        .show(ui, |ui| {
            for h in [
                "Attack",
                "AUC (95 % CI)",
                "TPR at 1 % FPR",
                "TPR at 10 % FPR",
                "Advantage",
                "Balanced accuracy",
                "ε lower bound",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for a in &report.attacks {
                let point = |fpr: f64| {
                    a.operating_points
                        .iter()
                        .find(|p| (p.max_fpr - fpr).abs() < 1e-12)
                        .map_or_else(
                            || "-".to_owned(),
                            |p| {
                                if p.reliable {
                                    percent(p.tpr, 1)
                                } else {
                                    "inconclusive".to_owned()
                                }
                            },
                        )
                };
                ui.label(attack_label(a.attack));
                ui.label(format!(
                    "{} ({} to {})",
                    auc(a.auc),
                    auc(a.auc_interval.lower),
                    auc(a.auc_interval.upper)
                ));
                ui.label(point(0.01));
                ui.label(point(0.1));
                ui.label(number(a.advantage));
                ui.label(number(a.balanced_accuracy));
                ui.label(number(a.epsilon_lower_bound));
                ui.end_row();
            }
        });
}
