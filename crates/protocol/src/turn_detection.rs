//! Turn detection (voice activity detection) settings: `server_vad` and `semantic_vad`.
//!
//! Numbers that may be fractional are kept as [`serde_json::Number`] so an integer on the wire
//! (`"threshold": 1`) stays an integer and a float (`0.5`) stays the same `f64`.

use crate::nullable::Nullable;
use crate::wire::{string_enum, wire_struct};

wire_struct! {
    /// The `turn_detection` object (same shape in GA `audio.input.turn_detection` and beta
    /// `turn_detection`). Build one with [`ServerVad`] or [`TurnDetection::semantic_vad`].
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct TurnDetection [object] {
        /// `server_vad` or `semantic_vad`.
        opt kind: TurnDetectionKind = "type",
        /// Speech probability threshold, 0..1 (server VAD).
        opt threshold: serde_json::Number = "threshold",
        /// Audio kept before detected speech, in ms (server VAD; default 300).
        opt prefix_padding_ms: u64 = "prefix_padding_ms",
        /// Silence that ends a turn, in ms (server VAD; default 200 GA, 500 beta).
        opt silence_duration_ms: u64 = "silence_duration_ms",
        /// Idle timeout in ms (5000-30000) or `null` (server VAD, GA).
        opt idle_timeout_ms: Nullable<u64> = "idle_timeout_ms",
        /// Create a response automatically at the end of a turn.
        opt create_response: bool = "create_response",
        /// Cancel a running response when speech starts.
        opt interrupt_response: bool = "interrupt_response",
        /// Semantic VAD eagerness.
        opt eagerness: Eagerness = "eagerness",
    }
}

impl TurnDetection {
    /// Semantic VAD with the given eagerness.
    pub fn semantic_vad(eagerness: Eagerness) -> Self {
        Self {
            kind: Some(TurnDetectionKind::SemanticVad),
            eagerness: Some(eagerness),
            ..Default::default()
        }
    }
}

string_enum! {
    /// The `type` of a turn detection object.
    pub enum TurnDetectionKind {
        /// Silence-based VAD.
        ServerVad = "server_vad",
        /// Model-based end-of-turn detection.
        SemanticVad = "semantic_vad",
    }
}

string_enum! {
    /// Semantic VAD eagerness.
    pub enum Eagerness {
        /// Waits longest.
        Low = "low",
        /// Medium.
        Medium = "medium",
        /// Ends turns quickly.
        High = "high",
        /// Server default (medium).
        Auto = "auto",
    }
}

/// Plain server VAD settings, converted into a [`TurnDetection`] with `type: "server_vad"`.
///
/// The defaults are the GA server defaults: threshold 0.5, 300 ms prefix padding, 200 ms
/// silence; the optional fields are left out of the JSON when `None`.
///
/// ```
/// use rtclient_protocol::{ServerVad, TurnDetection};
/// let td: TurnDetection = ServerVad { silence_duration_ms: 500, ..Default::default() }.into();
/// assert_eq!(td.silence_duration_ms, Some(500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerVad {
    /// Speech probability threshold, 0..1.
    pub threshold: f64,
    /// Audio kept before detected speech, in ms.
    pub prefix_padding_ms: u64,
    /// Silence that ends a turn, in ms.
    pub silence_duration_ms: u64,
    /// Idle timeout in ms (GA only; `None` leaves it out).
    pub idle_timeout_ms: Option<u64>,
    /// Create a response at the end of a turn (`None` leaves it out; server default true).
    pub create_response: Option<bool>,
    /// Cancel a running response on speech (`None` leaves it out; server default true).
    pub interrupt_response: Option<bool>,
}

impl Default for ServerVad {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 200,
            idle_timeout_ms: None,
            create_response: None,
            interrupt_response: None,
        }
    }
}

impl From<ServerVad> for TurnDetection {
    fn from(v: ServerVad) -> Self {
        TurnDetection {
            kind: Some(TurnDetectionKind::ServerVad),
            threshold: serde_json::Number::from_f64(v.threshold),
            prefix_padding_ms: Some(v.prefix_padding_ms),
            silence_duration_ms: Some(v.silence_duration_ms),
            idle_timeout_ms: v.idle_timeout_ms.map(Nullable::Value),
            create_response: v.create_response,
            interrupt_response: v.interrupt_response,
            ..Default::default()
        }
    }
}
