//! `cargo xtask download`: fetch dataset files, verify them, and put them where the loaders look.
//!
//! For each dataset the official files are fetched from their official addresses (or from
//! `--mirror`, a folder or URL laid out like the data root: `MIRROR/<dataset>/<file>`). A file
//! already present with the right checksum is skipped. Each download is checked against the
//! published size and checksum before it replaces anything: it is written to a temporary file
//! and renamed into place only when it matches. When a mirror lacks an official file but holds a
//! known substitute (the CIFAR-10 subset and JPEG copies of this project's shared data folder),
//! the substitute is copied instead, and said so.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use innate_datasets::files::{FileKind, KnownFile, group, known_files, matches};

/// Datasets fetched when none are named.
pub const DEFAULT_DATASETS: [&str; 4] = ["mnist", "fashion-mnist", "cifar-10", "omniglot"];
/// Every dataset folder the downloader knows.
pub const ALL_DATASETS: [&str; 5] = ["mnist", "fashion-mnist", "cifar-10", "svhn", "omniglot"];

/// Arguments of `cargo xtask download`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Datasets to fetch: mnist, fashion-mnist, cifar-10, svhn, omniglot, or all
    /// [default: mnist fashion-mnist cifar-10 omniglot]
    pub datasets: Vec<String>,
    /// Take the files from this folder or URL instead of the official addresses; it must be laid
    /// out like the data root (MIRROR/DATASET/FILE), as ../shared/data is
    #[arg(long, value_name = "DIR_OR_URL")]
    pub mirror: Option<String>,
    /// Data root to fill [default: $INNATE_DATA, else ./data]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Fetch again even when a verified copy is present
    #[arg(long)]
    pub force: bool,
}

/// Where files come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The official addresses of each file.
    Official,
    /// A local folder laid out like the data root.
    Dir(PathBuf),
    /// A URL prefix laid out like the data root.
    Url(String),
}

impl Source {
    fn parse(mirror: Option<&str>) -> Self {
        match mirror {
            None => Source::Official,
            Some(m) if m.starts_with("http://") || m.starts_with("https://") => {
                Source::Url(m.trim_end_matches('/').to_string())
            }
            Some(m) => Source::Dir(PathBuf::from(m.strip_prefix("file://").unwrap_or(m))),
        }
    }
}

/// The outcome for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Already present and verified.
    Present,
    /// Fetched and verified.
    Fetched,
    /// Not available from the source (only for substitutes and for mirrors).
    Unavailable(String),
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    let root = innate_datasets::data_root(a.data_dir.as_deref());
    let source = Source::parse(a.mirror.as_deref());
    let datasets: Vec<String> = if a.datasets.is_empty() {
        DEFAULT_DATASETS.iter().map(|s| s.to_string()).collect()
    } else if a.datasets.iter().any(|d| d == "all") {
        ALL_DATASETS.iter().map(|s| s.to_string()).collect()
    } else {
        a.datasets.clone()
    };
    let mut failures = Vec::new();
    for ds in &datasets {
        if !ALL_DATASETS.contains(&ds.as_str()) {
            bail!("unknown dataset {ds:?}: expected one of {} or all", ALL_DATASETS.join(", "));
        }
        if let Err(e) = fetch_dataset(&root, ds, &source, a.force) {
            eprintln!("{ds}: {e:#}");
            failures.push(ds.clone());
        }
    }
    if !failures.is_empty() {
        bail!("could not fetch {} (see above)", failures.join(", "));
    }
    Ok(())
}

/// Fetches the files of one dataset. With a mirror that lacks an official file, known
/// substitutes in the mirror are fetched instead; the dataset fails only if neither is there.
pub fn fetch_dataset(root: &Path, dataset: &str, source: &Source, force: bool) -> anyhow::Result<()> {
    let official: Vec<&KnownFile> =
        known_files(dataset).filter(|k| k.kind == FileKind::Official && k.required).collect();
    let mut missing = Vec::new();
    for k in &official {
        match fetch_file(root, k, source, force)? {
            Outcome::Present => println!("{dataset}/{}: present, checksum verified", k.name),
            Outcome::Fetched => println!("{dataset}/{}: fetched, checksum verified", k.name),
            Outcome::Unavailable(why) => missing.push(format!("{} ({why})", k.name)),
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    // Substitutes: only from a mirror, and only under names that are not official ones.
    let subs: Vec<&KnownFile> = known_files(dataset)
        .filter(|k| k.kind != FileKind::Official && !official.iter().any(|o| o.name == k.name))
        .collect();
    let mut got_sub = false;
    if !matches!(source, Source::Official) {
        for k in subs {
            if let Outcome::Present | Outcome::Fetched = fetch_file(root, k, source, force)? {
                if let FileKind::Substitute(how) = k.kind {
                    println!("{dataset}/{}: substitute copied, checksum verified ({how})", k.name);
                }
                got_sub = true;
            }
        }
    }
    if got_sub {
        println!(
            "{dataset}: the official files are not in the mirror ({}); the substitutes above stand in for them",
            missing.join(", ")
        );
        return Ok(());
    }
    bail!("not available: {}", missing.join(", "))
}

/// Makes `root/<dataset>/<name>` a verified copy of `k`.
pub fn fetch_file(root: &Path, k: &KnownFile, source: &Source, force: bool) -> anyhow::Result<Outcome> {
    let dest = root.join(k.dataset).join(k.name);
    if !force && dest.is_file() {
        let bytes = std::fs::read(&dest).with_context(|| format!("cannot read {}", dest.display()))?;
        if accepted(k, &bytes) {
            return Ok(Outcome::Present);
        }
        eprintln!(
            "{}: present but not the expected file ({} bytes, expected {}); fetching it again",
            dest.display(),
            group(bytes.len() as u64),
            group(k.size)
        );
    }
    let bytes = match source {
        Source::Dir(dir) => {
            let p = dir.join(k.dataset).join(k.name);
            if !p.is_file() {
                return Ok(Outcome::Unavailable(format!("not in the mirror {}", dir.display())));
            }
            if same_file(&p, &dest) {
                return Ok(Outcome::Unavailable(format!(
                    "{} is the mirror itself and fails its checksum",
                    dest.display()
                )));
            }
            std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?
        }
        Source::Url(prefix) => match http_get(&format!("{prefix}/{}/{}", k.dataset, k.name), k)? {
            Some(b) => b,
            None => return Ok(Outcome::Unavailable(format!("not found at {prefix}"))),
        },
        Source::Official => {
            if k.urls.is_empty() {
                return Ok(Outcome::Unavailable("no official address".into()));
            }
            let mut last = None;
            let mut got = None;
            for url in k.urls {
                match http_get(url, k) {
                    Ok(Some(b)) => {
                        got = Some(b);
                        break;
                    }
                    Ok(None) => last = Some(anyhow::anyhow!("{url}: not found")),
                    Err(e) => last = Some(e),
                }
            }
            match got {
                Some(b) => b,
                None => return Err(last.unwrap_or_else(|| anyhow::anyhow!("no address answered"))),
            }
        }
    };
    if !accepted(k, &bytes) {
        bail!(
            "{}/{} from {source:?} is {} bytes and does not match the published checksum (expected {} bytes); \
             nothing was written. The source is damaged or serves another file",
            k.dataset,
            k.name,
            group(bytes.len() as u64),
            group(k.size)
        );
    }
    write_atomic(&dest, &bytes)?;
    Ok(Outcome::Fetched)
}

/// Whether `bytes` is `k` or a known file of the same name (the repacked Omniglot zips carry the
/// official names).
fn accepted(k: &KnownFile, bytes: &[u8]) -> bool {
    known_files(k.dataset).filter(|o| o.name == k.name).any(|o| matches(o, bytes))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn write_atomic(dest: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dest.with_extension(format!("part-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, dest).with_context(|| format!("cannot move {} into place", tmp.display()))?;
    Ok(())
}

/// GETs `url` with a progress bar; `Ok(None)` for 404.
fn http_get(url: &str, k: &KnownFile) -> anyhow::Result<Option<Vec<u8>>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(20)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(url).call().with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status().as_u16();
    if status == 404 {
        return Ok(None);
    }
    if status != 200 {
        bail!("{url}: HTTP status {status}");
    }
    let len = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(k.size);
    let pb = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{prefix:30} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
    {
        pb.set_style(style);
    }
    pb.set_prefix(format!("{}/{}", k.dataset, k.name));
    let mut out = Vec::with_capacity(len as usize);
    let mut reader = resp.body_mut().as_reader();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).with_context(|| format!("{url}: the download broke off"))?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        pb.inc(n as u64);
    }
    pb.finish_and_clear();
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    /// The committed copy of an official MNIST file (4,542 bytes).
    fn official_labels() -> Vec<u8> {
        std::fs::read(crate::workspace_root().join("data/fixtures/mirror/mnist/t10k-labels-idx1-ubyte.gz"))
            .unwrap()
    }

    fn labels_file() -> &'static KnownFile {
        known_files("mnist").find(|k| k.name == "t10k-labels-idx1-ubyte.gz").unwrap()
    }

    #[test]
    fn from_a_folder_mirror_then_skips_and_rejects_damage() {
        let mirror = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(mirror.path().join("mnist")).unwrap();
        std::fs::write(mirror.path().join("mnist/t10k-labels-idx1-ubyte.gz"), official_labels()).unwrap();
        let src = Source::Dir(mirror.path().to_path_buf());
        assert_eq!(fetch_file(root.path(), labels_file(), &src, false).unwrap(), Outcome::Fetched);
        assert_eq!(
            std::fs::read(root.path().join("mnist/t10k-labels-idx1-ubyte.gz")).unwrap(),
            official_labels()
        );
        assert_eq!(fetch_file(root.path(), labels_file(), &src, false).unwrap(), Outcome::Present);

        // A damaged mirror copy is refused and leaves the good local copy alone.
        let mut bad = official_labels();
        bad[100] ^= 1;
        std::fs::write(mirror.path().join("mnist/t10k-labels-idx1-ubyte.gz"), &bad).unwrap();
        let e = fetch_file(root.path(), labels_file(), &src, true).unwrap_err().to_string();
        assert!(e.contains("does not match the published checksum"), "{e}");
        assert_eq!(
            std::fs::read(root.path().join("mnist/t10k-labels-idx1-ubyte.gz")).unwrap(),
            official_labels()
        );

        // Files the mirror lacks are reported, and the dataset fails as a whole.
        let e = fetch_dataset(root.path(), "mnist", &src, false).unwrap_err().to_string();
        assert!(e.contains("train-images-idx3-ubyte.gz") && e.contains("not in the mirror"), "{e}");
    }

    #[test]
    fn from_a_url_mirror() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let body = official_labels();
        let server = std::thread::spawn(move || {
            for _ in 0..2 {
                let (mut s, _) = listener.accept().unwrap();
                let mut first = String::new();
                let mut r = BufReader::new(s.try_clone().unwrap());
                r.read_line(&mut first).unwrap();
                loop {
                    let mut l = String::new();
                    if r.read_line(&mut l).unwrap() == 0 || l == "\r\n" {
                        break;
                    }
                }
                if first.contains("/mirror/mnist/t10k-labels-idx1-ubyte.gz ") {
                    write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .unwrap();
                    s.write_all(&body).unwrap();
                } else {
                    write!(s, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .unwrap();
                }
            }
        });
        let root = tempfile::tempdir().unwrap();
        let src = Source::parse(Some(&format!("http://{addr}/mirror/")));
        assert_eq!(fetch_file(root.path(), labels_file(), &src, false).unwrap(), Outcome::Fetched);
        let other = known_files("mnist").find(|k| k.name == "train-labels-idx1-ubyte.gz").unwrap();
        assert!(matches!(fetch_file(root.path(), other, &src, false).unwrap(), Outcome::Unavailable(_)));
        server.join().unwrap();
    }

    #[test]
    fn mirror_parsing() {
        assert!(matches!(Source::parse(None), Source::Official));
        assert!(matches!(Source::parse(Some("https://x/")), Source::Url(u) if u == "https://x"));
        assert!(matches!(Source::parse(Some("../shared/data")), Source::Dir(_)));
    }
}
