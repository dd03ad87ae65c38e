//! What the two LeNet-5 experiments (devconv-lenet5-mnist, devconv-lenet5-cifar) share: the three
//! variants, their runs per profile, their report lines and their learning-curve figures.
//!
//! The protocol is the developmental-priors Methods' "Training LeNet-5"
//! ([`innate_run::Network::protocol`]): Adam at 0.001, batches of 128, up to 200 epochs, the
//! test set after every epoch, the best accuracy reported. The quick profile trains fewer
//! epochs and seeds (labelled as such in the report); the paper profile is the protocol with 10
//! seeds.

use std::path::Path;

use innate_evolution::StrategyConfig;
use innate_run::{Encoding, EncodingFlags, Network, RunConfig};

use crate::experiment::Claim;
use crate::figures::plot::{HLine, LineChart, Series};
use crate::profile::Profile;
use crate::rows::Row;
use crate::stats::{mean_sd, percent};

/// A LeNet-5 variant, as the paper names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The classical, weight-shared network.
    Standard,
    /// Locally connected: no weight sharing, learned directly.
    Local,
    /// Locally connected, developed from an S-GEM genome with this many genes per convolution.
    Sgem(usize),
}

impl Variant {
    /// The encoding's name, as in run ids and genome files.
    pub fn encoding(self) -> &'static str {
        match self {
            Variant::Standard => "direct",
            Variant::Local => "local",
            Variant::Sgem(_) => "sgem",
        }
    }

    /// How the report names it.
    pub fn label(self) -> String {
        match self {
            Variant::Standard => "standard LeNet-5".into(),
            Variant::Local => "locally connected LeNet-5".into(),
            Variant::Sgem(g) => format!("S-GEM LeNet-5 ({g} genes)"),
        }
    }

    /// The run's encoding.
    pub fn config(self) -> anyhow::Result<Encoding> {
        Ok(match self {
            Variant::Standard => Encoding::direct(),
            Variant::Local => Encoding::from_flags("local", &EncodingFlags::default())?,
            // The S-GEM LeNet-5 learns its output neurons' expression (as `innate train` does).
            Variant::Sgem(genes) => Encoding::from_flags(
                "sgem",
                &EncodingFlags { genes: Some(genes), learn_output: true, ..EncodingFlags::default() },
            )?,
        })
    }
}

/// One dataset's arm of an experiment: the dataset, a label, and the variants with the paper's
/// value for each.
pub struct Arm {
    /// The dataset (`mnist`, `cifar-10`, `cifar-10-jpeg`).
    pub dataset: &'static str,
    /// How the report names the data.
    pub label: &'static str,
    /// Each variant with the paper's statement of its accuracy and parameters.
    pub variants: Vec<(Variant, &'static str, &'static str)>,
    /// The paper's accuracy of each variant as a fraction, where it states one (for the figure).
    pub paper: Vec<(Variant, f64)>,
    /// Epochs of the quick profile.
    pub quick_epochs: usize,
    /// Seeds of the quick profile.
    pub quick_seeds: u64,
}

/// The runs of `arms` in `profile`: every variant, seed and arm, trained with LeNet-5's protocol
/// (`quick_epochs` / `quick_seeds` in the quick profile, 200 epochs and 10 seeds in the paper
/// profile, one epoch of one seed in the smoke profile).
pub fn runs(arms: &[Arm], profile: Profile) -> Vec<(String, RunConfig)> {
    let mut out = Vec::new();
    for arm in arms {
        let (epochs, seeds) = match profile {
            Profile::Quick => (arm.quick_epochs, arm.quick_seeds),
            Profile::Paper => (Network::LeNet5.protocol().epochs, 10),
            Profile::Smoke => (1, 1),
        };
        for (variant, _, _) in &arm.variants {
            for seed in 0..seeds {
                let mut lifetime = Network::LeNet5.protocol();
                lifetime.epochs = epochs;
                lifetime.seed = seed;
                if profile == Profile::Smoke {
                    lifetime.batch_size = 16;
                }
                let encoding = variant.config().expect("the LeNet-5 variants' flags are valid");
                let config = RunConfig::new(
                    arm.dataset,
                    Network::LeNet5,
                    encoding,
                    StrategyConfig::EndToEnd(lifetime),
                    seed,
                );
                out.push((format!("{}-{}-seed{seed}", arm.dataset, variant.encoding()), config));
            }
        }
    }
    out
}

/// The rows of one variant on one dataset.
fn rows_of<'a>(rows: &'a [Row], dataset: &str, variant: Variant) -> Vec<&'a Row> {
    rows.iter()
        .filter(|r| r.metrics.dataset == dataset && r.metrics.config.encoding.name() == variant.encoding())
        .filter(|r| match variant {
            Variant::Sgem(g) => r.metrics.config.encoding.genes() == Some(g),
            _ => true,
        })
        .collect()
}

/// Batches in one epoch of a run (its strategy's count for its training set).
fn batches_per_epoch(r: &Row) -> usize {
    let lifetime =
        r.metrics.config.strategy.lifetime().cloned().unwrap_or_else(|| Network::LeNet5.protocol());
    lifetime.batches_per_epoch(r.metrics.train_images)
}

/// Seconds of training per epoch of a run.
fn seconds_per_epoch(r: &Row) -> f64 {
    let per_epoch = batches_per_epoch(r) as f64;
    r.metrics.report.seconds_per_1000_batches * per_epoch / 1000.0
}

/// Epochs a run trained.
fn epochs(r: &Row) -> usize {
    r.metrics.report.batches / batches_per_epoch(r)
}

/// The report lines of `arms`: per dataset and variant, the best test accuracy, the learned and
/// developed parameter counts, and the seconds per epoch.
pub fn claims(arms: &[Arm], rows: &[Row]) -> Vec<Claim> {
    let mut out = Vec::new();
    for arm in arms {
        for (variant, paper_acc, paper_params) in &arm.variants {
            let rs = rows_of(rows, arm.dataset, *variant);
            if rs.is_empty() {
                continue;
            }
            let profile = rs[0].profile.name();
            let e = rs.iter().map(|r| epochs(r)).max().unwrap_or(0);
            let best: Vec<f64> = rs.iter().map(|r| r.metrics.report.best_test_accuracy).collect();
            out.push(Claim {
                quantity: format!(
                    "{}, {}: best test accuracy ({e} epochs, {profile} profile)",
                    arm.label,
                    variant.label()
                ),
                paper: (*paper_acc).into(),
                ours: percent(&best),
                runs: rs.len(),
            });
            let m = &rs[0].metrics;
            let group = |n: usize| innate_datasets::files::group(n as u64);
            let mut ours = group(m.genome_params);
            if m.phenotype_params != m.genome_params {
                let ratio = m.phenotype_params as f64 / m.genome_params.max(1) as f64;
                ours += &format!(", developing {} ({ratio:.1}x)", group(m.phenotype_params));
                if let Some(s) = rows_of(rows, arm.dataset, Variant::Standard).first() {
                    let vs = s.metrics.genome_params as f64 / m.genome_params.max(1) as f64;
                    ours += &format!(
                        "; {vs:.2}x fewer than the standard network's {}",
                        group(s.metrics.genome_params)
                    );
                }
            }
            out.push(Claim {
                quantity: format!("{}, {}: learned parameters", arm.label, variant.label()),
                paper: (*paper_params).into(),
                ours,
                runs: rs.len(),
            });
            let (s, sd) = mean_sd(&rs.iter().map(|r| seconds_per_epoch(r)).collect::<Vec<_>>());
            out.push(Claim {
                quantity: format!("{}, {}: seconds of training per epoch", arm.label, variant.label()),
                paper: "not reported".into(),
                ours: format!(
                    "{s:.1} ± {sd:.1} s on {} ({} training images)",
                    m.device,
                    innate_datasets::files::group(m.train_images as u64)
                ),
                runs: rs.len(),
            });
        }
    }
    out
}

/// One arm's test accuracy over epochs, a line per variant (mean over seeds, band: their range),
/// the paper's accuracies dashed; saved as `stem`.
pub fn figure(arm: &Arm, rows: &[Row], stem: &Path) -> anyhow::Result<()> {
    let mut chart = LineChart {
        title: format!("LeNet-5 on {}: test accuracy after each epoch", arm.label),
        x_label: "epochs (batches of 128)".into(),
        y_label: "test accuracy (%)".into(),
        ..LineChart::default()
    };
    for (i, (variant, _, _)) in arm.variants.iter().enumerate() {
        let rs = rows_of(rows, arm.dataset, *variant);
        if rs.is_empty() {
            continue;
        }
        let per_epoch = batches_per_epoch(rs[0]);
        let mut s =
            Series { name: format!("{} (n = {})", variant.label(), rs.len()), color: i, ..Series::default() };
        for (x, m, lo, hi) in crate::rows::curve_band(&rs, 1, per_epoch as f64) {
            s.points.push((x, m));
            s.band.push((x, lo, hi));
        }
        chart.series.push(s);
        if let Some((_, y)) = arm.paper.iter().find(|(v, _)| v == variant) {
            chart.hlines.push(HLine {
                name: format!("paper: {} {:.2}%", variant.label(), 100.0 * y),
                y: 100.0 * y,
                color: i,
            });
        }
    }
    chart.save(stem)
}

#[cfg(test)]
mod tests {
    use innate_evolution::{EvalPoint, Report};
    use innate_run::Metrics;

    use super::*;

    /// A row of `config` (run `id`) that trained `epochs` epochs of 469 batches at `spb` seconds
    /// per 1,000 batches, with these accuracies after each.
    fn row(id: &str, config: RunConfig, params: (usize, usize), spb: f64, accs: &[f64]) -> Row {
        let curve: Vec<EvalPoint> = std::iter::once(0.1)
            .chain(accs.iter().copied())
            .enumerate()
            .map(|(e, a)| EvalPoint {
                batches: 469 * e,
                test_accuracy: a,
                train_loss: None,
                stop_accuracy: None,
                test_ci95: None,
                seconds: 0.0,
            })
            .collect();
        let report = Report {
            best_test_accuracy: accs.iter().copied().fold(0.0, f64::max),
            batches: 469 * accs.len(),
            seconds_per_1000_batches: spb,
            curve,
            ..Report::default()
        };
        let metrics = Metrics {
            dataset: config.dataset.clone(),
            encoding: config.encoding.name().into(),
            model: "lenet5".into(),
            sizes: vec![],
            genes: config.encoding.genes(),
            basis: None,
            phenotype_weights: 0,
            seed: config.seed,
            genome_params: params.0,
            genome_fixed_params: 0,
            phenotype_params: params.1,
            compression: params.1 as f64 / params.0 as f64,
            data_load_seconds: 0.0,
            train_images: 60_000,
            test_images: 10_000,
            device: "cpu, 1 thread".into(),
            innate_version: "0".into(),
            report,
            config,
        };
        Row { experiment: "x".into(), profile: Profile::Quick, run: id.into(), dir: String::new(), metrics }
    }

    fn arm() -> Arm {
        Arm {
            dataset: "mnist",
            label: "MNIST",
            variants: vec![
                (Variant::Standard, "98.95 ± 0.07%", "61,706"),
                (Variant::Sgem(150), "96.7 ± 0.2%", "29,457"),
            ],
            paper: vec![(Variant::Standard, 0.9895)],
            quick_epochs: 3,
            quick_seeds: 2,
        }
    }

    #[test]
    fn runs_follow_the_lenet5_protocol_per_profile() {
        let quick = runs(&[arm()], Profile::Quick);
        assert_eq!(quick.len(), 4);
        assert_eq!(quick[0].0, "mnist-direct-seed0");
        assert_eq!(quick[3].0, "mnist-sgem-seed1");
        let l = quick[3].1.strategy.lifetime().unwrap();
        assert_eq!((l.epochs, l.batch_size, l.patience, l.seed), (3, 128, 0, 1));
        assert_eq!(quick[3].1.encoding.genes(), Some(150));
        let paper = runs(&[arm()], Profile::Paper);
        assert_eq!(paper.len(), 20);
        assert_eq!(paper[0].1.strategy.lifetime().unwrap().epochs, 200);
    }

    #[test]
    fn claims_and_figure_come_from_the_rows() {
        let configs = runs(&[arm()], Profile::Quick);
        let rows: Vec<Row> = configs
            .into_iter()
            .map(|(id, c)| {
                let sgem = c.encoding.name() == "sgem";
                let (params, spb, accs) = if sgem {
                    ((28_796, 423_038), 100.0, vec![0.9, 0.93, 0.95])
                } else {
                    ((61_706, 61_706), 20.0, vec![0.97, 0.98, 0.985])
                };
                row(&id, c, params, spb, &accs)
            })
            .collect();
        let claims = claims(&[arm()], &rows);
        let find = |q: &str| claims.iter().find(|c| c.quantity.contains(q)).unwrap_or_else(|| panic!("{q}"));
        let acc = find("MNIST, standard LeNet-5: best test accuracy (3 epochs, quick profile)");
        assert_eq!((acc.ours.as_str(), acc.runs, acc.paper.as_str()), ("98.50 ± 0.00%", 2, "98.95 ± 0.07%"));
        assert_eq!(
            find("S-GEM LeNet-5 (150 genes): learned").ours,
            "28,796, developing 423,038 (14.7x); 2.14x fewer than the standard network's 61,706"
        );
        assert_eq!(find("standard LeNet-5: learned").ours, "61,706");
        // 469 batches per epoch at 100 s per 1,000 batches.
        assert!(find("S-GEM LeNet-5 (150 genes): seconds").ours.starts_with("46.9 ± 0.0 s"));
        let dir = tempfile::tempdir().unwrap();
        figure(&arm(), &rows, &dir.path().join("f")).unwrap();
        assert!(dir.path().join("f.png").exists());
    }
}
