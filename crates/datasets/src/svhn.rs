//! SVHN cropped digits from the official `train_32x32.mat` / `test_32x32.mat`.
//!
//! Each file is a MATLAB level-5 MAT-file with `X`, a `32 x 32 x 3 x N` `uint8` array (rows,
//! columns, RGB, images; column-major), and `y`, an `N x 1` array of labels 1-10 where 10 means
//! the digit 0. Images are returned as RGB planes of 32x32 and label 10 as class 0.

use std::path::Path;

use crate::Split;
use crate::dataset::ImageDataset;
use crate::error::{DataError, Result};
use crate::files::{self, SourceFile};
use crate::mat::{self, MatArray, MatData};

/// Folder name under the data root.
pub const FOLDER: &str = "svhn";

/// The official file name of a split.
pub fn file_name(split: Split) -> &'static str {
    match split {
        Split::Train => "train_32x32.mat",
        Split::Test => "test_32x32.mat",
    }
}

/// Loads one split of SVHN from `<root>/svhn/`.
pub fn load(root: &Path, split: Split) -> Result<ImageDataset> {
    let name = file_name(split);
    let path = root.join(FOLDER).join(name);
    let raw = files::read(&path, FOLDER)?;
    let provenance = files::identify(&path, FOLDER, name, &raw)?;
    let arrays = mat::read(&raw, &path, FOLDER)?;
    drop(raw);
    let (images, labels) = decode(arrays, &path)?;
    ImageDataset::new(
        format!("{FOLDER}/{}", split.name()),
        images,
        labels,
        [3, 32, 32],
        (0..10).map(|d| d.to_string()).collect(),
        vec![SourceFile { path, provenance }],
    )
}

/// Turns the `X` and `y` variables into CHW image bytes and labels 0-9.
pub fn decode(arrays: Vec<MatArray>, path: &Path) -> Result<(Vec<u8>, Vec<u32>)> {
    let bad = |problem: String| DataError::corrupt(path, FOLDER, problem);
    let mut x = None;
    let mut y = None;
    for a in arrays {
        match a.name.as_str() {
            "X" => x = Some(a),
            "y" => y = Some(a),
            _ => {}
        }
    }
    let x = x.ok_or_else(|| bad("has no variable X (the images)".into()))?;
    let y = y.ok_or_else(|| bad("has no variable y (the labels)".into()))?;
    if x.dims.len() != 4 || x.dims[..3] != [32, 32, 3] {
        return Err(bad(format!("X has dimensions {:?}, expected 32 x 32 x 3 x N", x.dims)));
    }
    let n = x.dims[3];
    if y.dims.iter().product::<usize>() != n || y.dims.iter().filter(|&&d| d != 1).count() > 1 {
        return Err(bad(format!("y has dimensions {:?}, expected {n} x 1 to match X", y.dims)));
    }
    let xs = match x.data {
        MatData::U8(v) => v,
        MatData::F64(_) => return Err(bad("X is not stored as uint8".into())),
    };
    let ys = y.data.into_u8().ok_or_else(|| bad("y holds values that are not whole numbers 1-10".into()))?;
    let mut labels = Vec::with_capacity(n);
    for (i, &l) in ys.iter().enumerate() {
        if !(1..=10).contains(&l) {
            return Err(bad(format!("label y({}) is {l}, expected 1-10 (10 means digit 0)", i + 1)));
        }
        labels.push((l % 10) as u32);
    }
    // Column-major X(r, c, ch, i) is at r + 32c + 1024ch + 3072i; we want i*3072 + ch*1024 + 32r + c.
    let mut images = vec![0u8; n * 3072];
    for (src, dst) in xs.chunks_exact(3072).zip(images.chunks_exact_mut(3072)) {
        for ch in 0..3 {
            let plane = &src[ch * 1024..(ch + 1) * 1024];
            let out = &mut dst[ch * 1024..(ch + 1) * 1024];
            for r in 0..32 {
                for c in 0..32 {
                    out[32 * r + c] = plane[r + 32 * c];
                }
            }
        }
    }
    Ok((images, labels))
}

/// Encodes CHW images and labels 0-9 as an SVHN-layout MAT-file (label 0 stored as 10, labels
/// as doubles, `X` as uint8, each variable compressed), for building test fixtures.
pub fn encode(images: &[u8], labels: &[u32]) -> Vec<u8> {
    let n = labels.len();
    let mut x = vec![0u8; n * 3072];
    for (src, dst) in images.chunks_exact(3072).zip(x.chunks_exact_mut(3072)) {
        for ch in 0..3 {
            for r in 0..32 {
                for c in 0..32 {
                    dst[ch * 1024 + r + 32 * c] = src[ch * 1024 + 32 * r + c];
                }
            }
        }
    }
    let y: Vec<f64> = labels.iter().map(|&l| if l == 0 { 10.0 } else { l as f64 }).collect();
    mat::write(
        &[
            MatArray {
                name: "X".into(),
                class: mat::CLASS_UINT8,
                dims: vec![32, 32, 3, n],
                data: MatData::U8(x),
            },
            MatArray { name: "y".into(), class: mat::CLASS_DOUBLE, dims: vec![n, 1], data: MatData::F64(y) },
        ],
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_the_official_layout() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join(FOLDER)).unwrap();
        let images: Vec<u8> = (0..2 * 3072).map(|i| (i * 7 % 256) as u8).collect();
        std::fs::write(t.path().join(FOLDER).join("test_32x32.mat"), encode(&images, &[0, 7])).unwrap();
        let d = load(t.path(), Split::Test).unwrap();
        assert_eq!(d.labels, vec![0, 7]);
        assert_eq!(d.images, images);
        assert!(matches!(load(t.path(), Split::Train), Err(DataError::Missing { .. })));
    }

    #[test]
    fn column_major_transpose() {
        // One image whose X(r, c, 0, 0) = r * 32 + c would read as row-major after transposition.
        let mut x = vec![0u8; 3072];
        for r in 0..32 {
            for c in 0..32 {
                x[r + 32 * c] = ((r * 32 + c) % 256) as u8;
            }
        }
        let arrays = vec![
            MatArray { name: "X".into(), class: 9, dims: vec![32, 32, 3, 1], data: MatData::U8(x) },
            MatArray { name: "y".into(), class: 6, dims: vec![1, 1], data: MatData::U8(vec![10]) },
        ];
        let (im, lb) = decode(arrays, Path::new("t")).unwrap();
        assert_eq!(lb, vec![0]);
        assert_eq!(&im[..4], &[0, 1, 2, 3]);
        assert_eq!(im[32], 32);
    }

    #[test]
    fn bad_shapes_and_labels() {
        let mk = |xd: Vec<usize>, y: Vec<u8>| {
            let n: usize = xd.iter().product();
            vec![
                MatArray { name: "X".into(), class: 9, dims: xd, data: MatData::U8(vec![0; n]) },
                MatArray { name: "y".into(), class: 6, dims: vec![y.len(), 1], data: MatData::U8(y) },
            ]
        };
        let e = decode(mk(vec![32, 32, 1, 1], vec![1]), Path::new("t")).unwrap_err().to_string();
        assert!(e.contains("32 x 32 x 3 x N"), "{e}");
        let e = decode(mk(vec![32, 32, 3, 2], vec![1]), Path::new("t")).unwrap_err().to_string();
        assert!(e.contains("to match X"), "{e}");
        let e = decode(mk(vec![32, 32, 3, 1], vec![11]), Path::new("t")).unwrap_err().to_string();
        assert!(e.contains("expected 1-10"), "{e}");
        let e = decode(vec![], Path::new("t")).unwrap_err().to_string();
        assert!(e.contains("no variable X"), "{e}");
    }
}
