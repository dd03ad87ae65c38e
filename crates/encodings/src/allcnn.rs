//! All-CNN-C (Springenberg et al. 2015, "Striving for simplicity: the all convolutional net"),
//! the genomic-bottleneck paper's 9-layer CIFAR-10 p-network: convolutions only, ReLU after each,
//! and a global average over the last maps as the class scores.
//!
//! | layer | kernel | maps | stride | padding | out (32x32 input) |
//! | --- | --- | --- | --- | --- | --- |
//! | 1 | 3x3 | w | 1 | 1 | 32 |
//! | 2 | 3x3 | w | 1 | 1 | 32 |
//! | 3 | 3x3 | w | 2 | 1 | 16 |
//! | 4 | 3x3 | 2w | 1 | 1 | 16 |
//! | 5 | 3x3 | 2w | 1 | 1 | 16 |
//! | 6 | 3x3 | 2w | 2 | 1 | 8 |
//! | 7 | 3x3 | 2w | 1 | 0 | 6 |
//! | 8 | 1x1 | 2w | 1 | 0 | 6 |
//! | 9 | 1x1 | classes | 1 | 0 | 6, then the global average |
//!
//! With `w = 96`, 3 input channels and 10 classes it has 1,369,738 parameters with biases
//! (1,368,480 weights), the paper's "about 1.4 x 10^6" and the count its Table 2 divides by: layer
//! 7 is the 3x3 convolution of Springenberg's Table 1 (as 1x1 it would have 1,074,826). Neither
//! paper states the padding; this reading pads the first six layers by 1 and not layer 7, which
//! leaves Springenberg's 6x6 maps for the global average. The 50% dropout the genomic-bottleneck
//! paper puts between layers 3 and 4 ([`DROPOUT`]) is a [`ConvLayer::Dropout`] after layer 3's ReLU,
//! active only while the network learns. A narrower network
//! (`width` below 96, for short runs) has the same layers and labels.
//!
//! ```
//! use innate_encodings::allcnn::AllCnnSpec;
//! let spec = AllCnnSpec::cifar10();
//! assert_eq!((spec.params(), spec.weights()), (1_369_738, 1_368_480));
//! assert_eq!(spec.out_size().unwrap(), 6);
//! ```

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

use crate::conv::{ConvLayer, ConvNet};
use crate::error::{GenomeError, Result};

/// The dropout between layers 3 and 4 ("we included the dropout layer with 50% dropout
/// probability").
pub const DROPOUT: f32 = 0.5;

/// The shape of one convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    /// Input maps.
    pub c_in: usize,
    /// Output maps.
    pub c_out: usize,
    /// Kernel side.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding.
    pub padding: usize,
}

impl ConvShape {
    /// Weights `c_out c_in k²` (biases not counted).
    pub fn weights(&self) -> usize {
        self.c_out * self.c_in * self.kernel * self.kernel
    }
}

/// An All-CNN-C network (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllCnnSpec {
    /// The input's `(channels, height, width)`.
    pub input: [usize; 3],
    /// Maps of layers 1-3 (`w`); layers 4-8 have `2w`.
    pub width: usize,
    /// Classes (the maps of layer 9).
    pub classes: usize,
}

impl AllCnnSpec {
    /// The paper's network for CIFAR-10: 3x32x32 images, `w = 96`, 10 classes.
    pub fn cifar10() -> Self {
        Self { input: [3, 32, 32], width: 96, classes: 10 }
    }

    /// The nine convolutions, input side first.
    pub fn layers(&self) -> Vec<ConvShape> {
        let (w, c) = (self.width, self.input[0]);
        let plan = [
            (c, w, 3, 1, 1),
            (w, w, 3, 1, 1),
            (w, w, 3, 2, 1),
            (w, 2 * w, 3, 1, 1),
            (2 * w, 2 * w, 3, 1, 1),
            (2 * w, 2 * w, 3, 2, 1),
            (2 * w, 2 * w, 3, 1, 0),
            (2 * w, 2 * w, 1, 1, 0),
            (2 * w, self.classes, 1, 1, 0),
        ];
        plan.iter()
            .map(|&(c_in, c_out, kernel, stride, padding)| ConvShape { c_in, c_out, kernel, stride, padding })
            .collect()
    }

    /// Weights of all layers (biases not counted).
    pub fn weights(&self) -> usize {
        self.layers().iter().map(ConvShape::weights).sum()
    }

    /// Entries of each parameter tensor in the order the network lists them: layer 1's kernels,
    /// its biases, layer 2's kernels, ...
    pub fn tensor_entries(&self) -> Vec<usize> {
        self.layers().iter().flat_map(|l| [l.weights(), l.c_out]).collect()
    }

    /// Parameters with biases.
    pub fn params(&self) -> usize {
        self.layers().iter().map(|l| l.weights() + l.c_out).sum()
    }

    /// The side of the last maps (averaged into the class scores); an error when the input is
    /// too small for the nine layers or not square.
    pub fn out_size(&self) -> Result<usize> {
        let [c, h, w] = self.input;
        if c == 0 || h != w || self.width == 0 || self.classes == 0 {
            return Err(GenomeError::Config(format!(
                "All-CNN-C takes square images with at least one channel, and needs maps and classes: got input \
                 {c}x{h}x{w}, width {}, {} classes",
                self.width, self.classes
            )));
        }
        let mut side = h;
        for (i, l) in self.layers().iter().enumerate() {
            let padded = side + 2 * l.padding;
            if padded < l.kernel {
                return Err(GenomeError::Config(format!(
                    "All-CNN-C's maps of a {h}x{w} image shrink to {side}x{side} before layer {}, smaller than its \
                     {}x{} kernel: use images of at least 9x9 pixels",
                    i + 1,
                    l.kernel,
                    l.kernel
                )));
            }
            side = (padded - l.kernel) / l.stride + 1;
        }
        Ok(side)
    }

    /// The network with `tensors`, a `(weight (c_out, c_in, k, k), bias (c_out,))` pair per layer.
    pub fn net(&self, tensors: Vec<(Tensor, Tensor)>) -> Result<ConvNet> {
        let shapes = self.layers();
        if tensors.len() != shapes.len() {
            return Err(GenomeError::Config(format!(
                "All-CNN-C has {} layers, {} weight and bias pairs given",
                shapes.len(),
                tensors.len()
            )));
        }
        let mut layers = Vec::with_capacity(2 * shapes.len() + 1);
        for (l, (s, (weight, bias))) in shapes.iter().zip(tensors).enumerate() {
            if weight.dims() != [s.c_out, s.c_in, s.kernel, s.kernel] || bias.dims() != [s.c_out] {
                return Err(GenomeError::Config(format!(
                    "an All-CNN-C layer of {}x{} kernels from {} to {} maps needs weights ({}, {}, {}, {}) and biases \
                     ({}), got {:?} and {:?}",
                    s.kernel,
                    s.kernel,
                    s.c_in,
                    s.c_out,
                    s.c_out,
                    s.c_in,
                    s.kernel,
                    s.kernel,
                    s.c_out,
                    weight.dims(),
                    bias.dims()
                )));
            }
            layers.push(ConvLayer::Conv { weight, bias: Some(bias), stride: s.stride, padding: s.padding });
            layers.push(ConvLayer::Relu);
            if l == 2 {
                layers.push(ConvLayer::Dropout { p: DROPOUT });
            }
        }
        layers.push(ConvLayer::GlobalAvgPool);
        Ok(ConvNet { input: self.input, layers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Module};

    #[test]
    fn the_papers_count_and_its_readings() {
        let spec = AllCnnSpec::cifar10();
        assert_eq!(spec.params(), 1_369_738);
        let entries = spec.tensor_entries();
        assert_eq!((entries.len(), entries.iter().sum::<usize>()), (18, 1_369_738));
        assert_eq!(&entries[..4], &[96 * 3 * 9, 96, 96 * 96 * 9, 96]);
        // Layer 7 as a 1x1 convolution would not give the paper's count.
        let one_by_one: usize = spec
            .layers()
            .iter()
            .enumerate()
            .map(|(i, l)| if i == 6 { l.c_out * l.c_in + l.c_out } else { l.weights() + l.c_out })
            .sum();
        assert_eq!(one_by_one, 1_074_826);
        assert_eq!(AllCnnSpec { width: 32, ..spec }.params(), 153_482);
        assert_eq!(AllCnnSpec { input: [3, 9, 9], ..spec }.out_size().unwrap(), 1);
        assert!(
            AllCnnSpec { input: [3, 8, 8], ..spec }
                .out_size()
                .unwrap_err()
                .to_string()
                .contains("before layer 7")
        );
        assert!(AllCnnSpec { input: [3, 32, 30], ..spec }.out_size().is_err());
    }

    #[test]
    fn a_narrow_net_runs_to_class_scores() -> Result<()> {
        let spec = AllCnnSpec { input: [3, 32, 32], width: 4, classes: 10 };
        let d = Device::Cpu;
        let tensors = spec
            .layers()
            .iter()
            .map(|s| {
                Ok((
                    Tensor::randn(0f32, 0.3, (s.c_out, s.c_in, s.kernel, s.kernel), &d)?,
                    Tensor::zeros(s.c_out, DType::F32, &d)?,
                ))
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        let net = spec.net(tensors)?;
        assert_eq!(net.classes(), 10);
        let x = Tensor::randn(0f32, 1.0, (2, 3, 32, 32), &d)?;
        let y = net.forward(&x)?;
        assert_eq!(y.dims(), &[2, 10]);
        assert!(spec.net(Vec::new()).is_err());
        // Dropout acts while learning only, the same way from the same seed.
        use crate::phenotype::Parameters;
        use rand::SeedableRng;
        let train = |seed| net.forward_train(&x, &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        let (a, b, c) =
            (train(1)?.to_vec2::<f32>()?, train(1)?.to_vec2::<f32>()?, train(2)?.to_vec2::<f32>()?);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, y.to_vec2::<f32>()?);
        // Half the values of a dropped tensor are zero, the others doubled.
        let ones = Tensor::ones(10_000, DType::F32, &d)?;
        let dropped = crate::conv::dropout(&ones, 0.5, &mut rand_chacha::ChaCha8Rng::seed_from_u64(0))?;
        let v = dropped.to_vec1::<f32>()?;
        let kept = v.iter().filter(|&&x| x == 2.0).count();
        assert!(v.iter().all(|&x| x == 0.0 || x == 2.0) && (4_800..5_200).contains(&kept), "{kept}");
        Ok(())
    }
}
