//! The objects inside GPT-Live events: the session configuration sent in `session.start`, the
//! resolved session snapshot the server returns, delegation settings, startup history items,
//! usage, and the error object.

use crate::audio_format::AudioFormat;
use crate::nullable::Nullable;
use crate::session::Voice;
use crate::tool::{Tool, ToolChoice};
use crate::wire::{string_enum, wire_struct};

wire_struct! {
    /// The `session` of `session.start`: the startup configuration.
    ///
    /// On a primary WebSocket `model` is required. On a fork WebSocket the same event carries
    /// fork overrides instead: only `audio.format`, `client`, `delegation` and `store` apply and
    /// everything else is inherited from the source session (an empty object inherits all).
    /// Everything except `delegation.responses` is fixed for the life of the session.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct SessionConfig [object] {
        /// The Live model, e.g. `gpt-live-1` (never in the URL).
        opt model: String = "model",
        /// Session instructions; `null` or blank means the server's default instructions.
        opt instructions: Nullable<String> = "instructions",
        /// Audio format (WebSocket only) and voice.
        opt audio: SessionAudio = "audio",
        /// Who answers delegated tasks; `null` means client delegation.
        opt delegation: Nullable<Delegation> = "delegation",
        /// Startup history (at most 128 messages).
        opt input: Vec<InitialItem> = "input",
        /// Keep the session for fork and recording download (default `false`).
        opt store: bool = "store",
        /// WebRTC data-channel permissions, kept as JSON.
        opt client: serde_json::Value = "client",
        /// Decision triggers, kept as JSON.
        opt triggers: Vec<serde_json::Value> = "triggers",
        /// A stable end-user identifier for abuse detection.
        opt safety_identifier: Nullable<String> = "safety_identifier",
    }
}

impl SessionConfig {
    /// A configuration for `model` with every other setting left to the server.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: Some(model.into()),
            ..Default::default()
        }
    }

    /// Sets the instructions.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(Nullable::Value(instructions.into()));
        self
    }

    /// Sets the voice.
    pub fn voice(mut self, voice: impl Into<Voice>) -> Self {
        let audio = self.audio.get_or_insert_with(SessionAudio::default);
        audio.output.get_or_insert_with(AudioOutput::default).voice = Some(voice.into());
        self
    }

    /// Sets the audio format of both directions.
    pub fn format(mut self, format: AudioFormat) -> Self {
        self.audio.get_or_insert_with(SessionAudio::default).format = Some(format);
        self
    }

    /// Sets the delegation mode.
    pub fn delegation(mut self, delegation: Delegation) -> Self {
        self.delegation = Some(Nullable::Value(delegation));
        self
    }
}

wire_struct! {
    /// The session snapshot in `session.started`, `session.updated` and `session.closed`:
    /// the resolved configuration, server defaults filled in.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct SessionResource [object] {
        /// Session id (`live_...`); keep it unchanged for attach, fork and recording download.
        req id: String = "id",
        /// Expiry, Unix seconds.
        req expires_at: u64 = "expires_at",
        /// The Live model.
        req model: String = "model",
        /// Always `active`, even in `session.closed`.
        req status: String = "status",
        /// Instructions, or `null`.
        opt instructions: Nullable<String> = "instructions",
        /// Audio format and voice.
        opt audio: SessionAudio = "audio",
        /// Delegation mode, or `null`.
        opt delegation: Nullable<Delegation> = "delegation",
        /// Startup history.
        opt input: Vec<InitialItem> = "input",
        /// Whether the session is stored.
        opt store: bool = "store",
        /// WebRTC data-channel permissions, kept as JSON.
        opt client: serde_json::Value = "client",
        /// Decision triggers, kept as JSON.
        opt triggers: Vec<serde_json::Value> = "triggers",
        /// The end-user identifier, or `null`.
        opt safety_identifier: Nullable<String> = "safety_identifier",
    }
}

wire_struct! {
    /// `session.audio`: the format of both directions and the output voice.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct SessionAudio [object] {
        /// Input and output format (default PCM16 24 kHz); WebSocket transports only.
        opt format: AudioFormat = "format",
        /// Output settings.
        opt output: AudioOutput = "output",
    }
}

wire_struct! {
    /// `session.audio.output`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct AudioOutput [object] {
        /// A built-in voice name (default `marin`), any string, or `{"id": ...}`.
        opt voice: Voice = "voice",
    }
}

string_enum! {
    /// `delegation.type`: who answers the tasks the voice model delegates.
    #[derive(Default)]
    pub enum DelegationKind {
        /// The application, through `session.*.append` with the delegation id.
        #[default]
        Client = "client",
        /// A Responses model run by the service; events arrive as `response.event`.
        Responses = "responses",
        /// Decision questions answered by a model.
        Decisions = "decisions",
    }
}

wire_struct! {
    /// `session.delegation`: the delegation mode and its settings.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Delegation [object] {
        /// The mode (fixed at startup).
        req kind: DelegationKind = "type",
        /// Responses settings (required at startup in Responses mode; sparse in an update).
        opt responses: ResponsesDelegation = "responses",
        /// Decisions settings, kept as JSON.
        opt decisions: serde_json::Value = "decisions",
        /// How long the voice model waits before acknowledging a delegated task, ms.
        opt acknowledgement_delay_ms: u64 = "acknowledgement_delay_ms",
    }
}

impl Delegation {
    /// `{"type":"client"}`.
    pub fn client() -> Self {
        Self {
            kind: DelegationKind::Client,
            ..Default::default()
        }
    }

    /// `{"type":"responses","responses":...}`.
    pub fn responses(responses: ResponsesDelegation) -> Self {
        Self {
            kind: DelegationKind::Responses,
            responses: Some(responses),
            ..Default::default()
        }
    }
}

wire_struct! {
    /// `delegation.responses`: the backend Responses model and its settings. At startup
    /// `model` is required; in `session.update` every field is optional and omitted fields keep
    /// their values.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ResponsesDelegation [object] {
        /// Backend model.
        opt model: String = "model",
        /// Backend instructions, or `null`.
        opt instructions: Nullable<String> = "instructions",
        /// Output token limit (at least 16), or `null`.
        opt max_output_tokens: Nullable<u64> = "max_output_tokens",
        /// Allow parallel tool calls, or `null`.
        opt parallel_tool_calls: Nullable<bool> = "parallel_tool_calls",
        /// `{effort, summary}`, or `null`; kept as JSON.
        opt reasoning: serde_json::Value = "reasoning",
        /// `auto`, `default`, `flex`, `priority`, ..., or `null`.
        opt service_tier: Nullable<String> = "service_tier",
        /// `{verbosity}`, or `null`; kept as JSON.
        opt text: serde_json::Value = "text",
        /// `auto`, `none`, `required` or a specific tool.
        opt tool_choice: ToolChoice = "tool_choice",
        /// Functions and hosted tools the backend may call.
        opt tools: Vec<Tool> = "tools",
    }
}

string_enum! {
    /// The `role` of a startup history message.
    #[derive(Default)]
    pub enum InitialRole {
        /// Developer instructions.
        Developer = "developer",
        /// What the user said.
        #[default]
        User = "user",
        /// What the assistant said.
        Assistant = "assistant",
    }
}

wire_struct! {
    /// One startup history message in `session.input` (exactly one text part).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct InitialItem [object] {
        /// Who said it.
        req role: InitialRole = "role",
        /// The text part (exactly one).
        req content: Vec<InitialContent> = "content",
        /// `message` when given.
        opt kind: String = "type",
        /// Item id, or `null`.
        opt id: Nullable<String> = "id",
        /// `completed` or `incomplete`, or `null`.
        opt status: Nullable<String> = "status",
    }
}

impl InitialItem {
    /// A message with one text part.
    pub fn text(role: InitialRole, text: impl Into<String>) -> Self {
        Self {
            role,
            content: vec![InitialContent {
                text: text.into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }
}

wire_struct! {
    /// The text part of a startup history message.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct InitialContent [object] {
        /// The text.
        req text: String = "text",
        /// `input_text` (developer, user), `text` or `output_text` (assistant).
        opt kind: String = "type",
    }
}

wire_struct! {
    /// `delegation` of `session.delegation.created`: one delegated task.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct DelegationInfo [object] {
        /// Delegation id; answer with it as `delegation_id` (client mode).
        req id: String = "id",
        /// Always `delegation`.
        req kind: String = "type",
        /// Who answers it.
        req target: DelegationKind = "target",
        /// The backend response id (Responses mode only).
        opt response_id: String = "response_id",
    }
}

wire_struct! {
    /// Session usage: cumulative billed seconds (replace, never sum).
    #[derive(Debug, Clone, PartialEq)]
    pub struct SessionUsage [object] {
        /// Cumulative voice duration, seconds (may be fractional).
        req seconds: serde_json::Number = "seconds",
        /// Seconds with inference active.
        opt active_seconds: u64 = "active_seconds",
        /// Seconds with inference paused (standby).
        opt paused_seconds: u64 = "paused_seconds",
    }
}

impl SessionUsage {
    /// Usage of a whole number of seconds.
    pub fn seconds(seconds: u64) -> Self {
        Self {
            seconds: seconds.into(),
            active_seconds: None,
            paused_seconds: None,
            extra: serde_json::Map::new(),
        }
    }
}

impl Default for SessionUsage {
    fn default() -> Self {
        Self::seconds(0)
    }
}

wire_struct! {
    /// `context_window` of `session.usage.updated`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ContextWindow [object] {
        /// Share of the context window in use, 0..1 (can fall after compaction).
        req usage_ratio: serde_json::Number = "usage_ratio",
    }
}

wire_struct! {
    /// The error object of a Live `error` event. Unlike Realtime's it correlates with
    /// `client_event_id`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct LiveError [object] {
        /// `invalid_request_error`, `server_error`, ...
        req kind: String = "type",
        /// Error code, e.g. `unknown_parameter`; `null` in practice sometimes.
        req code: Nullable<String> = "code",
        /// Human-readable message.
        req message: String = "message",
        /// The offending parameter, or `null`.
        opt param: Nullable<String> = "param",
        /// The `event_id` of the client command that caused it.
        opt client_event_id: String = "client_event_id",
    }
}

impl LiveError {
    /// An `invalid_request_error` with a code and message.
    pub fn invalid_request(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: "invalid_request_error".to_owned(),
            code: Nullable::Value(code.into()),
            message: message.into(),
            ..Default::default()
        }
    }

    /// Sets `param`.
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(Nullable::Value(param.into()));
        self
    }

    /// Sets `client_event_id` (left out for `None`).
    pub fn caused_by(mut self, client_event_id: Option<String>) -> Self {
        self.client_event_id = client_event_id;
        self
    }
}

string_enum! {
    /// Why a session ended (`session.closed.reason`).
    #[derive(Default)]
    pub enum CloseReason {
        /// `session.close` or the hang-up endpoint.
        #[default]
        CloseRequested = "close_requested",
        /// The session reached its duration limit.
        Expired = "expired",
        /// The safety filter ended it.
        Content = "content",
        /// The remote side hung up.
        RemoteHangup = "remote_hangup",
        /// The primary connection or upstream was lost.
        ConnectionLost = "connection_lost",
    }
}
