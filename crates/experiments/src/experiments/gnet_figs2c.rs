//! `gnet-figS2c`: the ab initio accuracy over generations of intermittent training (genomic
//! bottleneck, Fig. S.2C), from gnet-fig2c's runs.

use std::path::Path;

use serde_json::{Value, json};

use crate::experiment::{Claim, Derived, Experiment, Kind};
use crate::figures::plot::{LineChart, Series, save_row};
use crate::gnet::*;
use crate::profile::Profile;
use crate::rows::rows_of_profile;

/// `gnet-figS2c`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-figS2c",
        title: "Ab initio accuracy over generations of intermittent training",
        source: "genomic-bottleneck paper, Fig. S.2C",
        caption: "Test accuracy of the p-network freshly developed from the g-networks at the start of each generation \
         (before that generation's training), from gnet-fig2c's runs.",
        kind: Kind::Derived(Derived {
            compute: |env| figs2c_compute(env.out, env.profile),
            figure: Some(figs2c_figure),
            claims: figs2c_claims,
        }),
    }
}

fn figs2c_compute(out: &Path, profile: Profile) -> anyhow::Result<Vec<Value>> {
    let rows = rows_of_profile(out, "gnet-fig2c", profile)?;
    let mut mine = genomes(&rows);
    // By size, then seed: the report lists each size's genomes together.
    mine.sort_by_key(|r| (r.metrics.genome_params, r.metrics.seed));
    Ok(mine
        .iter()
        .map(|r| {
            json!({
                "genome": genome_name(r),
                "seed": r.metrics.seed,
                "run": r.run,
                "profile": r.profile,
                "genome_params": r.metrics.genome_params,
                "generation": r.metrics.report.generations.iter().map(|g| g.generation).collect::<Vec<_>>(),
                "ab_initio": r.metrics.report.generations.iter().map(|g| g.ab_initio_accuracy).collect::<Vec<_>>(),
                "trained": r.metrics.report.generations.iter().map(|g| g.trained_accuracy).collect::<Vec<_>>(),
                "seconds_per_generation": r.metrics.report.seconds_per_generation,
            })
        })
        .collect())
}

/// A curve's name: the genome's size, and its seed when a profile trains several per size.
fn figs2c_label(values: &[Value], v: &Value) -> String {
    let name = v["genome"].as_str().unwrap_or("?");
    let several = values.iter().filter(|w| w["genome"] == v["genome"]).count() > 1;
    match v["seed"].as_u64() {
        Some(seed) if several => format!("{name}, genome seed {seed}"),
        _ => name.to_string(),
    }
}

fn figs2c_figure(values: &[Value], stem: &Path) -> anyhow::Result<()> {
    let mut names: Vec<&str> = values.iter().filter_map(|v| v["genome"].as_str()).collect();
    names.sort();
    names.dedup();
    let mut series = Vec::new();
    for v in values {
        let gens = f64s(&v["generation"]);
        // One colour per size, so that the seeds of a size read together.
        let size = names.iter().position(|n| Some(*n) == v["genome"].as_str()).unwrap_or(0);
        series.push(Series {
            name: format!("{} ab initio", figs2c_label(values, v)),
            points: gens.iter().zip(f64s(&v["ab_initio"])).map(|(g, a)| (*g, 100.0 * a)).collect(),
            color: size + 1,
            ..Series::default()
        });
    }
    let chart = LineChart {
        title: "Intermittent training on MNIST".into(),
        x_label: "generation".into(),
        y_label: "ab initio test accuracy (%)".into(),
        series,
        y_range: Some((0.0, 100.0)),
        ..LineChart::default()
    };
    let mut zoom = chart.clone();
    zoom.title = "the same, above 60%".into();
    zoom.y_range = Some((60.0, 100.0));
    save_row(&[chart, zoom], stem)
}

fn figs2c_claims(values: &[Value]) -> Vec<Claim> {
    values
        .iter()
        .map(|v| {
            let acc = f64s(&v["ab_initio"]);
            let at = |n: usize| {
                acc.get(n.saturating_sub(1)).map_or("-".to_string(), |a| format!("{:.1}%", 100.0 * a))
            };
            Claim {
                quantity: format!(
                    "{}: ab initio accuracy at generations 10 / 50 / 100 / last ({})",
                    figs2c_label(values, v),
                    acc.len()
                ),
                paper: "rises over ~100s of generations (Fig. S.2C)".into(),
                ours: format!("{} / {} / {} / {}", at(10), at(50), at(100), at(acc.len())),
                runs: 1,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnet::tests::{genome_row, learning_row};
    use innate_gnet::Preset;

    #[test]
    fn curves_per_genome_from_gnet_fig2c_s_rows() {
        let out = tempfile::tempdir().unwrap();
        // No gnet-fig2c results: an error that says what to run.
        let e = figs2c_compute(out.path(), Profile::Quick).unwrap_err().to_string();
        assert!(e.contains("--only gnet-fig2c"), "{e}");
        let acc: Vec<f64> = (1..=120).map(|g| g as f64 / 200.0).collect();
        let rows = [
            genome_row(Some(Preset::Gn30), None, 1, &acc, None),
            genome_row(Some(Preset::Gn30), None, 0, &acc[..20], None),
            genome_row(Some(Preset::Gn5), None, 0, &acc[..5], None),
            learning_row("tabula-rasa-seed0", "mnist", None, &[(0, 0.1)]),
        ];
        crate::rows::write_rows(&crate::rows::results_path(out.path(), "gnet-fig2c"), &rows).unwrap();
        let values = figs2c_compute(out.path(), Profile::Quick).unwrap();
        // Genomes only, smallest first, then by seed.
        let names: Vec<String> = values.iter().map(|v| figs2c_label(&values, v)).collect();
        assert_eq!(names, ["GN5", "GN30, genome seed 0", "GN30, genome seed 1"]);
        let c = figs2c_claims(&values);
        assert_eq!(c[0].ours, "- / - / - / 2.5%");
        assert_eq!(c[1].ours, "5.0% / - / - / 10.0%");
        assert_eq!(c[2].ours, "5.0% / 25.0% / 50.0% / 60.0%");
        assert!(c[2].quantity.ends_with("last (120)"), "{}", c[2].quantity);
        // Another profile's rows do not count.
        assert!(figs2c_compute(out.path(), Profile::Paper).is_err());
    }
}
