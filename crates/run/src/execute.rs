//! One training run, from its configuration to its run folder: [`execute`].
//!
//! config -> data -> build the genome -> train it with the run's strategy -> save
//! `genome.safetensors` (the genome at its best accuracy, the run's configuration and metrics in
//! its metadata) and `metrics.json` ([`Metrics`]), both atomically, so an interrupted run leaves
//! either the old files or the new ones.

use std::path::Path;

use innate_datasets::Split;
use innate_evolution::{Data, Strategy};

use crate::config::RunConfig;
use crate::encoding::BuildContext;
pub use crate::env::RunEnv;
use crate::error::Result;
use crate::finish::{DataFacts, finish, log_start};
use crate::metrics::Metrics;
use crate::progress::RunProgress;

/// Trains as `config` says, writes `out/genome.safetensors` and `out/metrics.json`, and returns
/// the metrics. A progress bar shows the strategy's steps unless `quiet`.
pub fn execute(config: &RunConfig, env: &RunEnv<'_>, out: &Path, quiet: bool) -> Result<Metrics> {
    config.network.validate()?;
    if let Some(meta) = config.strategy.meta() {
        return crate::meta::execute(config, meta, env, out, quiet);
    }
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
    let mut report =
        strategy.train(&*genome, &Data { train: &train, test: &test, tasks: None }, &mut progress)?;
    progress.finish();
    // Trained end to end, a genome's best developed network is its ab initio accuracy; the
    // direct encoding has no genome apart from the network that learns.
    if report.ab_initio_test_accuracy.is_none() && !config.encoding.is_direct() {
        report.ab_initio_test_accuracy = Some(report.best_test_accuracy);
    }
    let data = DataFacts {
        load_seconds: train_split.load_seconds + test_split.load_seconds,
        train_images: train.len(),
        test_images: test.len(),
    };
    finish(config, env, out, &*genome, &arch, report, data)
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
