//! `local`: LeNet-5 with every kernel its own, a locally connected network whose weights and
//! biases (one per output neuron) are all learned: the developmental-priors paper's unshared
//! baseline of 423,038 parameters on MNIST.

use candle_core::Device;
use innate_devconv::{LeNet5Config, LeNet5Genome, Variant};
use innate_encodings::AnyNet;
use serde::{Deserialize, Serialize};

use super::kind::{BuildContext, EncodingFlags, EncodingKind, Flag, NetGenome};
use crate::error::{Result, config};
use crate::network::Arch;

/// Settings of the locally connected encoding: none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalSpec {}

impl EncodingKind for LocalSpec {
    const SUMMARY: &'static str = "Locally connected LeNet-5: a kernel and a bias of its own for every output neuron, learned directly (--model lenet5)";
    const READS: &'static [Flag] = &[];

    fn from_flags(flags: &EncodingFlags) -> Result<Self> {
        if flags.bias.is_some() {
            return config("--encoding local learns a bias for every output neuron: leave out --bias");
        }
        Ok(Self {})
    }

    fn build(&self, ctx: BuildContext<'_>) -> Result<NetGenome> {
        match &ctx.arch {
            Arch::LeNet5(lenet5) => {
                let c =
                    LeNet5Config { lenet5: *lenet5, variant: Variant::Local, seed: ctx.seed, scales: None };
                Ok(Box::new(AnyNet(LeNet5Genome::new(c, ctx.device)?)))
            }
            other => config(format!(
                "--encoding local is LeNet-5's locally connected variant: use --model lenet5 (not {})",
                other.name()
            )),
        }
    }

    fn rebuild(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<NetGenome> {
        Ok(Box::new(AnyNet(LeNet5Genome::from_config(config, device)?)))
    }

    /// 0.001, as directly learned weights.
    fn default_lr(&self) -> f64 {
        1e-3
    }
}
