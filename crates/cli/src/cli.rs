//! Command-line arguments of `innate`: what clap parses. `convert.rs` turns them into the
//! libraries' data (run configurations, reproduction options), in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "Grow neural networks from compact genomes: train, evaluate and inspect genomes, \
check datasets, and reproduce the figures of the genomic-bottleneck and developmental-priors papers.";

const AFTER: &str = "\
Data: datasets are read from <data root>/<dataset>/<official file names>, where the data root is
--data-dir, else $INNATE_DATA, else ./data. `cargo xtask download` fetches the official files.

Examples:
  innate data info mnist
  innate train --dataset mnist --model mlp --hidden 800 --encoding direct --seed 0 --out runs/mlp
  innate eval runs/mlp/genome.safetensors
  innate meta --encoding gem --genes 50 --meta-batches 2000 --out runs/meta-gem50
  innate reproduce --profile quick";

/// `innate`: grow neural networks from compact genomes.
#[derive(Debug, Parser)]
#[command(name = "innate", version, about = ABOUT, after_help = AFTER)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Data root holding <dataset>/<official files> [default: $INNATE_DATA, else ./data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Where tensors live and compute: cpu, cuda or cuda:N (needs a build with --features cuda)
    #[arg(long, global = true, default_value = "cpu", value_name = "DEVICE")]
    pub device: String,

    /// Print only warnings and errors, and no progress bars
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// More log output (-v: debug, -vv: trace); INNATE_LOG=<filter> overrides
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a genome (or a directly learned baseline) on a dataset and save it with its metrics
    Train(Box<TrainArgs>),
    /// Meta-learn a genome on few-shot tasks (first-order MAML with learned inner rates, Omniglot)
    Meta(Box<MetaArgs>),
    /// Train a network initialised from a genome beside a randomly initialised one (learning curves)
    Transfer(TransferArgs),
    /// Recompute a genome's accuracy from its file alone
    Eval(EvalArgs),
    /// Print a genome file's encoding, parameter counts, compression ratio, size in bits and run
    Inspect(InspectArgs),
    /// Publish a genome on the Hugging Face Hub: genome file, metrics and a model card, in one commit
    Push(PushArgs),
    /// Download a genome from the Hugging Face Hub into its cache and print the local path
    Pull(PullArgs),
    /// Check and describe datasets
    #[command(subcommand)]
    Data(DataCommand),
    /// Run the papers' experiments: results/NAME.jsonl, figures/NAME.png|svg and REPORT.md
    Reproduce(ReproduceArgs),
}

/// Hidden-layer size of `--model mlp` when `--hidden` is not given (the genomic-bottleneck
/// paper's 784-800-10 MLP).
pub const DEFAULT_HIDDEN: usize = 800;

/// The network a genome develops into (converts into `innate_run::Network`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Model {
    /// Single-layer perceptron: inputs -> classes (a linear classifier)
    Slp,
    /// One hidden ReLU layer: inputs -> --hidden -> classes
    Mlp,
    /// LeNet-5: two 5x5 convolutions (6 and 16 maps) with 2x2 average pooling, then 120-84-classes,
    /// on images up to 32x32 (--encoding direct, local or sgem)
    Lenet5,
    /// All-CNN-C, the genomic-bottleneck paper's 9-layer all-convolutional CIFAR-10 network:
    /// 3x3 convolutions of --width, --width, --width (stride 2) maps, then three of twice as many
    /// (the last stride 2), a 3x3 and a 1x1, a 1x1 to the classes, global average pooling; 50%
    /// dropout after layer 3. Trained with SGD, lr 0.05, momentum 0.9, batches of 128 (--encoding direct,
    /// or gnet with Table 2's --preset gn10, gn30 or gn50)
    Allcnn,
}

/// How the network's weights are encoded: one of the encodings of `innate-run`'s registry
/// (`innate_run::Encoding::SUMMARIES`), so that a new encoding needs nothing here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding(pub &'static str);

impl Encoding {
    /// The directly learned network (the default).
    pub const DIRECT: Encoding = Encoding("direct");

    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl ValueEnum for Encoding {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::OnceLock<Vec<Encoding>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| innate_run::Encoding::SUMMARIES.iter().map(|(name, _)| Encoding(name)).collect())
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        innate_run::Encoding::SUMMARIES
            .iter()
            .find(|(name, _)| *name == self.0)
            .map(|(name, summary)| clap::builder::PossibleValue::new(*name).help(*summary))
    }
}

/// The g-network sizes of the genomic-bottleneck paper's Table 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    /// (20-10-5-1) x 2 weight g-networks: 613 parameters, 1038x compression
    Gn5,
    /// (20-20-10-1) x 2: 1,353 parameters, 470x
    Gn20,
    /// (20-30-10-1) x 2: 1,973 parameters, 322x; with --model allcnn (Table 2) x 9: 9,378, 146x
    Gn30,
    /// --model allcnn (Table 2): (20-10-10-1) x 9: 3,798 parameters, 361x
    Gn10,
    /// --model allcnn (Table 2): (20-50-10-1) x 9: 14,958 parameters, 92x
    Gn50,
}

/// The intermittent schedule a run starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Schedule {
    /// The paper's MNIST runs
    Mnist,
    /// The paper's CIFAR-10 runs (Table 2)
    Cifar,
}

/// How a genome is trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Strategy {
    /// Per batch: develop, forward, backpropagate into the genome, update (the lifetime loop)
    #[default]
    EndToEnd,
    /// Per generation: develop, train the p-network on --images-per-generation images, fit the
    /// genome to it by mean-squared error, regenerate (genomic bottleneck, Fig. S.2B)
    Intermittent,
}

/// Biases on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BiasArg {
    /// Learned biases (genome parameters)
    Learned,
    /// Fixed random biases, randn x 0.5 (not learned, not counted)
    Fixed,
    /// No biases
    None,
}

/// How a GEM-family genome scales each developed layer on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightScaleArg {
    /// The element spread of Kaiming's initialisation, sqrt(2 / inputs) (the reference code)
    Spread,
    /// The largest singular value of a Kaiming-normal matrix of the layer's shape: keeps a deep
    /// low-rank network's outputs from blowing up at the start
    Norm,
}

/// What the innate side of `innate transfer` learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LearnArg {
    /// The developed network's weights, directly, against a direct network from random weights
    /// (the genomic-bottleneck paper's transfer test)
    Weights,
    /// The genome goes on learning, every tensor, against the same genome drawn at random
    Genome,
    /// Only the interaction matrix O learns, the expression (gene fields) frozen as the genome
    /// file left it, against a random genome learning only its O (gem, sgem, mlsgem)
    Interaction,
    /// Only the expression learns (gene fields or X, learned biases), O frozen (gem, sgem, mlsgem)
    Expression,
}

/// How the centres of Gaussian gene fields start (S-GEM, ML-S-GEM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CentreInitArg {
    /// tanh of U(-1, 1): within ±0.76 of the grid's middle (the reference code)
    Reference,
    /// Uniform over the whole grid
    Uniform,
    /// Evenly spread on a sunflower spiral over the middle of the grid (radius 0.7), the same
    /// for every seed
    Spiral,
}

/// `innate train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Dataset: mnist, fashion-mnist, cifar-10, cifar-10-jpeg, svhn, omniglot, or folder:PATH
    #[arg(long, default_value = "mnist")]
    pub dataset: String,

    /// Network shape
    #[arg(long, value_enum, default_value_t = Model::Mlp)]
    pub model: Model,

    /// Hidden-layer size of --model mlp (the genomic-bottleneck paper uses 800, the
    /// developmental-priors paper 784) [default: 800]
    #[arg(long, allow_negative_numbers = true)]
    pub hidden: Option<usize>,

    /// Maps of --model allcnn's first three layers (the next five have twice as many) [default:
    /// 96, the paper's; fewer for short runs on a CPU]
    #[arg(long, value_name = "W")]
    pub width: Option<usize>,

    /// Weight encoding
    #[arg(long, value_enum, default_value_t = Encoding::DIRECT)]
    pub encoding: Encoding,

    /// Genes per neuron (G) for gem, sgem and mlsgem (with --model lenet5, the convolutions'
    /// neurons' genes, 150 in the paper for MNIST and 229 for CIFAR-10; its linear layers have 30)
    #[arg(long, value_name = "G", allow_negative_numbers = true)]
    pub genes: Option<usize>,

    /// Number of basis vectors (B) for rb
    #[arg(long, value_name = "B", allow_negative_numbers = true)]
    pub basis: Option<usize>,

    /// gem, sgem, mlsgem: learn the output neurons' expression matrix (the paper keeps it fixed random)
    #[arg(long)]
    pub learn_output: bool,

    /// The layers' biases [default: learned for direct, fixed random (randn x 0.5, as the
    /// reference code) for the encodings]
    #[arg(long, value_enum)]
    pub bias: Option<BiasArg>,

    /// sgem, mlsgem: where the gene fields' centres start [default: reference]
    #[arg(long, value_enum)]
    pub centre_init: Option<CentreInitArg>,

    /// gnet: g-network sizes of the paper's Table 1
    #[arg(long, value_enum)]
    pub preset: Option<PresetArg>,

    /// gnet: hidden sizes of the weight g-networks instead of a preset, e.g. 30,10
    #[arg(long, value_delimiter = ',', value_name = "H1,H2", conflicts_with = "preset")]
    pub gnet_hidden: Option<Vec<usize>>,

    /// How the genome is trained
    #[arg(long, value_enum, default_value_t = Strategy::EndToEnd)]
    pub strategy: Strategy,

    /// intermittent: the paper's schedule to start from: mnist (Adam, 10,000 images per
    /// generation, sampled fitting, no annealing) or cifar (SGD 0.05 with momentum 0.9, 10 epochs
    /// per generation, every weight fitted layer by layer, lambda 20) [default: cifar for --model
    /// allcnn, else mnist]; the flags below change it
    #[arg(long, value_enum)]
    pub schedule: Option<Schedule>,

    /// intermittent: number of generations [default: 500]
    #[arg(long)]
    pub generations: Option<usize>,

    /// intermittent: training images per generation [default: 10,000 (mnist); cifar counts 10 epochs]
    #[arg(long, value_name = "N")]
    pub images_per_generation: Option<usize>,

    /// intermittent: annealing constant lambda of eps(n) = exp(-n/lambda); 0 regenerates the
    /// p-network fully every generation [default: 0 (mnist: the paper's MNIST runs), 20 (cifar)]
    #[arg(long)]
    pub lambda: Option<f64>,

    /// intermittent: Adam's learning rate for fitting the g-networks to the trained weights
    #[arg(long, default_value_t = 1e-3, value_name = "LR")]
    pub fit_lr: f64,

    /// intermittent: passes over the sampled weights when fitting the g-networks each generation
    /// [default: 1]
    #[arg(long, value_name = "N")]
    pub fit_epochs: Option<usize>,

    /// intermittent: fit the g-networks to every trained weight and bias each generation (the
    /// reference script: one pass over all 627,200 hidden-layer weights) instead of the paper's
    /// samples of 10^5 hidden-layer, 10^4 output-layer and 10^4 bias entries
    #[arg(long)]
    pub fit_all: bool,

    /// intermittent, --schedule cifar: fit each g-network as many Adam steps per generation as
    /// on the paper's width-96 network (more passes over a narrower --width's fewer weights: at
    /// width 16, 67 passes over layer 5's kernels instead of 2) in place of the paper's passes,
    /// which at a narrow width are a few minibatches [default: the paper's passes]
    #[arg(long)]
    pub fit_paper_steps: bool,

    /// intermittent: train the network developed from the random genome in generation 1 (the
    /// paper's text) instead of a randomly initialised one (the reference code; the default)
    #[arg(long)]
    pub develop_first: bool,

    /// Most training batches (training stops earlier when the test accuracy stalls; end-to-end
    /// only) [default: 30,000; --model lenet5 counts --epochs instead]
    #[arg(long, conflicts_with = "epochs")]
    pub batches: Option<usize>,

    /// Train for N passes over the training set, evaluating after each, in place of --batches
    /// and --eval-every [default: 200 for --model lenet5, the paper's protocol; other models
    /// count --batches]; with --strategy intermittent, the p-network's passes per generation in
    /// place of --images-per-generation [default: 10 for --schedule cifar]
    #[arg(long, value_name = "N", conflicts_with = "images_per_generation")]
    pub epochs: Option<usize>,

    /// Images per training batch [default: 64; 128 for --model lenet5; 100 for --strategy
    /// intermittent, as the genomic-bottleneck reference code]
    #[arg(long)]
    pub batch_size: Option<usize>,

    /// Evaluate on the whole test set every N batches [default: 1,000; with --epochs, every epoch]
    #[arg(long, value_name = "N", conflicts_with = "epochs")]
    pub eval_every: Option<usize>,

    /// Stop after this many evaluations without an improvement of more than --min-delta (0: never;
    /// end-to-end only) [default: 2; 0 for --model lenet5, whose protocol runs every epoch and
    /// reports the best]
    #[arg(long)]
    pub patience: Option<usize>,

    /// Improvement of the test accuracy (a fraction) that counts for early stopping
    #[arg(long, default_value_t = 0.005)]
    pub min_delta: f64,

    /// Base early-stopping decisions on N test images drawn at random at each evaluation, as the
    /// developmental-priors reference code (about 500) does; reported accuracies always use the
    /// whole test set [default: the whole test set]
    #[arg(long, value_name = "N")]
    pub stop_sample: Option<usize>,

    /// The learning rate (Adam's, or SGD's with --momentum) [default: 0.001 for direct and gnet,
    /// 0.01 for gem, sgem, mlsgem and rb (the reference code)]; with --strategy intermittent the
    /// p-network's (the g-networks are fitted at 0.001)
    #[arg(long)]
    pub lr: Option<f64>,

    /// Train with SGD with momentum M instead of Adam (the genomic-bottleneck paper's CIFAR-10
    /// protocol: --momentum 0.9 --lr 0.05 --batch-size 128; 0 for plain SGD); end-to-end only
    #[arg(long, value_name = "M")]
    pub momentum: Option<f64>,

    /// Raise the learning rate linearly over the first N training batches (with --strategy
    /// intermittent: the p-network's first N batches of the run) [default: 0, none, the papers'
    /// protocol]. Not in the papers: with --standardise it keeps All-CNN-C's SGD from stalling at
    /// chance on some seeds (README, "Seed stability"; 160 there)
    #[arg(long, value_name = "N")]
    pub warmup: Option<usize>,

    /// intermittent: raise the p-network's learning rate linearly again over the first N batches
    /// of every generation, whose p-network is a new blend of the trained one and the genome's
    /// [default: 0, none, the paper's protocol]. Not in the paper: at --width 16 a GN10 run
    /// collapsed to chance in generation 4 without it
    #[arg(long, value_name = "N")]
    pub generation_warmup: Option<usize>,

    /// Standardise each image channel with the training images' mean and standard deviation
    /// (measured when the run starts, recorded in its files and applied by `innate eval`) instead
    /// of scaling pixels to [0, 1], the papers' protocol
    #[arg(long)]
    pub standardise: bool,

    /// Seed of the initial genome and of the batch order (same seed, same CPU run)
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Train one run per seed, e.g. 0..10 (seeds 0 to 9) or 0,3,7: runs that can (end-to-end or
    /// intermittent learning of an MLP by the direct, gem, sgem, mlsgem, rb or gnet encoding)
    /// train together as one population, each member as its own run would (same data order,
    /// early stopping, fitting samples, results), the others one after another. Each writes its own run folder: --out DIR/seed<S>, or the
    /// default folder of its seed
    #[arg(long, value_name = "LIST", conflicts_with_all = ["seed", "resume", "from"])]
    pub seeds: Option<String>,

    /// With --seeds: train the runs one at a time instead of as a population (for comparing the
    /// two; the results agree up to floating-point rounding)
    #[arg(long, requires = "seeds")]
    pub one_at_a_time: bool,

    /// Train on the first N training images only (for quick checks)
    #[arg(long, value_name = "N")]
    pub train_limit: Option<usize>,

    /// Train and test on the images of these classes only, e.g. 0-4 or 0,2,4 (labels unchanged,
    /// so the network keeps an output for every class) [default: all]
    #[arg(long, value_name = "LIST")]
    pub classes: Option<String>,

    /// Start from the learned tensors of this genome (a file, or hf://USER/NAME[@REVISION]) instead
    /// of the seed's random draw: the file must be of the same encoding, network, settings and seed
    /// (to change those, see `innate transfer --learn genome`)
    #[arg(long, value_name = "GENOME")]
    pub from: Option<PathBuf>,

    /// Run folder for genome.safetensors and metrics.json [default:
    /// runs/<dataset>-<model>-<encoding>[-<size>][-intermittent]-seed<S>]
    #[arg(long, value_name = "RUN_DIR")]
    pub out: Option<PathBuf>,

    /// Replace the genome and metrics of a finished run in RUN_DIR, or the checkpoint of an
    /// interrupted one (otherwise that is an error)
    #[arg(long)]
    pub overwrite: bool,

    /// Go on with the interrupted run in RUN_DIR from its checkpoint (written after every
    /// evaluation or epoch, and every generation), with the run's own settings (those in the
    /// checkpoint; the other training flags are not read): on the CPU the same genome and curves
    /// as a run that never stopped
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
}

/// `innate meta`: the developmental-priors paper's Fig. 3 protocol by default.
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
The network is 784-H1-H2-WAYS with ReLUs (the paper: 784-784-784-5). GEM and S-GEM share one
interaction matrix O between all layers and learn the output neurons' expression, as in the paper's
meta-learning networks (S-GEM with a shared O is the encoding mlsgem). The paper's models:
  direct; gem --genes 50 (10x); gem --genes 20 (25x); sgem --genes 43 (500x); sgem --genes 28 (1000x)
Per meta-batch the genome develops the network once; each task adapts its developed weights and
biases by --inner-steps steps of SGD, each named tensor with its own learned rate per step; the
first-order meta-gradient goes back through development into the genome. Every --eval-every
meta-batches the adapted networks are tested on --eval-batches x --eval-tasks held-out tasks (the
same tasks each time); the genome file keeps the genome at its best test and its inner rates.")]
pub struct MetaArgs {
    /// Few-shot dataset (only omniglot has the structure: 1,200 training characters, the rest held out)
    #[arg(long, default_value = "omniglot")]
    pub dataset: String,

    /// Encoding: direct, gem or sgem (the paper's; mlsgem is the same as sgem here), rb (needs
    /// --basis) or gnet (needs --preset or --gnet-hidden)
    #[arg(long, value_enum, default_value_t = Encoding::DIRECT)]
    pub encoding: Encoding,

    /// Genes per neuron (gem: 50 for 10x, 20 for 25x; sgem: 43 for 500x, 28 for 1000x)
    #[arg(long, value_name = "G", allow_negative_numbers = true)]
    pub genes: Option<usize>,

    /// Number of basis vectors (B) for rb
    #[arg(long, value_name = "B", allow_negative_numbers = true)]
    pub basis: Option<usize>,

    /// gnet: g-network sizes of the genomic-bottleneck paper's Table 1
    #[arg(long, value_enum)]
    pub preset: Option<PresetArg>,

    /// gnet: hidden sizes of the weight g-networks instead of a preset, e.g. 30,10
    #[arg(long, value_delimiter = ',', value_name = "H1,H2", conflicts_with = "preset")]
    pub gnet_hidden: Option<Vec<usize>>,

    /// Hidden layer sizes
    #[arg(long, value_delimiter = ',', value_name = "H1,H2", default_value = "784,784")]
    pub hidden: Vec<usize>,

    /// GEM: one interaction matrix per layer instead of one shared by all (not the paper's)
    #[arg(long)]
    pub per_layer_o: bool,

    /// GEM family: how each developed layer is scaled when the genome is built [default: spread,
    /// the reference code's; norm keeps the 784-784-784 network's first outputs small]
    #[arg(long, value_enum, default_value_t = WeightScaleArg::Spread)]
    pub weight_scale: WeightScaleArg,

    /// The layers' biases [default: learned for direct, fixed random (randn x 0.5) for the GEM
    /// family]; the inner loop adapts the developed biases in every case but none
    #[arg(long, value_enum)]
    pub bias: Option<BiasArg>,

    /// Classes per task
    #[arg(long, default_value_t = 5)]
    pub ways: usize,

    /// Support images per class
    #[arg(long, default_value_t = 1)]
    pub shots: usize,

    /// Query images per class
    #[arg(long, default_value_t = 10)]
    pub queries: usize,

    /// Do not count characters rotated by 90, 180 and 270 degrees as new training classes
    #[arg(long)]
    pub no_rotations: bool,

    /// SGD steps of the inner loop
    #[arg(long, default_value_t = 2)]
    pub inner_steps: usize,

    /// Initial inner-loop rate of every tensor and step (MAML's Omniglot step size)
    #[arg(long, default_value_t = 0.4, value_name = "LR")]
    pub inner_lr: f64,

    /// Keep the inner rates fixed at --inner-lr instead of learning them (plain first-order MAML)
    #[arg(long)]
    pub fixed_inner_lr: bool,

    /// Tasks per meta-batch
    #[arg(long, default_value_t = 32, value_name = "T")]
    pub meta_batch: usize,

    /// Meta-batches (outer steps) [default: 50,000]
    #[arg(long, value_name = "N")]
    pub meta_batches: Option<usize>,

    /// Go on with the run in RUN_DIR from its last checkpoint (written after every test), with
    /// the run's own settings: the same genome and curve as a run that never stopped. Only
    /// --meta-batches may be given with it, to train longer
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,

    /// Test on held-out tasks every N meta-batches
    #[arg(long, default_value_t = 250, value_name = "N")]
    pub eval_every: usize,

    /// Held-out batches per test
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub eval_batches: usize,

    /// Tasks per held-out batch
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub eval_tasks: usize,

    /// Adam's learning rate in the outer loop
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,

    /// Seed of the initial genome and of the tasks drawn
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Seed of the split of characters into training and held-out ones
    #[arg(long, default_value_t = 1)]
    pub split_seed: u64,

    /// Keep the genome every N meta-batches (a multiple of --eval-every) and at the start, as
    /// RUN_DIR/snapshots/meta-batch-NNNNNN.safetensors genome files (innate eval and inspect read
    /// them), for analyses of the network over training; 0: none
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub snapshot_every: usize,

    /// Run folder [default: runs/omniglot-<network>-<encoding>[-<size>]-meta-seed<S>]
    #[arg(long, value_name = "RUN_DIR")]
    pub out: Option<PathBuf>,

    /// Replace the genome and metrics of a finished run in RUN_DIR
    #[arg(long)]
    pub overwrite: bool,
}

/// `innate transfer`.
#[derive(Debug, Clone, Args)]
pub struct TransferArgs {
    /// The genome the "innate" side starts from (RUN_DIR/genome.safetensors, or
    /// hf://USER/NAME[@REVISION] on the Hugging Face Hub)
    #[arg(long, value_name = "GENOME")]
    pub from: PathBuf,

    /// What the innate side learns: the developed network's weights, or the genome itself (all of
    /// it, only O, or only the expression); the naive side learns the same from random weights or a
    /// random genome of the same seed. With the genome's own tensors learning, the genome's
    /// encoding, network and seed are the file's, and --seed is not used
    #[arg(long, value_enum, default_value_t = LearnArg::Weights)]
    pub learn: LearnArg,

    /// Dataset to learn (fashion-mnist for the paper's transfer test; mnist for learning after birth)
    #[arg(long, default_value = "fashion-mnist")]
    pub dataset: String,

    /// Training batches (no early stopping, so both curves have the same length) [default: 6,000;
    /// for an All-CNN-C genome, --epochs]
    #[arg(long)]
    pub batches: Option<usize>,

    /// Evaluate on the whole test set every N batches [default: 200]
    #[arg(long, value_name = "N")]
    pub eval_every: Option<usize>,

    /// Passes over the training set, the test set after each, in place of --batches [default
    /// for an All-CNN-C genome: 20]
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,

    /// Images per training batch [default: 64; 128 for an All-CNN-C genome]
    #[arg(long)]
    pub batch_size: Option<usize>,

    /// The learning rate [default: Adam's 0.001 with --learn weights, else the encoding's own, 0.01
    /// for the GEM family; for an All-CNN-C genome the paper's SGD, 0.05 with momentum 0.9]
    #[arg(long)]
    pub lr: Option<f64>,

    /// All-CNN-C genomes: the layers (numbered 1-9, input side first) that start from the genome's
    /// network, e.g. 1, 1-2 or 8-9 (Fig. 3G); the others start from random weights [default: all]
    #[arg(long, value_name = "LIST")]
    pub layers: Option<String>,

    /// Learn only the images of these classes, e.g. 5-9 or 0,2,4 (labels unchanged) [default: all]
    #[arg(long, value_name = "LIST")]
    pub classes: Option<String>,

    /// Seed of the batch order and of the naive network's initial weights
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Folder for innate/ and naive/ runs and transfer.json [default: next to the genome,
    /// transfer-<dataset>-seed<S>, or transfer-<dataset>-<learn> when the genome itself learns;
    /// for a genome from the Hub, under runs/hub-USER--NAME/]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Replace finished runs in the output folder
    #[arg(long)]
    pub overwrite: bool,
}

/// `innate eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// A genome file written by `innate train` (RUN_DIR/genome.safetensors), or
    /// hf://USER/NAME[@REVISION] on the Hugging Face Hub
    pub genome: PathBuf,

    /// Dataset to evaluate on [default: the one the genome was trained on]
    #[arg(long)]
    pub dataset: Option<String>,

    /// Which split to evaluate on
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    pub split: SplitArg,
}

/// A dataset split on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// The training images
    Train,
    /// The held-out test images
    Test,
}

/// `innate inspect`.
#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// A genome file written by `innate train`, or hf://USER/NAME[@REVISION] on the Hugging Face Hub
    pub genome: PathBuf,

    /// Print the metadata as JSON instead of a summary
    #[arg(long)]
    pub json: bool,

    /// Also measure the test accuracy of the network developed from the genome quantised to 16,
    /// 8, 4 and 2 bits per learned value (on the dataset it was trained on; needs --data-dir)
    #[arg(long)]
    pub quantise_check: bool,

    /// Also draw the genome: STEM-weights.png (the first layer's developed weights as images, one
    /// per neuron, for up to 20 neurons, when the input is a known single-channel image) and, for
    /// spatial genomes, STEM-fields-layerL.png/.svg (each layer's gene fields at the start of
    /// training and in the file, which holds the run's best checkpoint)
    #[arg(long, value_name = "STEM", conflicts_with = "json")]
    pub draw: Option<PathBuf>,
}

/// `innate push`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// A run folder (genome.safetensors, and metrics.json when it has one) or a genome file
    pub source: PathBuf,

    /// The Hub repository, USER/NAME (created if it does not exist)
    #[arg(long, value_name = "USER/NAME")]
    pub repo: String,

    /// Create the repository private (an existing one keeps its visibility)
    #[arg(long)]
    pub private: bool,

    /// The branch to commit to (created from main if it does not exist) [default: main]
    #[arg(long, value_name = "BRANCH")]
    pub revision: Option<String>,

    /// Publish the genome with its learned tensors quantised to N bits per value (16: half
    /// floats; 8, 4, 2: evenly spaced levels per tensor); `innate inspect --quantise-check` shows
    /// what each costs in accuracy
    #[arg(long, value_name = "N", value_parser = parse_bits)]
    pub bits: Option<u32>,

    /// The commit message [default: "Upload ENCODING genome with innate VERSION"]
    #[arg(long)]
    pub message: Option<String>,

    /// Print the model card and the files that would be uploaded, and send nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `--bits`: 16, 8, 4 or 2.
fn parse_bits(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(b) if innate_encodings::quant::BITS.contains(&b) => Ok(b),
        _ => Err(format!("{s:?} is not a quantisation innate has: give 16, 8, 4 or 2 bits per value")),
    }
}

/// `innate pull`.
#[derive(Debug, Clone, Args)]
pub struct PullArgs {
    /// The Hub repository, USER/NAME or USER/NAME@REVISION (a branch, tag or commit); the token
    /// (HF_TOKEN) is needed for private ones; HF_HUB_OFFLINE=1 reads the cache only
    #[arg(value_name = "USER/NAME[@REVISION]")]
    pub repo: String,
}

/// `innate data ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum DataCommand {
    /// Verify a dataset's files (checksums, formats, counts) and print counts and class balance
    Info {
        /// Datasets to check [default: every dataset found under the data root]
        datasets: Vec<String>,
    },
}

/// Experiment profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Few seeds and shortened sweeps: minutes on 2 CPU cores
    Quick,
    /// The papers' protocol and seeds (for a GPU or a long night)
    Paper,
    /// A few batches of every experiment, for testing the pipeline on the fixtures
    #[value(hide = true)]
    Smoke,
}

/// `innate reproduce`.
#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    /// Which protocol to run
    #[arg(long, value_enum, default_value_t = Profile::Quick)]
    pub profile: Profile,

    /// Run only these experiments (repeatable); see --list
    #[arg(long, value_name = "NAME")]
    pub only: Vec<String>,

    /// List the experiments and exit
    #[arg(long)]
    pub list: bool,

    /// Folder for results/, figures/, runs/ and REPORT.md
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub out: PathBuf,

    /// Run again even where a finished run with the same configuration exists
    #[arg(long)]
    pub force: bool,

    /// Only redraw figures and REPORT.md from what results/ holds (no training; works on a fresh
    /// checkout, whose committed results/ is enough)
    #[arg(long)]
    pub report_only: bool,

    /// Runs trained at once, each on the machine's cores divided among them (RAYON_NUM_THREADS
    /// overrides the threads per run) [default: the CPU cores with --device cpu, where small
    /// networks train fastest on one thread each; 1 with cuda]. The runs' results are the same
    /// as with one job. With more than one, a single bar counts each experiment's finished runs;
    /// runs that start from another run's genome wait for it
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N")]
    pub jobs: Option<u16>,

    /// When runs that differ only in their seeds (end-to-end learning of an MLP by the direct,
    /// gem, sgem, mlsgem or rb encoding) train together as one population, each member as its
    /// own run would: auto (where that is faster: every such run on CUDA; on the CPU the
    /// single-layer perceptrons, README "Populations"), always, or never
    #[arg(long, value_enum, default_value_t = PopulationsArg::Auto)]
    pub populations: PopulationsArg,

    /// Most runs in one population (0: as many as differ only in their seeds)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub population_size: usize,
}

/// `--populations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PopulationsArg {
    /// Where that is faster.
    Auto,
    /// Whenever runs can share one.
    Always,
    /// Every run alone.
    Never,
}

impl From<PopulationsArg> for innate_run::Populations {
    fn from(p: PopulationsArg) -> Self {
        match p {
            PopulationsArg::Auto => Self::Auto,
            PopulationsArg::Always => Self::Always,
            PopulationsArg::Never => Self::Never,
        }
    }
}
