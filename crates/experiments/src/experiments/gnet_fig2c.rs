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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnet::tests::{genome_row, learning_row};
    use innate_gnet::Preset;

    fn find<'a>(claims: &'a [Claim], needle: &str) -> &'a Claim {
        claims.iter().find(|c| c.quantity.contains(needle)).unwrap_or_else(|| panic!("{needle}: {claims:#?}"))
    }

    #[test]
    fn claims_state_the_ab_initio_accuracies_and_the_learning_after_birth() {
        // GN30 over 60 generations: ab initio rising from 0.30 to 0.89 (best 0.89, the last 50
        // average 0.595), its p-network at 0.97 after the last generation's training; two seeds.
        let acc: Vec<f64> = (0..60).map(|i| 0.30 + 0.01 * i as f64).collect();
        let mut rows = vec![
            genome_row(Some(Preset::Gn30), None, 0, &acc, Some(0.97)),
            genome_row(Some(Preset::Gn30), None, 1, &[0.5, 0.7], Some(0.95)),
            learning_row("gn30-innate-seed0", "mnist", Some("g"), &[(0, 0.89), (9375, 0.98)]),
            learning_row("tabula-rasa-seed0", "mnist", None, &[(0, 0.1), (9375, 0.97)]),
        ];
        let c = fig2c_claims(&rows, Path::new("."));
        let ab = find(&c, "GN30 ab initio test accuracy (1973 genome parameters, 60 generations)");
        assert_eq!((ab.paper.as_str(), ab.ours.as_str(), ab.runs), ("94%", "79.50 ± 13.44%", 2));
        // The mean over the last 50 generations (or all of them, when fewer).
        let tail = find(&c, "GN30: mean ab initio accuracy over the last 50 generations");
        assert_eq!(tail.ours, percent(&[(0.40 + 0.89) / 2.0, 0.6]));
        assert_eq!(find(&c, "GN30: seconds per generation").ours, "2.00 s (2.0 min for 60 generations)");
        assert_eq!(find(&c, "GN30: p-network after the last generation's training").ours, "96.00 ± 1.41%");
        let after = find(&c, "GN30 innate network after 10 epochs of learning");
        assert_eq!((after.ours.as_str(), after.runs), ("98.00%", 1));
        assert_eq!(find(&c, "fully trained p-network, tabula rasa, 10 epochs").ours, "97.00%");
        // Presets without runs still get their ab initio line, with nothing measured.
        assert_eq!(find(&c, "GN5 ab initio").runs, 0);
        // Without learning runs, no learning claims.
        rows.truncate(2);
        let c = fig2c_claims(&rows, Path::new("."));
        assert!(
            !c.iter().any(|c| c.quantity.contains("tabula rasa") || c.quantity.contains("innate network"))
        );
    }
}
