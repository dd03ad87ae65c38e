//! `gnet-fig2c`: g-network genomes GN5 / GN20 / GN30 trained intermittently, their ab initio
//! accuracy, and learning after birth from their networks against tabula rasa (genomic
//! bottleneck, Fig. 2C).

use std::path::Path;

use innate_run::RunConfig;

use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::plot::{HLine, LineChart, save_row};
use crate::gnet::*;
use crate::profile::Profile;
use crate::rows::Row;
use crate::schedule::run_ref;
use crate::stats::{mean_sd, percent};

/// `gnet-fig2c`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-fig2c",
        title: "G-networks GN5 / GN20 / GN30: ab initio accuracy and learning after birth vs tabula rasa",
        source: "genomic-bottleneck paper, Fig. 2C and Results \"MNIST\"",
        caption: "Test accuracy (10,000 MNIST test images) of the 784-800-10 p-network while it learns (Adam, \
                  batch 64, no early stopping), starting at epoch 0 from the network a g-network genome develops \
                  (innate; its accuracy there is the ab initio accuracy) or from random weights (tabula rasa). \
                  The genomes were trained intermittently (see gnet-figS2c). Right: the same curves above 75%, \
                  with the paper's ab initio accuracies dashed.",
        kind: Kind::Runs(Runs { runs: fig2c_runs, figure: fig2c_figure, figures: &[], claims: fig2c_claims }),
    }
}

/// (batches, evaluate every) of the learning runs after birth.
fn learning(profile: Profile) -> (usize, usize) {
    match profile {
        Profile::Paper => (18_750, 250),
        Profile::Quick => (4_000, 200),
        Profile::Smoke => (20, 10),
    }
}

fn fig2c_runs(profile: Profile) -> Vec<(String, RunConfig)> {
    let mut out = Vec::new();
    for seed in genome_seeds(profile) {
        for (p, _, _) in PRESETS {
            out.push((genome_id(p.name(), seed), genome_run(profile, Some(p), None, seed)));
        }
    }
    let (batches, every) = learning(profile);
    for seed in genome_seeds(profile) {
        for (p, _, _) in PRESETS {
            let from = run_ref("gnet-fig2c", &genome_id(p.name(), seed));
            out.push((
                format!("{}-innate-seed{seed}", p.name()),
                learning_run("mnist", batches, every, seed, Some(from)),
            ));
        }
        out.push((format!("tabula-rasa-seed{seed}"), learning_run("mnist", batches, every, seed, None)));
    }
    out
}

fn fig2c_figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    let mut series = vec![mean_curve(&learning_rows(rows, None), "tabula rasa", 0)];
    for (i, (p, label, _)) in PRESETS.iter().enumerate() {
        let runs = learning_rows(rows, Some(*p));
        if !runs.is_empty() {
            series.push(mean_curve(&runs, &format!("{label} innate"), i + 1));
        }
    }
    let curves = LineChart {
        title: "Learning after birth: MNIST".into(),
        x_label: "training epochs".into(),
        y_label: "test accuracy (%)".into(),
        series,
        y_range: Some((0.0, 100.0)),
        ..LineChart::default()
    };
    let mut zoom = curves.clone();
    zoom.title = "the same, above 75%".into();
    zoom.y_range = Some((75.0, 100.0));
    zoom.hlines = PRESETS
        .iter()
        .enumerate()
        .map(|(i, (_, label, paper))| HLine {
            name: format!("{label} ab initio, paper"),
            y: 100.0 * paper,
            color: i + 1,
        })
        .collect();
    save_row(&[curves, zoom], stem)
}

fn fig2c_claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    let mut out = Vec::new();
    for (p, label, paper) in PRESETS {
        let g = preset_rows(rows, p);
        let params = g.first().map_or("-".to_string(), |r| r.metrics.genome_params.to_string());
        let gens = g.first().map_or(0, |r| r.metrics.report.generations.len());
        out.push(Claim {
            quantity: format!(
                "{label} ab initio test accuracy ({params} genome parameters, {gens} generations)"
            ),
            paper: format!("{:.0}%", 100.0 * paper),
            ours: percent(&g.iter().map(|r| ab_initio(r)).collect::<Vec<_>>()),
            runs: g.len(),
        });
        let tail: Vec<f64> = g
            .iter()
            .filter(|r| !r.metrics.report.generations.is_empty())
            .map(|r| {
                let gens = &r.metrics.report.generations;
                let last = &gens[gens.len().saturating_sub(50)..];
                last.iter().map(|x| x.ab_initio_accuracy).sum::<f64>() / last.len() as f64
            })
            .collect();
        if !tail.is_empty() {
            out.push(Claim {
                quantity: format!(
                    "{label}: mean ab initio accuracy over the last 50 generations (not the best)"
                ),
                paper: "-".into(),
                ours: percent(&tail),
                runs: tail.len(),
            });
        }
        let per: Vec<f64> = g.iter().filter_map(|r| r.metrics.report.seconds_per_generation).collect();
        if !per.is_empty() {
            let (m, _) = mean_sd(&per);
            out.push(Claim {
                quantity: format!("{label}: seconds per generation ({})", g[0].metrics.device),
                paper: "-".into(),
                ours: format!("{m:.2} s ({:.1} min for {gens} generations)", m * gens as f64 / 60.0),
                runs: per.len(),
            });
        }
        let trained: Vec<f64> = g
            .iter()
            .filter_map(|r| r.metrics.report.generations.iter().rev().find_map(|x| x.trained_accuracy))
            .collect();
        if !trained.is_empty() {
            out.push(Claim {
                quantity: format!("{label}: p-network after the last generation's training"),
                paper: "-".into(),
                ours: percent(&trained),
                runs: trained.len(),
            });
        }
        let after = learning_rows(rows, Some(p));
        if !after.is_empty() {
            out.push(Claim {
                quantity: format!(
                    "{label} innate network after {:.0} epochs of learning",
                    epochs(after[0].metrics.report.batches)
                ),
                paper: "~98%".into(),
                ours: percent(&after.iter().map(|r| r.metrics.report.best_test_accuracy).collect::<Vec<_>>()),
                runs: after.len(),
            });
        }
    }
    let tr = learning_rows(rows, None);
    if !tr.is_empty() {
        out.push(Claim {
            quantity: format!(
                "fully trained p-network, tabula rasa, {:.0} epochs (best test accuracy)",
                epochs(tr[0].metrics.report.batches)
            ),
            paper: "98%".into(),
            ours: percent(&tr.iter().map(|r| r.metrics.report.best_test_accuracy).collect::<Vec<_>>()),
            runs: tr.len(),
        });
    }
    out
}
