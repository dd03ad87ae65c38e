//! Experiment profiles: how much of the papers' protocol a reproduction runs.

use serde::{Deserialize, Serialize};

/// An experiment profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Few seeds and shortened sweeps: minutes on 2 CPU cores.
    Quick,
    /// The papers' protocol and seeds (for a GPU or a long night).
    Paper,
    /// A few batches of every experiment, for testing the pipeline on the fixtures.
    Smoke,
}

impl Profile {
    /// `"quick"`, `"paper"` or `"smoke"`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Paper => "paper",
            Profile::Smoke => "smoke",
        }
    }
}
