//! Hostile, broken and overloading peers: a ping flood that never reads the pongs, a peer that
//! never answers pings, over-size frames, and clients ahead of a session whose input is stalled.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::Message as ServerMessage;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rtclient_server::{
    CLOSE_INTERNAL_ERROR, CLOSE_MESSAGE_TOO_BIG, CLOSE_TRY_AGAIN_LATER, INPUT_BACKLOG_BYTES,
    IdleSession, KEEPALIVE_REASON, ServerConfig, SessionHandler, SessionRequest,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::testutil::{PATIENCE, dial, expect_close, next_json, next_pong, start_with};

/// Opcode of a close frame.
const OP_CLOSE: u8 = 0x8;
/// Opcode of a ping frame.
const OP_PING: u8 = 0x9;

/// Opens a WebSocket by hand and returns the bare TCP stream, so the test decides exactly
/// which frames are sent and whether anything is read (no library answers pings for it).
async fn raw_upgrade(addr: SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
}

/// A masked client frame (the mask is zero, so the payload goes as is).
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len @ 126..=0xFFFF => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&[0; 4]);
    frame.extend_from_slice(payload);
    frame
}

/// Reads one (unmasked) server frame: its opcode and payload; `None` once the stream ends.
async fn read_frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).await.ok()?;
    let len = match head[1] & 0x7F {
        126 => usize::from(stream.read_u16().await.ok()?),
        127 => usize::try_from(stream.read_u64().await.ok()?).ok()?,
        len => usize::from(len),
    };
    let mut payload = vec![0; len];
    stream.read_exact(&mut payload).await.ok()?;
    Some((head[0] & 0x0F, payload))
}

/// Reads server frames until a close frame; returns its code and reason.
async fn read_close(stream: &mut TcpStream) -> (u16, String) {
    let read = async {
        loop {
            match read_frame(stream).await {
                Some((OP_CLOSE, payload)) => {
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    break (code, String::from_utf8_lossy(&payload[2..]).into_owned());
                }
                Some(_) => continue,
                None => panic!("the connection ended without a close frame"),
            }
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("close in time")
}

/// The resident memory of this process (the server runs in it), in bytes.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[tokio::test]
async fn a_ping_flood_that_never_reads_is_dropped_with_memory_bounded() {
    let server = start_with(
        ServerConfig::builder()
            .ping_interval(Duration::from_millis(200))
            .max_write_buffer_size(256 << 10),
        IdleSession,
    )
    .await;
    let mut stream = raw_upgrade(server.addr, "/v1/realtime?model=m").await;
    // 1,000 pings with the largest control payload (125 bytes) per write; never read.
    let burst: Vec<u8> = (0..1000)
        .flat_map(|_| client_frame(OP_PING, &[b'p'; 125]))
        .collect();
    let before = resident_bytes();
    let mut peak = before;
    let mut pings = 0u64;
    let flood = async {
        while stream.write_all(&burst).await.is_ok() {
            pings += 1000;
            peak = peak.max(resident_bytes());
        }
    };
    tokio::time::timeout(PATIENCE, flood)
        .await
        .expect("the server ends the flooding connection");
    let growth = peak.saturating_sub(before);
    println!("ping flood: {pings} pings sent; resident memory {before} -> peak {peak} bytes");
    // Unbounded, the pongs alone would take `pings` x 127 bytes.
    assert!(growth < 64 << 20, "memory grew by {growth} bytes");
    server.stop().await;
}

#[tokio::test]
async fn a_peer_that_never_answers_pings_is_closed_with_1011() {
    let interval = Duration::from_millis(100);
    let server = start_with(ServerConfig::builder().ping_interval(interval), IdleSession).await;
    let mut stream = raw_upgrade(server.addr, "/v1/realtime?model=m").await;
    let started = tokio::time::Instant::now();
    // Pings keep arriving and are never answered.
    let (code, reason) = read_close(&mut stream).await;
    assert_eq!(code, CLOSE_INTERNAL_ERROR);
    assert_eq!(reason, KEEPALIVE_REASON);
    // Two unanswered pings, closed when the third falls due.
    assert!(started.elapsed() >= interval * 3);
    drop(stream);
    server.stop().await;
}

#[tokio::test]
async fn a_peer_that_answers_pings_stays_open() {
    let interval = Duration::from_millis(50);
    let server = start_with(ServerConfig::builder().ping_interval(interval), IdleSession).await;
    let (mut client, _) = dial(&server.url("/v1/realtime?model=m"), &[], &[])
        .await
        .unwrap();
    // The library answers each ping as it reads it: ten pings in a row, no close.
    for _ in 0..10 {
        match tokio::time::timeout(PATIENCE, client.next()).await.unwrap() {
            Some(Ok(Message::Ping(_))) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    client.close(None).await.unwrap();
    server.stop().await;
}

/// A server taking messages and frames of at most 64 KiB.
fn small_frames() -> rtclient_server::ServerConfigBuilder {
    ServerConfig::builder()
        .max_message_size(64 << 10)
        .max_frame_size(64 << 10)
}

#[tokio::test]
async fn an_over_size_frame_gets_a_visible_1009() {
    let server = start_with(small_frames(), IdleSession).await;
    let stream = raw_upgrade(server.addr, "/v1/realtime?model=m").await;
    let (mut read, mut write) = stream.into_split();
    // An 8 MiB binary frame, written while the close is read.
    let frame = client_frame(0x2, &vec![0u8; 8 << 20]);
    let writer = tokio::spawn(async move {
        let _ = write.write_all(&frame).await;
        write
    });
    let close = tokio::time::timeout(PATIENCE, async {
        let mut head = [0u8; 4];
        read.read_exact(&mut head).await.map(|_| head)
    })
    .await
    .expect("close in time")
    .expect("a close frame, not a reset");
    assert_eq!(head_opcode(&close), OP_CLOSE);
    assert_eq!(
        u16::from_be_bytes([close[2], close[3]]),
        CLOSE_MESSAGE_TOO_BIG
    );
    drop(writer.await.unwrap());
    server.stop().await;
}

#[tokio::test]
async fn an_over_size_frame_written_whole_before_reading_gets_a_visible_1009() {
    let server = start_with(small_frames(), IdleSession).await;
    let mut stream = raw_upgrade(server.addr, "/v1/realtime?model=m").await;
    let frame = client_frame(0x2, &vec![0u8; 8 << 20]);
    // The write itself may end in a reset once the server closed; the close is still read.
    let _ = stream.write_all(&frame).await;
    let (code, _) = read_close(&mut stream).await;
    assert_eq!(code, CLOSE_MESSAGE_TOO_BIG);
    server.stop().await;
}

fn head_opcode(head: &[u8]) -> u8 {
    head[0] & 0x0F
}

/// Never reads its input (as a session stuck on an engine would), and keeps it open.
#[derive(Debug, Clone, Copy)]
struct StalledSession;

impl SessionHandler for StalledSession {
    async fn run<Tx, Rx>(&self, _request: SessionRequest, outgoing: Tx, incoming: Rx)
    where
        Tx: Sink<ServerMessage> + Send + Unpin + 'static,
        Rx: Stream<Item = ServerMessage> + Send + Unpin + 'static,
    {
        let _keep = (outgoing, incoming);
        std::future::pending::<()>().await;
    }
}

#[tokio::test]
async fn a_session_whose_input_is_stalled_still_answers_pings() {
    let server = start_with(ServerConfig::builder(), StalledSession).await;
    let (mut client, _) = dial(&server.url("/v1/realtime?model=m"), &[], &[])
        .await
        .unwrap();
    // Far more than the session's channel holds, well under the read-ahead limit.
    for index in 0..200 {
        client
            .send(Message::text(format!("{{\"n\":{index}}}")))
            .await
            .unwrap();
    }
    client
        .send(Message::Ping(b"alive".to_vec().into()))
        .await
        .unwrap();
    // The pong arrives while the session's input waits.
    assert_eq!(next_pong(&mut client).await, b"alive");
    // A close is noticed too.
    client.close(None).await.unwrap();
    assert!(tokio::time::timeout(PATIENCE, client.next()).await.is_ok());
    server.stop().await;
}

#[tokio::test]
async fn a_client_far_ahead_of_its_session_is_shed_with_an_error_and_1013() {
    let server = start_with(ServerConfig::builder(), StalledSession).await;
    let (mut client, _) = dial(&server.url("/v1/realtime?model=m"), &[], &[])
        .await
        .unwrap();
    // 64 KiB messages until the server stops taking them: past the channel and the read-ahead.
    let chunk = "a".repeat(64 << 10);
    let mut sent = 0usize;
    while sent <= 2 * INPUT_BACKLOG_BYTES && client.send(Message::text(chunk.clone())).await.is_ok()
    {
        sent += chunk.len();
    }
    let event = next_json(&mut client).await;
    assert_eq!(event["type"], "error", "{event}");
    assert_eq!(event["error"]["type"], "server_error");
    assert_eq!(event["error"]["code"], "session_overloaded");
    let (code, reason) = expect_close(&mut client).await;
    assert_eq!(code, CLOSE_TRY_AGAIN_LATER);
    assert_eq!(reason, "server_error.session_overloaded");
    server.stop().await;
}
