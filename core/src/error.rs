//! The error type of `genopriv-core`.
//!
//! Every error that input can cause names the file and, where there is one, the
//! line or record, so that a user can find and fix the problem.

use std::fmt;
use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a file a problem was found. Lines and records are 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Line(u64),
    /// A line and a named column or field.
    Field {
        line: u64,
        field: String,
    },
    /// A record of a binary or block format (a variant of a BCF or a .bed file).
    Record(u64),
    /// A byte offset in a binary file.
    Byte(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Field { line, field } => write!(f, "line {line}, column {field}"),
            Location::Record(n) => write!(f, "record {n}"),
            Location::Byte(n) => write!(f, "byte {n}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system's reason is part of the message, and deliberately
    /// not also the error's `source()`: a chain printer (anyhow's `{:#}`) would
    /// say it twice.
    #[error("{}: {reason}", path.display())]
    Io {
        path: PathBuf,
        reason: std::io::Error,
    },

    /// Malformed content at a known place in a file.
    #[error("{}, {location}: {message}", path.display())]
    Parse {
        path: PathBuf,
        location: Location,
        message: String,
    },

    /// A file that is well formed but unusable as a whole (empty, no samples, no GT
    /// field, duplicated sample IDs...).
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },

    /// The file's type could not be recognised, or is not supported for this use.
    #[error("{}: {message}", path.display())]
    UnsupportedFormat { path: PathBuf, message: String },

    /// Two inputs that must agree do not (sample sets, variant lists, shapes).
    #[error("{0}")]
    Mismatch(String),

    /// A parameter outside its valid range.
    #[error("invalid parameter: {0}")]
    Parameter(String),

    /// A cross-silo session failed: a peer left, timed out, misbehaved or
    /// disagreed on the set-up. The message says which site and at which step.
    #[error("{0}")]
    Session(String),

    #[error("cancelled")]
    Cancelled,
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            reason: source,
        }
    }

    pub fn parse(path: impl AsRef<Path>, location: Location, message: impl Into<String>) -> Self {
        Error::Parse {
            path: path.as_ref().to_path_buf(),
            location,
            message: message.into(),
        }
    }

    pub fn invalid(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::Invalid {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }

    pub fn unsupported(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::UnsupportedFormat {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }
}
