//! The direct encoding: the genome is the weights themselves.
//!
//! This is the papers' baseline ("learned SLP", "784-800-10 MLP"): every weight and bias is a
//! learned parameter and `develop()` is the identity, so the compression ratio is 1. Weights and
//! biases start as PyTorch's `nn.Linear` does, uniform in `±1/sqrt(fan_in)`, drawn from the run's
//! seed.
//!
//! ```
//! use candle_core::{Device, Module, Tensor};
//! use innate_encodings::{Genome, MlpSpec};
//! use innate_gem::Direct;
//!
//! # fn main() -> Result<(), innate_encodings::GenomeError> {
//! let genome = Direct::new(MlpSpec::slp(784, 10), 0, &Device::Cpu)?;
//! assert_eq!(genome.params().learned, 7_850);
//! let net = genome.develop()?;
//! let x = Tensor::zeros((4, 784), candle_core::DType::F32, &Device::Cpu)?;
//! assert_eq!(net.forward(&x)?.dims(), &[4, 10]);
//! # Ok(()) }
//! ```

use candle_core::{Device, Var};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use innate_encodings::init::register;
use innate_encodings::{Dense, Genome, GenomeError, Mlp, MlpSpec, ParamCount, Result, SeededInit};

/// Configuration of a direct genome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectConfig {
    /// The network.
    pub spec: MlpSpec,
    /// Seed of the initial weights.
    pub seed: u64,
}

/// A network whose weights are learned directly.
pub struct Direct {
    config: DirectConfig,
    varmap: VarMap,
    layers: Vec<(Var, Option<Var>)>,
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Direct").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Direct {
    /// A freshly initialised network of shape `spec`.
    pub fn new(spec: MlpSpec, seed: u64, device: &Device) -> Result<Self> {
        let spec = MlpSpec::new(spec.sizes, spec.bias)?;
        let varmap = VarMap::new();
        let mut init = SeededInit::new(seed, device);
        let mut layers = Vec::with_capacity(spec.layers());
        for i in 0..spec.layers() {
            let (n_in, n_out) = spec.layer(i);
            let w =
                register(&varmap, &format!("layer{i}.weight"), init.linear_default(&[n_out, n_in], n_in)?)?;
            let b = if spec.bias {
                Some(register(&varmap, &format!("layer{i}.bias"), init.linear_default(&[n_out], n_in)?)?)
            } else {
                None
            };
            layers.push((w, b));
        }
        Ok(Self { config: DirectConfig { spec, seed }, varmap, layers })
    }

    /// A direct genome whose weights start as `net`'s (for example a network developed from
    /// another genome: "innate" initialisation). `net` must have the shape of `spec`.
    pub fn from_weights(spec: MlpSpec, net: &Mlp, seed: u64, device: &Device) -> Result<Self> {
        let genome = Self::new(spec, seed, device)?;
        let tensors: std::collections::HashMap<String, candle_core::Tensor> =
            innate_encodings::Parameters::parameters(net).into_iter().map(|(n, t)| (n, t.detach())).collect();
        innate_encodings::checkpoint::restore(
            &genome.varmap,
            &tensors,
            std::path::Path::new("the developed network"),
        )?;
        Ok(genome)
    }

    /// Rebuilds a genome from the configuration stored in a checkpoint's metadata.
    pub fn from_config(config: &serde_json::Value, device: &Device) -> Result<Self> {
        let c: DirectConfig = serde_json::from_value(config.clone())
            .map_err(|e| GenomeError::Config(format!("not a direct-encoding configuration: {e}")))?;
        Self::new(c.spec, c.seed, device)
    }

    /// The network's shape.
    pub fn spec(&self) -> &MlpSpec {
        &self.config.spec
    }
}

/// The network's output for `x` (`(B, ...)`, flattened), differentiable in its weights: a
/// directly learned MLP used as a layer of a larger Candle model.
impl candle_core::Module for Direct {
    fn forward(&self, x: &candle_core::Tensor) -> candle_core::Result<candle_core::Tensor> {
        self.develop_forward(x)
    }
}

impl Genome for Direct {
    type Phenotype = Mlp;

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
        let p = self.config.spec.params();
        ParamCount { learned: p, fixed: 0, phenotype: p }
    }

    fn develop(&self) -> candle_core::Result<Mlp> {
        Ok(Mlp {
            layers: self
                .layers
                .iter()
                .map(|(w, b)| Dense {
                    weight: w.as_tensor().clone(),
                    bias: b.as_ref().map(|b| b.as_tensor().clone()),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Module, Tensor};

    #[test]
    fn counts_and_shapes() -> Result<()> {
        let g = Direct::new(MlpSpec::mlp(784, 800, 10), 0, &Device::Cpu)?;
        assert_eq!(g.params(), ParamCount { learned: 636_010, fixed: 0, phenotype: 636_010 });
        assert_eq!(g.params().compression(), 1.0);
        let net = g.develop()?;
        assert_eq!(net.layers[0].weight.dims(), &[800, 784]);
        assert_eq!(net.layers[1].bias.as_ref().map(|b| b.dims().to_vec()), Some(vec![10]));
        let nb = Direct::new(MlpSpec::new(vec![4, 3], false)?, 0, &Device::Cpu)?;
        assert_eq!(nb.params().learned, 12);
        assert!(Direct::new(MlpSpec { sizes: vec![4], bias: true }, 0, &Device::Cpu).is_err());
        Ok(())
    }

    #[test]
    fn starts_from_given_weights() -> Result<()> {
        let a = Direct::new(MlpSpec::mlp(6, 5, 3), 1, &Device::Cpu)?;
        let b = Direct::from_weights(MlpSpec::mlp(6, 5, 3), &a.develop()?, 2, &Device::Cpu)?;
        assert_eq!(
            b.develop()?.layers[1].weight.to_vec2::<f32>()?,
            a.develop()?.layers[1].weight.to_vec2::<f32>()?
        );
        assert!(Direct::from_weights(MlpSpec::mlp(6, 4, 3), &a.develop()?, 2, &Device::Cpu).is_err());
        Ok(())
    }

    #[test]
    fn config_round_trip_and_gradients_reach_every_tensor() -> Result<()> {
        let g = Direct::new(MlpSpec::mlp(6, 5, 3), 7, &Device::Cpu)?;
        let again = Direct::from_config(&Genome::config(&g)?, &Device::Cpu)?;
        assert_eq!(again.spec(), g.spec());
        let w0 = g.develop()?.layers[0].weight.to_vec2::<f32>()?;
        assert_eq!(again.develop()?.layers[0].weight.to_vec2::<f32>()?, w0);

        let x = Tensor::ones((2, 6), DType::F32, &Device::Cpu)?;
        let loss = g.develop()?.forward(&x)?.sqr()?.sum_all()?;
        let grads = loss.backward()?;
        for var in g.varmap().all_vars() {
            let gr = grads.get(var.as_tensor()).expect("gradient for every genome tensor");
            assert!(gr.abs()?.sum_all()?.to_scalar::<f32>()? > 0.0);
        }
        Ok(())
    }
}
