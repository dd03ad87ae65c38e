//! `gnet-cifar-figS2d`: the ab initio accuracy over generations of intermittent training on
//! CIFAR-10 (genomic bottleneck, Fig. S.2D), from gnet-cifar-fig3cd's runs.

use std::path::Path;

use serde_json::{Value, json};

use crate::experiment::{Claim, Derived, Experiment, Kind};
use crate::figures::plot::{LineChart, Series};
use crate::gnet::f64s;
use crate::gnet_cifar::*;
use crate::profile::Profile;
use crate::rows::rows_of_profile;

/// `gnet-cifar-figS2d`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-cifar-figS2d",
        title: "Ab initio accuracy over generations of intermittent training on CIFAR-10",
        source: "genomic-bottleneck paper, Fig. S.2D",
        caption: "Test accuracy of All-CNN-C freshly developed from the g-networks at the start of each generation \
                  (before that generation's training), and of the p-network after it, from gnet-cifar-fig3cd's runs. \
                  The paper's curve has a small bump at generations 2-7, which it puts down to the annealing \
                  eps(n) = exp(-n/20).",
        kind: Kind::Derived(Derived {
            compute: |env| figs2d_compute(env.out, env.profile),
            figure: Some(figs2d_figure),
            claims: figs2d_claims,
        }),
    }
}

fn figs2d_compute(out: &Path, profile: Profile) -> anyhow::Result<Vec<Value>> {
    let rows = rows_of_profile(out, "gnet-cifar-fig3cd", profile)?;
    let mut values = Vec::new();
    for (p, label, _) in PRESETS {
        for r in preset_rows(&rows, p) {
            let g = &r.metrics.report.generations;
            values.push(json!({
                "genome": label,
                "seed": r.metrics.seed,
                "run": r.run,
                "profile": r.profile,
                "genome_params": r.metrics.genome_params,
                "generation": g.iter().map(|x| x.generation).collect::<Vec<_>>(),
                "ab_initio": g.iter().map(|x| x.ab_initio_accuracy).collect::<Vec<_>>(),
                "trained": g.iter().map(|x| x.trained_accuracy).collect::<Vec<_>>(),
                "seconds_per_generation": r.metrics.report.seconds_per_generation,
            }));
        }
    }
    Ok(values)
}

fn figs2d_figure(values: &[Value], stem: &Path) -> anyhow::Result<()> {
    let mut series = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let gens = f64s(&v["generation"]);
        let name = v["genome"].as_str().unwrap_or("?");
        series.push(Series {
            name: format!("{name} ab initio"),
            points: gens.iter().zip(f64s(&v["ab_initio"])).map(|(g, a)| (*g, 100.0 * a)).collect(),
            color: i + 1,
            ..Series::default()
        });
        let trained: Vec<(f64, f64)> = gens
            .iter()
            .zip(v["trained"].as_array().into_iter().flatten())
            .filter_map(|(g, t)| t.as_f64().map(|t| (*g, 100.0 * t)))
            .collect();
        if !trained.is_empty() {
            series.push(Series {
                name: format!("{name} p-network after training"),
                points: trained,
                color: i + 1,
                markers_only: true,
                ..Series::default()
            });
        }
    }
    LineChart {
        title: "Intermittent training on CIFAR-10".into(),
        x_label: "generation".into(),
        y_label: "test accuracy (%)".into(),
        series,
        y_range: Some((0.0, 100.0)),
        ..LineChart::default()
    }
    .save(stem)
}

/// How far the bump must rise above generations 1 and 8: a test-set fluctuation at chance (1,000
/// test images: a standard error of about 1 point) is not a bump.
const BUMP: f64 = 0.02;

/// Whether the curve rises to a peak within generations 2-7 and falls after it: the highest
/// ab initio accuracy of generations 2-7 at least [`BUMP`] above both generation 1's and
/// generation 8's.
fn bump(acc: &[f64]) -> Option<(usize, f64)> {
    if acc.len() < 8 {
        return None;
    }
    let (i, &peak) = acc[1..7].iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
    (peak >= acc[0] + BUMP && peak >= acc[7] + BUMP).then_some((i + 2, peak))
}

fn figs2d_claims(values: &[Value]) -> Vec<Claim> {
    let mut out = Vec::new();
    for v in values {
        let acc = f64s(&v["ab_initio"]);
        let name = v["genome"].as_str().unwrap_or("?");
        let at =
            |n: usize| acc.get(n.saturating_sub(1)).map_or("-".to_string(), |a| format!("{:.1}%", 100.0 * a));
        let n = acc.len();
        out.push(Claim {
            quantity: format!("{name}: ab initio accuracy at generations 1 / 5 / 10 / 100 / last ({n})"),
            paper: "rises over hundreds of generations (Fig. S.2D)".into(),
            ours: format!("{} / {} / {} / {} / {}", at(1), at(5), at(10), at(100), at(n)),
            runs: 1,
        });
        out.push(Claim {
            quantity: format!(
                "{name}: a bump in generations 2-7 (a peak at least {:.0} points above generations 1 and 8)",
                100.0 * BUMP
            ),
            paper: "a small bump at generations 2-7".into(),
            ours: match bump(&acc) {
                Some((g, a)) => {
                    format!("yes: {:.1}% at generation {g}, {} at generation 8", 100.0 * a, at(8))
                }
                None if n < 8 => format!("not measured: {n} generations"),
                None => format!(
                    "no: generations 1-8 {}",
                    acc[..8].iter().map(|a| format!("{:.1}", 100.0 * a)).collect::<Vec<_>>().join(", ")
                ),
            },
            runs: 1,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnet_cifar::tests::genome_row;
    use innate_gnet::Preset;

    #[test]
    fn curves_from_fig3cd_and_the_bump() {
        let out = tempfile::tempdir().unwrap();
        let e = figs2d_compute(out.path(), Profile::Quick).unwrap_err().to_string();
        assert!(e.contains("--only gnet-cifar-fig3cd"), "{e}");
        let bumpy = [0.10, 0.14, 0.20, 0.16, 0.12, 0.13, 0.14, 0.13, 0.18, 0.25];
        let rows =
            [genome_row(Preset::Gn50, &bumpy, Some(0.3)), genome_row(Preset::Gn10, &[0.1, 0.2, 0.3], None)];
        crate::rows::write_rows(&crate::rows::results_path(out.path(), "gnet-cifar-fig3cd"), &rows).unwrap();
        let values = figs2d_compute(out.path(), Profile::Quick).unwrap();
        assert_eq!(
            values.iter().map(|v| v["genome"].as_str().unwrap()).collect::<Vec<_>>(),
            ["GN10", "GN50"]
        );
        let c = figs2d_claims(&values);
        assert_eq!(c[0].ours, "10.0% / - / - / - / 30.0%");
        assert_eq!(c[1].ours, "not measured: 3 generations");
        assert_eq!(c[2].ours, "10.0% / 12.0% / 25.0% / - / 25.0%");
        assert_eq!(c[3].ours, "yes: 20.0% at generation 3, 13.0% at generation 8");
        assert_eq!(bump(&[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3]), None);
        // A point at chance is no bump.
        let flat = [0.103, 0.106, 0.108, 0.112, 0.106, 0.1, 0.1, 0.09];
        assert_eq!(bump(&flat), None);
        let values = [json!({"genome": "GN50", "ab_initio": flat})];
        assert_eq!(
            figs2d_claims(&values)[1].ours,
            "no: generations 1-8 10.3, 10.6, 10.8, 11.2, 10.6, 10.0, 10.0, 9.0"
        );
    }
}
