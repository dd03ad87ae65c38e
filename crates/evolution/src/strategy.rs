//! One interface for every training strategy: [`Strategy`] takes a genome, the data and its own
//! settings and returns one [`Report`].
//!
//! A strategy never looks at the encoding: it only calls [`Genome::develop`] (and its relatives),
//! runs the phenotype and updates [`Genome::varmap`].
//! [`StrategyConfig`](crate::strategies::StrategyConfig) is the tagged enum of every strategy's
//! settings that a run's configuration holds (`{"kind": "end-to-end", ...}`); adding a strategy is
//! a file with its settings type and its `impl Strategy`, and one line in the list in
//! `strategies.rs`.
//!
//! ```
//! use candle_core::Device;
//! use innate_datasets::ImageDataset;
//! use innate_encodings::MlpSpec;
//! use innate_evolution::{Data, LifetimeConfig, Strategy, StrategyConfig};
//! use innate_gem::Direct;
//!
//! # fn main() -> Result<(), innate_evolution::TrainError> {
//! let data = ImageDataset::new("two", vec![0, 255], vec![0, 1], [1, 1, 1], vec!["dark".into(), "light".into()], vec![])?
//!     .to_device(&Device::Cpu)?;
//! let strategy = StrategyConfig::EndToEnd(LifetimeConfig {
//!     batch_size: 2, max_batches: 200, eval_every: 100, lr: 0.1, ..Default::default()
//! });
//! assert_eq!((strategy.name(), strategy.progress(60_000).total), ("end-to-end", 200));
//! let genome = Direct::new(MlpSpec::slp(1, 2), 0, &Device::Cpu)?;
//! let report = strategy.train(&genome, &Data { train: &data, test: &data, tasks: None }, &mut ())?;
//! assert_eq!(report.best_test_accuracy, 1.0);
//! assert_eq!(report.curve.len(), 3); // before training, after 100 and after 200 batches
//! # Ok(()) }
//! ```

use innate_datasets::{DeviceDataset, TaskSampler};
use innate_encodings::Genome;

use crate::error::{Result, TrainError};
use crate::observer::Observer;
use crate::report::Report;
use crate::resume::TrainState;

/// The data a strategy learns from and is tested on.
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    /// Training images.
    pub train: &'a DeviceDataset,
    /// Test images (the reported accuracies are measured on all of them).
    pub test: &'a DeviceDataset,
    /// Few-shot tasks, for strategies that learn from tasks (meta-learning); they ignore
    /// `train` and `test`.
    pub tasks: Option<&'a TaskSampler<'a>>,
}

/// What a progress display of a strategy counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Steps at most.
    pub total: usize,
    /// What a step is (`batches`, `generations`).
    pub unit: &'static str,
}

/// A way of improving a genome.
pub trait Strategy {
    /// The strategy's name, as on the command line (`end-to-end`, `intermittent`).
    fn name(&self) -> &'static str;

    /// Checks the settings.
    fn validate(&self) -> Result<()>;

    /// What a progress display counts while it trains.
    fn progress(&self, train_images: usize) -> Progress;

    /// The same settings with the seed of the batch order (and of whatever else the strategy
    /// draws at random) set to `seed`: a run sets it from its own seed.
    fn with_seed(&self, seed: u64) -> Self
    where
        Self: Sized;

    /// Trains `genome` on `data`, telling `observer` how it goes.
    fn train<G: Genome + ?Sized>(
        &self,
        genome: &G,
        data: &Data<'_>,
        observer: &mut dyn Observer,
    ) -> Result<Report>;

    /// [`Strategy::train`], going on from `resume` when given (a state that a run with the same
    /// settings, genome and data passed to its `checkpoint`), and passing `checkpoint`, when
    /// given, a state after every step it can go on from ([`crate::resume`]). Strategies that
    /// cannot go on after a stop train from the start and never call `checkpoint`; given a state,
    /// they refuse it.
    fn train_resumable<G: Genome + ?Sized>(
        &self,
        genome: &G,
        data: &Data<'_>,
        observer: &mut dyn Observer,
        resume: Option<TrainState>,
        checkpoint: Option<crate::resume::Keep<'_>>,
    ) -> Result<Report> {
        let _ = checkpoint;
        match resume {
            Some(_) => Err(TrainError::Config(format!(
                "the {} strategy cannot go on from a checkpoint; start the run again",
                self.name()
            ))),
            None => self.train(genome, data, observer),
        }
    }
}
