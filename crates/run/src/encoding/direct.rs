//! `direct`: every weight and bias learned directly, from random weights or from the network
//! another genome file develops (the genomic-bottleneck paper's "innate" initialisation).

use std::path::{Path, PathBuf};

use candle_core::Device;
use innate_encodings::{BiasMode, MlpSpec};
use innate_gem::Direct;
use serde::{Deserialize, Serialize};

use super::kind::{BuildContext, EncodingFlags, EncodingKind, Flag, MlpGenome};
use crate::error::{Result, RunError, config};

/// Settings of the direct encoding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectSpec {
    /// Biases learned (the default) or none; a direct network has no fixed biases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<BiasMode>,
    /// Start from the network this genome file develops instead of random weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<PathBuf>,
}

impl EncodingKind for DirectSpec {
    const SUMMARY: &'static str =
        "Every weight and bias learned directly (the papers' baseline; compression 1)";
    const READS: &'static [Flag] = &[];

    fn from_flags(flags: &EncodingFlags) -> Result<Self> {
        Ok(Self { bias: flags.bias, init_from: None })
    }

    fn build(&self, ctx: BuildContext<'_>) -> Result<MlpGenome> {
        if self.bias == Some(BiasMode::FixedRandom) {
            return config(
                "--encoding direct learns its biases: --bias fixed is for the encodings (use learned or none)",
            );
        }
        let spec = MlpSpec { bias: self.bias != Some(BiasMode::None), ..ctx.spec };
        Ok(match (&ctx.start, &self.init_from) {
            (Some(net), Some(path)) => {
                let name = spec.name();
                Box::new(Direct::from_weights(spec, net, ctx.seed, ctx.device).map_err(|source| {
                    RunError::StartShape { path: path.clone(), spec: name, source: Box::new(source) }
                })?)
            }
            _ => Box::new(Direct::new(spec, ctx.seed, ctx.device)?),
        })
    }

    fn rebuild(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<MlpGenome> {
        Ok(Box::new(Direct::from_config(config, device)?))
    }

    /// 0.001, as the papers' directly learned networks.
    fn default_lr(&self) -> f64 {
        1e-3
    }

    fn starts_from(&self) -> Option<&Path> {
        self.init_from.as_deref()
    }
}
