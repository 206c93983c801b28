//! Cross-silo synthesis (spec §5): sites holding parts of one cohort on the
//! same SNP panel publish one synthetic cohort together. Each site counts its
//! own clique tables, adds its share of distributed discrete Gaussian noise
//! ([`noise`]), hides the result under pairwise masks ([`secure_sum`]) and sends
//! it to the host, which learns only the sum. Every site then fits and samples
//! the same model from that sum with a shared public seed.
//!
//! - [`setup`]: the public parameters and each site's checks of them.
//! - [`wire`]: messages and framing; [`transport`]: TLS and the session code
//!   (the only module that opens sockets); [`session`]: the two state machines.

pub mod noise;
pub mod secure_sum;
pub mod session;
pub mod setup;
pub mod transport;
pub mod wire;

use serde::{Deserialize, Serialize};

pub use noise::DistributedNoise;
pub use session::{SessionOptions, SiloHost, SiloOutcome, SiteInput, cohort_sha256, join};
pub use setup::{Agreement, SiloParameters, SiloSetup, align_to_panel, read_panel_table};
pub use transport::{SessionCode, Transcript};

/// What the manifest records about a cross-silo measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrossSiloRecord {
    pub protocol_version: u32,
    pub session_id: String,
    /// The contributing sites, the host first.
    pub sites: Vec<String>,
    /// The site this copy of the manifest was written at.
    pub this_site: String,
    pub tolerance: usize,
    pub noise: DistributedNoise,
    pub secure_aggregation: String,
    pub threat_model: String,
    pub panel_sha256: String,
    /// Public seed of the shared sampling step.
    pub sampling_seed: u64,
    /// Sites whose noise came from a study seed (then: not for release).
    pub seeded_sites: Vec<String>,
}
