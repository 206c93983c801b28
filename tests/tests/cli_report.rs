//! `genopriv report` end to end on a seeded project: every chosen section and
//! no other, no external resource and no forbidden wording in the HTML, and a
//! real browser (headless Chromium) renders it with no failed or refused request.

mod project_fixture;

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Command;

use genopriv_tests::{TestResult, genopriv, genopriv_ok};

const SECTIONS: [&str; 9] = [
    "label",
    "decision",
    "utility-risk",
    "assumptions",
    "epsilon",
    "checksums",
    "software",
    "seeds",
    "signoff",
];

fn report(project: &Path, out: &Path, sections: Option<&str>) -> TestResult<String> {
    let mut args = vec![
        "report".as_ref(),
        project.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    if let Some(list) = sections {
        args.push(OsStr::new("--sections"));
        args.push(OsStr::new(list));
    }
    genopriv_ok(args)?;
    Ok(fs::read_to_string(out)?)
}

/// Everything that could make a browser fetch something.
fn external_references(html: &str) -> Vec<String> {
    let lower = html.to_lowercase();
    let mut found = Vec::new();
    for needle in [
        "http:",
        "https:",
        "//",
        "src=",
        "<link",
        "<script",
        "<img",
        "<iframe",
        "<object",
        "@import",
        "@font-face",
        "ftp:",
        "file:",
    ] {
        if lower.contains(needle) {
            found.push(needle.to_owned());
        }
    }
    // Links and url() may only point inside the document.
    for (i, _) in lower.match_indices("href=\"") {
        if lower.get(i + 6..i + 7) != Some("#") {
            found.push(lower.get(i..i + 30).unwrap_or_default().to_owned());
        }
    }
    for (i, _) in lower.match_indices("url(") {
        if lower.get(i + 4..i + 5) != Some("#") {
            found.push(lower.get(i..i + 30).unwrap_or_default().to_owned());
        }
    }
    found
}

#[test]
fn reports_hold_the_chosen_sections_only_and_nothing_external() -> TestResult {
    let fixture = project_fixture::build(true)?;
    let dir = fixture.dir.path();
    let full = report(&fixture.project, &dir.join("full.html"), None)?;
    for id in SECTIONS {
        assert!(
            full.contains(&format!("<section id=\"{id}\">")),
            "missing {id}"
        );
    }
    assert!(full.contains("Content-Security-Policy"));
    assert!(full.contains("@media print"));
    assert_eq!(external_references(&full), Vec::<String>::new());
    // Trade-off curve (sweep), ROC with the DP ceiling (DP-SGD audit), icon array.
    assert!(full.contains("Trade-off: GWAS SNP retention against epsilon"));
    assert!(full.contains("DP ceiling (epsilon"));
    assert!(full.matches("<svg").count() >= 3);
    // The checksums listed are the project's.
    let project: serde_json::Value = serde_json::from_str(&fs::read_to_string(&fixture.project)?)?;
    for input in project["inputs"].as_array().ok_or("no inputs")? {
        let sha = input["sha256"].as_str().ok_or("no sha256")?;
        assert!(full.contains(sha), "checksum {sha} missing");
    }
    let lower = full.to_lowercase();
    for banned in [
        "anonymous",
        "anonymis",
        "anonymiz",
        "cannot be re-identified",
        "de-identified",
    ] {
        assert!(!lower.contains(banned), "the report says {banned:?}");
    }

    let partial = report(
        &fixture.project,
        &dir.join("partial.html"),
        Some("seeds,label"),
    )?;
    for id in SECTIONS {
        let present = partial.contains(&format!("<section id=\"{id}\">"));
        assert_eq!(present, id == "seeds" || id == "label", "{id}");
    }

    let bad = genopriv([
        "report".as_ref(),
        fixture.project.as_os_str(),
        "--out".as_ref(),
        dir.join("bad.html").as_os_str(),
        "--sections".as_ref(),
        "label,appendix".as_ref(),
    ])?;
    assert!(!bad.success && bad.stderr.contains("`appendix` is not a report section"));
    assert!(!dir.join("bad.html").exists());
    Ok(())
}

/// Runs headless Chromium with the flags that keep it offline and quiet.
fn chromium(profile: &Path, args: &[&OsStr]) -> TestResult<std::process::Output> {
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args);
    let out = command.output().map_err(|e| {
        format!(
            "could not run `chromium` ({e}); this test renders the report in a real browser, \
             so install it (Debian: apt-get install chromium)"
        )
    })?;
    if !out.status.success() {
        return Err(format!("chromium failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(out)
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> TestResult<(u32, u32)> {
    if bytes.get(..8) != Some(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..])
        || bytes.get(12..16) != Some(&b"IHDR"[..])
    {
        return Err("not a PNG file".into());
    }
    let word = |at: usize| -> TestResult<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4).ok_or("short PNG")?.try_into()?;
        Ok(u32::from_be_bytes(b))
    };
    Ok((word(16)?, word(20)?))
}

#[test]
fn chromium_renders_the_report_with_nothing_missing() -> TestResult {
    let fixture = project_fixture::build(false)?;
    let dir = fixture.dir.path();
    let html_path = dir.join("report.html");
    report(&fixture.project, &html_path, None)?;
    let url = format!("file://{}", html_path.canonicalize()?.display());
    let profile = tempfile::tempdir()?;

    let dom = chromium(profile.path(), &["--dump-dom".as_ref(), url.as_ref()])?;
    let rendered = String::from_utf8_lossy(&dom.stdout);
    assert!(rendered.contains("Privacy review of a genomic data release"));
    assert!(rendered.contains("<section id=\"signoff\">"));
    assert!(rendered.contains("<svg"));
    let log = String::from_utf8_lossy(&dom.stderr);
    for failure in [
        "Failed to load resource",
        "Refused to",
        "net::ERR_",
        "Uncaught",
    ] {
        assert!(!log.contains(failure), "chromium logged {failure:?}: {log}");
    }

    let png = dir.join("report.png");
    let shot = chromium(
        profile.path(),
        &[
            format!("--screenshot={}", png.display()).as_ref(),
            "--window-size=1100,2600".as_ref(),
            url.as_ref(),
        ],
    )?;
    let log = String::from_utf8_lossy(&shot.stderr);
    assert!(!log.contains("Failed to load resource"), "{log}");
    let bytes = fs::read(&png)?;
    assert_eq!(png_size(&bytes)?, (1100, 2600));
    // A blank page of the same size compresses to almost nothing; the report's
    // text, tables and charts cannot.
    let blank_html = dir.join("blank.html");
    fs::write(&blank_html, "<!DOCTYPE html><html><body></body></html>")?;
    let blank_png = dir.join("blank.png");
    chromium(
        profile.path(),
        &[
            format!("--screenshot={}", blank_png.display()).as_ref(),
            "--window-size=1100,2600".as_ref(),
            format!("file://{}", blank_html.display()).as_ref(),
        ],
    )?;
    let blank = fs::metadata(&blank_png)?.len();
    assert!(
        bytes.len() as u64 > 20 * blank,
        "the screenshot ({} bytes) is barely larger than a blank page ({blank} bytes)",
        bytes.len()
    );
    if let Some(keep) = std::env::var_os("GENOPRIV_REPORT_SCREENSHOT") {
        fs::copy(&png, keep)?;
    }
    Ok(())
}
