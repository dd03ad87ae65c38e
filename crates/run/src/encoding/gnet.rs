//! `gnet`: the genomic-bottleneck paper's g-networks, small MLPs over the labels of a (post,
//! pre) neuron pair that generate its weight, and over a neuron's label for its bias.

use candle_core::Device;
use innate_encodings::AnyNet;
use innate_gnet::conv::GenomicConvNet;
use innate_gnet::population::GnetPopulation;
use innate_gnet::{GenomicNet, Preset};
use serde::{Deserialize, Serialize};

use super::kind::{BuildContext, EncodingFlags, EncodingKind, Flag, Members, NetGenome, members};
use crate::error::{Result, config};
use crate::network::Arch;

/// Settings of g-networks: the weight g-networks' hidden sizes, from a preset of the paper's
/// Table 1 (`{"kind": "gnet", "preset": "gn30"}`) or given (`{"kind": "gnet", "hidden": [30, 10]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GnetSpec {
    /// A preset of the genomic-bottleneck paper's Table 1.
    Preset {
        /// The preset.
        preset: Preset,
    },
    /// Weight g-networks with these hidden sizes.
    Hidden {
        /// Hidden sizes, input side first (none of them 0).
        hidden: Vec<usize>,
    },
}

const NEEDS: &str = "--encoding gnet needs --preset gn5|gn20|gn30 (gn10|gn30|gn50 for --model allcnn) or --gnet-hidden H1,H2 (hidden sizes of the \
                     weight g-networks)";

const CIFAR_ONLY: &str = "--preset gn10 and gn50 are Table 2's, for --model allcnn: for an MLP use Table 1's gn5, gn20 \
                          or gn30 (or --gnet-hidden)";

impl GnetSpec {
    /// The g-network genome of the MLP `ctx` builds for.
    fn mlp_genome(&self, ctx: &BuildContext<'_>) -> Result<GenomicNet> {
        let (name, hidden) = self.sizes()?;
        // Table 2's presets (but GN30, which is in both tables) are All-CNN-C's.
        if self.preset().is_some_and(|p| Preset::CIFAR.contains(&p) && !Preset::ALL.contains(&p)) {
            return config(CIFAR_ONLY);
        }
        let spec = ctx.mlp("gnet")?;
        if spec.layers() < 2 {
            return config("--encoding gnet encodes an MLP with a hidden layer: use --model mlp");
        }
        let c = innate_gnet::for_mlp(&name, &spec, ctx.image, &hidden, ctx.seed);
        Ok(GenomicNet::new(c, ctx.device)?)
    }

    /// The genome's name and the weight g-networks' hidden sizes.
    fn sizes(&self) -> Result<(String, Vec<usize>)> {
        match self {
            GnetSpec::Preset { preset } => Ok((preset.name().to_string(), preset.hidden().to_vec())),
            GnetSpec::Hidden { hidden } if !hidden.is_empty() && !hidden.contains(&0) => {
                let sizes: Vec<String> = hidden.iter().map(|x| x.to_string()).collect();
                Ok((format!("gnet-{}", sizes.join("-")), hidden.clone()))
            }
            GnetSpec::Hidden { .. } => config(NEEDS),
        }
    }

    /// The preset, if the genome is built from one.
    pub fn preset(&self) -> Option<Preset> {
        match self {
            GnetSpec::Preset { preset } => Some(*preset),
            GnetSpec::Hidden { .. } => None,
        }
    }
}

impl EncodingKind for GnetSpec {
    const SUMMARY: &'static str = "G-networks: small MLPs over neuron labels generate every weight and bias (genomic bottleneck; needs --preset or --gnet-hidden)";
    const READS: &'static [Flag] = &[Flag::Preset, Flag::GnetHidden];

    fn from_flags(flags: &EncodingFlags) -> Result<Self> {
        let spec = match (flags.preset, &flags.gnet_hidden) {
            (Some(preset), _) => GnetSpec::Preset { preset },
            (None, Some(hidden)) => GnetSpec::Hidden { hidden: hidden.clone() },
            (None, None) => return config(NEEDS),
        };
        spec.sizes()?;
        if flags.bias.is_some() {
            return config("--encoding gnet generates its biases with g-networks: leave out --bias");
        }
        Ok(spec)
    }

    fn build(&self, ctx: BuildContext<'_>) -> Result<NetGenome> {
        // Table 1's presets are MNIST's, Table 2's CIFAR-10's; GN30 is in both.
        let only = |table: &[Preset], other: &[Preset]| {
            self.preset().is_some_and(|p| table.contains(&p) && !other.contains(&p))
        };
        if let Arch::AllCnn(allcnn) = &ctx.arch {
            if only(&Preset::ALL, &Preset::CIFAR) {
                return config(
                    "--preset gn5 and gn20 are Table 1's, for MNIST's MLP: for --model allcnn use Table 2's gn10, \
                     gn30 or gn50 (or --gnet-hidden)",
                );
            }
            let (name, hidden) = self.sizes()?;
            let c = innate_gnet::conv::for_allcnn(&name, *allcnn, &hidden, ctx.seed);
            return Ok(Box::new(AnyNet(GenomicConvNet::new(c, ctx.device)?)));
        }
        Ok(Box::new(AnyNet(self.mlp_genome(&ctx)?)))
    }

    /// Members of an MLP's g-network genomes (All-CNN-C's train alone).
    fn population(&self, ctxs: Vec<BuildContext<'_>>) -> Result<Option<Members>> {
        let mut genomes = Vec::with_capacity(ctxs.len());
        for c in &ctxs {
            if !matches!(c.arch, Arch::Mlp(_)) {
                return Ok(None);
            }
            genomes.push(self.mlp_genome(c)?);
        }
        Ok(Some(members(genomes, GnetPopulation::new)?))
    }

    /// The MLP's g-networks, or All-CNN-C's (whose configuration has `bias_hidden`).
    fn rebuild(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<NetGenome> {
        if config.get("bias_hidden").is_some() {
            return Ok(Box::new(AnyNet(GenomicConvNet::from_config(config, device)?)));
        }
        Ok(Box::new(AnyNet(GenomicNet::from_config(config, device)?)))
    }

    /// 0.001, as the genomic-bottleneck reference code.
    fn default_lr(&self) -> f64 {
        1e-3
    }

    fn size_label(&self) -> String {
        match self {
            GnetSpec::Preset { preset } => format!("-{}", preset.name()),
            GnetSpec::Hidden { hidden } => {
                format!("-h{}", hidden.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("-"))
            }
        }
    }
}
