//! Genomes on the Hugging Face Hub: [`push()`] a run's genome with a generated model card, [`pull()`]
//! one into the Hub's standard cache, and [`resolve()`] an `hf://USER/NAME[@REVISION]` address
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

pub mod address;
mod card;
pub mod config;
pub mod errors;
pub mod pull;
mod push;

pub use address::{HubRef, SCHEME};
pub use card::{ModelCard, card};
pub use config::{CARD_FILE, GENOME_FILE, HubConfig, METRICS_FILE};
pub use errors::HubError;
pub use pull::{Pulled, pull, resolve};
pub use push::{Prepared, PushOptions, Pushed, prepare, push, send};
