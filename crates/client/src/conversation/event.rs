//! What a [`Conversation`](super::Conversation) reports: [`ConversationEvent`] and the values
//! inside it.

use std::time::Duration;

use rtclient_protocol::{
    ApiError, Response, ResponseStatus, ServerEvent, Session, StatusReason, Usage,
};

use crate::tools::{FunctionCall, ToolCallDone};

/// One step of a conversation, from [`Conversation::next_event`](super::Conversation::next_event).
///
/// Each server event becomes exactly one `ConversationEvent`, with two exceptions: a
/// `response.done` whose output holds function calls not reported yet is preceded by a
/// [`FunctionCall`](ConversationEvent::FunctionCall) per such call, and an audio delta whose
/// base64 does not decode is the recoverable [`Error::InvalidAudio`](crate::Error::InvalidAudio)
/// instead. Events without a variant of their own arrive as
/// [`Other`](ConversationEvent::Other), so nothing the server sends is lost.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConversationEvent {
    /// `session.created`: the session's effective configuration.
    SessionCreated(Box<Session>),
    /// `session.updated`: the whole effective configuration after a `session.update`.
    SessionUpdated(Box<Session>),
    /// `input_audio_buffer.speech_started` (server VAD): the user started speaking.
    SpeechStarted {
        /// The user item that will hold this speech.
        item_id: String,
        /// Ms from the first audio appended in the session.
        audio_start_ms: u64,
    },
    /// `input_audio_buffer.speech_stopped` (server VAD): the user stopped speaking.
    SpeechStopped {
        /// The user item holding this speech.
        item_id: String,
        /// Ms from the first audio appended in the session.
        audio_end_ms: u64,
    },
    /// `input_audio_buffer.committed`: the input audio became a user item.
    InputCommitted {
        /// The new user item.
        item_id: String,
        /// The item it follows, `None` when it is the first.
        previous_item_id: Option<String>,
    },
    /// `conversation.item.input_audio_transcription.delta`: a piece of the transcript of the
    /// user's audio item `item_id` (match by id: transcripts arrive out of turn order).
    InputTranscriptDelta {
        /// The user item.
        item_id: String,
        /// The new text.
        delta: String,
    },
    /// `conversation.item.input_audio_transcription.completed`: the whole transcript of the
    /// user's audio item `item_id` (also stored in that item of
    /// [`ConversationState::items`](super::ConversationState::items)).
    InputTranscriptCompleted {
        /// The user item.
        item_id: String,
        /// The transcript.
        transcript: String,
    },
    /// `conversation.item.input_audio_transcription.failed`: the user's audio item `item_id`
    /// could not be transcribed. The conversation goes on.
    InputTranscriptFailed {
        /// The user item.
        item_id: String,
        /// What went wrong.
        error: ApiError,
    },
    /// `response.created`: the model started a response (asked for, or created by server VAD).
    ResponseStarted {
        /// The response id.
        response_id: String,
    },
    /// `response.output_text.delta`: a piece of a text reply.
    TextDelta {
        /// The response it belongs to.
        response_id: String,
        /// The assistant item.
        item_id: String,
        /// The new text.
        delta: String,
    },
    /// `response.output_audio.delta`: a piece of a spoken reply, decoded from base64.
    AudioDelta {
        /// The response it belongs to.
        response_id: String,
        /// The assistant item (what [`Conversation::interrupt`](super::Conversation::interrupt)
        /// truncates).
        item_id: String,
        /// The content part of the item.
        content_index: u32,
        /// The audio bytes, in the session's output format (PCM16 little-endian mono 24 kHz
        /// unless configured otherwise).
        audio: Vec<u8>,
    },
    /// `response.output_audio_transcript.delta`: a piece of the transcript of a spoken reply.
    AudioTranscriptDelta {
        /// The response it belongs to.
        response_id: String,
        /// The assistant item.
        item_id: String,
        /// The new text.
        delta: String,
    },
    /// The model called a function: answer with
    /// [`ConversationHandle::submit_tool_output`](super::ConversationHandle::submit_tool_output).
    /// Reported once per call, at `response.function_call_arguments.done`, or just before
    /// [`ResponseDone`](ConversationEvent::ResponseDone) for a completed call found only in
    /// `response.done`'s output.
    FunctionCall(FunctionCall),
    /// A registered tool's call (see [`Tools`](crate::Tools)) was run and its output sent.
    /// The call itself was reported as [`FunctionCall`](ConversationEvent::FunctionCall)
    /// before; the follow-up response starts once every call of its response is done.
    ToolCallDone(ToolCallDone),
    /// The user spoke over the assistant's audio and the conversation's
    /// [`PlaybackTracker`](super::PlaybackTracker) was installed: the item being played was
    /// truncated at the played position. Stop playback and drop the queued audio. Follows the
    /// [`SpeechStarted`](ConversationEvent::SpeechStarted) that caused it.
    BargeIn(Interruption),
    /// The conversation moved to a new session on its own (see
    /// [`RecyclePolicy`](super::RecyclePolicy)): settings restored, history replayed, every
    /// handle pointed at it. The new session's own events (`session.created`,
    /// `session.updated`, the replayed items) follow. A response that was running is lost; a
    /// request not created yet is sent again.
    SessionRecycled(Recycled),
    /// `response.done`: a response ended.
    ResponseDone {
        /// The response id.
        response_id: String,
        /// How it ended.
        outcome: ResponseOutcome,
        /// Token usage, when the server reported it.
        usage: Option<Usage>,
        /// The whole final response object (status, output items, usage, metadata).
        response: Box<Response>,
    },
    /// The metrics of the response that just ended: reported right after its
    /// [`ResponseDone`](ConversationEvent::ResponseDone).
    TurnMetrics(TurnMetrics),
    /// An `error` event. It is reported once and changes nothing else: the conversation and
    /// every later command go on. `error.event_id` names the client event that caused it (the
    /// id the command returned).
    Error(ApiError),
    /// Any other server event, unchanged (item lifecycle, content parts, `*.done` events, rate
    /// limits, events this crate does not know, ...).
    Other(ServerEvent),
}

/// How a response ended: its `status` with the matching `status_details`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ResponseOutcome {
    /// Finished normally.
    Completed,
    /// Cancelled: by `response.cancel` (`client_cancelled`) or by the user speaking
    /// (`turn_detected`).
    Cancelled {
        /// Why, when the server said.
        reason: Option<StatusReason>,
    },
    /// Failed; nothing more comes of this response.
    Failed {
        /// The error of `status_details.error`, when it is an error object.
        error: Option<ApiError>,
    },
    /// Cut short (`max_output_tokens`, `content_filter`).
    Incomplete {
        /// Why, when the server said.
        reason: Option<StatusReason>,
    },
    /// A status this crate does not know, or none at all.
    Unknown(Option<ResponseStatus>),
}

impl ResponseOutcome {
    /// The outcome of a finished `response`.
    pub fn of(response: &Response) -> Self {
        let details = response
            .status_details
            .as_ref()
            .and_then(|details| details.value());
        let reason = details.and_then(|details| details.reason.clone());
        match &response.status {
            Some(ResponseStatus::Completed) => ResponseOutcome::Completed,
            Some(ResponseStatus::Cancelled) => ResponseOutcome::Cancelled { reason },
            Some(ResponseStatus::Incomplete) => ResponseOutcome::Incomplete { reason },
            Some(ResponseStatus::Failed) => ResponseOutcome::Failed {
                error: details
                    .and_then(|details| details.error.clone())
                    .and_then(|error| serde_json::from_value(error).ok()),
            },
            other => ResponseOutcome::Unknown(other.clone()),
        }
    }

    /// Whether the response completed normally.
    pub fn is_completed(&self) -> bool {
        matches!(self, ResponseOutcome::Completed)
    }
}

/// What [`Conversation::interrupt`](super::Conversation::interrupt) did, or what the conversation did on its own when the user
/// spoke over the assistant ([`ConversationEvent::BargeIn`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interruption {
    /// The event id of the `response.cancel` sent, when a response was in progress.
    pub cancel_event_id: Option<String>,
    /// The truncation sent, when there was assistant audio left to cut.
    pub truncation: Option<Truncation>,
}

/// A `conversation.item.truncate` sent by
/// [`Conversation::interrupt`](super::Conversation::interrupt) or
/// [`Conversation::truncate`](super::Conversation::truncate). The server confirms with `conversation.item.truncated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The assistant item.
    pub item_id: String,
    /// Its audio content part.
    pub content_index: u32,
    /// The audio kept, in ms: what was played, at most what was received.
    pub audio_end_ms: u64,
    /// The event id of the `conversation.item.truncate`.
    pub event_id: String,
}

/// What a turn's latencies count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TurnStart {
    /// `input_audio_buffer.speech_stopped`: server VAD heard the user stop.
    SpeechStopped,
    /// `input_audio_buffer.committed` without a `speech_stopped` before it (manual commit).
    Committed,
    /// `response.created`: no user audio ended this turn (text input, tool follow-ups).
    ResponseCreated,
}

/// The metrics of one response, reported as [`ConversationEvent::TurnMetrics`] right after
/// its [`ResponseDone`](ConversationEvent::ResponseDone) and logged at `info` level (target
/// `rtclient::metrics`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnMetrics {
    /// The response these latencies are of.
    pub response_id: String,
    /// What the latencies count from.
    pub start: TurnStart,
    /// From `start` to the first output audio delta; `None` without audio.
    pub first_audio: Option<Duration>,
    /// From `start` to the first text or audio transcript delta; `None` without text.
    pub first_text: Option<Duration>,
    /// From `response.created` to `response.done`.
    pub response_duration: Duration,
    /// The response's token usage (zeros when the server reported none).
    pub usage: TokenUsage,
    /// Whether the response was cancelled (by the client or by the user speaking).
    pub cancelled: bool,
}

/// Token counts of one response, or summed over a conversation
/// ([`Conversation::usage`](super::Conversation::usage)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    /// Responses counted.
    pub responses: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Of the input tokens, those served from the cache.
    pub cached_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
}

/// Why a conversation moved to a new session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecycleReason {
    /// The session reached
    /// [`RecyclePolicy::max_session_duration`](super::RecyclePolicy::max_session_duration); it
    /// was replaced between turns.
    MaxSessionDuration,
    /// The server closed the session with this code (1001 at its maximum duration).
    Closed {
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// The connection was lost, or could not be kept; the error's message.
    Lost(String),
}

/// What [`ConversationEvent::SessionRecycled`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recycled {
    /// Why.
    pub reason: RecycleReason,
    /// Connection attempts it took.
    pub attempts: u32,
    /// Items replayed into the new session.
    pub replayed: usize,
    /// Items left out (audio without a transcript, kinds a client cannot create).
    pub skipped: usize,
}

#[cfg(test)]
mod tests {
    use rtclient_protocol::{Nullable, StatusDetails};

    use super::*;

    fn ended(status: ResponseStatus, details: StatusDetails) -> Response {
        Response {
            status: Some(status),
            status_details: Some(Nullable::Value(details)),
            ..Default::default()
        }
    }

    #[test]
    fn outcome_reads_status_and_details() {
        let cancelled = ended(
            ResponseStatus::Cancelled,
            StatusDetails {
                reason: Some(StatusReason::TurnDetected),
                ..Default::default()
            },
        );
        assert_eq!(
            ResponseOutcome::of(&cancelled),
            ResponseOutcome::Cancelled {
                reason: Some(StatusReason::TurnDetected)
            }
        );
        let failed = ended(
            ResponseStatus::Failed,
            StatusDetails {
                error: Some(serde_json::json!({"type": "server_error", "code": null})),
                ..Default::default()
            },
        );
        match ResponseOutcome::of(&failed) {
            ResponseOutcome::Failed { error: Some(error) } => {
                assert_eq!(error.kind.as_deref(), Some("server_error"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let odd = ended(
            ResponseStatus::Failed,
            StatusDetails {
                error: Some(serde_json::json!("not an object")),
                ..Default::default()
            },
        );
        assert_eq!(
            ResponseOutcome::of(&odd),
            ResponseOutcome::Failed { error: None }
        );
        assert_eq!(
            ResponseOutcome::of(&Response::default()),
            ResponseOutcome::Unknown(None)
        );
        assert!(
            ResponseOutcome::of(&ended(ResponseStatus::Completed, StatusDetails::default()))
                .is_completed()
        );
    }
}
