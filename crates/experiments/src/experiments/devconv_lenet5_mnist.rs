//! `devconv-lenet5-mnist`: LeNet-5 on MNIST in its three variants (developmental priors,
//! "Developmental priming ... LeNet-5" and Methods "Training LeNet-5").
//!
//! The standard network (61,706 parameters), the same network without weight sharing (423,038),
//! and that locally connected network developed from an S-GEM genome of 150 genes per
//! convolution and 30 per linear layer (28,796 learned parameters in our reading; the paper
//! states 29,457, "2x" against the standard network: see `innate_devconv::lenet5`). Trained with
//! the paper's protocol (see [`crate::lenet`]).

use std::path::Path;

use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::lenet::{self, Arm, Variant};
use crate::profile::Profile;
use crate::rows::Row;
use innate_run::RunConfig;

/// Genes per convolution of the paper's MNIST S-GEM LeNet-5.
pub const GENES: usize = 150;

/// The experiment.
pub fn experiment() -> Experiment {
    Experiment {
        name: "devconv-lenet5-mnist",
        title: "LeNet-5 on MNIST: standard, locally connected, and developed from an S-GEM genome",
        source: "developmental priors, Results (LeNet-5: 98.95 ± 0.07% standard, 96.7 ± 0.2% S-GEM at 2x) and \
                 Methods (Developmental Convolutional Layer, Average pooling layer, Training LeNet-5)",
        caption: "Test accuracy on the 10,000 MNIST test images after each epoch, mean over seeds (line) with \
                  the range over seeds (band); dashed lines: the paper's accuracies. The quick profile trains a \
                  few epochs of two seeds; the paper's protocol is 200 epochs (--profile paper).",
        kind: Kind::Runs(Runs { runs, figure, figures: &[], claims }),
    }
}

fn arms() -> Vec<Arm> {
    vec![Arm {
        dataset: "mnist",
        label: "MNIST",
        variants: vec![
            (Variant::Standard, "98.95 ± 0.07%", "61,706"),
            (Variant::Local, "not reported", "423,038 (\"over 400,000\")"),
            (Variant::Sgem(GENES), "96.7 ± 0.2%", "29,457 (2x)"),
        ],
        paper: vec![(Variant::Standard, 0.9895), (Variant::Sgem(GENES), 0.967)],
        quick_epochs: 3,
        quick_seeds: 2,
    }]
}

fn runs(profile: Profile) -> Vec<(String, RunConfig)> {
    lenet::runs(&arms(), profile)
}

fn claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    lenet::claims(&arms(), rows)
}

fn figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    lenet::figure(&arms()[0], rows, stem)
}
