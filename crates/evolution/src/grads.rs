//! Gradients by tensor, for the optimisers: Candle's [`GradStore`] from a backward pass, or
//! [`OwnGrads`], gradients a strategy worked out itself (an MLP's, by hand:
//! [`innate_encodings::Mlp::cross_entropy_grads`]).
//!
//! ```
//! use candle_core::{Device, Tensor, Var};
//! use innate_evolution::grads::{Gradients, OwnGrads};
//! # fn main() -> candle_core::Result<()> {
//! let w = Var::new(&[1f32, 2.], &Device::Cpu)?;
//! let grads = OwnGrads::new([(w.as_tensor(), Tensor::new(&[0.5f32, 0.5], &Device::Cpu)?)]);
//! assert!(grads.grad(w.as_tensor()).is_some());
//! # Ok(()) }
//! ```

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, TensorId};

/// Where an optimiser finds each variable's gradient.
pub trait Gradients {
    /// The gradient of `t`, if it has one.
    fn grad(&self, t: &Tensor) -> Option<&Tensor>;
}

impl Gradients for GradStore {
    fn grad(&self, t: &Tensor) -> Option<&Tensor> {
        self.get(t)
    }
}

/// Gradients computed outside Candle's autograd, by tensor.
#[derive(Debug, Default)]
pub struct OwnGrads(HashMap<TensorId, Tensor>);

impl OwnGrads {
    /// The gradients `(tensor, gradient)`.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a Tensor, Tensor)>) -> Self {
        Self(pairs.into_iter().map(|(t, g)| (t.id(), g)).collect())
    }
}

impl Gradients for OwnGrads {
    fn grad(&self, t: &Tensor) -> Option<&Tensor> {
        self.0.get(&t.id())
    }
}
