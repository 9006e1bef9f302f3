//! Why a connection is refused after the upgrade (or a session shed later), and the `error`
//! event that says so.
//!
//! OpenAI answers every WebSocket upgrade with 101, even for a bad key or a missing model; the
//! failure then arrives as one `error` event followed by a server close: **3000** for
//! authentication, **4000** for request-shape problems. The close reason is `error.type` +
//! `"."` + `error.code` (just `error.type` when there is no code). A [`Refusal`] holds exactly
//! those facts, and [`refusal_event`] is the one place that turns it into JSON.

use rtclient_protocol::{ApiError, Dialect, Nullable, ServerEvent};

/// Close code OpenAI sends after an authentication failure.
pub const CLOSE_AUTH: u16 = 3000;

/// Close code OpenAI sends after a request-shape failure (model, beta shape).
pub const CLOSE_REQUEST_SHAPE: u16 = 4000;

/// Close code for a session shed because the server cannot keep up with it (RFC 6455 "Try
/// Again Later").
pub const CLOSE_TRY_AGAIN_LATER: u16 = 1013;

/// The `error.type` of every refusal.
const INVALID_REQUEST_ERROR: &str = "invalid_request_error";

/// A reason to refuse a connection right after the upgrade, or to shed a running session: an
/// `error` event, then a close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    kind: &'static str,
    code: Option<&'static str>,
    message: &'static str,
    close_code: u16,
}

impl Refusal {
    /// No credential at all while the server requires an API key (close 3000, no code).
    pub const MISSING_API_KEY: Self = Self {
        kind: INVALID_REQUEST_ERROR,
        code: None,
        message: "You didn't provide an API key. You need to provide your API key in an \
                  Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        close_code: CLOSE_AUTH,
    };

    /// A credential that does not match the configured API key (close 3000). The key is never
    /// echoed.
    pub const INVALID_API_KEY: Self = Self {
        kind: INVALID_REQUEST_ERROR,
        code: Some("invalid_api_key"),
        message: "Incorrect API key provided. Check the key configured for this local \
                  Realtime server.",
        close_code: CLOSE_AUTH,
    };

    /// A beta-shaped connection while the server refuses the beta dialect (close 4000).
    pub const BETA_API_SHAPE_DISABLED: Self = Self {
        kind: INVALID_REQUEST_ERROR,
        code: Some("beta_api_shape_disabled"),
        message: "The Realtime Beta API is no longer supported. Please use /v1/realtime for the \
                  GA API.",
        close_code: CLOSE_REQUEST_SHAPE,
    };

    /// No `model` (or Azure `deployment`) on a connection that needs one (close 4000).
    pub const MISSING_MODEL: Self = Self {
        kind: INVALID_REQUEST_ERROR,
        code: Some("missing_model"),
        message: "You must provide a model parameter.",
        close_code: CLOSE_REQUEST_SHAPE,
    };

    /// A `model` that is not valid UTF-8 once percent-decoded, so names no model (close 4000).
    pub const INVALID_MODEL: Self = Self {
        kind: INVALID_REQUEST_ERROR,
        code: Some("invalid_model"),
        message: "The model parameter is not valid UTF-8, so it names no model.",
        close_code: CLOSE_REQUEST_SHAPE,
    };

    /// A running session whose client sent far more than the session could take in (close
    /// 1013): the server sheds it rather than buffer without bound.
    pub const SESSION_OVERLOADED: Self = Self {
        kind: "server_error",
        code: Some("session_overloaded"),
        message: "The server could not keep up with the input of this session. Reconnect and \
                  send audio no faster than real time.",
        close_code: CLOSE_TRY_AGAIN_LATER,
    };

    /// The `error.type` of the event, e.g. `invalid_request_error`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The `error.code` of the event, e.g. `invalid_api_key`; `None` is sent as `null`.
    pub fn code(&self) -> Option<&'static str> {
        self.code
    }

    /// The human-readable `error.message`.
    pub fn message(&self) -> &'static str {
        self.message
    }

    /// The WebSocket close code that follows the event (3000, 4000, or 1013 for a shed session).
    pub fn close_code(&self) -> u16 {
        self.close_code
    }

    /// The close reason: `error.type` + `"."` + `error.code`, or `error.type` alone.
    pub fn close_reason(&self) -> String {
        match self.code {
            Some(code) => format!("{}.{code}", self.kind),
            None => self.kind.to_owned(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.close_reason(), self.message)
    }
}

impl std::error::Error for Refusal {}

/// The `error` event sent before a refusal close.
///
/// The shape is the same in the GA and beta dialects. `event_id` is `event_` plus
/// `event_suffix` (any unique string); `param` and `error.event_id` are `null`.
pub(crate) fn refusal_error(refusal: &Refusal, event_suffix: &str) -> ServerEvent {
    let mut event = ServerEvent::error(ApiError {
        kind: Some(refusal.kind.to_owned()),
        code: Some(refusal.code.map(str::to_owned).into()),
        message: Some(refusal.message.to_owned()),
        param: Some(Nullable::Null),
        event_id: Some(Nullable::Null),
        ..Default::default()
    });
    event.set_event_id(format!("event_{event_suffix}"));
    event
}

/// The [`refusal_error`] event as JSON text, ready to send.
pub(crate) fn refusal_event(refusal: &Refusal, event_suffix: &str) -> String {
    Dialect::Ga
        .server_event_to_json(&refusal_error(refusal, event_suffix))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reason_joins_type_and_code() {
        assert_eq!(
            Refusal::INVALID_API_KEY.close_reason(),
            "invalid_request_error.invalid_api_key"
        );
        assert_eq!(
            Refusal::BETA_API_SHAPE_DISABLED.close_reason(),
            "invalid_request_error.beta_api_shape_disabled"
        );
        assert_eq!(
            Refusal::MISSING_MODEL.close_reason(),
            "invalid_request_error.missing_model"
        );
        assert_eq!(
            Refusal::MISSING_API_KEY.close_reason(),
            "invalid_request_error"
        );
    }

    #[test]
    fn close_codes_follow_openai() {
        assert_eq!(Refusal::MISSING_API_KEY.close_code(), 3000);
        assert_eq!(Refusal::INVALID_API_KEY.close_code(), 3000);
        assert_eq!(Refusal::BETA_API_SHAPE_DISABLED.close_code(), 4000);
        assert_eq!(Refusal::MISSING_MODEL.close_code(), 4000);
    }

    #[test]
    fn event_has_the_error_shape() {
        let text = refusal_event(&Refusal::BETA_API_SHAPE_DISABLED, "x1");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], "error");
        assert_eq!(value["event_id"], "event_x1");
        assert_eq!(value["error"]["type"], "invalid_request_error");
        assert_eq!(value["error"]["code"], "beta_api_shape_disabled");
        assert_eq!(
            value["error"]["message"],
            "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API."
        );
        assert!(value["error"]["param"].is_null());
        assert!(value["error"]["event_id"].is_null());
        let missing = refusal_event(&Refusal::MISSING_API_KEY, "x2");
        let value: serde_json::Value = serde_json::from_str(&missing).unwrap();
        assert!(value["error"]["code"].is_null());
    }
}
