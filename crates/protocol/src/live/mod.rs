//! GPT-Live, OpenAI's full-duplex voice API (`/v1/live/sessions`): its own event family beside
//! Realtime, with its own [`ClientEvent`] and [`ServerEvent`] enums.
//!
//! A Live session has no turns and no VAD settings: the client sends `session.start` with a
//! [`SessionConfig`] and streams input audio; the service answers `session.started` and streams
//! output audio for the life of the session (silence included), transcripts of both speakers on
//! the session timeline (`start_ms`/`end_ms`), and `session.delegation.created` when the voice
//! model hands a task to the backend. The application answers delegated tasks with the three
//! context appends ([`ContextKind`]), or in Responses mode with `response.item.create` and
//! `response.create`. `session.close` ends it with `session.closed`.
//!
//! The events follow the same lossless rules as the Realtime families (unknown fields in `extra`,
//! unknown events as `Unknown`, explicit `null` as [`Nullable`](crate::Nullable)) and reuse its
//! [`AudioFormat`](crate::AudioFormat), [`Voice`](crate::Voice) and [`Tool`](crate::Tool) objects.
//!
//! ```
//! use rtclient_protocol::live::{ClientEvent, ContextKind, Delegation, ServerEvent, SessionConfig};
//!
//! let start = ClientEvent::session_start(
//!     SessionConfig::new("gpt-live-1").instructions("Be brief.").delegation(Delegation::client()),
//! );
//! assert!(start.to_json()?.starts_with(r#"{"type":"session.start""#));
//!
//! let frame = r#"{"type":"session.delegation.created","offset_ms":4600,"delegation":{"id":"item_1","type":"delegation","target":"client"},"event_id":"e1"}"#;
//! let ServerEvent::DelegationCreated(task) = ServerEvent::from_json(frame)? else { panic!() };
//! let answer = ClientEvent::context_append(
//!     ContextKind::Commentary, "Staging is healthy.", Some(task.delegation.id),
//! );
//! assert!(answer.to_json()?.contains(r#""delegation_id":"item_1""#));
//! # Ok::<(), rtclient_protocol::Error>(())
//! ```

mod audio;
mod client;
mod config;
mod server;

pub use audio::OutputAudioDeltaRef;
pub use client::{
    ClientEvent, CommentaryAppend, ContextKind, DecisionCreate, DecisionItemCreate,
    DecisionItemDelete, InputAudioAppend, InputAudioMute, InputAudioUnmute, InstructionsAppend,
    OutputAudioFixturePlay, ResponseCreate, ResponseItemCreate, SessionClose, SessionStart,
    SessionUpdate, SessionUpdateConfig, ThinkingAppend, TransportDtmfSend,
};
pub use config::{
    AudioOutput, CloseReason, ContextWindow, Delegation, DelegationInfo, DelegationKind,
    InitialContent, InitialItem, InitialRole, LiveError, ResponsesDelegation, SessionAudio,
    SessionConfig, SessionResource, SessionUsage,
};
pub use server::{
    CallError, CommentaryAppended, DecisionEvent, DecisionItemCreated, DecisionItemDeleted,
    DelegationCreated, ErrorEvent, InfoEvent, InputAudioMuted, InputAudioReflection,
    InputAudioUnmuted, InputTranscriptDelta, InstructionsAppended, OutputAudioDelta,
    OutputAudioFixturePlayed, OutputAudioFixturePlaying, OutputTranscriptDelta, ResponseEvent,
    ServerEvent, SessionClosed, SessionPaused, SessionResumed, SessionStarted, SessionUpdated,
    SessionUsageUpdated, ThinkingAppended, TransportAnswered, TransportDtmfReceived,
    TransportDtmfSendNotice, TransportDtmfSent, TransportFailed, TransportRinging,
};
