//! Limits: connections counted from accept (HTTP 503 with a JSON body), the request-head timeout,
//! message and frame size (close 1009), and the session timer (close 1001 with OpenAI's reason).

use std::time::Duration;

use futures_util::SinkExt;
use rtclient_server::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::testutil::{PATIENCE, close_normally, dial, expect_close, http_error, next_json, start};

#[tokio::test]
async fn connections_over_the_limit_get_503() {
    let server = start(ServerConfig::builder().max_connections(1)).await;
    let url = server.url("/v1/realtime?model=m");
    let (mut first, _) = dial(&url, &[], &[]).await.unwrap();
    next_json(&mut first).await;
    assert_eq!(server.state.open_connections(), 1);

    let (status, body) = http_error(dial(&url, &[], &[]).await.unwrap_err());
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "too_many_connections");
    assert_eq!(body["error"]["type"], "server_error");

    // Once the first connection is closed, its slot is free again.
    close_normally(&mut first).await;
    drop(first);
    tokio::time::timeout(PATIENCE, async {
        while server.state.open_connections() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("slot freed");
    let (mut again, _) = dial(&url, &[], &[]).await.unwrap();
    next_json(&mut again).await;
    drop(again);
    server.stop().await;
}

#[tokio::test]
async fn oversized_messages_close_with_1009() {
    let server = start(
        ServerConfig::builder()
            .max_message_size(1024)
            .max_frame_size(1024),
    )
    .await;
    let (mut client, _) = dial(&server.url("/v1/realtime?model=m"), &[], &[])
        .await
        .unwrap();
    next_json(&mut client).await;
    // A message within the limit is fine.
    client.send(Message::text("x".repeat(1000))).await.unwrap();
    client.send(Message::text("y".repeat(4096))).await.unwrap();
    let (code, _) = expect_close(&mut client).await;
    assert_eq!(code, 1009);
    server.stop().await;
}

#[tokio::test]
async fn sessions_end_at_the_maximum_duration_with_1001() {
    let server = start(ServerConfig::builder().max_session_duration(Duration::from_secs(1))).await;
    let (mut client, _) = dial(&server.url("/v1/realtime?model=m"), &[], &[])
        .await
        .unwrap();
    next_json(&mut client).await;
    let (code, reason) = expect_close(&mut client).await;
    assert_eq!(code, 1001);
    assert_eq!(reason, "Your session hit the maximum duration of 1 second.");
    server.stop().await;
}

/// Waits (bounded) until the server counts `n` open connections.
async fn until_open(server: &crate::testutil::TestServer, n: usize) {
    tokio::time::timeout(PATIENCE, async {
        while server.state.open_connections() != n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{n} open connections"));
}

#[tokio::test]
async fn a_request_head_sent_a_byte_at_a_time_is_dropped_at_the_header_timeout() {
    let server = start(ServerConfig::builder().header_timeout(Duration::from_secs(1))).await;
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "GET /v1/realtime?model=m HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        server.addr
    );
    // A byte every 100 ms would take the whole head far longer than the timeout: the server
    // must drop the connection before the head is complete.
    let dropped = tokio::time::timeout(PATIENCE, async {
        for byte in head.as_bytes() {
            if tcp.write_all(&[*byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut probe = [0u8; 64];
            if let Ok(Ok(0) | Err(_)) =
                tokio::time::timeout(Duration::from_millis(1), tcp.read(&mut probe)).await
            {
                return true;
            }
        }
        false
    })
    .await
    .expect("the server to act in time");
    assert!(dropped, "the slow head was served");
    until_open(&server, 0).await;
    server.stop().await;
}

#[tokio::test]
async fn half_open_connections_count_and_are_closed_at_the_header_timeout() {
    let server = start(
        ServerConfig::builder()
            .max_connections(3)
            .header_timeout(Duration::from_secs(1)),
    )
    .await;
    let url = server.url("/v1/realtime?model=m");
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }
    until_open(&server, 3).await;
    // Every slot is held by a connection that sent nothing: a real client gets 503.
    let (status, body) = http_error(dial(&url, &[], &[]).await.unwrap_err());
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "too_many_connections");
    // The silent ones are closed by the server at the header timeout.
    for tcp in &mut idle {
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(PATIENCE, tcp.read(&mut buf))
            .await
            .expect("closed in time");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    until_open(&server, 0).await;
    let (mut client, _) = dial(&url, &[], &[]).await.unwrap();
    next_json(&mut client).await;
    drop(client);
    server.stop().await;
}
