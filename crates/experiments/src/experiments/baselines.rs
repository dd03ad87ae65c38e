//! `baselines`: the papers' reference networks on MNIST, learned directly.
//!
//! The learned single-layer perceptron (784-10; developmental priors, Fig. 1c: 93%) and the
//! 784-800-10 MLP (genomic bottleneck, Table 1 and Fig. 2: 98%), trained with the lifetime
//! protocol of the developmental-priors Methods: Adam (lr 0.001), batch 64, up to 30,000
//! batches, the full test set every 1,000 batches, early stopping after two evaluations without
//! an improvement above 0.005, best accuracy reported.

use std::path::Path;

use innate_evolution::{LifetimeConfig, StrategyConfig};
use innate_run::{Encoding, Network, RunConfig};

use crate::arms::Model;
use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::plot::{HLine, LineChart, Series};
use crate::profile::Profile;
use crate::rows::Row;
use crate::stats::{mean_sd, percent};

const MODELS: [(Model, &str, f64, &str); 2] = [
    (Model::Slp, "SLP 784-10", 0.93, "93% (developmental priors, Fig. 1c)"),
    (Model::Mlp, "MLP 784-800-10", 0.98, "98% (genomic bottleneck, Table 1)"),
];

/// The experiment.
pub fn experiment() -> Experiment {
    Experiment {
        name: "baselines",
        title: "Reference baselines on MNIST: learned SLP and 784-800-10 MLP",
        source: "developmental priors Fig. 1c (learned SLP, dashed line) and Methods; genomic bottleneck Table 1 (784-800-10 MLP)",
        caption: "Test accuracy on the 10,000 MNIST test images during training, mean over seeds (line) \
                  with the range over seeds (band); dashed lines: the papers' values. Runs end when early \
                  stopping triggers, so later points average fewer seeds.",
        kind: Kind::Runs(Runs { runs, figure, figures: &[], claims }),
    }
}

fn seeds(profile: Profile) -> std::ops::Range<u64> {
    match profile {
        Profile::Quick => 0..3,
        Profile::Paper => 0..10,
        Profile::Smoke => 0..2,
    }
}

fn runs(profile: Profile) -> Vec<(String, RunConfig)> {
    let mut out = Vec::new();
    for (model, _, _, _) in MODELS {
        for seed in seeds(profile) {
            let (name, network) = match model {
                Model::Slp => ("slp", Network::Slp),
                Model::Mlp => ("mlp800", Network::mlp(800)),
            };
            let lifetime = match profile {
                Profile::Smoke => {
                    LifetimeConfig { seed, max_batches: 20, eval_every: 10, ..LifetimeConfig::default() }
                }
                _ => LifetimeConfig { seed, ..LifetimeConfig::default() },
            };
            let strategy = StrategyConfig::EndToEnd(lifetime);
            out.push((
                format!("{name}-seed{seed}"),
                RunConfig::new("mnist", network, Encoding::direct(), strategy, seed),
            ));
        }
    }
    out
}

fn rows_of(rows: &[Row], model: Model) -> Vec<&Row> {
    rows.iter().filter(|r| Model::of(&r.metrics) == Some(model)).collect()
}

fn claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    let mut out = Vec::new();
    for (model, label, _, paper) in MODELS {
        let rs = rows_of(rows, model);
        if rs.is_empty() {
            continue;
        }
        let best: Vec<f64> = rs.iter().map(|r| r.metrics.report.best_test_accuracy).collect();
        out.push(Claim {
            quantity: format!("{label}: best test accuracy"),
            paper: paper.into(),
            ours: percent(&best),
            runs: rs.len(),
        });
        let params = rs[0].metrics.phenotype_params;
        out.push(Claim {
            quantity: format!("{label}: learned parameters"),
            paper: match model {
                Model::Slp => "7,840 weights (biases not counted)".into(),
                Model::Mlp => "636,010".into(),
            },
            ours: innate_datasets::files::group(params as u64),
            runs: rs.len(),
        });
        let batches: Vec<f64> = rs.iter().map(|r| r.metrics.report.batches as f64).collect();
        let (b, _) = mean_sd(&batches);
        let speed: Vec<f64> = rs.iter().map(|r| r.metrics.report.seconds_per_1000_batches).collect();
        let (s, sd) = mean_sd(&speed);
        out.push(Claim {
            quantity: format!("{label}: batches until early stopping; seconds per 1,000 batches"),
            paper: "not reported".into(),
            ours: format!("{b:.0}; {s:.2} ± {sd:.2} s on {}", rs[0].metrics.device),
            runs: rs.len(),
        });
    }
    out
}

fn figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    let mut chart = LineChart {
        title: "MNIST baselines: test accuracy during training".into(),
        x_label: "training batches (64 images each)".into(),
        y_label: "test accuracy (%)".into(),
        ..LineChart::default()
    };
    for (i, (model, label, paper, _)) in MODELS.iter().enumerate() {
        let rs = rows_of(rows, *model);
        if rs.is_empty() {
            continue;
        }
        // Points at each evaluation after the start (the untrained 10% would flatten the plot).
        let mut xs: Vec<usize> = rs
            .iter()
            .flat_map(|r| r.metrics.report.curve.iter().map(|p| p.batches))
            .filter(|&b| b > 0)
            .collect();
        xs.sort();
        xs.dedup();
        let mut s = Series { name: format!("{label} (n = {})", rs.len()), color: i, ..Series::default() };
        for x in xs {
            let ys: Vec<f64> = rs
                .iter()
                .filter_map(|r| r.metrics.report.curve.iter().find(|p| p.batches == x))
                .map(|p| 100.0 * p.test_accuracy)
                .collect();
            let (m, _) = mean_sd(&ys);
            let lo = ys.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = ys.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            s.points.push((x as f64, m));
            s.band.push((x as f64, lo, hi));
        }
        chart.series.push(s);
        chart.hlines.push(HLine {
            name: format!("paper: {label} {:.0}%", 100.0 * paper),
            y: 100.0 * paper,
            color: i,
        });
    }
    chart.save(stem)
}
