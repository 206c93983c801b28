//! GenoPriv's domain logic, free of any GUI.
//!
//! - [`data`]: the bit-packed [`data::GenotypeMatrix`], its readers and writers.
//! - [`stats`]: per-variant and per-sample summary statistics.
//! - [`job`]: the progress sink and cancel token every long function takes.
//! - [`error`]: the error type every fallible function returns.
//! - [`explain`]: numbers to plain-language sentences, shared by GUI and report.
//! - [`models`]: logistic models, scikit-learn-style SGD and DP-SGD.
//! - [`audit`]: attack metrics and membership/label inference attacks.
//! - [`simulate`]: seeded genotypes with LD and a phenotype, for tests and null controls.
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
pub mod sharing;
pub mod simulate;
pub mod stats;
pub mod utility;

pub use error::{Error, Location, Result};
pub use job::{CancelToken, Job, ProgressSink};
