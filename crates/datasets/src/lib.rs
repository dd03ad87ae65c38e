//! Datasets of the innate papers, loaded from the files their authors publish.
//!
//! This crate reads MNIST and Fashion-MNIST (IDX, gzip-compressed or not), CIFAR-10 (binary
//! batches, or its JPEG copy through the image-folder reader), SVHN (MATLAB `.mat`), Omniglot
//! (the two zips of PNGs, with an N-way K-shot task sampler) and generic image folders. Every
//! loader checks what it reads (magic numbers, shapes, counts, sizes and the official checksums)
//! and fails with a message that names the file, what was expected, what was found and what to do.
//!
//! Images stay in memory as `u8`; [`ImageDataset::to_device`] uploads them once and batches are
//! gathered and normalised on the device by a seeded, shuffled iterator.
//!
//! The default feature `tensors` puts datasets on a Candle device ([`ImageDataset::to_device`],
//! batches, task tensors); without it the crate only reads and checks the files, and does not
//! compile Candle (the project's `cargo xtask` downloads and verifies data that way).
//!
//! Files live under a data root as `<root>/<dataset>/<official file names>`; the root is
//! `--data-dir`, else the `INNATE_DATA` environment variable, else `./data` (see [`data_root`]).
//!
//! ```no_run
//! use innate_datasets::{Dataset, Split, data_root};
//! # fn main() -> Result<(), innate_datasets::DataError> {
//! let root = data_root(None);
//! let train = Dataset::Mnist.load(&root, Split::Train)?;
//! assert_eq!(train.len(), 60_000);
//! let on_device = train.to_device(&candle_core::Device::Cpu)?;
//! for batch in on_device.shuffled(64, 0).take(3) {
//!     let batch = batch?;
//!     assert_eq!(batch.images.dims(), &[64, 1, 28, 28]); // f32 in [0, 1]
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod batches;
pub mod cifar;
pub mod dataset;
pub mod error;
pub mod files;
pub mod idx;
pub mod image_folder;
pub mod mat;
pub mod mnist;
pub mod omniglot;
mod par;
pub mod svhn;
pub mod tasks;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use batches::ShuffledBatches;
pub use dataset::ImageDataset;
#[cfg(feature = "tensors")]
pub use dataset::{Batch, DeviceDataset};
pub use error::{DataError, Result};
pub use files::{Provenance, SourceFile};
pub use omniglot::Omniglot;
pub use tasks::{ClassSplit, Task, TaskSampler, TaskSpec};

/// The environment variable naming the data root.
pub const DATA_ENV: &str = "INNATE_DATA";

/// The data root: `cli` if given, else `$INNATE_DATA`, else `./data`.
pub fn data_root(cli: Option<&Path>) -> PathBuf {
    if let Some(p) = cli {
        return p.to_path_buf();
    }
    match std::env::var_os(DATA_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from("data"),
    }
}

/// Training or test part of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training images.
    Train,
    /// The held-out test images.
    Test,
}

impl Split {
    /// `"train"` or `"test"`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// A dataset this crate can load, by its command-line name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dataset {
    /// `mnist`
    Mnist,
    /// `fashion-mnist`
    FashionMnist,
    /// `cifar-10`: the binary batches (official, or the 5,000-image subset).
    Cifar10,
    /// `cifar-10-jpeg`: the 60,000-image JPEG copy (approximate pixels).
    Cifar10Jpeg,
    /// `svhn`: cropped digits.
    Svhn,
    /// `omniglot`: as a classification set, background characters for training and evaluation
    /// characters for testing (for few-shot tasks use [`omniglot::load`] and [`TaskSampler`]).
    Omniglot,
    /// `folder:PATH`: `PATH/train/CLASS/*.png|jpg` and `PATH/test/CLASS/*.png|jpg`.
    Folder(PathBuf),
}

impl Dataset {
    /// Every named dataset (not folders).
    pub const ALL: [Dataset; 6] = [
        Dataset::Mnist,
        Dataset::FashionMnist,
        Dataset::Cifar10,
        Dataset::Cifar10Jpeg,
        Dataset::Svhn,
        Dataset::Omniglot,
    ];

    /// The folder under the data root that holds its files.
    pub fn folder(&self) -> &str {
        match self {
            Dataset::Mnist => "mnist",
            Dataset::FashionMnist => "fashion-mnist",
            Dataset::Cifar10 | Dataset::Cifar10Jpeg => cifar::FOLDER,
            Dataset::Svhn => svhn::FOLDER,
            Dataset::Omniglot => omniglot::FOLDER,
            Dataset::Folder(_) => "folder",
        }
    }

    /// Loads one split from `root` (ignored for `folder:PATH`).
    pub fn load(&self, root: &Path, split: Split) -> Result<ImageDataset> {
        match self {
            Dataset::Mnist => mnist::load(root, mnist::IdxDataset::Mnist, split),
            Dataset::FashionMnist => mnist::load(root, mnist::IdxDataset::FashionMnist, split),
            Dataset::Cifar10 => cifar::load(root, split),
            Dataset::Cifar10Jpeg => image_folder::load_cifar_jpeg(root, split),
            Dataset::Svhn => svhn::load(root, split),
            Dataset::Omniglot => omniglot_split(&omniglot::load(root, 28)?, split),
            Dataset::Folder(p) => {
                let d = image_folder::load_dir(
                    &p.join(split.name()),
                    &format!("{}/{}", p.display(), split.name()),
                )?;
                Ok(d)
            }
        }
    }
}

/// Omniglot as a classification dataset: one split's characters as classes.
fn omniglot_split(o: &Omniglot, split: Split) -> Result<ImageDataset> {
    let background = split == Split::Train;
    let mut images = Vec::new();
    let mut labels = Vec::new();
    let mut classes = Vec::new();
    for c in o.characters.iter().filter(|c| c.background == background) {
        for i in c.images.clone() {
            images.extend_from_slice(o.image(i));
            labels.push(classes.len() as u32);
        }
        classes.push(format!("{}/{}", c.alphabet, c.name));
    }
    ImageDataset::new(
        format!("omniglot/{}", if background { "background" } else { "evaluation" }),
        images,
        labels,
        [1, o.size, o.size],
        classes,
        o.sources.clone(),
    )
}

impl FromStr for Dataset {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "mnist" => Dataset::Mnist,
            "fashion-mnist" | "fashion_mnist" | "fmnist" | "f-mnist" => Dataset::FashionMnist,
            "cifar-10" | "cifar10" => Dataset::Cifar10,
            "cifar-10-jpeg" | "cifar10-jpeg" => Dataset::Cifar10Jpeg,
            "svhn" => Dataset::Svhn,
            "omniglot" => Dataset::Omniglot,
            _ => match s.strip_prefix("folder:") {
                Some(p) if !p.is_empty() => Dataset::Folder(PathBuf::from(p)),
                _ => return Err(DataError::UnknownDataset(s.to_string())),
            },
        })
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dataset::Mnist => write!(f, "mnist"),
            Dataset::FashionMnist => write!(f, "fashion-mnist"),
            Dataset::Cifar10 => write!(f, "cifar-10"),
            Dataset::Cifar10Jpeg => write!(f, "cifar-10-jpeg"),
            Dataset::Svhn => write!(f, "svhn"),
            Dataset::Omniglot => write!(f, "omniglot"),
            Dataset::Folder(p) => write!(f, "folder:{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Dataset::ALL {
            assert_eq!(d.to_string().parse::<Dataset>().unwrap(), d);
        }
        assert_eq!("folder:/x".parse::<Dataset>().unwrap(), Dataset::Folder("/x".into()));
        let e = "imagenet".parse::<Dataset>().unwrap_err().to_string();
        assert!(e.contains("imagenet") && e.contains("mnist"), "{e}");
        assert!("folder:".parse::<Dataset>().is_err());
    }

    #[test]
    fn explicit_root_wins() {
        assert_eq!(data_root(Some(Path::new("/a"))), PathBuf::from("/a"));
    }

    #[test]
    fn omniglot_as_classification() {
        let t = omniglot::tests::fixture_root(2, 3);
        let d = Dataset::Omniglot.load(t.path(), Split::Test).unwrap();
        assert_eq!(d.len(), 6);
        assert_eq!(d.classes.len(), 2);
        assert_eq!(d.class_counts(), vec![3, 3]);
    }
}
