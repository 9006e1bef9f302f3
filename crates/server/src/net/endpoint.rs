//! Which Realtime endpoint a connection asked for: path shape, dialect, session kind, model.
//!
//! Every connection is resolved from its path, query string, headers and offered WebSocket
//! subprotocols into one [`SessionRequest`] before the upgrade is answered:
//!
//! | path | model from | dialect |
//! |---|---|---|
//! | `/v1/realtime` (OpenAI) | `model` | GA; beta with `OpenAI-Beta: realtime=v1` or subprotocol `openai-beta.realtime-v1` |
//! | `/openai/v1/realtime` (Azure GA) | `model` (or `deployment`) | GA; beta with the beta header |
//! | `/openai/realtime` (Azure preview) | `deployment` (or `model`) | by `api-version`: before `2025-08` (or absent) beta, from `2025-08-01` on GA; the beta header always means beta |
//! | `/voice-live/realtime` (Azure Voice Live) | `model` (or `deployment`) | beta |
//!
//! | `/v1/live/sessions` (OpenAI GPT-Live), `/v1/live/sessions/{id}/attach` (sideband), `/v1/live/sessions/{id}/fork` | `session.start` | Live |
//! | `/openai/v1/live/sessions`, `/openai/v1/live` (Azure GPT-Live), `/openai/v1/live/sessions/{id}/attach`, `.../{id}/fork` | `session.start` | Live |
//!
//! `?intent=transcription` asks for a transcription session and `?call_id=` attaches a sideband
//! control socket to an existing call; neither needs a model.

use axum::http::HeaderMap;
use rtclient_protocol::{Dialect, SessionKind};

use crate::net::refusal::Refusal;

/// The first Azure `api-version` (by date) that speaks the GA shapes on `/openai/realtime`.
const FIRST_GA_API_VERSION: &str = "2025-08-01";

/// The value of the `OpenAI-Beta` header (or one of its comma-separated items) that selects beta.
const BETA_HEADER_VALUE: &str = "realtime=v1";

/// The browser subprotocol that selects beta.
pub const BETA_SUBPROTOCOL: &str = "openai-beta.realtime-v1";

/// The path shapes the server answers, one per product surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// OpenAI: `/v1/realtime?model=M`.
    OpenAi,
    /// Azure OpenAI GA: `/openai/v1/realtime?model=DEPLOYMENT`.
    AzureGa,
    /// Azure OpenAI preview: `/openai/realtime?api-version=V&deployment=D`.
    AzurePreview,
    /// Azure AI Voice Live: `/voice-live/realtime?model=M`.
    VoiceLive,
    /// OpenAI GPT-Live: `/v1/live/sessions` (model in `session.start`).
    Live,
    /// Azure GPT-Live: `/openai/v1/live/sessions`.
    AzureLive,
    /// Azure GPT-Live, the shorter path of the first Azure how-to: `/openai/v1/live`.
    AzureLiveShort,
}

impl Route {
    /// Every route, in the order of the table above.
    pub const ALL: [Route; 7] = [
        Self::OpenAi,
        Self::AzureGa,
        Self::AzurePreview,
        Self::VoiceLive,
        Self::Live,
        Self::AzureLive,
        Self::AzureLiveShort,
    ];

    /// The URL path this route is served on.
    pub fn path(self) -> &'static str {
        match self {
            Self::OpenAi => "/v1/realtime",
            Self::AzureGa => "/openai/v1/realtime",
            Self::AzurePreview => "/openai/realtime",
            Self::VoiceLive => "/voice-live/realtime",
            Self::Live => "/v1/live/sessions",
            Self::AzureLive => "/openai/v1/live/sessions",
            Self::AzureLiveShort => "/openai/v1/live",
        }
    }

    /// The axum path of the GPT-Live sideband (`.../sessions/{session_id}/attach`) below this
    /// route, for the Live routes that have one.
    pub fn attach_path(self) -> Option<&'static str> {
        match self {
            Self::Live => Some("/v1/live/sessions/{session_id}/attach"),
            Self::AzureLive => Some("/openai/v1/live/sessions/{session_id}/attach"),
            _ => None,
        }
    }

    /// The axum path of the GPT-Live fork (`.../sessions/{session_id}/fork`) below this route,
    /// for the Live routes that have one.
    pub fn fork_path(self) -> Option<&'static str> {
        match self {
            Self::Live => Some("/v1/live/sessions/{session_id}/fork"),
            Self::AzureLive => Some("/openai/v1/live/sessions/{session_id}/fork"),
            _ => None,
        }
    }

    /// The protocol family spoken on this route, which chooses the session that serves it.
    pub fn family(self) -> Family {
        match self {
            Self::OpenAi | Self::AzureGa | Self::AzurePreview | Self::VoiceLive => Family::Realtime,
            Self::Live | Self::AzureLive | Self::AzureLiveShort => Family::Live,
        }
    }

    /// Whether this is a GPT-Live route (Live events, not Realtime).
    pub fn is_live(self) -> bool {
        self.family() == Family::Live
    }

    /// The route served on `path`, if any.
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|route| route.path() == path)
    }

    /// Whether this is one of the Azure surfaces.
    pub fn is_azure(self) -> bool {
        !matches!(self, Self::OpenAi | Self::Live)
    }
}

/// A protocol family: the events its routes speak. Each family has its own session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// The Realtime API, GA and beta dialects (Azure Voice Live included).
    Realtime,
    /// GPT-Live: full duplex, with sidebands and forks.
    Live,
}

/// How a GPT-Live connection relates to a running session named in its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveLink {
    /// A sideband (`.../sessions/{id}/attach`): watches and steers session `id`.
    Attach(String),
    /// A fork (`.../sessions/{id}/fork`): a new session continuing session `id`.
    Fork(String),
}

/// Everything the network layer learned about a connection before handing it to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest {
    route: Route,
    dialect: Dialect,
    kind: SessionKind,
    model: Option<String>,
    api_version: Option<String>,
    call_id: Option<String>,
    live_link: Option<LiveLink>,
}

impl SessionRequest {
    /// Resolves a connection from its route, raw query string, headers and offered subprotocols.
    ///
    /// Resolution never fails; [`SessionRequest::check`] says whether the request may proceed.
    pub fn resolve<'a>(
        route: Route,
        query: Option<&str>,
        headers: &HeaderMap,
        subprotocols: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let pairs: Vec<(String, String)> = query
            .and_then(|query| serde_urlencoded::from_str(query).ok())
            .unwrap_or_default();
        let param = |name: &str| {
            pairs
                .iter()
                .find(|(key, value)| key == name && !value.is_empty())
                .map(|(_, value)| value.clone())
        };
        let model = match route {
            Route::OpenAi => param("model"),
            Route::Live | Route::AzureLive | Route::AzureLiveShort => None,
            Route::AzureGa | Route::VoiceLive => param("model").or_else(|| param("deployment")),
            Route::AzurePreview => param("deployment").or_else(|| param("model")),
        };
        let api_version = param("api-version");
        let kind = if param("intent").as_deref() == Some("transcription") {
            SessionKind::Transcription
        } else {
            SessionKind::Realtime
        };
        let beta_requested = beta_header(headers)
            || subprotocols
                .into_iter()
                .any(|protocol| protocol.trim() == BETA_SUBPROTOCOL);
        let dialect = if beta_requested {
            Dialect::Beta
        } else {
            match route {
                Route::OpenAi
                | Route::AzureGa
                | Route::Live
                | Route::AzureLive
                | Route::AzureLiveShort => Dialect::Ga,
                Route::AzurePreview => preview_dialect(api_version.as_deref()),
                Route::VoiceLive => Dialect::Beta,
            }
        };
        Self {
            route,
            dialect,
            kind,
            model,
            api_version,
            call_id: param("call_id"),
            live_link: None,
        }
    }

    /// The request as a GPT-Live sideband or fork of a running session.
    pub fn linked(mut self, link: LiveLink) -> Self {
        self.live_link = Some(link);
        self
    }

    /// The running GPT-Live session this sideband or fork names, if it is one.
    pub fn live_link(&self) -> Option<&LiveLink> {
        self.live_link.as_ref()
    }

    /// Whether the request may open a session: `Err` with the refusal to send otherwise.
    ///
    /// With `refuse_beta`, a beta-shaped request is refused first (`beta_api_shape_disabled`);
    /// then a realtime request without a model or call id is refused (`missing_model`), and one
    /// whose model is not UTF-8 (`invalid_model`).
    pub fn check(&self, refuse_beta: bool) -> Result<(), Refusal> {
        if refuse_beta && self.dialect == Dialect::Beta && !self.route.is_live() {
            return Err(Refusal::BETA_API_SHAPE_DISABLED);
        }
        let needs_model =
            self.kind == SessionKind::Realtime && self.call_id.is_none() && !self.route.is_live();
        if needs_model && self.model.is_none() {
            return Err(Refusal::MISSING_MODEL);
        }
        // Query decoding replaces bytes that are not UTF-8 with U+FFFD.
        if self
            .model
            .as_deref()
            .is_some_and(|m| m.contains('\u{FFFD}'))
        {
            return Err(Refusal::INVALID_MODEL);
        }
        Ok(())
    }

    /// The path shape the client dialled.
    pub fn route(&self) -> Route {
        self.route
    }

    /// The wire dialect the session speaks.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Realtime (`?model=`, or a sideband `?call_id=`) or transcription
    /// (`?intent=transcription`) session.
    pub fn kind(&self) -> &SessionKind {
        &self.kind
    }

    /// The model (OpenAI) or deployment name (Azure), if given.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// Whether the client dialled an Azure surface.
    pub fn is_azure(&self) -> bool {
        self.route.is_azure()
    }

    /// The Azure `api-version` query parameter, if given.
    pub fn api_version(&self) -> Option<&str> {
        self.api_version.as_deref()
    }

    /// The call id of a sideband connection (`?call_id=`), if given.
    pub fn call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }
}

/// Whether an `OpenAI-Beta` header selects the beta Realtime shapes.
fn beta_header(headers: &HeaderMap) -> bool {
    headers
        .get_all("openai-beta")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(BETA_HEADER_VALUE))
}

/// The dialect of the Azure preview path for an `api-version`: dates from 2025-08 on are GA.
fn preview_dialect(api_version: Option<&str>) -> Dialect {
    let Some(date) = api_version.and_then(|version| version.get(..10)) else {
        return Dialect::Beta;
    };
    let shape_ok = date.bytes().enumerate().all(|(index, byte)| match index {
        4 | 7 => byte == b'-',
        _ => byte.is_ascii_digit(),
    });
    if shape_ok && date >= FIRST_GA_API_VERSION {
        Dialect::Ga
    } else {
        Dialect::Beta
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn resolve(route: Route, query: &str, beta: bool, protocols: &[&str]) -> SessionRequest {
        let mut headers = HeaderMap::new();
        if beta {
            headers.insert("openai-beta", HeaderValue::from_static("realtime=v1"));
        }
        SessionRequest::resolve(route, Some(query), &headers, protocols.iter().copied())
    }

    #[test]
    fn routes_round_trip_their_paths() {
        for route in Route::ALL {
            assert_eq!(Route::from_path(route.path()), Some(route));
        }
        assert_eq!(Route::from_path("/v1/realtime/"), None);
        assert_eq!(Route::from_path("/v1/chat"), None);
        assert!(!Route::OpenAi.is_azure());
        assert!(Route::AzureGa.is_azure() && Route::AzurePreview.is_azure());
        assert!(Route::VoiceLive.is_azure());
    }

    /// One row per path shape: (route, query, beta header, subprotocols) -> (dialect, kind,
    /// model, api-version, call id, check outcome).
    #[test]
    fn resolution_table() {
        type Row = (
            Route,
            &'static str,
            bool,
            &'static [&'static str],
            Dialect,
            SessionKind,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            Result<(), Refusal>,
        );
        use Dialect::{Beta, Ga};
        use SessionKind::{Realtime, Transcription};
        let ok = Ok(());
        let missing = Err(Refusal::MISSING_MODEL);
        #[rustfmt::skip]
        let rows: Vec<Row> = vec![
            // OpenAI GA, as the openai SDK dials it.
            (Route::OpenAi, "model=gpt-realtime", false, &[], Ga, Realtime, Some("gpt-realtime"), None, None, ok.clone()),
            // OpenAI beta: header, or browser subprotocol.
            (Route::OpenAi, "model=gpt-4o-realtime-preview", true, &[], Beta, Realtime, Some("gpt-4o-realtime-preview"), None, None, ok.clone()),
            (Route::OpenAi, "model=m", false, &["realtime", "openai-beta.realtime-v1"], Beta, Realtime, Some("m"), None, None, ok.clone()),
            (Route::OpenAi, "model=m", false, &["realtime", "openai-insecure-api-key.k"], Ga, Realtime, Some("m"), None, None, ok.clone()),
            // Transcription and sideband need no model.
            (Route::OpenAi, "intent=transcription", false, &[], Ga, Transcription, None, None, None, ok.clone()),
            (Route::OpenAi, "intent=transcription", true, &[], Beta, Transcription, None, None, None, ok.clone()),
            (Route::OpenAi, "call_id=rtc_123", false, &[], Ga, Realtime, None, None, Some("rtc_123"), ok.clone()),
            (Route::OpenAi, "intent=other", false, &[], Ga, Realtime, None, None, None, missing.clone()),
            // Missing or empty model.
            (Route::OpenAi, "", false, &[], Ga, Realtime, None, None, None, missing.clone()),
            (Route::OpenAi, "model=", false, &[], Ga, Realtime, None, None, None, missing.clone()),
            (Route::OpenAi, "deployment=d", false, &[], Ga, Realtime, None, None, None, missing.clone()),
            // Azure GA.
            (Route::AzureGa, "model=my-deploy", false, &[], Ga, Realtime, Some("my-deploy"), None, None, ok.clone()),
            (Route::AzureGa, "deployment=my-deploy", false, &[], Ga, Realtime, Some("my-deploy"), None, None, ok.clone()),
            (Route::AzureGa, "model=d", true, &[], Beta, Realtime, Some("d"), None, None, ok.clone()),
            (Route::AzureGa, "call_id=c1", false, &[], Ga, Realtime, None, None, Some("c1"), ok.clone()),
            (Route::AzureGa, "", false, &[], Ga, Realtime, None, None, None, missing.clone()),
            // Azure preview: beta-era api-versions, GA ones, the beta header, missing version.
            (Route::AzurePreview, "api-version=2024-10-01-preview&deployment=d", false, &[], Beta, Realtime, Some("d"), Some("2024-10-01-preview"), None, ok.clone()),
            (Route::AzurePreview, "api-version=2024-12-17&deployment=d", false, &[], Beta, Realtime, Some("d"), Some("2024-12-17"), None, ok.clone()),
            (Route::AzurePreview, "api-version=2025-04-01-preview&deployment=d", true, &[], Beta, Realtime, Some("d"), Some("2025-04-01-preview"), None, ok.clone()),
            (Route::AzurePreview, "api-version=2025-07-31&deployment=d", false, &[], Beta, Realtime, Some("d"), Some("2025-07-31"), None, ok.clone()),
            (Route::AzurePreview, "api-version=2025-08-08&deployment=d", false, &[], Ga, Realtime, Some("d"), Some("2025-08-08"), None, ok.clone()),
            (Route::AzurePreview, "api-version=2025-08-28&deployment=d", false, &[], Ga, Realtime, Some("d"), Some("2025-08-28"), None, ok.clone()),
            (Route::AzurePreview, "api-version=2025-08-28&deployment=d", true, &[], Beta, Realtime, Some("d"), Some("2025-08-28"), None, ok.clone()),
            (Route::AzurePreview, "api-version=latest&deployment=d", false, &[], Beta, Realtime, Some("d"), Some("latest"), None, ok.clone()),
            (Route::AzurePreview, "deployment=d", false, &[], Beta, Realtime, Some("d"), None, None, ok.clone()),
            (Route::AzurePreview, "api-version=2025-04-01-preview&model=m", false, &[], Beta, Realtime, Some("m"), Some("2025-04-01-preview"), None, ok.clone()),
            (Route::AzurePreview, "api-version=2025-04-01-preview&intent=transcription", false, &[], Beta, Transcription, None, Some("2025-04-01-preview"), None, ok.clone()),
            (Route::AzurePreview, "api-version=2025-04-01-preview", false, &[], Beta, Realtime, None, Some("2025-04-01-preview"), None, missing.clone()),
            // Azure Voice Live: always beta.
            (Route::VoiceLive, "api-version=2025-10-01&model=gpt-realtime", false, &[], Beta, Realtime, Some("gpt-realtime"), Some("2025-10-01"), None, ok.clone()),
            (Route::VoiceLive, "api-version=2025-10-01", false, &[], Beta, Realtime, None, Some("2025-10-01"), None, missing.clone()),
        ];
        for (route, query, beta, protocols, dialect, kind, model, api_version, call_id, check) in
            rows
        {
            let request = resolve(route, query, beta, protocols);
            let context = format!("{route:?} ?{query} beta={beta} {protocols:?}");
            assert_eq!(request.route(), route, "{context}");
            assert_eq!(request.dialect(), dialect, "{context}");
            assert_eq!(request.kind(), &kind, "{context}");
            assert_eq!(request.model(), model, "{context}");
            assert_eq!(request.api_version(), api_version, "{context}");
            assert_eq!(request.call_id(), call_id, "{context}");
            assert_eq!(request.is_azure(), route.is_azure(), "{context}");
            assert_eq!(request.check(false), check, "{context}");
        }
    }

    #[test]
    fn refuse_beta_refuses_every_beta_request_first() {
        let beta = resolve(Route::OpenAi, "", true, &[]);
        assert_eq!(beta.check(true), Err(Refusal::BETA_API_SHAPE_DISABLED));
        assert_eq!(beta.check(false), Err(Refusal::MISSING_MODEL));
        let preview = resolve(
            Route::AzurePreview,
            "api-version=2024-12-17&deployment=d",
            false,
            &[],
        );
        assert_eq!(preview.check(true), Err(Refusal::BETA_API_SHAPE_DISABLED));
        let voice_live = resolve(Route::VoiceLive, "model=m", false, &[]);
        assert_eq!(
            voice_live.check(true),
            Err(Refusal::BETA_API_SHAPE_DISABLED)
        );
        let ga = resolve(Route::OpenAi, "model=m", false, &[]);
        assert_eq!(ga.check(true), Ok(()));
    }

    #[test]
    fn beta_header_forms() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "OpenAI-Beta",
            HeaderValue::from_static("assistants=v2, Realtime=V1"),
        );
        let request = SessionRequest::resolve(Route::OpenAi, Some("model=m"), &headers, []);
        assert_eq!(request.dialect(), Dialect::Beta);
        headers.insert("OpenAI-Beta", HeaderValue::from_static("realtime=v2"));
        let request = SessionRequest::resolve(Route::OpenAi, Some("model=m"), &headers, []);
        assert_eq!(request.dialect(), Dialect::Ga);
    }

    #[test]
    fn query_is_percent_decoded_and_garbage_tolerated() {
        let request = resolve(Route::OpenAi, "model=gpt%2Drealtime&x=%zz", false, &[]);
        // A malformed query is treated as absent rather than failing.
        assert!(request.model().is_none() || request.model() == Some("gpt-realtime"));
        let request = resolve(Route::OpenAi, "model=a+b", false, &[]);
        assert_eq!(request.model(), Some("a b"));
        let none = SessionRequest::resolve(Route::OpenAi, None, &HeaderMap::new(), []);
        assert_eq!(none.check(false), Err(Refusal::MISSING_MODEL));
    }
}
