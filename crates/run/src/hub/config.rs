//! Where the Hub is, who is asking and where downloads go: [`HubConfig`], from the environment.

use std::path::PathBuf;

/// The files a pushed genome's repository holds, and that [`crate::hub::pull()`] fetches.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
