//! Errors: this crate's [`Error`] (parsing and writing events) and the API's error object
//! ([`ApiError`]) carried by `error` events.

use crate::error_code::ErrorCode;
use crate::nullable::Nullable;
use crate::wire::{MissingField, wire_struct};

/// An error parsing or writing an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid JSON, or not a JSON object.
    #[error("not a JSON event object")]
    Json(#[source] serde_json::Error),
    /// The object has no string `type`.
    #[error("event has no string \"type\" field")]
    MissingType,
    /// The event `type` is known but its fields do not match the schema.
    #[error("invalid {kind:?} event")]
    InvalidEvent {
        /// The event's `type`.
        kind: String,
        /// What is wrong with its fields.
        #[source]
        source: InvalidFields,
    },
    /// Writing JSON failed.
    #[error("could not write the event as JSON")]
    Write(#[source] serde_json::Error),
}

/// The error type of parsing (an alias of [`Error`]).
pub type ParseError = Error;

/// What is wrong with the fields of a known event: serde's account (shown as it is, with the
/// position), and the required field that is missing when that is the problem.
#[derive(Debug, thiserror::Error)]
#[error("{serde}")]
pub struct InvalidFields {
    serde: serde_json::Error,
    missing: Option<&'static str>,
}

impl InvalidFields {
    pub(crate) fn new(serde: serde_json::Error, missing: Option<MissingField>) -> Self {
        Self {
            serde,
            missing: missing.map(|m| m.0),
        }
    }

    /// The wire name of the event's required field that is absent, when that is what is wrong
    /// (`None` for any other mismatch, such as a value of the wrong type).
    pub fn missing_field(&self) -> Option<&'static str> {
        self.missing
    }

    /// serde's error: its message, line and column.
    pub fn serde_error(&self) -> &serde_json::Error {
        &self.serde
    }
}

wire_struct! {
    /// The API's error object (`error` event, `...transcription.failed`).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ApiError [object] {
        /// `invalid_request_error`, `server_error`, ...
        opt kind: String = "type",
        /// Error code, e.g. `invalid_value`, or `null`; [`ApiError::error_code`] reads it as an
        /// [`ErrorCode`].
        opt code: Nullable<String> = "code",
        /// Human-readable message.
        opt message: String = "message",
        /// The offending parameter, or `null`.
        opt param: Nullable<String> = "param",
        /// The client `event_id` that caused the error, or `null`.
        opt event_id: Nullable<String> = "event_id",
    }
}

impl ApiError {
    /// An error object with a type, code and message (`param` and `event_id` left out).
    pub fn new(
        kind: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind: Some(kind.into()),
            code: Some(Nullable::Value(code.into())),
            message: Some(message.into()),
            ..Default::default()
        }
    }

    /// The `code` as an [`ErrorCode`], when there is one (neither absent nor `null`).
    ///
    /// ```
    /// use rtclient_protocol::{ApiError, ErrorCode};
    /// let error = ApiError::new("invalid_request_error", ErrorCode::InvalidValue, "bad");
    /// assert_eq!(error.error_code(), Some(ErrorCode::InvalidValue));
    /// ```
    pub fn error_code(&self) -> Option<ErrorCode> {
        match &self.code {
            Some(Nullable::Value(code)) => Some(ErrorCode::from(code.as_str())),
            _ => None,
        }
    }

    /// Sets `param`.
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(Nullable::Value(param.into()));
        self
    }

    /// Sets `event_id` (the client event that caused the error; `None` writes `null`).
    pub fn caused_by(mut self, event_id: Option<String>) -> Self {
        self.event_id = Some(event_id.into());
        self
    }
}
