//! Genome size in bits: how small a genome's learned tensors can be stored, and what the network
//! developed from each quantised genome still does.
//!
//! [`levels`] gives the size of the learned tensors at 32 bits (as trained) and quantised to 16,
//! 8, 4 and 2 bits per value ([`innate_encodings::quant`]); [`check`] adds the test accuracy of
//! the network developed from each; [`quantised_file`] writes a genome file whose learned
//! tensors are quantised, which [`crate::load()`] reads back like any other. Fixed tensors (drawn
//! again from the seed) and tensors a strategy kept beside the genome stay as they are: they are
//! not information the genome learned.
//!
//! ```
//! # fn main() -> Result<(), innate_run::RunError> {
//! use candle_core::Device;
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/fixtures/genomes/sgem/genome.safetensors");
//! let g = innate_run::load(std::path::Path::new(path), &Device::Cpu)?;
//! let levels = innate_run::quantise::levels(&g)?;
//! assert_eq!(levels.iter().map(|l| l.bits).collect::<Vec<_>>(), vec![32, 16, 8, 4, 2]);
//! assert_eq!(levels[0].bytes, 4 * g.genome.params().learned);
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap};

use candle_core::{Device, Tensor};
use innate_datasets::DeviceDataset;
use innate_encodings::quant::{self, QuantEntry, Quantisation};
use serde::{Deserialize, Serialize};

use crate::encoding::NetGenome;
use crate::error::{Result, RunError};
use crate::load::LoadedGenome;

/// One storage setting of a genome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// Bits per learned value (32: as trained).
    pub bits: u32,
    /// Bytes the learned tensors take (with each tensor's offset and step below 16 bits).
    pub bytes: usize,
    /// Test accuracy of the network developed from the genome so stored, if measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
}

/// The names and tensors of `g`'s learned tensors, sorted by name.
fn learned(g: &LoadedGenome) -> Result<Vec<(String, Tensor)>> {
    let data = g
        .genome
        .varmap()
        .data()
        .lock()
        .map_err(|_| RunError::Config("the variable map's lock is poisoned".into()))?;
    let mut out: Vec<(String, Tensor)> =
        data.iter().map(|(n, v)| (n.clone(), v.as_tensor().clone())).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The size of `g`'s learned tensors at 32 bits and at each of [`quant::BITS`].
pub fn levels(g: &LoadedGenome) -> Result<Vec<Level>> {
    let counts: Vec<usize> = learned(g)?.iter().map(|(_, t)| t.elem_count()).collect();
    let mut out = vec![Level { bits: 32, bytes: 4 * counts.iter().sum::<usize>(), accuracy: None }];
    for bits in quant::BITS {
        out.push(Level {
            bits,
            bytes: counts.iter().map(|&n| quant::stored_bytes(n, bits)).sum(),
            accuracy: None,
        });
    }
    Ok(out)
}

/// `g`'s genome with its learned tensors as they read back after quantising to `bits`.
pub fn quantised_genome(g: &LoadedGenome, bits: u32) -> Result<NetGenome> {
    let mut file = g.file.clone();
    let mut device = Device::Cpu;
    for (name, t) in learned(g)? {
        device = t.device().clone();
        file.tensors.insert(name, quant::roundtrip(&t, bits)?);
    }
    crate::rebuild(&file, &device)
}

/// [`levels`] with the accuracy on `data` of the network developed at each (the 32-bit one is
/// the genome as it is).
pub fn check(g: &LoadedGenome, data: &DeviceDataset) -> Result<Vec<Level>> {
    let data = &g.input(data)?;
    let mut out = levels(g)?;
    for level in &mut out {
        let net = if level.bits == 32 { g.develop()? } else { quantised_genome(g, level.bits)?.develop()? };
        level.accuracy = Some(crate::load::accuracy(&net, data)?);
    }
    Ok(out)
}

/// The fewest bits per value whose accuracy is within `points` percentage points of the 32-bit
/// genome's, among `levels` measured by [`check`].
pub fn fewest_bits(levels: &[Level], points: f64) -> Option<&Level> {
    let full = levels.iter().find(|l| l.bits == 32)?.accuracy?;
    levels
        .iter()
        .filter(|l| l.accuracy.is_some_and(|a| 100.0 * (full - a) <= points + 1e-9))
        .min_by_key(|l| l.bits)
}

/// The bytes of a genome file holding `g` with its learned tensors quantised to `bits` (16, 8,
/// 4 or 2): the file's metadata, plus the `quantisation` key.
pub fn quantised_file(g: &LoadedGenome, bits: u32) -> Result<Vec<u8>> {
    let path = &g.file.path;
    let bytes = std::fs::read(path).map_err(|source| RunError::Read { path: path.clone(), source })?;
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| {
        RunError::Config(format!("{}: not a readable safetensors file ({e})", path.display()))
    })?;
    let mut meta: HashMap<String, String> = header.metadata().clone().unwrap_or_default();
    let learned: BTreeMap<String, Tensor> = learned(g)?.into_iter().collect();
    let mut entries = BTreeMap::<String, QuantEntry>::new();
    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    let mut names: Vec<&String> = g.file.tensors.keys().collect();
    names.sort();
    for name in names {
        let t = g.file.tensors[name].to_device(&Device::Cpu)?;
        match learned.get(name) {
            Some(value) => {
                let (stored, entry) = quant::quantise(&value.to_device(&Device::Cpu)?, bits)?;
                entries.insert(name.clone(), entry);
                tensors.push((name.clone(), stored));
            }
            None => tensors.push((name.clone(), t)),
        }
    }
    let q = Quantisation { bits, tensors: entries };
    meta.insert(quant::METADATA_KEY.to_string(), serde_json::to_string(&q)?);
    safetensors::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), Some(meta)).map_err(|e| {
        RunError::Config(format!("cannot serialise the quantised genome of {}: {e}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> LoadedGenome {
        let p =
            format!("{}/../../data/fixtures/genomes/{name}/genome.safetensors", env!("CARGO_MANIFEST_DIR"));
        crate::load(std::path::Path::new(&p), &Device::Cpu).unwrap()
    }

    #[test]
    fn a_quantised_file_loads_back_as_the_quantised_genome() {
        for name in ["gem", "gnet", "mlsgem", "rb"] {
            let g = fixture(name);
            let dir = tempfile::tempdir().unwrap();
            for bits in quant::BITS {
                let bytes = quantised_file(&g, bits).unwrap();
                let path = dir.path().join(format!("{bits}.safetensors"));
                std::fs::write(&path, &bytes).unwrap();
                let back = crate::load(&path, &Device::Cpu).unwrap();
                assert_eq!(back.file.quantised_bits, Some(bits));
                let want = quantised_genome(&g, bits).unwrap().develop().unwrap();
                let got = back.develop().unwrap();
                let (a, b) = (want.as_mlp().unwrap(), got.as_mlp().unwrap());
                for (x, y) in a.layers.iter().zip(&b.layers) {
                    let d = (&x.weight - &y.weight)
                        .unwrap()
                        .abs()
                        .unwrap()
                        .max_all()
                        .unwrap()
                        .to_scalar::<f32>()
                        .unwrap();
                    assert_eq!(d, 0.0, "{name} {bits} bits");
                }
                if bits <= 4 && g.genome.params().learned > 1000 {
                    // Smaller than the f32 file (in tiny genomes the metadata outweighs the values).
                    let full = std::fs::metadata(&g.file.path).unwrap().len() as usize;
                    assert!(bytes.len() < full, "{name} {bits}: {} >= {full}", bytes.len());
                }
            }
        }
    }

    #[test]
    fn fewest_bits_keeps_accuracy_within_the_margin() {
        let l = |bits, accuracy| Level { bits, bytes: 0, accuracy: Some(accuracy) };
        let levels = vec![l(32, 0.90), l(16, 0.90), l(8, 0.895), l(4, 0.88), l(2, 0.5)];
        assert_eq!(fewest_bits(&levels, 1.0).map(|l| l.bits), Some(8));
        assert_eq!(fewest_bits(&levels, 2.0).map(|l| l.bits), Some(4));
    }
}
