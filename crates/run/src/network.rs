//! The network a genome develops into, as a run's configuration names it.
//!
//! [`Network`] is a tagged enum, one variant per architecture, each holding exactly what it needs
//! (`{"kind": "slp"}`, `{"kind": "mlp", "hidden": [800]}`); the input and class counts come from
//! the dataset. Convolutional architectures join as variants of their own; what is MLP-specific
//! today is the phenotype the encodings build (`MlpSpec` in `BuildContext`, `Mlp` developed), which
//! the first convolutional phenotype generalises without touching these two variants.

use innate_encodings::MlpSpec;
use serde::{Deserialize, Serialize};

/// A network architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Network {
    /// Single-layer perceptron: inputs -> classes (a linear classifier).
    Slp,
    /// Multilayer perceptron: inputs -> hidden layers (ReLU) -> classes.
    Mlp {
        /// Neurons of each hidden layer, input side first (at least one).
        hidden: Vec<usize>,
    },
}

impl Network {
    /// An MLP with one hidden layer of `hidden` neurons.
    pub fn mlp(hidden: usize) -> Self {
        Network::Mlp { hidden: vec![hidden] }
    }

    /// The layer sizes for `inputs` and `classes`, with biases.
    pub fn spec(&self, inputs: usize, classes: usize) -> MlpSpec {
        match self {
            Network::Slp => MlpSpec::slp(inputs, classes),
            Network::Mlp { hidden } => {
                let mut sizes = Vec::with_capacity(hidden.len() + 2);
                sizes.push(inputs);
                sizes.extend(hidden);
                sizes.push(classes);
                MlpSpec { sizes, bias: true }
            }
        }
    }

    /// A short name for run folders: `slp`, `mlp800`, `mlp784-784`.
    pub fn name(&self) -> String {
        match self {
            Network::Slp => "slp".into(),
            Network::Mlp { hidden } => {
                format!("mlp{}", hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join("-"))
            }
        }
    }

    /// The architecture whose layer sizes are `sizes` (input first): an SLP for two sizes, an
    /// MLP otherwise; `None` for fewer than two.
    pub fn of_sizes(sizes: &[usize]) -> Option<Self> {
        match sizes {
            [] | [_] => None,
            [_, _] => Some(Network::Slp),
            [_, hidden @ .., _] => Some(Network::Mlp { hidden: hidden.to_vec() }),
        }
    }

    /// The architecture's kind, as its tag in files (`slp`, `mlp`).
    pub fn kind(&self) -> &'static str {
        match self {
            Network::Slp => "slp",
            Network::Mlp { .. } => "mlp",
        }
    }

    /// Checks that the architecture can be built: an MLP has at least one hidden layer, none of
    /// them empty.
    pub fn validate(&self) -> crate::Result<()> {
        match self {
            Network::Mlp { hidden } if hidden.is_empty() || hidden.contains(&0) => {
                crate::error::config(format!(
                    "an MLP needs at least one hidden layer, none of them empty; got hidden sizes {hidden:?} \
                 (a network without hidden layers is the single-layer perceptron, slp)"
                ))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_names_and_json() {
        assert_eq!(Network::Slp.spec(784, 10).sizes, [784, 10]);
        assert_eq!(Network::mlp(800).spec(784, 10).params(), 636_010);
        assert_eq!(Network::Mlp { hidden: vec![784, 784] }.spec(784, 5).sizes, [784, 784, 784, 5]);
        assert_eq!(Network::mlp(800).name(), "mlp800");
        assert_eq!(Network::Mlp { hidden: vec![784, 784] }.name(), "mlp784-784");
        assert_eq!(
            serde_json::to_value(Network::mlp(784)).unwrap(),
            serde_json::json!({"kind": "mlp", "hidden": [784]})
        );
        assert_eq!(serde_json::to_value(Network::Slp).unwrap(), serde_json::json!({"kind": "slp"}));
        assert_eq!(Network::of_sizes(&[784, 10]), Some(Network::Slp));
        assert_eq!(Network::of_sizes(&[784, 800, 10]), Some(Network::mlp(800)));
        assert_eq!(Network::of_sizes(&[784]), None);
        assert!(Network::Mlp { hidden: vec![] }.validate().is_err());
        assert!(Network::Mlp { hidden: vec![3, 0] }.validate().is_err());
        assert!(Network::mlp(3).validate().is_ok() && Network::Slp.validate().is_ok());
        assert_eq!((Network::Slp.kind(), Network::mlp(3).kind()), ("slp", "mlp"));
    }
}
