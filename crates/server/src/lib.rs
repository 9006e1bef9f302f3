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
//! One folder per family; each holds the family's trait, its built-in engine (no model files),
//! its real engines and its choice enum, the list of engines its start-up flag names
//! ([`VadChoice`], [`SttChoice`], [`TtsChoice`], [`ResponderChoice`]; `select` loads the one
//! named, falls back when it cannot start, and says which runs and why in a [`Chosen`]).
//!
//! - [`ModelsDir`]: the models folder (`$RTCLIENT_MODELS`, filled by `scripts/install-engines`);
//!   each engine declares its [`ModelFile`]s. With the `onnx` feature, the ONNX Runtime the real
//!   engines run on ([`onnx`]).
//! - Server voice activity detection, the engine behind `turn_detection: server_vad`. A
//!   [`SpeechScorer`] rates 16 kHz frames (default: the earshot neural detector; Silero VAD
//!   with `onnx`) and a [`TurnDetector`] applies `threshold`, `prefix_padding_ms` and
//!   `silence_duration_ms`.
//! - Semantic turn detection (`semantic_vad`): an [`EndOfTurn`] judge (Smart Turn, feature
//!   `onnx`; [`end_of_turn`] picks it) says whether a pause ends the turn.
//! - Speech output: a [`Synthesizer`] speaks a response's text; the default
//!   [`EspeakSynthesizer`] runs the `espeak-ng` command, with one distinct voice per Realtime
//!   voice name, and `PiperSynthesizer` (feature `onnx`) speaks with a Piper voice.
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
//! A new engine of a family is a folder in the family's folder (its model files, its loader and
//! the stub for builds without its cargo feature, its code) and one line in the family's choice
//! enum; the `rtclient` command line picks it up from the enum.
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
//! # Features
//!
//! - `onnx` (default): the ONNX Runtime engines (Silero VAD, Smart Turn, Moonshine, the Piper
//!   voice). The runtime library is loaded at run time from the models folder, so the build
//!   compiles only the `ort` bindings (no C++). Without it: earshot, a silence timer, no
//!   transcription and espeak-ng.
//! - `llm` (default): the local reply model (SmolLM2 on llama.cpp). llama.cpp is compiled from
//!   its bundled source with cmake, bindgen (libclang) and a C++ compiler: about ten minutes of a
//!   cold build on 2 cores. Without it: the echo responder.
//! - `whisper`: Whisper base speech-to-text on CTranslate2 (`ct2rs`), compiled from bundled
//!   sources with cmake and a C++ compiler: about nine more minutes of a cold build; its model
//!   is installed by `scripts/install-engines --whisper`. Without it: Moonshine.
//! - `clap`: `clap::ValueEnum` for the choice enums, so a command line parses them with their
//!   help text (the `rtclient` command turns it on).
//!
//! # What this crate does not do
//!
//! It is not the service: no model behind the replies beyond a small local one or a
//! chat-completions server you run, and no WebRTC, SIP or client-secret HTTP endpoints: only
//! the WebSocket routes. It downloads nothing at run time: the model files come from
//! `scripts/install-engines`, and an engine whose files are missing falls back and says so.
//! It has no client: see the `rtclient` crate.
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

pub use engine::choice::{Chosen, LoadError};
pub use engine::faults::{Disruption, Failure, Faults, RateLimits};
pub use engine::models::{
    INSTALL_COMMAND, MODELS_ENV, ModelFile, ModelsDir, ModelsError, ONNX_RUNTIME,
};
#[cfg(feature = "onnx")]
pub use engine::onnx;
pub use engine::reply::chat_completions::API_KEY_ENV;
pub use engine::reply::llm::SMOLLM2_MODEL;
#[cfg(feature = "llm")]
pub use engine::reply::llm::{LlmError, LocalLlm, render_chatml};
pub use engine::reply::{
    Answer, ChatCompletions, EchoResponder, FunctionCall, FunctionOutput, Prompt, Reply, Responder,
    ResponderChoice, chat, tool_call,
};
pub use engine::script::{
    CloseRule, DropRule, FaultsRule, RateLimitsRule, Rule, Script, ScriptCall, ScriptError,
    ScriptProblem,
};
pub use engine::stt::moonshine::{MOONSHINE_DECODER, MOONSHINE_ENCODER, MOONSHINE_TOKENIZER};
#[cfg(feature = "onnx")]
pub use engine::stt::moonshine::{
    MOONSHINE_SAMPLE_RATE, Moonshine, MoonshineError, Recognition, RecognizedToken, VocabularyError,
};
pub use engine::stt::whisper::{
    WHISPER_CONFIG, WHISPER_INSTALL_COMMAND, WHISPER_MODEL, WHISPER_PREPROCESSOR,
    WHISPER_TOKENIZER, WHISPER_VOCABULARY,
};
#[cfg(feature = "whisper")]
pub use engine::stt::whisper::{WHISPER_SAMPLE_RATE, Whisper, WhisperError};
pub use engine::stt::{
    LiveTranscript, NoTranscriber, STT_SAMPLE_RATE, SttChoice, TokenLogprob, Transcriber,
    Transcript, TranscriptionError, TurnAudio,
};
#[cfg(feature = "onnx")]
pub use engine::tts::piper::PiperSynthesizer;
pub use engine::tts::piper::{PIPER_VOICE, PIPER_VOICE_CONFIG};
pub use engine::tts::{EspeakSynthesizer, Speech, SynthesisError, Synthesizer, TtsChoice};
pub use engine::turn::smart_turn::SMART_TURN_MODEL;
#[cfg(feature = "onnx")]
pub use engine::turn::smart_turn::SmartTurn;
pub use engine::turn::{EndOfTurn, end_of_turn};
pub use engine::vad::silero::SILERO_VAD_MODEL;
#[cfg(feature = "onnx")]
pub use engine::vad::silero::{SileroScorer, SileroVad};
pub use engine::vad::{
    Earshot, EarshotScorer, Pause, ResamplingDetector, SemanticParams, SemanticTurn, SpeechScorer,
    TurnDetector, VAD_SAMPLE_RATE, VadChoice, VadEngine, VadEvent, VadParams,
};
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
