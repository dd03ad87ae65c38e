//! The network a genome develops into, as a run's configuration names it.
//!
//! [`Network`] is a tagged enum, one variant per architecture, each holding exactly what it needs
//! (`{"kind": "slp"}`, `{"kind": "mlp", "hidden": [800]}`, `{"kind": "lenet5"}`); the input's
//! shape and the classes come from the dataset, and [`Network::arch`] combines them into the
//! [`Arch`] an encoding builds a genome for.

use innate_devconv::LeNet5Spec;
use innate_encodings::MlpSpec;
use innate_encodings::allcnn::AllCnnSpec;
use innate_evolution::LifetimeConfig;
use innate_evolution::lifetime::Optimizer;
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
    /// LeNet-5: two 5x5 convolutions with average pooling, then 120-84-classes
    /// (`innate_devconv::lenet5`).
    #[serde(rename = "lenet5")]
    LeNet5,
    /// All-CNN-C, the genomic-bottleneck paper's 9-layer all-convolutional CIFAR-10 network
    /// (`innate_encodings::allcnn`).
    #[serde(rename = "allcnn")]
    AllCnn {
        /// Maps of layers 1-3 (96 in the paper); layers 4-8 have twice as many.
        width: usize,
    },
}

/// The paper's All-CNN-C width (96 maps, then 192).
pub const ALLCNN_WIDTH: usize = 96;

/// A network's architecture for a given dataset: what an encoding builds a genome for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arch {
    /// An MLP (or single-layer perceptron) of these layer sizes.
    Mlp(MlpSpec),
    /// LeNet-5 for this input and these classes.
    LeNet5(LeNet5Spec),
    /// All-CNN-C for this input and these classes.
    AllCnn(AllCnnSpec),
}

impl Arch {
    /// A short name: `784-800-10`, `lenet5`.
    pub fn name(&self) -> String {
        match self {
            Arch::Mlp(spec) => spec.name(),
            Arch::LeNet5(_) => "lenet5".into(),
            Arch::AllCnn(a) => Network::AllCnn { width: a.width }.name(),
        }
    }

    /// Neurons per layer for the results: an MLP's sizes; for LeNet-5 the input, the two
    /// convolutions' outputs, the flattened features, the hidden layers and the classes; for
    /// All-CNN-C the input and each layer's maps.
    pub fn sizes(&self) -> Vec<usize> {
        match self {
            Arch::Mlp(spec) => spec.sizes.clone(),
            Arch::AllCnn(a) => {
                std::iter::once(a.input.iter().product()).chain(a.layers().iter().map(|l| l.c_out)).collect()
            }
            Arch::LeNet5(l) => {
                let lin = l.linear();
                vec![
                    l.channels * l.size * l.size,
                    l.conv1().outputs(),
                    l.conv2().outputs(),
                    lin[0],
                    lin[1],
                    lin[2],
                    lin[3],
                ]
            }
        }
    }
}

impl Network {
    /// An MLP with one hidden layer of `hidden` neurons.
    pub fn mlp(hidden: usize) -> Self {
        Network::Mlp { hidden: vec![hidden] }
    }

    /// The architecture for a dataset of `(channels, height, width)` images and `classes`
    /// classes: an error when the images do not fit it (LeNet-5 takes images up to 32x32).
    pub fn arch(&self, shape: [usize; 3], classes: usize) -> crate::Result<Arch> {
        let inputs = shape.iter().product();
        Ok(match self {
            Network::Slp => Arch::Mlp(MlpSpec::slp(inputs, classes)),
            Network::Mlp { hidden } => {
                let mut sizes = Vec::with_capacity(hidden.len() + 2);
                sizes.push(inputs);
                sizes.extend(hidden);
                sizes.push(classes);
                Arch::Mlp(MlpSpec { sizes, bias: true })
            }
            Network::LeNet5 => Arch::LeNet5(innate_devconv::lenet5::spec_for(shape, classes)?),
            Network::AllCnn { width } => {
                let spec = AllCnnSpec { input: shape, width: *width, classes };
                spec.out_size().map_err(|e| crate::RunError::Config(format!("--model allcnn: {e}")))?;
                Arch::AllCnn(spec)
            }
        })
    }

    /// A short name for run folders: `slp`, `mlp800`, `mlp784-784`, `lenet5`, `allcnn` (with
    /// the paper's width, else `allcnn32`).
    pub fn name(&self) -> String {
        match self {
            Network::Slp => "slp".into(),
            Network::LeNet5 => "lenet5".into(),
            Network::AllCnn { width: ALLCNN_WIDTH } => "allcnn".into(),
            Network::AllCnn { width } => format!("allcnn{width}"),
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

    /// The lifetime protocol the papers train this architecture with: the defaults of
    /// [`LifetimeConfig`] (developmental priors, "Learning on MNIST": Adam, batches of 64, up to
    /// 30,000 batches, the test set every 1,000, early stopping), and for LeNet-5 the Methods'
    /// "Training LeNet-5": Adam, batches of 128, up to 200 epochs, the test set every epoch, the
    /// best accuracy reported (no early stopping is stated, so none is used); for All-CNN-C the
    /// genomic-bottleneck paper's ("SGD ... learning rate of 0.05 and momentum of 0.9",
    /// minibatches of 128, no augmentation) for 100 epochs (it does not say how many), the test
    /// set every epoch, the best accuracy reported.
    pub fn protocol(&self) -> LifetimeConfig {
        match self {
            Network::Slp | Network::Mlp { .. } => LifetimeConfig::default(),
            Network::LeNet5 => {
                LifetimeConfig { batch_size: 128, epochs: 200, patience: 0, ..LifetimeConfig::default() }
            }
            Network::AllCnn { .. } => LifetimeConfig {
                batch_size: 128,
                epochs: 100,
                patience: 0,
                lr: 0.05,
                optimizer: Optimizer::Sgd { momentum: 0.9 },
                ..LifetimeConfig::default()
            },
        }
    }

    /// The architecture's kind, as its tag in files (`slp`, `mlp`, `lenet5`).
    pub fn kind(&self) -> &'static str {
        match self {
            Network::Slp => "slp",
            Network::Mlp { .. } => "mlp",
            Network::LeNet5 => "lenet5",
            Network::AllCnn { .. } => "allcnn",
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
            Network::AllCnn { width: 0 } => {
                crate::error::config("--width 0: All-CNN-C needs at least one map")
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
        let mlp = |n: &Network, shape, classes| match n.arch(shape, classes).unwrap() {
            Arch::Mlp(spec) => spec,
            other => panic!("{other:?}"),
        };
        assert_eq!(mlp(&Network::Slp, [1, 28, 28], 10).sizes, [784, 10]);
        assert_eq!(mlp(&Network::mlp(800), [1, 28, 28], 10).params(), 636_010);
        assert_eq!(mlp(&Network::Mlp { hidden: vec![784, 784] }, [1, 28, 28], 5).sizes, [784, 784, 784, 5]);
        let lenet = Network::LeNet5.arch([1, 28, 28], 10).unwrap();
        assert_eq!(
            (lenet.name(), lenet.sizes()),
            ("lenet5".to_string(), vec![784, 4704, 1600, 400, 120, 84, 10])
        );
        assert!(Network::LeNet5.arch([1, 64, 64], 10).unwrap_err().to_string().contains("at most 32x32"));
        assert_eq!(serde_json::to_value(Network::LeNet5).unwrap(), serde_json::json!({"kind": "lenet5"}));
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
        let all = Network::AllCnn { width: ALLCNN_WIDTH };
        assert_eq!(serde_json::to_value(&all).unwrap(), serde_json::json!({"kind": "allcnn", "width": 96}));
        let arch = all.arch([3, 32, 32], 10).unwrap();
        assert_eq!((arch.name(), arch.sizes()[0], arch.sizes()[9]), ("allcnn".to_string(), 3072, 10));
        assert_eq!(Network::AllCnn { width: 32 }.name(), "allcnn32");
        assert!(all.arch([1, 8, 8], 10).unwrap_err().to_string().contains("--model allcnn"));
        assert!(Network::AllCnn { width: 0 }.validate().is_err());
        assert_eq!(all.protocol().optimizer, Optimizer::Sgd { momentum: 0.9 });
    }
}
