//! A local, offline, protocol-faithful OpenAI / Azure OpenAI Realtime API server.
//!
//! Any Realtime client (ours, the openai Python/Node SDKs, Azure's) can connect to it the way it
//! connects to the real service, with no key and no internet, and get deterministic behaviour.
//!
//! # Overview
//!
//! The source tree has three layers, each depending only on the ones below it: the network
//! layer, the engines, and the sessions, which run behind the network layer's
//! [`SessionHandler`] on the engines. `serve.rs` puts them together: [`router`] and [`serve`]
//! serve [`RealtimeSession`]s by default. Every public type is re-exported here, at the root.
//!
//! ## Network layer (`net/`)
//!
//! - [`ServerConfig`], built with [`ServerConfig::builder`]: listen address, optional API key,
//!   the beta refusal switch and the limits (message size, connections, session duration, ping
//!   interval).
//! - [`SessionRequest`]: each connection's path, query, headers and subprotocols resolved into a
//!   [`Route`] (whose [`Family`] chooses the session), dialect, kind, model, Azure `api-version`
//!   and call id. Served paths:
//!   `/v1/realtime` (OpenAI), `/openai/v1/realtime` (Azure GA), `/openai/realtime` (Azure
//!   preview), `/voice-live/realtime` (Azure Voice Live), and GPT-Live: `/v1/live/sessions`,
//!   `/openai/v1/live/sessions`, `/openai/v1/live` and the sideband
//!   `/v1/live/sessions/{id}/attach` (also under `/openai`).
//! - [`ApiKey`]: the optional API-key check (bearer, `api-key` header or query, browser
//!   subprotocol).
//! - [`Refusal`]: the `error` event plus close 3000/4000 that OpenAI sends after the upgrade.
//! - One WebSocket from upgrade to close: pings, close handshake, size limits, the session timer
//!   (close 1001, [`CLOSE_GOING_AWAY`]), shutdown.
//! - [`router`] builds the axum router; [`serve`] runs it on a bound listener with graceful
//!   shutdown.
//! - [`Tls`]: `wss://` with a PEM certificate and key ([`Serve::tls`]), for clients that only
//!   dial TLS (such as the openai Node SDK).
//!
//! ## Engines (`engine/`)
//!
//! - [`ModelsDir`]: the models folder (`$RTCLIENT_MODELS`, filled by `scripts/install-engines`)
//!   and, with the `onnx` feature (on by default), the ONNX Runtime the real engines run on
//!   ([`onnx`]); [`select`] picks the engines at start-up and says which it picked and why.
//! - Server voice activity detection, the engine behind `turn_detection: server_vad`. A
//!   [`SpeechScorer`] rates 16 kHz frames (default: the earshot neural detector) and a
//!   [`TurnDetector`] applies `threshold`, `prefix_padding_ms` and `silence_duration_ms`.
//! - Speech output: a [`Synthesizer`] speaks a response's text; the default
//!   [`EspeakSynthesizer`] runs the `espeak-ng` command, with one distinct voice per Realtime
//!   voice name.
//! - Input transcription behind a [`Transcriber`]; the default [`NoTranscriber`] fails each
//!   request with an error naming the missing engine. The real ones are `Moonshine` (feature
//!   `onnx`, fast enough for live deltas) and `Whisper` (Whisper base on CTranslate2, feature
//!   `whisper`, not in default: more accurate, about 2 s per turn).
//! - What the assistant says or which tool it calls: a [`Responder`]. The default
//!   [`EchoResponder`] is deterministic and true about the turn; a [`Script`] file chooses
//!   replies and tool calls by the user's words.
//!   Responders on a language model build on [`chat`] (a prompt as chat turns) and
//!   [`tool_call`] (tool calls a local model writes as text); the built-in ones are
//!   `LocalLlm` (feature `llm`) and [`ChatCompletions`] (an OpenAI-compatible server).
//! - [`Faults`]: fault injection for client authors' failure paths, set by a script: stalls,
//!   failed responses with an `error`, dropped or closed connections mid-response, extra latency,
//!   a forced 1001 close after N seconds, and rate limits that run out.
//!
//! ## Sessions (`session/`)
//!
//! The network layer's [`SessionHandler`] trait is the boundary between it and a session;
//! [`IdleSession`] is a transport-only stand-in for testing connection handling.
//! [`RealtimeSession`] (the default handler of [`serve`] and [`ServerState::new`]) holds the
//! engines and serves each route with the session of its protocol [`Family`], one folder each
//! beside their shared ground (the engines, ids, the speech cache, the lock policy).
//!
//! `session/realtime/` is the Realtime state machine for the GA and beta dialects:
//! `session.created` with a complete default config, `session.update` validation
//! (`unknown_parameter`, `cannot_update_voice`, ...), conversation items (create with
//! `previous_item_id`, retrieve, delete, truncate), responses (text, espeak-ng speech resampled
//! and encoded to the session's output format, function calls; one active at a time,
//! cancellable, out-of-band with `conversation: "none"`), the input audio buffer with server
//! VAD and barge-in, and the error event the service sends for every bad input. Its read loop
//! alone starts responses, when input says a turn wants one; the response writer (`response/`)
//! runs one way, from the responder's answer down to the events. Responses stream at a
//! [`Pace`](rtclient_audio::Pace) (default 4x real time; `Pace::Max` for tests). Engines are
//! swapped with [`RealtimeSession::responder`] and [`RealtimeSession::synthesizer`];
//! [`RealtimeSession::script`] sets a script's replies and faults.
//!
//! `session/live/` serves the GPT-Live routes, on the same engines, full duplex:
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
//! use rtclient_protocol::Dialect;
//! use rtclient_server::{Route, SessionRequest};
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

mod engine;
mod net;
mod serve;
mod session;

pub use engine::chat_completions::{API_KEY_ENV, ChatCompletions};
pub use engine::faults::{Disruption, Failure, Faults, RateLimits};
#[cfg(feature = "llm")]
pub use engine::llm::{LlmError, LocalLlm, render_chatml};
pub use engine::models::{
    INSTALL_COMMAND, MODELS_ENV, ModelFile, ModelsDir, ModelsError, WHISPER_INSTALL_COMMAND,
};
#[cfg(feature = "onnx")]
pub use engine::moonshine::{
    MOONSHINE_SAMPLE_RATE, Moonshine, MoonshineError, Recognition, RecognizedToken,
};
#[cfg(feature = "onnx")]
pub use engine::onnx;
#[cfg(feature = "onnx")]
pub use engine::piper::PiperSynthesizer;
pub use engine::responder::{
    Answer, EchoResponder, FunctionCall, FunctionOutput, Prompt, Reply, Responder,
};
pub use engine::script::{
    CloseRule, DropRule, FaultsRule, RateLimitsRule, Rule, Script, ScriptCall, ScriptError,
    ScriptProblem,
};
#[cfg(feature = "onnx")]
pub use engine::silero::{SileroScorer, SileroVad};
#[cfg(feature = "onnx")]
pub use engine::smart_turn::SmartTurn;
pub use engine::synthesis::{EspeakSynthesizer, Speech, SynthesisError, Synthesizer};
pub use engine::transcription::{
    LiveTranscript, NoTranscriber, STT_SAMPLE_RATE, TokenLogprob, Transcriber, Transcript,
    TranscriptionError, TurnAudio,
};
pub use engine::vad::{
    Earshot, EarshotScorer, EndOfTurn, Pause, ResamplingDetector, SemanticParams, SemanticTurn,
    SpeechScorer, TurnDetector, VAD_SAMPLE_RATE, VadEngine, VadEvent, VadParams,
};
#[cfg(feature = "onnx")]
pub use engine::vocabulary::VocabularyError;
#[cfg(feature = "whisper")]
pub use engine::whisper::{WHISPER_SAMPLE_RATE, Whisper, WhisperError};
pub use engine::{chat, select, tool_call};
pub use net::auth::{ApiKey, KEY_SUBPROTOCOL_PREFIX};
pub use net::config::{
    ConfigError, DEFAULT_CLOSE_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_LISTEN_ADDR,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_SESSION_DURATION,
    DEFAULT_MAX_WRITE_BUFFER_SIZE, DEFAULT_PING_INTERVAL, ServerConfig, ServerConfigBuilder,
    WRITE_BUFFER_SIZE,
};
pub use net::connection::{
    CLOSE_ABNORMAL, CLOSE_GOING_AWAY, CLOSE_INTERNAL_ERROR, CLOSE_INVALID_PAYLOAD,
    CLOSE_MESSAGE_TOO_BIG, CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR, INPUT_BACKLOG_BYTES,
    KEEPALIVE_REASON, SHUTDOWN_REASON,
};
pub use net::endpoint::{BETA_SUBPROTOCOL, Family, LiveLink, Route, SessionRequest};
pub use net::handler::{IdleSession, SessionHandler};
pub use net::refusal::{CLOSE_AUTH, CLOSE_REQUEST_SHAPE, CLOSE_TRY_AGAIN_LATER, Refusal};
pub use net::tls::{HANDSHAKE_TIMEOUT, Tls, TlsError};
pub use serve::{REALTIME_SUBPROTOCOL, Serve, ServerState, WithGracefulShutdown, router, serve};
pub use session::{MAX_APPEND_BASE64, RealtimeSession};
