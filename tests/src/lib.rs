//! Helpers shared by the end-to-end tests: where the `genopriv` binary, the sample
//! data and the external reference tools are, and how to run them.
//!
//! Finding the binary: Cargo sets `CARGO_BIN_EXE_<name>` only for tests of the
//! package that owns the binary, and this package does not own it. Integration test
//! executables live in `<target>/<profile>/deps/`, and Cargo puts the binaries of the
//! same build in `<target>/<profile>/`, so [`genopriv_bin`] looks there (the same
//! rule `assert_cmd` uses). `cargo test --workspace` (the README's and CI's test
//! command) builds the binary first; when running only this package, build it with
//! `cargo build -p genopriv-app` first. `GENOPRIV_BIN` overrides the location.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod silo;

pub type TestResult<T = ()> = Result<T, Box<dyn Error>>;

/// The workspace root (the parent of this package's folder).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// A file of `sample_data/`.
pub fn sample_data(name: &str) -> PathBuf {
    workspace_root().join("sample_data").join(name)
}

/// A file of this package's `data/` folder (e.g. `bad/empty.vcf`).
pub fn test_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

/// The `genopriv` binary built with these tests.
pub fn genopriv_bin() -> TestResult<PathBuf> {
    if let Some(path) = std::env::var_os("GENOPRIV_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let deps = exe
        .parent()
        .ok_or("the test executable has no parent folder")?;
    let profile_dir = if deps.ends_with("deps") {
        deps.parent()
            .ok_or("the deps folder has no parent folder")?
    } else {
        deps
    };
    let bin = profile_dir.join(format!("genopriv{}", std::env::consts::EXE_SUFFIX));
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "the genopriv binary is not at {}; run `cargo test --workspace`, or \
             `cargo build -p genopriv-app` before testing this package alone",
            bin.display()
        )
        .into())
    }
}

/// What a finished command printed and how it ended.
pub struct Run {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Self {
            success: out.status.success(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `genopriv` with `args` (stdin closed; stdout and stderr captured).
pub fn genopriv<I, S>(args: I) -> TestResult<Run>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(genopriv_bin()?)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()?;
    Ok(out.into())
}

/// Runs `genopriv` and fails (with its stderr) unless it succeeds.
pub fn genopriv_ok<I, S>(args: I) -> TestResult<Run>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let run = genopriv(args)?;
    if !run.success {
        return Err(format!("genopriv failed ({:?}): {}", run.code, run.stderr).into());
    }
    Ok(run)
}

/// Runs an external reference tool (`plink1.9`, `bcftools`...), failing loudly if
/// it is not installed or does not succeed: these comparisons must never be skipped.
pub fn external<I, S>(tool: &str, args: I) -> TestResult<Run>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(tool)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "could not run `{tool}` ({e}); the tests compare with it, so install it \
                 (Debian/Ubuntu: apt-get install plink1.9 bcftools tabix)"
            )
        })?;
    let run = Run::from(out);
    if !run.success {
        return Err(format!(
            "`{tool}` failed ({:?}): {}{}",
            run.code, run.stdout, run.stderr
        )
        .into());
    }
    Ok(run)
}

/// Splits a whitespace-aligned table (PLINK 1.9 reports) into header and rows.
pub fn whitespace_table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let split = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let header = lines.next().map(split).unwrap_or_default();
    (header, lines.map(split).collect())
}

/// The files in `dir` (names only), sorted: for checking that nothing was left.
pub fn files_in(dir: &Path) -> TestResult<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// The bcftools filter that keeps the demo data's first 300 SNPs (positions up to
/// 109,002): the small cohort most end-to-end tests use, so that each runs in seconds.
const FIRST_300_SNPS: &str = "POS<=109002";

/// Writes the first 300 SNPs of a `sample_data/` VCF to `out` (BGZF VCF), cut by
/// bcftools, keeping only the samples listed in `samples` if given.
pub fn first_300_snps(name: &str, samples: Option<&Path>, out: &Path) -> TestResult {
    let source = sample_data(name);
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["view".as_ref(), "-i".as_ref(), FIRST_300_SNPS.as_ref()];
    if let Some(list) = samples {
        args.extend(["-S".as_ref(), list.as_os_str()]);
    }
    args.extend([
        "-Oz".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        source.as_os_str(),
    ]);
    external("bcftools", args)?;
    Ok(())
}
