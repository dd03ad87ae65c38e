//! `devconv-lenet5-cifar`: LeNet-5 on CIFAR-10, standard against developed from an S-GEM genome
//! of 229 genes per convolution at about the standard network's parameter count (developmental
//! priors, Results and Methods "Training LeNet-5"), with the locally connected network both
//! compress.
//!
//! Two copies of CIFAR-10, labelled: all 60,000 images as lossy JPEG (`cifar-10-jpeg`: the
//! official 50,000 / 10,000 split, the only full copy here, so its pixels are not exactly the
//! paper's) and the exact official pixels of a 5,000-image subset (`cifar-10`: 4,000 training and
//! 1,000 test images, see `innate_datasets::cifar`).

use std::path::Path;

use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::lenet::{self, Arm, Variant};
use crate::profile::Profile;
use crate::rows::Row;
use innate_run::RunConfig;

/// Genes per convolution of the paper's CIFAR-10 S-GEM LeNet-5.
pub const GENES: usize = 229;

/// The experiment.
pub fn experiment() -> Experiment {
    Experiment {
        name: "devconv-lenet5-cifar",
        title: "LeNet-5 on CIFAR-10: standard against developed from an S-GEM genome at equal parameters",
        source: "developmental priors, Results (CIFAR-10: unencoded 50.6 ± 0.5%, S-GEM 52.5 ± 0.6% with an \
                 equivalent number of parameters, a 7x compression of the non-weight-shared network) and \
                 Methods (Training LeNet-5: 229 genes per convolutional layer)",
        caption: "Test accuracy after each epoch, mean over seeds (line) with the range over seeds (band); dashed \
                  lines: the paper's accuracies (on the official 50,000 / 10,000 images). First figure: the lossy \
                  JPEG copy of all 60,000 images, the official split; second (-subset): the exact pixels of the \
                  5,000-image subset, 4,000 training and 1,000 test images. The quick profile trains few epochs \
                  and seeds; the paper's protocol is 200 epochs (--profile paper).",
        kind: Kind::Runs(Runs { runs, figure, figures: &["-subset"], claims }),
    }
}

fn arms() -> Vec<Arm> {
    let variants = || {
        vec![
            (Variant::Standard, "50.6 ± 0.5% (\"unencoded\")", "62,006 (our derivation; not stated)"),
            (Variant::Local, "not reported", "not stated (on MNIST 423,038, \"7x\" the standard network's)"),
            (Variant::Sgem(GENES), "52.5 ± 0.6%", "about the standard network's (\"equivalent\")"),
        ]
    };
    let paper = || vec![(Variant::Standard, 0.506), (Variant::Sgem(GENES), 0.525)];
    vec![
        Arm {
            dataset: "cifar-10-jpeg",
            label: "CIFAR-10 (all 60,000 images as lossy JPEG)",
            variants: variants(),
            paper: paper(),
            quick_epochs: 2,
            quick_seeds: 1,
        },
        Arm {
            dataset: "cifar-10",
            label: "CIFAR-10 (exact 5,000-image subset: 4,000 train, 1,000 test)",
            variants: variants(),
            paper: paper(),
            quick_epochs: 10,
            quick_seeds: 2,
        },
    ]
}

fn runs(profile: Profile) -> Vec<(String, RunConfig)> {
    lenet::runs(&arms(), profile)
}

fn claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    lenet::claims(&arms(), rows)
}

fn figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    let arms = arms();
    lenet::figure(&arms[0], rows, stem)?;
    lenet::figure(&arms[1], rows, &crate::figures::plot::with_suffix(stem, "-subset"))
}
