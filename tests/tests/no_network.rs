//! GenoPriv never touches the network: every headless flow (inspect, freq, gwas,
//! convert, share, sweep, accountant, audit model, simulate, synth, and a
//! project's run and report) runs under
//! `strace -f -e trace=network`, and the trace must hold no network system call
//! at all (no socket, not even a local one). strace must be installed (CI
//! installs it); the test fails, never skips, without it. The desktop window is
//! traced by `install_deb.rs`, from the installed package (it needs its X
//! connection, a local socket, and nothing else).

mod project_fixture;

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
/// `<pid> +++ exited ...`, `<pid> --- SIG... ---` and `<pid> ???( <unfinished ...>`:
/// strace prints the last for a thread caught in a system call it could not name
/// when the process exited, whatever the filter (a worker thread's futex wait; a
/// network call would be named, in this line or in its `<... resumed>` line).
fn calls_in(trace: &str) -> Vec<String> {
    trace
        .lines()
        .filter(|l| {
            let call = l.split_whitespace().nth(1).unwrap_or_default();
            let unnamed = call.starts_with("???(") && l.ends_with("<unfinished ...>");
            !(call.starts_with("+++") || call.starts_with("---") || unnamed)
        })
        .map(str::to_owned)
        .collect()
}

/// The cohort's first 400 SNPs (one chromosome), cut by bcftools: enough for a
/// quick model audit.
fn cohort_subset(dir: &Path) -> TestResult<std::path::PathBuf> {
    let cohort = sample_data("demo_cohort.vcf.gz");
    let positions = external(
        "bcftools",
        [
            "query".as_ref(),
            "-f".as_ref(),
            "%CHROM\t%POS\n".as_ref(),
            cohort.as_os_str(),
        ],
    )?;
    let last = positions
        .stdout
        .lines()
        .nth(399)
        .ok_or("the demo cohort has fewer than 400 records")?;
    let (chrom, end) = last.split_once('\t').ok_or("bad bcftools query line")?;
    let out = dir.join("subset.vcf.gz");
    external(
        "bcftools",
        [
            "view".as_ref(),
            "-r".as_ref(),
            format!("{chrom}:1-{end}").as_ref(),
            "-Oz".as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
            cohort.as_os_str(),
        ],
    )?;
    Ok(out)
}

#[test]
fn headless_flows_make_no_network_call() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = |name: &str| dir.path().join(name);
    let cohort = sample_data("demo_cohort.vcf.gz");
    let panel = sample_data("demo_reference_panel.vcf.gz");
    let pheno = sample_data("demo_cohort.pheno.tsv");
    let (shared, report, freq, gwas, sweep, converted, audit) = (
        out("shared.vcf.gz"),
        out("shared.json"),
        out("freq.tsv"),
        out("gwas.tsv"),
        out("sweep.csv"),
        out("converted.bed"),
        out("audit"),
    );
    let subset = cohort_subset(dir.path())?;
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
            "convert",
            vec![
                "convert".as_ref(),
                cohort.as_os_str(),
                "--out".as_ref(),
                converted.as_os_str(),
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
        (
            // Small settings: the trace, not the audit, is under test here.
            "audit model",
            vec![
                "audit".as_ref(),
                "model".as_ref(),
                "--input".as_ref(),
                subset.as_os_str(),
                "--pheno".as_ref(),
                pheno.as_os_str(),
                "--attacks".as_ref(),
                "loss,lira,label".as_ref(),
                "--reference-models".as_ref(),
                "4".as_ref(),
                "--bootstrap".as_ref(),
                "20".as_ref(),
                "--out".as_ref(),
                audit.as_os_str(),
            ],
        ),
    ];
    for (name, args) in flows {
        let trace = out(&format!("{}.strace", name.replace(' ', "_")));
        let calls = network_calls(&args, &trace)?;
        assert!(
            calls.is_empty(),
            "`genopriv {name}` made network calls: {calls:?}"
        );
    }
    // The flows really ran: their outputs exist.
    let audit_summary = audit.join("summary.json");
    for file in [
        &shared,
        &report,
        &freq,
        &gwas,
        &sweep,
        &converted,
        &audit_summary,
    ] {
        assert!(file.is_file(), "{} was not written", file.display());
    }
    Ok(())
}

#[test]
fn simulation_synthesis_and_project_flows_make_no_network_call() -> TestResult {
    let fixture = project_fixture::build(false)?;
    let dir = fixture.dir.path();
    let out = |name: &str| dir.join(name);
    let (sim, sim_pheno, synthetic, synth_report, html) = (
        out("sim.vcf.gz"),
        out("sim.pheno.tsv"),
        out("synthetic.vcf.gz"),
        out("synth.json"),
        out("report.html"),
    );
    let flows: Vec<(&str, Vec<&std::ffi::OsStr>)> = vec![
        (
            "simulate",
            vec![
                "simulate".as_ref(),
                "--samples".as_ref(),
                "200".as_ref(),
                "--snps".as_ref(),
                "100".as_ref(),
                "--out".as_ref(),
                sim.as_os_str(),
                "--pheno-out".as_ref(),
                sim_pheno.as_os_str(),
            ],
        ),
        (
            // A release: the OS random source, not a seed.
            "synth",
            vec![
                "synth".as_ref(),
                sim.as_os_str(),
                "--pheno".as_ref(),
                sim_pheno.as_os_str(),
                "--epsilon".as_ref(),
                "2".as_ref(),
                "--delta".as_ref(),
                "1e-6".as_ref(),
                "--out".as_ref(),
                synthetic.as_os_str(),
                "--report".as_ref(),
                synth_report.as_os_str(),
            ],
        ),
        (
            "run",
            vec![
                "run".as_ref(),
                fixture.project.as_os_str(),
                "--check".as_ref(),
            ],
        ),
        (
            "report",
            vec![
                "report".as_ref(),
                fixture.project.as_os_str(),
                "--out".as_ref(),
                html.as_os_str(),
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
    for file in [&sim, &synthetic, &synth_report, &html] {
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

#[test]
fn unnamed_unfinished_calls_are_not_network_calls() {
    let trace = "11117 ???( <unfinished ...>\n\
                 11117 +++ exited with 0 +++\n\
                 11120 --- SIGCHLD {si_signo=SIGCHLD} ---\n\
                 11121 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3\n\
                 11122 connect(4, {sa_family=AF_INET6}, 28 <unfinished ...>\n\
                 11122 <... connect resumed>) = -1 ENETUNREACH\n";
    let calls = calls_in(trace);
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(calls.iter().all(|c| !c.contains("???")));
}
