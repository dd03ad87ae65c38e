//! `rb`: the random-basis baseline, `W = W0 + R p` with `B` learned coordinates `p` in a fixed
//! random (Fastfood) basis `R`.

use candle_core::Device;
use innate_encodings::{AnyNet, BiasMode, MlpSpec};
use innate_gem::population::RbPopulation;
use innate_gem::{RandomBasis, RandomBasisConfig};
use serde::{Deserialize, Serialize};

use super::kind::{BuildContext, EncodingFlags, EncodingKind, Flag, Members, NetGenome, members};
use crate::error::{Result, config};

/// Settings of the random basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RbSpec {
    /// Basis vectors (B), the learned coordinates.
    pub basis: usize,
    /// The layers' biases, when not fixed random (`randn x 0.5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<BiasMode>,
}

fn basis(b: Option<usize>) -> Result<usize> {
    match b {
        Some(b) if b > 0 => Ok(b),
        _ => config("--encoding rb needs --basis B (number of basis vectors, at least 1)"),
    }
}

impl EncodingKind for RbSpec {
    const SUMMARY: &'static str =
        "Random basis: W = W0 + R p, B learned coordinates p in a fixed random basis R (needs --basis)";
    const READS: &'static [Flag] = &[Flag::Basis];

    fn from_flags(flags: &EncodingFlags) -> Result<Self> {
        Ok(Self { basis: basis(flags.basis)?, bias: flags.bias })
    }

    fn build(&self, ctx: BuildContext<'_>) -> Result<NetGenome> {
        Ok(Box::new(AnyNet(RandomBasis::new(self.config(&ctx)?, ctx.device)?)))
    }

    fn population(&self, ctxs: Vec<BuildContext<'_>>) -> Result<Option<Members>> {
        let genomes =
            ctxs.iter().map(|c| Ok(RandomBasis::new(self.config(c)?, c.device)?)).collect::<Result<_>>()?;
        Ok(Some(members(genomes, RbPopulation::new)?))
    }

    fn rebuild(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<NetGenome> {
        Ok(Box::new(AnyNet(RandomBasis::from_config(config, device)?)))
    }

    fn size_label(&self) -> String {
        format!("-b{}", self.basis)
    }
}

impl RbSpec {
    /// The genome's configuration for the network of `ctx`.
    fn config(&self, ctx: &BuildContext<'_>) -> Result<RandomBasisConfig> {
        let b = basis(Some(self.basis))?;
        let spec = MlpSpec { bias: self.bias != Some(BiasMode::None), ..ctx.mlp("rb")? };
        // The basis encodes the weights; biases are fixed, learned directly, or absent.
        if b >= spec.weights() {
            tracing::warn!(
                "--basis {b} is not fewer than the {} weights of the {} network: the random basis then \
                 compresses nothing",
                spec.weights(),
                spec.name()
            );
        }
        let mut c = RandomBasisConfig::new(spec, b, ctx.seed);
        if let Some(bias) = self.bias {
            c.bias = bias;
        }
        Ok(c)
    }
}
