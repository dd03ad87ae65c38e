//! Uploading a genome, its metrics and a model card to the Hub, in one commit.
//!
//! The Hub's commit protocol, as its own clients speak it:
//! 1. `POST /api/repos/create` (an existing repository answers 409, which is fine);
//! 2. for a branch other than `main`, `POST /api/models/USER/NAME/branch/BRANCH` (409: it exists);
//! 3. `POST /api/models/USER/NAME/preupload/REV`: which files go to large-file storage (LFS);
//! 4. for those, the Git LFS batch API (`POST /USER/NAME.git/info/lfs/objects/batch`), a `PUT` of
//!    the bytes to the address it gives and the `verify` call it asks for;
//! 5. `POST /api/models/USER/NAME/commit/REV`: one NDJSON commit naming every file (small files
//!    inline in base64, LFS files by their SHA-256).
//!
//! Nothing is committed before step 5, which the Hub applies whole or not at all, so a push that
//! fails leaves the repository as it was (an LFS object uploaded without a commit is invisible).

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

use super::address::{HubRef, encode_segment};
use super::config::{CARD_FILE, GENOME_FILE, HubConfig, METRICS_FILE};
use super::errors::{Context, HubError, from_status, from_ureq};
use crate::error::{Result, RunError};

/// What to push, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct PushOptions {
    /// The repository (and branch; `main` unless named).
    pub repo: HubRef,
    /// Create the repository private (an existing repository keeps its visibility).
    pub private: bool,
    /// Publish the genome quantised to this many bits per value (16, 8, 4 or 2), see
    /// [`crate::quantise`].
    pub bits: Option<u32>,
    /// The commit message (default: `Upload ENCODING genome with innate VERSION`).
    pub message: Option<String>,
}

/// What [`push`] uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    /// The commit's address on the Hub.
    pub commit_url: String,
    /// The commit's id.
    pub commit: String,
    /// The files committed, with their sizes in bytes.
    pub files: Vec<(String, usize)>,
    /// The model card as committed.
    pub card: String,
}

/// One file of a commit.
struct Upload {
    path: &'static str,
    bytes: Vec<u8>,
}

/// A push made ready: the files and the model card, checked and built locally ([`prepare`]),
/// not yet sent ([`send`]).
pub struct Prepared {
    uploads: Vec<Upload>,
    /// The model card (also the last of the files).
    pub card: String,
    encoding: String,
}

impl Prepared {
    /// The files a commit would hold: names and sizes in bytes.
    pub fn files(&self) -> Vec<(&'static str, usize)> {
        self.uploads.iter().map(|u| (u.path, u.bytes.len())).collect()
    }
}

/// Pushes the genome at `source` (a genome file, or a run folder holding `genome.safetensors`)
/// to the Hub in one commit: [`prepare`], then [`send`].
pub fn push(source: &Path, options: &PushOptions, config: &HubConfig) -> Result<Pushed> {
    send(&prepare(source, options)?, options, config)
}

/// Reads and checks the genome at `source` (a genome file, or a run folder holding
/// `genome.safetensors`) and builds what a push sends: the genome file (quantised with
/// [`PushOptions::bits`]), the run's `metrics.json` when it has one, and a generated model card
/// ([`crate::hub::card()`]). Nothing is sent and nothing local is written.
pub fn prepare(source: &Path, options: &PushOptions) -> Result<Prepared> {
    let (genome_path, metrics_path) = files_of(source)?;
    let loaded = crate::load(&genome_path, &candle_core::Device::Cpu)?;
    let metrics_bytes = match &metrics_path {
        Some(p) => Some(std::fs::read(p).map_err(|source| RunError::Read { path: p.clone(), source })?),
        None => None,
    };
    let metrics = match &metrics_path {
        Some(p) => Some(crate::read_metrics(p.parent().unwrap_or(Path::new(".")))?),
        None => None,
    };
    let genome_bytes = match options.bits {
        Some(bits) => crate::quantise::quantised_file(&loaded, bits)?,
        None => std::fs::read(&genome_path)
            .map_err(|source| RunError::Read { path: genome_path.clone(), source })?,
    };
    let card = super::card::card(&loaded, metrics.as_ref(), &options.repo, options.bits)?;
    let mut uploads = vec![Upload { path: GENOME_FILE, bytes: genome_bytes }];
    if let Some(bytes) = metrics_bytes {
        uploads.push(Upload { path: METRICS_FILE, bytes });
    }
    uploads.push(Upload { path: CARD_FILE, bytes: card.text.clone().into_bytes() });
    Ok(Prepared { uploads, card: card.text, encoding: loaded.file.encoding.clone() })
}

/// Sends a [`prepare`]d push to the Hub `config` names: creates the repository (and the branch)
/// if needed, uploads the large files, and commits every file at once.
pub fn send(prepared: &Prepared, options: &PushOptions, config: &HubConfig) -> Result<Pushed> {
    let uploads = &prepared.uploads;
    let Some(token) = config.token.as_deref() else {
        return Err(HubError::NoToken { action: format!("pushing to {}", options.repo) }.into());
    };
    let client = Client::new(config, token, &options.repo);
    client.create_repo(options.private)?;
    if options.repo.revision() != "main" {
        client.create_branch()?;
    }
    let modes = client.preupload(uploads)?;
    let lfs: Vec<&Upload> = uploads.iter().zip(&modes).filter(|(_, m)| *m == "lfs").map(|(u, _)| u).collect();
    if !lfs.is_empty() {
        client.upload_lfs(&lfs)?;
    }
    let message = options.message.clone().unwrap_or_else(|| {
        format!("Upload {} genome with innate {}", prepared.encoding, env!("CARGO_PKG_VERSION"))
    });
    let (commit, commit_url) = client.commit(uploads, &modes, &message)?;
    Ok(Pushed {
        commit_url,
        commit,
        files: uploads.iter().map(|u| (u.path.to_string(), u.bytes.len())).collect(),
        card: prepared.card.clone(),
    })
}

/// The genome file and the metrics file (if any) of `source`.
fn files_of(source: &Path) -> Result<(PathBuf, Option<PathBuf>)> {
    let genome = if source.is_dir() { source.join(GENOME_FILE) } else { source.to_path_buf() };
    if !genome.is_file() {
        return crate::error::config(format!(
            "{}: {}; give a genome file or a run folder that holds {GENOME_FILE}",
            source.display(),
            if source.is_dir() {
                format!("this folder has no {GENOME_FILE}")
            } else {
                "there is no such file".into()
            }
        ));
    }
    // A run folder's metrics sit beside its genome.
    let metrics = genome
        .parent()
        .map(|d| d.join(METRICS_FILE))
        .filter(|m| m.is_file() && genome.file_name().is_some_and(|n| n == GENOME_FILE));
    Ok((genome, metrics))
}

/// The requests of one push.
struct Client<'a> {
    agent: ureq2::Agent,
    config: &'a HubConfig,
    token: &'a str,
    repo: &'a HubRef,
    name: String,
}

impl<'a> Client<'a> {
    fn new(config: &'a HubConfig, token: &'a str, repo: &'a HubRef) -> Self {
        let agent = ureq2::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(20))
            .timeout(Duration::from_secs(300))
            .try_proxy_from_env(true)
            .user_agent(concat!("innate/", env!("CARGO_PKG_VERSION")))
            .build();
        Self { agent, config, token, repo, name: repo.to_string() }
    }

    fn cx<'b>(&'b self, action: &'b str) -> Context<'b> {
        Context {
            endpoint: &self.config.endpoint,
            repo: &self.name,
            file: None,
            action,
            token_source: self.config.token_source.as_deref().or(Some("the configuration")),
        }
    }

    fn api(&self, what: &str) -> String {
        format!(
            "{}/api/models/{}/{what}/{}",
            self.config.endpoint,
            self.repo.repo,
            encode_segment(self.repo.revision())
        )
    }

    /// A request with the token, to the Hub itself.
    fn request(&self, method: &str, url: &str) -> ureq2::Request {
        self.agent.request(method, url).set("Authorization", &format!("Bearer {}", self.token))
    }

    /// Sends `body` as JSON; the answer's JSON (`Value::Null` when empty). `ok` lists statuses
    /// besides 2xx that are not errors.
    fn send_json(&self, req: ureq2::Request, body: &Value, action: &str, ok: &[u16]) -> Result<Value> {
        let url = req.url().to_string();
        let resp = match req.set("Content-Type", "application/json").send_string(&body.to_string()) {
            Ok(r) => r,
            Err(ureq2::Error::Status(s, _)) if ok.contains(&s) => return Ok(Value::Null),
            Err(e) => return Err(from_ureq(e, &self.cx(action)).into()),
        };
        read_json(resp, &url)
    }

    fn create_repo(&self, private: bool) -> Result<()> {
        let (org, name) = self.repo.repo.split_once('/').unwrap_or(("", &self.repo.repo));
        let body = json!({"name": name, "organization": org, "private": private, "type": "model"});
        let url = format!("{}/api/repos/create", self.config.endpoint);
        self.send_json(self.request("POST", &url), &body, "create the repository", &[409])?;
        Ok(())
    }

    fn create_branch(&self) -> Result<()> {
        let url = self.api("branch");
        self.send_json(self.request("POST", &url), &json!({}), "create the branch", &[409])?;
        Ok(())
    }

    /// The upload mode (`regular` or `lfs`) of each file, as the Hub decides it.
    fn preupload(&self, uploads: &[Upload]) -> Result<Vec<String>> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let files: Vec<Value> = uploads
            .iter()
            .map(|u| json!({"path": u.path, "size": u.bytes.len(), "sample": b64.encode(&u.bytes[..u.bytes.len().min(512)])}))
            .collect();
        let url = self.api("preupload");
        let v = self.send_json(
            self.request("POST", &url),
            &json!({ "files": files }),
            "prepare the upload",
            &[],
        )?;
        uploads
            .iter()
            .map(|u| {
                let mode = v["files"]
                    .as_array()
                    .and_then(|fs| fs.iter().find(|f| f["path"] == u.path))
                    .and_then(|f| f["uploadMode"].as_str());
                match mode {
                    Some(m @ ("regular" | "lfs")) => Ok(m.to_string()),
                    _ => Err(protocol(&url, format!("no upload mode for {} in {v}", u.path))),
                }
            })
            .collect()
    }

    /// Uploads `files` to large-file storage through the Git LFS batch API.
    fn upload_lfs(&self, files: &[&Upload]) -> Result<()> {
        let objects: Vec<Value> =
            files.iter().map(|u| json!({"oid": sha256(&u.bytes), "size": u.bytes.len()})).collect();
        let body = json!({"operation": "upload", "transfers": ["basic"], "objects": objects, "hash_algo": "sha256",
                          "ref": {"name": self.repo.revision()}});
        let url = format!("{}/{}.git/info/lfs/objects/batch", self.config.endpoint, self.repo.repo);
        let req = self
            .request("POST", &url)
            .set("Accept", "application/vnd.git-lfs+json")
            .set("Content-Type", "application/vnd.git-lfs+json");
        let resp = req
            .send_string(&body.to_string())
            .map_err(|e| from_ureq(e, &self.cx("start the large-file upload")))?;
        let v = read_json(resp, &url)?;
        for u in files {
            let oid = sha256(&u.bytes);
            let Some(obj) =
                v["objects"].as_array().and_then(|os| os.iter().find(|o| o["oid"] == oid.as_str()))
            else {
                return Err(protocol(&url, format!("no entry for {} in {v}", u.path)));
            };
            if let Some(err) = obj.get("error") {
                return Err(HubError::Server {
                    url: url.clone(),
                    status: err["code"].as_u64().unwrap_or(0) as u16,
                    detail: format!(": large-file storage refused {}: {}", u.path, err["message"]),
                }
                .into());
            }
            // No actions: the Hub has these bytes already.
            let Some(upload) = obj["actions"].get("upload") else { continue };
            if upload["header"].get("chunk_size").is_some() {
                return Err(protocol(
                    &url,
                    format!(
                        "{} ({} bytes) needs a multi-part upload, which innate does not do; upload it with `huggingface-cli upload`",
                        u.path,
                        u.bytes.len()
                    ),
                ));
            }
            let href = upload["href"]
                .as_str()
                .ok_or_else(|| protocol(&url, "an upload without an address".into()))?;
            let mut put = self.agent.put(href);
            for (k, val) in upload["header"].as_object().into_iter().flatten() {
                put = put.set(k, val.as_str().unwrap_or_default());
            }
            put.send_bytes(&u.bytes).map_err(|e| from_ureq(e, &self.cx(&format!("upload {}", u.path))))?;
            if let Some(verify) = obj["actions"].get("verify") {
                let vhref = verify["href"]
                    .as_str()
                    .ok_or_else(|| protocol(&url, "a verification without an address".into()))?;
                let mut req = if vhref.starts_with(&self.config.endpoint) {
                    self.request("POST", vhref)
                } else {
                    self.agent.post(vhref)
                };
                for (k, val) in verify["header"].as_object().into_iter().flatten() {
                    req = req.set(k, val.as_str().unwrap_or_default());
                }
                let body = json!({"oid": oid, "size": u.bytes.len()});
                self.send_json(req, &body, &format!("verify the upload of {}", u.path), &[])?;
            }
        }
        Ok(())
    }

    /// The commit of every file; its id and address.
    fn commit(&self, uploads: &[Upload], modes: &[String], message: &str) -> Result<(String, String)> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut lines = vec![json!({"key": "header", "value": {"summary": message, "description": ""}})];
        for (u, mode) in uploads.iter().zip(modes) {
            lines.push(if mode == "lfs" {
                json!({"key": "lfsFile", "value": {"path": u.path, "algo": "sha256", "oid": sha256(&u.bytes)}})
            } else {
                json!({"key": "file", "value": {"path": u.path, "encoding": "base64", "content": b64.encode(&u.bytes)}})
            });
        }
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let url = self.api("commit");
        let resp = self
            .request("POST", &url)
            .set("Content-Type", "application/x-ndjson")
            .send_string(&body)
            .map_err(|e| from_ureq(e, &self.cx("commit")))?;
        let v = read_json(resp, &url)?;
        let id = v["commitOid"].as_str().ok_or_else(|| protocol(&url, format!("no commitOid in {v}")))?;
        let at = v["commitUrl"]
            .as_str()
            .map_or_else(|| format!("{}/{}/commit/{id}", self.config.endpoint, self.repo.repo), String::from);
        Ok((id.to_string(), at))
    }
}

/// The JSON of a successful answer (`Null` when its body is empty).
fn read_json(resp: ureq2::Response, url: &str) -> Result<Value> {
    let status = resp.status();
    let text = resp.into_string().map_err(|e| protocol(url, format!("cannot read the answer ({e})")))?;
    if !(200..300).contains(&status) {
        let cx = Context { endpoint: url, repo: url, file: None, action: "push", token_source: None };
        return Err(from_status(status, None, String::new(), url.into(), &cx).into());
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|e| protocol(url, format!("not JSON ({e})")))
}

fn protocol(url: &str, detail: String) -> RunError {
    HubError::Protocol { url: url.into(), detail }.into()
}

/// The lower-case hex SHA-256 of `bytes`, as Git LFS names objects.
fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
