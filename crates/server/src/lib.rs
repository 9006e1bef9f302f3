//! A local, offline, protocol-faithful OpenAI / Azure OpenAI Realtime API server.
//!
//! This crate is being built up piece by piece. It holds today:
//!
//! - [`vad`]: server voice activity detection, the engine behind `turn_detection: server_vad`.
//!   A [`vad::SpeechScorer`] rates 16 kHz frames (default: the earshot neural detector) and a
//!   [`vad::TurnDetector`] applies `threshold`, `prefix_padding_ms` and `silence_duration_ms`.
//! - [`synthesis`]: speech output. A [`synthesis::Synthesizer`] speaks a response's text; the
//!   default runs the `espeak-ng` command, with one distinct voice per Realtime voice name.
//! - [`responder`]: what the assistant says or which tool it calls. The default
//!   [`responder::EchoResponder`] is deterministic and true about the turn; a
//!   [`responder::Script`] file chooses replies and tool calls by the user's words.
//!
//! It does no network I/O yet.
//!
//! # Example
//!
//! ```
//! use rtclient_server::vad::{TurnDetector, VadEvent, VadParams};
//!
//! let mut detector = TurnDetector::new(VadParams::default());
//! let mut events = Vec::new();
//! // One second of silence at 16 kHz: no turn starts.
//! detector.push(&vec![0i16; 16_000], &mut events);
//! assert!(events.is_empty());
//! assert_eq!(detector.elapsed_ms(), 992); // whole 16 ms frames only
//! ```

pub mod responder;
pub mod synthesis;
pub mod vad;
