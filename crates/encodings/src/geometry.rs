//! One convolution's shape, [`ConvGeometry`]: what the convolutional layers, the patch gathering
//! and the CPU kernels agree on (see [`crate::conv`]).
//!
//! ```
//! use innate_encodings::geometry::ConvGeometry;
//!
//! let g = ConvGeometry { in_channels: 1, height: 28, width: 28, kernel: 5, stride: 1, padding: 2, out_channels: 6 };
//! assert_eq!((g.out_height(), g.locations(), g.patch_len()), (28, 784, 25));
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{GenomeError, Result};

/// The shape of one convolution (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvGeometry {
    /// Input channels `C_in`.
    pub in_channels: usize,
    /// Input height `H`.
    pub height: usize,
    /// Input width `W`.
    pub width: usize,
    /// Kernel side `k`.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on every side.
    pub padding: usize,
    /// Output channels `C_out`.
    pub out_channels: usize,
}

impl ConvGeometry {
    /// Checks that the kernel fits the padded input and the stride is at least 1.
    pub fn validate(&self) -> Result<()> {
        let fits = self.kernel >= 1
            && self.stride >= 1
            && self.kernel <= self.height + 2 * self.padding
            && self.kernel <= self.width + 2 * self.padding;
        if !fits || self.in_channels == 0 || self.out_channels == 0 {
            return Err(GenomeError::Config(format!(
                "a {k}x{k} convolution with stride {s} and padding {p} does not fit a {c}x{h}x{w} input \
                 (or has no channels)",
                k = self.kernel,
                s = self.stride,
                p = self.padding,
                c = self.in_channels,
                h = self.height,
                w = self.width
            )));
        }
        Ok(())
    }

    /// Output height `H_out = (H + 2p - k) / s + 1`.
    pub fn out_height(&self) -> usize {
        (self.height + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// Output width.
    pub fn out_width(&self) -> usize {
        (self.width + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// Receptive fields (output locations) `L = H_out W_out`.
    pub fn locations(&self) -> usize {
        self.out_height() * self.out_width()
    }

    /// Inputs of one receptive field, `K = C_in k²`.
    pub fn patch_len(&self) -> usize {
        self.in_channels * self.kernel * self.kernel
    }

    /// Output neurons `C_out L`.
    pub fn outputs(&self) -> usize {
        self.out_channels * self.locations()
    }

    /// Weights of the classical (shared) convolution, `C_out K`.
    pub fn shared_weights(&self) -> usize {
        self.out_channels * self.patch_len()
    }

    /// Weights of the locally connected layer, `L K C_out`.
    pub fn local_weights(&self) -> usize {
        self.locations() * self.shared_weights()
    }

    /// For every location `l` and patch entry `j = (c, i, j')` (row-major over the channel and the
    /// kernel's rows and columns), the index of the input it reads in the zero-padded input
    /// flattened as `(C_in, H + 2p, W + 2p)`: `L K` indices, location-major.
    pub fn patch_indices(&self) -> Vec<u32> {
        let (hp, wp) = (self.height + 2 * self.padding, self.width + 2 * self.padding);
        let mut out = Vec::with_capacity(self.locations() * self.patch_len());
        for oy in 0..self.out_height() {
            for ox in 0..self.out_width() {
                for c in 0..self.in_channels {
                    for ky in 0..self.kernel {
                        for kx in 0..self.kernel {
                            let (y, x) = (oy * self.stride + ky, ox * self.stride + kx);
                            out.push((c * hp * wp + y * wp + x) as u32);
                        }
                    }
                }
            }
        }
        out
    }
}
