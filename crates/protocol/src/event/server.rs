//! GA server events: one struct per event and the [`ServerEvent`] enum.

use crate::error::ApiError;
use crate::event::{event_enum, event_struct};
use crate::item::{ContentPart, Item};
use crate::nullable::Nullable;
use crate::rate_limit::RateLimit;
use crate::response::Response;
use crate::session::Session;
use crate::usage::TranscriptionUsage;

event_struct! {
    /// An error (mostly non-fatal). `error.event_id` names the offending client event.
    pub struct ErrorEvent {
        /// The error.
        req error: ApiError = "error",
    }
}

event_struct! {
    /// The session was created (first event on a connection).
    pub struct SessionCreated {
        /// The effective session configuration.
        req session: Box<Session> = "session",
    }
}

event_struct! {
    /// The session was updated (answer to `session.update`).
    pub struct SessionUpdated {
        /// The effective session configuration.
        req session: Box<Session> = "session",
    }
}

event_struct! {
    /// A conversation was created (not seen on the wire).
    pub struct ConversationCreated {
        /// The conversation object (`{id, object}`).
        req conversation: serde_json::Value = "conversation",
    }
}

event_struct! {
    /// An item was created (beta name; GA lists it but sends `conversation.item.added`).
    pub struct ConversationItemCreated {
        /// The preceding item, or `null`.
        opt previous_item_id: Nullable<String> = "previous_item_id",
        /// The item as it stands at this event.
        req item: Item = "item",
    }
}

event_struct! {
    /// An item was added to the conversation (it may still be in progress).
    pub struct ConversationItemAdded {
        /// The preceding item, or `null`.
        opt previous_item_id: Nullable<String> = "previous_item_id",
        /// The item as it stands at this event.
        req item: Item = "item",
    }
}

event_struct! {
    /// An item is finished (without audio bytes).
    pub struct ConversationItemDone {
        /// The preceding item, or `null`.
        opt previous_item_id: Nullable<String> = "previous_item_id",
        /// The item as it stands at this event.
        req item: Item = "item",
    }
}

event_struct! {
    /// An item was retrieved (answer to `conversation.item.retrieve`, includes audio).
    pub struct ConversationItemRetrieved {
        /// The item as it stands at this event.
        req item: Item = "item",
    }
}

event_struct! {
    /// An assistant audio item was truncated.
    pub struct ConversationItemTruncated {
        /// Id of the item the event is about.
        req item_id: String = "item_id",
        /// Position of the content part in the item.
        req content_index: u32 = "content_index",
        /// Audio kept, in ms.
        req audio_end_ms: u64 = "audio_end_ms",
    }
}

event_struct! {
    /// An item was deleted.
    pub struct ConversationItemDeleted {
        /// Id of the item the event is about.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// A piece of an input audio transcription.
    pub struct ConversationItemInputAudioTranscriptionDelta {
        /// Id of the user item the event is about.
        req item_id: String = "item_id",
        /// Position of the content part in the item.
        opt content_index: u32 = "content_index",
        /// Transcript text.
        opt delta: String = "delta",
        /// Log probabilities, or `null`.
        opt logprobs: serde_json::Value = "logprobs",
    }
}

event_struct! {
    /// An input audio transcription finished.
    pub struct ConversationItemInputAudioTranscriptionCompleted {
        /// Id of the user item the event is about.
        req item_id: String = "item_id",
        /// Position of the content part in the item.
        req content_index: u32 = "content_index",
        /// The transcript.
        req transcript: String = "transcript",
        /// Detected languages.
        opt languages: serde_json::Value = "languages",
        /// Log probabilities, or `null`.
        opt logprobs: serde_json::Value = "logprobs",
        /// Usage (tokens or duration; absent in older beta frames).
        opt usage: TranscriptionUsage = "usage",
    }
}

event_struct! {
    /// An input audio transcription failed.
    pub struct ConversationItemInputAudioTranscriptionFailed {
        /// Id of the user item the event is about.
        req item_id: String = "item_id",
        /// Position of the content part in the item.
        req content_index: u32 = "content_index",
        /// What went wrong.
        req error: ApiError = "error",
    }
}

event_struct! {
    /// A diarized transcription segment.
    pub struct ConversationItemInputAudioTranscriptionSegment {
        /// Id of the user item the event is about.
        req item_id: String = "item_id",
        /// Position of the content part in the item.
        req content_index: u32 = "content_index",
        /// Segment text.
        req text: String = "text",
        /// Segment id.
        req id: String = "id",
        /// Speaker label.
        req speaker: String = "speaker",
        /// Start, in seconds.
        opt start: serde_json::Number = "start",
        /// End, in seconds.
        opt end: serde_json::Number = "end",
    }
}

event_struct! {
    /// The input audio buffer was committed into a user item.
    pub struct InputAudioBufferCommitted {
        /// The preceding item, or `null`.
        opt previous_item_id: Nullable<String> = "previous_item_id",
        /// The new user item.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// The input audio buffer was cleared.
    pub struct InputAudioBufferCleared {}
}

event_struct! {
    /// Speech started (server VAD).
    pub struct InputAudioBufferSpeechStarted {
        /// Ms from the first audio appended in the session.
        req audio_start_ms: u64 = "audio_start_ms",
        /// The user item that will hold this speech.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// Speech stopped (server VAD).
    pub struct InputAudioBufferSpeechStopped {
        /// Ms from the first audio appended in the session.
        req audio_end_ms: u64 = "audio_end_ms",
        /// Id of the user item the event is about.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// Server VAD `idle_timeout_ms` fired.
    pub struct InputAudioBufferTimeoutTriggered {
        /// Start of the idle audio, ms.
        req audio_start_ms: u64 = "audio_start_ms",
        /// End of the idle audio, ms.
        req audio_end_ms: u64 = "audio_end_ms",
        /// Id of the item the event is about.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// A DTMF key was received (SIP).
    pub struct InputAudioBufferDtmfEventReceived {
        /// The key.
        req event: String = "event",
        /// Unix time, seconds.
        req received_at: u64 = "received_at",
    }
}

event_struct! {
    /// Output audio playback started (WebRTC/SIP).
    pub struct OutputAudioBufferStarted {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
    }
}

event_struct! {
    /// Output audio playback stopped (WebRTC/SIP).
    pub struct OutputAudioBufferStopped {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
    }
}

event_struct! {
    /// Output audio buffer cleared (WebRTC/SIP).
    pub struct OutputAudioBufferCleared {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
    }
}

event_struct! {
    /// Rate limits changed.
    pub struct RateLimitsUpdated {
        /// The limits.
        req rate_limits: Vec<RateLimit> = "rate_limits",
    }
}

event_struct! {
    /// A response started.
    pub struct ResponseCreated {
        /// The response (status `in_progress`).
        req response: Box<Response> = "response",
    }
}

event_struct! {
    /// A response finished.
    pub struct ResponseDone {
        /// The response (final status, output, usage).
        req response: Box<Response> = "response",
    }
}

event_struct! {
    /// An output item was added to a response.
    pub struct ResponseOutputItemAdded {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// The item as it stands at this event.
        req item: Item = "item",
    }
}

event_struct! {
    /// An output item is finished.
    pub struct ResponseOutputItemDone {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// The item as it stands at this event.
        req item: Item = "item",
    }
}

event_struct! {
    /// A content part was added to an output item.
    pub struct ResponseContentPartAdded {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Id of the item the event is about.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// Position in the item content.
        req content_index: u32 = "content_index",
        /// The part (`type` `text` or `audio` in both dialects).
        req part: ContentPart = "part",
    }
}

event_struct! {
    /// A content part is finished.
    pub struct ResponseContentPartDone {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Id of the item the event is about.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// Position in the item content.
        req content_index: u32 = "content_index",
        /// The part.
        req part: ContentPart = "part",
    }
}

event_struct! {
    /// Output text delta.
    pub struct ResponseOutputTextDelta {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Id of the item the event is about.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// Position in the item content.
        req content_index: u32 = "content_index",
        /// Text.
        req delta: String = "delta",
    }
}

event_struct! {
    /// Output text finished.
    pub struct ResponseOutputTextDone {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Id of the item the event is about.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// Position in the item content.
        req content_index: u32 = "content_index",
        /// The whole text.
        req text: String = "text",
    }
}

event_struct! {
    /// Output audio delta: base64 audio in the session's output format (the bulk of traffic).
    pub struct ResponseOutputAudioDelta [fast] {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Id of the item the event is about.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// Position in the item content.
        req content_index: u32 = "content_index",
        /// Base64 audio.
        req delta: String = "delta",
    }
}

event_struct! {
    /// Output audio finished.
    pub struct ResponseOutputAudioDone {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Id of the item the event is about.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// Position in the item content.
        req content_index: u32 = "content_index",
    }
}

event_struct! {
    /// Output audio transcript delta.
    pub struct ResponseOutputAudioTranscriptDelta {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Id of the item the event is about.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// Position in the item content.
        req content_index: u32 = "content_index",
        /// Transcript text.
        req delta: String = "delta",
    }
}

event_struct! {
    /// Output audio transcript finished.
    pub struct ResponseOutputAudioTranscriptDone {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Id of the item the event is about.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// Position in the item content.
        req content_index: u32 = "content_index",
        /// The whole transcript.
        req transcript: String = "transcript",
    }
}

event_struct! {
    /// Function call arguments delta.
    pub struct ResponseFunctionCallArgumentsDelta {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Id of the function call item.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// Id of the function call, echoed in its `function_call_output`.
        req call_id: String = "call_id",
        /// A piece of the JSON arguments.
        req delta: String = "delta",
    }
}

event_struct! {
    /// Function call arguments finished.
    pub struct ResponseFunctionCallArgumentsDone {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// Id of the function call item.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// Id of the function call, echoed in its `function_call_output`.
        req call_id: String = "call_id",
        /// The function name (GA schema; also on the beta wire though its schema lacks it).
        opt name: String = "name",
        /// The JSON arguments.
        req arguments: String = "arguments",
    }
}

event_struct! {
    /// MCP call arguments delta.
    pub struct ResponseMcpCallArgumentsDelta {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// The MCP call item.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// A piece of the JSON arguments.
        req delta: String = "delta",
        /// Random padding, or `null`.
        opt obfuscation: Nullable<String> = "obfuscation",
    }
}

event_struct! {
    /// MCP call arguments finished.
    pub struct ResponseMcpCallArgumentsDone {
        /// Id of the response the event belongs to.
        req response_id: String = "response_id",
        /// The MCP call item.
        req item_id: String = "item_id",
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// The JSON arguments.
        req arguments: String = "arguments",
    }
}

event_struct! {
    /// An MCP call is running.
    pub struct ResponseMcpCallInProgress {
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// The MCP call item.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// An MCP call completed.
    pub struct ResponseMcpCallCompleted {
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// The MCP call item.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// An MCP call failed.
    pub struct ResponseMcpCallFailed {
        /// Position in the response output.
        req output_index: u32 = "output_index",
        /// The MCP call item.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// MCP tool listing started.
    pub struct McpListToolsInProgress {
        /// The `mcp_list_tools` item.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// MCP tool listing completed.
    pub struct McpListToolsCompleted {
        /// The `mcp_list_tools` item.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// MCP tool listing failed.
    pub struct McpListToolsFailed {
        /// The `mcp_list_tools` item.
        req item_id: String = "item_id",
    }
}

event_enum! {
    /// A GA server event (server to client), keyed on `type`. Variants follow the spec's order.
    ///
    /// Parse with [`ServerEvent::from_json`] (GA wire) or [`crate::Dialect::parse_server_event`]
    /// (either dialect, beta translated).
    #[allow(clippy::large_enum_variant)] // moved rarely; boxing every variant costs an allocation per event
    pub enum ServerEvent {
        Error(ErrorEvent) = "error",
        SessionCreated(SessionCreated) = "session.created",
        SessionUpdated(SessionUpdated) = "session.updated",
        ConversationCreated(ConversationCreated) = "conversation.created",
        ConversationItemCreated(ConversationItemCreated) = "conversation.item.created",
        ConversationItemAdded(ConversationItemAdded) = "conversation.item.added",
        ConversationItemDone(ConversationItemDone) = "conversation.item.done",
        ConversationItemRetrieved(ConversationItemRetrieved) = "conversation.item.retrieved",
        ConversationItemTruncated(ConversationItemTruncated) = "conversation.item.truncated",
        ConversationItemDeleted(ConversationItemDeleted) = "conversation.item.deleted",
        ConversationItemInputAudioTranscriptionDelta(ConversationItemInputAudioTranscriptionDelta) = "conversation.item.input_audio_transcription.delta",
        ConversationItemInputAudioTranscriptionCompleted(ConversationItemInputAudioTranscriptionCompleted) = "conversation.item.input_audio_transcription.completed",
        ConversationItemInputAudioTranscriptionFailed(ConversationItemInputAudioTranscriptionFailed) = "conversation.item.input_audio_transcription.failed",
        ConversationItemInputAudioTranscriptionSegment(ConversationItemInputAudioTranscriptionSegment) = "conversation.item.input_audio_transcription.segment",
        InputAudioBufferCommitted(InputAudioBufferCommitted) = "input_audio_buffer.committed",
        InputAudioBufferCleared(InputAudioBufferCleared) = "input_audio_buffer.cleared",
        InputAudioBufferSpeechStarted(InputAudioBufferSpeechStarted) = "input_audio_buffer.speech_started",
        InputAudioBufferSpeechStopped(InputAudioBufferSpeechStopped) = "input_audio_buffer.speech_stopped",
        InputAudioBufferTimeoutTriggered(InputAudioBufferTimeoutTriggered) = "input_audio_buffer.timeout_triggered",
        InputAudioBufferDtmfEventReceived(InputAudioBufferDtmfEventReceived) = "input_audio_buffer.dtmf_event_received",
        OutputAudioBufferStarted(OutputAudioBufferStarted) = "output_audio_buffer.started",
        OutputAudioBufferStopped(OutputAudioBufferStopped) = "output_audio_buffer.stopped",
        OutputAudioBufferCleared(OutputAudioBufferCleared) = "output_audio_buffer.cleared",
        RateLimitsUpdated(RateLimitsUpdated) = "rate_limits.updated",
        ResponseCreated(ResponseCreated) = "response.created",
        ResponseDone(ResponseDone) = "response.done",
        ResponseOutputItemAdded(ResponseOutputItemAdded) = "response.output_item.added",
        ResponseOutputItemDone(ResponseOutputItemDone) = "response.output_item.done",
        ResponseContentPartAdded(ResponseContentPartAdded) = "response.content_part.added",
        ResponseContentPartDone(ResponseContentPartDone) = "response.content_part.done",
        ResponseOutputTextDelta(ResponseOutputTextDelta) = "response.output_text.delta",
        ResponseOutputTextDone(ResponseOutputTextDone) = "response.output_text.done",
        ResponseOutputAudioDelta(ResponseOutputAudioDelta) = "response.output_audio.delta",
        ResponseOutputAudioDone(ResponseOutputAudioDone) = "response.output_audio.done",
        ResponseOutputAudioTranscriptDelta(ResponseOutputAudioTranscriptDelta) = "response.output_audio_transcript.delta",
        ResponseOutputAudioTranscriptDone(ResponseOutputAudioTranscriptDone) = "response.output_audio_transcript.done",
        ResponseFunctionCallArgumentsDelta(ResponseFunctionCallArgumentsDelta) = "response.function_call_arguments.delta",
        ResponseFunctionCallArgumentsDone(ResponseFunctionCallArgumentsDone) = "response.function_call_arguments.done",
        ResponseMcpCallArgumentsDelta(ResponseMcpCallArgumentsDelta) = "response.mcp_call_arguments.delta",
        ResponseMcpCallArgumentsDone(ResponseMcpCallArgumentsDone) = "response.mcp_call_arguments.done",
        ResponseMcpCallInProgress(ResponseMcpCallInProgress) = "response.mcp_call.in_progress",
        ResponseMcpCallCompleted(ResponseMcpCallCompleted) = "response.mcp_call.completed",
        ResponseMcpCallFailed(ResponseMcpCallFailed) = "response.mcp_call.failed",
        McpListToolsInProgress(McpListToolsInProgress) = "mcp_list_tools.in_progress",
        McpListToolsCompleted(McpListToolsCompleted) = "mcp_list_tools.completed",
        McpListToolsFailed(McpListToolsFailed) = "mcp_list_tools.failed",
    }
}

impl ServerEvent {
    /// An `error` event (no `event_id`; a server sets one before sending).
    ///
    /// ```
    /// use rtclient_protocol::{ApiError, ServerEvent};
    /// let ev = ServerEvent::error(
    ///     ApiError::new("invalid_request_error", "response_cancel_not_active", "nothing to cancel")
    ///         .caused_by(Some("evt_1".into())),
    /// );
    /// assert_eq!(ev.kind(), "error");
    /// ```
    pub fn error(error: ApiError) -> Self {
        ErrorEvent {
            error,
            ..Default::default()
        }
        .into()
    }
}
