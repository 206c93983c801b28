//! The Debian package installs and works: cargo-deb packages the `genopriv`
//! binary, `dpkg-deb -x` unpacks it into a scratch root, and the installed copy
//! (1) reads the bundled sample cohort headless with the published counts (600
//! samples, 10,946 variants: `sample_data/README.md`), and (2) opens its window
//! under Xvfb with `--sample-data`, finding the sample in the package (seen in an
//! strace of its file opens), drawing a non-blank screen, opening no socket but its
//! X connection, and writing nothing outside its own settings and cache folders.
//!
//! The package is made from the binary these tests were built with (debug profile,
//! dependencies at opt-level 2) with `cargo deb --profile dev --no-build`: a second,
//! release build would cost CI ten minutes or more. Users build the release package
//! with `cargo deb -p genopriv-app` (README, "Install"). Tools (cargo-deb, dpkg-deb,
//! Xvfb, ImageMagick's `import`/`identify`, xdotool, strace) are required: the test
//! fails, never skips, without them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use genopriv_tests::{TestResult, external, genopriv_bin, sample_data, workspace_root};

/// The demo cohort's size, as `sample_data/README.md` gives it.
const SAMPLES: u64 = 600;
const VARIANTS: u64 = 10_946;

/// Packages the test build's binary into `out_dir` and returns the .deb's path.
fn build_deb(out_dir: &Path) -> TestResult<PathBuf> {
    let bin = genopriv_bin()?;
    let profile_dir = bin.parent().ok_or("the binary has no folder")?;
    let target_dir = profile_dir
        .parent()
        .ok_or("the profile folder has no parent")?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev".to_owned(),
        Some(other) => other.to_owned(),
        None => return Err("the profile folder has no name".into()),
    };
    let deb = out_dir.join("genopriv.deb");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "deb",
            "-p",
            "genopriv-app",
            "--no-build",
            "--fast",
            "--quiet",
        ])
        .args(["--profile", &profile])
        .arg("--output")
        .arg(&deb)
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run `cargo deb`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo deb` failed (is cargo-deb installed? `cargo install cargo-deb --locked`; \
             .ci/run installs it): {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(deb)
}

/// Unpacks `deb` under `root`, as `dpkg -i` would lay it out under `/`.
fn unpack(deb: &Path, root: &Path) -> TestResult {
    external(
        "dpkg-deb",
        ["-x".as_ref(), deb.as_os_str(), root.as_os_str()],
    )?;
    Ok(())
}

#[test]
fn the_deb_installs_and_runs_headless_and_as_a_window() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let deb = build_deb(scratch.path())?;
    let root = scratch.path().join("root");
    unpack(&deb, &root)?;

    // What the package declares and holds.
    let depends = external(
        "dpkg-deb",
        ["-f".as_ref(), deb.as_os_str(), "Depends".as_ref()],
    )?;
    for library in ["libc6", "libgl1", "libxkbcommon-x11-0"] {
        assert!(
            depends.stdout.contains(library),
            "Depends lacks {library}: {}",
            depends.stdout
        );
    }
    let bin = root.join("usr/bin/genopriv");
    let share = root.join("usr/share");
    for file in [
        share.join("applications/genopriv.desktop"),
        share.join("icons/hicolor/256x256/apps/genopriv.png"),
        share.join("doc/genopriv/copyright"),
        share.join("doc/genopriv/LICENSE-APACHE"),
        share.join("doc/genopriv/THIRD-PARTY-NOTICES.txt"),
        share.join("genopriv/sample_data/demo_cohort.pheno.tsv"),
        share.join("genopriv/sample_data/demo_reference_panel.vcf.gz"),
    ] {
        assert!(file.is_file(), "the package lacks {}", file.display());
    }
    let installed_cohort = share.join("genopriv/sample_data/demo_cohort.vcf.gz");
    assert_eq!(
        fs::read(&installed_cohort)?,
        fs::read(sample_data("demo_cohort.vcf.gz"))?,
        "the packaged sample cohort differs from sample_data/"
    );

    // The installed binary, headless.
    let bin_name = bin.to_str().ok_or("the scratch path is not UTF-8")?;
    let version = external(bin_name, ["--version"])?;
    assert!(
        version
            .stdout
            .starts_with(&format!("genopriv {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{}",
        version.stdout
    );
    let inspect = external(
        bin_name,
        [
            "inspect".as_ref(),
            installed_cohort.as_os_str(),
            "--json".as_ref(),
        ],
    )?;
    let summary: serde_json::Value = serde_json::from_str(&inspect.stdout)?;
    assert_eq!(summary["n_samples"].as_u64(), Some(SAMPLES), "{summary}");
    assert_eq!(summary["n_variants"].as_u64(), Some(VARIANTS), "{summary}");

    installed_window(&bin, &root, scratch.path())
}

/// An X server on a free display; killed when dropped.
struct VirtualDisplay {
    server: Child,
    display: String,
}

impl VirtualDisplay {
    fn start() -> TestResult<Self> {
        // `-displayfd 1` makes Xvfb pick a free display and print its number.
        let mut server = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start Xvfb (apt-get install xvfb): {e}"))?;
        let mut number = String::new();
        if let Some(stdout) = server.stdout.as_mut() {
            use std::io::Read;
            let mut byte = [0u8; 1];
            while stdout.read(&mut byte)? == 1 && byte[0] != b'\n' {
                number.push(char::from(byte[0]));
            }
        }
        if number.trim().is_empty() {
            let _ = server.kill();
            return Err("Xvfb did not report its display number".into());
        }
        Ok(Self {
            server,
            display: format!(":{}", number.trim()),
        })
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Starts the installed window with the sample cohort under strace, waits for it
/// to draw, takes a screenshot and checks it, then stops the window and reads
/// the trace.
fn installed_window(bin: &Path, root: &Path, scratch: &Path) -> TestResult {
    let display = VirtualDisplay::start()?;
    let home = scratch.join("home");
    fs::create_dir_all(&home)?;
    let trace = scratch.join("gui.strace");
    let mut strace = Command::new("strace")
        .args(["-f", "-e", "trace=network,openat,open,creat"])
        .arg("-o")
        .arg(&trace)
        .arg(bin)
        .arg("--sample-data")
        .env("DISPLAY", &display.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", &home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_STATE_HOME")
        .env_remove("GENOPRIV_SAMPLE_DATA")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        // Mesa (the system's GL driver, not GenoPriv) caches compiled shaders in
        // the passwd home, whatever HOME says: point it at the scratch home too.
        .env(
            "MESA_SHADER_CACHE_DIR",
            home.join(".cache/mesa_shader_cache"),
        )
        .current_dir(scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start strace (apt-get install strace): {e}"))?;

    let shot = scratch.join("window.png");
    let colours = screenshot_when_drawn(&display.display, &shot);
    // Stop the window (the traced child of strace, by its id) whatever happened.
    let stopped = stop_traced_child(&strace);
    strace.wait()?;
    let colours = colours?;
    stopped?;
    assert!(
        colours > 64,
        "the installed window looks blank: {colours} colours in {}",
        shot.display()
    );

    let trace = fs::read_to_string(&trace)?;
    // strace writes the window's end to the trace: our SIGTERM, not a crash.
    assert!(
        trace.contains("+++ killed by SIGTERM +++"),
        "the window ended on its own: {}",
        trace.lines().last().unwrap_or_default()
    );
    let installed_sample = root.join("usr/share/genopriv/sample_data/demo_cohort.vcf.gz");
    let installed_sample = installed_sample.canonicalize()?;
    assert!(
        trace.contains(&format!("\"{}\"", installed_sample.display())),
        "the window did not open the packaged sample {}",
        installed_sample.display()
    );
    for line in trace.lines() {
        if line.contains("socket(") {
            assert!(line.contains("AF_UNIX"), "a non-local socket: {line}");
        }
    }
    for written in written_paths(&trace) {
        let allowed = written.starts_with(&home)
            || written.starts_with("/dev/")
            || written.starts_with("/proc/")
            || written.starts_with("/sys/");
        assert!(allowed, "the window wrote to {}", written.display());
    }
    Ok(())
}

/// Polls until the window is mapped and has drawn more than a flat background
/// (the sample loads in the background), then returns the screenshot's colour
/// count; gives up after three minutes (a debug build under strace, with software
/// OpenGL on a busy 2-core machine, has taken more than one).
fn screenshot_when_drawn(display: &str, shot: &Path) -> TestResult<u64> {
    let started = Instant::now();
    let mut colours = 0;
    while started.elapsed() < Duration::from_secs(180) {
        sleep(Duration::from_millis(1000));
        let window = Command::new("xdotool")
            .args(["search", "--name", "^GenoPriv$"])
            .env("DISPLAY", display)
            .output()
            .map_err(|e| format!("could not run xdotool (apt-get install xdotool): {e}"))?;
        if !window.status.success() {
            continue;
        }
        external(
            "import",
            [
                "-display".as_ref(),
                display.as_ref(),
                "-window".as_ref(),
                "root".as_ref(),
                shot.as_os_str(),
            ],
        )?;
        let count = external(
            "identify",
            ["-format".as_ref(), "%k".as_ref(), shot.as_os_str()],
        )?;
        colours = count.stdout.trim().parse()?;
        if colours > 64 {
            // Give the sample's summary time to arrive, then take the final shot.
            sleep(Duration::from_secs(3));
            external(
                "import",
                [
                    "-display".as_ref(),
                    display.as_ref(),
                    "-window".as_ref(),
                    "root".as_ref(),
                    shot.as_os_str(),
                ],
            )?;
            let count = external(
                "identify",
                ["-format".as_ref(), "%k".as_ref(), shot.as_os_str()],
            )?;
            return Ok(count.stdout.trim().parse()?);
        }
    }
    Err(format!("no drawn GenoPriv window within three minutes ({colours} colours)").into())
}

/// Sends SIGTERM to the program strace runs (its child, by process id).
fn stop_traced_child(strace: &Child) -> TestResult {
    let children = fs::read_to_string(format!("/proc/{0}/task/{0}/children", strace.id()))?;
    let pid = children
        .split_whitespace()
        .next()
        .ok_or("strace has no child: the window is gone")?;
    external("kill", ["-TERM", pid])?;
    Ok(())
}

/// Files the trace opened for writing (or created).
fn written_paths(trace: &str) -> Vec<PathBuf> {
    trace
        .lines()
        .filter(|l| {
            (l.contains("openat(") || l.contains("open(") || l.contains("creat("))
                && (l.contains("O_WRONLY") || l.contains("O_RDWR") || l.contains("creat("))
                && !l.contains("= -1 ")
        })
        .filter_map(|l| {
            let start = l.find('"')? + 1;
            let end = start + l.get(start..)?.find('"')?;
            l.get(start..end).map(PathBuf::from)
        })
        .collect()
}

/// The shipped notices (generated by cargo-about, refreshed by hand: README,
/// "Install") are not stale: every third-party crate in the binary's dependency
/// graph, as `cargo tree` resolves it from `Cargo.lock` for every platform a
/// package is made for, is listed with its exact version.
#[test]
fn third_party_notices_cover_every_shipped_crate() -> TestResult {
    let notices = fs::read_to_string(workspace_root().join("packaging/THIRD-PARTY-NOTICES.txt"))?;
    let listed: std::collections::HashSet<&str> = notices.lines().map(str::trim).collect();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut missing = Vec::new();
    for target in [
        "x86_64-unknown-linux-gnu",
        "x86_64-pc-windows-msvc",
        "aarch64-apple-darwin",
    ] {
        let tree = Command::new(&cargo)
            .args([
                "tree",
                "-p",
                "genopriv-app",
                "-e",
                "normal",
                "--prefix",
                "none",
            ])
            .args(["--offline", "--locked", "-f", "{p}", "--target", target])
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .output()?;
        if !tree.status.success() {
            return Err(format!(
                "`cargo tree` failed: {}",
                String::from_utf8_lossy(&tree.stderr)
            )
            .into());
        }
        for line in String::from_utf8(tree.stdout)?.lines() {
            // `name vX.Y.Z [(path) | (proc-macro)] [(*)]`
            let mut words = line.split_whitespace();
            let (Some(name), Some(version)) = (words.next(), words.next()) else {
                continue;
            };
            let rest: Vec<&str> = words.collect();
            let first_party = rest.iter().any(|w| w.starts_with("(/"));
            let build_only = rest.contains(&"(proc-macro)");
            let entry = format!("{name} {}", version.trim_start_matches('v'));
            if !first_party && !build_only && !listed.contains(entry.as_str()) {
                missing.push(entry);
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "packaging/THIRD-PARTY-NOTICES.txt is stale; regenerate it (README, \"Install\"). \
         Missing: {missing:?}"
    );
    Ok(())
}
