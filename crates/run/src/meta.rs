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
/// `per_layer_o`, and learn the output neurons' expression; any other encoding as its flags say.
pub fn encoding(
    name: &str,
    genes: Option<usize>,
    per_layer_o: bool,
    bias: Option<innate_encodings::BiasMode>,
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
    let flags = EncodingFlags { genes, learn_output: gem_family, bias, ..EncodingFlags::default() };
    let mut encoding = Encoding::from_flags(name, &flags)?;
    if let Encoding::Gem(g) = &mut encoding {
        g.shared_o = !per_layer_o;
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
    let mut keep = |state: &MetaState| -> innate_evolution::Result<()> {
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
