//! The developmental-priors paper's convolutional networks: the developmental convolution, whose
//! kernels develop per location from 3-D Gaussian gene fields and a gene interaction matrix
//! (no weight is shared between locations), dual average pooling of activations and identities,
//! and LeNet-5 in its three variants (weight-shared, locally connected, S-GEM encoded), one
//! network definition developing an `innate_encodings::conv::ConvNet`.
//!
//! - [`fields`]: 3-D Gaussian gene fields on a `channels x height x width` grid of neurons;
//! - [`devconv`]: the developmental convolutional layer (`W_r = Y_r O X_rᵀ` for every receptive
//!   field `r`, batched);
//! - [`pool`]: dual average pooling;
//! - [`lenet5`]: LeNet-5's three variants, their exact parameter counts and the derivation;
//! - [`allcnn`]: the genomic-bottleneck paper's All-CNN-C CIFAR-10 network, learned directly.
//!
//! ```
//! use candle_core::{DType, Device, Module, Tensor};
//! use innate_devconv::lenet5::{LeNet5Config, LeNet5Genome, LeNet5Spec, Variant};
//! use innate_encodings::Genome;
//!
//! # fn main() -> innate_encodings::Result<()> {
//! let lenet5 = LeNet5Spec::for_input(1, 28, 28, 10)?; // MNIST
//! let local = LeNet5Genome::new(LeNet5Config { lenet5, variant: Variant::Local, seed: 0, scales: None }, &Device::Cpu)?;
//! assert_eq!(local.params().learned, 423_038);
//! let y = local.develop()?.forward(&Tensor::zeros((4, 1, 28, 28), DType::F32, &Device::Cpu)?)?;
//! assert_eq!(y.dims(), &[4, 10]);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod allcnn;
pub mod devconv;
pub mod fields;
pub mod lenet5;
pub mod pool;

pub use allcnn::{AllCnnConfig, AllCnnGenome, AllCnnInit};
pub use devconv::{DevConv, DevConvLayer};
pub use fields::{GeneFields3d, Grid3};
pub use lenet5::{LeNet5Config, LeNet5Genome, LeNet5Spec, SgemLeNet, Variant};
pub use pool::DualAvgPool;
