//! What can go wrong between innate and the Hub, each with what to do.

use std::path::PathBuf;

/// A failure talking to the Hub, or reading what it sent.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// A repository address that is not `USER/NAME[@REVISION]`.
    #[error("{0}")]
    Address(String),

    /// An operation that needs a token, and none is set.
    #[error(
        "{action} needs a Hugging Face access token and none is set: create one with write access at \
         https://huggingface.co/settings/tokens and set HF_TOKEN=hf_... (or run `huggingface-cli login`, \
         which writes $HF_HOME/token)"
    )]
    NoToken {
        /// What needed it (`pushing to alice/x`).
        action: String,
    },

    /// The Hub refused the token.
    #[error(
        "{endpoint} rejected the access token from {source_of_token} (HTTP 401{detail}): it is invalid or expired; \
         create a new one at https://huggingface.co/settings/tokens and set HF_TOKEN"
    )]
    TokenRejected {
        /// The Hub's address.
        endpoint: String,
        /// Where the token came from.
        source_of_token: String,
        /// What the Hub said, if anything (`: ...`).
        detail: String,
    },

    /// The token may not do this (HTTP 403).
    #[error(
        "{repo}: the Hub refused to {action} (HTTP 403{detail}): the token from {source_of_token} has no write access \
         to this namespace; use a token with write access, or push to your own USER/NAME"
    )]
    Forbidden {
        /// The repository.
        repo: String,
        /// What was refused.
        action: String,
        /// Where the token came from.
        source_of_token: String,
        /// What the Hub said, if anything.
        detail: String,
    },

    /// The repository, revision or file does not exist (or cannot be seen without a token).
    #[error("{0}")]
    NotFound(String),

    /// The Hub could not be reached.
    #[error(
        "cannot reach the Hub at {endpoint} ({detail}): check the network connection and HF_ENDPOINT; a genome \
         pulled before is read from the cache with HF_HUB_OFFLINE=1"
    )]
    Network {
        /// The Hub's address.
        endpoint: String,
        /// The transport's error.
        detail: String,
    },

    /// The Hub answered with an error status not covered above.
    #[error("{url}: the Hub answered HTTP {status}{detail}; try again later, or report it if it persists")]
    Server {
        /// What was asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What it said.
        detail: String,
    },

    /// The server answered, but not as the Hub does.
    #[error("{url}: the answer is not the Hub's ({detail}); check HF_ENDPOINT")]
    Protocol {
        /// What was asked.
        url: String,
        /// What was wrong.
        detail: String,
    },

    /// Offline (`HF_HUB_OFFLINE=1`) and the file is not in the cache.
    #[error(
        "{repo}: {file} is not in the Hub cache {} and HF_HUB_OFFLINE is set: run `innate pull {repo}` while online \
         (or unset HF_HUB_OFFLINE)",
        cache.display()
    )]
    NotCached {
        /// The repository (and revision).
        repo: String,
        /// The file.
        file: String,
        /// The cache.
        cache: PathBuf,
    },

    /// The repository's genome file is not an innate genome.
    #[error("{repo}: its {file} is not an innate genome ({detail}); is this an innate repository?")]
    NotAGenome {
        /// The repository.
        repo: String,
        /// The file.
        file: String,
        /// What is wrong with it.
        detail: String,
    },

    /// Writing the cache failed.
    #[error("cannot write the Hub cache at {} ({source}): check HF_HUB_CACHE / HF_HOME and the disk", path.display())]
    Cache {
        /// The cache folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What a request was about, for the messages of [`from_ureq`].
pub(crate) struct Context<'a> {
    /// The Hub's address.
    pub endpoint: &'a str,
    /// `USER/NAME[@REVISION]`.
    pub repo: &'a str,
    /// The file asked for, if any.
    pub file: Option<&'a str>,
    /// What was being done (`create the repository`, `download genome.safetensors`).
    pub action: &'a str,
    /// Where the token came from, if one was sent.
    pub token_source: Option<&'a str>,
}

/// The [`HubError`] for a failed request.
pub(crate) fn from_ureq(e: ureq2::Error, cx: &Context<'_>) -> HubError {
    match e {
        ureq2::Error::Status(status, response) => {
            let url = response.get_url().to_string();
            let code = response.header("X-Error-Code").map(String::from);
            let message = response.header("X-Error-Message").map(String::from);
            let body = response.into_string().unwrap_or_default();
            let said = message.or_else(|| {
                serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|m| m.as_str()).map(String::from))
            });
            let detail = said.map(|m| format!(": {m}")).unwrap_or_default();
            from_status(status, code.as_deref(), detail, url, cx)
        }
        ureq2::Error::Transport(t) => {
            HubError::Network { endpoint: cx.endpoint.to_string(), detail: t.to_string() }
        }
    }
}

/// The [`HubError`] for HTTP `status` with the Hub's `X-Error-Code` header `code`.
pub(crate) fn from_status(
    status: u16,
    code: Option<&str>,
    detail: String,
    url: String,
    cx: &Context<'_>,
) -> HubError {
    let token_hint = match cx.token_source {
        Some(_) => "",
        None => " or it is private and no token is set (set HF_TOKEN)",
    };
    match (status, code) {
        (401 | 404, Some("RepoNotFound")) => HubError::NotFound(format!(
            "{}: there is no such model repository on {}{token_hint}; check USER/NAME{detail}",
            cx.repo, cx.endpoint
        )),
        (404, Some("RevisionNotFound")) => HubError::NotFound(format!(
            "{}: the repository has no revision {:?}; give a branch, tag or commit it has{detail}",
            cx.repo,
            cx.repo.split_once('@').map_or("main", |(_, r)| r)
        )),
        (404, Some("EntryNotFound")) | (404, None) if cx.file.is_some() => HubError::NotFound(format!(
            "{}: the repository has no file {}; is it an innate genome repository (pushed with `innate push`)?{detail}",
            cx.repo,
            cx.file.unwrap_or_default()
        )),
        (404, _) => {
            HubError::NotFound(format!("{}: not found on {} ({}){detail}", cx.repo, cx.endpoint, cx.action))
        }
        (401, _) => match cx.token_source {
            Some(s) => HubError::TokenRejected {
                endpoint: cx.endpoint.to_string(),
                source_of_token: s.to_string(),
                detail,
            },
            None => HubError::NoToken { action: format!("{} ({})", cx.action, cx.repo) },
        },
        (403, _) => HubError::Forbidden {
            repo: cx.repo.to_string(),
            action: cx.action.to_string(),
            source_of_token: cx.token_source.unwrap_or("no token").to_string(),
            detail,
        },
        _ => HubError::Server { url, status, detail },
    }
}
