//! The `innate` binary: see `innate --help`.

use clap::Parser;

// Candle makes many short-lived allocations; glibc's malloc makes training several times slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = innate_cli::Cli::parse();
    if let Err(e) = innate_cli::execute(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
