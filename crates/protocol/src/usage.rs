//! Token usage of a response, and usage of an input transcription (tokens or duration).

use crate::wire::{string_enum, wire_struct};

wire_struct! {
    /// Token usage of a response (`response.usage`).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Usage [object] {
        /// Input plus output tokens.
        opt total_tokens: u64 = "total_tokens",
        /// Input tokens.
        opt input_tokens: u64 = "input_tokens",
        /// Output tokens.
        opt output_tokens: u64 = "output_tokens",
        /// Input token breakdown.
        opt input_token_details: TokenDetails = "input_token_details",
        /// Output token breakdown.
        opt output_token_details: TokenDetails = "output_token_details",
    }
}

wire_struct! {
    /// A token breakdown by modality.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct TokenDetails [object] {
        /// Text tokens.
        opt text_tokens: u64 = "text_tokens",
        /// Audio tokens.
        opt audio_tokens: u64 = "audio_tokens",
        /// Image tokens.
        opt image_tokens: u64 = "image_tokens",
        /// Cached tokens.
        opt cached_tokens: u64 = "cached_tokens",
        /// Cached tokens by modality.
        opt cached_tokens_details: Box<TokenDetails> = "cached_tokens_details",
    }
}

wire_struct! {
    /// Usage of an input transcription: `{type:"tokens", ...}` or `{type:"duration", seconds}`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct TranscriptionUsage [object] {
        /// `tokens` or `duration`.
        opt kind: TranscriptionUsageKind = "type",
        /// Audio duration in seconds (`duration`).
        opt seconds: serde_json::Number = "seconds",
        /// Total tokens (`tokens`).
        opt total_tokens: u64 = "total_tokens",
        /// Input tokens (`tokens`).
        opt input_tokens: u64 = "input_tokens",
        /// Output tokens (`tokens`).
        opt output_tokens: u64 = "output_tokens",
        /// Input token breakdown (`tokens`).
        opt input_token_details: TokenDetails = "input_token_details",
    }
}

string_enum! {
    /// The `type` of a transcription usage object.
    pub enum TranscriptionUsageKind {
        /// Billed by tokens.
        Tokens = "tokens",
        /// Billed by duration.
        Duration = "duration",
    }
}
