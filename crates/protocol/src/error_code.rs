//! [`ErrorCode`]: the `error.code` vocabulary of the Realtime and GPT-Live APIs.

use crate::wire::string_enum;

string_enum! {
    /// The `error.code` of an [`ApiError`](crate::ApiError) or a GPT-Live
    /// [`LiveError`](crate::live::LiveError): the codes the service (and the local server,
    /// which mirrors it) sends, so that a client matches a variant instead of a string literal.
    /// A code this crate does not know is kept verbatim in `Other`.
    ///
    /// ```
    /// use rtclient_protocol::ErrorCode;
    /// assert_eq!(ErrorCode::from("invalid_value"), ErrorCode::InvalidValue);
    /// assert_eq!(ErrorCode::InvalidValue.as_str(), "invalid_value");
    /// assert_eq!(ErrorCode::from("brand_new"), ErrorCode::Other("brand_new".into()));
    /// ```
    #[non_exhaustive]
    pub enum ErrorCode {
        /// A parameter has a value out of its type or range.
        InvalidValue = "invalid_value",
        /// A parameter has the wrong JSON type.
        InvalidType = "invalid_type",
        /// A required parameter is missing (`error.param` names it).
        MissingRequiredParameter = "missing_required_parameter",
        /// A parameter the API does not know (`error.param` names it).
        UnknownParameter = "unknown_parameter",
        /// The frame is not JSON.
        InvalidJson = "invalid_json",
        /// The frame is not a text event (e.g. a binary WebSocket frame).
        InvalidEvent = "invalid_event",
        /// A number below its minimum.
        DecimalBelowMinValue = "decimal_below_min_value",
        /// A number above its maximum.
        DecimalAboveMaxValue = "decimal_above_max_value",
        /// An integer below its minimum.
        IntegerBelowMinValue = "integer_below_min_value",
        /// An integer above its maximum.
        IntegerAboveMaxValue = "integer_above_max_value",
        /// The voice cannot change once the session has produced audio.
        CannotUpdateVoice = "cannot_update_voice",
        /// A content part type the item does not accept.
        UnsupportedContentType = "unsupported_content_type",
        /// Appending would overflow the input audio buffer.
        InputAudioBufferFull = "input_audio_buffer_full",
        /// `response.cancel` with no response in progress.
        ResponseCancelNotActive = "response_cancel_not_active",
        /// `input_audio_buffer.commit` with too little audio in the buffer.
        InputAudioBufferCommitEmpty = "input_audio_buffer_commit_empty",
        /// The conversation cannot hold the item: it would outgrow the conversation's budget.
        ContextLengthExceeded = "context_length_exceeded",
        /// `response.create` while a response is already in progress.
        ConversationAlreadyHasActiveResponse = "conversation_already_has_active_response",
        /// The request exceeded a rate limit.
        RateLimitExceeded = "rate_limit_exceeded",
        /// The API key is wrong.
        InvalidApiKey = "invalid_api_key",
        /// No model (or Azure deployment) was named.
        MissingModel = "missing_model",
        /// A beta-shaped connection to a service that only speaks GA.
        BetaApiShapeDisabled = "beta_api_shape_disabled",
        /// A plain HTTP request where a WebSocket upgrade was expected.
        WebsocketUpgradeRequired = "websocket_upgrade_required",
        /// The server is at its connection limit; retry later.
        TooManyConnections = "too_many_connections",
        /// Input audio transcription is not available on this server.
        TranscriptionEngineMissing = "transcription_engine_missing",
        /// GPT-Live: odd-length PCM16 input audio.
        InvalidAudio = "invalid_audio",
        /// GPT-Live: a startup-only field (such as the delegation type) in an update.
        ImmutableFieldUpdate = "immutable_field_update",
        /// GPT-Live: the session closed before an appended context was placed.
        ContextInjectionIncomplete = "context_injection_incomplete",
        /// GPT-Live: a command before `session.start` was answered.
        SessionNotStarted = "session_not_started",
        /// GPT-Live: a second `session.start`.
        SessionAlreadyStarted = "session_already_started",
        /// GPT-Live: no running session has the id a sideband or fork names.
        SessionNotFound = "session_not_found",
        /// GPT-Live: a fork of a session started without `store: true`.
        SessionNotStored = "session_not_stored",
        /// GPT-Live: a command the session's delegation mode or state does not allow.
        InvalidRequest = "invalid_request",
        /// GPT-Live: a client event the local server does not serve.
        UnsupportedEvent = "unsupported_event",
        /// The server failed while handling the request (a failed Responses response).
        ServerError = "server_error",
    }
}

impl From<ErrorCode> for String {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::Other(s) => s,
            known => known.as_str().to_owned(),
        }
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_json() {
        for wire in ["invalid_value", "rate_limit_exceeded", "not_a_known_code"] {
            let code: ErrorCode = serde_json::from_str(&format!("\"{wire}\"")).unwrap();
            assert_eq!(code, wire);
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{wire}\""));
            assert_eq!(String::from(code), wire);
        }
        assert!(matches!(
            ErrorCode::from("not_a_known_code"),
            ErrorCode::Other(_)
        ));
    }
}
