//! The paper's MNIST p-network and its g-network presets (Table 1).
//!
//! The p-network is 784-800-10 with biases (636,010 parameters). Input neurons carry 2-D Gray
//! labels (5 bits of column, 5 of row), hidden neurons the binary numbers 1-800 in 10 bits, output
//! neurons one-hot labels of 10 bits. Each preset has two weight g-networks `(20-H1-H2-1)`, a
//! `10-5-1` g-network for the 800 hidden biases, and the 10 output biases kept raw:
//!
//! | preset | weight g-networks | parameters | compression |
//! | --- | --- | ---: | ---: |
//! | GN5 | (20-10-5-1) x 2 | 613 | 1038x |
//! | GN20 | (20-20-10-1) x 2 | 1,353 | 470x |
//! | GN30 | (20-30-10-1) x 2 | 1,973 | 322x |

use serde::{Deserialize, Serialize};

use innate_encodings::labels::bits_for;
use innate_encodings::{LabelScheme, MlpSpec};

use crate::network::{BiasEncoding, GnetConfig};

/// The g-network sizes of Table 1 (MNIST: GN5, GN20, GN30) and Table 2 (CIFAR-10: GN10, GN30,
/// GN50; `crate::conv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// (20-10-5-1) x 2: 613 parameters.
    Gn5,
    /// (20-20-10-1) x 2: 1,353 parameters.
    Gn20,
    /// (20-30-10-1) x 2: 1,973 parameters; for CIFAR-10, x 9: 9,378.
    Gn30,
    /// CIFAR-10 only: (20-10-10-1) x 9: 3,798 parameters.
    Gn10,
    /// CIFAR-10 only: (20-50-10-1) x 9: 14,958 parameters.
    Gn50,
}

impl Preset {
    /// Table 1's presets (MNIST), smallest first.
    pub const ALL: [Preset; 3] = [Preset::Gn5, Preset::Gn20, Preset::Gn30];

    /// Table 2's presets (CIFAR-10), smallest first.
    pub const CIFAR: [Preset; 3] = [Preset::Gn10, Preset::Gn30, Preset::Gn50];

    /// Hidden sizes of the weight g-networks.
    pub fn hidden(self) -> [usize; 2] {
        match self {
            Preset::Gn5 => [10, 5],
            Preset::Gn20 => [20, 10],
            Preset::Gn30 => [30, 10],
            Preset::Gn10 => [10, 10],
            Preset::Gn50 => [50, 10],
        }
    }

    /// `gn5`, `gn20`, `gn30`, `gn10` or `gn50`.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Gn5 => "gn5",
            Preset::Gn20 => "gn20",
            Preset::Gn30 => "gn30",
            Preset::Gn10 => "gn10",
            Preset::Gn50 => "gn50",
        }
    }
}

/// Any MLP encoded the paper's way: input neurons labelled by 2-D Gray codes when `image` gives
/// their grid (else by binary numbers), hidden neurons by their binary numbers from 1, output
/// neurons one-hot; weight g-networks with hidden sizes `hidden`; a `bits-5-1` bias g-network
/// for every layer but the last, whose biases are raw.
pub fn for_mlp(
    name: &str,
    spec: &MlpSpec,
    image: Option<(usize, usize)>,
    hidden: &[usize],
    seed: u64,
) -> GnetConfig {
    let n = spec.sizes.len();
    let mut labels = Vec::with_capacity(n);
    labels.push(match image {
        Some((rows, cols)) if rows * cols == spec.sizes[0] => LabelScheme::image(rows, cols),
        _ => LabelScheme::Binary { bits: bits_for(spec.sizes[0] + 1), offset: 1 },
    });
    for &h in &spec.sizes[1..n - 1] {
        labels.push(LabelScheme::Binary { bits: bits_for(h + 1), offset: 1 });
    }
    labels.push(LabelScheme::OneHot { n: spec.sizes[n - 1] });
    let mut biases = vec![BiasEncoding::Net { hidden: vec![5] }; n - 2];
    biases.push(BiasEncoding::Raw);
    GnetConfig {
        name: name.to_string(),
        spec: MlpSpec { bias: true, ..spec.clone() },
        labels,
        weight_hidden: hidden.to_vec(),
        biases,
        seed,
    }
}

/// The MNIST p-network (784-800-10) encoded by weight g-networks with hidden sizes `hidden`,
/// a 10-5-1 bias g-network for the hidden layer and raw output biases.
pub fn mnist_custom(name: &str, hidden: &[usize], seed: u64) -> GnetConfig {
    for_mlp(name, &MlpSpec::mlp(784, 800, 10), Some((28, 28)), hidden, seed)
}

/// A preset of Table 1 for the MNIST p-network.
pub fn mnist_config(preset: Preset, seed: u64) -> GnetConfig {
    mnist_custom(preset.name(), &preset.hidden(), seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mnist_labels_are_the_papers() {
        let c = mnist_config(Preset::Gn30, 0);
        assert_eq!(
            c.labels,
            vec![
                LabelScheme::Gray2d { rows: 28, cols: 28, bits_x: 5, bits_y: 5 },
                LabelScheme::Binary { bits: 10, offset: 1 },
                LabelScheme::OneHot { n: 10 },
            ]
        );
        assert_eq!(c.biases, vec![BiasEncoding::Net { hidden: vec![5] }, BiasEncoding::Raw]);
        // Without an image grid, inputs are numbered.
        let other = for_mlp("x", &MlpSpec::mlp(3072, 100, 10), None, &[8], 0);
        assert_eq!(other.labels[0], LabelScheme::Binary { bits: 12, offset: 1 });
        assert_eq!(other.labels[1], LabelScheme::Binary { bits: 7, offset: 1 });
    }
}
