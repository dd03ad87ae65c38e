//! The transfer test: a network that starts as a genome's developed network learns a dataset
//! beside one that starts from random weights, with the same seed and batch order.

use std::path::{Path, PathBuf};

use innate_evolution::{EvalPoint, LifetimeConfig, StrategyConfig};
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::encoding::Encoding;
use crate::error::Result;
use crate::execute::{RunEnv, execute};
use crate::network::Network;

/// What the transfer test writes as `transfer.json`: both learning curves side by side.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferReport {
    /// The genome that initialised the innate network.
    pub from: PathBuf,
    /// The dataset both networks learned.
    pub dataset: String,
    /// Test accuracy of the innate network before training.
    pub innate_start: f64,
    /// Test accuracy of the randomly initialised network before training.
    pub naive_start: f64,
    /// Best test accuracy of the innate network.
    pub innate_best: f64,
    /// Best test accuracy of the naive network.
    pub naive_best: f64,
    /// Innate network: (batches, test accuracy) at every evaluation.
    pub innate_curve: Vec<EvalPoint>,
    /// Naive network: (batches, test accuracy) at every evaluation.
    pub naive_curve: Vec<EvalPoint>,
}

/// The two runs of a transfer test: `innate`, a directly learned network initialised from the
/// genome at `from` (whose network has layer sizes `sizes`), and `naive`, one initialised at
/// random, both learning `dataset` with `lifetime` and the same seed.
pub fn transfer_runs(
    from: &Path,
    dataset: &str,
    sizes: &[usize],
    lifetime: LifetimeConfig,
    seed: u64,
) -> Result<[(String, RunConfig); 2]> {
    let network = match Network::of_sizes(sizes) {
        Some(n @ Network::Slp) => n,
        Some(n @ Network::Mlp { .. }) if sizes.len() == 3 => n,
        _ => {
            return crate::error::config(format!(
                "{}: its network has {} layers; transfer handles single-layer perceptrons and MLPs with one \
                 hidden layer",
                from.display(),
                sizes.len().saturating_sub(1)
            ));
        }
    };
    let naive =
        RunConfig::new(dataset, network, Encoding::direct(), StrategyConfig::EndToEnd(lifetime), seed);
    let innate = RunConfig { encoding: Encoding::direct_from(from), ..naive.clone() };
    Ok([("innate".to_string(), innate), ("naive".to_string(), naive)])
}

/// Runs the transfer test from the genome at `from` (whose network has layer sizes `sizes`, see
/// [`crate::LoadedGenome::sizes`]) on `dataset` into `out/innate`, `out/naive` and
/// `out/transfer.json`; both runs take their seed from `lifetime`.
pub fn transfer(
    from: &Path,
    sizes: &[usize],
    dataset: &str,
    lifetime: LifetimeConfig,
    env: &RunEnv<'_>,
    out: &Path,
    quiet: bool,
) -> Result<TransferReport> {
    let mut results = Vec::new();
    let seed = lifetime.seed;
    for (name, config) in transfer_runs(from, dataset, sizes, lifetime, seed)? {
        results.push(execute(&config, env, &out.join(&name), quiet)?);
    }
    let start = |m: &crate::Metrics| m.report.curve.first().map_or(0.0, |p| p.test_accuracy);
    let report = TransferReport {
        from: from.to_path_buf(),
        dataset: dataset.to_string(),
        innate_start: start(&results[0]),
        naive_start: start(&results[1]),
        innate_best: results[0].report.best_test_accuracy,
        naive_best: results[1].report.best_test_accuracy,
        innate_curve: results[0].report.curve.clone(),
        naive_curve: results[1].report.curve.clone(),
    };
    innate_encodings::checkpoint::write_atomic(
        &out.join("transfer.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    Ok(report)
}
