//! Intermittent ("Lamarckian") training of a genome, the genomic-bottleneck paper's strategy
//! (its Fig. S.2B).
//!
//! Each generation `n = 1, 2, ...`:
//!
//! 1. **develop**: the genome develops the p-network `W~(G)`; its accuracy on the test set is
//!    the generation's *ab initio* accuracy (before any training). The p-network starts from the
//!    blend `W_n = eps(n) W_{n-1} + (1 - eps(n)) W~(G)` with `eps(n) = exp(-n / lambda)`, where
//!    `W_{n-1}` are the previous generation's trained weights (`W_0`: the usual random
//!    initialisation). `lambda = 0` disables annealing: the p-network is regenerated fully, as
//!    the paper's MNIST runs do. In generation 1 the genome has not been fitted yet, so by
//!    default the p-network starts from `W_0` itself, as the reference script does (each of its
//!    rounds trains, then fits, then regenerates). The paper's text instead develops the first
//!    p-network from the random g-networks (`develop_first`); with the MNIST presets that network
//!    is degenerate (on real MNIST its training loss stayed at ln 10 and its accuracy at 11.35%
//!    for 10 generations), which is why the code's order is the default.
//! 2. **learn**: the p-network is trained on `images_per_generation` training images (or
//!    `epochs_per_generation` passes; Adam, or SGD with momentum, cross-entropy, with its dropout
//!    if it has any), its optimiser state kept across generations;
//! 3. **fit**: the genome is fitted to the trained weights by mean-squared error on a random sample
//!    of each tensor's entries (by default 10^5 entries of the first weight matrix, 10^4 of the
//!    others and of the biases, without replacement), with Adam, using
//!    [`Genome::develop_entries`] so that only the sampled weights are generated; or, with
//!    [`FitConfig::tensors`], each tensor's own sample, passes and minibatch (the CIFAR-10
//!    schedule, [`IntermittentConfig::cifar`]: every weight, layer by layer).
//!
//! The strategy never looks at the encoding: any genome whose phenotype lists its tensors
//! ([`Parameters`]) can be trained this way.

use std::time::Instant;

use candle_core::{DType, Tensor, Var};
use innate_datasets::DeviceDataset;
use innate_encodings::{Genome, Parameters};
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::adam::{Adam, AdamConfig};
use crate::error::{Result, TrainError};
use crate::lifetime::{Optimizer, Running, accuracy};
use crate::observer::Observer;
pub use crate::report::GenerationPoint;
use crate::report::{EvalPoint, Report};
use crate::resume::{CollapseWatch, Stream, TrainState, Watch};
use crate::strategy::{Data, Progress, Strategy};

/// How the genome is fitted to the trained p-network each generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitConfig {
    /// Entries sampled from the first weight matrix (10^5).
    pub first_weights: usize,
    /// Entries sampled from every other weight matrix (10^4).
    pub other_weights: usize,
    /// Entries sampled from every bias vector (10^4; all of them when there are fewer).
    pub biases: usize,
    /// Passes over the weight samples (1).
    pub weight_epochs: usize,
    /// Passes over the bias samples (3).
    pub bias_epochs: usize,
    /// Largest minibatch (1,000; smaller samples are one batch).
    pub batch_size: usize,
    /// Adam's learning rate for the genome (0.001).
    pub lr: f64,
    /// Settings per phenotype tensor (`layer0.weight`, `layer0.bias`, `layer1.weight`, ...) in
    /// place of the counts above, when not empty: the CIFAR-10 schedule fits each layer's
    /// g-networks its own way ([`IntermittentConfig::cifar`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tensors: Vec<TensorFit>,
}

/// How one phenotype tensor is fitted each generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorFit {
    /// Entries sampled (`usize::MAX`: all of them).
    pub samples: usize,
    /// Passes over the sample.
    pub epochs: usize,
    /// Minibatch.
    pub batch_size: usize,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            first_weights: 100_000,
            other_weights: 10_000,
            biases: 10_000,
            weight_epochs: 1,
            bias_epochs: 3,
            batch_size: 1_000,
            lr: 1e-3,
            tensors: Vec::new(),
        }
    }
}

impl FitConfig {
    /// The reference script's fitting: every entry of every weight matrix and bias vector, each
    /// generation (the sample sizes become `usize::MAX`, capped at each tensor's size).
    pub fn all(self) -> Self {
        Self { first_weights: usize::MAX, other_weights: usize::MAX, biases: usize::MAX, ..self }
    }

    /// The per-tensor fitting ([`FitConfig::tensors`]) of a network whose tensors have `entries`
    /// entries, taking as many Adam steps each generation as these settings take on a network
    /// whose tensors have `reference` entries: each tensor's passes become
    /// `ceil(epochs * ceil(reference / batch) / ceil(entries / batch))`, at least one.
    ///
    /// A narrower p-network than the paper's has far fewer weights per layer, so the paper's
    /// epochs over them are far fewer minibatches: All-CNN-C at width 16 has 36 times fewer
    /// weights in layers 2-8, and 2 epochs in minibatches of 1,000 are 20 Adam steps instead of
    /// 664 for layer 5. Scaling keeps the g-networks' training per generation the paper's (the
    /// same minibatches, more passes over fewer weights). Settings without per-tensor fitting,
    /// a tensor whose entries are sampled, and tensors of the same size are unchanged.
    pub fn steps_of(mut self, reference: &[usize], entries: &[usize]) -> Self {
        for ((t, &big), &small) in self.tensors.iter_mut().zip(reference).zip(entries) {
            if t.samples == usize::MAX && small > 0 {
                let b = t.batch_size.max(1);
                t.epochs = (t.epochs * big.div_ceil(b)).div_ceil(small.div_ceil(b)).max(1);
            }
        }
        self
    }
}

/// Settings of intermittent training. The defaults follow the paper's MNIST runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntermittentConfig {
    /// Generations (500).
    pub generations: usize,
    /// Training images per generation (10,000, a sixth of an MNIST epoch).
    pub images_per_generation: usize,
    /// Passes over the training set per generation in place of `images_per_generation` (0: count
    /// images; the CIFAR-10 schedule's 10).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub epochs_per_generation: usize,
    /// P-network minibatch (100, as the reference script).
    pub batch_size: usize,
    /// P-network learning rate (Adam's, 0.001).
    pub lr: f64,
    /// The p-network's optimiser (Adam; the CIFAR-10 schedule's SGD with momentum 0.9).
    #[serde(default, skip_serializing_if = "Optimizer::is_adam")]
    pub optimizer: Optimizer,
    /// Annealing constant `lambda` of `eps(n) = exp(-n / lambda)`; 0 disables annealing.
    pub lambda: f64,
    /// Fitting of the genome.
    pub fit: FitConfig,
    /// Evaluate the trained p-network every this many generations (0: never); the ab initio
    /// accuracy is measured every generation.
    pub eval_trained_every: usize,
    /// Stop with [`TrainError::Collapsed`] when the p-network's mean training loss has been at
    /// chance for this many generations in a row after it had learned
    /// ([`CollapseWatch`]; 3); 0: never.
    #[serde(
        default = "crate::resume::default_collapse_after",
        skip_serializing_if = "crate::resume::is_default_collapse_after"
    )]
    pub collapse_after: usize,
    /// Seed of the batch order, the samples and the initial p-network.
    pub seed: u64,
    /// Images per evaluation batch.
    pub eval_batch_size: usize,
    /// Generation 1 trains the network developed from the random genome instead of `W_0` (the
    /// paper's text; see the module docs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub develop_first: bool,
    /// Raise the p-network's learning rate linearly over its first this many batches of the run
    /// (0, the paper's protocol: none; see [`crate::LifetimeConfig::warmup`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warmup: usize,
    /// Raise the p-network's learning rate linearly again over the first this many batches of
    /// every generation, whose p-network is a new blend (0, the paper's protocol: none). Not in
    /// the paper: at width 16 a GN10 p-network trained at the full rate from its generation-4
    /// blend fell back to chance within 20 batches and stayed there.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generation_warmup: usize,
}

impl Default for IntermittentConfig {
    fn default() -> Self {
        Self {
            generations: 500,
            images_per_generation: 10_000,
            epochs_per_generation: 0,
            batch_size: 100,
            lr: 1e-3,
            optimizer: Optimizer::Adam,
            lambda: 0.0,
            fit: FitConfig::default(),
            eval_trained_every: 10,
            collapse_after: crate::resume::default_collapse_after(),
            seed: 0,
            eval_batch_size: 1_000,
            develop_first: false,
            warmup: 0,
            generation_warmup: 0,
        }
    }
}

impl IntermittentConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(TrainError::Config(m.to_string()));
        if self.generations == 0 {
            return bad("the number of generations must be at least 1");
        }
        if self.batch_size == 0 || self.images_per_generation == 0 {
            return bad("batch size and images per generation must be at least 1");
        }
        if self.lr.is_nan() || self.lr <= 0.0 || self.fit.lr.is_nan() || self.fit.lr <= 0.0 {
            return bad("learning rates must be positive numbers");
        }
        if self.lambda.is_nan() || self.lambda < 0.0 {
            return bad("the annealing constant lambda must be 0 (off) or positive");
        }
        if self.fit.weight_epochs == 0 {
            return bad(
                "the g-networks need at least one fitting pass over the sampled weights per generation",
            );
        }
        if self.fit.batch_size == 0 || self.fit.tensors.iter().any(|t| t.batch_size == 0 || t.epochs == 0) {
            return bad("fitting batch sizes and passes must be at least 1");
        }
        if let Optimizer::Sgd { momentum } = self.optimizer
            && !(0.0..1.0).contains(&momentum)
        {
            return bad("SGD's momentum must be in [0, 1)");
        }
        Ok(())
    }

    /// The genomic-bottleneck paper's CIFAR-10 schedule ("Solving Cifar10", Methods "CIFAR10/SVHN
    /// datasets") for All-CNN-C: per generation the p-network
    /// trains 10 epochs (SGD, lr 0.05, momentum 0.9, minibatches of 128, its dropout on), then
    /// with Adam (0.001) every weight g-network is fitted 2 epochs over all its layer's weights
    /// (12 for layers 1 and 9) in minibatches of 1,000 and every bias g-network 10 epochs over its
    /// biases in minibatches of 10 (layers 1-3 and 9) or 100 (layers 4-8); annealing
    /// `eps(n) = exp(-n / 20)`; 500 generations. The paper fits "2 and 10 epochs"; over all the
    /// weights is our reading (it samples nothing for CIFAR-10).
    pub fn cifar() -> Self {
        let mut tensors = Vec::with_capacity(18);
        for layer in 1..=9 {
            let epochs = if layer == 1 || layer == 9 { 12 } else { 2 };
            tensors.push(TensorFit { samples: usize::MAX, epochs, batch_size: 1_000 });
            let batch_size = if layer <= 3 || layer == 9 { 10 } else { 100 };
            tensors.push(TensorFit { samples: usize::MAX, epochs: 10, batch_size });
        }
        Self {
            generations: 500,
            epochs_per_generation: 10,
            batch_size: 128,
            lr: 0.05,
            optimizer: Optimizer::Sgd { momentum: 0.9 },
            lambda: 20.0,
            fit: FitConfig { tensors, ..FitConfig::default() },
            ..Self::default()
        }
    }

    /// `eps(n)`: the weight of the previous generation's trained weights.
    pub fn eps(&self, generation: usize) -> f64 {
        if self.lambda > 0.0 { (-(generation as f64) / self.lambda).exp() } else { 0.0 }
    }

    /// P-network batches per generation on a training set of `train_images` images.
    pub fn batches_per_generation(&self, train_images: usize) -> usize {
        match self.epochs_per_generation {
            0 => self.images_per_generation.div_ceil(self.batch_size),
            e => e * train_images.div_ceil(self.batch_size),
        }
    }
}

/// What an intermittent run produced.
#[derive(Debug, Clone)]
pub struct IntermittentReport {
    /// One point per generation.
    pub generations: Vec<GenerationPoint>,
    /// Best ab initio accuracy.
    pub best_ab_initio: f64,
    /// Generation whose freshly developed network had the best ab initio accuracy (measured
    /// before that generation's training); `generations + 1` when the best is the genome after
    /// the last fit.
    pub best_generation: usize,
    /// Ab initio accuracy of the genome after the last fitting step.
    pub final_ab_initio: f64,
    /// Copies of the genome tensors at the best ab initio accuracy (the final genome if the last
    /// one is the best).
    pub best_tensors: Vec<(String, Tensor)>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// This run's share of them: `seconds` for a run alone; in a population
    /// ([`crate::population::intermittent`]) each generation's time divided among the members
    /// it trained.
    pub train_seconds: f64,
}

impl IntermittentReport {
    /// Seconds per generation (of this run's share).
    pub fn seconds_per_generation(&self) -> f64 {
        self.train_seconds / self.generations.len().max(1) as f64
    }

    /// The strategies' common [`Report`] of this run, whose generations took `per` p-network
    /// batches each: its accuracies are the ab initio ones, its curve has one point per freshly
    /// developed network (each generation's, then the genome's after the last fit) at the
    /// p-network batches trained before it.
    pub fn into_report(self, per: usize) -> Report {
        let r = self;
        let batches = r.generations.len() * per;
        let gens = &r.generations;
        // The loss of each point is that of the p-network training before it.
        let curve = (0..=gens.len())
            .map(|i| EvalPoint {
                batches: i * per,
                test_accuracy: gens.get(i).map_or(r.final_ab_initio, |g| g.ab_initio_accuracy),
                train_loss: i.checked_sub(1).map(|j| gens[j].train_loss),
                stop_accuracy: None,
                test_ci95: None,
                seconds: i.checked_sub(1).map_or(0.0, |j| gens[j].seconds),
            })
            .collect();
        Report {
            ab_initio_test_accuracy: Some(r.best_ab_initio),
            seconds_per_generation: Some(r.seconds_per_generation()),
            best_test_accuracy: r.best_ab_initio,
            final_test_accuracy: r.final_ab_initio,
            // The ab initio accuracy of generation n is measured before its training, after
            // (n - 1) generations of p-network batches.
            best_batches: (r.best_generation - 1) * per,
            batches,
            stopped_early: false,
            seconds: r.seconds,
            train_seconds: r.train_seconds,
            seconds_per_1000_batches: 1000.0 * r.train_seconds / batches.max(1) as f64,
            curve,
            generations: r.generations,
            best_tensors: r.best_tensors,
            trained_params: None,
        }
    }
}

impl Strategy for IntermittentConfig {
    fn name(&self) -> &'static str {
        "intermittent"
    }

    fn validate(&self) -> Result<()> {
        IntermittentConfig::validate(self)
    }

    fn progress(&self, _train_images: usize) -> Progress {
        Progress { total: self.generations, unit: "generations" }
    }

    fn with_seed(&self, seed: u64) -> Self {
        Self { seed, ..self.clone() }
    }

    /// The report's accuracies are the ab initio ones ([`IntermittentReport::into_report`]).
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
        Ok(r.into_report(self.batches_per_generation(data.train.len())))
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Trains `genome` intermittently (see the module docs).
pub fn train<G: Genome + ?Sized>(
    genome: &G,
    train: &DeviceDataset,
    test: &DeviceDataset,
    config: &IntermittentConfig,
    observer: &mut dyn Observer,
) -> Result<IntermittentReport> {
    train_resumable(genome, train, test, config, observer, None, None)
}

/// What an intermittent checkpoint holds besides tensors ([`TrainState::numbers`]).
#[derive(Serialize, Deserialize)]
struct Numbers {
    p_step: i32,
    p_moments: usize,
    g_step: i32,
    g_moments: usize,
    fit: u64,
    dropout: u64,
    best_ab_initio: f64,
    best_generation: usize,
    learned: bool,
    at_chance: usize,
    generations: Vec<GenerationPoint>,
}

/// [`train`], going on from `resume` when given (a state that a run of the same settings passed
/// to its `checkpoint`), and passing `checkpoint`, when given, a [`TrainState`] after every
/// generation that it can go on from ([`crate::resume`]: not those whose p-network's training
/// loss was at chance after it had learned).
pub fn train_resumable<G: Genome + ?Sized>(
    genome: &G,
    train: &DeviceDataset,
    test: &DeviceDataset,
    config: &IntermittentConfig,
    observer: &mut dyn Observer,
    resume: Option<TrainState>,
    mut checkpoint: Option<crate::resume::Keep<'_>>,
) -> Result<IntermittentReport> {
    config.validate()?;
    if train.is_empty() || test.is_empty() {
        return Err(TrainError::Config("intermittent training needs training and test images".into()));
    }
    let start = Instant::now();
    let developed = genome.develop()?;
    let shapes: Vec<Vec<usize>> = developed.parameters().iter().map(|(_, t)| t.dims().to_vec()).collect();
    let vars: Vec<Var> = initial_pnet(&shapes, config.seed, train.device())?
        .iter()
        .map(Var::from_tensor)
        .collect::<candle_core::Result<_>>()?;
    let p_net = developed.with_parameters(vars.iter().map(|v| v.as_tensor().clone()).collect())?;
    let p_ids: std::collections::HashSet<_> = vars.iter().map(|v| v.as_tensor().id()).collect();
    let mut p_opt = Running::new(vars.clone(), config.optimizer, config.lr)?;
    if !config.fit.tensors.is_empty() && config.fit.tensors.len() != vars.len() {
        return Err(TrainError::Config(format!(
            "the fitting schedule names {} tensors, the p-network has {}",
            config.fit.tensors.len(),
            vars.len()
        )));
    }
    // The genome's variables in the order of their names, so that a checkpoint's moments go
    // back to the same ones.
    let g_vars = crate::lifetime::free_vars(genome, &[])?;
    let mut g_opt = Adam::new(g_vars, AdamConfig { lr: config.fit.lr, ..AdamConfig::default() })?;
    let (fit_seed, dropout_seed) = (config.seed, config.seed ^ 0xd409);
    let steps = config.batches_per_generation(train.len());
    let mut watch = CollapseWatch::for_data(train, config.collapse_after)?;

    let (mut rng, mut dropout, mut points, mut best, done, offset);
    match resume {
        Some(state) => {
            let n: Numbers = state.numbers("intermittent")?;
            state.restore_genome(genome)?;
            let p = state.numbered("pnet.", vars.len())?;
            for (v, t) in vars.iter().zip(p) {
                if t.dims() != v.dims() {
                    return Err(TrainError::Config(format!(
                        "the checkpoint's p-network tensor is {:?}, this run's {:?}; the run's settings differ",
                        t.dims(),
                        v.dims()
                    )));
                }
                v.set(&t.to_device(train.device())?)?;
            }
            p_opt.restore(n.p_step, &state.numbered("popt.", n.p_moments)?)?;
            g_opt.restore(n.g_step, &state.numbered("gopt.", n.g_moments)?)?;
            rng = Stream::at(fit_seed, n.fit);
            dropout = Stream::at(dropout_seed, n.dropout);
            best = (n.best_ab_initio, n.best_generation, state.with_prefix("best."));
            watch.restore(n.learned, n.at_chance);
            done = state.done;
            offset = n.generations.last().map_or(0.0, |g| g.seconds);
            points = n.generations;
            observer.batch(done);
        }
        None => {
            (rng, dropout) = (Stream::new(fit_seed), Stream::new(dropout_seed));
            points = Vec::with_capacity(config.generations);
            best = (f64::NEG_INFINITY, 0usize, innate_encodings::checkpoint::current_tensors(genome)?);
            (done, offset) = (0, 0.0);
        }
    }
    let mut batches = train.shuffled_from(config.batch_size, config.seed, done * steps);
    for n in done + 1..=config.generations {
        // 1. Develop, measure ab initio, blend into the p-network.
        let fresh = genome.develop()?;
        let ab_initio = accuracy(&fresh, test, config.eval_batch_size)?;
        if ab_initio > best.0 {
            best = (ab_initio, n, innate_encodings::checkpoint::current_tensors(genome)?);
        }
        let eps = if n == 1 && !config.develop_first { 1.0 } else { config.eps(n) };
        for (v, (_, w)) in vars.iter().zip(fresh.parameters()) {
            let w = w.detach();
            let next = if eps >= 1.0 {
                continue;
            } else if eps > 0.0 {
                ((v.as_tensor() * eps)? + (w * (1.0 - eps))?)?
            } else {
                w
            };
            v.set(&next)?;
        }
        drop(fresh);

        // 2. Learn.
        let mut loss_sum = 0f64;
        for i in 0..steps {
            let batch = batches
                .next()
                .ok_or_else(|| TrainError::Config("the training set yielded no batch".into()))??;
            if config.warmup > 0 || config.generation_warmup > 0 {
                let lr = crate::lifetime::warmed_lr(config.lr, config.generation_warmup, i);
                p_opt.set_lr(crate::lifetime::warmed_lr(lr, config.warmup, (n - 1) * steps + i));
            }
            // An MLP p-network learns through its hand-worked gradient (Running::mlp_step).
            let loss = match p_net.mlp() {
                Some(mlp) => p_opt.mlp_step(mlp, &p_ids, &batch.images, &batch.labels)?,
                None => {
                    let logits = p_net.forward_train(&batch.images, &mut dropout.rng)?;
                    let loss = candle_nn::loss::cross_entropy(&logits, &batch.labels)?;
                    p_opt.backward_step(&loss)?;
                    loss
                }
            };
            loss_sum += loss.to_scalar::<f32>()? as f64;
        }
        let train_loss = loss_sum / steps as f64;
        if !train_loss.is_finite() {
            return Err(diverged(n, steps, config.lr));
        }
        let verdict = watch.observe(train_loss);
        if verdict == Watch::Collapsed {
            return Err(collapsed(n, &watch, config.lr));
        }
        let trained_accuracy = if config.eval_trained_every > 0 && n % config.eval_trained_every == 0 {
            Some(accuracy(&p_net, test, config.eval_batch_size)?)
        } else {
            None
        };

        // 3. Fit the genome to the trained tensors.
        let fit_loss = fit(genome, &vars, &mut g_opt, &config.fit, &mut rng.rng)?;
        let point = GenerationPoint {
            generation: n,
            ab_initio_accuracy: ab_initio,
            trained_accuracy,
            train_loss,
            fit_loss,
            seconds: offset + start.elapsed().as_secs_f64(),
        };
        observer.generation(&point);
        points.push(point);
        if let Some(keep) = checkpoint.as_mut()
            && verdict == Watch::Good
            && n < config.generations
        {
            let ((p_step, p_moments), (g_step, g_moments)) = (p_opt.state()?, g_opt.state()?);
            let numbers = Numbers {
                p_step,
                p_moments: p_moments.len(),
                g_step,
                g_moments: g_moments.len(),
                fit: rng.position(),
                dropout: dropout.position(),
                best_ab_initio: best.0,
                best_generation: best.1,
                learned: watch.learned(),
                at_chance: watch.at_chance(),
                generations: points.clone(),
            };
            let p_now = vars.iter().map(|v| v.as_tensor().copy()).collect::<candle_core::Result<_>>()?;
            let own = TrainState::number("pnet.", p_now)
                .chain(TrainState::number("popt.", p_moments))
                .chain(TrainState::number("gopt.", g_moments));
            keep(&TrainState::new("intermittent", n, genome, &best.2, own, &numbers)?)?;
        }
    }
    let final_ab_initio = accuracy(&genome.develop()?, test, config.eval_batch_size)?;
    if final_ab_initio > best.0 {
        best =
            (final_ab_initio, config.generations + 1, innate_encodings::checkpoint::current_tensors(genome)?);
    }
    Ok(IntermittentReport {
        generations: points,
        best_ab_initio: best.0,
        best_generation: best.1,
        final_ab_initio,
        best_tensors: best.2,
        seconds: offset + start.elapsed().as_secs_f64(),
        train_seconds: offset + start.elapsed().as_secs_f64(),
    })
}

/// Why a run stopped whose p-network's mean loss over generation `n` (`steps` batches) was
/// not a finite number.
pub(crate) fn diverged(n: usize, steps: usize, lr: f64) -> TrainError {
    TrainError::Diverged {
        batches: n * steps,
        at: format!("in generation {n} (the p-network's batches {}-{})", (n - 1) * steps + 1, n * steps),
        lr,
    }
}

/// Why a run stopped whose p-network `watch` saw collapse to chance by generation `n`.
pub(crate) fn collapsed(n: usize, watch: &CollapseWatch, lr: f64) -> TrainError {
    TrainError::Collapsed {
        classes: watch.classes(),
        chance: watch.chance(),
        steps: watch.at_chance(),
        unit: "generations",
        since: format!("generation {}", n + 1 - watch.at_chance()),
        lr,
    }
}

/// `W_0`, the p-network's usual random initialisation for a run of seed `seed`, for tensors of
/// `shapes` (in the order of [`Parameters::parameters`]): a linear layer's weights and biases
/// uniform in `±1/sqrt(fan_in)`, as `nn.Linear` (a bias takes the fan-in of the weight matrix
/// before it); a convolution's kernels (rank 4) He's (Kaiming-normal, its bias 0): PyTorch's
/// default leaves a 9-layer all-convolutional network's logits constant (see
/// `innate_devconv::allcnn`).
pub(crate) fn initial_pnet(
    shapes: &[Vec<usize>],
    seed: u64,
    device: &candle_core::Device,
) -> Result<Vec<Tensor>> {
    let mut init = innate_encodings::SeededInit::new(seed ^ 0xA11E_A1ED, device);
    let (mut fan_in, mut conv) = (1, false);
    let mut out = Vec::with_capacity(shapes.len());
    for dims in shapes {
        let w0 = if dims.len() >= 2 {
            // A linear layer's inputs, or a convolution's c_in k².
            fan_in = dims[1..].iter().product();
            conv = dims.len() == 4;
            if conv {
                init.normal(dims, 0.0, (2.0 / fan_in as f64).sqrt())?
            } else {
                init.linear_default(dims, fan_in)?
            }
        } else if conv {
            Tensor::zeros(dims.as_slice(), DType::F32, device)?
        } else {
            init.linear_default(dims, fan_in)?
        };
        out.push(w0);
    }
    Ok(out)
}

/// How each p-network tensor (of `shapes`) is fitted each generation: entries sampled, passes,
/// minibatch.
pub(crate) fn fit_plan(cfg: &FitConfig, shapes: &[Vec<usize>]) -> Vec<TensorFit> {
    let mut seen_weights = 0;
    shapes
        .iter()
        .enumerate()
        .map(|(p, dims)| {
            let total: usize = dims.iter().product();
            let t = if let Some(t) = cfg.tensors.get(p) {
                *t
            } else if dims.len() >= 2 {
                seen_weights += 1;
                let samples = if seen_weights == 1 { cfg.first_weights } else { cfg.other_weights };
                TensorFit { samples, epochs: cfg.weight_epochs, batch_size: cfg.batch_size }
            } else {
                TensorFit { samples: cfg.biases, epochs: cfg.bias_epochs, batch_size: cfg.batch_size }
            };
            TensorFit { samples: t.samples.min(total), batch_size: t.batch_size.max(1), ..t }
        })
        .collect()
}

/// Fits the genome to the p-network tensors `vars` on random samples; returns the last
/// minibatch's mean-squared error per tensor.
fn fit<G: Genome + ?Sized>(
    genome: &G,
    vars: &[Var],
    opt: &mut Adam,
    cfg: &FitConfig,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<f64>> {
    let shapes: Vec<Vec<usize>> = vars.iter().map(|v| v.dims().to_vec()).collect();
    let mut losses = Vec::with_capacity(vars.len());
    for ((p, v), plan) in vars.iter().enumerate().zip(fit_plan(cfg, &shapes)) {
        let target_all = v.as_tensor().detach().flatten_all()?;
        let total = target_all.elem_count();
        let (k, epochs, batch_size) = (plan.samples, plan.epochs, plan.batch_size);
        let sample: Vec<u32> = index::sample(rng, total, k).into_iter().map(|i| i as u32).collect();
        let device = v.device();
        let mut last = f64::NAN;
        for _ in 0..epochs {
            for chunk in sample.chunks(batch_size) {
                let idx = Tensor::from_slice(chunk, chunk.len(), device)?;
                let target = target_all.index_select(&idx, 0)?;
                let pred = genome.develop_entries(p, &idx)?.to_dtype(DType::F32)?;
                let loss = (pred - target)?.sqr()?.mean_all()?;
                opt.backward_step(&loss)?;
                last = loss.to_scalar::<f32>()? as f64;
            }
        }
        losses.push(last);
    }
    Ok(losses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use innate_encodings::MlpSpec;
    use innate_gem::Direct;

    use crate::lifetime::Optimizer;
    use crate::lifetime::tests::toy;

    fn config() -> IntermittentConfig {
        IntermittentConfig {
            generations: 6,
            images_per_generation: 64,
            batch_size: 16,
            lr: 0.05,
            fit: FitConfig { lr: 0.05, weight_epochs: 20, bias_epochs: 20, ..FitConfig::default() },
            eval_trained_every: 2,
            ..IntermittentConfig::default()
        }
    }

    #[test]
    fn fitting_a_narrower_network_takes_the_papers_steps() {
        let paper = IntermittentConfig::cifar().fit;
        // All-CNN-C's layers 1-4 (kernels, biases) at width 96 and at width 16.
        let wide = [96 * 3 * 9, 96, 96 * 96 * 9, 96, 96 * 96 * 9, 96, 96 * 192 * 9, 192];
        let narrow = [16 * 3 * 9, 16, 16 * 16 * 9, 16, 16 * 16 * 9, 16, 16 * 32 * 9, 32];
        let scaled = paper.clone().steps_of(&wide, &narrow);
        let epochs: Vec<usize> = scaled.tensors.iter().take(8).map(|t| t.epochs).collect();
        // Layer 1: 12 passes of 3 minibatches of 1,000 = 36 steps, now 1 a pass; its biases 10
        // passes of 10 minibatches of 10 = 100, now 2; layer 2: 2 x 83 = 166 over 3; layer 4:
        // 2 x 166 = 332 over 5 (rounded up); its biases 10 x 2 minibatches of 100 over 1.
        assert_eq!(epochs, [36, 50, 56, 50, 56, 50, 67, 20]);
        for (t, n) in scaled.tensors.iter().zip(narrow) {
            assert!(t.epochs * n.div_ceil(t.batch_size) >= 2, "{t:?}");
        }
        // The same network, and sampled or untensored settings, are unchanged.
        assert_eq!(paper.clone().steps_of(&wide, &wide), paper);
        assert_eq!(FitConfig::default().steps_of(&wide, &narrow), FitConfig::default());
    }

    #[test]
    fn a_generation_warmup_starts_every_generation_at_a_fraction_of_the_rate() -> Result<()> {
        use crate::lifetime::tests::values;
        // One plain SGD step per generation: with a warm-up over 10 batches at each generation's
        // start, every generation's step is taken at lr / 10 (a warm-up over the run's first 10
        // would take the second at 2 lr / 10).
        let data = toy(64);
        let run = |lr: f64, generation_warmup: usize, warmup: usize| -> Result<Vec<(String, Vec<u32>)>> {
            let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
            let cfg = IntermittentConfig {
                generations: 3,
                images_per_generation: 16,
                optimizer: Optimizer::Sgd { momentum: 0.0 },
                lr,
                generation_warmup,
                warmup,
                ..config()
            };
            train(&g, &data, &data, &cfg, &mut ())?;
            Ok(values(&innate_encodings::checkpoint::current_tensors(&g)?))
        };
        let (warm, slow) = (run(0.5, 10, 0)?, run(0.05, 0, 0)?);
        assert_eq!(warm, slow);
        assert_ne!(warm, run(0.5, 0, 0)?);
        assert_ne!(run(0.5, 0, 10)?, slow);
        let json = serde_json::to_value(config()).unwrap();
        assert!(json.get("generation_warmup").is_none(), "none stays out of files: {json}");
        Ok(())
    }

    #[test]
    fn a_direct_genome_learns_the_trained_weights() -> Result<()> {
        // For the direct encoding, fitting copies the trained weights into the genome, so the ab
        // initio accuracy reaches what training reaches.
        let data = toy(64);
        let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
        let r = train(&g, &data, &data, &config(), &mut ())?;
        assert_eq!(r.generations.len(), 6);
        assert!(r.final_ab_initio >= 0.99, "{r:?}");
        assert!(r.best_ab_initio >= r.generations[0].ab_initio_accuracy);
        assert!(
            r.generations.iter().all(|p| p.fit_loss.len() == 2 && p.fit_loss.iter().all(|l| l.is_finite()))
        );
        assert_eq!(r.generations.iter().filter(|p| p.trained_accuracy.is_some()).count(), 3);
        Ok(())
    }

    #[test]
    fn a_resumed_run_ends_as_one_that_never_stopped() -> Result<()> {
        use crate::lifetime::tests::{through_json, values};
        let data = toy(48);
        for optimizer in [Optimizer::Adam, Optimizer::Sgd { momentum: 0.9 }] {
            let cfg = IntermittentConfig { lambda: 2.0, generations: 5, optimizer, ..config() };
            let genome = || Direct::new(MlpSpec::mlp(4, 3, 2), 1, &Device::Cpu);
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
            assert_eq!(states.iter().map(|s| s.done).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
            let ours = innate_encodings::checkpoint::current_tensors(&g)?;
            for state in [&states[0], &states[2]] {
                let g2 = genome()?;
                let resumed = train_resumable(&g2, &data, &data, &cfg, &mut (), Some(state.clone()), None)?;
                let same = |p: &GenerationPoint| {
                    (p.generation, p.ab_initio_accuracy, p.trained_accuracy, p.train_loss, p.fit_loss.clone())
                };
                assert_eq!(
                    resumed.generations.iter().map(same).collect::<Vec<_>>(),
                    whole.generations.iter().map(same).collect::<Vec<_>>(),
                    "{optimizer:?} from generation {}",
                    state.done
                );
                assert_eq!(values(&resumed.best_tensors), values(&whole.best_tensors));
                assert_eq!(values(&innate_encodings::checkpoint::current_tensors(&g2)?), values(&ours));
                assert_eq!(
                    (resumed.best_generation, resumed.final_ab_initio),
                    (whole.best_generation, whole.final_ab_initio)
                );
            }
        }
        Ok(())
    }

    #[test]
    fn annealing_schedule() {
        let off = IntermittentConfig::default();
        assert_eq!(off.eps(1), 0.0);
        let on = IntermittentConfig { lambda: 20.0, ..IntermittentConfig::default() };
        assert!((on.eps(20) - (-1f64).exp()).abs() < 1e-12);
        assert!(on.eps(1) > 0.95 && on.eps(200) < 1e-4);
        assert_eq!(off.batches_per_generation(60_000), 100);
        let cifar = IntermittentConfig::cifar();
        assert_eq!(cifar.batches_per_generation(50_000), 10 * 391);
        let fits: Vec<(usize, usize)> = cifar.fit.tensors.iter().map(|t| (t.epochs, t.batch_size)).collect();
        assert_eq!(fits.len(), 18);
        assert_eq!(
            (fits[0], fits[1], fits[6], fits[7], fits[16], fits[17]),
            ((12, 1000), (10, 10), (2, 1000), (10, 100), (12, 1000), (10, 10))
        );
        assert!((cifar.eps(20) - (-1f64).exp()).abs() < 1e-12);
        assert!(cifar.validate().is_ok());
    }

    #[test]
    fn same_seed_same_run_and_bad_settings() -> Result<()> {
        let data = toy(32);
        let run = || -> Result<Vec<f64>> {
            let g = Direct::new(MlpSpec::mlp(4, 3, 2), 1, &Device::Cpu)?;
            let cfg = IntermittentConfig { lambda: 2.0, generations: 3, ..config() };
            Ok(train(&g, &data, &data, &cfg, &mut ())?.generations.iter().map(|p| p.train_loss).collect())
        };
        assert_eq!(run()?, run()?);
        let g = Direct::new(MlpSpec::slp(4, 2), 0, &Device::Cpu)?;
        for bad in [
            IntermittentConfig { generations: 0, ..config() },
            IntermittentConfig { lambda: -1.0, ..config() },
            IntermittentConfig { lr: 0.0, ..config() },
        ] {
            assert!(matches!(train(&g, &data, &data, &bad, &mut ()), Err(TrainError::Config(_))));
        }
        Ok(())
    }
}
