//! Encoded linear layers: genomes whose development is linear algebra.
//!
//! This crate holds the encodings of the developmental-priors paper, each an implementation of
//! [`innate_encodings::Genome`] that develops the weights of an MLP:
//!
//! - [`Direct`]: every weight learned (the baseline; `develop()` is the identity);
//! - [`GemNet`]: GEM `W = X O Xᵀ` with learned expression, S-GEM with Gaussian gene fields,
//!   and ML-S-GEM with one interaction matrix shared by all layers;
//! - [`RandomBasis`]: `W = W0 + R p` with a fixed random basis `R` and `B` learned coordinates.
//!
//! ```
//! use candle_core::Device;
//! use innate_encodings::{Genome, MlpSpec};
//! use innate_gem::Direct;
//!
//! # fn main() -> Result<(), innate_encodings::GenomeError> {
//! let mlp = Direct::new(MlpSpec::mlp(784, 800, 10), 0, &Device::Cpu)?;
//! assert_eq!(mlp.params().learned, 636_010);
//! # Ok(()) }
//! ```
//!
//! Every encoding is also a Candle [`Module`](candle_core::Module): put a genome in your own
//! model and train its variables with any optimizer. One training step of an ML-S-GEM-encoded
//! 784-784-10 MLP (160 learned parameters for 623,290 developed ones):
//!
//! ```
//! use candle_core::{DType, Device, Module, Tensor};
//! use candle_nn::{AdamW, Optimizer, ParamsAdamW};
//! use innate_encodings::{Genome, MlpSpec};
//! use innate_gem::{GemConfig, GemNet};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dev = Device::Cpu;
//! let genome = GemNet::new(GemConfig::mlsgem(MlpSpec::mlp(784, 784, 10), 10, false, 0)?, &dev)?;
//! assert_eq!(genome.params().learned, 10 * (10 + 6));
//! let images = Tensor::rand(0f32, 1.0, (32, 1, 28, 28), &dev)?;
//! let labels = Tensor::zeros(32, DType::U32, &dev)?;
//! let mut opt = AdamW::new(genome.varmap().all_vars(), ParamsAdamW { lr: 0.01, ..Default::default() })?;
//! let before = candle_nn::loss::cross_entropy(&genome.forward(&images)?, &labels)?;
//! opt.backward_step(&before)?;
//! let after = candle_nn::loss::cross_entropy(&genome.forward(&images)?, &labels)?;
//! assert!(after.to_scalar::<f32>()? < before.to_scalar::<f32>()?);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod direct;
pub mod fastfood;
pub mod gem;
pub mod population;
pub mod random_basis;

pub use direct::{Direct, DirectConfig};
pub use gem::{GemConfig, GemKind, GemNet};
pub use random_basis::{RandomBasis, RandomBasisConfig};
