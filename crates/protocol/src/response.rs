//! The GA response object and `response.create` parameters.

use crate::item::Item;
use crate::nullable::Nullable;
use crate::session::{MaxTokens, Modality, SessionAudio};
use crate::tool::{Tool, ToolChoice};
use crate::usage::Usage;
use crate::wire::{string_enum, wire_struct};

wire_struct! {
    /// A response (`response.created`, `response.done`).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Response [object] {
        /// `realtime.response`.
        opt object: String = "object",
        /// Response id `resp_...`.
        opt id: String = "id",
        /// Status.
        opt status: ResponseStatus = "status",
        /// Why the response ended as it did, or `null`.
        opt status_details: Nullable<StatusDetails> = "status_details",
        /// Output items.
        opt output: Vec<Item> = "output",
        /// Conversation id, if the response belongs to one.
        opt conversation_id: String = "conversation_id",
        /// Output modalities.
        opt output_modalities: Vec<Modality> = "output_modalities",
        /// Output token limit.
        opt max_output_tokens: MaxTokens = "max_output_tokens",
        /// Audio output settings (`audio.output`).
        opt audio: SessionAudio = "audio",
        /// Token usage, or `null` (in `response.created`).
        opt usage: Nullable<Usage> = "usage",
        /// Client metadata, or `null`.
        opt metadata: serde_json::Value = "metadata",
    }
}

wire_struct! {
    /// `status_details` of a response.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct StatusDetails [object] {
        /// The status these details are about.
        opt kind: ResponseStatus = "type",
        /// `turn_detected`, `client_cancelled`, `max_output_tokens`, `content_filter`.
        opt reason: StatusReason = "reason",
        /// Error object (`{type, code}`) for failed responses.
        opt error: serde_json::Value = "error",
    }
}

string_enum! {
    /// Response status.
    pub enum ResponseStatus {
        /// Running.
        InProgress = "in_progress",
        /// Finished normally.
        Completed = "completed",
        /// Cancelled (client or barge-in).
        Cancelled = "cancelled",
        /// Failed.
        Failed = "failed",
        /// Cut short (token limit, content filter).
        Incomplete = "incomplete",
    }
}

string_enum! {
    /// Why a response was cancelled or incomplete.
    pub enum StatusReason {
        /// Speech started (barge-in).
        TurnDetected = "turn_detected",
        /// `response.cancel`.
        ClientCancelled = "client_cancelled",
        /// Token limit hit.
        MaxOutputTokens = "max_output_tokens",
        /// Content filter.
        ContentFilter = "content_filter",
    }
}

wire_struct! {
    /// GA `response.create` parameters. All optional; unset fields inherit the session's.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ResponseCreateParams [object] {
        /// `["audio"]` or `["text"]`.
        opt output_modalities: Vec<Modality> = "output_modalities",
        /// Instructions for this response.
        opt instructions: String = "instructions",
        /// Audio output settings (`audio.output.{format, voice}`).
        opt audio: SessionAudio = "audio",
        /// Tools.
        opt tools: Vec<Tool> = "tools",
        /// Tool choice.
        opt tool_choice: ToolChoice = "tool_choice",
        /// Output token limit.
        opt max_output_tokens: MaxTokens = "max_output_tokens",
        /// `"auto"`, `"none"` (out of band) or a conversation id.
        opt conversation: serde_json::Value = "conversation",
        /// Client metadata.
        opt metadata: serde_json::Value = "metadata",
        /// Input items replacing the context for this response.
        opt input: Vec<Item> = "input",
        /// Prompt template reference.
        opt prompt: serde_json::Value = "prompt",
        /// Reasoning settings.
        opt reasoning: serde_json::Value = "reasoning",
        /// Whether tools may be called in parallel.
        opt parallel_tool_calls: bool = "parallel_tool_calls",
    }
}

impl ResponseCreateParams {
    /// Sets `instructions` for this response.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Sets `output_modalities` to the one modality given.
    pub fn output_modality(mut self, modality: Modality) -> Self {
        self.output_modalities = Some(vec![modality]);
        self
    }

    /// Makes the response out of band: `conversation: "none"` (nothing is added to the
    /// conversation).
    pub fn out_of_band(mut self) -> Self {
        self.conversation = Some(serde_json::Value::String("none".to_owned()));
        self
    }

    /// Sets `input`, replacing the conversation as context for this response.
    pub fn input(mut self, items: Vec<Item>) -> Self {
        self.input = Some(items);
        self
    }
}
