//! Training strategies for genomes.
//!
//! A strategy improves a genome without knowing its encoding: it only develops the network,
//! runs it, and updates the genome's variables. Every strategy implements one interface,
//! [`Strategy`] (a genome, the data and the strategy's settings in, one [`Report`] out), and
//! [`StrategyConfig`] is the tagged enum of their settings that a run's configuration holds. So
//! far this crate has lifetime learning
//! ([`lifetime`]: the papers' per-batch loop with Adam, cross-entropy, periodic evaluation on
//! the full test set and early stopping; trains any genome end to end through `develop()`) and
//! intermittent training ([`intermittent`]: train the developed p-network, fit the genome to it,
//! regenerate, with annealing) and meta-learning ([`meta`]: first-order MAML with learned
//! inner rates on few-shot tasks). [`survival`] holds the genomic-bottleneck paper's survival and
//! population model, fed with measured learning curves. Gradient-free evolution joins them
//! later.
//!
//! ```
//! use candle_core::Device;
//! use innate_datasets::ImageDataset;
//! use innate_encodings::MlpSpec;
//! use innate_evolution::lifetime::{LifetimeConfig, train};
//! use innate_gem::Direct;
//!
//! # fn main() -> Result<(), innate_evolution::TrainError> {
//! // Two 1x1 "images", one per class.
//! let data = ImageDataset::new("two", vec![0, 255], vec![0, 1], [1, 1, 1], vec!["dark".into(), "light".into()], vec![])?
//!     .to_device(&Device::Cpu)?;
//! let genome = Direct::new(MlpSpec::slp(1, 2), 0, &Device::Cpu)?;
//! let config = LifetimeConfig { batch_size: 2, max_batches: 200, eval_every: 100, lr: 0.1, ..Default::default() };
//! let report = train(&genome, &data, &data, &config, &mut ())?;
//! assert_eq!(report.best_test_accuracy, 1.0);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod adam;
pub mod error;
pub mod grads;
pub mod intermittent;
pub mod lifetime;
pub mod meta;
pub mod observer;
pub mod population;
pub mod report;
pub mod resume;
pub mod sgd;
pub mod strategies;
pub mod strategy;
pub mod survival;

pub use adam::{Adam, AdamConfig};
pub use error::{Result, TrainError};
pub use intermittent::{FitConfig, IntermittentConfig, IntermittentReport};
pub use lifetime::{LifetimeConfig, LifetimeReport};
pub use meta::MetaConfig;
pub use observer::Observer;
pub use report::{EvalPoint, GenerationPoint, Report};
pub use resume::TrainState;
pub use strategies::StrategyConfig;
pub use strategy::{Data, Progress, Strategy};
