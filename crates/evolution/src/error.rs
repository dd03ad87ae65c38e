//! Errors of training strategies.

/// What went wrong while training a genome.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Settings that cannot work (zero batch size, negative learning rate, ...).
    #[error("invalid training settings: {0}")]
    Config(String),

    /// The loss became NaN or infinite.
    #[error(
        "training diverged: the loss is not a finite number {at}. Lower the learning rate (it is {lr:?}) and run again"
    )]
    Diverged {
        /// Batches done when it was noticed.
        batches: usize,
        /// Where, in words (`after 1,200 batches`, `in generation 7`).
        at: String,
        /// The learning rate used.
        lr: f64,
    },

    /// The training loss went back to chance after the network had learned, and stayed there.
    #[error(
        "training collapsed: the mean training loss has been at chance (ln {classes} = {chance:.4}; the \
         network's outputs no longer depend on its input) for {steps} {unit} in a row, since {since}, \
         after it had learned. Lower the learning rate (it is {lr:?}), or try another seed; \
         collapse_after 0 in the strategy's settings lets such a run go on"
    )]
    Collapsed {
        /// Classes of the task.
        classes: usize,
        /// `ln classes`.
        chance: f64,
        /// Steps at chance in a row.
        steps: usize,
        /// What a step is (`evaluations`, `generations`).
        unit: &'static str,
        /// Where the run at chance began, in words (`after 1,200 batches`, `generation 7`).
        since: String,
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
