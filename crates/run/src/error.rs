//! Errors of the run layer: each says what was expected, what was found and what to do.

use std::path::PathBuf;

/// What went wrong while configuring, building, loading or executing a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A setting that cannot work, or settings that do not fit together; the message names the
    /// flag or field and what to do.
    #[error("{0}")]
    Config(String),

    /// A genome file's metadata describes a genome that cannot be built again.
    #[error("{}: cannot rebuild the {encoding} genome", path.display())]
    Rebuild {
        /// The genome file.
        path: PathBuf,
        /// The encoding its metadata names.
        encoding: String,
        /// Why.
        #[source]
        source: Box<innate_encodings::GenomeError>,
    },

    /// The network a run starts from does not have the run's shape.
    #[error("{}: its network does not have the shape of this run's {spec}", path.display())]
    StartShape {
        /// The genome file the run starts from.
        path: PathBuf,
        /// The run's network, such as `784-800-10`.
        spec: String,
        /// Why.
        #[source]
        source: Box<innate_encodings::GenomeError>,
    },

    /// Writing a run's genome file failed.
    #[error("cannot save the genome into {}", dir.display())]
    Save {
        /// The run folder.
        dir: PathBuf,
        /// Why.
        #[source]
        source: Box<innate_encodings::GenomeError>,
    },

    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// A JSON file of innate's (metrics.json, transfer.json) is not one this version reads.
    #[error("{} is not a {what} of this version of innate", path.display())]
    NotOurs {
        /// The file.
        path: PathBuf,
        /// What it should be (`metrics file`, ...).
        what: &'static str,
        /// Why.
        #[source]
        source: serde_json::Error,
    },

    /// Reading or checking a dataset failed.
    #[error(transparent)]
    Data(Box<innate_datasets::DataError>),

    /// Building, developing or saving a genome failed.
    #[error(transparent)]
    Genome(Box<innate_encodings::GenomeError>),

    /// Training failed.
    #[error(transparent)]
    Train(Box<innate_evolution::TrainError>),

    /// A run stopped because its training diverged or collapsed.
    #[error("the run in {} stopped: {source}; {kept}", dir.display())]
    Stopped {
        /// The run folder.
        dir: PathBuf,
        /// What of the run is left (its last good checkpoint, if any).
        kept: String,
        /// Why.
        source: Box<innate_evolution::TrainError>,
    },

    /// A tensor operation failed.
    #[error(transparent)]
    Candle(Box<candle_core::Error>),

    /// Talking to the Hugging Face Hub failed.
    #[error(transparent)]
    Hub(Box<crate::hub::errors::HubError>),

    /// Writing JSON failed.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// `From` for the errors the run layer passes on (boxed, so that a `Result` stays small).
macro_rules! boxed_from {
    ($($variant:ident($error:ty),)+) => {
        $(impl From<$error> for RunError {
            fn from(e: $error) -> Self {
                RunError::$variant(Box::new(e))
            }
        })+
    };
}

boxed_from! {
    Data(innate_datasets::DataError),
    Genome(innate_encodings::GenomeError),
    Train(innate_evolution::TrainError),
    Candle(candle_core::Error),
    Hub(crate::hub::errors::HubError),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, RunError>;

/// A [`RunError::Config`] with `message`.
pub(crate) fn config<T>(message: impl Into<String>) -> Result<T> {
    Err(RunError::Config(message.into()))
}
