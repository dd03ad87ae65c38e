//! The transfer test: a network that starts from a genome learns a dataset beside one that
//! starts from random weights, with the same seed and batch order.
//!
//! What the "innate" side takes from the genome file is [`Learn`]: the network it develops, as a
//! directly learned network's starting weights (the genomic-bottleneck paper's transfer test,
//! `weights`), or the genome itself, which goes on learning with all its tensors (`genome`), only
//! its interaction matrix O (`interaction`: the expression, gene fields and all, frozen as the
//! first task left it) or only its expression (`expression`: O frozen), as the developmental-priors
//! authors' code transfers S-GEM genomes with frozen genes. The "naive" side is the same genome
//! drawn at random from the same seed, learning the same tensors: the same parameter count.
//!
//! An All-CNN-C genome (a g-network genome of Table 2, or All-CNN-C trained directly) transfers
//! its developed network with `weights`, some of its layers or all: `layers` numbers them from 1
//! (the paper's L1-L9; Fig. 3G tries all, 1-2, 1 and the last two), the others start from He's
//! random weights, as the naive side's all do. When the genome's run standardised its images, both
//! sides standardise the new dataset's with its own training images' statistics.

use std::path::{Path, PathBuf};

use innate_evolution::{EvalPoint, LifetimeConfig, StrategyConfig};
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::encoding::Encoding;
use crate::error::Result;
use crate::execute::{RunEnv, execute};
use crate::load::LoadedGenome;
use crate::network::Network;

/// What the innate side of a transfer test learns, starting from the genome file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Learn {
    /// Every weight of the network the genome develops, directly (the naive side: a direct
    /// network from random weights).
    #[default]
    Weights,
    /// The genome's own learned tensors, all of them.
    Genome,
    /// Only the GEM family's interaction matrices (`o`, `o0`, ...); the expression stays frozen.
    Interaction,
    /// Everything but the interaction matrices (gene fields or X, learned biases); O stays frozen.
    Expression,
}

impl Learn {
    /// The name used on the command line and in run ids.
    pub fn name(self) -> &'static str {
        match self {
            Learn::Weights => "weights",
            Learn::Genome => "genome",
            Learn::Interaction => "interaction",
            Learn::Expression => "expression",
        }
    }
}

/// Whether a GEM-family tensor name is an interaction matrix (`o`, or `o` and a layer number).
pub fn is_interaction(name: &str) -> bool {
    name.strip_prefix('o').is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()))
}

/// What the transfer test writes as `transfer.json`: both learning curves side by side.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferReport {
    /// The genome that initialised the innate network.
    pub from: PathBuf,
    /// The dataset both networks learned.
    pub dataset: String,
    /// What the innate side learned.
    #[serde(default)]
    pub learn: Learn,
    /// The layers (numbered from 1) that started from the genome's network, for an All-CNN-C
    /// genome (empty: all of them, or an MLP).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<usize>,
    /// Parameters each side trained, when only part of a genome learned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_params: Option<usize>,
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

/// What a transfer test learns, and how.
#[derive(Debug, Clone)]
pub struct TransferOptions {
    /// The dataset both networks learn.
    pub dataset: String,
    /// How both learn (its seed: the batch order's and the naive network's).
    pub lifetime: LifetimeConfig,
    /// What the innate side takes from the genome file.
    pub learn: Learn,
    /// All-CNN-C: the layers (numbered from 1) that start from the genome's network (empty: all).
    pub layers: Vec<usize>,
    /// Only the images of these classes (empty: all; [`RunConfig::classes`]).
    pub classes: Vec<u32>,
}

impl TransferOptions {
    /// Learning `dataset` with `lifetime`, all classes, all layers.
    pub fn new(dataset: &str, lifetime: LifetimeConfig, learn: Learn) -> Self {
        Self { dataset: dataset.to_string(), lifetime, learn, layers: Vec::new(), classes: Vec::new() }
    }
}

/// The two runs of a transfer test from the genome `loaded` (read from `from`) on `dataset`,
/// named `innate` and `naive`, as the module docs describe: with `learn` = `weights` both learn
/// a direct network with `lifetime` and `lifetime.seed`; otherwise both are the file's own run
/// (encoding, network, seed) trained with `lifetime` and the frozen tensors `learn` implies.
/// `opts.layers` chooses the layers of an All-CNN-C genome's network that the innate side starts
/// from, `opts.classes` the classes both learn.
pub fn transfer_runs(
    loaded: &LoadedGenome,
    from: &Path,
    opts: &TransferOptions,
) -> Result<[(String, RunConfig); 2]> {
    let mut runs = transfer_runs_all_classes(
        loaded,
        from,
        &opts.dataset,
        opts.lifetime.clone(),
        opts.learn,
        &opts.layers,
    )?;
    for (_, r) in &mut runs {
        r.classes = opts.classes.clone();
    }
    Ok(runs)
}

fn transfer_runs_all_classes(
    loaded: &LoadedGenome,
    from: &Path,
    dataset: &str,
    lifetime: LifetimeConfig,
    learn: Learn,
    layers: &[usize],
) -> Result<[(String, RunConfig); 2]> {
    let allcnn = loaded.run().filter(|r| matches!(r.network, Network::AllCnn { .. }));
    if !layers.is_empty() && (allcnn.is_none() || learn != Learn::Weights) {
        return crate::error::config(format!(
            "{}: choosing the layers to transfer (--layers) is for All-CNN-C genomes with --learn weights",
            from.display()
        ));
    }
    if let (Some(run), Learn::Weights) = (&allcnn, learn) {
        let seed = lifetime.seed;
        let mut naive = RunConfig::new(
            dataset,
            run.network.clone(),
            Encoding::direct(),
            StrategyConfig::EndToEnd(lifetime),
            seed,
        );
        naive.standardise = run.standardise.as_ref().map(|_| crate::config::Standardise::Train);
        let innate =
            RunConfig { encoding: Encoding::direct_from_layers(from, layers.to_vec()), ..naive.clone() };
        return Ok([("innate".to_string(), innate), ("naive".to_string(), naive)]);
    }
    if learn == Learn::Weights {
        let sizes = loaded.sizes()?;
        let network = match Network::of_sizes(&sizes) {
            Some(n @ Network::Slp) => n,
            Some(n @ Network::Mlp { .. }) if sizes.len() == 3 => n,
            _ => {
                return crate::error::config(format!(
                    "{}: its network has {} layers; --learn weights handles single-layer perceptrons and MLPs \
                     with one hidden layer",
                    from.display(),
                    sizes.len().saturating_sub(1)
                ));
            }
        };
        let seed = lifetime.seed;
        let naive =
            RunConfig::new(dataset, network, Encoding::direct(), StrategyConfig::EndToEnd(lifetime), seed);
        let innate = RunConfig { encoding: Encoding::direct_from(from), ..naive.clone() };
        return Ok([("innate".to_string(), innate), ("naive".to_string(), naive)]);
    }
    let Some(run) = loaded.run() else {
        return crate::error::config(format!(
            "{}: the file records no run configuration, which --learn {} needs (the genome's encoding, \
             network and seed); --learn weights works from the developed network alone",
            from.display(),
            learn.name()
        ));
    };
    let names: Vec<String> =
        {
            let data =
                loaded.genome.varmap().data().lock().map_err(|_| {
                    crate::error::RunError::Config("the genome's tensors are poisoned".into())
                })?;
            let mut n: Vec<String> = data.keys().cloned().collect();
            n.sort();
            n
        };
    let frozen: Vec<String> = match learn {
        Learn::Weights | Learn::Genome => Vec::new(),
        Learn::Interaction => names.iter().filter(|n| !is_interaction(n)).cloned().collect(),
        Learn::Expression => names.iter().filter(|n| is_interaction(n)).cloned().collect(),
    };
    let has_o = names.iter().any(|n| is_interaction(n));
    if matches!(learn, Learn::Interaction | Learn::Expression) && (!has_o || frozen.len() == names.len()) {
        return crate::error::config(format!(
            "{}: --learn {} splits a GEM-family genome (gem, sgem, mlsgem) into its interaction matrix O and \
             its expression, but this {} genome's tensors are {}; use --learn genome or weights",
            from.display(),
            learn.name(),
            loaded.file.encoding,
            names.join(", ")
        ));
    }
    let strategy = StrategyConfig::EndToEnd(LifetimeConfig { frozen, seed: run.seed, ..lifetime });
    let naive =
        RunConfig { dataset: dataset.to_string(), strategy, train_limit: None, genome_from: None, ..run };
    let innate = RunConfig { genome_from: Some(from.to_path_buf()), ..naive.clone() };
    Ok([("innate".to_string(), innate), ("naive".to_string(), naive)])
}

/// Runs the transfer test from the genome file at `from` on `dataset` into `out/innate`,
/// `out/naive` and `out/transfer.json` (see [`transfer_runs`] for what each side learns).
pub fn transfer(
    from: &Path,
    opts: &TransferOptions,
    env: &RunEnv<'_>,
    out: &Path,
    quiet: bool,
) -> Result<TransferReport> {
    let loaded = crate::load::load(from, env.device)?;
    let mut results = Vec::new();
    for (name, config) in transfer_runs(&loaded, from, opts)? {
        results.push(execute(&config, env, &out.join(&name), quiet)?);
    }
    let start = |m: &crate::Metrics| m.report.curve.first().map_or(0.0, |p| p.test_accuracy);
    let report = TransferReport {
        from: from.to_path_buf(),
        dataset: opts.dataset.clone(),
        learn: opts.learn,
        layers: opts.layers.clone(),
        trained_params: results[0].report.trained_params,
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
