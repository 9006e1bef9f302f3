//! Connect to the OpenAI / Azure OpenAI Realtime API, or any compatible server, over a WebSocket.
//!
//! # Overview
//!
//! - [`Target`] says where to connect: OpenAI GA (model, transcription or call sideband), the
//!   beta dialect, Azure OpenAI GA or preview, or any `ws://`/`wss://` URL. It builds the exact URL
//!   and decides the dialect.
//! - [`Credential`] says how to authenticate: an OpenAI key (`Authorization: Bearer`), an Azure
//!   `api-key`, or a [`TokenProvider`] asked again on every connect (Entra ID via
//!   [`CommandToken::azure_cli`], or a [`StaticToken`]).
//! - [`ClientConfig`] joins both with the connection limits; build it in code with
//!   [`ClientConfig::builder`] or read it from the environment and `.env` with
//!   [`ClientConfig::from_env`] (names in [`env`](mod@env)).
//! - [`Connection`] is the open socket carrying JSON text frames. [`Connection::split`] gives a
//!   [`Sender`] and a [`Receiver`] for different tasks. Pings are answered, keepalive pings sent,
//!   and every way the socket can end is reported as a typed [`Error`] (handshake status and body,
//!   server close code and reason, lost connection, oversize message).
//!
//! Keys and tokens are held in [`Secret`] and never appear in `Debug` output, logs or errors.
//!
//! # What this crate does not do (yet)
//!
//! Frames are raw JSON text here: the typed events of `rtclient-protocol` will be layered on top
//! of [`Connection`]. There is no automatic reconnect.
//!
//! # Example
//!
//! ```no_run
//! use rtclient::{ClientConfig, Connection};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let Some(config) = ClientConfig::from_env()?.into_config() else {
//!     return Err("set OPENAI_API_KEY or AZURE_OPENAI_ENDPOINT".into());
//! };
//! let (sender, mut receiver) = Connection::connect(&config).await?.split();
//!
//! let send = async move {
//!     sender.send_text(r#"{"type":"response.create"}"#).await?;
//!     Ok::<_, rtclient::Error>(())
//! };
//! let receive = async move {
//!     while let Some(text) = receiver.recv_text().await? {
//!         println!("{text}");
//!     }
//!     Ok::<_, rtclient::Error>(())
//! };
//! let (sent, received) = tokio::join!(send, receive);
//! sent?;
//! received?;
//! # Ok(())
//! # }
//! ```

mod auth;
mod config;
mod connection;
pub mod env;
mod error;
mod secret;
mod target;

pub use auth::{
    AZURE_CLI_TOKEN_COMMAND, CommandToken, Credential, StaticToken, TokenFuture, TokenProvider,
};
pub use config::{
    ClientConfig, ClientConfigBuilder, DEFAULT_CLOSE_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE, EnvConfig,
};
pub use connection::{Connection, Receiver, Sender, USER_AGENT};
pub use error::{BoxError, Error};
pub use secret::{RedactedUrl, Secret};
pub use target::{OPENAI_ENDPOINT, OpenAiSession, Target, TargetKind};
