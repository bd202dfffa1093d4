//! `all_optimizers`' command line: the lecture's four optimizers side by side.

use crate::MAX_EPOCHS;
use clap::builder::RangedU64ValueParser;
use clap::Parser;
use std::path::PathBuf;

/// Trains the lecture's sigmoid network with SGD, Adagrad, RMSprop and Adam from the same
/// initial weights and prints their losses side by side.
#[derive(Parser, Debug, Clone)]
#[command(name = "all_optimizers", allow_negative_numbers = true)]
pub struct Cli {
    /// Number of epochs (full-batch steps) per optimizer, at most 10 000 000.
    #[arg(long, default_value_t = 100, value_parser = RangedU64ValueParser::<usize>::new().range(0..=MAX_EPOCHS))]
    pub epochs: usize,
    /// Seed of the generator that draws the shared initial weights (`manual_seed`).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Start every run from the weights in this safetensors file instead.
    #[arg(long, value_name = "FILE.safetensors")]
    pub init: Option<PathBuf>,
    /// Also print, as the last line, every run's losses and final parameters as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also draw the four loss curves against the epoch to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    pub plot: Option<PathBuf>,
}
