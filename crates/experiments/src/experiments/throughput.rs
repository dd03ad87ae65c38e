//! `throughput`: how many runs an hour this machine trains, one at a time against populations
//! (runs that differ only in their seeds trained as one program, `innate_run::population`). No
//! paper reports it; the numbers come from the benchmarks' result files, which the scripts that
//! measured them wrote:
//!
//! - `bench/results/profile_speed.jsonl` (`bench/profile_speed.sh EXPERIMENT paper`): whole
//!   reproduce profiles, `--populations never` and `always`, `--jobs 2`;
//! - `bench/results/population_speed.jsonl` (`bench/population_speed.sh`): `innate train --seeds`
//!   for one arm of a sweep at a time, on one thread, with and without `--one-at-a-time`.
//!
//! The newest measurement of each profile and mode, and of each arm and mode, is reported.

use anyhow::Context;
use serde_json::{Value, json};

use crate::experiment::{Claim, Derived, DerivedEnv, Experiment, Kind};

/// `throughput`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "throughput",
        title: "Runs per hour on this machine: one at a time against populations",
        source: "no anchor (neither paper reports it); bench/results/profile_speed.jsonl and \
                 bench/results/population_speed.jsonl",
        caption: "Whole profiles: `innate reproduce --profile paper --only EXPERIMENT --jobs 2` into an empty \
                  folder, `--populations never` (every run alone, one thread each) against `always` (the runs that \
                  differ only in their seeds as one population). Arms: `innate train --seeds 0..K` on one thread \
                  with and without `--one-at-a-time`, the paper's protocol with early stopping. Peak memory is the \
                  process's. `same results`: every run's best accuracy and length equal in both modes.",
        kind: Kind::Derived(Derived { compute, figure: None, claims }),
    }
}

/// The newest line of each `key` in the JSON Lines file `path` (none when it is missing).
fn newest(path: &std::path::Path, key: impl Fn(&Value) -> String) -> anyhow::Result<Vec<Value>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out: Vec<(String, Value)> = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: Value =
            serde_json::from_str(line).with_context(|| format!("{} line {}", path.display(), i + 1))?;
        let k = key(&v);
        match out.iter_mut().find(|(o, _)| *o == k) {
            Some(slot) if slot.1["at"].as_str() <= v["at"].as_str() => slot.1 = v,
            Some(_) => {}
            None => out.push((k, v)),
        }
    }
    Ok(out.into_iter().map(|(_, v)| v).collect())
}

fn compute(env: &DerivedEnv<'_>) -> anyhow::Result<Vec<Value>> {
    let bench = env.out.join("bench").join("results");
    let mut rows = Vec::new();
    for mut v in newest(&bench.join("profile_speed.jsonl"), |v| {
        format!("{} {} {}", v["experiment"], v["profile"], v["populations"])
    })? {
        v["kind"] = json!("profile");
        rows.push(v);
    }
    for mut v in newest(&bench.join("population_speed.jsonl"), |v| format!("{} {}", v["arm"], v["mode"]))? {
        v["kind"] = json!("arm");
        rows.push(v);
    }
    Ok(rows)
}

fn claims(values: &[Value]) -> Vec<Claim> {
    let mut out = Vec::new();
    let of = |kind: &'static str| values.iter().filter(move |v| v["kind"] == kind);
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    for alone in of("profile").filter(|v| v["populations"] == "never") {
        let together = of("profile").find(|v| {
            v["populations"] == "always"
                && v["experiment"] == alone["experiment"]
                && v["profile"] == alone["profile"]
        });
        let name = format!(
            "{} ({} profile, {} runs, {} jobs)",
            alone["experiment"].as_str().unwrap_or("?"),
            alone["profile"].as_str().unwrap_or("?"),
            alone["runs"],
            alone["jobs"]
        );
        let line = |v: &Value| {
            format!(
                "{:.0} runs per hour ({:.1} min, peak {:.0} MB)",
                f(v, "runs_per_hour"),
                f(v, "wall_seconds") / 60.0,
                f(v, "peak_rss_mb")
            )
        };
        out.push(Claim {
            quantity: format!("{name}: one run at a time"),
            paper: "not reported".into(),
            ours: line(alone),
            runs: alone["runs"].as_u64().unwrap_or(0) as usize,
        });
        if let Some(t) = together {
            let same = if t["best"] == alone["best"] { "same results" } else { "results differ" };
            out.push(Claim {
                quantity: format!("{name}: as populations"),
                paper: "not reported".into(),
                ours: format!(
                    "{}; {:.2}x, {same}",
                    line(t),
                    f(t, "runs_per_hour") / f(alone, "runs_per_hour")
                ),
                runs: t["runs"].as_u64().unwrap_or(0) as usize,
            });
        }
    }
    for alone in of("arm").filter(|v| v["mode"] == "one-at-a-time") {
        let Some(t) = of("arm").find(|v| v["mode"] == "population" && v["arm"] == alone["arm"]) else {
            continue;
        };
        let same = t["best"] == alone["best"] && t["batches"] == alone["batches"];
        out.push(Claim {
            quantity: format!(
                "{} ({}, 1 thread, {} seeds): runs per hour one at a time / as one population",
                alone["arm"].as_str().unwrap_or("?"),
                alone["protocol"].as_str().unwrap_or("paper protocol"),
                alone["members"]
            ),
            paper: "not reported".into(),
            ours: format!(
                "{:.0} / {:.0} ({:.2}x; peak {:.0} / {:.0} MB; {})",
                f(alone, "runs_per_hour"),
                f(t, "runs_per_hour"),
                f(t, "runs_per_hour") / f(alone, "runs_per_hour"),
                f(alone, "peak_rss_mb"),
                f(t, "peak_rss_mb"),
                if same { "same results" } else { "results differ" }
            ),
            runs: alone["members"].as_u64().unwrap_or(0) as usize,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_pair_the_modes_and_keep_the_newest_measurement() {
        let dir = tempfile::tempdir().unwrap();
        let bench = dir.path().join("bench").join("results");
        std::fs::create_dir_all(&bench).unwrap();
        let p = |mode: &str, wall: f64, at: &str| {
            json!({"experiment": "gem-fig1c", "profile": "paper", "populations": mode, "jobs": 2, "runs": 230,
                   "wall_seconds": wall, "runs_per_hour": 3600.0 * 230.0 / wall, "peak_rss_mb": 300.0, "at": at,
                   "best": {"a": 0.9}})
        };
        let arm = |mode: &str, rph: f64| {
            json!({"arm": "mlsgem-g9", "mode": mode, "members": 10, "runs_per_hour": rph, "peak_rss_mb": 100.0,
                   "batches": [1000], "best": [0.8], "at": "2026-12-04T00:00:00Z"})
        };
        let lines = |vs: &[Value]| vs.iter().map(|v| v.to_string() + "\n").collect::<String>();
        std::fs::write(
            bench.join("profile_speed.jsonl"),
            lines(&[
                p("never", 50.0, "2026-12-03T00:00:00Z"),
                p("never", 90.0, "2026-12-04T00:00:00Z"),
                p("always", 100.0, "2026-12-04T00:00:00Z"),
            ]),
        )
        .unwrap();
        std::fs::write(
            bench.join("population_speed.jsonl"),
            lines(&[arm("population", 500.0), arm("one-at-a-time", 700.0)]),
        )
        .unwrap();
        let rows = {
            let cache = innate_run::DataCache::default();
            let device = candle_core::Device::Cpu;
            let run = innate_run::RunEnv { root: dir.path(), device: &device, cache: &cache };
            compute(&DerivedEnv {
                out: dir.path(),
                profile: crate::profile::Profile::Paper,
                run: &run,
                train: false,
            })
            .unwrap()
        };
        assert_eq!(rows.len(), 4);
        let c = claims(&rows);
        assert_eq!(c.len(), 3);
        assert!(c[0].ours.starts_with("9200 runs per hour (1.5 min"), "{}", c[0].ours);
        assert!(c[1].ours.contains("0.90x, same results"), "{}", c[1].ours);
        assert!(c[2].ours.starts_with("700 / 500 (0.71x"), "{}", c[2].ours);
        assert!(c[2].ours.contains("same results"), "{}", c[2].ours);
    }
}
