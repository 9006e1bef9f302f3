//! Connect to the OpenAI / Azure OpenAI Realtime API, or any compatible server, over a WebSocket.
//!
//! A voice agent with a tool, automatic session recycling and barge-in:
//!
//! ```no_run
//! use rtclient::protocol::{ServerVad, Session};
//! use rtclient::{ClientConfig, Conversation, ConversationEvent as Event, PacedPlayback};
//! use rtclient::{RecyclePolicy, Tool, Tools};
//! # async fn run(mut microphone: tokio::sync::mpsc::Receiver<Vec<u8>>) -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::from_env()?.into_config().ok_or("set OPENAI_API_KEY")?;
//! let mut agent = Conversation::connect(&config).await?;
//! agent.set_recycling(config, RecyclePolicy::default()); // new sessions, history replayed
//! agent.set_playback(PacedPlayback::new()); // speech over a reply truncates it where it was
//! let clock = Tool::new("time", "The time now.", serde_json::json!({"type": "object"}), |_| {
//!     async { Ok::<_, rtclient::BoxError>("12:00".to_owned()) }
//! });
//! agent.set_tools(Tools::new().tool(clock)).await?;
//! let session = Session::realtime().instructions("Be brief.").server_vad(ServerVad::default());
//! agent.handle().update_session(session).await?;
//! let input = agent.handle().clone();
//! tokio::spawn(async move {
//!     while let Some(pcm) = microphone.recv().await {
//!         if input.send_audio(&pcm).await.is_err() { break; }
//!     }
//! });
//! while let Some(event) = agent.next_event().await? {
//!     match event {
//!         Event::AudioDelta { audio, .. } => play(&audio),
//!         Event::BargeIn(_) => stop_playing(),
//!         Event::AudioTranscriptDelta { delta, .. } => print!("{delta}"),
//!         Event::SessionRecycled(recycled) => eprintln!("new session: {:?}", recycled.reason),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! # fn play(_: &[u8]) {}
//! # fn stop_playing() {}
//! ```
//!
//! # Overview
//!
//! - [`Target`] says where to connect: OpenAI GA (model, transcription or call sideband), Azure
//!   OpenAI GA or preview, or any `ws://`/`wss://` URL. It builds the exact URL and decides the
//!   [`Dialect`] (GA, or beta for Azure preview; [`Target::with_dialect`] forces either).
//! - [`Credential`] says how to authenticate: an OpenAI key (`Authorization: Bearer`), an Azure
//!   `api-key`, or a [`TokenProvider`] asked again on every connect (Entra ID via
//!   [`CommandToken::azure_cli`], or a [`StaticToken`]).
//! - [`ClientConfig`] joins both with the connection limits; build it in code with
//!   [`ClientConfig::builder`] or read it from the environment and `.env` with
//!   [`ClientConfig::from_env`] (names in [`env`](mod@env)).
//! - [`RealtimeClient`] is the typed client: [`send`](RealtimeClient::send) takes a
//!   [`ClientEvent`], gives it an `event_id` if it has none (returned, to match an `error`
//!   event's `error.event_id`) and writes it in the target's dialect;
//!   [`recv`](RealtimeClient::recv) returns the next [`ServerEvent`] (beta frames translated to
//!   the GA model). It is also a `Stream` of events, and [`RealtimeClient::split`] gives an
//!   [`EventSender`] (cloneable) and an [`EventReceiver`] for different tasks.
//! - [`Conversation`] is the conversation layer on top: one consumer reads high-level
//!   [`ConversationEvent`]s (text and decoded audio deltas, input transcripts by item, complete
//!   function calls, typed response outcomes, API errors that never poison later calls, and
//!   every other event unchanged) while it keeps the [`ConversationState`] (session, items in
//!   order, the response in progress, audio received per item); a cloneable
//!   [`ConversationHandle`] sends the commands, and [`Conversation::interrupt`] does barge-in
//!   (cancel, and truncate to the audio really played). See [`conversation`](mod@conversation).
//! - [`Tools`] is a registry of function tools (each a [`Tool`]: name, description, argument
//!   schema, async handler) that a [`Conversation`] or a [`LiveSession`] offers the model and
//!   runs itself, answering every call: see [`tools`](mod@tools).
//! - [`LiveSession`] and [`LiveClient`] speak GPT-Live, the full-duplex voice API
//!   (`/v1/live/sessions`, its own events in [`protocol::live`]): see [`live`](mod@live).
//! - [`Connection`] is the raw layer below it: the open socket carrying JSON text frames, with
//!   its own [`Sender`] and [`Receiver`]. Pings are answered, keepalive pings sent, and every way
//!   the socket can end is reported as a typed [`Error`] (handshake status and body, server close
//!   code and reason, lost connection, oversize message).
//!
//! The events are those of the `rtclient-protocol` crate, re-exported as [`protocol`] (and
//! [`ClientEvent`], [`ServerEvent`], [`Dialect`] at the root), so one dependency is enough.
//!
//! Errors: a server `error` event is an ordinary [`ServerEvent::Error`], never fatal by itself.
//! A frame that does not parse is [`Error::Parse`] and a binary frame [`Error::BinaryFrame`];
//! both are recoverable ([`Error::is_recoverable`]) and the next receive goes on. Every other
//! receive error ends the connection.
//!
//! Keys and tokens are held in [`Secret`] and never appear in `Debug` output, logs or errors.
//! Each connection has a `tracing` span (`rtclient.connection`) with the redacted URL, Azure's
//! request id and the session id once `session.created` arrived.
//!
//! # What this crate does not do (yet)
//!
//! No reconnect unless asked: without a [`RecyclePolicy`] a lost or closed connection ends
//! [`Conversation::next_event`], and [`Conversation::resume`] carries the conversation over to
//! a new session when the application asks. No audio capture, playback or file decoding: see
//! `rtclient-audio` for files and `examples/` for samples that use both.
//!
//! # The raw client
//!
//! ```no_run
//! use rtclient::{ClientConfig, ClientEvent, RealtimeClient, ServerEvent};
//! use rtclient::protocol::{ServerVad, Session};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let Some(config) = ClientConfig::from_env()?.into_config() else {
//!     return Err("set OPENAI_API_KEY or AZURE_OPENAI_ENDPOINT".into());
//! };
//! let (sender, mut receiver) = RealtimeClient::connect(&config).await?.split();
//!
//! let send = async move {
//!     let session = Session::realtime()
//!         .instructions("Answer in one sentence.")
//!         .server_vad(ServerVad::default());
//!     sender.send(ClientEvent::session_update(session)).await?;
//!     sender.send(ClientEvent::append_audio(&[0u8; 4800])).await?;
//!     Ok::<_, rtclient::Error>(sender)
//! };
//! let receive = async move {
//!     loop {
//!         match receiver.recv().await {
//!             Ok(Some(ServerEvent::ResponseDone(done))) => {
//!                 println!("done: {:?}", done.response.status);
//!                 break;
//!             }
//!             Ok(Some(ServerEvent::Error(error))) => eprintln!("error: {:?}", error.error.message),
//!             Ok(Some(event)) => println!("{}", event.kind()),
//!             Ok(None) => break,
//!             Err(error) if error.is_recoverable() => eprintln!("{error}"),
//!             Err(error) => return Err(error),
//!         }
//!     }
//!     Ok(())
//! };
//! let (sent, received) = tokio::join!(send, receive);
//! let sender = sent?;
//! received?;
//! sender.close(1000, "done").await?;
//! # Ok(())
//! # }
//! ```

mod auth;
mod client;
mod config;
mod connection;
pub mod conversation;
pub mod env;
mod error;
pub mod live;
mod secret;
mod target;
pub mod tools;

pub use auth::{
    AZURE_CLI_TOKEN_COMMAND, CommandToken, Credential, StaticToken, TokenFuture, TokenProvider,
};
pub use client::{
    EncodedEvent, EventReceiver, EventSender, FrameDirection, FrameObserver, RawEvent,
    RealtimeClient,
};
pub use config::{
    ClientConfig, ClientConfigBuilder, DEFAULT_CLOSE_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE, EnvConfig,
};
pub use connection::{Connection, Receiver, Sender, USER_AGENT};
pub use conversation::{
    AudioProgress, Conversation, ConversationEvent, ConversationHandle, ConversationState,
    Interruption, PacedPlayback, PlaybackTracker, RecyclePolicy, RecycleReason, Recycled,
    ReportedPlayback, RequestState, ResponseHandle, ResponseOutcome, Resumption, TokenUsage,
    ToolOutputSent, Truncation, TurnMetrics, TurnStart,
};
pub use error::{BoxError, Error};
pub use live::{LiveClient, LiveEvent, LiveHandle, LiveReceiver, LiveSender, LiveSession};
/// A DER certificate, for [`ClientConfigBuilder::add_root_certificate`].
pub use rustls::pki_types::CertificateDer;
pub use secret::{RedactedUrl, Secret};
pub use target::{LiveEndpoint, OPENAI_ENDPOINT, OpenAiSession, Target, TargetKind};
pub use tools::{DEFAULT_TOOL_TIMEOUT, FunctionCall, Tool, ToolCallDone, ToolOutcome, Tools};

/// The `rtclient-protocol` crate: every event, session and item type.
pub use rtclient_protocol as protocol;
pub use rtclient_protocol::{ClientEvent, Dialect, ServerEvent};
/// The `schemars` crate, for deriving tool argument schemas ([`Tool::derived`]).
pub use schemars;
