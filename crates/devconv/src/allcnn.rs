//! All-CNN-C learned directly: every kernel and bias of the genomic-bottleneck paper's CIFAR-10
//! p-network is a learned tensor (`layer{l}.weight`, `layer{l}.bias`), initialised as PyTorch's
//! `nn.Conv2d` (uniform in `±1/sqrt(c_in k²)`). The network is
//! [`innate_encodings::allcnn::AllCnnSpec`], its dropout active while it learns.
//!
//! ```
//! use candle_core::Device;
//! use innate_devconv::allcnn::{AllCnnConfig, AllCnnGenome};
//! use innate_encodings::{Genome, allcnn::AllCnnSpec};
//! # fn main() -> innate_encodings::Result<()> {
//! let g = AllCnnGenome::new(AllCnnConfig { allcnn: AllCnnSpec::cifar10(), seed: 0 }, &Device::Cpu)?;
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
            let w = init.linear_default(&[s.c_out, s.c_in, s.kernel, s.kernel], fan_in)?;
            let b = init.linear_default(&[s.c_out], fan_in)?;
            layers.push((
                register(&varmap, &format!("layer{l}.weight"), w)?,
                register(&varmap, &format!("layer{l}.bias"), b)?,
            ));
        }
        Ok(Self { config, varmap, layers })
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
        let g = AllCnnGenome::new(AllCnnConfig { allcnn: spec, seed: 3 }, &Device::Cpu)?;
        let learned: usize = g.varmap().all_vars().iter().map(|v| v.elem_count()).sum();
        assert_eq!((g.params().learned, learned), (spec.params(), spec.params()));
        // PyTorch's Conv2d bound: layer 2 has 4 x 3 x 3 inputs per output.
        let w = g.layers[1].0.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        let bound = 1.0 / 36f32.sqrt();
        assert!(w.iter().all(|v| v.abs() <= bound) && w.iter().any(|v| v.abs() > bound / 2.0));
        let again = AllCnnGenome::from_config(&g.config()?, &Device::Cpu)?;
        let x = Tensor::randn(0f32, 1.0, (2, 3, 32, 32), &Device::Cpu)?;
        let (a, b) = (g.develop()?.forward(&x)?, again.develop()?.forward(&x)?);
        assert_eq!(a.to_vec2::<f32>()?, b.to_vec2::<f32>()?);
        assert!(AllCnnGenome::from_config(&serde_json::json!({"lenet5": 1}), &Device::Cpu).is_err());
        Ok(())
    }
}
