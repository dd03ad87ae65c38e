//! MNIST and Fashion-MNIST from their official IDX files.
//!
//! Files are looked for as `<root>/<dataset>/<name>.gz` (as published) and then as the
//! uncompressed `<root>/<dataset>/<name>`. The `.gz` files are checked against the official
//! checksums; both forms are checked for their magic numbers, 28x28 shape, matching image and
//! label counts and labels below 10.

use std::path::{Path, PathBuf};

use crate::Split;
use crate::dataset::ImageDataset;
use crate::error::{DataError, Result};
use crate::files::{self, SourceFile};
use crate::idx;

/// Which of the two IDX datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxDataset {
    /// Handwritten digits.
    Mnist,
    /// Zalando's article images.
    FashionMnist,
}

impl IdxDataset {
    /// The folder name under the data root.
    pub fn folder(self) -> &'static str {
        match self {
            IdxDataset::Mnist => "mnist",
            IdxDataset::FashionMnist => "fashion-mnist",
        }
    }

    /// Class names in label order.
    pub fn classes(self) -> Vec<String> {
        let names: &[&str] = match self {
            IdxDataset::Mnist => &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
            IdxDataset::FashionMnist => &[
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ],
        };
        names.iter().map(|s| s.to_string()).collect()
    }
}

/// The official file stems (without `.gz`) of a split: images, then labels.
pub fn file_stems(split: Split) -> (&'static str, &'static str) {
    match split {
        Split::Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        Split::Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
}

/// Loads one split of MNIST or Fashion-MNIST from `root`.
pub fn load(root: &Path, which: IdxDataset, split: Split) -> Result<ImageDataset> {
    let ds = which.folder();
    let (img_stem, lbl_stem) = file_stems(split);
    let (img_path, images, img_prov) = read_idx(root, ds, img_stem, 3)?;
    let (lbl_path, labels, lbl_prov) = read_idx(root, ds, lbl_stem, 1)?;
    if images.dims[1..] != [28, 28] {
        return Err(DataError::corrupt(
            &img_path,
            ds,
            format!("images are {:?} pixels, expected 28x28", &images.dims[1..]),
        ));
    }
    if images.dims[0] != labels.dims[0] {
        return Err(DataError::corrupt(
            &lbl_path,
            ds,
            format!(
                "holds {} labels but {} holds {} images",
                labels.dims[0],
                img_path.display(),
                images.dims[0]
            ),
        ));
    }
    if let Some(pos) = labels.data.iter().position(|&l| l > 9) {
        return Err(DataError::corrupt(
            &lbl_path,
            ds,
            format!("label {} at index {pos} is not a class 0-9", labels.data[pos]),
        ));
    }
    let labels: Vec<u32> = labels.data.iter().map(|&l| l as u32).collect();
    ImageDataset::new(
        format!("{ds}/{}", split.name()),
        images.data,
        labels,
        [1, 28, 28],
        which.classes(),
        vec![
            SourceFile { path: img_path, provenance: img_prov },
            SourceFile { path: lbl_path, provenance: lbl_prov },
        ],
    )
}

/// Finds, checks and parses `<root>/<ds>/<stem>(.gz)`.
fn read_idx(root: &Path, ds: &str, stem: &str, ndims: u8) -> Result<(PathBuf, idx::Idx, files::Provenance)> {
    let gz = root.join(ds).join(format!("{stem}.gz"));
    let plain = root.join(ds).join(stem);
    let path = if gz.is_file() {
        gz
    } else if plain.is_file() {
        plain
    } else {
        return Err(DataError::Missing {
            dataset: ds.to_string(),
            path: gz,
            hint: format!(" (or its uncompressed form {stem})"),
        });
    };
    let raw = files::read(&path, ds)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(stem);
    let provenance = files::identify(&path, ds, name, &raw)?;
    let bytes = if idx::is_gzip(&raw) { idx::gunzip(&raw, &path, ds)? } else { raw };
    let parsed = idx::parse(&bytes, ndims, &path, ds)?;
    Ok((path, parsed, provenance))
}

/// Writes a split as IDX files (gzip-compressed, official names) under `dir` (used to cut fixtures).
pub fn write(dir: &Path, data: &ImageDataset, split: Split) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let (img_stem, lbl_stem) = file_stems(split);
    let [_, h, w] = data.shape;
    let labels: Vec<u8> = data.labels.iter().map(|&l| l as u8).collect();
    std::fs::write(
        dir.join(format!("{img_stem}.gz")),
        idx::gzip(&idx::encode(&[data.len(), h, w], &data.images)),
    )?;
    std::fs::write(dir.join(format!("{lbl_stem}.gz")), idx::gzip(&idx::encode(&[data.len()], &labels)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_split(dir: &Path, n: usize, h: usize, labels: &[u8]) {
        std::fs::create_dir_all(dir).unwrap();
        let imgs: Vec<u8> = (0..n * h * 28).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), idx::gzip(&idx::encode(&[n, h, 28], &imgs)))
            .unwrap();
        std::fs::write(dir.join("t10k-labels-idx1-ubyte"), idx::encode(&[labels.len()], labels)).unwrap();
    }

    #[test]
    fn loads_gz_and_plain_files() {
        let t = tempfile::tempdir().unwrap();
        write_split(&t.path().join("mnist"), 3, 28, &[0, 9, 4]);
        let d = load(t.path(), IdxDataset::Mnist, Split::Test).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d.labels, vec![0, 9, 4]);
        assert_eq!(d.image(1)[0], (784 % 251) as u8);
        assert!(matches!(d.sources[0].provenance, files::Provenance::Unverified(_)));
    }

    #[test]
    fn count_mismatch_bad_label_bad_shape_missing() {
        let t = tempfile::tempdir().unwrap();
        write_split(&t.path().join("mnist"), 3, 28, &[0, 9]);
        let e = load(t.path(), IdxDataset::Mnist, Split::Test).unwrap_err().to_string();
        assert!(e.contains("2 labels") && e.contains("3 images"), "{e}");

        write_split(&t.path().join("mnist"), 2, 28, &[0, 10]);
        let e = load(t.path(), IdxDataset::Mnist, Split::Test).unwrap_err().to_string();
        assert!(e.contains("label 10"), "{e}");

        write_split(&t.path().join("mnist"), 2, 27, &[0, 1]);
        let e = load(t.path(), IdxDataset::Mnist, Split::Test).unwrap_err().to_string();
        assert!(e.contains("28x28"), "{e}");

        let e = load(t.path(), IdxDataset::FashionMnist, Split::Train).unwrap_err();
        assert!(matches!(e, DataError::Missing { .. }));
        let e = e.to_string();
        assert!(
            e.contains("train-images-idx3-ubyte.gz") && e.contains("cargo xtask download fashion-mnist"),
            "{e}"
        );
    }
}
