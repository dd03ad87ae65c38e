//! Omniglot, read directly from `images_background.zip` and `images_evaluation.zip`.
//!
//! Inside each zip the layout is `images_background/ALPHABET/characterNN/XXXX_YY.png` (or
//! `images_evaluation/...`), 20 drawings (`YY` = 01-20) of each character, each a 105x105
//! black-on-white PNG. Images are resized to `size x size` (28 in the papers) with a Lanczos-3
//! filter, as the reference MAML preprocessing does with PIL, and inverted so that ink is 255 and
//! background 0 (the reference code's `1 - x`). Characters are ordered by set (background first),
//! alphabet and character folder; drawings by file name.

use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

use image::imageops::FilterType;

use crate::error::{DataError, Result};
use crate::files::{self, Provenance, SourceFile};

/// Folder name under the data root.
pub const FOLDER: &str = "omniglot";
/// Side of the original images.
pub const ORIGINAL_SIDE: u32 = 105;
/// The two official archives, background set first, with their character and image counts.
pub const ARCHIVES: [(&str, &str, usize, usize); 2] = [
    ("images_background.zip", "images_background/", 964, 19_280),
    ("images_evaluation.zip", "images_evaluation/", 659, 13_180),
];

/// One character (class) of Omniglot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Character {
    /// Alphabet folder name, e.g. `Alphabet_of_the_Magi`.
    pub alphabet: String,
    /// Character folder name, e.g. `character01`.
    pub name: String,
    /// Whether it is from the background set (else the evaluation set).
    pub background: bool,
    /// Its drawings: indices into [`Omniglot::image`].
    pub images: Range<usize>,
}

/// All Omniglot images of both sets, resized, as bytes.
#[derive(Debug, Clone)]
pub struct Omniglot {
    /// `len() * size * size` bytes, ink = 255.
    pub images: Vec<u8>,
    /// Side of every image after resizing.
    pub size: usize,
    /// The characters, in order; their drawings are contiguous.
    pub characters: Vec<Character>,
    /// The archives read and what their checksums say.
    pub sources: Vec<SourceFile>,
}

impl Omniglot {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len() / (self.size * self.size)
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// The bytes of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.size * self.size;
        &self.images[i * n..(i + 1) * n]
    }

    /// Number of distinct alphabets.
    pub fn alphabets(&self) -> usize {
        let mut a: Vec<(&str, bool)> =
            self.characters.iter().map(|c| (c.alphabet.as_str(), c.background)).collect();
        a.dedup();
        a.len()
    }
}

struct Entry {
    path: PathBuf,
    bytes: Vec<u8>,
}

/// Loads both Omniglot sets from `<root>/omniglot/`, resizing every image to `size x size`.
pub fn load(root: &Path, size: usize) -> Result<Omniglot> {
    if size == 0 || size > ORIGINAL_SIDE as usize {
        return Err(DataError::Invalid(format!(
            "Omniglot image size {size} is out of range: expected 1-{ORIGINAL_SIDE} (the papers use 28)"
        )));
    }
    let mut characters = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut sources = Vec::new();
    for (set, (file, prefix, n_chars, n_images)) in ARCHIVES.iter().enumerate() {
        let path = root.join(FOLDER).join(file);
        let raw = files::read(&path, FOLDER)?;
        let provenance = files::identify(&path, FOLDER, file, &raw)?;
        let groups = read_zip(&raw, &path, prefix)?;
        let images: usize = groups.values().map(Vec::len).sum();
        if !matches!(provenance, Provenance::Unverified(_))
            && (groups.len() != *n_chars || images != *n_images)
        {
            return Err(DataError::corrupt(
                &path,
                FOLDER,
                format!(
                    "holds {} characters and {images} images, expected {n_chars} and {n_images}",
                    groups.len()
                ),
            ));
        }
        for ((alphabet, name), drawings) in groups {
            let start = entries.len();
            entries.extend(drawings);
            characters.push(Character { alphabet, name, background: set == 0, images: start..entries.len() });
        }
        sources.push(SourceFile { path, provenance });
    }
    let per = size * size;
    let mut images = vec![0u8; entries.len() * per];
    crate::par::fill(&entries, &mut images, per, |e, dst| {
        let img = image::load_from_memory_with_format(&e.bytes, image::ImageFormat::Png)
            .map_err(|err| DataError::corrupt(&e.path, FOLDER, format!("is not a readable PNG ({err})")))?
            .to_luma8();
        if img.dimensions() != (ORIGINAL_SIDE, ORIGINAL_SIDE) {
            return Err(DataError::corrupt(
                &e.path,
                FOLDER,
                format!(
                    "is {}x{} pixels, expected {ORIGINAL_SIDE}x{ORIGINAL_SIDE}",
                    img.width(),
                    img.height()
                ),
            ));
        }
        let small = image::imageops::resize(&img, size as u32, size as u32, FilterType::Lanczos3);
        for (d, s) in dst.iter_mut().zip(small.as_raw()) {
            *d = 255 - s;
        }
        Ok(())
    })?;
    Ok(Omniglot { images, size, characters, sources })
}

/// Reads the PNG members of one archive, grouped by (alphabet, character) in sorted order.
fn read_zip(raw: &[u8], path: &Path, prefix: &str) -> Result<BTreeMap<(String, String), Vec<Entry>>> {
    let broken = |e: String| {
        DataError::corrupt(
            path,
            FOLDER,
            format!("cannot be read as a zip archive ({e}); it may be cut short"),
        )
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(raw)).map_err(|e| broken(e.to_string()))?;
    let mut groups: BTreeMap<(String, String), BTreeMap<String, Entry>> = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| broken(e.to_string()))?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().map_err(|e| broken(e.to_string()))?.to_string();
        let Some(rest) = name.strip_prefix(prefix) else {
            return Err(DataError::corrupt(
                path,
                FOLDER,
                format!("member {name} is not under {prefix}: this is not the expected archive"),
            ));
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let [alphabet, character, file] = parts[..] else {
            return Err(DataError::corrupt(
                path,
                FOLDER,
                format!("member {name} is not of the form {prefix}ALPHABET/CHARACTER/IMAGE.png"),
            ));
        };
        if !file.ends_with(".png") {
            continue;
        }
        let mut bytes = Vec::with_capacity(f.size() as usize);
        f.read_to_end(&mut bytes).map_err(|e| broken(format!("member {name}: {e}")))?;
        groups.entry((alphabet.to_string(), character.to_string())).or_default().insert(
            file.to_string(),
            Entry { path: PathBuf::from(format!("{}:{name}", path.display())), bytes },
        );
    }
    if groups.is_empty() {
        return Err(DataError::corrupt(path, FOLDER, format!("holds no PNG images under {prefix}")));
    }
    Ok(groups.into_iter().map(|(k, v)| (k, v.into_values().collect())).collect())
}

/// One PNG file of an Omniglot archive, undecoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Alphabet folder.
    pub alphabet: String,
    /// Character folder.
    pub character: String,
    /// File name (`XXXX_YY.png`).
    pub file: String,
    /// The PNG bytes.
    pub bytes: Vec<u8>,
}

/// The PNG members of an Omniglot archive, sorted, without decoding them (for cutting
/// fixtures). `prefix` is `images_background/` or `images_evaluation/`.
pub fn read_members(path: &Path, prefix: &str) -> Result<Vec<Member>> {
    let raw = files::read(path, FOLDER)?;
    let groups = read_zip(&raw, path, prefix)?;
    Ok(groups
        .into_iter()
        .flat_map(|((alphabet, character), entries)| {
            entries.into_iter().map(move |e| {
                let file = e.path.to_string_lossy().rsplit('/').next().unwrap_or_default().to_string();
                Member { alphabet: alphabet.clone(), character: character.clone(), file, bytes: e.bytes }
            })
        })
        .collect())
}

/// Writes an Omniglot-layout zip (`prefix` then `ALPHABET/CHARACTER/FILE.png`), for building
/// fixtures.
pub fn write_zip(out: &Path, prefix: &str, members: &[Member]) -> std::io::Result<()> {
    use std::io::Write;
    let file = std::fs::File::create(out)?;
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for m in members {
        zip.start_file(format!("{prefix}{}/{}/{}", m.alphabet, m.character, m.file), opts)
            .map_err(std::io::Error::other)?;
        zip.write_all(&m.bytes)?;
    }
    zip.finish().map_err(std::io::Error::other)?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use image::{GrayImage, ImageFormat};

    /// A 105x105 PNG, white with a black square whose size depends on `v`.
    pub fn glyph(v: u32) -> Vec<u8> {
        let img = GrayImage::from_fn(105, 105, |x, y| {
            image::Luma([if x < 10 + v * 10 && y < 50 { 0 } else { 255 }])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// A data root with `chars` characters of `draw` drawings in each set.
    pub fn fixture_root(chars: usize, draw: usize) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join(FOLDER)).unwrap();
        for (file, prefix, _, _) in ARCHIVES {
            let mut members = Vec::new();
            for c in 0..chars {
                for d in 0..draw {
                    members.push(Member {
                        alphabet: format!("Alpha{}", c % 2),
                        character: format!("character{c:02}"),
                        file: format!("{c:04}_{d:02}.png"),
                        bytes: glyph((c + d) as u32 % 5),
                    });
                }
            }
            write_zip(&t.path().join(FOLDER).join(file), prefix, &members).unwrap();
        }
        t
    }

    #[test]
    fn loads_resizes_and_inverts() {
        let t = fixture_root(3, 4);
        let o = load(t.path(), 28).unwrap();
        assert_eq!(o.characters.len(), 6);
        assert_eq!(o.len(), 24);
        assert_eq!(o.alphabets(), 4);
        assert!(o.characters[..3].iter().all(|c| c.background));
        assert_eq!(o.characters[1].images, 4..8);
        // Ink (black) in the top-left corner becomes 255, background 0.
        let img = o.image(0);
        assert!(img[0] > 200, "{}", img[0]);
        assert!(img[27 * 28 + 27] < 30, "{}", img[27 * 28 + 27]);
    }

    #[test]
    fn damaged_archives_and_bad_sizes() {
        let t = fixture_root(1, 1);
        assert!(load(t.path(), 0).is_err());
        let p = t.path().join(FOLDER).join("images_evaluation.zip");
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let e = load(t.path(), 28).unwrap_err().to_string();
        assert!(e.contains("images_evaluation.zip") && e.contains("zip"), "{e}");
        std::fs::remove_file(&p).unwrap();
        assert!(matches!(load(t.path(), 28), Err(DataError::Missing { .. })));
        let members =
            read_members(&t.path().join(FOLDER).join("images_background.zip"), "images_background/").unwrap();
        assert_eq!(members.len(), 1);
        assert_eq!(
            (members[0].alphabet.as_str(), members[0].character.as_str(), members[0].file.as_str()),
            ("Alpha0", "character00", "0000_00.png")
        );
    }
}
