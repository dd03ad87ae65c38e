//! Any phenotype: [`Net`] is an MLP or a convolutional network, so that code which runs, counts,
//! checks or checkpoints developed networks need not know which encoding made them.
//!
//! [`AnyNet`] wraps a genome of either phenotype as a genome of [`Net`]s, passing every call
//! through (including the low-rank encodings' faster [`Genome::develop_forward`]).
//!
//! ```
//! use candle_core::{DType, Device, Tensor};
//! use innate_encodings::{Dense, Mlp, Net};
//!
//! # fn main() -> candle_core::Result<()> {
//! let d = Device::Cpu;
//! let mlp = Mlp { layers: vec![Dense { weight: Tensor::zeros((10, 784), DType::F32, &d)?, bias: None }] };
//! let net = Net::from(mlp);
//! assert_eq!((net.input_len(), net.classes()), (784, 10));
//! assert!(net.as_mlp().is_some());
//! # Ok(()) }
//! ```

use candle_core::{Module, Tensor};
use candle_nn::VarMap;

use crate::conv::ConvNet;
use crate::genome::Genome;
use crate::params::ParamCount;
use crate::phenotype::{Mlp, Parameters};

/// A developed network of either kind.
#[derive(Debug, Clone)]
pub enum Net {
    /// A multilayer perceptron.
    Mlp(Mlp),
    /// A convolutional network.
    Conv(ConvNet),
}

impl Net {
    /// Input values per example (an image's `C H W`).
    pub fn input_len(&self) -> usize {
        match self {
            Net::Mlp(m) => m.layers.first().map_or(0, |l| l.weight.dims()[1]),
            Net::Conv(c) => c.input.iter().product(),
        }
    }

    /// Classes (the last layer's outputs).
    pub fn classes(&self) -> usize {
        match self {
            Net::Mlp(m) => m.layers.last().map_or(0, |l| l.weight.dims()[0]),
            Net::Conv(c) => c.classes(),
        }
    }

    /// The input's `(channels, height, width)`, for a convolutional network.
    pub fn input_shape(&self) -> Option<[usize; 3]> {
        match self {
            Net::Mlp(_) => None,
            Net::Conv(c) => Some(c.input),
        }
    }

    /// The MLP, if this is one.
    pub fn as_mlp(&self) -> Option<&Mlp> {
        match self {
            Net::Mlp(m) => Some(m),
            Net::Conv(_) => None,
        }
    }

    /// The convolutional network, if this is one.
    pub fn as_conv(&self) -> Option<&ConvNet> {
        match self {
            Net::Mlp(_) => None,
            Net::Conv(c) => Some(c),
        }
    }
}

impl From<Mlp> for Net {
    fn from(m: Mlp) -> Self {
        Net::Mlp(m)
    }
}

impl From<ConvNet> for Net {
    fn from(c: ConvNet) -> Self {
        Net::Conv(c)
    }
}

impl Module for Net {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Net::Mlp(m) => m.forward(x),
            Net::Conv(c) => c.forward(x),
        }
    }
}

impl Parameters for Net {
    fn mlp(&self) -> Option<&Mlp> {
        self.as_mlp()
    }

    fn parameters(&self) -> Vec<(String, Tensor)> {
        match self {
            Net::Mlp(m) => m.parameters(),
            Net::Conv(c) => c.parameters(),
        }
    }

    fn with_parameters(&self, tensors: Vec<Tensor>) -> candle_core::Result<Self> {
        Ok(match self {
            Net::Mlp(m) => Net::Mlp(m.with_parameters(tensors)?),
            Net::Conv(c) => Net::Conv(c.with_parameters(tensors)?),
        })
    }

    fn forward_train(&self, x: &Tensor, rng: &mut dyn rand::RngCore) -> candle_core::Result<Tensor> {
        match self {
            Net::Mlp(m) => m.forward_train(x, rng),
            Net::Conv(c) => c.forward_train(x, rng),
        }
    }
}

/// A genome of any phenotype as a genome of [`Net`]s (see the module docs).
#[derive(Debug)]
pub struct AnyNet<G>(pub G);

impl<G> Genome for AnyNet<G>
where
    G: Genome,
    G::Phenotype: Into<Net>,
{
    type Phenotype = Net;

    fn encoding(&self) -> &'static str {
        self.0.encoding()
    }

    fn config(&self) -> crate::Result<serde_json::Value> {
        self.0.config()
    }

    fn varmap(&self) -> &VarMap {
        self.0.varmap()
    }

    fn fixed(&self) -> Vec<(String, Tensor)> {
        self.0.fixed()
    }

    fn params(&self) -> ParamCount {
        self.0.params()
    }

    fn develop(&self) -> candle_core::Result<Net> {
        Ok(self.0.develop()?.into())
    }

    fn forward_through_genome(&self) -> bool {
        self.0.forward_through_genome()
    }

    fn develop_forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.0.develop_forward(x)
    }

    fn develop_forward_train(&self, x: &Tensor, rng: &mut dyn rand::RngCore) -> candle_core::Result<Tensor> {
        self.0.develop_forward_train(x, rng)
    }

    fn develop_entries(&self, param: usize, idx: &Tensor) -> candle_core::Result<Tensor> {
        self.0.develop_entries(param, idx)
    }
}
