//! `genopriv silo host` / `genopriv silo join`: several sites publish one
//! synthetic cohort together, none revealing its data (issue 5, spec §5). The
//! host listens and hands out a session code; each site joins with it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use genopriv_core::data::GenotypeFormat;
use genopriv_core::explain::format::number;
use genopriv_core::explain::silo::{noise_split_sentence, setup_sentence, threat_model_sentence};
use genopriv_core::synthesis::silo::{
    self, Agreement, SessionCode, SessionOptions, SiloHost, SiloOutcome, SiloParameters, SiteInput,
    Transcript,
};
use genopriv_core::synthesis::{EstimatorOptions, InputHash, Structure};
use genopriv_core::{Error, Job};

use super::synth::{ReleaseFiles, ReleaseOutputs, case_status};
use super::{ReadArgs, input_files, load, sha256_file};

#[derive(Subcommand, Debug)]
pub enum SiloCommand {
    /// Open a session: wait for the other sites, then synthesize together
    Host(HostArgs),
    /// Join a session opened by another site
    Join(JoinArgs),
}

/// What every site gives: its own data and where the release goes.
#[derive(Args, Debug)]
pub struct SiteArgs {
    /// This site's genotypes (complete: impute missing calls first)
    pub input: PathBuf,
    /// This site's phenotype table (sample IDs in the first column)
    #[arg(long, value_name = "FILE")]
    pub pheno: PathBuf,
    /// The phenotype column holding case/control status (0/1, or PLINK 1/2)
    #[arg(long, value_name = "NAME", default_value = "case")]
    pub case_column: String,
    /// How this site is named to the others
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Study seed for this site's noise: the release is then marked not for
    /// release at every site. Without it the noise comes from the OS
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Longest wait, in seconds, for any one step of another site (their
    /// counting and fitting included)
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,
    /// Longest wait, in seconds, for every site to join
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub wait: u64,
    /// The synthetic genotypes (.vcf.gz, .vcf, .bed, .csv, .tsv); OUT.pheno.tsv and
    /// OUT.manifest.json are written beside it. Nothing is written unless every
    /// site finishes
    #[arg(long, short)]
    pub out: PathBuf,
    /// Record every message sent and received, decrypted, to FILE (for audits
    /// of what leaves the site)
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Args, Debug)]
pub struct HostArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Number of sites, this one included
    #[arg(long, value_name = "N")]
    pub sites: usize,
    /// Sites that may collude or withhold their noise without breaking the budget
    #[arg(long, value_name = "T", default_value_t = 0)]
    pub tolerance: usize,
    /// Privacy budget of the whole release
    #[arg(long, value_name = "E")]
    pub epsilon: f64,
    #[arg(long, value_name = "D", default_value_t = 1e-6)]
    pub delta: f64,
    /// Chain order: 1 links each SNP to the next, 2 to the next two
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub order: u8,
    /// Synthetic individuals to draw (public: part of the set-up)
    #[arg(long, value_name = "N")]
    pub n_synthetic: usize,
    /// The SNP panel every site uses: the variants of a VCF, BCF or PLINK file, or
    /// a table with chrom, pos, ref and alt columns. Default: this site's variants
    #[arg(long, value_name = "FILE")]
    pub panel: Option<PathBuf>,
    /// Address to listen on
    #[arg(long, value_name = "ADDRESS", default_value = "0.0.0.0:7468")]
    pub listen: String,
    /// Public seed of the shared sampling step (default: from the OS)
    #[arg(long, value_name = "S")]
    pub sampling_seed: Option<u64>,
}

#[derive(Args, Debug)]
pub struct JoinArgs {
    /// The host's address, as it gave it (host:port)
    pub address: String,
    /// The session code the host gave
    #[arg(long, value_name = "CODE")]
    pub session: String,
    #[command(flatten)]
    pub site: SiteArgs,
    /// The budget this site agreed to: the session is refused if the host proposes another
    #[arg(long, value_name = "E")]
    pub epsilon: f64,
    /// If given, the session is refused unless the host proposes this delta
    #[arg(long, value_name = "D")]
    pub delta: Option<f64>,
    /// If given, the session is refused unless it has this many sites
    #[arg(long, value_name = "N")]
    pub sites: Option<usize>,
    /// If given, the session is refused unless it tolerates at least T colluding sites
    #[arg(long, value_name = "T")]
    pub min_tolerance: Option<usize>,
}

pub fn run(command: &SiloCommand, job: Job<'_>) -> anyhow::Result<()> {
    match command {
        SiloCommand::Host(args) => host(args, job),
        SiloCommand::Join(args) => join(args, job),
    }
}

/// A site's loaded data, with the files no output may replace.
struct LoadedSite {
    matrix: genopriv_core::data::GenotypeMatrix,
    is_case: Vec<bool>,
    inputs: Vec<PathBuf>,
    hashes: Vec<InputHash>,
}

fn load_site(args: &SiteArgs, job: Job<'_>) -> anyhow::Result<LoadedSite> {
    let mut inputs = input_files(&args.input);
    inputs.push(args.pheno.clone());
    let cohort = load(&args.input, &args.read, job)?;
    let is_case = case_status(
        &args.input,
        cohort.matrix.samples(),
        &args.pheno,
        &args.case_column,
    )?;
    let hashes = [args.input.as_path(), args.pheno.as_path()]
        .into_iter()
        .map(|path| {
            Ok(InputHash {
                path: path.display().to_string(),
                sha256: sha256_file(path, job)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(LoadedSite {
        matrix: cohort.matrix,
        is_case,
        inputs,
        hashes,
    })
}

fn options(args: &SiteArgs) -> anyhow::Result<SessionOptions> {
    let mut options = SessionOptions::new(
        Duration::from_secs(args.timeout.max(1)),
        Duration::from_secs(args.wait.max(1)),
    );
    options.notice = Box::new(|notice| eprintln!("genopriv: {notice}"));
    if let Some(path) = &args.transcript {
        options.transcript = Some(Box::new(FileTranscript::create(path)?));
    }
    Ok(options)
}

fn host(args: &HostArgs, job: Job<'_>) -> anyhow::Result<()> {
    let site = load_site(&args.site, job)?;
    let refs: Vec<&Path> = site.inputs.iter().map(PathBuf::as_path).collect();
    let outputs = ReleaseOutputs::claim(&args.site.out, &refs)?;
    let panel = match &args.panel {
        None => site.matrix.variants().to_vec(),
        Some(path) => read_panel(path, &args.site.read, job)?,
    };
    let listen: SocketAddr = args.listen.parse().map_err(|_| {
        anyhow::anyhow!(
            "`{}` is not an address to listen on: give an IP address and port, e.g. 0.0.0.0:7468",
            args.listen
        )
    })?;
    let parameters = SiloParameters {
        epsilon: args.epsilon,
        delta: args.delta,
        structure: if args.order == 2 {
            Structure::SecondOrderTanChain
        } else {
            Structure::TanChain
        },
        sites: args.sites,
        tolerance: args.tolerance,
        n_synthetic: args.n_synthetic,
        estimator: EstimatorOptions::default(),
    };
    let session = SiloHost::bind(listen, panel, &parameters, args.sampling_seed)?;
    let address = session.local_addr()?;
    let noise = session.setup().noise;
    println!("Session open on {address}. Give each site, by a channel you trust:");
    println!("  address: {address}");
    println!("  code: {}", session.code());
    println!("Set-up: {}", setup_sentence(session.setup()));
    println!("{}", noise_split_sentence(&noise));
    println!("{}", threat_model_sentence(args.sites, args.tolerance));
    println!("Waiting for {} site(s) to join…", args.sites - 1);
    let name = args.site.name.clone().unwrap_or_else(|| "host".to_owned());
    let outcome = session
        .run(
            site_input(&args.site, &site, name),
            options(&args.site)?,
            job,
        )
        .context("the cross-silo session did not finish; nothing was written")?;
    finish(outcome, outputs, &refs, &args.site.out, job)
}

fn join(args: &JoinArgs, job: Job<'_>) -> anyhow::Result<()> {
    let code = SessionCode::parse(&args.session)?;
    let address = args
        .address
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "`{}` is not a host address: give it as the host printed it, e.g. 10.0.0.5:7468",
                args.address
            )
        })?;
    let site = load_site(&args.site, job)?;
    let refs: Vec<&Path> = site.inputs.iter().map(PathBuf::as_path).collect();
    let outputs = ReleaseOutputs::claim(&args.site.out, &refs)?;
    let agreement = Agreement {
        epsilon: args.epsilon,
        delta: args.delta,
        sites: args.sites,
        min_tolerance: args.min_tolerance,
    };
    let name = args.site.name.clone().unwrap_or_default();
    let outcome = silo::join(
        address,
        &code,
        &agreement,
        site_input(&args.site, &site, name),
        options(&args.site)?,
        job,
    )
    .context("the cross-silo session did not finish; nothing was written")?;
    finish(outcome, outputs, &refs, &args.site.out, job)
}

fn site_input<'a>(args: &'a SiteArgs, site: &'a LoadedSite, name: String) -> SiteInput<'a> {
    SiteInput {
        name,
        matrix: &site.matrix,
        is_case: &site.is_case,
        source: &args.input,
        inputs: site.hashes.clone(),
        noise_seed: args.seed,
    }
}

/// A panel file: the variants of a VCF, BCF or PLINK file, or else a table
/// with chrom, pos, ref and alt columns.
fn read_panel(
    path: &Path,
    read: &ReadArgs,
    job: Job<'_>,
) -> anyhow::Result<Vec<genopriv_core::data::Variant>> {
    match GenotypeFormat::from_path(path) {
        Ok(GenotypeFormat::Vcf | GenotypeFormat::Bcf | GenotypeFormat::PlinkBed) => {
            Ok(load(path, read, job)?.matrix.variants().to_vec())
        }
        _ => Ok(silo::read_panel_table(path)?),
    }
}

fn finish(
    outcome: SiloOutcome,
    outputs: ReleaseOutputs,
    inputs: &[&Path],
    out: &Path,
    job: Job<'_>,
) -> anyhow::Result<()> {
    let files = write_release(&outcome, outputs, inputs, job)?;
    let manifest = &outcome.synthesis.manifest;
    let cohort = &outcome.synthesis.cohort;
    println!(
        "Session complete: {} synthetic people x {} SNPs from {} sites ({}).",
        cohort.matrix.n_samples(),
        cohort.matrix.n_variants(),
        outcome.sites.len(),
        outcome.sites.join(", ")
    );
    println!(
        "Written: {}, {}, {}.",
        files.genotypes.display(),
        files.phenotypes.display(),
        files.manifest.display()
    );
    if let Some(record) = &manifest.cross_silo {
        println!(
            "Privacy: epsilon {} (delta {:e}). {}",
            number(manifest.epsilon),
            manifest.delta,
            noise_split_sentence(&record.noise)
        );
        println!(
            "{}",
            threat_model_sentence(record.sites.len(), record.tolerance)
        );
    }
    if outcome.not_for_release {
        eprintln!(
            "genopriv: warning: a site used a study seed; this output is marked not for release ({})",
            out.display()
        );
    }
    Ok(())
}

/// Writes a finished session's synthetic genotypes, phenotypes and manifest
/// (the command line and the desktop wizard share it).
pub(crate) fn write_release(
    outcome: &SiloOutcome,
    outputs: ReleaseOutputs,
    inputs: &[&Path],
    job: Job<'_>,
) -> Result<ReleaseFiles, Error> {
    let manifest = &outcome.synthesis.manifest;
    let mut meta = vec![
        (
            "genopriv_mechanism".to_owned(),
            format!(
                "synthetic, cross-silo ({} sites): chain model, distributed discrete Gaussian \
                 marginals under zCDP, secure aggregation",
                outcome.sites.len()
            ),
        ),
        ("genopriv_epsilon".to_owned(), manifest.epsilon.to_string()),
        ("genopriv_delta".to_owned(), manifest.delta.to_string()),
        ("genopriv_rho".to_owned(), manifest.rho.to_string()),
    ];
    if outcome.not_for_release {
        meta.push((
            "genopriv_not_for_release".to_owned(),
            "a site's noise came from a study seed".to_owned(),
        ));
    }
    outputs.write(manifest, &outcome.synthesis.cohort, &meta, inputs, job)
}

/// The `--transcript` file: per message, direction (1 sent, 0 received), the
/// peer's name and the frame, each length-prefixed (u32, big-endian).
struct FileTranscript {
    path: PathBuf,
    file: BufWriter<File>,
}

impl FileTranscript {
    fn create(path: &Path) -> anyhow::Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: BufWriter::new(file),
        })
    }
}

impl Transcript for FileTranscript {
    fn record(&mut self, sent: bool, peer: &str, frame: &[u8]) {
        let written = self
            .file
            .write_all(&[u8::from(sent)])
            .and_then(|()| self.file.write_all(&(peer.len() as u32).to_be_bytes()))
            .and_then(|()| self.file.write_all(peer.as_bytes()))
            .and_then(|()| self.file.write_all(&(frame.len() as u32).to_be_bytes()))
            .and_then(|()| self.file.write_all(frame))
            .and_then(|()| self.file.flush());
        if let Err(e) = written {
            eprintln!(
                "genopriv: warning: the transcript {} could not be written: {e}",
                self.path.display()
            );
        }
    }
}
