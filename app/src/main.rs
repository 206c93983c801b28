//! `genopriv`: with no arguments, the desktop workbench; with a subcommand, a
//! headless run of the same code.

use std::process::ExitCode;

use clap::Parser;
use genopriv_app::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => match genopriv_app::gui::run(cli.gui) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("genopriv: could not start the desktop window: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some(command) => genopriv_app::cli::run(command),
    }
}
