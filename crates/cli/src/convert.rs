//! The one place where command-line arguments become the libraries' data: a [`RunConfig`] from
//! `innate train`'s flags, the lifetime settings of `innate transfer`, the options of
//! `innate reproduce`, and the value enums' library types.
//!
//! A run must never record a setting it did not use, so flags that the chosen encoding would
//! ignore are errors that name the flag. (Flags of the strategy not chosen, such as `--patience`
//! with `--strategy intermittent` or `--fit-lr` trained end to end, are accepted and unused, as
//! they always were; the run's configuration holds only the chosen strategy's settings.)

use anyhow::{Context, bail};
use innate_datasets::{Dataset, Split};
use innate_encodings::{BiasMode, CentreInit, WeightScale};
use innate_evolution::lifetime::Optimizer;
use innate_evolution::{FitConfig, IntermittentConfig, LifetimeConfig, MetaConfig, StrategyConfig};
use innate_experiments::ReproduceOptions;
use innate_run::{Encoding, EncodingFlags, Network, RunConfig};

use crate::cli::{
    BiasArg, CentreInitArg, DEFAULT_HIDDEN, GlobalArgs, LearnArg, MetaArgs, Model, PresetArg, Profile,
    ReproduceArgs, Schedule, SplitArg, Strategy, TrainArgs, TransferArgs, WeightScaleArg,
};

impl From<BiasArg> for BiasMode {
    fn from(b: BiasArg) -> Self {
        match b {
            BiasArg::Learned => BiasMode::Learned,
            BiasArg::Fixed => BiasMode::FixedRandom,
            BiasArg::None => BiasMode::None,
        }
    }
}

impl From<WeightScaleArg> for WeightScale {
    fn from(w: WeightScaleArg) -> Self {
        match w {
            WeightScaleArg::Spread => WeightScale::Spread,
            WeightScaleArg::Norm => WeightScale::Norm,
        }
    }
}

impl From<CentreInitArg> for CentreInit {
    fn from(c: CentreInitArg) -> Self {
        match c {
            CentreInitArg::Reference => CentreInit::Reference,
            CentreInitArg::Uniform => CentreInit::Uniform,
            CentreInitArg::Spiral => CentreInit::Spiral,
        }
    }
}

impl From<PresetArg> for innate_gnet::Preset {
    fn from(p: PresetArg) -> Self {
        match p {
            PresetArg::Gn5 => innate_gnet::Preset::Gn5,
            PresetArg::Gn20 => innate_gnet::Preset::Gn20,
            PresetArg::Gn30 => innate_gnet::Preset::Gn30,
            PresetArg::Gn10 => innate_gnet::Preset::Gn10,
            PresetArg::Gn50 => innate_gnet::Preset::Gn50,
        }
    }
}

impl From<SplitArg> for Split {
    fn from(s: SplitArg) -> Self {
        match s {
            SplitArg::Train => Split::Train,
            SplitArg::Test => Split::Test,
        }
    }
}

impl From<Profile> for innate_experiments::Profile {
    fn from(p: Profile) -> Self {
        match p {
            Profile::Quick => innate_experiments::Profile::Quick,
            Profile::Paper => innate_experiments::Profile::Paper,
            Profile::Smoke => innate_experiments::Profile::Smoke,
        }
    }
}

impl TrainArgs {
    /// The encoding flags, for the encoding to read those it uses.
    fn encoding_flags(&self) -> EncodingFlags {
        EncodingFlags {
            genes: self.genes,
            basis: self.basis,
            learn_output: self.learn_output,
            bias: self.bias.map(Into::into),
            centres: self.centre_init.map(Into::into),
            preset: self.preset.map(Into::into),
            gnet_hidden: self.gnet_hidden.clone(),
        }
    }

    /// Rejects values out of range, naming the flag.
    fn check_ranges(&self) -> anyhow::Result<()> {
        if self.hidden == Some(0) {
            bail!("--hidden 0: an MLP needs at least one hidden unit");
        }
        if self.hidden.is_some() && self.model == Model::Slp {
            bail!(
                "--hidden applies only to --model mlp: a single-layer perceptron has no hidden layer; drop it"
            );
        }
        if self.hidden.is_some() && self.model == Model::Lenet5 {
            bail!("--hidden applies only to --model mlp: LeNet-5's layers are fixed; drop it");
        }
        for (flag, value) in [
            ("--batches", self.batches),
            ("--epochs", self.epochs),
            ("--batch-size", self.batch_size),
            ("--eval-every", self.eval_every),
        ] {
            if value == Some(0) {
                bail!("{flag} 0: must be at least 1");
            }
        }
        if !(self.min_delta >= 0.0 && self.min_delta.is_finite()) {
            bail!("--min-delta {}: must be a fraction of 0 or more, e.g. 0.005", self.min_delta);
        }
        if self.stop_sample == Some(0) {
            bail!(
                "--stop-sample 0: must be at least 1 test image (leave it out to decide on the whole test set)"
            );
        }
        if self.train_limit == Some(0) {
            bail!(
                "--train-limit 0: must be at least 1 training image (leave it out to use the whole training set)"
            );
        }
        if let Some(lr) = self.lr.filter(|lr| !(lr.is_finite() && *lr > 0.0)) {
            bail!("--lr {lr}: the learning rate must be a positive number, e.g. 0.01");
        }
        Ok(())
    }

    /// The run these flags describe.
    pub fn run_config(&self) -> anyhow::Result<RunConfig> {
        let dataset: Dataset = self.dataset.parse()?;
        self.check_ranges()?;
        let classes: Vec<u32> = match &self.classes {
            Some(c) => number_list(c, "--classes")?.into_iter().map(|c| c as u32).collect(),
            None => Vec::new(),
        };
        let mut flags = self.encoding_flags();
        // The S-GEM LeNet-5 learns its output neurons' expression (the paper's Methods for S-GEM
        // outside Fig. 2).
        flags.learn_output |= self.model == Model::Lenet5 && self.encoding.name() == "sgem";
        let encoding = Encoding::from_flags(self.encoding.name(), &flags)?;
        if self.width.is_some() && self.model != Model::Allcnn {
            bail!("--width is the width of --model allcnn; for an MLP's hidden layer use --hidden");
        }
        let network = match self.model {
            Model::Slp => Network::Slp,
            Model::Mlp => Network::mlp(self.hidden.unwrap_or(DEFAULT_HIDDEN)),
            Model::Lenet5 => Network::LeNet5,
            Model::Allcnn => {
                Network::AllCnn { width: self.width.unwrap_or(innate_run::network::ALLCNN_WIDTH) }
            }
        };
        network.validate()?;
        // LeNet-5 trains at Adam's usual 0.001 whatever its encoding (the paper leaves it unsaid),
        // All-CNN-C at its protocol's 0.05 (SGD).
        let lr = self.lr.unwrap_or(match self.model {
            Model::Lenet5 => 1e-3,
            Model::Allcnn => network.protocol().lr,
            _ => encoding.default_lr(),
        });
        let strategy = match self.strategy {
            Strategy::EndToEnd => {
                if self.generation_warmup.is_some() {
                    bail!(
                        "--generation-warmup warms up each generation of --strategy intermittent; end to end, use --warmup"
                    );
                }
                // The architecture's protocol, with what the flags say in place of its settings;
                // --batches or --eval-every count batches where the protocol counts epochs.
                let d = network.protocol();
                let by_batches = self.batches.is_some() || self.eval_every.is_some();
                let lifetime = LifetimeConfig {
                    batch_size: self.batch_size.unwrap_or(d.batch_size),
                    max_batches: self.batches.unwrap_or(LifetimeConfig::default().max_batches),
                    eval_every: self.eval_every.unwrap_or(LifetimeConfig::default().eval_every),
                    epochs: self.epochs.unwrap_or(if by_batches { 0 } else { d.epochs }),
                    patience: self.patience.unwrap_or(d.patience),
                    min_delta: self.min_delta,
                    lr,
                    seed: self.seed,
                    stop_sample: self.stop_sample.unwrap_or(0),
                    optimizer: self.momentum.map_or(d.optimizer, |momentum| Optimizer::Sgd { momentum }),
                    warmup: self.warmup.unwrap_or(d.warmup),
                    ..d
                };
                lifetime
                    .validate()
                    .context("--batches / --epochs / --batch-size / --eval-every / --min-delta / --lr")?;
                StrategyConfig::EndToEnd(lifetime)
            }
            Strategy::Intermittent => {
                if self.momentum.is_some() {
                    bail!(
                        "--momentum trains end to end with SGD; --strategy intermittent trains its p-network with \
                         Adam: drop --momentum"
                    );
                }
                if encoding.is_direct() {
                    bail!(
                        "--strategy intermittent fits a genome to trained weights; --encoding direct has no genome \
                         apart from its weights: use --encoding gnet (or the default end-to-end strategy)"
                    );
                }
                let schedule = self.schedule.unwrap_or(if self.model == Model::Allcnn {
                    Schedule::Cifar
                } else {
                    Schedule::Mnist
                });
                let d = match schedule {
                    Schedule::Mnist => IntermittentConfig::default(),
                    Schedule::Cifar => IntermittentConfig::cifar(),
                };
                if schedule == Schedule::Cifar && (self.fit_all || self.fit_epochs.is_some()) {
                    bail!(
                        "--schedule cifar fits every weight, layer by layer, for the paper's epochs: drop --fit-all \
                         and --fit-epochs (or use --schedule mnist)"
                    );
                }
                let mut fit = FitConfig {
                    lr: self.fit_lr,
                    weight_epochs: self.fit_epochs.unwrap_or(d.fit.weight_epochs),
                    ..d.fit.clone()
                };
                if self.fit_paper_steps {
                    let Network::AllCnn { width } = network else {
                        bail!("--fit-paper-steps scales the CIFAR-10 fitting of --model allcnn; drop it")
                    };
                    if schedule != Schedule::Cifar {
                        bail!(
                            "--fit-paper-steps scales --schedule cifar's fitting; drop it or use --schedule cifar"
                        );
                    }
                    let paper = innate_encodings::allcnn::AllCnnSpec::cifar10();
                    let classes = if classes.is_empty() { paper.classes } else { classes.len() };
                    let ours = innate_encodings::allcnn::AllCnnSpec { width, classes, ..paper };
                    fit = fit.steps_of(&paper.tensor_entries(), &ours.tensor_entries());
                }
                let c = IntermittentConfig {
                    generations: self.generations.unwrap_or(d.generations),
                    // A number of images replaces the schedule's epochs.
                    images_per_generation: self.images_per_generation.unwrap_or(d.images_per_generation),
                    epochs_per_generation: match (self.epochs, self.images_per_generation) {
                        (Some(e), _) => e,
                        (None, Some(_)) => 0,
                        (None, None) => d.epochs_per_generation,
                    },
                    batch_size: self.batch_size.unwrap_or(d.batch_size),
                    lr: if schedule == Schedule::Cifar { self.lr.unwrap_or(d.lr) } else { lr },
                    lambda: self.lambda.unwrap_or(d.lambda),
                    seed: self.seed,
                    develop_first: self.develop_first,
                    fit: if self.fit_all { fit.all() } else { fit },
                    warmup: self.warmup.unwrap_or(d.warmup),
                    generation_warmup: self.generation_warmup.unwrap_or(d.generation_warmup),
                    ..d
                };
                c.validate().context("--generations / --images-per-generation / --lambda / --lr")?;
                StrategyConfig::Intermittent(c)
            }
        };
        let mut config = RunConfig::new(&dataset.to_string(), network, encoding, strategy, self.seed);
        config.train_limit = self.train_limit;
        config.genome_from = self.from.clone();
        config.standardise = self.standardise.then_some(innate_run::Standardise::Train);
        config.classes = classes;
        Ok(config)
    }
}

impl TransferArgs {
    /// The settings both networks learn with: no early stopping, so both curves have the same
    /// length.
    /// What the innate side learns.
    pub fn learn(&self) -> innate_run::Learn {
        match self.learn {
            LearnArg::Weights => innate_run::Learn::Weights,
            LearnArg::Genome => innate_run::Learn::Genome,
            LearnArg::Interaction => innate_run::Learn::Interaction,
            LearnArg::Expression => innate_run::Learn::Expression,
        }
    }

    /// The runs' training settings; `default_lr` when --lr is not given. For an All-CNN-C
    /// genome (`allcnn`) the paper's SGD protocol for `--epochs` (20) epochs, unless --batches.
    pub fn lifetime(&self, default_lr: f64, allcnn: Option<&Network>) -> anyhow::Result<LifetimeConfig> {
        let lifetime = match allcnn {
            Some(network) => {
                let d = network.protocol();
                let epochs =
                    if self.batches.is_some() { self.epochs.unwrap_or(0) } else { self.epochs.unwrap_or(20) };
                LifetimeConfig {
                    batch_size: self.batch_size.unwrap_or(d.batch_size),
                    max_batches: self.batches.unwrap_or(d.max_batches),
                    eval_every: self.eval_every.unwrap_or(d.eval_every),
                    epochs,
                    patience: 0,
                    lr: self.lr.unwrap_or(d.lr),
                    seed: self.seed,
                    ..d
                }
            }
            None => LifetimeConfig {
                batch_size: self.batch_size.unwrap_or(64),
                max_batches: self.batches.unwrap_or(6_000),
                eval_every: self.eval_every.unwrap_or(200),
                epochs: self.epochs.unwrap_or(0),
                patience: 0,
                lr: self.lr.unwrap_or(default_lr),
                seed: self.seed,
                ..LifetimeConfig::default()
            },
        };
        lifetime.validate().context("--batches / --epochs / --eval-every / --batch-size / --lr")?;
        Ok(lifetime)
    }

    /// `--layers`, as layer numbers.
    pub fn layers(&self) -> anyhow::Result<Vec<usize>> {
        self.layers.as_deref().map_or(Ok(Vec::new()), |l| number_list(l, "--layers"))
    }
}

impl ReproduceArgs {
    /// Runs trained at once: `--jobs`, else `cores` on the CPU and one on a GPU.
    pub fn jobs(&self, device: &str, cores: usize) -> usize {
        self.jobs.map_or(if device == "cpu" { cores.max(1) } else { 1 }, usize::from)
    }

    /// What `innate_experiments::run` is asked to do.
    pub fn options(&self, g: &GlobalArgs, cores: usize) -> ReproduceOptions {
        ReproduceOptions {
            profile: self.profile.into(),
            only: self.only.clone(),
            out: self.out.clone(),
            force: self.force,
            report_only: self.report_only,
            jobs: self.jobs(&g.device, cores),
            device: g.device.clone(),
            data_root: innate_datasets::data_root(g.data_dir.as_deref()),
            quiet: g.quiet,
            populations: self.populations.into(),
            population_size: self.population_size,
        }
    }
}

impl MetaArgs {
    /// The run configuration these arguments describe.
    pub fn run_config(&self) -> anyhow::Result<RunConfig> {
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            bail!("--hidden {:?}: every hidden layer needs at least one unit", self.hidden);
        }
        let flags = EncodingFlags {
            genes: self.genes,
            basis: self.basis,
            bias: self.bias.map(Into::into),
            preset: self.preset.map(Into::into),
            gnet_hidden: self.gnet_hidden.clone(),
            ..EncodingFlags::default()
        };
        let encoding = innate_run::meta::encoding(
            self.encoding.name(),
            &flags,
            self.per_layer_o,
            self.weight_scale.into(),
        )?;
        let meta = MetaConfig {
            ways: self.ways,
            shots: self.shots,
            queries: self.queries,
            rotations: !self.no_rotations,
            inner_steps: self.inner_steps,
            inner_lr: self.inner_lr,
            learn_inner_lr: !self.fixed_inner_lr,
            meta_batch: self.meta_batch,
            max_meta_batches: self.meta_batches.unwrap_or(MetaConfig::default().max_meta_batches),
            eval_every: self.eval_every,
            eval_batches: self.eval_batches,
            eval_tasks: self.eval_tasks,
            lr: self.lr,
            seed: self.seed,
            split_seed: self.split_seed,
            snapshot_every: self.snapshot_every,
        };
        meta.validate()?;
        let network = Network::Mlp { hidden: self.hidden.clone() };
        Ok(RunConfig::new(&self.dataset, network, encoding, StrategyConfig::Meta(meta), self.seed))
    }
}

/// `1`, `1-2`, `8-9`, `0..10` (0 to 9) or `0,2,4-6` as the numbers it lists, in order, without
/// repeats; `flag` names the option in the error.
pub fn number_list(text: &str, flag: &str) -> anyhow::Result<Vec<usize>> {
    let bad = || {
        anyhow::anyhow!(
            "{flag} {text}: expected numbers and ranges separated by commas, e.g. 1-2 (1 and 2), 0..10 (0 to 9) \
             or 0,2,4"
        )
    };
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (a, b) = match (part.split_once(".."), part.split_once('-')) {
            (Some((a, b)), _) => {
                let (a, b): (usize, usize) =
                    (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
                (a, b.checked_sub(1).filter(|&b| b >= a).ok_or_else(bad)?)
            }
            (None, Some((a, b))) => {
                (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?)
            }
            (None, None) => {
                let n: usize = part.parse().map_err(|_| bad())?;
                (n, n)
            }
        };
        if a > b {
            return Err(bad());
        }
        for n in a..=b {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    fn lifetime(line: &str) -> anyhow::Result<LifetimeConfig> {
        let Command::Train(args) = Cli::parse_from(line.split_whitespace()).command else {
            unreachable!("a train command line")
        };
        Ok(args.run_config()?.strategy.lifetime().expect("end to end").clone())
    }

    use super::*;

    #[test]
    fn lists_of_numbers_and_ranges() {
        assert_eq!(number_list("1-2", "--layers").unwrap(), [1, 2]);
        assert_eq!(number_list("8, 9,1", "--layers").unwrap(), [8, 9, 1]);
        assert_eq!(number_list("0,2-4,3", "--classes").unwrap(), [0, 2, 3, 4]);
        assert_eq!(number_list("0..3,7", "--seeds").unwrap(), [0, 1, 2, 7]);
        assert!(number_list("3..3", "--seeds").is_err());
        for bad in ["", "a", "3-1", "1-", "1,,2"] {
            let e = number_list(bad, "--layers").unwrap_err().to_string();
            assert!(e.starts_with(&format!("--layers {bad}: expected numbers")), "{e}");
        }
    }

    #[test]
    fn each_model_defaults_to_its_papers_protocol_and_flags_override_it() -> anyhow::Result<()> {
        // LeNet-5: batches of 128, 200 epochs evaluated every epoch, no early stopping.
        let l = lifetime("innate train --model lenet5")?;
        assert_eq!((l.batch_size, l.epochs, l.patience, l.lr), (128, 200, 0, 1e-3));
        assert_eq!(l.in_batches(60_000).eval_every, 469);
        // The MLP protocol counts batches.
        let m = lifetime("innate train --model mlp --encoding direct")?;
        assert_eq!(
            (m.batch_size, m.epochs, m.max_batches, m.eval_every, m.patience),
            (64, 0, 30_000, 1_000, 2)
        );
        // --batches or --eval-every count batches for LeNet-5 too; --epochs counts epochs for an MLP.
        let b = lifetime("innate train --model lenet5 --batches 100")?;
        assert_eq!((b.epochs, b.max_batches, b.eval_every), (0, 100, 1_000));
        assert_eq!(lifetime("innate train --model lenet5 --eval-every 50")?.epochs, 0);
        assert_eq!(lifetime("innate train --model mlp --encoding direct --epochs 3")?.epochs, 3);
        assert_eq!(lifetime("innate train --model lenet5 --patience 2 --batch-size 64")?.patience, 2);
        let e = lifetime("innate train --model lenet5 --epochs 0").unwrap_err();
        assert!(e.to_string().contains("--epochs 0: must be at least 1"), "{e}");
        assert!(Cli::try_parse_from("innate train --epochs 2 --batches 5".split_whitespace()).is_err());
        Ok(())
    }

    fn config(line: &str) -> anyhow::Result<RunConfig> {
        let Command::Train(args) = Cli::parse_from(line.split_whitespace()).command else {
            unreachable!("a train command line")
        };
        args.run_config()
    }

    #[test]
    fn fit_paper_steps_scales_a_narrow_all_cnn_c_and_is_refused_elsewhere() -> anyhow::Result<()> {
        let base = "innate train --dataset cifar10 --model allcnn --encoding gnet --preset gn10 --strategy intermittent";
        let epochs = |line: &str| -> anyhow::Result<Vec<usize>> {
            let c = config(line)?;
            let StrategyConfig::Intermittent(i) = &c.strategy else { unreachable!("intermittent") };
            Ok(i.fit.tensors.iter().map(|t| t.epochs).collect())
        };
        let per_generation = |line: &str| -> anyhow::Result<(usize, usize)> {
            let c = config(line)?;
            let i = c.strategy.intermittent().expect("intermittent");
            Ok((i.epochs_per_generation, i.images_per_generation))
        };
        assert_eq!(per_generation(base)?.0, 10);
        assert_eq!(per_generation(&format!("{base} --epochs 5"))?.0, 5);
        assert_eq!(per_generation(&format!("{base} --images-per-generation 640"))?, (0, 640));
        let paper = epochs(base)?;
        assert_eq!(&paper[..4], &[12, 10, 2, 10]);
        // At the paper's width the steps are the paper's; at width 16 layer 2's kernels take 56 passes.
        assert_eq!(epochs(&format!("{base} --fit-paper-steps"))?, paper);
        assert_eq!(&epochs(&format!("{base} --width 16 --fit-paper-steps"))?[..4], &[36, 50, 56, 50]);
        // Five classes: layer 9's 160 kernel weights are one minibatch, 2 at width 96 x 12 passes.
        let five = epochs(&format!("{base} --width 16 --fit-paper-steps --classes 0-4"))?;
        assert_eq!(five[16], 24);
        for (line, want) in [
            (
                "innate train --strategy intermittent --encoding gnet --preset gn30 --fit-paper-steps",
                "--model allcnn",
            ),
            (&format!("{base} --schedule mnist --fit-paper-steps"), "--schedule cifar"),
        ] {
            let e = config(line).unwrap_err().to_string();
            assert!(e.contains("--fit-paper-steps") && e.contains(want), "{e}");
        }
        Ok(())
    }
}
