//! Lifetime learning of a population: `K` genomes of one encoding and shape
//! ([`innate_encodings::population::Population`]) trained as one program, each member as its own
//! run of [`crate::lifetime`] would train it.
//!
//! Every step gathers each member's own batch (its seed's order through the one shared copy of
//! the training set) into a `(K, B, ...)` tensor, develops and runs every member at once, and
//! steps the optimiser on the stacked tensors with the gradient of the members' summed losses:
//! member `k`'s slice of that gradient is its own loss's gradient, and Adam and SGD work element
//! by element, so member `k` takes the steps its single run takes. Evaluations measure every
//! member on the test set at once; each member keeps its own best accuracy, early-stopping state
//! and collapse watch. A member that stops (early, diverged or collapsed) leaves the population,
//! which goes on with the others ([`Population::retain`], the optimiser's moments kept); its
//! report is what its single run would have returned. On the CPU the results equal the single
//! runs' up to floating-point reassociation (a test checks the curves).
//!
//! What a member's report counts as its time: `seconds` is the wall-clock time from the
//! population's start to that member's end (its results were ready then), `train_seconds` its
//! share of the training steps (each step's time divided among the members it trained), so
//! `seconds_per_1000_batches` is the cost of a member's batch within the population.
//!
//! Populations do not checkpoint: they are for sweeps of short runs; a long run trains alone
//! ([`crate::lifetime::train_resumable`]).

use std::time::Instant;

use candle_core::{DType, Tensor};
use innate_datasets::{DeviceDataset, ShuffledBatches};
use innate_encodings::population::{Population, members_cross_entropy};
use innate_encodings::{Mlp, Parameters};

use crate::error::{Result, TrainError};
use crate::grads::OwnGrads;
use crate::lifetime::{LifetimeConfig, LifetimeReport, Running, free_vars_in};
use crate::observer::Observer;
use crate::report::EvalPoint;
use crate::resume::{CollapseWatch, Stream, Watch};

pub mod intermittent;

/// One member as it trains.
struct Member {
    /// Its index among the population's members as given.
    index: usize,
    batches: ShuffledBatches,
    sampler: Stream,
    best_acc: f64,
    best_batches: usize,
    best_tensors: Vec<(String, Tensor)>,
    reference: f64,
    stale: usize,
    curve: Vec<EvalPoint>,
    watch: CollapseWatch,
    train_seconds: f64,
}

/// Checks that `configs` (settings of `what`) are valid, differ in nothing but their seeds
/// (`seedless` sets a configuration's seed to a fixed one) and are one per member of a
/// population of `size`, and that the training and test sets `data` hold images.
pub(crate) fn check_configs<T: PartialEq + std::fmt::Debug>(
    configs: &[T],
    what: &str,
    seedless: impl Fn(&T) -> T,
    validate: impl Fn(&T) -> Result<()>,
    (size, train, test): (usize, &DeviceDataset, &DeviceDataset),
) -> Result<()> {
    if configs.len() != size {
        return Err(TrainError::Config(format!(
            "{} {what} settings for a population of {size} members",
            configs.len()
        )));
    }
    if train.is_empty() || test.is_empty() {
        return Err(TrainError::Config(format!(
            "cannot train on {} training and {} test images",
            train.len(),
            test.len()
        )));
    }
    let first =
        configs.first().ok_or_else(|| TrainError::Config("a population needs at least one member".into()))?;
    let first_seedless = seedless(first);
    for (k, c) in configs.iter().enumerate() {
        validate(c)?;
        if seedless(c) != first_seedless {
            return Err(TrainError::Config(format!(
                "population member {k}'s {what} settings are not member 0's apart from the seed ({c:?} vs \
                 {first:?}): a population's members differ only in their seeds"
            )));
        }
    }
    Ok(())
}

/// An optimiser's moments ([`Running::state`]) over stacked tensors of `size` members, keeping
/// the members at `idx` (a `u32` index tensor): Adam's `[m; v]` per tensor, flat, or SGD's
/// momentum buffers shaped as the tensors.
pub(crate) fn select_moments(
    moments: &[Tensor],
    optimizer: crate::lifetime::Optimizer,
    size: usize,
    idx: &Tensor,
) -> candle_core::Result<Vec<Tensor>> {
    moments
        .iter()
        .map(|m| match optimizer {
            // Adam's moments are `[m; v]`, flat: (2, K, rest).
            crate::lifetime::Optimizer::Adam => {
                let rest = m.elem_count() / (2 * size);
                m.reshape((2, size, rest))?.index_select(idx, 1)?.flatten_all()
            }
            crate::lifetime::Optimizer::Sgd { .. } => m.index_select(idx, 0),
        })
        .collect()
}

/// The test accuracy of each member of a network of `K` members ([`Mlp::forward_members`]),
/// in batches of `batch_size`: what [`crate::lifetime::accuracy`] gives for each member's own
/// network.
pub(crate) fn members_accuracy(net: &Mlp, test: &DeviceDataset, batch_size: usize) -> Result<Vec<f64>> {
    let k = net.layers.first().map_or(Ok(0), |l| l.weight.dim(0))?;
    let mut correct: Option<Tensor> = None;
    for batch in test.sequential(batch_size) {
        let batch = batch?;
        let pred = net.forward_members(&broadcast_batch(&batch.images, k)?)?.argmax(2)?;
        let n = pred.broadcast_eq(&batch.labels.unsqueeze(0)?)?.to_dtype(DType::F32)?.sum(1)?;
        correct = Some(match correct {
            Some(c) => (c + n)?,
            None => n,
        });
    }
    let counts = match correct {
        Some(c) => c.to_vec1::<f32>()?,
        None => vec![0.0; k],
    };
    Ok(counts.iter().map(|&c| c as f64 / test.len().max(1) as f64).collect())
}

/// One batch of images `(B, ...)` as every member's input, `(K, B, features)`.
fn broadcast_batch(images: &Tensor, k: usize) -> candle_core::Result<Tensor> {
    let x = images.flatten_from(1)?;
    x.unsqueeze(0)?.broadcast_as((k, x.dim(0)?, x.dim(1)?))
}

/// Trains `population` (member `k` with `configs[k]`: settings that differ only in their seeds)
/// on `train`, evaluating on `test`, as the module docs say. Returns each member's outcome, in
/// the members' order: its report, or why it stopped ([`TrainError::Diverged`],
/// [`TrainError::Collapsed`]); the outer error is for the population as a whole (bad settings,
/// a failing operation). `observer` sees the population's batches and every member's
/// evaluations.
pub fn train(
    population: Box<dyn Population>,
    train: &DeviceDataset,
    test: &DeviceDataset,
    configs: &[LifetimeConfig],
    observer: &mut dyn Observer,
) -> Result<Vec<Result<LifetimeReport>>> {
    check_configs(
        configs,
        "lifetime",
        |c| LifetimeConfig { seed: 0, ..c.clone() },
        |c| c.validate(),
        (population.size(), train, test),
    )?;
    let shared = configs[0].in_batches(train.len());
    let start = Instant::now();
    let mut pop = population;
    let mut opt = Running::new(
        free_vars_in(pop.stacked().varmap(), pop.encoding(), &shared.frozen)?,
        shared.optimizer,
        shared.lr,
    )?;
    let classes = train.labelled_classes()?;
    let mut members: Vec<Member> = configs
        .iter()
        .enumerate()
        .map(|(index, c)| Member {
            index,
            batches: ShuffledBatches::new(train.len(), shared.batch_size, c.seed),
            sampler: Stream::new(c.seed ^ 0x5709),
            best_acc: 0.0,
            best_batches: 0,
            best_tensors: Vec::new(),
            reference: 0.0,
            stale: 0,
            curve: Vec::new(),
            watch: CollapseWatch::new(classes, c.collapse_after),
            train_seconds: 0.0,
        })
        .collect();
    let mut outcomes: Vec<Option<Result<LifetimeReport>>> = (0..configs.len()).map(|_| None).collect();
    let decides = |p: &EvalPoint| p.stop_accuracy.unwrap_or(p.test_accuracy);

    let points = evaluate(&*pop, &mut members, test, &shared, 0, None, start)?;
    for (k, (m, point)) in members.iter_mut().zip(points).enumerate() {
        observer.eval(&point);
        m.best_acc = point.test_accuracy;
        m.best_tensors = pop.stacked().member(k)?;
        m.reference = decides(&point);
        m.curve.push(point);
    }
    let mut loss_sum: Option<Tensor> = None;
    let (mut done, mut since_eval) = (0usize, 0usize);
    while done < shared.max_batches && !members.is_empty() {
        let t0 = Instant::now();
        let mut ids = Vec::with_capacity(members.len() * shared.batch_size);
        for m in members.iter_mut() {
            ids.extend(
                m.batches
                    .next()
                    .ok_or_else(|| TrainError::Config("the training set yielded no batch".into()))?,
            );
        }
        let batch = train.batch(&ids)?;
        let k = members.len();
        let b = ids.len() / k;
        let mut shape = batch.images.dims().to_vec();
        shape[0] = b;
        shape.insert(0, k);
        let x = batch.images.reshape(shape)?;
        let labels = batch.labels.reshape((k, b))?;
        opt.warm(shared.lr, shared.warmup, done);
        let losses = if pop.is_network() {
            let net = pop.develop()?;
            let (losses, grads) = net.members_cross_entropy_grads(&x, &labels)?;
            let params = net.parameters();
            opt.step(&OwnGrads::new(params.iter().map(|(_, t)| t).zip(grads)))?;
            losses
        } else if !pop.forward_through_genome() {
            // As the single runs of such genomes learn (crate::lifetime).
            let net = pop.develop()?;
            let (losses, grads) = net.members_cross_entropy_grads(&x, &labels)?;
            if let Some(s) = net.surrogate_loss(&grads)? {
                opt.backward_step(&s)?;
            }
            losses
        } else {
            let losses = members_cross_entropy(&pop.develop_forward(&x)?, &labels)?;
            opt.backward_step(&losses.sum_all()?)?;
            losses.detach()
        };
        loss_sum = Some(match loss_sum {
            Some(s) => (s + losses)?,
            None => losses,
        });
        done += 1;
        since_eval += 1;
        let share = t0.elapsed().as_secs_f64() / k as f64;
        for m in members.iter_mut() {
            m.train_seconds += share;
        }
        observer.batch(done);

        if !(done.is_multiple_of(shared.eval_every) || done == shared.max_batches) {
            continue;
        }
        let mean_losses: Vec<f64> = match loss_sum.take() {
            Some(s) => s.to_vec1::<f32>()?.iter().map(|&l| l as f64 / since_eval as f64).collect(),
            None => vec![f64::NAN; members.len()],
        };
        let first_batch = done + 1 - since_eval;
        since_eval = 0;
        let points = evaluate(&*pop, &mut members, test, &shared, done, Some(&mean_losses), start)?;
        let mut keep = Vec::with_capacity(members.len());
        for (k, (m, point)) in members.iter_mut().zip(points).enumerate() {
            let mean_loss = mean_losses[k];
            if !mean_loss.is_finite() {
                outcomes[m.index] = Some(Err(TrainError::Diverged {
                    batches: done,
                    at: format!("over batches {first_batch}-{done}"),
                    lr: shared.lr,
                }));
                continue;
            }
            observer.eval(&point);
            if point.test_accuracy > m.best_acc {
                m.best_acc = point.test_accuracy;
                m.best_batches = done;
                m.best_tensors = pop.stacked().member(k)?;
            }
            if decides(&point) > m.reference + shared.min_delta {
                m.reference = decides(&point);
                m.stale = 0;
            } else {
                m.stale += 1;
            }
            m.curve.push(point);
            if m.watch.observe(mean_loss) == Watch::Collapsed {
                let steps = m.watch.at_chance();
                let since = m.curve[m.curve.len() - steps].batches;
                outcomes[m.index] = Some(Err(TrainError::Collapsed {
                    classes: m.watch.classes(),
                    chance: m.watch.chance(),
                    steps,
                    unit: "evaluations",
                    since: format!("the evaluation after {since} batches"),
                    lr: shared.lr,
                }));
                continue;
            }
            let stopped_early = shared.patience > 0 && m.stale >= shared.patience;
            if stopped_early || done == shared.max_batches {
                outcomes[m.index] = Some(Ok(report(m, done, stopped_early, start)));
                continue;
            }
            keep.push(k);
        }
        if keep.len() < members.len() {
            if keep.is_empty() {
                break;
            }
            // The finished members leave; the optimiser goes on with the others' moments.
            let (step, moments) = opt.state()?;
            pop = pop.retain(&keep)?;
            let idx = innate_encodings::population::select_index(&keep, members.len(), x.device())?;
            let moments = select_moments(&moments, shared.optimizer, members.len(), &idx)?;
            opt = Running::new(
                free_vars_in(pop.stacked().varmap(), pop.encoding(), &shared.frozen)?,
                shared.optimizer,
                shared.lr,
            )?;
            opt.restore(step, &moments)?;
            // `keep` is in the members' order, as the population's slices now are.
            let mut at = 0;
            members.retain(|_| {
                at += 1;
                keep.contains(&(at - 1))
            });
        }
    }
    outcomes
        .into_iter()
        .enumerate()
        .map(|(k, o)| o.ok_or_else(|| TrainError::Config(format!("population member {k} did not finish"))))
        .collect()
}

/// A finished member's report.
fn report(m: &mut Member, batches: usize, stopped_early: bool, start: Instant) -> LifetimeReport {
    LifetimeReport {
        final_test_accuracy: m.curve.last().map_or(m.best_acc, |p| p.test_accuracy),
        curve: std::mem::take(&mut m.curve),
        best_test_accuracy: m.best_acc,
        best_batches: m.best_batches,
        batches,
        seconds: start.elapsed().as_secs_f64(),
        train_seconds: m.train_seconds,
        stopped_early,
        best_tensors: std::mem::take(&mut m.best_tensors),
    }
}

/// Every member's evaluation point after `batches` batches: the whole test set's accuracy of the
/// networks [`Population::develop`] gives, and with `stop_sample` the accuracy on each member's
/// own random sample of test images (drawn from its own stream, as its single run draws it).
fn evaluate(
    pop: &dyn Population,
    members: &mut [Member],
    test: &DeviceDataset,
    config: &LifetimeConfig,
    batches: usize,
    losses: Option<&[f64]>,
    start: Instant,
) -> Result<Vec<EvalPoint>> {
    let net = pop.develop()?;
    let sample = config.stop_sample > 0 && config.stop_sample < test.len();
    let mut hits: Vec<Vec<u8>> = vec![Vec::new(); members.len()];
    let accuracies = if sample {
        for batch in test.sequential(config.eval_batch_size) {
            let batch = batch?;
            let pred = net.forward_members(&broadcast_batch(&batch.images, members.len())?)?.argmax(2)?;
            let h = pred.broadcast_eq(&batch.labels.unsqueeze(0)?)?;
            for (all, row) in hits.iter_mut().zip(h.to_vec2::<u8>()?) {
                all.extend(row);
            }
        }
        None
    } else {
        Some(members_accuracy(&net, test, config.eval_batch_size)?)
    };
    let seconds = start.elapsed().as_secs_f64();
    members
        .iter_mut()
        .enumerate()
        .map(|(i, m)| {
            let (acc, stop_accuracy) = if sample {
                let h = &hits[i];
                let all = h.iter().map(|&x| x as f64).sum::<f64>() / h.len() as f64;
                let pick = rand::seq::index::sample(&mut m.sampler.rng, h.len(), config.stop_sample);
                let some = pick.iter().map(|j| h[j] as f64).sum::<f64>() / config.stop_sample as f64;
                (all, Some(some))
            } else {
                (accuracies.as_ref().map_or(0.0, |a| a[i]), None)
            };
            Ok(EvalPoint {
                batches,
                test_accuracy: acc,
                train_loss: losses.map(|l| l[i]),
                stop_accuracy,
                test_ci95: None,
                seconds,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use innate_datasets::ImageDataset;
    use innate_encodings::{Genome, Mlp, MlpSpec, NeuronGrid};
    use innate_gem::population::{DirectPopulation, GemPopulation, RbPopulation};
    use innate_gem::{Direct, GemConfig, GemNet, RandomBasis, RandomBasisConfig};

    /// Four classes of noisy 4x4 images (a bright quadrant each), hard enough that seeds stop at
    /// different evaluations.
    pub(super) fn quadrants(n: usize, salt: usize) -> DeviceDataset {
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let c = i % 4;
            for p in 0..16 {
                let (r, col) = (p / 4, p % 4);
                let on = (r / 2) * 2 + col / 2 == c;
                let noise = ((i + salt) * 7919 + p * 104_729) % 251;
                images.push(if on { 60 + (noise % 196) as u8 } else { (noise % 160) as u8 });
            }
            labels.push(c as u32);
        }
        let names = (0..4).map(|c| format!("q{c}")).collect();
        ImageDataset::new("quadrants", images, labels, [1, 4, 4], names, vec![])
            .unwrap()
            .to_device(&Device::Cpu)
            .unwrap()
    }

    fn config(seed: u64) -> LifetimeConfig {
        LifetimeConfig {
            batch_size: 8,
            max_batches: 400,
            eval_every: 25,
            lr: 0.01,
            patience: 2,
            min_delta: 0.01,
            seed,
            ..Default::default()
        }
    }

    /// Each member's outcome against its own single run: the same evaluations, accuracies and
    /// losses up to rounding, the same best tensors.
    fn same_as_single_runs<G: Genome<Phenotype = Mlp>>(
        members: Vec<G>,
        pop: Box<dyn Population>,
        fresh: impl Fn(u64) -> G,
    ) {
        let (train_set, test_set) = (quadrants(96, 0), quadrants(40, 1000));
        let configs: Vec<LifetimeConfig> = (0..members.len() as u64).map(config).collect();
        let outcomes = train(pop, &train_set, &test_set, &configs, &mut ()).unwrap();
        let mut lengths = Vec::new();
        for (seed, outcome) in outcomes.into_iter().enumerate() {
            let got = outcome.unwrap();
            let want =
                crate::lifetime::train(&fresh(seed as u64), &train_set, &test_set, &configs[seed], &mut ())
                    .unwrap();
            assert_eq!(got.batches, want.batches, "seed {seed}");
            assert_eq!(got.best_batches, want.best_batches, "seed {seed}");
            assert_eq!(got.stopped_early, want.stopped_early, "seed {seed}");
            assert_eq!(got.curve.len(), want.curve.len(), "seed {seed}");
            for (a, b) in got.curve.iter().zip(&want.curve) {
                assert_eq!(a.batches, b.batches);
                assert!((a.test_accuracy - b.test_accuracy).abs() < 1e-9, "seed {seed}: {a:?} vs {b:?}");
                match (a.train_loss, b.train_loss) {
                    (Some(x), Some(y)) => {
                        assert!((x - y).abs() <= 1e-5 * y.abs().max(1.0), "seed {seed}: {x} vs {y}")
                    }
                    (x, y) => assert_eq!(x, y),
                }
            }
            assert_eq!(got.best_tensors.len(), want.best_tensors.len());
            for ((n1, a), (n2, b)) in got.best_tensors.iter().zip(&want.best_tensors) {
                assert_eq!(n1, n2);
                let d = (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
                assert!(d < 1e-4, "seed {seed}: {n1} differs by {d}");
            }
            lengths.push(got.batches);
        }
        // The members stopped at different times, so the population shrank on the way.
        assert!(lengths.iter().any(|&l| l != lengths[0]), "every member ran {} batches", lengths[0]);
    }

    #[test]
    fn direct_members_train_as_their_single_runs() {
        let spec = MlpSpec::mlp(16, 12, 4);
        let fresh = |s| Direct::new(spec.clone(), s, &Device::Cpu).unwrap();
        let members: Vec<Direct> = (0..4).map(fresh).collect();
        let pop = DirectPopulation::new(&members.iter().collect::<Vec<_>>()).unwrap();
        same_as_single_runs(members, Box::new(pop), fresh);
    }

    #[test]
    fn gem_family_members_train_as_their_single_runs() {
        let spec = MlpSpec::mlp(16, 16, 4);
        let grid = NeuronGrid::new(4, 4).unwrap();
        let fresh = |s| {
            GemNet::new(
                GemConfig::mlsgem(spec.clone(), 4, false, s).unwrap().with_input_grid(grid).unwrap(),
                &Device::Cpu,
            )
            .unwrap()
        };
        let members: Vec<GemNet> = (0..4).map(fresh).collect();
        let pop = GemPopulation::new(&members.iter().collect::<Vec<_>>()).unwrap();
        same_as_single_runs(members, Box::new(pop), fresh);
        let fresh = |s| GemNet::new(GemConfig::gem(spec.clone(), 3, false, s), &Device::Cpu).unwrap();
        let members: Vec<GemNet> = (0..4).map(fresh).collect();
        let pop = GemPopulation::new(&members.iter().collect::<Vec<_>>()).unwrap();
        same_as_single_runs(members, Box::new(pop), fresh);
    }

    #[test]
    fn random_basis_members_train_as_their_single_runs() {
        let fresh = |s| {
            RandomBasis::new(RandomBasisConfig::new(MlpSpec::mlp(16, 12, 4), 20, s), &Device::Cpu).unwrap()
        };
        let members: Vec<RandomBasis> = (0..4).map(fresh).collect();
        let pop = RbPopulation::new(&members.iter().collect::<Vec<_>>()).unwrap();
        same_as_single_runs(members, Box::new(pop), fresh);
    }

    #[test]
    fn members_must_differ_only_in_their_seeds() {
        let spec = MlpSpec::mlp(16, 12, 4);
        let members: Vec<Direct> =
            (0..2).map(|s| Direct::new(spec.clone(), s, &Device::Cpu).unwrap()).collect();
        let pop = DirectPopulation::new(&members.iter().collect::<Vec<_>>()).unwrap();
        let configs = [config(0), LifetimeConfig { lr: 0.5, ..config(1) }];
        let e = train(Box::new(pop), &quadrants(16, 0), &quadrants(8, 1), &configs, &mut ())
            .unwrap_err()
            .to_string();
        assert!(e.contains("member 1") && e.contains("only in their seeds"), "{e}");
    }
}
