//! `gnet-cifar-fig3g` and `gnet-cifar-fig3g-classes`: transfer of chosen layers of All-CNN-C
//! (genomic bottleneck, Fig. 3G). A network learns a new task with some of its layers (all, 1-2,
//! 1, the last two) starting from the network a GN50 genome develops, or from All-CNN-C trained
//! directly on the first task, and the rest from random weights; against learning from scratch.
//! The measure is the epochs it takes to reach 50% test accuracy.
//!
//! - `gnet-cifar-fig3g`: the paper's, CIFAR-10 to SVHN, from gnet-cifar-fig3cd's GN50 genome and
//!   fully trained network. SVHN is not on every machine: without its official .mat files in the
//!   data root the experiment says what is missing and is skipped.
//! - `gnet-cifar-fig3g-classes`: a stand-in that runs on CIFAR-10 alone, labelled as such: the
//!   genome and the directly trained network learn classes 0-4, the transfers classes 5-9 (labels
//!   unchanged, so the networks keep 10 outputs and chance is 20%).

use std::path::{Path, PathBuf};

use innate_gnet::Preset;
use innate_run::RunConfig;

use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::plot::{HLine, LineChart, Series};
use crate::gnet_cifar::*;
use crate::profile::Profile;
use crate::rows::Row;
use crate::schedule::run_ref;

/// The layer subsets of Fig. 3G: (id, layers, name), the paper's epochs to 50% from the genome
/// and from direct transfer where its text gives them.
const SUBSETS: [(&str, &[usize], &str, &str, &str); 4] = [
    ("all", &[1, 2, 3, 4, 5, 6, 7, 8, 9], "L1-9", "~1", "-"),
    ("l1-2", &[1, 2], "L1-2", "-", "-"),
    ("l1", &[1], "L1", "3.2", "4.8"),
    ("l8-9", &[8, 9], "L8-9", "-", "-"),
];

/// The test accuracy a transfer has to reach.
const TARGET: f64 = 0.5;

/// `gnet-cifar-fig3g`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-cifar-fig3g",
        title: "Transfer of layers to SVHN: from the GN50 genome, from direct CIFAR-10 weights, from scratch",
        source: "genomic-bottleneck paper, Fig. 3G and Results \"Transfer learning\"",
        caption: "Epochs of learning SVHN until the test accuracy first reaches 50%, for All-CNN-C whose layers \
                  (all, 1-2, 1 or 8-9) start from the network gnet-cifar-fig3cd's GN50 genome develops or from \
                  its directly trained All-CNN-C, the other layers from random weights, against all layers \
                  random (scratch). Needs the official SVHN train_32x32.mat and test_32x32.mat in the data root's \
                  svhn/ folder; without them it is skipped.",
        kind: Kind::Runs(Runs { runs: svhn_runs, figure: fig3g_figure, figures: &[], claims: fig3g_claims }),
    }
}

/// `gnet-cifar-fig3g-classes`.
pub fn stand_in() -> Experiment {
    Experiment {
        name: "gnet-cifar-fig3g-classes",
        title: "Stand-in for Fig. 3G on CIFAR-10 alone: layers learned on classes 0-4, transferred to classes 5-9",
        source: "genomic-bottleneck paper, Fig. 3G (a stand-in of ours: SVHN is not on this machine)",
        caption: "Not the paper's experiment: a GN50 genome and All-CNN-C trained directly learn CIFAR-10's classes \
                  0-4 (airplane to deer); All-CNN-C then learns classes 5-9 (dog to truck) with layers all, 1-2, 1 \
                  or 8-9 from the genome's network or from the direct network, the others random, against scratch. \
                  Labels stay 0-9, so chance is 20%; epochs until the test accuracy first reaches 50%.",
        kind: Kind::Runs(Runs {
            runs: classes_runs,
            figure: fig3g_figure,
            figures: &[],
            claims: fig3g_claims,
        }),
    }
}

/// Epochs of each transfer run, and the SVHN training images (the quick profile's shortening).
fn transfer_shape(profile: Profile) -> (usize, Option<usize>) {
    match profile {
        Profile::Paper => (20, None),
        Profile::Quick => (10, Some(4_000)),
        Profile::Smoke => (2, None),
    }
}

/// The transfer runs onto `dataset` (`classes`) from the genome and direct networks `genome`,
/// `direct`, and from scratch.
fn transfers(
    profile: Profile,
    dataset: &str,
    classes: &[u32],
    genome: PathBuf,
    direct: PathBuf,
    limit: Option<usize>,
) -> Vec<(String, RunConfig)> {
    let epochs = transfer_shape(profile).0;
    let mut out =
        vec![("scratch-seed0".to_string(), target_run(profile, dataset, classes, epochs, None, limit))];
    for (id, layers, _, _, _) in SUBSETS {
        for (source, path) in [("genome", &genome), ("direct", &direct)] {
            out.push((
                format!("{source}-{id}-seed0"),
                target_run(profile, dataset, classes, epochs, Some((path.clone(), layers.to_vec())), limit),
            ));
        }
    }
    out
}

fn svhn_runs(profile: Profile) -> Vec<(String, RunConfig)> {
    let genome = run_ref("gnet-cifar-fig3cd", &genome_id(Preset::Gn50, 0));
    let direct = run_ref("gnet-cifar-fig3cd", "fully-trained-seed0");
    transfers(profile, "svhn", &[], genome, direct, transfer_shape(profile).1)
}

const FIRST: [u32; 5] = [0, 1, 2, 3, 4];
const SECOND: [u32; 5] = [5, 6, 7, 8, 9];

fn classes_runs(profile: Profile) -> Vec<(String, RunConfig)> {
    const NAME: &str = "gnet-cifar-fig3g-classes";
    let mut genome = genome_run(profile, Preset::Gn50, 0);
    genome.classes = FIRST.to_vec();
    let mut direct = direct_run(profile, shape(profile).direct_epochs, 0, None);
    direct.classes = FIRST.to_vec();
    let mut out =
        vec![("source-gn50-seed0".to_string(), genome), ("source-direct-seed0".to_string(), direct)];
    out.extend(transfers(
        profile,
        DATASET,
        &SECOND,
        run_ref(NAME, "source-gn50-seed0"),
        run_ref(NAME, "source-direct-seed0"),
        None,
    ));
    out
}

/// The transfer rows (not the sources) of arm `id` (`scratch`, `genome-l1`, ...).
fn arm<'a>(rows: &'a [Row], id: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.run == format!("{id}-seed0"))
}

/// Epochs until the test accuracy first reaches `target`, if it does.
fn epochs_to(r: &Row, target: f64) -> Option<f64> {
    r.metrics.report.curve.iter().find(|p| p.test_accuracy >= target).map(|p| epochs_of(r, p.batches))
}

fn epochs_text(r: Option<&Row>) -> String {
    match r {
        None => "-".into(),
        Some(r) => match epochs_to(r, TARGET) {
            Some(e) => format!("{e:.0}"),
            None => format!("not in {:.0}", epochs_of(r, r.metrics.report.batches)),
        },
    }
}

/// `best a%, after 1 epoch b%` of a run.
fn accuracy_text(r: &Row) -> String {
    let one = r.metrics.report.curve.iter().find(|p| (epochs_of(r, p.batches) - 1.0).abs() < 1e-9);
    format!(
        "best {:.1}%, {:.1}% after 1 epoch",
        100.0 * r.metrics.report.best_test_accuracy,
        one.map_or(f64::NAN, |p| 100.0 * p.test_accuracy)
    )
}

fn fig3g_claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    let note = shortening(rows);
    let scratch = arm(rows, "scratch");
    let mut out = vec![Claim {
        quantity: format!("from scratch: epochs to {:.0}% test accuracy{note}", 100.0 * TARGET),
        paper: "~20".into(),
        ours: epochs_text(scratch),
        runs: usize::from(scratch.is_some()),
    }];
    for (id, _, name, genome_paper, direct_paper) in SUBSETS {
        for (source, what, paper) in
            [("genome", "the GN50 genome", genome_paper), ("direct", "direct weights", direct_paper)]
        {
            let r = arm(rows, &format!("{source}-{id}"));
            out.push(Claim {
                quantity: format!(
                    "{name} from {what}: epochs to {:.0}%{}",
                    100.0 * TARGET,
                    r.map_or(String::new(), |r| format!(" ({})", accuracy_text(r)))
                ),
                paper: paper.into(),
                ours: epochs_text(r),
                runs: usize::from(r.is_some()),
            });
        }
    }
    if let Some(r) = scratch {
        out.push(Claim {
            quantity: format!("from scratch: {}", accuracy_text(r)),
            paper: "-".into(),
            ours: format!("{:.1}%", 100.0 * r.metrics.report.best_test_accuracy),
            runs: 1,
        });
    }
    out
}

fn fig3g_figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    let curve = |r: &Row| -> Vec<(f64, f64)> {
        r.metrics.report.curve.iter().map(|p| (epochs_of(r, p.batches), 100.0 * p.test_accuracy)).collect()
    };
    let mut charts = Vec::new();
    for (source, title) in
        [("genome", "layers from the GN50 genome"), ("direct", "layers from direct weights")]
    {
        let mut series = Vec::new();
        if let Some(r) = arm(rows, "scratch") {
            series.push(Series { name: "scratch".into(), points: curve(r), color: 0, ..Series::default() });
        }
        for (i, (id, _, name, _, _)) in SUBSETS.iter().enumerate() {
            if let Some(r) = arm(rows, &format!("{source}-{id}")) {
                series.push(Series {
                    name: (*name).into(),
                    points: curve(r),
                    color: i + 1,
                    ..Series::default()
                });
            }
        }
        charts.push(LineChart {
            title: title.into(),
            x_label: "training epochs".into(),
            y_label: "test accuracy (%)".into(),
            series,
            hlines: vec![HLine { name: "50%".into(), y: 100.0 * TARGET, color: 5 }],
            y_range: Some((0.0, 100.0)),
            ..LineChart::default()
        });
    }
    crate::figures::plot::save_row(&charts, stem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnet_cifar::tests::direct_row;

    #[test]
    fn runs_cover_every_subset_from_both_sources_and_claims_count_epochs_to_half() {
        let runs = classes_runs(Profile::Quick);
        assert_eq!(runs.len(), 2 + 1 + 8);
        let (_, l1) = runs.iter().find(|(id, _)| id == "genome-l1-seed0").unwrap();
        assert_eq!(l1.classes, SECOND);
        let innate_run::Encoding::Direct(d) = &l1.encoding else { panic!() };
        assert_eq!(d.init_layers, [1]);
        assert!(
            d.init_from
                .as_ref()
                .unwrap()
                .to_str()
                .unwrap()
                .ends_with("gnet-cifar-fig3g-classes/source-gn50-seed0")
        );
        assert_eq!(runs[0].1.classes, FIRST);
        assert!(
            svhn_runs(Profile::Quick)
                .iter()
                .all(|(_, r)| r.dataset == "svhn" && r.train_limit == Some(4_000))
        );
        let rows = vec![
            direct_row("scratch-seed0", None, &[(0, 0.2), (32, 0.3), (64, 0.4)]),
            direct_row("genome-l1-seed0", Some("g"), &[(0, 0.2), (32, 0.45), (64, 0.55)]),
            direct_row("direct-all-seed0", Some("d"), &[(0, 0.6), (32, 0.7), (64, 0.75)]),
        ];
        let c = fig3g_claims(&rows, Path::new("."));
        let find = |needle: &str| {
            c.iter().find(|c| c.quantity.starts_with(needle)).unwrap_or_else(|| panic!("{needle}: {c:#?}"))
        };
        assert_eq!(find("from scratch: epochs").ours, "not in 2");
        let l1 = find("L1 from the GN50 genome");
        assert_eq!((l1.paper.as_str(), l1.ours.as_str()), ("3.2", "2"));
        assert!(l1.quantity.contains("best 55.0%, 45.0% after 1 epoch"), "{}", l1.quantity);
        assert_eq!(find("L1-9 from direct weights").ours, "0");
        assert_eq!(find("L8-9 from the GN50 genome").runs, 0);
    }
}
