//! The `innate` binary: see `innate --help`.

use clap::Parser;

// Candle makes many short-lived allocations; glibc's malloc makes training several times slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its v3 `mimalloc.h`, the version `libmimalloc-sys` builds
/// by default; the test below checks the index by the option's default there, 1,000 ms).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// Keeps freed memory for reuse instead of handing it back to the OS after mimalloc's purge
/// delay. A training step frees and allocates the same large buffers every few milliseconds;
/// purged, each allocation faults its pages in again and the kernel zeroes them (LeNet-5's
/// locally connected net on 2 cores: 2.4 s of system time per 200 batches, 0.7 s with this).
/// A run's memory is what its largest step needs either way. `MIMALLOC_PURGE_DELAY` still wins.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a documented runtime option of the allocator this binary links.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

/// Rounds Candle's CPU workers spin before they sleep (see `main`).
const SPIN_LIMIT: u32 = 1_000;

fn main() {
    keep_freed_memory();
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
    // Candle's own CPU workers spin for 25,000 rounds after each of its kernels before they
    // sleep, and the matrix products run on rayon's threads instead: on 2 cores a spinning
    // worker took a core from the product after every optimiser step (the direct 784-784-10 MLP:
    // 2.2-2.5 s per 1,000 batches on 2 threads, 1.6-1.7 s with 1,000 rounds; LeNet-5 unchanged,
    // 6.1-6.3 s either way). CANDLE_BARRIER_POOL_SPIN_LIMIT still wins.
    if std::env::var_os("CANDLE_BARRIER_POOL_SPIN_LIMIT").is_none() {
        // SAFETY: set at start-up, before any thread exists that could read the environment.
        unsafe {
            std::env::set_var("CANDLE_BARRIER_POOL_SPIN_LIMIT", SPIN_LIMIT.to_string());
        }
    }
    if let Err(e) = innate_cli::execute(cli) {
        eprintln!("error: {}", innate_cli::error_text(&e));
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_at_that_index() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads an allocator option.
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000, "mimalloc's option list changed");
        keep_freed_memory();
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, -1);
    }
}
