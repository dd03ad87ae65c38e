//! The `innate` command-line tool, as a library so that its commands can be tested and reused:
//! argument parsing (`cli`), their conversion into the libraries' data (`convert`) and the
//! commands that call the libraries and print what they return (`commands`). What a run is lives
//! in `innate-run`, the experiments in `innate-experiments` (see ARCHITECTURE.md).
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

// The argument structs' doc comments are also their `--help` texts, written for a terminal:
// `<dataset>` and `[-<size>]` there are placeholders, not HTML or links.
#[allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]
pub mod cli;
pub mod commands;
pub mod convert;

use std::ffi::OsString;

use clap::Parser;

pub use cli::{Cli, Command};

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

/// An error and its causes on one line, outermost first, leaving out a cause whose text an
/// outer message already quotes (many errors name their OS error in their own message).
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

/// The CPU cores this process may use: Candle's count (the physical cores, or `CANDLE_CPU_MASK`)
/// when `RAYON_NUM_THREADS` is unset, capped by the CPUs the process is allowed to run on (its
/// affinity mask and container limit); with `RAYON_NUM_THREADS` set, those allowed CPUs alone.
/// Worked out once, on the first call, which the binary makes before it sets `RAYON_NUM_THREADS`
/// itself.
pub fn machine_cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        let allowed = std::thread::available_parallelism().map_or(1, usize::from);
        if std::env::var_os("RAYON_NUM_THREADS").is_some() {
            allowed
        } else {
            candle_core::utils::get_num_threads().clamp(1, allowed)
        }
    })
}

/// How many threads each run's CPU kernels should use: `cores` (Candle's default is the physical
/// cores) shared out among the runs that `reproduce --jobs` trains at once; one for `innate train`
/// with a GEM-family encoding, whose per-batch products go through the genes (64 x 784 by 784 x G
/// and the like) and are too small for threads to pay. On 2 cores an ML-S-GEM G = 22 run took
/// 1.8-2.9 s per 1,000 batches on one thread and 2.6-3.7 s on two (three interleaved pairs), while
/// the direct 784-784-10 MLP is faster on two (4.9 against 5.8 s).
pub fn cpu_threads(cli: &Cli, cores: usize) -> usize {
    match &cli.command {
        Command::Reproduce(a) => (cores / a.jobs(&cli.global.device, cores)).max(1),
        Command::Train(a) if innate_run::Encoding::one_thread(a.encoding.name()) => 1,
        _ => cores.max(1),
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
        .with_writer(|| innate_run::progress::LogWriter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_names_each_cause_once() {
        let os = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let quoted = anyhow::Error::new(innate_encodings::GenomeError::Io {
            path: "g.safetensors".into(),
            source: os,
        });
        assert_eq!(error_text(&quoted), "g.safetensors: No such file or directory");
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_text(&plain), "outer: inner");
    }

    #[test]
    fn threads_per_run() {
        let threads = |line: &str| cpu_threads(&Cli::parse_from(line.split_whitespace()), 8);
        assert_eq!(threads("innate reproduce --jobs 2"), 4);
        assert_eq!(threads("innate reproduce --jobs 16"), 1);
        // By default one run per core on the CPU, one run with every core on a GPU machine.
        assert_eq!(threads("innate reproduce"), 1);
        assert_eq!(threads("innate reproduce --device cuda"), 8);
        assert_eq!(threads("innate train --encoding direct"), 8);
        assert_eq!(threads("innate train --encoding rb --basis 10"), 8);
        for enc in ["gem", "sgem", "mlsgem"] {
            assert_eq!(threads(&format!("innate train --encoding {enc} --genes 4")), 1, "{enc}");
        }
        assert_eq!(threads("innate eval genome.safetensors"), 8);
    }
}
