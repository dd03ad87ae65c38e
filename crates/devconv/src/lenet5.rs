//! LeNet-5 in the developmental-priors paper's three variants, one network definition.
//!
//! **The architecture.** Classic LeNet-5 (with ReLU, which the paper's PyTorch implementation
//! leaves unsaid) on an image padded to 32x32: `conv 5x5 -> 6 maps (28x28) -> avg-pool 2 ->
//! conv 5x5 -> 16 maps (10x10) -> avg-pool 2 -> 400 -> 120 -> 84 -> classes`. MNIST's 28x28
//! images take padding 2 in the first convolution, CIFAR-10's 32x32 none, so both reach the same
//! 16x5x5 = 400 features.
//!
//! **The three variants and their counts** (MNIST, 10 classes; checked by a test):
//!
//! | variant | conv1 | conv2 | fc 400-120-84-10 | total | the paper |
//! | --- | ---: | ---: | ---: | ---: | ---: |
//! | standard (weights shared) | 6·25 + 6 = 156 | 16·150 + 16 = 2,416 | 59,134 | **61,706** | 61,706 |
//! | locally connected (a kernel and a bias per output neuron) | 784·25·6 + 784·6 = 122,304 | 100·150·16 + 100·16 = 241,600 | 59,134 | **423,038** | 423,038 |
//! | S-GEM (150 genes for the convolutions, 30 for the linear layers) | see below | | | **28,796** | 29,457 |
//!
//! The S-GEM variant develops the locally connected network (so its compression is of the
//! 423,038 parameters). Its learned parameters, in the reading this crate takes by default:
//!
//! - 3-D Gaussian gene fields (a centre and a width per axis, 6 per gene) for the input neurons
//!   (1x28x28), the first convolution's outputs (6x28x28) and the second's (16x10x10): 3 x 150 x 6
//!   = 2,700; the second convolution's inputs are the first's outputs pooled (dual pooling), so they
//!   have no fields of their own;
//! - one interaction matrix `O` shared by both convolutions: 150² = 22,500 (one per convolution
//!   would be 45,000, more than the paper's whole count: sharing is the only reading within it);
//! - the linear layers' identities, with 30 genes: 3-D fields on the 16x5x5 features (180), 2-D
//!   fields on the 120 and 84 hidden neurons (3 per gene: 90 each), the output neurons' expression
//!   learned directly as the paper's Methods do for S-GEM outputs (10 x 30 = 300);
//! - an interaction matrix per linear layer: 3 x 900 = 2,700;
//! - the biases, learned, one per map for the convolutions and one per neuron for the linear
//!   layers: 6 + 16 + 120 + 84 + 10 = 236.
//!
//! Total 28,796, 2.2% under the paper's 29,457 (14.7x compression of the locally connected
//! network, where the paper's count gives 14.4x). The paper's text does not give the breakdown
//! and no code exists; the other readings are options: one `O` shared by the linear layers
//! ([`SgemLeNet::share_linear`]) gives 26,996, the output expression fixed random
//! ([`SgemLeNet::learn_output`] off) 300 fewer. No combination of these choices, nor of scalar
//! widths or fields of their own for every layer's inputs, gives 29,457 exactly.

use candle_core::{Device, Module, Tensor, Var};
use candle_nn::VarMap;
use innate_encodings::conv::{ConvGeometry, ConvLayer, ConvNet};
use innate_encodings::expression::GeneFields;
use innate_encodings::init::register;
use innate_encodings::{CentreInit, Dense, Genome, GenomeError, NeuronGrid, ParamCount, Result, SeededInit};
use serde::{Deserialize, Serialize};

use crate::devconv::DevConv;
use crate::fields::{GeneFields3d, Grid3};
use crate::pool::DualAvgPool;

/// Maps of the first and second convolutions.
const MAPS: [usize; 2] = [6, 16];
/// Kernel side of both convolutions.
const KERNEL: usize = 5;
/// Neurons of the two hidden linear layers.
const HIDDEN: [usize; 2] = [120, 84];

/// LeNet-5 for an input of `channels x size x size` and `classes` classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeNet5Spec {
    /// Input channels (1 for MNIST, 3 for CIFAR-10).
    pub channels: usize,
    /// Input height and width (28 or 32).
    pub size: usize,
    /// Classes.
    pub classes: usize,
}

impl LeNet5Spec {
    /// LeNet-5 for `(channels, height, width)` images: an error unless they are square, at most
    /// 32x32 and an even number of pixels short of it (the network pads them to 32x32).
    pub fn for_input(channels: usize, height: usize, width: usize, classes: usize) -> Result<Self> {
        if height != width
            || !(KERNEL..=32).contains(&height)
            || !(32 - height).is_multiple_of(2)
            || channels == 0
        {
            return Err(GenomeError::Config(format!(
                "LeNet-5 takes square images of at most 32x32 that it pads to 32x32, such as MNIST's 1x28x28 or \
                 CIFAR-10's 3x32x32; this dataset's are {channels}x{height}x{width}"
            )));
        }
        if classes < 2 {
            return Err(GenomeError::Config(format!("LeNet-5 needs at least 2 classes, got {classes}")));
        }
        Ok(Self { channels, size: height, classes })
    }

    /// The first convolution: padding so that its 6 maps are 28x28.
    pub fn conv1(&self) -> ConvGeometry {
        ConvGeometry {
            in_channels: self.channels,
            height: self.size,
            width: self.size,
            kernel: KERNEL,
            stride: 1,
            padding: (32 - self.size) / 2,
            out_channels: MAPS[0],
        }
    }

    /// The second convolution, on the first's pooled maps (6x14x14 -> 16x10x10).
    pub fn conv2(&self) -> ConvGeometry {
        let c1 = self.conv1();
        ConvGeometry {
            in_channels: MAPS[0],
            height: c1.out_height() / 2,
            width: c1.out_width() / 2,
            kernel: KERNEL,
            stride: 1,
            padding: 0,
            out_channels: MAPS[1],
        }
    }

    /// The linear layers' sizes, the flattened features first: `[400, 120, 84, classes]`.
    pub fn linear(&self) -> [usize; 4] {
        let c2 = self.conv2();
        [MAPS[1] * (c2.out_height() / 2) * (c2.out_width() / 2), HIDDEN[0], HIDDEN[1], self.classes]
    }

    /// Parameters of the linear layers, weights and biases.
    pub fn linear_params(&self) -> usize {
        self.linear().windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// Parameters of the standard (weight-shared) network: 61,706 on MNIST.
    pub fn standard_params(&self) -> usize {
        [self.conv1(), self.conv2()].iter().map(|g| g.shared_weights() + g.out_channels).sum::<usize>()
            + self.linear_params()
    }

    /// Parameters of the locally connected network (a kernel and a bias per output neuron):
    /// 423,038 on MNIST.
    pub fn local_params(&self) -> usize {
        [self.conv1(), self.conv2()].iter().map(|g| g.local_weights() + g.outputs()).sum::<usize>()
            + self.linear_params()
    }
}

/// Settings of the S-GEM variant (see the module docs for the count they give).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SgemLeNet {
    /// Genes of the convolutions' neurons (150 for MNIST, 229 for CIFAR-10).
    pub conv_genes: usize,
    /// Genes of the linear layers' neurons (30).
    pub linear_genes: usize,
    /// One interaction matrix for all linear layers instead of one per layer.
    #[serde(default)]
    pub share_linear: bool,
    /// Learn the output neurons' expression (else fixed random, not counted).
    #[serde(default = "yes")]
    pub learn_output: bool,
}

fn yes() -> bool {
    true
}

impl SgemLeNet {
    /// The paper's MNIST settings: 150 and 30 genes.
    pub fn mnist() -> Self {
        Self { conv_genes: 150, linear_genes: 30, share_linear: false, learn_output: true }
    }

    /// The paper's CIFAR-10 settings: 229 and 30 genes.
    pub fn cifar() -> Self {
        Self { conv_genes: 229, ..Self::mnist() }
    }

    /// Learned parameters for `spec`.
    pub fn params(&self, spec: &LeNet5Spec) -> usize {
        let (gc, gl) = (self.conv_genes, self.linear_genes);
        let conv_fields = 3 * GeneFields3d::params(gc);
        let linear_fields = GeneFields3d::params(gl) + 2 * 3 * gl;
        let output = if self.learn_output { spec.classes * gl } else { 0 };
        let linear_o = if self.share_linear { 1 } else { 3 } * gl * gl;
        let biases = MAPS.iter().sum::<usize>() + spec.linear()[1..].iter().sum::<usize>();
        conv_fields + gc * gc + linear_fields + output + linear_o + biases
    }
}

/// Which LeNet-5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Variant {
    /// The classical network, kernels shared across locations.
    Standard,
    /// Locally connected: a kernel and a bias of its own for every output neuron.
    Local,
    /// The locally connected network developed from S-GEM genomes.
    Sgem(SgemLeNet),
}

/// Everything a LeNet-5 genome is built from (what its genome file records).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeNet5Config {
    /// The network.
    pub lenet5: LeNet5Spec,
    /// The variant.
    pub variant: Variant,
    /// Seed of the initial tensors.
    pub seed: u64,
    /// S-GEM: the factors that give each developed layer (conv1, conv2, fc1, fc2, fc3) a response
    /// of spread 1 at the start, measured on random images when the genome is first built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scales: Option<Vec<f64>>,
}

/// The S-GEM variant's gene tensors.
#[derive(Debug, Clone)]
struct SgemParts {
    input: GeneFields3d,
    maps1: GeneFields3d,
    maps2: GeneFields3d,
    o: Var,
    features: GeneFields3d,
    hidden: [GeneFields; 2],
    output: Tensor,
    linear_o: Vec<Var>,
    conv: [DevConv; 2],
}

#[derive(Debug, Clone)]
enum Parts {
    /// `(weight, bias)` of conv1, conv2, fc1, fc2, fc3.
    Direct(Vec<(Var, Var)>),
    Sgem(Box<SgemParts>, Vec<Var>),
}

/// A LeNet-5 genome of any variant: develops a [`ConvNet`].
///
/// ```
/// use candle_core::{DType, Device, Module, Tensor};
/// use innate_devconv::lenet5::{LeNet5Config, LeNet5Genome, LeNet5Spec, SgemLeNet, Variant};
/// use innate_encodings::Genome;
///
/// # fn main() -> innate_encodings::Result<()> {
/// let lenet5 = LeNet5Spec::for_input(1, 28, 28, 10)?;
/// let config = LeNet5Config { lenet5, variant: Variant::Sgem(SgemLeNet::mnist()), seed: 0, scales: None };
/// let genome = LeNet5Genome::new(config, &Device::Cpu)?;
/// assert_eq!(genome.params().learned, 28_796);
/// assert_eq!(genome.params().phenotype, 423_038);
/// let logits = genome.develop()?.forward(&Tensor::zeros((2, 1, 28, 28), DType::F32, &Device::Cpu)?)?;
/// assert_eq!(logits.dims(), &[2, 10]);
/// # Ok(()) }
/// ```
pub struct LeNet5Genome {
    config: LeNet5Config,
    varmap: VarMap,
    parts: Parts,
    /// Patch indices of the locally connected variant's two layers.
    local: Option<[DevConv; 2]>,
}

impl std::fmt::Debug for LeNet5Genome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeNet5Genome").field("config", &self.config).finish_non_exhaustive()
    }
}

impl LeNet5Genome {
    /// A fresh genome drawn from the configuration's seed.
    pub fn new(mut config: LeNet5Config, device: &Device) -> Result<Self> {
        let spec = config.lenet5;
        let varmap = VarMap::new();
        let mut init = SeededInit::new(config.seed, device);
        let geometries = [spec.conv1(), spec.conv2()];
        let lin = spec.linear();
        let mut local = None;
        let parts = match &config.variant {
            Variant::Standard | Variant::Local => {
                let unshared = config.variant == Variant::Local;
                let mut tensors = Vec::new();
                for (i, g) in geometries.iter().enumerate() {
                    let (w, b): (Vec<usize>, Vec<usize>) = if unshared {
                        (
                            vec![g.locations(), g.patch_len(), g.out_channels],
                            vec![g.locations(), g.out_channels],
                        )
                    } else {
                        (vec![g.out_channels, g.in_channels, g.kernel, g.kernel], vec![g.out_channels])
                    };
                    tensors.push(pair(&varmap, &mut init, &format!("conv{}", i + 1), &w, &b, g.patch_len())?);
                }
                for i in 0..3 {
                    let (n_in, n_out) = (lin[i], lin[i + 1]);
                    tensors.push(pair(
                        &varmap,
                        &mut init,
                        &format!("fc{}", i + 1),
                        &[n_out, n_in],
                        &[n_out],
                        n_in,
                    )?);
                }
                if unshared {
                    local =
                        Some([DevConv::new(geometries[0], device)?, DevConv::new(geometries[1], device)?]);
                }
                Parts::Direct(tensors)
            }
            Variant::Sgem(s) => {
                let (gc, gl) = (s.conv_genes, s.linear_genes);
                let conv = [DevConv::new(geometries[0], device)?, DevConv::new(geometries[1], device)?];
                let input = GeneFields3d::new(conv[0].input_grid()?, gc, "conv.input", &varmap, &mut init)?;
                let maps1 = GeneFields3d::new(conv[0].output_grid()?, gc, "conv1.maps", &varmap, &mut init)?;
                let maps2 = GeneFields3d::new(conv[1].output_grid()?, gc, "conv2.maps", &varmap, &mut init)?;
                let o = register(&varmap, "conv.o", init.normal(&[gc, gc], 0.0, 1.0)?)?;
                let c2 = conv[1].output_grid()?;
                let features_grid = Grid3::new(c2.channels, c2.height / 2, c2.width / 2)?;
                let features = GeneFields3d::new(features_grid, gl, "fc.features", &varmap, &mut init)?;
                let mut hidden = Vec::new();
                for (i, &n) in HIDDEN.iter().enumerate() {
                    let grid = NeuronGrid::for_count(n)?;
                    hidden.push(GeneFields::new(
                        grid,
                        gl,
                        CentreInit::Reference,
                        &format!("fc{}.neurons", i + 1),
                        &varmap,
                        &mut init,
                    )?);
                }
                let hidden: [GeneFields; 2] =
                    hidden.try_into().map_err(|_| GenomeError::Config("two hidden layers".into()))?;
                let output = init.normal(&[spec.classes, gl], 0.0, 1.0)?;
                let output = if s.learn_output {
                    register(&varmap, "fc3.output", output)?.as_tensor().clone()
                } else {
                    output
                };
                let n_o = if s.share_linear { 1 } else { 3 };
                let linear_o = (0..n_o)
                    .map(|i| register(&varmap, &format!("fc.o{i}"), init.normal(&[gl, gl], 0.0, 1.0)?))
                    .collect::<Result<Vec<_>>>()?;
                let mut biases = Vec::new();
                for (i, g) in geometries.iter().enumerate() {
                    biases.push(register(
                        &varmap,
                        &format!("conv{}.bias", i + 1),
                        init.linear_default(&[g.out_channels], g.patch_len())?,
                    )?);
                }
                for i in 0..3 {
                    biases.push(register(
                        &varmap,
                        &format!("fc{}.bias", i + 1),
                        init.linear_default(&[lin[i + 1]], lin[i])?,
                    )?);
                }
                let parts = SgemParts { input, maps1, maps2, o, features, hidden, output, linear_o, conv };
                Parts::Sgem(Box::new(parts), biases)
            }
        };
        let mut genome = Self { config: config.clone(), varmap, parts, local };
        if config.scales.is_none()
            && let Parts::Sgem(s, _) = &genome.parts
        {
            // Developed from smooth gene fields, a kernel's weights are correlated, so a layer's
            // response is not what its weights' spread alone predicts, and a positive mean carries
            // from layer to layer. Each layer is scaled instead by its measured response to random
            // images passed through the layers before it (scaled already), to a spread of 1: a
            // layer-sequential unit-variance start, the same for every run of the seed.
            let raw = genome.develop_raw()?;
            let mut probe = SeededInit::new(config.seed ^ 0x5CA1E, device);
            let mut h = probe.uniform(&[PROBE, spec.channels, spec.size, spec.size], 0.0, 1.0)?;
            let mut scales = Vec::with_capacity(5);
            for (i, conv) in s.conv.iter().enumerate() {
                let y = conv.layer(raw[i].clone(), None).forward(&h)?;
                let scale = response_scale(&y)?;
                scales.push(scale);
                h = (y * scale)?.relu()?.avg_pool2d(2)?;
            }
            let mut h = h.flatten_from(1)?;
            for w in &raw[2..] {
                let y = h.matmul(&w.t()?)?;
                let scale = response_scale(&y)?;
                scales.push(scale);
                h = (y * scale)?.relu()?;
            }
            config.scales = Some(scales);
            genome.config = config;
        }
        Ok(genome)
    }

    /// The genome its configuration describes (as written by [`Genome::config`]), with freshly
    /// drawn tensors.
    pub fn from_config(config: &serde_json::Value, device: &Device) -> Result<Self> {
        let c: LeNet5Config = serde_json::from_value(config.clone())
            .map_err(|e| GenomeError::Config(format!("not a LeNet-5 genome configuration: {e}")))?;
        Self::new(c, device)
    }

    /// The genome's configuration.
    pub fn config(&self) -> &LeNet5Config {
        &self.config
    }

    /// S-GEM: the 3-D gene fields of each layer of neurons, by the prefix of their tensors:
    /// `conv.input` (the image), `conv1.maps`, `conv2.maps` and `fc.features` (the pooled maps
    /// the first linear layer reads); empty for the other variants.
    pub fn fields_3d(&self) -> Vec<(&'static str, &GeneFields3d)> {
        match &self.parts {
            Parts::Sgem(s, _) => vec![
                ("conv.input", &s.input),
                ("conv1.maps", &s.maps1),
                ("conv2.maps", &s.maps2),
                ("fc.features", &s.features),
            ],
            Parts::Direct(_) => Vec::new(),
        }
    }

    /// S-GEM: the developed weights before scaling: conv1 and conv2 kernels `(L, K, C_out)`,
    /// then the three linear layers' `(out, in)`.
    fn develop_raw(&self) -> candle_core::Result<Vec<Tensor>> {
        let Parts::Sgem(s, _) = &self.parts else { return Ok(Vec::new()) };
        let o = s.o.as_tensor();
        let input = s.input.expression()?;
        let maps1 = s.maps1.expression()?;
        let w1 = s.conv[0].weights(&input, &maps1, o)?;
        let grid1 = s.conv[0].output_grid().map_err(to_candle)?;
        let (pooled, _) = DualAvgPool { size: 2 }.identities(&maps1, grid1).map_err(to_candle)?;
        let w2 = s.conv[1].weights(&pooled, &s.maps2.expression()?, o)?;
        let ids = [
            s.features.expression()?,
            s.hidden[0].expression()?,
            s.hidden[1].expression()?,
            s.output.clone(),
        ];
        let mut out = vec![w1, w2];
        for i in 0..3 {
            let o = s.linear_o[i.min(s.linear_o.len() - 1)].as_tensor();
            out.push(ids[i + 1].matmul(o)?.matmul(&ids[i].t()?)?);
        }
        Ok(out)
    }
}

/// Random images the S-GEM layers' responses are measured on.
const PROBE: usize = 16;

/// `1 / std(y)`: the factor that gives the response `y` a spread of 1 (1 for a response without
/// spread).
fn response_scale(y: &Tensor) -> Result<f64> {
    let v: Vec<f32> = y.flatten_all()?.to_vec1()?;
    let n = v.len().max(1) as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let std = (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
    Ok(if std > 0.0 && std.is_finite() { 1.0 / std } else { 1.0 })
}

fn to_candle(e: GenomeError) -> candle_core::Error {
    candle_core::Error::Msg(e.to_string())
}

/// A weight and a bias registered as `{name}.weight` / `{name}.bias`, uniform in
/// `±1/sqrt(fan_in)` (PyTorch's default for convolutions and linear layers).
fn pair(
    varmap: &VarMap,
    init: &mut SeededInit,
    name: &str,
    w: &[usize],
    b: &[usize],
    fan_in: usize,
) -> Result<(Var, Var)> {
    let weight = register(varmap, &format!("{name}.weight"), init.linear_default(w, fan_in)?)?;
    let bias = register(varmap, &format!("{name}.bias"), init.linear_default(b, fan_in)?)?;
    Ok((weight, bias))
}

/// The network of the layers given: convolution, ReLU, pooling twice, then the linear layers.
fn network(spec: &LeNet5Spec, conv: [ConvLayer; 2], dense: [Dense; 3]) -> ConvNet {
    let [c1, c2] = conv;
    let [d1, d2, d3] = dense;
    let pool = || ConvLayer::AvgPool { size: 2 };
    ConvNet {
        input: [spec.channels, spec.size, spec.size],
        layers: vec![
            c1,
            ConvLayer::Relu,
            pool(),
            c2,
            ConvLayer::Relu,
            pool(),
            ConvLayer::Flatten,
            ConvLayer::Dense(d1),
            ConvLayer::Relu,
            ConvLayer::Dense(d2),
            ConvLayer::Relu,
            ConvLayer::Dense(d3),
        ],
    }
}

impl Module for LeNet5Genome {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.develop()?.forward(x)
    }
}

impl Genome for LeNet5Genome {
    type Phenotype = ConvNet;

    fn encoding(&self) -> &'static str {
        match self.config.variant {
            Variant::Standard => "direct",
            Variant::Local => "local",
            Variant::Sgem(_) => "sgem",
        }
    }

    fn config(&self) -> Result<serde_json::Value> {
        innate_encodings::genome::config_json(&self.config)
    }

    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn fixed(&self) -> Vec<(String, Tensor)> {
        match &self.parts {
            Parts::Sgem(s, _) if matches!(&self.config.variant, Variant::Sgem(c) if !c.learn_output) => {
                vec![("fixed.fc3.output".to_string(), s.output.clone())]
            }
            _ => Vec::new(),
        }
    }

    fn params(&self) -> ParamCount {
        let learned = self.varmap.all_vars().iter().map(|v| v.elem_count()).sum();
        let spec = &self.config.lenet5;
        let phenotype = match self.config.variant {
            Variant::Standard => spec.standard_params(),
            _ => spec.local_params(),
        };
        let fixed = self.fixed().iter().map(|(_, t)| t.elem_count()).sum();
        ParamCount { learned, fixed, phenotype }
    }

    fn develop(&self) -> candle_core::Result<ConvNet> {
        let dense = |w: &Tensor, b: &Tensor| Dense { weight: w.clone(), bias: Some(b.clone()) };
        match &self.parts {
            Parts::Direct(t) => {
                let conv = match &self.local {
                    Some(local) => [
                        local[0].layer(t[0].0.as_tensor().clone(), Some(t[0].1.as_tensor().clone())),
                        local[1].layer(t[1].0.as_tensor().clone(), Some(t[1].1.as_tensor().clone())),
                    ],
                    None => [0, 1].map(|i| ConvLayer::Conv {
                        weight: t[i].0.as_tensor().clone(),
                        bias: Some(t[i].1.as_tensor().clone()),
                        stride: 1,
                        padding: [self.config.lenet5.conv1(), self.config.lenet5.conv2()][i].padding,
                    }),
                };
                let d = [2, 3, 4].map(|i| dense(t[i].0.as_tensor(), t[i].1.as_tensor()));
                Ok(network(&self.config.lenet5, conv, d))
            }
            Parts::Sgem(s, biases) => {
                let raw = self.develop_raw()?;
                let scales = self.config.scales.clone().unwrap_or_else(|| vec![1.0; 5]);
                let w: Vec<Tensor> =
                    raw.iter().zip(&scales).map(|(w, s)| w * *s).collect::<candle_core::Result<_>>()?;
                // A bias per map, the same at every location of the developed layer.
                let local_bias = |i: usize| -> candle_core::Result<Tensor> {
                    let l = s.conv[i].geometry().locations();
                    biases[i].as_tensor().unsqueeze(0)?.repeat((l, 1))
                };
                let conv = [
                    s.conv[0].layer(w[0].clone(), Some(local_bias(0)?)),
                    s.conv[1].layer(w[1].clone(), Some(local_bias(1)?)),
                ];
                let d = [2, 3, 4].map(|i| dense(&w[i], biases[i].as_tensor()));
                Ok(network(&self.config.lenet5, conv, d))
            }
        }
    }
}

/// The network's input shape for a dataset of `(channels, height, width)` images and `classes`
/// classes, or why LeNet-5 cannot take it.
pub fn spec_for(shape: [usize; 3], classes: usize) -> Result<LeNet5Spec> {
    LeNet5Spec::for_input(shape[0], shape[1], shape[2], classes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn genome(variant: Variant, spec: LeNet5Spec) -> Result<LeNet5Genome> {
        LeNet5Genome::new(LeNet5Config { lenet5: spec, variant, seed: 0, scales: None }, &Device::Cpu)
    }

    #[test]
    fn the_three_variants_count_as_the_paper() -> Result<()> {
        let mnist = LeNet5Spec::for_input(1, 28, 28, 10)?;
        assert_eq!((mnist.conv1().padding, mnist.linear()), (2, [400, 120, 84, 10]));
        assert_eq!(mnist.standard_params(), 61_706);
        assert_eq!(mnist.local_params(), 423_038);
        let standard = genome(Variant::Standard, mnist)?;
        assert_eq!(standard.params(), ParamCount { learned: 61_706, fixed: 0, phenotype: 61_706 });
        let local = genome(Variant::Local, mnist)?;
        assert_eq!(local.params(), ParamCount { learned: 423_038, fixed: 0, phenotype: 423_038 });
        // The S-GEM reading of the module docs, and the others it names.
        let sgem = genome(Variant::Sgem(SgemLeNet::mnist()), mnist)?;
        assert_eq!(sgem.params().learned, 28_796);
        assert_eq!(SgemLeNet::mnist().params(&mnist), 28_796);
        let shared = SgemLeNet { share_linear: true, ..SgemLeNet::mnist() };
        assert_eq!(
            (shared.params(&mnist), genome(Variant::Sgem(shared.clone()), mnist)?.params().learned),
            (26_996, 26_996)
        );
        let fixed = SgemLeNet { learn_output: false, ..SgemLeNet::mnist() };
        let g = genome(Variant::Sgem(fixed), mnist)?;
        assert_eq!((g.params().learned, g.params().fixed), (28_496, 300));
        // CIFAR-10: 3x32x32 without padding; 229 genes.
        let cifar = LeNet5Spec::for_input(3, 32, 32, 10)?;
        assert_eq!((cifar.conv1().padding, cifar.standard_params()), (0, 62_006));
        assert_eq!(
            SgemLeNet::cifar().params(&cifar),
            genome(Variant::Sgem(SgemLeNet::cifar()), cifar)?.params().learned
        );
        assert!(
            LeNet5Spec::for_input(1, 27, 27, 10).is_err() && LeNet5Spec::for_input(3, 32, 30, 10).is_err()
        );
        Ok(())
    }

    #[test]
    fn every_variant_develops_a_network_that_classifies_and_learns_through_its_genome() -> Result<()> {
        let spec = LeNet5Spec::for_input(1, 28, 28, 10)?;
        let x = Tensor::randn(0f32, 1.0, (3, 1, 28, 28), &Device::Cpu)?;
        for variant in [
            Variant::Standard,
            Variant::Local,
            Variant::Sgem(SgemLeNet { conv_genes: 8, linear_genes: 4, ..SgemLeNet::mnist() }),
        ] {
            let g = genome(variant.clone(), spec)?;
            let y = g.develop()?.forward(&x)?;
            assert_eq!(y.dims(), &[3, 10], "{variant:?}");
            let grads = y.sqr()?.sum_all()?.backward()?;
            for v in g.varmap().all_vars() {
                assert!(grads.get(&v).is_some(), "{variant:?}: a tensor without a gradient");
            }
            // Rebuilt from its configuration, the genome is the same genome.
            let again = LeNet5Genome::from_config(&Genome::config(&g)?, &Device::Cpu)?;
            let y2 = again.develop()?.forward(&x)?;
            assert_eq!(y.to_vec2::<f32>()?, y2.to_vec2::<f32>()?, "{variant:?}");
        }
        Ok(())
    }

    #[test]
    fn the_s_gem_network_starts_with_the_responses_of_a_kaiming_network() -> Result<()> {
        let spec = LeNet5Spec::for_input(1, 28, 28, 10)?;
        let g = genome(Variant::Sgem(SgemLeNet::mnist()), spec)?;
        let net = g.develop()?;
        // On random images (other than the ones measured on) the first convolution responds with
        // a spread near 1, and the logits stay of order one (no blow-up through the layers, whose
        // kernels are correlated).
        let z = Tensor::rand(0f32, 1.0, (32, 1, 28, 28), &Device::Cpu)?;
        let std =
            |t: &Tensor| -> Result<f64> { Ok(t.flatten_all()?.var(0)?.sqrt()?.to_scalar::<f32>()? as f64) };
        let s = std(&net.layers[0].forward(&z)?)?;
        assert!((0.7..1.4).contains(&s), "{s}");
        let logits = std(&net.forward(&z)?)?;
        assert!((0.3..3.0).contains(&logits), "{logits}");
        Ok(())
    }
}
