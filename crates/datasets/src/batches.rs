//! Seeded, shuffled batches of indices.
//!
//! [`ShuffledBatches`] walks through a fresh random permutation of `0..len` each epoch and never
//! ends; the permutation of epoch `e` depends only on the seed and `e`, so runs with the same seed
//! see the same batches. Only indices are produced: the images stay where they are.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// An endless iterator over batches of indices into a dataset of `len` items.
#[derive(Debug, Clone)]
pub struct ShuffledBatches {
    order: Vec<u32>,
    pos: usize,
    batch_size: usize,
    seed: u64,
    epoch: u64,
}

impl ShuffledBatches {
    /// Batches of `batch_size` (at least 1) indices below `len`, shuffled with `seed`.
    ///
    /// The last batch of an epoch holds what is left (it may be smaller), as PyTorch's
    /// `DataLoader` does by default. With `len == 0` the iterator is empty.
    pub fn new(len: usize, batch_size: usize, seed: u64) -> Self {
        let mut s =
            Self { order: (0..len as u32).collect(), pos: 0, batch_size: batch_size.max(1), seed, epoch: 0 };
        s.shuffle();
        s
    }

    fn shuffle(&mut self) {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ self.epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        self.order.shuffle(&mut rng);
    }

    /// How many complete epochs have been handed out.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

impl Iterator for ShuffledBatches {
    type Item = Vec<u32>;

    fn next(&mut self) -> Option<Vec<u32>> {
        if self.order.is_empty() {
            return None;
        }
        if self.pos >= self.order.len() {
            self.epoch += 1;
            self.pos = 0;
            self.shuffle();
        }
        let end = (self.pos + self.batch_size).min(self.order.len());
        let batch = self.order[self.pos..end].to_vec();
        self.pos = end;
        Some(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_epoch_is_a_permutation() {
        let mut b = ShuffledBatches::new(10, 4, 7);
        for _ in 0..3 {
            let mut seen: Vec<u32> = (0..3).flat_map(|_| b.next().unwrap()).collect();
            seen.sort();
            assert_eq!(seen, (0..10).collect::<Vec<_>>());
        }
        assert_eq!(b.epoch(), 2);
    }

    #[test]
    fn same_seed_same_batches_other_seed_other_batches() {
        let a: Vec<_> = ShuffledBatches::new(100, 8, 1).take(30).collect();
        let b: Vec<_> = ShuffledBatches::new(100, 8, 1).take(30).collect();
        let c: Vec<_> = ShuffledBatches::new(100, 8, 2).take(30).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Epochs differ from each other too.
        let e0: Vec<u32> = a[..13].concat();
        let e1: Vec<u32> = a[13..26].concat();
        assert_ne!(e0, e1);
    }

    #[test]
    fn empty_is_empty() {
        assert!(ShuffledBatches::new(0, 4, 0).next().is_none());
    }
}
