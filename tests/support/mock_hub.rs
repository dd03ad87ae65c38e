//! A stand-in for the Hugging Face Hub on 127.0.0.1, for offline tests of `innate push` / `pull`:
//! the endpoints those use, answering as the Hub does (status codes, `X-Error-Code`, the headers
//! hf-hub reads when it downloads: `X-Repo-Commit`, `ETag`, `Content-Range`).
//!
//! - `POST /api/repos/create` (409 when it exists; 403 outside the token's user `alice`)
//! - `POST /api/models/U/N/branch/B`, `.../preupload/REV`, `.../commit/REV` (NDJSON)
//! - `POST /U/N.git/info/lfs/objects/batch`, `PUT /lfs-upload/OID`, `POST /lfs-verify`
//! - `GET /U/N/resolve/REV/FILE` (with `Range`)
//!
//! A repository whose name contains `fail-commit` refuses commits with HTTP 500 (to check that a
//! failed push leaves nothing behind).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine;
use sha2::Digest;

/// The token the mock accepts (for the user `alice`).
pub const TOKEN: &str = "hf_mock_token";

#[derive(Default)]
struct Repo {
    private: bool,
    /// Branch -> commit id.
    branches: HashMap<String, String>,
    /// Commit id -> files.
    commits: HashMap<String, BTreeMap<String, Vec<u8>>>,
}

#[derive(Default)]
pub struct State {
    repos: HashMap<String, Repo>,
    lfs: HashMap<String, Vec<u8>>,
    /// Every request, as `METHOD PATH`.
    pub log: Vec<String>,
}

impl State {
    /// The files at the head of `branch` of `repo`, if both exist.
    pub fn files(&self, repo: &str, branch: &str) -> Option<BTreeMap<String, Vec<u8>>> {
        let r = self.repos.get(repo)?;
        r.commits.get(r.branches.get(branch)?).cloned()
    }

    /// Commits `files` to `repo`'s `main` directly (creating the repository), as another client would.
    pub fn put(&mut self, repo: &str, files: &[(&str, &[u8])]) {
        let r = self.repos.entry(repo.to_string()).or_insert_with(new_repo);
        let mut tree = r.commits[&r.branches["main"]].clone();
        for (p, b) in files {
            tree.insert(p.to_string(), b.to_vec());
        }
        let id = commit_id(&tree, r.commits.len());
        r.commits.insert(id.clone(), tree);
        r.branches.insert("main".into(), id);
    }

    /// The number of LFS objects stored.
    pub fn lfs_objects(&self) -> usize {
        self.lfs.len()
    }
}

fn new_repo() -> Repo {
    let mut r = Repo::default();
    let tree: BTreeMap<String, Vec<u8>> =
        [(".gitattributes".to_string(), b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n".to_vec())]
            .into();
    let id = commit_id(&tree, 0);
    r.commits.insert(id.clone(), tree);
    r.branches.insert("main".into(), id);
    r
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

fn commit_id(tree: &BTreeMap<String, Vec<u8>>, n: usize) -> String {
    let mut h = sha2::Sha256::new();
    h.update(n.to_le_bytes());
    for (p, b) in tree {
        h.update(p.as_bytes());
        h.update(b);
    }
    hex(&h.finalize())[..40].to_string()
}

/// A running mock Hub.
pub struct MockHub {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// What it holds.
    pub state: Arc<Mutex<State>>,
}

impl MockHub {
    /// Starts the server on a free port (it runs until the test process ends).
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let (s, e) = (state.clone(), endpoint.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, e) = (s.clone(), e.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &s, &e);
                });
            }
        });
        Self { endpoint, state }
    }
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn json(status: u16, v: serde_json::Value) -> Response {
    Response {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: v.to_string().into_bytes(),
    }
}

fn hub_error(status: u16, code: &str, message: &str) -> Response {
    let mut r = json(status, serde_json::json!({ "error": message }));
    r.headers.push(("X-Error-Code".into(), code.into()));
    r.headers.push(("X-Error-Message".into(), message.into()));
    r
}

fn serve(stream: TcpStream, state: &Mutex<State>, endpoint: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let req = Request { method, path, headers, body };
    let resp = {
        let mut st = state.lock().unwrap();
        st.log.push(format!("{} {}", req.method, req.path));
        handle(&req, &mut st, endpoint)
    };
    let mut out = stream;
    let reason = match resp.status {
        200 => "OK",
        206 => "Partial Content",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        resp.status,
        resp.body.len()
    );
    for (k, v) in &resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if req.method != "HEAD" {
        out.write_all(&resp.body)?;
    }
    out.flush()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn handle(req: &Request, st: &mut State, endpoint: &str) -> Response {
    let authed = req.headers.get("authorization").map(|a| a.as_str()) == Some(&format!("Bearer {TOKEN}"));
    let has_auth = req.headers.contains_key("authorization");
    let path = req.path.split('?').next().unwrap_or("").to_string();
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or(serde_json::Value::Null);
    let need_auth = || {
        if has_auth {
            hub_error(401, "Unauthorized", "Invalid credentials in Authorization header")
        } else {
            hub_error(401, "Unauthorized", "Authorization header is required")
        }
    };
    match (req.method.as_str(), seg.as_slice()) {
        ("POST", ["api", "repos", "create"]) => {
            if !authed {
                return need_auth();
            }
            let org = body["organization"].as_str().unwrap_or("alice");
            if org != "alice" {
                return hub_error(
                    403,
                    "Forbidden",
                    "You don't have the rights to create a model under this namespace",
                );
            }
            let id = format!("{org}/{}", body["name"].as_str().unwrap_or(""));
            if st.repos.contains_key(&id) {
                return hub_error(409, "Conflict", "You already created this model repo");
            }
            let mut r = new_repo();
            r.private = body["private"].as_bool().unwrap_or(false);
            st.repos.insert(id.clone(), r);
            json(200, serde_json::json!({"url": format!("{endpoint}/{id}"), "name": id}))
        }
        ("POST", ["api", "models", user, name, op, rev @ ..]) => {
            if !authed {
                return need_auth();
            }
            let id = format!("{user}/{name}");
            let rev = decode(&rev.join("/"));
            let Some(repo) = st.repos.get_mut(&id) else {
                return hub_error(404, "RepoNotFound", "Repository not found");
            };
            match *op {
                "branch" => {
                    if repo.branches.contains_key(&rev) {
                        return hub_error(409, "Conflict", "Reference already exists");
                    }
                    let head = repo.branches["main"].clone();
                    repo.branches.insert(rev, head);
                    json(200, serde_json::json!({}))
                }
                "preupload" => {
                    let files: Vec<serde_json::Value> = body["files"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|f| {
                            let p = f["path"].as_str().unwrap_or("");
                            let mode = if p.ends_with(".safetensors") { "lfs" } else { "regular" };
                            serde_json::json!({"path": p, "uploadMode": mode, "shouldIgnore": false})
                        })
                        .collect();
                    json(200, serde_json::json!({ "files": files }))
                }
                "commit" => {
                    if name.contains("fail-commit") {
                        return hub_error(500, "InternalError", "the mock refuses this commit");
                    }
                    let Some(head) = repo.branches.get(&rev).cloned() else {
                        return hub_error(404, "RevisionNotFound", "Invalid rev id");
                    };
                    let mut tree = repo.commits[&head].clone();
                    let text = String::from_utf8_lossy(&req.body).into_owned();
                    let b64 = base64::engine::general_purpose::STANDARD;
                    for l in text.lines().filter(|l| !l.trim().is_empty()) {
                        let v: serde_json::Value = serde_json::from_str(l).unwrap();
                        let val = &v["value"];
                        match v["key"].as_str() {
                            Some("header") => {}
                            Some("file") => {
                                let bytes = b64.decode(val["content"].as_str().unwrap_or("")).unwrap();
                                tree.insert(val["path"].as_str().unwrap().to_string(), bytes);
                            }
                            Some("lfsFile") => {
                                let oid = val["oid"].as_str().unwrap_or("");
                                let Some(bytes) = st.lfs.get(oid) else {
                                    return hub_error(400, "BadRequest", "LFS object not uploaded");
                                };
                                tree.insert(val["path"].as_str().unwrap().to_string(), bytes.clone());
                            }
                            _ => return hub_error(400, "BadRequest", "unknown commit line"),
                        }
                    }
                    let repo = st.repos.get_mut(&id).unwrap();
                    let cid = commit_id(&tree, repo.commits.len());
                    repo.commits.insert(cid.clone(), tree);
                    repo.branches.insert(rev, cid.clone());
                    json(
                        200,
                        serde_json::json!({"commitOid": cid, "commitUrl": format!("{endpoint}/{id}/commit/{cid}")}),
                    )
                }
                _ => hub_error(404, "NotFound", "no such endpoint"),
            }
        }
        ("POST", [user, repo_git, "info", "lfs", "objects", "batch"]) => {
            if !authed {
                return need_auth();
            }
            let id = format!("{user}/{}", repo_git.trim_end_matches(".git"));
            if !st.repos.contains_key(&id) {
                return hub_error(404, "RepoNotFound", "Repository not found");
            }
            let objects: Vec<serde_json::Value> = body["objects"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| {
                    let oid = o["oid"].as_str().unwrap_or("");
                    if st.lfs.contains_key(oid) {
                        serde_json::json!({"oid": oid, "size": o["size"]})
                    } else {
                        serde_json::json!({"oid": oid, "size": o["size"], "actions": {
                            "upload": {"href": format!("{endpoint}/lfs-upload/{oid}"), "header": {"X-Mock-Signature": "s"}},
                            "verify": {"href": format!("{endpoint}/lfs-verify"), "header": {}}}})
                    }
                })
                .collect();
            json(200, serde_json::json!({"transfer": "basic", "objects": objects}))
        }
        ("PUT", ["lfs-upload", oid]) => {
            if req.headers.get("x-mock-signature").map(String::as_str) != Some("s") {
                return hub_error(403, "Forbidden", "signature missing");
            }
            if sha256(&req.body) != *oid {
                return hub_error(400, "BadRequest", "the bytes do not match their oid");
            }
            st.lfs.insert(oid.to_string(), req.body.clone());
            json(200, serde_json::json!({}))
        }
        ("POST", ["lfs-verify"]) => {
            let oid = body["oid"].as_str().unwrap_or("");
            match st.lfs.get(oid) {
                Some(b) if Some(b.len() as u64) == body["size"].as_u64() => json(200, serde_json::json!({})),
                _ => hub_error(404, "NotFound", "object not found"),
            }
        }
        ("GET" | "HEAD", [user, name, "resolve", rest @ ..]) if !rest.is_empty() => {
            let id = format!("{user}/{name}");
            let Some(repo) = st.repos.get(&id) else {
                return if authed {
                    hub_error(404, "RepoNotFound", "Repository not found")
                } else {
                    hub_error(401, "RepoNotFound", "Repository not found")
                };
            };
            if repo.private && !authed {
                return hub_error(401, "RepoNotFound", "Repository not found");
            }
            let (rev, file) = (decode(rest[0]), rest[1..].join("/"));
            let commit = match repo.branches.get(&rev) {
                Some(c) => c.clone(),
                None if repo.commits.contains_key(&rev) => rev.clone(),
                None => return hub_error(404, "RevisionNotFound", "Invalid rev id"),
            };
            let Some(bytes) = repo.commits[&commit].get(&file) else {
                return hub_error(404, "EntryNotFound", "Entry not found");
            };
            let size = bytes.len();
            let (status, slice, range) = match req.headers.get("range").and_then(|r| r.strip_prefix("bytes="))
            {
                Some(r) => {
                    let (a, b) = r.split_once('-').unwrap_or((r, ""));
                    let a: usize = a.parse().unwrap_or(0);
                    let b: usize = b
                        .parse()
                        .map(|b: usize| b.min(size.saturating_sub(1)))
                        .unwrap_or(size.saturating_sub(1));
                    (
                        206,
                        bytes[a.min(size)..(b + 1).min(size)].to_vec(),
                        Some(format!("bytes {a}-{b}/{size}")),
                    )
                }
                None => (200, bytes.clone(), None),
            };
            let mut headers = vec![
                ("X-Repo-Commit".to_string(), commit),
                ("ETag".to_string(), format!("\"{}\"", sha256(bytes))),
                ("Content-Type".to_string(), "application/octet-stream".to_string()),
            ];
            if file.ends_with(".safetensors") {
                headers.push(("X-Linked-Etag".into(), format!("\"{}\"", sha256(bytes))));
            }
            if let Some(r) = range {
                headers.push(("Content-Range".into(), r));
            }
            Response { status, headers, body: slice }
        }
        _ => hub_error(404, "NotFound", "no such endpoint"),
    }
}
