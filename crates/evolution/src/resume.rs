//! Long runs that survive interruption, and runs that stop when learning breaks down.
//!
//! A strategy that can go on after a stop ([`Strategy::train_resumable`](crate::Strategy)) hands
//! its caller a [`TrainState`] after every completed step it can go on from (an evaluation of
//! lifetime learning, a generation of intermittent training) and, given one back, goes on from it
//! exactly as if it had not stopped: every tensor it trains, its optimisers' moments, the
//! positions of its random streams (batch order, dropout masks, fitting samples), its best
//! tensors and its curve. On the CPU the resumed run ends with the same genome and curve, bit for
//! bit, as one that never stopped; the run layer keeps the state in the run folder's
//! `checkpoint.safetensors`.
//!
//! [`CollapseWatch`] notices a run whose training loss has gone back to chance (`ln C` for `C`
//! classes: the network's outputs no longer depend on its input, as an unstable SGD run of a
//! deep ReLU network does when its units die) after it had learned something. Such a step is
//! never checkpointed, so the checkpoint left behind is the last good one.
//!
//! ```
//! use innate_evolution::resume::{CollapseWatch, Watch};
//! let mut watch = CollapseWatch::new(10, 2);
//! let chance = 10f64.ln();
//! assert_eq!(watch.observe(chance + 0.01), Watch::Good); // not learned yet
//! assert_eq!(watch.observe(2.0), Watch::Good);
//! assert_eq!(watch.observe(chance), Watch::Suspect); // back at chance: not checkpointed
//! assert_eq!(watch.observe(chance + 0.0004), Watch::Collapsed);
//! ```

use candle_core::Tensor;
use innate_encodings::Genome;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// Where a run of a strategy stands after a completed step: what it needs to go on exactly as
/// if it had not stopped.
#[derive(Debug, Clone)]
pub struct TrainState {
    /// The strategy that wrote it (`end-to-end`, `intermittent`).
    pub strategy: String,
    /// Steps done: training batches (lifetime learning) or generations (intermittent training).
    pub done: usize,
    /// Tensors: the genome's learned ones now (`genome.NAME`), its tensors at the best accuracy
    /// (`best.NAME`), and the strategy's own (its optimisers' moments, a p-network).
    pub tensors: Vec<(String, Tensor)>,
    /// The strategy's numbers, as JSON: random streams' positions, curve, best accuracy, ...
    pub numbers: serde_json::Value,
}

impl TrainState {
    /// The tensors whose names start with `prefix`, without it, sorted by name.
    pub fn with_prefix(&self, prefix: &str) -> Vec<(String, Tensor)> {
        let mut v: Vec<(String, Tensor)> = self
            .tensors
            .iter()
            .filter_map(|(k, t)| k.strip_prefix(prefix).map(|n| (n.to_string(), t.clone())))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// The tensors `PREFIX0`, `PREFIX1`, ... `PREFIX{n-1}`, in that order.
    pub fn numbered(&self, prefix: &str, n: usize) -> Result<Vec<Tensor>> {
        (0..n)
            .map(|i| {
                let name = format!("{prefix}{i}");
                self.tensors.iter().find(|(k, _)| *k == name).map(|(_, t)| t.clone()).ok_or_else(|| {
                    TrainError::Config(format!("the checkpoint has no tensor {name:?}; the file is damaged"))
                })
            })
            .collect()
    }

    /// Checks that the state was written by `strategy` and reads its numbers.
    pub fn numbers<T: for<'de> Deserialize<'de>>(&self, strategy: &str) -> Result<T> {
        if self.strategy != strategy {
            return Err(TrainError::Config(format!(
                "the checkpoint was written by the {} strategy, not {strategy}",
                self.strategy
            )));
        }
        serde_json::from_value(self.numbers.clone())
            .map_err(|e| TrainError::Config(format!("the checkpoint's numbers cannot be read ({e})")))
    }

    /// The state of `strategy` after `done` steps: `genome`'s tensors now (`genome.NAME`), `best`
    /// (`best.NAME`), the strategy's `own` tensors and its `numbers`.
    pub fn new<G: Genome + ?Sized, N: Serialize>(
        strategy: &str,
        done: usize,
        genome: &G,
        best: &[(String, Tensor)],
        own: impl IntoIterator<Item = (String, Tensor)>,
        numbers: &N,
    ) -> Result<Self> {
        let mut tensors: Vec<(String, Tensor)> = innate_encodings::checkpoint::current_tensors(genome)?
            .into_iter()
            .map(|(n, t)| (format!("genome.{n}"), t))
            .collect();
        tensors.extend(best.iter().map(|(n, t)| (format!("best.{n}"), t.clone())));
        tensors.extend(own);
        let numbers = serde_json::to_value(numbers)
            .map_err(|e| TrainError::Config(format!("the checkpoint's numbers: {e}")))?;
        Ok(Self { strategy: strategy.to_string(), done, tensors, numbers })
    }

    /// Sets `genome`'s learned tensors to the state's `genome.NAME` ones.
    pub fn restore_genome<G: Genome + ?Sized>(&self, genome: &G) -> Result<()> {
        let now: std::collections::HashMap<String, Tensor> =
            self.with_prefix("genome.").into_iter().collect();
        innate_encodings::checkpoint::restore(genome.varmap(), &now, std::path::Path::new("the checkpoint"))?;
        Ok(())
    }

    /// Tensors named `PREFIX0`, `PREFIX1`, ... for a state.
    pub fn number(prefix: &str, tensors: Vec<Tensor>) -> impl Iterator<Item = (String, Tensor)> + '_ {
        tensors.into_iter().enumerate().map(move |(i, t)| (format!("{prefix}{i}"), t))
    }
}

/// What a resumable strategy passes each state to (the caller keeps it, in a file or in memory).
pub type Keep<'a> = &'a mut dyn FnMut(&TrainState) -> Result<()>;

/// A seeded random stream whose position a checkpoint records.
#[derive(Debug, Clone)]
pub struct Stream {
    seed: u64,
    /// The stream.
    pub rng: ChaCha8Rng,
}

impl Stream {
    /// The stream of `seed`, from its start.
    pub fn new(seed: u64) -> Self {
        Self { seed, rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    /// The stream of `seed` at `position` (a [`Stream::position`]).
    pub fn at(seed: u64, position: u64) -> Self {
        let mut s = Self::new(seed);
        s.rng.set_word_pos(position as u128);
        s
    }

    /// How far the stream has gone, in 32-bit words.
    pub fn position(&self) -> u64 {
        // 2^64 words would take centuries to draw.
        self.rng.get_word_pos() as u64
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// What [`CollapseWatch::observe`] makes of a step's mean training loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    /// A step to checkpoint.
    Good,
    /// Back at chance after learning: not checkpointed, but not yet a collapse.
    Suspect,
    /// At chance for `after` steps in a row after learning: the run has collapsed.
    Collapsed,
}

/// Notices a training loss that has gone back to chance for good (see the module docs).
#[derive(Debug, Clone)]
pub struct CollapseWatch {
    classes: usize,
    chance: f64,
    after: usize,
    learned: bool,
    run: usize,
}

impl CollapseWatch {
    /// How close to `ln C` a loss counts as chance: the outputs are uniform to 0.1%.
    pub const BAND: f64 = 0.002;
    /// How far below `ln C` a loss must once have been for the run to have learned.
    pub const LEARNED: f64 = 0.02;

    /// A watch for `classes` classes that reports a collapse after `after` steps at chance in
    /// a row (0: off, every step is good).
    pub fn new(classes: usize, after: usize) -> Self {
        Self { classes, chance: (classes.max(2) as f64).ln(), after, learned: false, run: 0 }
    }

    /// A watch for a network learning `data`, whose chance is that of the classes its images
    /// are labelled with ([`innate_datasets::DeviceDataset::labelled_classes`]: a run on a subset of the classes,
    /// `--classes 0-4`, sits at `ln 5` when its outputs no longer depend on the input, not at
    /// `ln 10`).
    pub fn for_data(data: &innate_datasets::DeviceDataset, after: usize) -> crate::Result<Self> {
        Ok(Self::new(data.labelled_classes()?, after))
    }

    /// The classes it counts chance over.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The loss at chance, `ln C`.
    pub fn chance(&self) -> f64 {
        self.chance
    }

    /// Looks at one step's mean training loss.
    pub fn observe(&mut self, loss: f64) -> Watch {
        if loss < self.chance - Self::LEARNED {
            self.learned = true;
        }
        if self.after == 0 || !self.learned || (loss - self.chance).abs() >= Self::BAND {
            self.run = 0;
            return Watch::Good;
        }
        self.run += 1;
        if self.run >= self.after { Watch::Collapsed } else { Watch::Suspect }
    }

    /// Steps at chance so far in the current run of them.
    pub fn at_chance(&self) -> usize {
        self.run
    }

    /// Whether the loss has once been clearly below chance.
    pub fn learned(&self) -> bool {
        self.learned
    }

    /// Sets what a checkpoint recorded of [`CollapseWatch::learned`] and
    /// [`CollapseWatch::at_chance`].
    pub fn restore(&mut self, learned: bool, at_chance: usize) {
        (self.learned, self.run) = (learned, at_chance);
    }
}

/// The settings' default number of steps at chance that stop a run (3).
pub fn default_collapse_after() -> usize {
    3
}

/// Whether `n` is the default of [`default_collapse_after`] (which files leave out).
pub fn is_default_collapse_after(n: &usize) -> bool {
    *n == default_collapse_after()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn a_stream_goes_on_where_it_stood() {
        let mut a = Stream::new(7);
        let _: Vec<u32> = (0..13).map(|_| a.rng.next_u32()).collect();
        let mut b = Stream::at(7, a.position());
        let (x, y): (Vec<u64>, Vec<u64>) = (0..20).map(|_| (a.rng.next_u64(), b.rng.next_u64())).unzip();
        assert_eq!(x, y);
        assert_eq!(b.seed(), 7);
    }

    #[test]
    fn collapse_needs_learning_first_and_a_run_at_chance() {
        let chance = 10f64.ln();
        let mut w = CollapseWatch::new(10, 3);
        // Never learned: sitting at chance is not a collapse.
        for _ in 0..5 {
            assert_eq!(w.observe(chance), Watch::Good);
        }
        assert_eq!(w.observe(2.1), Watch::Good);
        assert_eq!(w.observe(chance), Watch::Suspect);
        assert_eq!(w.observe(2.2), Watch::Good); // recovered: the run starts again
        assert_eq!(w.observe(chance + 0.001), Watch::Suspect);
        assert_eq!(w.observe(chance - 0.001), Watch::Suspect);
        assert_eq!(w.at_chance(), 2);
        assert_eq!(w.observe(chance), Watch::Collapsed);
        let mut off = CollapseWatch::new(10, 0);
        off.observe(1.0);
        assert!((0..10).all(|_| off.observe(chance) == Watch::Good));
    }
}
