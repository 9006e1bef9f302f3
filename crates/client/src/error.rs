//! The one error type of the crate.

use std::time::Duration;

/// A boxed error from a lower layer (WebSocket, TLS, a user's token provider).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while configuring, connecting, sending or receiving (variants in
/// alphabetical order).
///
/// Variants carry the facts (status, body, close code, limit) and their messages say what to do.
/// No variant ever holds an API key or token; URLs are printed redacted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server sent a binary frame; the Realtime API uses text frames only. Not fatal: the next
    /// receive goes on.
    #[error("received an unexpected binary frame of {len} bytes (ignored)")]
    BinaryFrame {
        /// The frame's length in bytes.
        len: usize,
    },

    /// A trusted-certificate file could not be read.
    #[error(
        "cannot read certificates from {path}: {reason}; give a PEM file of CERTIFICATE blocks"
    )]
    Certificate {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },

    /// Our close handshake did not complete in time; the connection was dropped.
    #[error("the server did not answer our close frame within {timeout:?}")]
    CloseTimeout {
        /// The configured close timeout.
        timeout: Duration,
    },

    /// The server closed the connection although we had not asked to close.
    #[error("{}", close_message(*code, reason))]
    Closed {
        /// The close code (1000 normal, 1001 max session duration, 3000 authentication,
        /// 4000 request shape, 1005 when the close frame carried no code).
        code: u16,
        /// The close reason, e.g. `invalid_request_error.invalid_api_key`.
        reason: String,
    },

    /// The TCP or TLS connection could not be opened (DNS, refused, TLS).
    #[error("could not connect to {host}; check the endpoint and the network")]
    Connect {
        /// Host (and port) we tried; never a full URL.
        host: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },

    /// Opening the connection took longer than the configured connect timeout.
    #[error("connecting to {host} timed out after {timeout:?}")]
    ConnectTimeout {
        /// Host (and port) we tried.
        host: String,
        /// The configured timeout.
        timeout: Duration,
    },

    /// The connection ended without a close frame (TCP reset, EOF).
    #[error("connection lost without a close frame; reconnect to continue")]
    ConnectionLost {
        /// The underlying failure, when there was one.
        #[source]
        source: Option<BoxError>,
    },

    /// The connection is closed or closing, so nothing more can be sent.
    #[error("the connection is closed or closing")]
    Disconnected,

    /// A client event could not be written as JSON (nothing was sent).
    #[error("could not write the client event `{kind}` as JSON (not sent)")]
    Encode {
        /// The event's `type`.
        kind: String,
        /// What the protocol crate reported.
        #[source]
        source: rtclient_protocol::Error,
    },

    /// The server refused the WebSocket upgrade with an HTTP status.
    #[error("{}", handshake_message(*status, code.as_deref(), message.as_deref(), body, retry_after.as_deref()))]
    Handshake {
        /// The HTTP status code (401, 403, 404, 429, 400, ...).
        status: u16,
        /// `error.code` from a JSON body (Azure and OpenAI shape `{"error":{"code","message"}}`).
        code: Option<String>,
        /// `error.message` from a JSON body.
        message: Option<String>,
        /// The response body as text (cut to 4 KiB).
        body: String,
        /// The `Retry-After` header, if the server sent one.
        retry_after: Option<String>,
    },

    /// An output audio delta's base64 does not decode (from the conversation layer). Not
    /// fatal: that delta is skipped and the next event goes on.
    #[error("skipped an output audio delta of item {item_id} whose base64 does not decode")]
    InvalidAudio {
        /// The assistant item the delta belongs to.
        item_id: String,
        /// What the decoder found wrong.
        #[source]
        source: BoxError,
    },

    /// A GPT-Live output audio delta whose base64 does not decode. Not fatal: that delta is
    /// skipped (the output media clock does not advance for it) and the next event goes on.
    #[error("skipped a Live output audio delta whose base64 does not decode")]
    InvalidLiveAudio {
        /// What the decoder found wrong.
        #[source]
        source: BoxError,
    },

    /// The GPT-Live service answered `session.start` with an `error` event instead of
    /// `session.started`; the session never started.
    #[error("the Live service refused session.start ({}): {message}", code.as_deref().unwrap_or("no code"))]
    LiveStartRefused {
        /// The error code, e.g. `unknown_parameter` or `model_not_found`.
        code: Option<String>,
        /// The service's message.
        message: String,
        /// The offending parameter, when the service named one.
        param: Option<String>,
    },

    /// A credential contains characters that cannot go into an HTTP header (e.g. a newline).
    #[error(
        "the value for header `{name}` is not a valid HTTP header value; check the key or token for stray characters"
    )]
    InvalidHeaderValue {
        /// The header's name. The value is never shown.
        name: &'static str,
    },

    /// A URL or endpoint given by the user could not be used.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given, with secrets redacted where it parsed.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Nothing came from the server for three keepalive intervals (not even a pong); the
    /// connection was closed with 1011.
    #[error(
        "no frame from the server for {silent_for:?}, not even a pong; the connection is presumed dead, reconnect"
    )]
    KeepaliveTimeout {
        /// How long the server had been silent.
        silent_for: Duration,
    },

    /// The server sent a message larger than our limit; the connection is closed.
    #[error(
        "received a message of {size} bytes, over the limit of {limit} bytes; raise max_message_size/max_frame_size"
    )]
    MessageTooLarge {
        /// The size announced or reached.
        size: usize,
        /// The configured limit.
        limit: usize,
    },

    /// A required environment variable is missing while another one of its provider is set.
    #[error("environment variable {name} is not set: {hint}")]
    MissingEnv {
        /// The variable's name.
        name: &'static str,
        /// What to do about it.
        hint: &'static str,
    },

    /// A `response.created` or `response.done` whose response has no `id` (from the
    /// conversation layer). Not fatal: that event is skipped and the next one goes on.
    #[error("skipped a {event} event whose response has no id")]
    MissingResponseId {
        /// The event's `type`.
        event: &'static str,
    },

    /// A finished function call in `response.done` whose item has no `id` (from the
    /// conversation layer). Not fatal: that call is skipped (it cannot be named), the rest of
    /// the event is reported and the next one goes on.
    #[error("skipped function call {call_id} of response {response_id}: its item has no id")]
    FunctionCallWithoutItemId {
        /// The response that made the call.
        response_id: String,
        /// The call's `call_id`.
        call_id: String,
    },

    /// A server frame is not JSON, or its known `type` does not fit that event's schema. Not
    /// fatal: the frame is skipped and the next receive goes on. Events of a `type` the protocol
    /// crate does not know are not errors; they arrive as `ServerEvent::Unknown`.
    #[error("skipped a server frame that does not parse as an event (receiving continues): {raw}")]
    Parse {
        /// The start of the frame's text (at most 256 bytes, cut on a character boundary, `...`
        /// appended when cut).
        raw: String,
        /// What the protocol crate found wrong (invalid JSON, missing `type`, which field).
        #[source]
        source: rtclient_protocol::Error,
    },

    /// The token command ran and failed.
    #[error("the token command `{command}` failed ({status}): {stderr}")]
    TokenCommandFailed {
        /// The command line as given.
        command: String,
        /// The exit status, as printed by the OS.
        status: String,
        /// What the command printed on stderr, trimmed.
        stderr: String,
    },

    /// The token command could not be started.
    #[error("could not run the token command `{command}`; is it installed and on PATH?")]
    TokenCommandSpawn {
        /// The command line as given.
        command: String,
        /// Why it could not be started.
        #[source]
        source: std::io::Error,
    },

    /// The token command succeeded but printed nothing.
    #[error("the token command `{command}` printed no token")]
    TokenEmpty {
        /// The command line as given.
        command: String,
    },

    /// A user-supplied [`TokenProvider`](crate::TokenProvider) failed.
    #[error("the token provider failed")]
    TokenProvider {
        /// The provider's error.
        #[source]
        source: BoxError,
    },

    /// Any other WebSocket protocol failure.
    #[error("WebSocket protocol error")]
    WebSocket {
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// Whether the connection goes on after this error: true for [`Error::Parse`],
    /// [`Error::BinaryFrame`], [`Error::InvalidAudio`], [`Error::MissingResponseId`] and
    /// [`Error::FunctionCallWithoutItemId`] (one bad frame or call, skipped), false for
    /// everything else.
    ///
    /// ```
    /// # async fn run(mut client: rtclient::RealtimeClient) -> Result<(), rtclient::Error> {
    /// loop {
    ///     match client.recv().await {
    ///         Ok(Some(event)) => println!("{}", event.kind()),
    ///         Ok(None) => break,
    ///         Err(error) if error.is_recoverable() => eprintln!("{error}"),
    ///         Err(error) => return Err(error),
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_recoverable(&self) -> bool {
        matches!(
            self,
            Error::Parse { .. }
                | Error::BinaryFrame { .. }
                | Error::InvalidAudio { .. }
                | Error::InvalidLiveAudio { .. }
                | Error::MissingResponseId { .. }
                | Error::FunctionCallWithoutItemId { .. }
        )
    }

    /// What to do about a refused handshake or a server close, when we know.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Handshake { status, .. } => status_hint(*status),
            Error::Closed { code, .. } => close_hint(*code),
            _ => None,
        }
    }

    /// The HTTP status of a refused handshake.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Handshake { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The close code of a server-initiated close.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            Error::Closed { code, .. } => Some(*code),
            _ => None,
        }
    }
}

fn status_hint(status: u16) -> Option<&'static str> {
    match status {
        401 | 403 => Some("check the API key or token and that it belongs to this endpoint"),
        404 => Some("check the endpoint, the deployment or model name and the api-version"),
        429 => Some("rate limited; wait and retry"),
        400 => {
            Some("the server rejected the request; check the deployment/model and the api-version")
        }
        500..=599 => Some("server-side failure; retry later"),
        _ => None,
    }
}

fn close_hint(code: u16) -> Option<&'static str> {
    match code {
        1000 => Some("the server ended the session"),
        1001 => Some("the session reached its maximum duration; reconnect to start a new session"),
        3000 => Some("authentication failed; check the API key or token"),
        4000 => Some(
            "the server rejected the request shape; check the model name and the dialect (GA or beta)",
        ),
        _ => None,
    }
}

fn handshake_message(
    status: u16,
    code: Option<&str>,
    message: Option<&str>,
    body: &str,
    retry_after: Option<&str>,
) -> String {
    let mut text = format!("the server refused the WebSocket upgrade with HTTP {status}");
    match (code, message) {
        (Some(code), Some(message)) => text.push_str(&format!(": {code}: {message}")),
        (None, Some(message)) => text.push_str(&format!(": {message}")),
        (Some(code), None) => text.push_str(&format!(": {code}")),
        (None, None) if !body.trim().is_empty() => text.push_str(&format!(": {}", body.trim())),
        (None, None) => {}
    }
    if let Some(retry_after) = retry_after {
        text.push_str(&format!(" (Retry-After: {retry_after})"));
    }
    if let Some(hint) = status_hint(status) {
        text.push_str("; ");
        text.push_str(hint);
    }
    text
}

fn close_message(code: u16, reason: &str) -> String {
    let mut text = format!("the server closed the connection with code {code}");
    if !reason.is_empty() {
        text.push_str(&format!(" ({reason})"));
    }
    if let Some(hint) = close_hint(code) {
        text.push_str("; ");
        text.push_str(hint);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_message_names_code_and_hint() {
        let error = Error::Handshake {
            status: 429,
            code: Some("429".into()),
            message: Some("Too many requests".into()),
            body: String::new(),
            retry_after: Some("7".into()),
        };
        let text = error.to_string();
        assert!(text.contains("HTTP 429"), "{text}");
        assert!(text.contains("Too many requests"), "{text}");
        assert!(text.contains("Retry-After: 7"), "{text}");
        assert!(text.contains("rate limited"), "{text}");
    }

    #[test]
    fn close_message_names_code_reason_and_hint() {
        let error = Error::Closed {
            code: 3000,
            reason: "invalid_request_error.invalid_api_key".into(),
        };
        let text = error.to_string();
        assert!(text.contains("3000"), "{text}");
        assert!(text.contains("invalid_api_key"), "{text}");
        assert!(text.contains("API key"), "{text}");
        assert_eq!(error.close_code(), Some(3000));
    }
}
