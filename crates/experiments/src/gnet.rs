//! What the genomic-bottleneck paper's MNIST experiments share (gnet-table1, gnet-fig2c,
//! gnet-figS2c, gnet-fig2d, gnet-fig2ef, gnet-fig2h).
//!
//! G-networks are trained with the intermittent strategy (Fig. S.2B): per generation the
//! p-network (784-800-10) is developed from the g-networks, trained on 10,000 images (Adam,
//! lr 0.001, batch 100), and the g-networks are fitted to it by mean-squared error on 10^5 / 10^4 /
//! 10^4 sampled hidden-layer weights, output weights and hidden biases; no annealing (the
//! reference MNIST script). The paper profile runs the paper's 500 generations, three genomes per
//! preset (the paper reports single runs, but GN5 varies a lot between seeds) and one per extra
//! size of Fig. 2D; the quick profile one genome of 100 generations each.
//!
//! Learning after birth (Fig. 2C) and transfer (Fig. 2H) train a directly learned 784-800-10
//! network (Adam, lr 0.001, batch 64, no early stopping, the full test set every few hundred
//! batches) from the network a genome develops ("innate") or from the usual random
//! initialisation with the same seed ("tabula rasa" / "naive").

use std::path::{Path, PathBuf};

use innate_evolution::{FitConfig, IntermittentConfig, LifetimeConfig, StrategyConfig};
use innate_gnet::Preset;
use innate_run::encoding::GnetSpec;
use innate_run::{Encoding, Network, RunConfig};

use crate::experiment::Claim;
use crate::figures::plot::Series;
use crate::profile::Profile;
use crate::rows::{Row, rows_of_profile};
use crate::stats::mean_sd;

/// Images per batch of the learning-after-birth and transfer runs.
pub(crate) const BATCH: usize = 64;

/// MNIST / Fashion-MNIST training images (for epochs on the x axes).
pub(crate) const TRAIN_IMAGES: f64 = 60_000.0;

/// The presets with the ab initio accuracy the paper's text gives.
pub(crate) const PRESETS: [(Preset, &str, f64); 3] =
    [(Preset::Gn5, "GN5", 0.79), (Preset::Gn20, "GN20", 0.91), (Preset::Gn30, "GN30", 0.94)];

/// Generations of intermittent training in a profile.
pub(crate) fn generations(profile: Profile) -> usize {
    match profile {
        Profile::Paper => 500,
        Profile::Quick => 100,
        Profile::Smoke => 2,
    }
}

/// Genome seeds of gnet-fig2c: the paper reports single runs, but GN5 varies strongly between
/// seeds (70% and 84% best ab initio accuracy for seeds 0 and 1 on this code), so the paper
/// profile trains three genomes per preset.
pub(crate) fn genome_seeds(profile: Profile) -> std::ops::Range<u64> {
    match profile {
        Profile::Paper => 0..3,
        _ => 0..1,
    }
}

/// The intermittent settings of a profile's genome runs.
pub(crate) fn intermittent(profile: Profile, seed: u64) -> IntermittentConfig {
    let generations = generations(profile);
    match profile {
        Profile::Smoke => IntermittentConfig {
            generations,
            images_per_generation: 200,
            seed,
            fit: FitConfig { first_weights: 2_000, other_weights: 200, biases: 200, ..FitConfig::default() },
            eval_trained_every: 1,
            ..IntermittentConfig::default()
        },
        _ => IntermittentConfig { generations, seed, ..IntermittentConfig::default() },
    }
}

/// An intermittently trained g-network genome for the MNIST p-network: from a preset, or with
/// weight g-networks of hidden sizes `hidden`.
pub(crate) fn genome_run(
    profile: Profile,
    preset: Option<Preset>,
    hidden: Option<Vec<usize>>,
    seed: u64,
) -> RunConfig {
    let encoding = Encoding::Gnet(match (preset, hidden) {
        (Some(preset), _) => GnetSpec::Preset { preset },
        (None, hidden) => GnetSpec::Hidden { hidden: hidden.unwrap_or_default() },
    });
    let strategy = StrategyConfig::Intermittent(intermittent(profile, seed));
    RunConfig::new("mnist", Network::mlp(800), encoding, strategy, seed)
}

/// A directly learned 784-800-10 network on `dataset` for `batches` batches without early
/// stopping, from `init` (a `run:` reference) or from random weights.
pub(crate) fn learning_run(
    dataset: &str,
    batches: usize,
    every: usize,
    seed: u64,
    init: Option<PathBuf>,
) -> RunConfig {
    let lifetime = LifetimeConfig {
        batch_size: BATCH,
        max_batches: batches,
        eval_every: every,
        patience: 0,
        seed,
        ..LifetimeConfig::default()
    };
    let encoding = init.map_or_else(Encoding::direct, Encoding::direct_from);
    let lifetime = LifetimeConfig { lr: encoding.default_lr(), ..lifetime };
    RunConfig::new(dataset, Network::mlp(800), encoding, StrategyConfig::EndToEnd(lifetime), seed)
}

/// A genome run's id: `NAME-seedS`.
pub(crate) fn genome_id(name: &str, seed: u64) -> String {
    format!("{name}-seed{seed}")
}

/// A preset's name in the paper (`GN30`).
pub(crate) fn label_of(p: Preset) -> &'static str {
    PRESETS.iter().find(|x| x.0 == p).map_or("?", |x| x.1)
}

/// Genome (intermittent) rows.
/// Genome (intermittent) rows.
pub(crate) fn genomes(rows: &[Row]) -> Vec<&Row> {
    rows.iter().filter(|r| matches!(r.metrics.config.encoding, Encoding::Gnet(_))).collect()
}

/// A genome run's best ab initio accuracy.
pub(crate) fn ab_initio(r: &Row) -> f64 {
    r.metrics.report.ab_initio_test_accuracy.unwrap_or(r.metrics.report.best_test_accuracy)
}

/// The genome rows of a preset.
pub(crate) fn preset_rows(rows: &[Row], p: Preset) -> Vec<&Row> {
    genomes(rows).into_iter().filter(|r| r.metrics.config.encoding.preset() == Some(p)).collect()
}

/// Learning runs started from a preset's genome (`Some`) or from random weights (`None`).
pub(crate) fn learning_rows(rows: &[Row], p: Option<Preset>) -> Vec<&Row> {
    rows.iter()
        .filter(|r| r.metrics.config.encoding.is_direct())
        .filter(|r| match p {
            Some(p) => r.run.starts_with(&format!("{}-innate-", p.name())),
            None => r.metrics.config.encoding.starts_from().is_none(),
        })
        .collect()
}

/// Training batches of 64 images in MNIST epochs.
pub(crate) fn epochs(batches: usize) -> f64 {
    batches as f64 * BATCH as f64 / TRAIN_IMAGES
}

/// Mean learning curve over runs, in epochs and percent, with its min-max band.
pub(crate) fn mean_curve(runs: &[&Row], name: &str, color: usize) -> Series {
    let Some(first) = runs.first() else {
        return Series { name: name.into(), color, ..Series::default() };
    };
    let mut points = Vec::new();
    let mut band = Vec::new();
    for (i, p) in first.metrics.report.curve.iter().enumerate() {
        let accs: Vec<f64> =
            runs.iter().filter_map(|r| r.metrics.report.curve.get(i)).map(|q| q.test_accuracy).collect();
        let x = epochs(p.batches);
        points.push((x, 100.0 * mean_sd(&accs).0));
        let (lo, hi) =
            accs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        if runs.len() > 1 {
            band.push((x, 100.0 * lo, 100.0 * hi));
        }
    }
    Series { name: format!("{name} (n = {})", runs.len()), points, band, color, ..Series::default() }
}

/// A genome's name in the report: its preset's, or the sizes of its weight g-networks.
pub(crate) fn genome_name(r: &Row) -> String {
    match &r.metrics.config.encoding {
        Encoding::Gnet(GnetSpec::Preset { preset }) => label_of(*preset).to_string(),
        Encoding::Gnet(GnetSpec::Hidden { hidden }) => {
            format!("(20-{}-1)x2", hidden.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("-"))
        }
        _ => "?".into(),
    }
}

/// This experiment's rows and gnet-fig2c's rows of the same profile.
pub(crate) fn with_fig2c(rows: &[Row], out: &Path) -> Vec<Row> {
    let mut all: Vec<Row> = rows.to_vec();
    if let Some(profile) = rows.first().map(|r| r.profile)
        && let Ok(more) = rows_of_profile(out, "gnet-fig2c", profile)
    {
        all.extend(more);
    }
    all
}

/// A JSON array of numbers.
pub(crate) fn f64s(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()).unwrap_or_default()
}

/// The report lines of a table of g-network presets (Tables 1 and 2): per row, the preset, its
/// weight g-networks and its bias g-networks (the row's `bias_key`, called `bias_word`), with the
/// genome's parameters, the p-network's and the compression, the paper's beside ours.
pub(crate) fn preset_claims(values: &[serde_json::Value], bias_key: &str, bias_word: &str) -> Vec<Claim> {
    values
        .iter()
        .map(|v| Claim {
            quantity: format!(
                "{}: {} weight g-networks, {} {bias_word}, p-network parameters, compression",
                v["preset"].as_str().unwrap_or("?").to_uppercase(),
                v["structure"].as_str().unwrap_or("?"),
                v[bias_key].as_str().unwrap_or("?")
            ),
            paper: format!(
                "{} / {} / {}x",
                v["paper_genome_params"], v["paper_phenotype_params"], v["paper_compression"]
            ),
            ours: format!(
                "{} / {} / {:.0}x",
                v["genome_params"],
                v["phenotype_params"],
                v["compression"].as_f64().unwrap_or(f64::NAN)
            ),
            runs: 0,
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    //! Result rows of g-network runs for testing the experiments' claims.

    use super::*;
    use innate_evolution::{EvalPoint, GenerationPoint, Report};
    use innate_run::Metrics;

    /// Metrics of an MNIST p-network run with these settings and this report.
    pub(crate) fn metrics(config: RunConfig, genome_params: usize, report: Report) -> Metrics {
        Metrics {
            dataset: config.dataset.clone(),
            encoding: config.encoding.name().into(),
            model: config.network.kind().into(),
            sizes: vec![784, 800, 10],
            genes: None,
            basis: None,
            phenotype_weights: 635_200,
            seed: config.seed,
            genome_params,
            genome_fixed_params: 0,
            phenotype_params: 636_010,
            compression: 636_010.0 / genome_params as f64,
            data_load_seconds: 0.0,
            train_images: 60_000,
            test_images: 10_000,
            device: "cpu, 1 thread".into(),
            innate_version: "0".into(),
            report,
            config,
        }
    }

    /// A genome run of `preset` (or of weight g-networks of `hidden` sizes) whose generations had
    /// these ab initio accuracies, the last one's p-network `trained` after its training.
    pub(crate) fn genome_row(
        preset: Option<Preset>,
        hidden: Option<Vec<usize>>,
        seed: u64,
        ab_initio: &[f64],
        trained: Option<f64>,
    ) -> Row {
        let name = preset.map_or_else(
            || {
                format!(
                    "gnet-{}",
                    hidden.iter().flatten().map(|h| h.to_string()).collect::<Vec<_>>().join("-")
                )
            },
            |p| p.name().to_string(),
        );
        let params = match &hidden {
            Some(h) => innate_gnet::mnist_custom(&name, h, 0).param_count(),
            None => innate_gnet::mnist_config(preset.unwrap_or(Preset::Gn5), 0).param_count(),
        };
        let n = ab_initio.len();
        let generations = ab_initio
            .iter()
            .enumerate()
            .map(|(i, &a)| GenerationPoint {
                generation: i + 1,
                ab_initio_accuracy: a,
                trained_accuracy: (i + 1 == n).then_some(trained).flatten(),
                train_loss: 0.5,
                fit_loss: vec![0.01],
                seconds: 2.0 * (i + 1) as f64,
            })
            .collect();
        let best = ab_initio.iter().copied().fold(0.0, f64::max);
        let report = Report {
            ab_initio_test_accuracy: Some(best),
            generations,
            seconds_per_generation: Some(2.0),
            best_test_accuracy: best,
            final_test_accuracy: ab_initio.last().copied().unwrap_or(0.0),
            batches: 100 * n,
            seconds: 2.0 * n as f64,
            ..Report::default()
        };
        let config = genome_run(Profile::Quick, preset, hidden, seed);
        Row {
            experiment: "gnet-fig2c".into(),
            profile: Profile::Quick,
            run: genome_id(&name, seed),
            dir: String::new(),
            metrics: metrics(config, params, report),
        }
    }

    /// A learning run `run` on `dataset` (from the genome file `from`, else random weights) whose
    /// test accuracies at the batches of `curve` were those given.
    pub(crate) fn learning_row(run: &str, dataset: &str, from: Option<&str>, curve: &[(usize, f64)]) -> Row {
        let batches = curve.last().map_or(0, |c| c.0);
        let config = learning_run(dataset, batches, 1, 0, from.map(PathBuf::from));
        let report = Report {
            best_test_accuracy: curve.iter().map(|c| c.1).fold(0.0, f64::max),
            final_test_accuracy: curve.last().map_or(0.0, |c| c.1),
            batches,
            curve: curve
                .iter()
                .map(|&(batches, test_accuracy)| EvalPoint {
                    batches,
                    test_accuracy,
                    train_loss: None,
                    stop_accuracy: None,
                    test_ci95: None,
                    seconds: 0.0,
                })
                .collect(),
            ..Report::default()
        };
        Row {
            experiment: "gnet-fig2c".into(),
            profile: Profile::Quick,
            run: run.into(),
            dir: String::new(),
            metrics: metrics(config, 636_010, report),
        }
    }

    #[test]
    fn rows_are_told_apart_by_what_they_trained() {
        let g = genome_row(Some(Preset::Gn30), None, 0, &[0.5, 0.9, 0.8], Some(0.97));
        let h = genome_row(None, Some(vec![3, 2]), 0, &[0.3], None);
        let tabula = learning_row("tabula-rasa-seed0", "mnist", None, &[(0, 0.1), (100, 0.9)]);
        let innate = learning_row("gn30-innate-seed0", "mnist", Some("x/genome.safetensors"), &[(0, 0.9)]);
        let rows = [g, h, tabula, innate];
        assert_eq!(genomes(&rows).len(), 2);
        assert_eq!(preset_rows(&rows, Preset::Gn30).len(), 1);
        assert_eq!(ab_initio(&rows[0]), 0.9);
        assert_eq!(genome_name(&rows[0]), "GN30");
        assert_eq!(genome_name(&rows[1]), "(20-3-2-1)x2");
        assert_eq!(rows[0].metrics.genome_params, 1_973);
        assert_eq!(
            learning_rows(&rows, None).iter().map(|r| r.run.as_str()).collect::<Vec<_>>(),
            ["tabula-rasa-seed0"]
        );
        assert_eq!(learning_rows(&rows, Some(Preset::Gn30))[0].run, "gn30-innate-seed0");
        assert!(learning_rows(&rows, Some(Preset::Gn5)).is_empty());
        assert_eq!(epochs(937), 937.0 * 64.0 / 60_000.0);
    }
}
