//! `gnet-fig2h`: transfer of the MNIST GN30 genome to Fashion-MNIST against a randomly
//! initialised network (genomic bottleneck, Fig. 2H).

use std::path::Path;

use innate_gnet::Preset;
use innate_run::RunConfig;

use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::plot::{LineChart, save_row};
use crate::gnet::*;
use crate::profile::Profile;
use crate::rows::Row;
use crate::schedule::run_ref;
use crate::stats::percent;

/// `gnet-fig2h`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-fig2h",
        title: "Transfer of the MNIST genome to Fashion-MNIST",
        source: "genomic-bottleneck paper, Fig. 2H and Results \"MNIST\"",
        caption: "Fashion-MNIST test accuracy of the 784-800-10 network learning from the network developed by the \
                  MNIST-trained GN30 genome (gnet-fig2c) and from random weights with the same seed and batch order \
                  (mean over seeds, band: min-max).",
        kind: Kind::Runs(Runs { runs: fig2h_runs, figure: fig2h_figure, figures: &[], claims: fig2h_claims }),
    }
}

/// (batches, evaluate every, seeds) of the Fashion-MNIST transfer runs.
fn transfer(profile: Profile) -> (usize, usize, std::ops::Range<u64>) {
    match profile {
        Profile::Paper => (9_375, 250, 0..3),
        Profile::Quick => (3_000, 200, 0..1),
        Profile::Smoke => (20, 10, 0..1),
    }
}

fn fig2h_runs(profile: Profile) -> Vec<(String, RunConfig)> {
    let (batches, every, seeds) = transfer(profile);
    let from = run_ref("gnet-fig2c", &genome_id(Preset::Gn30.name(), 0));
    seeds
        .flat_map(|seed| {
            [
                (
                    format!("innate-gn30-seed{seed}"),
                    learning_run("fashion-mnist", batches, every, seed, Some(from.clone())),
                ),
                (format!("naive-seed{seed}"), learning_run("fashion-mnist", batches, every, seed, None)),
            ]
        })
        .collect()
}

fn fig2h_figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    let innate: Vec<&Row> = rows.iter().filter(|r| r.run.starts_with("innate")).collect();
    let naive: Vec<&Row> = rows.iter().filter(|r| r.run.starts_with("naive")).collect();
    let chart = LineChart {
        title: "Transfer to Fashion-MNIST".into(),
        x_label: "training epochs".into(),
        y_label: "test accuracy (%)".into(),
        series: vec![
            mean_curve(&naive, "naive (random initialisation)", 0),
            mean_curve(&innate, "initialised by the MNIST GN30 genome", 3),
        ],
        ..LineChart::default()
    };
    let mut zoom = chart.clone();
    zoom.title = "the same, above 70%".into();
    zoom.y_range = Some((70.0, 92.0));
    save_row(&[chart, zoom], stem)
}

/// Accuracy of each run's curve at its evaluation closest to `epoch`.
fn at_epoch(runs: &[&Row], epoch: f64) -> Vec<f64> {
    runs.iter()
        .filter_map(|r| {
            r.metrics
                .report
                .curve
                .iter()
                .min_by(|a, b| {
                    (epochs(a.batches) - epoch).abs().total_cmp(&(epochs(b.batches) - epoch).abs())
                })
                .map(|p| p.test_accuracy)
        })
        .collect()
}

fn fig2h_claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    let innate: Vec<&Row> = rows.iter().filter(|r| r.run.starts_with("innate")).collect();
    let naive: Vec<&Row> = rows.iter().filter(|r| r.run.starts_with("naive")).collect();
    let mut out = Vec::new();
    for (epoch, paper) in [(0.0, "-"), (0.5, "innate slower than naive"), (1.0, "innate slower than naive")] {
        out.push(Claim {
            quantity: format!("F-MNIST test accuracy after {epoch} epochs: innate (GN30) vs naive"),
            paper: paper.into(),
            ours: format!("{} vs {}", percent(&at_epoch(&innate, epoch)), percent(&at_epoch(&naive, epoch))),
            runs: innate.len() + naive.len(),
        });
    }
    let best =
        |rs: &[&Row]| percent(&rs.iter().map(|r| r.metrics.report.best_test_accuracy).collect::<Vec<_>>());
    out.push(Claim {
        quantity: format!(
            "F-MNIST best test accuracy over {:.0} epochs: innate vs naive",
            innate.first().map_or(0.0, |r| epochs(r.metrics.report.batches))
        ),
        paper: "no gain from the genome".into(),
        ours: format!("{} vs {}", best(&innate), best(&naive)),
        runs: innate.len() + naive.len(),
    });
    out
}
