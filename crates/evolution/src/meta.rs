//! Meta-learning: first-order MAML with learned inner-loop rates, over any genome.
//!
//! The developmental-priors paper's Fig. 3 ("Developmental priming of learning"): the genome
//! develops one network, the *initial* wiring every few-shot task starts from; an inner loop
//! adapts that network's developed weights and biases to each task by a few steps of SGD; the
//! outer loop updates the genome (and the inner rates) so that the adapted networks classify the
//! tasks' query images well.
//!
//! Per meta-batch of `T` tasks, with `θ = develop(genome)` (developed **once**, shared by all
//! tasks) and, for each named phenotype tensor `i` and inner step `s`, a learned rate `α[s, i]`:
//!
//! ```text
//! θ⁰ = θ                                   (detached: the inner loop is first-order)
//! gˢ = ∇ CE(net(θˢ), support)              θˢ⁺¹ = θˢ − α[s] · gˢ        s = 0 .. steps-1
//! θ' = θ − Σₛ α[s] · gˢ                    (gˢ constants; θ and α carry gradients)
//! meta-loss = (1/T) Σ_tasks CE(net(θ'), query)
//! ```
//!
//! so `∂meta-loss/∂θ = (1/T) Σ_t ∂L_t/∂θ'_t` (carried back through development into the genome
//! in one backward pass) and `∂meta-loss/∂α[s, i] = −(1/T) Σ_t ⟨gˢ_{t,i}, ∂L_t/∂θ'_{t,i}⟩`; Adam
//! updates both. This is the reference code's choice (first-order, one rate per named tensor and
//! step, as MAML++'s "LSLR" and the paper's "a unique learning rate for each named parameter").
//!
//! **Second order.** Full MAML differentiates through the inner steps: `∂θ'/∂θ = Πₛ (I − α[s]
//! Hₛ)` with `Hₛ` the support loss's Hessian. That needs the inner gradients `gˢ` built as a
//! differentiable graph (a double backward), which Candle does not support (candle issue #2462):
//! its backward pass returns gradients that are not themselves tracked. A second-order version
//! would need Hessian-vector products through Candle's ops, written by hand per phenotype.
//!
//! The held-out test draws `eval_batches × eval_tasks` tasks from the held-out characters once
//! per run (the same tasks at every evaluation, so the curve's changes are the genome's) and
//! reports their mean query accuracy after adaptation, with a 95% interval (1.96 standard errors
//! over tasks).
//!
//! ```
//! use innate_evolution::meta::MetaConfig;
//! let paper = MetaConfig::default();
//! assert_eq!((paper.ways, paper.shots, paper.queries, paper.inner_steps), (5, 1, 10, 2));
//! assert_eq!((paper.meta_batch, paper.max_meta_batches, paper.eval_every), (32, 50_000, 250));
//! assert!(MetaConfig { shots: 0, ..paper }.validate().is_err());
//! ```

use std::time::Instant;

use candle_core::{DType, Device, Module, Tensor, Var};
use innate_datasets::{ClassSplit, Task, TaskSampler, TaskSpec};
use innate_encodings::{Genome, Parameters};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::adam::{Adam, AdamConfig};
use crate::error::{Result, TrainError};
use crate::observer::Observer;
use crate::report::{EvalPoint, Report};
use crate::strategy::{Data, Progress, Strategy};

/// Name of the learned inner rates in a genome file (with the strategy prefix:
/// `strategy.inner_lr`), a `(inner_steps, tensors)` matrix.
pub const INNER_LR: &str = "inner_lr";

/// Settings of first-order meta-learning. The defaults are the paper's protocol (Methods,
/// "Meta-learning on omniglot").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaConfig {
    /// Classes per task (5).
    pub ways: usize,
    /// Support images per class (1).
    pub shots: usize,
    /// Query images per class (10).
    pub queries: usize,
    /// Rotations by 90 degrees count as new classes (true).
    pub rotations: bool,
    /// Inner SGD steps per task (2).
    pub inner_steps: usize,
    /// Initial value of every learned inner rate (0.4, MAML's Omniglot step size).
    pub inner_lr: f64,
    /// Whether the outer loop learns the inner rates (true).
    pub learn_inner_lr: bool,
    /// Tasks per meta-batch (32).
    pub meta_batch: usize,
    /// Most meta-batches (50,000).
    pub max_meta_batches: usize,
    /// Meta-batches between held-out tests (250).
    pub eval_every: usize,
    /// Held-out batches per test (10) ...
    pub eval_batches: usize,
    /// ... of this many tasks each (64).
    pub eval_tasks: usize,
    /// Adam's learning rate in the outer loop (0.001).
    pub lr: f64,
    /// Seed of the tasks drawn.
    pub seed: u64,
    /// Seed of the split of characters into meta-training and held-out ones (1).
    pub split_seed: u64,
    /// Keep the genome every this many meta-batches (and at the start), for analyses of how the
    /// developed network changes over training; a multiple of `eval_every`, 0 (the default) for
    /// none. The strategy only passes the state to its checkpoint callback after every test;
    /// the run writes the snapshots (`innate-run`: `RUN/snapshots/`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub snapshot_every: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Default for MetaConfig {
    fn default() -> Self {
        Self {
            ways: 5,
            shots: 1,
            queries: 10,
            rotations: true,
            inner_steps: 2,
            inner_lr: 0.4,
            learn_inner_lr: true,
            meta_batch: 32,
            max_meta_batches: 50_000,
            eval_every: 250,
            eval_batches: 10,
            eval_tasks: 64,
            lr: 1e-3,
            seed: 0,
            split_seed: 1,
            snapshot_every: 0,
        }
    }
}

impl MetaConfig {
    /// Checks the settings make sense.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(TrainError::Config(m));
        for (flag, v) in [
            ("--ways", self.ways),
            ("--shots", self.shots),
            ("--queries", self.queries),
            ("--inner-steps", self.inner_steps),
            ("--meta-batch", self.meta_batch),
            ("--meta-batches", self.max_meta_batches),
            ("--eval-every", self.eval_every),
            ("--eval-batches", self.eval_batches),
            ("--eval-tasks", self.eval_tasks),
        ] {
            if v == 0 {
                return bad(format!("{flag} must be at least 1"));
            }
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("--lr must be a positive number, got {}", self.lr));
        }
        if !self.inner_lr.is_finite() {
            return bad(format!("--inner-lr must be a number, got {}", self.inner_lr));
        }
        if !self.snapshot_every.is_multiple_of(self.eval_every) {
            return bad(format!(
                "--snapshot-every {} must be a multiple of --eval-every {} (the genome is kept at tests)",
                self.snapshot_every, self.eval_every
            ));
        }
        Ok(())
    }

    /// The shape of the tasks drawn.
    pub fn spec(&self) -> TaskSpec {
        TaskSpec { n_way: self.ways, k_shot: self.shots, q_query: self.queries, rotations: self.rotations }
    }

    /// The held-out tasks a run tests on: `eval_batches × eval_tasks` tasks from the held-out
    /// characters, drawn from the run's seed (without rotations: held-out classes are the
    /// characters themselves).
    pub fn eval_set(&self, sampler: &TaskSampler<'_>) -> Result<Vec<Task>> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x7e57_7a5c);
        let spec = TaskSpec { rotations: false, ..self.spec() };
        (0..self.eval_batches * self.eval_tasks)
            .map(|_| Ok(sampler.sample(ClassSplit::Test, spec, &mut rng)?))
            .collect()
    }

    /// The tasks of meta-batch `index` (from 0): drawn from their own stream of the run's seed,
    /// so that a resumed run draws the same tasks as an uninterrupted one.
    pub fn meta_batch_tasks(&self, sampler: &TaskSampler<'_>, index: usize) -> Result<Vec<Task>> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(index as u64);
        (0..self.meta_batch).map(|_| Ok(sampler.sample(ClassSplit::Train, self.spec(), &mut rng)?)).collect()
    }
}

impl Strategy for MetaConfig {
    fn name(&self) -> &'static str {
        "meta"
    }

    fn validate(&self) -> Result<()> {
        MetaConfig::validate(self)
    }

    fn progress(&self, _train_images: usize) -> Progress {
        Progress { total: self.max_meta_batches, unit: "meta-batches" }
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
        let tasks = data.tasks.ok_or_else(|| {
            TrainError::Config(
                "meta-learning draws few-shot tasks, and this run's data has none: use a few-shot dataset \
                 (omniglot) with `innate meta`"
                    .into(),
            )
        })?;
        train(genome, tasks, self, observer)
    }
}

/// One task's images as tensors on `device`: support `(x, y)` and query `(x, y)`.
struct TaskTensors {
    support: (Tensor, Tensor),
    query: (Tensor, Tensor),
}

fn task_tensors(task: &Task, device: &Device) -> Result<TaskTensors> {
    Ok(TaskTensors { support: task.support_tensors(device)?, query: task.query_tensors(device)? })
}

/// The inner loop: `rates.len()` SGD steps from `start` on the support set. Returns the adapted
/// tensors and, per step, the gradients (all detached).
fn adapt<P: Parameters + Module>(
    net: &P,
    start: &[Tensor],
    rates: &[Vec<f32>],
    (x, y): &(Tensor, Tensor),
) -> Result<(Vec<Tensor>, Vec<Vec<Tensor>>)> {
    let mut theta = start.to_vec();
    let mut steps = Vec::with_capacity(rates.len());
    for step_rates in rates {
        let vars = theta.iter().map(Var::from_tensor).collect::<candle_core::Result<Vec<_>>>()?;
        let phenotype = net.with_parameters(vars.iter().map(|v| v.as_tensor().clone()).collect())?;
        let loss = candle_nn::loss::cross_entropy(&phenotype.forward(x)?, y)?;
        let grads = loss.backward()?;
        let g = vars
            .iter()
            .map(|v| match grads.get(v.as_tensor()) {
                Some(g) => Ok(g.detach()),
                None => v.as_tensor().zeros_like(),
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        theta = theta
            .iter()
            .zip(&g)
            .zip(step_rates)
            .map(|((t, g), &r)| t - (g * r as f64)?)
            .collect::<candle_core::Result<Vec<_>>>()?;
        steps.push(g);
    }
    Ok((theta, steps))
}

/// Query accuracy of each task after adapting `net` to its support set with `rates`. An MLP
/// adapts to 64 tasks at a time in the batched low-rank form ([`batched`]); other networks task
/// by task.
pub fn task_accuracies<P: Parameters + Module>(
    net: &P,
    rates: &[Vec<f32>],
    tasks: &[Task],
    device: &Device,
) -> Result<Vec<f64>> {
    if let Some(mlp) = net.mlp() {
        let mut out = Vec::with_capacity(tasks.len());
        for chunk in tasks.chunks(64) {
            out.extend(batched::accuracies(mlp, rates, chunk, device)?);
        }
        return Ok(out);
    }
    let start: Vec<Tensor> = net.parameters().into_iter().map(|(_, t)| t.detach()).collect();
    tasks
        .iter()
        .map(|task| {
            let t = task_tensors(task, device)?;
            let (adapted, _) = adapt(net, &start, rates, &t.support)?;
            let logits = net.with_parameters(adapted)?.forward(&t.query.0)?;
            let hits = logits.argmax(1)?.eq(&t.query.1)?.to_dtype(DType::F32)?.mean_all()?;
            Ok(hits.to_scalar::<f32>()? as f64)
        })
        .collect()
}

/// Mean and the half-width of its 95% interval (1.96 standard errors).
pub fn mean_ci95(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, 1.96 * (var / n).sqrt())
}

/// The rates as nested vectors, `[step][tensor]`.
fn rates_of(rates: &Tensor) -> Result<Vec<Vec<f32>>> {
    Ok(rates.to_dtype(DType::F32)?.to_vec2::<f32>()?)
}

/// Initial inner rates for a phenotype with `tensors` named tensors: every one `config.inner_lr`.
pub fn initial_rates(config: &MetaConfig, tensors: usize, device: &Device) -> Result<Tensor> {
    Ok(Tensor::full(config.inner_lr as f32, (config.inner_steps, tensors), device)?)
}

/// Where a meta-training run stands after a test: everything it needs to go on exactly as if it
/// had not stopped (on the CPU: the same genome and curve as a run that never stopped).
#[derive(Debug, Clone)]
pub struct MetaState {
    /// Meta-batches done.
    pub done: usize,
    /// The genome's tensors now (learned and fixed) and the inner rates (`strategy.inner_lr`).
    pub tensors: Vec<(String, Tensor)>,
    /// Adam's steps and moments ([`Adam::state`]).
    pub adam: (i32, Vec<Tensor>),
    /// The best held-out accuracy so far and the meta-batches done when it was measured.
    pub best: (f64, usize),
    /// The tensors at the best test (what the genome file holds).
    pub best_tensors: Vec<(String, Tensor)>,
    /// The tests so far.
    pub curve: Vec<EvalPoint>,
    /// Seconds of meta-training steps so far.
    pub train_seconds: f64,
}

/// The state after `done` meta-batches, for the checkpoint callback.
fn state_now(
    done: usize,
    tensors: Vec<(String, Tensor)>,
    opt: &Adam,
    best: &(f64, usize, Vec<(String, Tensor)>),
    curve: &[EvalPoint],
    train_seconds: f64,
) -> Result<MetaState> {
    Ok(MetaState {
        done,
        tensors,
        adam: opt.state()?,
        best: (best.0, best.1),
        best_tensors: best.2.clone(),
        curve: curve.to_vec(),
        train_seconds,
    })
}

/// Meta-trains `genome` on tasks from `sampler`, as the module docs describe.
pub fn train<G: Genome + ?Sized>(
    genome: &G,
    sampler: &TaskSampler<'_>,
    config: &MetaConfig,
    observer: &mut dyn Observer,
) -> Result<Report> {
    train_resumable(genome, sampler, config, observer, None, &mut |_| Ok(()))
}

/// [`train`], starting from `resume` when given (a state an earlier run of the same
/// configuration passed to its `checkpoint`), and passing the state to `checkpoint` after every
/// test (the first, before any meta-batch, included), for the caller to keep.
pub fn train_resumable<G: Genome + ?Sized>(
    genome: &G,
    sampler: &TaskSampler<'_>,
    config: &MetaConfig,
    observer: &mut dyn Observer,
    resume: Option<MetaState>,
    checkpoint: &mut dyn FnMut(&MetaState) -> Result<()>,
) -> Result<Report> {
    config.validate()?;
    let net = genome.develop()?;
    let names: Vec<String> = net.parameters().into_iter().map(|(n, _)| n).collect();
    let device = net.parameters().first().map(|(_, t)| t.device().clone()).unwrap_or(Device::Cpu);
    let rates = Var::from_tensor(&initial_rates(config, names.len(), &device)?)?;
    // In the order of their names, so that a checkpoint's moments go back to the same variables.
    let mut named: Vec<(String, Var)> = genome
        .varmap()
        .data()
        .lock()
        .map_err(|_| TrainError::Config("the genome's variable map is poisoned".into()))?
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let mut vars: Vec<Var> = named.into_iter().map(|(_, v)| v).collect();
    if config.learn_inner_lr {
        vars.push(rates.clone());
    }
    let mut opt = Adam::new(vars, AdamConfig { lr: config.lr, ..AdamConfig::default() })?;
    let eval_set = config.eval_set(sampler)?;
    let start = Instant::now();
    let rates_name = format!("{}{INNER_LR}", innate_encodings::checkpoint::STRATEGY_PREFIX);

    let snapshot = |rates: &Var| -> Result<Vec<(String, Tensor)>> {
        let mut t = innate_encodings::checkpoint::current_tensors(genome)?;
        t.push((rates_name.clone(), rates.as_tensor().copy()?));
        Ok(t)
    };
    let evaluate = |done: usize, loss: Option<f64>, rates: &Var, offset: f64| -> Result<EvalPoint> {
        let net = genome.develop()?;
        let accs = task_accuracies(&net, &rates_of(rates.as_tensor())?, &eval_set, &device)?;
        let (mean, ci) = mean_ci95(&accs);
        Ok(EvalPoint {
            batches: done,
            test_accuracy: mean,
            train_loss: loss,
            stop_accuracy: None,
            test_ci95: Some(ci),
            seconds: offset + start.elapsed().as_secs_f64(),
        })
    };

    let (first_index, mut best, mut curve, mut train_seconds, offset);
    match resume {
        Some(state) => {
            let map: std::collections::HashMap<String, Tensor> = state.tensors.iter().cloned().collect();
            innate_encodings::checkpoint::restore(
                genome.varmap(),
                &map,
                std::path::Path::new("the checkpoint"),
            )?;
            let r = map.get(&rates_name).ok_or_else(|| {
                TrainError::Config("the checkpoint has no inner rates (strategy.inner_lr)".into())
            })?;
            rates.set(&r.to_device(&device)?)?;
            opt.restore(state.adam.0, &state.adam.1)?;
            first_index = state.done;
            best = (state.best.0, state.best.1, state.best_tensors);
            offset = state.curve.last().map_or(0.0, |p| p.seconds);
            curve = state.curve;
            train_seconds = state.train_seconds;
            observer.batch(first_index);
        }
        None => {
            let first = evaluate(0, None, &rates, 0.0)?;
            observer.eval(&first);
            let now = snapshot(&rates)?;
            best = (first.test_accuracy, 0usize, now.clone());
            curve = vec![first];
            (first_index, train_seconds, offset) = (0, 0.0, 0.0);
            checkpoint(&state_now(0, now, &opt, &best, &curve, train_seconds)?)?;
        }
    }
    let (mut loss_sum, mut since) = (0.0, 0usize);
    for index in first_index..config.max_meta_batches {
        let t0 = Instant::now();
        let tasks = config.meta_batch_tasks(sampler, index)?;
        loss_sum += meta_step(genome, &tasks, &rates, &mut opt, &device)?;
        since += 1;
        train_seconds += t0.elapsed().as_secs_f64();
        let done = index + 1;
        observer.batch(done);
        if done.is_multiple_of(config.eval_every) || done == config.max_meta_batches {
            let mean_loss = loss_sum / since as f64;
            (loss_sum, since) = (0.0, 0);
            if !mean_loss.is_finite() {
                return Err(TrainError::Diverged {
                    batches: done,
                    at: format!("in the meta-batches since the last test, up to meta-batch {done}"),
                    lr: config.lr,
                });
            }
            let point = evaluate(done, Some(mean_loss), &rates, offset)?;
            observer.eval(&point);
            // One copy of the tensors serves the best snapshot and the checkpoint.
            let now = snapshot(&rates)?;
            if point.test_accuracy > best.0 {
                best = (point.test_accuracy, done, now.clone());
            }
            curve.push(point);
            checkpoint(&state_now(done, now, &opt, &best, &curve, train_seconds)?)?;
        }
    }
    let batches = first_index.max(config.max_meta_batches);
    Ok(Report {
        best_test_accuracy: best.0,
        final_test_accuracy: curve.last().map_or(0.0, |p| p.test_accuracy),
        best_batches: best.1,
        batches,
        stopped_early: false,
        seconds: offset + start.elapsed().as_secs_f64(),
        train_seconds,
        seconds_per_1000_batches: 1000.0 * train_seconds / batches.max(1) as f64,
        curve,
        best_tensors: best.2,
        ..Report::default()
    })
}

/// One outer step on `tasks`: develops once, adapts to every task, updates the genome and the
/// rates. Returns the mean query loss. An MLP takes the batched path ([`batched`]), any other
/// network the task-by-task one.
fn meta_step<G: Genome + ?Sized>(
    genome: &G,
    tasks: &[Task],
    rates: &Var,
    opt: &mut Adam,
    device: &Device,
) -> Result<f64> {
    let net = genome.develop()?;
    if let Some(mlp) = net.mlp() {
        let (surrogate, loss) = batched::meta_gradient(mlp, rates, tasks, device)?;
        opt.backward_step(&surrogate)?;
        return Ok(loss);
    }
    let (surrogate, loss) = task_by_task_objective(&net, tasks, rates, device)?;
    opt.backward_step(&surrogate)?;
    Ok(loss)
}

/// [`meta_step`]'s objective for any phenotype: each task adapted with Candle's backward pass on
/// copies of the developed tensors, the meta-gradient summed over tasks. Returns a surrogate
/// whose gradient (in the genome, through development, and in the rates) is the first-order
/// meta-gradient, and the mean query loss.
fn task_by_task_objective<P: Parameters + Module>(
    net: &P,
    tasks: &[Task],
    rates: &Var,
    device: &Device,
) -> Result<(Tensor, f64)> {
    let params: Vec<Tensor> = net.parameters().into_iter().map(|(_, t)| t).collect();
    let start: Vec<Tensor> = params.iter().map(Tensor::detach).collect();
    let now = rates_of(rates.as_tensor())?;
    let scale = 1.0 / tasks.len() as f64;
    let mut theta_grad: Vec<Option<Tensor>> = vec![None; params.len()];
    // −Σ_t ⟨gˢ, ∂L/∂θ'⟩ per (step, tensor), as scalars on the device.
    let mut rate_grad: Vec<Vec<Option<Tensor>>> = vec![vec![None; params.len()]; now.len()];
    let mut loss_sum = 0.0;
    let add = |acc: &mut Option<Tensor>, t: Tensor| -> candle_core::Result<()> {
        *acc = Some(match acc.take() {
            Some(a) => (a + t)?,
            None => t,
        });
        Ok(())
    };
    for task in tasks {
        let t = task_tensors(task, device)?;
        let (adapted, steps) = adapt(net, &start, &now, &t.support)?;
        let vars = adapted.iter().map(Var::from_tensor).collect::<candle_core::Result<Vec<_>>>()?;
        let phenotype = net.with_parameters(vars.iter().map(|v| v.as_tensor().clone()).collect())?;
        let loss = (candle_nn::loss::cross_entropy(&phenotype.forward(&t.query.0)?, &t.query.1)? * scale)?;
        let grads = loss.backward()?;
        loss_sum += loss.to_scalar::<f32>()? as f64;
        for (i, v) in vars.iter().enumerate() {
            let Some(dq) = grads.get(v.as_tensor()) else { continue };
            for (s, g) in steps.iter().enumerate() {
                add(&mut rate_grad[s][i], (&g[i] * dq)?.sum_all()?.neg()?)?;
            }
            add(&mut theta_grad[i], dq.detach())?;
        }
    }
    // A surrogate whose gradient is the first-order meta-gradient: Σ θ·G + Σ α·C.
    let mut surrogate = Tensor::zeros((), DType::F32, device)?;
    for (p, g) in params.iter().zip(&theta_grad) {
        if let Some(g) = g {
            surrogate = (surrogate + (p * g)?.sum_all()?)?;
        }
    }
    let c = rate_grad
        .iter()
        .map(|row| {
            let row = row
                .iter()
                .map(|c| match c {
                    Some(c) => Ok(c.clone()),
                    None => Tensor::zeros((), DType::F32, device),
                })
                .collect::<candle_core::Result<Vec<_>>>()?;
            Tensor::stack(&row, 0)
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    let c = Tensor::stack(&c, 0)?;
    surrogate = (surrogate + (rates.as_tensor() * c)?.sum_all()?)?;
    Ok((surrogate, loss_sum))
}

pub mod batched {
    //! The inner loop of an MLP, batched over tasks, in low-rank form, with the query loss's
    //! backward pass written out.
    //!
    //! A step of SGD on a task changes layer `l`'s weights by `−α gˢ` with `gˢ = δˢᵀ hˢ` (the
    //! backpropagated errors `δˢ` at the layer's outputs and its inputs `hˢ`, one row per support
    //! image), and its bias by `−α Σ δˢ`. So the adapted layer applied to inputs `a` is
    //!
    //! ```text
    //! z = a Wᵀ + b − (a Hᵀ) D − Σₛ α_b[s] Σ_rows δˢ,     H = [h⁰; h¹; …],  D = [α[0] δ⁰; α[1] δ¹; …]
    //! ```
    //!
    //! where `W, b` are the developed tensors, shared by all tasks (one product for all tasks'
    //! images), and the correction is a batched product of `(T, n, steps · n_support)` matrices:
    //! no task's weights are ever formed. Its backward pass, given `δ = ∂L/∂z`, is
    //!
    //! ```text
    //! ∂L/∂W = Σ_tasks δᵀ a      ∂L/∂b = Σ δ      ∂L/∂a = δ W − (δ Dᵀ) H
    //! ∂L/∂α[s] = −Σ_tasks ⟨(a Hᵀ)ᵀ δ, δˢ⟩ over step s's rows      ∂L/∂α_b[s] = −Σ_tasks ⟨Σ δ, Σ δˢ⟩
    //! ```
    //!
    //! The inner steps use it on the support sets (their `∂L/∂a`), the meta-gradient on the query
    //! sets, with `H, D` constants as first-order MAML has them. The gradients of the developed
    //! tensors and the rates then go back into the genome through one surrogate `Σ ⟨W, ∂L/∂W⟩ +
    //! ⟨b, ∂L/∂b⟩ + ⟨α, ∂L/∂α⟩`, whose backward pass only runs through development. Written out,
    //! the query pass skips what Candle's generic backward would do besides (the gradient of the
    //! images, a zero tensor and a sum for every input of every operation).

    use candle_core::{D, DType, Device, Tensor, Var};
    use innate_datasets::Task;
    use innate_encodings::Mlp;

    use crate::error::Result;

    /// What one inner step recorded for one layer: its inputs `h` `(T, n, in)` and the errors
    /// at its outputs `δ` `(T, n, out)`.
    struct Step {
        h: Tensor,
        d: Tensor,
    }

    /// A layer's correction after its inner steps so far, at given rates: `H` `(T, S·n, in)`,
    /// the errors `(T, S·n, out)` unscaled and scaled by their steps' weight rates (`D`), and the
    /// bias correction `(T, 1, out)`.
    struct Correction {
        h: Tensor,
        d: Tensor,
        scaled: Tensor,
        bias: Option<Tensor>,
    }

    /// Index of a layer's weight and bias among the MLP's tensors (the order of `parameters()`).
    fn indices(mlp: &Mlp) -> Vec<(usize, Option<usize>)> {
        let mut k = 0;
        mlp.layers
            .iter()
            .map(|l| {
                let w = k;
                k += 1;
                let b = l.bias.as_ref().map(|_| {
                    k += 1;
                    k - 1
                });
                (w, b)
            })
            .collect()
    }

    /// Every layer's correction after `steps` (per layer, per step) at `rates` (`[step][tensor]`).
    fn corrections(
        steps: &[Vec<Step>],
        rates: &[Vec<f32>],
        idx: &[(usize, Option<usize>)],
    ) -> Result<Vec<Option<Correction>>> {
        steps
            .iter()
            .zip(idx)
            .map(|(steps, &(wk, bk))| {
                if steps.is_empty() {
                    return Ok(None);
                }
                let h = Tensor::cat(&steps.iter().map(|s| &s.h).collect::<Vec<_>>(), 1)?;
                let d = Tensor::cat(&steps.iter().map(|s| &s.d).collect::<Vec<_>>(), 1)?;
                let scaled = steps
                    .iter()
                    .enumerate()
                    .map(|(s, st)| st.d.affine(rates[s][wk] as f64, 0.0))
                    .collect::<candle_core::Result<Vec<_>>>()?;
                let scaled = Tensor::cat(&scaled, 1)?;
                let bias = match bk {
                    Some(bk) => {
                        let mut sum: Option<Tensor> = None;
                        for (s, st) in steps.iter().enumerate() {
                            let c = st.d.sum_keepdim(1)?.affine(rates[s][bk] as f64, 0.0)?;
                            sum = Some(match sum {
                                Some(a) => (a + c)?,
                                None => c,
                            });
                        }
                        sum
                    }
                    None => None,
                };
                Ok(Some(Correction { h: h.contiguous()?, d, scaled, bias }))
            })
            .collect()
    }

    /// The adapted MLP applied to `x` `(T, n, in)`: each layer's inputs, pre-activations and
    /// (where it has a correction) the projection `a Hᵀ`.
    struct Pass {
        inputs: Vec<Tensor>,
        outputs: Vec<Tensor>,
        projections: Vec<Option<Tensor>>,
    }

    fn forward(mlp: &Mlp, x: &Tensor, corr: &[Option<Correction>]) -> Result<Pass> {
        let last = mlp.layers.len() - 1;
        let mut pass = Pass { inputs: Vec::new(), outputs: Vec::new(), projections: Vec::new() };
        let mut a = x.clone();
        for (l, (dense, c)) in mlp.layers.iter().zip(corr).enumerate() {
            let (t, n, i) = a.dims3()?;
            let w = dense.weight.detach();
            let out = w.dim(0)?;
            let mut z = a.reshape((t * n, i))?.matmul(&w.t()?)?.reshape((t, n, out))?;
            let bias = dense.bias.as_ref().map(Tensor::detach);
            let mut projection = None;
            // The shared bias less each task's correction, `(T, 1, out)` or `(out)`: one pass
            // over the activations.
            let bias = match (bias, c.as_ref().and_then(|c| c.bias.as_ref())) {
                (Some(b), Some(bc)) => Some(b.broadcast_sub(bc)?),
                (b, _) => b,
            };
            if let Some(b) = bias {
                z = z.broadcast_add(&b)?;
            }
            if let Some(c) = c {
                let p = a.matmul(&c.h.transpose(1, 2)?)?;
                z = (z - p.matmul(&c.scaled)?)?;
                projection = Some(p);
            }
            pass.inputs.push(a);
            a = if l < last { z.relu()? } else { z.clone() };
            pass.outputs.push(z);
            pass.projections.push(projection);
        }
        Ok(pass)
    }

    /// `∂L/∂a = δ W − (δ Dᵀ) H` for a layer's inputs, through its adapted weights, and then
    /// through the ReLU of the layer below (`below`, its pre-activations).
    fn back(w: &Tensor, d: &Tensor, c: Option<&Correction>, below: &Tensor) -> Result<Tensor> {
        let (t, n, out) = d.dims3()?;
        let inp = w.dim(1)?;
        let mut dh = d.reshape((t * n, out))?.matmul(&w.detach())?.reshape((t, n, inp))?;
        if let Some(c) = c {
            dh = (dh - d.matmul(&c.scaled.transpose(1, 2)?.contiguous()?)?.matmul(&c.h)?)?;
        }
        Ok((dh * below.gt(0f32)?.to_dtype(DType::F32)?)?)
    }

    /// `(T, n, in)` images in `[0, 1]`, `(T, n, classes)` one-hot labels and the `(T·n)` labels
    /// of each task's support (or query) set.
    fn stack(
        tasks: &[Task],
        query: bool,
        classes: usize,
        device: &Device,
    ) -> Result<(Tensor, Tensor, Vec<u32>)> {
        let first = &tasks[0];
        let n = if query { first.query_labels.len() } else { first.support_labels.len() };
        let px = first.size * first.size;
        let mut images = Vec::with_capacity(tasks.len() * n * px);
        let mut labels = Vec::with_capacity(tasks.len() * n);
        for t in tasks {
            let (im, lb) = if query { (&t.query, &t.query_labels) } else { (&t.support, &t.support_labels) };
            images.extend_from_slice(im);
            labels.extend_from_slice(lb);
        }
        let x = Tensor::from_vec(images, (tasks.len(), n, px), device)?
            .to_dtype(DType::F32)?
            .affine(1.0 / 255.0, 0.0)?;
        let mut onehot = vec![0f32; labels.len() * classes];
        for (r, &y) in labels.iter().enumerate() {
            onehot[r * classes + y as usize] = 1.0;
        }
        let onehot = Tensor::from_vec(onehot, (tasks.len(), n, classes), device)?;
        Ok((x, onehot, labels))
    }

    fn classes(mlp: &Mlp) -> usize {
        mlp.layers.last().map_or(0, |l| l.weight.dims()[0])
    }

    /// `∂ mean CE / ∂ logits` over all `T·n` rows of `(T, n, classes)` logits.
    fn loss_gradient(logits: &Tensor, onehot: &Tensor) -> Result<Tensor> {
        let (t, n, _) = logits.dims3()?;
        Ok(((candle_nn::ops::softmax(logits, D::Minus1)? - onehot)? / (t * n) as f64)?)
    }

    /// The inner loop on every task's support set at once: per layer, what each step recorded.
    fn adapt(mlp: &Mlp, rates: &[Vec<f32>], tasks: &[Task], device: &Device) -> Result<Vec<Vec<Step>>> {
        let (x, onehot, _) = stack(tasks, false, classes(mlp), device)?;
        let (t, _, _) = x.dims3()?;
        let idx = indices(mlp);
        let mut steps: Vec<Vec<Step>> = (0..mlp.layers.len()).map(|_| Vec::new()).collect();
        for _ in 0..rates.len() {
            let corr = corrections(&steps, rates, &idx)?;
            let pass = forward(mlp, &x, &corr)?;
            // Each task's mean over its own support images: the mean over all rows, times T.
            let mut d =
                (loss_gradient(pass.outputs.last().expect("an MLP has layers"), &onehot)? * t as f64)?;
            let mut new = Vec::with_capacity(mlp.layers.len());
            for l in (0..mlp.layers.len()).rev() {
                new.push(Step { h: pass.inputs[l].clone(), d: d.clone() });
                if l > 0 {
                    d = back(&mlp.layers[l].weight, &d, corr[l].as_ref(), &pass.outputs[l - 1])?;
                }
            }
            new.reverse();
            for (l, st) in new.into_iter().enumerate() {
                steps[l].push(st);
            }
        }
        Ok(steps)
    }

    /// The first-order meta-gradient of the mean query loss over `tasks` after adaptation: a
    /// surrogate whose backward pass gives it in the developed tensors (and through development
    /// in the genome) and in the rates, and the mean query loss itself.
    pub fn meta_gradient(mlp: &Mlp, rates: &Var, tasks: &[Task], device: &Device) -> Result<(Tensor, f64)> {
        let now = super::rates_of(rates.as_tensor())?;
        let idx = indices(mlp);
        let steps = adapt(mlp, &now, tasks, device)?;
        let corr = corrections(&steps, &now, &idx)?;
        let (x, onehot, labels) = stack(tasks, true, classes(mlp), device)?;
        let (t, n, _) = x.dims3()?;
        let pass = forward(mlp, &x, &corr)?;
        let logits = pass.outputs.last().expect("an MLP has layers");
        let y = Tensor::from_vec(labels, t * n, device)?;
        let loss = candle_nn::loss::cross_entropy(&logits.reshape((t * n, classes(mlp)))?, &y)?;
        let loss = loss.to_scalar::<f32>()? as f64;

        let s = now.len();
        let tensors = idx.last().map_or(0, |&(w, b)| b.unwrap_or(w) + 1);
        let mut rate_grad: Vec<Option<Tensor>> = vec![None; tensors];
        let mut surrogate = Tensor::zeros((), DType::F32, device)?;
        let mut d = loss_gradient(logits, &onehot)?;
        for l in (0..mlp.layers.len()).rev() {
            let dense = &mlp.layers[l];
            let a = &pass.inputs[l];
            let (inp, out) = (a.dim(2)?, d.dim(2)?);
            let flat = d.reshape((t * n, out))?;
            let gw = flat.t()?.matmul(&a.reshape((t * n, inp))?)?;
            surrogate = (surrogate + (&dense.weight * gw)?.sum_all()?)?;
            if let Some(b) = &dense.bias {
                surrogate = (surrogate + (b * flat.sum(0)?)?.sum_all()?)?;
            }
            if let (Some(c), Some(p)) = (&corr[l], &pass.projections[l]) {
                let rows = c.h.dim(1)? / s;
                let m = p.transpose(1, 2)?.contiguous()?.matmul(&d)?;
                let per_step = (m * &c.d)?.reshape((t, s, rows, out))?.sum(3)?.sum(2)?.sum(0)?;
                rate_grad[idx[l].0] = Some(per_step.neg()?);
                if let Some(bk) = idx[l].1 {
                    let sums = c.d.reshape((t, s, rows, out))?.sum(2)?;
                    let per_step = sums.broadcast_mul(&d.sum_keepdim(1)?)?.sum(2)?.sum(0)?;
                    rate_grad[bk] = Some(per_step.neg()?);
                }
            }
            if l > 0 {
                d = back(&dense.weight, &d, corr[l].as_ref(), &pass.outputs[l - 1])?;
            }
        }
        let columns = rate_grad
            .into_iter()
            .map(|g| g.map_or_else(|| Tensor::zeros(s, DType::F32, device), Ok))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let c = Tensor::stack(&columns, 1)?;
        surrogate = (surrogate + (rates.as_tensor() * c)?.sum_all()?)?;
        Ok((surrogate, loss))
    }

    /// Each task's query accuracy after adaptation with `rates`.
    pub fn accuracies(mlp: &Mlp, rates: &[Vec<f32>], tasks: &[Task], device: &Device) -> Result<Vec<f64>> {
        let steps = adapt(mlp, rates, tasks, device)?;
        let corr = corrections(&steps, rates, &indices(mlp))?;
        let (x, _, labels) = stack(tasks, true, classes(mlp), device)?;
        let (t, n, _) = x.dims3()?;
        let pass = forward(mlp, &x, &corr)?;
        let logits = pass.outputs.last().expect("an MLP has layers");
        let pred = logits.argmax(D::Minus1)?.flatten_all()?.to_vec1::<u32>()?;
        Ok((0..t)
            .map(|k| (0..n).filter(|&j| pred[k * n + j] == labels[k * n + j]).count() as f64 / n as f64)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use innate_encodings::MlpSpec;
    use innate_gem::Direct;
    use std::path::Path;

    fn fixture() -> innate_datasets::Omniglot {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fixtures");
        innate_datasets::omniglot::load(&root, 28).expect("the committed Omniglot fixture")
    }

    fn small() -> MetaConfig {
        MetaConfig {
            ways: 2,
            shots: 1,
            queries: 2,
            meta_batch: 4,
            max_meta_batches: 6,
            eval_every: 3,
            eval_batches: 2,
            eval_tasks: 3,
            ..MetaConfig::default()
        }
    }

    #[test]
    fn the_interval_is_196_standard_errors() {
        let (m, ci) = mean_ci95(&[0.0, 1.0, 0.0, 1.0]);
        assert_eq!(m, 0.5);
        assert!((ci - 1.96 * (1.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_ci95(&[0.7]), (0.7, 0.0));
    }

    #[test]
    fn tasks_are_drawn_per_meta_batch_from_the_seed() {
        let o = fixture();
        let s = TaskSampler::new(&o, 1);
        let c = small();
        let a = c.meta_batch_tasks(&s, 3).unwrap();
        let b = c.meta_batch_tasks(&s, 3).unwrap();
        let other = c.meta_batch_tasks(&s, 4).unwrap();
        assert_eq!(a.len(), 4);
        assert_eq!(a[0].classes, b[0].classes);
        assert!(a.iter().zip(&other).any(|(x, y)| x.classes != y.classes || x.support != y.support));
        assert_eq!(c.eval_set(&s).unwrap().len(), 6);
        assert!(MetaConfig { inner_steps: 0, ..c.clone() }.validate().is_err());
        assert!(MetaConfig { lr: f64::NAN, ..c }.validate().is_err());
    }

    /// Training is reproducible, tests at every `eval_every` with an interval, and checkpoints
    /// the inner rates beside the genome.
    #[test]
    fn meta_training_is_reproducible_and_keeps_its_rates() {
        let o = fixture();
        let s = TaskSampler::new(&o, 1);
        let c = small();
        let run = || {
            let g = Direct::new(MlpSpec::mlp(784, 16, 2), 0, &Device::Cpu).unwrap();
            let r = train(&g, &s, &c, &mut ()).unwrap();
            (g, r)
        };
        let (_, a) = run();
        let (_, b) = run();
        assert_eq!(a.curve.len(), 3);
        let accs: Vec<f64> = a.curve.iter().map(|p| p.test_accuracy).collect();
        assert_eq!(accs, b.curve.iter().map(|p| p.test_accuracy).collect::<Vec<_>>());
        assert!(a.curve.iter().all(|p| p.test_ci95.is_some()));
        let names: Vec<&str> = a.best_tensors.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"strategy.inner_lr"), "{names:?}");
        let rates = &a.best_tensors.iter().find(|(n, _)| n == "strategy.inner_lr").unwrap().1;
        assert_eq!(rates.dims(), &[2, 4]); // 2 steps x (2 weights + 2 biases)
        assert!(a.curve[1..].iter().all(|p| p.train_loss.is_some_and(f64::is_finite)));
    }

    /// The MLP's batched low-rank path gives the task-by-task path's accuracies and
    /// meta-gradients (genome and rates).
    #[test]
    fn the_batched_mlp_path_equals_the_task_by_task_one() {
        let o = fixture();
        let s = TaskSampler::new(&o, 1);
        let c = MetaConfig { ways: 3, queries: 2, meta_batch: 5, ..small() };
        let tasks = c.meta_batch_tasks(&s, 0).unwrap();
        let d = Device::Cpu;
        // Learned biases, so that every tensor of the network is a genome variable.
        let spec = MlpSpec { sizes: vec![784, 12, 7, 3], bias: true };
        let g = Direct::new(spec, 3, &d).unwrap();
        let net = g.develop().unwrap();
        let mlp = net.mlp().unwrap();
        let rates = Var::from_tensor(
            &Tensor::new(&[[0.3f32, 0.2, 0.5, 0.1, 0.4, 0.3], [0.2, 0.6, 0.1, 0.3, 0.2, 0.5]], &d).unwrap(),
        )
        .unwrap();
        let now = rates_of(rates.as_tensor()).unwrap();
        let fast = batched::accuracies(mlp, &now, &tasks, &d).unwrap();
        let start: Vec<Tensor> = net.parameters().into_iter().map(|(_, t)| t.detach()).collect();
        let slow: Vec<f64> = tasks
            .iter()
            .map(|task| {
                let t = task_tensors(task, &d).unwrap();
                let (adapted, _) = adapt(&net, &start, &now, &t.support).unwrap();
                let y = net.with_parameters(adapted).unwrap().forward(&t.query.0).unwrap();
                y.argmax(1)
                    .unwrap()
                    .eq(&t.query.1)
                    .unwrap()
                    .to_dtype(DType::F32)
                    .unwrap()
                    .mean_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap() as f64
            })
            .collect();
        assert!(fast.iter().zip(&slow).all(|(a, b)| (a - b).abs() < 1e-6), "{fast:?} vs {slow:?}");

        let (fast, fast_loss) = batched::meta_gradient(mlp, &rates, &tasks, &d).unwrap();
        let (surrogate, slow_loss) = task_by_task_objective(&net, &tasks, &rates, &d).unwrap();
        assert!((fast_loss - slow_loss).abs() < 1e-5, "{fast_loss} vs {slow_loss}");
        let (gf, gs) = (fast.backward().unwrap(), surrogate.backward().unwrap());
        let mut vars = g.varmap().all_vars();
        vars.push(rates.clone());
        for v in &vars {
            let a = gf.get(v.as_tensor()).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let b = gs.get(v.as_tensor()).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let scale = b.iter().fold(0f32, |m, x| m.max(x.abs()));
            assert!(scale > 0.0);
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() <= 1e-4 * scale, "{x} vs {y} (largest {scale})");
            }
        }
    }

    #[test]
    fn adapting_lowers_the_support_loss() {
        let o = fixture();
        let s = TaskSampler::new(&o, 1);
        let c = small();
        let task = &c.meta_batch_tasks(&s, 0).unwrap()[0];
        let g = Direct::new(MlpSpec::mlp(784, 16, 2), 0, &Device::Cpu).unwrap();
        let net = g.develop().unwrap();
        let start: Vec<Tensor> = net.parameters().into_iter().map(|(_, t)| t).collect();
        let t = task_tensors(task, &Device::Cpu).unwrap();
        let loss = |p: Vec<Tensor>| {
            let y = net.with_parameters(p).unwrap().forward(&t.support.0).unwrap();
            candle_nn::loss::cross_entropy(&y, &t.support.1).unwrap().to_scalar::<f32>().unwrap()
        };
        let (adapted, steps) = adapt(&net, &start, &[vec![0.1; 4], vec![0.1; 4]], &t.support).unwrap();
        assert_eq!(steps.len(), 2);
        assert!(loss(adapted) < loss(start));
    }
}
