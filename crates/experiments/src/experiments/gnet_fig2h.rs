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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnet::tests::learning_row;

    #[test]
    fn claims_compare_innate_and_naive_at_the_evaluations_nearest_each_epoch() {
        // Evaluations every 250 batches: epoch 0.5 is nearest batch 500 (0.53 epochs), epoch 1
        // batch 1000 (1.07).
        let curve = |a: [f64; 5]| [(0, a[0]), (250, a[1]), (500, a[2]), (750, a[3]), (1000, a[4])];
        let rows = [
            learning_row(
                "innate-gn30-seed0",
                "fashion-mnist",
                Some("g"),
                &curve([0.6, 0.7, 0.72, 0.75, 0.8]),
            ),
            learning_row("naive-seed0", "fashion-mnist", None, &curve([0.1, 0.75, 0.8, 0.82, 0.84])),
        ];
        assert_eq!(at_epoch(&[&rows[0]], 0.5), [0.72]);
        let c = fig2h_claims(&rows, Path::new("."));
        let ours: Vec<&str> = c.iter().map(|c| c.ours.as_str()).collect();
        assert_eq!(ours, ["60.00% vs 10.00%", "72.00% vs 80.00%", "80.00% vs 84.00%", "80.00% vs 84.00%"]);
        assert_eq!(c[3].quantity, "F-MNIST best test accuracy over 1 epochs: innate vs naive");
        assert!(c.iter().all(|c| c.runs == 2));
    }
}
