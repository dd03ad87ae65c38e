//! The random-basis baseline: train only the coordinates of the weights in a fixed random
//! subspace.
//!
//! Every weight matrix is `W_l = W0_l + reshape(R_l p)`: `W0_l` the usual initial weights
//! (fixed), `R_l` a fixed random basis of `B` directions (entries `N(0, sigma_l²)`, `sigma_l` the
//! spread of `W0_l`'s initialisation), and `p` the `B` learned coordinates, shared by all layers
//! and starting at zero. The genome has exactly `B` learned parameters. The bases are Fastfood
//! transforms ([`crate::fastfood`]), so a 784-784-10 network with hundreds of basis vectors needs
//! megabytes, not gigabytes. Biases are fixed random, as for the GEM encodings.
//!
//! ```
//! use candle_core::Device;
//! use innate_encodings::{Genome, MlpSpec};
//! use innate_gem::{RandomBasis, RandomBasisConfig};
//!
//! # fn main() -> Result<(), innate_encodings::GenomeError> {
//! let rb = RandomBasis::new(RandomBasisConfig::new(MlpSpec::slp(784, 10), 100, 0), &Device::Cpu)?;
//! assert_eq!(rb.params().learned, 100);
//! assert_eq!(rb.develop()?.layers[0].weight.dims(), &[10, 784]);
//! # Ok(()) }
//! ```

use std::sync::Arc;

use candle_core::{Device, Tensor, Var};
use candle_nn::VarMap;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use innate_encodings::init::register;
use innate_encodings::{
    BiasMode, Biases, Dense, Genome, GenomeError, Mlp, MlpSpec, ParamCount, Result, SeededInit,
};

use crate::fastfood::Fastfood;

/// Everything that defines a random-basis genome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandomBasisConfig {
    /// The network it develops.
    pub spec: MlpSpec,
    /// Number of basis vectors `B` (the learned parameters).
    pub basis: usize,
    /// The layers' biases.
    pub bias: BiasMode,
    /// Seed of `W0`, the bases and the biases.
    pub seed: u64,
    /// Hex fingerprint of the bases drawn from `seed` ([`Fastfood::fingerprint`], combined over
    /// the layers), set when the genome is built. A genome rebuilt from a file that records one
    /// must draw the same bases, or building it is an error: the bases are not stored in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis_fingerprint: Option<String>,
}

impl RandomBasisConfig {
    /// `basis` coordinates for `spec`, with fixed random biases if the spec has biases.
    pub fn new(spec: MlpSpec, basis: usize, seed: u64) -> Self {
        let bias = if spec.bias { BiasMode::FixedRandom } else { BiasMode::None };
        Self { spec, basis, bias, seed, basis_fingerprint: None }
    }
}

#[derive(Clone)]
pub(crate) enum Basis {
    /// Applied as a custom CPU operation.
    Fast(Arc<Fastfood>),
    /// Materialised as a dense `(D, B)` matrix on the device.
    Dense(Tensor),
}

impl Basis {
    /// A layer's weights `W0 + R p`.
    pub(crate) fn weight(&self, w0: &Tensor, p: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Basis::Fast(ff) => ff.project_onto(&w0.flatten_all()?, p)?.reshape(w0.dims()),
            Basis::Dense(m) => w0 + m.matmul(&p.unsqueeze(1)?)?.squeeze(1)?.reshape(w0.dims())?,
        }
    }
}

/// A random-basis genome (see the module docs).
pub struct RandomBasis {
    pub(crate) config: RandomBasisConfig,
    varmap: VarMap,
    coords: Var,
    w0: Vec<Tensor>,
    pub(crate) bases: Vec<Basis>,
    stored: usize,
    biases: Biases,
}

impl std::fmt::Debug for RandomBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RandomBasis").field("config", &self.config).finish_non_exhaustive()
    }
}

impl RandomBasis {
    /// Builds the genome from `config.seed`.
    pub fn new(mut config: RandomBasisConfig, device: &Device) -> Result<Self> {
        let spec = MlpSpec::new(config.spec.sizes.clone(), config.spec.bias)?;
        if config.basis == 0 {
            return Err(GenomeError::Config("the random basis needs at least 1 basis vector".into()));
        }
        let varmap = VarMap::new();
        let mut init = SeededInit::new(config.seed, device);
        let coords = register(&varmap, "p", Tensor::zeros(config.basis, candle_core::DType::F32, device)?)?;
        // The bases use their own stream, so adding a layer does not change W0's draws.
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5EED_BA51_5000_0000);
        let mut w0 = Vec::new();
        let mut bases = Vec::new();
        let mut stored = 0;
        let mut fingerprint: u64 = 0;
        for i in 0..spec.layers() {
            let (n_in, n_out) = spec.layer(i);
            w0.push(init.linear_default(&[n_out, n_in], n_in)?);
            // The spread of U(-b, b) with b = 1/sqrt(fan_in).
            let sigma = 1.0 / (3.0 * n_in as f64).sqrt();
            let ff = Fastfood::new(config.basis, n_in * n_out, sigma, &mut rng);
            fingerprint = fingerprint.rotate_left(17) ^ ff.fingerprint();
            stored += ff.stored();
            bases.push(if device.is_cpu() {
                Basis::Fast(Arc::new(ff))
            } else {
                Basis::Dense(Tensor::from_vec(ff.dense(), (n_in * n_out, config.basis), device)?)
            });
        }
        let fingerprint = format!("{fingerprint:016x}");
        match &config.basis_fingerprint {
            Some(recorded) if *recorded != fingerprint => {
                return Err(GenomeError::Config(format!(
                    "the random bases drawn from seed {} have fingerprint {fingerprint}, but the genome was \
                     trained with bases of fingerprint {recorded}: another version of innate, which draws \
                     them differently, wrote it (or its metadata was edited)",
                    config.seed
                )));
            }
            _ => config.basis_fingerprint = Some(fingerprint),
        }
        let shapes: Vec<(usize, usize)> = (0..spec.layers()).map(|i| spec.layer(i)).collect();
        let biases = Biases::new(config.bias, &shapes, &varmap, &mut init)?;
        Ok(Self { config, varmap, coords, w0, bases, stored, biases })
    }

    /// Rebuilds a genome from the configuration stored in a checkpoint's metadata.
    pub fn from_config(config: &serde_json::Value, device: &Device) -> Result<Self> {
        let c: RandomBasisConfig = serde_json::from_value(config.clone())
            .map_err(|e| GenomeError::Config(format!("not a random-basis configuration: {e}")))?;
        Self::new(c, device)
    }
}

/// The developed network's output for `x` (`(B, ...)`, flattened), differentiable in the basis
/// coordinates: a random-basis genome used as a layer of a larger Candle model.
impl candle_core::Module for RandomBasis {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.develop_forward(x)
    }
}

impl Genome for RandomBasis {
    type Phenotype = Mlp;

    fn encoding(&self) -> &'static str {
        "rb"
    }

    fn config(&self) -> Result<serde_json::Value> {
        innate_encodings::genome::config_json(&self.config)
    }

    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn fixed(&self) -> Vec<(String, Tensor)> {
        let mut f: Vec<(String, Tensor)> =
            self.w0.iter().enumerate().map(|(i, w)| (format!("fixed.layer{i}.w0"), w.clone())).collect();
        f.extend(self.biases.fixed_tensors(self.config.bias));
        f
    }

    fn params(&self) -> ParamCount {
        ParamCount {
            learned: self.config.basis + self.biases.learned,
            fixed: self.config.spec.weights() + self.stored + self.biases.fixed,
            phenotype: self.config.spec.params(),
        }
    }

    fn develop(&self) -> candle_core::Result<Mlp> {
        let p = self.coords.as_tensor();
        let layers = self
            .w0
            .iter()
            .zip(&self.bases)
            .zip(&self.biases.layers)
            .map(|((w0, basis), b)| Ok(Dense { weight: basis.weight(w0, p)?, bias: b.clone() }))
            .collect::<candle_core::Result<_>>()?;
        Ok(Mlp { layers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Module};

    #[test]
    fn counts_and_initial_weights() -> Result<()> {
        let rb = RandomBasis::new(RandomBasisConfig::new(MlpSpec::mlp(784, 784, 10), 300, 0), &Device::Cpu)?;
        assert_eq!(rb.params().learned, 300);
        assert_eq!(rb.params().phenotype, 622_496 + 794);
        // Starting at p = 0, the network is W0.
        let net = rb.develop()?;
        let w = net.layers[1].weight.flatten_all()?.to_vec1::<f32>()?;
        assert_eq!(w, rb.w0[1].flatten_all()?.to_vec1::<f32>()?);
        assert!(RandomBasis::new(RandomBasisConfig::new(MlpSpec::slp(4, 2), 0, 0), &Device::Cpu).is_err());
        Ok(())
    }

    #[test]
    fn learns_through_the_coordinates_only() -> Result<()> {
        let rb = RandomBasis::new(RandomBasisConfig::new(MlpSpec::mlp(8, 6, 3), 4, 1), &Device::Cpu)?;
        let x = Tensor::ones((2, 8), DType::F32, &Device::Cpu)?;
        let loss = rb.develop()?.forward(&x)?.sqr()?.sum_all()?;
        let grads = loss.backward()?;
        let vars = rb.varmap().all_vars();
        assert_eq!(vars.len(), 1);
        let g = grads.get(vars[0].as_tensor()).expect("gradient of p");
        assert!(g.abs()?.sum_all()?.to_scalar::<f32>()? > 0.0);
        // Rebuilding from the configuration gives the same W0 and bases.
        rb.coords.set(&Tensor::new(&[0.1f32, -0.2, 0.3, 0.4], &Device::Cpu)?)?;
        let again = RandomBasis::from_config(&Genome::config(&rb)?, &Device::Cpu)?;
        again.coords.set(rb.coords.as_tensor())?;
        let (a, b) = (rb.develop()?.forward(&x)?, again.develop()?.forward(&x)?);
        assert_eq!(a.to_vec2::<f32>()?, b.to_vec2::<f32>()?);
        Ok(())
    }

    #[test]
    fn a_recorded_basis_fingerprint_must_match() -> Result<()> {
        let rb = RandomBasis::new(RandomBasisConfig::new(MlpSpec::mlp(8, 6, 3), 4, 1), &Device::Cpu)?;
        let mut config = Genome::config(&rb)?;
        let recorded = config["basis_fingerprint"].as_str().expect("recorded").to_string();
        assert_eq!(recorded.len(), 16);
        // Another seed draws other bases.
        let other = RandomBasis::new(RandomBasisConfig::new(MlpSpec::mlp(8, 6, 3), 4, 2), &Device::Cpu)?;
        assert_ne!(Genome::config(&other)?["basis_fingerprint"], config["basis_fingerprint"]);
        // A file from before fingerprints were recorded still loads; a wrong one is refused.
        config.as_object_mut().unwrap().remove("basis_fingerprint");
        RandomBasis::from_config(&config, &Device::Cpu)?;
        config["basis_fingerprint"] = serde_json::json!("0123456789abcdef");
        let e = RandomBasis::from_config(&config, &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains(&recorded) && e.contains("0123456789abcdef"), "{e}");
        Ok(())
    }
}
