//! The cross-silo wizard of the Synthesize side (issue 5, synthesis spec §5):
//! host a session or join one with the loaded cohort, run it on a worker with
//! its progress stage and notices, and export the shared synthetic cohort
//! through the same writer as `genopriv silo`.
//!
//! Every input is checked before anything starts; a session that ends without
//! a release says why in the core's words ([`abort_sentence`]). Drawing lives
//! in [`super::silo_view`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Receiver;
use genopriv_core::explain::silo::abort_sentence;
use genopriv_core::synthesis::silo::{
    self, Agreement, DistributedNoise, SessionCode, SessionOptions, SiloHost, SiloOutcome,
    SiloParameters, SiteInput,
};
use genopriv_core::synthesis::{EstimatorOptions, InputHash, Structure};
use genopriv_core::{Error, Job};

use super::app::Workspace;
use super::jobs::{BackgroundJob, Outcome};
use super::synth::{CohortData, delta_from_text};
use crate::cli::synth::{ReleaseFiles, ReleaseOutputs};

/// Where a host listens unless told otherwise (`genopriv silo host`'s default).
pub const DEFAULT_LISTEN: &str = "0.0.0.0:7468";
/// `genopriv silo`'s default waits: one step of another site (its counting and
/// fitting included), and every site joining.
const STEP_TIMEOUT: Duration = Duration::from_secs(600);
const JOIN_WAIT: Duration = Duration::from_secs(900);

/// What the host decides for the session: everything in it is public.
#[derive(Clone, Debug, PartialEq)]
pub struct HostForm {
    /// Sites taking part, this one included.
    pub sites: usize,
    /// Sites that may collude or withhold their noise.
    pub tolerance: usize,
    /// Total budget per person.
    pub epsilon: f64,
    pub delta_text: String,
    /// Chain order: 1 links each SNP to the next, 2 to the next two.
    pub order: usize,
    /// Synthetic people, as typed: required (every site draws the same ones).
    pub n_synthetic_text: String,
    pub listen_text: String,
    /// How this site is named to the others.
    pub site_name: String,
    /// The estimator's iteration cap, the same at every site.
    pub estimator_iterations: usize,
    /// Study mode: this site's noise from a seed (the output is then not for release).
    pub use_seed: bool,
    pub seed_text: String,
}

impl Default for HostForm {
    fn default() -> Self {
        Self {
            sites: 2,
            tolerance: 0,
            epsilon: 3.0,
            delta_text: "1e-6".into(),
            order: 1,
            n_synthetic_text: String::new(),
            listen_text: DEFAULT_LISTEN.into(),
            site_name: String::new(),
            estimator_iterations: EstimatorOptions::default().max_iterations,
            use_seed: false,
            seed_text: String::new(),
        }
    }
}

/// A checked host form.
#[derive(Clone, Debug, PartialEq)]
pub struct HostPlan {
    pub listen: SocketAddr,
    pub parameters: SiloParameters,
    pub site_name: String,
    pub noise_seed: Option<u64>,
}

impl HostForm {
    /// The session's parameters, or the form's first problem in a sentence.
    pub fn plan(&self) -> Result<HostPlan, String> {
        if self.sites < 2 {
            return Err(format!(
                "A session needs at least 2 sites, this one included; the form says {}.",
                self.sites
            ));
        }
        if self.tolerance >= self.sites {
            return Err(format!(
                "The collusion tolerance ({}) must be below the number of sites ({}): at least \
                 one site's noise must be trusted.",
                self.tolerance, self.sites
            ));
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(format!(
                "Epsilon must be a positive number, got {}.",
                self.epsilon
            ));
        }
        let delta = delta_from_text(&self.delta_text)?;
        let n_synthetic = match self.n_synthetic_text.trim() {
            "" => {
                return Err(
                    "Say how many synthetic people to draw: every site draws the same ones."
                        .into(),
                );
            }
            text => text.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
                format!("\"{text}\" is not a number of synthetic people (a whole number, at least 1).")
            })?,
        };
        let listen = self.listen_text.trim().parse::<SocketAddr>().map_err(|_| {
            format!(
                "\"{}\" is not an address to listen on: give an IP address and a port, for \
                 example {DEFAULT_LISTEN}.",
                self.listen_text.trim()
            )
        })?;
        let site_name = site_name(&self.site_name)?;
        Ok(HostPlan {
            listen,
            parameters: SiloParameters {
                epsilon: self.epsilon,
                delta,
                structure: structure(self.order),
                sites: self.sites,
                tolerance: self.tolerance,
                n_synthetic,
                estimator: EstimatorOptions {
                    max_iterations: self.estimator_iterations,
                    ..EstimatorOptions::default()
                },
            },
            site_name,
            noise_seed: super::format::study_seed(self.use_seed, &self.seed_text)?,
        })
    }
}

/// What a joining site types: where the host is, its code, and what this site
/// agreed to out of band (the session is refused if the host proposes otherwise).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JoinForm {
    pub address_text: String,
    pub code_text: String,
    pub site_name: String,
    /// Required: the budget this site agreed to.
    pub epsilon_text: String,
    /// Optional checks of the host's set-up; empty accepts the host's value.
    pub delta_text: String,
    pub sites_text: String,
    pub min_tolerance_text: String,
    pub use_seed: bool,
    pub seed_text: String,
}

/// A checked join form.
#[derive(Clone, Debug)]
pub struct JoinPlan {
    pub address: SocketAddr,
    pub code: SessionCode,
    pub agreement: Agreement,
    pub site_name: String,
    pub noise_seed: Option<u64>,
}

impl JoinForm {
    /// Where and how to join, or the form's first problem in a sentence.
    pub fn plan(&self) -> Result<JoinPlan, String> {
        let address_text = self.address_text.trim();
        if address_text.is_empty() {
            return Err(
                "Type the host's address as the host shows it, for example 10.0.0.5:7468.".into(),
            );
        }
        let address = address_text
            .to_socket_addrs()
            .ok()
            .and_then(|mut found| found.next())
            .ok_or_else(|| {
                format!(
                    "\"{address_text}\" is not a host address: type it as the host shows it, \
                     for example 10.0.0.5:7468."
                )
            })?;
        if self.code_text.trim().is_empty() {
            return Err("Type the session code the host gave you.".into());
        }
        let code = SessionCode::parse(&self.code_text).map_err(|e| sentence(&e))?;
        let site_name = site_name(&self.site_name)?;
        let epsilon = match self.epsilon_text.trim() {
            "" => {
                return Err(
                    "Type the epsilon this site agreed to: the session is refused if the host \
                     proposes another."
                        .into(),
                );
            }
            text => text
                .parse::<f64>()
                .ok()
                .filter(|e| e.is_finite() && *e > 0.0)
                .ok_or_else(|| {
                    format!("The agreed epsilon \"{text}\" is not a positive number.")
                })?,
        };
        let delta = match self.delta_text.trim() {
            "" => None,
            text => Some(delta_from_text(text)?),
        };
        let sites = optional_count(&self.sites_text, "number of sites")?;
        if sites.is_some_and(|n| n < 2) {
            return Err("A session has at least 2 sites: leave the number of sites empty or type 2 or more.".into());
        }
        let min_tolerance = optional_count(&self.min_tolerance_text, "collusion tolerance")?;
        Ok(JoinPlan {
            address,
            code,
            agreement: Agreement {
                epsilon,
                delta,
                sites,
                min_tolerance,
            },
            site_name,
            noise_seed: super::format::study_seed(self.use_seed, &self.seed_text)?,
        })
    }
}

/// The chain the form's order names.
pub(super) fn structure(order: usize) -> Structure {
    if order == 2 {
        Structure::SecondOrderTanChain
    } else {
        Structure::TanChain
    }
}

fn site_name(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err(
            "Give this site a name the other sites will see, for example the hospital's.".into(),
        ),
        name => Ok(name.to_owned()),
    }
}

fn optional_count(text: &str, what: &str) -> Result<Option<usize>, String> {
    match text.trim() {
        "" => Ok(None),
        text => text.parse::<usize>().map(Some).map_err(|_| {
            format!("The {what} \"{text}\" is not a whole number (or leave it empty).")
        }),
    }
}

/// A core error as a sentence for the window (without the "invalid parameter:" tag).
fn sentence(error: &Error) -> String {
    let text = match error {
        Error::Parameter(message) | Error::Session(message) => message.clone(),
        other => other.to_string(),
    };
    let mut chars = text.chars();
    let capitalised = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    };
    if capitalised.ends_with('.') {
        capitalised
    } else {
        format!("{capitalised}.")
    }
}

/// Why a session ended without a release, for [`abort_sentence`].
fn abort_reason(error: &Error) -> String {
    match error {
        Error::Session(message) => message.clone(),
        Error::Cancelled => "it was cancelled at this site".into(),
        other => other.to_string(),
    }
}

/// Which form the wizard shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WizardKind {
    Host,
    Join,
}

/// What the host hands out, and the set-up every site checks.
#[derive(Clone, Debug)]
pub struct Hosting {
    /// The session code, as it is handed out.
    pub code: String,
    /// The address to give the other sites.
    pub address: String,
    /// What the session listens on (all interfaces for 0.0.0.0).
    pub listening: SocketAddr,
    pub noise: DistributedNoise,
    pub n_variants: usize,
    pub n_synthetic: usize,
    pub epsilon: f64,
    pub delta: f64,
}

/// This site's part in the session shown.
#[derive(Clone, Debug)]
pub enum SessionRole {
    Host(Hosting),
    Join { address: SocketAddr },
}

/// How a session ended.
pub enum SessionEnd {
    /// Every site holds the same synthetic cohort.
    Complete(Arc<SiloOutcome>),
    /// The abort sentence (with its reason); nothing was released.
    Aborted(String),
}

/// What the wizard's controls ask for; applied after drawing.
pub enum SiloAction {
    Open(WizardKind),
    /// Back to synthesis on this computer.
    Close,
    StartHost,
    StartJoin,
    Cancel,
    Export,
    /// Leave a finished session's view for the forms.
    BackToForms,
}

/// The wizard's state.
#[derive(Default)]
pub struct SiloPanel {
    pub wizard: Option<WizardKind>,
    pub host_form: HostForm,
    pub join_form: JoinForm,
    /// Why the last Open session / Join was refused before anything started.
    pub problem: Option<String>,
    pub role: Option<SessionRole>,
    session: Option<BackgroundJob<SiloOutcome>>,
    notice_rx: Option<Receiver<String>>,
    /// The session's notices (sites connecting, turned away, ready), oldest first.
    pub notices: Vec<String>,
    pub ended: Option<SessionEnd>,
    export: Option<BackgroundJob<ReleaseFiles>>,
    pub exported: Option<ReleaseFiles>,
    pub export_problem: Option<String>,
    /// The files the session read: an export must not overwrite them.
    input_files: Vec<PathBuf>,
}

impl SiloPanel {
    /// Whether a session is connected to other sites right now.
    pub fn session_running(&self) -> bool {
        self.session.is_some()
    }

    pub fn is_busy(&self) -> bool {
        self.session.is_some() || self.export.is_some()
    }

    /// The running session's progress: its title and stage.
    pub fn progress(&self) -> Option<(&str, &str, Option<f32>)> {
        self.session
            .as_ref()
            .map(|job| (job.title.as_str(), job.stage.as_str(), job.fraction))
    }

    /// The running export's progress.
    pub fn export_progress(&self) -> Option<(&str, &str, Option<f32>)> {
        self.export
            .as_ref()
            .map(|job| (job.title.as_str(), job.stage.as_str(), job.fraction))
    }

    /// The session this computer hosts (its code and address), if any.
    pub fn hosting(&self) -> Option<&Hosting> {
        match &self.role {
            Some(SessionRole::Host(hosting)) => Some(hosting),
            _ => None,
        }
    }

    /// The finished session's outcome.
    pub fn outcome(&self) -> Option<&SiloOutcome> {
        match &self.ended {
            Some(SessionEnd::Complete(outcome)) => Some(outcome),
            _ => None,
        }
    }

    /// The abort sentence of a session that ended without a release.
    pub fn abort(&self) -> Option<&str> {
        match &self.ended {
            Some(SessionEnd::Aborted(sentence)) => Some(sentence),
            _ => None,
        }
    }

    /// A new cohort drops the session (stopping one that runs) and its result.
    pub fn forget(&mut self) {
        self.problem = None;
        self.role = None;
        self.session = None;
        self.notice_rx = None;
        self.notices.clear();
        self.ended = None;
        self.export = None;
        self.exported = None;
        self.export_problem = None;
        self.input_files.clear();
    }

    pub(super) fn apply(&mut self, action: SiloAction, workspace: &Workspace, ctx: &egui::Context) {
        match action {
            SiloAction::Open(kind) => {
                self.forget();
                self.wizard = Some(kind);
            }
            SiloAction::Close => {
                self.forget();
                self.wizard = None;
            }
            SiloAction::StartHost => self.start_host(workspace, ctx),
            SiloAction::StartJoin => self.start_join(workspace, ctx),
            SiloAction::Cancel => self.cancel(),
            SiloAction::BackToForms => self.forget(),
            SiloAction::Export => {
                if let Some(path) = super::synth::ask_export_path() {
                    self.export(path, ctx);
                }
            }
        }
    }

    /// The loaded cohort and the form's `plan` for a new session, or `None`
    /// with the first problem shown.
    fn prepare<P>(
        &mut self,
        workspace: &Workspace,
        plan: impl FnOnce(&Self) -> Result<P, String>,
    ) -> Option<(CohortData, P)> {
        self.forget();
        match CohortData::load(workspace).and_then(|data| Ok((data, plan(self)?))) {
            Ok(prepared) => Some(prepared),
            Err(problem) => {
                self.problem = Some(problem);
                None
            }
        }
    }

    /// Opens the session (binding is instant, so it happens here) and runs it on a worker.
    pub(super) fn start_host(&mut self, workspace: &Workspace, ctx: &egui::Context) {
        let Some((data, plan)) = self.prepare(workspace, |panel| panel.host_form.plan()) else {
            return;
        };
        let panel = data.matrix.variants().to_vec();
        let opened = SiloHost::bind(plan.listen, panel, &plan.parameters, None).and_then(|host| {
            let listening = host.local_addr()?;
            Ok((host, listening))
        });
        let (host, listening) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                self.problem = Some(format!("The session could not be opened: {}", sentence(&e)));
                return;
            }
        };
        let setup = host.setup();
        let hosting = Hosting {
            code: host.code().to_string(),
            address: address_to_give(listening),
            listening,
            noise: setup.noise,
            n_variants: setup.panel.len(),
            n_synthetic: setup.n_synthetic,
            epsilon: setup.epsilon,
            delta: setup.delta,
        };
        let (options, notice_rx) = session_options(ctx);
        let HostPlan {
            site_name,
            noise_seed,
            ..
        } = plan;
        self.input_files = data.files();
        let work = move |job: Job<'_>| -> Result<SiloOutcome, Error> {
            let site = site_input(&data, site_name, noise_seed, job)?;
            host.run(site, options, job)
        };
        self.role = Some(SessionRole::Host(hosting));
        self.spawn("Hosting a cross-silo session", notice_rx, ctx, work);
    }

    /// Joins the session the form names, on a worker.
    pub(super) fn start_join(&mut self, workspace: &Workspace, ctx: &egui::Context) {
        let Some((data, plan)) = self.prepare(workspace, |panel| panel.join_form.plan()) else {
            return;
        };
        let (options, notice_rx) = session_options(ctx);
        let JoinPlan {
            address,
            code,
            agreement,
            site_name,
            noise_seed,
        } = plan;
        self.input_files = data.files();
        let work = move |job: Job<'_>| -> Result<SiloOutcome, Error> {
            let site = site_input(&data, site_name, noise_seed, job)?;
            silo::join(address, &code, &agreement, site, options, job)
        };
        self.role = Some(SessionRole::Join { address });
        self.spawn("Joining a cross-silo session", notice_rx, ctx, work);
    }

    fn spawn(
        &mut self,
        title: &str,
        notice_rx: Receiver<String>,
        ctx: &egui::Context,
        work: impl FnOnce(Job<'_>) -> Result<SiloOutcome, Error> + Send + 'static,
    ) {
        match BackgroundJob::spawn(title.to_owned(), ctx, work) {
            Ok(job) => {
                self.session = Some(job);
                self.notice_rx = Some(notice_rx);
            }
            Err(e) => {
                self.role = None;
                self.problem = Some(format!(
                    "The session could not start: the system refused to start a worker thread: {e}."
                ));
            }
        }
        ctx.request_repaint();
    }

    /// Stops the session here; the core tells the other sites why.
    pub fn cancel(&mut self) {
        if self.session.take().is_some() {
            self.ended = Some(SessionEnd::Aborted(abort_sentence(
                "it was cancelled at this site",
            )));
        }
        if self.export.take().is_some() {
            self.export_problem = Some("The export was cancelled; no file was written.".to_owned());
        }
    }

    /// Writes the shared synthetic cohort to `data` (format from its name) with
    /// `OUT.pheno.tsv` and `OUT.manifest.json` beside it, atomically, on a worker.
    pub fn export(&mut self, data: PathBuf, ctx: &egui::Context) {
        let Some(SessionEnd::Complete(outcome)) = &self.ended else {
            self.export_problem =
                Some("Finish a session first: there is nothing to export yet.".into());
            return;
        };
        let outcome = Arc::clone(outcome);
        let inputs = self.input_files.clone();
        let work = move |job: Job<'_>| -> Result<ReleaseFiles, Error> {
            let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
            let outputs = ReleaseOutputs::claim(&data, &refs)?;
            crate::cli::silo::write_release(&outcome, outputs, &refs, job)
        };
        self.exported = None;
        self.export_problem = None;
        match BackgroundJob::spawn("Exporting the synthetic data".into(), ctx, work) {
            Ok(job) => self.export = Some(job),
            Err(e) => {
                self.export_problem = Some(format!(
                    "The export could not start: the system refused to start a worker thread: {e}."
                ))
            }
        }
        ctx.request_repaint();
    }

    /// Takes what the session and the export sent since the last frame.
    pub fn poll(&mut self) {
        if let Some(job) = &mut self.session
            && let Some(outcome) = job.poll()
        {
            self.session = None;
            self.ended = Some(match outcome {
                Outcome::Finished(Ok(outcome)) => SessionEnd::Complete(Arc::new(outcome)),
                Outcome::Finished(Err(e)) => SessionEnd::Aborted(abort_sentence(&abort_reason(&e))),
                Outcome::Vanished => SessionEnd::Aborted(abort_sentence(
                    "the worker stopped without a result (a bug in GenoPriv; please report it)",
                )),
            });
        }
        // Notices sent before the end are still waiting: take them too.
        if let Some(rx) = &self.notice_rx {
            self.notices.extend(rx.try_iter());
        }
        if let Some(job) = &mut self.export
            && let Some(outcome) = job.poll()
        {
            self.export = None;
            match outcome {
                Outcome::Finished(Ok(files)) => self.exported = Some(files),
                Outcome::Finished(Err(e)) => {
                    self.export_problem = Some(format!("The export failed: {}", sentence(&e)))
                }
                Outcome::Vanished => {
                    self.export_problem = Some(
                        "The export failed: the worker stopped without a result. This is a bug \
                         in GenoPriv; please report it."
                            .into(),
                    )
                }
            }
        }
    }
}

/// The loaded cohort as the site `name`'s input, with the checksums of its
/// two input files for its manifest.
fn site_input<'a>(
    data: &'a CohortData,
    name: String,
    noise_seed: Option<u64>,
    job: Job<'_>,
) -> Result<SiteInput<'a>, Error> {
    let (genotypes, phenotypes) = data.checksums(job)?;
    Ok(SiteInput {
        name,
        matrix: &data.matrix,
        is_case: &data.is_case,
        source: &data.genotypes,
        inputs: vec![
            InputHash {
                path: data.genotypes.display().to_string(),
                sha256: genotypes,
            },
            InputHash {
                path: data.phenotypes.display().to_string(),
                sha256: phenotypes,
            },
        ],
        noise_seed,
    })
}

/// The core's waits, with notices forwarded to the window.
fn session_options(ctx: &egui::Context) -> (SessionOptions, Receiver<String>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let ctx = ctx.clone();
    let mut options = SessionOptions::new(STEP_TIMEOUT, JOIN_WAIT);
    options.notice = Box::new(move |notice: &str| {
        // The window may have dropped the session (cancelled): nothing to tell.
        let _ = tx.send(notice.to_owned());
        ctx.request_repaint();
    });
    (options, rx)
}

/// The address other sites connect to: the listening address, or for "all
/// interfaces" this computer's address on the network it reaches others by.
fn address_to_give(listening: SocketAddr) -> String {
    if !listening.ip().is_unspecified() {
        return listening.to_string();
    }
    match outward_ip(listening.ip()) {
        Some(ip) => SocketAddr::new(ip, listening.port()).to_string(),
        None => format!("this computer's IP address, port {}", listening.port()),
    }
}

/// The local address the system would send from: connecting a UDP socket
/// sends nothing, it only picks the route (to a documentation address).
fn outward_ip(family: IpAddr) -> Option<IpAddr> {
    let (bind, probe): (SocketAddr, SocketAddr) = match family {
        IpAddr::V4(_) => (
            (Ipv4Addr::UNSPECIFIED, 0).into(),
            (Ipv4Addr::new(192, 0, 2, 1), 7468).into(),
        ),
        IpAddr::V6(_) => (
            (Ipv6Addr::UNSPECIFIED, 0).into(),
            (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), 7468).into(),
        ),
    };
    let socket = UdpSocket::bind(bind).ok()?;
    socket.connect(probe).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_form() -> HostForm {
        HostForm {
            n_synthetic_text: "500".into(),
            site_name: "Leeds".into(),
            ..HostForm::default()
        }
    }

    #[test]
    fn host_form_checks_every_field() -> Result<(), String> {
        let plan = host_form().plan()?;
        assert_eq!(
            plan.listen,
            "0.0.0.0:7468"
                .parse::<SocketAddr>()
                .map_err(|e| e.to_string())?
        );
        assert_eq!(plan.parameters.sites, 2);
        assert_eq!(plan.parameters.n_synthetic, 500);
        assert_eq!(plan.parameters.structure, Structure::TanChain);
        assert_eq!(plan.site_name, "Leeds");
        let refused = |form: HostForm, part: &str| {
            assert!(form.plan().is_err_and(|m| m.contains(part)), "{part}");
        };
        refused(
            HostForm {
                tolerance: 2,
                ..host_form()
            },
            "collusion tolerance (2) must be below the number of sites (2)",
        );
        refused(
            HostForm {
                sites: 1,
                tolerance: 0,
                ..host_form()
            },
            "at least 2 sites",
        );
        refused(
            HostForm {
                n_synthetic_text: String::new(),
                ..host_form()
            },
            "how many synthetic people",
        );
        refused(
            HostForm {
                n_synthetic_text: "0".into(),
                ..host_form()
            },
            "\"0\" is not a number of synthetic people",
        );
        refused(
            HostForm {
                listen_text: "here".into(),
                ..host_form()
            },
            "\"here\" is not an address to listen on",
        );
        refused(
            HostForm {
                site_name: " ".into(),
                ..host_form()
            },
            "Give this site a name",
        );
        refused(
            HostForm {
                delta_text: "2".into(),
                ..host_form()
            },
            "Delta \"2\" is not",
        );
        Ok(())
    }

    #[test]
    fn join_form_checks_the_code_and_the_agreement() -> Result<(), String> {
        let code = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567";
        let form = JoinForm {
            address_text: "127.0.0.1:7468".into(),
            code_text: code.to_lowercase(),
            site_name: "Lyon".into(),
            epsilon_text: "3".into(),
            ..JoinForm::default()
        };
        let plan = form.plan()?;
        assert_eq!(plan.code.to_string(), code);
        assert_eq!(
            plan.agreement,
            Agreement {
                epsilon: 3.0,
                delta: None,
                sites: None,
                min_tolerance: None
            }
        );
        let refused = |form: JoinForm, part: &str| {
            assert!(
                form.plan().is_err_and(|m| m.contains(part)),
                "{part}: {:?}",
                form.plan().err()
            );
        };
        refused(
            JoinForm {
                code_text: "ABCD-1234".into(),
                ..form.clone()
            },
            "is not a session code",
        );
        refused(
            JoinForm {
                address_text: "no port".into(),
                ..form.clone()
            },
            "\"no port\" is not a host address",
        );
        refused(
            JoinForm {
                epsilon_text: String::new(),
                ..form.clone()
            },
            "Type the epsilon this site agreed to",
        );
        refused(
            JoinForm {
                sites_text: "two".into(),
                ..form.clone()
            },
            "number of sites \"two\"",
        );
        refused(
            JoinForm {
                site_name: String::new(),
                ..form.clone()
            },
            "Give this site a name",
        );
        let strict = JoinForm {
            delta_text: "1e-6".into(),
            sites_text: "3".into(),
            min_tolerance_text: "1".into(),
            ..form
        };
        assert_eq!(
            strict.plan()?.agreement,
            Agreement {
                epsilon: 3.0,
                delta: Some(1e-6),
                sites: Some(3),
                min_tolerance: Some(1)
            }
        );
        Ok(())
    }

    #[test]
    fn a_specific_listening_address_is_handed_out_as_it_is() -> Result<(), String> {
        let loopback: SocketAddr = "127.0.0.1:7468".parse().map_err(|e| format!("{e:?}"))?;
        assert_eq!(address_to_give(loopback), "127.0.0.1:7468");
        let any: SocketAddr = "0.0.0.0:7468".parse().map_err(|e| format!("{e:?}"))?;
        assert!(address_to_give(any).ends_with("7468"));
        assert!(!address_to_give(any).starts_with("0.0.0.0"));
        Ok(())
    }
}
