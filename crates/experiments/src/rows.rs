//! Result rows: `results/NAME.jsonl`, one JSON line per run ([`Row`]) or, for a derived
//! experiment, one JSON value per line of its own shape. Rows are the only source of the
//! figures' and the report's numbers.

use std::path::{Path, PathBuf};

use anyhow::Context;
use innate_run::Metrics;
use serde::{Deserialize, Serialize};

use crate::profile::Profile;

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

/// The rows of experiment `name` of `profile` under `out`: an error that says what to run when
/// there are none (for experiments computed from another's runs).
pub fn rows_of_profile(out: &Path, name: &str, profile: Profile) -> anyhow::Result<Vec<Row>> {
    let path = results_path(out, name);
    let rows: Vec<Row> = read_rows(&path)?.into_iter().filter(|r| r.profile == profile).collect();
    if rows.is_empty() {
        anyhow::bail!(
            "{} has no rows of the {} profile: this experiment is computed from {name}'s runs; run \
             `cargo xtask reproduce --profile {} --only {name}` first",
            path.display(),
            profile.name(),
            profile.name()
        );
    }
    Ok(rows)
}

/// The runs' learning curves as one line with a band: for each test from the `from`-th on, the
/// tests' batches divided by `per_x` (the x value), the mean accuracy over the runs and its
/// range, in percent.
pub fn curve_band(rows: &[&Row], from: usize, per_x: f64) -> Vec<(f64, f64, f64, f64)> {
    let longest = rows.iter().map(|r| r.metrics.report.curve.len()).max().unwrap_or(0);
    (from..longest)
        .map(|k| {
            let ys: Vec<f64> = rows
                .iter()
                .filter_map(|r| r.metrics.report.curve.get(k))
                .map(|p| 100.0 * p.test_accuracy)
                .collect();
            let x = rows.iter().find_map(|r| r.metrics.report.curve.get(k)).map_or(0, |p| p.batches) as f64
                / per_x;
            let (m, _) = crate::stats::mean_sd(&ys);
            let lo = ys.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = ys.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            (x, m, lo, hi)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
