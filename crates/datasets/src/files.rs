//! The files each dataset is published as, with their sizes, checksums and download addresses,
//! and the check that tells an official file from a damaged or substitute one.
//!
//! A file whose name is an official one is checked against the official checksum when its size is
//! the official size: a mismatch then means damage and is an error. A file of another size is
//! accepted only if its format checks pass (the loaders check magic numbers, shapes and counts);
//! it is reported as [`Provenance::Unverified`] (for example the small test fixtures). Known
//! substitutes (the repacked Omniglot zips, the CIFAR-10 subset and JPEG copies) are recognised
//! by their SHA-256 and reported as [`Provenance::Substitute`].

use std::fmt;
use std::path::Path;

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::error::{DataError, Result};

/// Whether a file is an official release file or a known stand-in for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Byte-identical to what the dataset's authors publish.
    Official,
    /// A known substitute; the text says how it differs.
    Substitute(&'static str),
}

/// One published file of a dataset.
#[derive(Debug, Clone, Copy)]
pub struct KnownFile {
    /// Dataset folder name (`mnist`, `fashion-mnist`, `cifar-10`, `svhn`, `omniglot`).
    pub dataset: &'static str,
    /// File name inside the dataset folder.
    pub name: &'static str,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex, where published.
    pub sha256: Option<&'static str>,
    /// MD5, lower-case hex, where published.
    pub md5: Option<&'static str>,
    /// Official download addresses, tried in order.
    pub urls: &'static [&'static str],
    /// Official, or a known substitute.
    pub kind: FileKind,
    /// Whether a loader needs it (optional files such as SVHN's 1.3 GB `extra` set are not fetched
    /// by default).
    pub required: bool,
}

macro_rules! known {
    ($ds:expr, $name:expr, $size:expr, sha256 = $sha:expr, md5 = $md5:expr, urls = $urls:expr, $kind:expr, $req:expr) => {
        KnownFile {
            dataset: $ds,
            name: $name,
            size: $size,
            sha256: $sha,
            md5: $md5,
            urls: $urls,
            kind: $kind,
            required: $req,
        }
    };
}

/// Every file this crate knows, official ones first within each dataset.
pub const KNOWN_FILES: &[KnownFile] = &[
    known!(
        "mnist",
        "train-images-idx3-ubyte.gz",
        9_912_422,
        sha256 = Some("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        md5 = Some("f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        urls = &[
            concat!("https://ossci-datasets.s3.amazonaws.com/mnist/", "train-images-idx3-ubyte.gz"),
            concat!("https://storage.googleapis.com/cvdf-datasets/mnist/", "train-images-idx3-ubyte.gz")
        ],
        FileKind::Official,
        true
    ),
    known!(
        "mnist",
        "train-labels-idx1-ubyte.gz",
        28_881,
        sha256 = Some("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        md5 = Some("d53e105ee54ea40749a09fcbcd1e9432"),
        urls = &[
            concat!("https://ossci-datasets.s3.amazonaws.com/mnist/", "train-labels-idx1-ubyte.gz"),
            concat!("https://storage.googleapis.com/cvdf-datasets/mnist/", "train-labels-idx1-ubyte.gz")
        ],
        FileKind::Official,
        true
    ),
    known!(
        "mnist",
        "t10k-images-idx3-ubyte.gz",
        1_648_877,
        sha256 = Some("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        md5 = Some("9fb629c4189551a2d022fa330f9573f3"),
        urls = &[
            concat!("https://ossci-datasets.s3.amazonaws.com/mnist/", "t10k-images-idx3-ubyte.gz"),
            concat!("https://storage.googleapis.com/cvdf-datasets/mnist/", "t10k-images-idx3-ubyte.gz")
        ],
        FileKind::Official,
        true
    ),
    known!(
        "mnist",
        "t10k-labels-idx1-ubyte.gz",
        4_542,
        sha256 = Some("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
        md5 = Some("ec29112dd5afa0611ce80d1b7f02629c"),
        urls = &[
            concat!("https://ossci-datasets.s3.amazonaws.com/mnist/", "t10k-labels-idx1-ubyte.gz"),
            concat!("https://storage.googleapis.com/cvdf-datasets/mnist/", "t10k-labels-idx1-ubyte.gz")
        ],
        FileKind::Official,
        true
    ),
    known!(
        "fashion-mnist",
        "train-images-idx3-ubyte.gz",
        26_421_880,
        sha256 = Some("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
        md5 = Some("8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        urls = &[concat!(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "train-images-idx3-ubyte.gz"
        )],
        FileKind::Official,
        true
    ),
    known!(
        "fashion-mnist",
        "train-labels-idx1-ubyte.gz",
        29_515,
        sha256 = Some("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        md5 = Some("25c81989df183df01b3e8a0aad5dffbe"),
        urls = &[concat!(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "train-labels-idx1-ubyte.gz"
        )],
        FileKind::Official,
        true
    ),
    known!(
        "fashion-mnist",
        "t10k-images-idx3-ubyte.gz",
        4_422_102,
        sha256 = Some("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        md5 = Some("bef4ecab320f06d8554ea6380940ec79"),
        urls = &[concat!(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "t10k-images-idx3-ubyte.gz"
        )],
        FileKind::Official,
        true
    ),
    known!(
        "fashion-mnist",
        "t10k-labels-idx1-ubyte.gz",
        5_148,
        sha256 = Some("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
        md5 = Some("bb300cfdad3c16e7a12a480ee83cd310"),
        urls = &[concat!(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "t10k-labels-idx1-ubyte.gz"
        )],
        FileKind::Official,
        true
    ),
    known!(
        "cifar-10",
        "cifar-10-binary.tar.gz",
        170_052_171,
        sha256 = None,
        md5 = Some("c32a1d4ab5d03f1284b67883e8d87530"),
        urls = &["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"],
        FileKind::Official,
        true
    ),
    known!(
        "cifar-10",
        "cifar-10-binary-subset.tar.gz",
        14_184_806,
        sha256 = Some("1ac4cfe784ad7620defdef1afe941950ea6a9bf9701b47532a6a79401ef6a619"),
        md5 = Some("d72acdd5853ea0a296e0d5b4f9c901cd"),
        urls = &[],
        FileKind::Substitute(
            "exact pixels of training images 0-3,999 and test images 0-999 only (5,000 of 60,000)"
        ),
        false
    ),
    known!(
        "cifar-10",
        "cifar-10-jpeg.tar.gz",
        19_678_879,
        sha256 = Some("4f309d14e4cc72a9827029247db682293b2e98ae3de3a55aec8eb21d3eb6dc5d"),
        md5 = Some("fda7038c5f575d85b834b90c25abe24a"),
        urls = &[],
        FileKind::Substitute(
            "all 60,000 images re-encoded as JPEG (quality ~75): pixels are not the official ones"
        ),
        false
    ),
    known!(
        "svhn",
        "train_32x32.mat",
        182_040_794,
        sha256 = None,
        md5 = Some("e26dedcc434d2e4c54c9b2d4a06d8373"),
        urls = &["http://ufldl.stanford.edu/housenumbers/train_32x32.mat"],
        FileKind::Official,
        true
    ),
    known!(
        "svhn",
        "test_32x32.mat",
        64_275_384,
        sha256 = None,
        md5 = Some("eb5a983be6a315427106f1b164d9cef3"),
        urls = &["http://ufldl.stanford.edu/housenumbers/test_32x32.mat"],
        FileKind::Official,
        true
    ),
    known!(
        "omniglot",
        "images_background.zip",
        9_464_212,
        sha256 = None,
        md5 = Some("68d2efa1b9178cc56df9314c21c6e718"),
        urls =
            &["https://raw.githubusercontent.com/brendenlake/omniglot/master/python/images_background.zip"],
        FileKind::Official,
        true
    ),
    known!(
        "omniglot",
        "images_evaluation.zip",
        6_462_886,
        sha256 = None,
        md5 = Some("6b91aef0f799c5bb55b94e3f2daec811"),
        urls =
            &["https://raw.githubusercontent.com/brendenlake/omniglot/master/python/images_evaluation.zip"],
        FileKind::Official,
        true
    ),
    known!(
        "omniglot",
        "images_background.zip",
        8_545_058,
        sha256 = Some("b6155a90989fe20b126b02d9c24ca06f879da31d90bd5ee684ac4667a2431eb4"),
        md5 = Some("00055ef698dac122567b060b8b6c9d4c"),
        urls = &[],
        FileKind::Substitute("repacked zip of the original PNG files (same images, different container)"),
        false
    ),
    known!(
        "omniglot",
        "images_evaluation.zip",
        5_833_360,
        sha256 = Some("205f3f983e866f015ae3c41b2b824e8114c86c77e0155df5e618d84b7e4b354b"),
        md5 = Some("31487995ea687fac2e676b76affd3ea9"),
        urls = &[],
        FileKind::Substitute("repacked zip of the original PNG files (same images, different container)"),
        false
    ),
];

/// The known files of one dataset folder (official and substitutes).
pub fn known_files(dataset: &str) -> impl Iterator<Item = &'static KnownFile> + '_ {
    KNOWN_FILES.iter().filter(move |f| f.dataset == dataset)
}

/// Where a file that was read came from, as far as its checksum tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// Byte-identical to the official release (checksum verified).
    Official,
    /// A known substitute (checksum verified); the text says how it differs.
    Substitute(&'static str),
    /// Not a file with a known checksum; only its format was checked. The text says why.
    Unverified(String),
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::Official => write!(f, "official file, checksum verified"),
            Provenance::Substitute(how) => write!(f, "known substitute, checksum verified: {how}"),
            Provenance::Unverified(why) => write!(f, "format checked only: {why}"),
        }
    }
}

/// One file a dataset was read from.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path of the file (for archive members, `archive:member`).
    pub path: std::path::PathBuf,
    /// What its checksum says about it.
    pub provenance: Provenance,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex MD5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `bytes` has the size and checksum of `known` (SHA-256 where published, else MD5).
pub fn matches(known: &KnownFile, bytes: &[u8]) -> bool {
    if bytes.len() as u64 != known.size {
        return false;
    }
    match (known.sha256, known.md5) {
        (Some(sha), _) => sha256_hex(bytes) == sha,
        (None, Some(md5)) => md5_hex(bytes) == md5,
        (None, None) => true,
    }
}

/// Checks the bytes of `path` (file name `name` in `dataset`'s folder) against the known files.
///
/// Returns how the file was identified; an error only when the file has exactly the size of a
/// known file but another checksum, which means it is damaged.
pub fn identify(path: &Path, dataset: &str, name: &str, bytes: &[u8]) -> Result<Provenance> {
    let candidates: Vec<&KnownFile> = known_files(dataset).filter(|k| k.name == name).collect();
    if candidates.is_empty() {
        return Ok(Provenance::Unverified("no published checksum for this file name".to_string()));
    }
    for known in &candidates {
        if matches(known, bytes) {
            return Ok(match known.kind {
                FileKind::Official => Provenance::Official,
                FileKind::Substitute(how) => Provenance::Substitute(how),
            });
        }
    }
    if let Some(same_size) = candidates.iter().find(|k| k.size == bytes.len() as u64) {
        let (algo, expected, found) = match same_size.sha256 {
            Some(sha) => ("SHA-256", sha, sha256_hex(bytes)),
            None => ("MD5", same_size.md5.unwrap_or("?"), md5_hex(bytes)),
        };
        return Err(DataError::corrupt(
            path,
            dataset,
            format!(
                "has the size of the published file ({} bytes) but its {algo} is {found}, expected {expected}",
                group(bytes.len() as u64)
            ),
        ));
    }
    let sizes: Vec<String> = candidates.iter().map(|k| group(k.size)).collect();
    Ok(Provenance::Unverified(format!(
        "{} bytes, the published file is {} bytes (a subset or a re-encoding?)",
        group(bytes.len() as u64),
        sizes.join(" or ")
    )))
}

/// The size of the official file `name` of `dataset`, if known (for "cut short" messages).
pub fn official_size(dataset: &str, name: &str) -> Option<u64> {
    known_files(dataset).find(|k| k.name == name && k.kind == FileKind::Official).map(|k| k.size)
}

/// `1234567` as `"1,234,567"`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Reads a whole file, mapping errors to [`DataError`] with the dataset's advice.
pub(crate) fn read(path: &Path, dataset: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            DataError::Missing { dataset: dataset.to_string(), path: path.to_path_buf(), hint: String::new() }
        } else {
            DataError::io(path, e)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_inserts_commas() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(9_912_422), "9,912,422");
    }

    #[test]
    fn digests_match_known_vectors() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn same_size_other_checksum_is_damage() {
        let bytes = vec![0u8; 4_542];
        let err =
            identify(Path::new("t10k-labels-idx1-ubyte.gz"), "mnist", "t10k-labels-idx1-ubyte.gz", &bytes)
                .unwrap_err()
                .to_string();
        assert!(err.contains("SHA-256"), "{err}");
        assert!(err.contains("cargo xtask download mnist"), "{err}");
    }

    #[test]
    fn other_size_is_unverified_and_unknown_name_too() {
        let p = identify(Path::new("x"), "mnist", "t10k-labels-idx1-ubyte.gz", &[1, 2, 3]).unwrap();
        assert!(matches!(p, Provenance::Unverified(ref s) if s.contains("4,542")), "{p:?}");
        let p = identify(Path::new("x"), "mnist", "t10k-labels-idx1-ubyte", &[1, 2, 3]).unwrap();
        assert!(matches!(p, Provenance::Unverified(_)));
    }

    #[test]
    fn every_official_file_has_a_checksum_and_an_address() {
        for k in KNOWN_FILES {
            assert!(k.sha256.is_some() || k.md5.is_some(), "{}", k.name);
            if k.kind == FileKind::Official {
                assert!(!k.urls.is_empty(), "{}", k.name);
                assert!(k.urls.iter().all(|u| u.ends_with(k.name)), "{}", k.name);
            }
        }
    }
}
