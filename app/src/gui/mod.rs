//! The eframe desktop workbench.
//!
//! Layout: [`app`] holds the window, navigation and job handling; [`welcome`],
//! [`data_screen`], [`protect_view`] and [`audit_view`] draw the screens ([`protect`]
//! holds the Protect screen's state and jobs, [`protect_charts`] its charts, [`synth`],
//! [`synth_view`] and [`synth_charts`] its Synthesize side, [`silo`] and [`silo_view`] the
//! Synthesize side's cross-silo wizard; [`audit`]
//! and [`audit_charts`] the same for the Audit screen; [`tradeoffs`],
//! [`tradeoffs_view`] and [`tradeoffs_charts`] for the Trade-offs screen); [`jobs`] runs
//! long work on worker threads;
//! [`summary`] and [`phenotypes`] turn a loaded dataset into what the Data screen shows.
//! [`project`] keeps the session's project (saving and opening project files),
//! [`report_screen`] draws the Report screen and exports the IRB report, [`learn`] the
//! Learn screen, and [`roles`] says what each role (steward, IRB reviewer, clinician) sees.

mod about;
mod app;
mod audit;
mod audit_charts;
mod audit_view;
mod columns;
mod data_screen;
mod format;
mod frame_times;
mod jobs;
mod learn;
mod phenotypes;
mod plots;
mod project;
mod protect;
mod protect_charts;
mod protect_view;
mod report_screen;
mod roles;
mod sample_data;
mod silo;
mod silo_view;
mod summary;
mod synth;
mod synth_charts;
mod synth_view;
mod table;
mod tradeoffs;
mod tradeoffs_charts;
mod tradeoffs_view;
mod welcome;

use std::path::PathBuf;

use clap::Args;

pub use app::{GenoPrivApp, ReadFn, Screen, Startup};
pub use audit::{AuditForm, AuditPlan, FederationForm, ModelChoice};
pub use protect::{DEFAULT_SWEEP_PER_SNP, EpsilonUnitChoice, ProtectForm, TargetKind};
pub use roles::Role;
pub use sample_data::{SampleData, locate_sample_data};
pub use silo::{HostForm, Hosting, JoinForm, SiloPanel};
pub use synth::SynthForm;
pub use tradeoffs::TradeoffsScreen;

/// Options of the desktop window (used when `genopriv` runs without a subcommand).
#[derive(Args, Debug, Default)]
pub struct GuiArgs {
    /// Genotype file to open when the window starts (VCF, BCF, PLINK .bed, CSV/TSV matrix)
    #[arg(long, value_name = "FILE")]
    pub open: Option<PathBuf>,

    /// Phenotype table (sample ID, case/control column) to join to the file given with --open
    #[arg(long, value_name = "FILE", requires = "open")]
    pub phenotypes: Option<PathBuf>,

    /// Start with the bundled sample cohort loaded
    #[arg(long, conflicts_with = "open")]
    pub sample_data: bool,

    /// GenoPriv project to open when the window starts (its stored results, and
    /// its cohort for the steward)
    #[arg(long, value_name = "PROJECT.json", conflicts_with_all = ["open", "sample_data"])]
    pub project: Option<PathBuf>,

    /// Write the CPU time of every frame to FILE (CSV) when the window closes: for
    /// measuring that the window stays responsive while studies run
    #[arg(long, value_name = "FILE")]
    pub frame_times: Option<PathBuf>,
}

/// The window's icon, drawn for GenoPriv (`assets/icon.svg` is its source).
pub(crate) const ICON_PNG: &[u8] = include_bytes!("../../../assets/icon.png");

/// Opens the desktop window and blocks until it is closed.
pub fn run(args: GuiArgs) -> anyhow::Result<()> {
    let startup = Startup {
        open: args.open,
        phenotypes: args.phenotypes,
        sample_data: args.sample_data,
        project: args.project,
        frame_times: args.frame_times,
    };
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("GenoPriv")
        .with_app_id("genopriv")
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([720.0, 480.0])
        .with_drag_and_drop(true);
    // A broken icon must not keep the window from opening: say so and go on.
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => eprintln!("genopriv: the window icon could not be decoded: {e}"),
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        "GenoPriv",
        options,
        Box::new(move |cc| Ok(Box::new(GenoPrivApp::new(cc, startup)))),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
}
