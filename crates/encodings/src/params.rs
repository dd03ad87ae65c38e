//! Exact parameter accounting: what a genome learns, what it keeps fixed, and what it develops.

use serde::{Deserialize, Serialize};

/// Parameter counts of a genome and of the network it develops.
///
/// `learned` counts the genome tensors an optimiser updates. `fixed` counts tensors that take
/// part in development but are not learned (random projections, fixed expression matrices); the
/// papers do not count them, so neither does [`ParamCount::compression`]. `phenotype` counts the
/// weights and biases of the developed network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamCount {
    /// Learned genome parameters.
    pub learned: usize,
    /// Fixed (not learned) genome parameters.
    pub fixed: usize,
    /// Parameters of the developed network.
    pub phenotype: usize,
}

impl ParamCount {
    /// Phenotype parameters per learned genome parameter (the papers' compression ratio).
    pub fn compression(&self) -> f64 {
        self.phenotype as f64 / self.learned.max(1) as f64
    }

    /// Learned genome parameters as a percentage of the phenotype's.
    pub fn percent_of_phenotype(&self) -> f64 {
        100.0 * self.learned as f64 / self.phenotype.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios() {
        let p = ParamCount { learned: 1_973, fixed: 0, phenotype: 636_010 };
        assert!((p.compression() - 322.357).abs() < 1e-3);
        assert!((p.percent_of_phenotype() - 0.3102).abs() < 1e-4);
    }
}
