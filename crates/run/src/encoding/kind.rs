//! What an encoding implements to take part in the registry ([`EncodingKind`]), and what it is
//! given: the command line's flags ([`EncodingFlags`]) and the network to build for
//! ([`BuildContext`]).

use std::path::Path;

use candle_core::Device;
use innate_encodings::population::Population;
use innate_encodings::{AnyNet, BiasMode, CentreInit, Genome, MlpSpec, Net};

use crate::error::Result;
use crate::network::Arch;

/// Any genome, developing any phenotype (an MLP or a convolutional network, as a [`Net`]).
pub type NetGenome = Box<dyn Genome<Phenotype = Net>>;

/// What building a fresh genome needs besides the encoding's own settings.
pub struct BuildContext<'a> {
    /// The network to build the genome for (an MLP's layer sizes come with biases; an encoding
    /// that can leave them out says so).
    pub arch: Arch,
    /// The input neurons' grid (rows, columns) when the inputs are the pixels of one image
    /// channel, for encodings that label input neurons by their position.
    pub image: Option<(usize, usize)>,
    /// The dataset's name, for messages.
    pub dataset: &'a str,
    /// Seed of the genome's initial values.
    pub seed: u64,
    /// The network developed from the genome file of [`EncodingKind::starts_from`], if any.
    pub start: Option<Net>,
    /// Where the genome's tensors live.
    pub device: &'a Device,
}

impl BuildContext<'_> {
    /// The MLP to build, or an error for encodings (named `encoding`) that only encode MLPs.
    pub fn mlp(&self, encoding: &str) -> Result<MlpSpec> {
        match &self.arch {
            Arch::Mlp(spec) => Ok(spec.clone()),
            other => crate::error::config(format!(
                "--encoding {encoding} encodes MLPs (--model slp or mlp), not {}: for --model lenet5 use \
                 --encoding direct, local or sgem; for --model allcnn, --encoding direct or gnet",
                other.name()
            )),
        }
    }
}

/// The encoding options a command line gives, before an encoding reads those it uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EncodingFlags {
    /// `--genes G`.
    pub genes: Option<usize>,
    /// `--basis B`.
    pub basis: Option<usize>,
    /// `--learn-output`.
    pub learn_output: bool,
    /// `--bias`.
    pub bias: Option<BiasMode>,
    /// `--centre-init`.
    pub centres: Option<CentreInit>,
    /// `--preset`.
    pub preset: Option<innate_gnet::Preset>,
    /// `--gnet-hidden H1,H2`.
    pub gnet_hidden: Option<Vec<usize>>,
}

/// One of the [`EncodingFlags`], for saying which an encoding reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// `--genes`
    Genes,
    /// `--basis`
    Basis,
    /// `--learn-output`
    LearnOutput,
    /// `--centre-init`
    CentreInit,
    /// `--preset`
    Preset,
    /// `--gnet-hidden`
    GnetHidden,
}

impl Flag {
    /// Every flag, in the order a command line's flags are checked.
    pub const ALL: [Flag; 6] =
        [Flag::Genes, Flag::Basis, Flag::LearnOutput, Flag::CentreInit, Flag::Preset, Flag::GnetHidden];

    /// The flag as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Flag::Genes => "--genes",
            Flag::Basis => "--basis",
            Flag::LearnOutput => "--learn-output",
            Flag::CentreInit => "--centre-init",
            Flag::Preset => "--preset",
            Flag::GnetHidden => "--gnet-hidden",
        }
    }

    /// Whether `flags` gives this flag.
    pub fn given(self, flags: &EncodingFlags) -> bool {
        match self {
            Flag::Genes => flags.genes.is_some(),
            Flag::Basis => flags.basis.is_some(),
            Flag::LearnOutput => flags.learn_output,
            Flag::CentreInit => flags.centres.is_some(),
            Flag::Preset => flags.preset.is_some(),
            Flag::GnetHidden => flags.gnet_hidden.is_some(),
        }
    }
}

/// An encoding's settings, and how they become a genome.
///
/// `--bias` is not among the [`Flag`]s an encoding declares: every encoding reads it, and one
/// that cannot use it says why in its own words.
pub trait EncodingKind: Sized {
    /// What it is, in one line (`innate train --help` lists it under `--encoding`).
    const SUMMARY: &'static str;

    /// The flags it reads (others given on the command line are an error naming them).
    const READS: &'static [Flag];

    /// Whether its training runs fastest on one CPU thread (products too small for threads).
    const ONE_THREAD: bool = false;

    /// The settings from the command line's flags (those it does not read are already checked
    /// absent); an error names a missing flag.
    fn from_flags(flags: &EncodingFlags) -> Result<Self>;

    /// A fresh genome for the network of `ctx`, initialised from its seed.
    fn build(&self, ctx: BuildContext<'_>) -> Result<NetGenome>;

    /// The genome a file's metadata describes (`config`: its [`Genome::config`]), with freshly
    /// drawn tensors, ready for the file's tensors to be restored into it.
    fn rebuild(config: &serde_json::Value, device: &Device) -> innate_encodings::Result<NetGenome>;

    /// Adam's learning rate when none is given (0.01, the developmental-priors reference code's
    /// scaling runs, unless the encoding says otherwise).
    fn default_lr(&self) -> f64 {
        1e-2
    }

    /// Its size in a run folder's name, such as `-g9` (empty when it has none).
    fn size_label(&self) -> String {
        String::new()
    }

    /// A genome file whose developed network this genome starts from, if any.
    fn starts_from(&self) -> Option<&Path> {
        None
    }

    /// Fresh genomes for the networks of `ctxs` (one per member: the same network, different
    /// seeds) and the same genomes as one population ([`innate_encodings::population`]), for
    /// encodings whose genomes of that network can train together; `None` (the default) where
    /// they cannot, and the runs train one at a time.
    fn population(&self, ctxs: Vec<BuildContext<'_>>) -> Result<Option<Members>> {
        let _ = ctxs;
        Ok(None)
    }
}

/// The genomes of a population's members, one by one (what each member's run folder is written
/// from) and as the [`Population`] that trains them.
pub struct Members {
    /// Each member's genome, in the order of the build contexts.
    pub genomes: Vec<NetGenome>,
    /// The same genomes' tensors, stacked.
    pub population: Box<dyn Population>,
}

/// [`Members`] of genomes whose network is an MLP, stacked by `stack`.
pub fn members<G, P>(
    genomes: Vec<G>,
    stack: impl FnOnce(&[&G]) -> innate_encodings::Result<P>,
) -> Result<Members>
where
    G: Genome<Phenotype = innate_encodings::Mlp> + 'static,
    P: Population + 'static,
{
    let population = Box::new(stack(&genomes.iter().collect::<Vec<_>>())?);
    let genomes = genomes.into_iter().map(|g| Box::new(AnyNet(g)) as NetGenome).collect();
    Ok(Members { genomes, population })
}
