//! The WebSocket connection, on raw JSON text frames.
//!
//! [`Connection::connect`] opens the socket and hands it to a background task (the *driver*) that
//! owns it. The driver reads all the time, so server pings are answered (and the pongs flushed)
//! even while the application only sends; it sends our keepalive pings; and it turns every way the
//! socket can end into one final item for the [`Receiver`]. [`Sender`] and [`Receiver`] talk to it
//! through channels and may live in different tasks.

use std::{
    pin::Pin,
    sync::{Arc, Once},
    task::{Context, Poll},
    time::Duration,
};

use futures_util::{SinkExt, Stream, StreamExt};
use http::HeaderValue;
use rtclient_protocol::Dialect;
use rustls::pki_types::CertificateDer;
use tokio::{
    net::TcpStream,
    sync::{
        mpsc::{self, OwnedPermit},
        oneshot,
    },
    time::{Instant, Interval, MissedTickBehavior},
};
use tokio_tungstenite::{
    Connector, MaybeTlsStream, WebSocketStream,
    tungstenite::{
        self, Message,
        client::IntoClientRequest,
        error::{CapacityError, ProtocolError},
        protocol::{CloseFrame, WebSocketConfig, frame::coding::CloseCode},
    },
};
use tracing::{Instrument, Span};
use uuid::Uuid;

use crate::{config::ClientConfig, error::Error};

/// The `User-Agent` header the client sends: `rtclient-rust/VERSION`.
pub const USER_AGENT: &str = concat!("rtclient-rust/", env!("CARGO_PKG_VERSION"));

/// How many received messages wait for the application before the driver stops reading.
const INCOMING_CAPACITY: usize = 256;
/// How many send requests may queue up for the driver.
const COMMAND_CAPACITY: usize = 64;
/// How much of a refused handshake's body is kept.
const MAX_BODY_BYTES: usize = 4096;
/// The longest close reason a close frame can carry.
const MAX_CLOSE_REASON_BYTES: usize = 123;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

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
        install_crypto_provider();
        let target = &config.target;
        let host = target.host_for_errors();
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

        let request = build_request(config, request_id).await?;
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(config.max_message_size))
            .max_frame_size(Some(config.max_frame_size));
        let connector = tls_connector(&config.root_certificates);
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(ws_config),
            true,
            connector,
        );
        let socket = match tokio::time::timeout(config.connect_timeout, connect)
            .instrument(span.clone())
            .await
        {
            Err(_elapsed) => {
                return Err(Error::ConnectTimeout {
                    host,
                    timeout: config.connect_timeout,
                });
            }
            Ok(Err(error)) => return Err(connect_error(error, &host)),
            Ok(Ok((socket, _response))) => socket,
        };
        tracing::debug!(parent: &span, "connected");

        let (commands_tx, commands_rx) = mpsc::channel(COMMAND_CAPACITY);
        let (incoming_tx, incoming_rx) = mpsc::channel(INCOMING_CAPACITY);
        let driver = Driver {
            socket,
            commands: commands_rx,
            incoming: incoming_tx,
            keepalive: config.keepalive_interval,
            close_timeout: config.close_timeout,
        };
        tokio::spawn(driver.run().instrument(span.clone()));
        Ok(Self {
            sender: Sender {
                commands: commands_tx,
            },
            receiver: Receiver {
                incoming: incoming_rx,
                finished: false,
                span,
            },
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

/// The sending half of a [`Connection`]. Cheap to clone.
#[derive(Clone)]
pub struct Sender {
    commands: mpsc::Sender<Command>,
}

impl Sender {
    /// Sends one text frame and waits until it was written to the socket.
    ///
    /// Fails with [`Error::Disconnected`] once the connection is closed or closing; the
    /// [`Receiver`] reports why it ended.
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), Error> {
        let (ack, done) = oneshot::channel();
        self.commands
            .send(Command::Text(text.into(), ack))
            .await
            .map_err(|_| Error::Disconnected)?;
        done.await.map_err(|_| Error::Disconnected)?
    }

    /// Starts the close handshake with `code` and `reason` (cut to 123 bytes). The [`Receiver`]
    /// then yields what is still in flight and `Ok(None)` once the server has answered, or
    /// [`Error::CloseTimeout`] if it does not answer within the configured close timeout. Closing
    /// a connection that already ended does nothing.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: cut_to_char_boundary(reason, MAX_CLOSE_REASON_BYTES)
                .to_owned()
                .into(),
        };
        let (ack, done) = oneshot::channel();
        if self
            .commands
            .send(Command::Close(frame, ack))
            .await
            .is_err()
        {
            return Ok(());
        }
        done.await.unwrap_or(Ok(()))
    }
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("open", &!self.commands.is_closed())
            .finish_non_exhaustive()
    }
}

/// The receiving half of a [`Connection`].
///
/// Call [`recv_text`](Receiver::recv_text) steadily: up to 256 received messages wait here, and
/// while that buffer is full the connection stops reading (and so stops answering pings). Dropping
/// the receiver discards whatever arrives later.
pub struct Receiver {
    incoming: mpsc::Receiver<Incoming>,
    finished: bool,
    span: Span,
}

impl Receiver {
    /// Receives the next text frame.
    ///
    /// - `Ok(Some(text))`: one frame (one JSON event).
    /// - `Ok(None)`: the connection ended cleanly after *our* close, or an error ending it was
    ///   already returned.
    /// - `Err(Error::Closed { code, reason })`: the server closed (3000 auth, 4000 request shape,
    ///   1001 max duration, even 1000) without us asking.
    /// - `Err(Error::ConnectionLost { .. })`: the socket ended without a close frame.
    /// - `Err(Error::MessageTooLarge { .. })`: a message over the configured limit.
    /// - `Err(Error::KeepaliveTimeout { .. })`: nothing heard for three keepalive intervals.
    /// - `Err(Error::BinaryFrame { .. })`: not fatal; call again.
    pub async fn recv_text(&mut self) -> Result<Option<String>, Error> {
        std::future::poll_fn(|cx| self.poll_recv_text(cx)).await
    }

    /// Polls for the next text frame: the poll form of [`recv_text`](Receiver::recv_text), with
    /// the same results. Cancel-safe: a frame is only taken when it is returned.
    pub fn poll_recv_text(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<String>, Error>> {
        if self.finished {
            return Poll::Ready(Ok(None));
        }
        let item = std::task::ready!(self.incoming.poll_recv(cx));
        Poll::Ready(match item {
            Some(Incoming::Text(text)) => Ok(Some(text)),
            Some(Incoming::Binary(len)) => Err(Error::BinaryFrame { len }),
            Some(Incoming::End) => {
                self.finished = true;
                Ok(None)
            }
            Some(Incoming::Failed(error)) => {
                self.finished = true;
                Err(error)
            }
            None => {
                self.finished = true;
                Err(Error::ConnectionLost { source: None })
            }
        })
    }

    /// After our close: discards what is still in flight until the server's close reply.
    pub(crate) async fn drain_after_close(&mut self) -> Result<(), Error> {
        loop {
            match self.recv_text().await {
                Ok(None) => return Ok(()),
                Ok(Some(_)) => {}
                Err(error) if error.is_recoverable() => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// The `tracing` span of this connection.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Records the session id (from `session.created`) on the connection's span.
    pub fn record_session_id(&self, session_id: &str) {
        self.span.record("session_id", session_id);
    }
}

/// The frames as a stream: `Ok(text)` per frame, `Err` for a binary frame (then the stream goes
/// on) or for the error that ended the connection (then the stream ends).
impl Stream for Receiver {
    type Item = Result<String, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv_text(cx).map(Result::transpose)
    }
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

/// A request from a [`Sender`] to the driver, with the channel for its outcome.
enum Command {
    Text(String, oneshot::Sender<Result<(), Error>>),
    Close(CloseFrame, oneshot::Sender<Result<(), Error>>),
}

/// What the driver hands to the [`Receiver`]. `End` and `Failed` are final.
enum Incoming {
    Text(String),
    Binary(usize),
    End,
    Failed(Error),
}

/// What to do after one read from the socket.
enum Step {
    Deliver(Incoming),
    Continue,
    Finish(Incoming),
}

/// Owns the socket: reads continuously, writes what senders ask, pings, and reports the end.
struct Driver {
    socket: Socket,
    commands: mpsc::Receiver<Command>,
    incoming: mpsc::Sender<Incoming>,
    keepalive: Option<Duration>,
    close_timeout: Duration,
}

/// How many keepalive intervals in a row may pass without any frame from the server before the
/// connection counts as dead.
const KEEPALIVE_MISSES: u32 = 3;

impl Driver {
    async fn run(mut self) {
        let mut keepalive = self.keepalive.map(|period| {
            let mut interval = tokio::time::interval_at(Instant::now() + period, period);
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            interval
        });
        let mut permit: Option<OwnedPermit<Incoming>> = None;
        let mut commands_open = true;
        let mut receiver_gone = false;
        let mut closing = false;
        let mut pings: u64 = 0;
        let mut last_heard = Instant::now();
        let mut heard_since_tick = false;
        let mut silent_ticks: u32 = 0;
        let mut close_deadline = Instant::now();

        let last = loop {
            if !commands_open && receiver_gone {
                // Nobody is left to use the connection: close it politely and stop.
                if !closing {
                    let frame = CloseFrame {
                        code: CloseCode::Normal,
                        reason: "".into(),
                    };
                    let _ = self.socket.close(Some(frame)).await;
                }
                return;
            }
            tokio::select! {
                command = self.commands.recv(), if commands_open => match command {
                    None => commands_open = false,
                    Some(Command::Text(text, ack)) => {
                        let result = if closing {
                            Err(Error::Disconnected)
                        } else {
                            self.socket.send(Message::text(text)).await.map_err(send_error)
                        };
                        let _ = ack.send(result);
                    }
                    Some(Command::Close(frame, ack)) => {
                        let result = if closing {
                            Ok(())
                        } else {
                            closing = true;
                            close_deadline = Instant::now() + self.close_timeout;
                            tracing::debug!(code = u16::from(frame.code), "closing");
                            self.socket.close(Some(frame)).await.map_err(send_error)
                        };
                        let _ = ack.send(result);
                    }
                },
                reserved = self.incoming.clone().reserve_owned(), if permit.is_none() && !receiver_gone => {
                    match reserved {
                        Ok(reserved) => permit = Some(reserved),
                        Err(_) => receiver_gone = true,
                    }
                },
                () = self.incoming.closed(), if !receiver_gone => receiver_gone = true,
                message = self.socket.next(), if permit.is_some() || receiver_gone => {
                    last_heard = Instant::now();
                    heard_since_tick = true;
                    match self.on_message(message, closing).await {
                        Step::Deliver(item) => {
                            if let Some(reserved) = permit.take() {
                                reserved.send(item);
                            }
                        }
                        Step::Continue => {}
                        Step::Finish(item) => break item,
                    }
                },
                () = tokio::time::sleep_until(close_deadline), if closing => {
                    break Incoming::Failed(Error::CloseTimeout { timeout: self.close_timeout });
                },
                () = next_tick(&mut keepalive), if keepalive.is_some() && !closing => {
                    // While paused (receiver's buffer full) we are not reading, so silence
                    // proves nothing. Counting whole silent intervals, rather than comparing
                    // clocks, keeps a stalled process from looking like a dead server.
                    let paused = permit.is_none() && !receiver_gone;
                    silent_ticks = if paused || heard_since_tick { 0 } else { silent_ticks + 1 };
                    heard_since_tick = false;
                    if silent_ticks >= KEEPALIVE_MISSES {
                        let frame = CloseFrame {
                            code: CloseCode::Error,
                            reason: "keepalive ping timeout".into(),
                        };
                        let _ = self.socket.close(Some(frame)).await;
                        break Incoming::Failed(Error::KeepaliveTimeout {
                            silent_for: last_heard.elapsed(),
                        });
                    }
                    pings = pings.wrapping_add(1);
                    tracing::trace!(pings, "keepalive ping");
                    // A failed write shows up on the next read, which reports it.
                    if let Err(error) = self.socket.send(Message::Ping(pings.to_be_bytes().to_vec().into())).await {
                        tracing::debug!(%error, "keepalive ping failed");
                    }
                },
            }
        };

        match &last {
            Incoming::Failed(error) => tracing::debug!(%error, "connection ended"),
            _ => tracing::debug!("connection closed"),
        }
        // Refuse what senders still queued, then hand the final item to the receiver.
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Text(_, ack) => {
                    let _ = ack.send(Err(Error::Disconnected));
                }
                Command::Close(_, ack) => {
                    let _ = ack.send(Ok(()));
                }
            }
        }
        match permit {
            Some(reserved) => {
                reserved.send(last);
            }
            None if !receiver_gone => {
                let _ = self.incoming.send(last).await;
            }
            None => {}
        }
    }

    async fn on_message(
        &mut self,
        message: Option<Result<Message, tungstenite::Error>>,
        closing: bool,
    ) -> Step {
        match message {
            None if closing => Step::Finish(Incoming::End),
            None => Step::Finish(Incoming::Failed(Error::ConnectionLost { source: None })),
            Some(Ok(Message::Text(text))) => {
                Step::Deliver(Incoming::Text(text.as_str().to_owned()))
            }
            Some(Ok(Message::Binary(data))) => Step::Deliver(Incoming::Binary(data.len())),
            Some(Ok(Message::Ping(_))) => {
                // tungstenite queued the pong; write it now rather than at our next send.
                if let Err(error) = self.socket.flush().await {
                    tracing::debug!(%error, "flushing pong failed");
                }
                Step::Continue
            }
            Some(Ok(Message::Pong(_))) => {
                tracing::trace!("pong");
                Step::Continue
            }
            Some(Ok(Message::Frame(_))) => Step::Continue,
            Some(Ok(Message::Close(_))) if closing => Step::Finish(Incoming::End),
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = frame
                    .map(|frame| (u16::from(frame.code), frame.reason.as_str().to_owned()))
                    .unwrap_or((1005, String::new()));
                // Sends tungstenite's close reply.
                let _ = self.socket.flush().await;
                Step::Finish(Incoming::Failed(Error::Closed { code, reason }))
            }
            Some(Err(error)) => {
                let error = match error {
                    tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed
                        if closing =>
                    {
                        return Step::Finish(Incoming::End);
                    }
                    tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                        Error::ConnectionLost { source: None }
                    }
                    tungstenite::Error::Capacity(CapacityError::MessageTooLong {
                        size,
                        max_size,
                    }) => {
                        let frame = CloseFrame {
                            code: CloseCode::Size,
                            reason: "message too big".into(),
                        };
                        let _ = self.socket.close(Some(frame)).await;
                        Error::MessageTooLarge {
                            size,
                            limit: max_size,
                        }
                    }
                    error @ (tungstenite::Error::Io(_)
                    | tungstenite::Error::Protocol(
                        ProtocolError::ResetWithoutClosingHandshake,
                    )) => Error::ConnectionLost {
                        source: Some(Box::new(error)),
                    },
                    error => Error::WebSocket {
                        source: Box::new(error),
                    },
                };
                Step::Finish(Incoming::Failed(error))
            }
        }
    }
}

async fn next_tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn send_error(error: tungstenite::Error) -> Error {
    match error {
        tungstenite::Error::ConnectionClosed
        | tungstenite::Error::AlreadyClosed
        | tungstenite::Error::Protocol(ProtocolError::SendAfterClosing) => Error::Disconnected,
        error @ tungstenite::Error::Io(_) => Error::ConnectionLost {
            source: Some(Box::new(error)),
        },
        error => Error::WebSocket {
            source: Box::new(error),
        },
    }
}

/// The TLS setup when the configuration trusts extra certificates: the public web roots plus
/// those. `None` (tokio-tungstenite's own setup, the public roots) otherwise.
fn tls_connector(extra: &[CertificateDer<'static>]) -> Option<Connector> {
    if extra.is_empty() {
        return None;
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let (_, ignored) = roots.add_parsable_certificates(extra.iter().cloned());
    if ignored > 0 {
        tracing::warn!(
            ignored,
            "some trusted certificates are not valid X.509 and were ignored"
        );
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Some(Connector::Rustls(Arc::new(config)))
}

/// Installs rustls' `ring` provider as the process default once. tokio-tungstenite's rustls
/// features build rustls without a provider, and the first `wss://` connect would panic. An
/// already installed provider (e.g. by the application) is kept.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The upgrade request: URL, `User-Agent`, beta header, Azure request id and credential.
async fn build_request(
    config: &ClientConfig,
    request_id: Option<Uuid>,
) -> Result<http::Request<()>, Error> {
    let target = &config.target;
    let mut request = target
        .url()
        .as_str()
        .into_client_request()
        .map_err(|error| Error::InvalidUrl {
            url: target.redacted_url().to_string(),
            reason: error.to_string(),
        })?;
    let headers = request.headers_mut();
    headers.insert(
        http::header::USER_AGENT,
        HeaderValue::from_static(USER_AGENT),
    );
    if target.sends_beta_header() {
        headers.insert("openai-beta", HeaderValue::from_static("realtime=v1"));
    }
    if let Some(request_id) = request_id {
        let value = HeaderValue::from_str(&request_id.to_string()).map_err(|_| {
            Error::InvalidHeaderValue {
                name: "x-ms-client-request-id",
            }
        })?;
        headers.insert("x-ms-client-request-id", value);
    }
    if let Some((name, secret)) = config.credential.header().await? {
        let mut value = HeaderValue::from_str(secret.expose())
            .map_err(|_| Error::InvalidHeaderValue { name })?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    Ok(request)
}

/// Maps a failed connect or upgrade to our error, keeping the server's status and body.
fn connect_error(error: tungstenite::Error, host: &str) -> Error {
    match error {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let bytes = response.body().as_deref().unwrap_or_default();
            let (code, message) = parse_error_body(bytes);
            let kept = &bytes[..bytes.len().min(MAX_BODY_BYTES)];
            Error::Handshake {
                status,
                code,
                message,
                body: String::from_utf8_lossy(kept).into_owned(),
                retry_after,
            }
        }
        tungstenite::Error::Url(error) => Error::InvalidUrl {
            url: host.to_owned(),
            reason: error.to_string(),
        },
        error => Error::Connect {
            host: host.to_owned(),
            source: Box::new(error),
        },
    }
}

/// `error.code` and `error.message` of a JSON error body (`{"error":{"code","message"}}`).
fn parse_error_body(bytes: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return (None, None);
    };
    let error = &value["error"];
    let code = match &error["code"] {
        serde_json::Value::String(code) => Some(code.clone()),
        serde_json::Value::Number(code) => Some(code.to_string()),
        _ => None,
    };
    let message = error["message"].as_str().map(str::to_owned);
    (code, message)
}

fn cut_to_char_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_parse_azure_and_openai_shapes() {
        let azure = br#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#;
        assert_eq!(
            parse_error_body(azure),
            (
                Some("DeploymentNotFound".to_owned()),
                Some("The API deployment for this resource does not exist.".to_owned())
            )
        );
        assert_eq!(
            parse_error_body(br#"{"error":{"code":429,"message":"slow"}}"#)
                .0
                .as_deref(),
            Some("429")
        );
        assert_eq!(parse_error_body(b"not json"), (None, None));
    }

    #[test]
    fn close_reason_is_cut_on_a_char_boundary() {
        let long = "é".repeat(100);
        let cut = cut_to_char_boundary(&long, MAX_CLOSE_REASON_BYTES);
        assert!(cut.len() <= MAX_CLOSE_REASON_BYTES);
        assert!(cut.chars().all(|c| c == 'é'));
    }
}
