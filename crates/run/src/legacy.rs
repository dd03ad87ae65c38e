//! Run configurations as innate 0.1.0 wrote them, before they were data (0.2.0): one flat object
//! naming the encoding by a string, with every encoding's options side by side and the end-to-end
//! settings (`lifetime`) always present.
//!
//! They are read, never written: [`LegacyRunConfig`] converts into the [`RunConfig`] that means
//! the same run. Two readings are settled here: an S-GEM or ML-S-GEM run without `centres` was
//! written before the choice existed and started its centres uniform over the grid
//! ([`CentreInit::legacy`]); and the `lifetime` settings of an intermittent run were never read.

use std::path::PathBuf;

use innate_encodings::{BiasMode, CentreInit};
use innate_evolution::{IntermittentConfig, LifetimeConfig, StrategyConfig};
use serde::{Deserialize, Deserializer};

use crate::config::RunConfig;
use crate::encoding::{DirectSpec, Encoding, GemSpec, GnetSpec, Mlsgem, RbSpec, Sgem, Spatial};
use crate::network::Network;

/// `"slp"` or `"mlp"`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum LegacyModel {
    Slp,
    Mlp,
}

/// A run configuration in the flat form of innate 0.1.0.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyRunConfig {
    dataset: String,
    model: LegacyModel,
    hidden: usize,
    encoding: String,
    #[serde(default)]
    genes: Option<usize>,
    #[serde(default)]
    basis: Option<usize>,
    #[serde(default)]
    learn_output: bool,
    #[serde(default)]
    bias: Option<BiasMode>,
    #[serde(default)]
    centres: Option<CentreInit>,
    #[serde(default)]
    preset: Option<innate_gnet::Preset>,
    #[serde(default)]
    gnet_hidden: Option<Vec<usize>>,
    #[serde(default)]
    strategy: Option<String>,
    #[serde(default)]
    intermittent: Option<IntermittentConfig>,
    #[serde(default)]
    init_from: Option<PathBuf>,
    seed: u64,
    lifetime: LifetimeConfig,
    #[serde(default)]
    train_limit: Option<usize>,
}

impl From<LegacyRunConfig> for RunConfig {
    fn from(c: LegacyRunConfig) -> Self {
        let network = match c.model {
            LegacyModel::Slp => Network::Slp,
            LegacyModel::Mlp => Network::mlp(c.hidden),
        };
        let genes = c.genes.unwrap_or(0);
        let spatial = || Spatial {
            genes,
            learn_output: c.learn_output,
            bias: c.bias,
            centres: c.centres.unwrap_or_else(CentreInit::legacy),
        };
        let encoding = match c.encoding.as_str() {
            "gem" => Encoding::Gem(GemSpec { genes, learn_output: c.learn_output, bias: c.bias }),
            "sgem" => Encoding::Sgem(Sgem(spatial())),
            "mlsgem" => Encoding::Mlsgem(Mlsgem(spatial())),
            "rb" => Encoding::Rb(RbSpec { basis: c.basis.unwrap_or(0), bias: c.bias }),
            "gnet" => Encoding::Gnet(GnetSpec { preset: c.preset, hidden: c.gnet_hidden.clone() }),
            // "direct", the only other encoding 0.1.0 wrote.
            _ => Encoding::Direct(DirectSpec { bias: c.bias, init_from: c.init_from.clone() }),
        };
        let strategy = match c.strategy.as_deref() {
            Some("intermittent") => StrategyConfig::Intermittent(c.intermittent.unwrap_or_default()),
            _ => StrategyConfig::EndToEnd(c.lifetime),
        };
        RunConfig {
            dataset: c.dataset,
            network,
            encoding,
            strategy,
            seed: c.seed,
            train_limit: c.train_limit,
        }
    }
}

impl RunConfig {
    /// A run configuration from JSON in either form: as data (`network`, `encoding`, `strategy`
    /// objects), or the flat form of 0.1.0 (see the module docs).
    pub fn from_json(value: serde_json::Value) -> serde_json::Result<Self> {
        if value.get("network").is_none() && value.get("model").is_some() {
            return serde_json::from_value::<LegacyRunConfig>(value).map(Into::into);
        }
        serde_json::from_value(value)
    }
}

/// Deserialises a [`RunConfig`] written in either form (for `#[serde(deserialize_with)]`).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RunConfig, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    RunConfig::from_json(value).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flat_configurations_mean_what_they_meant() {
        let lifetime =
            serde_json::to_value(LifetimeConfig { seed: 4, lr: 0.01, ..Default::default() }).unwrap();
        let old = json!({"dataset": "mnist", "model": "mlp", "hidden": 784, "encoding": "mlsgem", "genes": 9,
            "centres": "spiral", "seed": 4, "lifetime": lifetime, "train_limit": null});
        let c = RunConfig::from_json(old).unwrap();
        assert_eq!(c.network, Network::mlp(784));
        assert_eq!(c.encoding.genes(), Some(9));
        assert_eq!(c.encoding.centres(), Some(CentreInit::Spiral));
        assert_eq!(c.strategy.lifetime().map(|l| l.lr), Some(0.01));
        // Spatial runs from before the centres were a choice started them uniform.
        let older = json!({"dataset": "mnist", "model": "slp", "hidden": 800, "encoding": "sgem", "genes": 4,
            "seed": 0, "lifetime": lifetime, "train_limit": null});
        let c = RunConfig::from_json(older).unwrap();
        assert_eq!((c.network, c.encoding.centres()), (Network::Slp, Some(CentreInit::legacy())));
        let gnet = json!({"dataset": "mnist", "model": "mlp", "hidden": 800, "encoding": "gnet", "preset": "gn30",
            "strategy": "intermittent", "intermittent": IntermittentConfig::default(), "seed": 1,
            "lifetime": lifetime, "train_limit": 500});
        let c = RunConfig::from_json(gnet).unwrap();
        assert_eq!(c.encoding.preset(), Some(innate_gnet::Preset::Gn30));
        assert_eq!(c.strategy, StrategyConfig::Intermittent(IntermittentConfig::default()));
        assert_eq!(c.train_limit, Some(500));
        let innate = json!({"dataset": "fashion-mnist", "model": "mlp", "hidden": 800, "encoding": "direct",
            "init_from": "runs/x/genome.safetensors", "seed": 0, "lifetime": lifetime, "train_limit": null});
        let c = RunConfig::from_json(innate).unwrap();
        assert_eq!(c.encoding.starts_from(), Some(std::path::Path::new("runs/x/genome.safetensors")));
    }
}
