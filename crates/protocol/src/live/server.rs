//! GPT-Live server events (service -> application), one struct per event.

use crate::event::{event_enum, event_struct};
use crate::live::client::ContextKind;
use crate::live::config::{
    CloseReason, ContextWindow, DelegationInfo, LiveError, SessionResource, SessionUsage,
};
use crate::wire::wire_struct;

event_struct! {
    /// The session started (answer to `session.start`; also sent to a sideband that attaches).
    pub struct SessionStarted {
        /// The resolved session.
        req session: Box<SessionResource> = "session",
        /// The `event_id` of the command it answers.
        opt client_event_id: String = "client_event_id",
    }
}

event_struct! {
    /// The delegation settings changed (answer to `session.update`).
    pub struct SessionUpdated {
        /// The resolved session.
        req session: Box<SessionResource> = "session",
        /// The `event_id` of the command it answers.
        opt client_event_id: String = "client_event_id",
    }
}

/// Declares server events that carry only `event_id` and `client_event_id`.
macro_rules! bare_notices {
    ($( $(#[$meta:meta])* $name:ident ),* $(,)?) => {
        $(
            event_struct! {
                $(#[$meta])*
                pub struct $name {
                    /// The `event_id` of the command it answers.
                    opt client_event_id: String = "client_event_id",
                }
            }
        )*
    };
}

bare_notices! {
    /// Input audio no longer reaches the model.
    InputAudioMuted,
    /// Input audio reaches the model again.
    InputAudioUnmuted,
    /// An audio fixture started playing.
    OutputAudioFixturePlaying,
    /// An audio fixture drained from the output mixer.
    OutputAudioFixturePlayed,
    /// Speech resumed paused inference (WebRTC standby).
    SessionResumed,
    /// The idle timeout paused inference (WebRTC standby).
    SessionPaused,
}

/// Declares the three append acknowledgements, which share one shape.
macro_rules! appended_acks {
    ($( $(#[$meta:meta])* $name:ident ),* $(,)?) => {
        $(
            event_struct! {
                $(#[$meta])*
                pub struct $name {
                    /// Where the context landed on the session timeline, ms.
                    req start_ms: u64 = "start_ms",
                    /// End of that interval (exclusive; may equal `start_ms`), ms.
                    req end_ms: u64 = "end_ms",
                    /// The `event_id` of the append it acknowledges.
                    opt client_event_id: String = "client_event_id",
                }
            }
        )*
    };
}

appended_acks! {
    /// A `session.instructions.append` was accepted.
    InstructionsAppended,
    /// A `session.thinking.append` was accepted.
    ThinkingAppended,
    /// A `session.commentary.append` was accepted.
    CommentaryAppended,
}

event_struct! {
    /// Input audio from the primary transport, reflected to a sideband (PCM16 24 kHz; no
    /// `event_id`, no timestamps).
    pub struct InputAudioReflection {
        /// Base64 audio.
        req audio: String = "audio",
    }
}

event_struct! {
    /// Output audio: one continuous track for the life of the session, silence included (no
    /// `event_id`).
    pub struct OutputAudioDelta [fast] {
        /// Base64 audio in the session format (PCM16 24 kHz on a sideband).
        req delta: String = "delta",
        /// Timeline start, ms (sideband only).
        opt start_ms: u64 = "start_ms",
        /// Timeline end, ms (sideband only).
        opt end_ms: u64 = "end_ms",
    }
}

/// Declares the two transcript deltas, which share one shape.
macro_rules! transcript_deltas {
    ($( $(#[$meta:meta])* $name:ident ),* $(,)?) => {
        $(
            event_struct! {
                $(#[$meta])*
                pub struct $name {
                    /// Text to append exactly as received (carries its own spaces).
                    req delta: String = "delta",
                    /// Timeline start of the words, ms.
                    req start_ms: u64 = "start_ms",
                    /// Timeline end of the words, ms.
                    req end_ms: u64 = "end_ms",
                    /// The `event_id` of a related command.
                    opt client_event_id: String = "client_event_id",
                }
            }
        )*
    };
}

transcript_deltas! {
    /// What the user said (no item, no turn, no final event).
    InputTranscriptDelta,
    /// What the model said.
    OutputTranscriptDelta,
}

event_struct! {
    /// The model delegated a task. In client mode it carries no task text: build the task
    /// from transcripts and answer with `session.commentary.append` or `.thinking.append`.
    pub struct DelegationCreated {
        /// Timeline position of the request, ms.
        req offset_ms: u64 = "offset_ms",
        /// The task.
        req delegation: DelegationInfo = "delegation",
        /// The `event_id` of a related command.
        opt client_event_id: String = "client_event_id",
    }
}

event_struct! {
    /// A backend Responses streaming event (Responses delegation).
    pub struct ResponseEvent {
        /// The nested Responses event, kept as JSON.
        req event: serde_json::Value = "event",
        /// The delegation it belongs to.
        opt delegation_id: crate::Nullable<String> = "delegation_id",
        /// The `event_id` of a related command.
        opt client_event_id: String = "client_event_id",
    }
}

event_struct! {
    /// A decision result.
    pub struct DecisionEvent {
        /// The decision, kept as JSON.
        req event: serde_json::Value = "event",
        /// The delegation it belongs to.
        opt delegation_id: crate::Nullable<String> = "delegation_id",
        /// The transcript event that triggered it.
        opt source_event_id: crate::Nullable<String> = "source_event_id",
        /// The type of that event.
        opt source_event_type: crate::Nullable<String> = "source_event_type",
        /// The trigger that fired.
        opt trigger_id: crate::Nullable<String> = "trigger_id",
    }
}

event_struct! {
    /// An item was added to the decisions conversation.
    pub struct DecisionItemCreated {
        /// The stored item, kept as JSON.
        req item: serde_json::Value = "item",
        /// The `event_id` of the command it answers.
        opt client_event_id: String = "client_event_id",
    }
}

event_struct! {
    /// An item was removed from the decisions conversation.
    pub struct DecisionItemDeleted {
        /// The item id.
        req item_id: String = "item_id",
        /// The `event_id` of the command it answers.
        opt client_event_id: String = "client_event_id",
    }
}

event_struct! {
    /// Cumulative usage (cadence unspecified).
    pub struct SessionUsageUpdated {
        /// Billed seconds so far.
        req usage: SessionUsage = "usage",
        /// Context window use.
        opt context_window: ContextWindow = "context_window",
        /// The `event_id` of a related command.
        opt client_event_id: String = "client_event_id",
    }
}

event_struct! {
    /// The session ended; the socket closes after this.
    pub struct SessionClosed {
        /// Why.
        req reason: CloseReason = "reason",
        /// The final snapshot (status still `active`).
        req session: Box<SessionResource> = "session",
        /// Final usage.
        req usage: SessionUsage = "usage",
        /// The `event_id` of the `session.close` it answers.
        opt client_event_id: String = "client_event_id",
    }
}

event_struct! {
    /// A command failed, or the session hit a problem; mostly not fatal.
    pub struct ErrorEvent {
        /// The error.
        req error: LiveError = "error",
        /// The `event_id` of the offending command.
        opt client_event_id: String = "client_event_id",
    }
}

event_struct! {
    /// A notice that is not an error (e.g. `data_channel_permissions`).
    pub struct InfoEvent {
        /// Notice code.
        req code: String = "code",
        /// Human-readable message.
        req message: String = "message",
        /// The `event_id` of a related command.
        opt client_event_id: String = "client_event_id",
    }
}

/// Declares the DTMF notices, which share one shape.
macro_rules! dtmf_notices {
    ($( $(#[$meta:meta])* $name:ident ),* $(,)?) => {
        $(
            event_struct! {
                $(#[$meta])*
                pub struct $name {
                    /// The key.
                    req event: String = "event",
                    /// The `event_id` of the command it answers.
                    opt client_event_id: String = "client_event_id",
                }
            }
        )*
    };
}

dtmf_notices! {
    /// The caller pressed a key (SIP, sideband only).
    TransportDtmfReceived,
    /// Legacy delivery notice, replaced by `transport.dtmf.sent`.
    TransportDtmfSendNotice,
    /// A key was sent to the SIP trunk (sideband only).
    TransportDtmfSent,
}

/// Declares outbound SIP call progress notices.
macro_rules! call_notices {
    ($( $(#[$meta:meta])* $name:ident ),* $(,)?) => {
        $(
            event_struct! {
                $(#[$meta])*
                pub struct $name {
                    /// The Live session id.
                    req session_id: String = "session_id",
                }
            }
        )*
    };
}

call_notices! {
    /// The outbound SIP leg is ringing.
    TransportRinging,
    /// The outbound SIP leg answered.
    TransportAnswered,
}

wire_struct! {
    /// The error of `transport.failed`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct CallError [object] {
        /// Always `call_error`.
        req kind: String = "type",
        /// Failure code, e.g. `provider_invite_failed`.
        req code: String = "code",
        /// Human-readable message.
        req message: String = "message",
        /// The related parameter; empty when none applies.
        opt param: crate::Nullable<String> = "param",
    }
}

event_struct! {
    /// Outbound SIP call setup failed.
    pub struct TransportFailed {
        /// The Live session id.
        req session_id: String = "session_id",
        /// What failed.
        req error: CallError = "error",
    }
}

event_enum! {
    /// A GPT-Live server event.
    pub enum ServerEvent {
        SessionStarted(SessionStarted) = "session.started",
        SessionUpdated(SessionUpdated) = "session.updated",
        SessionResumed(SessionResumed) = "session.resumed",
        SessionPaused(SessionPaused) = "session.paused",
        InputAudioMuted(InputAudioMuted) = "session.input_audio.muted",
        InputAudioUnmuted(InputAudioUnmuted) = "session.input_audio.unmuted",
        OutputAudioFixturePlaying(OutputAudioFixturePlaying) = "session.output_audio.fixture.playing",
        OutputAudioFixturePlayed(OutputAudioFixturePlayed) = "session.output_audio.fixture.played",
        InstructionsAppended(InstructionsAppended) = "session.instructions.appended",
        ThinkingAppended(ThinkingAppended) = "session.thinking.appended",
        CommentaryAppended(CommentaryAppended) = "session.commentary.appended",
        InputAudioReflection(InputAudioReflection) = "session.input_audio.append",
        OutputAudioDelta(OutputAudioDelta) = "session.output_audio.delta",
        InputTranscriptDelta(InputTranscriptDelta) = "session.input_transcript.delta",
        OutputTranscriptDelta(OutputTranscriptDelta) = "session.output_transcript.delta",
        DelegationCreated(DelegationCreated) = "session.delegation.created",
        DecisionEvent(DecisionEvent) = "decision.event",
        DecisionItemCreated(DecisionItemCreated) = "decision.item.created",
        DecisionItemDeleted(DecisionItemDeleted) = "decision.item.deleted",
        ResponseEvent(ResponseEvent) = "response.event",
        SessionUsageUpdated(SessionUsageUpdated) = "session.usage.updated",
        SessionClosed(SessionClosed) = "session.closed",
        Error(ErrorEvent) = "error",
        Info(InfoEvent) = "info",
        TransportDtmfReceived(TransportDtmfReceived) = "transport.dtmf.received",
        TransportDtmfSend(TransportDtmfSendNotice) = "transport.dtmf.send",
        TransportDtmfSent(TransportDtmfSent) = "transport.dtmf.sent",
        TransportRinging(TransportRinging) = "transport.ringing",
        TransportAnswered(TransportAnswered) = "transport.answered",
        TransportFailed(TransportFailed) = "transport.failed",
    }
}

impl ServerEvent {
    /// An `error` event; `client_event_id` is copied to the top level too, as the service does.
    pub fn error(error: LiveError) -> Self {
        ErrorEvent {
            client_event_id: error.client_event_id.clone(),
            error,
            ..Default::default()
        }
        .into()
    }

    /// The acknowledgement of a context append of `kind`.
    pub fn appended(
        kind: ContextKind,
        start_ms: u64,
        end_ms: u64,
        client_event_id: Option<String>,
    ) -> Self {
        match kind {
            ContextKind::Instructions => InstructionsAppended {
                start_ms,
                end_ms,
                client_event_id,
                ..Default::default()
            }
            .into(),
            ContextKind::Thinking => ThinkingAppended {
                start_ms,
                end_ms,
                client_event_id,
                ..Default::default()
            }
            .into(),
            ContextKind::Commentary => CommentaryAppended {
                start_ms,
                end_ms,
                client_event_id,
                ..Default::default()
            }
            .into(),
        }
    }
}
