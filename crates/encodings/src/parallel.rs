//! Work split over Candle's own CPU worker threads, for the custom ops' loops.
//!
//! Candle runs its CPU kernels on a pool of its own whose workers spin for a while after each
//! op before they sleep. A custom op that split its work over Rayon's threads instead would
//! compete with those spinning workers for the cores (on 2 cores, a sixth of LeNet-5's samples
//! were Candle's worker spinning while Rayon's threads convolved). [`for_each_chunk_mut`] hands
//! the work to Candle's pool, whose workers are then the ones busy.
//!
//! ```
//! use innate_encodings::parallel::for_each_chunk_mut;
//!
//! let mut v = vec![0usize; 10];
//! for_each_chunk_mut(&mut v, 3, || (), |_, i, chunk| chunk.fill(i));
//! assert_eq!(v, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
//! ```

/// A pointer that may cross threads: each thread reaches only its own chunks through it.
struct Shared<T>(*mut T);

// SAFETY: the chunks handed to different threads never overlap (see `for_each_chunk_mut`).
unsafe impl<T: Send> Sync for Shared<T> {}

/// Calls `f(scratch, i, chunk)` for the `i`-th `chunk`-long piece of `out` (the last one may be
/// shorter), pieces in parallel on Candle's CPU threads; `scratch` comes from `init`, once per
/// run of consecutive pieces a thread takes.
pub fn for_each_chunk_mut<T: Send, S>(
    out: &mut [T],
    chunk: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize, &mut [T]) + Sync,
) {
    let chunk = chunk.max(1);
    let (len, n) = (out.len(), out.len().div_ceil(chunk));
    let base = Shared(out.as_mut_ptr());
    let base = &base;
    candle_core::utils::barrier_pool().execute_chunked(n, |range| {
        let mut scratch = init();
        for i in range {
            let start = i * chunk;
            let piece = chunk.min(len - start);
            // SAFETY: `execute_chunked` hands out every index of 0..n exactly once, so the
            // pieces [start, start + piece) are disjoint and inside `out`, which outlives the call.
            let slice = unsafe { std::slice::from_raw_parts_mut(base.0.add(start), piece) };
            f(&mut scratch, i, slice);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_is_visited_once() {
        let mut v = vec![0u32; 1001];
        for_each_chunk_mut(&mut v, 7, || 0u32, |_, i, c| c.iter_mut().for_each(|x| *x += i as u32 + 1));
        for (j, x) in v.iter().enumerate() {
            assert_eq!(*x, (j / 7) as u32 + 1);
        }
        let mut empty: Vec<u8> = vec![];
        for_each_chunk_mut(&mut empty, 4, || (), |_, _, _| panic!("no chunks"));
    }
}
