//! The `genopriv` binary's two faces over `genopriv-core`: a clap CLI for headless
//! runs and an eframe desktop workbench. Both are thin: the work is in the core.

pub mod cli;
pub mod gui;
