//! Genome checkpoints: one safetensors file holding the genome tensors, with everything needed
//! to develop the network again in its metadata.
//!
//! Metadata keys (all values are strings; the structured ones are JSON):
//!
//! | key | value |
//! | --- | --- |
//! | `format` | [`FORMAT`] |
//! | `innate_version` | version of the crate that wrote the file |
//! | `encoding` | the encoding's name (`direct`, ...) |
//! | `genome` | the encoding's configuration ([`Genome::config`]) |
//! | `params` | [`ParamCount`] |
//! | `run` | the run's configuration (dataset, seed, training settings) |
//! | `metrics` | the run's results |
//! | `quantisation` | only in a file whose learned tensors are stored in fewer bits ([`crate::quant`]) |
//!
//! Besides the genome's own tensors a file may hold tensors that the strategy learned alongside
//! it and that belong to no encoding, named with the prefix [`STRATEGY_PREFIX`] (meta-learning's
//! learned inner-loop rates: `strategy.inner_lr`). Loading ignores them when it rebuilds the
//! genome; the strategy that wrote them reads them back ([`GenomeFile::strategy_tensor`]).
//!
//! Files are written atomically: to a temporary file beside the target, then renamed over it,
//! so an interrupted write never leaves a damaged checkpoint behind.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use safetensors::SafeTensors;

use crate::error::{GenomeError, Result};
use crate::genome::Genome;
use crate::params::ParamCount;

/// The value of the `format` metadata key.
pub const FORMAT: &str = "innate-genome/1";

/// The name prefix of tensors a strategy stores beside the genome's (see the module docs).
pub const STRATEGY_PREFIX: &str = "strategy.";

/// A genome checkpoint as read from disk.
#[derive(Debug, Clone)]
pub struct GenomeFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Encoding name.
    pub encoding: String,
    /// Encoding configuration.
    pub genome: serde_json::Value,
    /// Parameter counts recorded when it was written.
    pub params: ParamCount,
    /// The run's configuration.
    pub run: serde_json::Value,
    /// The run's results.
    pub metrics: serde_json::Value,
    /// Version of innate that wrote it.
    pub version: String,
    /// The tensors (learned and fixed), by name, as `f32` where the file stores them quantised.
    pub tensors: HashMap<String, Tensor>,
    /// Bits per value of the tensors the file stores quantised ([`crate::quant`]), if any.
    pub quantised_bits: Option<u32>,
}

impl GenomeFile {
    /// The tensor `strategy.NAME` that a strategy stored beside the genome, if the file has it.
    pub fn strategy_tensor(&self, name: &str) -> Option<&Tensor> {
        self.tensors.get(&format!("{STRATEGY_PREFIX}{name}"))
    }
}

/// Writes `tensors` (by default the genome's current learned and fixed tensors) with metadata
/// describing `genome`, the run and its metrics, atomically.
pub fn save<G: Genome + ?Sized>(
    path: &Path,
    genome: &G,
    tensors: Option<&[(String, Tensor)]>,
    run: &serde_json::Value,
    metrics: &serde_json::Value,
) -> Result<()> {
    let owned;
    let tensors = match tensors {
        Some(t) => t,
        None => {
            owned = current_tensors(genome)?;
            &owned
        }
    };
    let json = |v: &serde_json::Value| v.to_string();
    let meta: HashMap<String, String> = [
        ("format", FORMAT.to_string()),
        ("innate_version", env!("CARGO_PKG_VERSION").to_string()),
        ("encoding", genome.encoding().to_string()),
        ("genome", json(&genome.config()?)),
        ("params", crate::genome::config_json(&genome.params())?.to_string()),
        ("run", json(run)),
        ("metrics", json(metrics)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    save_tensors(path, tensors, meta)
}

/// Writes `tensors` with string metadata `meta` as one safetensors file, atomically: the
/// container of genome files, and of other files a run keeps (meta-learning's resumable
/// checkpoints).
pub fn save_tensors(path: &Path, tensors: &[(String, Tensor)], meta: HashMap<String, String>) -> Result<()> {
    let on_cpu: Vec<(String, Tensor)> = tensors
        .iter()
        .map(|(n, t)| Ok((n.clone(), t.to_device(&Device::Cpu)?)))
        .collect::<candle_core::Result<_>>()?;
    let bytes = safetensors::serialize(on_cpu.iter().map(|(n, t)| (n.as_str(), t)), Some(meta))
        .map_err(|e| GenomeError::Config(format!("cannot serialise {}: {e}", path.display())))?;
    write_atomic(path, &bytes)
}

/// Reads a safetensors file written by [`save_tensors`]: its tensors on `device` and its metadata.
pub fn load_tensors(
    path: &Path,
    device: &Device,
) -> Result<(HashMap<String, Tensor>, HashMap<String, String>)> {
    let not = |problem: String| GenomeError::NotAGenome { path: path.to_path_buf(), problem };
    let bytes = std::fs::read(path).map_err(|e| GenomeError::Io { path: path.to_path_buf(), source: e })?;
    let (_, header) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| not(format!("not a readable safetensors file ({e})")))?;
    let meta = header.metadata().clone().unwrap_or_default();
    let tensors = candle_core::safetensors::load_buffer(&bytes, device)
        .map_err(|e| not(format!("tensors cannot be read ({e})")))?;
    Ok((tensors, meta))
}

/// The genome's learned and fixed tensors, by name (deep copies, so later training does not
/// change them).
pub fn current_tensors<G: Genome + ?Sized>(genome: &G) -> Result<Vec<(String, Tensor)>> {
    let mut out: Vec<(String, Tensor)> = genome
        .varmap()
        .data()
        .lock()
        .map_err(|_| GenomeError::Config("the variable map's lock is poisoned".into()))?
        .iter()
        .map(|(n, v)| Ok((n.clone(), v.as_tensor().copy()?)))
        .collect::<candle_core::Result<_>>()?;
    out.extend(genome.fixed());
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |e| GenomeError::Io { path: path.to_path_buf(), source: e };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("genome");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    // Flushed to the disk before the rename, so a crash cannot leave an empty file behind the name.
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// Reads a checkpoint, placing its tensors on `device`.
pub fn load(path: &Path, device: &Device) -> Result<GenomeFile> {
    let not = |problem: String| GenomeError::NotAGenome { path: path.to_path_buf(), problem };
    if path.is_dir() {
        let inside = path.join("genome.safetensors");
        return Err(not(if inside.is_file() {
            format!("is a run folder, not a file: give its genome, {}", inside.display())
        } else {
            "is a folder, not a file".to_string()
        }));
    }
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => not("there is no such file; check the path".into()),
        _ => GenomeError::Io { path: path.to_path_buf(), source: e },
    })?;
    let (_, header) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| not(format!("not a readable safetensors file ({e})")))?;
    let meta = header.metadata().clone().ok_or_else(|| not("the safetensors file has no metadata".into()))?;
    let get = |k: &str| meta.get(k).cloned().ok_or_else(|| not(format!("metadata key {k:?} is missing")));
    let format = get("format")?;
    if format != FORMAT {
        return Err(not(format!("format is {format:?}, expected {FORMAT:?}")));
    }
    let parse = |k: &str| -> Result<serde_json::Value> {
        serde_json::from_str(&get(k)?).map_err(|e| not(format!("metadata {k:?} is not valid JSON ({e})")))
    };
    let params: ParamCount = serde_json::from_value(parse("params")?)
        .map_err(|e| not(format!("metadata \"params\" is not a parameter count ({e})")))?;
    let mut tensors = candle_core::safetensors::load_buffer(&bytes, device)
        .map_err(|e| not(format!("tensors cannot be read ({e})")))?;
    let quantised_bits = match meta.get(crate::quant::METADATA_KEY) {
        None => None,
        Some(q) => {
            let q: crate::quant::Quantisation = serde_json::from_str(q)
                .map_err(|e| not(format!("metadata \"quantisation\" is not valid ({e})")))?;
            for (name, entry) in &q.tensors {
                let stored = tensors
                    .get(name)
                    .ok_or_else(|| not(format!("the quantised tensor {name:?} is missing")))?;
                let value = crate::quant::dequantise(stored, entry, q.bits)
                    .map_err(|e| not(format!("the quantised tensor {name:?} cannot be read ({e})")))?;
                tensors.insert(name.clone(), value);
            }
            Some(q.bits)
        }
    };
    Ok(GenomeFile {
        path: path.to_path_buf(),
        encoding: get("encoding")?,
        genome: parse("genome")?,
        params,
        run: parse("run")?,
        metrics: parse("metrics")?,
        version: get("innate_version")?,
        tensors,
        quantised_bits,
    })
}

/// Overwrites every variable of `varmap` with the tensor of the same name from `tensors`,
/// checking that each is present with the same shape. `path` is for messages.
pub fn restore(varmap: &VarMap, tensors: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| GenomeError::Config("the variable map's lock is poisoned".into()))?;
    for (name, var) in data.iter() {
        let t = tensors.get(name).ok_or_else(|| GenomeError::NotAGenome {
            path: path.to_path_buf(),
            problem: format!("tensor {name:?} is missing"),
        })?;
        if t.dims() != var.dims() {
            return Err(GenomeError::NotAGenome {
                path: path.to_path_buf(),
                problem: format!(
                    "tensor {name:?} has shape {:?}, the genome described by its metadata needs {:?}",
                    t.dims(),
                    var.dims()
                ),
            });
        }
        var.set(&t.to_dtype(var.dtype())?.to_device(var.device())?)?;
    }
    Ok(())
}

/// Checks that a checkpoint's tensors are those of `genome`, the genome rebuilt from the file's
/// metadata: every tensor in the file is one of the genome's, and every fixed tensor the genome
/// regenerated from its seed and stores ([`Genome::fixed`]: a random basis's starting weights
/// `W0`, fixed expression matrices, fixed biases) is in the file with the same shape and values.
/// Only learned tensors are read back ([`restore`]); the fixed ones are drawn again, so a file whose
/// fixed tensors differ (its metadata edited, or written by a version that draws them differently)
/// would otherwise develop another network without a word. What is drawn again but not stored,
/// such as the Fastfood basis `R` of the random basis, cannot be checked this way (the random
/// basis records a fingerprint of `R` in its configuration instead). `path` is for messages.
pub fn verify_fixed<G: Genome + ?Sized>(
    genome: &G,
    tensors: &HashMap<String, Tensor>,
    path: &Path,
) -> Result<()> {
    let not = |problem: String| GenomeError::NotAGenome { path: path.to_path_buf(), problem };
    let fixed = genome.fixed();
    let learned: Vec<String> = genome
        .varmap()
        .data()
        .lock()
        .map_err(|_| GenomeError::Config("the variable map's lock is poisoned".into()))?
        .keys()
        .cloned()
        .collect();
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    if let Some(extra) = names.into_iter().find(|n| {
        !n.starts_with(STRATEGY_PREFIX) && !learned.contains(n) && !fixed.iter().any(|(f, _)| f == *n)
    }) {
        return Err(not(format!(
            "tensor {extra:?} is not part of the {} genome its metadata describes",
            genome.encoding()
        )));
    }
    for (name, want) in &fixed {
        let got = tensors.get(name).ok_or_else(|| not(format!("fixed tensor {name:?} is missing")))?;
        if got.dims() != want.dims() {
            return Err(not(format!(
                "fixed tensor {name:?} has shape {:?}, the genome described by its metadata has {:?}",
                got.dims(),
                want.dims()
            )));
        }
        let values = |t: &Tensor| -> Result<Vec<f32>> {
            Ok(t.to_device(&Device::Cpu)?.to_dtype(candle_core::DType::F32)?.flatten_all()?.to_vec1()?)
        };
        let (got, want) = (values(got)?, values(want)?);
        // A NaN in the file counts as a difference.
        let differs = |a: f32, b: f32| a.is_nan() != b.is_nan() || (a - b).abs() > 1e-6 * b.abs().max(1.0);
        if let Some(i) = got.iter().zip(&want).position(|(&a, &b)| differs(a, b)) {
            return Err(not(format!(
                "fixed tensor {name:?} differs (entry {i}: {} in the file, {} drawn again from the \
                 metadata's seed): the metadata was edited, or another version of innate wrote it",
                got[i], want[i]
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::{SeededInit, register};
    use crate::phenotype::{Dense, Mlp};
    use candle_core::Var;

    struct Tiny {
        vm: VarMap,
        w: Var,
        /// A fixed tensor drawn from the seed, as a random basis is.
        f: Tensor,
    }

    impl Tiny {
        fn new(seed: u64) -> Self {
            let vm = VarMap::new();
            let mut init = SeededInit::new(seed, &Device::Cpu);
            let w = register(&vm, "w", init.uniform(&[2, 3], -1.0, 1.0).unwrap()).unwrap();
            let f = init.normal(&[4], 0.0, 1.0).unwrap();
            Self { vm, w, f }
        }
    }

    impl Genome for Tiny {
        type Phenotype = Mlp;
        fn encoding(&self) -> &'static str {
            "tiny"
        }
        fn config(&self) -> Result<serde_json::Value> {
            Ok(serde_json::json!({"rows": 2}))
        }
        fn varmap(&self) -> &VarMap {
            &self.vm
        }
        fn fixed(&self) -> Vec<(String, Tensor)> {
            vec![("fixed.f".to_string(), self.f.clone())]
        }
        fn params(&self) -> ParamCount {
            ParamCount { learned: 6, fixed: 4, phenotype: 6 }
        }
        fn develop(&self) -> candle_core::Result<Mlp> {
            Ok(Mlp { layers: vec![Dense { weight: self.w.as_tensor().clone(), bias: None }] })
        }
    }

    #[test]
    fn save_load_restore_round_trip() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("genome.safetensors");
        let a = Tiny::new(1);
        save(&path, &a, None, &serde_json::json!({"seed": 1}), &serde_json::json!({"acc": 0.5}))?;
        let f = load(&path, &Device::Cpu)?;
        assert_eq!(f.encoding, "tiny");
        assert_eq!(f.genome["rows"], 2);
        assert_eq!(f.run["seed"], 1);
        assert_eq!(f.metrics["acc"], 0.5);
        assert_eq!(f.params.learned, 6);
        let b = Tiny::new(2);
        restore(&b.vm, &f.tensors, &path)?;
        assert_eq!(b.w.as_tensor().to_vec2::<f32>()?, a.w.as_tensor().to_vec2::<f32>()?);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        Ok(())
    }

    #[test]
    fn fixed_tensors_must_be_the_ones_the_metadata_regenerates() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genome.safetensors");
        save(&path, &Tiny::new(1), None, &serde_json::json!({}), &serde_json::json!({}))?;
        let mut f = load(&path, &Device::Cpu)?;
        assert_eq!(f.tensors["fixed.f"].dims(), [4]);
        // The same seed regenerates the same fixed tensor.
        verify_fixed(&Tiny::new(1), &f.tensors, &path)?;
        // Another seed (say, edited metadata) draws another one: an error naming the tensor.
        let e = verify_fixed(&Tiny::new(2), &f.tensors, &path).unwrap_err().to_string();
        assert!(e.contains("\"fixed.f\" differs") && e.contains("genome.safetensors"), "{e}");
        // A tensor the genome does not have.
        let mut extra = f.tensors.clone();
        extra.insert("fixed.g".into(), Tensor::zeros(1, candle_core::DType::F32, &Device::Cpu)?);
        let e = verify_fixed(&Tiny::new(1), &extra, &path).unwrap_err().to_string();
        assert!(e.contains("\"fixed.g\" is not part of the tiny genome"), "{e}");
        // A NaN where the seed draws a number.
        let mut nan = f.tensors["fixed.f"].to_vec1::<f32>()?;
        nan[2] = f32::NAN;
        let mut with_nan = f.tensors.clone();
        with_nan.insert("fixed.f".into(), Tensor::new(nan.as_slice(), &Device::Cpu)?);
        let e = verify_fixed(&Tiny::new(1), &with_nan, &path).unwrap_err().to_string();
        assert!(e.contains("entry 2: NaN"), "{e}");
        // Another shape, and a missing fixed tensor.
        f.tensors.insert("fixed.f".into(), Tensor::zeros(5, candle_core::DType::F32, &Device::Cpu)?);
        let e = verify_fixed(&Tiny::new(1), &f.tensors, &path).unwrap_err().to_string();
        assert!(e.contains("shape [5]"), "{e}");
        f.tensors.remove("fixed.f");
        let e = verify_fixed(&Tiny::new(1), &f.tensors, &path).unwrap_err().to_string();
        assert!(e.contains("\"fixed.f\" is missing"), "{e}");
        Ok(())
    }

    #[test]
    fn wrong_files_are_named_errors() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.safetensors");
        std::fs::write(&junk, b"hello").unwrap();
        let e = load(&junk, &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("junk.safetensors") && e.contains("safetensors"), "{e}");
        let e = load(&dir.path().join("none"), &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("none: there is no such file") && e.contains("innate train"), "{e}");
        // A run folder instead of its genome file: the message names the file to give.
        std::fs::write(dir.path().join("genome.safetensors"), b"x").unwrap();
        let e = load(dir.path(), &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("is a run folder") && e.contains("genome.safetensors"), "{e}");

        // Plain safetensors without our metadata.
        let plain = dir.path().join("plain.safetensors");
        let t = Tensor::zeros((2, 3), candle_core::DType::F32, &Device::Cpu)?;
        candle_core::safetensors::save(&HashMap::from([("w".to_string(), t)]), &plain)?;
        let e = load(&plain, &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("no metadata"), "{e}");

        // Shape mismatch on restore.
        let wrong =
            HashMap::from([("w".to_string(), Tensor::zeros((3, 2), candle_core::DType::F32, &Device::Cpu)?)]);
        let e = restore(Tiny::new(0).varmap(), &wrong, &plain).unwrap_err().to_string();
        assert!(e.contains("shape [3, 2]"), "{e}");
        let e = restore(Tiny::new(0).varmap(), &HashMap::new(), &plain).unwrap_err().to_string();
        assert!(e.contains("missing"), "{e}");
        Ok(())
    }
}
