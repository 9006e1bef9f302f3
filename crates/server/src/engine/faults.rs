//! Fault injection: the ways a scripted server misbehaves, so client authors can test their
//! failure paths against a real peer.
//!
//! A [`Script`](crate::Script) sets them per reply (a [`Failure`] instead of the
//! reply, a delay before it, a [`Disruption`] of the connection during or after it) and for the
//! whole session ([`Faults`]: extra latency on every event, a forced close after some seconds,
//! [`RateLimits`] that fail responses once used up).
//!
//! ```
//! use std::time::Duration;
//! use rtclient_server::{Faults, RateLimits};
//!
//! let faults = Faults {
//!     latency: Duration::from_millis(50),
//!     close_after: Some(Duration::from_secs(30)),
//!     rate_limits: Some(RateLimits { requests: 3, tokens: 10_000, window: Duration::from_secs(60) }),
//! };
//! assert!(!faults.is_none());
//! ```

use std::time::Duration;

use serde::Deserialize;

/// Session-wide faults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Every server event is sent this much later than it was produced (order is kept).
    pub latency: Duration,
    /// The server closes the session with 1001 ("Your session hit the maximum duration of
    /// ...") this long after it started, as the service does at 60 minutes.
    pub close_after: Option<Duration>,
    /// Request and token budgets per window; a response over budget fails.
    pub rate_limits: Option<RateLimits>,
}

impl Faults {
    /// Whether no fault is set.
    pub fn is_none(&self) -> bool {
        *self == Faults::default()
    }
}

/// A session's request and token budgets, renewed every `window`.
///
/// Each `response.create` (explicit or from server VAD) uses one request; each finished
/// response uses its `usage.total_tokens`. A response created with either budget used up ends
/// at once with `response.done` status `failed` and `status_details.error` of type `requests`
/// or `tokens` and code `rate_limit_exceeded` (the shape of OpenAI's HTTP 429 errors).
/// `rate_limits.updated` after every response reports what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Responses per window (`u64::MAX`: no limit, reported as a typical tier's 5,000).
    pub requests: u64,
    /// Tokens per window (`u64::MAX`: no limit, reported as a typical tier's 40,000).
    pub tokens: u64,
    /// How long until the budgets are renewed, counted from the first response of a window.
    pub window: Duration,
}

/// An error a scripted response fails with, instead of replying.
///
/// The session sends an `error` event with it, then ends the response with `response.done`
/// status `failed` carrying the same error in `status_details.error`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    /// `error.type`, e.g. `server_error` (the default).
    #[serde(rename = "type", default = "Failure::default_kind")]
    pub kind: String,
    /// `error.code`, if any.
    #[serde(default)]
    pub code: Option<String>,
    /// `error.message`.
    #[serde(default = "Failure::default_message")]
    pub message: String,
}

impl Failure {
    fn default_kind() -> String {
        "server_error".to_owned()
    }

    fn default_message() -> String {
        "The server had an error while processing your request. Sorry about that!".to_owned()
    }
}

impl Default for Failure {
    fn default() -> Self {
        Self {
            kind: Failure::default_kind(),
            code: None,
            message: Failure::default_message(),
        }
    }
}

/// How a scripted response breaks the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disruption {
    /// The connection drops with no close frame (clients see 1006), as when the network fails.
    Drop {
        /// Drop once this many events of the response were sent (`response.created` is the
        /// first); `None` drops right after the response's last event.
        after_events: Option<usize>,
    },
    /// The server closes the connection with a close frame.
    Close {
        /// The close code (1000-1003, 1007-1014 or 3000-4999).
        code: u16,
        /// The close reason (at most 123 bytes are sent).
        reason: String,
        /// Close once this many events of the response were sent (`response.created` is the
        /// first); `None` closes right after the response's last event.
        after_events: Option<usize>,
    },
}

impl Disruption {
    /// After how many of the response's events it happens; `None` after the last one.
    pub fn after_events(&self) -> Option<usize> {
        match self {
            Disruption::Drop { after_events } | Disruption::Close { after_events, .. } => {
                *after_events
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_defaults_to_a_server_error() {
        let failure: Failure = serde_json::from_str("{}").unwrap();
        assert_eq!(failure, Failure::default());
        assert_eq!(failure.kind, "server_error");
        let custom: Failure =
            serde_json::from_str(r#"{"type":"invalid_request_error","code":"x","message":"m"}"#)
                .unwrap();
        assert_eq!(custom.code.as_deref(), Some("x"));
        assert!(serde_json::from_str::<Failure>(r#"{"mesage":"typo"}"#).is_err());
    }
}
