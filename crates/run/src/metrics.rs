//! What a run measured: [`Metrics`], written as the run folder's `metrics.json` and held by every
//! experiment's result row.
//!
//! It is the strategy's [`Report`] (accuracies, learning curve, seconds; its fields sit at the top
//! level of the JSON, under the names they have always had) with what the run layer adds: the
//! genome's parameter counts, the data, the device, and the run's [`RunConfig`].

use std::path::Path;

use innate_evolution::Report;
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::error::{Result, RunError};

/// What a run measured; written as `metrics.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metrics {
    /// Dataset name.
    pub dataset: String,
    /// Encoding name.
    pub encoding: String,
    /// The network's kind (`slp`, `mlp`): a copy of the configuration's, kept at the top level
    /// for scripts that read it there.
    #[serde(default)]
    pub model: String,
    /// Layer sizes of the network.
    pub sizes: Vec<usize>,
    /// Genes per neuron (GEM family): a copy of the configuration's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genes: Option<usize>,
    /// Basis vectors (random basis): a copy of the configuration's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<usize>,
    /// Weights (synapses) of the developed network, biases excluded: the papers' reference for
    /// "% of parameters".
    #[serde(default)]
    pub phenotype_weights: usize,
    /// Seed.
    pub seed: u64,
    /// Learned genome parameters.
    pub genome_params: usize,
    /// Fixed (not learned) genome parameters.
    pub genome_fixed_params: usize,
    /// Parameters of the developed network.
    pub phenotype_params: usize,
    /// `phenotype_params / genome_params`.
    pub compression: f64,
    /// Seconds to load and check the dataset.
    pub data_load_seconds: f64,
    /// Training images used.
    pub train_images: usize,
    /// Test images evaluated on.
    pub test_images: usize,
    /// Device the run used.
    pub device: String,
    /// Version of innate.
    pub innate_version: String,
    /// What the training strategy reported.
    #[serde(flatten)]
    pub report: Report,
    /// The run's configuration (written before configurations were data, it reads as well).
    #[serde(deserialize_with = "crate::legacy::deserialize")]
    pub config: RunConfig,
}

impl Metrics {
    /// Learned genome parameters as a percentage of the network's weights (the papers' x axis).
    pub fn percent_of_weights(&self) -> f64 {
        100.0 * self.genome_params as f64 / self.phenotype_weights.max(1) as f64
    }

    /// The JSON of the genome file's `metrics` metadata: everything but the curve and the
    /// configuration (which the file holds as its `run`).
    pub fn summary(&self) -> Result<serde_json::Value> {
        let mut v = serde_json::to_value(self)?;
        if let Some(m) = v.as_object_mut() {
            m.remove("curve");
            m.remove("config");
        }
        Ok(v)
    }
}

/// Reads `dir/metrics.json`.
pub fn read_metrics(dir: &Path) -> Result<Metrics> {
    let path = dir.join("metrics.json");
    let text =
        std::fs::read_to_string(&path).map_err(|source| RunError::Read { path: path.clone(), source })?;
    serde_json::from_str(&text).map_err(|source| RunError::NotOurs { path, what: "metrics file", source })
}
