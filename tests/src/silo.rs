//! Cross-silo sessions as separate `genopriv silo host` / `silo join` processes:
//! the sites' files, their arguments, starting and finishing them, and the
//! check that every site published the same release. Shared by the session on
//! loopback (`cli_silo`) and the one across network namespaces (`cli_silo_netns`),
//! where each process runs under `ip netns exec`.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use genopriv_core::data::read::read_genotypes;
use genopriv_core::data::{GenotypeMatrix, ReadOptions};
use genopriv_core::job;

use crate::{TestResult, first_300_snps, genopriv_bin, sample_data};

/// How many sites the tests' sessions have.
pub const SITES: usize = 3;

/// The sites' names, the host's first.
pub const NAMES: [&str; SITES] = ["Leeds", "Lyon", "Leiden"];

/// What each joining site agrees to: the host's budget and number of sites.
pub const AGREEMENT: [&str; 4] = ["--epsilon", "5", "--sites", "3"];

/// Site k's part of the demo cohort's first 300 SNPs: every third sample.
pub fn site_files(dir: &Path) -> TestResult<Vec<PathBuf>> {
    let pheno = fs::read_to_string(sample_data("demo_cohort.pheno.tsv"))?;
    let samples: Vec<&str> = pheno
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .collect();
    let mut files = Vec::new();
    for k in 0..SITES {
        let list = dir.join(format!("samples{k}.txt"));
        let mine: Vec<&str> = samples.iter().skip(k).step_by(SITES).copied().collect();
        fs::write(&list, mine.join("\n") + "\n")?;
        let out = dir.join(format!("site{k}.vcf.gz"));
        first_300_snps("demo_cohort.vcf.gz", Some(&list), &out)?;
        files.push(out);
    }
    Ok(files)
}

/// The arguments every site gives: its data, name, outputs and transcript.
pub fn site_args(input: &Path, out_dir: &Path, name: &str) -> Vec<String> {
    vec![
        input.display().to_string(),
        "--pheno".into(),
        sample_data("demo_cohort.pheno.tsv").display().to_string(),
        "--name".into(),
        name.into(),
        "--timeout".into(),
        "120".into(),
        "--out".into(),
        out_dir.join(format!("{name}.vcf.gz")).display().to_string(),
        "--transcript".into(),
        out_dir
            .join(format!("{name}.transcript"))
            .display()
            .to_string(),
    ]
}

/// The host's arguments for the three-site session (tolerance 1, 250
/// synthetic people, a fixed sampling seed), listening on `listen`.
pub fn session_host_args(input: &Path, out_dir: &Path, listen: &str) -> Vec<String> {
    let mut args = site_args(input, out_dir, NAMES[0]);
    args.extend(
        [
            "--sites",
            "3",
            "--tolerance",
            "1",
            "--epsilon",
            "5",
            "--n-synthetic",
            "250",
            "--listen",
            listen,
            "--sampling-seed",
            "9",
            "--wait",
            "120",
        ]
        .map(String::from),
    );
    args
}

/// `genopriv`, in this process's network namespace or, given a name, in that
/// namespace (`ip netns exec` replaces itself with `genopriv`, so the child's
/// id is the site's own).
fn genopriv_in(netns: Option<&str>) -> TestResult<Command> {
    let bin = genopriv_bin()?;
    Ok(match netns {
        None => Command::new(bin),
        Some(name) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", name]).arg(bin);
            command
        }
    })
}

/// A running site. Dropping it before it ended (a failed test) kills it, so
/// that no site outlives its test waiting for peers.
pub struct SiteProcess {
    child: Option<Child>,
    what: String,
}

impl SiteProcess {
    fn spawn(mut command: Command, what: &str) -> TestResult<Self> {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{what} could not be started: {e}"))?;
        Ok(Self {
            child: Some(child),
            what: what.to_owned(),
        })
    }

    /// Waits for the site to end, however it ends.
    pub fn output(mut self) -> TestResult<Output> {
        let child = self.child.take().ok_or("the site was already waited for")?;
        Ok(child.wait_with_output()?)
    }

    /// Waits for the site to end; its (stdout, stderr), or its stderr as the
    /// error if it failed.
    pub fn finish(self) -> TestResult<(String, String)> {
        let what = self.what.clone();
        let out = self.output()?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Err(format!("{what} failed: {stderr}").into());
        }
        Ok((stdout, stderr))
    }
}

impl Drop for SiteProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A started host, with the address and session code it printed.
pub struct Host {
    pub process: SiteProcess,
    pub address: String,
    pub code: String,
    /// The rest of its stdout (read up to the code line).
    pub stdout: BufReader<ChildStdout>,
}

/// Starts `genopriv silo host ARGS` (in `netns` if given) and reads its
/// address and code from its first lines.
pub fn start_host(args: &[String], netns: Option<&str>) -> TestResult<Host> {
    let mut command = genopriv_in(netns)?;
    command.args(["silo", "host"]).args(args);
    let mut process = SiteProcess::spawn(command, "the host")?;
    let stdout = process
        .child
        .as_mut()
        .and_then(|c| c.stdout.take())
        .ok_or("no host stdout")?;
    let mut reader = BufReader::new(stdout);
    let (mut address, mut code) = (None, None);
    let mut line = String::new();
    while code.is_none() {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            let out = process.output()?;
            return Err(
                format!("the host stopped: {}", String::from_utf8_lossy(&out.stderr)).into(),
            );
        }
        if let Some(a) = line.trim().strip_prefix("address: ") {
            address = Some(a.to_owned());
        }
        if let Some(c) = line.trim().strip_prefix("code: ") {
            code = Some(c.to_owned());
        }
    }
    Ok(Host {
        process,
        address: address.ok_or("no address line")?,
        code: code.ok_or("no code line")?,
        stdout: reader,
    })
}

/// Starts `genopriv silo join ADDRESS --session CODE ARGS EXTRA` (in `netns`
/// if given); `what` names it in errors.
pub fn start_join(
    address: &str,
    code: &str,
    args: &[String],
    extra: &[&str],
    netns: Option<&str>,
    what: &str,
) -> TestResult<SiteProcess> {
    let mut command = genopriv_in(netns)?;
    command
        .args(["silo", "join", address, "--session", code])
        .args(args)
        .args(extra);
    SiteProcess::spawn(command, what)
}

/// Waits for the host and then each joining site to succeed: their (stdout,
/// stderr), the host's first, its stdout whole.
pub fn finish_session(host: Host, joiners: Vec<SiteProcess>) -> TestResult<Vec<(String, String)>> {
    let Host {
        process,
        mut stdout,
        ..
    } = host;
    let mut results = vec![process.finish()?];
    if let Some((host_stdout, _)) = results.first_mut() {
        stdout.read_to_string(host_stdout)?;
    }
    for joiner in joiners {
        results.push(joiner.finish()?);
    }
    Ok(results)
}

/// A genotype file as the core reader reads it.
pub fn read_matrix(path: &Path) -> TestResult<GenotypeMatrix> {
    Ok(job::unattended(|job| read_genotypes(path, &ReadOptions::default(), job))?.matrix)
}

/// Every site of the three-site session reported it complete (`results` as
/// [`finish_session`] gives them) and wrote the same synthetic genotypes (read
/// back by the core reader) and phenotypes to `out_dir/<name>.vcf.gz` and
/// `.pheno.tsv`.
pub fn assert_one_release(results: &[(String, String)], out_dir: &Path) -> TestResult {
    assert_eq!(results.len(), SITES);
    for (stdout, _) in results {
        assert!(
            stdout.contains("Session complete: 250 synthetic people x 300 SNPs from 3 sites"),
            "{stdout}"
        );
    }
    let synthetic: Vec<GenotypeMatrix> = NAMES
        .iter()
        .map(|n| read_matrix(&out_dir.join(format!("{n}.vcf.gz"))))
        .collect::<TestResult<_>>()?;
    let (first, others) = synthetic.split_first().ok_or("no sites")?;
    for (other, name) in others.iter().zip(NAMES.iter().skip(1)) {
        assert_eq!(other.n_variants(), first.n_variants(), "{name}");
        for j in 0..other.n_variants() {
            assert_eq!(
                other.packed_row(j),
                first.packed_row(j),
                "{name}: variant {j} differs"
            );
        }
    }
    let phenotypes: Vec<String> = NAMES
        .iter()
        .map(|n| fs::read_to_string(out_dir.join(format!("{n}.pheno.tsv"))))
        .collect::<Result<_, _>>()?;
    assert!(phenotypes.windows(2).all(|w| w[0] == w[1]));
    Ok(())
}
