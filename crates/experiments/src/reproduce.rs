//! `innate reproduce`: runs the selected experiments, writes their rows, draws their figures and
//! regenerates `REPORT.md`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use innate_run::DataCache;

use crate::experiment::{DerivedEnv, Experiment, Kind};
use crate::profile::Profile;
use crate::rows::{read_rows, read_values, results_path, write_rows};
use crate::schedule::{RunContext, run_experiment};

/// What `innate reproduce` was asked to do.
#[derive(Debug, Clone)]
pub struct ReproduceOptions {
    /// Which protocol to run.
    pub profile: Profile,
    /// Run only these experiments (all when empty).
    pub only: Vec<String>,
    /// Folder for results/, figures/, runs/ and REPORT.md.
    pub out: PathBuf,
    /// Run again even where a finished run with the same configuration exists.
    pub force: bool,
    /// Only redraw figures and REPORT.md from what results/ holds.
    pub report_only: bool,
    /// Runs trained at once.
    pub jobs: usize,
    /// `--device` (cpu, cuda, cuda:N).
    pub device: String,
    /// The data root.
    pub data_root: PathBuf,
    /// No progress bars.
    pub quiet: bool,
    /// When runs that differ only in their seeds train together as one population.
    pub populations: innate_run::Populations,
    /// Most members of one population (0: no limit).
    pub population_size: usize,
}

/// `name  title (source)` for every experiment, in report order.
pub fn list() -> Vec<String> {
    crate::registry().iter().map(|e| format!("{:<12} {} ({})", e.name, e.title, e.source)).collect()
}

/// Runs what `opts` asks for and returns the path of the report it wrote.
pub fn run(opts: &ReproduceOptions) -> anyhow::Result<PathBuf> {
    let all = crate::registry();
    for name in &opts.only {
        if !all.iter().any(|e| e.name == name) {
            let names: Vec<&str> = all.iter().map(|e| e.name).collect();
            bail!("--only {name}: no such experiment; known: {}", names.join(", "));
        }
    }
    let selected: Vec<&Experiment> =
        all.iter().filter(|e| opts.only.is_empty() || opts.only.iter().any(|n| n == e.name)).collect();
    let out = &opts.out;
    let mut run_ctx = None;
    if !opts.report_only {
        let device = innate_run::device::parse(&opts.device)?;
        run_ctx = Some((device, DataCache::default()));
    }
    let mut skipped = Vec::new();
    for e in &selected {
        match &e.kind {
            Kind::Derived(d) => {
                let path = results_path(out, e.name);
                if let Some((device, cache)) = &run_ctx {
                    let run = innate_run::RunEnv { root: &opts.data_root, device, cache };
                    let env = DerivedEnv { out, profile: opts.profile, run: &run, train: true };
                    let values = (d.compute)(&env).with_context(|| format!("experiment {}", e.name))?;
                    write_rows(&path, &values)?;
                }
                let values = read_values(&path)?;
                if let (Some(draw), false) = (d.figure, values.is_empty()) {
                    let stem = out.join("figures").join(e.name);
                    draw(&values, &stem).with_context(|| format!("{}: cannot draw the figure", e.name))?;
                    println!("drew {}", crate::figures::with_suffix(&stem, ".png").display());
                }
            }
            Kind::Runs(r) => {
                if let Some((device, cache)) = &run_ctx
                    && let Some(missing) = missing_data(e, opts, device, cache)?
                {
                    // An experiment on a dataset this machine lacks says so and lets the rest run.
                    tracing::warn!("{}: skipped: {missing}", e.name);
                    println!("skipped {}: {missing}", e.name);
                    skipped.push(format!("{}: {missing}", e.name));
                    continue;
                }
                if let Some((device, cache)) = &run_ctx {
                    let ctx = RunContext {
                        profile: opts.profile,
                        out,
                        root: &opts.data_root,
                        device,
                        cache,
                        force: opts.force,
                        quiet: opts.quiet,
                        jobs: opts.jobs,
                        populations: opts.populations,
                        population_size: opts.population_size,
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
                (r.figure)(&rows, out, &stem)
                    .with_context(|| format!("{}: cannot draw the figure", e.name))?;
                println!("drew {}", crate::figures::with_suffix(&stem, ".png").display());
            }
        }
        crate::report::write(&all, out)?;
    }
    // Asked only for experiments this data root cannot run: nothing was done, which is an error.
    if !skipped.is_empty() && skipped.len() == selected.len() {
        bail!("every experiment asked for was skipped for missing data:\n{}", skipped.join("\n"));
    }
    // Derived experiments follow the results they are computed from, so that the report never
    // shows them stale: recompute those not selected whose sources have rows of this profile.
    if let (Some((device, cache)), false) = (&run_ctx, opts.only.is_empty()) {
        let run = innate_run::RunEnv { root: &opts.data_root, device, cache };
        let env = DerivedEnv { out, profile: opts.profile, run: &run, train: false };
        for e in all.iter().filter(|e| !selected.iter().any(|s| s.name == e.name)) {
            let Kind::Derived(d) = &e.kind else { continue };
            recompute(e.name, d, &env)?;
        }
    }
    crate::report::write(&all, out)
}

/// What is missing for `e`'s runs, when a dataset they learn is not in the data root (its
/// files' error, which names them and says where they go); `None` when every dataset loads.
fn missing_data(
    e: &Experiment,
    opts: &ReproduceOptions,
    device: &candle_core::Device,
    cache: &DataCache,
) -> anyhow::Result<Option<String>> {
    let mut datasets: Vec<String> = e.runs(opts.profile).into_iter().map(|(_, c)| c.dataset).collect();
    datasets.sort();
    datasets.dedup();
    for d in datasets.iter().filter(|d| d.as_str() != "omniglot") {
        match cache.get(&opts.data_root, d, innate_datasets::Split::Test, device) {
            Err(innate_run::RunError::Data(err))
                if matches!(*err, innate_datasets::DataError::Missing { .. }) =>
            {
                return Ok(Some(err.to_string()));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Recomputes derived experiment `name` from the results present, if it has any for `profile`.
fn recompute(name: &str, d: &crate::experiment::Derived, env: &DerivedEnv<'_>) -> anyhow::Result<()> {
    let out = env.out;
    match (d.compute)(env) {
        Ok(values) if !values.is_empty() => {
            write_rows(&results_path(out, name), &values)?;
            if let Some(draw) = d.figure {
                draw(&values, &out.join("figures").join(name))?;
            }
            tracing::info!("{name}: recomputed from the new results");
        }
        _ => {}
    }
    Ok(())
}
