//! The `innate` command-line tool, as a library so that its commands can be tested and reused.
//!
//! `innate` trains genomes and the papers' baselines on real datasets, evaluates and inspects
//! genome files, checks datasets, and reproduces the papers' tables and figures:
//!
//! ```text
//! innate data info mnist
//! innate train --dataset mnist --model mlp --hidden 800 --encoding direct --seed 0 --out runs/mlp
//! innate eval runs/mlp/genome.safetensors --dataset mnist
//! innate inspect runs/mlp/genome.safetensors
//! innate reproduce --profile quick
//! ```
//!
//! The same commands are available to Rust code through [`run`]:
//!
//! ```no_run
//! innate_cli::run(["innate", "data", "info", "mnist", "--data-dir", "data"]).unwrap();
//! ```

#![warn(missing_docs)]

pub mod cli;
pub mod commands;
pub mod device;
pub mod genomes;
pub mod panels;
pub mod plot;
pub mod progress;
pub mod reproduce;
pub mod runs;

use std::ffi::OsString;

use clap::Parser;

pub use cli::Cli;

/// Parses `args` (program name first) and runs the command. `--help` and `--version` print
/// their text and return `Ok`.
pub fn run<I, T>(args: I) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => execute(cli),
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            print!("{e}");
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// Runs an already parsed command line.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    init_logging(cli.global.quiet, cli.global.verbose);
    commands::dispatch(cli)
}

fn init_logging(quiet: bool, verbose: u8) {
    let level = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("INNATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .try_init();
}
