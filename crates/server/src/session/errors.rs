//! The `error` events a session sends for bad client input: one [`ClientError`] (a typed
//! [`ErrorCode`], a message, a param) for both protocol families, written as a Realtime
//! `error` event or a GPT-Live error.

use rtclient_protocol::live::LiveError;
use rtclient_protocol::{ApiError, Error, ErrorCode, InvalidFields, Nullable, ServerEvent};

/// `error.type` of every client error.
const INVALID_REQUEST: &str = "invalid_request_error";

/// A client error: code, message, optional param; `event_id` filled in by the caller.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClientError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    pub(crate) param: Option<String>,
}

impl ClientError {
    /// An error without a param.
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            param: None,
        }
    }

    /// Sets the param.
    pub(crate) fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// `invalid_value` on `param`.
    pub(crate) fn invalid_value(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidValue, message).param(param)
    }

    /// The `error` event, naming the offending client event.
    pub(crate) fn into_event(self, event_id: Option<String>) -> ServerEvent {
        ServerEvent::error(ApiError {
            kind: Some(INVALID_REQUEST.to_owned()),
            code: Some(Nullable::Value(self.code.into())),
            message: Some(self.message),
            param: Some(self.param.into()),
            event_id: Some(event_id.into()),
            ..Default::default()
        })
    }

    /// The GPT-Live error, naming the offending command by its `client_event_id` (left out
    /// for `None`, as is a missing param).
    pub(crate) fn into_live(self, client_event_id: Option<String>) -> LiveError {
        let error = LiveError::invalid_request(self.code, self.message);
        let error = match self.param {
            Some(param) => error.param(param),
            None => error,
        };
        error.caused_by(client_event_id)
    }
}

/// A binary frame.
pub(crate) fn binary_frame() -> ClientError {
    ClientError::new(
        ErrorCode::InvalidEvent,
        "Expected a text WebSocket message; binary frames are not supported.",
    )
}

/// What a frame that did not parse as a client event gets, and the `event_id` it carried.
pub(crate) fn parse_failure(text: &str, error: &Error) -> (ClientError, Option<String>) {
    let value: Option<serde_json::Value> = serde_json::from_str(text).ok();
    let event_id = value
        .as_ref()
        .and_then(|v| v.get("event_id"))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let type_is_not_text = value
        .as_ref()
        .and_then(|v| v.get("type"))
        .is_some_and(|t| !t.is_string());
    let error = match error {
        _ if type_is_not_text => {
            ClientError::invalid_value("type", "Invalid type: expected a string.")
        }
        Error::Json(e) => ClientError::new(
            ErrorCode::InvalidJson,
            format!("The server could not parse the JSON event: {e}."),
        ),
        Error::MissingType => match value.as_ref().map(|v| v.get("type")) {
            Some(Some(_)) => ClientError::invalid_value("type", "Invalid type: expected a string."),
            _ => ClientError::new(
                ErrorCode::MissingRequiredParameter,
                "Missing required parameter: 'type'.",
            )
            .param("type"),
        },
        Error::InvalidEvent { source, .. } => field_error(source),
        other => ClientError::new(ErrorCode::InvalidValue, other.to_string()),
    };
    (error, event_id)
}

/// Maps what is wrong with a known event's fields onto an API error: a missing required field
/// by its name, anything else (`invalid type ...`) by serde's message.
fn field_error(source: &InvalidFields) -> ClientError {
    if let Some(field) = source.missing_field() {
        return ClientError::new(
            ErrorCode::MissingRequiredParameter,
            format!("Missing required parameter: '{field}'."),
        )
        .param(field);
    }
    ClientError::new(ErrorCode::InvalidValue, format!("Invalid event: {source}."))
}

/// An event `type` the server does not know.
pub(crate) fn unknown_type(kind: &str) -> ClientError {
    ClientError::invalid_value(
        "type",
        format!(
            "Invalid value: '{kind}'. Supported values are: 'session.update', \
             'input_audio_buffer.append', 'input_audio_buffer.commit', \
             'input_audio_buffer.clear', 'conversation.item.create', \
             'conversation.item.retrieve', 'conversation.item.truncate', \
             'conversation.item.delete', 'response.create', and 'response.cancel'."
        ),
    )
}

#[cfg(test)]
mod tests {
    use rtclient_protocol::{ClientEvent, Dialect};

    use super::*;

    fn failure(text: &str) -> (ClientError, Option<String>) {
        let error = Dialect::Ga.parse_client_event(text).unwrap_err();
        parse_failure(text, &error)
    }

    #[test]
    fn parse_failures_map_to_api_codes() {
        assert_eq!(failure("nope").0.code, "invalid_json");
        let (error, id) = failure(r#"{"event_id":"e1"}"#);
        assert_eq!(error.code, "missing_required_parameter");
        assert_eq!(error.param.as_deref(), Some("type"));
        assert_eq!(id.as_deref(), Some("e1"));
        let (error, id) = failure(r#"{"type":"conversation.item.delete","event_id":"e2"}"#);
        assert_eq!(error.code, "missing_required_parameter");
        assert_eq!(error.param.as_deref(), Some("item_id"));
        assert_eq!(id.as_deref(), Some("e2"));
        let (error, _) = failure(r#"{"type":"conversation.item.delete","item_id":5}"#);
        assert_eq!(error.code, "invalid_value");
    }

    #[test]
    fn unknown_types_parse_and_get_invalid_value() {
        let event = Dialect::Ga.parse_client_event(r#"{"type":"x.y"}"#).unwrap();
        assert!(matches!(event, ClientEvent::Unknown(_)));
        let error = unknown_type("x.y");
        assert_eq!(error.param.as_deref(), Some("type"));
        let event = error.into_event(Some("e3".to_owned()));
        let json = Dialect::Ga.server_event_to_json(&event).unwrap();
        assert!(json.contains(r#""event_id":"e3""#), "{json}");
    }
}
