//! `gem`, `sgem`, `mlsgem`: the developmental-priors paper's genetic neuroevolution model, its
//! spatial form (expression from Gaussian gene fields on a grid of neurons) and the spatial form
//! with one interaction matrix shared by all layers. For MLPs all three build a [`GemNet`]; S-GEM
//! also encodes LeNet-5 with developmental convolutions (`innate_devconv`).

use candle_core::Device;
use innate_devconv::{LeNet5Config, LeNet5Genome, LeNet5Spec, SgemLeNet, Variant};
use innate_encodings::{AnyNet, BiasMode, CentreInit, GenomeFile, MlpSpec, NeuronGrid, WeightScale};
use innate_gem::population::GemPopulation;
use innate_gem::{GemConfig, GemNet};
use serde::{Deserialize, Serialize};

use super::kind::{BuildContext, EncodingFlags, EncodingKind, Flag, Members, NetGenome, members};
use crate::error::{Result, config};
use crate::network::Arch;

/// Settings of GEM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemSpec {
    /// Genes per neuron (G).
    pub genes: usize,
    /// Learn the output neurons' expression (the paper keeps it fixed random).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub learn_output: bool,
    /// The layers' biases, when not fixed random (`randn x 0.5`, the reference code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<BiasMode>,
    /// One interaction matrix O for all layers (the meta-learning networks of the paper's Fig. 3),
    /// else one per layer of weights.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared_o: bool,
    /// How each developed layer is scaled when the genome is first built (the element spread of
    /// Kaiming's initialisation, the reference code's, unless set).
    #[serde(default, skip_serializing_if = "WeightScale::is_default")]
    pub weight_scale: WeightScale,
}

/// Settings of the spatial encodings, S-GEM and ML-S-GEM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spatial {
    /// Genes per neuron (G).
    pub genes: usize,
    /// Learn the output neurons' expression (the paper keeps it fixed random).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub learn_output: bool,
    /// The layers' biases, when not fixed random.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<BiasMode>,
    /// Where the gene fields' centres start.
    pub centres: CentreInit,
    /// How each developed layer is scaled when the genome is first built (the element spread of
    /// Kaiming's initialisation, the reference code's, unless set).
    #[serde(default, skip_serializing_if = "WeightScale::is_default")]
    pub weight_scale: WeightScale,
}

/// Settings of S-GEM: one interaction matrix per layer of weights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sgem(pub Spatial);

/// Settings of ML-S-GEM: one interaction matrix shared by all layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mlsgem(pub Spatial);

fn genes(name: &str, genes: Option<usize>) -> Result<usize> {
    match genes {
        Some(g) if g > 0 => Ok(g),
        _ => config(format!("--encoding {name} needs --genes G (genes per neuron, at least 1)")),
    }
}

fn with_bias(mut c: GemConfig, bias: Option<BiasMode>) -> GemConfig {
    if let Some(b) = bias {
        c.bias = b;
    }
    c
}

/// The MLP's spec with the biases `bias` asks for, or an error for another network.
fn spec_of(name: &str, ctx: &BuildContext<'_>, bias: Option<BiasMode>) -> Result<MlpSpec> {
    Ok(MlpSpec { bias: bias != Some(BiasMode::None), ..ctx.mlp(name)? })
}

/// Genes of the S-GEM LeNet-5's linear layers (the paper's Methods, for MNIST and CIFAR-10).
pub const LENET5_LINEAR_GENES: usize = 30;

const READS_GEM: &[Flag] = &[Flag::Genes, Flag::LearnOutput];
const READS_SPATIAL: &[Flag] = &[Flag::Genes, Flag::LearnOutput, Flag::CentreInit];

/// A GEM-family genome file, or an S-GEM LeNet-5's (whose configuration records its `lenet5`).
fn rebuild_gem(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<NetGenome> {
    if config.get("lenet5").is_some() {
        return Ok(Box::new(AnyNet(LeNet5Genome::from_config(config, device)?)));
    }
    Ok(Box::new(AnyNet(GemNet::from_config(config, device)?)))
}

impl GemSpec {
    /// The genome's configuration for the network of `ctx`.
    fn config(&self, ctx: &BuildContext<'_>) -> Result<GemConfig> {
        let g = genes("gem", Some(self.genes))?;
        let mut c = GemConfig::gem(spec_of("gem", ctx, self.bias)?, g, self.learn_output, ctx.seed);
        c.shared_interaction = self.shared_o;
        c.weight_scale = self.weight_scale;
        Ok(with_bias(c, self.bias))
    }
}

impl EncodingKind for GemSpec {
    const SUMMARY: &'static str = "GEM: W = X O Xᵀ with learned expression matrices X (needs --genes)";
    const READS: &'static [Flag] = READS_GEM;
    const ONE_THREAD: bool = true;

    fn from_flags(flags: &EncodingFlags) -> Result<Self> {
        Ok(Self {
            genes: genes("gem", flags.genes)?,
            learn_output: flags.learn_output,
            bias: flags.bias,
            shared_o: false,
            weight_scale: WeightScale::Spread,
        })
    }

    fn build(&self, ctx: BuildContext<'_>) -> Result<NetGenome> {
        Ok(Box::new(AnyNet(GemNet::new(self.config(&ctx)?, ctx.device)?)))
    }

    fn population(&self, ctxs: Vec<BuildContext<'_>>) -> Result<Option<Members>> {
        let genomes =
            ctxs.iter().map(|c| Ok(GemNet::new(self.config(c)?, c.device)?)).collect::<Result<_>>()?;
        Ok(Some(members(genomes, GemPopulation::new)?))
    }

    fn rebuild(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<NetGenome> {
        rebuild_gem(config, device)
    }

    fn size_label(&self) -> String {
        format!("-g{}{}", self.genes, if self.shared_o { "-shared-o" } else { "" })
    }
}

impl Spatial {
    fn from_flags(name: &str, flags: &EncodingFlags) -> Result<Self> {
        Ok(Self {
            genes: genes(name, flags.genes)?,
            learn_output: flags.learn_output,
            bias: flags.bias,
            centres: flags.centres.unwrap_or_default(),
            weight_scale: WeightScale::Spread,
        })
    }

    /// A spatial genome (`shared`: ML-S-GEM) whose input gene fields lie on the image's pixels.
    fn build(&self, name: &str, shared: bool, ctx: BuildContext<'_>) -> Result<NetGenome> {
        if let (Arch::LeNet5(lenet5), false) = (&ctx.arch, shared) {
            return self.lenet5(*lenet5, ctx);
        }
        Ok(Box::new(AnyNet(GemNet::new(self.config(name, shared, &ctx)?, ctx.device)?)))
    }

    /// Members of the MLP (an S-GEM LeNet-5 trains alone).
    fn population(&self, name: &str, shared: bool, ctxs: Vec<BuildContext<'_>>) -> Result<Option<Members>> {
        if ctxs.iter().any(|c| !matches!(c.arch, Arch::Mlp(_))) {
            return Ok(None);
        }
        let genomes = ctxs
            .iter()
            .map(|c| Ok(GemNet::new(self.config(name, shared, c)?, c.device)?))
            .collect::<Result<_>>()?;
        Ok(Some(members(genomes, GemPopulation::new)?))
    }

    /// The MLP genome's configuration for the network of `ctx`.
    fn config(&self, name: &str, shared: bool, ctx: &BuildContext<'_>) -> Result<GemConfig> {
        let g = genes(name, Some(self.genes))?;
        let spec = spec_of(name, ctx, self.bias)?;
        let inputs = spec.sizes[0];
        let c = if shared {
            GemConfig::mlsgem(spec, g, self.learn_output, ctx.seed)?
        } else {
            GemConfig::sgem(spec, g, self.learn_output, ctx.seed)?
        };
        let mut c = with_bias(c.with_centres(self.centres), self.bias);
        c.weight_scale = self.weight_scale;
        // The spatial encodings place the input neurons where their pixels are.
        match ctx.image {
            Some((rows, cols)) if rows * cols == inputs => {
                Ok(c.with_input_grid(NeuronGrid::new(rows, cols)?)?)
            }
            _ => config(format!(
                "--encoding {name} places the input neurons on the pixel grid of single-channel images, but \
                     {} gives {inputs} inputs that are not one {}: use a grayscale dataset (mnist, \
                     fashion-mnist) or --encoding gem",
                ctx.dataset,
                ctx.image.map_or("image channel".to_string(), |(r, c)| format!("{r}x{c} channel")),
            )),
        }
    }

    /// The S-GEM LeNet-5 (`innate_devconv::lenet5`): `genes` for the convolutions' neurons, 30 for
    /// the linear layers', biases learned.
    fn lenet5(&self, lenet5: LeNet5Spec, ctx: BuildContext<'_>) -> Result<NetGenome> {
        if self.bias.is_some() || self.centres != CentreInit::default() {
            return config(
                "--model lenet5 --encoding sgem learns its biases and starts its gene fields as the reference code \
                 does: leave out --bias and --centre-init",
            );
        }
        let sgem = SgemLeNet {
            conv_genes: self.genes,
            linear_genes: LENET5_LINEAR_GENES,
            share_linear: false,
            learn_output: self.learn_output,
        };
        let c = LeNet5Config { lenet5, variant: Variant::Sgem(sgem), seed: ctx.seed, scales: None };
        Ok(Box::new(AnyNet(LeNet5Genome::new(c, ctx.device)?)))
    }
}

impl EncodingKind for Sgem {
    const SUMMARY: &'static str =
        "Spatial GEM: X from learned Gaussian gene fields on a grid of neurons (needs --genes)";
    const READS: &'static [Flag] = READS_SPATIAL;
    const ONE_THREAD: bool = true;

    fn from_flags(flags: &EncodingFlags) -> Result<Self> {
        Ok(Self(Spatial::from_flags("sgem", flags)?))
    }

    fn build(&self, ctx: BuildContext<'_>) -> Result<NetGenome> {
        self.0.build("sgem", false, ctx)
    }

    fn population(&self, ctxs: Vec<BuildContext<'_>>) -> Result<Option<Members>> {
        self.0.population("sgem", false, ctxs)
    }

    fn rebuild(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<NetGenome> {
        rebuild_gem(config, device)
    }

    fn size_label(&self) -> String {
        format!("-g{}", self.0.genes)
    }
}

impl EncodingKind for Mlsgem {
    const SUMMARY: &'static str =
        "Multi-layer S-GEM: S-GEM with one interaction matrix O shared by all layers (needs --genes)";
    const READS: &'static [Flag] = READS_SPATIAL;
    const ONE_THREAD: bool = true;

    fn from_flags(flags: &EncodingFlags) -> Result<Self> {
        Ok(Self(Spatial::from_flags("mlsgem", flags)?))
    }

    fn build(&self, ctx: BuildContext<'_>) -> Result<NetGenome> {
        self.0.build("mlsgem", true, ctx)
    }

    fn population(&self, ctxs: Vec<BuildContext<'_>>) -> Result<Option<Members>> {
        self.0.population("mlsgem", true, ctxs)
    }

    fn rebuild(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<NetGenome> {
        rebuild_gem(config, device)
    }

    fn size_label(&self) -> String {
        format!("-g{}", self.0.genes)
    }
}

/// Centres `(x, y)` and widths of one layer's Gaussian gene fields.
pub type Fields = Vec<((f32, f32), f32)>;

/// One layer's gene fields as they started, as the genome file holds them, and the grid they lie on.
pub type LayerFields = (Fields, Fields, NeuronGrid);

/// The gene fields of every layer of neurons (input first) of the spatial genome in `file`: as
/// they started (the genome rebuilt from the seed in its metadata) and as the file holds them.
/// `None` for a layer without gene fields; empty for an encoding without any.
pub fn gene_fields(file: &GenomeFile) -> Result<Vec<Option<LayerFields>>> {
    if !matches!(file.encoding.as_str(), "gem" | "sgem" | "mlsgem") || file.genome.get("lenet5").is_some() {
        return Ok(vec![]);
    }
    let start = GemNet::from_config(&file.genome, &Device::Cpu)?;
    let end = GemNet::from_config(&file.genome, &Device::Cpu)?;
    innate_encodings::checkpoint::restore(innate_encodings::Genome::varmap(&end), &file.tensors, &file.path)?;
    let read = |f: &innate_encodings::GeneFields| -> Result<Fields> {
        let c = f.centres()?.to_vec2::<f32>()?;
        let w = f.widths()?.to_vec1::<f32>()?;
        Ok(c.into_iter().zip(w).map(|(c, w)| ((c[0], c[1]), w)).collect())
    };
    (0..start.config().spec.sizes.len())
        .map(|l| match (start.fields(l), end.fields(l)) {
            (Some(s), Some(e)) => Ok(Some((read(s)?, read(e)?, s.grid()))),
            _ => Ok(None),
        })
        .collect()
}

/// One layer's 3-D gene fields from a genome file: the prefix of its tensors, its grid, and the
/// expression of every gene at every neuron as the file holds it, `(channels, height, width, G)`
/// row-major.
pub type LayerFields3d = (&'static str, innate_devconv::Grid3, Vec<f32>, usize);

/// The 3-D gene fields of an S-GEM LeNet-5 genome file, each layer's expression computed from
/// the file's tensors; empty for other genomes.
pub fn gene_fields_3d(file: &GenomeFile) -> Result<Vec<LayerFields3d>> {
    if file.encoding != "sgem" || file.genome.get("lenet5").is_none() {
        return Ok(vec![]);
    }
    let genome = LeNet5Genome::from_config(&file.genome, &Device::Cpu)?;
    innate_encodings::checkpoint::restore(
        innate_encodings::Genome::varmap(&genome),
        &file.tensors,
        &file.path,
    )?;
    genome
        .fields_3d()
        .into_iter()
        .map(|(name, f)| {
            let x = f.expression()?;
            let genes = x.dim(1)?;
            Ok((name, f.grid(), x.flatten_all()?.to_vec1::<f32>()?, genes))
        })
        .collect()
}
