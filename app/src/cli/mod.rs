//! The headless command-line interface.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::gui::GuiArgs;

#[derive(Parser, Debug)]
#[command(
    name = "genopriv",
    version,
    about = "Tells whether a genomic dataset is safe to release, and makes it safer"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub gui: GuiArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Summarise a genotype file: samples, variants, skipped records, missingness
    Inspect,
}

pub fn run(_command: Command) -> ExitCode {
    ExitCode::FAILURE
}
