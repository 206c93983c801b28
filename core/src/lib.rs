//! GenoPriv's domain logic, free of any GUI.
//!
//! - [`data`]: the bit-packed [`data::GenotypeMatrix`], its readers and writers.
//! - [`stats`]: summary statistics (frequencies, missingness, Hardy-Weinberg) and
//!   GWAS association tests.
//! - [`sharing`]: the XOR mechanism (PROVGEN) with frequency restoration, and
//!   randomized-response baselines.
//! - [`utility`]: record-level utility of a released matrix.
//! - [`dp`]: privacy accounting (RDP, PLD, GDP) and the ROC ceiling it implies.
//! - [`models`]: logistic models, scikit-learn-style SGD, DP-SGD and FedAvg.
//! - [`audit`]: attack metrics and membership/label inference attacks.
//! - [`synthesis`]: DP synthetic genotypes from noisy chain marginals.
//! - [`study`]: one release with all its measurements, and sweeps over epsilon with a
//!   recommended budget.
//! - [`explain`]: numbers to plain-language sentences, shared by GUI and report.
//! - [`project`]: a project file (inputs with SHA-256, settings, seeds, results) and
//!   its headless rerun.
//! - [`report`]: the self-contained HTML report for an IRB.
//! - [`simulate`]: seeded genotypes with LD and a phenotype, for tests and null controls.
//! - [`job`]: the progress sink and cancel token every long function takes.
//! - [`error`]: the error type every fallible function returns.
//!
//! Architecture invariants: no global state, no network, no printing; inputs are
//! never modified and outputs are written atomically.

pub mod audit;
pub mod data;
pub mod dp;
pub mod error;
pub mod explain;
pub mod job;
pub mod models;
pub mod project;
pub mod report;
pub mod sharing;
pub mod simulate;
pub mod stats;
pub mod study;
pub mod synthesis;
pub mod utility;

pub use error::{Error, Location, Result};
pub use job::{CancelToken, Job, ProgressSink};
