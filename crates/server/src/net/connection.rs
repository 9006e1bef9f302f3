//! The connection layer: one upgraded WebSocket from accept to close.
//!
//! The driver owns the socket and runs a [`SessionHandler`] beside it. It
//!
//! - forwards the client's text and binary messages to the session and the session's messages
//!   to the client, with backpressure both ways;
//! - answers client pings (the WebSocket library queues the pong) and sends its own ping every
//!   `ping_interval`, as OpenAI does every 20 s;
//! - completes the close handshake whoever starts it, waiting at most `close_timeout` for the
//!   client's close frame;
//! - closes with 1009 on an oversized message, 1002 on a protocol violation, 1007 on invalid
//!   UTF-8;
//! - closes with 1001 "Your session hit the maximum duration of 60 minutes." when the session
//!   timer runs out, and with 1001 [`SHUTDOWN_REASON`] when the server shuts down.
//!
//! It is generic over the socket (any `Sink<Message>` + `Stream<Item = Result<Message, E>>`),
//! so it can be driven by channels as well as by axum's `WebSocket`.

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
use crate::net::refusal::{Refusal, refusal_event};
use crate::session::SessionHandler;

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

/// The close reason sent to open sessions when the server shuts down (with code 1001).
pub const SHUTDOWN_REASON: &str = "The server is shutting down.";

/// Messages buffered between the socket and the session in each direction.
const CHANNEL_CAPACITY: usize = 32;

/// The timing settings of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionTimers {
    pub(crate) max_session_duration: Duration,
    pub(crate) ping_interval: Duration,
    pub(crate) close_timeout: Duration,
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
    let (mut to_session, incoming) = futures_channel::mpsc::channel::<Message>(CHANNEL_CAPACITY);
    let (outgoing, from_session) = futures_channel::mpsc::channel::<Message>(CHANNEL_CAPACITY);
    // Whatever the session has queued is written with one flush (one write to the socket).
    let mut from_session = from_session.ready_chunks(CHANNEL_CAPACITY);
    let mut session = pin!(handler.run(request, outgoing, incoming));
    let mut session_done = false;

    let mut deadline = pin!(tokio::time::sleep(timers.max_session_duration));
    let mut pings =
        tokio::time::interval_at(Instant::now() + timers.ping_interval, timers.ping_interval);
    pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut ping_count: u32 = 0;
    // A client message read from the socket but not yet accepted by the session.
    let mut pending: Option<Message> = None;
    let mut session_inbox_open = true;

    let ending = loop {
        tokio::select! {
            () = &mut session, if !session_done => session_done = true,
            () = &mut deadline => {
                break server_close(
                    &mut socket,
                    CLOSE_GOING_AWAY,
                    &max_duration_reason(timers.max_session_duration),
                    timers.close_timeout,
                ).await;
            }
            () = shutdown_requested(&mut shutdown) => {
                let timeout = timers.close_timeout;
                break server_close(&mut socket, CLOSE_GOING_AWAY, SHUTDOWN_REASON, timeout).await;
            }
            _ = pings.tick() => {
                ping_count = ping_count.wrapping_add(1);
                let payload = Bytes::copy_from_slice(&ping_count.to_be_bytes());
                if socket.send(Message::Ping(payload)).await.is_err() {
                    break Ending::Lost;
                }
            }
            ready = poll_fn(|cx| to_session.poll_ready(cx)), if pending.is_some() => {
                match (ready, pending.take()) {
                    (Ok(()), Some(message)) => {
                        if to_session.start_send(message).is_err() {
                            session_inbox_open = false;
                        }
                    }
                    // The session stopped listening: discard what it would not read.
                    _ => session_inbox_open = false,
                }
            }
            read = socket.next(), if pending.is_none() => match read {
                None => break Ending::Lost,
                Some(Err(error)) => match close_for_error(error.into()) {
                    Some((code, reason)) => {
                        break server_close(&mut socket, code, reason, timers.close_timeout).await;
                    }
                    None => break Ending::Lost,
                },
                Some(Ok(Message::Close(frame))) => {
                    // The library queued the close reply; reading on flushes it.
                    finish(&mut socket, timers.close_timeout).await;
                    break Ending::ClosedByClient(frame.map(|frame| frame.code));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(message)) => {
                    if session_inbox_open {
                        pending = Some(message);
                    }
                }
            },
            sent = from_session.next() => match sent {
                None => {
                    break server_close(&mut socket, CLOSE_NORMAL, "", timers.close_timeout).await;
                }
                Some(batch) => match send_batch(&mut socket, batch).await {
                    Ok(Batch::Sent) => {}
                    Ok(Batch::Close(Some(frame))) if frame.code == CLOSE_ABNORMAL => {
                        tracing::debug!("session asked to drop the connection");
                        break Ending::Lost;
                    }
                    Ok(Batch::Close(frame)) => {
                        let (code, reason) = frame
                            .filter(|frame| sendable(frame.code))
                            .map(|frame| (frame.code, frame.reason.to_string()))
                            .unwrap_or((CLOSE_NORMAL, String::new()));
                        break server_close(&mut socket, code, &reason, timers.close_timeout)
                            .await;
                    }
                    Err(_) => break Ending::Lost,
                },
            },
        }
    };

    // End the session's input, then give it a moment to finish.
    drop(to_session);
    if !session_done
        && tokio::time::timeout(timers.close_timeout, &mut session)
            .await
            .is_err()
    {
        tracing::warn!("session handler did not stop within the close timeout; dropped");
    }
    ending
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

/// Sends a close frame and waits (bounded) for the client's close reply.
async fn server_close<S, E>(socket: &mut S, code: u16, reason: &str, timeout: Duration) -> Ending
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
{
    let reason = truncate_reason(reason);
    let frame = CloseFrame {
        code,
        reason: reason.clone().into(),
    };
    if socket.send(Message::Close(Some(frame))).await.is_err() {
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
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use futures_channel::mpsc;

    use super::*;
    use crate::net::endpoint::Route;

    /// A socket made of two channels: what the client sends, and what the server sends.
    struct FakeSocket {
        from_client: mpsc::Receiver<Result<Message, std::io::Error>>,
        to_client: mpsc::Sender<Message>,
    }

    impl Stream for FakeSocket {
        type Item = Result<Message, std::io::Error>;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.from_client.poll_next_unpin(cx)
        }
    }

    impl Sink<Message> for FakeSocket {
        type Error = mpsc::SendError;

        fn poll_ready(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Result<(), Self::Error>> {
            self.to_client.poll_ready(cx)
        }

        fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
            self.to_client.start_send(item)
        }

        fn poll_flush(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Result<(), Self::Error>> {
            Pin::new(&mut self.to_client).poll_flush(cx)
        }

        fn poll_close(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Result<(), Self::Error>> {
            Pin::new(&mut self.to_client).poll_close(cx)
        }
    }

    /// The client end of a [`FakeSocket`].
    struct FakeClient {
        send: mpsc::Sender<Result<Message, std::io::Error>>,
        receive: mpsc::Receiver<Message>,
    }

    fn fake_socket() -> (FakeSocket, FakeClient) {
        let (send, from_client) = mpsc::channel(4);
        let (to_client, receive) = mpsc::channel(4);
        (
            FakeSocket {
                from_client,
                to_client,
            },
            FakeClient { send, receive },
        )
    }

    fn request() -> SessionRequest {
        SessionRequest::resolve(
            Route::OpenAi,
            Some("model=m"),
            &axum::http::HeaderMap::new(),
            [],
        )
    }

    fn default_timers() -> ConnectionTimers {
        ConnectionTimers {
            max_session_duration: crate::net::config::DEFAULT_MAX_SESSION_DURATION,
            ping_interval: crate::net::config::DEFAULT_PING_INTERVAL,
            close_timeout: crate::net::config::DEFAULT_CLOSE_TIMEOUT,
        }
    }

    /// Records what is sent to it and how often it is flushed.
    #[derive(Default)]
    struct RecordingSink {
        sent: Vec<Message>,
        flushes: usize,
    }

    impl Sink<Message> for RecordingSink {
        type Error = std::convert::Infallible;

        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
            self.sent.push(item);
            Ok(())
        }

        fn poll_flush(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Result<(), Self::Error>> {
            self.flushes += 1;
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_batch_is_written_in_order_with_one_flush_up_to_a_close() {
        let mut sink = RecordingSink::default();
        let batch = vec![Message::text("a"), Message::text("b")];
        assert_eq!(send_batch(&mut sink, batch).await, Ok(Batch::Sent));
        assert_eq!(sink.sent, vec![Message::text("a"), Message::text("b")]);
        assert_eq!(sink.flushes, 1);

        let frame = CloseFrame {
            code: 4000,
            reason: "bye".into(),
        };
        let batch = vec![
            Message::text("c"),
            Message::Close(Some(frame.clone())),
            Message::text("after the close"),
        ];
        assert_eq!(
            send_batch(&mut sink, batch).await,
            Ok(Batch::Close(Some(frame)))
        );
        assert_eq!(sink.sent.last(), Some(&Message::text("c")));
        assert_eq!(sink.sent.len(), 3);
        assert_eq!(sink.flushes, 2);
    }

    /// Echoes every text message back with a prefix; returns when its input ends.
    struct EchoSession;

    impl SessionHandler for EchoSession {
        async fn run<Tx, Rx>(&self, _request: SessionRequest, mut outgoing: Tx, mut incoming: Rx)
        where
            Tx: Sink<Message> + Send + Unpin + 'static,
            Rx: Stream<Item = Message> + Send + Unpin + 'static,
        {
            while let Some(message) = incoming.next().await {
                if let Message::Text(text) = message {
                    let echo = Message::text(format!("echo {}", text.as_str()));
                    if outgoing.send(echo).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// Never returns, even when its input ends.
    struct StuckSession;

    impl SessionHandler for StuckSession {
        async fn run<Tx, Rx>(&self, _request: SessionRequest, outgoing: Tx, incoming: Rx)
        where
            Tx: Sink<Message> + Send + Unpin + 'static,
            Rx: Stream<Item = Message> + Send + Unpin + 'static,
        {
            let _keep = (outgoing, incoming);
            std::future::pending::<()>().await;
        }
    }

    fn never_shutting_down() -> watch::Receiver<bool> {
        let (sender, receiver) = watch::channel(false);
        // Keep the sender alive for the whole test run.
        std::mem::forget(sender);
        receiver
    }

    #[tokio::test(start_paused = true)]
    async fn default_session_pings_every_20_s_and_ends_at_60_minutes() {
        let (socket, mut client) = fake_socket();
        let driver = tokio::spawn(drive(
            socket,
            request(),
            Arc::new(crate::session::IdleSession),
            default_timers(),
            never_shutting_down(),
        ));
        let started = Instant::now();
        let mut pings = 0;
        let close = loop {
            match client.receive.next().await {
                Some(Message::Ping(payload)) => {
                    pings += 1;
                    assert_eq!(payload.len(), 4);
                }
                Some(Message::Close(frame)) => break frame,
                other => panic!("unexpected {other:?}"),
            }
        };
        assert!(started.elapsed() >= Duration::from_secs(3600));
        assert!((179..=180).contains(&pings), "{pings} pings in 60 minutes");
        let close = close.unwrap();
        assert_eq!(close.code, CLOSE_GOING_AWAY);
        assert_eq!(
            close.reason.as_str(),
            "Your session hit the maximum duration of 60 minutes."
        );
        // The client never answers the close: the driver gives up after the close timeout.
        let ending = driver.await.unwrap();
        assert_eq!(
            ending,
            Ending::ClosedByServer(CLOSE_GOING_AWAY, close.reason.to_string())
        );
        drop(client.send);
    }

    #[tokio::test]
    async fn messages_flow_both_ways_with_backpressure() {
        let (socket, mut client) = fake_socket();
        let driver = tokio::spawn(drive(
            socket,
            request(),
            Arc::new(EchoSession),
            default_timers(),
            never_shutting_down(),
        ));
        // Far more than the channels hold, sent while nothing reads the echoes yet.
        let mut send = client.send.clone();
        let sender = tokio::spawn(async move {
            for index in 0..200 {
                send.send(Ok(Message::text(format!("m{index}"))))
                    .await
                    .unwrap();
            }
            send.send(Ok(Message::binary(vec![1, 2]))).await.unwrap();
            send.send(Ok(Message::Ping(Bytes::from_static(b"p"))))
                .await
                .unwrap();
        });
        for index in 0..200 {
            match client.receive.next().await {
                Some(Message::Text(text)) => assert_eq!(text.as_str(), format!("echo m{index}")),
                other => panic!("unexpected {other:?}"),
            }
        }
        sender.await.unwrap();
        // Everything was answered: now the client leaves.
        let frame = CloseFrame {
            code: CLOSE_NORMAL,
            reason: "".into(),
        };
        client
            .send
            .send(Ok(Message::Close(Some(frame))))
            .await
            .unwrap();
        drop(client.send);
        assert_eq!(
            driver.await.unwrap(),
            Ending::ClosedByClient(Some(CLOSE_NORMAL))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stuck_session_is_dropped_after_the_close_timeout() {
        let (socket, client) = fake_socket();
        let driver = tokio::spawn(drive(
            socket,
            request(),
            Arc::new(StuckSession),
            default_timers(),
            never_shutting_down(),
        ));
        drop(client);
        assert_eq!(driver.await.unwrap(), Ending::Lost);
    }

    #[tokio::test]
    async fn shutdown_closes_with_1001() {
        let (socket, mut client) = fake_socket();
        let (stop, stopping) = watch::channel(false);
        let driver = tokio::spawn(drive(
            socket,
            request(),
            Arc::new(EchoSession),
            default_timers(),
            stopping,
        ));
        stop.send_replace(true);
        match client.receive.next().await {
            Some(Message::Close(Some(frame))) => {
                assert_eq!(frame.code, CLOSE_GOING_AWAY);
                assert_eq!(frame.reason.as_str(), SHUTDOWN_REASON);
            }
            other => panic!("unexpected {other:?}"),
        }
        drop(client.send);
        assert_eq!(
            driver.await.unwrap(),
            Ending::ClosedByServer(CLOSE_GOING_AWAY, SHUTDOWN_REASON.to_owned())
        );
    }

    /// Asks for a drop (close code 1006) as soon as it starts.
    struct DroppingSession;

    impl SessionHandler for DroppingSession {
        async fn run<Tx, Rx>(&self, _request: SessionRequest, mut outgoing: Tx, incoming: Rx)
        where
            Tx: Sink<Message> + Send + Unpin + 'static,
            Rx: Stream<Item = Message> + Send + Unpin + 'static,
        {
            let _keep = incoming;
            let _ = outgoing.send(Message::text("last words")).await;
            let frame = CloseFrame {
                code: CLOSE_ABNORMAL,
                reason: "".into(),
            };
            let _ = outgoing.send(Message::Close(Some(frame))).await;
        }
    }

    #[tokio::test]
    async fn a_session_asking_for_1006_gets_a_drop_with_no_close_frame() {
        let (socket, mut client) = fake_socket();
        let driver = tokio::spawn(drive(
            socket,
            request(),
            Arc::new(DroppingSession),
            default_timers(),
            never_shutting_down(),
        ));
        match client.receive.next().await {
            Some(Message::Text(text)) => assert_eq!(text.as_str(), "last words"),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(driver.await.unwrap(), Ending::Lost);
        // The socket is gone and no close frame was sent.
        assert!(client.receive.next().await.is_none());
    }

    #[test]
    fn max_duration_reason_matches_openai() {
        assert_eq!(
            max_duration_reason(Duration::from_secs(3600)),
            "Your session hit the maximum duration of 60 minutes."
        );
        assert_eq!(
            max_duration_reason(Duration::from_secs(60)),
            "Your session hit the maximum duration of 1 minute."
        );
        assert_eq!(
            max_duration_reason(Duration::from_secs(1)),
            "Your session hit the maximum duration of 1 second."
        );
        assert_eq!(
            max_duration_reason(Duration::from_secs(90)),
            "Your session hit the maximum duration of 90 seconds."
        );
        assert_eq!(
            max_duration_reason(Duration::from_millis(10)),
            "Your session hit the maximum duration of 1 second."
        );
    }

    #[test]
    fn only_wire_close_codes_are_sent() {
        for code in [1000, 1001, 1009, 1011, 3000, 4000, 4999] {
            assert!(sendable(code), "{code}");
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 2000, 5000] {
            assert!(!sendable(code), "{code}");
        }
    }

    #[test]
    fn close_reasons_fit_a_frame() {
        assert_eq!(truncate_reason("short"), "short");
        let long = "é".repeat(100);
        let cut = truncate_reason(&long);
        assert!(cut.len() <= MAX_CLOSE_REASON_BYTES);
        assert!(long.starts_with(&cut));
    }
}
