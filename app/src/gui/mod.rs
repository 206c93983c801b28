//! The eframe desktop workbench.

use clap::Args;

#[derive(Args, Debug, Default)]
pub struct GuiArgs {}

pub fn run(_args: GuiArgs) -> anyhow::Result<()> {
    anyhow::bail!("the desktop workbench is being built")
}
