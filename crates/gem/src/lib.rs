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

#![warn(missing_docs)]

pub mod direct;
pub mod fastfood;
pub mod gem;
pub mod random_basis;

pub use direct::{Direct, DirectConfig};
pub use gem::{GemConfig, GemKind, GemNet};
pub use random_basis::{RandomBasis, RandomBasisConfig};
