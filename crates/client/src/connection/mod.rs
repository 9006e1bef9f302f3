//! The WebSocket connection, on raw JSON text frames.
//!
//! [`Connection::connect`] opens the socket and hands it to a background task (the *driver*) that
//! owns it. The driver reads all the time, so server pings are answered (and the pongs flushed)
//! even while the application only sends; it sends our keepalive pings; and it turns every way the
//! socket can end into one final item for the [`Receiver`]. [`Sender`] and [`Receiver`] talk to it
//! through channels and may live in different tasks.
//!
//! One phase per file: `handshake` builds the upgrade request and decodes a refusal, `tls`
//! sets up rustls, `driver` owns the open socket, and `sender` and `receiver` are the
//! application's two halves.

use rtclient_protocol::Dialect;
use tracing::{Instrument, Span};
use uuid::Uuid;

use crate::{config::ClientConfig, error::Error};

mod driver;
mod handshake;
mod receiver;
mod sender;
mod tls;

pub use receiver::Receiver;
pub use sender::Sender;

/// The `User-Agent` header the client sends: `rtclient-rust/VERSION`.
pub const USER_AGENT: &str = concat!("rtclient-rust/", env!("CARGO_PKG_VERSION"));

/// An open Realtime WebSocket carrying raw JSON text frames.
///
/// This is the untyped layer, for debugging, recording and proxies; applications usually want
/// [`RealtimeClient`](crate::RealtimeClient), which writes and reads typed events over it
/// (`RealtimeClient::from(connection)` turns one into the other).
///
/// Use it from one task with [`send_text`](Connection::send_text) and
/// [`recv_text`](Connection::recv_text), or [`split`](Connection::split) it into a [`Sender`] and a
/// [`Receiver`] for concurrent sending and receiving.
#[derive(Debug)]
pub struct Connection {
    pub(crate) sender: Sender,
    pub(crate) receiver: Receiver,
    pub(crate) request_id: Option<Uuid>,
    pub(crate) dialect: Dialect,
}

impl Connection {
    /// Opens the WebSocket described by `config`.
    ///
    /// Asks the token provider (if any) for a fresh token, sends the target's headers, and fails
    /// with [`Error::Handshake`] (status, body, hint) when the server refuses the upgrade, or
    /// [`Error::Connect`] / [`Error::ConnectTimeout`] when it cannot be reached.
    pub async fn connect(config: &ClientConfig) -> Result<Self, Error> {
        tls::install_crypto_provider();
        let target = &config.target;
        let request_id = target.kind().is_azure().then(Uuid::new_v4);
        let span = tracing::info_span!(
            "rtclient.connection",
            url = %target.redacted_url(),
            request_id = tracing::field::Empty,
            session_id = tracing::field::Empty,
        );
        if let Some(request_id) = request_id {
            span.record("request_id", tracing::field::display(request_id));
        }
        let socket = handshake::open(config, request_id)
            .instrument(span.clone())
            .await?;
        tracing::debug!(parent: &span, "connected");
        let (sender, receiver) = driver::start(socket, config, span);
        Ok(Self {
            sender,
            receiver,
            request_id,
            dialect: target.dialect(),
        })
    }

    /// The dialect of the target this connection was opened to (see
    /// [`Target::dialect`](crate::Target::dialect)). Raw frames are not translated; the typed
    /// [`RealtimeClient`](crate::RealtimeClient) uses it to write and read events.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Sends one text frame (one JSON event). See [`Sender::send_text`].
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), Error> {
        self.sender.send_text(text).await
    }

    /// Receives the next text frame. See [`Receiver::recv_text`].
    pub async fn recv_text(&mut self) -> Result<Option<String>, Error> {
        self.receiver.recv_text().await
    }

    /// Closes with `code` (1000 for a normal end) and `reason`, then waits up to the configured
    /// close timeout for the server's reply. Messages still arriving meanwhile are discarded. If
    /// the server had closed first, its close comes back as [`Error::Closed`].
    pub async fn close(mut self, code: u16, reason: &str) -> Result<(), Error> {
        self.sender.close(code, reason).await?;
        self.receiver.drain_after_close().await
    }

    /// Splits into a [`Sender`] and a [`Receiver`] that can be used from different tasks.
    pub fn split(self) -> (Sender, Receiver) {
        (self.sender, self.receiver)
    }

    /// The `x-ms-client-request-id` sent to Azure (quote it in support requests).
    pub fn request_id(&self) -> Option<Uuid> {
        self.request_id
    }

    /// The `tracing` span of this connection; its fields are `url`, `request_id` and `session_id`.
    pub fn span(&self) -> &Span {
        self.receiver.span()
    }

    /// Records the session id (from `session.created`) on the connection's span.
    pub fn record_session_id(&self, session_id: &str) {
        self.receiver.record_session_id(session_id);
    }
}
