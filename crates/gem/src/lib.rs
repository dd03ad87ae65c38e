//! Encoded linear layers: genomes whose development is linear algebra.
//!
//! This crate holds the encodings of the developmental-priors paper. So far it has the
//! [`Direct`] baseline (every weight learned, `develop()` is the identity); GEM, S-GEM,
//! ML-S-GEM and the random basis join it as further implementations of
//! [`innate_encodings::Genome`].
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
pub mod gem;

pub use direct::{Direct, DirectConfig};
pub use gem::{GemConfig, GemKind, GemNet};
