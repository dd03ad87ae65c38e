//! Lifetime learning: the papers' training loop for a genome, end to end through `develop()`.
//!
//! Per batch the genome develops the network, the batch is run through it (both in one call,
//! [`Genome::develop_forward`], which lets low-rank encodings skip forming wide weight matrices),
//! the cross-entropy loss is backpropagated into the genome's tensors and Adam updates them; the
//! next batch develops the network again. Evaluations run the network `develop()` returns, the
//! one a genome file holds. The test accuracy on the whole test set is measured every
//! `eval_every` batches; training stops after `max_batches`, or early when `patience` evaluations
//! in a row have not beaten the last accepted accuracy by more than `min_delta` (an accuracy is
//! accepted when it beats the one accepted before it by more than `min_delta`; the first is the
//! untrained network's). The reported accuracy is the best one measured, as in the papers'
//! Methods ("Learning on MNIST").
//!
//! With `stop_sample = N > 0` the early-stopping decisions look at the accuracy on `N` test images
//! drawn at random at each evaluation instead of the whole test set, as the developmental-priors
//! reference code does (its evaluations stop after ~500 images); the recorded and reported
//! accuracies stay those of the whole test set.

use std::collections::HashMap;
use std::time::Instant;

use candle_core::{DType, Module, Tensor};
use innate_datasets::DeviceDataset;
use innate_encodings::{Genome, Mlp, Parameters};
use serde::{Deserialize, Serialize};

use crate::adam::{Adam, AdamConfig};
use crate::error::{Result, TrainError};
use crate::observer::Observer;
pub use crate::report::EvalPoint;
use crate::report::Report;
use crate::resume::{CollapseWatch, Stream, TrainState, Watch};
use crate::strategy::{Data, Progress, Strategy};

/// Settings of the lifetime-learning loop. The defaults are the papers' protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifetimeConfig {
    /// Images per training batch (64).
    pub batch_size: usize,
    /// Most training batches (30,000).
    pub max_batches: usize,
    /// Batches between evaluations on the test set (1,000).
    pub eval_every: usize,
    /// Evaluations without enough improvement before stopping (2); 0 disables early stopping.
    pub patience: usize,
    /// Improvement of the test accuracy (a fraction) that counts (0.005).
    pub min_delta: f64,
    /// The learning rate (0.001, Adam's).
    pub lr: f64,
    /// The optimiser: Adam (the default, the developmental-priors protocol and the MNIST
    /// g-networks'), or SGD with momentum (the genomic-bottleneck CIFAR-10 p-network's).
    #[serde(default, skip_serializing_if = "Optimizer::is_adam")]
    pub optimizer: Optimizer,
    /// Seed of the batch order.
    pub seed: u64,
    /// Images per evaluation batch (1,000; only affects speed and memory).
    pub eval_batch_size: usize,
    /// Early-stopping decisions on this many randomly drawn test images (0: the whole test set;
    /// see the module docs).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stop_sample: usize,
    /// Train for this many passes over the training set, evaluating after each one, in place of
    /// `max_batches` and `eval_every` (0: count batches). An epoch is every training image once,
    /// in batches of `batch_size`, the last one holding what is left, as PyTorch's `DataLoader`
    /// does; the LeNet-5 protocol counts epochs ("a maximum of 200 epochs ... tested the accuracy
    /// every epoch").
    #[serde(default, skip_serializing_if = "is_zero")]
    pub epochs: usize,
    /// Genome tensors left as they are: names, or patterns where `*` stands for any run of
    /// characters (`o*`, `*.mu`). Empty (the default): every learned tensor trains. Transfer with
    /// frozen genes uses it: learn only a GEM's interaction matrix `o` on a new task, or only its
    /// expression. Each pattern must name at least one of the genome's tensors, and at least one
    /// tensor must stay free.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frozen: Vec<String>,
    /// Stop with [`TrainError::Collapsed`] when the mean training loss has been at chance for
    /// this many evaluations in a row after the network had learned
    /// ([`CollapseWatch`]; 3); 0: never.
    #[serde(
        default = "crate::resume::default_collapse_after",
        skip_serializing_if = "crate::resume::is_default_collapse_after"
    )]
    pub collapse_after: usize,
    /// Raise the learning rate linearly over the first this many batches, from `lr / warmup` to
    /// `lr` (0, the papers' protocol: none). Not in either paper: a labelled option that keeps the
    /// CIFAR-10 SGD protocol from stalling at chance on some seeds (README, "Seed stability").
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warmup: usize,
}

/// The learning rate of step `step` (0-based) under a linear warm-up over `warmup` steps.
pub fn warmed_lr(lr: f64, warmup: usize, step: usize) -> f64 {
    if warmup == 0 { lr } else { lr * ((step + 1) as f64 / warmup as f64).min(1.0) }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The optimiser of lifetime learning.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Optimizer {
    /// Adam with PyTorch's defaults ([`crate::adam`]).
    #[default]
    Adam,
    /// SGD with momentum, PyTorch's ([`crate::sgd`]).
    Sgd {
        /// Momentum (0.9 in the genomic-bottleneck paper).
        momentum: f64,
    },
}

impl Optimizer {
    /// Whether this is Adam (which files leave out).
    pub fn is_adam(&self) -> bool {
        *self == Optimizer::Adam
    }
}

/// An [`Optimizer`] as it runs, over a set of variables (lifetime learning's genome, the
/// intermittent strategy's p-network).
pub(crate) enum Running {
    Adam(Adam),
    Sgd(crate::sgd::Sgd),
}

impl Running {
    pub(crate) fn new(vars: Vec<candle_core::Var>, optimizer: Optimizer, lr: f64) -> Result<Self> {
        Ok(match optimizer {
            Optimizer::Adam => Running::Adam(Adam::new(vars, AdamConfig { lr, ..AdamConfig::default() })?),
            Optimizer::Sgd { momentum } => Running::Sgd(crate::sgd::Sgd::new(vars, lr, momentum)),
        })
    }

    pub(crate) fn set_lr(&mut self, lr: f64) {
        match self {
            Running::Adam(a) => a.set_lr(lr),
            Running::Sgd(s) => s.set_lr(lr),
        }
    }

    /// Sets the learning rate of step `step` of a warm-up over `warmup` steps to `lr` (none: the
    /// rate stays as it is).
    pub(crate) fn warm(&mut self, lr: f64, warmup: usize, step: usize) {
        if warmup > 0 {
            self.set_lr(warmed_lr(lr, warmup, step));
        }
    }

    /// One step at the learning rate `lr` of a warm-up over `warmup` steps, at step `step`.
    pub(crate) fn warmed_step(
        &mut self,
        loss: &Tensor,
        lr: f64,
        warmup: usize,
        step: usize,
    ) -> candle_core::Result<()> {
        self.warm(lr, warmup, step);
        self.backward_step(loss)
    }

    pub(crate) fn backward_step(&mut self, loss: &Tensor) -> candle_core::Result<()> {
        match self {
            Running::Adam(a) => a.backward_step(loss),
            Running::Sgd(s) => s.backward_step(loss),
        }
    }

    pub(crate) fn step(&mut self, grads: &impl crate::grads::Gradients) -> candle_core::Result<()> {
        match self {
            Running::Adam(a) => a.step(grads),
            Running::Sgd(s) => s.step(grads),
        }
    }

    /// One step on the mean cross-entropy of `mlp` for `(x, labels)`, its gradient worked out by
    /// hand ([`Mlp::cross_entropy_grads`]) and handed to the optimiser as it is: the network's
    /// tensors must be the variables themselves (`vars`: the ids of the variables). Returns the
    /// loss.
    pub(crate) fn mlp_step(
        &mut self,
        mlp: &Mlp,
        vars: &std::collections::HashSet<candle_core::TensorId>,
        x: &Tensor,
        labels: &Tensor,
    ) -> candle_core::Result<Tensor> {
        let params = mlp.parameters();
        if let Some((name, _)) = params.iter().find(|(_, t)| !vars.contains(&t.id())) {
            candle_core::bail!("the MLP's {name} is not a variable this optimiser trains");
        }
        let (loss, grads) = mlp.cross_entropy_grads(x, labels)?;
        self.step(&crate::grads::OwnGrads::new(params.iter().map(|(_, t)| t).zip(grads)))?;
        Ok(loss)
    }

    /// Steps taken (Adam's; 0 for SGD, which does not count them) and moments or momentum buffers.
    pub(crate) fn state(&self) -> candle_core::Result<(i32, Vec<Tensor>)> {
        match self {
            Running::Adam(a) => a.state(),
            Running::Sgd(s) => Ok((0, s.state()?)),
        }
    }

    pub(crate) fn restore(&mut self, step: i32, moments: &[Tensor]) -> candle_core::Result<()> {
        match self {
            Running::Adam(a) => a.restore(step, moments),
            Running::Sgd(s) => s.restore(moments),
        }
    }
}

impl Default for LifetimeConfig {
    fn default() -> Self {
        Self {
            batch_size: 64,
            max_batches: 30_000,
            eval_every: 1_000,
            patience: 2,
            min_delta: 0.005,
            lr: 1e-3,
            optimizer: Optimizer::Adam,
            seed: 0,
            eval_batch_size: 1_000,
            stop_sample: 0,
            epochs: 0,
            frozen: Vec::new(),
            collapse_after: crate::resume::default_collapse_after(),
            warmup: 0,
        }
    }
}

impl LifetimeConfig {
    /// Checks the settings make sense.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(TrainError::Config(m));
        if self.batch_size == 0 {
            return bad("batch size must be at least 1".into());
        }
        if self.max_batches == 0 {
            return bad("the number of batches must be at least 1".into());
        }
        if self.eval_every == 0 {
            return bad("the evaluation interval must be at least 1 batch".into());
        }
        if self.lr.is_nan() || self.lr <= 0.0 || self.lr.is_infinite() {
            return bad(format!("learning rate must be a positive number, got {}", self.lr));
        }
        if let Optimizer::Sgd { momentum } = self.optimizer
            && !(0.0..1.0).contains(&momentum)
        {
            return bad(format!("SGD's momentum must be in [0, 1), got {momentum}"));
        }
        if self.min_delta.is_nan() || self.min_delta < 0.0 {
            return bad(format!("min_delta must be 0 or more, got {}", self.min_delta));
        }
        if let Some(p) = self.frozen.iter().find(|p| p.trim().is_empty()) {
            return bad(format!(
                "a frozen-tensor pattern is empty ({p:?}): name a genome tensor, e.g. o or *.mu"
            ));
        }
        Ok(())
    }

    /// Batches in one pass over `train_images` images.
    pub fn batches_per_epoch(&self, train_images: usize) -> usize {
        train_images.div_ceil(self.batch_size.max(1)).max(1)
    }

    /// The settings in batches for a training set of `train_images` images: with `epochs` set,
    /// `max_batches` is that many epochs and `eval_every` one epoch; otherwise unchanged.
    pub fn in_batches(&self, train_images: usize) -> Self {
        if self.epochs == 0 {
            return self.clone();
        }
        let per_epoch = self.batches_per_epoch(train_images);
        Self { max_batches: self.epochs * per_epoch, eval_every: per_epoch, ..self.clone() }
    }
}

/// What a lifetime-learning run produced.
#[derive(Debug, Clone)]
pub struct LifetimeReport {
    /// Accuracy before any training, then after every `eval_every` batches (and at the end).
    pub curve: Vec<EvalPoint>,
    /// Best test accuracy measured.
    pub best_test_accuracy: f64,
    /// Batches done when it was measured.
    pub best_batches: usize,
    /// Test accuracy at the end.
    pub final_test_accuracy: f64,
    /// Training batches done.
    pub batches: usize,
    /// Wall-clock seconds, evaluations included.
    pub seconds: f64,
    /// Seconds spent in training steps only.
    pub train_seconds: f64,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Copies of the genome tensors at the best evaluation, by name.
    pub best_tensors: Vec<(String, Tensor)>,
}

impl LifetimeReport {
    /// Seconds of training per 1,000 batches.
    pub fn seconds_per_1000_batches(&self) -> f64 {
        1000.0 * self.train_seconds / self.batches.max(1) as f64
    }
}

impl Strategy for LifetimeConfig {
    fn name(&self) -> &'static str {
        "end-to-end"
    }

    fn validate(&self) -> Result<()> {
        LifetimeConfig::validate(self)
    }

    fn progress(&self, train_images: usize) -> Progress {
        Progress { total: self.in_batches(train_images).max_batches, unit: "batches" }
    }

    fn with_seed(&self, seed: u64) -> Self {
        Self { seed, ..self.clone() }
    }

    fn train<G: Genome + ?Sized>(
        &self,
        genome: &G,
        data: &Data<'_>,
        observer: &mut dyn Observer,
    ) -> Result<Report> {
        self.train_resumable(genome, data, observer, None, None)
    }

    fn train_resumable<G: Genome + ?Sized>(
        &self,
        genome: &G,
        data: &Data<'_>,
        observer: &mut dyn Observer,
        resume: Option<TrainState>,
        checkpoint: Option<crate::resume::Keep<'_>>,
    ) -> Result<Report> {
        let r = train_resumable(genome, data.train, data.test, self, observer, resume, checkpoint)?;
        r.into_report(genome, &self.frozen)
    }
}

impl LifetimeReport {
    /// The strategies' common [`Report`] of this run of `genome` with tensors `frozen`.
    pub fn into_report<G: Genome + ?Sized>(self, genome: &G, frozen: &[String]) -> Result<Report> {
        let trained_params = if frozen.is_empty() {
            None
        } else {
            Some(free_vars(genome, frozen)?.iter().map(|v| v.elem_count()).sum())
        };
        Ok(Report {
            trained_params,
            seconds_per_1000_batches: self.seconds_per_1000_batches(),
            best_test_accuracy: self.best_test_accuracy,
            final_test_accuracy: self.final_test_accuracy,
            best_batches: self.best_batches,
            batches: self.batches,
            stopped_early: self.stopped_early,
            seconds: self.seconds,
            train_seconds: self.train_seconds,
            curve: self.curve,
            best_tensors: self.best_tensors,
            ..Report::default()
        })
    }
}

/// Fraction of `data` that `model` classifies correctly.
pub fn accuracy<M: Module>(model: &M, data: &DeviceDataset, batch_size: usize) -> Result<f64> {
    if data.is_empty() {
        return Ok(0.0);
    }
    let mut correct: Option<Tensor> = None;
    for batch in data.sequential(batch_size) {
        let batch = batch?;
        let pred = model.forward(&batch.images)?.argmax(1)?;
        let hits = pred.eq(&batch.labels)?.to_dtype(DType::F32)?.sum_all()?;
        correct = Some(match correct {
            Some(c) => (c + hits)?,
            None => hits,
        });
    }
    let correct = match correct {
        Some(c) => c.to_scalar::<f32>()? as f64,
        None => return Ok(0.0),
    };
    Ok(correct / data.len().max(1) as f64)
}

/// Whether `model` classifies each image of `data` correctly (1) or not (0), in order.
pub fn hits<M: Module>(model: &M, data: &DeviceDataset, batch_size: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    for batch in data.sequential(batch_size) {
        let batch = batch?;
        let pred = model.forward(&batch.images)?.argmax(1)?;
        out.extend(pred.eq(&batch.labels)?.to_vec1::<u8>()?);
    }
    Ok(out)
}

/// Trains `genome` on `train`, evaluating on `test`, as described in the module docs.
pub fn train<G: Genome + ?Sized>(
    genome: &G,
    train: &DeviceDataset,
    test: &DeviceDataset,
    config: &LifetimeConfig,
    observer: &mut dyn Observer,
) -> Result<LifetimeReport> {
    train_resumable(genome, train, test, config, observer, None, None)
}

/// What a lifetime-learning checkpoint holds besides tensors ([`TrainState::numbers`]).
#[derive(Serialize, Deserialize)]
struct Numbers {
    adam_step: i32,
    moments: usize,
    sampler: u64,
    dropout: u64,
    best_accuracy: f64,
    best_batches: usize,
    reference: f64,
    stale: usize,
    at_chance: usize,
    learned: bool,
    curve: Vec<EvalPoint>,
    train_seconds: f64,
}

/// [`train`], going on from `resume` when given (a state that a run of the same settings passed
/// to its `checkpoint`), and passing `checkpoint`, when given, a [`TrainState`] after every
/// evaluation that it can go on from ([`crate::resume`]: not the ones at chance after learning).
pub fn train_resumable<G: Genome + ?Sized>(
    genome: &G,
    train: &DeviceDataset,
    test: &DeviceDataset,
    config: &LifetimeConfig,
    observer: &mut dyn Observer,
    resume: Option<TrainState>,
    mut checkpoint: Option<crate::resume::Keep<'_>>,
) -> Result<LifetimeReport> {
    config.validate()?;
    if train.is_empty() || test.is_empty() {
        return Err(TrainError::Config(format!(
            "cannot train on {} training and {} test images",
            train.len(),
            test.len()
        )));
    }
    let config = &config.in_batches(train.len());
    let vars = free_vars(genome, &config.frozen)?;
    let mut opt = Running::new(vars, config.optimizer, config.lr)?;
    let start = Instant::now();
    let sampler_seed = config.seed ^ 0x5709;
    // Dropout masks, for phenotypes that have dropout (a stream of its own, so that other runs
    // are what they always were).
    let dropout_seed = config.seed ^ 0xd409;
    let evaluate =
        |batches: usize, loss: Option<f64>, sampler: &mut Stream, offset: f64| -> Result<EvalPoint> {
            let net = genome.develop()?;
            let (acc, stop_accuracy) = if config.stop_sample > 0 && config.stop_sample < test.len() {
                let h = hits(&net, test, config.eval_batch_size)?;
                let all = h.iter().map(|&x| x as f64).sum::<f64>() / h.len() as f64;
                let pick = rand::seq::index::sample(&mut sampler.rng, h.len(), config.stop_sample);
                let some = pick.iter().map(|i| h[i] as f64).sum::<f64>() / config.stop_sample as f64;
                (all, Some(some))
            } else {
                (accuracy(&net, test, config.eval_batch_size)?, None)
            };
            Ok(EvalPoint {
                batches,
                test_accuracy: acc,
                train_loss: loss,
                stop_accuracy,
                test_ci95: None,
                seconds: offset + start.elapsed().as_secs_f64(),
            })
        };
    let decides = |p: &EvalPoint| p.stop_accuracy.unwrap_or(p.test_accuracy);
    let mut watch = CollapseWatch::for_data(train, config.collapse_after)?;

    let (mut sampler, mut dropout, mut best_acc, mut best_batches, mut best_tensors);
    let (mut reference, mut stale, mut curve, mut train_seconds, mut done, offset);
    match resume {
        Some(state) => {
            let n: Numbers = state.numbers("end-to-end")?;
            state.restore_genome(genome)?;
            opt.restore(n.adam_step, &state.numbered("opt.", n.moments)?)?;
            sampler = Stream::at(sampler_seed, n.sampler);
            dropout = Stream::at(dropout_seed, n.dropout);
            (best_acc, best_batches, best_tensors) =
                (n.best_accuracy, n.best_batches, state.with_prefix("best."));
            (reference, stale, train_seconds, done) = (n.reference, n.stale, n.train_seconds, state.done);
            watch.restore(n.learned, n.at_chance);
            offset = n.curve.last().map_or(0.0, |p| p.seconds);
            curve = n.curve;
            observer.batch(done);
        }
        None => {
            (sampler, dropout) = (Stream::new(sampler_seed), Stream::new(dropout_seed));
            let first = evaluate(0, None, &mut sampler, 0.0)?;
            observer.eval(&first);
            (best_acc, best_batches) = (first.test_accuracy, 0);
            best_tensors = innate_encodings::checkpoint::current_tensors(genome)?;
            (reference, stale, train_seconds, done, offset) = (decides(&first), 0, 0.0, 0, 0.0);
            curve = vec![first];
        }
    }
    // A genome whose network is an MLP of its own variables (the direct encoding) learns through
    // the MLP's hand-worked gradient: the same gradient, less autograd's waste. Other encodings
    // keep `develop_forward_train` and autograd: GEM's forward runs through the genes without
    // forming the weights, which beats any gradient of the weights themselves (ML-S-GEM with 22
    // genes: 1.3 s per 1,000 batches, against 5.2 s through its developed MLP).
    let var_ids: std::collections::HashSet<_> =
        genome.varmap().all_vars().iter().map(|v| v.as_tensor().id()).collect();
    let developed = genome.develop()?;
    let by_hand =
        developed.mlp().is_some_and(|m| m.parameters().iter().all(|(_, t)| var_ids.contains(&t.id())));
    // Any other genome whose network is an MLP and whose forward pass gains nothing from the
    // genome (the random basis forms its weights anyway) learns through the same hand-worked
    // gradient, carried back into the genome by one backward pass through development: autograd
    // through the forward pass would also form the input images' gradient.
    let through_net = !by_hand && developed.mlp().is_some() && !genome.forward_through_genome();
    drop(developed);
    let mut loss_sum: Option<Tensor> = None;
    let mut since_eval = 0usize;
    let mut stopped_early = false;
    let mut batches = train.shuffled_from(config.batch_size, config.seed, done);
    while done < config.max_batches {
        let t0 = Instant::now();
        let batch = batches
            .next()
            .ok_or_else(|| TrainError::Config("the training set yielded no batch".into()))??;
        let loss = if by_hand {
            let net = genome.develop()?;
            let mlp =
                net.mlp().ok_or_else(|| TrainError::Config("the network is no longer an MLP".into()))?;
            opt.warm(config.lr, config.warmup, done);
            opt.mlp_step(mlp, &var_ids, &batch.images, &batch.labels)?
        } else if through_net {
            let net = genome.develop()?;
            let mlp =
                net.mlp().ok_or_else(|| TrainError::Config("the network is no longer an MLP".into()))?;
            let (loss, grads) = mlp.cross_entropy_grads(&batch.images, &batch.labels)?;
            if let Some(s) = mlp.surrogate_loss(&grads)? {
                opt.warmed_step(&s, config.lr, config.warmup, done)?;
            }
            loss
        } else {
            let logits = genome.develop_forward_train(&batch.images, &mut dropout.rng)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &batch.labels)?;
            opt.warmed_step(&loss, config.lr, config.warmup, done)?;
            loss.detach()
        };
        loss_sum = Some(match loss_sum {
            Some(s) => (s + loss)?,
            None => loss,
        });
        done += 1;
        since_eval += 1;
        train_seconds += t0.elapsed().as_secs_f64();
        observer.batch(done);

        if done.is_multiple_of(config.eval_every) || done == config.max_batches {
            let mean_loss = match loss_sum.take() {
                Some(s) => s.to_scalar::<f32>()? as f64 / since_eval as f64,
                None => f64::NAN,
            };
            let first_batch = done + 1 - since_eval;
            since_eval = 0;
            if !mean_loss.is_finite() {
                return Err(TrainError::Diverged {
                    batches: done,
                    at: format!("over batches {first_batch}-{done}"),
                    lr: config.lr,
                });
            }
            let point = evaluate(done, Some(mean_loss), &mut sampler, offset)?;
            observer.eval(&point);
            if point.test_accuracy > best_acc {
                best_acc = point.test_accuracy;
                best_batches = done;
                best_tensors = innate_encodings::checkpoint::current_tensors(genome)?;
            }
            if decides(&point) > reference + config.min_delta {
                reference = decides(&point);
                stale = 0;
            } else {
                stale += 1;
            }
            curve.push(point);
            let verdict = watch.observe(mean_loss);
            if verdict == Watch::Collapsed {
                let steps = watch.at_chance();
                let since = curve[curve.len() - steps].batches;
                return Err(TrainError::Collapsed {
                    classes: watch.classes(),
                    chance: watch.chance(),
                    steps,
                    unit: "evaluations",
                    since: format!("the evaluation after {since} batches"),
                    lr: config.lr,
                });
            }
            if config.patience > 0 && stale >= config.patience {
                stopped_early = true;
                break;
            }
            if let Some(keep) = checkpoint.as_mut()
                && verdict == Watch::Good
                && done < config.max_batches
            {
                let (adam_step, moments) = opt.state()?;
                let numbers = Numbers {
                    adam_step,
                    moments: moments.len(),
                    sampler: sampler.position(),
                    dropout: dropout.position(),
                    best_accuracy: best_acc,
                    best_batches,
                    reference,
                    stale,
                    at_chance: watch.at_chance(),
                    learned: watch.learned(),
                    curve: curve.clone(),
                    train_seconds,
                };
                let own = TrainState::number("opt.", moments);
                keep(&TrainState::new("end-to-end", done, genome, &best_tensors, own, &numbers)?)?;
            }
        }
    }
    let final_test_accuracy = curve.last().map_or(best_acc, |p| p.test_accuracy);
    Ok(LifetimeReport {
        curve,
        best_test_accuracy: best_acc,
        best_batches,
        final_test_accuracy,
        batches: done,
        seconds: offset + start.elapsed().as_secs_f64(),
        train_seconds,
        stopped_early,
        best_tensors,
    })
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters (none included).
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The genome's learned tensors that no pattern of `frozen` names, in name order; an error when
/// a pattern names none of them or when every tensor would be frozen.
pub fn free_vars<G: Genome + ?Sized>(genome: &G, frozen: &[String]) -> Result<Vec<candle_core::Var>> {
    free_vars_in(genome.varmap(), genome.encoding(), frozen)
}

/// [`free_vars`] of the tensors in `varmap`, an `encoding` genome's (or a population's).
pub(crate) fn free_vars_in(
    varmap: &candle_nn::VarMap,
    encoding: &str,
    frozen: &[String],
) -> Result<Vec<candle_core::Var>> {
    let data =
        varmap.data().lock().map_err(|_| TrainError::Config("the genome's tensors are poisoned".into()))?;
    let mut named: Vec<(&String, &candle_core::Var)> = data.iter().collect();
    named.sort_by(|a, b| a.0.cmp(b.0));
    let names = || named.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
    for p in frozen {
        if !named.iter().any(|(n, _)| matches_pattern(p, n)) {
            return Err(TrainError::Config(format!(
                "frozen-tensor pattern {p:?} names none of the {} genome's tensors ({})",
                encoding,
                names()
            )));
        }
    }
    let free: Vec<candle_core::Var> = named
        .iter()
        .filter(|(n, _)| !frozen.iter().any(|p| matches_pattern(p, n)))
        .map(|(_, v)| (*v).clone())
        .collect();
    if free.is_empty() && !frozen.is_empty() {
        return Err(TrainError::Config(format!(
            "the frozen-tensor patterns {frozen:?} freeze every tensor of the {} genome ({}): leave at least one free",
            encoding,
            names()
        )));
    }
    Ok(free)
}

/// The best tensors of a report as a map, for [`innate_encodings::checkpoint::restore`].
pub fn tensor_map(tensors: &[(String, Tensor)]) -> HashMap<String, Tensor> {
    tensors.iter().cloned().collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use candle_core::Device;
    use innate_datasets::ImageDataset;
    use innate_encodings::MlpSpec;
    use innate_gem::Direct;

    /// Two separable classes of 1x2x2 images: bright top row vs bright bottom row (also used by
    /// the intermittent strategy's tests).
    pub(crate) fn toy(n: usize) -> DeviceDataset {
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let c = (i % 2) as u32;
            let noise = (i * 37 % 50) as u8;
            if c == 0 {
                images.extend([200 + noise, 200, noise, 0]);
            } else {
                images.extend([noise, 0, 200 + noise, 200]);
            }
            labels.push(c);
        }
        ImageDataset::new("toy", images, labels, [1, 2, 2], vec!["top".into(), "bottom".into()], vec![])
            .unwrap()
            .to_device(&Device::Cpu)
            .unwrap()
    }

    #[derive(Default)]
    struct Count {
        batches: usize,
        evals: usize,
    }

    impl Observer for Count {
        fn batch(&mut self, _: usize) {
            self.batches += 1;
        }
        fn eval(&mut self, _: &EvalPoint) {
            self.evals += 1;
        }
    }

    fn config() -> LifetimeConfig {
        LifetimeConfig {
            batch_size: 8,
            max_batches: 60,
            eval_every: 20,
            lr: 0.05,
            patience: 0,
            ..Default::default()
        }
    }

    #[test]
    fn sgd_with_momentum_learns_and_files_without_it_read_as_adam() -> Result<()> {
        let data = toy(64);
        let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
        let cfg = LifetimeConfig { optimizer: Optimizer::Sgd { momentum: 0.9 }, lr: 0.05, ..config() };
        let r = train(&g, &data, &data, &cfg, &mut ())?;
        assert!(r.best_test_accuracy > r.curve[0].test_accuracy, "{:?}", r.curve);
        let json = serde_json::to_value(&cfg).unwrap();
        assert_eq!(json["optimizer"], serde_json::json!({"kind": "sgd", "momentum": 0.9}));
        let adam = serde_json::to_value(config()).unwrap();
        assert!(adam.get("optimizer").is_none(), "Adam stays out of files: {adam}");
        let back: LifetimeConfig = serde_json::from_value(adam).unwrap();
        assert_eq!(back.optimizer, Optimizer::Adam);
        let bad = LifetimeConfig { optimizer: Optimizer::Sgd { momentum: 1.0 }, ..config() };
        assert!(bad.validate().unwrap_err().to_string().contains("momentum must be in [0, 1)"));
        Ok(())
    }

    #[test]
    fn a_step_on_the_hand_worked_gradient_is_autograds_step() -> Result<()> {
        let data = toy(32);
        let batch = data.shuffled_from(16, 0, 0).next().expect("a batch")?;
        for optimizer in [Optimizer::Adam, Optimizer::Sgd { momentum: 0.9 }] {
            let (a, b) = (
                Direct::new(MlpSpec::mlp(4, 5, 2), 3, &Device::Cpu)?,
                Direct::new(MlpSpec::mlp(4, 5, 2), 3, &Device::Cpu)?,
            );
            let mut by_hand = Running::new(a.varmap().all_vars(), optimizer, 0.05)?;
            let mut auto = Running::new(b.varmap().all_vars(), optimizer, 0.05)?;
            let ids: std::collections::HashSet<_> =
                a.varmap().all_vars().iter().map(|v| v.as_tensor().id()).collect();
            for _ in 0..5 {
                let loss = by_hand.mlp_step(&a.develop()?, &ids, &batch.images, &batch.labels)?;
                let want =
                    candle_nn::loss::cross_entropy(&b.develop()?.forward(&batch.images)?, &batch.labels)?;
                auto.backward_step(&want)?;
                assert!((loss.to_scalar::<f32>()? - want.to_scalar::<f32>()?).abs() < 1e-6);
            }
            let (x, y) = (
                innate_encodings::checkpoint::current_tensors(&a)?,
                innate_encodings::checkpoint::current_tensors(&b)?,
            );
            for ((name, p), (_, q)) in x.iter().zip(&y) {
                let d = (p - q)?.abs()?.max_all()?.to_scalar::<f32>()?;
                assert!(d < 1e-5, "{optimizer:?} {name}: {d}");
            }
            // Another genome's network is refused: its gradient would reach no variable.
            let other = Direct::new(MlpSpec::mlp(4, 5, 2), 4, &Device::Cpu)?.develop()?;
            let e = by_hand.mlp_step(&other, &ids, &batch.images, &batch.labels).unwrap_err().to_string();
            assert!(e.contains("not a variable"), "{e}");
        }
        Ok(())
    }

    #[test]
    fn a_warmup_takes_its_first_steps_at_a_fraction_of_the_rate() -> Result<()> {
        assert_eq!(warmed_lr(0.05, 0, 0), 0.05);
        assert_eq!(warmed_lr(0.05, 4, 0), 0.0125);
        assert_eq!(warmed_lr(0.05, 4, 3), 0.05);
        assert_eq!(warmed_lr(0.05, 4, 10), 0.05);
        // One plain SGD step (no momentum to carry) at lr / 10 is the first step of a warm-up
        // over 10 batches at lr.
        let data = toy(64);
        let one = |lr: f64, warmup: usize| -> Result<Vec<(String, Vec<u32>)>> {
            let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
            let cfg = LifetimeConfig {
                optimizer: Optimizer::Sgd { momentum: 0.0 },
                lr,
                warmup,
                max_batches: 1,
                eval_every: 1,
                ..config()
            };
            train(&g, &data, &data, &cfg, &mut ())?;
            Ok(values(&innate_encodings::checkpoint::current_tensors(&g)?))
        };
        let (warm, slow, plain) = (one(0.5, 10)?, one(0.05, 0)?, one(0.5, 0)?);
        assert_eq!(warm, slow);
        assert_ne!(warm, plain);
        let json = serde_json::to_value(config()).unwrap();
        assert!(json.get("warmup").is_none(), "no warm-up stays out of files: {json}");
        Ok(())
    }

    #[test]
    fn patterns_match_names_with_stars_for_any_run_of_characters() {
        for (p, n) in
            [("o", "o"), ("o*", "o1"), ("o*", "o"), ("*.mu", "neurons0.mu"), ("n*s*.mu", "neurons1.mu")]
        {
            assert!(matches_pattern(p, n), "{p} should match {n}");
        }
        for (p, n) in [("o", "o1"), ("o*", "neurons0.x"), ("*.mu", "neurons0.log_sigma"), ("a*a", "a")] {
            assert!(!matches_pattern(p, n), "{p} should not match {n}");
        }
    }

    #[test]
    fn frozen_tensors_stay_as_they_are_and_the_rest_train() -> Result<()> {
        let data = toy(64);
        let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
        let get = |g: &Direct, n: &str| -> Vec<f32> {
            g.varmap().data().lock().unwrap()[n].as_tensor().flatten_all().unwrap().to_vec1().unwrap()
        };
        let (w0, b0) = (get(&g, "layer0.weight"), get(&g, "layer0.bias"));
        let cfg = LifetimeConfig { frozen: vec!["*.weight".into()], max_batches: 20, ..config() };
        let report = Strategy::train(&cfg, &g, &Data { train: &data, test: &data, tasks: None }, &mut ())?;
        assert_eq!(get(&g, "layer0.weight"), w0);
        assert_ne!(get(&g, "layer0.bias"), b0);
        assert_eq!(report.trained_params, Some(2));

        let err = |frozen: &[&str]| {
            let cfg = LifetimeConfig { frozen: frozen.iter().map(|s| s.to_string()).collect(), ..config() };
            train(&g, &data, &data, &cfg, &mut ()).unwrap_err().to_string()
        };
        let none = err(&["o"]);
        assert!(none.contains("\"o\" names none") && none.contains("layer0.bias, layer0.weight"), "{none}");
        assert!(err(&["layer0.*"]).contains("freeze every tensor"));
        assert!(err(&[" "]).contains("pattern is empty"));
        Ok(())
    }

    #[test]
    fn stopping_on_a_test_sample_still_reports_the_whole_test_set() -> Result<()> {
        let data = toy(64);
        let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
        let cfg = LifetimeConfig { stop_sample: 5, max_batches: 40, ..config() };
        let r = train(&g, &data, &data, &cfg, &mut ())?;
        for p in &r.curve {
            let sample = p.stop_accuracy.expect("a sample accuracy at every evaluation");
            // Five images: a multiple of 1/5, unlike most whole-set accuracies of 64 images.
            assert!(((sample * 5.0) - (sample * 5.0).round()).abs() < 1e-9, "{sample}");
        }
        // Whole-set accuracies, as without sampling (same seed, same batches).
        let g2 = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
        let full = train(&g2, &data, &data, &LifetimeConfig { max_batches: 40, ..config() }, &mut ())?;
        let acc = |r: &LifetimeReport| r.curve.iter().map(|p| p.test_accuracy).collect::<Vec<_>>();
        assert_eq!(acc(&r), acc(&full));
        assert!(full.curve.iter().all(|p| p.stop_accuracy.is_none()));

        // With early stopping, the decisions follow the sample: replay the rule on the recorded
        // sample accuracies and find the same stopping point.
        let g3 = Direct::new(MlpSpec::slp(4, 2), 3, &Device::Cpu)?;
        let cfg = LifetimeConfig {
            stop_sample: 3,
            eval_every: 2,
            max_batches: 200,
            patience: 2,
            min_delta: 0.0,
            lr: 0.01,
            ..config()
        };
        let r = train(&g3, &data, &data, &cfg, &mut ())?;
        let sample: Vec<f64> = r.curve.iter().map(|p| p.stop_accuracy.unwrap()).collect();
        let (mut reference, mut stale, mut stop) = (sample[0], 0, None);
        for (i, &a) in sample.iter().enumerate().skip(1) {
            if a > reference {
                reference = a;
                stale = 0;
            } else {
                stale += 1;
            }
            if stale >= 2 {
                stop = Some(i);
                break;
            }
        }
        assert_eq!(stop.map(|i| r.curve[i].batches), r.stopped_early.then_some(r.batches), "{sample:?}");
        assert!(r.stopped_early, "three-image samples of a learned task stop early: {sample:?}");
        Ok(())
    }

    #[test]
    fn learns_a_separable_task_and_reports_a_curve() -> Result<()> {
        let data = toy(64);
        let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
        let mut obs = Count::default();
        let r = train(&g, &data, &data, &config(), &mut obs)?;
        assert_eq!(r.batches, 60);
        assert_eq!(obs.batches, 60);
        assert_eq!(obs.evals, 4);
        assert_eq!(r.curve.iter().map(|p| p.batches).collect::<Vec<_>>(), vec![0, 20, 40, 60]);
        assert_eq!(r.best_test_accuracy, 1.0);
        assert!(r.curve[0].train_loss.is_none());
        assert!(r.curve[1..].iter().all(|p| p.train_loss.is_some_and(f64::is_finite)));
        assert!(!r.stopped_early);
        // The saved best tensors reproduce the best accuracy.
        let again = Direct::new(MlpSpec::slp(4, 2), 99, &Device::Cpu)?;
        innate_encodings::checkpoint::restore(
            again.varmap(),
            &tensor_map(&r.best_tensors),
            std::path::Path::new("mem"),
        )?;
        assert_eq!(accuracy(&again.develop()?, &data, 1000)?, r.best_test_accuracy);
        Ok(())
    }

    /// A state as it comes back from a file: its numbers through JSON text.
    pub(crate) fn through_json(s: &TrainState) -> TrainState {
        let text = serde_json::to_string(&s.numbers).unwrap();
        TrainState { numbers: serde_json::from_str(&text).unwrap(), ..s.clone() }
    }

    /// A run's tensors as plain numbers, to compare bit for bit.
    pub(crate) fn values(tensors: &[(String, Tensor)]) -> Vec<(String, Vec<u32>)> {
        tensors
            .iter()
            .map(|(n, t)| {
                (
                    n.clone(),
                    t.flatten_all().unwrap().to_vec1::<f32>().unwrap().iter().map(|v| v.to_bits()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn a_resumed_run_ends_as_one_that_never_stopped() -> Result<()> {
        let data = toy(64);
        let curve = |r: &LifetimeReport| -> Vec<(usize, f64, Option<f64>, Option<f64>)> {
            r.curve.iter().map(|p| (p.batches, p.test_accuracy, p.train_loss, p.stop_accuracy)).collect()
        };
        for optimizer in [Optimizer::Adam, Optimizer::Sgd { momentum: 0.9 }] {
            let cfg = LifetimeConfig { optimizer, stop_sample: 20, max_batches: 100, ..config() };
            let genome = || Direct::new(MlpSpec::mlp(4, 3, 2), 3, &Device::Cpu);
            let g = genome()?;
            let mut states = Vec::new();
            let whole = train_resumable(
                &g,
                &data,
                &data,
                &cfg,
                &mut (),
                None,
                Some(&mut |s| {
                    states.push(through_json(s));
                    Ok(())
                }),
            )?;
            // Every evaluation but the last.
            assert_eq!(states.iter().map(|s| s.done).collect::<Vec<_>>(), vec![20, 40, 60, 80]);
            let ours = innate_encodings::checkpoint::current_tensors(&g)?;
            for state in [&states[0], &states[2]] {
                // A fresh process: the genome as built, then the state.
                let g2 = genome()?;
                let resumed = train_resumable(&g2, &data, &data, &cfg, &mut (), Some(state.clone()), None)?;
                assert_eq!(curve(&resumed), curve(&whole), "{optimizer:?} from {}", state.done);
                assert_eq!(values(&resumed.best_tensors), values(&whole.best_tensors));
                assert_eq!(values(&innate_encodings::checkpoint::current_tensors(&g2)?), values(&ours));
                assert_eq!((resumed.best_batches, resumed.batches), (whole.best_batches, whole.batches));
            }
        }
        // A state of another strategy is refused.
        let other = TrainState {
            strategy: "intermittent".into(),
            done: 1,
            tensors: vec![],
            numbers: serde_json::json!({}),
        };
        let g = Direct::new(MlpSpec::mlp(4, 3, 2), 3, &Device::Cpu)?;
        let e = train_resumable(&g, &data, &data, &config(), &mut (), Some(other), None).unwrap_err();
        assert!(e.to_string().contains("written by the intermittent strategy"), "{e}");
        Ok(())
    }

    #[test]
    fn same_seed_same_run() -> Result<()> {
        let data = toy(64);
        let run = |seed| -> Result<Vec<Option<f64>>> {
            let g = Direct::new(MlpSpec::mlp(4, 3, 2), seed, &Device::Cpu)?;
            let r = train(&g, &data, &data, &LifetimeConfig { lr: 0.01, ..config() }, &mut ())?;
            Ok(r.curve.iter().map(|p| p.train_loss).collect())
        };
        let a = run(1)?;
        assert_eq!(a[1..], run(1)?[1..]);
        assert_ne!(a[1..], run(2)?[1..]);
        Ok(())
    }

    #[test]
    fn epochs_count_passes_over_the_training_set() -> Result<()> {
        // 64 images in batches of 10: epochs of 7 batches, the last one of 4 images.
        let data = toy(64);
        let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
        let cfg = LifetimeConfig { batch_size: 10, epochs: 3, ..config() };
        assert_eq!(cfg.batches_per_epoch(64), 7);
        assert_eq!(cfg.progress(64), Progress { total: 21, unit: "batches" });
        let r = train(&g, &data, &data, &cfg, &mut ())?;
        assert_eq!(r.batches, 21);
        assert_eq!(r.curve.iter().map(|p| p.batches).collect::<Vec<_>>(), vec![0, 7, 14, 21]);
        // Without epochs the batch counts rule, as before.
        assert_eq!(
            LifetimeConfig { epochs: 0, ..cfg.clone() }.in_batches(64),
            LifetimeConfig { epochs: 0, ..cfg }
        );
        Ok(())
    }

    #[test]
    fn early_stopping_after_patience_evaluations() -> Result<()> {
        let data = toy(64);
        let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
        // Evaluating every batch with an impossible improvement threshold stops after 2 evals.
        let cfg = LifetimeConfig { eval_every: 1, patience: 2, min_delta: 2.0, ..config() };
        let r = train(&g, &data, &data, &cfg, &mut ())?;
        assert!(r.stopped_early);
        assert_eq!(r.batches, 2);
        Ok(())
    }

    #[test]
    fn bad_settings_are_rejected() {
        let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu).unwrap();
        let data = toy(4);
        for cfg in [
            LifetimeConfig { batch_size: 0, ..config() },
            LifetimeConfig { lr: -1.0, ..config() },
            LifetimeConfig { eval_every: 0, ..config() },
            LifetimeConfig { max_batches: 0, ..config() },
        ] {
            assert!(matches!(train(&g, &data, &data, &cfg, &mut ()), Err(TrainError::Config(_))));
        }
    }

    #[test]
    fn divergence_is_reported() {
        let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu).unwrap();
        let data = toy(16);
        let cfg = LifetimeConfig { lr: 1e300, ..config() };
        let e = train(&g, &data, &data, &cfg, &mut ()).unwrap_err();
        assert!(matches!(e, TrainError::Diverged { batches: 20, .. }), "{e}");
        assert!(e.to_string().contains("over batches 1-20"), "{e}");
        assert!(e.to_string().contains("Lower the learning rate"));
    }
}
