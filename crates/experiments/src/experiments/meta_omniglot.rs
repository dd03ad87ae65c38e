//! `meta-omniglot`: few-shot learning primed by development (developmental priors, Fig. 3 and
//! Methods "Meta-learning on omniglot").
//!
//! Five models of the 784-784-784-5 network, meta-trained by first-order MAML with learned
//! inner rates ([`innate_evolution::meta`]) on 5-way 1-shot Omniglot: learned directly, GEM with
//! 50 and 20 genes (10x and 25x) and S-GEM with 43 and 28 spatial genes (500x and 1000x), one
//! interaction matrix shared by all layers. The quick profile meta-trains each model for a few
//! hundred meta-batches (of the paper's 50,000) with two seeds and tests on 2 x 64 held-out tasks
//! (of 10 x 64); the paper profile is the paper's protocol with 10 seeds.

use std::path::Path;

use innate_evolution::{MetaConfig, StrategyConfig};
use innate_run::RunConfig;

use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::plot::{HLine, LineChart, Series};
use crate::profile::Profile;
use crate::rows::Row;
use crate::stats::{mean_sd, percent};

/// One model of Fig. 3b: how the report names it, its encoding and genes, and the paper's
/// accuracy (as stated and as a fraction) and compression.
pub(crate) struct Model {
    pub(crate) label: &'static str,
    pub(crate) encoding: &'static str,
    genes: Option<usize>,
    paper: &'static str,
    paper_value: f64,
    compression: &'static str,
}

pub(crate) const MODELS: [Model; 5] = [
    Model {
        label: "Direct",
        encoding: "direct",
        genes: None,
        paper: "89.5 ± 0.2%",
        paper_value: 0.895,
        compression: "1x",
    },
    Model {
        label: "GEM 10x (50 genes)",
        encoding: "gem",
        genes: Some(50),
        paper: "90.5 ± 0.4%",
        paper_value: 0.905,
        compression: "10x",
    },
    Model {
        label: "GEM 25x (20 genes)",
        encoding: "gem",
        genes: Some(20),
        paper: "89.3 ± 0.3%",
        paper_value: 0.893,
        compression: "25x",
    },
    Model {
        label: "S-GEM 500x (43 genes)",
        encoding: "sgem",
        genes: Some(43),
        paper: "86.1 ± 0.3%",
        paper_value: 0.861,
        compression: "500x",
    },
    Model {
        label: "S-GEM 1000x (28 genes)",
        encoding: "sgem",
        genes: Some(28),
        paper: "83.2 ± 0.4%",
        paper_value: 0.832,
        compression: "1000x",
    },
];

/// The experiment.
pub fn experiment() -> Experiment {
    Experiment {
        name: "meta-omniglot",
        title: "Meta-learning 5-way 1-shot Omniglot from a genome: direct, GEM 10x / 25x, S-GEM 500x / 1000x",
        source: "developmental priors, Fig. 3b-c (Direct 89.5 ± 0.2%, GEM 10x 90.5 ± 0.4%, GEM 25x 89.3 ± 0.3%, \
                 S-GEM 500x 86.1 ± 0.3%, S-GEM 1000x 83.2 ± 0.4%) and Methods (Meta-learning on omniglot)",
        caption: "Fig. 3c: held-out few-shot accuracy (query images of new characters after two inner steps) over \
                  meta-batches, mean over seeds (line) with the range over seeds (band); dashed lines: the \
                  paper's best accuracies. meta-omniglot-best: Fig. 3b, every run's best held-out accuracy \
                  (one marker per run) per model. The quick profile meta-trains a few hundred of the paper's \
                  50,000 meta-batches and tests on 128 held-out tasks (the paper: 640); --profile paper runs \
                  the paper's protocol.",
        kind: Kind::Runs(Runs { runs, figure, figures: &["-best"], claims }),
    }
}

/// Meta-batches, evaluation interval, held-out batches, snapshots (for meta-figS6 and -S7) and
/// seeds of a profile.
fn schedule(profile: Profile) -> MetaConfig {
    let paper = MetaConfig::default();
    match profile {
        Profile::Paper => MetaConfig { snapshot_every: 2500, ..paper },
        Profile::Quick => {
            MetaConfig { max_meta_batches: 400, eval_every: 50, eval_batches: 2, snapshot_every: 50, ..paper }
        }
        // The fixture has 9 training and 3 held-out characters of 20 drawings.
        Profile::Smoke => MetaConfig {
            ways: 3,
            queries: 2,
            meta_batch: 2,
            max_meta_batches: 4,
            eval_every: 2,
            eval_batches: 1,
            eval_tasks: 2,
            snapshot_every: 2,
            ..paper
        },
    }
}

fn seeds(profile: Profile) -> u64 {
    match profile {
        Profile::Paper => 10,
        Profile::Quick => 2,
        Profile::Smoke => 1,
    }
}

pub(crate) fn id(model: &Model) -> String {
    match model.genes {
        Some(g) => format!("{}{g}", model.encoding),
        None => model.encoding.to_string(),
    }
}

fn runs(profile: Profile) -> Vec<(String, RunConfig)> {
    let meta = schedule(profile);
    let mut out = Vec::new();
    for model in &MODELS {
        let encoding = innate_run::meta::encoding(
            model.encoding,
            &innate_run::EncodingFlags { genes: model.genes, ..Default::default() },
            false,
            Default::default(),
        )
        .expect("the meta-learning models' flags are valid");
        for seed in 0..seeds(profile) {
            let strategy = StrategyConfig::Meta(MetaConfig { seed, ..meta.clone() });
            let config =
                RunConfig::new("omniglot", innate_run::meta::network(), encoding.clone(), strategy, seed);
            out.push((format!("{}-seed{seed}", id(model)), config));
        }
    }
    out
}

/// The rows of one model.
pub(crate) fn rows_of<'a>(rows: &'a [Row], model: &Model) -> Vec<&'a Row> {
    let prefix = format!("{}-seed", id(model));
    rows.iter().filter(|r| r.run.starts_with(&prefix)).collect()
}

/// The 95% interval over held-out tasks at a run's best test.
fn best_ci(r: &Row) -> f64 {
    let rep = &r.metrics.report;
    rep.curve.iter().find(|p| p.batches == rep.best_batches).and_then(|p| p.test_ci95).unwrap_or(f64::NAN)
}

fn claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    let group = |n: usize| innate_datasets::files::group(n as u64);
    let mut out = Vec::new();
    for model in &MODELS {
        let rs = rows_of(rows, model);
        let Some(first) = rs.first() else { continue };
        let m = &first.metrics;
        let batches = m.report.batches;
        let best: Vec<f64> = rs.iter().map(|r| r.metrics.report.best_test_accuracy).collect();
        let (ci, _) = mean_sd(&rs.iter().map(|r| best_ci(r)).collect::<Vec<_>>());
        let tasks = m.config.strategy.meta().map_or(0, |c| c.eval_batches * c.eval_tasks);
        out.push(Claim {
            quantity: format!(
                "{}: best held-out accuracy, 5-way 1-shot ({batches} meta-batches, {} profile)",
                model.label,
                first.profile.name()
            ),
            paper: model.paper.into(),
            ours: format!("{} over runs (each ± {:.1}% over its {tasks} tasks)", percent(&best), 100.0 * ci),
            runs: rs.len(),
        });
        out.push(Claim {
            quantity: format!("{}: learned parameters (compression of the network's weights)", model.label),
            paper: model.compression.into(),
            ours: format!(
                "{} ({:.1}x of {} weights)",
                group(m.genome_params),
                m.phenotype_weights as f64 / m.genome_params.max(1) as f64,
                group(m.phenotype_weights)
            ),
            runs: rs.len(),
        });
        let (s, sd) =
            mean_sd(&rs.iter().map(|r| r.metrics.report.seconds_per_1000_batches).collect::<Vec<_>>());
        out.push(Claim {
            quantity: format!("{}: seconds per 1,000 meta-batches of 32 tasks", model.label),
            paper: "not reported".into(),
            ours: format!("{s:.0} ± {sd:.0} s on {}", m.device),
            runs: rs.len(),
        });
    }
    // Fig. 3c: "the standard MLP ... overfits the training data, decaying in accuracy".
    let direct = rows_of(rows, &MODELS[0]);
    if !direct.is_empty() {
        let drop: Vec<f64> = direct
            .iter()
            .map(|r| r.metrics.report.best_test_accuracy - r.metrics.report.final_test_accuracy)
            .collect();
        let at: Vec<f64> = direct.iter().map(|r| r.metrics.report.best_batches as f64).collect();
        let (drop, _) = mean_sd(&drop);
        let (at, _) = mean_sd(&at);
        out.push(Claim {
            quantity: "Direct: held-out accuracy lost between its best test and the last".into(),
            paper: "Direct peaks early and decays; GEM and S-GEM do not".into(),
            ours: format!(
                "{:.2} points (best at meta-batch {at:.0} on average, of {})",
                100.0 * drop,
                direct[0].metrics.report.batches
            ),
            runs: direct.len(),
        });
    }
    out
}

fn figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    let mut curves = LineChart {
        title: "5-way 1-shot Omniglot: held-out accuracy over meta-training".into(),
        x_label: "meta-batches of 32 tasks".into(),
        y_label: "held-out accuracy (%)".into(),
        ..LineChart::default()
    };
    let mut best = LineChart {
        title: "Best held-out accuracy per run (1: Direct, 2: GEM 10x, 3: GEM 25x, 4: S-GEM 500x, 5: S-GEM 1000x)"
            .into(),
        x_label: "model".into(),
        y_label: "best held-out accuracy (%)".into(),
        ..LineChart::default()
    };
    for (i, model) in MODELS.iter().enumerate() {
        let rs = rows_of(rows, model);
        if rs.is_empty() {
            continue;
        }
        let mut s =
            Series { name: format!("{} (n = {})", model.label, rs.len()), color: i, ..Series::default() };
        for (x, m, lo, hi) in crate::rows::curve_band(&rs, 0, 1.0) {
            s.points.push((x, m));
            s.band.push((x, lo, hi));
        }
        curves.series.push(s);
        let hline = |name: String| HLine { name, y: 100.0 * model.paper_value, color: i };
        curves.hlines.push(hline(format!("paper: {} {}", model.label, model.paper)));
        best.hlines.push(hline(format!("paper: {}", model.label)));
        best.series.push(Series {
            name: model.label.into(),
            points: rs
                .iter()
                .map(|r| ((i + 1) as f64, 100.0 * r.metrics.report.best_test_accuracy))
                .collect(),
            color: i,
            markers_only: true,
            ..Series::default()
        });
    }
    curves.save(stem)?;
    best.save(&crate::figures::plot::with_suffix(stem, "-best"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_the_papers_five_models() {
        let quick = runs(Profile::Quick);
        assert_eq!(quick.len(), 10);
        assert_eq!(quick[0].0, "direct-seed0");
        assert_eq!(quick[9].0, "sgem28-seed1");
        assert_eq!(quick[9].1.encoding.name(), "mlsgem");
        assert_eq!(quick[2].1.encoding.genes(), Some(50));
        let m = quick[3].1.strategy.meta().unwrap();
        assert_eq!((m.ways, m.shots, m.queries, m.inner_steps, m.meta_batch, m.seed), (5, 1, 10, 2, 32, 1));
        let paper = runs(Profile::Paper);
        assert_eq!(paper.len(), 50);
        assert_eq!(
            paper[0].1.strategy.meta().unwrap(),
            &MetaConfig { snapshot_every: 2500, ..MetaConfig::default() }
        );
        assert!(runs(Profile::Smoke).iter().all(|(_, c)| c.strategy.meta().unwrap().validate().is_ok()));
    }
}
