//! Genome tensors stored in fewer bits: 16-bit floats, or 8, 4 or 2 bits per value.
//!
//! A genome is a few hundred to a few thousand numbers; how many bits each needs is a measure of
//! the information it carries (the genomic-bottleneck paper's Eq. 1 counts information, not
//! parameters). Two schemes:
//!
//! | bits | stored as | value |
//! | --- | --- | --- |
//! | 16 | `F16` tensor of the same shape | the half-precision float |
//! | 8, 4, 2 | 1-D `U8` tensor of packed codes, `ceil(n * bits / 8)` bytes | `offset + step * code` |
//!
//! With `b` bits, codes run over `0 ..= 2^b - 1` evenly from the tensor's minimum (`offset`) to
//! its maximum (`step = (max - min) / (2^b - 1)`), rounded to the nearest; value `i`'s code sits
//! in bits `(i * b) % 8 ..` of byte `(i * b) / 8`, least significant first. A genome file with
//! quantised tensors lists them under the metadata key `quantisation` (a [`Quantisation`]), and
//! [`crate::checkpoint::load`] turns them back into `f32` tensors, so a quantised file develops
//! like any other.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use innate_encodings::quant;
//! let t = Tensor::new(&[0.0f32, 1.0, 2.0, 3.0, -3.0], &Device::Cpu)?;
//! let (stored, entry) = quant::quantise(&t, 2)?;
//! assert_eq!(stored.dims(), &[2]); // 5 values x 2 bits in 2 bytes
//! let back = quant::dequantise(&stored, &entry, 2)?.to_vec1::<f32>()?;
//! assert_eq!(back, vec![1.0, 1.0, 3.0, 3.0, -3.0]); // levels -3, -1, 1, 3 (halves round up)
//! assert_eq!(quant::stored_bytes(5, 2), 2 + 8); // the codes, then offset and step
//! # Ok::<(), candle_core::Error>(())
//! ```

use std::collections::BTreeMap;

use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};

/// The metadata key of a quantised genome file.
pub const METADATA_KEY: &str = "quantisation";

/// The settings innate quantises to, most bits first.
pub const BITS: [u32; 4] = [16, 8, 4, 2];

/// How one tensor is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantEntry {
    /// The tensor's shape.
    pub shape: Vec<usize>,
    /// The value of code 0 (8, 4 and 2 bits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<f32>,
    /// The value between consecutive codes (8, 4 and 2 bits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<f32>,
}

/// The `quantisation` metadata of a genome file: the bits per value and the tensors stored so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantisation {
    /// Bits per value: 16, 8, 4 or 2.
    pub bits: u32,
    /// The quantised tensors, by name.
    pub tensors: BTreeMap<String, QuantEntry>,
}

fn check_bits(bits: u32) -> candle_core::Result<()> {
    if BITS.contains(&bits) {
        Ok(())
    } else {
        candle_core::bail!("{bits} bits per value is not a quantisation innate has: use 16, 8, 4 or 2")
    }
}

/// Bytes that `n` values take at `bits` per value: the values, and for 8, 4 and 2 bits the
/// tensor's offset and step (two `f32`s).
pub fn stored_bytes(n: usize, bits: u32) -> usize {
    (n * bits as usize).div_ceil(8) + if bits < 16 { 8 } else { 0 }
}

/// `t` stored at `bits` per value, and its entry for the metadata.
pub fn quantise(t: &Tensor, bits: u32) -> candle_core::Result<(Tensor, QuantEntry)> {
    check_bits(bits)?;
    let shape = t.dims().to_vec();
    if bits == 16 {
        return Ok((t.to_dtype(DType::F16)?, QuantEntry { shape, offset: None, step: None }));
    }
    let values = t.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()?;
    let (lo, hi) = values.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
    let (lo, hi) = if values.is_empty() { (0.0, 0.0) } else { (lo, hi) };
    let levels = (1u32 << bits) - 1;
    let step = (hi - lo) / levels as f32;
    let mut packed = vec![0u8; (values.len() * bits as usize).div_ceil(8)];
    for (i, &v) in values.iter().enumerate() {
        let code = if step > 0.0 { ((v - lo) / step).round().clamp(0.0, levels as f32) as u8 } else { 0 };
        let at = i * bits as usize;
        packed[at / 8] |= code << (at % 8);
    }
    let n = packed.len();
    let stored = Tensor::from_vec(packed, n, t.device())?;
    Ok((stored, QuantEntry { shape, offset: Some(lo), step: Some(step) }))
}

/// The `f32` tensor that `stored` (written by [`quantise`] at `bits`) holds.
pub fn dequantise(stored: &Tensor, entry: &QuantEntry, bits: u32) -> candle_core::Result<Tensor> {
    check_bits(bits)?;
    let n: usize = entry.shape.iter().product();
    if bits == 16 {
        if stored.dtype() != DType::F16 || stored.elem_count() != n {
            candle_core::bail!(
                "a 16-bit tensor must be F16 with {n} values, this one is {:?} with {}",
                stored.dtype(),
                stored.elem_count()
            );
        }
        return stored.to_dtype(DType::F32)?.reshape(entry.shape.as_slice());
    }
    let (Some(offset), Some(step)) = (entry.offset, entry.step) else {
        candle_core::bail!("a {bits}-bit tensor needs an offset and a step in the metadata");
    };
    let bytes_needed = (n * bits as usize).div_ceil(8);
    if stored.dtype() != DType::U8 || stored.rank() != 1 || stored.elem_count() != bytes_needed {
        candle_core::bail!(
            "{n} values at {bits} bits need a 1-D U8 tensor of {bytes_needed} bytes, this one is {:?} {:?}",
            stored.dtype(),
            stored.dims()
        );
    }
    let packed = stored.to_vec1::<u8>()?;
    let mask = ((1u32 << bits) - 1) as u8;
    let values: Vec<f32> = (0..n)
        .map(|i| {
            let at = i * bits as usize;
            let code = (packed[at / 8] >> (at % 8)) & mask;
            offset + step * code as f32
        })
        .collect();
    Tensor::from_vec(values, entry.shape.as_slice(), stored.device())
}

/// `t` as it reads back after quantising to `bits`.
pub fn roundtrip(t: &Tensor, bits: u32) -> candle_core::Result<Tensor> {
    let (stored, entry) = quantise(t, bits)?;
    dequantise(&stored, &entry, bits)?.to_dtype(t.dtype())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn codes_round_trip_within_half_a_step_and_pack_tightly() {
        let values: Vec<f32> = (0..37).map(|i| ((i * 7919) % 101) as f32 / 13.0 - 3.0).collect();
        let t = Tensor::from_vec(values.clone(), (37,), &Device::Cpu).unwrap().reshape((37, 1)).unwrap();
        for bits in BITS {
            let (stored, entry) = quantise(&t, bits).unwrap();
            let back = dequantise(&stored, &entry, bits).unwrap();
            assert_eq!(back.dims(), &[37, 1]);
            let back = back.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let span = 100.0 / 13.0;
            let tol = if bits == 16 { 4e-3 } else { span / ((1u32 << bits) - 1) as f32 / 2.0 + 1e-6 };
            for (a, b) in values.iter().zip(&back) {
                assert!((a - b).abs() <= tol, "{bits} bits: {a} -> {b}");
            }
            // The extremes are exact.
            if bits < 16 {
                assert_eq!(back.iter().cloned().fold(f32::INFINITY, f32::min), -3.0);
                assert_eq!(stored.elem_count(), (37 * bits as usize).div_ceil(8));
            }
        }
        assert!(quantise(&t, 3).unwrap_err().to_string().contains("use 16, 8, 4 or 2"));
        // A constant tensor has one level.
        let c = Tensor::full(0.5f32, (4,), &Device::Cpu).unwrap();
        assert_eq!(roundtrip(&c, 2).unwrap().to_vec1::<f32>().unwrap(), vec![0.5; 4]);
    }

    #[test]
    fn damaged_stored_tensors_are_errors() {
        let t = Tensor::new(&[1f32, 2., 3.], &Device::Cpu).unwrap();
        let (stored, mut entry) = quantise(&t, 4).unwrap();
        entry.shape = vec![9];
        assert!(dequantise(&stored, &entry, 4).unwrap_err().to_string().contains("need a 1-D U8 tensor"));
        entry.offset = None;
        assert!(dequantise(&stored, &entry, 4).is_err());
    }
}
