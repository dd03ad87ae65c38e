//! `gnet-fig2ef`: the survival and population model (genomic bottleneck, Eq. 2 and Figs. 2E,
//! 2F), fed with gnet-fig2c's measured learning curves.

use std::path::Path;

use serde_json::{Value, json};

use crate::experiment::{Claim, Derived, Experiment, Kind};
use crate::gnet::*;
use crate::profile::Profile;
use crate::rows::rows_of_profile;
use innate_evolution::survival::{LearningCurve, population, survival};

use crate::figures::plot::{LineChart, Series, save_row};
use crate::rows::Row;
use crate::stats::mean_sd;

/// `gnet-fig2ef`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-fig2ef",
        title: "Survival and population model",
        source: "genomic-bottleneck paper, Eq. 2 and Figs. 2E, 2F",
        caption: "Left: p(t+1) = p(t)[1 - alpha (1 - c(t))] with c(t) the measured MNIST learning curves of gnet-fig2c \
         (innate: starting from a genome's network; tabula rasa: from random weights), one step per batch of 64 \
         images, linear between evaluations. Right: share of innate individuals when each generation's offspring \
         are drawn in proportion to survival to maturity (one epoch), starting from 1%.",
        kind: Kind::Derived(Derived {
            compute: |env| fig2ef_compute(env.out, env.profile),
            figure: Some(fig2ef_figure),
            claims: fig2ef_claims,
        }),
    }
}

/// Survival per training batch: `alpha` of Eq. 2 with one time step per batch of 64 images.
const ALPHA: f64 = 0.002;

/// Maturity: this many batches after birth (one MNIST epoch).
const MATURITY: usize = 938;

/// Generations of the population model.
const POP_GENERATIONS: usize = 100;

/// Initial share of the innate kind in the population model.
const INITIAL_SHARE: f64 = 0.01;

fn curve_of(rows: &[&Row]) -> anyhow::Result<LearningCurve> {
    // The mean over runs, on the first run's evaluation points.
    let first = rows.first().ok_or_else(|| anyhow::anyhow!("no learning runs"))?;
    let pts = first
        .metrics
        .report
        .curve
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let accs: Vec<f64> =
                rows.iter().filter_map(|r| r.metrics.report.curve.get(i)).map(|q| q.test_accuracy).collect();
            (p.batches as f64, mean_sd(&accs).0)
        })
        .collect();
    Ok(LearningCurve::new(pts)?)
}

fn fig2ef_compute(out: &Path, profile: Profile) -> anyhow::Result<Vec<Value>> {
    let rows = rows_of_profile(out, "gnet-fig2c", profile)?;
    let tabula = learning_rows(&rows, None);
    if tabula.is_empty() {
        anyhow::bail!("gnet-fig2c has no tabula rasa learning run; rerun it");
    }
    let naive_curve = curve_of(&tabula)?;
    let naive_p = survival(&naive_curve, ALPHA, 1.0, MATURITY);
    let mut values = vec![json!({
        "kind": "tabula rasa",
        "alpha": ALPHA,
        "maturity_batches": MATURITY,
        "survival": naive_p,
        "start_accuracy": naive_curve.at(0.0),
        "runs": tabula.len(),
    })];
    for (p, label, _) in PRESETS {
        let runs = learning_rows(&rows, Some(p));
        if runs.is_empty() {
            continue;
        }
        let c = curve_of(&runs)?;
        let s = survival(&c, ALPHA, 1.0, MATURITY);
        let shares = population(
            &[s[MATURITY], naive_p[MATURITY]],
            &[INITIAL_SHARE, 1.0 - INITIAL_SHARE],
            POP_GENERATIONS,
        );
        values.push(json!({
            "kind": format!("{label} innate"),
            "alpha": ALPHA,
            "maturity_batches": MATURITY,
            "survival": s,
            "start_accuracy": c.at(0.0),
            "innate_share": shares.iter().map(|r| r[0]).collect::<Vec<_>>(),
            "runs": runs.len(),
        }));
    }
    Ok(values)
}

fn fig2ef_figure(values: &[Value], stem: &Path) -> anyhow::Result<()> {
    let mut surv = Vec::new();
    let mut pop = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let kind = v["kind"].as_str().unwrap_or("?");
        let s = f64s(&v["survival"]);
        surv.push(Series {
            name: kind.to_string(),
            // Every 10th batch is plenty for a smooth line.
            points: s
                .iter()
                .enumerate()
                .filter(|(t, _)| t % 10 == 0 || *t + 1 == s.len())
                .map(|(t, p)| (epochs(t), *p))
                .collect(),
            color: i,
            ..Series::default()
        });
        let shares = f64s(&v["innate_share"]);
        if !shares.is_empty() {
            pop.push(Series {
                name: format!("{kind} vs tabula rasa"),
                points: shares.iter().enumerate().map(|(n, s)| (n as f64, 100.0 * s)).collect(),
                color: i,
                ..Series::default()
            });
        }
    }
    let alpha = values.first().and_then(|v| v["alpha"].as_f64()).unwrap_or(f64::NAN);
    let left = LineChart {
        title: format!("(E) survival, Eq. 2, alpha = {alpha} per batch"),
        x_label: "age (training epochs after birth)".into(),
        y_label: "probability alive p(t)".into(),
        series: surv,
        y_range: Some((0.0, 1.02)),
        ..LineChart::default()
    };
    let right = LineChart {
        title: "(F) population".into(),
        x_label: "generation".into(),
        y_label: "share of innate individuals (%)".into(),
        series: pop,
        y_range: Some((0.0, 100.0)),
        ..LineChart::default()
    };
    save_row(&[left, right], stem)
}

fn fig2ef_claims(values: &[Value]) -> Vec<Claim> {
    let naive = values.first().map(|v| f64s(&v["survival"])).unwrap_or_default();
    values
        .iter()
        .skip(1)
        .map(|v| {
            let s = f64s(&v["survival"]);
            let shares = f64s(&v["innate_share"]);
            let half = shares.iter().position(|&x| x >= 0.5);
            let ninety = shares.iter().position(|&x| x >= 0.9);
            Claim {
                quantity: format!(
                    "{}: survival to maturity vs tabula rasa; generations until innate share >= 50% / 90% (from 1%)",
                    v["kind"].as_str().unwrap_or("?")
                ),
                paper: "innate dominates within several dozen generations".into(),
                ours: format!(
                    "{:.3} vs {:.3}; {} / {}",
                    s.last().copied().unwrap_or(f64::NAN),
                    naive.last().copied().unwrap_or(f64::NAN),
                    half.map_or("never".into(), |n| n.to_string()),
                    ninety.map_or("never".into(), |n| n.to_string())
                ),
                // The learning runs the innate curve is the mean of.
                runs: v["runs"].as_u64().unwrap_or(0) as usize,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnet::tests::learning_row;

    #[test]
    fn survival_follows_the_learning_curves_and_the_innate_kind_takes_over() {
        let out = tempfile::tempdir().unwrap();
        let rows = [
            learning_row("gn30-innate-seed0", "mnist", Some("g"), &[(0, 0.9), (MATURITY, 0.98)]),
            learning_row("tabula-rasa-seed0", "mnist", None, &[(0, 0.1), (MATURITY, 0.97)]),
        ];
        crate::rows::write_rows(&crate::rows::results_path(out.path(), "gnet-fig2c"), &rows).unwrap();
        let values = fig2ef_compute(out.path(), Profile::Quick).unwrap();
        // Tabula rasa, then the presets that have learning runs (GN30 only).
        let kinds: Vec<&str> = values.iter().map(|v| v["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["tabula rasa", "GN30 innate"]);
        let (naive, innate) = (f64s(&values[0]["survival"]), f64s(&values[1]["survival"]));
        assert_eq!(
            (naive.len(), naive[0], values[1]["start_accuracy"].as_f64()),
            (MATURITY + 1, 1.0, Some(0.9))
        );
        // The first step: p(1) = 1 - alpha (1 - c(0)).
        assert!(
            (naive[1] - (1.0 - ALPHA * 0.9)).abs() < 1e-12 && (innate[1] - (1.0 - ALPHA * 0.1)).abs() < 1e-12
        );
        assert!(innate[MATURITY] > naive[MATURITY]);
        let shares = f64s(&values[1]["innate_share"]);
        assert_eq!((shares.len(), shares[0]), (POP_GENERATIONS + 1, INITIAL_SHARE));
        let c = fig2ef_claims(&values);
        assert_eq!(c.len(), 1);
        let half = shares.iter().position(|&x| x >= 0.5).unwrap();
        let ninety = shares.iter().position(|&x| x >= 0.9).map_or("never".to_string(), |n| n.to_string());
        let expected = format!("{:.3} vs {:.3}; {half} / {ninety}", innate[MATURITY], naive[MATURITY]);
        assert_eq!(c[0].ours, expected);
        assert_eq!(c[0].runs, 1);
    }
}
