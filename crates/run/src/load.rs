//! Any genome file innate writes, developed again from the file alone: [`load`].
//!
//! A genome file (safetensors) holds the genome's tensors and, in its metadata, the encoding's
//! configuration, the run's configuration and its metrics ([`innate_encodings::checkpoint`]).
//! [`load`] reads it, rebuilds the genome its metadata describes through the encoding registry,
//! restores the learned tensors, and checks the fixed ones against those drawn again from the
//! recorded seed; a damaged or edited file is an error that names the file and what is wrong.

use std::path::Path;

use candle_core::Device;
use innate_datasets::{DeviceDataset, ImageDataset};
use innate_encodings::{GenomeFile, Net, checkpoint};

use crate::config::RunConfig;
use crate::encoding::{Encoding, NetGenome};
use crate::error::{Result, RunError};

/// A genome file and the genome it describes, ready to develop.
pub struct LoadedGenome {
    /// The file as read: metadata and tensors.
    pub file: GenomeFile,
    /// The genome, its tensors those of the file.
    pub genome: NetGenome,
}

/// Reads the genome file at `path` and rebuilds its genome on `device`. A Hub address,
/// `hf://USER/NAME[@REVISION]`, is fetched into the Hub cache first ([`crate::hub::resolve`]).
///
/// ```
/// # fn main() -> Result<(), innate_run::RunError> {
/// use candle_core::{Device, Module, Tensor};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/fixtures/genomes/sgem/genome.safetensors");
/// let g = innate_run::load(std::path::Path::new(path), &Device::Cpu)?;
/// assert_eq!(g.file.encoding, "sgem");
/// let net = g.develop()?; // the S-GEM single-layer perceptron (an MLP) with its 10 x 784 weights
/// let logits = net.forward(&Tensor::zeros((2, 1, 28, 28), candle_core::DType::F32, &Device::Cpu)?)?;
/// assert_eq!(logits.dims(), &[2, 10]);
/// # Ok(()) }
/// ```
pub fn load(path: &Path, device: &Device) -> Result<LoadedGenome> {
    let file = checkpoint::load(&crate::hub::pull::resolve(path)?, device)?;
    let genome = rebuild(&file, device)?;
    Ok(LoadedGenome { file, genome })
}

/// The genome that `file` (already read) describes, its tensors those of the file.
pub fn rebuild(file: &GenomeFile, device: &Device) -> Result<NetGenome> {
    let genome = match Encoding::rebuild(&file.encoding, &file.genome, device) {
        Some(g) => g.map_err(|source| RunError::Rebuild {
            path: file.path.clone(),
            encoding: file.encoding.clone(),
            source: Box::new(source),
        })?,
        None => {
            return crate::error::config(format!(
                "{}: encoding {:?} is not known to this version of innate ({}); it knows: {}",
                file.path.display(),
                file.encoding,
                env!("CARGO_PKG_VERSION"),
                Encoding::NAMES.join(", ")
            ));
        }
    };
    checkpoint::restore(genome.varmap(), &file.tensors, &file.path)?;
    checkpoint::verify_fixed(genome.as_ref(), &file.tensors, &file.path)?;
    Ok(genome)
}

/// Checks that the parameter counts `file`'s metadata records are those of `genome`, the genome
/// rebuilt from it. The fixed count is left out: for the random basis it includes how the basis
/// is stored, which may change between versions.
pub fn check_counts(
    file: &GenomeFile,
    genome: &(dyn innate_encodings::Genome<Phenotype = Net> + '_),
) -> Result<()> {
    let p = genome.params();
    if (p.learned, p.phenotype) != (file.params.learned, file.params.phenotype) {
        return crate::error::config(format!(
            "{}: its metadata records {} learned and {} phenotype parameters, but the genome it describes has \
             {} and {}: the metadata was edited or the file is damaged (written by innate {})",
            file.path.display(),
            file.params.learned,
            file.params.phenotype,
            p.learned,
            p.phenotype,
            file.version
        ));
    }
    Ok(())
}

impl LoadedGenome {
    /// The network the genome develops.
    pub fn develop(&self) -> Result<Net> {
        Ok(self.genome.develop()?)
    }

    /// The dataset the genome was trained on, if its file records it.
    pub fn dataset(&self) -> Option<&str> {
        self.file.run.get("dataset").and_then(|d| d.as_str())
    }

    /// The best test accuracy recorded when it was trained, if any.
    pub fn recorded_accuracy(&self) -> Option<f64> {
        self.file.metrics.get("best_test_accuracy").and_then(|v| v.as_f64())
    }

    /// The run that trained it, if its file records one this version reads.
    pub fn run(&self) -> Option<RunConfig> {
        RunConfig::from_json(self.file.run.clone()).ok()
    }

    /// `data` as the run that trained the genome fed it its images: standardised per channel
    /// when the run was ([`crate::config::Standardise`]), as it is otherwise.
    pub fn input(&self, data: &DeviceDataset) -> Result<DeviceDataset> {
        match self.run().and_then(|r| r.standardise) {
            Some(s) => s.apply(data),
            None => Ok(data.clone()),
        }
    }

    /// Layer sizes of the MLP it develops, input first; an error for another network.
    pub fn sizes(&self) -> Result<Vec<usize>> {
        let net = self.develop()?;
        let Some(mlp) = net.as_mlp() else {
            return crate::error::config(format!(
                "{}: its network is convolutional; this needs a single-layer perceptron or an MLP",
                self.file.path.display()
            ));
        };
        let mut sizes: Vec<usize> = mlp.layers.iter().map(|l| l.weight.dims()[1]).collect();
        sizes.extend(mlp.layers.last().map(|l| l.weight.dims()[0]));
        Ok(sizes)
    }
}

/// Checks that `net` (developed from the genome file at `path`) takes `data`'s images and gives
/// its classes (`name`: the dataset's name, for the message).
pub fn check_fits(path: &Path, net: &Net, data: &ImageDataset, name: &str) -> Result<()> {
    let (inputs, outputs) = (net.input_len(), net.classes());
    if let Some([c, h, w]) = net.input_shape().filter(|s| *s != data.shape) {
        let [dc, dh, dw] = data.shape;
        return crate::error::config(format!(
            "{}: the genome's network takes {c}x{h}x{w} images, but {name}'s are {dc}x{dh}x{dw}; evaluate it on \
             the dataset it was trained on",
            path.display()
        ));
    }
    if inputs != data.image_len() || outputs != data.classes.len() {
        let [c, h, w] = data.shape;
        return crate::error::config(format!(
            "{}: the genome's network takes {inputs} inputs and gives {outputs} classes, but {name} has \
             {c}x{h}x{w} = {} values per image and {} classes; evaluate it on the dataset it was trained on",
            path.display(),
            data.image_len(),
            data.classes.len()
        ));
    }
    Ok(())
}

/// Accuracy of `net` on `data` (a fraction), in batches of 1,000 images.
pub fn accuracy(net: &Net, data: &DeviceDataset) -> Result<f64> {
    Ok(innate_evolution::lifetime::accuracy(net, data, 1000)?)
}
