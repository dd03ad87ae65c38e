//! Training an experiment's runs: several at a time on a pool of threads, reusing finished run
//! folders, each run that starts from another run's genome waiting for it.
//!
//! A run's configuration may start from another run of the same profile by naming it instead of
//! a file: a run whose `genome_from`, or whose direct encoding's `init_from`, is
//! `run:EXPERIMENT/RUN` ([`run_ref`]) starts from `OUT/runs/EXPERIMENT/PROFILE/RUN/genome.safetensors`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use anyhow::{Context, bail};
use innate_run::{DataCache, Encoding, Metrics, RunConfig, RunEnv};

use crate::experiment::Experiment;
use crate::profile::Profile;
use crate::rows::Row;

/// Prefix of a run's `init_from` that names another run of the same profile instead of a file:
/// `run:EXPERIMENT/RUN` means `OUT/runs/EXPERIMENT/PROFILE/RUN/genome.safetensors`.
pub const RUN_REF: &str = "run:";

/// `init_from` naming run `id` of experiment `experiment`.
pub fn run_ref(experiment: &str, id: &str) -> PathBuf {
    PathBuf::from(format!("{RUN_REF}{experiment}/{id}"))
}

/// The `EXPERIMENT/RUN` that `config` starts from, if its `init_from` is a `run:` reference.
fn run_reference(config: &RunConfig) -> Option<&str> {
    config.starts_from().and_then(|p| p.to_str()).and_then(|p| p.strip_prefix(RUN_REF))
}

/// The genome file a `run:EXPERIMENT/RUN` reference names under `out` for `profile`, and the
/// experiment and run it names.
fn referenced_file<'a>(
    reference: &'a str,
    out: &Path,
    profile: Profile,
) -> anyhow::Result<(PathBuf, &'a str, &'a str)> {
    let (experiment, id) =
        reference.split_once('/').with_context(|| format!("bad run reference {reference:?}"))?;
    let path = out.join("runs").join(experiment).join(profile.name()).join(id).join("genome.safetensors");
    Ok((path, experiment, id))
}

/// The configuration with a `run:` reference in `init_from` replaced by the genome file it names
/// (whether or not it exists).
pub(crate) fn with_refs_resolved(
    config: &RunConfig,
    out: &Path,
    profile: Profile,
) -> anyhow::Result<RunConfig> {
    let Some(from) = run_reference(config) else {
        return Ok(config.clone());
    };
    let (path, _, _) = referenced_file(from, out, profile)?;
    let mut resolved = config.clone();
    if resolved.genome_from.is_some() {
        resolved.genome_from = Some(path);
    } else if let Encoding::Direct(d) = &mut resolved.encoding {
        d.init_from = Some(path);
    }
    Ok(resolved)
}

/// [`with_refs_resolved`], the genome file named having to exist.
fn resolve_refs(config: &RunConfig, out: &Path, profile: Profile) -> anyhow::Result<RunConfig> {
    if let Some(from) = run_reference(config) {
        let (path, experiment, id) = referenced_file(from, out, profile)?;
        if !path.exists() {
            bail!(
                "{} does not exist: this run starts from run {id} of experiment {experiment}; run \
                 `cargo xtask reproduce --profile {} --only {experiment}` first",
                path.display(),
                profile.name()
            );
        }
    }
    with_refs_resolved(config, out, profile)
}

/// Where and how an experiment's runs are trained.
pub struct RunContext<'a> {
    /// The profile whose runs are trained.
    pub profile: Profile,
    /// The output folder (runs/, results/, figures/).
    pub out: &'a Path,
    /// The data root.
    pub root: &'a Path,
    /// Where tensors live and compute.
    pub device: &'a candle_core::Device,
    /// Datasets already loaded.
    pub cache: &'a DataCache,
    /// Train again even where a finished run with the same configuration exists.
    pub force: bool,
    /// No progress bars.
    pub quiet: bool,
    /// Runs trained at once (a population counts as one).
    pub jobs: usize,
    /// When runs that differ only in their seeds train together as one population.
    pub populations: innate_run::Populations,
    /// Most members of one population (0: no limit).
    pub population_size: usize,
}

/// `runs` (by index) in the units that train together, in the order of each unit's first run: a
/// run alone, or the runs of one [`innate_run::population_key`] that `ctx.populations` lets join,
/// at most `ctx.population_size` at a time.
fn units(runs: &[(String, RunConfig)], ctx: &RunContext) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut open: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, (_, config)) in runs.iter().enumerate() {
        let key =
            ctx.populations.joins(config, ctx.device).then(|| innate_run::population_key(config)).flatten();
        match key {
            Some(key) => match open.get(&key) {
                Some(&u) if ctx.population_size == 0 || out[u].len() < ctx.population_size => out[u].push(i),
                _ => {
                    open.insert(key, out.len());
                    out.push(vec![i]);
                }
            },
            None => out.push(vec![i]),
        }
    }
    out
}

/// Trains (or reuses) every run of `e`, `ctx.jobs` at a time, and returns their rows in the
/// experiment's order. A run that starts from another run of the same experiment waits until
/// that run has finished. The first failure stops new runs from starting; the runs already
/// training finish (their folders stay reusable) and the failure is returned.
pub fn run_experiment(e: &Experiment, ctx: &RunContext) -> anyhow::Result<Vec<Row>> {
    let runs = e.runs(ctx.profile);
    let total = runs.len();
    let jobs = ctx.jobs.clamp(1, total.max(1));
    // With several runs at once their own progress bars would fight over the terminal: one bar
    // counts the experiment's runs instead.
    let overall = (jobs > 1).then(|| {
        let bar = innate_run::progress::bar(
            total as u64,
            ctx.quiet,
            "{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} runs, eta {eta} {msg}",
        );
        bar.set_prefix(e.name);
        bar
    });
    let run_quiet = ctx.quiet || jobs > 1;
    let units = units(&runs, ctx);
    let next = AtomicUsize::new(0);
    let state =
        Mutex::new(PoolState { results: (0..total).map(|_| Outcome::Pending).collect(), failed: false });
    let changed = Condvar::new();
    let settle = |i: usize, outcome: Outcome| {
        let mut s = lock(&state);
        match &outcome {
            Outcome::Done(_) => {
                if let Some(bar) = &overall {
                    bar.inc(1);
                    bar.set_message(runs[i].0.clone());
                }
            }
            _ => s.failed = true,
        }
        s.results[i] = outcome;
        changed.notify_all();
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(units.len()).max(1) {
            scope.spawn(|| {
                loop {
                    let u = next.fetch_add(1, Ordering::SeqCst);
                    let Some(unit) = units.get(u) else { break };
                    if let [i] = unit[..] {
                        let (id, config) = &runs[i];
                        // A run is skipped (settled all the same, so that no run waits for it
                        // forever) once another has failed, or when its source failed or was
                        // skipped.
                        let outcome = if lock(&state).failed
                            || !wait_for_source(e.name, i, config, &runs, &state, &changed)
                            || lock(&state).failed
                        {
                            Outcome::Skipped
                        } else {
                            guarded(|| one_run(e, ctx, i, total, id, config, run_quiet))
                        };
                        settle(i, outcome);
                    } else if lock(&state).failed {
                        unit.iter().for_each(|&i| settle(i, Outcome::Skipped));
                    } else {
                        // Members of a population start from no other run, so none waits.
                        for (i, outcome) in population_runs(e, ctx, unit, &runs, total, run_quiet) {
                            settle(i, outcome);
                        }
                    }
                }
            });
        }
    });
    if let Some(bar) = overall {
        bar.finish_and_clear();
    }
    let results = state.into_inner().unwrap_or_else(|p| p.into_inner()).results;
    // The first failure in the experiment's order (the runs that waited on it were skipped).
    let mut rows = Vec::with_capacity(total);
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Outcome::Done(row) => rows.push(*row),
            Outcome::Failed(err) => {
                return Err(err.context(format!("experiment {} run {}", e.name, runs[i].0)));
            }
            Outcome::Pending | Outcome::Skipped => {}
        }
    }
    Ok(rows)
}

/// What became of one run of an experiment.
enum Outcome {
    /// Not finished yet.
    Pending,
    /// Trained, or reused.
    Done(Box<Row>),
    /// Failed with this error.
    Failed(anyhow::Error),
    /// Not started because a run had failed (possibly the one it starts from).
    Skipped,
}

/// What the runs of an experiment have produced so far.
struct PoolState {
    /// Each run's outcome, in the experiment's order.
    results: Vec<Outcome>,
    /// A run has failed: start no more.
    failed: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Blocks until the run of the same experiment that run `i` (`config`) starts from, if any and if
/// it comes earlier (runs are started in order, so an earlier one is always settled eventually;
/// a later one or the run itself is left to `resolve_refs` to report), has been settled; whether
/// it finished.
fn wait_for_source(
    experiment: &str,
    i: usize,
    config: &RunConfig,
    runs: &[(String, RunConfig)],
    state: &Mutex<PoolState>,
    changed: &Condvar,
) -> bool {
    let Some((source_experiment, source_id)) = run_reference(config).and_then(|r| r.split_once('/')) else {
        return true;
    };
    if source_experiment != experiment {
        return true;
    }
    let Some(j) = runs.iter().position(|(id, _)| id == source_id).filter(|&j| j < i) else { return true };
    let mut s = lock(state);
    loop {
        match &s.results[j] {
            Outcome::Done(_) => return true,
            Outcome::Failed(_) | Outcome::Skipped => return false,
            Outcome::Pending => s = changed.wait(s).unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }
}

/// `run`'s row, or its failure; a panic is a failure like any other.
fn guarded(run: impl FnOnce() -> anyhow::Result<Row>) -> Outcome {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok(row)) => Outcome::Done(Box::new(row)),
        Ok(Err(err)) => Outcome::Failed(err),
        Err(panic) => Outcome::Failed(anyhow::anyhow!("the run panicked: {}", panic_message(&*panic))),
    }
}

/// What a panic said, if it said it in words.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|m| m.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Where run `id` (number `i` of `total`) of `e` lives (relative to the output folder, and there),
/// and its finished metrics when the folder holds this very run and `ctx` may reuse it (which it
/// logs).
fn folder(
    e: &Experiment,
    ctx: &RunContext,
    (i, total): (usize, usize),
    id: &str,
    config: &RunConfig,
) -> (PathBuf, PathBuf, Option<Metrics>) {
    let rel = Path::new("runs").join(e.name).join(ctx.profile.name()).join(id);
    let dir = ctx.out.join(&rel);
    let previous = innate_run::read_metrics(&dir)
        .ok()
        .filter(|m| config.is_run_of(&m.config))
        .filter(|_| !source_is_newer(config, &dir))
        .filter(|_| !ctx.force);
    if previous.is_some() {
        tracing::info!("[{}/{total}] {} {id}: reusing the finished run in {}", i + 1, e.name, dir.display());
    }
    (rel, dir, previous)
}

fn row(e: &Experiment, ctx: &RunContext, id: &str, rel: &Path, metrics: Metrics) -> Row {
    Row {
        experiment: e.name.to_string(),
        profile: ctx.profile,
        run: id.to_string(),
        dir: rel.to_string_lossy().into_owned(),
        metrics,
    }
}

/// Trains the runs `unit` of `e` (runs that differ only in their seeds) as one population,
/// reusing the finished ones; each run's outcome.
fn population_runs(
    e: &Experiment,
    ctx: &RunContext,
    unit: &[usize],
    runs: &[(String, RunConfig)],
    total: usize,
    quiet: bool,
) -> Vec<(usize, Outcome)> {
    let mut outcomes = Vec::with_capacity(unit.len());
    let mut train: Vec<(usize, PathBuf, PathBuf)> = Vec::new();
    for &i in unit {
        let (id, config) = &runs[i];
        let (rel, dir, previous) = folder(e, ctx, (i, total), id, config);
        match previous {
            Some(m) => outcomes.push((i, Outcome::Done(Box::new(row(e, ctx, id, &rel, m))))),
            None => train.push((i, rel, dir)),
        }
    }
    if train.is_empty() {
        return outcomes;
    }
    let env = RunEnv { root: ctx.root, device: ctx.device, cache: ctx.cache };
    let configs: Vec<RunConfig> = train.iter().map(|(i, _, _)| runs[*i].1.clone()).collect();
    let dirs: Vec<PathBuf> = train.iter().map(|(_, _, d)| d.clone()).collect();
    let ids: Vec<&str> = train.iter().map(|(i, _, _)| runs[*i].0.as_str()).collect();
    tracing::info!("[{}/{total}] {} {} as one population", train[0].0 + 1, e.name, ids.join(", "));
    let trained = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        innate_run::execute_population(&configs, &env, &dirs, quiet)
    }));
    match trained {
        Ok(Ok(results)) => {
            for ((i, rel, _), r) in train.into_iter().zip(results) {
                let outcome = match r {
                    Ok(m) => Outcome::Done(Box::new(row(e, ctx, &runs[i].0, &rel, m))),
                    Err(err) => Outcome::Failed(err.into()),
                };
                outcomes.push((i, outcome));
            }
        }
        Ok(Err(err)) => {
            let message = format!("{err:#}");
            for (i, _, _) in train {
                outcomes.push((i, Outcome::Failed(anyhow::anyhow!("its population failed: {message}"))));
            }
        }
        Err(panic) => {
            let message = panic_message(&*panic);
            for (i, _, _) in train {
                outcomes.push((i, Outcome::Failed(anyhow::anyhow!("its population panicked: {message}"))));
            }
        }
    }
    outcomes
}

/// Trains run `i` of `e`, or reuses its finished folder.
fn one_run(
    e: &Experiment,
    ctx: &RunContext,
    i: usize,
    total: usize,
    id: &str,
    config: &RunConfig,
    quiet: bool,
) -> anyhow::Result<Row> {
    let config = &resolve_refs(config, ctx.out, ctx.profile)?;
    let (rel, dir, previous) = folder(e, ctx, (i, total), id, config);
    let metrics = match previous {
        Some(m) => m,
        _ => {
            tracing::info!("[{}/{total}] {} {id}", i + 1, e.name);
            let env = RunEnv { root: ctx.root, device: ctx.device, cache: ctx.cache };
            innate_run::execute(config, &env, &dir, quiet)?
        }
    };
    Ok(row(e, ctx, id, &rel, metrics))
}

/// Whether the genome a run started from was written after the run finished (it was trained
/// again since), so that the run must be redone.
fn source_is_newer(config: &RunConfig, dir: &Path) -> bool {
    let Some(from) = config.starts_from() else { return false };
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(from), modified(&dir.join("metrics.json"))) {
        (Some(source), Some(run)) => source > run,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::{Kind, Runs};
    use innate_evolution::{LifetimeConfig, StrategyConfig};
    use innate_run::{EncodingFlags, Network, Populations};

    /// Three seeds of a GEM SLP, one of another size, one direct SLP: tiny, on the fixtures.
    fn runs(_: Profile) -> Vec<(String, RunConfig)> {
        let life = LifetimeConfig {
            batch_size: 16,
            max_batches: 40,
            eval_every: 10,
            patience: 1,
            ..Default::default()
        };
        let run = |enc: &str, genes: Option<usize>, seed: u64| {
            let e = Encoding::from_flags(enc, &EncodingFlags { genes, ..EncodingFlags::default() }).unwrap();
            RunConfig::new("mnist", Network::Slp, e, StrategyConfig::EndToEnd(life.clone()), seed)
                .with_seed(seed)
        };
        let mut out: Vec<(String, RunConfig)> =
            (0..3).map(|s| (format!("gem3-seed{s}"), run("gem", Some(3), s))).collect();
        out.push(("gem4-seed0".into(), run("gem", Some(4), 0)));
        out.push(("direct-seed0".into(), run("direct", None, 0)));
        out
    }

    fn experiment() -> Experiment {
        Experiment {
            name: "populations-test",
            title: "",
            source: "",
            caption: "",
            kind: Kind::Runs(Runs {
                runs,
                figure: |_, _, _| Ok(()),
                figures: &[],
                claims: |_, _| Vec::new(),
            }),
        }
    }

    fn context<'a>(
        out: &'a Path,
        root: &'a Path,
        device: &'a candle_core::Device,
        cache: &'a DataCache,
        populations: Populations,
        size: usize,
    ) -> RunContext<'a> {
        RunContext {
            profile: Profile::Smoke,
            out,
            root,
            device,
            cache,
            force: false,
            quiet: true,
            jobs: 2,
            populations,
            population_size: size,
        }
    }

    #[test]
    fn runs_that_differ_only_in_their_seeds_form_units() {
        let (device, cache) = (candle_core::Device::Cpu, DataCache::default());
        let p = Path::new(".");
        let all = runs(Profile::Smoke);
        assert_eq!(
            units(&all, &context(p, p, &device, &cache, Populations::Always, 0)),
            [vec![0, 1, 2], vec![3], vec![4]]
        );
        assert_eq!(
            units(&all, &context(p, p, &device, &cache, Populations::Always, 2)),
            [vec![0, 1], vec![2], vec![3], vec![4]]
        );
        assert_eq!(units(&all, &context(p, p, &device, &cache, Populations::Never, 0)).len(), 5);
        // On the CPU, `auto` trains every run alone (populations are not faster there).
        assert_eq!(units(&all, &context(p, p, &device, &cache, Populations::Auto, 0)).len(), 5);
    }

    #[test]
    fn a_population_unit_trains_the_runs_its_members_would_and_reuses_finished_ones() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fixtures");
        let (device, cache) = (candle_core::Device::Cpu, DataCache::default());
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let e = experiment();
        let key = |rows: &[Row]| -> Vec<(String, f64, usize)> {
            rows.iter()
                .map(|r| (r.run.clone(), r.metrics.report.best_test_accuracy, r.metrics.report.batches))
                .collect()
        };
        let together =
            run_experiment(&e, &context(a.path(), &root, &device, &cache, Populations::Always, 0)).unwrap();
        let alone =
            run_experiment(&e, &context(b.path(), &root, &device, &cache, Populations::Never, 0)).unwrap();
        assert_eq!(key(&together), key(&alone));
        assert_eq!(together.len(), 5);
        // Again: every member is reused, none trained.
        let again =
            run_experiment(&e, &context(a.path(), &root, &device, &cache, Populations::Always, 0)).unwrap();
        assert_eq!(key(&again), key(&together));
        for r in &again {
            assert_eq!(
                r.metrics.report.seconds,
                together.iter().find(|t| t.run == r.run).unwrap().metrics.report.seconds
            );
        }
    }
}
