//! Meta-learning runs on a few-shot dataset: [`execute`] (what [`crate::execute()`] does for a run
//! whose strategy is `meta`) and [`evaluate`], few-shot accuracy of a genome file on held-out
//! tasks.
//!
//! A meta run's network is the run's `network` with the task's `ways` as its classes (the
//! paper's 784-784-784-5 is `{"kind": "mlp", "hidden": [784, 784]}` with 5 ways). Its genome file
//! holds the genome at its best held-out accuracy and, beside it, the learned inner rates
//! (`strategy.inner_lr`), so that [`evaluate`] adapts exactly as training did.

use std::path::Path;

use candle_core::{Device, Tensor};
use innate_datasets::{ClassSplit, Omniglot, TaskSampler};
use innate_encodings::GenomeFile;
use innate_evolution::Strategy;
use innate_evolution::meta::{self, MetaConfig, MetaState};
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::encoding::{BuildContext, Encoding, EncodingFlags};
use crate::env::RunEnv;
use crate::error::{Result, config as config_error};
use crate::finish::{DataFacts, finish, log_start};
use crate::metrics::Metrics;
use crate::network::Network;
use crate::progress::RunProgress;

/// The encoding of a meta-learning network as the paper's Fig. 3 builds it: `gem` and `sgem`
/// share one interaction matrix O between all layers (S-GEM with a shared O is `mlsgem`) unless
/// `per_layer_o`, and learn the output neurons' expression, their layers scaled by `weight_scale`;
/// any other encoding as its flags say.
pub fn encoding(
    name: &str,
    flags: &EncodingFlags,
    per_layer_o: bool,
    weight_scale: innate_encodings::WeightScale,
) -> Result<Encoding> {
    let name = match name {
        "sgem" if !per_layer_o => "mlsgem",
        other => other,
    };
    let gem_family = matches!(name, "gem" | "sgem" | "mlsgem");
    if per_layer_o && !gem_family {
        return config_error(format!(
            "--per-layer-o applies only to --encoding gem or sgem, not {name}; drop it"
        ));
    }
    let flags = EncodingFlags { learn_output: gem_family, ..flags.clone() };
    if !weight_scale.is_default() && !gem_family {
        return config_error(format!(
            "--weight-scale {} applies only to --encoding gem or sgem, not {name}; drop it",
            weight_scale.name()
        ));
    }
    let mut encoding = Encoding::from_flags(name, &flags)?;
    match &mut encoding {
        Encoding::Gem(g) => {
            g.shared_o = !per_layer_o;
            g.weight_scale = weight_scale;
        }
        Encoding::Sgem(s) => s.0.weight_scale = weight_scale,
        Encoding::Mlsgem(s) => s.0.weight_scale = weight_scale,
        _ => {}
    }
    Ok(encoding)
}

/// The paper's meta-learning network, 784-784-784-`ways`: two hidden layers of 784.
pub fn network() -> Network {
    Network::Mlp { hidden: vec![784, 784] }
}

/// The only few-shot dataset innate reads.
pub const FEW_SHOT_DATASET: &str = "omniglot";

/// Checks that `config` asks for tasks `data` can supply: enough classes and drawings.
pub fn check_tasks(config: &MetaConfig, data: &Omniglot, sampler: &TaskSampler<'_>) -> Result<()> {
    let per_class = config.shots + config.queries;
    let fewest = data.characters.iter().map(|c| c.images.len()).min().unwrap_or(0);
    if per_class > fewest {
        return config_error(format!(
            "--shots {} plus --queries {} need {per_class} drawings of every class, but some Omniglot characters \
             have only {fewest}: lower --shots or --queries",
            config.shots, config.queries
        ));
    }
    let turns = if config.rotations { 4 } else { 1 };
    for (split, pool) in [
        (ClassSplit::Train, sampler.characters(ClassSplit::Train).len() * turns),
        (ClassSplit::Test, sampler.characters(ClassSplit::Test).len()),
    ] {
        if config.ways > pool {
            return config_error(format!(
                "--ways {} is more than the {pool} classes of the {} split: lower --ways",
                config.ways,
                if split == ClassSplit::Train { "meta-training" } else { "held-out" }
            ));
        }
    }
    Ok(())
}

fn check_dataset(dataset: &str) -> Result<()> {
    if dataset != FEW_SHOT_DATASET {
        return config_error(format!(
            "--dataset {dataset} has no few-shot structure (classes with a few drawings each, split into \
             meta-training and held-out characters): meta-learning needs --dataset {FEW_SHOT_DATASET}"
        ));
    }
    Ok(())
}

/// The file in a meta-learning run's folder from which [`resume`] goes on.
pub const CHECKPOINT: &str = "checkpoint.safetensors";

const CHECKPOINT_FORMAT: &str = "innate-meta-checkpoint/1";

/// Meta-trains the genome `config` describes and writes its run folder (see the module docs).
/// After every test it also writes `out/checkpoint.safetensors`, atomically, from which
/// [`resume`] goes on.
pub fn execute(
    config: &RunConfig,
    meta_config: &MetaConfig,
    env: &RunEnv<'_>,
    out: &Path,
    quiet: bool,
) -> Result<Metrics> {
    run(config, meta_config, env, out, quiet, None)
}

/// Goes on with the meta-learning run in `run_dir` from its last checkpoint, as if it had not
/// stopped, up to `meta_batches` meta-batches when given (more than it was started with, to train
/// longer), else the run's own number; then writes the run folder as [`execute`] does.
pub fn resume(run_dir: &Path, meta_batches: Option<usize>, env: &RunEnv<'_>, quiet: bool) -> Result<Metrics> {
    let path = run_dir.join(CHECKPOINT);
    if !path.is_file() {
        return config_error(format!(
            "{}: there is no checkpoint to resume from (a meta-learning run writes one after its first test); \
             start the run again without --resume",
            path.display()
        ));
    }
    let (tensors, meta) = innate_encodings::checkpoint::load_tensors(&path, env.device)?;
    let bad = |what: String| config_error::<()>(format!("{}: {what}; the file is damaged", path.display()));
    if meta.get("format").map(String::as_str) != Some(CHECKPOINT_FORMAT) {
        bad(format!("it is not an innate meta-learning checkpoint (format {CHECKPOINT_FORMAT})"))?;
    }
    let json = |k: &str| -> Result<serde_json::Value> {
        match meta.get(k).map(|v| serde_json::from_str(v)) {
            Some(Ok(v)) => Ok(v),
            _ => config_error(format!(
                "{}: metadata {k:?} is missing or not JSON; the file is damaged",
                path.display()
            )),
        }
    };
    let mut config = RunConfig::from_json(json("run")?)?;
    let state: SavedState = serde_json::from_value(json("state")?)?;
    let Some(mut meta_config) = config.strategy.meta().cloned() else {
        return config_error(format!("{}: the run is not a meta-learning run", path.display()));
    };
    if let Some(n) = meta_batches {
        if n < state.done {
            return config_error(format!(
                "--meta-batches {n} is fewer than the {} the run has done: give more, or leave it out",
                state.done
            ));
        }
        meta_config.max_meta_batches = n;
        config.strategy = innate_evolution::StrategyConfig::Meta(meta_config.clone());
    }
    let take = |prefix: &str| -> Vec<(String, Tensor)> {
        let mut v: Vec<(String, Tensor)> = tensors
            .iter()
            .filter_map(|(k, t)| k.strip_prefix(prefix).map(|n| (n.to_string(), t.clone())))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let moments = (0..state.moments)
        .map(|i| match tensors.get(&format!("adam.{i}")) {
            Some(t) => Ok(t.clone()),
            None => config_error(format!(
                "{}: Adam's moments {i} are missing; the file is damaged",
                path.display()
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    let resume_state = MetaState {
        done: state.done,
        tensors: take("tensor."),
        adam: (state.adam_step, moments),
        best: (state.best_accuracy, state.best_batches),
        best_tensors: take("best."),
        curve: state.curve,
        train_seconds: state.train_seconds,
    };
    tracing::info!("resuming {} after {} meta-batches", run_dir.display(), resume_state.done);
    run(&config, &meta_config, env, run_dir, quiet, Some(resume_state))
}

/// The numbers of a [`MetaState`], as a checkpoint's metadata holds them.
#[derive(Serialize, Deserialize)]
struct SavedState {
    done: usize,
    adam_step: i32,
    moments: usize,
    best_accuracy: f64,
    best_batches: usize,
    curve: Vec<innate_evolution::EvalPoint>,
    train_seconds: f64,
}

fn save_checkpoint(path: &Path, config: &RunConfig, state: &MetaState) -> Result<()> {
    let saved = SavedState {
        done: state.done,
        adam_step: state.adam.0,
        moments: state.adam.1.len(),
        best_accuracy: state.best.0,
        best_batches: state.best.1,
        curve: state.curve.clone(),
        train_seconds: state.train_seconds,
    };
    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    tensors.extend(state.tensors.iter().map(|(n, t)| (format!("tensor.{n}"), t.clone())));
    tensors.extend(state.best_tensors.iter().map(|(n, t)| (format!("best.{n}"), t.clone())));
    tensors.extend(state.adam.1.iter().enumerate().map(|(i, t)| (format!("adam.{i}"), t.clone())));
    let meta = [
        ("format".to_string(), CHECKPOINT_FORMAT.to_string()),
        ("run".to_string(), serde_json::to_string(config)?),
        ("state".to_string(), serde_json::to_string(&saved)?),
    ]
    .into_iter()
    .collect();
    Ok(innate_encodings::checkpoint::save_tensors(path, &tensors, meta)?)
}

/// Folder of a meta-learning run's snapshots ([`MetaConfig::snapshot_every`]).
pub const SNAPSHOTS: &str = "snapshots";

/// The snapshot of a run folder after `done` meta-batches: `RUN/snapshots/meta-batch-NNNNNN.safetensors`.
pub fn snapshot_path(run_dir: &Path, done: usize) -> std::path::PathBuf {
    run_dir.join(SNAPSHOTS).join(format!("meta-batch-{done:06}.safetensors"))
}

/// The snapshots of the run folder `run_dir`, as (meta-batches done, file), in training order
/// (none when the run kept none).
pub fn snapshots(run_dir: &Path) -> Result<Vec<(usize, std::path::PathBuf)>> {
    let dir = run_dir.join(SNAPSHOTS);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let read = |source| crate::error::RunError::Read { path: dir.clone(), source };
    for entry in std::fs::read_dir(&dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let Some(done) = name
            .strip_prefix("meta-batch-")
            .and_then(|n| n.strip_suffix(".safetensors"))
            .and_then(|n| n.parse::<usize>().ok())
        {
            out.push((done, path));
        }
    }
    out.sort();
    Ok(out)
}

/// Held-out tasks (the first of the run's test set) on which a snapshot's hidden representation
/// is measured ([`crate::analysis::class_distances`]).
pub const ANALYSIS_TASKS: usize = 8;

/// What a snapshot records of the network developed at that point (Figs. S6 and S7).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SnapshotAnalysis {
    /// Newman's modularity of the wiring ([`crate::analysis::modularity`]).
    pub modularity: f64,
    /// Communities the Louvain method found.
    pub communities: usize,
    /// Distances of the last hidden representation of [`ANALYSIS_TASKS`] held-out tasks.
    pub distances: crate::analysis::ClassDistances,
}

/// The analysis a snapshot file recorded, if it has one.
pub fn snapshot_analysis(file: &GenomeFile) -> Option<SnapshotAnalysis> {
    serde_json::from_value(file.metrics.get("analysis")?.clone()).ok()
}

/// Writes the genome of `state` (its tensors now, with the inner rates) as a genome file that
/// `load` reads, its metrics holding the meta-batches done, the last test and the analysis of the
/// network the genome develops now (the genome's variables are the state's while the strategy
/// waits for its checkpoint callback) on `probe`, held-out tasks.
fn save_snapshot(
    out: &Path,
    config: &RunConfig,
    genome: &(dyn innate_encodings::Genome<Phenotype = innate_encodings::Net> + '_),
    state: &MetaState,
    probe: &[innate_datasets::Task],
    device: &Device,
) -> Result<()> {
    let path = snapshot_path(out, state.done);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            crate::error::RunError::Config(format!(
                "cannot create the snapshot folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    let last = state.curve.last();
    let net = genome.develop()?;
    let (modularity, communities) = crate::analysis::modularity(&net)?;
    let distances = crate::analysis::class_distances(&net, probe, device)?;
    let analysis = SnapshotAnalysis { modularity, communities, distances };
    let metrics = serde_json::json!({
        "meta_batches": state.done,
        "test_accuracy": last.map(|p| p.test_accuracy),
        "test_ci95": last.and_then(|p| p.test_ci95),
        "analysis": analysis,
    });
    Ok(innate_encodings::checkpoint::save(
        &path,
        genome,
        Some(&state.tensors),
        &serde_json::to_value(config)?,
        &metrics,
    )?)
}

fn run(
    config: &RunConfig,
    meta_config: &MetaConfig,
    env: &RunEnv<'_>,
    out: &Path,
    quiet: bool,
    resume: Option<MetaState>,
) -> Result<Metrics> {
    check_dataset(&config.dataset)?;
    meta_config.validate()?;
    let (data, load_seconds) = env.cache.omniglot(env.root)?;
    let sampler = TaskSampler::new(&data, meta_config.split_seed);
    check_tasks(meta_config, &data, &sampler)?;
    let arch = config.network.arch([1, data.size, data.size], meta_config.ways)?;
    let genome = config.encoding.build(BuildContext {
        arch: arch.clone(),
        image: Some((data.size, data.size)),
        dataset: &config.dataset,
        seed: config.seed,
        start: None,
        device: env.device,
    })?;
    log_start(&*genome, &arch, config, out);
    let strategy = meta_config.with_seed(config.seed);
    let mut progress =
        RunProgress::new(&format!("{} seed {}", arch.name(), config.seed), strategy.progress(0), quiet);
    let checkpoint_path = out.join(CHECKPOINT);
    let every = meta_config.snapshot_every;
    let probe: Vec<_> = if every > 0 {
        meta_config.eval_set(&sampler)?.into_iter().take(ANALYSIS_TASKS).collect()
    } else {
        Vec::new()
    };
    let mut keep = |state: &MetaState| -> innate_evolution::Result<()> {
        if every > 0 && state.done.is_multiple_of(every) {
            save_snapshot(out, config, &*genome, state, &probe, env.device).map_err(|e| {
                innate_evolution::TrainError::Config(format!("cannot write the snapshot: {e}"))
            })?;
        }
        save_checkpoint(&checkpoint_path, config, state)
            .map_err(|e| innate_evolution::TrainError::Config(format!("cannot write the checkpoint: {e}")))
    };
    let report = meta::train_resumable(&*genome, &sampler, &strategy, &mut progress, resume, &mut keep)?;
    progress.finish();
    let images = |split| sampler.characters(split).iter().map(|&c| data.characters[c].images.len()).sum();
    let facts = DataFacts {
        load_seconds,
        train_images: images(ClassSplit::Train),
        test_images: images(ClassSplit::Test),
    };
    finish(config, env, out, &*genome, &arch, report, facts)
}

/// Few-shot accuracy of a genome on held-out tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FewShotAccuracy {
    /// Mean query accuracy after adaptation, over the tasks (a fraction).
    pub accuracy: f64,
    /// Half-width of its 95% interval.
    pub ci95: f64,
    /// Tasks tested.
    pub tasks: usize,
    /// Whether the inner rates are those learned with the genome (else `inner_lr` everywhere).
    pub learned_rates: bool,
}

/// The inner rates a genome file holds, or `None` when it was not meta-trained.
pub fn learned_rates(file: &GenomeFile) -> Option<&Tensor> {
    file.strategy_tensor(meta::INNER_LR)
}

/// Few-shot accuracy of the genome `loaded` on `config`'s held-out tasks, adapting with the
/// file's learned inner rates when it has them (else `config.inner_lr` for every tensor and
/// step). `config.seed` picks the tasks.
pub fn evaluate(
    loaded: &crate::LoadedGenome,
    config: &MetaConfig,
    root: &Path,
    cache: &crate::DataCache,
    device: &Device,
) -> Result<FewShotAccuracy> {
    config.validate()?;
    let (data, _) = cache.omniglot(root)?;
    let sampler = TaskSampler::new(&data, config.split_seed);
    check_tasks(config, &data, &sampler)?;
    let net = loaded.develop()?;
    let tensors = innate_encodings::Parameters::parameters(&net).len();
    if net.classes() != config.ways {
        return config_error(format!(
            "{}: the genome develops a network with {} outputs, so it classifies {}-way tasks: use --ways {}",
            loaded.file.path.display(),
            net.classes(),
            net.classes(),
            net.classes()
        ));
    }
    let (rates, learned) = match learned_rates(&loaded.file) {
        Some(r) if r.dims().len() == 2 && r.dims()[1] == tensors => (r.to_device(device)?, true),
        Some(r) => {
            return config_error(format!(
                "{}: its inner rates have shape {:?}, but its network has {tensors} tensors: the file is damaged",
                loaded.file.path.display(),
                r.dims()
            ));
        }
        None => (meta::initial_rates(config, tensors, device)?, false),
    };
    let rates: Vec<Vec<f32>> = rates.to_dtype(candle_core::DType::F32)?.to_vec2()?;
    let tasks = config.eval_set(&sampler)?;
    let accs = meta::task_accuracies(&net, &rates, &tasks, device)?;
    let (accuracy, ci95) = meta::mean_ci95(&accs);
    Ok(FewShotAccuracy { accuracy, ci95, tasks: tasks.len(), learned_rates: learned })
}
