//! The one error type of this crate.
//!
//! Every message says which file or argument is at fault, what was expected, what was found and
//! what to do about it, so that a user can act on it without reading the source.

use std::path::{Path, PathBuf};

/// What went wrong while finding, checking or decoding a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file the dataset needs is not where the layout says it should be.
    #[error(
        "{dataset}: {} not found. Expected the layout <data root>/{dataset}/<official file names> \
         (data root: --data-dir, else INNATE_DATA, else ./data). Run `cargo xtask download {dataset}`, \
         or point --data-dir / INNATE_DATA at a folder that holds it{hint}",
        path.display()
    )]
    Missing {
        /// Dataset name as used on the command line.
        dataset: String,
        /// The path that was looked for (the first of the accepted alternatives).
        path: PathBuf,
        /// Extra advice, starting with "; " or empty.
        hint: String,
    },

    /// The file exists but could not be read.
    #[error("cannot read {}: {source}. Check that it exists and is readable", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// The file was read but its contents are not what the format or the official release says.
    #[error("{}: {problem}. {fix}", path.display())]
    Corrupt {
        /// The file (or `archive:member`).
        path: PathBuf,
        /// What was expected and what was found.
        problem: String,
        /// What to do about it.
        fix: String,
    },

    /// A dataset name on the command line that this crate does not know.
    #[error(
        "unknown dataset {0:?}: expected one of mnist, fashion-mnist, cifar-10, cifar-10-jpeg, svhn, \
         omniglot, or folder:PATH (PATH holding train/CLASS/*.png|jpg and test/CLASS/*.png|jpg)"
    )]
    UnknownDataset(String),

    /// A request that cannot be met with this data (for example 30-way tasks from 20 classes).
    #[error("{0}")]
    Invalid(String),

    /// An error from Candle while moving data to a device.
    #[error(transparent)]
    #[cfg(feature = "tensors")]
    Candle(#[from] candle_core::Error),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, DataError>;

impl DataError {
    /// A corrupt-file error whose fix is to fetch the file again.
    pub fn corrupt(path: impl AsRef<Path>, dataset: &str, problem: impl Into<String>) -> Self {
        DataError::Corrupt {
            path: path.as_ref().to_path_buf(),
            problem: problem.into(),
            fix: redownload_advice(dataset),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        DataError::Io { path: path.as_ref().to_path_buf(), source }
    }
}

/// The standard advice for a damaged file of `dataset`.
pub(crate) fn redownload_advice(dataset: &str) -> String {
    format!(
        "The file is damaged or is not the file this loader expects: delete it and run \
         `cargo xtask download {dataset}` (or copy it again from your mirror)"
    )
}
