//! Hub addresses: `USER/NAME[@REVISION]`, and `hf://USER/NAME[@REVISION]` where a file path is
//! expected.

use std::path::Path;

use super::errors::HubError;

/// The prefix of a Hub address where a genome file is expected.
pub const SCHEME: &str = "hf://";

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
}
