//! A small reader and writer for MATLAB level-5 MAT-files, enough for numeric arrays such as
//! the SVHN `.mat` files.
//!
//! A level-5 file is a 128-byte header (text, subsystem offset, version `0x0100`, endianness
//! marker `IM`/`MI`) followed by data elements. Each element is a tag (type, byte count; or the
//! "small element" form packing both in 4 bytes) and data padded to 8 bytes. Variables are
//! `miMATRIX` elements, possibly wrapped in zlib-compressed `miCOMPRESSED` elements. Numeric
//! arrays of every class are read; cells, structs, sparse and character arrays are skipped.
//! Arrays are stored in column-major (Fortran) order, as MATLAB keeps them.

use std::io::{Read, Write};
use std::path::Path;

use crate::error::{DataError, Result};

const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

/// MATLAB array classes of numeric arrays (`mxDOUBLE_CLASS` = 6 .. `mxUINT64_CLASS` = 15).
const NUMERIC_CLASSES: std::ops::RangeInclusive<u8> = 6..=15;
/// `mxDOUBLE_CLASS`.
pub const CLASS_DOUBLE: u8 = 6;
/// `mxUINT8_CLASS`.
pub const CLASS_UINT8: u8 = 9;

/// The values of a numeric array, as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum MatData {
    /// Stored as unsigned bytes (kept as they are, without conversion).
    U8(Vec<u8>),
    /// Stored as any other numeric type, converted to `f64`.
    F64(Vec<f64>),
}

impl MatData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            MatData::U8(v) => v.len(),
            MatData::F64(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as bytes, if every value is an integer in `0..=255`.
    pub fn into_u8(self) -> Option<Vec<u8>> {
        match self {
            MatData::U8(v) => Some(v),
            MatData::F64(v) => v
                .iter()
                .map(|&x| (x.fract() == 0.0 && (0.0..=255.0).contains(&x)).then_some(x as u8))
                .collect(),
        }
    }
}

/// One numeric variable of a MAT-file.
#[derive(Debug, Clone, PartialEq)]
pub struct MatArray {
    /// Variable name.
    pub name: String,
    /// MATLAB class (`mxDOUBLE_CLASS` = 6, `mxUINT8_CLASS` = 9, ...).
    pub class: u8,
    /// Dimensions, first (fastest-varying) first.
    pub dims: Vec<usize>,
    /// Values in column-major order.
    pub data: MatData,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    big_endian: bool,
}

impl<'a> Cursor<'a> {
    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    /// Reads one element: (type, data, whether it was in small format). Advances past padding.
    fn element(&mut self) -> std::result::Result<(u32, &'a [u8]), String> {
        let first = self
            .u32_at(self.pos)
            .ok_or_else(|| format!("data element tag at byte {} is cut short", self.pos))?;
        let (ty, small_len) = (first & 0xffff, first >> 16);
        if small_len != 0 {
            if small_len > 4 {
                return Err(format!("small data element at byte {} claims {small_len} bytes", self.pos));
            }
            let start = self.pos + 4;
            let data = self
                .bytes
                .get(start..start + small_len as usize)
                .ok_or_else(|| format!("small data element at byte {} is cut short", self.pos))?;
            self.pos += 8;
            return Ok((ty, data));
        }
        let len = self
            .u32_at(self.pos + 4)
            .ok_or_else(|| format!("data element tag at byte {} is cut short", self.pos))?
            as usize;
        let start = self.pos + 8;
        let data = self.bytes.get(start..start + len).ok_or_else(|| {
            format!(
                "data element at byte {} needs {len} bytes but only {} remain: the file was cut short",
                self.pos,
                self.bytes.len().saturating_sub(start)
            )
        })?;
        self.pos = if ty == MI_COMPRESSED { start + len } else { start + len.div_ceil(8) * 8 };
        Ok((ty, data))
    }
}

fn numbers(ty: u32, data: &[u8], big_endian: bool) -> std::result::Result<MatData, String> {
    macro_rules! conv {
        ($t:ty, $n:expr) => {{
            if data.len() % $n != 0 {
                return Err(format!("{} bytes is not a whole number of {}-byte values", data.len(), $n));
            }
            data.chunks_exact($n)
                .map(|c| {
                    let a: [u8; $n] = c.try_into().unwrap_or([0; $n]);
                    (if big_endian { <$t>::from_be_bytes(a) } else { <$t>::from_le_bytes(a) }) as f64
                })
                .collect()
        }};
    }
    Ok(match ty {
        MI_UINT8 => MatData::U8(data.to_vec()),
        MI_INT8 => MatData::F64(data.iter().map(|&b| b as i8 as f64).collect()),
        MI_INT16 => MatData::F64(conv!(i16, 2)),
        MI_UINT16 => MatData::F64(conv!(u16, 2)),
        MI_INT32 => MatData::F64(conv!(i32, 4)),
        MI_UINT32 => MatData::F64(conv!(u32, 4)),
        MI_SINGLE => MatData::F64(conv!(f32, 4)),
        MI_DOUBLE => MatData::F64(conv!(f64, 8)),
        MI_INT64 => MatData::F64(conv!(i64, 8)),
        MI_UINT64 => MatData::F64(conv!(u64, 8)),
        other => return Err(format!("numeric data of unsupported type {other}")),
    })
}

/// Parses a `miMATRIX` element's data; `None` for arrays that are not plain numeric arrays.
fn matrix(data: &[u8], big_endian: bool) -> std::result::Result<Option<MatArray>, String> {
    let mut c = Cursor { bytes: data, pos: 0, big_endian };
    let (ty, flags) = c.element()?;
    if ty != MI_UINT32 || flags.len() < 8 {
        return Err("array flags sub-element is missing".into());
    }
    let flags0 = Cursor { bytes: flags, pos: 0, big_endian }.u32_at(0).unwrap_or(0);
    let class = (flags0 & 0xff) as u8;
    let complex = flags0 & 0x0800 != 0;
    if !NUMERIC_CLASSES.contains(&class) || complex {
        return Ok(None);
    }
    let (ty, dims) = c.element()?;
    if ty != MI_INT32 {
        return Err(format!("dimensions sub-element has type {ty}, expected 5 (miINT32)"));
    }
    let dims: Vec<usize> = match numbers(MI_INT32, dims, big_endian)? {
        MatData::F64(v) => v.iter().map(|&d| d as usize).collect(),
        MatData::U8(_) => unreachable!("miINT32 converts to f64"),
    };
    let (_, name) = c.element()?;
    let name = String::from_utf8_lossy(name).into_owned();
    let (ty, real) = c.element()?;
    let values = numbers(ty, real, big_endian).map_err(|e| format!("variable {name}: {e}"))?;
    let expected: usize = dims.iter().product();
    if values.len() != expected {
        return Err(format!(
            "variable {name} has dimensions {dims:?} ({expected} values) but holds {} values",
            values.len()
        ));
    }
    Ok(Some(MatArray { name, class, dims, data: values }))
}

/// Reads every numeric variable of a level-5 MAT-file. `path` and `dataset` are for messages.
pub fn read(bytes: &[u8], path: &Path, dataset: &str) -> Result<Vec<MatArray>> {
    let bad = |problem: String| DataError::corrupt(path, dataset, problem);
    if bytes.len() < 128 {
        return Err(bad(format!("is {} bytes, shorter than the 128-byte MAT-file header", bytes.len())));
    }
    let big_endian = match &bytes[126..128] {
        b"IM" => false,
        b"MI" => true,
        other => {
            let hint = if bytes.starts_with(b"\x89HDF") || bytes[..128].windows(4).any(|w| w == b"HDF\r") {
                " (this looks like a MATLAB v7.3 / HDF5 file, which is not supported: save it with -v7)"
            } else {
                ""
            };
            return Err(bad(format!(
                "endianness marker is {other:?}, expected \"IM\" or \"MI\": not a MATLAB level-5 MAT-file{hint}"
            )));
        }
    };
    let mut out = Vec::new();
    let mut c = Cursor { bytes, pos: 128, big_endian };
    while c.pos < bytes.len() {
        let (ty, data) = c.element().map_err(bad)?;
        let arr = match ty {
            MI_MATRIX => matrix(data, big_endian).map_err(bad)?,
            MI_COMPRESSED => {
                let mut inflated = Vec::new();
                flate2::read::ZlibDecoder::new(data).read_to_end(&mut inflated).map_err(|e| {
                    bad(format!(
                        "a compressed variable cannot be inflated ({e}): the file was cut short or is damaged"
                    ))
                })?;
                let mut inner = Cursor { bytes: &inflated, pos: 0, big_endian };
                let (ity, idata) = inner.element().map_err(bad)?;
                if ity == MI_MATRIX { matrix(idata, big_endian).map_err(bad)? } else { None }
            }
            _ => None,
        };
        out.extend(arr);
    }
    Ok(out)
}

fn tag(out: &mut Vec<u8>, ty: u32, len: usize) {
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
}

fn pad(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
}

/// Encodes one variable as a (little-endian) `miMATRIX` element.
fn encode_matrix(arr: &MatArray) -> Vec<u8> {
    let mut body = Vec::new();
    tag(&mut body, MI_UINT32, 8);
    body.extend_from_slice(&(arr.class as u32).to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    tag(&mut body, MI_INT32, 4 * arr.dims.len());
    for &d in &arr.dims {
        body.extend_from_slice(&(d as i32).to_le_bytes());
    }
    pad(&mut body);
    tag(&mut body, MI_INT8, arr.name.len());
    body.extend_from_slice(arr.name.as_bytes());
    pad(&mut body);
    match &arr.data {
        // MATLAB stores integer-valued doubles in the smallest type that holds them; do the same
        // for bytes so the reader's conversion path is exercised as with the official files.
        MatData::U8(v) => {
            tag(&mut body, MI_UINT8, v.len());
            body.extend_from_slice(v);
        }
        MatData::F64(v) => {
            tag(&mut body, MI_DOUBLE, 8 * v.len());
            for x in v {
                body.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
    pad(&mut body);
    let mut out = Vec::with_capacity(body.len() + 8);
    tag(&mut out, MI_MATRIX, body.len());
    out.extend(body);
    out
}

/// Encodes variables as a level-5 MAT-file (little-endian), each variable zlib-compressed if
/// `compress` is set, as MATLAB's `save -v7` does.
pub fn write(arrays: &[MatArray], compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut text = format!(
        "MATLAB 5.0 MAT-file, Platform: innate, Created by: innate-datasets {}",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes();
    text.resize(116, b' ');
    out.extend(text);
    out.extend_from_slice(&[0u8; 8]);
    out.extend_from_slice(&0x0100u16.to_le_bytes());
    out.extend_from_slice(b"IM");
    for arr in arrays {
        let m = encode_matrix(arr);
        if compress {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            let _ = z.write_all(&m);
            let z = z.finish().unwrap_or_default();
            tag(&mut out, MI_COMPRESSED, z.len());
            out.extend(z);
        } else {
            out.extend(m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<MatArray> {
        vec![
            MatArray {
                name: "X".into(),
                class: CLASS_UINT8,
                dims: vec![2, 3],
                data: MatData::U8(vec![1, 2, 3, 4, 5, 6]),
            },
            MatArray {
                name: "y".into(),
                class: CLASS_DOUBLE,
                dims: vec![3, 1],
                data: MatData::F64(vec![10.0, 1.0, 2.0]),
            },
        ]
    }

    #[test]
    fn round_trip_compressed_and_plain() {
        for compress in [false, true] {
            let bytes = write(&sample(), compress);
            assert_eq!(read(&bytes, Path::new("t.mat"), "svhn").unwrap(), sample());
        }
    }

    #[test]
    fn small_elements_and_big_endian_numbers() {
        // A small-format element: type miUINT16 (4), 2 bytes, data 0x0102 big-endian.
        let small = [0u8, 2, 0, 4, 1, 2, 0, 0];
        let mut c = Cursor { bytes: &small, pos: 0, big_endian: true };
        let (ty, data) = c.element().unwrap();
        assert_eq!((ty, data), (MI_UINT16, &[1u8, 2][..]));
        assert_eq!(c.pos, 8);
        assert_eq!(numbers(ty, data, true).unwrap(), MatData::F64(vec![258.0]));
        assert_eq!(MatData::F64(vec![258.0]).into_u8(), None);
        assert_eq!(MatData::F64(vec![3.0, 0.0]).into_u8(), Some(vec![3, 0]));
    }

    #[test]
    fn malformed_files_are_errors() {
        let p = Path::new("t.mat");
        let e = read(&[0; 10], p, "svhn").unwrap_err().to_string();
        assert!(e.contains("128-byte"), "{e}");
        let mut bytes = write(&sample(), false);
        bytes[126] = b'X';
        let e = read(&bytes, p, "svhn").unwrap_err().to_string();
        assert!(e.contains("endianness"), "{e}");
        let bytes = write(&sample(), false);
        let e = read(&bytes[..bytes.len() - 20], p, "svhn").unwrap_err().to_string();
        assert!(e.contains("cut short"), "{e}");
        let bytes = write(&sample(), true);
        let e = read(&bytes[..bytes.len() - 5], p, "svhn").unwrap_err().to_string();
        assert!(e.contains("cut short"), "{e}");
    }
}
