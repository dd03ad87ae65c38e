//! Neuron grids: where the neurons of a layer sit in the plane.
//!
//! A layer of `rows x cols` neurons is placed on an evenly spaced grid covering `[-1, 1]²`
//! (`linspace(-1, 1, cols)` across, `linspace(-1, 1, rows)` down, as the reference code of the
//! developmental-priors paper does for 28x28 MNIST layers). Neuron `i` is at row `i / cols`,
//! column `i % cols`, which is the row-major order of image pixels.

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{GenomeError, Result};

/// A rectangular grid of neurons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeuronGrid {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
}

impl NeuronGrid {
    /// A grid of `rows x cols` neurons.
    pub fn new(rows: usize, cols: usize) -> Result<Self> {
        if rows == 0 || cols == 0 {
            return Err(GenomeError::Config(format!(
                "a neuron grid needs rows and columns, got {rows}x{cols}"
            )));
        }
        Ok(Self { rows, cols })
    }

    /// The most square grid holding exactly `n` neurons (28x28 for 784, 25x32 for 800, 2x5 for 10).
    pub fn for_count(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(GenomeError::Config("a neuron grid needs at least one neuron".into()));
        }
        let mut rows = (n as f64).sqrt().floor() as usize;
        while rows > 1 && !n.is_multiple_of(rows) {
            rows -= 1;
        }
        Self::new(rows.max(1), n / rows.max(1))
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Whether the grid is empty (never, for a grid made by [`NeuronGrid::new`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `(x, y)` position of every neuron, row-major, as an `(N, 2)` tensor.
    pub fn positions(&self, device: &Device) -> Result<Tensor> {
        let xs = linspace(self.cols);
        let ys = linspace(self.rows);
        let mut v = Vec::with_capacity(2 * self.len());
        for y in &ys {
            for x in &xs {
                v.push(*x);
                v.push(*y);
            }
        }
        Ok(Tensor::from_vec(v, (self.len(), 2), device)?)
    }
}

/// `n` evenly spaced values from -1 to 1 (a single value sits at 0).
pub fn linspace(n: usize) -> Vec<f32> {
    if n == 1 {
        return vec![0.0];
    }
    (0..n).map(|i| -1.0 + 2.0 * i as f32 / (n - 1) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_for_counts() {
        assert_eq!(NeuronGrid::for_count(784).unwrap(), NeuronGrid { rows: 28, cols: 28 });
        assert_eq!(NeuronGrid::for_count(800).unwrap(), NeuronGrid { rows: 25, cols: 32 });
        assert_eq!(NeuronGrid::for_count(10).unwrap(), NeuronGrid { rows: 2, cols: 5 });
        assert_eq!(NeuronGrid::for_count(7).unwrap(), NeuronGrid { rows: 1, cols: 7 });
        assert!(NeuronGrid::for_count(0).is_err());
        assert!(NeuronGrid::new(0, 3).is_err());
    }

    #[test]
    fn positions_are_row_major_on_the_unit_square() -> Result<()> {
        let p = NeuronGrid::new(2, 3)?.positions(&Device::Cpu)?.to_vec2::<f32>()?;
        assert_eq!(
            p,
            vec![
                vec![-1.0, -1.0],
                vec![0.0, -1.0],
                vec![1.0, -1.0],
                vec![-1.0, 1.0],
                vec![0.0, 1.0],
                vec![1.0, 1.0]
            ]
        );
        assert_eq!(linspace(1), vec![0.0]);
        Ok(())
    }
}
