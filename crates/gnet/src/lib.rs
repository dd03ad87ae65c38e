//! Genomic-bottleneck g-networks: small MLPs over neuron labels that generate the weights of a
//! much larger p-network (Shuvaev, Koulakov & Zador, "Encoding innate ability through a genomic
//! bottleneck").
//!
//! A [`GenomicNet`] is a [`innate_encodings::Genome`]: developing it evaluates each layer's
//! weight g-network on every (postsynaptic, presynaptic) label pair and each bias g-network on
//! every neuron label. [`presets`] holds the paper's MNIST p-network and the GN5 / GN20 / GN30
//! sizes of its Table 1; [`conv`] the 18 g-networks of the 9-layer all-convolutional CIFAR-10
//! p-network (Table 2: GN10 / GN30 / GN50). Train a genome end to end with the lifetime loop, or intermittently
//! (train the p-network, fit the g-networks to it, regenerate) with
//! `innate_evolution::intermittent`.
//!
//! ```
//! use candle_core::Device;
//! use innate_encodings::Genome;
//! use innate_gnet::{GenomicNet, Preset, mnist_config};
//!
//! # fn main() -> Result<(), innate_encodings::GenomeError> {
//! let genome = GenomicNet::new(mnist_config(Preset::Gn30, 0), &Device::Cpu)?;
//! assert_eq!(genome.params().learned, 1_973);
//! assert_eq!(genome.params().phenotype, 636_010);
//! let p_net = genome.develop()?; // 784-800-10, every weight from a g-network
//! assert_eq!(p_net.layers[0].weight.dims(), &[800, 784]);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod conv;
pub mod gnet;
pub mod network;
pub mod population;
pub mod presets;

pub use gnet::GNet;
pub use network::{BiasEncoding, GenomicNet, GnetConfig};
pub use presets::{Preset, for_mlp, mnist_config, mnist_custom};
