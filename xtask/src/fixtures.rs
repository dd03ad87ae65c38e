//! `cargo xtask fixtures`: cut the small test fixtures under `data/fixtures/` from a full copy of
//! the datasets (by default `../shared/data`), so tests run offline on a few hundred real images.
//!
//! The fixtures keep each dataset's file names and formats, so the loaders read them exactly as
//! they read the real files; their sizes differ from the official ones, so they are reported as
//! "format checked only". SVHN has no copy here: its fixture holds CIFAR-10 fixture pixels with
//! digit labels, written in the official `.mat` layout. `mirror/` holds one real official file
//! (MNIST's 4,542-byte test labels) for the downloader's tests. Output is deterministic: running
//! this again reproduces the same bytes.

use std::path::{Path, PathBuf};

use anyhow::Context;
use innate_datasets::{Dataset, Split, cifar, mnist, omniglot, svhn};

/// Arguments of `cargo xtask fixtures`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A full copy of the data, laid out like the data root
    #[arg(long, default_value = "../shared/data", value_name = "DIR")]
    pub from: PathBuf,
    /// Where to write the fixtures
    #[arg(long, default_value = "data/fixtures", value_name = "DIR")]
    pub out: PathBuf,
}

/// Images per split cut from each dataset: (train, test).
pub const MNIST_COUNTS: (usize, usize) = (500, 200);
/// CIFAR-10 binary and SVHN fixture sizes: (train, test).
pub const CIFAR_COUNTS: (usize, usize) = (100, 50);
/// JPEG images per class and split.
pub const JPEG_PER_CLASS: usize = 5;
/// Omniglot characters per set (20 drawings each).
pub const OMNIGLOT_CHARACTERS: (usize, usize) = (8, 4);

pub fn run(a: &Args) -> anyhow::Result<()> {
    let out = &a.out;
    for (ds, which) in
        [("mnist", mnist::IdxDataset::Mnist), ("fashion-mnist", mnist::IdxDataset::FashionMnist)]
    {
        for (split, n) in [(Split::Train, MNIST_COUNTS.0), (Split::Test, MNIST_COUNTS.1)] {
            let d = mnist::load(&a.from, which, split)?.take(n);
            mnist::write(&out.join(ds), &d, split).with_context(|| format!("cannot write {ds} fixtures"))?;
        }
        println!("{ds}: {} + {} images", MNIST_COUNTS.0, MNIST_COUNTS.1);
    }

    // CIFAR-10 binary: the subset archive layout with fewer records.
    let train = Dataset::Cifar10.load(&a.from, Split::Train)?.take(CIFAR_COUNTS.0);
    let test = Dataset::Cifar10.load(&a.from, Split::Test)?.take(CIFAR_COUNTS.1);
    let records = |d: &innate_datasets::ImageDataset| -> Vec<u8> {
        (0..d.len())
            .flat_map(|i| std::iter::once(d.labels[i] as u8).chain(d.image(i).iter().copied()))
            .collect()
    };
    let tr = records(&train);
    let te = records(&test);
    write_tar_gz(
        &out.join(cifar::FOLDER).join("cifar-10-binary-subset.tar.gz"),
        &[
            ("cifar-10-batches-bin-subset/data_batch_1_first4000.bin", &tr),
            ("cifar-10-batches-bin-subset/test_batch_first1000.bin", &te),
        ],
    )?;
    println!("cifar-10: {} + {} images", train.len(), test.len());

    // SVHN: official .mat layout, CIFAR-10 fixture pixels, digit labels.
    std::fs::create_dir_all(out.join(svhn::FOLDER))?;
    for (split, d) in [(Split::Train, &train), (Split::Test, &test)] {
        std::fs::write(
            out.join(svhn::FOLDER).join(svhn::file_name(split)),
            svhn::encode(&d.images, &d.labels),
        )?;
    }
    println!("svhn: {} + {} images (CIFAR-10 pixels in the SVHN .mat layout)", train.len(), test.len());

    cut_cifar_jpeg(&a.from, out)?;
    cut_omniglot(&a.from, out)?;

    let labels = "t10k-labels-idx1-ubyte.gz";
    let mirror = out.join("mirror").join("mnist");
    std::fs::create_dir_all(&mirror)?;
    let bytes = std::fs::read(a.from.join("mnist").join(labels))
        .with_context(|| format!("cannot read mnist/{labels} for the downloader tests"))?;
    std::fs::write(mirror.join(labels), bytes)?;
    println!("mirror/mnist/{labels}: official file for the downloader tests");
    Ok(())
}

/// Copies `JPEG_PER_CLASS` JPEG files per class and split out of `cifar-10-jpeg.tar.gz`, with a
/// `train_order.txt` listing the training files in official order.
fn cut_cifar_jpeg(from: &Path, out: &Path) -> anyhow::Result<()> {
    let archive = from.join(cifar::FOLDER).join("cifar-10-jpeg.tar.gz");
    let raw = std::fs::read(&archive).with_context(|| format!("cannot read {}", archive.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(raw.as_slice()));
    let mut picked: Vec<(String, Vec<u8>)> = Vec::new();
    let mut order_txt = String::new();
    for entry in tar.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let keep = |rel: &str| {
            rel.rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".jpg"))
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n < JPEG_PER_CLASS)
        };
        if path == "cifar-10-jpeg/train_order.txt" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut entry, &mut s)?;
            order_txt = s;
        } else if (path.starts_with("cifar-10-jpeg/train/") || path.starts_with("cifar-10-jpeg/test/"))
            && keep(&path)
        {
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut b)?;
            picked.push((path, b));
        }
    }
    picked.sort_by(|a, b| a.0.cmp(&b.0));
    // Keep the official relative order of the picked training images, renumbered from 0.
    let mut order = String::new();
    let mut i = 0;
    for line in order_txt.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [_, label, rel] = parts[..]
            && picked.iter().any(|(p, _)| p == &format!("cifar-10-jpeg/{rel}"))
        {
            order.push_str(&format!("{i} {label} {rel}\n"));
            i += 1;
        }
    }
    let mut members: Vec<(String, Vec<u8>)> = picked;
    members.push(("cifar-10-jpeg/train_order.txt".into(), order.into_bytes()));
    let refs: Vec<(&str, &[u8])> = members.iter().map(|(a, b)| (a.as_str(), b.as_slice())).collect();
    write_tar_gz(&out.join(cifar::FOLDER).join("cifar-10-jpeg.tar.gz"), &refs)?;
    println!("cifar-10-jpeg: {JPEG_PER_CLASS} images per class and split");
    Ok(())
}

fn cut_omniglot(from: &Path, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out.join(omniglot::FOLDER))?;
    for ((file, prefix, _, _), keep) in
        omniglot::ARCHIVES.iter().zip([OMNIGLOT_CHARACTERS.0, OMNIGLOT_CHARACTERS.1])
    {
        let members = omniglot::read_members(&from.join(omniglot::FOLDER).join(file), prefix)?;
        let mut chars: Vec<(String, String)> =
            members.iter().map(|m| (m.alphabet.clone(), m.character.clone())).collect();
        chars.dedup();
        // Spread the kept characters over the alphabets: every k-th character.
        let step = (chars.len() / keep).max(1);
        let chosen: Vec<&(String, String)> = chars.iter().step_by(step).take(keep).collect();
        let kept: Vec<omniglot::Member> = members
            .into_iter()
            .filter(|m| chosen.iter().any(|c| c.0 == m.alphabet && c.1 == m.character))
            .collect();
        omniglot::write_zip(&out.join(omniglot::FOLDER).join(file), prefix, &kept)?;
        println!("omniglot/{file}: {keep} characters, {} images", kept.len());
    }
    Ok(())
}

/// Writes a deterministic `.tar.gz` (fixed modes and timestamps).
fn write_tar_gz(path: &Path, members: &[(&str, &[u8])]) -> anyhow::Result<()> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_cksum();
        builder.append_data(&mut h, name, *bytes)?;
    }
    let tar = builder.into_inner()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, innate_datasets::idx::gzip(&tar))
        .with_context(|| format!("cannot write {}", path.display()))
}
