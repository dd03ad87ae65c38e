//! The encodings the command line knows: building a genome from a run's configuration, or
//! again from a genome file's metadata.

use anyhow::{Context, bail};
use candle_core::Device;
use innate_encodings::{BiasMode, Genome, GenomeFile, Mlp, MlpSpec};
use innate_gem::{Direct, GemConfig, GemNet, RandomBasis, RandomBasisConfig};

use crate::cli::Encoding;
use crate::runs::RunConfig;

/// Any genome that develops into an MLP.
pub type MlpGenome = Box<dyn Genome<Phenotype = Mlp>>;

/// A fresh genome of the run's encoding for a network of shape `spec`, initialised from the
/// run's seed.
pub fn build(run: &RunConfig, spec: MlpSpec, device: &Device) -> anyhow::Result<MlpGenome> {
    let genes = || {
        run.genes.filter(|&g| g > 0).with_context(|| {
            format!("--encoding {} needs --genes G (genes per neuron, at least 1)", run.encoding.name())
        })
    };
    let seed = run.seed;
    let spec = MlpSpec { bias: run.bias != Some(BiasMode::None), ..spec };
    let with_bias = |mut c: GemConfig| {
        if let Some(b) = run.bias {
            c.bias = b;
        }
        c
    };
    Ok(match run.encoding {
        Encoding::Direct => {
            if run.bias == Some(BiasMode::FixedRandom) {
                bail!(
                    "--encoding direct learns its biases: --bias fixed is for the encodings (use learned or none)"
                );
            }
            Box::new(Direct::new(spec, seed, device)?)
        }
        Encoding::Gem => {
            Box::new(GemNet::new(with_bias(GemConfig::gem(spec, genes()?, run.learn_output, seed)), device)?)
        }
        Encoding::Sgem => Box::new(GemNet::new(
            with_bias(GemConfig::sgem(spec, genes()?, run.learn_output, seed)?),
            device,
        )?),
        Encoding::Mlsgem => Box::new(GemNet::new(
            with_bias(GemConfig::mlsgem(spec, genes()?, run.learn_output, seed)?),
            device,
        )?),
        Encoding::Rb => {
            let basis = run
                .basis
                .filter(|&b| b > 0)
                .context("--encoding rb needs --basis B (number of basis vectors, at least 1)")?;
            let mut c = RandomBasisConfig::new(spec, basis, seed);
            if let Some(b) = run.bias {
                c.bias = b;
            }
            Box::new(RandomBasis::new(c, device)?)
        }
    })
}

/// The genome stored in `file`, ready to develop.
pub fn from_file(file: &GenomeFile, device: &Device) -> anyhow::Result<MlpGenome> {
    let what = || format!("{}: cannot rebuild the {} genome", file.path.display(), file.encoding);
    let genome: MlpGenome = match file.encoding.as_str() {
        "direct" => Box::new(Direct::from_config(&file.genome, device).with_context(what)?),
        "gem" | "sgem" | "mlsgem" => Box::new(GemNet::from_config(&file.genome, device).with_context(what)?),
        "rb" => Box::new(RandomBasis::from_config(&file.genome, device).with_context(what)?),
        other => bail!(
            "{}: encoding {other:?} is not known to this version of innate ({}); it knows: direct, gem, sgem, mlsgem, rb",
            file.path.display(),
            env!("CARGO_PKG_VERSION")
        ),
    };
    innate_encodings::checkpoint::restore(genome.varmap(), &file.tensors, &file.path)?;
    Ok(genome)
}
