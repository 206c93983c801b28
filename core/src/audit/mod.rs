//! Privacy audits of trained models: attack metrics and the attacks themselves
//! (spec audits §1-§3). Orientation: member = 1 = positive, higher score = more
//! likely a member.

pub mod attacks;
pub mod label;
pub mod lira;
pub mod metrics;
pub mod rmia;
pub mod shadow;
pub mod shared_data;

pub use metrics::{AttackReport, Interval, ReportOptions, Roc, ThresholdRule};
