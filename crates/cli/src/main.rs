//! The `innate` binary: see `innate --help`.

use clap::Parser;

// Candle makes many short-lived allocations; glibc's malloc makes training several times slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Piping into `head` and the like closes stdout early: end quietly, as other Unix tools do,
    // instead of panicking on the failed write.
    #[cfg(unix)]
    // SAFETY: restores the default action of SIGPIPE at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = innate_cli::Cli::parse();
    if let Err(e) = innate_cli::execute(cli) {
        eprintln!("error: {}", innate_cli::error_text(&e));
        std::process::exit(1);
    }
}
