//! Seeded initialisation of genome tensors.
//!
//! Candle's CPU device cannot be seeded, so genome tensors are drawn here from a ChaCha8 stream
//! seeded by the run's `--seed` and registered in a [`VarMap`] under their names. Building the
//! layers through a [`candle_nn::VarBuilder`] on that map then finds them already there. Runs
//! with the same seed therefore start from identical tensors on every device.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Uniform};

use crate::error::{GenomeError, Result};

/// A seeded source of initial tensors.
#[derive(Debug, Clone)]
pub struct SeededInit {
    rng: ChaCha8Rng,
    device: Device,
}

impl SeededInit {
    /// Draws from a stream seeded with `seed`, placing tensors on `device`.
    pub fn new(seed: u64, device: &Device) -> Self {
        Self { rng: ChaCha8Rng::seed_from_u64(seed), device: device.clone() }
    }

    /// The device tensors are placed on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// A tensor of `shape` with entries drawn from `dist`.
    pub fn sample(&mut self, shape: &[usize], dist: impl Distribution<f32>) -> Result<Tensor> {
        let n = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|_| dist.sample(&mut self.rng)).collect();
        Ok(Tensor::from_vec(v, shape, &self.device)?)
    }

    /// A tensor of `shape` with entries uniform in `[lo, hi)`.
    pub fn uniform(&mut self, shape: &[usize], lo: f64, hi: f64) -> Result<Tensor> {
        let dist = Uniform::new(lo as f32, hi as f32)
            .map_err(|e| GenomeError::Config(format!("uniform({lo}, {hi}): {e}")))?;
        self.sample(shape, dist)
    }

    /// A tensor of `shape` with entries normal with the given mean and standard deviation.
    pub fn normal(&mut self, shape: &[usize], mean: f64, std: f64) -> Result<Tensor> {
        let dist = Normal::new(mean as f32, std as f32)
            .map_err(|e| GenomeError::Config(format!("normal({mean}, {std}): {e}")))?;
        self.sample(shape, dist)
    }

    /// PyTorch's default for `nn.Linear` weights and biases: uniform in `±1/sqrt(fan_in)`.
    pub fn linear_default(&mut self, shape: &[usize], fan_in: usize) -> Result<Tensor> {
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        self.uniform(shape, -bound, bound)
    }
}

/// Registers `init` as the learned variable `name` of `varmap` and returns it.
///
/// Errors if the name is already taken, so two layers cannot silently share a tensor.
pub fn register(varmap: &VarMap, name: &str, init: Tensor) -> Result<Var> {
    let mut data = varmap
        .data()
        .lock()
        .map_err(|_| GenomeError::Config("the variable map's lock is poisoned".into()))?;
    if data.contains_key(name) {
        return Err(GenomeError::Config(format!("variable {name} is registered twice")));
    }
    let var = Var::from_tensor(&init.to_dtype(DType::F32)?)?;
    data.insert(name.to_string(), var.clone());
    Ok(var)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_tensors() -> Result<()> {
        let a = SeededInit::new(3, &Device::Cpu).uniform(&[4, 5], -1.0, 1.0)?;
        let b = SeededInit::new(3, &Device::Cpu).uniform(&[4, 5], -1.0, 1.0)?;
        let c = SeededInit::new(4, &Device::Cpu).uniform(&[4, 5], -1.0, 1.0)?;
        let (a, b, c) = (
            a.flatten_all()?.to_vec1::<f32>()?,
            b.flatten_all()?.to_vec1::<f32>()?,
            c.flatten_all()?.to_vec1::<f32>()?,
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|x| (-1.0..1.0).contains(x)));
        Ok(())
    }

    #[test]
    fn linear_default_bound_and_normal_moments() -> Result<()> {
        let mut init = SeededInit::new(0, &Device::Cpu);
        let w = init.linear_default(&[100, 400], 400)?.flatten_all()?.to_vec1::<f32>()?;
        assert!(w.iter().all(|x| x.abs() <= 0.05));
        let n = init.normal(&[20_000], 1.0, 2.0)?.to_vec1::<f32>()?;
        let mean = n.iter().sum::<f32>() / n.len() as f32;
        let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n.len() as f32;
        assert!((mean - 1.0).abs() < 0.05 && (var.sqrt() - 2.0).abs() < 0.05, "{mean} {var}");
        Ok(())
    }

    #[test]
    fn register_refuses_duplicates() -> Result<()> {
        let vm = VarMap::new();
        register(&vm, "w", Tensor::zeros(2, DType::F32, &Device::Cpu)?)?;
        assert!(register(&vm, "w", Tensor::zeros(2, DType::F32, &Device::Cpu)?).is_err());
        assert_eq!(vm.all_vars().len(), 1);
        Ok(())
    }
}
