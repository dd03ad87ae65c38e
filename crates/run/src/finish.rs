//! What every run does once its strategy has reported: its [`Metrics`] and its run folder
//! (`genome.safetensors` and `metrics.json`, each written atomically).

use std::path::Path;

use innate_encodings::{Genome, Net};
use innate_evolution::Report;

use crate::config::RunConfig;
use crate::env::RunEnv;
use crate::error::{Result, RunError};
use crate::metrics::Metrics;
use crate::network::Arch;

/// The data a run learned from, for its metrics.
pub(crate) struct DataFacts {
    /// Seconds to load and check it.
    pub load_seconds: f64,
    /// Training images (meta-learning: images of the meta-training characters).
    pub train_images: usize,
    /// Test images (meta-learning: images of the held-out characters).
    pub test_images: usize,
}

/// Logs what a run is about to train.
pub(crate) fn log_start(
    genome: &(dyn Genome<Phenotype = Net> + '_),
    arch: &Arch,
    config: &RunConfig,
    out: &Path,
) {
    let params = genome.params();
    tracing::info!(
        "training {} {} on {} ({} genome parameters, {} phenotype parameters) -> {}",
        genome.encoding(),
        arch.name(),
        config.dataset,
        params.learned,
        params.phenotype,
        out.display()
    );
}

/// Wraps a strategy's report in [`Metrics`] and writes the run folder: `genome.safetensors` (the
/// report's best tensors) and `metrics.json`, each atomically.
pub(crate) fn finish(
    config: &RunConfig,
    env: &RunEnv<'_>,
    out: &Path,
    genome: &(dyn Genome<Phenotype = Net> + '_),
    arch: &Arch,
    mut report: Report,
    data: DataFacts,
) -> Result<Metrics> {
    let params = genome.params();
    // The developed network's weights (synapses), its biases left out: the papers' reference for
    // "% of parameters".
    let weights: usize = innate_encodings::Parameters::parameters(&genome.develop()?)
        .iter()
        .filter(|(name, _)| name.ends_with(".weight"))
        .map(|(_, t)| t.elem_count())
        .sum();
    let best_tensors = std::mem::take(&mut report.best_tensors);
    let metrics = Metrics {
        dataset: config.dataset.clone(),
        encoding: genome.encoding().to_string(),
        model: config.network.kind().to_string(),
        sizes: arch.sizes(),
        genes: config.encoding.genes(),
        basis: config.encoding.basis(),
        phenotype_weights: weights,
        seed: config.seed,
        genome_params: params.learned,
        genome_fixed_params: params.fixed,
        phenotype_params: params.phenotype,
        compression: params.compression(),
        data_load_seconds: data.load_seconds,
        train_images: data.train_images,
        test_images: data.test_images,
        device: crate::device::describe_for_run(env.device),
        innate_version: env!("CARGO_PKG_VERSION").to_string(),
        report,
        config: config.clone(),
    };
    innate_encodings::checkpoint::save(
        &out.join("genome.safetensors"),
        genome,
        Some(&best_tensors),
        &serde_json::to_value(config)?,
        &metrics.summary()?,
    )
    .map_err(|source| RunError::Save { dir: out.to_path_buf(), source: Box::new(source) })?;
    innate_encodings::checkpoint::write_atomic(
        &out.join("metrics.json"),
        serde_json::to_string_pretty(&metrics)?.as_bytes(),
    )?;
    let r = &metrics.report;
    tracing::info!(
        "best test accuracy {:.2}% after {} batches ({} batches, {:.1} s, {:.2} s per 1,000 batches)",
        100.0 * r.best_test_accuracy,
        r.best_batches,
        r.batches,
        r.seconds,
        r.seconds_per_1000_batches
    );
    Ok(metrics)
}
