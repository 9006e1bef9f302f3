//! Typed, lossless events of the OpenAI / Azure OpenAI Realtime API.
//!
//! # Overview
//!
//! The Realtime API speaks JSON events over a WebSocket. This crate is the vocabulary:
//!
//! - [`ServerEvent`] and [`ClientEvent`]: one enum per direction keyed on the wire `type`, one
//!   struct per event (in [`event::server`] and [`event::client`]), plus `Unknown` holding the
//!   raw JSON of any event type this crate does not know. This is the **GA** model, the one
//!   upper layers program against.
//! - [`beta::ServerEvent`] and [`beta::ClientEvent`]: the **beta** wire dialect (`OpenAI-Beta:
//!   realtime=v1`, Azure preview `api-version`, Azure Voice Live) mirrored exactly; the
//!   [`beta::translate`] module maps it to and from the GA model.
//! - [`Dialect`]: parse and write frames of either dialect through the GA model, in both
//!   directions (client side and server side).
//! - The objects inside events: [`Session`], [`Item`], [`ContentPart`], [`Response`],
//!   [`TurnDetection`], [`AudioFormat`], [`Tool`], [`Usage`], [`RateLimit`], [`ApiError`] and
//!   its [`ErrorCode`].
//! - [`event::AudioDeltaRef`] via [`Dialect::parse_audio_delta`]: a zero-copy view of output
//!   audio deltas (the bulk of traffic) whose base64 borrows the frame text.
//! - [`translation_session`]: the separate GA translation-session family (`session.input_audio_buffer.append`, ...).
//! - [`live`]: GPT-Live (`/v1/live/sessions`), the full-duplex voice API, its own event family.
//!
//! Every struct keeps fields it does not know in an `extra` map and every string enum keeps
//! unknown values in `Other(String)`, so `parse -> serialize` gives back JSON equal to the
//! input. Optional fields are left out when `None`; fields the API lets be `null` are
//! `Option<Nullable<T>>` so an explicit `null` (e.g. `turn_detection: null`) can be written.
//! A known event type whose fields do not fit is an [`Error`], never a silent `Unknown`.
//! Numbers that may be fractional (`threshold`, `speed`, `temperature`, `reset_seconds`,
//! `seconds`) are [`serde_json::Number`], so `1` stays `1` and `2.03` stays exactly `2.03`;
//! counts and milliseconds are integers.
//!
//! Parsing reads the `type` first and deserializes the frame straight into the event's struct
//! (no intermediate `serde_json::Value`); writing puts `type` first, and
//! `input_audio_buffer.append` is written without a JSON escape pass over the base64.
//!
//! # What this crate does not do
//!
//! No I/O: no WebSocket, no HTTP, no audio processing, no async. It turns text frames into
//! typed values and back.
//!
//! # Example
//!
//! ```
//! use rtclient_protocol::{ClientEvent, Dialect, ServerEvent, ServerVad, Session};
//!
//! // Client side: configure the session, in either dialect.
//! let update = ClientEvent::session_update(
//!     Session::realtime().instructions("Be brief.").server_vad(ServerVad::default()),
//! );
//! let ga = Dialect::Ga.client_event_to_json(&update)?;
//! assert!(ga.starts_with(r#"{"type":"session.update""#));
//! let beta = Dialect::Beta.client_event_to_json(&update)?;
//! assert!(beta.contains(r#""turn_detection":{"type":"server_vad""#));
//!
//! // Receive: a beta frame is translated into the GA model.
//! let frame = r#"{"type":"response.audio.delta","event_id":"e1","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"AAA="}"#;
//! match Dialect::Beta.parse_server_event(frame)? {
//!     ServerEvent::ResponseOutputAudioDelta(d) => assert_eq!(d.delta, "AAA="),
//!     other => panic!("unexpected {}", other.kind()),
//! }
//! # Ok::<(), rtclient_protocol::Error>(())
//! ```

mod wire;

mod audio_format;
mod audio_payload;
pub mod beta;
mod dialect;
mod error;
mod error_code;
pub mod event;
mod item;
pub mod live;
mod nullable;
mod rate_limit;
mod response;
mod session;
mod text;
mod tool;
pub mod translation_session;
mod turn_detection;
mod usage;

pub use audio_format::{AudioFormat, AudioFormatKind, BetaAudioFormat};
pub use audio_payload::{InvalidAudio, decode_audio};
pub use dialect::Dialect;
pub use error::{ApiError, Error, InvalidFields, ParseError};
pub use error_code::ErrorCode;
pub use event::client::ClientEvent;
pub use event::server::ServerEvent;
pub use item::{ContentKind, ContentPart, Item, ItemKind, ItemStatus, Role};
pub use nullable::Nullable;
pub use rate_limit::{RateLimit, RateLimitName};
pub use response::{Response, ResponseCreateParams, ResponseStatus, StatusDetails, StatusReason};
pub use session::{
    AudioInput, AudioOutput, MaxTokens, Modality, NoiseReduction, NoiseReductionKind, Session,
    SessionAudio, SessionKind, Transcription, Voice, VoiceName,
};
pub use text::{MAX_CLOSE_REASON_BYTES, cut_at_char_boundary};
pub use tool::{Tool, ToolChoice, ToolChoiceMode, ToolChoiceObject, ToolKind};
pub use turn_detection::{Eagerness, ServerVad, TurnDetection, TurnDetectionKind};
pub use usage::{TokenDetails, TranscriptionUsage, TranscriptionUsageKind, Usage};
