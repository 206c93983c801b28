//! GenoPriv never touches the network: every headless flow runs under
//! `strace -f -e trace=network`, and the trace must hold no network system call
//! at all (no socket, not even a local one). strace must be installed (CI
//! installs it); the test fails, never skips, without it.

use std::fs;
use std::path::Path;

use genopriv_tests::{TestResult, external, genopriv_bin, sample_data};

/// Runs `genopriv args` under strace and returns the network calls it made.
fn network_calls(args: &[&std::ffi::OsStr], trace: &Path) -> TestResult<Vec<String>> {
    let bin = genopriv_bin()?;
    let mut strace_args: Vec<&std::ffi::OsStr> = vec![
        "-f".as_ref(),
        "-e".as_ref(),
        "trace=network".as_ref(),
        "-o".as_ref(),
        trace.as_os_str(),
        bin.as_os_str(),
    ];
    strace_args.extend_from_slice(args);
    external("strace", strace_args)?;
    Ok(calls_in(&fs::read_to_string(trace)?))
}

/// The system calls of a trace: lines are `<pid> <call>(...)`, apart from
/// `<pid> +++ exited ...` and `<pid> --- SIG... ---`.
fn calls_in(trace: &str) -> Vec<String> {
    trace
        .lines()
        .filter(|l| {
            let call = l.split_whitespace().nth(1).unwrap_or_default();
            !(call.starts_with("+++") || call.starts_with("---"))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn headless_flows_make_no_network_call() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = |name: &str| dir.path().join(name);
    let cohort = sample_data("demo_cohort.vcf.gz");
    let panel = sample_data("demo_reference_panel.vcf.gz");
    let pheno = sample_data("demo_cohort.pheno.tsv");
    let (shared, report, freq, gwas, sweep) = (
        out("shared.vcf.gz"),
        out("shared.json"),
        out("freq.tsv"),
        out("gwas.tsv"),
        out("sweep.csv"),
    );
    let flows: Vec<(&str, Vec<&std::ffi::OsStr>)> = vec![
        (
            "inspect",
            vec!["inspect".as_ref(), cohort.as_os_str(), "--json".as_ref()],
        ),
        (
            "freq",
            vec![
                "freq".as_ref(),
                cohort.as_os_str(),
                "--out".as_ref(),
                freq.as_os_str(),
            ],
        ),
        (
            "gwas",
            vec![
                "gwas".as_ref(),
                cohort.as_os_str(),
                "--pheno".as_ref(),
                pheno.as_os_str(),
                "--out".as_ref(),
                gwas.as_os_str(),
            ],
        ),
        (
            // A release: noise from the OS random source, not a seed.
            "share",
            vec![
                "share".as_ref(),
                cohort.as_os_str(),
                "--reference".as_ref(),
                panel.as_os_str(),
                "--pheno".as_ref(),
                pheno.as_os_str(),
                "--epsilon-per-snp".as_ref(),
                "2".as_ref(),
                "--out".as_ref(),
                shared.as_os_str(),
                "--report".as_ref(),
                report.as_os_str(),
            ],
        ),
        (
            "sweep",
            vec![
                "sweep".as_ref(),
                cohort.as_os_str(),
                "--reference".as_ref(),
                panel.as_os_str(),
                "--epsilons".as_ref(),
                "1,8".as_ref(),
                "--per-snp".as_ref(),
                "--repeats".as_ref(),
                "1".as_ref(),
                "--out".as_ref(),
                sweep.as_os_str(),
            ],
        ),
        (
            "accountant",
            vec![
                "accountant".as_ref(),
                "--sampling-rate".as_ref(),
                "0.01".as_ref(),
                "--noise-multiplier".as_ref(),
                "1".as_ref(),
                "--steps".as_ref(),
                "100".as_ref(),
                "--delta".as_ref(),
                "1e-5".as_ref(),
            ],
        ),
    ];
    for (name, args) in flows {
        let calls = network_calls(&args, &out(&format!("{name}.strace")))?;
        assert!(
            calls.is_empty(),
            "`genopriv {name}` made network calls: {calls:?}"
        );
    }
    // The flows really ran: their outputs exist.
    for file in [&shared, &report, &freq, &gwas, &sweep] {
        assert!(file.is_file(), "{} was not written", file.display());
    }
    Ok(())
}

/// The check can fail: a program that does open a socket is caught (bash's
/// `/dev/tcp` opens one; nothing needs to listen).
#[test]
fn the_trace_catches_a_socket() -> TestResult {
    let dir = tempfile::tempdir()?;
    let trace = dir.path().join("bash.strace");
    external(
        "strace",
        [
            "-f".as_ref(),
            "-e".as_ref(),
            "trace=network".as_ref(),
            "-o".as_ref(),
            trace.as_os_str(),
            "bash".as_ref(),
            "-c".as_ref(),
            ": < /dev/tcp/127.0.0.1/9; true".as_ref(),
        ],
    )?;
    let calls = calls_in(&fs::read_to_string(&trace)?);
    assert!(
        calls.iter().any(|c| c.contains("socket(")),
        "no socket call seen: {calls:?}"
    );
    Ok(())
}
