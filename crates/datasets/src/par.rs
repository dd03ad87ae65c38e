//! Decoding many small images on every core.

use crate::error::{DataError, Result};

/// Fills `out` (`items.len() * per` bytes) by calling `f(item, slot)` for each item on its own
/// `per`-byte slot, spreading the items over the available cores. The first error wins.
pub(crate) fn fill<T: Sync>(
    items: &[T],
    out: &mut [u8],
    per: usize,
    f: impl Fn(&T, &mut [u8]) -> Result<()> + Sync,
) -> Result<()> {
    debug_assert_eq!(out.len(), items.len() * per);
    if items.is_empty() {
        return Ok(());
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .zip(out.chunks_mut(chunk * per))
            .map(|(its, dst)| {
                s.spawn(move || {
                    its.iter().zip(dst.chunks_exact_mut(per)).try_for_each(|(item, slot)| f(item, slot))
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join().map_err(|_| DataError::Invalid("an image decoding thread panicked".into()))?
        })
    })
}
