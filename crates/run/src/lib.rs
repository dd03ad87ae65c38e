//! The run model of innate: what a training run is, as data, and the library calls that carry
//! one out.
//!
//! - [`RunConfig`]: a run as data: the dataset, the [`Network`], the [`Encoding`] (a tagged enum,
//!   each variant with exactly its settings), the strategy (`innate_evolution::StrategyConfig`) and
//!   the seed. The same structs are what `metrics.json` ([`Metrics`]), a genome file's metadata and
//!   the experiments' result rows hold; files from before they were data read as well.
//! - [`Encoding::build`]: a fresh genome of any encoding for a network, through the encoding
//!   registry (`encoding/`, one file per encoding and one line each in its list).
//! - [`load()`]: any genome file innate writes, developed again from the file alone.
//! - [`execute()`]: one run, configuration -> genome -> training -> genome file and metrics.
//! - [`hub`]: genomes on the Hugging Face Hub (`push` with a model card, `pull` into the standard
//!   cache, `hf://USER/NAME[@REVISION]` wherever a genome is read); [`quantise`]: a genome's size
//!   in bits and what quantising it costs; [`python`]: the numpy script that develops a genome
//!   file outside Rust.
//!
//! ```
//! use candle_core::Device;
//! use innate_evolution::{LifetimeConfig, StrategyConfig};
//! use innate_run::{DataCache, Encoding, EncodingFlags, Network, RunConfig, RunEnv, execute};
//!
//! # fn main() -> Result<(), innate_run::RunError> {
//! let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/fixtures");
//! let lifetime = LifetimeConfig { max_batches: 20, eval_every: 10, lr: 0.01, ..LifetimeConfig::default() };
//! let gem = Encoding::from_flags("gem", &EncodingFlags { genes: Some(4), ..EncodingFlags::default() })?;
//! let config = RunConfig::new("mnist", Network::Slp, gem, StrategyConfig::EndToEnd(lifetime), 0);
//! let out = tempfile::tempdir().unwrap();
//! let env = RunEnv { root: std::path::Path::new(fixtures), device: &Device::Cpu, cache: &DataCache::default() };
//! let metrics = execute(&config, &env, out.path(), true)?;
//! assert_eq!(metrics.genome_params, 4 * (784 + 4)); // learned input expression and O
//! assert_eq!(metrics.report.batches, 20);
//! // The genome file alone develops the network again.
//! let genome = innate_run::load(&out.path().join("genome.safetensors"), &Device::Cpu)?;
//! assert_eq!(genome.recorded_accuracy(), Some(metrics.report.best_test_accuracy));
//! assert_eq!(genome.run(), Some(config));
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod analysis;
pub mod config;
pub mod data;
pub mod device;
pub mod encoding;
pub mod env;
pub mod error;
pub mod execute;
pub mod finish;
pub mod hub;
mod legacy;
pub mod load;
pub mod meta;
pub mod metrics;
pub mod network;
pub mod population;
pub mod progress;
pub mod python;
pub mod quantise;
pub mod resume;
pub mod transfer;

pub use config::{RunConfig, Standardise};
pub use data::{DataCache, LoadedSplit};
pub use encoding::{BuildContext, Encoding, EncodingFlags, EncodingKind, NetGenome};
pub use error::{Result, RunError};
pub use execute::{RunEnv, execute};
pub use load::{LoadedGenome, load, rebuild};
pub use metrics::{Metrics, read_metrics};
pub use network::Network;
pub use population::{Populations, execute_population, population_key};
pub use transfer::{Learn, TransferOptions, TransferReport, is_interaction, transfer, transfer_runs};
