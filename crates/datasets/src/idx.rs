//! The IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//!
//! An IDX file is a big-endian header (two zero bytes, a type code, the number of dimensions,
//! then one `u32` per dimension) followed by the data. Only unsigned bytes (type `0x08`) are used
//! by these datasets, and only those are read.

use std::io::{Read, Write};
use std::path::Path;

use crate::error::{DataError, Result};
use crate::files::{group, official_size};

/// The decoded contents of an IDX file of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idx {
    /// Sizes of the dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The data, `dims.iter().product()` bytes.
    pub data: Vec<u8>,
}

/// Magic number of an IDX file of `u8` with `ndims` dimensions (2049 for labels, 2051 for images).
pub const fn magic(ndims: u8) -> u32 {
    0x0800 | ndims as u32
}

/// Whether `bytes` starts like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Decompresses a gzip stream, reporting a cut-short stream as such.
///
/// `path` and `dataset` are for the error message only.
pub fn gunzip(bytes: &[u8], path: &Path, dataset: &str) -> Result<Vec<u8>> {
    // The last 4 bytes of a gzip member are the uncompressed size mod 2^32: a good capacity hint.
    let hint = if bytes.len() >= 4 {
        u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap_or([0; 4])) as usize
    } else {
        0
    };
    let mut out = Vec::with_capacity(hint.min(1 << 31));
    let mut dec = flate2::read::GzDecoder::new(bytes);
    if let Err(e) = dec.read_to_end(&mut out) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let expected = official_size(dataset, name)
            .map(|s| format!(", expected {} bytes", group(s)))
            .unwrap_or_default();
        let problem = if e.kind() == std::io::ErrorKind::UnexpectedEof {
            format!(
                "the gzip stream ends early ({} bytes{expected}): the file was cut short",
                group(bytes.len() as u64)
            )
        } else {
            format!("is not a valid gzip stream ({e})")
        };
        return Err(DataError::corrupt(path, dataset, problem));
    }
    Ok(out)
}

/// Parses IDX bytes (already decompressed) with the expected number of dimensions.
pub fn parse(bytes: &[u8], ndims: u8, path: &Path, dataset: &str) -> Result<Idx> {
    let bad = |problem: String| DataError::corrupt(path, dataset, problem);
    if bytes.len() < 4 {
        return Err(bad(format!("is {} bytes long, too short for an IDX header", bytes.len())));
    }
    let found = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if found != magic(ndims) {
        return Err(bad(format!(
            "magic number is {found} (0x{found:08x}), expected {} for an IDX file of unsigned bytes \
             with {ndims} dimension(s)",
            magic(ndims)
        )));
    }
    let header = 4 + 4 * ndims as usize;
    if bytes.len() < header {
        return Err(bad(format!("is {} bytes long, shorter than its {header}-byte header", bytes.len())));
    }
    let dims: Vec<usize> = (0..ndims as usize)
        .map(|i| {
            let o = 4 + 4 * i;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    let expected = header + dims.iter().product::<usize>();
    if bytes.len() != expected {
        let what = if bytes.len() < expected { "the file was cut short" } else { "it has trailing bytes" };
        return Err(bad(format!(
            "header says dimensions {dims:?}, i.e. {} bytes of data after the header, but the data is \
             {} bytes long ({what})",
            group((expected - header) as u64),
            group((bytes.len() - header) as u64)
        )));
    }
    Ok(Idx { dims, data: bytes[header..].to_vec() })
}

/// Encodes `data` with dimensions `dims` as IDX bytes (uncompressed).
pub fn encode(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    out.extend_from_slice(&magic(dims.len() as u8).to_be_bytes());
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// Compresses bytes with gzip (best compression), as the official `.gz` files are.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_plain_and_gzip() {
        let data: Vec<u8> = (0..24).collect();
        let bytes = encode(&[2, 3, 4], &data);
        assert_eq!(&bytes[..4], &[0, 0, 8, 3]);
        let idx = parse(&bytes, 3, Path::new("x"), "mnist").unwrap();
        assert_eq!(idx.dims, vec![2, 3, 4]);
        assert_eq!(idx.data, data);
        let gz = gzip(&bytes);
        assert!(is_gzip(&gz));
        assert_eq!(gunzip(&gz, Path::new("x"), "mnist").unwrap(), bytes);
    }

    #[test]
    fn wrong_magic_is_named() {
        let bytes = encode(&[3], &[1, 2, 3]);
        let err = parse(&bytes, 3, Path::new("f"), "mnist").unwrap_err().to_string();
        assert!(err.contains("magic number is 2049"), "{err}");
        assert!(err.contains("expected 2051"), "{err}");
    }

    #[test]
    fn truncated_and_trailing_data_are_errors() {
        let mut bytes = encode(&[4], &[1, 2, 3, 4]);
        bytes.pop();
        let err = parse(&bytes, 1, Path::new("f"), "mnist").unwrap_err().to_string();
        assert!(err.contains("cut short"), "{err}");
        bytes.extend_from_slice(&[0, 0]);
        let err = parse(&bytes, 1, Path::new("f"), "mnist").unwrap_err().to_string();
        assert!(err.contains("trailing"), "{err}");
        let err = parse(&[0, 0], 1, Path::new("f"), "mnist").unwrap_err().to_string();
        assert!(err.contains("too short"), "{err}");
        let err = parse(&[0, 0, 8, 3, 0], 3, Path::new("f"), "mnist").unwrap_err().to_string();
        assert!(err.contains("header"), "{err}");
    }

    #[test]
    fn cut_gzip_stream_names_the_official_size() {
        let gz = gzip(&encode(&[1000], &[7; 1000]));
        let cut = &gz[..gz.len() / 2];
        let err = gunzip(cut, Path::new("/d/train-labels-idx1-ubyte.gz"), "mnist").unwrap_err().to_string();
        assert!(err.contains("cut short"), "{err}");
        assert!(err.contains("28,881"), "{err}");
        let err = gunzip(&[0x1f, 0x8b, 0, 0, 0, 0], Path::new("g"), "mnist").unwrap_err();
        assert!(matches!(err, DataError::Corrupt { .. }));
    }
}
