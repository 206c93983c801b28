//! The session state machines (spec §5): the host's and a joining site's steps,
//! in lock-step over their channels. Every wait has a deadline; any failure
//! after the sites have gathered ends the session on every site with the reason,
//! and nothing is returned to write.
//!
//! Steps: join (greeting, set-up, ready) → roster → mask keys → masked noisy
//! counts → aggregate → fit and sample locally → fingerprints → commit.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

use super::CrossSiloRecord;
use super::secure_sum::{self, MaskKeys, PublicKey};
use super::setup::{Agreement, SiloParameters, SiloSetup, align_to_panel, panel_sha256};
use super::transport::{self, Channel, HostIdentity, SessionCode, Transcript};
use super::wire::{Message, PROTOCOL_VERSION};
use crate::data::{GenotypeMatrix, Variant};
use crate::error::{Error, Result};
use crate::job::Job;
use crate::synthesis::{
    self, InputHash, Measured, SeedPolicy, Synthesis, SyntheticCohort, measure,
};

/// One site's own data and how it draws its noise.
pub struct SiteInput<'a> {
    /// How the site is named to the others ("Leeds").
    pub name: String,
    pub matrix: &'a GenotypeMatrix,
    /// Case/control status per sample of `matrix`.
    pub is_case: &'a [bool],
    /// The genotype file, for error messages.
    pub source: &'a Path,
    /// Checksums of the site's input files, for its manifest.
    pub inputs: Vec<InputHash>,
    /// Study seed for this site's noise (the release is then marked not for
    /// release on every site); `None` draws from the operating system.
    pub noise_seed: Option<u64>,
}

/// Waits and what to record.
pub struct SessionOptions {
    /// Longest wait for any one step of another site (it includes their
    /// counting and fitting time).
    pub step_timeout: Duration,
    /// Longest wait for all sites to join (host) or for the session to start (site).
    pub join_wait: Duration,
    /// Receives notices that do not end the session ("a connection from … was
    /// turned away: …").
    pub notice: Box<dyn FnMut(&str) + Send>,
    pub transcript: Option<Box<dyn Transcript>>,
}

impl SessionOptions {
    pub fn new(step_timeout: Duration, join_wait: Duration) -> Self {
        Self {
            step_timeout,
            join_wait,
            notice: Box::new(|_| {}),
            transcript: None,
        }
    }
}

/// What a finished session gives each site: the same synthetic data everywhere.
pub struct SiloOutcome {
    pub synthesis: Synthesis,
    /// Names of the contributing sites, the host first.
    pub sites: Vec<String>,
    /// True when any site drew its noise from a study seed.
    pub not_for_release: bool,
}

/// A host that is listening, with the code to hand out.
pub struct SiloHost {
    listener: TcpListener,
    identity: HostIdentity,
    code: SessionCode,
    setup: SiloSetup,
}

impl SiloHost {
    /// Opens the session: listens on `listen`, makes the certificate and the
    /// code, and fixes the public set-up. `sampling_seed` makes the shared
    /// sampling reproducible (tests); otherwise it comes from the OS.
    pub fn bind(
        listen: SocketAddr,
        panel: Vec<Variant>,
        parameters: &SiloParameters,
        sampling_seed: Option<u64>,
    ) -> Result<Self> {
        let random = SystemRandom::new();
        let mut id = [0u8; 16];
        random
            .fill(&mut id)
            .map_err(|_| Error::Session("the operating system's random source failed".into()))?;
        let sampling_seed = match sampling_seed {
            Some(seed) => seed,
            None => {
                let mut bytes = [0u8; 8];
                random.fill(&mut bytes).map_err(|_| {
                    Error::Session("the operating system's random source failed".into())
                })?;
                u64::from_le_bytes(bytes)
            }
        };
        let setup = SiloSetup::new(
            panel,
            parameters,
            data_encoding::HEXLOWER.encode(&id),
            sampling_seed,
        )?;
        let listener = TcpListener::bind(listen)
            .map_err(|e| Error::Session(format!("cannot listen on {listen}: {e}")))?;
        let identity = HostIdentity::generate()?;
        let code = SessionCode::new(&identity)?;
        Ok(Self {
            listener,
            identity,
            code,
            setup,
        })
    }

    pub fn code(&self) -> SessionCode {
        self.code
    }

    /// The address sites connect to (the port is chosen here when 0 was asked).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| Error::Session(format!("the listening address is unknown: {e}")))
    }

    pub fn setup(&self) -> &SiloSetup {
        &self.setup
    }

    /// Runs the session to the end with the host's own data.
    pub fn run(
        self,
        site: SiteInput<'_>,
        mut options: SessionOptions,
        job: Job<'_>,
    ) -> Result<SiloOutcome> {
        let setup = &self.setup;
        job.checkpoint("Counting this site's data", None)?;
        let own = local_tables(setup, &site, job)?;
        let mut sites = self.gather(&site.name, &mut options, job)?;
        let names: Vec<String> = std::iter::once(site.name.clone())
            .chain(sites.iter().map(|s| s.peer.clone()))
            .collect();
        let result = host_steps(setup, &site, own, &names, &mut sites, &mut options, job);
        if let Err(error) = &result {
            let reason = remote_reason(error, &site.name);
            for channel in &mut sites {
                let _ = channel.send(
                    &Message::Abort {
                        reason: reason.clone(),
                    },
                    &mut options.transcript,
                );
            }
        }
        result
    }

    /// Accepts sites until all have joined and are ready, then sends the roster.
    fn gather(
        &self,
        host_name: &str,
        options: &mut SessionOptions,
        job: Job<'_>,
    ) -> Result<Vec<Channel>> {
        let wanted = self.setup.sites - 1;
        let deadline = Instant::now() + options.join_wait;
        self.listener
            .set_nonblocking(true)
            .map_err(|e| Error::Session(format!("the listening socket failed: {e}")))?;
        let mut pending: Vec<Channel> = Vec::new();
        let mut ready: Vec<Channel> = Vec::new();
        let mut names = vec![host_name.to_owned()];
        while ready.len() < wanted {
            job.checkpoint(
                &format!(
                    "Waiting for sites to join: {} of {wanted} ready",
                    ready.len()
                ),
                Some(ready.len() as f32 / wanted as f32),
            )?;
            if Instant::now() >= deadline {
                let reason = format!(
                    "only {} of the {wanted} other sites joined within {} s",
                    ready.len(),
                    options.join_wait.as_secs()
                );
                for channel in pending.iter_mut().chain(ready.iter_mut()) {
                    let _ = channel.send(
                        &Message::Abort {
                            reason: reason.clone(),
                        },
                        &mut options.transcript,
                    );
                }
                return Err(Error::Session(reason));
            }
            match self.listener.accept() {
                Ok((socket, _)) => {
                    match transport::accept(
                        socket,
                        &self.identity,
                        &self.code,
                        options.step_timeout.min(Duration::from_secs(10)),
                        job.cancel,
                    ) {
                        Ok((mut channel, hello)) => {
                            if hello.protocol != PROTOCOL_VERSION {
                                let reason = format!(
                                    "the site runs protocol version {} (GenoPriv {}); this host \
                                     runs version {PROTOCOL_VERSION} (GenoPriv {})",
                                    hello.protocol,
                                    hello.genopriv_version,
                                    env!("CARGO_PKG_VERSION")
                                );
                                (options.notice)(&format!("A site was turned away: {reason}"));
                                let _ = channel
                                    .send(&Message::Abort { reason }, &mut options.transcript);
                                continue;
                            }
                            let name = unique_name(&hello.site_name, &names);
                            channel.peer = name.clone();
                            names.push(name);
                            channel.send(
                                &Message::Welcome {
                                    setup: Box::new(self.setup.clone()),
                                },
                                &mut options.transcript,
                            )?;
                            (options.notice)(&format!(
                                "{} connected; checking the set-up",
                                channel.peer
                            ));
                            pending.push(channel);
                        }
                        Err(Error::Cancelled) => return Err(Error::Cancelled),
                        Err(refusal) => (options.notice)(&refusal.to_string()),
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(Error::Session(format!("accepting a site failed: {e}"))),
            }
            // Pending sites answer Ready or Abort; the ones gone are dropped.
            let mut still_pending = Vec::new();
            for mut channel in pending.drain(..) {
                match channel.poll("a ready signal", &mut options.transcript) {
                    Ok(Some(Message::Ready)) => {
                        (options.notice)(&format!("{} is ready", channel.peer));
                        ready.push(channel);
                    }
                    Ok(Some(Message::Abort { reason })) => {
                        (options.notice)(&format!("{} declined: {reason}", channel.peer));
                    }
                    Ok(Some(other)) => {
                        (options.notice)(&format!(
                            "{} was dropped: it sent {} instead of a ready signal",
                            channel.peer,
                            other.name()
                        ));
                    }
                    Ok(None) => still_pending.push(channel),
                    Err(e) => {
                        (options.notice)(&format!("{} was dropped: {e}", channel.peer));
                    }
                }
            }
            pending = still_pending;
            ready.retain_mut(|channel| {
                let gone = channel.is_closed();
                if gone {
                    (options.notice)(&format!("{} left before the session started", channel.peer));
                }
                !gone
            });
            names.retain(|n| n == host_name || ready.iter().chain(&pending).any(|c| &c.peer == n));
        }
        // Late-comers still checking the set-up are told the session is full.
        for mut channel in pending {
            let _ = channel.send(
                &Message::Abort {
                    reason: "the session already has all its sites".into(),
                },
                &mut options.transcript,
            );
        }
        let roster: Vec<String> = std::iter::once(host_name.to_owned())
            .chain(ready.iter().map(|c| c.peer.clone()))
            .collect();
        for (index, channel) in ready.iter_mut().enumerate() {
            channel.send(
                &Message::Roster {
                    sites: roster.clone(),
                    your_index: index + 1,
                },
                &mut options.transcript,
            )?;
        }
        Ok(ready)
    }
}

fn unique_name(asked: &str, taken: &[String]) -> String {
    let base = if asked.trim().is_empty() {
        format!("site {}", taken.len() + 1)
    } else {
        asked.trim().chars().take(60).collect()
    };
    let mut name = base.clone();
    let mut k = 2;
    while taken.contains(&name) {
        name = format!("{base} ({k})");
        k += 1;
    }
    name
}

/// What another site is told when this one stops: protocol failures verbatim;
/// local data problems without their details, which stay at the site.
fn remote_reason(error: &Error, site: &str) -> String {
    match error {
        Error::Session(message) => message.clone(),
        Error::Cancelled => format!("the session was cancelled at {site}"),
        _ => format!(
            "{site} stopped: its own data or settings failed a check (the details are shown \
             at that site)"
        ),
    }
}

/// The host's steps once every site is ready.
fn host_steps(
    setup: &SiloSetup,
    site: &SiteInput<'_>,
    own: synthesis::CountTables,
    names: &[String],
    sites: &mut [Channel],
    options: &mut SessionOptions,
    job: Job<'_>,
) -> Result<SiloOutcome> {
    let m = setup.sites;
    // Mask keys: collect every site's, hand everyone the full matrix.
    job.checkpoint("Agreeing on masks", None)?;
    let keys = MaskKeys::generate(0, m)?;
    let mut all: Vec<Vec<PublicKey>> = vec![keys.public_keys().to_vec()];
    for channel in sites.iter_mut() {
        let message = receive(channel, options, job, "mask keys")?;
        match message {
            Message::KeyShare { keys } if keys.len() == m => all.push(keys),
            Message::KeyShare { keys } => {
                return Err(malformed(
                    channel,
                    &format!("{} mask keys for {m} sites", keys.len()),
                ));
            }
            other => return Err(unexpected(channel, "mask keys", &other)),
        }
    }
    broadcast(sites, &Message::Keys { keys: all.clone() }, options)?;
    let seeds = keys.pairwise_seeds(&all, setup.session_id.as_bytes())?;

    // Masked noisy counts in, their sum out.
    let shape = own.shape();
    let mut sum = masked_noisy_counts(setup, site, &own, 0, &seeds, job)?;
    drop(own);
    for channel in sites.iter_mut() {
        job.checkpoint(
            &format!("Waiting for {}'s masked counts", channel.peer),
            None,
        )?;
        match receive(channel, options, job, "masked counts")? {
            Message::Masked { values } if values.len() == sum.len() => {
                secure_sum::accumulate(&mut sum, &values)?;
            }
            Message::Masked { values } => {
                return Err(malformed(
                    channel,
                    &format!(
                        "masked counts with {} cells, expected {}",
                        values.len(),
                        sum.len()
                    ),
                ));
            }
            other => return Err(unexpected(channel, "masked counts", &other)),
        }
    }
    broadcast(
        sites,
        &Message::Aggregate {
            values: sum.clone(),
        },
        options,
    )?;

    // Everyone fits and samples; the fingerprints must agree.
    let synthesis = finish(setup, site, &shape, &sum, names, 0, job)?;
    let fingerprint = cohort_sha256(&synthesis.cohort);
    let mut seeded: Vec<String> = Vec::new();
    if site.noise_seed.is_some() {
        seeded.push(names[0].clone());
    }
    for channel in sites.iter_mut() {
        job.checkpoint(&format!("Waiting for {} to finish", channel.peer), None)?;
        match receive(channel, options, job, "a fingerprint of the synthetic data")? {
            Message::Done {
                synthetic_sha256,
                seeded: site_seeded,
            } => {
                if synthetic_sha256 != fingerprint {
                    return Err(Error::Session(format!(
                        "{} drew different synthetic data from the same aggregate (a different \
                         GenoPriv build?): nothing is released",
                        channel.peer
                    )));
                }
                if site_seeded {
                    seeded.push(channel.peer.clone());
                }
            }
            other => {
                return Err(unexpected(
                    channel,
                    "a fingerprint of the synthetic data",
                    &other,
                ));
            }
        }
    }
    broadcast(
        sites,
        &Message::Commit {
            seeded_sites: seeded.clone(),
        },
        options,
    )?;
    Ok(outcome(synthesis, names, seeded))
}

/// A joining site's whole session.
pub fn join(
    address: SocketAddr,
    code: &SessionCode,
    agreement: &Agreement,
    site: SiteInput<'_>,
    mut options: SessionOptions,
    job: Job<'_>,
) -> Result<SiloOutcome> {
    job.checkpoint("Connecting to the host", None)?;
    let mut host = transport::connect(
        address,
        code,
        &site.name,
        options.step_timeout.min(Duration::from_secs(30)),
        &mut options.transcript,
    )?;
    let result = join_steps(&mut host, agreement, &site, &mut options, job);
    if let Err(error) = &result {
        let is_abort_from_host =
            matches!(error, Error::Session(m) if m.starts_with("the session was aborted"));
        if !is_abort_from_host {
            let _ = host.send(
                &Message::Abort {
                    reason: remote_reason(error, &site.name),
                },
                &mut options.transcript,
            );
        }
    }
    result
}

fn join_steps(
    host: &mut Channel,
    agreement: &Agreement,
    site: &SiteInput<'_>,
    options: &mut SessionOptions,
    job: Job<'_>,
) -> Result<SiloOutcome> {
    let setup = match receive(host, options, job, "the set-up")? {
        Message::Welcome { setup } => *setup,
        other => return Err(unexpected(host, "the set-up", &other)),
    };
    setup.check_agreement(agreement)?;
    setup.verify_noise()?;
    (options.notice)(&format!(
        "The host's set-up, checked: {} {}",
        crate::explain::silo::setup_sentence(&setup),
        crate::explain::silo::noise_split_sentence(&setup.noise)
    ));
    job.checkpoint("Counting this site's data", None)?;
    let own = local_tables(&setup, site, job)?;
    host.send(&Message::Ready, &mut options.transcript)?;

    job.checkpoint("Waiting for the other sites to join", None)?;
    let deadline = Instant::now() + options.join_wait;
    let (names, index) = match receive_until(host, options, job, "the list of sites", deadline)? {
        Message::Roster { sites, your_index } if sites.len() == setup.sites => (sites, your_index),
        Message::Roster { sites, .. } => {
            return Err(malformed(
                host,
                &format!(
                    "a list of {} sites for a {}-site session",
                    sites.len(),
                    setup.sites
                ),
            ));
        }
        other => return Err(unexpected(host, "the list of sites", &other)),
    };

    job.checkpoint("Agreeing on masks", None)?;
    let keys = MaskKeys::generate(index, setup.sites)?;
    host.send(
        &Message::KeyShare {
            keys: keys.public_keys().to_vec(),
        },
        &mut options.transcript,
    )?;
    let all = match receive(host, options, job, "everyone's mask keys")? {
        Message::Keys { keys }
            if keys.len() == setup.sites && keys.iter().all(|k| k.len() == setup.sites) =>
        {
            keys
        }
        Message::Keys { .. } => return Err(malformed(host, "a mask-key table of the wrong size")),
        other => return Err(unexpected(host, "everyone's mask keys", &other)),
    };
    let seeds = keys.pairwise_seeds(&all, setup.session_id.as_bytes())?;

    let shape = own.shape();
    let masked = masked_noisy_counts(&setup, site, &own, index, &seeds, job)?;
    let cells = masked.len();
    drop(own);
    host.send(&Message::Masked { values: masked }, &mut options.transcript)?;

    job.checkpoint("Waiting for the aggregate", None)?;
    let sum = match receive(host, options, job, "the aggregate counts")? {
        Message::Aggregate { values } if values.len() == cells => values,
        Message::Aggregate { values } => {
            return Err(malformed(
                host,
                &format!("an aggregate of {} cells, expected {cells}", values.len()),
            ));
        }
        other => return Err(unexpected(host, "the aggregate counts", &other)),
    };
    let synthesis = finish(&setup, site, &shape, &sum, &names, index, job)?;
    host.send(
        &Message::Done {
            synthetic_sha256: cohort_sha256(&synthesis.cohort),
            seeded: site.noise_seed.is_some(),
        },
        &mut options.transcript,
    )?;
    job.checkpoint("Waiting for every site to confirm", None)?;
    match receive(host, options, job, "the go-ahead to write")? {
        Message::Commit { seeded_sites } => Ok(outcome(synthesis, &names, seeded_sites)),
        other => Err(unexpected(host, "the go-ahead to write", &other)),
    }
}

fn outcome(mut synthesis: Synthesis, names: &[String], seeded: Vec<String>) -> SiloOutcome {
    let not_for_release = !seeded.is_empty();
    if let Some(record) = synthesis.manifest.cross_silo.as_mut() {
        record.seeded_sites = seeded;
    }
    SiloOutcome {
        synthesis,
        sites: names.to_vec(),
        not_for_release,
    }
}

fn receive(
    channel: &mut Channel,
    options: &mut SessionOptions,
    job: Job<'_>,
    what: &str,
) -> Result<Message> {
    let deadline = Instant::now() + options.step_timeout;
    receive_until(channel, options, job, what, deadline)
}

/// The next message; an abort from the other side becomes this site's error.
fn receive_until(
    channel: &mut Channel,
    options: &mut SessionOptions,
    job: Job<'_>,
    what: &str,
    deadline: Instant,
) -> Result<Message> {
    match channel.receive(deadline, job.cancel, what, &mut options.transcript)? {
        Message::Abort { reason } => Err(Error::Session(format!(
            "the session was aborted by {}: {reason}",
            channel.peer
        ))),
        message => Ok(message),
    }
}

fn broadcast(sites: &mut [Channel], message: &Message, options: &mut SessionOptions) -> Result<()> {
    for channel in sites {
        channel.send(message, &mut options.transcript)?;
    }
    Ok(())
}

fn malformed(channel: &Channel, what: &str) -> Error {
    Error::Session(format!("{} sent a malformed message: {what}", channel.peer))
}

fn unexpected(channel: &Channel, expected: &str, got: &Message) -> Error {
    Error::Session(format!(
        "{} sent {} while {expected} was expected",
        channel.peer,
        got.name()
    ))
}

/// The site's exact tables for the set-up, from its data aligned to the panel.
fn local_tables(
    setup: &SiloSetup,
    site: &SiteInput<'_>,
    job: Job<'_>,
) -> Result<synthesis::CountTables> {
    if site.is_case.len() != site.matrix.n_samples() {
        return Err(Error::Mismatch(format!(
            "{} case/control values for {} samples",
            site.is_case.len(),
            site.matrix.n_samples()
        )));
    }
    let aligned = align_to_panel(site.matrix, &setup.panel, site.source)?;
    let labels: Vec<u8> = site.is_case.iter().map(|&c| u8::from(c)).collect();
    synthesis::count(
        &aligned,
        Some(&labels),
        setup.structure,
        setup.missing,
        setup.n_classes,
        job,
    )
}

/// The site's counts plus its share of the noise plus its pairwise masks.
fn masked_noisy_counts(
    setup: &SiloSetup,
    site: &SiteInput<'_>,
    tables: &synthesis::CountTables,
    index: usize,
    seeds: &[secure_sum::PairSeed],
    job: Job<'_>,
) -> Result<Vec<u64>> {
    job.checkpoint("Adding this site's noise and masks", None)?;
    let policy = match site.noise_seed {
        Some(seed) => SeedPolicy::Study { seed },
        None => SeedPolicy::Release,
    };
    let (noise_seed, _) = synthesis::stage_seeds(policy)?;
    let noisy = measure::add_noise(
        &tables.values,
        tables.cells,
        &setup.noise.sampler()?,
        noise_seed,
        job,
    )?;
    let mut values = secure_sum::to_ring(&noisy);
    secure_sum::mask(&mut values, index, seeds);
    Ok(values)
}

/// Fits and samples from the revealed sum: the same on every site.
fn finish(
    setup: &SiloSetup,
    site: &SiteInput<'_>,
    shape: &synthesis::TableShape,
    sum: &[u64],
    names: &[String],
    index: usize,
    job: Job<'_>,
) -> Result<Synthesis> {
    let mut sampling_seed = [0u8; 32];
    ChaCha20Rng::seed_from_u64(setup.sampling_seed).fill_bytes(&mut sampling_seed);
    let mut config = setup.config();
    config.seed = match site.noise_seed {
        Some(seed) => SeedPolicy::Study { seed },
        None => SeedPolicy::Release,
    };
    let mut synthesis = synthesis::release(
        &config,
        setup.noise.target_rho,
        shape,
        Measured {
            noisy: secure_sum::from_ring(sum),
            sigma: setup.noise.realised_sigma,
            rho_charged: setup.noise.guaranteed_rho,
        },
        &setup.panel,
        sampling_seed,
        &format!(
            "distributed discrete Gaussian: each of {} sites adds N_Z(0, {:.1}) per cell \
             (Kairouz, Liu, Steinke 2021)",
            setup.sites, setup.noise.per_site_sigma2
        ),
        job,
    )?;
    synthesis.manifest.inputs = site.inputs.clone();
    synthesis.manifest.cross_silo = Some(CrossSiloRecord {
        protocol_version: PROTOCOL_VERSION,
        session_id: setup.session_id.clone(),
        sites: names.to_vec(),
        this_site: names.get(index).cloned().unwrap_or_default(),
        tolerance: setup.tolerance,
        noise: setup.noise,
        secure_aggregation: "pairwise masks from X25519 key agreement (HKDF-SHA256, ChaCha20), \
                             sums modulo 2^64; TLS 1.3 between each site and the host"
            .into(),
        threat_model: format!(
            "semi-honest sites; the budget holds if up to {} site(s) collude or withhold noise; \
             the host relays keys and sums masked tables but sees no site's counts",
            setup.tolerance
        ),
        panel_sha256: panel_sha256(&setup.panel),
        sampling_seed: setup.sampling_seed,
        seeded_sites: Vec::new(),
    });
    Ok(synthesis)
}

/// SHA-256 of the synthetic genotypes and labels: what sites compare.
pub fn cohort_sha256(cohort: &SyntheticCohort) -> String {
    let mut hasher = Sha256::new();
    for j in 0..cohort.matrix.n_variants() {
        hasher.update(cohort.matrix.packed_row(j));
    }
    hasher.update(&cohort.labels);
    data_encoding::HEXLOWER.encode(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddrV4};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::job;
    use crate::synthesis::simulate::{SimulationParameters, simulate_cohort};

    const SITES: usize = 3;

    struct Cohort {
        parts: Vec<GenotypeMatrix>,
        cases: Vec<Vec<bool>>,
        pooled: GenotypeMatrix,
        pooled_labels: Vec<u8>,
    }

    /// A simulated cohort split into three sites of uneven size.
    fn cohort() -> Cohort {
        let (pooled, labels) = simulate_cohort(&SimulationParameters {
            n_samples: 600,
            n_snps: 60,
            ..SimulationParameters::default()
        });
        let bounds = [0, 150, 350, 600];
        let mut parts = Vec::new();
        let mut cases = Vec::new();
        for w in bounds.windows(2) {
            let rows: Vec<usize> = (w[0]..w[1]).collect();
            parts.push(pooled.select_samples(&rows));
            cases.push(rows.iter().map(|&r| labels[r] == 1).collect());
        }
        Cohort {
            parts,
            cases,
            pooled,
            pooled_labels: labels,
        }
    }

    fn parameters() -> SiloParameters {
        SiloParameters {
            epsilon: 8.0,
            delta: 1e-6,
            structure: crate::synthesis::Structure::TanChain,
            sites: SITES,
            tolerance: 1,
            n_synthetic: 300,
            estimator: crate::synthesis::EstimatorOptions {
                max_iterations: 200,
                relative_tolerance: 1e-7,
            },
        }
    }

    /// The host and one other site, which must both take part.
    fn two_sites() -> SiloParameters {
        SiloParameters {
            sites: 2,
            tolerance: 0,
            ..parameters()
        }
    }

    fn quick() -> SessionOptions {
        SessionOptions::new(Duration::from_secs(20), Duration::from_secs(20))
    }

    fn loopback() -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
    }

    fn site<'a>(c: &'a Cohort, k: usize, seed: Option<u64>) -> SiteInput<'a> {
        SiteInput {
            name: format!("site-{k}"),
            matrix: &c.parts[k],
            is_case: &c.cases[k],
            source: Path::new("part.vcf"),
            inputs: Vec::new(),
            noise_seed: seed,
        }
    }

    fn agreement() -> Agreement {
        Agreement {
            epsilon: 8.0,
            delta: None,
            sites: Some(SITES),
            min_tolerance: None,
        }
    }

    /// Records whether any message carried a given byte pattern.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<Vec<u8>>>>);

    impl Transcript for Capture {
        fn record(&mut self, _sent: bool, _peer: &str, frame: &[u8]) {
            if let Ok(mut frames) = self.0.lock() {
                frames.push(frame.to_vec());
            }
        }
    }

    /// A joining site's part in [`run_session`], given the host's address and code.
    type Joiner<'a, T> = Box<dyn FnOnce(SocketAddr, &SessionCode) -> Result<T> + Send + 'a>;

    /// A session on loopback with `parameters`: site 0 hosts it with
    /// `host_options`, and every joiner runs in its own thread with the host's
    /// address and code. Returns the host's result and each joiner's, in order.
    fn run_session<T: Send>(
        c: &Cohort,
        parameters: &SiloParameters,
        host_options: SessionOptions,
        joiners: Vec<Joiner<'_, T>>,
    ) -> Result<(Result<SiloOutcome>, Vec<Result<T>>)> {
        let host = SiloHost::bind(
            loopback(),
            c.parts[0].variants().to_vec(),
            parameters,
            Some(5),
        )?;
        let address = host.local_addr()?;
        let code = host.code();
        Ok(std::thread::scope(|scope| {
            let hosting = scope
                .spawn(|| job::unattended(|job| host.run(site(c, 0, None), host_options, job)));
            let joining: Vec<_> = joiners
                .into_iter()
                .map(|joiner| {
                    let code = &code;
                    scope.spawn(move || joiner(address, code))
                })
                .collect();
            let hosted = hosting
                .join()
                .unwrap_or_else(|_| Err(Error::Session("the host panicked".into())));
            let joined = joining
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::Session("a site panicked".into())))
                })
                .collect();
            (hosted, joined)
        }))
    }

    /// Site `k` joins the session at `address` with `code`, agreeing to `agreement`.
    fn join_as(
        c: &Cohort,
        k: usize,
        address: SocketAddr,
        code: &SessionCode,
        agreement: &Agreement,
        options: SessionOptions,
    ) -> Result<SiloOutcome> {
        job::unattended(|job| join(address, code, agreement, site(c, k, None), options, job))
    }

    /// The reason a site's session failed with, or an error saying `unexpected`.
    fn session_failure<T>(result: Result<T>, unexpected: &str) -> Result<String> {
        match result {
            Err(Error::Session(reason)) => Ok(reason),
            _ => Err(Error::Session(unexpected.into())),
        }
    }

    /// Three sites finish with identical synthetic data; the revealed sum is the
    /// pooled counts plus noise of the planned variance (what one site holding
    /// everything would publish with σ² = 3·σ_k²); no message carries a site's
    /// raw counts.
    #[test]
    fn three_sites_release_the_same_data_from_a_noisy_sum() -> Result<()> {
        let c = cohort();
        let capture = Capture::default();
        // Every site records what it sends and receives.
        let recorded = || {
            let mut options = quick();
            options.transcript = Some(Box::new(capture.clone()));
            options
        };
        let joiners: Vec<Joiner<'_, SiloOutcome>> = (1..SITES)
            .map(|k| {
                let options = recorded();
                let c = &c;
                let joiner: Joiner<'_, SiloOutcome> = Box::new(move |address, code| {
                    join_as(c, k, address, code, &agreement(), options)
                });
                joiner
            })
            .collect();
        let (hosted, joined) = run_session(&c, &parameters(), recorded(), joiners)?;
        let outcomes: Vec<SiloOutcome> = std::iter::once(hosted)
            .chain(joined)
            .collect::<Result<_>>()?;
        let first = &outcomes[0];
        for other in &outcomes[1..] {
            assert_eq!(
                cohort_sha256(&other.synthesis.cohort),
                cohort_sha256(&first.synthesis.cohort)
            );
            assert_eq!(other.sites, first.sites);
        }
        assert_eq!(first.synthesis.cohort.matrix.n_samples(), 300);
        assert!(!first.not_for_release);
        let record = first
            .synthesis
            .manifest
            .cross_silo
            .clone()
            .ok_or_else(|| Error::Session("no cross-silo record".into()))?;
        // The host first, the others in the order they became ready.
        let mut sites = record.sites.clone();
        assert_eq!(sites.first().map(String::as_str), Some("site-0"));
        sites.sort();
        assert_eq!(sites, vec!["site-0", "site-1", "site-2"]);
        assert_eq!(
            outcomes[2]
                .synthesis
                .manifest
                .cross_silo
                .as_ref()
                .map(|r| r.this_site.as_str()),
            Some("site-2")
        );

        // The revealed sum against the pooled exact counts.
        let exact = job::unattended(|job| {
            crate::synthesis::count(
                &c.pooled,
                Some(&c.pooled_labels),
                crate::synthesis::Structure::TanChain,
                crate::synthesis::MissingPolicy::Reject,
                2,
                job,
            )
        })?;
        let noisy: Vec<i64> = first
            .synthesis
            .manifest
            .measurements
            .iter()
            .flat_map(|group| &group.cliques)
            .flat_map(|q| q.noisy_counts.iter().copied())
            .collect();
        assert_eq!(noisy.len(), exact.values.len());
        let n = noisy.len() as f64;
        let errors: Vec<f64> = noisy
            .iter()
            .zip(&exact.values)
            .map(|(&y, &x)| y as f64 - x as f64)
            .collect();
        let mean = errors.iter().sum::<f64>() / n;
        let variance = errors.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / n;
        let planned = record.noise.realised_sigma.powi(2);
        // 1,242 cells (59 cliques, 60 SNP tables): the variance estimate's sd is about 4 % of the planned value.
        assert!(mean.abs() < 4.0 * (planned / n).sqrt(), "mean {mean}");
        assert!(
            (variance / planned - 1.0).abs() < 0.2,
            "variance {variance}, planned {planned}"
        );

        // No message holds any site's raw counts (8 cells in a row, as sent).
        let frames = capture
            .0
            .lock()
            .map_err(|_| Error::Session("capture poisoned".into()))?;
        assert!(frames.len() > 10);
        for (k, part) in c.parts.iter().enumerate() {
            let labels: Vec<u8> = c.cases[k].iter().map(|&b| u8::from(b)).collect();
            let raw = job::unattended(|job| {
                crate::synthesis::count(
                    part,
                    Some(&labels),
                    crate::synthesis::Structure::TanChain,
                    crate::synthesis::MissingPolicy::Reject,
                    2,
                    job,
                )
            })?;
            for window in raw
                .values
                .chunks(8)
                .take(50)
                .filter(|w| w.iter().filter(|&&v| v > 0).count() >= 4)
            {
                let pattern: Vec<u8> = window.iter().flat_map(|v| v.to_le_bytes()).collect();
                for frame in frames.iter() {
                    assert!(
                        !frame
                            .windows(pattern.len())
                            .any(|w| w == pattern.as_slice()),
                        "site {k}'s raw counts appear in a message"
                    );
                }
            }
        }
        Ok(())
    }

    /// A site driven step by step: it joins, says it is ready and receives the
    /// roster, then the test makes it misbehave.
    fn join_by_hand(address: SocketAddr, code: &SessionCode, name: &str) -> Result<Channel> {
        let mut none = None;
        let mut channel =
            transport::connect(address, code, name, Duration::from_secs(10), &mut none)?;
        let cancel = crate::job::CancelToken::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        channel.receive(deadline, &cancel, "the set-up", &mut none)?;
        channel.send(&Message::Ready, &mut none)?;
        channel.receive(deadline, &cancel, "the roster", &mut none)?;
        Ok(channel)
    }

    /// A site that breaks the protocol after the roster ends the session on
    /// every site with a message naming it; nothing is returned to write.
    #[test]
    fn a_malformed_message_aborts_every_site() -> Result<()> {
        let c = cohort();
        let mut p = parameters();
        p.sites = 3;
        let honest: Joiner<'_, Option<SiloOutcome>> = Box::new(|address, code| {
            join_as(&c, 1, address, code, &agreement(), quick()).map(Some)
        });
        let rogue: Joiner<'_, Option<SiloOutcome>> = Box::new(|address, code| {
            let mut none = None;
            let mut channel = join_by_hand(address, code, "rogue")?;
            // Wrong table size instead of mask keys.
            channel.send(
                &Message::Masked {
                    values: vec![1, 2, 3],
                },
                &mut none,
            )?;
            Ok(None)
        });
        let (host_result, joined) = run_session(&c, &p, quick(), vec![honest, rogue])?;
        let [honest, rogue] =
            <[_; 2]>::try_from(joined).map_err(|_| Error::Session("two joining sites".into()))?;
        rogue?;
        let at_host = session_failure(host_result, "the host finished despite the rogue site")?;
        assert!(
            at_host.contains("rogue") && at_host.contains("masked counts"),
            "{at_host}"
        );
        let at_site = session_failure(honest, "the honest site finished despite the rogue site")?;
        assert!(
            at_site.contains("aborted") && at_site.contains("rogue"),
            "{at_site}"
        );
        Ok(())
    }

    /// A site that leaves after the roster aborts the others; a stranger without
    /// the code is turned away before it sees anything, and a site whose
    /// agreement differs declines.
    #[test]
    fn drop_outs_strangers_and_disagreements() -> Result<()> {
        let c = cohort();
        let notices = Arc::new(Mutex::new(Vec::<String>::new()));
        let mut options = quick();
        let sink = notices.clone();
        options.notice = Box::new(move |n| {
            if let Ok(mut v) = sink.lock() {
                v.push(n.to_owned());
            }
        });
        // One after the other: a stranger, a site that declines, a site that leaves.
        let visitors: Joiner<'_, _> = Box::new(|address, code| {
            // A stranger: right host, wrong secret.
            let other_identity = HostIdentity::generate()?;
            let wrong = SessionCode::parse(&{
                let text = code.to_string();
                let other = SessionCode::new(&other_identity)?.to_string();
                format!("{}{}", &text[..20], &other[20..])
            })?;
            let stranger = join_as(&c, 1, address, &wrong, &agreement(), quick());
            // A site that agreed to a smaller budget declines.
            let strict = Agreement {
                epsilon: 1.0,
                ..agreement()
            };
            let disagreeing = join_as(&c, 1, address, code, &strict, quick());
            // Dropping the channel at once: the site leaves after the roster.
            let _ = join_by_hand(address, code, "leaver");
            Ok((stranger, disagreeing))
        });
        let (host_result, joined) = run_session(&c, &two_sites(), options, vec![visitors])?;
        let Some(visited) = joined.into_iter().next() else {
            return Err(Error::Session("one joining thread".into()));
        };
        let (stranger, disagreeing) = visited?;
        let stranger = session_failure(stranger, "the stranger got in")?;
        assert!(
            stranger.contains("left the session") || stranger.contains("could not"),
            "{stranger}"
        );
        let declined = session_failure(disagreeing, "the disagreeing site joined")?;
        assert!(
            declined.contains("epsilon 8 (you agreed to 1)"),
            "{declined}"
        );
        let at_host = session_failure(host_result, "the host finished without its second site")?;
        assert!(
            at_host.contains("leaver") && at_host.contains("left the session"),
            "{at_host}"
        );
        let notices = notices
            .lock()
            .map_err(|_| Error::Session("poisoned".into()))?;
        assert!(
            notices
                .iter()
                .any(|n| n.contains("does not know the session code")),
            "{notices:?}"
        );
        assert!(
            notices.iter().any(|n| n.contains("declined")),
            "{notices:?}"
        );
        Ok(())
    }

    /// Sites fit and sample on machines with different core counts: the result
    /// must not depend on the number of threads, or fingerprints would differ.
    #[test]
    fn the_release_does_not_depend_on_the_thread_count() -> Result<()> {
        let c = cohort();
        let labels: Vec<u8> = c.cases[1].iter().map(|&b| u8::from(b)).collect();
        let config = crate::synthesis::SynthesisConfig {
            epsilon: 8.0,
            delta: 1e-6,
            structure: crate::synthesis::Structure::TanChain,
            missing: crate::synthesis::MissingPolicy::Reject,
            n_classes: 2,
            n_synthetic: 400,
            estimator: crate::synthesis::EstimatorOptions::default(),
            seed: SeedPolicy::Study { seed: 3 },
        };
        let run = |threads: usize| -> Result<String> {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| Error::Session(e.to_string()))?;
            pool.install(|| {
                job::unattended(|job| {
                    crate::synthesis::synthesize(&c.parts[1], Some(&labels), &config, job)
                })
            })
            .map(|s| cohort_sha256(&s.cohort))
        };
        assert_eq!(run(1)?, run(3)?);
        Ok(())
    }

    /// A joining site refuses a host whose certificate is not the code's.
    #[test]
    fn a_site_refuses_an_impostor_host() -> Result<()> {
        let c = cohort();
        let impostor_code = SessionCode::new(&HostIdentity::generate()?)?;
        let mut options = quick();
        options.join_wait = Duration::from_secs(2);
        let mut host_options = quick();
        host_options.join_wait = Duration::from_secs(3);
        let trusting: Joiner<'_, SiloOutcome> = Box::new(|address, _code| {
            join_as(&c, 1, address, &impostor_code, &agreement(), options)
        });
        let (_, joined) = run_session(&c, &two_sites(), host_options, vec![trusting])?;
        let Some(result) = joined.into_iter().next() else {
            return Err(Error::Session("one joining site".into()));
        };
        let message = session_failure(result, "the site trusted an impostor")?;
        assert!(
            message.contains("not the one that made this session code"),
            "{message}"
        );
        Ok(())
    }
}
