//! Phenotypes: the ordinary networks a genome develops into.
//!
//! [`MlpSpec`] describes a multilayer perceptron by its layer sizes (a single-layer perceptron is
//! `[784, 10]`, the papers' MLPs `[784, 800, 10]` and `[784, 784, 10]`); [`Mlp`] holds the
//! developed weights and runs it: a linear layer per pair of sizes, ReLU between them, none after
//! the last. Inputs of any shape `(B, ...)` are flattened to `(B, sizes[0])`.

use candle_core::{Module, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{GenomeError, Result};

/// Layer sizes of a multilayer perceptron and whether its layers have biases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlpSpec {
    /// Neurons per layer, input first (at least two entries).
    pub sizes: Vec<usize>,
    /// Whether each linear layer adds a bias.
    pub bias: bool,
}

impl MlpSpec {
    /// A spec after checking it has at least two non-empty layers.
    pub fn new(sizes: Vec<usize>, bias: bool) -> Result<Self> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(GenomeError::Config(format!(
                "an MLP needs at least an input and an output layer, all non-empty; got sizes {sizes:?}"
            )));
        }
        Ok(Self { sizes, bias })
    }

    /// A single-layer perceptron (a linear classifier) with biases.
    pub fn slp(inputs: usize, outputs: usize) -> Self {
        Self { sizes: vec![inputs, outputs], bias: true }
    }

    /// A one-hidden-layer perceptron with biases.
    pub fn mlp(inputs: usize, hidden: usize, outputs: usize) -> Self {
        Self { sizes: vec![inputs, hidden, outputs], bias: true }
    }

    /// Number of linear layers.
    pub fn layers(&self) -> usize {
        self.sizes.len() - 1
    }

    /// `(inputs, outputs)` of linear layer `i`.
    pub fn layer(&self, i: usize) -> (usize, usize) {
        (self.sizes[i], self.sizes[i + 1])
    }

    /// Number of weights (synapses), biases excluded.
    pub fn weights(&self) -> usize {
        self.sizes.windows(2).map(|w| w[0] * w[1]).sum()
    }

    /// Number of biases.
    pub fn biases(&self) -> usize {
        if self.bias { self.sizes[1..].iter().sum() } else { 0 }
    }

    /// Weights plus biases.
    pub fn params(&self) -> usize {
        self.weights() + self.biases()
    }

    /// A short name such as `784-800-10`.
    pub fn name(&self) -> String {
        self.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("-")
    }
}

/// One developed linear layer: `y = x Wᵀ + b`.
#[derive(Debug, Clone)]
pub struct Dense {
    /// Weight matrix, `(outputs, inputs)`.
    pub weight: Tensor,
    /// Bias, `(outputs,)`, if the layer has one.
    pub bias: Option<Tensor>,
}

impl Module for Dense {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = x.matmul(&self.weight.t()?)?;
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

/// A phenotype whose tensors can be listed and replaced: what a strategy that trains the
/// developed weights themselves (and then fits the genome to them) needs.
pub trait Parameters: Sized {
    /// The tensors, named and in a fixed order.
    fn parameters(&self) -> Vec<(String, Tensor)>;

    /// The same network with `tensors` (in the order of [`Parameters::parameters`]) instead.
    fn with_parameters(&self, tensors: Vec<Tensor>) -> candle_core::Result<Self>;

    /// The network as an [`Mlp`], when it is one: strategies that have a faster path for MLPs
    /// (meta-learning's inner loop batched over tasks) use it; `None` by default.
    fn mlp(&self) -> Option<&Mlp> {
        None
    }

    /// The output for `x` while the network learns: as `forward`, except that layers which act
    /// only in training (dropout) draw from `rng`. The default is `forward`.
    fn forward_train(&self, x: &Tensor, rng: &mut dyn rand::RngCore) -> candle_core::Result<Tensor>
    where
        Self: Module,
    {
        let _ = rng;
        self.forward(x)
    }
}

/// A developed multilayer perceptron: linear layers with ReLU between them.
#[derive(Debug, Clone)]
pub struct Mlp {
    /// The layers, input side first.
    pub layers: Vec<Dense>,
}

impl Module for Mlp {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.flatten_from(1)?;
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h)?;
            if i < last {
                h = h.relu()?;
            }
        }
        Ok(h)
    }
}

impl Mlp {
    /// The mean cross-entropy of the network's outputs for `x` against `labels` (`u32` class
    /// numbers), and its gradient with respect to each of [`Parameters::parameters`]' tensors,
    /// in that order, worked out by hand rather than through Candle's autograd. The loss is
    /// `candle_nn::loss::cross_entropy`'s; with `z_l = h_{l-1} W_lᵀ + b_l`, `h_l = relu(z_l)`:
    ///
    /// ```text
    /// g_L = (softmax(z_L) - onehot(labels)) / B
    /// dW_l = g_lᵀ h_{l-1},   db_l = Σ_batch g_l,   g_{l-1} = (g_l W_l) ⊙ [h_{l-1} > 0]
    /// ```
    ///
    /// It computes the same products as autograd less two kinds of waste that autograd cannot
    /// avoid: the gradient of the input images (autograd's matmul backward forms both of its
    /// arguments' gradients; for a 784-784-10 network that is a third of the products), and a
    /// zero tensor allocated and added to for every gradient. Nothing it returns is tracked.
    ///
    /// ```
    /// use candle_core::{Device, Tensor};
    /// use innate_encodings::{Dense, Mlp};
    /// # fn main() -> candle_core::Result<()> {
    /// let d = Device::Cpu;
    /// let layer = |o: usize, i: usize| -> candle_core::Result<Dense> {
    ///     Ok(Dense { weight: Tensor::randn(0f32, 0.5, (o, i), &d)?, bias: Some(Tensor::zeros(o, candle_core::DType::F32, &d)?) })
    /// };
    /// let net = Mlp { layers: vec![layer(5, 4)?, layer(3, 5)?] };
    /// let (x, y) = (Tensor::randn(0f32, 1.0, (8, 4), &d)?, Tensor::new(&[0u32, 1, 2, 0, 1, 2, 0, 1], &d)?);
    /// let (loss, grads) = net.cross_entropy_grads(&x, &y)?;
    /// assert_eq!(loss.dims(), &[] as &[usize]);
    /// assert_eq!(grads.iter().map(|g| g.dims().to_vec()).collect::<Vec<_>>(), [vec![5, 4], vec![5], vec![3, 5], vec![3]]);
    /// # Ok(()) }
    /// ```
    pub fn cross_entropy_grads(
        &self,
        x: &Tensor,
        labels: &Tensor,
    ) -> candle_core::Result<(Tensor, Vec<Tensor>)> {
        self.grads_over(x, labels, 0)
    }

    /// [`Mlp::cross_entropy_grads`] for a network of `K` members ([`crate::population`]): weights
    /// `(K, out, in)`, biases `(K, out)`, each member's own batch `x` `(K, B, ...)` and `labels`
    /// `(K, B)`. Returns each member's mean cross-entropy, `(K,)`, and the gradients of their sum,
    /// stacked as the tensors are: member `k`'s slice is exactly its own network's gradient.
    pub fn members_cross_entropy_grads(
        &self,
        x: &Tensor,
        labels: &Tensor,
    ) -> candle_core::Result<(Tensor, Vec<Tensor>)> {
        self.grads_over(x, labels, 1)
    }

    /// The outputs of a network of `K` members (weights `(K, out, in)`, biases `(K, out)`) for
    /// their own inputs `x`, `(K, B, ...)` flattened to `(K, B, in)`: `(K, B, classes)`.
    pub fn forward_members(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.flatten_from(2)?;
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            h = h.matmul(&layer.weight.t()?)?;
            if let Some(b) = &layer.bias {
                h = h.broadcast_add(&b.unsqueeze(1)?)?;
            }
            if i < last {
                h = h.relu()?;
            }
        }
        Ok(h)
    }

    /// The loss whose gradient in a genome is this developed network's gradient `grads` (in the
    /// order of [`Parameters::parameters`], as [`Mlp::cross_entropy_grads`] gives it) carried back
    /// through development: `Σ t ⊙ g` over the tensors that depend on learned variables (`None`
    /// when none does). Its value means nothing; its backward pass is development's alone.
    pub fn surrogate_loss(&self, grads: &[Tensor]) -> candle_core::Result<Option<Tensor>> {
        let mut total: Option<Tensor> = None;
        for ((_, t), g) in self.parameters().iter().zip(grads) {
            if !t.track_op() {
                continue;
            }
            let term =
                if t.device().is_cpu() && t.dtype() == candle_core::DType::F32 && g.dtype() == t.dtype() {
                    t.contiguous()?.apply_op1(crate::cpu_kernels::DotFixed(g.detach()))?
                } else {
                    (t * g)?.sum_all()?
                };
            total = Some(match total {
                Some(s) => (s + term)?,
                None => term,
            });
        }
        Ok(total)
    }

    /// The hand-worked gradient with `lead` leading member axes (0: one network, 1: members).
    fn grads_over(
        &self,
        x: &Tensor,
        labels: &Tensor,
        lead: usize,
    ) -> candle_core::Result<(Tensor, Vec<Tensor>)> {
        use candle_core::D;
        let n = self.layers.len();
        let mut inputs = Vec::with_capacity(n);
        let mut h = x.flatten_from(1 + lead)?.detach();
        for (i, l) in self.layers.iter().enumerate() {
            let mut z = h.matmul(&l.weight.detach().t()?)?;
            if let Some(b) = &l.bias {
                let b = if lead == 0 { b.detach() } else { b.detach().unsqueeze(1)? };
                z = z.broadcast_add(&b)?;
            }
            inputs.push(h);
            h = if i + 1 < n { crate::cpu_kernels::relu(&z)? } else { z };
        }
        let (batch, classes) = (h.dim(D::Minus2)?, h.dim(D::Minus1)?);
        let log_p = candle_nn::ops::log_softmax(&h, D::Minus1)?;
        let labels = labels.to_dtype(candle_core::DType::U32)?.unsqueeze(D::Minus1)?;
        let picked = log_p.gather(&labels, D::Minus1)?;
        let loss = if lead == 0 {
            picked.mean_all()?.neg()?
        } else {
            picked.squeeze(D::Minus1)?.sum(D::Minus1)?.affine(-1.0 / batch as f64, 0.0)?
        };
        let onehot =
            labels.broadcast_eq(&Tensor::arange(0u32, classes as u32, h.device())?)?.to_dtype(h.dtype())?;
        let mut g = ((log_p.exp()? - onehot)? / batch as f64)?;
        let mut grads = Vec::with_capacity(2 * n);
        for (l, layer) in self.layers.iter().enumerate().rev() {
            if layer.bias.is_some() {
                grads.push(g.sum(lead)?);
            }
            grads.push(g.t()?.matmul(&inputs[l])?);
            if l > 0 {
                let mask = inputs[l].gt(0f64)?.to_dtype(g.dtype())?;
                g = (g.matmul(&layer.weight.detach())? * mask)?;
            }
        }
        grads.reverse();
        Ok((loss, grads))
    }
}

impl Parameters for Mlp {
    fn mlp(&self) -> Option<&Mlp> {
        Some(self)
    }

    /// `layer{i}.weight` and, where present, `layer{i}.bias`, input side first.
    fn parameters(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            out.push((format!("layer{i}.weight"), l.weight.clone()));
            if let Some(b) = &l.bias {
                out.push((format!("layer{i}.bias"), b.clone()));
            }
        }
        out
    }

    fn with_parameters(&self, tensors: Vec<Tensor>) -> candle_core::Result<Self> {
        let mut it = tensors.into_iter();
        let mut layers = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            let weight =
                it.next().ok_or_else(|| candle_core::Error::Msg("too few tensors for the MLP".into()))?;
            let bias = match &l.bias {
                Some(_) => Some(
                    it.next().ok_or_else(|| candle_core::Error::Msg("too few tensors for the MLP".into()))?,
                ),
                None => None,
            };
            layers.push(Dense { weight, bias });
        }
        if it.next().is_some() {
            return Err(candle_core::Error::Msg("too many tensors for the MLP".into()));
        }
        Ok(Mlp { layers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn the_surrogate_loss_carries_the_gradient_back_into_the_genome() -> candle_core::Result<()> {
        let d = Device::Cpu;
        // Weights developed from a variable (2 v), a fixed bias: the surrogate's gradient in v is
        // autograd's through the forward pass.
        let v = candle_core::Var::from_tensor(&Tensor::randn(0f32, 0.5, (3, 4), &d)?)?;
        let net = Mlp {
            layers: vec![Dense {
                weight: (v.as_tensor() * 2.0)?,
                bias: Some(Tensor::ones(3, candle_core::DType::F32, &d)?),
            }],
        };
        let (x, y) = (Tensor::randn(0f32, 1.0, (5, 4), &d)?, Tensor::new(&[0u32, 1, 2, 0, 1], &d)?);
        let auto = candle_nn::loss::cross_entropy(&net.forward(&x)?, &y)?.backward()?;
        let (_, grads) = net.cross_entropy_grads(&x, &y)?;
        let hand = net.surrogate_loss(&grads)?.expect("the weights depend on v").backward()?;
        let diff = (auto.get(&v).unwrap() - hand.get(&v).unwrap())?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-6, "{diff}");
        // Its value is Σ t ⊙ g; scaled, its gradient scales (the CPU's one-pass operation).
        let s = net.surrogate_loss(&grads)?.expect("the weights depend on v");
        let want = (&net.layers[0].weight * &grads[0])?.sum_all()?.to_scalar::<f32>()?;
        assert!((s.to_scalar::<f32>()? - want).abs() < 1e-5);
        let thrice = (s * 3.0)?.backward()?;
        let diff = ((hand.get(&v).unwrap() * 3.0)? - thrice.get(&v).unwrap())?
            .abs()?
            .max_all()?
            .to_scalar::<f32>()?;
        assert!(diff < 1e-6, "{diff}");
        let fixed = Mlp {
            layers: vec![Dense { weight: Tensor::ones((3, 4), candle_core::DType::F32, &d)?, bias: None }],
        };
        assert!(fixed.surrogate_loss(&fixed.cross_entropy_grads(&x, &y)?.1)?.is_none());
        Ok(())
    }

    #[test]
    fn counts_match_the_papers() {
        // The genomic-bottleneck p-network: 784-800-10 with biases.
        assert_eq!(MlpSpec::mlp(784, 800, 10).params(), 636_010);
        // The developmental-priors MLP: 622,496 weights.
        assert_eq!(MlpSpec::mlp(784, 784, 10).weights(), 622_496);
        assert_eq!(MlpSpec::slp(784, 10).weights(), 7_840);
        assert_eq!(MlpSpec::slp(784, 10).params(), 7_850);
        assert_eq!(MlpSpec::mlp(784, 800, 10).name(), "784-800-10");
        assert!(MlpSpec::new(vec![784], true).is_err());
        assert!(MlpSpec::new(vec![784, 0, 10], true).is_err());
    }

    #[test]
    fn hand_worked_gradients_equal_autograds() -> candle_core::Result<()> {
        let d = Device::Cpu;
        for bias in [true, false] {
            let var = |dims: &[usize]| candle_core::Var::randn(0f32, 0.4, dims, &d);
            let vars = [var(&[7, 6])?, var(&[7])?, var(&[5, 7])?, var(&[5])?, var(&[4, 5])?, var(&[4])?];
            let layers = (0..3)
                .map(|l| Dense {
                    weight: vars[2 * l].as_tensor().clone(),
                    bias: bias.then(|| vars[2 * l + 1].as_tensor().clone()),
                })
                .collect();
            let net = Mlp { layers };
            let x = Tensor::randn(0f32, 1.0, (9, 2, 3), &d)?;
            let y = Tensor::new(&[0u32, 1, 2, 3, 0, 1, 2, 3, 3], &d)?;
            let loss = candle_nn::loss::cross_entropy(&net.forward(&x)?, &y)?;
            let auto = loss.backward()?;
            let (ours, grads) = net.cross_entropy_grads(&x, &y)?;
            assert!((ours.to_scalar::<f32>()? - loss.to_scalar::<f32>()?).abs() < 1e-6);
            let params = net.parameters();
            assert_eq!(grads.len(), params.len());
            for ((name, t), g) in params.iter().zip(&grads) {
                let want = auto.get(t).expect("autograd's gradient").flatten_all()?.to_vec1::<f32>()?;
                let got = g.flatten_all()?.to_vec1::<f32>()?;
                assert_eq!(got.len(), want.len(), "{name}");
                let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
                assert!(worst < 1e-6, "{name} (bias {bias}): {worst}");
                assert!(want.iter().any(|v| v.abs() > 1e-4), "{name}: a gradient that is not all zero");
                assert!(!g.track_op(), "{name}: the hand-worked gradient is not part of a graph");
            }
        }
        Ok(())
    }

    #[test]
    fn parameters_round_trip() -> candle_core::Result<()> {
        let d = Device::Cpu;
        let net = Mlp {
            layers: vec![
                Dense { weight: Tensor::zeros((3, 2), candle_core::DType::F32, &d)?, bias: None },
                Dense {
                    weight: Tensor::zeros((1, 3), candle_core::DType::F32, &d)?,
                    bias: Some(Tensor::zeros(1, candle_core::DType::F32, &d)?),
                },
            ],
        };
        let names: Vec<String> = net.parameters().into_iter().map(|p| p.0).collect();
        assert_eq!(names, ["layer0.weight", "layer1.weight", "layer1.bias"]);
        let ones: Vec<Tensor> =
            net.parameters().iter().map(|(_, t)| t.ones_like()).collect::<candle_core::Result<_>>()?;
        let again = net.with_parameters(ones)?;
        assert_eq!(again.layers[1].bias.as_ref().unwrap().to_vec1::<f32>()?, vec![1.0]);
        assert!(net.with_parameters(vec![]).is_err());
        Ok(())
    }

    #[test]
    fn forward_is_linear_relu_linear() -> candle_core::Result<()> {
        let d = Device::Cpu;
        let net = Mlp {
            layers: vec![
                Dense {
                    weight: Tensor::new(&[[1f32, 0.], [0., -1.]], &d)?,
                    bias: Some(Tensor::new(&[0f32, 0.5], &d)?),
                },
                Dense { weight: Tensor::new(&[[1f32, 1.]], &d)?, bias: None },
            ],
        };
        // x = (2, 3): hidden = relu(2, -3 + 0.5) = (2, 0); out = 2.
        let x = Tensor::new(&[[[2f32, 3.]]], &d)?; // (1, 1, 2): flattened to (1, 2)
        let y = net.forward(&x)?;
        assert_eq!(y.to_vec2::<f32>()?, vec![vec![2.0]]);
        Ok(())
    }
}
