//! Errors of genomes and their checkpoints.

use std::path::PathBuf;

/// What went wrong building, developing, saving or loading a genome.
#[derive(Debug, thiserror::Error)]
pub enum GenomeError {
    /// A tensor operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),

    /// A checkpoint could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A file that is not a genome checkpoint of this project, or is damaged.
    #[error("{}: {problem}. Expected a genome file written by `innate train` (safetensors with innate metadata)", path.display())]
    NotAGenome {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },

    /// A configuration that cannot describe a genome (for example an empty layer).
    #[error("invalid genome configuration: {0}")]
    Config(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, GenomeError>;
