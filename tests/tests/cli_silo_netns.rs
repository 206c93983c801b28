//! The three-site session of `cli_silo` with every site in a network namespace
//! of its own, as if on its own machine: the host's namespace is linked to each
//! joining site's by a veth pair (site k's link is 10.77.k.0/30, the host at .1,
//! the site at .2), no link joins two sites and no namespace forwards. The host
//! listens on 0.0.0.0 and each site joins the host's address on its own link.
//! Checked: the session completes with the same synthetic data at all three
//! sites, and the isolation is real: the same join that reaches the host from
//! the host's own namespace through 127.0.0.1 (and is declined there, its budget
//! differing) is refused from a site's namespace, and a site has no route to
//! the host's address on the other site's link.
//!
//! Whether namespaces can be used is probed by doing the first thing the test
//! needs: `ip netns add` of a throw-away name, then deleting it. Checking for
//! root would be wrong both ways (root in a container without CAP_SYS_ADMIN
//! cannot create namespaces; a user granted the capabilities can), checking that
//! `ip` is installed says nothing about permission, and `unshare -n` exercises
//! another path (an unnamed namespace, no /run/netns mount) than the `ip netns`
//! the test uses. Where the probe fails the test says why on stderr and ends;
//! where it succeeds, namespaces are possible, so any later failure (veth
//! pairs, addresses, `ip netns exec`) fails the test rather than skipping it.

use std::fs;
use std::process::{Command, Stdio};

use genopriv_tests::silo::{
    AGREEMENT, NAMES, SITES, SiteProcess, assert_one_release, finish_session, session_host_args,
    site_args, site_files, start_host, start_join,
};
use genopriv_tests::{TestResult, external};

fn ip(args: &[&str]) -> TestResult {
    external("ip", args)?;
    Ok(())
}

/// Why this machine cannot give the test network namespaces, if it cannot.
fn namespaces_unavailable(probe: &str) -> TestResult<Option<String>> {
    let added = Command::new("ip")
        .args(["netns", "add", probe])
        .stdin(Stdio::null())
        .output();
    match added {
        Err(e) => return Ok(Some(format!("`ip` could not be run: {e}"))),
        Ok(out) if !out.status.success() => {
            return Ok(Some(format!(
                "`ip netns add` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(_) => {}
    }
    ip(&["netns", "del", probe])?;
    Ok(None)
}

/// The namespaces of one run, named after the test's process id so that runs
/// do not collide; deleted when dropped, also when the test fails (deleting a
/// namespace deletes the veth ends in it).
struct Star {
    host: String,
    sites: Vec<String>,
    added: Vec<String>,
}

impl Star {
    fn build(pid: u32, sites: usize) -> TestResult<Self> {
        let mut star = Self {
            host: format!("gp-{pid}-host"),
            sites: (1..=sites).map(|k| format!("gp-{pid}-site{k}")).collect(),
            added: Vec::new(),
        };
        for name in std::iter::once(star.host.clone()).chain(star.sites.clone()) {
            ip(&["netns", "add", &name])?;
            star.added.push(name.clone());
            ip(&["-n", &name, "link", "set", "lo", "up"])?;
        }
        for (k, site) in star.sites.iter().enumerate() {
            let host_end = format!("to-site{}", k + 1);
            ip(&[
                "link", "add", &host_end, "netns", &star.host, "type", "veth", "peer", "name",
                "to-host", "netns", site,
            ])?;
            let (host_address, site_address) = Self::link_addresses(k);
            ip(&[
                "-n",
                &star.host,
                "addr",
                "add",
                &format!("{host_address}/30"),
                "dev",
                &host_end,
            ])?;
            ip(&[
                "-n",
                site,
                "addr",
                "add",
                &format!("{site_address}/30"),
                "dev",
                "to-host",
            ])?;
            ip(&["-n", &star.host, "link", "set", &host_end, "up"])?;
            ip(&["-n", site, "link", "set", "to-host", "up"])?;
        }
        Ok(star)
    }

    /// The host's and the site's address on site k's (0-based) link.
    fn link_addresses(k: usize) -> (String, String) {
        (format!("10.77.{}.1", k + 1), format!("10.77.{}.2", k + 1))
    }
}

impl Drop for Star {
    fn drop(&mut self) {
        for name in self.added.iter().rev() {
            if let Err(e) = ip(&["netns", "del", name]) {
                eprintln!("the network namespace {name} could not be deleted: {e}");
            }
        }
    }
}

#[test]
fn sites_in_separate_network_namespaces_publish_one_synthetic_cohort() -> TestResult {
    let pid = std::process::id();
    if let Some(why) = namespaces_unavailable(&format!("gp-{pid}-probe"))? {
        eprintln!(
            "network namespaces are not available here ({why}): the cross-silo test ran on \
             loopback only"
        );
        return Ok(());
    }
    let star = Star::build(pid, SITES - 1)?;
    let dir = tempfile::tempdir()?;
    let files = site_files(dir.path())?;
    let out = dir.path().join("out");
    fs::create_dir(&out)?;
    let host = start_host(
        &session_host_args(&files[0], &out, "0.0.0.0:0"),
        Some(&star.host),
    )?;
    let port = host
        .address
        .strip_prefix("0.0.0.0:")
        .ok_or(format!("the host listens on {}", host.address))?
        .to_owned();

    // One join, agreeing to another budget so that it can only ever be
    // declined, aimed from a namespace at an address.
    let probes = dir.path().join("probes");
    fs::create_dir(&probes)?;
    let probe = |netns: &str, address: &str| -> TestResult<String> {
        let run = start_join(
            &format!("{address}:{port}"),
            &host.code,
            &site_args(&files[1], &probes, "probe"),
            &["--epsilon", "4"],
            Some(netns),
            "a probe",
        )?
        .output()?;
        assert!(!run.status.success(), "a probe joined from {netns}");
        Ok(String::from_utf8_lossy(&run.stderr).into_owned())
    };
    // From the host's namespace, its loopback reaches it...
    let control = probe(&star.host, "127.0.0.1")?;
    assert!(control.contains("epsilon 5 (you agreed to 4)"), "{control}");
    // ...from a site's, the same address is that site's own loopback, where
    // nothing listens...
    let own_loopback = probe(&star.sites[0], "127.0.0.1")?;
    assert!(
        own_loopback.contains("could not be reached") && own_loopback.contains("refused"),
        "{own_loopback}"
    );
    // ...and the host's address on the other site's link has no route.
    let (other_link, _) = Star::link_addresses(1);
    let other = probe(&star.sites[0], &other_link)?;
    assert!(
        other.contains("could not be reached") && other.contains("unreachable"),
        "{other}"
    );

    let joiners: Vec<SiteProcess> = (1..SITES)
        .map(|k| {
            let (host_address, _) = Star::link_addresses(k - 1);
            start_join(
                &format!("{host_address}:{port}"),
                &host.code,
                &site_args(&files[k], &out, NAMES[k]),
                &AGREEMENT,
                Some(&star.sites[k - 1]),
                NAMES[k],
            )
        })
        .collect::<TestResult<_>>()?;
    let results = finish_session(host, joiners)?;
    assert!(
        results[0].1.contains("probe declined"),
        "host stderr: {}",
        results[0].1
    );
    assert_one_release(&results, &out)
}
