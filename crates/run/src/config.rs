//! What a run is, as data: [`RunConfig`].
//!
//! A run trains one genome: an [`Encoding`] (with its settings) of a [`Network`] on a dataset,
//! by a [`StrategyConfig`], from a seed. The same struct is what `metrics.json`, the genome
//! file's `run` metadata and the experiments' result rows hold:
//!
//! ```json
//! {"dataset": "mnist",
//!  "network": {"kind": "mlp", "hidden": [784]},
//!  "encoding": {"kind": "mlsgem", "genes": 9, "centres": "spiral"},
//!  "strategy": {"kind": "end-to-end", "batch_size": 64, "max_batches": 30000, ...},
//!  "seed": 0}
//! ```
//!
//! Files written before configurations were data held one flat object (`"model": "mlp",
//! "hidden": 784, "encoding": "mlsgem", "genes": 9, "lifetime": {...}`); [`RunConfig::from_json`]
//! and the deserialiser of [`crate::Metrics`] read both, and an old file means what it meant (both
//! are in `legacy.rs`, which this file does not depend on).

use std::path::PathBuf;

use innate_evolution::{Strategy, StrategyConfig};
use serde::{Deserialize, Serialize};

use crate::encoding::Encoding;
use crate::network::Network;

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Dataset name (`mnist`, `fashion-mnist`, `folder:PATH`, ...).
    pub dataset: String,
    /// The network the genome develops into.
    pub network: Network,
    /// How the network's weights are encoded.
    pub encoding: Encoding,
    /// How the genome is trained (its own seed is set from `seed` when the run starts).
    pub strategy: StrategyConfig,
    /// Seed of the genome and of the batch order.
    pub seed: u64,
    /// Use only the first N training images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_limit: Option<usize>,
    /// Start from the learned tensors of this genome file (a genome of the same encoding,
    /// settings and seed, trained on another dataset, say) instead of the seed's random draw:
    /// transfer of a genome itself, where the direct encoding's `init_from` transfers the network
    /// it develops. The strategy's frozen tensors (`frozen`) keep the file's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genome_from: Option<PathBuf>,
    /// Standardise the images per channel instead of scaling them to `[0, 1]` (none: the papers'
    /// protocol). A run given [`Standardise::Train`] measures its training images when it starts
    /// and records the values it used, so that its files say [`Standardise::Channels`] and
    /// whatever evaluates the genome later applies the same ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standardise: Option<Standardise>,
    /// Train and test on the images of these classes only, labels unchanged (empty, the default:
    /// all): CIFAR-10's classes 0-4 for a genome, 5-9 for the network that starts from it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<u32>,
}

/// How a run standardises its images: `(x - mean[c]) / std[c]`, `x` a pixel value in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standardise {
    /// The training images' own per-channel mean and standard deviation, measured when the run
    /// starts (after `train_limit`).
    Train,
    /// These values, one per channel.
    Channels {
        /// Per-channel means.
        mean: Vec<f32>,
        /// Per-channel standard deviations.
        std: Vec<f32>,
    },
}

impl Standardise {
    /// `data` with these values applied ([`Standardise::Train`] applies nothing: resolve it first
    /// with [`Standardise::measured`]).
    pub fn apply(
        &self,
        data: &innate_datasets::DeviceDataset,
    ) -> crate::error::Result<innate_datasets::DeviceDataset> {
        match self {
            Standardise::Train => Ok(data.clone()),
            Standardise::Channels { mean, std } => Ok(data.standardised(mean, std)?),
        }
    }

    /// These values, with [`Standardise::Train`] measured on `train`.
    pub fn measured(&self, train: &innate_datasets::DeviceDataset) -> crate::error::Result<Standardise> {
        Ok(match self {
            Standardise::Train => {
                let (mean, std) = train.channel_stats()?;
                Standardise::Channels { mean, std }
            }
            fixed => fixed.clone(),
        })
    }
}

impl RunConfig {
    /// A run on all of `dataset`'s training images.
    pub fn new(
        dataset: &str,
        network: Network,
        encoding: Encoding,
        strategy: StrategyConfig,
        seed: u64,
    ) -> Self {
        Self {
            dataset: dataset.to_string(),
            network,
            encoding,
            strategy,
            seed,
            train_limit: None,
            genome_from: None,
            standardise: None,
            classes: Vec::new(),
        }
    }

    /// The genome file this run starts from, if any: the genome's own tensors
    /// ([`RunConfig::genome_from`]) or the network it develops (the direct encoding's
    /// `init_from`).
    pub fn starts_from(&self) -> Option<&std::path::Path> {
        self.genome_from.as_deref().or_else(|| self.encoding.starts_from())
    }

    /// Whether `recorded`, the configuration a finished run's files hold, is a run of this one: the
    /// same, except that where this one says [`Standardise::Train`] the run recorded the values it
    /// measured. Reusing finished runs compares configurations this way.
    pub fn is_run_of(&self, recorded: &RunConfig) -> bool {
        match (&self.standardise, &recorded.standardise) {
            (Some(Standardise::Train), Some(Standardise::Channels { .. })) => {
                *self == RunConfig { standardise: Some(Standardise::Train), ..recorded.clone() }
            }
            _ => self == recorded,
        }
    }

    /// The same run with seed `seed`: the genome's and the strategy's.
    pub fn with_seed(&self, seed: u64) -> Self {
        use innate_evolution::Strategy;
        Self { seed, strategy: self.strategy.with_seed(seed), ..self.clone() }
    }

    /// A default run-folder name:
    /// `runs/<dataset>-<network>-<encoding>[-<size>][-<strategy>]-seed<S>` (the strategy named
    /// unless it is end-to-end).
    pub fn default_dir(&self) -> PathBuf {
        let strategy = match self.strategy.name() {
            "end-to-end" => String::new(),
            other => format!("-{other}"),
        };
        PathBuf::from("runs").join(format!(
            "{}-{}-{}{}{strategy}-seed{}",
            self.dataset.replace([':', '/'], "_"),
            self.network.name(),
            self.encoding.name(),
            self.encoding.size_label(),
            self.seed
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use innate_evolution::LifetimeConfig;

    #[test]
    fn folder_names_and_json() {
        let flags = crate::EncodingFlags { genes: Some(9), ..Default::default() };
        let mut c = RunConfig::new(
            "mnist",
            Network::mlp(784),
            Encoding::from_flags("mlsgem", &flags).unwrap(),
            StrategyConfig::EndToEnd(LifetimeConfig::default()),
            3,
        );
        assert_eq!(c.default_dir(), PathBuf::from("runs/mnist-mlp784-mlsgem-g9-seed3"));
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["network"]["kind"], "mlp");
        assert_eq!(json["encoding"]["genes"], 9);
        assert_eq!(json["strategy"]["kind"], "end-to-end");
        assert!(json.get("train_limit").is_none());
        assert_eq!(RunConfig::from_json(json).unwrap(), c);
        let mut measured = c.clone();
        c.standardise = Some(Standardise::Train);
        measured.standardise = Some(Standardise::Channels { mean: vec![0.5], std: vec![0.2] });
        assert!(c.is_run_of(&measured) && !measured.is_run_of(&c) && c.is_run_of(&c));
        measured.seed = 4;
        assert!(!c.is_run_of(&measured));
        c.standardise = None;
        c.dataset = "folder:/x/y".into();
        c.strategy = StrategyConfig::Intermittent(Default::default());
        assert!(
            c.default_dir().to_str().unwrap().ends_with("folder__x_y-mlp784-mlsgem-g9-intermittent-seed3")
        );
    }
}
