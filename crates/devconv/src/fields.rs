//! Gaussian gene fields in three dimensions: the gene identities of a layer of neurons laid out
//! as `channels x height x width` (a convolution's input or output).
//!
//! Neuron `(c, y, x)` sits at `p = (d_c, y_y, x_x)` with each coordinate evenly spaced over
//! `[-1, 1]` (`linspace(-1, 1, n)`; 0 for a single channel), row-major as the tensor
//! `(C, H, W)` flattens. Gene `g` has a centre `mu_g = tanh(m_g)` (so it stays in the cube) and a
//! width per axis `sigma_g = exp(s_g)` (so they stay positive), and
//!
//! ```text
//! X[n, g] = exp(-sum_a ((p_n,a - mu_g,a) / sigma_g,a)²)
//! ```
//!
//! 6 learned parameters per gene (the paper's `mu_i, sigma_i in R³`), whatever the number of
//! neurons. Centres start as the 2-D fields' do in the reference code (raw centres `U(-1, 1)`),
//! widths at 0.3.
//!
//! ```
//! use candle_core::Device;
//! use candle_nn::VarMap;
//! use innate_devconv::fields::{Grid3, GeneFields3d};
//! use innate_encodings::SeededInit;
//!
//! # fn main() -> innate_encodings::Result<()> {
//! let grid = Grid3::new(6, 28, 28)?;
//! let vm = VarMap::new();
//! let fields = GeneFields3d::new(grid, 10, "conv1", &vm, &mut SeededInit::new(0, &Device::Cpu))?;
//! assert_eq!(fields.expression()?.dims(), &[6 * 28 * 28, 10]);
//! assert_eq!(GeneFields3d::params(10), 60);
//! # Ok(()) }
//! ```

use candle_core::{Device, Tensor, Var};
use candle_nn::VarMap;
use innate_encodings::init::register;
use innate_encodings::{GenomeError, Result, SeededInit};
use serde::{Deserialize, Serialize};

/// Initial width of every field on every axis (as the 2-D fields).
pub const INITIAL_WIDTH: f64 = 0.3;

/// A `channels x height x width` grid of neurons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid3 {
    /// Channels (depth).
    pub channels: usize,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

impl Grid3 {
    /// A grid of `channels x height x width` neurons.
    pub fn new(channels: usize, height: usize, width: usize) -> Result<Self> {
        if channels == 0 || height == 0 || width == 0 {
            return Err(GenomeError::Config(format!(
                "a neuron grid needs channels, rows and columns, got {channels}x{height}x{width}"
            )));
        }
        Ok(Self { channels, height, width })
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Whether the grid is empty (never, for a grid made by [`Grid3::new`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `(d, y, x)` position of every neuron, row-major over `(C, H, W)`, as `(N, 3)`.
    pub fn positions(&self, device: &Device) -> Result<Tensor> {
        let (ds, ys, xs) = (linspace(self.channels), linspace(self.height), linspace(self.width));
        let mut v = Vec::with_capacity(3 * self.len());
        for d in &ds {
            for y in &ys {
                for x in &xs {
                    v.extend([*d, *y, *x]);
                }
            }
        }
        Ok(Tensor::from_vec(v, (self.len(), 3), device)?)
    }
}

/// `n` points evenly spaced over `[-1, 1]` (`[0]` for one).
fn linspace(n: usize) -> Vec<f32> {
    if n == 1 {
        return vec![0.0];
    }
    (0..n).map(|i| -1.0 + 2.0 * i as f32 / (n - 1) as f32).collect()
}

/// Learned Gaussian gene fields on a [`Grid3`] (see the module docs).
#[derive(Debug, Clone)]
pub struct GeneFields3d {
    positions: Tensor,
    raw_centres: Var,
    log_widths: Var,
    grid: Grid3,
}

impl GeneFields3d {
    /// `genes` fields on `grid`, registering `{prefix}.mu` `(G, 3)` and `{prefix}.log_sigma`
    /// `(G, 3)` in `varmap`.
    pub fn new(
        grid: Grid3,
        genes: usize,
        prefix: &str,
        varmap: &VarMap,
        init: &mut SeededInit,
    ) -> Result<Self> {
        if genes == 0 {
            return Err(GenomeError::Config("gene fields need at least one gene".into()));
        }
        let raw_centres =
            register(varmap, &format!("{prefix}.mu"), init.uniform(&[genes, 3], -0.999, 0.999)?)?;
        let log_widths = register(
            varmap,
            &format!("{prefix}.log_sigma"),
            Tensor::full(INITIAL_WIDTH.ln() as f32, (genes, 3), init.device())?,
        )?;
        Ok(Self { positions: grid.positions(init.device())?, raw_centres, log_widths, grid })
    }

    /// Learned parameters of `genes` fields: a centre and a width per axis, 6 per gene.
    pub fn params(genes: usize) -> usize {
        6 * genes
    }

    /// The grid the fields lie on.
    pub fn grid(&self) -> Grid3 {
        self.grid
    }

    /// Field centres `tanh(m)`, `(G, 3)` as `(d, y, x)`.
    pub fn centres(&self) -> candle_core::Result<Tensor> {
        self.raw_centres.as_tensor().tanh()
    }

    /// Field widths `exp(s)`, `(G, 3)`.
    pub fn widths(&self) -> candle_core::Result<Tensor> {
        self.log_widths.as_tensor().exp()
    }

    /// The gene identities `X[n, g]`, `(N, G)`.
    ///
    /// The exponent is expanded,
    /// `sum_a (p_a - mu_a)² / sigma_a² = p² · (1/sigma²) - 2 p · (mu/sigma²) + sum_a mu_a² / sigma_a²`,
    /// so that it takes two `(N, 3) x (3, G)` products instead of `(N, G, 3)` temporaries (the first
    /// convolution's 6x28x28 outputs with 150 genes would be 2 million entries each, per batch).
    pub fn expression(&self) -> candle_core::Result<Tensor> {
        let mu = self.centres()?; // (G, 3)
        let inv = self.widths()?.sqr()?.recip()?; // (G, 3): 1 / sigma²
        let p = &self.positions; // (N, 3)
        let quadratic = p.sqr()?.matmul(&inv.t()?)?; // (N, G)
        let cross = p.matmul(&(&mu * &inv)?.t()?)?; // (N, G)
        let constant = (mu.sqr()? * &inv)?.sum(1)?.unsqueeze(0)?; // (1, G)
        (quadratic - (cross * 2.0)?)?.broadcast_add(&constant)?.neg()?.exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expression_is_the_gaussian_by_hand() -> Result<()> {
        let d = Device::Cpu;
        let grid = Grid3::new(2, 3, 4)?;
        let p = grid.positions(&d)?.to_vec2::<f32>()?;
        // Neuron (1, 2, 3): the last channel, row and column.
        assert_eq!(p[23], [1.0, 1.0, 1.0]);
        // Neuron (0, 1, 0): the first channel, the middle row, the first column.
        assert_eq!(p[4], [-1.0, 0.0, -1.0]);
        let vm = VarMap::new();
        let f = GeneFields3d::new(grid, 2, "f", &vm, &mut SeededInit::new(1, &d))?;
        let x = f.expression()?.to_vec2::<f32>()?;
        let (mu, sigma) = (f.centres()?.to_vec2::<f32>()?, f.widths()?.to_vec2::<f32>()?);
        for (n, pn) in p.iter().enumerate() {
            for g in 0..2 {
                let e: f32 = (0..3).map(|a| ((pn[a] - mu[g][a]) / sigma[g][a]).powi(2)).sum();
                assert!((x[n][g] - (-e).exp()).abs() < 1e-5, "{n} {g}");
            }
        }
        assert_eq!(vm.all_vars().len(), 2);
        assert!(Grid3::new(0, 1, 1).is_err());
        Ok(())
    }
}
