//! `gnet-fig2d`: the trade-off between compression and ab initio accuracy over g-network sizes
//! (genomic bottleneck, Fig. 2D); GN5 / GN20 / GN30 come from gnet-fig2c's runs.

use std::path::Path;

use innate_run::RunConfig;

use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::plot::{LineChart, Series};
use crate::gnet::*;
use crate::profile::Profile;
use crate::rows::Row;
use crate::stats::{mean_sd, percent};

/// `gnet-fig2d`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-fig2d",
        title: "Trade-off between compression and ab initio accuracy",
        source: "genomic-bottleneck paper, Fig. 2D",
        caption: "Best ab initio test accuracy (the network developed from the genome, before any learning) of \
                  g-network genomes of several sizes against their compression of the 636,010-parameter p-network. \
                  GN5 / GN20 / GN30 come from gnet-fig2c's runs; the other sizes are this experiment's.",
        kind: Kind::Runs(Runs { runs: fig2d_runs, figure: fig2d_figure, figures: &[], claims: fig2d_claims }),
    }
}

/// The extra g-network sizes of Fig. 2D (hidden sizes of the weight g-networks).
fn extra_sizes(profile: Profile) -> Vec<Vec<usize>> {
    match profile {
        Profile::Paper => vec![vec![3, 2], vec![50, 10], vec![100, 20]],
        Profile::Quick => vec![vec![3, 2], vec![100, 20]],
        Profile::Smoke => vec![vec![3, 2]],
    }
}

/// Genome seeds of gnet-fig2d's extra sizes (one each: the figure is a trade-off curve).
fn size_seeds(_profile: Profile) -> std::ops::Range<u64> {
    0..1
}

fn fig2d_runs(profile: Profile) -> Vec<(String, RunConfig)> {
    let mut out = Vec::new();
    for seed in size_seeds(profile) {
        for h in extra_sizes(profile) {
            let name = format!("gnet-{}", h.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("-"));
            out.push((genome_id(&name, seed), genome_run(profile, None, Some(h), seed)));
        }
    }
    out
}

/// (compression, mean ab initio accuracy in %, min, max, genomes) per genome size.
fn fig2d_points(rows: &[Row], out: &Path) -> Vec<(f64, f64, f64, f64, usize)> {
    let all = with_fig2c(rows, out);
    let mut g = genomes(&all);
    g.sort_by(|a, b| a.metrics.compression.total_cmp(&b.metrics.compression));
    let mut pts = Vec::new();
    for group in g.chunk_by(|a, b| a.metrics.genome_params == b.metrics.genome_params) {
        let accs: Vec<f64> = group.iter().map(|r| 100.0 * ab_initio(r)).collect();
        let (lo, hi) =
            accs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        pts.push((group[0].metrics.compression, mean_sd(&accs).0, lo, hi, accs.len()));
    }
    pts
}

fn fig2d_figure(rows: &[Row], out: &Path, stem: &Path) -> anyhow::Result<()> {
    let pts = fig2d_points(rows, out);
    let chart = LineChart {
        title: "Compression vs ab initio accuracy (MNIST)".into(),
        x_label: "compression (p-network parameters / genome parameters)".into(),
        y_label: "ab initio test accuracy (%)".into(),
        series: vec![
            Series {
                name: format!(
                    "g-networks, intermittent training ({} sizes, {} genomes; bars: min-max)",
                    pts.len(),
                    pts.iter().map(|p| p.4).sum::<usize>()
                ),
                points: pts.iter().map(|p| (p.0, p.1)).collect(),
                errors: pts.iter().filter(|p| p.4 > 1).map(|p| (p.0, p.1, p.2, p.3)).collect(),
                color: 0,
                ..Series::default()
            },
            Series {
                name: "paper: GN30, GN20, GN5 (text)".into(),
                points: vec![(322.0, 94.0), (470.0, 91.0), (1038.0, 79.0)],
                color: 3,
                markers_only: true,
                ..Series::default()
            },
        ],
        log_x: true,
        y_range: Some((0.0, 100.0)),
        ..LineChart::default()
    };
    chart.save(stem)
}

fn fig2d_claims(rows: &[Row], out: &Path) -> Vec<Claim> {
    let all = with_fig2c(rows, out);
    let mut g = genomes(&all);
    g.sort_by(|a, b| a.metrics.compression.total_cmp(&b.metrics.compression));
    g.iter()
        .map(|r| Claim {
            quantity: format!(
                "{}: {} genome parameters, {:.0}x, {} generations",
                genome_name(r),
                r.metrics.genome_params,
                r.metrics.compression,
                r.metrics.report.generations.len()
            ),
            paper: match r.metrics.config.encoding.preset() {
                Some(p) => format!("{:.0}%", 100.0 * PRESETS.iter().find(|x| x.0 == p).map_or(0.0, |x| x.2)),
                None => "-".into(),
            },
            ours: percent(&[ab_initio(r)]),
            runs: 1,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnet::tests::genome_row;
    use innate_gnet::Preset;

    #[test]
    fn points_and_claims_go_by_compression_with_gnet_fig2c_s_presets() {
        let out = tempfile::tempdir().unwrap();
        // gnet-fig2c's presets, read from its results file in the same output folder.
        let presets = [
            genome_row(Some(Preset::Gn5), None, 0, &[0.7], None),
            genome_row(Some(Preset::Gn5), None, 1, &[0.8], None),
            genome_row(Some(Preset::Gn30), None, 0, &[0.9], None),
        ];
        crate::rows::write_rows(&crate::rows::results_path(out.path(), "gnet-fig2c"), &presets).unwrap();
        let mine = [genome_row(None, Some(vec![3, 2]), 0, &[0.4, 0.5], None)];
        let pts = fig2d_points(&mine, out.path());
        // Most compressed last: GN30 (322x), GN5 (1038x, two genomes: mean, min, max), (20-3-2-1)x2.
        assert_eq!(pts.len(), 3);
        assert!((pts[0].0 - 636_010.0 / 1_973.0).abs() < 1e-9 && pts[0].4 == 1);
        assert_eq!((pts[1].1, pts[1].2, pts[1].3, pts[1].4), (75.0, 70.0, 80.0, 2));
        assert_eq!(pts[2].1, 50.0);
        let c = fig2d_claims(&mine, out.path());
        let lines: Vec<(&str, &str, &str)> =
            c.iter().map(|c| (c.quantity.as_str(), c.paper.as_str(), c.ours.as_str())).collect();
        assert_eq!(lines[0], ("GN30: 1973 genome parameters, 322x, 1 generations", "94%", "90.00%"));
        assert_eq!(lines[1].1, "79%");
        assert!(
            lines[3].0.starts_with("(20-3-2-1)x2: ") && lines[3].1 == "-" && lines[3].2 == "50.00%",
            "{lines:?}"
        );
        // Without gnet-fig2c's results, only this experiment's genomes.
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(fig2d_points(&mine, empty.path()).len(), 1);
    }
}
