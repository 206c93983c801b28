//! Drawing the cross-silo wizard: the entry on the Synthesize side, the host
//! and join forms (settings column), and the session — its code, set-up and
//! threat model, progress, notices, and how it ended (results column). The
//! sentences come from `genopriv_core::explain::silo`, as on the command line.

use egui::{DragValue, RichText};
use genopriv_core::explain::format::number;
use genopriv_core::explain::silo::{
    noise_split_sentence, session_complete_sentence, threat_model_sentence,
};
use genopriv_core::synthesis::MissingPolicy;
use genopriv_core::synthesis::silo::{DistributedNoise, SiloOutcome};

use super::app::Workspace;
use super::format::count;
use super::protect::ProtectAction;
use super::protect_view::{job_frame, warning_frame};
use super::silo::{
    DEFAULT_LISTEN, Hosting, SessionEnd, SessionRole, SiloAction, SiloPanel, WizardKind, structure,
};
use super::synth::{SynthAction, delta_from_text};
use super::synth_view::budget_controls;

fn push(actions: &mut Vec<ProtectAction>, action: SiloAction) {
    actions.push(ProtectAction::Synth(SynthAction::Silo(action)));
}

/// "Together with other sites": the way into the wizard.
pub(super) fn entry_ui(ui: &mut egui::Ui, actions: &mut Vec<ProtectAction>) {
    egui::Frame::group(ui.style())
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.strong("Together with other sites");
            ui.add(
                egui::Label::new(
                    RichText::new(
                        "Several sites, each on its own computer with its own data, publish one \
                         synthetic cohort; only a noisy total of their counts is revealed.",
                    )
                    .small()
                    .weak(),
                )
                .wrap(),
            );
            ui.horizontal(|ui| {
                if ui
                    .button("Host a session…")
                    .on_hover_text("Open a session on this computer and hand out its code")
                    .clicked()
                {
                    push(actions, SiloAction::Open(WizardKind::Host));
                }
                if ui
                    .button("Join a session…")
                    .on_hover_text("Join a session another site opened, with its address and code")
                    .clicked()
                {
                    push(actions, SiloAction::Open(WizardKind::Join));
                }
            });
        });
}

/// The open form of the wizard, in the settings column.
pub(super) fn form_ui(
    ui: &mut egui::Ui,
    silo: &mut SiloPanel,
    workspace: &Workspace,
    actions: &mut Vec<ProtectAction>,
) {
    if ui.button("Back to synthesis on this computer").clicked() {
        push(actions, SiloAction::Close);
    }
    ui.add_space(4.0);
    egui::Frame::group(ui.style())
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            if let Err(problem) = super::synth::prerequisites(workspace) {
                warning_frame(ui, &problem);
                ui.add_space(6.0);
            }
            match silo.wizard {
                Some(WizardKind::Host) => host_form_ui(ui, silo, workspace, actions),
                Some(WizardKind::Join) => join_form_ui(ui, silo, actions),
                None => {}
            }
            if let Some(problem) = &silo.problem {
                ui.add_space(6.0);
                ui.label(RichText::new(problem.as_str()).color(ui.visuals().error_fg_color));
            }
        });
}

fn host_form_ui(
    ui: &mut egui::Ui,
    silo: &mut SiloPanel,
    workspace: &Workspace,
    actions: &mut Vec<ProtectAction>,
) {
    let form = &mut silo.host_form;
    ui.heading("Host a session");
    ui.add(
        egui::Label::new(
            RichText::new(format!(
                "Everything here is public: every site sees it and checks it before it \
                 counts anything. The SNP panel is this cohort's {} SNPs; every site needs \
                 them all.",
                count(workspace.data.summary.n_variants)
            ))
            .small()
            .weak(),
        )
        .wrap(),
    );
    ui.add_space(4.0);
    egui::Grid::new("silo_host_sites")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("Sites, this one included");
            ui.add(DragValue::new(&mut form.sites).range(2..=1000))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Sites that may collude or add no noise");
            ui.add(DragValue::new(&mut form.tolerance).range(0..=999))
                .labelled_by(label.id)
                .on_hover_text(
                    "The budget still holds if this many sites share what they know or skip \
                     their noise; each site then adds more noise",
                );
            ui.end_row();
        });
    if form.tolerance >= form.sites {
        ui.label(
            RichText::new(format!(
                "The tolerance must be below the number of sites ({}).",
                form.sites
            ))
            .color(ui.visuals().error_fg_color),
        );
    }
    ui.add_space(6.0);
    budget_controls(ui, &mut form.epsilon, &mut form.delta_text);
    ui.add_space(6.0);
    ui.strong("What the generator links");
    ui.radio_value(
        &mut form.order,
        1,
        "Each SNP with the next one (recommended)",
    );
    ui.radio_value(&mut form.order, 2, "Each SNP with the next two");
    ui.add_space(6.0);
    // The split the session will use, before it is opened.
    if let Ok(delta) = delta_from_text(&form.delta_text)
        && let Ok(noise) = DistributedNoise::plan(
            form.epsilon,
            delta,
            structure(form.order),
            2,
            MissingPolicy::Reject.n_states(),
            workspace.data.summary.n_variants,
            form.sites,
            form.tolerance,
        )
    {
        ui.strong("Noise per count");
        ui.add(egui::Label::new(noise_split_sentence(&noise)).wrap());
        ui.add_space(6.0);
    }
    egui::Grid::new("silo_host_fields")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("Synthetic people");
            ui.add(
                egui::TextEdit::singleline(&mut form.n_synthetic_text)
                    .desired_width(120.0)
                    .hint_text("required"),
            )
            .labelled_by(label.id)
            .on_hover_text("Every site draws the same synthetic people");
            ui.end_row();
            let label = ui.label("Listen on");
            ui.add(
                egui::TextEdit::singleline(&mut form.listen_text)
                    .desired_width(160.0)
                    .hint_text(DEFAULT_LISTEN),
            )
            .labelled_by(label.id)
            .on_hover_text("0.0.0.0 listens on every network of this computer");
            ui.end_row();
            let label = ui.label("This site's name");
            ui.add(
                egui::TextEdit::singleline(&mut form.site_name)
                    .desired_width(160.0)
                    .hint_text("e.g. Leeds"),
            )
            .labelled_by(label.id);
            ui.end_row();
        });
    egui::CollapsingHeader::new("More")
        .id_salt("silo_host_more")
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Fitting steps (at most)");
                ui.add(DragValue::new(&mut form.estimator_iterations).range(1..=100_000))
                    .labelled_by(label.id);
            });
            seed_ui(ui, &mut form.use_seed, &mut form.seed_text);
        });
    ui.add_space(6.0);
    ui.add(
        egui::Label::new(RichText::new(threat_model_sentence(form.sites, form.tolerance)).weak())
            .wrap(),
    );
    ui.add_space(8.0);
    if ui
        .button("Open session")
        .on_hover_text("Listen for the other sites and show the code to hand out")
        .clicked()
    {
        push(actions, SiloAction::StartHost);
    }
}

fn join_form_ui(ui: &mut egui::Ui, silo: &mut SiloPanel, actions: &mut Vec<ProtectAction>) {
    let form = &mut silo.join_form;
    ui.heading("Join a session");
    ui.add(
        egui::Label::new(
            RichText::new(
                "Type what the host gave you by a channel you trust. The session is refused if \
                 the host proposes anything this site did not agree to.",
            )
            .small()
            .weak(),
        )
        .wrap(),
    );
    ui.add_space(4.0);
    egui::Grid::new("silo_join_fields")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("Host address");
            ui.add(
                egui::TextEdit::singleline(&mut form.address_text)
                    .desired_width(200.0)
                    .hint_text("10.0.0.5:7468"),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Session code");
            ui.add(
                egui::TextEdit::singleline(&mut form.code_text)
                    .desired_width(260.0)
                    .font(egui::TextStyle::Monospace)
                    .hint_text("XXXX-XXXX-…"),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("This site's name");
            ui.add(
                egui::TextEdit::singleline(&mut form.site_name)
                    .desired_width(160.0)
                    .hint_text("e.g. Lyon"),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Epsilon this site agreed to");
            ui.add(
                egui::TextEdit::singleline(&mut form.epsilon_text)
                    .desired_width(80.0)
                    .hint_text("required"),
            )
            .labelled_by(label.id);
            ui.end_row();
        });
    egui::CollapsingHeader::new("More")
        .id_salt("silo_join_more")
        .show(ui, |ui| {
            ui.add(
                egui::Label::new(
                    RichText::new("Leave a field empty to accept the host's value.")
                        .small()
                        .weak(),
                )
                .wrap(),
            );
            egui::Grid::new("silo_join_more_grid")
                .num_columns(2)
                .show(ui, |ui| {
                    for (label, text, hint) in [
                        ("Delta agreed to", &mut form.delta_text, "1e-6"),
                        ("Number of sites", &mut form.sites_text, "any"),
                        (
                            "At least this collusion tolerance",
                            &mut form.min_tolerance_text,
                            "any",
                        ),
                    ] {
                        let label = ui.label(label);
                        ui.add(
                            egui::TextEdit::singleline(text)
                                .desired_width(80.0)
                                .hint_text(hint),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                    }
                });
            seed_ui(ui, &mut form.use_seed, &mut form.seed_text);
        });
    ui.add_space(8.0);
    if ui
        .button("Join")
        .on_hover_text("Connect to the host, check its set-up and take part")
        .clicked()
    {
        push(actions, SiloAction::StartJoin);
    }
}

fn seed_ui(ui: &mut egui::Ui, use_seed: &mut bool, seed_text: &mut String) {
    let study_mode = ui.checkbox(
        use_seed,
        "Study mode: this site's noise from a seed (not for release)",
    );
    if study_mode.changed() && *use_seed && seed_text.trim().is_empty() {
        *seed_text = "1".into();
    }
    if *use_seed {
        ui.horizontal(|ui| {
            let label = ui.label("Seed");
            ui.add(egui::TextEdit::singleline(seed_text).desired_width(140.0))
                .labelled_by(label.id);
        });
    }
}

/// The session in the results column: what to hand out, the set-up, progress,
/// notices, and the end.
pub(super) fn session_ui(ui: &mut egui::Ui, silo: &SiloPanel, actions: &mut Vec<ProtectAction>) {
    let Some(role) = &silo.role else {
        about_ui(ui);
        return;
    };
    // While it runs the code comes first; once it ended, how it ended.
    if silo.ended.is_none() {
        role_ui(ui, role, true);
        ui.add_space(6.0);
        if let Some((title, stage, fraction)) = silo.progress()
            && job_frame(ui, title, stage, fraction)
        {
            push(actions, SiloAction::Cancel);
        }
        notices_ui(ui, silo);
        return;
    }
    match &silo.ended {
        Some(SessionEnd::Complete(outcome)) => complete_ui(ui, silo, outcome, actions),
        Some(SessionEnd::Aborted(sentence)) => aborted_ui(ui, sentence, actions),
        None => {}
    }
    if let Some(problem) = &silo.export_problem {
        ui.label(RichText::new(problem.as_str()).color(ui.visuals().error_fg_color));
    }
    notices_ui(ui, silo);
    ui.add_space(8.0);
    ui.separator();
    role_ui(ui, role, false);
}

/// This site's part: while the session runs, what to hand out; after it, the set-up.
fn role_ui(ui: &mut egui::Ui, role: &SessionRole, running: bool) {
    match role {
        SessionRole::Host(hosting) if running => hosting_ui(ui, hosting),
        SessionRole::Host(hosting) => {
            ui.strong("The session's set-up");
            setup_ui(ui, hosting, false);
        }
        SessionRole::Join { address } => {
            ui.heading(if running {
                "Joining a session"
            } else {
                "The session joined"
            });
            ui.label(format!("Host: {address}"));
        }
    }
}

fn notices_ui(ui: &mut egui::Ui, silo: &SiloPanel) {
    if silo.notices.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.strong("What happened so far");
    for notice in &silo.notices {
        ui.add(egui::Label::new(format!("• {notice}")).wrap());
    }
}

fn complete_ui(
    ui: &mut egui::Ui,
    silo: &SiloPanel,
    outcome: &SiloOutcome,
    actions: &mut Vec<ProtectAction>,
) {
    let cohort = &outcome.synthesis.cohort;
    ui.add(
        egui::Label::new(
            RichText::new(session_complete_sentence(
                cohort.matrix.n_samples(),
                cohort.matrix.n_variants(),
                &outcome.sites,
            ))
            .heading(),
        )
        .wrap(),
    );
    if let Some(record) = &outcome.synthesis.manifest.cross_silo {
        ui.add(egui::Label::new(noise_split_sentence(&record.noise)).wrap());
    }
    if outcome.not_for_release {
        warning_frame(
            ui,
            "Study output, not for release: a site's noise came from a seed, and anyone \
             holding the seed can remove it.",
        );
    }
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let export = ui.add_enabled(
            silo.export_progress().is_none(),
            egui::Button::new("Export synthetic data…"),
        );
        if export
            .on_hover_text(
                "Writes the synthetic genotypes, their case/control table and the release \
                 manifest; every site holds the same data",
            )
            .clicked()
        {
            push(actions, SiloAction::Export);
        }
        if ui.button("Back to the forms").clicked() {
            push(actions, SiloAction::BackToForms);
        }
    });
    if let Some((title, stage, fraction)) = silo.export_progress()
        && job_frame(ui, title, stage, fraction)
    {
        push(actions, SiloAction::Cancel);
    }
    if let Some(files) = &silo.exported {
        ui.add(
            egui::Label::new(format!(
                "Exported: {}, with {} and {}.",
                files.genotypes.display(),
                files.phenotypes.display(),
                files.manifest.display()
            ))
            .wrap(),
        );
    }
}

fn aborted_ui(ui: &mut egui::Ui, sentence: &str, actions: &mut Vec<ProtectAction>) {
    let colour = ui.visuals().error_fg_color;
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, colour))
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new("Session aborted").strong().color(colour));
            ui.add(egui::Label::new(RichText::new(sentence).color(colour)).wrap());
            ui.add_space(4.0);
            if ui.button("Back to the forms").clicked() {
                push(actions, SiloAction::BackToForms);
            }
        });
}

/// The host's code and address to hand out, then the set-up in plain words.
fn hosting_ui(ui: &mut egui::Ui, hosting: &Hosting) {
    ui.heading("Session open");
    ui.add(
        egui::Label::new(
            "Give each site the address and the code by a channel you trust (a phone call, \
             not the same e-mail as the data request):",
        )
        .wrap(),
    );
    ui.add_space(4.0);
    egui::Frame::group(ui.style())
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label("Session code");
            ui.horizontal_wrapped(|ui| {
                ui.add(
                    egui::Label::new(RichText::new(&hosting.code).monospace().size(20.0).strong())
                        .selectable(true),
                );
                if ui.button("Copy code").clicked() {
                    ui.ctx().copy_text(hosting.code.clone());
                }
            });
            ui.add_space(4.0);
            ui.label("Address");
            ui.horizontal_wrapped(|ui| {
                ui.add(
                    egui::Label::new(RichText::new(&hosting.address).monospace().size(16.0))
                        .selectable(true),
                );
                if ui.button("Copy address").clicked() {
                    ui.ctx().copy_text(hosting.address.clone());
                }
            });
            if hosting.listening.ip().is_unspecified() {
                ui.add(
                    egui::Label::new(
                        RichText::new(format!(
                            "Listening on every network of this computer, port {}: the other \
                             sites must be able to reach it (firewall).",
                            hosting.listening.port()
                        ))
                        .small()
                        .weak(),
                    )
                    .wrap(),
                );
            }
        });
    ui.add_space(6.0);
    ui.strong("The set-up every site checks");
    setup_ui(ui, hosting, true);
}

/// The public set-up in words, with the threat model (and the noise split,
/// unless the end of the session already says it).
fn setup_ui(ui: &mut egui::Ui, hosting: &Hosting, with_noise: bool) {
    ui.add(
        egui::Label::new(format!(
            "{} sites (up to {} may collude), epsilon {} (delta {:e}), {} SNPs, {} synthetic \
             people.",
            hosting.noise.sites,
            hosting.noise.tolerance,
            number(hosting.epsilon),
            hosting.delta,
            count(hosting.n_variants),
            count(hosting.n_synthetic)
        ))
        .wrap(),
    );
    if with_noise {
        ui.add(egui::Label::new(noise_split_sentence(&hosting.noise)).wrap());
    }
    ui.add(
        egui::Label::new(
            RichText::new(threat_model_sentence(
                hosting.noise.sites,
                hosting.noise.tolerance,
            ))
            .weak(),
        )
        .wrap(),
    );
}

/// What a session is, before one starts.
fn about_ui(ui: &mut egui::Ui) {
    ui.heading("Synthesis together with other sites");
    for (step, text) in [
        (
            "1",
            "The host fixes the public set-up (sites, budget, synthetic people) and hands out \
             an address and a session code.",
        ),
        (
            "2",
            "Each site joins with the code; it checks the set-up against what it agreed to and \
             counts its own data on its own computer.",
        ),
        (
            "3",
            "Each site adds its share of the noise and hides its counts under masks that cancel \
             out in the sum: only the noisy total is revealed.",
        ),
        (
            "4",
            "Every site fits the same model to the total and draws the same synthetic people; \
             nothing is released unless every site finishes with the same data.",
        ),
    ] {
        ui.horizontal_wrapped(|ui| {
            ui.strong(step);
            ui.add(egui::Label::new(text).wrap());
        });
    }
    ui.add_space(6.0);
    ui.add(
        egui::Label::new(
            RichText::new(
                "A site that leaves, times out or sends something unexpected ends the \
                 session on every site, with the reason shown here.",
            )
            .weak(),
        )
        .wrap(),
    );
}
