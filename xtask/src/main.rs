//! Project automation for innate, in Rust instead of shell scripts (the `xtask` pattern):
//!
//! - `cargo xtask download [DATASET...] [--mirror DIR_OR_URL]`: fetch the official dataset files
//!   into the data root, verifying their checksums;
//! - `cargo xtask fixtures [--from DIR]`: cut the small committed test fixtures under
//!   `data/fixtures/` from a full copy of the data;
//! - `cargo xtask reproduce [--profile quick|paper] [--only NAME] [--jobs N]`: build `innate` in release
//!   mode and run the papers' experiments, writing results/, figures/ and REPORT.md.

mod download;
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "innate project automation")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Fetch the official dataset files (with progress and checksum checks) into the data root
    Download(download::Args),
    /// Cut the committed test fixtures (data/fixtures/) from a full copy of the datasets
    Fixtures(fixtures::Args),
    /// Build innate (release) and run the papers' experiments: results/, figures/, REPORT.md
    Reproduce(ReproduceArgs),
}

#[derive(clap::Args)]
struct ReproduceArgs {
    /// quick (minutes on a CPU) or paper (the papers' protocol)
    #[arg(long, default_value = "quick")]
    profile: String,
    /// Run only these experiments (repeatable)
    #[arg(long, value_name = "NAME")]
    only: Vec<String>,
    /// Run again even where finished runs exist
    #[arg(long)]
    force: bool,
    /// Only redraw figures and REPORT.md from results/*.jsonl
    #[arg(long)]
    report_only: bool,
    /// List the experiments and exit
    #[arg(long)]
    list: bool,
    /// Data root [default: $INNATE_DATA, else ./data]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Where missing datasets are copied from (a folder or URL laid out like the data root)
    #[arg(long, value_name = "DIR_OR_URL")]
    mirror: Option<String>,
    /// cpu, cuda or cuda:N (cuda builds innate with --features cuda)
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Print only warnings and errors
    #[arg(long, short)]
    quiet: bool,
    /// Runs trained at once, each on the cores divided among them [default: the CPU cores with
    /// --device cpu, 1 with cuda]
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<u16>,
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Download(a) => download::run(&a),
        Cmd::Fixtures(a) => fixtures::run(&a),
        Cmd::Reproduce(a) => reproduce(&a),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn reproduce(a: &ReproduceArgs) -> anyhow::Result<()> {
    let root = workspace_root();
    if !a.report_only && !a.list {
        // The experiments of the registry read these datasets; fetch what is missing.
        let fetch = download::Args {
            datasets: vec!["mnist".into()],
            mirror: a.mirror.clone(),
            data_dir: a.data_dir.clone(),
            force: false,
        };
        download::run(&fetch).context("the experiments' datasets are not available")?;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root).args(["run", "--release", "--quiet", "-p", "innate-cli", "--bin", "innate"]);
    if a.device.starts_with("cuda") {
        cmd.args(["--features", "cuda"]);
    }
    cmd.args(["--", "reproduce", "--profile", &a.profile, "--device", &a.device]);
    if let Some(jobs) = a.jobs {
        cmd.args(["--jobs", &jobs.to_string()]);
    }
    for n in &a.only {
        cmd.args(["--only", n]);
    }
    if a.force {
        cmd.arg("--force");
    }
    if a.report_only {
        cmd.arg("--report-only");
    }
    if a.list {
        cmd.arg("--list");
    }
    if a.quiet {
        cmd.arg("--quiet");
    }
    // Resolve the data root here, so that a relative --data-dir or INNATE_DATA means the same
    // folder to `innate`, which runs in the workspace root.
    let data = innate_datasets::data_root(a.data_dir.as_deref());
    cmd.arg("--data-dir").arg(std::path::absolute(&data)?);
    let status = cmd.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("innate reproduce failed ({status})");
    }
    Ok(())
}
