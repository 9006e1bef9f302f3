//! Beta client and server events.

use crate::beta::session::{Response, ResponseCreateParams, Session, TranscriptionSession};
use crate::event::client::{
    ConversationItemCreate, ConversationItemDelete, ConversationItemRetrieve,
    ConversationItemTruncate, InputAudioBufferAppend, InputAudioBufferClear,
    InputAudioBufferCommit, OutputAudioBufferClear, ResponseCancel,
};
use crate::event::server::*;
use crate::event::{event_enum, event_struct};

event_struct! {
    /// Beta `session.update`.
    pub struct SessionUpdate {
        /// The flat session.
        req session: Box<Session> = "session",
    }
}

event_struct! {
    /// Beta `transcription_session.update`.
    pub struct TranscriptionSessionUpdate {
        /// The transcription session.
        req session: Box<TranscriptionSession> = "session",
    }
}

event_struct! {
    /// Beta `response.create`.
    pub struct ResponseCreate {
        /// Parameters for this response.
        opt response: ResponseCreateParams = "response",
    }
}

event_struct! {
    /// Beta `session.created`.
    pub struct SessionCreated {
        /// The flat session.
        req session: Box<Session> = "session",
    }
}

event_struct! {
    /// Beta `session.updated`.
    pub struct SessionUpdated {
        /// The flat session.
        req session: Box<Session> = "session",
    }
}

event_struct! {
    /// Beta `transcription_session.created`.
    pub struct TranscriptionSessionCreated {
        /// The transcription session.
        req session: Box<TranscriptionSession> = "session",
    }
}

event_struct! {
    /// Beta `transcription_session.updated`.
    pub struct TranscriptionSessionUpdated {
        /// The transcription session.
        req session: Box<TranscriptionSession> = "session",
    }
}

event_struct! {
    /// Beta `response.created`.
    pub struct ResponseCreated {
        /// The beta response.
        req response: Box<Response> = "response",
    }
}

event_struct! {
    /// Beta `response.done`.
    pub struct ResponseDone {
        /// The beta response.
        req response: Box<Response> = "response",
    }
}

event_enum! {
    /// A beta client event, keyed on its beta `type`.
    #[allow(clippy::large_enum_variant)] // moved rarely; boxing every variant costs an allocation per event
    pub enum ClientEvent {
        /// See [`SessionUpdate`].
        SessionUpdate(SessionUpdate) = "session.update",
        /// See [`TranscriptionSessionUpdate`].
        TranscriptionSessionUpdate(TranscriptionSessionUpdate) = "transcription_session.update",
        /// See [`InputAudioBufferAppend`].
        InputAudioBufferAppend(InputAudioBufferAppend) = "input_audio_buffer.append",
        /// See [`InputAudioBufferCommit`].
        InputAudioBufferCommit(InputAudioBufferCommit) = "input_audio_buffer.commit",
        /// See [`InputAudioBufferClear`].
        InputAudioBufferClear(InputAudioBufferClear) = "input_audio_buffer.clear",
        /// See [`OutputAudioBufferClear`].
        OutputAudioBufferClear(OutputAudioBufferClear) = "output_audio_buffer.clear",
        /// See [`ConversationItemCreate`].
        ConversationItemCreate(ConversationItemCreate) = "conversation.item.create",
        /// See [`ConversationItemRetrieve`].
        ConversationItemRetrieve(ConversationItemRetrieve) = "conversation.item.retrieve",
        /// See [`ConversationItemTruncate`].
        ConversationItemTruncate(ConversationItemTruncate) = "conversation.item.truncate",
        /// See [`ConversationItemDelete`].
        ConversationItemDelete(ConversationItemDelete) = "conversation.item.delete",
        /// See [`ResponseCreate`].
        ResponseCreate(ResponseCreate) = "response.create",
        /// See [`ResponseCancel`].
        ResponseCancel(ResponseCancel) = "response.cancel",
    }
}

event_enum! {
    /// A beta server event, keyed on its beta `type`.
    #[allow(clippy::large_enum_variant)] // moved rarely; boxing every variant costs an allocation per event
    pub enum ServerEvent {
        /// See [`ErrorEvent`].
        Error(ErrorEvent) = "error",
        /// See [`SessionCreated`].
        SessionCreated(SessionCreated) = "session.created",
        /// See [`SessionUpdated`].
        SessionUpdated(SessionUpdated) = "session.updated",
        /// See [`TranscriptionSessionCreated`] (not in the beta spec; kept for completeness).
        TranscriptionSessionCreated(TranscriptionSessionCreated) = "transcription_session.created",
        /// See [`TranscriptionSessionUpdated`].
        TranscriptionSessionUpdated(TranscriptionSessionUpdated) = "transcription_session.updated",
        /// See [`ConversationCreated`].
        ConversationCreated(ConversationCreated) = "conversation.created",
        /// See [`ConversationItemCreated`].
        ConversationItemCreated(ConversationItemCreated) = "conversation.item.created",
        /// See [`ConversationItemDone`] (GA name, sent by Azure Voice Live in beta sessions).
        ConversationItemDone(ConversationItemDone) = "conversation.item.done",
        /// See [`ConversationItemRetrieved`].
        ConversationItemRetrieved(ConversationItemRetrieved) = "conversation.item.retrieved",
        /// See [`ConversationItemTruncated`].
        ConversationItemTruncated(ConversationItemTruncated) = "conversation.item.truncated",
        /// See [`ConversationItemDeleted`].
        ConversationItemDeleted(ConversationItemDeleted) = "conversation.item.deleted",
        /// See [`ConversationItemInputAudioTranscriptionDelta`].
        ConversationItemInputAudioTranscriptionDelta(ConversationItemInputAudioTranscriptionDelta) = "conversation.item.input_audio_transcription.delta",
        /// See [`ConversationItemInputAudioTranscriptionCompleted`].
        ConversationItemInputAudioTranscriptionCompleted(ConversationItemInputAudioTranscriptionCompleted) = "conversation.item.input_audio_transcription.completed",
        /// See [`ConversationItemInputAudioTranscriptionFailed`].
        ConversationItemInputAudioTranscriptionFailed(ConversationItemInputAudioTranscriptionFailed) = "conversation.item.input_audio_transcription.failed",
        /// See [`InputAudioBufferCommitted`].
        InputAudioBufferCommitted(InputAudioBufferCommitted) = "input_audio_buffer.committed",
        /// See [`InputAudioBufferCleared`].
        InputAudioBufferCleared(InputAudioBufferCleared) = "input_audio_buffer.cleared",
        /// See [`InputAudioBufferSpeechStarted`].
        InputAudioBufferSpeechStarted(InputAudioBufferSpeechStarted) = "input_audio_buffer.speech_started",
        /// See [`InputAudioBufferSpeechStopped`].
        InputAudioBufferSpeechStopped(InputAudioBufferSpeechStopped) = "input_audio_buffer.speech_stopped",
        /// See [`OutputAudioBufferStarted`].
        OutputAudioBufferStarted(OutputAudioBufferStarted) = "output_audio_buffer.started",
        /// See [`OutputAudioBufferStopped`].
        OutputAudioBufferStopped(OutputAudioBufferStopped) = "output_audio_buffer.stopped",
        /// See [`OutputAudioBufferCleared`].
        OutputAudioBufferCleared(OutputAudioBufferCleared) = "output_audio_buffer.cleared",
        /// See [`RateLimitsUpdated`].
        RateLimitsUpdated(RateLimitsUpdated) = "rate_limits.updated",
        /// See [`ResponseCreated`].
        ResponseCreated(ResponseCreated) = "response.created",
        /// See [`ResponseDone`].
        ResponseDone(ResponseDone) = "response.done",
        /// See [`ResponseOutputItemAdded`].
        ResponseOutputItemAdded(ResponseOutputItemAdded) = "response.output_item.added",
        /// See [`ResponseOutputItemDone`].
        ResponseOutputItemDone(ResponseOutputItemDone) = "response.output_item.done",
        /// See [`ResponseContentPartAdded`].
        ResponseContentPartAdded(ResponseContentPartAdded) = "response.content_part.added",
        /// See [`ResponseContentPartDone`].
        ResponseContentPartDone(ResponseContentPartDone) = "response.content_part.done",
        /// See [`ResponseOutputTextDelta`] (GA `response.output_text.delta`).
        ResponseTextDelta(ResponseOutputTextDelta) = "response.text.delta",
        /// See [`ResponseOutputTextDone`] (GA `response.output_text.done`).
        ResponseTextDone(ResponseOutputTextDone) = "response.text.done",
        /// See [`ResponseOutputAudioDelta`] (GA `response.output_audio.delta`).
        ResponseAudioDelta(ResponseOutputAudioDelta) = "response.audio.delta",
        /// See [`ResponseOutputAudioDone`] (GA `response.output_audio.done`).
        ResponseAudioDone(ResponseOutputAudioDone) = "response.audio.done",
        /// See [`ResponseOutputAudioTranscriptDelta`] (GA `response.output_audio_transcript.delta`).
        ResponseAudioTranscriptDelta(ResponseOutputAudioTranscriptDelta) = "response.audio_transcript.delta",
        /// See [`ResponseOutputAudioTranscriptDone`] (GA `response.output_audio_transcript.done`).
        ResponseAudioTranscriptDone(ResponseOutputAudioTranscriptDone) = "response.audio_transcript.done",
        /// See [`ResponseFunctionCallArgumentsDelta`].
        ResponseFunctionCallArgumentsDelta(ResponseFunctionCallArgumentsDelta) = "response.function_call_arguments.delta",
        /// See [`ResponseFunctionCallArgumentsDone`].
        ResponseFunctionCallArgumentsDone(ResponseFunctionCallArgumentsDone) = "response.function_call_arguments.done",
    }
}

impl ClientEvent {
    /// Writes the event as compact beta JSON (`type` first).
    pub fn to_json(&self) -> Result<String, crate::Error> {
        match self {
            ClientEvent::InputAudioBufferAppend(e) => e.to_json(),
            other => serde_json::to_string(other).map_err(crate::Error::Write),
        }
    }
}

impl ServerEvent {
    /// Writes the event as compact beta JSON (`type` first). Audio deltas are written without a
    /// JSON escape pass over the base64.
    pub fn to_json(&self) -> Result<String, crate::Error> {
        match self {
            ServerEvent::ResponseAudioDelta(e) => {
                crate::event::write::audio_delta("response.audio.delta", e)
            }
            other => serde_json::to_string(other).map_err(crate::Error::Write),
        }
    }
}
