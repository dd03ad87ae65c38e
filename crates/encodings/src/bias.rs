//! Biases of developed layers, and the Kaiming scaling of developed weights.
//!
//! The encodings of the developmental-priors paper develop weights only. Their biases are, as in
//! the reference code's scaling runs, fixed random (`randn x 0.5`, not learned and not counted);
//! they can also be learned or left out. Developed weight matrices are multiplied by a fixed
//! factor, chosen when the genome is built so that the initial matrix has the spread of a
//! Kaiming-normal one (`std = sqrt(2 / fan_in)`), as the reference implementation does.

use candle_core::Tensor;
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::init::{SeededInit, register};

/// What the layers' biases are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BiasMode {
    /// No biases.
    None,
    /// Learned biases (genome parameters), initialised as PyTorch's `nn.Linear` does.
    Learned,
    /// Fixed random biases `randn x 0.5`, as in the reference code (counted as fixed).
    FixedRandom,
}

/// One bias vector per layer, as a [`BiasMode`] says.
#[derive(Debug, Clone)]
pub struct Biases {
    /// Per layer, the bias (or none).
    pub layers: Vec<Option<Tensor>>,
    /// Learned bias parameters.
    pub learned: usize,
    /// Fixed bias parameters.
    pub fixed: usize,
}

impl Biases {
    /// Biases for layers of `(fan_in, outputs)`; learned ones are registered as `layer{i}.bias`.
    pub fn new(
        mode: BiasMode,
        layers: &[(usize, usize)],
        varmap: &VarMap,
        init: &mut SeededInit,
    ) -> Result<Self> {
        let mut out = Biases { layers: Vec::new(), learned: 0, fixed: 0 };
        for (i, &(fan_in, n)) in layers.iter().enumerate() {
            let b = match mode {
                BiasMode::None => None,
                BiasMode::Learned => {
                    out.learned += n;
                    Some(
                        register(varmap, &format!("layer{i}.bias"), init.linear_default(&[n], fan_in)?)?
                            .as_tensor()
                            .clone(),
                    )
                }
                BiasMode::FixedRandom => {
                    out.fixed += n;
                    Some(init.normal(&[n], 0.0, 0.5)?)
                }
            };
            out.layers.push(b);
        }
        Ok(out)
    }

    /// The fixed bias tensors, named `fixed.layer{i}.bias`, for checkpoints.
    pub fn fixed_tensors(&self, mode: BiasMode) -> Vec<(String, Tensor)> {
        if mode != BiasMode::FixedRandom {
            return Vec::new();
        }
        self.layers
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.as_ref().map(|b| (format!("fixed.layer{i}.bias"), b.clone())))
            .collect()
    }
}

/// The factor that gives `w` (`(outputs, inputs)`) the spread of a Kaiming-normal matrix,
/// `sqrt(2 / inputs) / std(w)`; 1 for a matrix without spread.
pub fn kaiming_scale(w: &Tensor) -> Result<f64> {
    let fan_in = w.dims().last().copied().unwrap_or(1).max(1) as f64;
    let v: Vec<f32> = w.flatten_all()?.to_dtype(candle_core::DType::F32)?.to_vec1()?;
    let n = v.len().max(1) as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    let std = var.sqrt();
    Ok(if std > 0.0 && std.is_finite() { (2.0 / fan_in).sqrt() / std } else { 1.0 })
}

/// How a developed weight matrix is scaled (one factor per layer, fixed when the genome is first
/// built).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightScale {
    /// The element spread of a Kaiming-normal matrix, `sqrt(2 / inputs)` ([`kaiming_scale`]; the
    /// reference code's choice).
    #[default]
    Spread,
    /// The largest singular value a Kaiming-normal matrix of the same shape has,
    /// `sqrt(2 / inputs) (sqrt(inputs) + sqrt(outputs))` ([`kaiming_norm_scale`]). A low-rank
    /// product such as GEM's `Xi O Xo^T` (gene fields, being positive, most of all) puts its
    /// spread into a few directions, so at the same element spread it amplifies a signal many
    /// times more than a full-rank matrix: through several layers the outputs blow up.
    Norm,
}

impl WeightScale {
    /// The factor for the raw developed matrix `w`.
    pub fn factor(self, w: &Tensor) -> Result<f64> {
        match self {
            WeightScale::Spread => kaiming_scale(w),
            WeightScale::Norm => kaiming_norm_scale(w),
        }
    }

    /// The rule's name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            WeightScale::Spread => "spread",
            WeightScale::Norm => "norm",
        }
    }

    /// Whether this is the default rule (for `skip_serializing_if`).
    pub fn is_default(&self) -> bool {
        *self == WeightScale::Spread
    }
}

/// The factor that gives `w` (`(outputs, inputs)`) the largest singular value of a Kaiming-normal
/// matrix of its shape, `sqrt(2 / inputs) (sqrt(inputs) + sqrt(outputs))`, found by 50 steps of
/// power iteration from the all-ones vector (deterministic); 1 for a zero matrix.
pub fn kaiming_norm_scale(w: &Tensor) -> Result<f64> {
    let w = w.to_dtype(candle_core::DType::F32)?.to_device(&candle_core::Device::Cpu)?;
    let (outputs, inputs) = w.dims2()?;
    let target = (2.0 / inputs.max(1) as f64).sqrt() * ((inputs as f64).sqrt() + (outputs as f64).sqrt());
    let mut v = Tensor::ones((inputs, 1), candle_core::DType::F32, &candle_core::Device::Cpu)?;
    let mut sigma = 0.0f64;
    for _ in 0..50 {
        let u = w.matmul(&v)?;
        let back = w.t()?.matmul(&u)?;
        let norm = back.sqr()?.sum_all()?.sqrt()?.to_scalar::<f32>()? as f64;
        if !(norm > 0.0 && norm.is_finite()) {
            return Ok(1.0);
        }
        v = (back / norm)?;
        sigma = w.matmul(&v)?.sqr()?.sum_all()?.sqrt()?.to_scalar::<f32>()? as f64;
    }
    Ok(if sigma > 0.0 && sigma.is_finite() { target / sigma } else { 1.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn the_norm_rule_gives_a_low_rank_matrix_the_largest_singular_value_of_a_kaiming_one() -> Result<()> {
        // A rank-1 all-ones 4x9 matrix has singular value 6; a Kaiming one sqrt(2/9)(3 + 2).
        let w = Tensor::ones((4, 9), candle_core::DType::F32, &Device::Cpu)?;
        let f = kaiming_norm_scale(&w)?;
        assert!((f - (2.0f64 / 9.0).sqrt() * 5.0 / 6.0).abs() < 1e-5, "{f}");
        assert_eq!(kaiming_norm_scale(&Tensor::zeros((4, 9), candle_core::DType::F32, &Device::Cpu)?)?, 1.0);
        assert_eq!(WeightScale::Norm.factor(&w)?, f);
        Ok(())
    }

    #[test]
    fn modes_count_as_they_should() -> Result<()> {
        let vm = VarMap::new();
        let mut init = SeededInit::new(0, &Device::Cpu);
        let shape = [(784, 800), (800, 10)];
        let l = Biases::new(BiasMode::Learned, &shape, &vm, &mut init)?;
        assert_eq!((l.learned, l.fixed), (810, 0));
        assert_eq!(vm.all_vars().len(), 2);
        let f = Biases::new(BiasMode::FixedRandom, &shape, &VarMap::new(), &mut init)?;
        assert_eq!((f.learned, f.fixed), (0, 810));
        assert_eq!(f.fixed_tensors(BiasMode::FixedRandom).len(), 2);
        let n = Biases::new(BiasMode::None, &shape, &VarMap::new(), &mut init)?;
        assert!(n.layers.iter().all(Option::is_none));
        Ok(())
    }

    #[test]
    fn kaiming_scale_gives_the_kaiming_spread() -> Result<()> {
        let mut init = SeededInit::new(0, &Device::Cpu);
        let w = init.normal(&[300, 200], 0.0, 5.0)?;
        let s = kaiming_scale(&w)?;
        assert!((s - (2.0f64 / 200.0).sqrt() / 5.0).abs() < 0.01 * s, "{s}");
        let scaled = (w * s)?;
        assert!((kaiming_scale(&scaled)? - 1.0).abs() < 1e-4);
        assert_eq!(kaiming_scale(&Tensor::zeros((3, 3), candle_core::DType::F32, &Device::Cpu)?)?, 1.0);
        Ok(())
    }
}
