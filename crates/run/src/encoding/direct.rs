//! `direct`: every weight and bias learned directly: an MLP, from random weights or from the
//! network another genome file develops (the genomic-bottleneck paper's "innate" initialisation),
//! or the standard (weight-shared) LeNet-5.

use std::path::{Path, PathBuf};

use candle_core::Device;
use innate_devconv::{AllCnnConfig, AllCnnGenome, AllCnnInit, LeNet5Config, LeNet5Genome, Variant};
use innate_encodings::{AnyNet, BiasMode, MlpSpec, Net};
use innate_gem::Direct;
use innate_gem::population::DirectPopulation;
use serde::{Deserialize, Serialize};

use super::kind::{BuildContext, EncodingFlags, EncodingKind, Flag, Members, NetGenome, members};
use crate::error::{Result, RunError, config};
use crate::network::Arch;

/// Settings of the direct encoding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectSpec {
    /// Biases learned (the default) or none; a direct network has no fixed biases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<BiasMode>,
    /// Start from the network this genome file develops instead of random weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<PathBuf>,
    /// All-CNN-C: only these layers (numbered from 1) start from `init_from`'s network, the others
    /// from random weights (empty: all of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_layers: Vec<usize>,
}

impl EncodingKind for DirectSpec {
    const SUMMARY: &'static str =
        "Every weight and bias learned directly (the papers' baseline; compression 1)";
    const READS: &'static [Flag] = &[];

    fn from_flags(flags: &EncodingFlags) -> Result<Self> {
        Ok(Self { bias: flags.bias, init_from: None, init_layers: Vec::new() })
    }

    fn build(&self, ctx: BuildContext<'_>) -> Result<NetGenome> {
        if self.bias == Some(BiasMode::FixedRandom) {
            return config(
                "--encoding direct learns its biases: --bias fixed is for the encodings (use learned or none)",
            );
        }
        let spec = match &ctx.arch {
            Arch::Mlp(spec) => MlpSpec { bias: self.bias != Some(BiasMode::None), ..spec.clone() },
            _ if !self.init_layers.is_empty() && !matches!(ctx.arch, Arch::AllCnn(_)) => {
                return config(
                    "choosing the layers that start from another network (init_layers) is for All-CNN-C",
                );
            }
            Arch::LeNet5(lenet5) => {
                if self.bias.is_some() || self.init_from.is_some() {
                    return config(
                        "--model lenet5 --encoding direct learns its biases and starts from random weights: \
                         leave out --bias (and starting from another genome's network is for MLPs)",
                    );
                }
                let c = LeNet5Config {
                    lenet5: *lenet5,
                    variant: Variant::Standard,
                    seed: ctx.seed,
                    scales: None,
                };
                return Ok(Box::new(AnyNet(LeNet5Genome::new(c, ctx.device)?)));
            }
            Arch::AllCnn(allcnn) => {
                if self.bias.is_some() {
                    return config("--model allcnn --encoding direct learns its biases: leave out --bias");
                }
                let c = AllCnnConfig { allcnn: *allcnn, seed: ctx.seed, init: AllCnnInit::default() };
                let g = match (ctx.start.as_ref(), &self.init_from) {
                    (Some(Net::Conv(net)), Some(path)) => {
                        let layers: Vec<usize> = if self.init_layers.is_empty() {
                            (1..=allcnn.layers().len()).collect()
                        } else {
                            self.init_layers.clone()
                        };
                        AllCnnGenome::starting_from(c, net, &layers, ctx.device).map_err(|e| {
                            RunError::Config(format!(
                                "{}: starting All-CNN-C from its network: {e}",
                                path.display()
                            ))
                        })?
                    }
                    (_, Some(path)) => {
                        return config(format!(
                            "{}: its network is not convolutional; All-CNN-C starts from an All-CNN-C genome's network",
                            path.display()
                        ));
                    }
                    _ => AllCnnGenome::new(c, ctx.device)?,
                };
                return Ok(Box::new(AnyNet(g)));
            }
        };
        Ok(match (ctx.start.as_ref().and_then(Net::as_mlp), &self.init_from) {
            (Some(net), Some(path)) => {
                let name = spec.name();
                Box::new(AnyNet(Direct::from_weights(spec, net, ctx.seed, ctx.device).map_err(|source| {
                    RunError::StartShape { path: path.clone(), spec: name, source: Box::new(source) }
                })?))
            }
            (None, Some(path)) => {
                return config(format!(
                    "{}: its network is not an MLP; starting from another genome's network is for MLPs",
                    path.display()
                ));
            }
            _ => Box::new(AnyNet(Direct::new(spec, ctx.seed, ctx.device)?)),
        })
    }

    /// A genome file of any of its networks: LeNet-5's records its `lenet5` settings,
    /// All-CNN-C's its `allcnn`.
    fn rebuild(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<NetGenome> {
        if config.get("lenet5").is_some() {
            return Ok(Box::new(AnyNet(LeNet5Genome::from_config(config, device)?)));
        }
        if config.get("allcnn").is_some() {
            return Ok(Box::new(AnyNet(AllCnnGenome::from_config(config, device)?)));
        }
        Ok(Box::new(AnyNet(Direct::from_config(config, device)?)))
    }

    /// 0.001, as the papers' directly learned networks.
    fn default_lr(&self) -> f64 {
        1e-3
    }

    fn starts_from(&self) -> Option<&Path> {
        self.init_from.as_deref()
    }

    /// Members of an MLP from random weights (a network started from another genome's trains
    /// alone).
    fn population(&self, ctxs: Vec<BuildContext<'_>>) -> Result<Option<Members>> {
        if self.init_from.is_some() || self.bias == Some(BiasMode::FixedRandom) {
            return Ok(None);
        }
        let mut genomes = Vec::with_capacity(ctxs.len());
        for c in &ctxs {
            let Arch::Mlp(spec) = &c.arch else { return Ok(None) };
            let spec = MlpSpec { bias: self.bias != Some(BiasMode::None), ..spec.clone() };
            genomes.push(Direct::new(spec, c.seed, c.device)?);
        }
        Ok(Some(members(genomes, DirectPopulation::new)?))
    }
}
