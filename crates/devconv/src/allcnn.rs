//! All-CNN-C learned directly: every kernel and bias of the genomic-bottleneck paper's CIFAR-10
//! p-network is a learned tensor (`layer{l}.weight`, `layer{l}.bias`). The network is
//! [`innate_encodings::allcnn::AllCnnSpec`], its dropout active while it learns.
//!
//! Initialisation ([`AllCnnInit`]; the paper does not say): by default He's (Kaiming-normal
//! kernels, `N(0, 2 / (c_in k²))`, zero biases). PyTorch's `nn.Conv2d` default (uniform in
//! `±1/sqrt(c_in k²)`) shrinks the signal through the nine ReLU layers until the logits are
//! constant: with it, SGD at the paper's lr 0.05 and momentum 0.9 left the training loss at
//! ln 10 = 2.3026 for 10 epochs of the 4,000 CIFAR-10 training images at width 32, in innate and
//! in PyTorch alike, where He's initialisation brought PyTorch's to 2.13 in 4 epochs.
//!
//! ```
//! use candle_core::Device;
//! use innate_devconv::allcnn::{AllCnnConfig, AllCnnGenome};
//! use innate_encodings::{Genome, allcnn::AllCnnSpec};
//! # fn main() -> innate_encodings::Result<()> {
//! let g = AllCnnGenome::new(AllCnnConfig { allcnn: AllCnnSpec::cifar10(), seed: 0, init: Default::default() }, &Device::Cpu)?;
//! assert_eq!(g.params().learned, 1_369_738);
//! # Ok(()) }
//! ```

use candle_core::{Device, Tensor, Var};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use innate_encodings::allcnn::AllCnnSpec;
use innate_encodings::conv::ConvNet;
use innate_encodings::init::register;
use innate_encodings::{Genome, GenomeError, ParamCount, Parameters, Result, RngCore, SeededInit};

/// A directly learned All-CNN-C: its network and seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllCnnConfig {
    /// The network.
    pub allcnn: AllCnnSpec,
    /// Seed of the initial weights.
    pub seed: u64,
    /// How the weights start.
    #[serde(default)]
    pub init: AllCnnInit,
}

/// How a directly learned All-CNN-C's weights start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllCnnInit {
    /// He (Kaiming-normal) kernels `N(0, 2 / fan_in)`, zero biases (the default).
    #[default]
    Kaiming,
    /// PyTorch's `nn.Conv2d` default: kernels and biases uniform in `±1/sqrt(fan_in)`.
    Pytorch,
}

/// A directly learned All-CNN-C (see the module docs).
pub struct AllCnnGenome {
    config: AllCnnConfig,
    varmap: VarMap,
    layers: Vec<(Var, Var)>,
}

impl std::fmt::Debug for AllCnnGenome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AllCnnGenome").field("config", &self.config).finish_non_exhaustive()
    }
}

impl AllCnnGenome {
    /// Draws the initial weights from `config.seed`.
    pub fn new(config: AllCnnConfig, device: &Device) -> Result<Self> {
        config.allcnn.out_size()?;
        let varmap = VarMap::new();
        let mut init = SeededInit::new(config.seed, device);
        let mut layers = Vec::new();
        for (l, s) in config.allcnn.layers().iter().enumerate() {
            let fan_in = s.c_in * s.kernel * s.kernel;
            let shape = [s.c_out, s.c_in, s.kernel, s.kernel];
            let (w, b) = match config.init {
                AllCnnInit::Kaiming => (
                    init.normal(&shape, 0.0, (2.0 / fan_in as f64).sqrt())?,
                    Tensor::zeros(s.c_out, candle_core::DType::F32, device)?,
                ),
                AllCnnInit::Pytorch => {
                    (init.linear_default(&shape, fan_in)?, init.linear_default(&[s.c_out], fan_in)?)
                }
            };
            layers.push((
                register(&varmap, &format!("layer{l}.weight"), w)?,
                register(&varmap, &format!("layer{l}.bias"), b)?,
            ));
        }
        Ok(Self { config, varmap, layers })
    }

    /// A genome whose layers `layers` (numbered from 1, input side first, as the paper's L1-L9)
    /// start from `net`'s kernels and biases, say those a g-network genome develops or those of a
    /// directly trained network, and whose other layers start as [`AllCnnGenome::new`] draws
    /// them: transfer of chosen layers (genomic bottleneck, Fig. 3G). Each chosen layer of `net`
    /// must have this network's shape.
    pub fn starting_from(
        config: AllCnnConfig,
        net: &ConvNet,
        layers: &[usize],
        device: &Device,
    ) -> Result<Self> {
        let g = Self::new(config, device)?;
        let theirs: std::collections::HashMap<String, Tensor> = net.parameters().into_iter().collect();
        for &l in layers {
            let Some((w, b)) = l.checked_sub(1).and_then(|i| g.layers.get(i)) else {
                return Err(GenomeError::Config(format!(
                    "layer {l}: All-CNN-C's layers are numbered 1 to {}",
                    g.layers.len()
                )));
            };
            for (what, var) in [("weight", w), ("bias", b)] {
                let name = format!("layer{}.{what}", l - 1);
                let Some(t) = theirs.get(&name) else {
                    return Err(GenomeError::Config(format!("the network to start from has no {name}")));
                };
                if t.dims() != var.dims() {
                    return Err(GenomeError::Config(format!(
                        "layer {l}'s {what} is {:?} in the network to start from, {:?} in this one (another width \
                         or number of classes?)",
                        t.dims(),
                        var.dims()
                    )));
                }
                var.set(&t.detach().to_device(device)?)?;
            }
        }
        Ok(g)
    }

    /// Rebuilds a genome from the configuration stored in a checkpoint's metadata.
    pub fn from_config(config: &serde_json::Value, device: &Device) -> Result<Self> {
        let c: AllCnnConfig = serde_json::from_value(config.clone())
            .map_err(|e| GenomeError::Config(format!("not an All-CNN-C configuration: {e}")))?;
        Self::new(c, device)
    }
}

impl Genome for AllCnnGenome {
    type Phenotype = ConvNet;

    fn encoding(&self) -> &'static str {
        "direct"
    }

    fn config(&self) -> Result<serde_json::Value> {
        innate_encodings::genome::config_json(&self.config)
    }

    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn params(&self) -> ParamCount {
        let n = self.config.allcnn.params();
        ParamCount { learned: n, fixed: 0, phenotype: n }
    }

    fn develop(&self) -> candle_core::Result<ConvNet> {
        let tensors =
            self.layers.iter().map(|(w, b)| (w.as_tensor().clone(), b.as_tensor().clone())).collect();
        self.config.allcnn.net(tensors).map_err(|e| candle_core::Error::Msg(e.to_string()))
    }

    /// The network with its dropout between layers 3 and 4.
    fn develop_forward_train(&self, x: &Tensor, rng: &mut dyn RngCore) -> candle_core::Result<Tensor> {
        self.develop()?.forward_train(x, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Module;

    #[test]
    fn counts_initialisation_and_rebuild() -> Result<()> {
        let spec = AllCnnSpec { width: 4, ..AllCnnSpec::cifar10() };
        let torch = AllCnnConfig { allcnn: spec, seed: 3, init: AllCnnInit::Pytorch };
        let p = AllCnnGenome::new(torch, &Device::Cpu)?;
        let learned: usize = p.varmap().all_vars().iter().map(|v| v.elem_count()).sum();
        assert_eq!((p.params().learned, learned), (spec.params(), spec.params()));
        // PyTorch's Conv2d bound: layer 2 has 4 x 3 x 3 inputs per output.
        let w = p.layers[1].0.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        let bound = 1.0 / 36f32.sqrt();
        assert!(w.iter().all(|v| v.abs() <= bound) && w.iter().any(|v| v.abs() > bound / 2.0));
        // He's: spread sqrt(2 / 36) on layer 2's kernels of 9 x 8 ... here 4 maps x 9, zero biases.
        let g = AllCnnGenome::new(AllCnnConfig { init: AllCnnInit::Kaiming, ..torch }, &Device::Cpu)?;
        let w = g.layers[4].0.as_tensor().flatten_all()?.to_vec1::<f32>()?; // 8 -> 8 maps, fan-in 72
        let sd = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
        assert!((sd / (2.0f32 / 72.0).sqrt() - 1.0).abs() < 0.1, "{sd}");
        assert!(g.layers[4].1.as_tensor().to_vec1::<f32>()?.iter().all(|&b| b == 0.0));
        let again = AllCnnGenome::from_config(&g.config()?, &Device::Cpu)?;
        let x = Tensor::randn(0f32, 1.0, (2, 3, 32, 32), &Device::Cpu)?;
        let (a, b) = (g.develop()?.forward(&x)?, again.develop()?.forward(&x)?);
        assert_eq!(a.to_vec2::<f32>()?, b.to_vec2::<f32>()?);
        assert!(AllCnnGenome::from_config(&serde_json::json!({"lenet5": 1}), &Device::Cpu).is_err());
        Ok(())
    }

    #[test]
    fn chosen_layers_start_from_another_network_and_the_rest_as_drawn() -> Result<()> {
        let spec = AllCnnSpec { width: 4, ..AllCnnSpec::cifar10() };
        let c = |seed| AllCnnConfig { allcnn: spec, seed, init: AllCnnInit::Kaiming };
        let source = AllCnnGenome::new(c(1), &Device::Cpu)?.develop()?;
        let g = AllCnnGenome::starting_from(c(2), &source, &[1, 9], &Device::Cpu)?;
        let fresh = AllCnnGenome::new(c(2), &Device::Cpu)?;
        let v = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let theirs = source.parameters();
        for (l, ((w, b), (w0, _))) in g.layers.iter().zip(&fresh.layers).enumerate() {
            if l == 0 || l == 8 {
                assert_eq!(v(w.as_tensor()), v(&theirs[2 * l].1), "layer {}", l + 1);
                assert_eq!(v(b.as_tensor()), v(&theirs[2 * l + 1].1));
            } else {
                assert_eq!(v(w.as_tensor()), v(w0.as_tensor()), "layer {}", l + 1);
            }
        }
        let e = AllCnnGenome::starting_from(c(2), &source, &[10], &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("numbered 1 to 9"), "{e}");
        let wider = AllCnnGenome::new(
            AllCnnConfig { allcnn: AllCnnSpec { width: 8, ..spec }, ..c(1) },
            &Device::Cpu,
        )?;
        let e =
            AllCnnGenome::starting_from(c(2), &wider.develop()?, &[2], &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("another width"), "{e}");
        Ok(())
    }
}
