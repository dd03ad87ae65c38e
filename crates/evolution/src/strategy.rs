//! One interface for every training strategy: [`Strategy`] takes a genome, the data and its own
//! settings and returns one [`Report`].
//!
//! A strategy never looks at the encoding: it only calls [`Genome::develop`] (and its relatives),
//! runs the phenotype and updates [`Genome::varmap`]. [`StrategyConfig`] is the tagged enum of
//! every strategy's settings that a run's configuration holds (`{"kind": "end-to-end", ...}`);
//! adding a strategy is a file with its settings type and its `impl Strategy`, and one line in
//! [`StrategyConfig`]'s list.
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
//! assert_eq!((strategy.name(), strategy.progress().total), ("end-to-end", 200));
//! let genome = Direct::new(MlpSpec::slp(1, 2), 0, &Device::Cpu)?;
//! let report = strategy.train(&genome, &Data { train: &data, test: &data }, &mut ())?;
//! assert_eq!(report.best_test_accuracy, 1.0);
//! assert_eq!(report.curve.len(), 3); // before training, after 100 and after 200 batches
//! # Ok(()) }
//! ```

use innate_datasets::DeviceDataset;
use innate_encodings::Genome;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::intermittent::IntermittentConfig;
use crate::lifetime::LifetimeConfig;
use crate::observer::Observer;
use crate::report::Report;

/// The data a strategy learns from and is tested on.
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    /// Training images.
    pub train: &'a DeviceDataset,
    /// Test images (the reported accuracies are measured on all of them).
    pub test: &'a DeviceDataset,
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
    fn progress(&self) -> Progress;

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
}

/// Declares [`StrategyConfig`] from the list of strategies: a variant per settings type, its
/// name in files, and the dispatch of [`Strategy`] to it.
macro_rules! strategies {
    ($($(#[$doc:meta])* $variant:ident($config:ty) = $name:literal,)+) => {
        /// The settings of any strategy, as a run's configuration holds them: a tagged enum,
        /// `{"kind": "end-to-end", "batch_size": 64, ...}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum StrategyConfig {
            $($(#[$doc])* #[serde(rename = $name)] $variant($config),)+
        }

        impl StrategyConfig {
            /// The names of every strategy, in the list's order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];
        }

        impl Strategy for StrategyConfig {
            fn name(&self) -> &'static str {
                match self { $(Self::$variant(_) => $name,)+ }
            }
            fn validate(&self) -> Result<()> {
                match self { $(Self::$variant(c) => c.validate(),)+ }
            }
            fn progress(&self) -> Progress {
                match self { $(Self::$variant(c) => c.progress(),)+ }
            }
            fn with_seed(&self, seed: u64) -> Self {
                match self { $(Self::$variant(c) => Self::$variant(c.with_seed(seed)),)+ }
            }
            fn train<G: Genome + ?Sized>(
                &self,
                genome: &G,
                data: &Data<'_>,
                observer: &mut dyn Observer,
            ) -> Result<Report> {
                match self { $(Self::$variant(c) => c.train(genome, data, observer),)+ }
            }
        }
    };
}

strategies! {
    /// Per batch: develop, forward, backpropagate into the genome, update ([`crate::lifetime`];
    /// lifetime learning is this strategy applied to a directly encoded network).
    EndToEnd(LifetimeConfig) = "end-to-end",
    /// Per generation: train the developed p-network, fit the genome to it, regenerate
    /// ([`crate::intermittent`]).
    Intermittent(IntermittentConfig) = "intermittent",
}

impl StrategyConfig {
    /// The end-to-end settings, if this is that strategy.
    pub fn lifetime(&self) -> Option<&LifetimeConfig> {
        match self {
            Self::EndToEnd(c) => Some(c),
            _ => None,
        }
    }

    /// The intermittent settings, if this is that strategy.
    pub fn intermittent(&self) -> Option<&IntermittentConfig> {
        match self {
            Self::Intermittent(c) => Some(c),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_tagged_by_the_strategys_name() {
        let e2e = StrategyConfig::EndToEnd(LifetimeConfig::default());
        let json = serde_json::to_value(&e2e).unwrap();
        assert_eq!(json["kind"], "end-to-end");
        assert_eq!(json["max_batches"], 30_000);
        let back: StrategyConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, e2e);
        let int = StrategyConfig::Intermittent(IntermittentConfig::default());
        assert_eq!(serde_json::to_value(&int).unwrap()["kind"], "intermittent");
        assert_eq!(StrategyConfig::NAMES, ["end-to-end", "intermittent"]);
        assert_eq!(int.progress(), Progress { total: 500, unit: "generations" });
        assert_eq!(int.with_seed(7).intermittent().map(|c| c.seed), Some(7));
        assert_eq!(e2e.with_seed(7).lifetime().map(|c| c.seed), Some(7));
    }
}
