//! Runs that differ only in their seed, trained together as one population
//! ([`innate_evolution::population`]): [`execute_population`] writes each member's run folder as
//! [`crate::execute()`] writes a run's, from one copy of the data.
//!
//! Which runs can share a population: [`population_key`] is the same for runs that differ in
//! nothing but their seeds (the run's and its strategy's), and is there only for runs that
//! train an MLP end to end (lifetime learning, [`innate_evolution::population::train`]) or
//! intermittently ([`innate_evolution::population::intermittent::train`]) from a fresh genome
//! of the direct, GEM-family, random-basis or g-network encoding. The reproduce registry groups
//! its runs by it.

use std::path::PathBuf;

use innate_evolution::{Report, Strategy, StrategyConfig, TrainError};

use crate::config::RunConfig;
use crate::encoding::BuildContext;
use crate::env::RunEnv;
use crate::error::{Result, RunError};
use crate::execute::{Prepared, prepare};
use crate::finish::{DataFacts, finish};
use crate::metrics::Metrics;
use crate::network::Network;
use crate::progress::RunProgress;

/// `config` without its seeds: equal for runs that differ only in them.
fn seedless(config: &RunConfig) -> RunConfig {
    config.with_seed(0)
}

/// What runs that may train together as one population have in common (JSON of the run's
/// configuration without its seeds), or `None` for a run that trains alone: another strategy
/// than end-to-end or intermittent learning, a network that is not an MLP, a genome that starts
/// from a file, or an encoding without populations (LeNet-5's).
pub fn population_key(config: &RunConfig) -> Option<String> {
    let fits = matches!(config.strategy, StrategyConfig::EndToEnd(_) | StrategyConfig::Intermittent(_))
        && matches!(config.network, Network::Slp | Network::Mlp { .. })
        && config.genome_from.is_none()
        && config.encoding.starts_from().is_none()
        && matches!(config.encoding.name(), "direct" | "gem" | "sgem" | "mlsgem" | "rb" | "gnet");
    if !fits {
        return None;
    }
    serde_json::to_string(&seedless(config)).ok()
}

/// When runs that may share a population ([`population_key`]) train as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Populations {
    /// Where populations are faster ([`faster_together`]).
    #[default]
    Auto,
    /// Whenever runs can share one.
    Always,
    /// Never: every run trains alone.
    Never,
}

impl Populations {
    /// Whether `config`'s run, on `device`, joins the other runs of its key under this rule.
    pub fn joins(self, config: &RunConfig, device: &candle_core::Device) -> bool {
        population_key(config).is_some()
            && match self {
                Populations::Auto => faster_together(config, device),
                Populations::Always => true,
                Populations::Never => false,
            }
    }
}

/// Whether runs like `config` train faster as a population than one at a time on `device`: on
/// CUDA, where one small network leaves the device idle (not yet measured: no GPU was lent to
/// the session that built this); on the CPU never, as measured on 2 cores (README,
/// "Populations"): the members' products and element-wise passes cost the same stacked as
/// alone, and stacking adds copies (`innate train --seeds 0..4`, one thread, per member: direct
/// 784-784-10 2.41 vs 2.26 s per 1,000 batches, random basis 6.27 vs 5.27, ML-S-GEM G = 22
/// 1.42 vs 1.25; the whole gem-fig1c paper profile, 230 SLP runs on 2 jobs, 98.7 vs 91.0 s).
pub fn faster_together(config: &RunConfig, device: &candle_core::Device) -> bool {
    let _ = config;
    device.is_cuda()
}

/// Trains `configs` (runs that differ only in their seeds: [`population_key`]) as one
/// population and writes run `k`'s folder `outs[k]` as [`crate::execute()`] would. Returns each
/// run's metrics or why it stopped ([`RunError::Stopped`]); the outer error is for runs that
/// cannot form a population (naming the two that differ) or a failure of all of them. One
/// progress bar shows the population's batches unless `quiet`.
pub fn execute_population(
    configs: &[RunConfig],
    env: &RunEnv<'_>,
    outs: &[PathBuf],
    quiet: bool,
) -> Result<Vec<Result<Metrics>>> {
    let Some(first) = configs.first() else {
        return crate::error::config("a population needs at least one run");
    };
    if outs.len() != configs.len() {
        return crate::error::config(format!("{} run folders for {} runs", outs.len(), configs.len()));
    }
    let Some(key) = population_key(first) else {
        return crate::error::config(format!(
            "{}: this run cannot train in a population (populations are for end-to-end or intermittent \
             learning of an MLP from a fresh direct, gem, sgem, mlsgem, rb or gnet genome); train it alone",
            outs[0].display()
        ));
    };
    for (k, c) in configs.iter().enumerate().skip(1) {
        if population_key(c).as_deref() != Some(key.as_str()) {
            return crate::error::config(format!(
                "{} and {} differ in more than their seeds, so they cannot train as one population: {} vs {}",
                outs[0].display(),
                outs[k].display(),
                serde_json::to_string(&seedless(first))?,
                serde_json::to_string(&seedless(c))?,
            ));
        }
    }
    first.network.validate()?;
    let Prepared { train, test, config: resolved, arch, image, load_seconds } = prepare(first, env)?;
    // Every member's configuration, its standardisation resolved as the first one's was.
    let configs: Vec<RunConfig> = configs
        .iter()
        .map(|c| RunConfig { seed: c.seed, strategy: c.strategy.clone(), ..resolved.clone() })
        .collect();
    let ctxs = configs
        .iter()
        .map(|c| BuildContext {
            arch: arch.clone(),
            image,
            dataset: &c.dataset,
            seed: c.seed,
            start: None,
            device: env.device,
        })
        .collect();
    let Some(members) = resolved.encoding.population(ctxs)? else {
        return crate::error::config(format!(
            "--encoding {} cannot train a {} in a population: train its runs one at a time",
            resolved.encoding.name(),
            arch.name()
        ));
    };
    let strategies: Vec<StrategyConfig> = configs.iter().map(|c| c.strategy.with_seed(c.seed)).collect();
    let seeds: Vec<String> = configs.iter().map(|c| c.seed.to_string()).collect();
    tracing::info!(
        "training {} {} on {} as a population of {} (seeds {}) -> {}",
        resolved.encoding.name(),
        arch.name(),
        resolved.dataset,
        configs.len(),
        seeds.join(", "),
        outs.iter().map(|o| o.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    for out in outs {
        std::fs::create_dir_all(out)
            .map_err(|e| RunError::Config(format!("cannot create the run folder {}: {e}", out.display())))?;
    }
    let label = format!("{} x{} seeds {}..{}", arch.name(), configs.len(), seeds[0], seeds[seeds.len() - 1]);
    let mut progress = RunProgress::new(&label, strategies[0].progress(train.len()), quiet);
    let reports =
        train_members(members.population, &members.genomes, &strategies, &train, &test, &mut progress);
    progress.finish();
    let data = || DataFacts { load_seconds, train_images: train.len(), test_images: test.len() };
    let mut results = Vec::with_capacity(configs.len());
    for (((config, out), genome), outcome) in configs.iter().zip(outs).zip(&members.genomes).zip(reports?) {
        let result = match outcome {
            Ok(mut report) => {
                if report.ab_initio_test_accuracy.is_none() && !config.encoding.is_direct() {
                    report.ab_initio_test_accuracy = Some(report.best_test_accuracy);
                }
                finish(config, env, out, &**genome, &arch, report, data())
            }
            Err(e @ (TrainError::Diverged { .. } | TrainError::Collapsed { .. })) => Err(RunError::Stopped {
                dir: out.clone(),
                kept: "a population keeps no checkpoint".into(),
                source: Box::new(e),
            }),
            Err(e) => Err(e.into()),
        };
        results.push(result);
    }
    Ok(results)
}

/// Every member's settings of the strategy `pick` finds (an error if one member has another).
fn each<T: Clone>(
    strategies: &[StrategyConfig],
    pick: impl Fn(&StrategyConfig) -> Option<&T>,
) -> Result<Vec<T>> {
    strategies
        .iter()
        .map(|s| match pick(s) {
            Some(c) => Ok(c.clone()),
            None => crate::error::config("a population's members train with one strategy"),
        })
        .collect()
}

/// Trains the population with its members' strategy (all of one kind, differing only in their
/// seeds) and returns each member's [`Report`] or why it stopped.
fn train_members(
    population: Box<dyn innate_encodings::population::Population>,
    genomes: &[crate::encoding::NetGenome],
    strategies: &[StrategyConfig],
    train: &innate_datasets::DeviceDataset,
    test: &innate_datasets::DeviceDataset,
    progress: &mut RunProgress,
) -> Result<Vec<innate_evolution::Result<Report>>> {
    match &strategies[0] {
        StrategyConfig::EndToEnd(first) => {
            let lifetimes = each(strategies, |s| match s {
                StrategyConfig::EndToEnd(l) => Some(l),
                _ => None,
            })?;
            let outcomes =
                innate_evolution::population::train(population, train, test, &lifetimes, progress)?;
            outcomes
                .into_iter()
                .zip(genomes)
                .map(|(o, genome)| Ok(o.and_then(|r| r.into_report(&**genome, &first.frozen))))
                .collect()
        }
        StrategyConfig::Intermittent(first) => {
            let configs = each(strategies, |s| match s {
                StrategyConfig::Intermittent(c) => Some(c),
                _ => None,
            })?;
            let per = first.batches_per_generation(train.len());
            let outcomes = innate_evolution::population::intermittent::train(
                population, train, test, &configs, progress,
            )?;
            Ok(outcomes.into_iter().map(|o| o.map(|r| r.into_report(per))).collect())
        }
        other => crate::error::config(format!(
            "a population learns end to end or intermittently, not with the {} strategy",
            other.name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Encoding, EncodingFlags};
    use innate_evolution::LifetimeConfig;

    fn run(hidden: usize, encoding: &str, seed: u64) -> RunConfig {
        let flags = EncodingFlags { genes: Some(3), ..EncodingFlags::default() };
        let e = Encoding::from_flags(encoding, &flags).unwrap();
        RunConfig::new(
            "mnist",
            Network::Mlp { hidden: vec![hidden] },
            e,
            StrategyConfig::EndToEnd(LifetimeConfig::default()),
            seed,
        )
        .with_seed(seed)
    }

    #[test]
    fn only_runs_that_differ_in_their_seeds_share_a_key() {
        let key = |c: &RunConfig| population_key(c).unwrap();
        assert_eq!(key(&run(16, "gem", 0)), key(&run(16, "gem", 7)));
        assert_ne!(key(&run(16, "gem", 0)), key(&run(17, "gem", 0)));
        assert_ne!(key(&run(16, "gem", 0)), key(&run(16, "sgem", 0)));
        let mut meta = run(16, "gem", 0);
        meta.strategy = StrategyConfig::Meta(innate_evolution::MetaConfig::default());
        assert_eq!(population_key(&meta), None);
        // G-networks trained intermittently share one too; a convolutional network does not.
        let flags = EncodingFlags { gnet_hidden: Some(vec![4, 3]), ..EncodingFlags::default() };
        let gnet = |seed: u64, network: Network| {
            let strategy = StrategyConfig::Intermittent(innate_evolution::IntermittentConfig::default());
            let e = Encoding::from_flags("gnet", &flags).unwrap();
            RunConfig::new("mnist", network, e, strategy, seed).with_seed(seed)
        };
        let mlp = || Network::Mlp { hidden: vec![16] };
        assert_eq!(key(&gnet(0, mlp())), key(&gnet(3, mlp())));
        assert_ne!(key(&gnet(0, mlp())), key(&run(16, "gem", 0)));
        assert_eq!(population_key(&gnet(0, Network::AllCnn { width: 8 })), None);
        let cpu = candle_core::Device::Cpu;
        assert!(!Populations::Auto.joins(&run(16, "gem", 0), &cpu));
        assert!(Populations::Always.joins(&run(16, "gem", 0), &cpu));
        assert!(!Populations::Never.joins(&run(16, "gem", 0), &cpu));
    }

    #[test]
    fn a_population_of_different_runs_is_an_error_naming_them() {
        let (cache, device) = (crate::DataCache::default(), candle_core::Device::Cpu);
        let env = RunEnv { root: std::path::Path::new("no-such-data"), device: &device, cache: &cache };
        let outs = [PathBuf::from("runs/a"), PathBuf::from("runs/b")];
        let e = execute_population(&[run(16, "gem", 0), run(32, "gem", 1)], &env, &outs, true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("runs/a") && e.contains("runs/b") && e.contains("more than their seeds"), "{e}");
        let e = execute_population(&[run(16, "gem", 0)], &env, &outs, true).unwrap_err().to_string();
        assert!(e.contains("2 run folders for 1 runs"), "{e}");
    }
}
