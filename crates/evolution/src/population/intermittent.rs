//! Intermittent training of a population: `K` genomes of one encoding and shape
//! ([`Population`]) trained as one program, each member as its own run of
//! [`crate::intermittent`] would train it.
//!
//! Every generation develops all members' networks at once and measures each one's ab initio
//! accuracy; the `K` p-networks are stacked tensors (`(K, out, in)`) that learn on each member's
//! own batches (its seed's order through the one shared training set) with the hand-worked
//! gradient of the members' summed losses ([`Mlp::members_cross_entropy_grads`]); then every
//! member's genome is fitted to its own trained p-network on its own random sample of entries
//! ([`Population::develop_entries`]: for g-networks, each member's label pairs through batched
//! products), the minibatch loss being the sum of the members' mean-squared errors. Adam works
//! element by element and the members' slices of every gradient are their own, so member `k`
//! takes its single run's steps; on the CPU the results equal the single runs' up to
//! floating-point reassociation (a test checks the generations). A member whose p-network
//! diverges or collapses leaves with its single run's error; the others go on with their
//! optimisers' moments. Populations keep no checkpoint. A member's report counts as its time
//! (`seconds`) the wall-clock time from the population's start to its end, and as its share
//! (`train_seconds`, from which the seconds per generation and per 1,000 batches follow) each
//! generation's time divided among the members that began it.
//!
//! Only MLP p-networks train in populations (every [`Population`] develops an [`Mlp`]).

use std::time::Instant;

use candle_core::{DType, Tensor, Var};
use innate_datasets::{DeviceDataset, ShuffledBatches};
use innate_encodings::population::{Population, select_index};
use innate_encodings::{Mlp, Parameters};
use rand::seq::index;

use super::{check_configs, members_accuracy, select_moments};
use crate::adam::{Adam, AdamConfig};
use crate::error::{Result, TrainError};
use crate::grads::OwnGrads;
use crate::intermittent::{
    GenerationPoint, IntermittentConfig, IntermittentReport, collapsed, diverged, fit_plan, initial_pnet,
};
use crate::lifetime::{Running, free_vars_in, warmed_lr};
use crate::observer::Observer;
use crate::resume::{CollapseWatch, Stream, Watch};

/// One member as it trains.
struct Member {
    /// Its index among the population's members as given.
    index: usize,
    batches: ShuffledBatches,
    fit: Stream,
    watch: CollapseWatch,
    best: (f64, usize, Vec<(String, Tensor)>),
    points: Vec<GenerationPoint>,
    /// Its share of the generations' time.
    train_seconds: f64,
}

/// The p-networks, the optimisers and the population as they stand: what a member's leaving
/// rebuilds.
struct State {
    pop: Box<dyn Population>,
    vars: Vec<Var>,
    p_net: Mlp,
    p_opt: Running,
    g_opt: Adam,
}

impl State {
    /// The same state for the members at `keep` (of `size`).
    fn retain(self, keep: &[usize], size: usize, config: &IntermittentConfig) -> Result<Self> {
        let idx = select_index(keep, size, self.vars[0].device())?;
        let pop = self.pop.retain(keep)?;
        let vars: Vec<Var> = self
            .vars
            .iter()
            .map(|v| Var::from_tensor(&v.as_tensor().index_select(&idx, 0)?))
            .collect::<candle_core::Result<_>>()?;
        let p_net = self.p_net.with_parameters(vars.iter().map(|v| v.as_tensor().clone()).collect())?;
        let (p_step, p_moments) = self.p_opt.state()?;
        let mut p_opt = Running::new(vars.clone(), config.optimizer, config.lr)?;
        p_opt.restore(p_step, &select_moments(&p_moments, config.optimizer, size, &idx)?)?;
        let (g_step, g_moments) = self.g_opt.state()?;
        let mut g_opt = genome_adam(&*pop, config)?;
        let adam = crate::lifetime::Optimizer::Adam;
        g_opt.restore(g_step, &select_moments(&g_moments, adam, size, &idx)?)?;
        Ok(Self { pop, vars, p_net, p_opt, g_opt })
    }
}

/// Adam over the population's genome tensors, in the order of their names (as a single run's).
fn genome_adam(pop: &dyn Population, config: &IntermittentConfig) -> Result<Adam> {
    let g_vars = free_vars_in(pop.stacked().varmap(), pop.encoding(), &[])?;
    Ok(Adam::new(g_vars, AdamConfig { lr: config.fit.lr, ..AdamConfig::default() })?)
}

/// Trains `population` intermittently (member `k` with `configs[k]`: settings that differ only
/// in their seeds) on `train`, measuring on `test`, as the module docs say. Returns each
/// member's outcome in the members' order: its report, or why it stopped
/// ([`TrainError::Diverged`], [`TrainError::Collapsed`]); the outer error is for the population
/// as a whole (bad settings, a failing operation). `observer` sees every member's generations.
pub fn train(
    population: Box<dyn Population>,
    train: &DeviceDataset,
    test: &DeviceDataset,
    configs: &[IntermittentConfig],
    observer: &mut dyn Observer,
) -> Result<Vec<Result<IntermittentReport>>> {
    check_configs(
        configs,
        "intermittent",
        |c| IntermittentConfig { seed: 0, ..c.clone() },
        |c| c.validate(),
        (population.size(), train, test),
    )?;
    let config = &configs[0];
    let start = Instant::now();
    let device = train.device();
    let developed = population.develop()?;
    // Each tensor's shape for one member, and every member's W_0 stacked.
    let shapes: Vec<Vec<usize>> =
        developed.parameters().iter().map(|(_, t)| t.dims()[1..].to_vec()).collect();
    let w0: Vec<Vec<Tensor>> =
        configs.iter().map(|c| initial_pnet(&shapes, c.seed, device)).collect::<Result<_>>()?;
    let vars: Vec<Var> = (0..shapes.len())
        .map(|p| Var::from_tensor(&Tensor::stack(&w0.iter().map(|w| &w[p]).collect::<Vec<_>>(), 0)?))
        .collect::<candle_core::Result<_>>()?;
    drop(w0);
    if !config.fit.tensors.is_empty() && config.fit.tensors.len() != vars.len() {
        return Err(TrainError::Config(format!(
            "the fitting schedule names {} tensors, the p-network has {}",
            config.fit.tensors.len(),
            vars.len()
        )));
    }
    let p_net = developed.with_parameters(vars.iter().map(|v| v.as_tensor().clone()).collect())?;
    drop(developed);
    let mut state = State {
        p_opt: Running::new(vars.clone(), config.optimizer, config.lr)?,
        g_opt: genome_adam(&*population, config)?,
        pop: population,
        vars,
        p_net,
    };
    let plan = fit_plan(&config.fit, &shapes);
    let steps = config.batches_per_generation(train.len());
    let classes = train.labelled_classes()?;
    let mut members: Vec<Member> = configs
        .iter()
        .enumerate()
        .map(|(index, c)| {
            Ok(Member {
                index,
                batches: ShuffledBatches::new(train.len(), config.batch_size, c.seed),
                fit: Stream::new(c.seed),
                watch: CollapseWatch::new(classes, c.collapse_after),
                best: (f64::NEG_INFINITY, 0, state.pop.stacked().member(index)?),
                points: Vec::with_capacity(config.generations),
                train_seconds: 0.0,
            })
        })
        .collect::<Result<_>>()?;
    let mut outcomes: Vec<Option<Result<IntermittentReport>>> = (0..configs.len()).map(|_| None).collect();

    for n in 1..=config.generations {
        if members.is_empty() {
            break;
        }
        let (t0, trained_members) = (Instant::now(), members.len());
        // 1. Develop, measure ab initio, blend into the p-networks.
        let fresh = state.pop.develop()?;
        let ab_initio = members_accuracy(&fresh, test, config.eval_batch_size)?;
        for (k, m) in members.iter_mut().enumerate() {
            if ab_initio[k] > m.best.0 {
                m.best = (ab_initio[k], n, state.pop.stacked().member(k)?);
            }
        }
        let eps = if n == 1 && !config.develop_first { 1.0 } else { config.eps(n) };
        if eps < 1.0 {
            for (v, (_, w)) in state.vars.iter().zip(fresh.parameters()) {
                let w = w.detach();
                v.set(&if eps > 0.0 { ((v.as_tensor() * eps)? + (w * (1.0 - eps))?)? } else { w })?;
            }
        }
        drop(fresh);

        // 2. Learn, each member on its own batches.
        let mut loss_sums = vec![0f64; members.len()];
        let p_ids: std::collections::HashSet<_> = state.vars.iter().map(|v| v.as_tensor().id()).collect();
        for i in 0..steps {
            let k = members.len();
            let mut ids = Vec::with_capacity(k * config.batch_size);
            for m in members.iter_mut() {
                ids.extend(
                    m.batches
                        .next()
                        .ok_or_else(|| TrainError::Config("the training set yielded no batch".into()))?,
                );
            }
            let batch = train.batch(&ids)?;
            let b = ids.len() / k;
            let mut shape = batch.images.dims().to_vec();
            shape[0] = b;
            shape.insert(0, k);
            let x = batch.images.reshape(shape)?;
            let labels = batch.labels.reshape((k, b))?;
            if config.warmup > 0 || config.generation_warmup > 0 {
                let lr = warmed_lr(config.lr, config.generation_warmup, i);
                state.p_opt.set_lr(warmed_lr(lr, config.warmup, (n - 1) * steps + i));
            }
            let params = state.p_net.parameters();
            if let Some((name, _)) = params.iter().find(|(_, t)| !p_ids.contains(&t.id())) {
                return Err(TrainError::Config(format!("the p-networks' {name} is not a variable")));
            }
            let (losses, grads) = state.p_net.members_cross_entropy_grads(&x, &labels)?;
            state.p_opt.step(&OwnGrads::new(params.iter().map(|(_, t)| t).zip(grads)))?;
            for (s, l) in loss_sums.iter_mut().zip(losses.to_vec1::<f32>()?) {
                *s += l as f64;
            }
        }
        let trained = if config.eval_trained_every > 0 && n % config.eval_trained_every == 0 {
            Some(members_accuracy(&state.p_net, test, config.eval_batch_size)?)
        } else {
            None
        };

        // Members whose p-network diverged or collapsed leave, as their single runs stop.
        let mut keep = Vec::with_capacity(members.len());
        let mut losses = Vec::with_capacity(members.len());
        for (k, m) in members.iter_mut().enumerate() {
            let train_loss = loss_sums[k] / steps as f64;
            if !train_loss.is_finite() {
                outcomes[m.index] = Some(Err(diverged(n, steps, config.lr)));
            } else if m.watch.observe(train_loss) == Watch::Collapsed {
                outcomes[m.index] = Some(Err(collapsed(n, &m.watch, config.lr)));
            } else {
                keep.push(k);
                losses.push((train_loss, trained.as_ref().map(|t| t[k]), ab_initio[k]));
            }
        }
        if keep.len() < members.len() {
            if keep.is_empty() {
                members.clear();
                break;
            }
            state = state.retain(&keep, members.len(), config)?;
            let mut at = 0;
            members.retain(|_| {
                at += 1;
                keep.contains(&(at - 1))
            });
        }

        // 3. Fit every member's genome to its own trained p-network.
        let fit_loss = fit(&mut state, &mut members, &plan)?;
        let seconds = start.elapsed().as_secs_f64();
        let share = t0.elapsed().as_secs_f64() / trained_members as f64;
        for ((m, (train_loss, trained_accuracy, ab)), fit_loss) in
            members.iter_mut().zip(losses).zip(fit_loss)
        {
            let point = GenerationPoint {
                generation: n,
                ab_initio_accuracy: ab,
                trained_accuracy,
                train_loss,
                fit_loss,
                seconds,
            };
            observer.generation(&point);
            m.points.push(point);
            m.train_seconds += share;
        }
    }
    if !members.is_empty() {
        let finals = members_accuracy(&state.pop.develop()?, test, config.eval_batch_size)?;
        let seconds = start.elapsed().as_secs_f64();
        for (k, mut m) in members.into_iter().enumerate() {
            if finals[k] > m.best.0 {
                m.best = (finals[k], config.generations + 1, state.pop.stacked().member(k)?);
            }
            outcomes[m.index] = Some(Ok(IntermittentReport {
                generations: m.points,
                best_ab_initio: m.best.0,
                best_generation: m.best.1,
                final_ab_initio: finals[k],
                best_tensors: m.best.2,
                seconds,
                train_seconds: m.train_seconds,
            }));
        }
    }
    outcomes
        .into_iter()
        .enumerate()
        .map(|(k, o)| o.ok_or_else(|| TrainError::Config(format!("population member {k} did not finish"))))
        .collect()
}

/// Fits the members' genomes to their p-networks, each on its own samples (drawn from its own
/// stream as its single run draws them); returns each member's last minibatch's mean-squared
/// error per tensor.
fn fit(
    state: &mut State,
    members: &mut [Member],
    plan: &[crate::intermittent::TensorFit],
) -> Result<Vec<Vec<f64>>> {
    let mut losses = vec![Vec::with_capacity(plan.len()); members.len()];
    for (p, (v, t)) in state.vars.iter().zip(plan).enumerate() {
        let target_all = v.as_tensor().detach().flatten_from(1)?;
        let total = target_all.dim(1)?;
        let samples: Vec<Vec<u32>> = members
            .iter_mut()
            .map(|m| index::sample(&mut m.fit.rng, total, t.samples).into_iter().map(|i| i as u32).collect())
            .collect();
        let mut last = vec![f64::NAN; members.len()];
        for _ in 0..t.epochs {
            for start in (0..t.samples).step_by(t.batch_size) {
                let len = t.batch_size.min(t.samples - start);
                let rows: Vec<u32> =
                    samples.iter().flat_map(|s| s[start..start + len].iter().copied()).collect();
                let idx = Tensor::from_vec(rows, (members.len(), len), v.device())?;
                let target = target_all.gather(&idx, 1)?;
                let pred = state.pop.develop_entries(p, &idx)?.to_dtype(DType::F32)?;
                let loss = (pred - target)?.sqr()?.mean(1)?;
                state.g_opt.backward_step(&loss.sum_all()?)?;
                last = loss.to_vec1::<f32>()?.into_iter().map(f64::from).collect();
            }
        }
        for (l, x) in losses.iter_mut().zip(last) {
            l.push(x);
        }
    }
    Ok(losses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use innate_encodings::{Genome, MlpSpec};
    use innate_gem::Direct;
    use innate_gem::population::DirectPopulation;
    use innate_gnet::GenomicNet;
    use innate_gnet::population::GnetPopulation;

    use super::super::tests::quadrants;
    use crate::intermittent::FitConfig;
    use crate::lifetime::Optimizer;

    fn config(seed: u64) -> IntermittentConfig {
        IntermittentConfig {
            generations: 4,
            images_per_generation: 48,
            batch_size: 8,
            lr: 0.01,
            lambda: 2.0,
            fit: FitConfig {
                lr: 0.01,
                first_weights: 100,
                other_weights: 30,
                biases: 6,
                weight_epochs: 2,
                bias_epochs: 2,
                batch_size: 32,
                ..FitConfig::default()
            },
            eval_trained_every: 2,
            seed,
            ..IntermittentConfig::default()
        }
    }

    /// The generations, best generation and best tensors of each member in `check` against
    /// its own single run.
    fn same_as_single_runs<G: Genome<Phenotype = Mlp>>(
        pop: Box<dyn Population>,
        fresh: impl Fn(u64) -> G,
        configs: &[IntermittentConfig],
        check: &[usize],
    ) {
        let (train_set, test_set) = (quadrants(96, 0), quadrants(40, 1000));
        let outcomes = train(pop, &train_set, &test_set, configs, &mut ()).unwrap();
        for (seed, outcome) in outcomes.into_iter().enumerate() {
            if !check.contains(&seed) {
                continue;
            }
            let got = outcome.unwrap();
            let g = fresh(seed as u64);
            let want =
                crate::intermittent::train(&g, &train_set, &test_set, &configs[seed], &mut ()).unwrap();
            assert_eq!(got.generations.len(), want.generations.len(), "seed {seed}");
            for (a, b) in got.generations.iter().zip(&want.generations) {
                assert_eq!(a.generation, b.generation);
                assert!(
                    (a.ab_initio_accuracy - b.ab_initio_accuracy).abs() < 1e-9,
                    "seed {seed}: {a:?} vs {b:?}"
                );
                assert_eq!(a.trained_accuracy.is_some(), b.trained_accuracy.is_some());
                if let (Some(x), Some(y)) = (a.trained_accuracy, b.trained_accuracy) {
                    assert!((x - y).abs() < 1e-9, "seed {seed}: {a:?} vs {b:?}");
                }
                assert!(
                    (a.train_loss - b.train_loss).abs() <= 1e-4 * b.train_loss.abs().max(1.0),
                    "{a:?} vs {b:?}"
                );
                assert_eq!(a.fit_loss.len(), b.fit_loss.len());
                for (x, y) in a.fit_loss.iter().zip(&b.fit_loss) {
                    assert!((x - y).abs() <= 1e-3 * y.abs().max(1e-2), "seed {seed}: fit {x} vs {y}");
                }
            }
            assert_eq!(
                (got.best_generation, got.final_ab_initio),
                (want.best_generation, want.final_ab_initio)
            );
            assert_eq!(got.best_tensors.len(), want.best_tensors.len());
            for ((n1, a), (n2, b)) in got.best_tensors.iter().zip(&want.best_tensors) {
                assert_eq!(n1, n2);
                let d = (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
                assert!(d < 1e-3, "seed {seed}: {n1} differs by {d}");
            }
        }
    }

    #[test]
    fn g_network_members_train_intermittently_as_their_single_runs() {
        let fresh = |s| {
            let c = innate_gnet::for_mlp("small", &MlpSpec::mlp(16, 12, 4), Some((4, 4)), &[6, 4], s);
            GenomicNet::new(c, &Device::Cpu).unwrap()
        };
        let members: Vec<GenomicNet> = (0..3).map(fresh).collect();
        let pop = GnetPopulation::new(&members.iter().collect::<Vec<_>>()).unwrap();
        let configs: Vec<IntermittentConfig> = (0..3).map(config).collect();
        same_as_single_runs(Box::new(pop), fresh, &configs, &[0, 1, 2]);
    }

    #[test]
    fn direct_members_train_intermittently_with_sgd_and_every_entry_fitted() {
        let fresh = |s| Direct::new(MlpSpec::mlp(16, 8, 4), s, &Device::Cpu).unwrap();
        let members: Vec<Direct> = (0..2).map(fresh).collect();
        let pop = DirectPopulation::new(&members.iter().collect::<Vec<_>>()).unwrap();
        let configs: Vec<IntermittentConfig> = (0..2)
            .map(|s| IntermittentConfig {
                optimizer: Optimizer::Sgd { momentum: 0.9 },
                fit: FitConfig { lr: 0.01, batch_size: 40, ..FitConfig::default() }.all(),
                generation_warmup: 3,
                ..config(s)
            })
            .collect();
        same_as_single_runs(Box::new(pop), fresh, &configs, &[0, 1]);
    }

    #[test]
    fn a_diverging_member_leaves_and_the_others_go_on() {
        // Member 1's genome holds huge weights: its first p-network (W_0) learns, its second, a
        // blend with the developed network, overflows. It leaves with its single run's error;
        // member 0 ends as its single run (the optimisers' moments kept through the leaving).
        let fresh = |s: u64| {
            let g = Direct::new(MlpSpec::mlp(16, 8, 4), s, &Device::Cpu).unwrap();
            if s == 1 {
                for v in g.varmap().all_vars() {
                    v.set(&(v.as_tensor() * 1e30).unwrap()).unwrap();
                }
            }
            g
        };
        let (train_set, test_set) = (quadrants(96, 0), quadrants(40, 1000));
        let members: Vec<Direct> = (0..2).map(fresh).collect();
        let configs = [config(0), config(1)];
        let single = crate::intermittent::train(&fresh(1), &train_set, &test_set, &configs[1], &mut ());
        assert!(matches!(single, Err(TrainError::Diverged { batches: 12, .. })), "{single:?}");
        let pop = DirectPopulation::new(&members.iter().collect::<Vec<_>>()).unwrap();
        let outcomes = train(Box::new(pop), &train_set, &test_set, &configs, &mut ()).unwrap();
        assert_eq!(outcomes[1].as_ref().unwrap_err().to_string(), single.unwrap_err().to_string());
        let pop = DirectPopulation::new(&members.iter().collect::<Vec<_>>()).unwrap();
        same_as_single_runs(Box::new(pop), fresh, &configs, &[0]);

        // Settings differing in more than the seed are refused, naming the member.
        let pop = DirectPopulation::new(&members.iter().collect::<Vec<_>>()).unwrap();
        let other = IntermittentConfig { lr: 0.5, ..config(1) };
        let e = train(Box::new(pop), &train_set, &test_set, &[config(0), other], &mut ())
            .unwrap_err()
            .to_string();
        assert!(e.contains("member 1") && e.contains("only in their seeds"), "{e}");
    }
}
