//! One training run: its configuration, its results, and the run folder it writes.
//!
//! A run folder holds `genome.safetensors` (the genome at its best test accuracy, with the run's
//! configuration and metrics in its metadata) and `metrics.json` ([`Metrics`]). Both are written
//! atomically, so an interrupted run leaves either the old files or the new ones.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, bail};
use candle_core::Device;
use innate_datasets::{Dataset, DeviceDataset, Split};
use innate_encodings::MlpSpec;
use innate_evolution::{EvalPoint, GenerationPoint, IntermittentConfig, LifetimeConfig};
use serde::{Deserialize, Serialize};

use crate::cli::{Encoding, Model, PresetArg, Strategy};
use crate::genomes;
use crate::progress::{GenerationProgress, TrainProgress};

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Dataset name (`mnist`, ...).
    pub dataset: String,
    /// Network shape.
    pub model: Model,
    /// Hidden units of an MLP (ignored for an SLP).
    pub hidden: usize,
    /// Weight encoding.
    pub encoding: Encoding,
    /// Genes per neuron (GEM family).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genes: Option<usize>,
    /// Basis vectors (random basis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<usize>,
    /// GEM: learn the output layer's expression.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub learn_output: bool,
    /// The layers' biases, when not the encoding's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<innate_encodings::BiasMode>,
    /// sgem, mlsgem: how the gene fields' centres start (absent from runs written before the
    /// choice existed, whose centres started uniform over the grid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centres: Option<innate_encodings::CentreInit>,
    /// gnet: a preset of the genomic-bottleneck paper's Table 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<PresetArg>,
    /// gnet: hidden sizes of the weight g-networks (instead of a preset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gnet_hidden: Option<Vec<usize>>,
    /// How the genome is trained.
    #[serde(default, skip_serializing_if = "Strategy::is_end_to_end")]
    pub strategy: Strategy,
    /// Settings of intermittent training (its `seed` is set from `seed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intermittent: Option<IntermittentConfig>,
    /// Direct encoding only: start from the network developed by this genome file (innate
    /// initialisation) instead of random weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<PathBuf>,
    /// Seed of the genome and the batch order.
    pub seed: u64,
    /// Training loop settings (its own `seed` is set from `seed`).
    pub lifetime: LifetimeConfig,
    /// Use only the first N training images.
    pub train_limit: Option<usize>,
}

impl RunConfig {
    /// A run of `encoding` with every optional setting at its default (end-to-end training,
    /// the encoding's default biases, no sizes): fill in what the encoding needs.
    pub fn new(
        dataset: &str,
        model: Model,
        hidden: usize,
        encoding: Encoding,
        seed: u64,
        lifetime: LifetimeConfig,
    ) -> Self {
        Self {
            dataset: dataset.to_string(),
            model,
            hidden,
            encoding,
            genes: None,
            basis: None,
            learn_output: false,
            bias: None,
            centres: encoding.is_spatial().then(innate_encodings::CentreInit::default),
            preset: None,
            gnet_hidden: None,
            strategy: Strategy::EndToEnd,
            intermittent: None,
            init_from: None,
            seed,
            lifetime,
            train_limit: None,
        }
    }

    /// The network for `inputs` and `classes`.
    pub fn spec(&self, inputs: usize, classes: usize) -> MlpSpec {
        match self.model {
            Model::Slp => MlpSpec::slp(inputs, classes),
            Model::Mlp => MlpSpec::mlp(inputs, self.hidden, classes),
        }
    }

    /// A default run-folder name.
    pub fn default_dir(&self) -> PathBuf {
        let model = match self.model {
            Model::Slp => "slp".to_string(),
            Model::Mlp => format!("mlp{}", self.hidden),
        };
        let size = match (self.genes, self.basis, self.preset) {
            (_, _, Some(p)) if self.encoding == Encoding::Gnet => {
                format!("-{}", innate_gnet::Preset::from(p).name())
            }
            _ if self.encoding == Encoding::Gnet && self.gnet_hidden.is_some() => format!(
                "-h{}",
                self.gnet_hidden.iter().flatten().map(|h| h.to_string()).collect::<Vec<_>>().join("-")
            ),
            (Some(g), _, _) if self.encoding != Encoding::Direct => format!("-g{g}"),
            (_, Some(b), _) if self.encoding == Encoding::Rb => format!("-b{b}"),
            _ => String::new(),
        };
        let strategy = if self.strategy == Strategy::Intermittent { "-intermittent" } else { "" };
        PathBuf::from("runs").join(format!(
            "{}-{model}-{}{size}{strategy}-seed{}",
            self.dataset.replace([':', '/'], "_"),
            self.encoding.name(),
            self.seed
        ))
    }
}

/// What a run measured; written as `metrics.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metrics {
    /// Dataset name.
    pub dataset: String,
    /// Encoding name.
    pub encoding: String,
    /// `slp` or `mlp`.
    pub model: Model,
    /// Layer sizes of the network.
    pub sizes: Vec<usize>,
    /// Genes per neuron (GEM family).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genes: Option<usize>,
    /// Basis vectors (random basis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<usize>,
    /// Weights (synapses) of the developed network, biases excluded: the papers' reference for
    /// "% of parameters".
    #[serde(default)]
    pub phenotype_weights: usize,
    /// Best test accuracy of the network developed from the genome before any learning of its
    /// own (g-networks: the paper's "ab initio" accuracy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ab_initio_test_accuracy: Option<f64>,
    /// Intermittent training: one point per generation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generations: Vec<GenerationPoint>,
    /// Intermittent training: seconds per generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_per_generation: Option<f64>,
    /// Seed.
    pub seed: u64,
    /// Best accuracy on the full test set (a fraction); the papers' reported number.
    pub best_test_accuracy: f64,
    /// Test accuracy at the end of training.
    pub final_test_accuracy: f64,
    /// Batches done when the best accuracy was measured.
    pub best_batches: usize,
    /// Training batches done.
    pub batches: usize,
    /// Whether early stopping ended training.
    pub stopped_early: bool,
    /// Learned genome parameters.
    pub genome_params: usize,
    /// Fixed (not learned) genome parameters.
    pub genome_fixed_params: usize,
    /// Parameters of the developed network.
    pub phenotype_params: usize,
    /// `phenotype_params / genome_params`.
    pub compression: f64,
    /// Wall-clock seconds of training, evaluations included.
    pub seconds: f64,
    /// Seconds of training steps only.
    pub train_seconds: f64,
    /// Training seconds per 1,000 batches.
    pub seconds_per_1000_batches: f64,
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
    /// Test accuracy before training and at every evaluation.
    pub curve: Vec<EvalPoint>,
    /// The run's configuration.
    pub config: RunConfig,
}

/// One split of a dataset on a device.
#[derive(Clone)]
pub struct LoadedSplit {
    /// The images and labels.
    pub data: DeviceDataset,
    /// Class names in label order.
    pub classes: Vec<String>,
    /// Seconds the load (reading and checking the files) took.
    pub load_seconds: f64,
}

/// Datasets already loaded onto a device, so that several runs load each only once.
#[derive(Default)]
pub struct DataCache {
    loaded: Mutex<HashMap<(String, Split, String), LoadedSplit>>,
}

impl DataCache {
    /// The split of `dataset` on `device`, loaded from `root` on first use. Runs on several
    /// threads share one cache: a split is loaded once, by the first run that asks for it, while
    /// the others wait for it.
    pub fn get(
        &self,
        root: &Path,
        dataset: &str,
        split: Split,
        device: &Device,
    ) -> anyhow::Result<LoadedSplit> {
        let key = (dataset.to_string(), split, format!("{:?}", device.location()));
        // A thread that panicked while holding the lock left the map as it was before its insert.
        let mut loaded = self.loaded.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(hit) = loaded.get(&key) {
            return Ok(hit.clone());
        }
        let which: Dataset = dataset.parse()?;
        let t = Instant::now();
        let data = which.load(root, split)?;
        let load_seconds = t.elapsed().as_secs_f64();
        tracing::info!(
            "loaded {} ({} images, {:?}) in {:.2} s",
            data.name,
            data.len(),
            data.shape,
            load_seconds
        );
        let value =
            LoadedSplit { data: data.to_device(device)?, classes: data.classes.clone(), load_seconds };
        loaded.insert(key, value.clone());
        Ok(value)
    }
}

/// Trains as `config` says, writes `out/genome.safetensors` and `out/metrics.json`, and returns
/// the metrics.
pub fn execute(
    config: &RunConfig,
    root: &Path,
    device: &Device,
    out: &Path,
    cache: &DataCache,
    quiet: bool,
) -> anyhow::Result<Metrics> {
    let train_split = cache.get(root, &config.dataset, Split::Train, device)?;
    let test_split = cache.get(root, &config.dataset, Split::Test, device)?;
    if train_split.classes != test_split.classes {
        bail!(
            "{}: the test split's classes are not the training split's ({} vs {} classes), so test \
             accuracy means nothing; omniglot is a few-shot dataset whose test characters are new ones",
            config.dataset,
            test_split.classes.len(),
            train_split.classes.len()
        );
    }
    let (mut train, test, classes) = (train_split.data, test_split.data, train_split.classes.len());
    let (load_train, load_test) = (train_split.load_seconds, test_split.load_seconds);
    if let Some(n) = config.train_limit {
        train = train.take(n)?;
    }
    let inputs = {
        let b = test.range(0, 1)?;
        b.images.dims()[1..].iter().product::<usize>()
    };
    let spec = config.spec(inputs, classes);
    let image = {
        let d = test.range(0, 1)?.images.dims().to_vec();
        (d.len() == 4 && d[1] == 1).then(|| (d[2], d[3]))
    };
    let genome = genomes::build(config, spec.clone(), image, device)?;
    let params = genome.params();
    tracing::info!(
        "training {} {} on {} ({} genome parameters, {} phenotype parameters) -> {}",
        genome.encoding(),
        spec.name(),
        config.dataset,
        params.learned,
        params.phenotype,
        out.display()
    );
    let label = format!("{} seed {}", spec.name(), config.seed);
    let mut metrics = Metrics {
        dataset: config.dataset.clone(),
        encoding: genome.encoding().to_string(),
        model: config.model,
        sizes: spec.sizes.clone(),
        genes: config.genes,
        basis: config.basis,
        phenotype_weights: spec.weights(),
        ab_initio_test_accuracy: None,
        generations: Vec::new(),
        seconds_per_generation: None,
        seed: config.seed,
        best_test_accuracy: 0.0,
        final_test_accuracy: 0.0,
        best_batches: 0,
        batches: 0,
        stopped_early: false,
        genome_params: params.learned,
        genome_fixed_params: params.fixed,
        phenotype_params: params.phenotype,
        compression: params.compression(),
        seconds: 0.0,
        train_seconds: 0.0,
        seconds_per_1000_batches: 0.0,
        data_load_seconds: load_train + load_test,
        train_images: train.len(),
        test_images: test.len(),
        device: crate::device::describe_for_run(device),
        innate_version: env!("CARGO_PKG_VERSION").to_string(),
        curve: Vec::new(),
        config: config.clone(),
    };
    let best_tensors = match config.strategy {
        Strategy::EndToEnd => {
            let lifetime = LifetimeConfig { seed: config.seed, ..config.lifetime.clone() };
            let mut progress = TrainProgress::new(&label, lifetime.max_batches, quiet);
            let report =
                innate_evolution::lifetime::train(&*genome, &train, &test, &lifetime, &mut progress)?;
            progress.finish();
            metrics.best_test_accuracy = report.best_test_accuracy;
            metrics.final_test_accuracy = report.final_test_accuracy;
            metrics.best_batches = report.best_batches;
            metrics.batches = report.batches;
            metrics.stopped_early = report.stopped_early;
            metrics.seconds = report.seconds;
            metrics.train_seconds = report.train_seconds;
            metrics.seconds_per_1000_batches = report.seconds_per_1000_batches();
            if config.encoding != Encoding::Direct {
                metrics.ab_initio_test_accuracy = Some(report.best_test_accuracy);
            }
            metrics.curve = report.curve;
            report.best_tensors
        }
        Strategy::Intermittent => {
            let cfg =
                IntermittentConfig { seed: config.seed, ..config.intermittent.clone().unwrap_or_default() };
            let mut progress = GenerationProgress::new(&label, cfg.generations, quiet);
            let report = innate_evolution::intermittent::train(&*genome, &train, &test, &cfg, &mut progress)?;
            progress.finish();
            let per = cfg.batches_per_generation();
            metrics.best_test_accuracy = report.best_ab_initio;
            metrics.final_test_accuracy = report.final_ab_initio;
            metrics.ab_initio_test_accuracy = Some(report.best_ab_initio);
            // The ab initio accuracy of generation n is measured before its training, after
            // (n - 1) generations of p-network batches.
            metrics.best_batches = (report.best_generation - 1) * per;
            metrics.batches = report.generations.len() * per;
            metrics.seconds = report.seconds;
            metrics.train_seconds = report.seconds;
            metrics.seconds_per_1000_batches = 1000.0 * report.seconds / metrics.batches.max(1) as f64;
            metrics.seconds_per_generation = Some(report.seconds_per_generation());
            // One point per freshly developed network: each generation's, then the genome's
            // after the last fit; the loss is that of the p-network training before it.
            let gens = &report.generations;
            metrics.curve = (0..=gens.len())
                .map(|i| EvalPoint {
                    batches: i * per,
                    test_accuracy: gens.get(i).map_or(report.final_ab_initio, |g| g.ab_initio_accuracy),
                    train_loss: i.checked_sub(1).map(|j| gens[j].train_loss),
                    stop_accuracy: None,
                    seconds: i.checked_sub(1).map_or(0.0, |j| gens[j].seconds),
                })
                .collect();
            metrics.generations = report.generations;
            report.best_tensors
        }
    };
    let metrics_json = serde_json::to_value(&metrics)?;
    let mut summary = metrics_json.clone();
    if let Some(m) = summary.as_object_mut() {
        m.remove("curve");
        m.remove("config");
    }
    innate_encodings::checkpoint::save(
        &out.join("genome.safetensors"),
        &*genome,
        Some(&best_tensors),
        &serde_json::to_value(config)?,
        &summary,
    )
    .with_context(|| format!("cannot save the genome into {}", out.display()))?;
    innate_encodings::checkpoint::write_atomic(
        &out.join("metrics.json"),
        serde_json::to_string_pretty(&metrics_json)?.as_bytes(),
    )?;
    tracing::info!(
        "best test accuracy {:.2}% after {} batches ({} batches, {:.1} s, {:.2} s per 1,000 batches)",
        100.0 * metrics.best_test_accuracy,
        metrics.best_batches,
        metrics.batches,
        metrics.seconds,
        metrics.seconds_per_1000_batches
    );
    Ok(metrics)
}

/// Reads `dir/metrics.json`.
pub fn read_metrics(dir: &Path) -> anyhow::Result<Metrics> {
    let path = dir.join("metrics.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a metrics file of this version of innate", path.display()))
}
