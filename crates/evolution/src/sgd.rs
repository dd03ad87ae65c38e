//! Stochastic gradient descent with momentum, as PyTorch's `torch.optim.SGD` (no dampening, no
//! Nesterov, no weight decay): the genomic-bottleneck paper trains its CIFAR-10 p-network with it
//! ("SGD ... learning rate of 0.05 and momentum of 0.9").
//!
//! ```text
//! b = g (first step),  b = μ b + g (after);   θ = θ - lr · b
//! ```
//!
//! ```
//! use candle_core::{Device, Tensor, Var};
//! use innate_evolution::sgd::Sgd;
//! # fn main() -> candle_core::Result<()> {
//! let x = Var::new(&[1.0f32, -2.0], &Device::Cpu)?;
//! let mut opt = Sgd::new(vec![x.clone()], 0.1, 0.9);
//! for _ in 0..2 {
//!     opt.backward_step(&x.as_tensor().sqr()?.sum_all()?)?; // g = 2x
//! }
//! // step 1: b = 2x0 = (2, -4), x1 = (0.8, -1.6); step 2: b = 0.9 b + 2 x1 = (3.4, -6.8), x2 = x1 - 0.1 b
//! let v = x.as_tensor().to_vec1::<f32>()?;
//! assert!((v[0] - 0.46).abs() < 1e-6 && (v[1] + 0.92).abs() < 1e-6);
//! # Ok(()) }
//! ```

use candle_core::{DType, Tensor, Var};

/// SGD with momentum over a set of variables.
pub struct Sgd {
    params: Vec<(Var, Option<Tensor>)>,
    lr: f64,
    momentum: f64,
}

impl Sgd {
    /// An optimiser for the `f32` variables among `vars`.
    pub fn new(vars: Vec<Var>, lr: f64, momentum: f64) -> Self {
        let params = vars.into_iter().filter(|v| v.dtype() == DType::F32).map(|v| (v, None)).collect();
        Self { params, lr, momentum }
    }

    /// The momentum buffers, for a checkpoint: one per variable (in the order given to
    /// [`Sgd::new`]), zeros before the first step (the same update: `μ·0 + g = g`), copies.
    pub fn state(&self) -> candle_core::Result<Vec<Tensor>> {
        self.params
            .iter()
            .map(|(v, b)| match b {
                Some(b) => b.copy(),
                None => v.as_tensor().zeros_like(),
            })
            .collect()
    }

    /// Restores buffers [`Sgd::state`] returned for the same variables, so that training goes on
    /// exactly as if it had not stopped.
    pub fn restore(&mut self, buffers: &[Tensor]) -> candle_core::Result<()> {
        if buffers.len() != self.params.len() {
            candle_core::bail!(
                "the checkpoint has momentum buffers for {} tensors, the optimiser has {}",
                buffers.len(),
                self.params.len()
            );
        }
        for ((v, b), saved) in self.params.iter_mut().zip(buffers) {
            if saved.dims() != v.dims() {
                candle_core::bail!(
                    "the checkpoint's momentum buffer is {:?} for a tensor of {:?}",
                    saved.dims(),
                    v.dims()
                );
            }
            *b = Some(saved.to_dtype(DType::F32)?.to_device(v.device())?);
        }
        Ok(())
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Changes the learning rate (a warm-up does, before each step).
    pub fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    /// Backpropagates `loss` and applies one update.
    pub fn backward_step(&mut self, loss: &Tensor) -> candle_core::Result<()> {
        let grads = loss.backward()?;
        self.step(&grads)
    }

    /// Applies one update from `grads` (variables without a gradient are left alone).
    pub fn step(&mut self, grads: &impl crate::grads::Gradients) -> candle_core::Result<()> {
        for (var, buf) in &mut self.params {
            let Some(g) = grads.grad(var.as_tensor()) else { continue };
            let next = match buf.take() {
                Some(b) if self.momentum != 0.0 => ((b * self.momentum)? + g)?,
                _ => g.copy()?,
            };
            var.set(&(var.as_tensor() - (&next * self.lr)?)?)?;
            *buf = Some(next);
        }
        Ok(())
    }
}
