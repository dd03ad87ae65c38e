//! Downloading a genome repository into the Hub's standard cache.

use std::path::{Path, PathBuf};

use hf_hub::api::sync::{ApiBuilder, ApiError};
use hf_hub::{Cache, Repo, RepoType};

use super::address::HubRef;
use super::config::{CARD_FILE, GENOME_FILE, HubConfig, METRICS_FILE};
use super::errors::{Context, HubError, from_ureq};
use crate::error::Result;

/// What [`pull`] fetched: paths inside the cache's snapshot of the revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    /// The genome file.
    pub genome: PathBuf,
    /// The metrics and the model card, those the repository has.
    pub others: Vec<PathBuf>,
    /// True when read from the cache alone (`HF_HUB_OFFLINE`).
    pub offline: bool,
}

/// Downloads `r`'s genome file (and its `metrics.json` and model card, when it has them) into
/// the cache `config` names, and checks that the genome file is an innate genome. Offline
/// (`HF_HUB_OFFLINE=1`) it reads the cache only.
pub fn pull(r: &HubRef, config: &HubConfig) -> Result<Pulled> {
    let repo = Repo::with_revision(r.repo.clone(), RepoType::Model, r.revision().to_string());
    let name = r.to_string();
    let pulled = if config.offline {
        let cached = Cache::new(config.cache.clone()).repo(repo);
        let genome = cached.get(GENOME_FILE).ok_or_else(|| HubError::NotCached {
            repo: name.clone(),
            file: GENOME_FILE.into(),
            cache: config.cache.clone(),
        })?;
        let others = [METRICS_FILE, CARD_FILE].iter().filter_map(|f| cached.get(f)).collect();
        Pulled { genome, others, offline: true }
    } else {
        let api = ApiBuilder::from_cache(Cache::new(config.cache.clone()))
            .with_endpoint(config.endpoint.clone())
            .with_token(config.token.clone())
            .with_progress(config.progress)
            .build()
            .map_err(|e| api_error(e, config, &name, GENOME_FILE))?;
        let repo = api.repo(repo);
        let genome = repo.download(GENOME_FILE).map_err(|e| api_error(e, config, &name, GENOME_FILE))?;
        let mut others = Vec::new();
        for file in [METRICS_FILE, CARD_FILE] {
            match repo.download(file) {
                Ok(p) => others.push(p),
                Err(e) => match api_error(e, config, &name, file) {
                    // The metrics and the card are optional.
                    HubError::NotFound(m) if m.contains("has no file") => {}
                    other => return Err(other.into()),
                },
            }
        }
        Pulled { genome, others, offline: false }
    };
    check_genome(&pulled.genome, &name)?;
    tracing::debug!("{name}: {}", pulled.genome.display());
    Ok(pulled)
}

/// The local genome file `path` names: the path itself, or for a Hub address
/// (`hf://USER/NAME[@REVISION]`) the genome file [`pull`] fetches into the cache, configured from
/// the environment.
pub fn resolve(path: &Path) -> Result<PathBuf> {
    match HubRef::from_path(path) {
        None => Ok(path.to_path_buf()),
        Some(r) => Ok(pull(&r?, &HubConfig { progress: false, ..HubConfig::from_env() })?.genome),
    }
}

/// Checks that the file `path`, fetched from `repo`, is an innate genome file.
fn check_genome(path: &Path, repo: &str) -> Result<()> {
    match innate_encodings::checkpoint::load(path, &candle_core::Device::Cpu) {
        Ok(_) => Ok(()),
        Err(innate_encodings::GenomeError::NotAGenome { problem, .. }) => {
            Err(HubError::NotAGenome { repo: repo.into(), file: GENOME_FILE.into(), detail: problem }.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The [`HubError`] for hf-hub's `e`, fetching `file` of `repo`.
fn api_error(e: ApiError, config: &HubConfig, repo: &str, file: &str) -> HubError {
    let action = format!("download {file}");
    let cx = Context {
        endpoint: &config.endpoint,
        repo,
        file: Some(file),
        action: &action,
        token_source: config.token_source.as_deref(),
    };
    let url = format!("{}/{}", config.endpoint, repo);
    match e {
        ApiError::RequestError(e) => from_ureq(*e, &cx),
        ApiError::IoError(source) => HubError::Cache { path: config.cache.clone(), source },
        ApiError::LockAcquisition(p) => HubError::Cache {
            path: p,
            source: std::io::Error::other(
                "another process is downloading this file; try again when it is done",
            ),
        },
        other => HubError::Protocol { url, detail: other.to_string() },
    }
}
