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
    let cores = innate_cli::machine_cores();
    // Candle asks for its thread count at every matrix product and, without RAYON_NUM_THREADS,
    // works it out by parsing /proc/cpuinfo each time (a tenth of an ML-S-GEM training profile).
    // Fix the count once ([`innate_cli::cpu_threads`]: the cores, divided among `reproduce --jobs`,
    // or one for a GEM-family `train`, whose small products run faster on one thread).
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        let threads = innate_cli::cpu_threads(&cli, cores);
        // SAFETY: set at start-up, before any thread exists that could read the environment.
        unsafe {
            std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
        }
        // The runs of `--jobs` share rayon's global pool: it keeps every core, while each run's
        // kernels split their work `threads` ways.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(cores).build_global();
    }
    if let Err(e) = innate_cli::execute(cli) {
        eprintln!("error: {}", innate_cli::error_text(&e));
        std::process::exit(1);
    }
}
