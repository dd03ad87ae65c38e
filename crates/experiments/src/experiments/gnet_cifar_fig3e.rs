//! `gnet-cifar-fig3e`: learning after birth on CIFAR-10: All-CNN-C trained from the network the
//! GN50 genome of gnet-cifar-fig3cd develops ("innate") against from random weights ("tabula
//! rasa") (genomic bottleneck, Fig. 3E).

use std::path::Path;

use innate_gnet::Preset;
use innate_run::RunConfig;

use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::plot::{LineChart, Series};
use crate::gnet_cifar::*;
use crate::profile::Profile;
use crate::rows::Row;
use crate::schedule::run_ref;

/// `gnet-cifar-fig3e`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-cifar-fig3e",
        title: "Learning after birth on CIFAR-10: the GN50 network against tabula rasa",
        source: "genomic-bottleneck paper, Fig. 3E",
        caption: "Test accuracy of All-CNN-C while it learns with the paper's SGD, starting at epoch 0 from the \
                  network gnet-cifar-fig3cd's GN50 genome develops (innate) or from He's random weights with the \
                  same seed (tabula rasa). The paper: the innate network starts higher and learns at the same rate.",
        kind: Kind::Runs(Runs { runs: fig3e_runs, figure: fig3e_figure, figures: &[], claims: fig3e_claims }),
    }
}

fn fig3e_runs(profile: Profile) -> Vec<(String, RunConfig)> {
    let epochs = shape(profile).after_epochs;
    let from = run_ref("gnet-cifar-fig3cd", &genome_id(Preset::Gn50, 0));
    vec![
        ("gn50-innate-seed0".into(), direct_run(profile, epochs, 0, Some(from))),
        ("tabula-rasa-seed0".into(), direct_run(profile, epochs, 0, None)),
    ]
}

fn innate_rows(rows: &[Row]) -> Vec<&Row> {
    rows.iter().filter(|r| r.metrics.config.encoding.starts_from().is_some()).collect()
}

/// (epochs, test accuracy in %) of a run's curve.
fn curve(r: &Row) -> Vec<(f64, f64)> {
    r.metrics.report.curve.iter().map(|p| (epochs_of(r, p.batches), 100.0 * p.test_accuracy)).collect()
}

fn fig3e_figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    let mut series = Vec::new();
    for (i, (name, runs)) in
        [("tabula rasa", direct_rows(rows)), ("GN50 innate", innate_rows(rows))].into_iter().enumerate()
    {
        if let Some(r) = runs.first() {
            series.push(Series { name: name.into(), points: curve(r), color: i, ..Series::default() });
        }
    }
    LineChart {
        title: "Learning after birth: CIFAR-10".into(),
        x_label: "training epochs".into(),
        y_label: "test accuracy (%)".into(),
        series,
        y_range: Some((0.0, 100.0)),
        ..LineChart::default()
    }
    .save(stem)
}

fn fig3e_claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    let note = shortening(rows);
    let mut out = Vec::new();
    let mut gains = Vec::new();
    for (name, runs) in [("GN50 innate", innate_rows(rows)), ("tabula rasa", direct_rows(rows))] {
        let Some(r) = runs.first() else { continue };
        let c = curve(r);
        let Some(&(last_epoch, last)) = c.last() else { continue };
        let at =
            |e: f64| c.iter().find(|p| (p.0 - e).abs() < 1e-9).map_or("-".into(), |p| format!("{:.1}%", p.1));
        let half = (last_epoch / 2.0).round();
        out.push(Claim {
            quantity: format!(
                "{name}: test accuracy after 0 / 1 / {half:.0} / {last_epoch:.0} epochs of learning{note}"
            ),
            paper: if name == "tabula rasa" {
                "starts at 10%".into()
            } else {
                "starts at its ab initio 76%".into()
            },
            ours: format!("{} / {} / {} / {last:.1}%", at(0.0), at(1.0), at(half)),
            runs: 1,
        });
        // The rate: points per epoch from epoch 1 to the end (epoch 0 to 1 is the jump of the
        // first epoch, where the two differ most).
        if let Some(&(e1, a1)) = c.iter().find(|p| (p.0 - 1.0).abs() < 1e-9)
            && last_epoch > e1
        {
            gains.push((name, (last - a1) / (last_epoch - e1)));
        }
    }
    if !gains.is_empty() {
        out.push(Claim {
            quantity: "learning rate after birth: gain in test accuracy per epoch, from epoch 1 to the last"
                .into(),
            paper: "the same for both".into(),
            ours: gains.iter().map(|(n, g)| format!("{n} {g:+.2} points")).collect::<Vec<_>>().join(", "),
            runs: gains.len(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnet_cifar::tests::direct_row;

    #[test]
    fn claims_compare_the_curves_and_their_rates() {
        let rows = vec![
            direct_row(
                "gn50-innate-seed0",
                Some("g/genome.safetensors"),
                &[(0, 0.3), (32, 0.35), (64, 0.38), (96, 0.41), (128, 0.44)],
            ),
            direct_row(
                "tabula-rasa-seed0",
                None,
                &[(0, 0.1), (32, 0.2), (64, 0.24), (96, 0.28), (128, 0.32)],
            ),
        ];
        let c = fig3e_claims(&rows, Path::new("."));
        assert!(
            c[0].quantity.starts_with("GN50 innate: test accuracy after 0 / 1 / 2 / 4 epochs"),
            "{}",
            c[0].quantity
        );
        assert_eq!(c[0].ours, "30.0% / 35.0% / 38.0% / 44.0%");
        assert_eq!(c[1].ours, "10.0% / 20.0% / 24.0% / 32.0%");
        assert_eq!(c[2].ours, "GN50 innate +3.00 points, tabula rasa +4.00 points");
        assert!(fig3e_runs(Profile::Smoke)[0].1.starts_from().is_some());
    }
}
