//! The experiment registry behind `innate reproduce` (and `cargo xtask reproduce`).
//!
//! Each table or figure of the papers is one [`Experiment`]: a list of runs per profile, a
//! figure drawn from the runs' results, and the report lines that put the paper's numbers beside
//! ours. Running an experiment writes, under the output folder:
//!
//! - `runs/NAME/PROFILE/RUN/` — each run's genome and `metrics.json` (reused when a finished
//!   run with the same configuration exists, unless `--force`);
//! - `results/NAME.jsonl` — one JSON row per run ([`Row`]);
//! - `figures/NAME.png` and `figures/NAME.svg` — drawn from those rows;
//! - `REPORT.md` — regenerated from every `results/*.jsonl` present.
//!
//! Numbers in figures and the report come only from the rows; the paper's values are quoted
//! from the papers beside them.

mod baselines;
mod common;
mod fields;
mod gnet;
mod report;
mod scaling;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use anyhow::{Context, bail};
use innate_datasets::data_root;
use serde::{Deserialize, Serialize};

use crate::cli::{GlobalArgs, Profile, ReproduceArgs};
use crate::runs::{self, DataCache, Metrics, RunConfig};

/// One line of the report: a quantity, the paper's value and ours.
#[derive(Debug, Clone)]
pub struct Claim {
    /// What is measured.
    pub quantity: String,
    /// The paper's value, as the paper states it.
    pub paper: String,
    /// Our value (mean ± sd over runs, or a single value).
    pub ours: String,
    /// Number of runs behind our value.
    pub runs: usize,
}

/// A registered experiment.
pub struct Experiment {
    /// Name used with `--only`, and for the results and figure files.
    pub name: &'static str,
    /// What it reproduces.
    pub title: &'static str,
    /// Where in the papers.
    pub source: &'static str,
    /// The runs of a profile: (run id, configuration).
    pub runs: fn(Profile) -> Vec<(String, RunConfig)>,
    /// Draws the figures from the rows: `stem.png` / `stem.svg`, and `stem{suffix}.*` for each
    /// of [`Experiment::figures`]. The second argument is the output folder (run folders are
    /// relative to it).
    pub figure: fn(&[Row], &Path, &Path) -> anyhow::Result<()>,
    /// Suffixes of the figures drawn besides `stem` itself (usually none).
    pub figures: &'static [&'static str],
    /// The report lines (the second argument is the output folder).
    pub claims: fn(&[Row], &Path) -> Vec<Claim>,
    /// Caption under the figures in the report.
    pub caption: &'static str,
    /// Set for an experiment computed from other results (or from code alone) instead of from
    /// runs of its own; its `runs` are then empty and `figure` / `claims` unused.
    pub derived: Option<Derived>,
}

/// Draws `stem.png` / `stem.svg` from a derived experiment's rows.
pub type DrawValues = fn(&[serde_json::Value], &Path) -> anyhow::Result<()>;

/// An experiment computed without runs of its own: from the presets, or from the results of
/// other experiments. Its `results/NAME.jsonl` holds rows of its own shape.
pub struct Derived {
    /// Computes the rows (the output folder, to read other experiments' results).
    pub compute: fn(&Path, Profile) -> anyhow::Result<Vec<serde_json::Value>>,
    /// Draws `stem.png` / `stem.svg` from the rows, if the experiment has a figure.
    pub figure: Option<DrawValues>,
    /// The report lines.
    pub claims: fn(&[serde_json::Value]) -> Vec<Claim>,
}

impl Experiment {
    /// An experiment computed from other results or from code alone (see [`Derived`]).
    pub fn derived(
        name: &'static str,
        title: &'static str,
        source: &'static str,
        caption: &'static str,
        d: Derived,
    ) -> Self {
        Self {
            name,
            title,
            source,
            runs: |_| Vec::new(),
            figure: |_, _, _| Ok(()),
            figures: &[],
            claims: |_, _| Vec::new(),
            caption,
            derived: Some(d),
        }
    }
}

/// Prefix of a run's `init_from` that names another run of the same profile instead of a file:
/// `run:EXPERIMENT/RUN` means `OUT/runs/EXPERIMENT/PROFILE/RUN/genome.safetensors`.
pub const RUN_REF: &str = "run:";

/// `init_from` naming run `id` of experiment `experiment`.
pub fn run_ref(experiment: &str, id: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{RUN_REF}{experiment}/{id}"))
}

/// The `EXPERIMENT/RUN` that `config` starts from, if its `init_from` is a `run:` reference.
fn run_reference(config: &RunConfig) -> Option<&str> {
    config.init_from.as_ref().and_then(|p| p.to_str()).and_then(|p| p.strip_prefix(RUN_REF))
}

/// The configuration with a `run:` reference in `init_from` replaced by the genome file it names,
/// which must exist.
fn resolve_refs(config: &RunConfig, out: &Path, profile: Profile) -> anyhow::Result<RunConfig> {
    let Some(from) = run_reference(config) else {
        return Ok(config.clone());
    };
    let (experiment, id) = from.split_once('/').with_context(|| format!("bad run reference {from:?}"))?;
    let path = out.join("runs").join(experiment).join(profile.name()).join(id).join("genome.safetensors");
    if !path.exists() {
        bail!(
            "{} does not exist: this run starts from run {id} of experiment {experiment}; run \
             `cargo xtask reproduce --profile {} --only {experiment}` first",
            path.display(),
            profile.name()
        );
    }
    Ok(RunConfig { init_from: Some(path), ..config.clone() })
}

/// One run's results, as a line of `results/NAME.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Experiment name.
    pub experiment: String,
    /// Profile the run belongs to.
    pub profile: Profile,
    /// Run id within the experiment.
    pub run: String,
    /// The run's folder, relative to the output folder.
    #[serde(default)]
    pub dir: String,
    /// The run's metrics (its configuration included).
    pub metrics: Metrics,
}

/// Every experiment, in report order.
pub fn registry() -> Vec<Experiment> {
    vec![
        baselines::experiment(),
        scaling::gem_fig1c(),
        scaling::sgem_fig2c(),
        scaling::sgem_fig2d(),
        fields::sgem_fig2b(),
        gnet::gnet_table1(),
        gnet::gnet_fig2c(),
        gnet::gnet_figs2c(),
        gnet::gnet_fig2d(),
        gnet::gnet_fig2ef(),
        gnet::gnet_fig2h(),
    ]
}

/// `innate reproduce`.
pub fn run(g: &GlobalArgs, a: &ReproduceArgs) -> anyhow::Result<()> {
    let all = registry();
    if a.list {
        for e in &all {
            println!("{:<12} {} ({})", e.name, e.title, e.source);
        }
        return Ok(());
    }
    for name in &a.only {
        if !all.iter().any(|e| e.name == name) {
            let names: Vec<&str> = all.iter().map(|e| e.name).collect();
            bail!("--only {name}: no such experiment; known: {}", names.join(", "));
        }
    }
    let selected: Vec<&Experiment> =
        all.iter().filter(|e| a.only.is_empty() || a.only.iter().any(|n| n == e.name)).collect();
    let out = &a.out;
    let mut run_ctx = None;
    if !a.report_only {
        let device = crate::device::parse(&g.device)?;
        run_ctx = Some((device, data_root(g.data_dir.as_deref()), DataCache::default()));
    }
    for e in &selected {
        if let Some(d) = &e.derived {
            let path = results_path(out, e.name);
            if !a.report_only {
                let values = (d.compute)(out, a.profile).with_context(|| format!("experiment {}", e.name))?;
                write_rows(&path, &values)?;
            }
            let values = read_values(&path)?;
            if let (Some(draw), false) = (d.figure, values.is_empty()) {
                let stem = out.join("figures").join(e.name);
                draw(&values, &stem).with_context(|| format!("{}: cannot draw the figure", e.name))?;
                println!("drew {}", crate::plot::with_suffix(&stem, ".png").display());
            }
            report::write(&all, out)?;
            continue;
        }
        if let Some((device, root, cache)) = &run_ctx {
            let ctx = RunContext {
                profile: a.profile,
                out,
                root,
                device,
                cache,
                force: a.force,
                quiet: g.quiet,
                jobs: a.jobs(&g.device, crate::machine_cores()),
            };
            let rows = run_experiment(e, &ctx)?;
            write_rows(&results_path(out, e.name), &rows)?;
        }
        // Draw and report as each experiment finishes, so a long run shows its progress.
        let rows = read_rows(&results_path(out, e.name))?;
        if rows.is_empty() {
            tracing::warn!("{}: no results yet; run without --report-only first", e.name);
            continue;
        }
        let stem = out.join("figures").join(e.name);
        (e.figure)(&rows, out, &stem).with_context(|| format!("{}: cannot draw the figure", e.name))?;
        println!("drew {}", crate::plot::with_suffix(&stem, ".png").display());
        report::write(&all, out)?;
    }
    // Derived experiments follow the results they are computed from, so that the report never
    // shows them stale: recompute those not selected whose sources have rows of this profile.
    if !a.report_only && !a.only.is_empty() {
        for e in all.iter().filter(|e| !selected.iter().any(|s| s.name == e.name)) {
            let Some(d) = &e.derived else { continue };
            match (d.compute)(out, a.profile) {
                Ok(values) if !values.is_empty() => {
                    write_rows(&results_path(out, e.name), &values)?;
                    if let Some(draw) = d.figure {
                        draw(&values, &out.join("figures").join(e.name))?;
                    }
                    tracing::info!("{}: recomputed from the new results", e.name);
                }
                _ => {}
            }
        }
    }
    let report = report::write(&all, out)?;
    println!("wrote {}", report.display());
    Ok(())
}

/// Where and how an experiment's runs are trained.
struct RunContext<'a> {
    profile: Profile,
    out: &'a Path,
    root: &'a Path,
    device: &'a candle_core::Device,
    cache: &'a DataCache,
    force: bool,
    quiet: bool,
    /// Runs trained at once.
    jobs: usize,
}

/// Trains (or reuses) every run of `e`, `ctx.jobs` at a time, and returns their rows in the
/// experiment's order. A run that starts from another run of the same experiment waits until
/// that run has finished. The first failure stops new runs from starting; the runs already
/// training finish (their folders stay reusable) and the failure is returned.
fn run_experiment(e: &Experiment, ctx: &RunContext) -> anyhow::Result<Vec<Row>> {
    let runs = (e.runs)(ctx.profile);
    let total = runs.len();
    let jobs = ctx.jobs.clamp(1, total.max(1));
    // With several runs at once their own progress bars would fight over the terminal: one bar
    // counts the experiment's runs instead.
    let overall = (jobs > 1).then(|| {
        let bar = crate::progress::bar(
            total as u64,
            ctx.quiet,
            "{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} runs, eta {eta} {msg}",
        );
        bar.set_prefix(e.name);
        bar
    });
    let run_quiet = ctx.quiet || jobs > 1;
    let next = AtomicUsize::new(0);
    let state =
        Mutex::new(PoolState { results: (0..total).map(|_| Outcome::Pending).collect(), failed: false });
    let changed = Condvar::new();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        break;
                    }
                    let (id, config) = &runs[i];
                    // A run is skipped (settled all the same, so that no run waits for it
                    // forever) once another has failed, or when its source failed or was skipped.
                    let outcome = if lock(&state).failed
                        || !wait_for_source(e.name, i, config, &runs, &state, &changed)
                        || lock(&state).failed
                    {
                        Outcome::Skipped
                    } else {
                        // A panic is a failure like any other: the run is settled either way.
                        let run =
                            std::panic::AssertUnwindSafe(|| one_run(e, ctx, i, total, id, config, run_quiet));
                        match std::panic::catch_unwind(run) {
                            Ok(Ok(row)) => Outcome::Done(Box::new(row)),
                            Ok(Err(err)) => Outcome::Failed(err),
                            Err(panic) => Outcome::Failed(anyhow::anyhow!(
                                "the run panicked: {}",
                                panic
                                    .downcast_ref::<&str>()
                                    .map(|m| m.to_string())
                                    .or_else(|| panic.downcast_ref::<String>().cloned())
                                    .unwrap_or_default()
                            )),
                        }
                    };
                    let mut s = lock(&state);
                    match &outcome {
                        Outcome::Done(_) => {
                            if let Some(bar) = &overall {
                                bar.inc(1);
                                bar.set_message(id.clone());
                            }
                        }
                        _ => s.failed = true,
                    }
                    s.results[i] = outcome;
                    changed.notify_all();
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
    let rel = Path::new("runs").join(e.name).join(ctx.profile.name()).join(id);
    let dir = ctx.out.join(&rel);
    let config = &resolve_refs(config, ctx.out, ctx.profile)?;
    let previous = runs::read_metrics(&dir)
        .ok()
        .filter(|m| &m.config == config)
        .filter(|_| !source_is_newer(config, &dir));
    let metrics = match previous {
        Some(m) if !ctx.force => {
            tracing::info!(
                "[{}/{total}] {} {id}: reusing the finished run in {}",
                i + 1,
                e.name,
                dir.display()
            );
            m
        }
        _ => {
            tracing::info!("[{}/{total}] {} {id}", i + 1, e.name);
            runs::execute(config, ctx.root, ctx.device, &dir, ctx.cache, quiet)?
        }
    };
    Ok(Row {
        experiment: e.name.to_string(),
        profile: ctx.profile,
        run: id.to_string(),
        dir: rel.to_string_lossy().into_owned(),
        metrics,
    })
}

/// Whether the genome a run started from was written after the run finished (it was trained
/// again since), so that the run must be redone.
fn source_is_newer(config: &RunConfig, dir: &Path) -> bool {
    let Some(from) = &config.init_from else { return false };
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(from), modified(&dir.join("metrics.json"))) {
        (Some(source), Some(run)) => source > run,
        _ => true,
    }
}

/// `OUT/results/NAME.jsonl`.
pub fn results_path(out: &Path, name: &str) -> PathBuf {
    out.join("results").join(format!("{name}.jsonl"))
}

/// Writes `items` as JSON Lines, atomically: the rows of an experiment ([`Row`]) or of a derived
/// experiment (JSON values).
pub fn write_rows<T: Serialize>(path: &Path, items: &[T]) -> anyhow::Result<()> {
    let mut text = String::new();
    for item in items {
        text.push_str(&serde_json::to_string(item)?);
        text.push('\n');
    }
    innate_encodings::checkpoint::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// Reads rows written by [`write_rows`]; a missing file is no rows.
pub fn read_lines<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| {
                format!(
                    "{} line {}: not a result row of this version of innate; delete the file and rerun",
                    path.display(),
                    i + 1
                )
            })
        })
        .collect()
}

/// Reads an experiment's rows.
pub fn read_rows(path: &Path) -> anyhow::Result<Vec<Row>> {
    read_lines(path)
}

/// Reads a derived experiment's rows.
pub fn read_values(path: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    read_lines(path)
}

/// Mean and sample standard deviation.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n;
    let sd = if xs.len() > 1 {
        (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

/// `"92.61 ± 0.05%"` for fractions.
pub fn percent(xs: &[f64]) -> String {
    let (m, s) = mean_sd(xs);
    if xs.len() > 1 { format!("{:.2} ± {:.2}%", 100.0 * m, 100.0 * s) } else { format!("{:.2}%", 100.0 * m) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics() {
        assert_eq!(mean_sd(&[1.0, 3.0]), (2.0, 2f64.sqrt()));
        assert_eq!(percent(&[0.9]), "90.00%");
        assert_eq!(percent(&[0.9, 0.92]), "91.00 ± 1.41%");
        assert!(mean_sd(&[]).0.is_nan());
    }

    #[test]
    fn rows_round_trip_and_bad_rows_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("results").join("x.jsonl");
        assert!(read_rows(&p).unwrap().is_empty());
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "{\"nope\": 1}\n").unwrap();
        let e = read_rows(&p).unwrap_err().to_string();
        assert!(e.contains("x.jsonl line 1"), "{e}");
    }

    #[test]
    fn every_experiment_has_runs_in_both_profiles_and_unique_ids() {
        for e in registry().into_iter().filter(|e| e.derived.is_none()) {
            for p in [Profile::Quick, Profile::Paper, Profile::Smoke] {
                let runs = (e.runs)(p);
                assert!(!runs.is_empty(), "{} {p:?}", e.name);
                let mut ids: Vec<_> = runs.iter().map(|r| r.0.clone()).collect();
                ids.sort();
                ids.dedup();
                assert_eq!(ids.len(), runs.len(), "{}", e.name);
            }
        }
    }
}
