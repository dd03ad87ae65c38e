//! `meta-figS6`: the modularity of the developed network over meta-training (developmental
//! priors, Fig. S6), from meta-omniglot's snapshots.
//!
//! Every meta-omniglot run keeps its genome every few meta-batches (`MetaConfig::snapshot_every`)
//! and records, in each snapshot, Newman's modularity of the network it develops
//! ([`innate_run::analysis::modularity`]: every neuron a node, every weight an edge of weight
//! `|w|`, the Louvain partition) and the class distances of its last hidden layer on held-out
//! tasks ([`innate_run::analysis::class_distances`], Fig. S7, `meta-figS7`). This experiment
//! reads them back; it trains nothing.

use std::path::Path;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::meta_omniglot::{MODELS, rows_of};
use crate::experiment::{Claim, Derived, Experiment, Kind};
use crate::figures::plot::{LineChart, Series};
use crate::gnet::f64s;
use crate::profile::Profile;
use crate::rows::rows_of_profile;

/// `meta-figS6`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "meta-figS6",
        title: "Modularity of the developed network over meta-training: direct, GEM, S-GEM",
        source: "developmental priors, Fig. S6 and Results (modularity rises, plateaus, then falls in training \
                 (ref. 35); so in GEM; S-GEM's does not change significantly)",
        caption: "Newman's modularity Q of the developed 784-784-784-5 network (neurons as nodes, |w| as edge \
                  weights, Louvain partition) at each snapshot of meta-omniglot's runs: mean over seeds (line), \
                  range over seeds (band). The quick profile covers the first 400 of the paper's 50,000 \
                  meta-batches.",
        kind: Kind::Derived(Derived {
            compute: |env| compute(env.out, env.profile),
            figure: Some(figure),
            claims,
        }),
    }
}

/// One value per meta-omniglot run of `profile` that kept snapshots: the model (label, index in
/// the report's order, encoding), run, seed and, per snapshot, the meta-batches done, the last
/// held-out accuracy and the snapshot's analysis.
pub(crate) fn snapshot_values(out: &Path, profile: Profile) -> anyhow::Result<Vec<Value>> {
    let rows = rows_of_profile(out, "meta-omniglot", profile)?;
    let mut values = Vec::new();
    for (index, model) in MODELS.iter().enumerate() {
        for row in rows_of(&rows, model) {
            let dir = out.join(&row.dir);
            let snaps = innate_run::meta::snapshots(&dir)?;
            let mut cols: [Vec<f64>; 6] = Default::default();
            for (done, path) in &snaps {
                let file = innate_encodings::checkpoint::load(path, &candle_core::Device::Cpu)
                    .with_context(|| format!("cannot read the snapshot {}", path.display()))?;
                let Some(a) = innate_run::meta::snapshot_analysis(&file) else {
                    bail!(
                        "{}: the snapshot records no analysis (an older innate wrote it): run `cargo xtask \
                         reproduce --profile {} --only meta-omniglot --force`",
                        path.display(),
                        profile.name()
                    );
                };
                let acc = file.metrics.get("test_accuracy").and_then(Value::as_f64).unwrap_or(f64::NAN);
                let row = [
                    *done as f64,
                    acc,
                    a.modularity,
                    a.communities as f64,
                    a.distances.within,
                    a.distances.between,
                ];
                for (c, v) in cols.iter_mut().zip(row) {
                    c.push(v);
                }
            }
            if snaps.is_empty() {
                continue;
            }
            let [meta_batches, test_accuracy, modularity, communities, within, between] = cols;
            values.push(json!({
                "model": model.label,
                "model_index": index,
                "encoding": model.encoding,
                "run": row.run,
                "seed": row.metrics.seed,
                "profile": row.profile,
                "meta_batches": meta_batches,
                "test_accuracy": test_accuracy,
                "modularity": modularity,
                "communities": communities,
                "within": within,
                "between": between,
            }));
        }
    }
    if values.is_empty() {
        bail!(
            "meta-omniglot's {} runs kept no snapshots (their run folders under {} are missing, or older than \
             snapshots): run `cargo xtask reproduce --profile {} --only meta-omniglot --force`",
            profile.name(),
            out.join("runs").display(),
            profile.name()
        );
    }
    Ok(values)
}

fn compute(out: &Path, profile: Profile) -> anyhow::Result<Vec<Value>> {
    snapshot_values(out, profile)
}

/// The values of model `index`.
fn of_model(values: &[Value], index: usize) -> Vec<&Value> {
    values.iter().filter(|v| v["model_index"].as_u64() == Some(index as u64)).collect()
}

/// `key`'s curve of one model: (meta-batches, mean, lowest, highest) over its runs, at the
/// snapshots all of them reached.
pub(crate) fn band(runs: &[&Value], key: &str) -> Vec<(f64, f64, f64, f64)> {
    let xs: Vec<Vec<f64>> = runs.iter().map(|v| f64s(&v["meta_batches"])).collect();
    let ys: Vec<Vec<f64>> = runs.iter().map(|v| f64s(&v[key])).collect();
    let shortest = xs.iter().map(Vec::len).min().unwrap_or(0);
    (0..shortest)
        .map(|k| {
            let at: Vec<f64> = ys.iter().filter_map(|y| y.get(k).copied()).collect();
            let mean = at.iter().sum::<f64>() / at.len().max(1) as f64;
            let lo = at.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = at.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (xs[0][k], mean, lo, hi)
        })
        .collect()
}

/// One chart of `key` (scaled by `scale`) per model, mean line and range band.
pub(crate) fn chart(values: &[Value], key: &str, scale: f64, title: &str, y_label: &str) -> LineChart {
    let mut c = LineChart {
        title: title.into(),
        x_label: "meta-batches of 32 tasks".into(),
        y_label: y_label.into(),
        ..LineChart::default()
    };
    for (i, model) in MODELS.iter().enumerate() {
        let runs = of_model(values, i);
        if runs.is_empty() {
            continue;
        }
        let mut s =
            Series { name: format!("{} (n = {})", model.label, runs.len()), color: i, ..Series::default() };
        for (x, m, lo, hi) in band(&runs, key) {
            s.points.push((x, scale * m));
            s.band.push((x, scale * lo, scale * hi));
        }
        c.series.push(s);
    }
    c
}

fn figure(values: &[Value], stem: &Path) -> anyhow::Result<()> {
    let mut c = chart(values, "modularity", 1.0, "Modularity of the developed network", "modularity Q");
    c.legend = crate::figures::plot::Legend::UpperLeft;
    c.save(stem)
}

/// A mean curve's start, peak (and where) and end, with the rise to the peak and the fall after
/// it relative to the start and the peak: `"a / b at meta-batch x / c (+r%, then -f%)"`.
pub(crate) fn shape(curve: &[(f64, f64, f64, f64)], digits: usize) -> String {
    let (Some(first), Some(last)) = (curve.first(), curve.last()) else { return "-".into() };
    let peak = curve.iter().copied().fold(*first, |p, c| if c.1 > p.1 { c } else { p });
    let pct = |a: f64, b: f64| if b.abs() > 0.0 { 100.0 * (a - b) / b.abs() } else { f64::NAN };
    format!(
        "{:.d$} / {:.d$} at meta-batch {:.0} / {:.d$} (+{:.0}% to the peak, then {:+.0}%)",
        first.1,
        peak.1,
        peak.0,
        last.1,
        pct(peak.1, first.1),
        pct(last.1, peak.1),
        d = digits
    )
}

/// What the paper says of a model's curve, by encoding.
fn paper_says(encoding: &str) -> &'static str {
    match encoding {
        "direct" => "rises, plateaus, then falls in fine-tuning (ref. 35)",
        "gem" => "rises then falls, as Direct's does",
        _ => "does not change significantly",
    }
}

fn claims(values: &[Value]) -> Vec<Claim> {
    let mut out = Vec::new();
    for (i, model) in MODELS.iter().enumerate() {
        let runs = of_model(values, i);
        let Some(first) = runs.first() else { continue };
        let curve = band(&runs, "modularity");
        let (_, communities, _, _) = band(&runs, "communities").last().copied().unwrap_or_default();
        out.push(Claim {
            quantity: format!(
                "{}: modularity Q at the start / its peak / the last snapshot ({} meta-batches, {} profile)",
                model.label,
                curve.last().map_or(0.0, |c| c.0),
                first["profile"].as_str().unwrap_or("?")
            ),
            paper: paper_says(model.encoding).into(),
            ours: format!("{}; {communities:.0} communities at the end", shape(&curve, 4)),
            runs: runs.len(),
        });
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A value as [`snapshot_values`] writes it, with `key`'s curve `ys`.
    pub(crate) fn value(index: usize, seed: u64, ys: &[f64]) -> Value {
        let xs: Vec<f64> = (0..ys.len()).map(|k| 50.0 * k as f64).collect();
        json!({
            "model": MODELS[index].label, "model_index": index, "encoding": MODELS[index].encoding,
            "run": format!("m{index}-seed{seed}"), "seed": seed, "profile": "quick",
            "meta_batches": xs, "test_accuracy": ys, "modularity": ys, "communities": ys,
            "within": ys, "between": ys,
        })
    }

    #[test]
    fn curves_band_over_seeds_and_claims_give_the_shape() {
        let values =
            [value(0, 0, &[1.0, 3.0, 2.0]), value(0, 1, &[1.0, 5.0, 2.0, 9.0]), value(3, 0, &[2.0, 2.0])];
        let b = band(&of_model(&values, 0), "modularity");
        // Only the snapshots both runs reached.
        assert_eq!(b, [(0.0, 1.0, 1.0, 1.0), (50.0, 4.0, 3.0, 5.0), (100.0, 2.0, 2.0, 2.0)]);
        let c = claims(&values);
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0].ours,
            "1.0000 / 4.0000 at meta-batch 50 / 2.0000 (+300% to the peak, then -50%); 2 communities at the end"
        );
        assert_eq!(c[0].runs, 2);
        assert_eq!(c[1].paper, "does not change significantly");
        assert!(c[1].quantity.contains("(50 meta-batches, quick profile)"), "{}", c[1].quantity);
    }

    #[test]
    fn without_meta_omniglot_s_snapshots_it_says_what_to_run() {
        let out = tempfile::tempdir().unwrap();
        let e = compute(out.path(), Profile::Quick).unwrap_err().to_string();
        assert!(e.contains("--only meta-omniglot"), "{e}");
    }
}
