//! Genomes that develop into network weights.
//!
//! Every model of this project is a genome: a few learned tensors whose `develop()` grows the
//! weights of an ordinary network (the phenotype). This crate holds what all encodings share:
//! the [`Genome`] trait, the phenotype networks ([`Mlp`], [`conv::ConvNet`], either as a [`Net`]),
//! seeded initialisation
//! ([`SeededInit`]), exact parameter accounting ([`ParamCount`]) and checkpoints (safetensors
//! files whose metadata is enough to develop the network again, see [`checkpoint`]). The
//! encodings themselves live in `innate-gem`, `innate-gnet` and `innate-devconv`.
//!
//! ```
//! use candle_core::{Device, Module, Tensor};
//! use innate_encodings::{Dense, Mlp, MlpSpec, SeededInit};
//!
//! # fn main() -> Result<(), innate_encodings::GenomeError> {
//! let spec = MlpSpec::mlp(784, 800, 10);
//! assert_eq!(spec.params(), 636_010);
//! let mut init = SeededInit::new(0, &Device::Cpu);
//! let layers = (0..spec.layers())
//!     .map(|i| {
//!         let (n_in, n_out) = spec.layer(i);
//!         Ok(Dense {
//!             weight: init.linear_default(&[n_out, n_in], n_in)?,
//!             bias: Some(init.linear_default(&[n_out], n_in)?),
//!         })
//!     })
//!     .collect::<Result<Vec<_>, innate_encodings::GenomeError>>()?;
//! let logits = Mlp { layers }.forward(&Tensor::zeros((2, 1, 28, 28), candle_core::DType::F32, &Device::Cpu)?)?;
//! assert_eq!(logits.dims(), &[2, 10]);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod allcnn;
pub mod bias;
pub mod checkpoint;
pub mod conv;
pub mod cpu_kernels;
pub mod error;
pub mod expression;
pub mod fields_op;
pub mod genome;
pub mod geometry;
pub mod grid;
pub mod init;
pub mod labels;
pub mod net;
pub mod parallel;
pub mod params;
pub mod phenotype;
pub mod population;
pub mod quant;
pub mod shared_conv;

pub use bias::{BiasMode, Biases, WeightScale, kaiming_norm_scale, kaiming_scale};
pub use checkpoint::GenomeFile;
pub use error::{GenomeError, Result};
pub use expression::{CentreInit, Expression, ExpressionSpec, GeneFields};
pub use genome::Genome;
pub use grid::NeuronGrid;
pub use init::SeededInit;
pub use labels::LabelScheme;
pub use net::{AnyNet, Net};
pub use params::ParamCount;
pub use phenotype::{Dense, Mlp, MlpSpec, Parameters};
/// The randomness that layers acting only in training draw from ([`Parameters::forward_train`]).
pub use rand::RngCore;
