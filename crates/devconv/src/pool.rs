//! Dual average pooling: the activations and, in parallel, the gene identities of the neurons
//! they come from, so that the next developmental layer sees the pooled identities of its inputs.
//!
//! Both pool `size x size` windows with stride `size`. The identities `(C H W, G)` of a
//! `C x H x W` layer become `(C (H / size) (W / size), G)`, each the mean of its window's.
//!
//! ```
//! use candle_core::{Device, Module, Tensor};
//! use innate_devconv::fields::Grid3;
//! use innate_devconv::pool::DualAvgPool;
//!
//! # fn main() -> innate_encodings::Result<()> {
//! let pool = DualAvgPool { size: 2 };
//! let x = Tensor::arange(0f32, 16.0, &Device::Cpu)?.reshape((1, 1, 4, 4))?;
//! assert_eq!(pool.forward(&x)?.flatten_all()?.to_vec1::<f32>()?, [2.5, 4.5, 10.5, 12.5]);
//! // Identities of the 16 neurons, 2 genes each: neuron n expresses (n, 1).
//! let ids = Tensor::arange(0f32, 16.0, &Device::Cpu)?.unsqueeze(1)?.pad_with_same(1, 0, 1)?;
//! let (pooled, grid) = pool.identities(&ids, Grid3::new(1, 4, 4)?)?;
//! assert_eq!((grid.height, grid.width), (2, 2));
//! assert_eq!(pooled.to_vec2::<f32>()?[0], [2.5, 2.5]);
//! # Ok(()) }
//! ```

use candle_core::{Module, Tensor};
use innate_encodings::{GenomeError, Result};

use crate::fields::Grid3;

/// Average pooling of activations and of identities (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DualAvgPool {
    /// The window's side (and stride).
    pub size: usize,
}

impl DualAvgPool {
    /// The pooled identities of a layer on `grid` (`ids`: `(grid.len(), G)`), and their grid.
    pub fn identities(&self, ids: &Tensor, grid: Grid3) -> Result<(Tensor, Grid3)> {
        let s = self.size;
        if s == 0 || !grid.height.is_multiple_of(s) || !grid.width.is_multiple_of(s) {
            return Err(GenomeError::Config(format!(
                "{s}x{s} pooling does not tile a {}x{} layer",
                grid.height, grid.width
            )));
        }
        let g = ids.dim(1)?;
        // (C H W, G) -> (G, C, H, W): pool as images whose channels are (gene, map) pairs.
        let as_maps = ids.t()?.reshape((g, grid.channels, grid.height, grid.width))?;
        let pooled = as_maps.avg_pool2d(s)?;
        let out = Grid3::new(grid.channels, grid.height / s, grid.width / s)?;
        Ok((pooled.reshape((g, out.len()))?.t()?.contiguous()?, out))
    }
}

impl Module for DualAvgPool {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.avg_pool2d(self.size)
    }
}
