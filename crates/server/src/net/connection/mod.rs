//! The connection layer: one upgraded WebSocket from accept to close.
//!
//! The driver owns the socket and runs a [`SessionHandler`] beside it. It
//!
//! - forwards the client's text and binary messages to the session and the session's messages
//!   to the client, with backpressure both ways;
//! - keeps reading the socket while the session's input waits, so pings and closes are answered
//!   even then; a client that gets more than [`INPUT_BACKLOG_BYTES`] ahead of its session is shed
//!   with an `error` event and close 1013;
//! - answers client pings (the WebSocket library queues the pong) and sends its own ping every
//!   `ping_interval`, as OpenAI does every 20 s; a peer that answers none of two pings in a row
//!   is closed with 1011 "keepalive ping timeout" when the next ping falls due, and one that
//!   accepts no data for two ping intervals is dropped;
//! - completes the close handshake whoever starts it, waiting at most `close_timeout` for the
//!   client's close frame;
//! - closes with 1009 on an oversized message, 1002 on a protocol violation, 1007 on invalid
//!   UTF-8;
//! - closes with 1001 "Your session hit the maximum duration of 60 minutes." when the session
//!   timer runs out, and with 1001 [`SHUTDOWN_REASON`] when the server shuts down.
//!
//! It is generic over the socket (any `Sink<Message>` + `Stream<Item = Result<Message, E>>`),
//! so it can be driven by channels as well as by axum's `WebSocket`.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::BoxError;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message};
use futures_util::future::poll_fn;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rtclient_protocol::MAX_CLOSE_REASON_BYTES;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::net::endpoint::SessionRequest;
use crate::net::handler::SessionHandler;
use crate::net::refusal::{Refusal, refusal_event};

/// Close code for a normal end of session.
pub const CLOSE_NORMAL: u16 = 1000;
/// Close code for a session that hit its maximum duration, or a server going down.
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code for a protocol violation by the client.
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// Close code never sent on the wire (RFC 6455): a session that asks for it gets its connection
/// dropped with no close frame, as a network failure would (scripted faults).
pub const CLOSE_ABNORMAL: u16 = 1006;
/// Close code for a text message that is not valid UTF-8.
pub const CLOSE_INVALID_PAYLOAD: u16 = 1007;
/// Close code for a message over the size limit.
pub const CLOSE_MESSAGE_TOO_BIG: u16 = 1009;
/// Close code for a peer that stopped answering pings (as the `websockets` library uses it).
pub const CLOSE_INTERNAL_ERROR: u16 = 1011;

/// The close reason sent with 1011 to a peer that stopped answering pings.
pub const KEEPALIVE_REASON: &str = "keepalive ping timeout";

/// Client data read ahead while the session's channel is full, in bytes (about a minute of
/// 24 kHz audio as base64); a client further ahead is shed. One message is always accepted.
pub const INPUT_BACKLOG_BYTES: usize = 4 << 20;

/// The close reason sent to open sessions when the server shuts down (with code 1001).
pub const SHUTDOWN_REASON: &str = "The server is shutting down.";

/// Messages buffered between the socket and the session in each direction.
const CHANNEL_CAPACITY: usize = 32;

/// Pings in a row a peer may leave unanswered; when the next one falls due, it is closed.
const UNANSWERED_PINGS: u32 = 2;

/// The timing settings of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionTimers {
    pub(crate) max_session_duration: Duration,
    pub(crate) ping_interval: Duration,
    pub(crate) close_timeout: Duration,
}

impl ConnectionTimers {
    /// How long one write may wait for a peer that accepts no data before it is dropped: two
    /// ping intervals, as long as an unanswered ping is tolerated.
    fn write_stall_limit(&self) -> Duration {
        self.ping_interval.saturating_mul(UNANSWERED_PINGS)
    }
}

/// How a connection ended, as seen by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The server closed with this code and reason.
    ClosedByServer(u16, String),
    /// The client closed (with its code, if it sent one).
    ClosedByClient(Option<u16>),
    /// The transport failed or vanished without a close handshake.
    Lost,
}

/// The close reason OpenAI sends when a session reaches its maximum duration.
///
/// `60 minutes` gives OpenAI's exact text; other limits are written in minutes when whole,
/// otherwise in seconds.
pub(crate) fn max_duration_reason(limit: Duration) -> String {
    let seconds = limit.as_secs();
    let amount = if seconds >= 60 && seconds.is_multiple_of(60) {
        plural(seconds / 60, "minute")
    } else {
        plural(seconds.max(1), "second")
    };
    format!("Your session hit the maximum duration of {amount}.")
}

fn plural(count: u64, unit: &str) -> String {
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

/// Runs `handler` over `socket` until the connection ends; returns how it ended.
pub(crate) async fn drive<S, E, H>(
    mut socket: S,
    request: SessionRequest,
    handler: Arc<H>,
    timers: ConnectionTimers,
    mut shutdown: watch::Receiver<bool>,
) -> Ending
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin + Send,
    E: Into<BoxError>,
    H: SessionHandler,
{
    let (to_session, incoming) = futures_channel::mpsc::channel::<Message>(CHANNEL_CAPACITY);
    let mut inbox = Inbox::new(to_session);
    let (outgoing, from_session) = futures_channel::mpsc::channel::<Message>(CHANNEL_CAPACITY);
    // Whatever the session has queued is written with one flush (one write to the socket).
    let mut from_session = from_session.ready_chunks(CHANNEL_CAPACITY);
    // The session runs as its own task: one that blocks its thread on an engine (a turn's
    // transcription) does not hold up this loop, so what it queued before is written meanwhile.
    let mut session = SessionTask(tokio::spawn(async move {
        handler.run(request, outgoing, incoming).await;
    }));
    let mut session_done = false;

    let mut deadline = pin!(tokio::time::sleep(timers.max_session_duration));
    let mut pings = Pings::every(timers.ping_interval);
    let stall = timers.write_stall_limit();
    let timeout = timers.close_timeout;

    let ending = loop {
        tokio::select! {
            _ = &mut session.0, if !session_done => session_done = true,
            () = &mut deadline => {
                let reason = max_duration_reason(timers.max_session_duration);
                break server_close(&mut socket, CLOSE_GOING_AWAY, &reason, timeout).await;
            }
            () = shutdown_requested(&mut shutdown) => {
                break server_close(&mut socket, CLOSE_GOING_AWAY, SHUTDOWN_REASON, timeout).await;
            }
            tick = pings.next() => {
                let Some(ping) = tick else {
                    break server_close(&mut socket, CLOSE_INTERNAL_ERROR, KEEPALIVE_REASON, timeout)
                        .await;
                };
                if !matches!(tokio::time::timeout(stall, socket.send(ping)).await, Ok(Ok(()))) {
                    break Ending::Lost;
                }
            }
            () = inbox.hand_over(), if inbox.is_holding() => {}
            read = socket.next() => match from_client(&mut socket, read, timeout).await {
                ControlFlow::Break(ending) => break ending,
                ControlFlow::Continue(Read::Pong) => pings.answered(),
                ControlFlow::Continue(Read::Other) => {}
                ControlFlow::Continue(Read::Data(message)) => {
                    if inbox.hold(message).is_err() {
                        break shed(&mut socket, timeout).await;
                    }
                }
            },
            sent = from_session.next() => {
                if let ControlFlow::Break(ending) =
                    to_client(&mut socket, sent, stall, timeout).await
                {
                    break ending;
                }
            }
        }
    };

    // End the session's input and output, then give it a moment to finish.
    drop(inbox);
    drop(from_session);
    if !session_done {
        let_finish(&mut session.0, timers.close_timeout).await;
    }
    ending
}

/// The session's input. The socket is read on while the session's channel is full, so pings
/// and closes are still answered; the data messages read meanwhile wait here, up to
/// [`INPUT_BACKLOG_BYTES`]. Once the session stops reading, what the client sends is discarded.
struct Inbox {
    to_session: futures_channel::mpsc::Sender<Message>,
    /// Client messages read from the socket but not yet accepted by the session, in order.
    held: VecDeque<Message>,
    /// The payload bytes of `held`.
    held_bytes: usize,
    open: bool,
}

/// The client got more than [`INPUT_BACKLOG_BYTES`] ahead of its session.
#[derive(Debug)]
struct Overloaded;

impl Inbox {
    fn new(to_session: futures_channel::mpsc::Sender<Message>) -> Self {
        Self {
            to_session,
            held: VecDeque::new(),
            held_bytes: 0,
            open: true,
        }
    }

    /// Whether messages wait for room in the session's channel.
    fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// Passes a message read from the client to the session, or keeps it until the session has
    /// room; refuses it when the messages already waiting and this one exceed
    /// [`INPUT_BACKLOG_BYTES`].
    fn hold(&mut self, message: Message) -> Result<(), Overloaded> {
        if !self.open {
            return Ok(());
        }
        // Nothing waits before it: straight into the session's channel when it has room.
        let message = if self.is_holding() {
            message
        } else {
            match self.to_session.try_send(message) {
                Ok(()) => return Ok(()),
                Err(error) if error.is_disconnected() => {
                    self.open = false;
                    return Ok(());
                }
                Err(error) => error.into_inner(),
            }
        };
        let bytes = payload_len(&message);
        if self.is_holding() && self.held_bytes + bytes > INPUT_BACKLOG_BYTES {
            return Err(Overloaded);
        }
        self.held_bytes += bytes;
        self.held.push_back(message);
        Ok(())
    }

    /// Waits for room in the session's channel and puts the oldest held message there.
    async fn hand_over(&mut self) {
        let ready = poll_fn(|cx| self.to_session.poll_ready(cx)).await;
        let Some(message) = self.held.pop_front() else {
            return;
        };
        self.held_bytes -= payload_len(&message);
        let handed = ready.is_ok() && self.to_session.start_send(message).is_ok();
        if !handed {
            // The session stopped listening: discard what it would not read.
            self.open = false;
            self.held.clear();
            self.held_bytes = 0;
        }
    }
}

/// The payload size of a data message, in bytes.
fn payload_len(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(data) => data.len(),
        _ => 0,
    }
}

/// The server's pings, one every interval, each with a new counter as its payload; they also
/// keep count of the pings the peer has not answered.
struct Pings {
    interval: tokio::time::Interval,
    count: u32,
    unanswered: u32,
}

impl Pings {
    /// Pings every `period`, the first one `period` from now.
    fn every(period: Duration) -> Self {
        let mut interval = tokio::time::interval_at(Instant::now() + period, period);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            interval,
            count: 0,
            unanswered: 0,
        }
    }

    /// The next ping, when it is due; `None` when the peer answered none of the last
    /// [`UNANSWERED_PINGS`] pings (the oldest of them was sent that many intervals ago).
    async fn next(&mut self) -> Option<Message> {
        self.interval.tick().await;
        if self.unanswered >= UNANSWERED_PINGS {
            return None;
        }
        self.unanswered += 1;
        self.count = self.count.wrapping_add(1);
        Some(Message::Ping(Bytes::copy_from_slice(
            &self.count.to_be_bytes(),
        )))
    }

    /// The peer sent a pong: it is alive.
    fn answered(&mut self) {
        self.unanswered = 0;
    }
}

/// The session's task; dropping it stops the session (a dropped tokio handle alone would leave
/// the task running).
struct SessionTask(tokio::task::JoinHandle<()>);

impl Drop for SessionTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Waits up to `timeout` for a session whose input has ended, then drops it.
async fn let_finish<T>(session: impl Future<Output = T>, timeout: Duration) {
    if tokio::time::timeout(timeout, session).await.is_err() {
        tracing::warn!("session handler did not stop within the close timeout; dropped");
    }
}

/// What was read from the client, when the connection goes on.
enum Read {
    /// A data message for the session.
    Data(Message),
    /// A pong: the peer is alive.
    Pong,
    /// A ping, which the library answers.
    Other,
}

/// Handles what was read from the client: the connection ends (`Break`), or goes on with what
/// was read.
async fn from_client<S, E>(
    socket: &mut S,
    read: Option<Result<Message, E>>,
    timeout: Duration,
) -> ControlFlow<Ending, Read>
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
    E: Into<BoxError>,
{
    match read {
        None => ControlFlow::Break(Ending::Lost),
        Some(Err(error)) => match close_for_error(error.into()) {
            Some((code, reason)) => {
                ControlFlow::Break(server_close(socket, code, reason, timeout).await)
            }
            None => ControlFlow::Break(Ending::Lost),
        },
        Some(Ok(Message::Close(frame))) => {
            // The library queued the close reply; reading on flushes it.
            finish(socket, timeout).await;
            ControlFlow::Break(Ending::ClosedByClient(frame.map(|frame| frame.code)))
        }
        Some(Ok(Message::Pong(_))) => ControlFlow::Continue(Read::Pong),
        Some(Ok(Message::Ping(_))) => ControlFlow::Continue(Read::Other),
        Some(Ok(message)) => ControlFlow::Continue(Read::Data(message)),
    }
}

/// Writes a batch of the session's messages; the connection ends (`Break`) when the session
/// is done (its sender dropped), asked for a close, or the socket failed or accepted nothing
/// for `stall`.
async fn to_client<S, E>(
    socket: &mut S,
    sent: Option<Vec<Message>>,
    stall: Duration,
    timeout: Duration,
) -> ControlFlow<Ending>
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
    E: Into<BoxError>,
{
    let Some(batch) = sent else {
        return ControlFlow::Break(server_close(socket, CLOSE_NORMAL, "", timeout).await);
    };
    let Ok(written) = tokio::time::timeout(stall, send_batch(socket, batch)).await else {
        tracing::debug!("client accepted no data in time; dropped");
        return ControlFlow::Break(Ending::Lost);
    };
    match written {
        Ok(Batch::Sent) => ControlFlow::Continue(()),
        Ok(Batch::Close(Some(frame))) if frame.code == CLOSE_ABNORMAL => {
            tracing::debug!("session asked to drop the connection");
            ControlFlow::Break(Ending::Lost)
        }
        Ok(Batch::Close(frame)) => {
            let (code, reason) = frame
                .filter(|frame| sendable(frame.code))
                .map(|frame| (frame.code, frame.reason.to_string()))
                .unwrap_or((CLOSE_NORMAL, String::new()));
            ControlFlow::Break(server_close(socket, code, &reason, timeout).await)
        }
        Err(_) => ControlFlow::Break(Ending::Lost),
    }
}

/// What became of a batch of the session's messages.
#[derive(Debug, PartialEq)]
enum Batch {
    /// All were written.
    Sent,
    /// The messages before the session's close frame were written; this close comes next.
    Close(Option<CloseFrame>),
}

/// Writes the session's messages in order with a single flush, stopping at a close frame.
async fn send_batch<S>(socket: &mut S, batch: Vec<Message>) -> Result<Batch, S::Error>
where
    S: Sink<Message> + Unpin,
{
    let mut close = None;
    for message in batch {
        if let Message::Close(frame) = message {
            close = Some(frame);
            break;
        }
        socket.feed(message).await?;
    }
    socket.flush().await?;
    Ok(close.map_or(Batch::Sent, Batch::Close))
}

/// Completes once the server asks sessions to stop; never, if the server is gone without asking.
async fn shutdown_requested(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stopping| *stopping).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Refuses a freshly upgraded connection: the `error` event, then the close (3000 or 4000).
pub(crate) async fn refuse<S, E>(
    mut socket: S,
    refusal: &Refusal,
    connection_id: u64,
    timeout: Duration,
) where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
{
    let event = refusal_event(refusal, &format!("refusal_{connection_id}"));
    if socket.send(Message::text(event)).await.is_err() {
        return;
    }
    server_close(
        &mut socket,
        refusal.close_code(),
        &refusal.close_reason(),
        timeout,
    )
    .await;
}

/// Sheds a session whose client got too far ahead of it: an `error` event, then close 1013.
async fn shed<S, E>(socket: &mut S, timeout: Duration) -> Ending
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
{
    tracing::warn!("client got too far ahead of its session; shed");
    let overloaded = &Refusal::SESSION_OVERLOADED;
    let event = Message::text(refusal_event(overloaded, "session_overloaded"));
    if !matches!(
        tokio::time::timeout(timeout, socket.send(event)).await,
        Ok(Ok(()))
    ) {
        return Ending::Lost;
    }
    let reason = overloaded.close_reason();
    server_close(socket, overloaded.close_code(), &reason, timeout).await
}

/// Sends a close frame and waits (bounded) for the client's close reply; a client that does
/// not take the close frame within `timeout` is dropped.
async fn server_close<S, E>(socket: &mut S, code: u16, reason: &str, timeout: Duration) -> Ending
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
{
    let reason = truncate_reason(reason);
    let frame = CloseFrame {
        code,
        reason: reason.clone().into(),
    };
    let sent = tokio::time::timeout(timeout, socket.send(Message::Close(Some(frame)))).await;
    if !matches!(sent, Ok(Ok(()))) {
        return Ending::Lost;
    }
    finish(socket, timeout).await;
    Ending::ClosedByServer(code, reason)
}

/// Reads (and discards) until the client's close arrives or the connection ends, at most
/// `timeout` long.
async fn finish<S, E>(socket: &mut S, timeout: Duration)
where
    S: Stream<Item = Result<Message, E>> + Unpin,
{
    let drained = tokio::time::timeout(timeout, async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    if drained.is_err() {
        tracing::debug!("client did not complete the close handshake in time");
    }
}

/// The close frame that answers a transport error, or `None` when the transport is gone.
fn close_for_error(error: BoxError) -> Option<(u16, &'static str)> {
    let error = match error.downcast::<axum::Error>() {
        Ok(wrapped) => wrapped.into_inner(),
        Err(other) => other,
    };
    let error = error.downcast::<tungstenite::Error>().ok()?;
    tracing::debug!(%error, "websocket error");
    match *error {
        tungstenite::Error::Capacity(_) => Some((CLOSE_MESSAGE_TOO_BIG, "Message too big.")),
        tungstenite::Error::Protocol(_) => Some((CLOSE_PROTOCOL_ERROR, "Protocol error.")),
        tungstenite::Error::Utf8(_) => Some((CLOSE_INVALID_PAYLOAD, "Invalid UTF-8.")),
        _ => None,
    }
}

/// Whether a close code may be sent on the wire (RFC 6455 section 7.4): a session asking for
/// another code gets a plain 1000.
pub(crate) fn sendable(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Cuts a close reason to the 123 bytes a close frame can carry, on a character boundary.
fn truncate_reason(reason: &str) -> String {
    rtclient_protocol::cut_at_char_boundary(reason, MAX_CLOSE_REASON_BYTES).to_owned()
}

#[cfg(test)]
mod tests;
