//! Cross-silo overhead: the same cohort synthesized by one site holding all of
//! it, and by three sites holding a third each in a session on loopback (host
//! and two joining sites as threads of this process). Prints both wall times,
//! the overhead and the host's stages. Size: 3,000 × 20,000 by default,
//! `GENOPRIV_BENCH_FULL=1` for 10,000 × 100,000.
//!
//! On one machine the three sites fit and sample at the same time on the same
//! cores, work that real sites do on their own machines; the host's stages
//! show how much of the session is that duplicated compute and how much is the
//! protocol (keys, masks, transfers, waiting).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::time::{Duration, Instant};

mod support;

use genopriv_core::data::GenotypeMatrix;
use genopriv_core::job::{self, CancelToken, Job};
use genopriv_core::synthesis::silo::{
    Agreement, SessionOptions, SiloHost, SiloParameters, SiteInput, join,
};
use genopriv_core::synthesis::simulate::{SimulationParameters, simulate_cohort};
use genopriv_core::synthesis::{
    EstimatorOptions, MissingPolicy, SeedPolicy, Structure, SynthesisConfig, synthesize,
};
use support::StageClock;

fn main() {
    let full = std::env::var("GENOPRIV_BENCH_FULL").is_ok_and(|v| v == "1");
    let (n, d) = if full {
        (10_000, 100_000)
    } else {
        (3_000, 20_000)
    };
    let (pooled, labels) = simulate_cohort(&SimulationParameters {
        n_samples: n,
        n_snps: d,
        ..SimulationParameters::default()
    });
    let estimator = EstimatorOptions::default();

    // One site with everything.
    let config = SynthesisConfig {
        epsilon: 3.0,
        delta: 1e-6,
        structure: Structure::TanChain,
        missing: MissingPolicy::Reject,
        n_classes: 2,
        n_synthetic: n,
        estimator,
        seed: SeedPolicy::Study { seed: 1 },
    };
    let clock = StageClock::default();
    let cancel = CancelToken::new();
    let started = Instant::now();
    if let Err(e) = synthesize(&pooled, Some(&labels), &config, Job::new(&clock, &cancel)) {
        eprintln!("local synthesis failed: {e}");
        return;
    }
    let local = started.elapsed().as_secs_f64();
    eprintln!("one site, {n} x {d}: {local:.2} s");
    clock.print(Instant::now());

    // Three sites, a third each.
    let third = n / 3;
    let parts: Vec<(GenotypeMatrix, Vec<bool>)> = (0..3)
        .map(|k| {
            let rows: Vec<usize> = (k * third..if k == 2 { n } else { (k + 1) * third }).collect();
            (
                pooled.select_samples(&rows),
                rows.iter().map(|&r| labels[r] == 1).collect(),
            )
        })
        .collect();
    let parameters = SiloParameters {
        epsilon: 3.0,
        delta: 1e-6,
        structure: Structure::TanChain,
        sites: 3,
        tolerance: 1,
        n_synthetic: n,
        estimator,
    };
    let listen = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));
    let host = match SiloHost::bind(listen, pooled.variants().to_vec(), &parameters, Some(1)) {
        Ok(host) => host,
        Err(e) => {
            eprintln!("the session could not open: {e}");
            return;
        }
    };
    let (Ok(address), code) = (host.local_addr(), host.code()) else {
        return;
    };
    let site = |k: usize| SiteInput {
        name: format!("site {}", k + 1),
        matrix: &parts[k].0,
        is_case: &parts[k].1,
        source: Path::new("simulated"),
        inputs: Vec::new(),
        noise_seed: Some(k as u64),
    };
    let options = || SessionOptions::new(Duration::from_secs(600), Duration::from_secs(60));
    let host_clock = StageClock::default();
    let started = Instant::now();
    let outcomes = std::thread::scope(|scope| {
        let hosting = scope.spawn(|| host.run(site(0), options(), Job::new(&host_clock, &cancel)));
        let joiners: Vec<_> = (1..3)
            .map(|k| {
                let site = &site;
                let options = &options;
                scope.spawn(move || {
                    let agreement = Agreement {
                        epsilon: 3.0,
                        delta: None,
                        sites: Some(3),
                        min_tolerance: None,
                    };
                    job::unattended(|job| join(address, &code, &agreement, site(k), options(), job))
                })
            })
            .collect();
        let host_result = hosting.join();
        let joined: Vec<_> = joiners.into_iter().map(|j| j.join()).collect();
        (host_result, joined)
    });
    let session = started.elapsed().as_secs_f64();
    match outcomes {
        (Ok(Ok(_)), joined) if joined.iter().all(|j| matches!(j, Ok(Ok(_)))) => {
            eprintln!(
                "three sites on loopback: {session:.2} s, {:+.0} % against one site",
                100.0 * (session / local - 1.0)
            );
            eprintln!("  host's stages:");
            host_clock.print(Instant::now());
        }
        _ => eprintln!("the session failed"),
    }
}
