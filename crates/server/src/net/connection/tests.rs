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

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.to_client.poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
        self.to_client.start_send(item)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.to_client).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
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

    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
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

/// Drives `socket` with `handler` and the default timers, never shutting down.
fn start_driver<H: SessionHandler>(
    socket: FakeSocket,
    handler: H,
) -> tokio::task::JoinHandle<Ending> {
    tokio::spawn(drive(
        socket,
        request(),
        Arc::new(handler),
        default_timers(),
        never_shutting_down(),
    ))
}

fn never_shutting_down() -> watch::Receiver<bool> {
    let (sender, receiver) = watch::channel(false);
    // Keep the sender alive for the whole test run.
    std::mem::forget(sender);
    receiver
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_stops_answering_pings_is_closed_with_1011() {
    let (socket, mut client) = fake_socket();
    let driver = start_driver(socket, crate::net::handler::IdleSession);
    let started = Instant::now();
    // The first ping is answered, the next two are not.
    let first = client.receive.next().await;
    let Some(Message::Ping(payload)) = first else {
        panic!("expected a ping, got {first:?}");
    };
    client.send.send(Ok(Message::Pong(payload))).await.unwrap();
    let answered_at = Instant::now();
    for _ in 0..2 {
        let next = client.receive.next().await;
        assert!(matches!(next, Some(Message::Ping(_))), "{next:?}");
    }
    let close = client.receive.next().await;
    let Some(Message::Close(Some(frame))) = close else {
        panic!("expected a close, got {close:?}");
    };
    assert_eq!(frame.code, CLOSE_INTERNAL_ERROR);
    assert_eq!(frame.reason.as_str(), KEEPALIVE_REASON);
    // Two ping intervals after the first unanswered ping, three after the last pong.
    assert_eq!(answered_at.duration_since(started), Duration::from_secs(20));
    assert_eq!(answered_at.elapsed(), Duration::from_secs(60));
    assert_eq!(
        driver.await.unwrap(),
        Ending::ClosedByServer(CLOSE_INTERNAL_ERROR, KEEPALIVE_REASON.to_owned())
    );
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_accepts_no_data_is_dropped_after_two_ping_intervals() {
    let (socket, client) = fake_socket();
    let driver = start_driver(socket, FloodSession);
    let started = Instant::now();
    // The client never reads: the driver's writes stall once the socket is full.
    assert_eq!(driver.await.unwrap(), Ending::Lost);
    assert_eq!(started.elapsed(), Duration::from_secs(40));
    drop(client);
}

/// Sends text messages for ever, as fast as it may.
struct FloodSession;

impl SessionHandler for FloodSession {
    async fn run<Tx, Rx>(&self, _request: SessionRequest, mut outgoing: Tx, incoming: Rx)
    where
        Tx: Sink<Message> + Send + Unpin + 'static,
        Rx: Stream<Item = Message> + Send + Unpin + 'static,
    {
        let _keep = incoming;
        while outgoing.send(Message::text("x")).await.is_ok() {}
    }
}

#[tokio::test(start_paused = true)]
async fn default_session_pings_every_20_s_and_ends_at_60_minutes() {
    let (socket, mut client) = fake_socket();
    let driver = start_driver(socket, crate::net::handler::IdleSession);
    let started = Instant::now();
    let mut pings = 0;
    let close = loop {
        match client.receive.next().await {
            Some(Message::Ping(payload)) => {
                pings += 1;
                assert_eq!(payload.len(), 4);
                client.send.send(Ok(Message::Pong(payload))).await.unwrap();
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
    let driver = start_driver(socket, EchoSession);
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
    let driver = start_driver(socket, StuckSession);
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
    let driver = start_driver(socket, DroppingSession);
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
