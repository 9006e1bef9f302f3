//! GPT-Live client events (application -> service), one struct per event.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::event::{event_enum, event_struct};
use crate::live::config::{Delegation, SessionConfig};
use crate::nullable::Nullable;
use crate::wire::wire_struct;

event_struct! {
    /// Start the session (first message of a primary or fork WebSocket).
    pub struct SessionStart {
        /// The startup configuration (fork overrides on a fork WebSocket).
        req session: Box<SessionConfig> = "session",
    }
}

wire_struct! {
    /// The `session` of `session.update`: only delegation settings (and decision triggers)
    /// change during a session.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct SessionUpdateConfig [object] {
        /// New delegation settings (the type itself cannot change).
        opt delegation: Nullable<Delegation> = "delegation",
        /// Decision triggers, kept as JSON.
        opt triggers: Vec<serde_json::Value> = "triggers",
    }
}

event_struct! {
    /// Change the delegation settings.
    pub struct SessionUpdate {
        /// The settings to change.
        req session: Box<SessionUpdateConfig> = "session",
    }
}

event_struct! {
    /// Stream input audio (base64, session format, no header), paced like a microphone.
    pub struct InputAudioAppend [fast] {
        /// Base64 audio.
        req audio: String = "audio",
    }
}

/// Declares client events that carry nothing but `type` and `event_id`.
macro_rules! bare_commands {
    ($( $(#[$meta:meta])* $name:ident ),* $(,)?) => {
        $( event_struct! { $(#[$meta])* pub struct $name {} } )*
    };
}

bare_commands! {
    /// Stop feeding input audio to the model (output and delegated work go on).
    InputAudioMute,
    /// Feed input audio to the model again.
    InputAudioUnmute,
    /// Continue the backend response (Responses delegation only; no body).
    ResponseCreate,
    /// Ask the service for a decision now.
    DecisionCreate,
    /// End the session: the service answers `session.closed`.
    SessionClose,
}

/// Declares the three context appends, which share one shape.
macro_rules! context_appends {
    ($( $(#[$meta:meta])* $name:ident ),* $(,)?) => {
        $(
            event_struct! {
                $(#[$meta])*
                pub struct $name {
                    /// Plain text, at most 500 tokens.
                    req content: String = "content",
                    /// A client delegation id, or `null` for session-wide context. The service
                    /// requires the key; `None` leaves it out (the service rejects that).
                    opt delegation_id: Nullable<String> = "delegation_id",
                }
            }
        )*
    };
}

context_appends! {
    /// Trusted application instructions; may interrupt what the model is saying.
    InstructionsAppend,
    /// Facts or progress the model may use but does not speak on append.
    ThinkingAppend,
    /// Content the model should speak aloud, paraphrasing.
    CommentaryAppend,
}

event_struct! {
    /// Play a fixed clip into the output (raw PCM16 24 kHz, at most 30 s).
    pub struct OutputAudioFixturePlay {
        /// Base64 PCM16LE 24 kHz mono.
        req audio: String = "audio",
    }
}

event_struct! {
    /// Add an item to the backend Responses conversation (Responses delegation only), e.g. a
    /// `function_call_output`.
    pub struct ResponseItemCreate {
        /// A Responses input item, kept as JSON.
        req item: serde_json::Value = "item",
    }
}

event_struct! {
    /// Add an item to the decisions conversation.
    pub struct DecisionItemCreate {
        /// The item, kept as JSON.
        req item: serde_json::Value = "item",
    }
}

event_struct! {
    /// Remove an item from the decisions conversation.
    pub struct DecisionItemDelete {
        /// The item id.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// Send one DTMF key to a SIP call (sideband only).
    pub struct TransportDtmfSend {
        /// `0`-`9`, `A`-`D`, `*` or `#`.
        req event: String = "event",
    }
}

event_enum! {
    /// A GPT-Live client event.
    pub enum ClientEvent {
        SessionStart(SessionStart) = "session.start",
        SessionUpdate(SessionUpdate) = "session.update",
        InputAudioAppend(InputAudioAppend) = "session.input_audio.append",
        InputAudioMute(InputAudioMute) = "session.input_audio.mute",
        InputAudioUnmute(InputAudioUnmute) = "session.input_audio.unmute",
        OutputAudioFixturePlay(OutputAudioFixturePlay) = "session.output_audio.fixture.play",
        InstructionsAppend(InstructionsAppend) = "session.instructions.append",
        ThinkingAppend(ThinkingAppend) = "session.thinking.append",
        CommentaryAppend(CommentaryAppend) = "session.commentary.append",
        DecisionCreate(DecisionCreate) = "decision.create",
        DecisionItemCreate(DecisionItemCreate) = "decision.item.create",
        DecisionItemDelete(DecisionItemDelete) = "decision.item.delete",
        ResponseItemCreate(ResponseItemCreate) = "response.item.create",
        ResponseCreate(ResponseCreate) = "response.create",
        SessionClose(SessionClose) = "session.close",
        TransportDtmfSend(TransportDtmfSend) = "transport.dtmf.send",
    }
}

/// Which of the three context appends: how the model treats the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextKind {
    /// `session.instructions.append`.
    Instructions,
    /// `session.thinking.append`.
    Thinking,
    /// `session.commentary.append`.
    Commentary,
}

impl ClientEvent {
    /// `session.start` with a configuration.
    pub fn session_start(session: SessionConfig) -> Self {
        SessionStart {
            session: Box::new(session),
            ..Default::default()
        }
        .into()
    }

    /// `session.input_audio.append` of raw audio bytes in the session format (base64 encoded
    /// here).
    pub fn input_audio(bytes: &[u8]) -> Self {
        InputAudioAppend {
            audio: STANDARD.encode(bytes),
            ..Default::default()
        }
        .into()
    }

    /// One of the three context appends; `delegation_id` `None` writes `null` (session-wide).
    pub fn context_append(
        kind: ContextKind,
        content: impl Into<String>,
        delegation_id: Option<String>,
    ) -> Self {
        let content = content.into();
        let delegation_id = Some(Nullable::from(delegation_id));
        match kind {
            ContextKind::Instructions => InstructionsAppend {
                content,
                delegation_id,
                ..Default::default()
            }
            .into(),
            ContextKind::Thinking => ThinkingAppend {
                content,
                delegation_id,
                ..Default::default()
            }
            .into(),
            ContextKind::Commentary => CommentaryAppend {
                content,
                delegation_id,
                ..Default::default()
            }
            .into(),
        }
    }

    /// The kind, content and `delegation_id` field of a context append; `None` for other events.
    pub fn as_context_append(&self) -> Option<(ContextKind, &str, Option<&Nullable<String>>)> {
        match self {
            Self::InstructionsAppend(e) => Some((
                ContextKind::Instructions,
                &e.content,
                e.delegation_id.as_ref(),
            )),
            Self::ThinkingAppend(e) => {
                Some((ContextKind::Thinking, &e.content, e.delegation_id.as_ref()))
            }
            Self::CommentaryAppend(e) => Some((
                ContextKind::Commentary,
                &e.content,
                e.delegation_id.as_ref(),
            )),
            _ => None,
        }
    }
}
