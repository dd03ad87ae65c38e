//! Neuron labels: binary "molecular tags" that identify each neuron of a layer, as the
//! genomic-bottleneck paper's g-networks see them.
//!
//! Labels are bit strings, most significant bit first:
//!
//! - [`LabelScheme::Binary`]: the neuron's number (plus an offset, the paper numbers hidden
//!   neurons 1..800) in `bits` bits;
//! - [`LabelScheme::Gray`]: the reflected Gray code `i xor (i >> 1)` of the number, so that
//!   neighbouring numbers differ in one bit;
//! - [`LabelScheme::Gray2d`]: for neurons on an image grid, the Gray code of the column (x) in
//!   `bits_x` bits followed by that of the row (y) in `bits_y` bits; grid neighbours differ in
//!   exactly one bit (5 + 5 bits for 28x28 MNIST pixels);
//! - [`LabelScheme::OneHot`]: one bit per neuron (the 10 output classes).
//!
//! As in the reference code, each label column is divided by its maximum over the layer (a
//! column that is always 0 stays 0), so every entry lies in `[0, 1]`.

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{GenomeError, Result};

/// How the neurons of one layer are labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LabelScheme {
    /// `offset + i` in binary.
    Binary {
        /// Bits per label.
        bits: usize,
        /// Added to the neuron's index (the paper numbers hidden neurons from 1).
        offset: usize,
    },
    /// Reflected Gray code of `i`.
    Gray {
        /// Bits per label.
        bits: usize,
    },
    /// Gray code of the column, then of the row, of a `rows x cols` grid (row-major neurons).
    Gray2d {
        /// Grid rows.
        rows: usize,
        /// Grid columns.
        cols: usize,
        /// Bits for the column.
        bits_x: usize,
        /// Bits for the row.
        bits_y: usize,
    },
    /// One bit per neuron.
    OneHot {
        /// Number of neurons (and bits).
        n: usize,
    },
}

/// Reflected binary Gray code.
pub fn gray(i: usize) -> usize {
    i ^ (i >> 1)
}

/// The `bits` lowest bits of `v`, most significant first.
pub fn bits_msb_first(v: usize, bits: usize) -> impl Iterator<Item = u8> {
    (0..bits).rev().map(move |b| ((v >> b) & 1) as u8)
}

/// Bits needed to write every number below `n` (at least 1).
pub fn bits_for(n: usize) -> usize {
    (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1) as usize
}

impl LabelScheme {
    /// A 2-D Gray scheme for an image of `rows x cols` pixels, with as many bits as needed.
    pub fn image(rows: usize, cols: usize) -> Self {
        LabelScheme::Gray2d { rows, cols, bits_x: bits_for(cols), bits_y: bits_for(rows) }
    }

    /// Bits per label.
    pub fn bits(&self) -> usize {
        match *self {
            LabelScheme::Binary { bits, .. } | LabelScheme::Gray { bits } => bits,
            LabelScheme::Gray2d { bits_x, bits_y, .. } => bits_x + bits_y,
            LabelScheme::OneHot { n } => n,
        }
    }

    /// The raw bit string of neuron `i` of a layer of `n` neurons.
    pub fn label(&self, i: usize) -> Vec<u8> {
        match *self {
            LabelScheme::Binary { bits, offset } => bits_msb_first(i + offset, bits).collect(),
            LabelScheme::Gray { bits } => bits_msb_first(gray(i), bits).collect(),
            LabelScheme::Gray2d { cols, bits_x, bits_y, .. } => {
                let (r, c) = (i / cols, i % cols);
                bits_msb_first(gray(c), bits_x).chain(bits_msb_first(gray(r), bits_y)).collect()
            }
            LabelScheme::OneHot { n } => (0..n).map(|k| u8::from(k == i)).collect(),
        }
    }

    /// Checks that the scheme can label `n` distinct neurons.
    pub fn check(&self, n: usize) -> Result<()> {
        let fits = match *self {
            LabelScheme::Binary { bits, offset } => bits >= usize::BITS as usize || n + offset <= 1 << bits,
            LabelScheme::Gray { bits } => bits >= usize::BITS as usize || n <= 1 << bits,
            LabelScheme::Gray2d { rows, cols, bits_x, bits_y } => {
                rows * cols == n && cols <= 1 << bits_x && rows <= 1 << bits_y
            }
            LabelScheme::OneHot { n: m } => m == n,
        };
        if fits {
            Ok(())
        } else {
            Err(GenomeError::Config(format!("label scheme {self:?} cannot label {n} distinct neurons")))
        }
    }

    /// The labels of all `n` neurons as an `(n, bits)` `f32` matrix, each column divided by its
    /// maximum.
    pub fn matrix(&self, n: usize) -> Result<Vec<f32>> {
        self.check(n)?;
        let b = self.bits();
        let mut m: Vec<f32> = (0..n).flat_map(|i| self.label(i)).map(f32::from).collect();
        for col in 0..b {
            let max = (0..n).map(|i| m[i * b + col]).fold(0f32, f32::max);
            if max > 0.0 {
                for i in 0..n {
                    m[i * b + col] /= max;
                }
            }
        }
        Ok(m)
    }

    /// [`LabelScheme::matrix`] as a tensor on `device`.
    pub fn tensor(&self, n: usize, device: &Device) -> Result<Tensor> {
        Ok(Tensor::from_vec(self.matrix(n)?, (n, self.bits()), device)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_codes_and_bits() {
        assert_eq!((0..8).map(gray).collect::<Vec<_>>(), vec![0, 1, 3, 2, 6, 7, 5, 4]);
        for i in 0..1000 {
            assert_eq!((gray(i) ^ gray(i + 1)).count_ones(), 1);
        }
        assert_eq!(bits_msb_first(6, 4).collect::<Vec<_>>(), vec![0, 1, 1, 0]);
        assert_eq!((bits_for(28), bits_for(32), bits_for(33), bits_for(1)), (5, 5, 6, 1));
    }

    #[test]
    fn adjacent_grid_neurons_differ_in_exactly_one_bit() {
        let s = LabelScheme::image(28, 28);
        assert_eq!(s, LabelScheme::Gray2d { rows: 28, cols: 28, bits_x: 5, bits_y: 5 });
        assert_eq!(s.bits(), 10);
        let diff = |a: usize, b: usize| s.label(a).iter().zip(s.label(b)).filter(|(x, y)| **x != *y).count();
        for r in 0..28 {
            for c in 0..28 {
                let i = r * 28 + c;
                if c + 1 < 28 {
                    assert_eq!(diff(i, i + 1), 1, "({r}, {c}) right");
                }
                if r + 1 < 28 {
                    assert_eq!(diff(i, i + 28), 1, "({r}, {c}) down");
                }
            }
        }
        // Column bits come first: pixel (row 0, column 1) = x Gray 00001, y 00000.
        assert_eq!(s.label(1), vec![0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
        assert_eq!(s.label(28), vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn the_papers_schemes() {
        let hidden = LabelScheme::Binary { bits: 10, offset: 1 };
        assert_eq!(hidden.label(0), vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(hidden.label(799), bits_msb_first(800, 10).collect::<Vec<_>>());
        hidden.check(800).unwrap();
        assert!(hidden.check(1024).is_err());
        let out = LabelScheme::OneHot { n: 10 };
        assert_eq!(out.label(3), vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert!(out.check(11).is_err());
        assert!(LabelScheme::image(28, 28).check(800).is_err());
    }

    #[test]
    fn columns_are_divided_by_their_maximum() {
        // Binary 0..3 in 3 bits: the top bit is never set and stays 0.
        let m = LabelScheme::Binary { bits: 3, offset: 0 }.matrix(3).unwrap();
        assert_eq!(m, vec![0., 0., 0., 0., 0., 1., 0., 1., 0.]);
        assert!(LabelScheme::image(28, 28).matrix(784).unwrap().iter().all(|v| (0.0..=1.0).contains(v)));
        let t = LabelScheme::OneHot { n: 10 }.tensor(10, &Device::Cpu).unwrap();
        assert_eq!(t.dims(), &[10, 10]);
    }
}
