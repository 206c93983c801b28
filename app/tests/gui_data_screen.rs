//! The desktop window driven through its accessibility tree (egui_kittest): every
//! query is by role and label, so each test is also a screen-reader check.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use genopriv_app::gui::{GenoPrivApp, ReadFn, Screen, Startup};
use genopriv_core::data::{
    Dataset, GenotypeFormat, GenotypeMatrix, LoadReport, ReadOptions, Variant,
};
use genopriv_core::{Error, job};
use support::{run_until_idle, visible_labels};

fn harness_with(reader: Option<ReadFn>) -> Harness<'static, GenoPrivApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            let app = GenoPrivApp::new(cc, Startup::default());
            match reader {
                Some(read) => app.with_reader(read),
                None => app,
            }
        })
}

/// Counts of common (MAF >= 5 %), low-frequency and rare (< 1 %) variants from the
/// AF tag `bcftools +fill-tags` computes. bcftools must be installed (CI installs it).
fn maf_classes_by_bcftools(vcf: &Path) -> (usize, usize, usize) {
    let output = std::process::Command::new("bcftools")
        .arg("+fill-tags")
        .arg(vcf)
        .args(["--", "-t", "AF"])
        .output()
        .unwrap_or_else(|e| panic!("bcftools is needed for this test and could not run: {e}"));
    assert!(
        output.status.success(),
        "bcftools failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut classes = (0, 0, 0);
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let info = line.split('\t').nth(7).unwrap_or_default();
        let af: f64 = info
            .split(';')
            .find_map(|field| field.strip_prefix("AF="))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no AF in {info}"));
        let maf = af.min(1.0 - af);
        if maf >= 0.05 {
            classes.0 += 1;
        } else if maf < 0.01 {
            classes.2 += 1;
        } else {
            classes.1 += 1;
        }
    }
    classes
}

fn with_commas(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The label that follows `name` on screen: the value of a two-column table row.
fn value_after(harness: &Harness<'_, GenoPrivApp>, name: &str) -> Option<String> {
    let labels = visible_labels(harness);
    let at = labels.iter().position(|l| l == name)?;
    labels.get(at + 1).cloned()
}

fn manifest_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn tiny_dataset(path: &Path, n_samples: usize) -> Dataset {
    let mut matrix = GenotypeMatrix::new((0..n_samples).map(|i| format!("s{i}")).collect());
    let variant = Variant {
        chrom: "1".into(),
        pos: 100,
        id: "rs1".into(),
        ref_allele: "A".into(),
        alt_allele: "G".into(),
    };
    matrix.push_variant(variant, &vec![1; n_samples]);
    Dataset {
        matrix,
        source: path.to_path_buf(),
        format: GenotypeFormat::Vcf,
        report: LoadReport::default(),
    }
}

#[test]
fn sample_data_loads_from_the_welcome_panel() {
    let mut harness = harness_with(None);
    harness.run();
    harness.get_by_label("Welcome to GenoPriv");
    assert_eq!(harness.state().screen(), Screen::Data);
    // The screens to come are visible but cannot be used yet.
    for coming in ["Protect", "Audit", "Trade-offs"] {
        let node = harness.get_by(move |n| {
            n.role() == Role::Button && n.label().is_some_and(|l| l.starts_with(coming))
        });
        assert!(
            node.accesskit_node().is_disabled(),
            "{coming} should be greyed out"
        );
    }

    harness
        .get_by_role_and_label(Role::Button, "Try with sample data")
        .click();
    harness.step();
    assert!(
        harness.state().is_busy(),
        "loading should run in the background"
    );
    run_until_idle(&mut harness);

    assert!(
        harness.query_by_label("Problem").is_none(),
        "loading the sample data failed: {:?}",
        visible_labels(&harness)
    );
    assert_eq!(harness.state().loaded_shape(), Some((600, 10_946)));
    // The counts are shown as text, with thousands separators.
    harness.get_by_label("600");
    harness.get_by_label("10,946");
    assert_eq!(value_after(&harness, "Samples").as_deref(), Some("600"));
    assert_eq!(value_after(&harness, "Variants").as_deref(), Some("10,946"));
    assert_eq!(
        value_after(&harness, "Skipped records").as_deref(),
        Some("0")
    );
    // The sample data's README: 295 cases among 600 people.
    assert_eq!(value_after(&harness, "Cases").as_deref(), Some("295"));
    assert_eq!(value_after(&harness, "Controls").as_deref(), Some("305"));
    harness.get_by_label("Minor allele frequency spectrum");
    harness.get_by_label("Missing calls per sample");
    // The MAF classes in the chart's sentence agree with bcftools' allele frequencies.
    let (common, low, rare) =
        maf_classes_by_bcftools(&manifest_path("../sample_data/demo_cohort.vcf.gz"));
    let sentence = harness.get_by_label_contains("Of 10,946 variants,");
    let sentence = sentence.accesskit_node().value().unwrap_or_default();
    for expected in [
        format!("variants, {} (", with_commas(common)),
        format!("), {} (", with_commas(low)),
        format!("and {} (", with_commas(rare)),
    ] {
        assert!(
            sentence.contains(&expected),
            "{expected:?} not in {sentence:?}"
        );
    }
    // The table's first row is the file's first variant.
    harness.get_by_label("Position");
}

#[test]
fn load_errors_are_shown_as_messages() -> Result<(), std::io::Error> {
    let garbage =
        std::env::temp_dir().join(format!("genopriv-gui-{}-garbage.vcf", std::process::id()));
    std::fs::write(&garbage, b"\x00\x01 this is not a VCF\n\xff\xfe")?;
    let cases = [
        PathBuf::from("/nonexistent/genopriv/missing.vcf"),
        garbage.clone(),
        manifest_path("Cargo.toml"),
    ];
    for path in cases {
        let mut harness = harness_with(None);
        harness.run();
        harness.state_mut().open_genotypes(path.clone(), None);
        run_until_idle(&mut harness);

        // The message is the core's own error, which names the file.
        let Err(expected) = job::unattended(|job| {
            genopriv_core::data::read::read_genotypes(&path, &ReadOptions::default(), job)
        }) else {
            panic!("{} loaded, but it should not", path.display());
        };
        let expected = expected.to_string();
        assert!(expected.contains(&*path.to_string_lossy()), "{expected}");
        harness.get_by_label("Problem");
        harness.get_by_label_contains(&expected);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        harness.get_by_label(&format!("Could not open {name}"));
        assert_eq!(harness.state().loaded_shape(), None);

        // Dismissing the message leaves the welcome panel, ready for another try.
        harness
            .get_by_role_and_label(Role::Button, "Dismiss")
            .click();
        harness.run();
        assert!(harness.query_by_label("Problem").is_none());
        harness.get_by_role_and_label(Role::Button, "Try with sample data");
    }
    std::fs::remove_file(garbage)
}

/// A reader that reports progress until cancelled, then tells the test it stopped.
fn endless_reader(stopped: Sender<bool>) -> ReadFn {
    Arc::new(move |_path, _options, job| {
        loop {
            if let Err(e) = job.checkpoint("Reading variants", Some(0.25)) {
                let _ = stopped.send(matches!(e, Error::Cancelled));
                return Err(e);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    })
}

#[test]
fn cancel_stops_the_worker_and_keeps_the_window_usable() {
    let (stopped_tx, stopped_rx): (Sender<bool>, Receiver<bool>) = crossbeam_channel::bounded(1);
    let mut harness = harness_with(Some(endless_reader(stopped_tx)));
    harness.run();
    harness
        .state_mut()
        .open_genotypes(PathBuf::from("/data/slow.vcf"), None);
    // Let the worker report progress.
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.query_by_label("Reading variants…").is_none() {
        assert!(Instant::now() < deadline, "no progress was shown");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.get_by_label("Loading slow.vcf");
    let bar = harness.get_by_role(Role::ProgressIndicator);
    assert_eq!(bar.accesskit_node().label().as_deref(), Some("25 %"));
    assert_eq!(bar.accesskit_node().numeric_value(), Some(25.0));

    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    harness.step();
    assert!(!harness.state().is_busy());
    harness.run();
    harness.get_by_label("Cancelled");
    harness.get_by_label_contains("Loading slow.vcf was cancelled.");
    harness.get_by_role_and_label(Role::Button, "Try with sample data");
    // The worker itself saw the cancel request.
    assert_eq!(
        stopped_rx.recv_timeout(Duration::from_secs(10)).ok(),
        Some(true)
    );
}

#[test]
fn a_replaced_load_never_shows_its_result() {
    let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(1);
    let reader: ReadFn = Arc::new(move |path, _options, _job| {
        if path.ends_with("first.vcf") {
            // Ignores cancel on purpose: a stale result that arrives anyway.
            let _ = release_rx.recv_timeout(Duration::from_secs(30));
            Ok(tiny_dataset(path, 3))
        } else {
            Ok(tiny_dataset(path, 5))
        }
    });
    let mut harness = harness_with(Some(reader));
    harness.run();
    harness
        .state_mut()
        .open_genotypes(PathBuf::from("/data/first.vcf"), None);
    harness.step();
    harness
        .state_mut()
        .open_genotypes(PathBuf::from("/data/second.vcf"), None);
    run_until_idle(&mut harness);
    assert_eq!(harness.state().loaded_shape(), Some((5, 1)));

    let _ = release_tx.send(());
    for _ in 0..20 {
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(harness.state().loaded_shape(), Some((5, 1)));
    harness.get_by_label("second.vcf");
}

/// A file dropped onto the window, as the windowing backend hands it over.
#[derive(Debug)]
struct DroppedPath(PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropped_files_open_or_explain_why_not() {
    let mut harness = harness_with(None);
    harness.run();
    let notes = PathBuf::from("/home/steward/notes.docx");
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(notes.clone())));
    harness.step();
    harness.run();
    harness.get_by_label("notes.docx cannot be opened");
    harness.get_by_label_contains("unrecognised file type");
    assert!(!harness.state().is_busy());

    // Of several dropped files, the genotype file is the one opened.
    let cohort = manifest_path("../sample_data/demo_cohort.vcf.gz");
    harness.input_mut().dropped_files.extend([
        Arc::new(DroppedPath(notes)) as egui::DroppedFileHandle,
        Arc::new(DroppedPath(cohort)),
    ]);
    harness.step();
    assert!(harness.state().is_busy());
    run_until_idle(&mut harness);
    assert_eq!(harness.state().loaded_shape(), Some((600, 10_946)));
    harness.get_by_label("demo_cohort.vcf.gz");
    // No phenotypes were dropped, and the screen says how to add them.
    harness.get_by_label("add a phenotype file to see them");
}

#[test]
fn phenotypes_join_to_the_loaded_samples() -> Result<(), std::io::Error> {
    let reader: ReadFn = Arc::new(|path, _options, _job| Ok(tiny_dataset(path, 4)));
    let mut harness = harness_with(Some(reader));
    harness.run();
    harness
        .state_mut()
        .open_genotypes(PathBuf::from("/data/four.vcf"), None);
    run_until_idle(&mut harness);
    harness.get_by_label("add a phenotype file to see them");
    harness.get_by_role_and_label(Role::Button, "Add phenotypes…");

    let dir = std::env::temp_dir();
    let good = dir.join(format!("genopriv-gui-{}-good.tsv", std::process::id()));
    std::fs::write(&good, "id\tcase\ns0\t1\ns1\t0\ns2\tNA\nzz\t1\n")?;
    harness.state_mut().open_phenotypes(good.clone());
    run_until_idle(&mut harness);
    // s0 is a case, s1 a control, s2 unknown, s3 has no row, zz is not genotyped.
    for (name, value) in [("Cases", "1"), ("Controls", "1"), ("Unknown status", "1")] {
        assert_eq!(
            value_after(&harness, name).as_deref(),
            Some(value),
            "{name}"
        );
    }
    harness.get_by_label_contains("1 genotyped sample has no phenotype row (e.g. s3)");
    harness.get_by_label_contains(
        "1 phenotype row names a sample that is not in the genotype file (e.g. zz)",
    );

    // A bad table leaves the joined phenotypes in place and says what is wrong.
    let bad = dir.join(format!("genopriv-gui-{}-bad.tsv", std::process::id()));
    std::fs::write(&bad, "id\tcase\ns0\tmaybe\n")?;
    harness.state_mut().open_phenotypes(bad.clone());
    run_until_idle(&mut harness);
    let bad_name = bad
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    harness.get_by_label(&format!("Could not add phenotypes from {bad_name}"));
    harness.get_by_label_contains("column `case` is not numeric");
    harness.get_by_label("Cases");
    std::fs::remove_file(good)?;
    std::fs::remove_file(bad)
}
