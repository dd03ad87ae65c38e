//! Runs that go on after a stop: a run folder's `checkpoint.safetensors`, from which
//! [`crate::execute::resume`] goes on.
//!
//! While a run trains end to end or intermittently, [`crate::execute()`] keeps the strategy's
//! state ([`TrainState`]) in `RUN/checkpoint.safetensors` after every evaluation (end to end;
//! every epoch of an epoch-counted run) or generation (intermittent), written atomically (temp
//! file, sync, rename), so that a run killed at any point leaves the last completed step.
//! [`crate::execute::resume`] goes on from it with the run's own settings; on the CPU the run then ends with the
//! genome file and curves, bit for bit, of a run that never stopped. A finished run removes its
//! checkpoint: the genome file and metrics are the result. A run that diverges or collapses
//! ([`innate_evolution::resume::CollapseWatch`]) stops with [`RunError::Stopped`] and leaves the
//! checkpoint of its last good step.
//!
//! The file: the state's tensors under their own names, and metadata `format`
//! (`innate-checkpoint/1`), `run` (the [`RunConfig`]), `strategy`, `done` and `numbers` (the
//! strategy's JSON). Meta-learning keeps its own checkpoint of the same name
//! ([`crate::meta`]); [`read`] tells them apart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use innate_evolution::TrainState;

use crate::config::RunConfig;
use crate::env::RunEnv;
use crate::error::{Result, RunError, config};

/// The file in a run folder from which [`crate::execute::resume`] goes on.
pub const CHECKPOINT: &str = crate::meta::CHECKPOINT;

const FORMAT: &str = "innate-checkpoint/1";

/// Writes `state` of the run `run` into `path`, atomically.
pub(crate) fn save(path: &Path, run: &RunConfig, state: &TrainState) -> Result<()> {
    let meta: HashMap<String, String> = [
        ("format".to_string(), FORMAT.to_string()),
        ("run".to_string(), serde_json::to_string(run)?),
        ("strategy".to_string(), state.strategy.clone()),
        ("done".to_string(), state.done.to_string()),
        ("numbers".to_string(), serde_json::to_string(&state.numbers)?),
    ]
    .into_iter()
    .collect();
    innate_encodings::checkpoint::save_tensors(path, &state.tensors, meta).map_err(|source| RunError::Save {
        dir: path.parent().unwrap_or(path).to_path_buf(),
        source: Box::new(source),
    })
}

/// What a run folder's checkpoint holds.
pub enum Checkpoint {
    /// A meta-learning run's ([`crate::meta::resume`] goes on from it).
    Meta,
    /// An end-to-end or intermittent run's: its configuration and state.
    Train(Box<RunConfig>, TrainState),
}

/// The checkpoint of the run folder `run_dir`, its tensors on `env`'s device.
pub fn read(run_dir: &Path, env: &RunEnv<'_>) -> Result<Checkpoint> {
    let path = run_dir.join(CHECKPOINT);
    if !path.is_file() {
        let why = if run_dir.join("genome.safetensors").is_file() {
            "the run has finished (its genome.safetensors and metrics.json are the result)"
        } else if run_dir.is_dir() {
            "the run stopped before its first checkpoint (written after its first evaluation or generation)"
        } else {
            "there is no such folder"
        };
        return config(format!(
            "--resume {}: no {CHECKPOINT} to go on from: {why}; start the run again without --resume",
            run_dir.display()
        ));
    }
    let (tensors, meta) = innate_encodings::checkpoint::load_tensors(&path, env.device)?;
    let damaged = |what: &str| -> RunError {
        RunError::Config(format!("{}: {what}; the file is damaged, start the run again", path.display()))
    };
    match meta.get("format").map(String::as_str) {
        Some(FORMAT) => {}
        Some(f) if f.starts_with("innate-meta-checkpoint/") => return Ok(Checkpoint::Meta),
        other => {
            return Err(damaged(&format!(
                "its format is {:?}, not an innate checkpoint ({FORMAT})",
                other.unwrap_or("missing")
            )));
        }
    }
    let get = |k: &str| meta.get(k).ok_or_else(|| damaged(&format!("metadata {k:?} is missing")));
    let run =
        RunConfig::from_json(serde_json::from_str(get("run")?).map_err(|_| damaged("its run is not JSON"))?)
            .map_err(|e| damaged(&format!("its run cannot be read ({e})")))?;
    let done = get("done")?.parse().map_err(|_| damaged("metadata \"done\" is not a count"))?;
    let numbers = serde_json::from_str(get("numbers")?).map_err(|_| damaged("its numbers are not JSON"))?;
    let mut tensors: Vec<(String, candle_core::Tensor)> = tensors.into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let state = TrainState { strategy: get("strategy")?.clone(), done, tensors, numbers };
    Ok(Checkpoint::Train(Box::new(run), state))
}

/// What a strategy's steps are called in messages.
pub(crate) fn unit(strategy: &str) -> &'static str {
    if strategy == "intermittent" { "generations" } else { "batches" }
}

/// Where the checkpoint of a stopped run is, and what it holds, for [`RunError::Stopped`].
pub(crate) fn kept(run_dir: &Path, last: Option<(&str, usize)>) -> String {
    let path: PathBuf = run_dir.join(CHECKPOINT);
    match last {
        Some((strategy, done)) => {
            let unit = unit(strategy);
            let unit = match (unit, done) {
                ("batches", 1) => "batch",
                ("generations", 1) => "generation",
                (u, _) => u,
            };
            format!("its last good checkpoint, after {done} {unit}, is kept in {}", path.display())
        }
        None => "it had written no checkpoint yet".to_string(),
    }
}
