//! The encodings the command line knows: building a genome from a run's configuration, or
//! again from a genome file's metadata.

use anyhow::{Context, bail};
use candle_core::Device;
use innate_encodings::{BiasMode, Genome, GenomeFile, Mlp, MlpSpec, NeuronGrid};
use innate_gem::{Direct, GemConfig, GemNet, RandomBasis, RandomBasisConfig};
use innate_gnet::GenomicNet;

use crate::cli::Encoding;
use crate::runs::RunConfig;

/// Any genome that develops into an MLP.
pub type MlpGenome = Box<dyn Genome<Phenotype = Mlp>>;

/// A fresh genome of the run's encoding for a network of shape `spec`, initialised from the
/// run's seed. `image` gives the input grid (rows, columns) for encodings that label input
/// neurons by their position.
pub fn build(
    run: &RunConfig,
    spec: MlpSpec,
    image: Option<(usize, usize)>,
    device: &Device,
) -> anyhow::Result<MlpGenome> {
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
    if run.init_from.is_some() && run.encoding != Encoding::Direct {
        bail!("starting from another genome's network is for directly learned weights (--encoding direct)");
    }
    let centres = run.centres.unwrap_or_else(innate_encodings::CentreInit::legacy);
    // The spatial encodings place the input neurons where their pixels are.
    let on_pixels = |c: GemConfig| -> anyhow::Result<GemConfig> {
        let inputs = c.spec.sizes[0];
        match image {
            Some((rows, cols)) if rows * cols == inputs => {
                Ok(c.with_input_grid(NeuronGrid::new(rows, cols)?)?)
            }
            _ => bail!(
                "--encoding {} places the input neurons on the pixel grid of single-channel images, but {} \
                 gives {inputs} inputs that are not one {}: use a grayscale dataset (mnist, \
                 fashion-mnist) or --encoding gem",
                run.encoding.name(),
                run.dataset,
                image.map_or("image channel".to_string(), |(r, c)| format!("{r}x{c} channel")),
            ),
        }
    };
    Ok(match run.encoding {
        Encoding::Direct => {
            if run.bias == Some(BiasMode::FixedRandom) {
                bail!(
                    "--encoding direct learns its biases: --bias fixed is for the encodings (use learned or none)"
                );
            }
            match &run.init_from {
                Some(path) => {
                    let file = innate_encodings::checkpoint::load(path, device)?;
                    let net = from_file(&file, device)?.develop()?;
                    Box::new(Direct::from_weights(spec.clone(), &net, seed, device).with_context(|| {
                        format!(
                            "{}: its network does not have the shape of this run's {}",
                            path.display(),
                            spec.name()
                        )
                    })?)
                }
                None => Box::new(Direct::new(spec, seed, device)?),
            }
        }
        Encoding::Gem => {
            Box::new(GemNet::new(with_bias(GemConfig::gem(spec, genes()?, run.learn_output, seed)), device)?)
        }
        Encoding::Sgem => Box::new(GemNet::new(
            on_pixels(with_bias(
                GemConfig::sgem(spec, genes()?, run.learn_output, seed)?.with_centres(centres),
            ))?,
            device,
        )?),
        Encoding::Mlsgem => Box::new(GemNet::new(
            on_pixels(with_bias(
                GemConfig::mlsgem(spec, genes()?, run.learn_output, seed)?.with_centres(centres),
            ))?,
            device,
        )?),
        Encoding::Rb => {
            let basis = run
                .basis
                .filter(|&b| b > 0)
                .context("--encoding rb needs --basis B (number of basis vectors, at least 1)")?;
            // The basis encodes the weights; biases are fixed, learned directly, or absent.
            if basis >= spec.weights() {
                tracing::warn!(
                    "--basis {basis} is not fewer than the {} weights of the {} network: the random basis \
                     then compresses nothing",
                    spec.weights(),
                    spec.name()
                );
            }
            let mut c = RandomBasisConfig::new(spec, basis, seed);
            if let Some(b) = run.bias {
                c.bias = b;
            }
            Box::new(RandomBasis::new(c, device)?)
        }
        Encoding::Gnet => {
            let (name, hidden) = match (run.preset, &run.gnet_hidden) {
                (Some(p), _) => {
                    let p = innate_gnet::Preset::from(p);
                    (p.name().to_string(), p.hidden().to_vec())
                }
                (None, Some(h)) if !h.is_empty() && !h.contains(&0) => {
                    let sizes: Vec<String> = h.iter().map(|x| x.to_string()).collect();
                    (format!("gnet-{}", sizes.join("-")), h.clone())
                }
                _ => bail!(
                    "--encoding gnet needs --preset gn5|gn20|gn30 or --gnet-hidden H1,H2 (hidden sizes of \
                     the weight g-networks)"
                ),
            };
            if spec.layers() < 2 {
                bail!("--encoding gnet encodes an MLP with a hidden layer: use --model mlp");
            }
            if run.bias.is_some() {
                bail!("--encoding gnet generates its biases with g-networks: leave out --bias");
            }
            Box::new(GenomicNet::new(innate_gnet::for_mlp(&name, &spec, image, &hidden, seed), device)?)
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
        "gnet" => Box::new(GenomicNet::from_config(&file.genome, device).with_context(what)?),
        other => bail!(
            "{}: encoding {other:?} is not known to this version of innate ({}); it knows: direct, gem, sgem, \
             mlsgem, rb, gnet",
            file.path.display(),
            env!("CARGO_PKG_VERSION")
        ),
    };
    innate_encodings::checkpoint::restore(genome.varmap(), &file.tensors, &file.path)?;
    innate_encodings::checkpoint::verify_fixed(genome.as_ref(), &file.tensors, &file.path)?;
    Ok(genome)
}

/// Centres `(x, y)` and widths of one layer's Gaussian gene fields.
pub type Fields = Vec<((f32, f32), f32)>;

/// One layer's gene fields as they started, as the genome file holds them, and the grid they lie on.
pub type LayerFields = (Fields, Fields, innate_encodings::NeuronGrid);

/// The gene fields of every layer of neurons (input first) of the spatial genome in `file`: as
/// they started (the genome rebuilt from the seed in its metadata) and as the file holds them.
/// `None` for a layer without gene fields; empty for an encoding without any.
pub fn gene_fields(file: &GenomeFile) -> anyhow::Result<Vec<Option<LayerFields>>> {
    if !matches!(file.encoding.as_str(), "gem" | "sgem" | "mlsgem") {
        return Ok(vec![]);
    }
    let start = GemNet::from_config(&file.genome, &Device::Cpu)?;
    let end = GemNet::from_config(&file.genome, &Device::Cpu)?;
    innate_encodings::checkpoint::restore(end.varmap(), &file.tensors, &file.path)?;
    let read = |f: &innate_encodings::GeneFields| -> anyhow::Result<Fields> {
        let c = f.centres()?.to_vec2::<f32>()?;
        let w = f.widths()?.to_vec1::<f32>()?;
        Ok(c.into_iter().zip(w).map(|(c, w)| ((c[0], c[1]), w)).collect())
    };
    (0..start.config().spec.sizes.len())
        .map(|l| match (start.fields(l), end.fields(l)) {
            (Some(s), Some(e)) => Ok(Some((read(s)?, read(e)?, s.grid()))),
            _ => Ok(None),
        })
        .collect()
}
