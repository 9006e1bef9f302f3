//! The typed client: GA-model events of `rtclient-protocol` over a [`Connection`], written and
//! read in the target's dialect.
//!
//! [`RealtimeClient`] is a [`Connection`] plus a [`Dialect`]: [`send`](EventSender::send)
//! stamps an `event_id` on events that have none and writes them in the dialect's wire form;
//! [`recv`](EventReceiver::recv) parses each frame into a [`ServerEvent`] (beta frames are
//! translated into the GA model). A frame that does not parse is one recoverable
//! [`Error::Parse`]; the connection goes on.

use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
};

use futures_util::Stream;
use rtclient_protocol::{ClientEvent, Dialect, ServerEvent};
use tracing::Span;
use uuid::Uuid;

use crate::{
    config::ClientConfig,
    connection::{Connection, Receiver, Sender},
    error::Error,
};

/// How much of an unparsable frame [`Error::Parse`] keeps.
pub(crate) const MAX_RAW_BYTES: usize = 256;

/// A typed Realtime connection: send [`ClientEvent`]s, receive [`ServerEvent`]s.
///
/// Events are always the GA model; the target's [`Dialect`] decides the wire form (a beta target
/// gets `session.update` with a flat session, `transcription_session.update`, ... and its
/// `response.audio.delta` arrives as [`ServerEvent::ResponseOutputAudioDelta`]).
///
/// Use it from one task, or [`split`](RealtimeClient::split) it into an [`EventSender`] and an
/// [`EventReceiver`] for concurrent sending and receiving (the seed sample's
/// `asyncio.gather(send_audio, receive)`). It is also a [`Stream`] of
/// `Result<ServerEvent, Error>`.
///
/// The raw frames stay reachable for debugging and recording:
/// [`recv_raw`](RealtimeClient::recv_raw) gives each frame's text with its parsed event,
/// [`EventSender::encode`] the text an event is sent as, and
/// [`send_text`](RealtimeClient::send_text) sends any text as is.
#[derive(Debug)]
pub struct RealtimeClient {
    sender: EventSender,
    receiver: EventReceiver,
    request_id: Option<Uuid>,
}

impl RealtimeClient {
    /// Opens the WebSocket described by `config` (see [`Connection::connect`] for the
    /// failures); events use the dialect of `config`'s target.
    pub async fn connect(config: &ClientConfig) -> Result<Self, Error> {
        Connection::connect(config).await.map(Self::from)
    }

    /// Sends one event in the connection's dialect and returns its `event_id`: the event's own
    /// if it has one, otherwise a new one (see [`EventSender::send`]).
    pub async fn send(&self, event: impl Into<ClientEvent>) -> Result<String, Error> {
        self.sender.send(event).await
    }

    /// Sends one text frame as is, without parsing or translating it (for debugging).
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), Error> {
        self.sender.send_text(text).await
    }

    /// Receives the next event. See [`EventReceiver::recv`].
    pub async fn recv(&mut self) -> Result<Option<ServerEvent>, Error> {
        self.receiver.recv().await
    }

    /// Receives the next frame's text together with its parsed event. See
    /// [`EventReceiver::recv_raw`].
    pub async fn recv_raw(&mut self) -> Result<Option<RawEvent>, Error> {
        self.receiver.recv_raw().await
    }

    /// Closes with `code` (1000 for a normal end) and `reason`, then waits up to the configured
    /// close timeout for the server's reply; events still arriving meanwhile are discarded. If
    /// the server had closed first, its close comes back as [`Error::Closed`].
    pub async fn close(mut self, code: u16, reason: &str) -> Result<(), Error> {
        self.sender.close(code, reason).await?;
        self.receiver.raw.drain_after_close().await
    }

    /// Splits into an [`EventSender`] and an [`EventReceiver`] for different tasks.
    pub fn split(self) -> (EventSender, EventReceiver) {
        (self.sender, self.receiver)
    }

    /// The dialect events are written and read in.
    pub fn dialect(&self) -> Dialect {
        self.sender.dialect
    }

    /// The `x-ms-client-request-id` sent to Azure (quote it in support requests).
    pub fn request_id(&self) -> Option<Uuid> {
        self.request_id
    }

    /// The `tracing` span of this connection; its fields are `url`, `request_id` and
    /// `session_id` (recorded when `session.created` arrives).
    pub fn span(&self) -> &Span {
        self.receiver.span()
    }
}

impl From<Connection> for RealtimeClient {
    /// Types an open connection, in the dialect of the target it was opened to.
    fn from(connection: Connection) -> Self {
        let dialect = connection.dialect;
        Self {
            sender: EventSender {
                raw: connection.sender,
                dialect,
                ids: Arc::new(EventIds::new()),
                observer: None,
            },
            receiver: EventReceiver {
                raw: connection.receiver,
                dialect,
            },
            request_id: connection.request_id,
        }
    }
}

/// The events as a stream; see [`EventReceiver`]'s `Stream` implementation.
impl Stream for RealtimeClient {
    type Item = Result<ServerEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.get_mut().receiver).poll_next(cx)
    }
}

/// The sending half of a [`RealtimeClient`]. Cheap to clone; clones share the `event_id`
/// counter, so ids stay unique across them.
#[derive(Clone)]
pub struct EventSender {
    raw: Sender,
    dialect: Dialect,
    ids: Arc<EventIds>,
    observer: Option<FrameObserver>,
}

impl std::fmt::Debug for EventSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSender")
            .field("raw", &self.raw)
            .field("dialect", &self.dialect)
            .field("observed", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

/// Sees frames as they go on or come off the wire, as text: for session logs and raw
/// output. Called on the task that sends or receives; it must not block.
pub type FrameObserver = Arc<dyn Fn(FrameDirection, &str) + Send + Sync>;

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameDirection {
    /// From the client to the server.
    Sent,
    /// From the server to the client.
    Received,
}

impl EventSender {
    /// Sends one event and waits until it was written to the socket. Returns the `event_id` it
    /// was sent with, to match against `error.event_id` of an [`ServerEvent::Error`].
    ///
    /// An event without an `event_id` gets `evt_<8 hex digits>_<n>`: the hex digits are random
    /// per connection, `n` counts up from 1 for each event sent on this connection. An event
    /// that has an `event_id` keeps it.
    ///
    /// Fails with [`Error::Encode`] (nothing sent) if the event cannot be written as JSON, and
    /// [`Error::Disconnected`] once the connection is closed or closing.
    pub async fn send(&self, event: impl Into<ClientEvent>) -> Result<String, Error> {
        let encoded = self.encode(event)?;
        self.send_text(encoded.text).await?;
        Ok(encoded.event_id)
    }

    /// This sender, showing every frame it sends to `observer` first.
    pub fn observed(mut self, observer: FrameObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Prepares an event the way [`send`](EventSender::send) would (assigning an `event_id` if
    /// it has none) without sending it: for recording what goes on the wire. Send the result
    /// with [`send_text`](EventSender::send_text).
    pub fn encode(&self, event: impl Into<ClientEvent>) -> Result<EncodedEvent, Error> {
        let mut event = event.into();
        let event_id = match event.event_id() {
            Some(id) => id.to_owned(),
            None => {
                let id = self.ids.next();
                event.set_event_id(id.clone());
                id
            }
        };
        let text = self
            .dialect
            .client_event_to_json(&event)
            .map_err(|source| Error::Encode {
                kind: event.kind().to_owned(),
                source,
            })?;
        tracing::trace!(kind = event.kind(), event_id, "sending");
        Ok(EncodedEvent { event_id, text })
    }

    /// A new `event_id` of this connection, as [`send`](EventSender::send) would assign.
    pub(crate) fn new_event_id(&self) -> String {
        self.ids.next()
    }

    /// Sends one text frame as is, without parsing or translating it.
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), Error> {
        let text = text.into();
        if let Some(observer) = &self.observer {
            observer(FrameDirection::Sent, &text);
        }
        self.raw.send_text(text).await
    }

    /// Starts the close handshake (see [`Sender::close`]); then let the [`EventReceiver`] run
    /// out, or call [`EventReceiver::wait_closed`].
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        self.raw.close(code, reason).await
    }

    /// The dialect events are written in.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }
}

/// An event ready to send, from [`EventSender::encode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedEvent {
    /// The `event_id` the event carries (its own or the one assigned).
    pub event_id: String,
    /// The JSON text of the frame, in the connection's dialect.
    pub text: String,
}

/// The receiving half of a [`RealtimeClient`].
///
/// Receive steadily (see [`Receiver`] for the buffering). It is also a [`Stream`] of
/// `Result<ServerEvent, Error>`: a recoverable error ([`Error::is_recoverable`]: a frame that
/// does not parse, a binary frame) is one item and the stream goes on; the error that ends the
/// connection is the last item; after our own close the stream simply ends.
#[derive(Debug)]
pub struct EventReceiver {
    raw: Receiver,
    dialect: Dialect,
}

impl EventReceiver {
    /// Receives the next event.
    ///
    /// - `Ok(Some(event))`: one event, in the GA model whatever the dialect. Event types the
    ///   protocol crate does not know arrive as `ServerEvent::Unknown`. An `error` event is an
    ///   ordinary [`ServerEvent::Error`], never fatal by itself.
    /// - `Err(Error::Parse { .. })` or `Err(Error::BinaryFrame { .. })`: one frame was skipped;
    ///   call again.
    /// - `Ok(None)` and the other errors: as [`Receiver::recv_text`] (the connection ended).
    ///
    /// `session.created` also records the session id on the connection's span.
    pub async fn recv(&mut self) -> Result<Option<ServerEvent>, Error> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Receives the next frame's text together with its parsed event (or the parse error), for
    /// recording and debugging. Errors of the connection itself are as for
    /// [`recv`](EventReceiver::recv).
    pub async fn recv_raw(&mut self) -> Result<Option<RawEvent>, Error> {
        let Some(text) = self.raw.recv_text().await? else {
            return Ok(None);
        };
        let event = self.parse(&text);
        Ok(Some(RawEvent { text, event }))
    }

    /// Polls for the next frame and its event: the poll form of
    /// [`recv_raw`](EventReceiver::recv_raw).
    pub fn poll_recv_raw(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<RawEvent>, Error>> {
        self.raw.poll_recv_text(cx).map(|received| match received? {
            Some(text) => {
                let event = self.parse(&text);
                Ok(Some(RawEvent { text, event }))
            }
            None => Ok(None),
        })
    }

    /// Polls for the next event: the poll form of [`recv`](EventReceiver::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<ServerEvent>, Error>> {
        self.raw.poll_recv_text(cx).map(|received| match received? {
            Some(text) => self.parse(&text).map(Some),
            None => Ok(None),
        })
    }

    /// After [`EventSender::close`]: discards the events still in flight and waits for the
    /// server's close reply (or the close timeout). `Ok(())` once the connection ended cleanly;
    /// if the server had closed first, its close comes back as [`Error::Closed`].
    pub async fn wait_closed(&mut self) -> Result<(), Error> {
        self.raw.drain_after_close().await
    }

    /// The dialect events are read in.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The `tracing` span of this connection.
    pub fn span(&self) -> &Span {
        self.raw.span()
    }

    fn parse(&self, text: &str) -> Result<ServerEvent, Error> {
        match self.dialect.parse_server_event(text) {
            Ok(event) => {
                if let ServerEvent::SessionCreated(created) = &event
                    && let Some(id) = &created.session.id
                {
                    self.raw.record_session_id(id);
                }
                tracing::trace!(parent: self.raw.span(), kind = event.kind(), "received");
                Ok(event)
            }
            Err(source) => {
                tracing::debug!(parent: self.raw.span(), error = %source, "skipping a frame that does not parse");
                Err(Error::Parse {
                    raw: truncate(text, MAX_RAW_BYTES),
                    source,
                })
            }
        }
    }
}

/// The events as a stream; ends after the error that ended the connection, or at once after
/// our own close.
impl Stream for EventReceiver {
    type Item = Result<ServerEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx).map(Result::transpose)
    }
}

/// One received frame: its text as it came, and the event parsed from it.
#[derive(Debug)]
pub struct RawEvent {
    /// The frame's JSON text, unchanged.
    pub text: String,
    /// The parsed event, or [`Error::Parse`].
    pub event: Result<ServerEvent, Error>,
}

/// Per-connection `event_id`s: `evt_<random 8 hex>_<counter>`.
#[derive(Debug)]
pub(crate) struct EventIds {
    prefix: String,
    next: AtomicU64,
}

impl EventIds {
    pub(crate) fn new() -> Self {
        let random = Uuid::new_v4().simple().to_string();
        Self {
            prefix: format!("evt_{}_", &random[..8]),
            next: AtomicU64::new(1),
        }
    }

    pub(crate) fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}{n}", self.prefix)
    }
}

/// The first `max` bytes of `text` (cut on a character boundary), with `...` when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    format!("{}...", rtclient_protocol::cut_at_char_boundary(text, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_prefixed_and_count_up() {
        let ids = EventIds::new();
        let first = ids.next();
        let second = ids.next();
        assert!(
            first.starts_with("evt_") && first.ends_with("_1"),
            "{first}"
        );
        assert_eq!(first.len(), "evt_12345678_1".len());
        assert_eq!(second, format!("{}2", &first[..first.len() - 1]));
        assert_ne!(EventIds::new().prefix, ids.prefix);
    }

    #[test]
    fn truncate_cuts_on_char_boundaries() {
        assert_eq!(truncate("short", 10), "short");
        let cut = truncate(&"é".repeat(200), 255);
        assert!(cut.ends_with("..."));
        assert_eq!(cut.len(), 254 + 3);
    }
}
