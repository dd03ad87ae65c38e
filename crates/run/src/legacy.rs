//! Run configurations as innate 0.1.0 wrote them, before they were data (0.2.0): one flat object
//! naming the encoding by a string, with every encoding's options side by side and the end-to-end
//! settings (`lifetime`) always present.
//!
//! They are read, never written: [`LegacyRunConfig`] converts into the [`RunConfig`] that means
//! the same run, and what 0.1.0 would not have run (an unknown encoding or strategy, a GEM run
//! without genes) is an error instead of a guess. Two readings are settled here: an S-GEM or ML-S-GEM run without `centres` was
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

impl TryFrom<LegacyRunConfig> for RunConfig {
    type Error = String;

    /// The run `c` describes; an error for what 0.1.0 would not have run either (an encoding or
    /// strategy it did not know, a GEM-family run without genes, a random basis without its size).
    fn try_from(c: LegacyRunConfig) -> Result<Self, String> {
        let network = match c.model {
            LegacyModel::Slp => Network::Slp,
            LegacyModel::Mlp => Network::mlp(c.hidden),
        };
        let needs = |v: Option<usize>, what: &str| {
            v.filter(|&n| n > 0).ok_or_else(|| format!("a {} run without {what}", c.encoding))
        };
        let spatial = || -> Result<Spatial, String> {
            Ok(Spatial {
                genes: needs(c.genes, "genes")?,
                learn_output: c.learn_output,
                bias: c.bias,
                centres: c.centres.unwrap_or_else(CentreInit::legacy),
                weight_scale: Default::default(),
            })
        };
        let encoding = match c.encoding.as_str() {
            "direct" => Encoding::Direct(DirectSpec {
                bias: c.bias,
                init_from: c.init_from.clone(),
                init_layers: Vec::new(),
            }),
            "gem" => Encoding::Gem(GemSpec {
                genes: needs(c.genes, "genes")?,
                learn_output: c.learn_output,
                bias: c.bias,
                shared_o: false,
                weight_scale: Default::default(),
            }),
            "sgem" => Encoding::Sgem(Sgem(spatial()?)),
            "mlsgem" => Encoding::Mlsgem(Mlsgem(spatial()?)),
            "rb" => Encoding::Rb(RbSpec { basis: needs(c.basis, "basis vectors")?, bias: c.bias }),
            "gnet" => Encoding::Gnet(match (c.preset, c.gnet_hidden.clone()) {
                (Some(preset), _) => GnetSpec::Preset { preset },
                (None, Some(hidden)) => GnetSpec::Hidden { hidden },
                (None, None) => return Err("a gnet run without a preset or hidden sizes".into()),
            }),
            other => return Err(format!("encoding {other:?} is not one innate 0.1.0 wrote")),
        };
        let strategy = match c.strategy.as_deref() {
            Some("intermittent") => StrategyConfig::Intermittent(c.intermittent.unwrap_or_default()),
            None | Some("end-to-end") => StrategyConfig::EndToEnd(c.lifetime),
            Some(other) => return Err(format!("strategy {other:?} is not one innate 0.1.0 wrote")),
        };
        Ok(RunConfig {
            dataset: c.dataset,
            network,
            encoding,
            strategy,
            seed: c.seed,
            train_limit: c.train_limit,
            genome_from: None,
            standardise: None,
            classes: Vec::new(),
        })
    }
}

impl RunConfig {
    /// A run configuration from JSON in either form: as data (`network`, `encoding`, `strategy`
    /// objects), or the flat form of 0.1.0 (see the module docs).
    pub fn from_json(value: serde_json::Value) -> serde_json::Result<Self> {
        if value.get("network").is_none() && value.get("model").is_some() {
            let legacy = serde_json::from_value::<LegacyRunConfig>(value)?;
            return RunConfig::try_from(legacy).map_err(serde::de::Error::custom);
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
        // What 0.1.0 could not have run is an error, not a guess.
        let unknown = json!({"dataset": "mnist", "model": "slp", "hidden": 800, "encoding": "conv", "seed": 0,
            "lifetime": lifetime});
        assert!(
            RunConfig::from_json(unknown)
                .unwrap_err()
                .to_string()
                .contains("\"conv\" is not one innate 0.1.0 wrote")
        );
        let no_genes = json!({"dataset": "mnist", "model": "slp", "hidden": 800, "encoding": "gem", "seed": 0,
            "lifetime": lifetime});
        assert!(RunConfig::from_json(no_genes).unwrap_err().to_string().contains("a gem run without genes"));
        let strategy = json!({"dataset": "mnist", "model": "slp", "hidden": 800, "encoding": "direct", "seed": 0,
            "strategy": "evolve", "lifetime": lifetime});
        assert!(RunConfig::from_json(strategy).is_err());
    }
}
