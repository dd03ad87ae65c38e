//! Errors of training strategies.

/// What went wrong while training a genome.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Settings that cannot work (zero batch size, negative learning rate, ...).
    #[error("invalid training settings: {0}")]
    Config(String),

    /// The loss became NaN or infinite.
    #[error(
        "training diverged: the loss is not a finite number after {batches} batches. Lower the \
         learning rate (it is {lr}) and run again"
    )]
    Diverged {
        /// Batches done when it was noticed.
        batches: usize,
        /// The learning rate used.
        lr: f64,
    },

    /// Reading data failed.
    #[error(transparent)]
    Data(#[from] innate_datasets::DataError),

    /// Building, developing or saving a genome failed.
    #[error(transparent)]
    Genome(#[from] innate_encodings::GenomeError),

    /// A tensor operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, TrainError>;
