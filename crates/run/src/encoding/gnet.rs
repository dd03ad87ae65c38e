//! `gnet`: the genomic-bottleneck paper's g-networks, small MLPs over the labels of a (post,
//! pre) neuron pair that generate its weight, and over a neuron's label for its bias.

use candle_core::Device;
use innate_gnet::{GenomicNet, Preset};
use serde::{Deserialize, Serialize};

use super::kind::{BuildContext, EncodingFlags, EncodingKind, Flag, MlpGenome};
use crate::error::{Result, config};

/// Settings of g-networks: the weight g-networks' hidden sizes, from a preset of the paper's
/// Table 1 or given (exactly one of the two).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GnetSpec {
    /// A preset of the genomic-bottleneck paper's Table 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// Hidden sizes of the weight g-networks, instead of a preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<usize>>,
}

impl GnetSpec {
    /// The genome's name and the weight g-networks' hidden sizes.
    fn sizes(&self) -> Result<(String, Vec<usize>)> {
        match (self.preset, &self.hidden) {
            (Some(p), _) => Ok((p.name().to_string(), p.hidden().to_vec())),
            (None, Some(h)) if !h.is_empty() && !h.contains(&0) => {
                let sizes: Vec<String> = h.iter().map(|x| x.to_string()).collect();
                Ok((format!("gnet-{}", sizes.join("-")), h.clone()))
            }
            _ => config(
                "--encoding gnet needs --preset gn5|gn20|gn30 or --gnet-hidden H1,H2 (hidden sizes of the \
                 weight g-networks)",
            ),
        }
    }
}

impl EncodingKind for GnetSpec {
    const SUMMARY: &'static str = "G-networks: small MLPs over neuron labels generate every weight and bias (genomic bottleneck; needs --preset or --gnet-hidden)";
    const READS: &'static [Flag] = &[Flag::Preset, Flag::GnetHidden];

    fn from_flags(flags: &EncodingFlags) -> Result<Self> {
        if flags.bias.is_some() {
            return config("--encoding gnet generates its biases with g-networks: leave out --bias");
        }
        let spec = Self { preset: flags.preset, hidden: flags.gnet_hidden.clone() };
        spec.sizes()?;
        Ok(spec)
    }

    fn build(&self, ctx: BuildContext<'_>) -> Result<MlpGenome> {
        let (name, hidden) = self.sizes()?;
        if ctx.spec.layers() < 2 {
            return config("--encoding gnet encodes an MLP with a hidden layer: use --model mlp");
        }
        let c = innate_gnet::for_mlp(&name, &ctx.spec, ctx.image, &hidden, ctx.seed);
        Ok(Box::new(GenomicNet::new(c, ctx.device)?))
    }

    fn rebuild(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<MlpGenome> {
        Ok(Box::new(GenomicNet::from_config(config, device)?))
    }

    /// 0.001, as the genomic-bottleneck reference code.
    fn default_lr(&self) -> f64 {
        1e-3
    }

    fn size_label(&self) -> String {
        match (self.preset, &self.hidden) {
            (Some(p), _) => format!("-{}", p.name()),
            (None, Some(h)) => {
                format!("-h{}", h.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("-"))
            }
            _ => String::new(),
        }
    }
}
