//! Where to connect: OpenAI, Azure OpenAI (GA or preview) or any Realtime-compatible URL, or a
//! GPT-Live endpoint of OpenAI or Azure.

use rtclient_protocol::Dialect;
use url::Url;

use crate::{
    error::Error,
    secret::{RedactedUrl, redact_url},
};

/// The public OpenAI endpoint.
pub const OPENAI_ENDPOINT: &str = "https://api.openai.com";

/// What kind of session an OpenAI (or OpenAI-compatible) socket opens; exactly one of the three
/// query parameters the API accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenAiSession {
    /// `?model=M`: a speech/text session with this model.
    Model(String),
    /// `?intent=transcription`: a transcription session.
    Transcription,
    /// `?call_id=ID`: the sideband control socket of an existing WebRTC or SIP call (GA).
    Call(String),
}

impl OpenAiSession {
    /// A session with `model`.
    pub fn model(model: impl Into<String>) -> Self {
        Self::Model(model.into())
    }

    /// The sideband socket of call `call_id`.
    pub fn call(call_id: impl Into<String>) -> Self {
        Self::Call(call_id.into())
    }
}

/// The provider family of a [`Target`]; decides headers and the default dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetKind {
    /// OpenAI or an OpenAI-compatible server (`/v1/realtime`).
    OpenAi,
    /// Azure OpenAI GA (`/openai/v1/realtime?model=`).
    AzureGa,
    /// Azure OpenAI preview (`/openai/realtime?api-version=&deployment=`), beta dialect.
    AzurePreview,
    /// Any other `ws://` / `wss://` URL, used as given.
    Custom,
    /// GPT-Live at OpenAI or an OpenAI-compatible server (`/v1/live/sessions`).
    OpenAiLive,
    /// GPT-Live at Azure OpenAI / Foundry (`/openai/v1/live/sessions` or `/openai/v1/live`).
    AzureLive,
}

impl TargetKind {
    /// Whether this is an Azure OpenAI target (sends `x-ms-client-request-id`).
    pub fn is_azure(self) -> bool {
        matches!(
            self,
            TargetKind::AzureGa | TargetKind::AzurePreview | TargetKind::AzureLive
        )
    }

    /// Whether this is a GPT-Live target (Live events, not Realtime).
    pub fn is_live(self) -> bool {
        matches!(self, TargetKind::OpenAiLive | TargetKind::AzureLive)
    }
}

/// Which GPT-Live socket to open: a new session, a sideband attached to a running one, or a fork
/// of a stored one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LiveEndpoint {
    /// `/live/sessions`: a new session (send `session.start` first).
    Sessions,
    /// `/live/sessions/{id}/attach`: watch and steer a running session from a server (no
    /// `session.start`, no input audio). `graceful_close` asks for the closing handshake when
    /// the session ends.
    Attach {
        /// The running session's id.
        session_id: String,
        /// Sends `?graceful_close=true`.
        graceful_close: bool,
    },
    /// `/live/sessions/{id}/fork`: a new session continuing a stored one (send `session.start`
    /// with fork overrides first).
    Fork {
        /// The stored session's id.
        session_id: String,
    },
}

impl LiveEndpoint {
    /// A sideband attached to `session_id`.
    pub fn attach(session_id: impl Into<String>) -> Self {
        Self::Attach {
            session_id: session_id.into(),
            graceful_close: false,
        }
    }

    /// A fork of `session_id`.
    pub fn fork(session_id: impl Into<String>) -> Self {
        Self::Fork {
            session_id: session_id.into(),
        }
    }

    /// The path below `.../live`, and the query if any.
    fn path_and_query(&self) -> (String, Option<&'static str>) {
        match self {
            LiveEndpoint::Sessions => ("/sessions".to_owned(), None),
            LiveEndpoint::Attach {
                session_id,
                graceful_close,
            } => (
                format!("/sessions/{}/attach", path_segment(session_id)),
                graceful_close.then_some("graceful_close=true"),
            ),
            LiveEndpoint::Fork { session_id } => {
                (format!("/sessions/{}/fork", path_segment(session_id)), None)
            }
        }
    }
}

/// `text` with every character outside the URL path-segment set percent-encoded.
fn path_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A WebSocket URL plus what kind of server is behind it and which dialect it speaks.
///
/// The [`Dialect`] follows the target: Azure preview speaks beta, everything else GA, and
/// [`Target::with_dialect`] forces either. For OpenAI and custom targets the beta dialect also
/// sends the header `OpenAI-Beta: realtime=v1`.
///
/// ```
/// use rtclient::{OpenAiSession, Target};
///
/// let target = Target::openai(OpenAiSession::model("gpt-realtime"));
/// assert_eq!(target.url().as_str(), "wss://api.openai.com/v1/realtime?model=gpt-realtime");
///
/// let azure = Target::azure("https://my-res.openai.azure.com", "my-deployment")?;
/// assert_eq!(azure.url().as_str(), "wss://my-res.openai.azure.com/openai/v1/realtime?model=my-deployment");
/// # Ok::<(), rtclient::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    url: Url,
    kind: TargetKind,
    dialect: Dialect,
}

impl Target {
    /// The public OpenAI API (`wss://api.openai.com/v1/realtime`), GA dialect.
    pub fn openai(session: OpenAiSession) -> Self {
        match Self::openai_at(OPENAI_ENDPOINT, session) {
            Ok(target) => target,
            // `OPENAI_ENDPOINT` is a constant https URL with a host, which always converts.
            Err(_) => unreachable!("the OpenAI endpoint constant is a valid URL"),
        }
    }

    /// An OpenAI-compatible server at `endpoint` (e.g. `http://localhost:8080`): the path becomes
    /// `/v1/realtime` below the endpoint's path, GA dialect.
    pub fn openai_at(endpoint: &str, session: OpenAiSession) -> Result<Self, Error> {
        let mut url = websocket_url(endpoint)?;
        let base = url
            .path()
            .trim_end_matches('/')
            .trim_end_matches("/v1")
            .to_owned();
        url.set_path(&format!("{base}/v1/realtime"));
        set_openai_query(&mut url, &session);
        Ok(Self {
            url,
            kind: TargetKind::OpenAi,
            dialect: Dialect::Ga,
        })
    }

    /// Azure OpenAI GA: `wss://RES.openai.azure.com/openai/v1/realtime?model=DEPLOYMENT`.
    ///
    /// `endpoint` is the resource endpoint (`https://RES.openai.azure.com`); a trailing `/openai`
    /// or `/openai/v1` is accepted too.
    pub fn azure(endpoint: &str, deployment: &str) -> Result<Self, Error> {
        let (mut url, base) = azure_base(endpoint)?;
        url.set_path(&format!("{base}/openai/v1/realtime"));
        url.query_pairs_mut().append_pair("model", deployment);
        Ok(Self {
            url,
            kind: TargetKind::AzureGa,
            dialect: Dialect::Ga,
        })
    }

    /// Azure OpenAI preview:
    /// `wss://RES.openai.azure.com/openai/realtime?api-version=V&deployment=D`, beta dialect.
    pub fn azure_preview(
        endpoint: &str,
        deployment: &str,
        api_version: &str,
    ) -> Result<Self, Error> {
        let (mut url, base) = azure_base(endpoint)?;
        url.set_path(&format!("{base}/openai/realtime"));
        url.query_pairs_mut()
            .append_pair("api-version", api_version)
            .append_pair("deployment", deployment);
        Ok(Self {
            url,
            kind: TargetKind::AzurePreview,
            dialect: Dialect::Beta,
        })
    }

    /// Any `ws://`, `wss://`, `http://` or `https://` URL, used as given (`http` becomes `ws`,
    /// `https` becomes `wss`), GA dialect.
    pub fn custom(url: &str) -> Result<Self, Error> {
        Ok(Self {
            url: websocket_url(url)?,
            kind: TargetKind::Custom,
            dialect: Dialect::Ga,
        })
    }

    /// GPT-Live at OpenAI: `wss://api.openai.com/v1/live/sessions[/{id}/attach|fork]`. The model
    /// goes in `session.start`, never in the URL.
    pub fn openai_live(endpoint: LiveEndpoint) -> Self {
        match Self::openai_live_at(OPENAI_ENDPOINT, endpoint) {
            Ok(target) => target,
            // `OPENAI_ENDPOINT` is a constant https URL with a host, which always converts.
            Err(_) => unreachable!("the OpenAI endpoint constant is a valid URL"),
        }
    }

    /// GPT-Live at an OpenAI-compatible server (e.g. `rtclient serve` at
    /// `http://127.0.0.1:8080`): `/v1/live/sessions...` below the endpoint's path.
    pub fn openai_live_at(endpoint: &str, live: LiveEndpoint) -> Result<Self, Error> {
        let mut url = websocket_url(endpoint)?;
        url.set_query(None);
        let base = url
            .path()
            .trim_end_matches('/')
            .trim_end_matches("/v1")
            .to_owned();
        let (path, query) = live.path_and_query();
        url.set_path(&format!("{base}/v1/live{path}"));
        url.set_query(query);
        Ok(Self {
            url,
            kind: TargetKind::OpenAiLive,
            dialect: Dialect::Ga,
        })
    }

    /// GPT-Live at Azure OpenAI / Foundry:
    /// `wss://RES.openai.azure.com/openai/v1/live/sessions[/{id}/attach|fork]` (no api-version;
    /// the deployment goes in `session.start` as the model). Authenticate with
    /// `Authorization: Bearer` and an API key ([`Credential::bearer_key`](crate::Credential::bearer_key))
    /// or an Entra token ([`Credential::token`](crate::Credential::token)); an `api-key`
    /// credential is sent as a bearer key, as Azure's Live examples do.
    pub fn azure_live(endpoint: &str, live: LiveEndpoint) -> Result<Self, Error> {
        let (mut url, base) = azure_base(endpoint)?;
        let (path, query) = live.path_and_query();
        url.set_path(&format!("{base}/openai/v1/live{path}"));
        url.set_query(query);
        Ok(Self {
            url,
            kind: TargetKind::AzureLive,
            dialect: Dialect::Ga,
        })
    }

    /// GPT-Live at Azure with the shorter primary path of the first Azure how-to:
    /// `wss://RES.openai.azure.com/openai/v1/live`.
    pub fn azure_live_short_path(endpoint: &str) -> Result<Self, Error> {
        let (mut url, base) = azure_base(endpoint)?;
        url.set_path(&format!("{base}/openai/v1/live"));
        Ok(Self {
            url,
            kind: TargetKind::AzureLive,
            dialect: Dialect::Ga,
        })
    }

    /// Forces the dialect. For OpenAI and custom targets [`Dialect::Beta`] adds the header
    /// `OpenAI-Beta: realtime=v1` (OpenAI itself refuses it since 2026-05 with close 4000
    /// `beta_api_shape_disabled`; compatible servers and proxies may still speak it).
    pub fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// The WebSocket URL, secrets included if the user put any in it. Print it with
    /// [`Target::redacted_url`].
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL for printing: secret query values and passwords show as `REDACTED`.
    pub fn redacted_url(&self) -> RedactedUrl {
        RedactedUrl::new(self.url.clone())
    }

    /// The provider family.
    pub fn kind(&self) -> TargetKind {
        self.kind
    }

    /// The dialect events are written and read in: [`Dialect::Beta`] for Azure preview,
    /// [`Dialect::Ga`] otherwise, unless forced with [`Target::with_dialect`].
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Whether the `OpenAI-Beta: realtime=v1` header is sent.
    pub fn sends_beta_header(&self) -> bool {
        self.dialect == Dialect::Beta
            && matches!(self.kind, TargetKind::OpenAi | TargetKind::Custom)
    }

    /// `host[:port]` for error messages.
    pub(crate) fn host_for_errors(&self) -> String {
        match (self.url.host_str(), self.url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => "<no host>".to_owned(),
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &redact_url(&self.url))
            .field("kind", &self.kind)
            .field("dialect", &self.dialect)
            .finish()
    }
}

fn set_openai_query(url: &mut Url, session: &OpenAiSession) {
    let mut query = url.query_pairs_mut();
    match session {
        OpenAiSession::Model(model) => query.append_pair("model", model),
        OpenAiSession::Transcription => query.append_pair("intent", "transcription"),
        OpenAiSession::Call(call_id) => query.append_pair("call_id", call_id),
    };
}

/// The Azure resource URL with the scheme made WebSocket and no query, plus its path cut before
/// any `/openai` or `/openai/v1` suffix, without a trailing slash.
fn azure_base(endpoint: &str) -> Result<(Url, String), Error> {
    let mut url = websocket_url(endpoint)?;
    url.set_query(None);
    let path = url.path().trim_end_matches('/');
    let base = path
        .strip_suffix("/openai/v1")
        .or_else(|| path.strip_suffix("/openai"))
        .unwrap_or(path)
        .to_owned();
    Ok((url, base))
}

/// Parses `text` and turns `http`/`https` into `ws`/`wss`.
fn websocket_url(text: &str) -> Result<Url, Error> {
    let invalid = |reason: String| Error::InvalidUrl {
        url: Url::parse(text)
            .map(|u| redact_url(&u))
            .unwrap_or_else(|_| "<unparsable>".to_owned()),
        reason,
    };
    let mut url = Url::parse(text.trim()).map_err(|e| invalid(e.to_string()))?;
    let scheme = match url.scheme() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => {
            return Err(invalid(format!(
                "unsupported scheme `{other}`; use wss://, ws://, https:// or http://"
            )));
        }
    };
    if url.scheme() != scheme {
        url.set_scheme(scheme)
            .map_err(|()| invalid(format!("cannot change the scheme to {scheme}")))?;
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".to_owned()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_urls() {
        assert_eq!(
            Target::openai(OpenAiSession::Transcription).url().as_str(),
            "wss://api.openai.com/v1/realtime?intent=transcription"
        );
        assert_eq!(
            Target::openai(OpenAiSession::call("rtc_1")).url().as_str(),
            "wss://api.openai.com/v1/realtime?call_id=rtc_1"
        );
    }

    #[test]
    fn azure_urls_accept_suffixes_and_https() -> Result<(), Error> {
        for endpoint in [
            "https://res.openai.azure.com",
            "https://res.openai.azure.com/",
            "https://res.openai.azure.com/openai",
            "https://res.openai.azure.com/openai/v1/",
        ] {
            assert_eq!(
                Target::azure(endpoint, "dep")?.url().as_str(),
                "wss://res.openai.azure.com/openai/v1/realtime?model=dep",
                "{endpoint}"
            );
        }
        let preview =
            Target::azure_preview("https://res.openai.azure.com", "dep", "2025-04-01-preview")?;
        assert_eq!(
            preview.url().as_str(),
            "wss://res.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=dep"
        );
        assert_eq!(preview.dialect(), Dialect::Beta);
        assert!(!preview.sends_beta_header());
        Ok(())
    }

    #[test]
    fn custom_urls_convert_schemes_and_reject_others() -> Result<(), Error> {
        assert_eq!(
            Target::custom("http://localhost:8080/x?a=b")?
                .url()
                .as_str(),
            "ws://localhost:8080/x?a=b"
        );
        assert_eq!(
            Target::custom("https://example.com/rt")?.url().as_str(),
            "wss://example.com/rt"
        );
        assert!(matches!(
            Target::custom("ftp://example.com"),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            Target::custom("not a url"),
            Err(Error::InvalidUrl { .. })
        ));
        Ok(())
    }

    #[test]
    fn live_urls() -> Result<(), Error> {
        assert_eq!(
            Target::openai_live(LiveEndpoint::Sessions).url().as_str(),
            "wss://api.openai.com/v1/live/sessions"
        );
        let attach = LiveEndpoint::Attach {
            session_id: "live_u7_a/b".to_owned(),
            graceful_close: true,
        };
        assert_eq!(
            Target::openai_live(attach).url().as_str(),
            "wss://api.openai.com/v1/live/sessions/live_u7_a%2Fb/attach?graceful_close=true"
        );
        let fork = Target::openai_live_at("http://127.0.0.1:9/v1", LiveEndpoint::fork("live_1"))?;
        assert_eq!(
            fork.url().as_str(),
            "ws://127.0.0.1:9/v1/live/sessions/live_1/fork"
        );
        assert!(fork.kind().is_live() && !fork.kind().is_azure());
        let azure = Target::azure_live(
            "https://res.openai.azure.com/openai/v1",
            LiveEndpoint::Sessions,
        )?;
        assert_eq!(
            azure.url().as_str(),
            "wss://res.openai.azure.com/openai/v1/live/sessions"
        );
        assert!(azure.kind().is_live() && azure.kind().is_azure());
        assert_eq!(
            Target::azure_live(
                "https://res.openai.azure.com",
                LiveEndpoint::attach("live_1")
            )?
            .url()
            .as_str(),
            "wss://res.openai.azure.com/openai/v1/live/sessions/live_1/attach"
        );
        assert_eq!(
            Target::azure_live_short_path("https://res.openai.azure.com/")?
                .url()
                .as_str(),
            "wss://res.openai.azure.com/openai/v1/live"
        );
        Ok(())
    }

    #[test]
    fn openai_at_appends_v1_realtime() -> Result<(), Error> {
        let target = Target::openai_at("http://127.0.0.1:9000", OpenAiSession::model("m"))?
            .with_dialect(Dialect::Beta);
        assert_eq!(
            target.url().as_str(),
            "ws://127.0.0.1:9000/v1/realtime?model=m"
        );
        assert!(target.sends_beta_header());
        Ok(())
    }
}
