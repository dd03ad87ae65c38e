//! Genomes on the Hugging Face Hub: [`push`] a run's genome with a generated model card, [`pull`]
//! one into the Hub's standard cache, and [`resolve`] an `hf://USER/NAME[@REVISION]` address
//! wherever a genome file is read ([`crate::load()`] does, so every command that reads a genome
//! accepts one).
//!
//! Configuration comes from the environment, as for the Hub's own tools ([`HubConfig::from_env`]):
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `HF_ENDPOINT` | the Hub's address | `https://huggingface.co` |
//! | `HF_TOKEN` | the access token (then the file `HF_TOKEN_PATH`, then `$HF_HOME/token`) | none |
//! | `HF_HUB_CACHE` | the download cache (blobs, snapshots, refs) | `$HF_HOME/hub` |
//! | `HF_HOME` | the Hub's folder | `~/.cache/huggingface` |
//! | `HF_HUB_OFFLINE` | `1`: read the cache only, never the network | off |
//!
//! Downloads go through `hf-hub` (pinned at 0.4.3, whose synchronous client runs on `ureq`), into
//! the cache layout every Hub client shares, so a genome pulled here is found by Python's
//! `huggingface_hub` and the other way round. Uploads use the Hub's commit API directly (create the
//! repository, ask which files go to large-file storage, upload those, then one commit with every
//! file): a push that fails at any step leaves no commit behind and changes nothing local.
//!
//! ```
//! use innate_run::hub::HubRef;
//! let r: HubRef = "hf://alice/gnet-mnist@v1".parse().unwrap();
//! assert_eq!((r.repo.as_str(), r.revision()), ("alice/gnet-mnist", "v1"));
//! assert!(HubRef::from_path(std::path::Path::new("runs/x/genome.safetensors")).is_none());
//! ```

mod card;
mod errors;
mod pull;
mod push;

use std::path::{Path, PathBuf};

pub use card::{ModelCard, card};
pub use errors::HubError;
pub use pull::{Pulled, pull, resolve};
pub use push::{Prepared, PushOptions, Pushed, prepare, push, send};

/// The prefix of a Hub address where a genome file is expected.
pub const SCHEME: &str = "hf://";

/// The files a pushed genome's repository holds, and that [`pull`] fetches.
pub const GENOME_FILE: &str = "genome.safetensors";
/// The run's metrics, when it has them.
pub const METRICS_FILE: &str = "metrics.json";
/// The model card.
pub const CARD_FILE: &str = "README.md";

/// Where the Hub is and who is asking: read from the environment by [`HubConfig::from_env`].
#[derive(Debug, Clone, PartialEq)]
pub struct HubConfig {
    /// The Hub's address, without a trailing slash.
    pub endpoint: String,
    /// The access token, if one is set.
    pub token: Option<String>,
    /// Where the token came from (for messages), such as `HF_TOKEN`.
    pub token_source: Option<String>,
    /// The download cache (`HF_HUB_CACHE`).
    pub cache: PathBuf,
    /// Read the cache only (`HF_HUB_OFFLINE=1`).
    pub offline: bool,
    /// Draw download progress bars.
    pub progress: bool,
}

impl HubConfig {
    /// The configuration the environment gives (see the module docs for the variables).
    pub fn from_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// The configuration from `var`, a lookup of environment variables (for tests).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Self {
        let home = var("HF_HOME").map(PathBuf::from).unwrap_or_else(|| {
            let base = var("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(|| PathBuf::from(".cache"));
            base.join("huggingface")
        });
        let cache = var("HF_HUB_CACHE").map(PathBuf::from).unwrap_or_else(|| home.join("hub"));
        let endpoint = var("HF_ENDPOINT").unwrap_or_else(|| "https://huggingface.co".into());
        let token_file = var("HF_TOKEN_PATH").map(PathBuf::from).unwrap_or_else(|| home.join("token"));
        let (token, token_source) = match var("HF_TOKEN") {
            Some(t) => (Some(t.trim().to_string()), Some("HF_TOKEN".to_string())),
            None => match std::fs::read_to_string(&token_file).map(|t| t.trim().to_string()) {
                Ok(t) if !t.is_empty() => (Some(t), Some(token_file.display().to_string())),
                _ => (None, None),
            },
        };
        let offline = var("HF_HUB_OFFLINE")
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"));
        Self {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            token,
            token_source,
            cache,
            offline,
            progress: true,
        }
    }
}

/// A repository on the Hub and, optionally, a revision (branch, tag or commit):
/// `USER/NAME[@REVISION]`, or `hf://USER/NAME[@REVISION]` where a file path is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRef {
    /// `USER/NAME`.
    pub repo: String,
    /// The revision, if one was named (else `main`).
    pub rev: Option<String>,
}

impl HubRef {
    /// The revision, `main` unless one was named.
    pub fn revision(&self) -> &str {
        self.rev.as_deref().unwrap_or("main")
    }

    /// The Hub address in `path`, if it is one (`hf://...`); `None` for a local path. A malformed
    /// address is `Some(Err(..))`.
    pub fn from_path(path: &Path) -> Option<Result<Self, HubError>> {
        let s = path.to_str()?;
        s.strip_prefix(SCHEME).map(|rest| rest.parse())
    }

    /// The address as `hf://USER/NAME[@REVISION]`.
    pub fn uri(&self) -> String {
        match &self.rev {
            Some(r) => format!("{SCHEME}{}@{r}", self.repo),
            None => format!("{SCHEME}{}", self.repo),
        }
    }
}

impl std::fmt::Display for HubRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.rev {
            Some(r) => write!(f, "{}@{r}", self.repo),
            None => f.write_str(&self.repo),
        }
    }
}

impl std::str::FromStr for HubRef {
    type Err = HubError;

    /// Parses `USER/NAME[@REVISION]`, with or without the `hf://` prefix.
    fn from_str(s: &str) -> Result<Self, HubError> {
        let s = s.strip_prefix(SCHEME).unwrap_or(s);
        let bad = |why: &str| {
            Err(HubError::Address(format!(
                "{s:?} is not a Hub repository: {why}; expected USER/NAME or USER/NAME@REVISION \
                 (such as alice/gnet-mnist or alice/gnet-mnist@main)"
            )))
        };
        let (repo, rev) = match s.split_once('@') {
            Some((r, v)) => (r, Some(v)),
            None => (s, None),
        };
        let Some((user, name)) = repo.split_once('/') else { return bad("it has no '/'") };
        let part_ok = |p: &str| {
            !p.is_empty()
                && p.len() <= 96
                && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && !p.starts_with(['-', '.'])
                && !p.ends_with(['-', '.'])
                && !p.contains("--")
                && !p.contains("..")
        };
        if !part_ok(user) || !part_ok(name) {
            return bad(
                "the user and the name may hold letters, digits, '-', '_' and '.', and must not start or end \
                 with '-' or '.'",
            );
        }
        if let Some(v) = rev
            && (v.is_empty() || v.contains("..") || v.chars().any(|c| c.is_whitespace() || c == '@'))
        {
            return bad("the revision after '@' is empty or not a branch, tag or commit name");
        }
        Ok(Self { repo: repo.to_string(), rev: rev.map(String::from) })
    }
}

/// Percent-encodes one path segment of a URL (a revision such as `refs/pr/1` becomes
/// `refs%2Fpr%2F1`, as the Hub expects).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_bad_ones_say_what_is_expected() {
        let r: HubRef = "alice/gnet-mnist".parse().unwrap();
        assert_eq!(
            (r.repo.as_str(), r.revision(), r.uri()),
            ("alice/gnet-mnist", "main", "hf://alice/gnet-mnist".into())
        );
        let r: HubRef = "hf://alice/x.y_z@refs/pr/1".parse().unwrap();
        assert_eq!((r.repo.as_str(), r.revision()), ("alice/x.y_z", "refs/pr/1"));
        assert_eq!(encode_segment(r.revision()), "refs%2Fpr%2F1");
        for bad in ["alice", "alice/", "/x", "alice/x/y", "al ice/x", "-a/x", "a/x@", "a/x@b c", "a/x..y"] {
            let e = bad.parse::<HubRef>().unwrap_err().to_string();
            assert!(e.contains("expected USER/NAME"), "{bad}: {e}");
        }
        assert!(HubRef::from_path(Path::new("hf://a/b")).unwrap().is_ok());
        assert!(HubRef::from_path(Path::new("hf://nope")).unwrap().is_err());
        assert!(HubRef::from_path(Path::new("a/b")).is_none());
    }

    #[test]
    fn configuration_follows_the_hubs_variables() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "hf_file\n").unwrap();
        let home = dir.path().to_str().unwrap().to_string();
        let env = |pairs: Vec<(&'static str, String)>| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        let c = HubConfig::from_lookup(env(vec![("HF_HOME", home.clone())]));
        assert_eq!(c.endpoint, "https://huggingface.co");
        assert_eq!(c.token.as_deref(), Some("hf_file"));
        assert_eq!(c.cache, dir.path().join("hub"));
        assert!(!c.offline);
        let c = HubConfig::from_lookup(env(vec![
            ("HF_HOME", home),
            ("HF_TOKEN", "hf_env".into()),
            ("HF_ENDPOINT", "http://127.0.0.1:9/".into()),
            ("HF_HUB_CACHE", "/tmp/c".into()),
            ("HF_HUB_OFFLINE", "1".into()),
        ]));
        assert_eq!((c.token.as_deref(), c.token_source.as_deref()), (Some("hf_env"), Some("HF_TOKEN")));
        assert_eq!(
            (c.endpoint.as_str(), c.cache.as_path(), c.offline),
            ("http://127.0.0.1:9", Path::new("/tmp/c"), true)
        );
        let c = HubConfig::from_lookup(env(vec![("HOME", "/h".into())]));
        assert_eq!((c.cache, c.token), (PathBuf::from("/h/.cache/huggingface/hub"), None));
    }
}
