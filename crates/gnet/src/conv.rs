//! G-networks for the 9-layer all-convolutional CIFAR-10 p-network (genomic bottleneck, "Solving
//! Cifar10", Table 2): one weight g-network and one bias g-network per layer of All-CNN-C
//! ([`innate_encodings::allcnn`]), 18 in all.
//!
//! Each kernel weight `W[o, i, y, x]` of layers 1-8 is the weight g-network's output on a 20-bit
//! label: 8 bits numbering the output map `o`, 8 bits numbering the input map `i` (consecutive
//! binary numbers from 1, as the paper numbers the MNIST hidden neurons), and 2 + 2 bits of Gray
//! code for the position in the kernel (column `x`, then row `y`). Layer 9 labels its weights
//! with a 10-bit one-hot class, the 8-bit input map and 1 + 1 dummy bits. Output label first, as
//! the MNIST g-networks put the postsynaptic label first (the paper's text lists the kernel bits
//! first; the order only permutes the first layer's columns). The paper leaves open what the 2 + 2
//! kernel bits of the 1x1 layer 8 are: its one position is 0, so they are 0, like layer 9's dummy
//! bits (a zero column stays 0 where the labels are normalised by their maximum).
//!
//! Biases: layers 1-8 an `8-H-1` g-network over the output map's label (Table 2: 8-10-1), layer 9
//! a linear `10-1` one over the one-hot class, the only network over a 10-bit one-hot label with
//! the 11 parameters that Table 2's totals leave for it (eight 8-10-1 networks have 808):
//!
//! | preset | weight g-networks | genome parameters | compression |
//! | --- | --- | ---: | ---: |
//! | GN10 | (20-10-10-1) x 9 | 3,798 | 361x |
//! | GN30 | (20-30-10-1) x 9 | 9,378 | 146x |
//! | GN50 | (20-50-10-1) x 9 | 14,958 | 92x |
//!
//! Developing a layer is one batched pass: the first g-network layer is linear in the
//! concatenated label, so its pre-activations for every `(o, i, y, x)` are the broadcast sum of
//! three small products (output labels, input labels, kernel labels), and the rest of the
//! g-network runs on all `c_out c_in k²` rows at once.
//!
//! ```
//! use candle_core::Device;
//! use innate_encodings::Genome;
//! use innate_gnet::Preset;
//! use innate_gnet::conv::{GenomicConvNet, cifar_config};
//! # fn main() -> Result<(), innate_encodings::GenomeError> {
//! let config = cifar_config(Preset::Gn10, 0);
//! assert_eq!(config.param_count(), 3_798);
//! let narrow = innate_gnet::conv::ConvGnetConfig { spec: innate_encodings::allcnn::AllCnnSpec { width: 8, ..config.spec }, ..config };
//! let genome = GenomicConvNet::new(narrow, &Device::Cpu)?;
//! let net = genome.develop()?; // All-CNN-C with 8 / 16 maps, every kernel from a g-network
//! assert_eq!(net.classes(), 10);
//! # Ok(()) }
//! ```

use candle_core::{Device, Module, Tensor};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use innate_encodings::allcnn::{AllCnnSpec, ConvShape};
use innate_encodings::conv::ConvNet;
use innate_encodings::{Genome, GenomeError, LabelScheme, ParamCount, Result, SeededInit};

use crate::gnet::GNet;
use crate::presets::Preset;

/// Everything that defines a convolutional g-network genome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvGnetConfig {
    /// A name for the configuration (`gn30`, ...).
    pub name: String,
    /// The p-network.
    pub spec: AllCnnSpec,
    /// Hidden sizes of every layer's weight g-network (`[30, 10]` for GN30).
    pub weight_hidden: Vec<usize>,
    /// Hidden sizes of the bias g-networks of layers 1-8 (`[10]`); layer 9's is linear.
    pub bias_hidden: Vec<usize>,
    /// Seed of the initial g-networks.
    pub seed: u64,
}

/// The genome of `spec` with weight g-networks of hidden sizes `hidden` and Table 2's 8-10-1
/// bias g-networks.
pub fn for_allcnn(name: &str, spec: AllCnnSpec, hidden: &[usize], seed: u64) -> ConvGnetConfig {
    ConvGnetConfig { name: name.into(), spec, weight_hidden: hidden.to_vec(), bias_hidden: vec![10], seed }
}

/// A preset's genome for the paper's CIFAR-10 network (Table 2's are [`Preset::CIFAR`]).
pub fn cifar_config(preset: Preset, seed: u64) -> ConvGnetConfig {
    for_allcnn(preset.name(), AllCnnSpec::cifar10(), &preset.hidden(), seed)
}

/// Bits numbering a layer's maps.
const FILTER_BITS: usize = 8;

/// The label schemes of layer `l` (from 0) of `spec`: output maps, input maps, kernel positions.
fn schemes(spec: &AllCnnSpec, l: usize, s: &ConvShape) -> [LabelScheme; 3] {
    let last = l + 1 == spec.layers().len();
    let filters = LabelScheme::Binary { bits: FILTER_BITS, offset: 1 };
    let out = if last { LabelScheme::OneHot { n: s.c_out } } else { filters };
    let kbits = if last { 1 } else { 2 };
    let kernel = LabelScheme::Gray2d { rows: s.kernel, cols: s.kernel, bits_x: kbits, bits_y: kbits };
    [out, filters, kernel]
}

fn sizes(inputs: usize, hidden: &[usize]) -> Vec<usize> {
    std::iter::once(inputs).chain(hidden.iter().copied()).chain(std::iter::once(1)).collect()
}

impl ConvGnetConfig {
    /// The hidden sizes of layer `l`'s bias g-network.
    fn bias_hidden_of(&self, l: usize) -> &[usize] {
        if l + 1 == self.spec.layers().len() { &[] } else { &self.bias_hidden }
    }

    /// Learned parameters of this configuration, without building it.
    pub fn param_count(&self) -> usize {
        self.spec
            .layers()
            .iter()
            .enumerate()
            .map(|(l, s)| {
                let [o, i, k] = schemes(&self.spec, l, s);
                GNet::params(&sizes(o.bits() + i.bits() + k.bits(), &self.weight_hidden))
                    + GNet::params(&sizes(o.bits(), self.bias_hidden_of(l)))
            })
            .sum()
    }
}

struct Layer {
    shape: ConvShape,
    weights: GNet,
    bias: GNet,
    /// `(c_out, bits)`, `(c_in, bits)`, `(k², bits)`: the labels of output maps, input maps and
    /// kernel positions.
    labels: [Tensor; 3],
}

impl Layer {
    /// The g-network inputs of the weights with flat indices `idx` (row-major over
    /// `(c_out, c_in, k, k)`).
    fn rows(&self, idx: &[u32]) -> candle_core::Result<Tensor> {
        let (ci, k2) = (self.shape.c_in, self.shape.kernel * self.shape.kernel);
        let dev = self.labels[0].device();
        let pick = |f: &dyn Fn(usize) -> usize| {
            Tensor::from_vec(idx.iter().map(|&n| f(n as usize) as u32).collect::<Vec<_>>(), idx.len(), dev)
        };
        let (o, i, p) = (pick(&|n| n / (ci * k2))?, pick(&|n| (n / k2) % ci)?, pick(&|n| n % k2)?);
        Tensor::cat(
            &[
                self.labels[0].index_select(&o, 0)?,
                self.labels[1].index_select(&i, 0)?,
                self.labels[2].index_select(&p, 0)?,
            ],
            1,
        )
    }

    /// Every kernel weight, `(c_out, c_in, k, k)`, in one batched pass (see the module docs).
    fn weight(&self) -> candle_core::Result<Tensor> {
        let s = &self.shape;
        let k2 = s.kernel * s.kernel;
        let (w1, b1) = self.weights.first();
        let h = w1.dims()[0];
        let [bo, bi, _] = self.labels.each_ref().map(|t| t.dims()[1]);
        let part =
            |l: usize, from: usize, bits: usize| self.labels[l].matmul(&w1.narrow(1, from, bits)?.t()?);
        let a_out = part(0, 0, bo)?.reshape((s.c_out, 1, 1, h))?;
        let a_in = part(1, bo, bi)?.reshape((1, s.c_in, 1, h))?;
        let a_k = part(2, bo + bi, w1.dims()[1] - bo - bi)?.broadcast_add(b1)?.reshape((1, 1, k2, h))?;
        let pre = a_out.broadcast_add(&a_in)?.broadcast_add(&a_k)?.reshape((s.c_out * s.c_in * k2, h))?;
        self.weights.forward_from_first(&pre)?.reshape((s.c_out, s.c_in, s.kernel, s.kernel))
    }
}

/// A genome of 18 g-networks for All-CNN-C (see the module docs).
pub struct GenomicConvNet {
    config: ConvGnetConfig,
    varmap: VarMap,
    layers: Vec<Layer>,
}

impl std::fmt::Debug for GenomicConvNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenomicConvNet").field("config", &self.config).finish_non_exhaustive()
    }
}

impl GenomicConvNet {
    /// Builds the g-networks, drawing their initial weights from `config.seed`.
    pub fn new(config: ConvGnetConfig, device: &Device) -> Result<Self> {
        config.spec.out_size()?;
        let varmap = VarMap::new();
        let mut init = SeededInit::new(config.seed, device);
        let mut layers = Vec::new();
        for (l, shape) in config.spec.layers().into_iter().enumerate() {
            let schemes = schemes(&config.spec, l, &shape);
            let counts = [shape.c_out, shape.c_in, shape.kernel * shape.kernel];
            let mut labels = Vec::with_capacity(3);
            for (s, &n) in schemes.iter().zip(&counts) {
                s.check(n).map_err(|_| {
                    GenomeError::Config(format!(
                        "layer {}'s {n} maps or kernel positions cannot be labelled by {s:?} (at most 255 maps per layer)",
                        l + 1
                    ))
                })?;
                labels.push(s.tensor(n, device)?);
            }
            let bits: usize = schemes.iter().map(LabelScheme::bits).sum();
            let weights = GNet::new(
                &sizes(bits, &config.weight_hidden),
                &format!("layer{l}.weight_net"),
                &varmap,
                &mut init,
            )?;
            let bias = GNet::new(
                &sizes(schemes[0].bits(), config.bias_hidden_of(l)),
                &format!("layer{l}.bias_net"),
                &varmap,
                &mut init,
            )?;
            let [o, i, k]: [Tensor; 3] =
                labels.try_into().map_err(|_| GenomeError::Config("three labels".into()))?;
            layers.push(Layer { shape, weights, bias, labels: [o, i, k] });
        }
        Ok(Self { config, varmap, layers })
    }

    /// Rebuilds a genome from the configuration stored in a checkpoint's metadata.
    pub fn from_config(config: &serde_json::Value, device: &Device) -> Result<Self> {
        let c: ConvGnetConfig = serde_json::from_value(config.clone())
            .map_err(|e| GenomeError::Config(format!("not a convolutional g-network configuration: {e}")))?;
        Self::new(c, device)
    }

    /// The configuration.
    pub fn config(&self) -> &ConvGnetConfig {
        &self.config
    }
}

impl Genome for GenomicConvNet {
    type Phenotype = ConvNet;

    /// `gnet`, as the MLP's g-networks (the configuration tells them apart).
    fn encoding(&self) -> &'static str {
        "gnet"
    }

    fn config(&self) -> Result<serde_json::Value> {
        innate_encodings::genome::config_json(&self.config)
    }

    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn params(&self) -> ParamCount {
        let learned = self.varmap.all_vars().iter().map(|v| v.elem_count()).sum();
        ParamCount { learned, fixed: 0, phenotype: self.config.spec.params() }
    }

    fn develop(&self) -> candle_core::Result<ConvNet> {
        let tensors = self
            .layers
            .iter()
            .map(|l| Ok((l.weight()?, l.bias.forward(&l.labels[0])?)))
            .collect::<candle_core::Result<Vec<_>>>()?;
        self.config.spec.net(tensors).map_err(|e| candle_core::Error::Msg(e.to_string()))
    }

    /// Develops the network and runs it with its dropout between layers 3 and 4.
    fn develop_forward_train(
        &self,
        x: &Tensor,
        rng: &mut dyn innate_encodings::RngCore,
    ) -> candle_core::Result<Tensor> {
        innate_encodings::Parameters::forward_train(&self.develop()?, x, rng)
    }

    /// Evaluates only the g-network entries asked for: tensor `2l` is layer `l`'s kernels (flat
    /// over `(c_out, c_in, k, k)`), `2l + 1` its biases.
    fn develop_entries(&self, param: usize, idx: &Tensor) -> candle_core::Result<Tensor> {
        let l = self
            .layers
            .get(param / 2)
            .ok_or_else(|| candle_core::Error::Msg(format!("the p-network has no tensor number {param}")))?;
        if param.is_multiple_of(2) {
            l.weights.forward(&l.rows(&idx.to_vec1::<u32>()?)?)
        } else {
            l.bias.forward(&l.labels[0].index_select(idx, 0)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::DType;
    use innate_encodings::Parameters;

    fn narrow(seed: u64) -> ConvGnetConfig {
        let c = cifar_config(Preset::Gn30, seed);
        ConvGnetConfig { spec: AllCnnSpec { width: 4, ..c.spec }, ..c }
    }

    #[test]
    fn table2_parameter_counts() {
        for (preset, params, compression) in
            [(Preset::Gn10, 3_798, 361.0), (Preset::Gn30, 9_378, 146.0), (Preset::Gn50, 14_958, 92.0)]
        {
            let c = cifar_config(preset, 0);
            assert_eq!(c.param_count(), params, "{preset:?}");
            let g = GenomicConvNet::new(c, &Device::Cpu).unwrap();
            let p = g.params();
            assert_eq!((p.learned, p.phenotype), (params, 1_369_738), "{preset:?}");
            assert!((p.compression() - compression).abs() < 0.5, "{preset:?}: {}", p.compression());
        }
        // The genome's size does not depend on the p-network's width: the labels are 8 bits.
        assert_eq!(narrow(0).param_count(), 9_378);
    }

    #[test]
    fn the_batched_pass_equals_the_g_network_on_every_label() -> Result<()> {
        let g = GenomicConvNet::new(narrow(1), &Device::Cpu)?;
        let net = g.develop()?;
        let params = net.parameters();
        assert_eq!(params.len(), 18);
        for (p, (name, t)) in params.iter().enumerate() {
            let n = t.elem_count() as u32;
            let idx = Tensor::from_vec((0..n).collect::<Vec<u32>>(), n as usize, &Device::Cpu)?;
            let one_by_one = g.develop_entries(p, &idx)?.to_vec1::<f32>()?;
            let batched = t.flatten_all()?.to_vec1::<f32>()?;
            let worst = one_by_one.iter().zip(&batched).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-5, "{name}: {worst}");
        }
        let y = net.forward(&Tensor::randn(0f32, 1.0, (2, 3, 32, 32), &Device::Cpu)?)?;
        assert_eq!(y.dims(), &[2, 10]);
        Ok(())
    }

    #[test]
    fn weight_labels_are_output_map_input_map_then_kernel_position() -> Result<()> {
        let c = narrow(0);
        let g = GenomicConvNet::new(c, &Device::Cpu)?;
        let l = &g.layers[3]; // 4 -> 8 maps, 3x3
        let (o, i, y, x) = (5usize, 2usize, 2usize, 1usize);
        let row = l.rows(&[((o * 4 + i) * 9 + y * 3 + x) as u32])?.squeeze(0)?.to_vec1::<f32>()?;
        // Map numbers from 1 in 8 bits, then Gray(x), Gray(y) in 2 bits each.
        let bits = |v: usize, n: usize| (0..n).rev().map(move |b| ((v >> b) & 1) as f32);
        let want: Vec<f32> =
            bits(o + 1, 8).chain(bits(i + 1, 8)).chain(bits(1, 2)).chain(bits(3, 2)).collect();
        // Columns are divided by their maximum over the layer, so compare the pattern of ones.
        assert_eq!(
            row.iter().map(|&v| v > 0.0).collect::<Vec<_>>(),
            want.iter().map(|&v| v > 0.0).collect::<Vec<_>>()
        );
        // Layer 9: one-hot class, input map, two dummy bits that are 0.
        let last = &g.layers[8];
        let row = last.rows(&[(7 * 8 + 3) as u32])?.squeeze(0)?.to_vec1::<f32>()?;
        assert_eq!(row.len(), 20);
        assert_eq!(row[7], 1.0);
        assert_eq!(&row[18..], &[0.0, 0.0]);
        Ok(())
    }

    #[test]
    fn gradients_reach_all_18_g_networks_and_the_config_rebuilds_it() -> Result<()> {
        let g = GenomicConvNet::new(narrow(2), &Device::Cpu)?;
        let x = Tensor::ones((1, 3, 32, 32), DType::F32, &Device::Cpu)?;
        let loss = g.develop()?.forward(&x)?.sqr()?.sum_all()?;
        let grads = loss.backward()?;
        let vars = g.varmap().all_vars();
        assert_eq!(vars.len(), 9 * 6 + 8 * 4 + 2); // weight and bias of each g-network layer
        for v in vars {
            assert!(grads.get(v.as_tensor()).is_some(), "a genome tensor has no gradient");
        }
        let again = GenomicConvNet::from_config(&Genome::config(&g)?, &Device::Cpu)?;
        let (a, b) = (g.develop()?.parameters(), again.develop()?.parameters());
        assert_eq!(a[6].1.flatten_all()?.to_vec1::<f32>()?, b[6].1.flatten_all()?.to_vec1::<f32>()?);
        Ok(())
    }

    #[test]
    fn too_many_maps_are_refused() {
        let c = cifar_config(Preset::Gn10, 0);
        let wide = ConvGnetConfig { spec: AllCnnSpec { width: 128, ..c.spec }, ..c };
        let e = GenomicConvNet::new(wide, &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("at most 255 maps"), "{e}");
    }
}
