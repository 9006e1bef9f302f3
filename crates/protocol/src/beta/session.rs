//! Beta session, transcription session, response and response parameters (flat layout).

use crate::audio_format::BetaAudioFormat;
use crate::item::Item;
use crate::nullable::Nullable;
use crate::response::{ResponseStatus, StatusDetails};
use crate::session::{MaxTokens, Modality, NoiseReduction, Transcription, Voice};
use crate::tool::{Tool, ToolChoice};
use crate::turn_detection::TurnDetection;
use crate::usage::Usage;
use crate::wire::wire_struct;

wire_struct! {
    /// The beta (flat) session object: `session.update` payload and `session.created/updated`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Session [object] {
        /// Session id (server only).
        opt id: String = "id",
        /// `realtime.session` (server only).
        opt object: String = "object",
        /// Model name.
        opt model: String = "model",
        /// Expiry, Unix seconds (server only).
        opt expires_at: u64 = "expires_at",
        /// e.g. `["text","audio"]`.
        opt modalities: Vec<Modality> = "modalities",
        /// System instructions.
        opt instructions: String = "instructions",
        /// Voice (a name; Azure Voice Live also takes an object).
        opt voice: Voice = "voice",
        /// Input format string.
        opt input_audio_format: BetaAudioFormat = "input_audio_format",
        /// Output format string.
        opt output_audio_format: BetaAudioFormat = "output_audio_format",
        /// Input transcription, or `null`.
        opt input_audio_transcription: Nullable<Transcription> = "input_audio_transcription",
        /// Turn detection, or `null`.
        opt turn_detection: Nullable<TurnDetection> = "turn_detection",
        /// Noise reduction, or `null`.
        opt input_audio_noise_reduction: Nullable<NoiseReduction> = "input_audio_noise_reduction",
        /// Tools.
        opt tools: Vec<Tool> = "tools",
        /// Tool choice.
        opt tool_choice: ToolChoice = "tool_choice",
        /// Sampling temperature (no GA equivalent).
        opt temperature: serde_json::Number = "temperature",
        /// Output token limit.
        opt max_response_output_tokens: MaxTokens = "max_response_output_tokens",
        /// Speaking speed.
        opt speed: serde_json::Number = "speed",
        /// Tracing.
        opt tracing: serde_json::Value = "tracing",
        /// Truncation.
        opt truncation: serde_json::Value = "truncation",
        /// Prompt reference.
        opt prompt: serde_json::Value = "prompt",
        /// Extra output to include.
        opt include: Nullable<Vec<String>> = "include",
        /// Client secret (REST only; `null` on the socket).
        opt client_secret: serde_json::Value = "client_secret",
    }
}

wire_struct! {
    /// The beta transcription session object (`transcription_session.update/updated`).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct TranscriptionSession [object] {
        /// Session id (server only).
        opt id: String = "id",
        /// Object name (server only).
        opt object: String = "object",
        /// Expiry (server only).
        opt expires_at: u64 = "expires_at",
        /// Modalities.
        opt modalities: Vec<Modality> = "modalities",
        /// Input format string.
        opt input_audio_format: BetaAudioFormat = "input_audio_format",
        /// Input transcription, or `null`.
        opt input_audio_transcription: Nullable<Transcription> = "input_audio_transcription",
        /// Turn detection, or `null`.
        opt turn_detection: Nullable<TurnDetection> = "turn_detection",
        /// Noise reduction, or `null`.
        opt input_audio_noise_reduction: Nullable<NoiseReduction> = "input_audio_noise_reduction",
        /// Extra output to include.
        opt include: Nullable<Vec<String>> = "include",
        /// Client secret (REST only).
        opt client_secret: serde_json::Value = "client_secret",
    }
}

wire_struct! {
    /// The beta response object.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Response [object] {
        /// `realtime.response`.
        opt object: String = "object",
        /// Response id.
        opt id: String = "id",
        /// Status.
        opt status: ResponseStatus = "status",
        /// Status details, or `null`.
        opt status_details: Nullable<StatusDetails> = "status_details",
        /// Output items.
        opt output: Vec<Item> = "output",
        /// Conversation id.
        opt conversation_id: String = "conversation_id",
        /// Modalities.
        opt modalities: Vec<Modality> = "modalities",
        /// Voice.
        opt voice: Voice = "voice",
        /// Output format string.
        opt output_audio_format: BetaAudioFormat = "output_audio_format",
        /// Temperature.
        opt temperature: serde_json::Number = "temperature",
        /// Output token limit.
        opt max_output_tokens: MaxTokens = "max_output_tokens",
        /// Usage, or `null`.
        opt usage: Nullable<Usage> = "usage",
        /// Metadata, or `null`.
        opt metadata: serde_json::Value = "metadata",
    }
}

wire_struct! {
    /// Beta `response.create` parameters.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ResponseCreateParams [object] {
        /// Modalities.
        opt modalities: Vec<Modality> = "modalities",
        /// Instructions.
        opt instructions: String = "instructions",
        /// Voice.
        opt voice: Voice = "voice",
        /// Output format string.
        opt output_audio_format: BetaAudioFormat = "output_audio_format",
        /// Tools.
        opt tools: Vec<Tool> = "tools",
        /// Tool choice.
        opt tool_choice: ToolChoice = "tool_choice",
        /// Temperature.
        opt temperature: serde_json::Number = "temperature",
        /// Output token limit.
        opt max_response_output_tokens: MaxTokens = "max_response_output_tokens",
        /// `"auto"` or `"none"`.
        opt conversation: serde_json::Value = "conversation",
        /// Metadata.
        opt metadata: serde_json::Value = "metadata",
        /// Input items.
        opt input: Vec<Item> = "input",
    }
}
