//! The cross-silo wizard of the Synthesize side driven through its
//! accessibility tree (egui_kittest), against a second site run here directly
//! with `genopriv_core`'s `join` / `SiloHost` on loopback: the window hosts a
//! two-site session whose code and address it shows, and its export is the
//! joining site's synthetic cohort (read back by the core's reader); a session
//! whose set-up the window's site did not agree to ends with the abort
//! sentence and nothing to write; bad input is refused before anything starts.

mod support;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use genopriv_app::gui::{GenoPrivApp, HostForm, JoinForm, Startup};
use genopriv_core::data::read::read_genotypes;
use genopriv_core::data::{GenotypeMatrix, ReadOptions};
use genopriv_core::explain::silo::{noise_split_sentence, session_complete_sentence};
use genopriv_core::synthesis::silo::{
    Agreement, SessionCode, SessionOptions, SiloHost, SiloOutcome, SiloParameters, SiteInput, join,
};
use genopriv_core::synthesis::{EstimatorOptions, Manifest, Structure};
use genopriv_core::{Error, Result, job};
use support::{
    cancel, demo, demo_cohort, demo_without_phenotypes, label_containing, run_until_idle,
    same_calls, step_until, synthesize_side, visible_labels,
};

fn loopback() -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
}

fn quick() -> SessionOptions {
    SessionOptions::new(Duration::from_secs(120), Duration::from_secs(120))
}

/// The demo cohort as the site `name`, its noise drawn from the operating system.
fn demo_site<'a>(name: &str, matrix: &'a GenotypeMatrix, is_case: &'a [bool]) -> SiteInput<'a> {
    SiteInput {
        name: name.into(),
        matrix,
        is_case,
        source: Path::new("demo_cohort.vcf.gz"),
        inputs: Vec::new(),
        noise_seed: None,
    }
}

fn temp_dir(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("genopriv-gui-silo-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(dir)
}

fn files_in(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// The app on the Synthesize side with `startup`'s data, the wizard's `entry`
/// form open.
fn wizard(startup: Startup, entry: &str) -> Harness<'static, GenoPrivApp> {
    let mut harness = synthesize_side(startup, egui::vec2(1280.0, 2400.0));
    harness.get_by_role_and_label(Role::Button, entry).click();
    harness.run();
    harness
}

/// One of the wizard's two forms, filled in.
enum Form {
    Host(HostForm),
    Join(JoinForm),
}

/// Puts `form` in the wizard and presses its button ("Open session" or
/// "Join"), then steps one frame: the frame that starts the session or refuses.
fn submit(harness: &mut Harness<'_, GenoPrivApp>, form: Form) {
    let button = match form {
        Form::Host(form) => {
            harness.state_mut().silo_mut().host_form = form;
            "Open session"
        }
        Form::Join(form) => {
            harness.state_mut().silo_mut().join_form = form;
            "Join"
        }
    };
    harness.run();
    harness.get_by_role_and_label(Role::Button, button).click();
    harness.step();
}

/// Submits the host `form` and checks that nothing started.
fn host_refused(harness: &mut Harness<'_, GenoPrivApp>, form: HostForm) {
    submit(harness, Form::Host(form));
    harness.run();
    assert!(!harness.state().is_busy());
    assert!(harness.state().silo().hosting().is_none());
}

/// Leaves an ended session's view for the wizard's forms.
fn back_to_the_forms(harness: &mut Harness<'_, GenoPrivApp>) {
    harness
        .get_by_role_and_label(Role::Button, "Back to the forms")
        .click();
    harness.run();
}

/// The window hosts a two-site session on loopback; a second site joins with
/// the code and address read off the window; both finish with the same
/// synthetic cohort, and the window's export is exactly that cohort.
#[test]
fn the_window_hosts_a_session_and_exports_the_shared_cohort() -> Result<()> {
    let mut harness = wizard(demo(), "Host a session…");
    submit(
        &mut harness,
        Form::Host(HostForm {
            sites: 2,
            tolerance: 0,
            epsilon: 5.0,
            n_synthetic_text: "200".into(),
            listen_text: "127.0.0.1:0".into(),
            site_name: "Leeds".into(),
            estimator_iterations: 50,
            ..HostForm::default()
        }),
    );
    assert!(
        harness.state().is_busy(),
        "the session should run on a worker"
    );
    harness.step();

    // The code and the address, as shown.
    let labels = visible_labels(&harness);
    let Some(code_text) = labels.iter().find(|l| SessionCode::parse(l).is_ok()) else {
        panic!("no session code on screen; labels: {labels:?}");
    };
    let code = SessionCode::parse(code_text)?;
    let Some(address) = labels.iter().find_map(|l| l.parse::<SocketAddr>().ok()) else {
        panic!("no address on screen; labels: {labels:?}");
    };
    let Some(hosting) = harness.state().silo().hosting().cloned() else {
        panic!("the window hosts no session");
    };
    assert_eq!(&hosting.code, code_text);
    assert_eq!(hosting.listening, address);
    assert!(address.ip().is_loopback() && address.port() != 0);
    label_containing(&harness, &noise_split_sentence(&hosting.noise));
    label_containing(&harness, "Relatives are not protected");

    // The second site: the same panel (the demo cohort), run by the core.
    let (matrix, is_case) = demo_cohort()?;
    let joiner = std::thread::spawn(move || -> Result<SiloOutcome> {
        let agreement = Agreement {
            epsilon: 5.0,
            delta: Some(1e-6),
            sites: Some(2),
            min_tolerance: None,
        };
        job::unattended(|job| {
            let site = demo_site("Lyon", &matrix, &is_case);
            join(address, &code, &agreement, site, quick(), job)
        })
    });
    run_until_idle(&mut harness);
    let joined = joiner
        .join()
        .unwrap_or_else(|_| Err(Error::Session("the joining site panicked".into())))?;

    let Some(outcome) = harness.state().silo().outcome() else {
        panic!(
            "the window's session did not complete; labels: {:?}",
            visible_labels(&harness)
        );
    };
    let sites = vec!["Leeds".to_owned(), "Lyon".to_owned()];
    assert_eq!(outcome.sites, sites);
    assert_eq!(joined.sites, sites);
    assert!(!outcome.not_for_release);
    assert!(same_calls(
        &outcome.synthesis.cohort.matrix,
        &joined.synthesis.cohort.matrix
    ));
    label_containing(&harness, &session_complete_sentence(200, 10_946, &sites));
    label_containing(&harness, "Lyon is ready");

    // Export, and read it back with the core against the joining site's cohort.
    let dir = temp_dir("host")?;
    let out = dir.join("shared.vcf.gz");
    harness.state_mut().export_silo(out.clone());
    run_until_idle(&mut harness);
    label_containing(&harness, "Exported:");
    assert_eq!(
        files_in(&dir)?,
        [
            "shared.manifest.json",
            "shared.pheno.tsv",
            "shared.vcf.gz",
            "shared.vcf.gz.tbi"
        ]
    );
    let back = job::unattended(|job| read_genotypes(&out, &ReadOptions::default(), job))?;
    let expected = &joined.synthesis.cohort;
    assert!(
        same_calls(&back.matrix, &expected.matrix),
        "the export is not the shared cohort"
    );
    let pheno_path = dir.join("shared.pheno.tsv");
    let pheno = std::fs::read_to_string(&pheno_path).map_err(|e| Error::io(&pheno_path, e))?;
    let wanted: Vec<String> = std::iter::once("sample_id\tcase".to_owned())
        .chain(
            expected
                .matrix
                .samples()
                .iter()
                .zip(&expected.labels)
                .map(|(s, y)| format!("{s}\t{y}")),
        )
        .collect();
    assert_eq!(pheno.lines().collect::<Vec<_>>(), wanted);
    let manifest_path = dir.join("shared.manifest.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| Error::invalid(&manifest_path, format!("not a manifest: {e}")))?;
    let Some(record) = manifest.cross_silo else {
        panic!("the exported manifest has no cross-silo record");
    };
    assert_eq!(record.sites, sites);
    assert_eq!(record.this_site, "Leeds");
    assert_eq!(record.noise, hosting.noise);
    // Both sites measured the same noisy total.
    assert_eq!(
        serde_json::to_value(&manifest.measurements).ok(),
        serde_json::to_value(&joined.synthesis.manifest.measurements).ok()
    );
    std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(())
}

/// A host in a thread proposes epsilon 5; the window's site agreed to 3: the
/// window ends with the abort sentence naming epsilon, and there is nothing to
/// write.
#[test]
fn a_set_up_the_site_did_not_agree_to_aborts_with_nothing_released() -> Result<()> {
    // The window first: the host's wait for sites starts when it runs.
    let mut harness = wizard(demo(), "Join a session…");
    let (matrix, is_case) = demo_cohort()?;
    let parameters = SiloParameters {
        epsilon: 5.0,
        delta: 1e-6,
        structure: Structure::TanChain,
        sites: 2,
        tolerance: 0,
        n_synthetic: 100,
        estimator: EstimatorOptions {
            max_iterations: 100,
            relative_tolerance: 1e-7,
        },
    };
    let host = SiloHost::bind(loopback(), matrix.variants().to_vec(), &parameters, Some(1))?;
    let address = host.local_addr()?;
    let code = host.code();
    let hosting = std::thread::spawn(move || -> Result<SiloOutcome> {
        let mut options = quick();
        options.join_wait = Duration::from_secs(5);
        job::unattended(|job| host.run(demo_site("Graz", &matrix, &is_case), options, job))
    });

    submit(
        &mut harness,
        Form::Join(JoinForm {
            address_text: address.to_string(),
            code_text: code.to_string(),
            site_name: "Lyon".into(),
            epsilon_text: "3".into(),
            ..JoinForm::default()
        }),
    );
    step_until(&mut harness, "the abort", |app| !app.is_busy());
    harness.run();
    let Some(abort) = harness.state().silo().abort().map(str::to_owned) else {
        panic!(
            "the session did not abort; labels: {:?}",
            visible_labels(&harness)
        );
    };
    assert!(
        abort.starts_with("The session was aborted: the host proposes epsilon 5 (you agreed to 3)"),
        "{abort}"
    );
    assert!(abort.ends_with("Nothing was released."), "{abort}");
    label_containing(&harness, &abort);
    label_containing(&harness, "Session aborted");
    assert!(harness.state().silo().outcome().is_none());
    // Nothing to write: an export is refused and leaves the folder empty.
    let dir = temp_dir("abort")?;
    harness.state_mut().export_silo(dir.join("x.vcf.gz"));
    harness.run();
    assert!(!harness.state().is_busy());
    label_containing(&harness, "Finish a session first");
    assert!(files_in(&dir)?.is_empty());
    std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    // The host heard the refusal and, short of sites, released nothing either.
    let at_host = hosting
        .join()
        .unwrap_or_else(|_| Err(Error::Session("the host panicked".into())));
    let Err(Error::Session(reason)) = at_host else {
        panic!("the host finished without its second site");
    };
    assert!(
        reason.contains("only 0 of the 1 other sites joined"),
        "{reason}"
    );

    // Back to the forms: the join form is there again, filled in.
    back_to_the_forms(&mut harness);
    assert!(harness.state().silo().abort().is_none());
    harness.get_by_role_and_label(Role::Button, "Join");
    Ok(())
}

/// Cancel stops a session that waits for its sites; the window says nothing
/// was released and offers the forms again.
#[test]
fn cancel_ends_the_session_with_nothing_released() {
    let mut harness = wizard(demo(), "Host a session…");
    submit(
        &mut harness,
        Form::Host(HostForm {
            n_synthetic_text: "100".into(),
            listen_text: "127.0.0.1:0".into(),
            site_name: "Leeds".into(),
            ..HostForm::default()
        }),
    );
    step_until(&mut harness, "waiting for sites", |app| {
        app.silo()
            .progress()
            .is_some_and(|(_, stage, _)| stage.starts_with("Waiting for sites to join: 0 of 1"))
    });
    harness.step();
    cancel(&mut harness);
    label_containing(
        &harness,
        "The session was aborted: it was cancelled at this site. Nothing was released.",
    );
    back_to_the_forms(&mut harness);
    assert!(harness.state().silo().hosting().is_none());
    harness.get_by_role_and_label(Role::Button, "Open session");
}

/// Bad input is refused with a sentence before anything starts: a code typed
/// wrong, a tolerance as large as the number of sites, and a cohort without
/// phenotypes.
#[test]
fn bad_input_is_refused_before_anything_starts() {
    let mut harness = wizard(demo(), "Join a session…");
    for (field, text) in [
        ("Host address", "127.0.0.1:7468"),
        ("Session code", "ABCD-1234"),
        ("This site's name", "Lyon"),
        ("Epsilon this site agreed to", "3"),
    ] {
        harness
            .get_by_role_and_label(Role::TextInput, field)
            .focus();
        harness.run();
        harness
            .get_by_role_and_label(Role::TextInput, field)
            .type_text(text);
        harness.run();
    }
    assert_eq!(
        harness.state_mut().silo_mut().join_form.code_text,
        "ABCD-1234"
    );
    harness.get_by_role_and_label(Role::Button, "Join").click();
    harness.run();
    assert!(!harness.state().is_busy());
    label_containing(&harness, "`ABCD-1234` is not a session code");

    harness
        .get_by_role_and_label(Role::Button, "Back to synthesis on this computer")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Host a session…")
        .click();
    harness.run();
    host_refused(
        &mut harness,
        HostForm {
            sites: 2,
            tolerance: 2,
            n_synthetic_text: "100".into(),
            site_name: "Leeds".into(),
            ..HostForm::default()
        },
    );
    label_containing(
        &harness,
        "The collusion tolerance (2) must be below the number of sites (2)",
    );

    // A cohort without phenotypes cannot take part.
    let mut harness = wizard(demo_without_phenotypes(), "Host a session…");
    host_refused(
        &mut harness,
        HostForm {
            n_synthetic_text: "100".into(),
            site_name: "Leeds".into(),
            ..HostForm::default()
        },
    );
    let message = "Synthesis needs case/control statuses: add a phenotype table on the Data \
                   screen first.";
    // The form's warning and the refusal both say it.
    let shown = visible_labels(&harness)
        .iter()
        .filter(|l| l.contains(message))
        .count();
    assert_eq!(shown, 2, "labels: {:?}", visible_labels(&harness));
}
