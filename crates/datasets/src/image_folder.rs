//! Image folders in the layout of torchvision's `ImageFolder`: `ROOT/CLASS/IMAGE.png|jpg`.
//!
//! Classes are the sub-folder names in sorted order (label `i` is the `i`-th name), images are
//! taken in sorted order within each class. Every image must have the size of the first one;
//! grayscale images give one channel, anything else is converted to RGB. The same reader also
//! takes the folders out of a `.tar.gz` without extracting it, which is how the JPEG copy of
//! CIFAR-10 (`cifar-10/cifar-10-jpeg.tar.gz`) is read; for that copy the official training order
//! is rebuilt from its `train_order.txt`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use image::DynamicImage;

use crate::Split;
use crate::cifar;
use crate::dataset::ImageDataset;
use crate::error::{DataError, Result};
use crate::files::{self, Provenance, SourceFile};

/// File extensions read as images (case-insensitive).
pub const EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

fn is_image(name: &str) -> bool {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// One encoded image and where it came from.
#[derive(Debug, Clone)]
pub struct EncodedImage {
    /// Class folder name.
    pub class: String,
    /// Path for messages (file path, or `archive:member`).
    pub path: PathBuf,
    /// The encoded file.
    pub bytes: Vec<u8>,
}

/// Reads `dir/CLASS/*.{png,jpg,jpeg}` as a labelled dataset named `name`.
pub fn load_dir(dir: &Path, name: &str) -> Result<ImageDataset> {
    let items = read_dir_images(dir)?;
    let classes = class_names(&items);
    let sources = vec![SourceFile {
        path: dir.to_path_buf(),
        provenance: Provenance::Unverified("image folder; every image decoded and size-checked".into()),
    }];
    decode_all(name, items, classes, sources)
}

/// Collects the encoded images under `dir/CLASS/`, sorted by class then file name.
pub fn read_dir_images(dir: &Path) -> Result<Vec<EncodedImage>> {
    let list = |p: &Path| -> Result<Vec<PathBuf>> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    DataError::Invalid(format!(
                        "{}: folder not found; an image folder holds one sub-folder of images per \
                         class (CLASS/IMAGE.png|jpg), and folder:PATH needs PATH/train and PATH/test",
                        p.display()
                    ))
                } else {
                    DataError::io(p, e)
                }
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        v.sort();
        Ok(v)
    };
    let mut items = Vec::new();
    for class_dir in list(dir)?.into_iter().filter(|p| p.is_dir()) {
        let class = class_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for file in list(&class_dir)? {
            let fname = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if file.is_file() && is_image(&fname) {
                let bytes = std::fs::read(&file).map_err(|e| DataError::io(&file, e))?;
                items.push(EncodedImage { class: class.clone(), path: file, bytes });
            }
        }
    }
    if items.is_empty() {
        return Err(DataError::Invalid(format!(
            "{}: no images found; an image folder holds CLASS/IMAGE.png|jpg|jpeg",
            dir.display()
        )));
    }
    Ok(items)
}

fn class_names(items: &[EncodedImage]) -> Vec<String> {
    let mut c: Vec<String> = items.iter().map(|i| i.class.clone()).collect();
    c.sort();
    c.dedup();
    c
}

/// Decodes `items` (in the given order) into a dataset with the given class list.
pub fn decode_all(
    name: &str,
    items: Vec<EncodedImage>,
    classes: Vec<String>,
    sources: Vec<SourceFile>,
) -> Result<ImageDataset> {
    let first = items.first().ok_or_else(|| DataError::Invalid(format!("{name}: no images")))?;
    let probe = decode(first)?;
    let channels = if matches!(
        probe,
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageLumaA8(_) | DynamicImage::ImageLuma16(_)
    ) {
        1
    } else {
        3
    };
    let (w, h) = (probe.width() as usize, probe.height() as usize);
    let per = channels * h * w;
    let labels: Vec<u32> = items
        .iter()
        .map(|i| {
            classes.iter().position(|c| *c == i.class).map(|p| p as u32).ok_or_else(|| {
                DataError::Invalid(format!(
                    "{}: class {:?} is not among {classes:?}",
                    i.path.display(),
                    i.class
                ))
            })
        })
        .collect::<Result<_>>()?;
    let mut images = vec![0u8; items.len() * per];
    crate::par::fill(&items, &mut images, per, |item, dst| {
        let img = decode(item)?;
        if (img.width() as usize, img.height() as usize) != (w, h) {
            return Err(DataError::Invalid(format!(
                "{}: image is {}x{}, but the first image of the folder is {w}x{h}; \
                 all images must have the same size",
                item.path.display(),
                img.width(),
                img.height()
            )));
        }
        write_planes(&img, channels, dst);
        Ok(())
    })?;
    ImageDataset::new(name, images, labels, [channels, h, w], classes, sources)
}

fn decode(item: &EncodedImage) -> Result<DynamicImage> {
    image::load_from_memory(&item.bytes).map_err(|e| DataError::Corrupt {
        path: item.path.clone(),
        problem: format!("cannot be decoded as an image ({e})"),
        fix: "Delete or replace the file".into(),
    })
}

/// Writes `img` as `channels` planes of bytes into `dst`.
fn write_planes(img: &DynamicImage, channels: usize, dst: &mut [u8]) {
    if channels == 1 {
        dst.copy_from_slice(img.to_luma8().as_raw());
    } else {
        let rgb = img.to_rgb8();
        let n = dst.len() / 3;
        for (i, px) in rgb.as_raw().chunks_exact(3).enumerate() {
            dst[i] = px[0];
            dst[n + i] = px[1];
            dst[2 * n + i] = px[2];
        }
    }
}

/// Loads one split of the JPEG copy of CIFAR-10 from `<root>/cifar-10/`: the folder
/// `cifar-10-jpeg/` if extracted, else the archive `cifar-10-jpeg.tar.gz`.
///
/// Labels follow the official class order (the sorted folder names are exactly it). The training
/// split is put in the official order using `train_order.txt`; the test split is in class order.
pub fn load_cifar_jpeg(root: &Path, split: Split) -> Result<ImageDataset> {
    let ds = cifar::FOLDER;
    let dir = root.join(ds).join("cifar-10-jpeg");
    let archive = root.join(ds).join("cifar-10-jpeg.tar.gz");
    let prefix = format!("{}/", split.name());
    let (mut items, order_txt, source) = if dir.is_dir() {
        let items = read_dir_images(&dir.join(split.name()))?;
        let order = std::fs::read_to_string(dir.join("train_order.txt")).ok();
        let src = SourceFile {
            path: dir.clone(),
            provenance: Provenance::Substitute(
                "CIFAR-10 re-encoded as JPEG: pixels are not the official ones",
            ),
        };
        (items, order, src)
    } else if archive.is_file() {
        let raw = files::read(&archive, ds)?;
        let provenance = files::identify(&archive, ds, "cifar-10-jpeg.tar.gz", &raw)?;
        let mut items = Vec::new();
        let mut order = None;
        cifar::for_each_tar_member(&raw, &archive, ds, |member, read| {
            let Some(rel) = member.strip_prefix("cifar-10-jpeg/") else {
                return Ok(true);
            };
            if rel == "train_order.txt" {
                order = Some(String::from_utf8_lossy(&read()?).into_owned());
            } else if let Some(rest) = rel.strip_prefix(&prefix)
                && let Some((class, file)) = rest.split_once('/')
                && is_image(file)
            {
                items.push(EncodedImage {
                    class: class.to_string(),
                    path: PathBuf::from(format!("{}:{member}", archive.display())),
                    bytes: read()?,
                });
            }
            Ok(true)
        })?;
        items.sort_by(|a, b| a.path.cmp(&b.path));
        (items, order, SourceFile { path: archive.clone(), provenance })
    } else {
        return Err(DataError::Missing {
            dataset: ds.into(),
            path: archive,
            hint: format!(" (or the extracted folder {})", dir.display()),
        });
    };
    let classes: Vec<String> = cifar::CLASSES.iter().map(|s| s.to_string()).collect();
    if class_names(&items) != classes {
        return Err(DataError::corrupt(
            &source.path,
            ds,
            format!(
                "{} classes are {:?}, expected the ten CIFAR-10 classes {classes:?}",
                split.name(),
                class_names(&items)
            ),
        ));
    }
    if split == Split::Train
        && let Some(order) = order_txt
    {
        items = official_order(items, &order, &classes, &source.path)?;
    }
    decode_all(&format!("cifar-10-jpeg/{}", split.name()), items, classes, vec![source])
}

/// Reorders training images by `train_order.txt` (`index label train/CLASS/FILE` per line).
fn official_order(
    items: Vec<EncodedImage>,
    order: &str,
    classes: &[String],
    path: &Path,
) -> Result<Vec<EncodedImage>> {
    let bad = |problem: String| DataError::corrupt(path, cifar::FOLDER, problem);
    let mut by_key: BTreeMap<String, EncodedImage> = BTreeMap::new();
    for it in items {
        let file = it.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        by_key.insert(format!("train/{}/{file}", it.class), it);
    }
    let mut out = Vec::with_capacity(by_key.len());
    for (ln, line) in order.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [idx, label, rel] = parts[..] else {
            return Err(bad(format!(
                "train_order.txt line {} is {line:?}, expected `index label path`",
                ln + 1
            )));
        };
        if idx.parse::<usize>().ok() != Some(out.len()) {
            return Err(bad(format!(
                "train_order.txt line {} has index {idx}, expected {}",
                ln + 1,
                out.len()
            )));
        }
        let item = by_key.remove(rel).ok_or_else(|| {
            bad(format!("train_order.txt line {} names {rel}, which is missing or listed twice", ln + 1))
        })?;
        let expected = label.parse::<usize>().ok().and_then(|l| classes.get(l));
        if expected != Some(&item.class) {
            return Err(bad(format!("train_order.txt line {} gives label {label} for {rel}", ln + 1)));
        }
        out.push(item);
    }
    if !by_key.is_empty() {
        return Err(bad(format!(
            "{} training images are not listed in train_order.txt (first: {})",
            by_key.len(),
            by_key.keys().next().map(String::as_str).unwrap_or("")
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, ImageFormat, RgbImage};

    fn png_gray(w: u32, h: u32, v: u8) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        GrayImage::from_pixel(w, h, image::Luma([v])).write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn png_rgb(w: u32, h: u32, px: [u8; 3]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        RgbImage::from_pixel(w, h, image::Rgb(px)).write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn loads_classes_in_sorted_order() {
        let t = tempfile::tempdir().unwrap();
        for (class, v) in [("b", 20u8), ("a", 10)] {
            std::fs::create_dir_all(t.path().join(class)).unwrap();
            std::fs::write(t.path().join(class).join("1.png"), png_gray(3, 2, v)).unwrap();
            std::fs::write(t.path().join(class).join("0.png"), png_gray(3, 2, v + 1)).unwrap();
        }
        std::fs::write(t.path().join("a").join("notes.txt"), "x").unwrap();
        let d = load_dir(t.path(), "t").unwrap();
        assert_eq!(d.classes, vec!["a", "b"]);
        assert_eq!(d.labels, vec![0, 0, 1, 1]);
        assert_eq!(d.shape, [1, 2, 3]);
        assert_eq!(d.image(0), &[11; 6]);
    }

    #[test]
    fn rgb_is_stored_as_planes() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("c")).unwrap();
        std::fs::write(t.path().join("c").join("x.png"), png_rgb(2, 2, [1, 2, 3])).unwrap();
        let d = load_dir(t.path(), "t").unwrap();
        assert_eq!(d.shape, [3, 2, 2]);
        assert_eq!(d.image(0), &[1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    }

    #[test]
    fn mixed_sizes_corrupt_and_empty_folders_are_errors() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("c")).unwrap();
        std::fs::write(t.path().join("c").join("0.png"), png_gray(2, 2, 0)).unwrap();
        std::fs::write(t.path().join("c").join("1.png"), png_gray(3, 2, 0)).unwrap();
        let e = load_dir(t.path(), "t").unwrap_err().to_string();
        assert!(e.contains("1.png") && e.contains("same size"), "{e}");
        std::fs::write(t.path().join("c").join("1.png"), b"not a png").unwrap();
        let e = load_dir(t.path(), "t").unwrap_err().to_string();
        assert!(e.contains("1.png") && e.contains("decoded"), "{e}");
        let empty = tempfile::tempdir().unwrap();
        assert!(load_dir(empty.path(), "t").unwrap_err().to_string().contains("no images"));
        let e = load_dir(&empty.path().join("nope"), "t").unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("folder not found"), "{e}");
    }

    #[test]
    fn cifar_jpeg_archive_in_official_order() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("cifar-10");
        std::fs::create_dir_all(&dir).unwrap();
        let mut members: Vec<(String, Vec<u8>)> = Vec::new();
        for (i, c) in cifar::CLASSES.iter().enumerate() {
            members.push((format!("cifar-10-jpeg/train/{c}/0000.png"), png_rgb(4, 4, [i as u8; 3])));
            members.push((format!("cifar-10-jpeg/test/{c}/0000.png"), png_rgb(4, 4, [i as u8; 3])));
        }
        // Official order: classes in reverse.
        let order: String =
            (0..10).map(|i| format!("{i} {} train/{}/0000.png\n", 9 - i, cifar::CLASSES[9 - i])).collect();
        members.push(("cifar-10-jpeg/train_order.txt".into(), order.into_bytes()));
        let refs: Vec<(&str, &[u8])> = members.iter().map(|(a, b)| (a.as_str(), b.as_slice())).collect();
        std::fs::write(dir.join("cifar-10-jpeg.tar.gz"), cifar::tests::tar_gz(&refs)).unwrap();
        let train = load_cifar_jpeg(t.path(), Split::Train).unwrap();
        assert_eq!(train.labels, (0..10).rev().collect::<Vec<u32>>());
        assert_eq!(train.image(0)[0], 9);
        let test = load_cifar_jpeg(t.path(), Split::Test).unwrap();
        assert_eq!(test.labels, (0..10).collect::<Vec<u32>>());
    }

    #[test]
    fn malformed_train_order_is_named() {
        let classes: Vec<String> = cifar::CLASSES.iter().map(|s| s.to_string()).collect();
        let items = || {
            vec![EncodedImage {
                class: "cat".into(),
                path: PathBuf::from("x/train/cat/0000.jpg"),
                bytes: vec![],
            }]
        };
        let p = Path::new("cifar-10-jpeg.tar.gz");
        let cases = [
            ("0 3\n", "expected `index label path`"),
            ("1 3 train/cat/0000.jpg\n", "index 1, expected 0"),
            ("0 3 train/dog/0000.jpg\n", "missing or listed twice"),
            ("0 5 train/cat/0000.jpg\n", "gives label 5"),
            ("", "not listed in train_order.txt"),
        ];
        for (text, needle) in cases {
            let e = official_order(items(), text, &classes, p).unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains("cifar-10-jpeg.tar.gz"), "{text:?}: {e}");
        }
        assert_eq!(official_order(items(), "0 3 train/cat/0000.jpg\n", &classes, p).unwrap().len(), 1);
    }
}
