//! `sgem-transfer-frozen`: transfer of spatial genomes from MNIST to Fashion-MNIST with part of
//! the genome frozen (developmental priors, Results "Developmental priors ... promote transfer"
//! and Fig. S2; the authors' DiffConnect transfer scripts).
//!
//! Each source genome (the S-GEM single-layer perceptron with G = 11 genes, and the ML-S-GEM
//! 784-784-10 MLP with G = 22) is trained on MNIST as in sgem-fig2c / sgem-fig2d. It is then
//! trained on Fashion-MNIST in three ways, each against the same genome freshly drawn with the
//! source's seed and trained the same way ("naive": learning from scratch at the same parameter
//! count):
//!
//! | mode          | learned on Fashion-MNIST          | frozen                         |
//! |---------------|-----------------------------------|--------------------------------|
//! | `interaction` | O                                 | the gene fields (centres, widths) |
//! | `expression`  | the gene fields                   | O                              |
//! | `genome`      | everything the source learned     | nothing                        |
//!
//! The fixed random output expression and biases stay as the source drew them in every mode.

use std::path::Path;

use innate_evolution::{LifetimeConfig, StrategyConfig};
use innate_run::{Encoding, RunConfig};

use crate::arms::{Arm, Enc, Stopping, lifetime, seeds};
use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::plot::{LineChart, Series, save_row};
use crate::profile::Profile;
use crate::rows::{Row, curve_band};
use crate::schedule::run_ref;
use crate::stats::percent;

const NAME: &str = "sgem-transfer-frozen";

/// Training batches of 64 images in one epoch of Fashion-MNIST's 60,000 training images.
const BATCHES_PER_EPOCH: f64 = 60_000.0 / 64.0;

/// `sgem-transfer-frozen`.
pub fn experiment() -> Experiment {
    Experiment {
        name: NAME,
        title: "Transfer of spatial genomes to Fashion-MNIST with the gene fields or O frozen",
        source: "developmental priors, Results (\"promotes transfer learning\", Fig. S2) and the authors' DiffConnect \
                 transfer scripts",
        caption: "Fashion-MNIST test accuracy (mean over seeds, band: min-max) of S-GEM (SLP, G = 11) and ML-S-GEM \
                  (784-784-10, G = 22) genomes trained on MNIST, then trained on Fashion-MNIST learning only O (the \
                  gene fields frozen), only the gene fields (O frozen), or the whole genome; each against the same \
                  encoding drawn at random with the same seed and learning the same tensors (naive: learning from \
                  scratch at the same parameter count). Every run stops by the paper's rule.",
        kind: Kind::Runs(Runs { runs, figure, figures: &[], claims }),
    }
}

/// What a transfer run learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only O, the gene fields frozen.
    Interaction,
    /// Only the gene fields, O frozen.
    Expression,
    /// The whole genome.
    Genome,
}

const MODES: [Mode; 3] = [Mode::Interaction, Mode::Expression, Mode::Genome];

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Interaction => "interaction",
            Mode::Expression => "expression",
            Mode::Genome => "genome",
        }
    }

    /// The frozen-tensor patterns (S-GEM and ML-S-GEM name their fields `neuronsL.mu` and
    /// `neuronsL.log_sigma`, and O `o` or `o0`).
    fn frozen(self) -> Vec<String> {
        match self {
            Mode::Interaction => vec!["neurons*".into()],
            Mode::Expression => vec!["o*".into()],
            Mode::Genome => Vec::new(),
        }
    }

    /// The mode a run's frozen patterns mean.
    fn of(frozen: &[String]) -> Self {
        MODES.into_iter().find(|m| m.frozen() == frozen).unwrap_or(Mode::Genome)
    }

    fn label(self) -> &'static str {
        match self {
            Mode::Interaction => "learning only O (gene fields frozen)",
            Mode::Expression => "learning only the gene fields (O frozen)",
            Mode::Genome => "learning the whole genome",
        }
    }
}

/// The source genomes trained on MNIST.
fn sources() -> [Arm; 2] {
    [Arm::slp(Enc::Sgem).genes(11), Arm::mlp(Enc::Mlsgem, 784).genes(22)]
}

/// The source arm's name in the report.
fn source_label(arm: &Arm) -> String {
    match arm.encoding {
        Enc::Sgem => format!("S-GEM SLP G = {}", arm.genes.unwrap_or(0)),
        _ => format!("ML-S-GEM 784-{}-10 G = {}", arm.hidden, arm.genes.unwrap_or(0)),
    }
}

/// The Fashion-MNIST run of `mode` from the MNIST run `source` (`innate`) or from the same
/// genome drawn afresh (naive).
fn transfer_run(
    source: &RunConfig,
    source_id: &str,
    mode: Mode,
    innate: bool,
    profile: Profile,
) -> RunConfig {
    let lr = source.encoding.default_lr();
    let strategy = StrategyConfig::EndToEnd(LifetimeConfig {
        frozen: mode.frozen(),
        ..lifetime(profile, source.seed, lr, Stopping::Paper)
    });
    RunConfig {
        dataset: "fashion-mnist".into(),
        strategy,
        genome_from: innate.then(|| run_ref(NAME, source_id)),
        ..source.clone()
    }
}

fn runs(profile: Profile) -> Vec<(String, RunConfig)> {
    let mut out = Vec::new();
    for arm in sources() {
        for seed in seeds(profile) {
            let (id, source) = (arm.id(seed), arm.config(profile, seed));
            let stem = id.trim_end_matches(&format!("-seed{seed}")).to_string();
            out.push((id.clone(), source.clone()));
            for mode in MODES {
                for (side, innate) in [("innate", true), ("naive", false)] {
                    out.push((
                        format!("{stem}-{}-{side}-seed{seed}", mode.name()),
                        transfer_run(&source, &id, mode, innate, profile),
                    ));
                }
            }
        }
    }
    out
}

/// Whether a row is of `arm`'s encoding (S-GEM or ML-S-GEM).
fn of_arm(r: &Row, arm: &Arm) -> bool {
    matches!(
        (&r.metrics.config.encoding, arm.encoding),
        (Encoding::Sgem(_), Enc::Sgem) | (Encoding::Mlsgem(_), Enc::Mlsgem)
    )
}

/// The Fashion-MNIST runs of `arm`'s genome in `mode`, from the MNIST genome (`innate`) or not.
fn transfers<'a>(rows: &'a [Row], arm: &Arm, mode: Mode, innate: bool) -> Vec<&'a Row> {
    rows.iter()
        .filter(|r| of_arm(r, arm) && r.metrics.config.dataset == "fashion-mnist")
        .filter(|r| r.metrics.config.genome_from.is_some() == innate)
        .filter(|r| Mode::of(r.metrics.config.strategy.lifetime().map_or(&[][..], |l| &l.frozen)) == mode)
        .collect()
}

fn figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    let charts: Vec<LineChart> = sources()
        .iter()
        .map(|arm| {
            let mut series = Vec::new();
            for (k, mode) in MODES.into_iter().enumerate() {
                for (innate, side) in [(true, "from the MNIST genome"), (false, "naive")] {
                    let runs = transfers(rows, arm, mode, innate);
                    let band = curve_band(&runs, 0, BATCHES_PER_EPOCH);
                    series.push(Series {
                        name: format!("{}, {side} (n = {})", mode.name(), runs.len()),
                        points: band.iter().map(|p| (p.0, p.1)).collect(),
                        band: if runs.len() > 1 {
                            band.iter().map(|p| (p.0, p.2, p.3)).collect()
                        } else {
                            vec![]
                        },
                        // Each mode a pair of neighbouring colours: innate, then naive.
                        color: 2 * k + usize::from(!innate),
                        ..Series::default()
                    });
                }
            }
            LineChart {
                title: format!("{} from MNIST to Fashion-MNIST", source_label(arm)),
                x_label: "Fashion-MNIST training epochs".into(),
                y_label: "test accuracy (%)".into(),
                series,
                ..LineChart::default()
            }
        })
        .collect();
    save_row(&charts, stem)
}

fn claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    let mut out = Vec::new();
    let best = |rs: &[&Row]| rs.iter().map(|r| r.metrics.report.best_test_accuracy).collect::<Vec<_>>();
    let start = |rs: &[&Row]| {
        rs.iter().filter_map(|r| r.metrics.report.curve.first()).map(|p| p.test_accuracy).collect::<Vec<_>>()
    };
    for arm in sources() {
        let mnist: Vec<&Row> =
            rows.iter().filter(|r| of_arm(r, &arm) && r.metrics.config.dataset == "mnist").collect();
        out.push(Claim {
            quantity: format!("{}: MNIST best test accuracy of the source genomes", source_label(&arm)),
            paper: "-".into(),
            ours: percent(&best(&mnist)),
            runs: mnist.len(),
        });
        // Every mode starts from the same network: the MNIST genome's, or the fresh draw's.
        let (innate, naive) =
            (transfers(rows, &arm, Mode::Genome, true), transfers(rows, &arm, Mode::Genome, false));
        out.push(Claim {
            quantity: format!(
                "{}: F-MNIST test accuracy before training: the network the MNIST genome develops vs a fresh draw",
                source_label(&arm)
            ),
            paper: "-".into(),
            ours: format!("{} vs {}", percent(&start(&innate)), percent(&start(&naive))),
            runs: innate.len() + naive.len(),
        });
        for mode in MODES {
            let (innate, naive) = (transfers(rows, &arm, mode, true), transfers(rows, &arm, mode, false));
            let trained =
                innate.iter().chain(&naive).find_map(|r| r.metrics.report.trained_params).map_or_else(
                    || format!("{} parameters", innate.first().map_or(0, |r| r.metrics.genome_params)),
                    |n| format!("{n} parameters"),
                );
            let paper = match mode {
                Mode::Interaction => "spatial priors promote transfer (Fig. S2; no value in the text)",
                _ => "-",
            };
            out.push(Claim {
                quantity: format!(
                    "{}: F-MNIST best test accuracy {}, {trained} trained: from the MNIST genome vs naive",
                    source_label(&arm),
                    mode.label()
                ),
                paper: paper.into(),
                ours: format!("{} vs {}", percent(&best(&innate)), percent(&best(&naive))),
                runs: innate.len() + naive.len(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use innate_evolution::{EvalPoint, Report};
    use innate_run::Metrics;

    /// A row of run `id` (`config`) whose curve starts at `start` and whose best is `best`.
    fn row(id: &str, config: RunConfig, start: f64, best: f64, trained: Option<usize>) -> Row {
        let point = |batches, test_accuracy| EvalPoint {
            batches,
            test_accuracy,
            train_loss: None,
            stop_accuracy: None,
            test_ci95: None,
            seconds: 0.0,
        };
        let report = Report {
            best_test_accuracy: best,
            batches: 1000,
            curve: vec![point(0, start), point(1000, best)],
            trained_params: trained,
            ..Report::default()
        };
        let metrics = Metrics {
            dataset: config.dataset.clone(),
            encoding: config.encoding.name().into(),
            model: config.network.kind().into(),
            sizes: vec![784, 10],
            genes: Some(11),
            basis: None,
            phenotype_weights: 7840,
            seed: config.seed,
            genome_params: 154,
            genome_fixed_params: 0,
            phenotype_params: 7850,
            compression: 1.0,
            data_load_seconds: 0.0,
            train_images: 60_000,
            test_images: 10_000,
            device: "cpu".into(),
            innate_version: "0".into(),
            report,
            config,
        };
        Row { experiment: NAME.into(), profile: Profile::Quick, run: id.into(), dir: String::new(), metrics }
    }

    #[test]
    fn each_source_has_three_modes_each_against_a_naive_twin_from_the_same_seed() {
        let runs = runs(Profile::Quick);
        assert_eq!(runs.len(), 2 * 3 * 7);
        let (id, config) = &runs[1];
        assert_eq!(id, "sgem-g11-interaction-innate-seed0");
        assert_eq!(config.dataset, "fashion-mnist");
        assert_eq!(config.genome_from.as_deref(), Some(run_ref(NAME, "sgem-g11-seed0").as_path()));
        assert_eq!(config.strategy.lifetime().unwrap().frozen, ["neurons*"]);
        let (naive_id, naive) = &runs[2];
        assert_eq!(naive_id, "sgem-g11-interaction-naive-seed0");
        assert!(naive.genome_from.is_none());
        assert_eq!(naive.encoding, config.encoding);
        assert_eq!(naive.seed, config.seed);
        assert_eq!(runs[3].1.strategy.lifetime().unwrap().frozen, ["o*"]);
        assert!(runs[5].1.strategy.lifetime().unwrap().frozen.is_empty());
        assert_eq!(runs[21].0, "mlsgem-mlp784-g22-seed0");
    }

    #[test]
    fn claims_set_each_mode_beside_its_naive_twin() {
        let rows: Vec<Row> = runs(Profile::Smoke)
            .into_iter()
            .map(|(id, config)| {
                let innate = config.genome_from.is_some();
                let trained = (!config.strategy.lifetime().unwrap().frozen.is_empty()).then_some(121);
                let best = if config.dataset == "mnist" {
                    0.8
                } else if innate {
                    0.7
                } else {
                    0.6
                };
                row(&id, config, if innate { 0.2 } else { 0.1 }, best, trained)
            })
            .collect();
        let c = claims(&rows, Path::new("."));
        assert_eq!(c.len(), 2 * 5);
        assert_eq!(c[0].ours, "80.00%");
        assert_eq!(c[1].ours, "20.00% vs 10.00%");
        assert!(
            c[2].quantity.contains("learning only O (gene fields frozen), 121 parameters trained"),
            "{}",
            c[2].quantity
        );
        assert_eq!(c[2].ours, "70.00% vs 60.00%");
        assert!(c[4].quantity.contains("whole genome, 154 parameters"), "{}", c[4].quantity);
        assert!(c.iter().filter(|c| c.quantity.contains("F-MNIST")).all(|c| c.runs == 2));
        assert_eq!(c[5].runs, 1);
    }
}
