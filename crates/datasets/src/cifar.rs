//! CIFAR-10 in the official binary format.
//!
//! Each record is one label byte (0-9) followed by 3,072 pixel bytes: the 32x32 red plane, then
//! green, then blue, each row by row. The loader looks under `<root>/cifar-10/` for, in order:
//!
//! 1. the extracted official folder `cifar-10-batches-bin/` (`data_batch_1.bin` ..
//!    `data_batch_5.bin`, `test_batch.bin`);
//! 2. the official archive `cifar-10-binary.tar.gz`, read without extracting it;
//! 3. `cifar-10-binary-subset.tar.gz`, an exact-pixel substitute holding only training images
//!    0-3,999 and test images 0-999 (the copy in this project's shared data folder); a warning
//!    says so, and the dataset's sources record it.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::Split;
use crate::dataset::ImageDataset;
use crate::error::{DataError, Result};
use crate::files::{self, Provenance, SourceFile, group};

/// Folder name under the data root.
pub const FOLDER: &str = "cifar-10";
/// Bytes per record: a label and 3x32x32 pixels.
pub const RECORD: usize = 1 + 3 * 32 * 32;
/// Records in each official batch file.
pub const OFFICIAL_BATCH: usize = 10_000;

/// Class names in label order (as in `batches.meta.txt`).
pub const CLASSES: [&str; 10] =
    ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

/// Official member names of a split, in order.
pub fn batch_names(split: Split) -> Vec<String> {
    match split {
        Split::Train => (1..=5).map(|k| format!("data_batch_{k}.bin")).collect(),
        Split::Test => vec!["test_batch.bin".to_string()],
    }
}

/// Parses records into images and labels, checking sizes and labels.
///
/// `official` says whether `name` is an official batch name, which must then hold exactly
/// 10,000 records.
pub fn parse_records(bytes: &[u8], path: &Path, official: bool) -> Result<(Vec<u8>, Vec<u32>)> {
    if !bytes.len().is_multiple_of(RECORD) || bytes.is_empty() {
        return Err(DataError::corrupt(
            path,
            FOLDER,
            format!(
                "is {} bytes, not a whole number of {}-byte records (label + 3x32x32 pixels): \
                 it was cut short or is not a CIFAR-10 binary batch",
                group(bytes.len() as u64),
                group(RECORD as u64)
            ),
        ));
    }
    let n = bytes.len() / RECORD;
    if official && n != OFFICIAL_BATCH {
        return Err(DataError::corrupt(
            path,
            FOLDER,
            format!(
                "holds {} records, an official batch holds {} ({} bytes)",
                group(n as u64),
                group(OFFICIAL_BATCH as u64),
                group((OFFICIAL_BATCH * RECORD) as u64)
            ),
        ));
    }
    let mut images = Vec::with_capacity(n * (RECORD - 1));
    let mut labels = Vec::with_capacity(n);
    for (i, rec) in bytes.chunks_exact(RECORD).enumerate() {
        if rec[0] > 9 {
            return Err(DataError::corrupt(
                path,
                FOLDER,
                format!("record {i} has label {}, expected 0-9", rec[0]),
            ));
        }
        labels.push(rec[0] as u32);
        images.extend_from_slice(&rec[1..]);
    }
    Ok((images, labels))
}

/// Loads one split of CIFAR-10 from `root` (see the module docs for where it looks).
pub fn load(root: &Path, split: Split) -> Result<ImageDataset> {
    let dir = root.join(FOLDER);
    let extracted = dir.join("cifar-10-batches-bin");
    let official = dir.join("cifar-10-binary.tar.gz");
    let subset = dir.join("cifar-10-binary-subset.tar.gz");
    let wanted = batch_names(split);

    let mut members: Vec<(PathBuf, Vec<u8>, bool, Provenance)> = Vec::new();
    if extracted.is_dir() {
        for name in &wanted {
            let p = extracted.join(name);
            let bytes = files::read(&p, FOLDER)?;
            members.push((
                p,
                bytes,
                true,
                Provenance::Unverified("extracted batch file; sizes and labels checked".into()),
            ));
        }
    } else if official.is_file() {
        let (found, prov) = read_tar_gz(&official, "cifar-10-batches-bin/", &wanted)?;
        for name in &wanted {
            let bytes = found.get(name.as_str()).cloned().ok_or_else(|| {
                DataError::corrupt(&official, FOLDER, format!("has no member cifar-10-batches-bin/{name}"))
            })?;
            members.push((
                PathBuf::from(format!("{}:{name}", official.display())),
                bytes,
                true,
                prov.clone(),
            ));
        }
    } else if subset.is_file() {
        let name = match split {
            Split::Train => "data_batch_1_first4000.bin",
            Split::Test => "test_batch_first1000.bin",
        };
        tracing::warn!(
            "CIFAR-10: only the 5,000-image subset {} was found: training images 0-3,999 and test \
             images 0-999. Accuracies are not comparable with the full dataset.",
            subset.display()
        );
        let (found, prov) = read_tar_gz(&subset, "cifar-10-batches-bin-subset/", &[name.to_string()])?;
        let bytes = found.get(name).cloned().ok_or_else(|| {
            DataError::corrupt(&subset, FOLDER, format!("has no member cifar-10-batches-bin-subset/{name}"))
        })?;
        members.push((PathBuf::from(format!("{}:{name}", subset.display())), bytes, false, prov));
    } else {
        return Err(DataError::Missing {
            dataset: FOLDER.into(),
            path: official,
            hint: format!(
                " (also accepted: the extracted folder {} or cifar-10-binary-subset.tar.gz)",
                extracted.display()
            ),
        });
    }

    let mut images = Vec::new();
    let mut labels = Vec::new();
    let mut sources = Vec::new();
    for (path, bytes, is_official, provenance) in members {
        let (im, lb) = parse_records(&bytes, &path, is_official)?;
        images.extend(im);
        labels.extend(lb);
        sources.push(SourceFile { path, provenance });
    }
    ImageDataset::new(
        format!("{FOLDER}/{}", split.name()),
        images,
        labels,
        [3, 32, 32],
        CLASSES.iter().map(|s| s.to_string()).collect(),
        sources,
    )
}

/// Reads the members `prefix + name` for each of `names` from a `.tar.gz`, after checking the
/// archive against the known checksums. Returns the members by name and the archive's provenance.
pub(crate) fn read_tar_gz(
    path: &Path,
    prefix: &str,
    names: &[String],
) -> Result<(HashMap<String, Vec<u8>>, Provenance)> {
    let raw = files::read(path, FOLDER)?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let provenance = files::identify(path, FOLDER, file_name, &raw)?;
    let mut found = HashMap::new();
    for_each_tar_member(&raw, path, FOLDER, |member, read| {
        if let Some(name) = member.strip_prefix(prefix)
            && names.iter().any(|n| n == name)
        {
            found.insert(name.to_string(), read()?);
        }
        Ok(found.len() < names.len())
    })?;
    Ok((found, provenance))
}

/// Calls `visit(member_path, read_bytes)` for each regular file of a gzip-compressed tar archive
/// until it returns `Ok(false)`. A damaged archive is an error naming `path`.
pub(crate) fn for_each_tar_member(
    raw: &[u8],
    path: &Path,
    dataset: &str,
    mut visit: impl FnMut(&str, &mut dyn FnMut() -> Result<Vec<u8>>) -> Result<bool>,
) -> Result<()> {
    let broken = |e: std::io::Error| {
        DataError::corrupt(
            path,
            dataset,
            format!("cannot be read as a gzip-compressed tar archive ({e}); it may be cut short"),
        )
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(raw));
    for entry in archive.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = entry.path().map_err(broken)?.to_string_lossy().into_owned();
        let size = entry.size() as usize;
        let mut read = || -> Result<Vec<u8>> {
            let mut buf = Vec::with_capacity(size);
            entry.read_to_end(&mut buf).map_err(broken)?;
            if buf.len() != size {
                return Err(broken(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("member {member} is shorter than its header says"),
                )));
            }
            Ok(buf)
        };
        if !visit(&member, &mut read)? {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `n` records whose label is `i % 10` and whose pixels are `i` (mod 256).
    pub fn records(n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n * RECORD);
        for i in 0..n {
            out.push((i % 10) as u8);
            out.extend(std::iter::repeat_n(i as u8, RECORD - 1));
        }
        out
    }

    /// A `.tar.gz` holding `members` (path, bytes).
    pub fn tar_gz(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, bytes) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            builder.append_data(&mut h, name, *bytes).unwrap();
        }
        crate::idx::gzip(&builder.into_inner().unwrap())
    }

    #[test]
    fn parses_records_and_checks_them() {
        let (im, lb) = parse_records(&records(3), Path::new("x"), false).unwrap();
        assert_eq!(lb, vec![0, 1, 2]);
        assert_eq!(im.len(), 3 * 3072);
        assert_eq!(im[3072], 1);
        let e = parse_records(&records(3)[..100], Path::new("x"), false).unwrap_err().to_string();
        assert!(e.contains("3,073-byte records"), "{e}");
        let e = parse_records(&records(3), Path::new("x"), true).unwrap_err().to_string();
        assert!(e.contains("10,000"), "{e}");
        let mut bad = records(2);
        bad[RECORD] = 11;
        let e = parse_records(&bad, Path::new("x"), false).unwrap_err().to_string();
        assert!(e.contains("label 11"), "{e}");
    }

    #[test]
    fn reads_the_subset_archive_and_reports_missing() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join(FOLDER);
        std::fs::create_dir_all(&dir).unwrap();
        let e = load(t.path(), Split::Test).unwrap_err();
        assert!(matches!(e, DataError::Missing { .. }), "{e}");
        let train = records(4);
        let test = records(2);
        std::fs::write(
            dir.join("cifar-10-binary-subset.tar.gz"),
            tar_gz(&[
                ("cifar-10-batches-bin-subset/data_batch_1_first4000.bin", &train),
                ("cifar-10-batches-bin-subset/test_batch_first1000.bin", &test),
            ]),
        )
        .unwrap();
        let d = load(t.path(), Split::Train).unwrap();
        assert_eq!(d.len(), 4);
        assert_eq!(d.shape, [3, 32, 32]);
        assert_eq!(load(t.path(), Split::Test).unwrap().labels, vec![0, 1]);
    }

    #[test]
    fn truncated_archive_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join(FOLDER);
        std::fs::create_dir_all(&dir).unwrap();
        let test = records(10);
        let gz = tar_gz(&[("cifar-10-batches-bin/test_batch.bin", &test)]);
        std::fs::write(dir.join("cifar-10-binary.tar.gz"), &gz[..gz.len() / 2]).unwrap();
        let e = load(t.path(), Split::Test).unwrap_err().to_string();
        assert!(e.contains("cifar-10-binary.tar.gz"), "{e}");
    }
}
