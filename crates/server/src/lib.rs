//! A local, offline, protocol-faithful OpenAI / Azure OpenAI Realtime API server.
//!
//! Any Realtime client (ours, the openai Python/Node SDKs, Azure's) can connect to it the way it
//! connects to the real service, with no key and no internet, and get deterministic behaviour.
//!
//! # Network layer
//!
//! - [`config`]: [`ServerConfig`], built with [`ServerConfig::builder`]: listen address, optional
//!   API key, the beta refusal switch and the limits (message size, connections, session
//!   duration, ping interval).
//! - [`endpoint`]: resolves each connection's path, query, headers and subprotocols into a
//!   [`SessionRequest`] (route, dialect, kind, model, Azure `api-version`, call id). Served paths:
//!   `/v1/realtime` (OpenAI), `/openai/v1/realtime` (Azure GA), `/openai/realtime` (Azure
//!   preview), `/voice-live/realtime` (Azure Voice Live), and GPT-Live: `/v1/live/sessions`,
//!   `/openai/v1/live/sessions`, `/openai/v1/live` and the sideband
//!   `/v1/live/sessions/{id}/attach` (also under `/openai`).
//! - [`auth`]: optional API-key check (bearer, `api-key` header or query, browser subprotocol).
//! - [`refusal`]: the `error` event plus close 3000/4000 that OpenAI sends after the upgrade.
//! - [`connection`]: one WebSocket from upgrade to close: pings, close handshake, size limits,
//!   the session timer (close 1001), shutdown.
//! - [`session`]: the [`SessionHandler`] trait, the Realtime state machine [`RealtimeSession`]
//!   (the default handler of [`serve`] and [`ServerState::new`]) and [`IdleSession`], a
//!   transport-only stand-in for testing connection handling.
//! - [`server`]: [`router`] builds the axum router; [`serve`] runs it on a bound listener with
//!   graceful shutdown.
//! - [`tls`]: `wss://` with a PEM certificate and key ([`Serve::tls`]), for clients that only
//!   dial TLS (such as the openai Node SDK).
//!
//! # Engines
//!
//! - [`engine`]: the models folder (`$RTCLIENT_MODELS`, filled by `scripts/install-engines`) and,
//!   with the `onnx` feature (on by default), the ONNX Runtime the real engines run on.
//! - [`vad`]: server voice activity detection, the engine behind `turn_detection: server_vad`.
//!   A [`vad::SpeechScorer`] rates 16 kHz frames (default: the earshot neural detector) and a
//!   [`vad::TurnDetector`] applies `threshold`, `prefix_padding_ms` and `silence_duration_ms`.
//! - [`synthesis`]: speech output. A [`synthesis::Synthesizer`] speaks a response's text; the
//!   default runs the `espeak-ng` command, with one distinct voice per Realtime voice name.
//! - [`transcription`]: input transcription behind a [`transcription::Transcriber`]; the
//!   default [`transcription::NoTranscriber`] fails each request with an error naming the
//!   missing engine.
//! - [`responder`]: what the assistant says or which tool it calls. The default
//!   [`responder::EchoResponder`] is deterministic and true about the turn; a
//!   [`responder::Script`] file chooses replies and tool calls by the user's words.
//! - [`faults`]: fault injection for client authors' failure paths, set by a script: stalls,
//!   failed responses with an `error`, dropped or closed connections mid-response, extra latency,
//!   a forced 1001 close after N seconds, and rate limits that run out.
//!
//! # Sessions
//!
//! [`RealtimeSession`] implements DESIGN §4 for the GA and beta dialects: `session.created`
//! with a complete default config, `session.update` validation (`unknown_parameter`,
//! `cannot_update_voice`, ...), conversation items (create with `previous_item_id`, retrieve,
//! delete, truncate), responses (text, espeak-ng speech resampled and encoded to the session's
//! output format, function calls; one active at a time, cancellable, out-of-band with
//! `conversation: "none"`), the input audio buffer with server VAD and barge-in, and the error
//! event the service sends for every bad input. Responses stream at a [`Pace`] (default 4x real
//! time; [`Pace::Max`] for tests). Engines are swapped with [`RealtimeSession::responder`] and
//! [`RealtimeSession::synthesizer`]; [`RealtimeSession::script`] sets a script's replies and
//! faults.
//!
//! [`RealtimeSession`] also serves the GPT-Live routes, on the same engines, full duplex:
//! a continuous output track at real time (silence when nothing is said), input transcripts on
//! the 200 ms grid, replies spoken into the track, client delegation when the responder says
//! so (a script rule with `delegate: true`), acks on the session timeline, strict validation
//! with the service's errors, and sidebands attached to a running session.
//!
//! # Example
//!
//! ```no_run
//! use rtclient_server::{ApiKey, ServerConfig, serve};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ServerConfig::builder()
//!     .api_key(ApiKey::new("sk-local"))
//!     .build()?;
//! let listener = tokio::net::TcpListener::bind(config.listen_addr()).await?;
//! let server = serve(listener, config);
//! println!("listening on ws://{}/v1/realtime?model=gpt-realtime", server.local_addr()?);
//! server
//!     .with_graceful_shutdown(async {
//!         let _ = tokio::signal::ctrl_c().await;
//!     })
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! `examples/local_server.rs` is the same as a runnable program.
//!
//! Resolving a connection needs no socket:
//!
//! ```
//! use axum::http::HeaderMap;
//! use rtclient_server::endpoint::{Dialect, Route, SessionRequest};
//!
//! let request = SessionRequest::resolve(
//!     Route::AzurePreview,
//!     Some("api-version=2025-04-01-preview&deployment=my-realtime"),
//!     &HeaderMap::new(),
//!     [],
//! );
//! assert_eq!(request.dialect(), Dialect::Beta);
//! assert_eq!(request.model(), Some("my-realtime"));
//! assert!(request.check(false).is_ok());
//! ```

pub mod auth;
pub mod config;
pub mod connection;
pub mod endpoint;
pub mod engine;
pub mod faults;
pub(crate) mod limits;
pub mod refusal;
pub mod responder;
pub mod server;
pub mod session;
pub mod synthesis;
pub mod tls;
pub mod transcription;
pub mod vad;

pub use auth::ApiKey;
pub use config::{ConfigError, ServerConfig, ServerConfigBuilder};
pub use endpoint::{Dialect, LiveLink, Route, SessionKind, SessionRequest};
pub use server::{Serve, ServerState, WithGracefulShutdown, router, serve};
pub use session::{IdleSession, MAX_APPEND_BASE64, Pace, RealtimeSession, SessionHandler};
