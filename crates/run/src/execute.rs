//! One training run, from its configuration to its run folder: [`execute`].
//!
//! config -> data -> build the genome -> train it with the run's strategy -> save
//! `genome.safetensors` (the genome at its best accuracy, the run's configuration and metrics in
//! its metadata) and `metrics.json` ([`Metrics`]), both atomically, so an interrupted run leaves
//! either the old files or the new ones.

use std::path::Path;

use innate_datasets::Split;
use innate_evolution::{Data, Strategy, TrainError};

use crate::config::RunConfig;
use crate::encoding::BuildContext;
pub use crate::env::RunEnv;
use crate::error::Result;
use crate::finish::{DataFacts, finish, log_start};
use crate::metrics::Metrics;
use crate::progress::RunProgress;

/// An environment variable for tests of interruption: with `N`, the process aborts right after
/// writing its `N`th checkpoint, as if killed there.
pub const ABORT_AFTER: &str = "INNATE_ABORT_AFTER_CHECKPOINTS";

/// Trains as `config` says, writes `out/genome.safetensors` and `out/metrics.json`, and returns
/// the metrics. A progress bar shows the strategy's steps unless `quiet`. While it trains, the
/// run keeps a checkpoint in `out` ([`crate::resume`]).
pub fn execute(config: &RunConfig, env: &RunEnv<'_>, out: &Path, quiet: bool) -> Result<Metrics> {
    execute_from(config, env, out, quiet, None)
}

/// Goes on with the run in `run_dir` from its checkpoint, with the run's own settings, and writes
/// the run folder as [`crate::execute()`] does; a meta-learning run goes on as
/// [`crate::meta::resume`] with its own number of meta-batches.
pub fn resume(run_dir: &Path, env: &RunEnv<'_>, quiet: bool) -> Result<Metrics> {
    match crate::resume::read(run_dir, env)? {
        crate::resume::Checkpoint::Meta => crate::meta::resume(run_dir, None, env, quiet),
        crate::resume::Checkpoint::Train(run, state) => {
            tracing::info!(
                "resuming {} after {} {}",
                run_dir.display(),
                state.done,
                crate::resume::unit(&state.strategy)
            );
            execute_from(&run, env, run_dir, quiet, Some(state))
        }
    }
}

/// [`execute`], going on from `resume` (a state the same run kept in `out`) when given.
pub(crate) fn execute_from(
    config: &RunConfig,
    env: &RunEnv<'_>,
    out: &Path,
    quiet: bool,
    resume: Option<innate_evolution::TrainState>,
) -> Result<Metrics> {
    config.network.validate()?;
    if let Some(meta) = config.strategy.meta() {
        return crate::meta::execute(config, meta, env, out, quiet);
    }
    let Prepared { train, test, config, arch, image, load_seconds } = prepare(config, env)?;
    let config = &config;
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
    if let Some(path) = &config.genome_from {
        start_from_genome(&*genome, path, env)?;
    }
    log_start(&*genome, &arch, config, out);
    let strategy = config.strategy.with_seed(config.seed);
    let mut progress = RunProgress::new(
        &format!("{} seed {}", arch.name(), config.seed),
        strategy.progress(train.len()),
        quiet,
    );
    let checkpoint_path = out.join(crate::resume::CHECKPOINT);
    let mut last = resume.as_ref().map(|s| (s.strategy.clone(), s.done));
    std::fs::create_dir_all(out).map_err(|e| {
        crate::error::RunError::Config(format!("cannot create the run folder {}: {e}", out.display()))
    })?;
    let abort_after: Option<usize> = std::env::var(ABORT_AFTER).ok().and_then(|v| v.parse().ok());
    let mut written = 0usize;
    let mut keep = |state: &innate_evolution::TrainState| -> innate_evolution::Result<()> {
        crate::resume::save(&checkpoint_path, config, state).map_err(|e| {
            innate_evolution::TrainError::Config(format!(
                "cannot write the checkpoint {}: {e}",
                checkpoint_path.display()
            ))
        })?;
        last = Some((state.strategy.clone(), state.done));
        written += 1;
        if abort_after == Some(written) {
            // A kill right after a checkpoint, for the tests of resuming (no clean-up runs).
            std::process::abort();
        }
        Ok(())
    };
    let data = Data { train: &train, test: &test, tasks: None };
    let trained = strategy.train_resumable(&*genome, &data, &mut progress, resume, Some(&mut keep));
    progress.finish();
    let mut report = match trained {
        Ok(r) => r,
        Err(e @ (TrainError::Diverged { .. } | TrainError::Collapsed { .. })) => {
            return Err(crate::error::RunError::Stopped {
                dir: out.to_path_buf(),
                kept: crate::resume::kept(out, last.as_ref().map(|(s, d)| (s.as_str(), *d))),
                source: Box::new(e),
            });
        }
        Err(e) => return Err(e.into()),
    };
    // Trained end to end, a genome's best developed network is its ab initio accuracy; the
    // direct encoding has no genome apart from the network that learns.
    if report.ab_initio_test_accuracy.is_none() && !config.encoding.is_direct() {
        report.ab_initio_test_accuracy = Some(report.best_test_accuracy);
    }
    let data = DataFacts { load_seconds, train_images: train.len(), test_images: test.len() };
    let metrics = finish(config, env, out, &*genome, &arch, report, data)?;
    // The genome file and metrics are the result now.
    if checkpoint_path.is_file() {
        std::fs::remove_file(&checkpoint_path).map_err(|e| {
            crate::error::RunError::Config(format!(
                "cannot remove the finished run's {}: {e}",
                checkpoint_path.display()
            ))
        })?;
    }
    Ok(metrics)
}

/// A run's data, ready to train on, and what follows from it.
pub(crate) struct Prepared {
    /// The training images (the run's classes, limit and standardisation applied).
    pub train: innate_datasets::DeviceDataset,
    /// The test images, likewise.
    pub test: innate_datasets::DeviceDataset,
    /// The run's configuration with its standardisation resolved into the values measured.
    pub config: RunConfig,
    /// The network for the data's shape.
    pub arch: crate::network::Arch,
    /// The input neurons' grid when the inputs are one image channel's pixels.
    pub image: Option<(usize, usize)>,
    /// Seconds spent loading and checking both splits.
    pub load_seconds: f64,
}

/// Loads and checks the data `config` trains on, keeps its classes and training limit,
/// standardises it, and finds the network for its shape.
pub(crate) fn prepare(config: &RunConfig, env: &RunEnv<'_>) -> Result<Prepared> {
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
    let (mut train, mut test, classes) = (train_split.data, test_split.data, train_split.classes.len());
    if !config.classes.is_empty() {
        train = train.with_classes(&config.classes)?;
        test = test.with_classes(&config.classes)?;
    }
    if let Some(n) = config.train_limit {
        train = train.take(n)?;
    }
    // The run's files record the values it standardised with, not "measure them".
    let config = match &config.standardise {
        Some(s) => {
            let s = s.measured(&train)?;
            (train, test) = (s.apply(&train)?, s.apply(&test)?);
            RunConfig { standardise: Some(s), ..config.clone() }
        }
        None => config.clone(),
    };
    let first = test.range(0, 1)?.images.dims().to_vec();
    let shape = [first[1], first.get(2).copied().unwrap_or(1), first.get(3).copied().unwrap_or(1)];
    let image = (first.len() == 4 && first[1] == 1).then(|| (first[2], first[3]));
    let arch = config.network.arch(shape, classes)?;
    Ok(Prepared {
        train,
        test,
        config,
        arch,
        image,
        load_seconds: train_split.load_seconds + test_split.load_seconds,
    })
}

/// Sets `genome`'s learned tensors to those of the genome file at `path`, which must hold a
/// genome of the same encoding, settings and fixed tensors (the same seed).
fn start_from_genome(
    genome: &dyn innate_encodings::Genome<Phenotype = innate_encodings::Net>,
    path: &Path,
    env: &RunEnv<'_>,
) -> Result<()> {
    use innate_encodings::checkpoint;
    let file = checkpoint::load(&crate::hub::pull::resolve(path)?, env.device)?;
    let ours = genome.config()?;
    if file.encoding != genome.encoding() || file.genome != ours {
        return crate::error::config(format!(
            "{}: a {} genome with settings {}, but this run builds a {} genome with settings {}; a run \
             that starts from a genome file needs the file's own encoding, network, settings and seed \
             (innate transfer --learn takes them from the file)",
            path.display(),
            file.encoding,
            file.genome,
            genome.encoding(),
            ours
        ));
    }
    checkpoint::verify_fixed(genome, &file.tensors, path)?;
    checkpoint::restore(genome.varmap(), &file.tensors, path)?;
    Ok(())
}
