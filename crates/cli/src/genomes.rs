//! The encodings the command line knows: building a genome from arguments, or again from a
//! genome file's metadata.

use anyhow::{Context, bail};
use candle_core::Device;
use innate_encodings::{Genome, GenomeFile, Mlp, MlpSpec};
use innate_gem::Direct;

use crate::cli::Encoding;

/// Any genome that develops into an MLP.
pub type MlpGenome = Box<dyn Genome<Phenotype = Mlp>>;

/// A fresh genome of `encoding` for a network of shape `spec`, initialised from `seed`.
pub fn build(
    encoding: Encoding,
    spec: MlpSpec,
    seed: u64,
    device: &Device,
) -> anyhow::Result<MlpGenome> {
    Ok(match encoding {
        Encoding::Direct => Box::new(Direct::new(spec, seed, device)?),
    })
}

/// The genome stored in `file`, ready to develop.
pub fn from_file(file: &GenomeFile, device: &Device) -> anyhow::Result<MlpGenome> {
    let genome: MlpGenome = match file.encoding.as_str() {
        "direct" => Box::new(Direct::from_config(&file.genome, device).with_context(|| {
            format!("{}: cannot rebuild the direct genome", file.path.display())
        })?),
        other => bail!(
            "{}: encoding {other:?} is not known to this version of innate ({}); it knows: direct",
            file.path.display(),
            env!("CARGO_PKG_VERSION")
        ),
    };
    innate_encodings::checkpoint::restore(genome.varmap(), &file.tensors, &file.path)?;
    Ok(genome)
}
