//! One training run, from its configuration to its run folder: [`execute`].
//!
//! config -> data -> build the genome -> train it with the run's strategy -> save
//! `genome.safetensors` (the genome at its best accuracy, the run's configuration and metrics in
//! its metadata) and `metrics.json` ([`Metrics`]), both atomically, so an interrupted run leaves
//! either the old files or the new ones.

use std::path::Path;

use candle_core::Device;
use innate_datasets::Split;
use innate_evolution::{Data, Strategy};

use crate::config::RunConfig;
use crate::data::DataCache;
use crate::encoding::BuildContext;
use crate::error::{Result, RunError};
use crate::metrics::Metrics;
use crate::progress::RunProgress;

/// Where a run reads its data and computes.
#[derive(Clone, Copy)]
pub struct RunEnv<'a> {
    /// The data root (`<root>/<dataset>/<official files>`).
    pub root: &'a Path,
    /// Where tensors live and compute.
    pub device: &'a Device,
    /// Datasets already loaded, shared by the runs of one process.
    pub cache: &'a DataCache,
}

/// Trains as `config` says, writes `out/genome.safetensors` and `out/metrics.json`, and returns
/// the metrics. A progress bar shows the strategy's steps unless `quiet`.
pub fn execute(config: &RunConfig, env: &RunEnv<'_>, out: &Path, quiet: bool) -> Result<Metrics> {
    config.network.validate()?;
    let train_split = env.cache.get(env.root, &config.dataset, Split::Train, env.device)?;
    let test_split = env.cache.get(env.root, &config.dataset, Split::Test, env.device)?;
    if train_split.classes != test_split.classes {
        return crate::error::config(format!(
            "{}: the test split's classes are not the training split's ({} vs {} classes), so test \
             accuracy means nothing; omniglot is a few-shot dataset whose test characters are new ones",
            config.dataset,
            test_split.classes.len(),
            train_split.classes.len()
        ));
    }
    let (mut train, test, classes) = (train_split.data, test_split.data, train_split.classes.len());
    if let Some(n) = config.train_limit {
        train = train.take(n)?;
    }
    let first = test.range(0, 1)?.images.dims().to_vec();
    let shape = [first[1], first.get(2).copied().unwrap_or(1), first.get(3).copied().unwrap_or(1)];
    let image = (first.len() == 4 && first[1] == 1).then(|| (first[2], first[3]));
    let arch = config.network.arch(shape, classes)?;
    let start = match config.encoding.starts_from() {
        Some(path) => Some(crate::load::load(path, env.device)?.develop()?),
        None => None,
    };
    let genome = config.encoding.build(BuildContext {
        arch: arch.clone(),
        image,
        dataset: &config.dataset,
        seed: config.seed,
        start,
        device: env.device,
    })?;
    let params = genome.params();
    // The developed network's weights (synapses), its biases left out: the papers' reference for
    // "% of parameters".
    let weights: usize = innate_encodings::Parameters::parameters(&genome.develop()?)
        .iter()
        .filter(|(name, _)| name.ends_with(".weight"))
        .map(|(_, t)| t.elem_count())
        .sum();
    tracing::info!(
        "training {} {} on {} ({} genome parameters, {} phenotype parameters) -> {}",
        genome.encoding(),
        arch.name(),
        config.dataset,
        params.learned,
        params.phenotype,
        out.display()
    );
    let strategy = config.strategy.with_seed(config.seed);
    let mut progress = RunProgress::new(
        &format!("{} seed {}", arch.name(), config.seed),
        strategy.progress(train.len()),
        quiet,
    );
    let mut report = strategy.train(&*genome, &Data { train: &train, test: &test }, &mut progress)?;
    progress.finish();
    // Trained end to end, a genome's best developed network is its ab initio accuracy; the
    // direct encoding has no genome apart from the network that learns.
    if report.ab_initio_test_accuracy.is_none() && !config.encoding.is_direct() {
        report.ab_initio_test_accuracy = Some(report.best_test_accuracy);
    }
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
        data_load_seconds: train_split.load_seconds + test_split.load_seconds,
        train_images: train.len(),
        test_images: test.len(),
        device: crate::device::describe_for_run(env.device),
        innate_version: env!("CARGO_PKG_VERSION").to_string(),
        report,
        config: config.clone(),
    };
    innate_encodings::checkpoint::save(
        &out.join("genome.safetensors"),
        &*genome,
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
