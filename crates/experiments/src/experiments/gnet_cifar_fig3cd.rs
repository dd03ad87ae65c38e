//! `gnet-cifar-fig3cd`: g-network genomes GN10 / GN30 / GN50 trained intermittently for the
//! 9-layer all-convolutional CIFAR-10 network: their ab initio accuracy against their compression,
//! beside a random genome ("naive") and All-CNN-C trained directly (genomic bottleneck, Fig. 3C-D).

use std::path::Path;

use innate_run::RunConfig;

use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::plot::{HLine, LineChart, Series};
use crate::gnet_cifar::*;
use crate::profile::Profile;
use crate::rows::Row;
use crate::stats::{mean_sd, percent};

/// `gnet-cifar-fig3cd`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-cifar-fig3cd",
        title: "CIFAR-10 g-networks GN10 / GN30 / GN50: ab initio accuracy against compression",
        source: "genomic-bottleneck paper, Fig. 3C-D, Table 2 and Results \"Solving Cifar10\"",
        caption: "Best ab initio test accuracy (All-CNN-C developed from the genome, before any learning) of the \
                  Table 2 genomes trained intermittently on the CIFAR-10 schedule, against their compression; \
                  naive: the network a random genome develops (generation 1's ab initio accuracy); fully trained: \
                  All-CNN-C trained directly with the same SGD. The quick profile is shortened (narrower network, \
                  the 4,000-image subset, 5 epochs per generation, 12 generations, lambda 5, the g-networks fitted \
                  the paper's Adam steps, standardised inputs and a learning-rate warm-up; see the rows), so its \
                  accuracies are far below the paper's.",
        kind: Kind::Runs(Runs {
            runs: fig3cd_runs,
            figure: fig3cd_figure,
            figures: &[],
            claims: fig3cd_claims,
        }),
    }
}

fn fig3cd_runs(profile: Profile) -> Vec<(String, RunConfig)> {
    let mut out: Vec<(String, RunConfig)> =
        PRESETS.iter().map(|(p, _, _)| (genome_id(*p, 0), genome_run(profile, *p, 0))).collect();
    out.push(("fully-trained-seed0".into(), direct_run(profile, shape(profile).direct_epochs, 0, None)));
    out
}

/// The first generation's ab initio accuracy: the network of the random genome it started from.
fn naive(r: &Row) -> Option<f64> {
    r.metrics.report.generations.first().map(|g| g.ab_initio_accuracy)
}

fn best_ab_initio(r: &Row) -> f64 {
    r.metrics.report.ab_initio_test_accuracy.unwrap_or(r.metrics.report.best_test_accuracy)
}

fn fig3cd_figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    let mut ours = Series { name: "innate (best ab initio)".into(), color: 1, ..Series::default() };
    let mut paper = Series { name: "paper".into(), color: 0, markers_only: true, ..Series::default() };
    for (p, _, acc) in PRESETS {
        let g = preset_rows(rows, p);
        if let Some(first) = g.first() {
            let (m, _) = mean_sd(&g.iter().map(|r| best_ab_initio(r)).collect::<Vec<_>>());
            ours.points.push((first.metrics.compression, 100.0 * m));
            paper.points.push((first.metrics.compression, 100.0 * acc));
        }
    }
    let mut hlines = vec![HLine { name: "fully trained, paper".into(), y: 100.0 * FULLY_TRAINED, color: 0 }];
    if let Some(d) = direct_rows(rows).first() {
        hlines.push(HLine {
            name: "fully trained, innate".into(),
            y: 100.0 * d.metrics.report.best_test_accuracy,
            color: 1,
        });
    }
    let naive_acc: Vec<f64> = rows.iter().filter_map(naive).collect();
    if !naive_acc.is_empty() {
        hlines.push(HLine {
            name: "naive (random genome)".into(),
            y: 100.0 * mean_sd(&naive_acc).0,
            color: 2,
        });
    }
    LineChart {
        title: "Ab initio accuracy vs compression: CIFAR-10".into(),
        x_label: "compression (p-network / genome parameters)".into(),
        y_label: "test accuracy (%)".into(),
        series: vec![ours, paper],
        hlines,
        y_range: Some((0.0, 100.0)),
        log_x: true,
        ..LineChart::default()
    }
    .save(stem)
}

fn fig3cd_claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    let note = shortening(rows);
    let mut out = Vec::new();
    for (p, label, paper) in PRESETS {
        let g = preset_rows(rows, p);
        let (params, compression, gens) = g.first().map_or(("-".into(), "-".into(), 0), |r| {
            (
                r.metrics.genome_params.to_string(),
                format!("{:.1}x", r.metrics.compression),
                r.metrics.report.generations.len(),
            )
        });
        out.push(Claim {
            quantity: format!(
                "{label} ab initio test accuracy ({params} genome parameters, {compression}, {gens} generations){note}"
            ),
            paper: format!("{:.0}%", 100.0 * paper),
            ours: percent(&g.iter().map(|r| best_ab_initio(r)).collect::<Vec<_>>()),
            runs: g.len(),
        });
        let trained: Vec<f64> = g
            .iter()
            .filter_map(|r| r.metrics.report.generations.iter().rev().find_map(|x| x.trained_accuracy))
            .collect();
        if !trained.is_empty() {
            out.push(Claim {
                quantity: format!("{label}: the p-network after the last generation's training"),
                paper: "-".into(),
                ours: percent(&trained),
                runs: trained.len(),
            });
        }
        let per: Vec<f64> = g.iter().filter_map(|r| r.metrics.report.seconds_per_generation).collect();
        if !per.is_empty() {
            let (m, _) = mean_sd(&per);
            out.push(Claim {
                quantity: format!("{label}: seconds per generation ({})", g[0].metrics.device),
                paper: "-".into(),
                ours: format!("{m:.1} s"),
                runs: per.len(),
            });
        }
    }
    let naive_acc: Vec<f64> = rows.iter().filter_map(naive).collect();
    out.push(Claim {
        quantity: "naive: the network a random genome develops (each genome's generation 1)".into(),
        paper: "10%".into(),
        ours: percent(&naive_acc),
        runs: naive_acc.len(),
    });
    let d = direct_rows(rows);
    let epochs = d.first().map_or(0.0, |r| epochs_of(r, r.metrics.report.batches));
    out.push(Claim {
        quantity: format!("All-CNN-C fully trained directly ({epochs:.0} epochs, best test accuracy){note}"),
        paper: format!("{:.0}%", 100.0 * FULLY_TRAINED),
        ours: percent(&d.iter().map(|r| r.metrics.report.best_test_accuracy).collect::<Vec<_>>()),
        runs: d.len(),
    });
    if let Some(r) = d.first()
        && r.metrics.report.batches > 0
    {
        let per_epoch = r.metrics.report.train_seconds / epochs.max(1.0);
        out.push(Claim {
            quantity: format!(
                "All-CNN-C: seconds per training epoch of {} images ({})",
                r.metrics.train_images, r.metrics.device
            ),
            paper: "-".into(),
            ours: format!("{per_epoch:.1} s"),
            runs: 1,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnet_cifar::tests::{direct_row, genome_row};
    use innate_gnet::Preset;

    #[test]
    fn claims_give_each_presets_ab_initio_accuracy_beside_naive_and_fully_trained() {
        let rows = vec![
            genome_row(Preset::Gn10, &[0.1, 0.2, 0.15], Some(0.3)),
            genome_row(Preset::Gn50, &[0.12, 0.35], Some(0.4)),
            direct_row("fully-trained-seed0", None, &[(0, 0.1), (32, 0.2), (64, 0.45)]),
        ];
        let c = fig3cd_claims(&rows, Path::new("."));
        let find = |needle: &str| {
            c.iter().find(|c| c.quantity.contains(needle)).unwrap_or_else(|| panic!("{needle}: {c:#?}"))
        };
        let gn10 = find(
            "GN10 ab initio test accuracy (3798 genome parameters, 10.2x, 3 generations) [shortened: width 16",
        );
        assert_eq!((gn10.paper.as_str(), gn10.ours.as_str(), gn10.runs), ("56%", "20.00%", 1));
        assert_eq!(find("GN50 ab initio").ours, "35.00%");
        assert_eq!(find("GN30 ab initio").runs, 0);
        assert_eq!(find("GN50: the p-network after").ours, "40.00%");
        let naive = find("naive");
        assert_eq!((naive.ours.as_str(), naive.runs), ("11.00 ± 1.41%", 2));
        let full = find("fully trained directly (2 epochs");
        assert_eq!((full.paper.as_str(), full.ours.as_str()), ("89%", "45.00%"));
        assert_eq!(find("seconds per training epoch of 4000 images").ours, "1.5 s");
    }
}
