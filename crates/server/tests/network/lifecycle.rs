//! The transport: server pings, client pings, binary frames, the close handshake from either
//! side, the idle session, and graceful shutdown.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtclient_server::{IdleSession, ServerConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::testutil::{
    PATIENCE, dial, expect_close, next_data, next_json, next_pong, start, start_with,
};

#[tokio::test]
async fn server_sends_pings() {
    let server = start(ServerConfig::builder().ping_interval(Duration::from_millis(50))).await;
    let (mut client, _) = dial(&server.url("/v1/realtime?model=m"), &[], &[])
        .await
        .unwrap();
    let ping = tokio::time::timeout(PATIENCE, async {
        loop {
            match client.next().await {
                Some(Ok(Message::Ping(payload))) => break payload,
                Some(Ok(_)) => continue,
                other => panic!("connection ended before a ping: {other:?}"),
            }
        }
    })
    .await
    .expect("a ping arrives");
    assert_eq!(ping.len(), 4, "OpenAI-style 4-byte ping payload");
    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn client_pings_are_answered_and_binary_frames_tolerated() {
    let server = start(ServerConfig::builder()).await;
    let (mut client, _) = dial(&server.url("/v1/realtime?model=m"), &[], &[])
        .await
        .unwrap();
    next_json(&mut client).await;
    client.send(Message::binary(vec![0u8; 64])).await.unwrap();
    client
        .send(Message::Ping(b"hello".to_vec().into()))
        .await
        .unwrap();
    assert_eq!(next_pong(&mut client).await, b"hello");
    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn client_close_is_answered() {
    let server = start(ServerConfig::builder()).await;
    let (mut client, _) = dial(&server.url("/v1/realtime?model=m"), &[], &[])
        .await
        .unwrap();
    next_json(&mut client).await;
    client
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "done".into(),
        })))
        .await
        .unwrap();
    // The server echoes a close frame, then the stream ends.
    let (code, _) = expect_close(&mut client).await;
    assert_eq!(code, 1000);
    server.stop().await;
}

#[tokio::test]
async fn session_handler_can_close_or_return() {
    let server = start(ServerConfig::builder()).await;
    let url = server.url("/v1/realtime?model=m");
    let (mut client, _) = dial(&url, &[], &[]).await.unwrap();
    next_json(&mut client).await;
    client.send(Message::text("close")).await.unwrap();
    assert_eq!(expect_close(&mut client).await, (4100, "bye".to_owned()));

    let (mut client, _) = dial(&url, &[], &[]).await.unwrap();
    next_json(&mut client).await;
    client.send(Message::text("quit")).await.unwrap();
    assert_eq!(expect_close(&mut client).await.0, 1000);
    server.stop().await;
}

#[tokio::test]
async fn idle_session_sends_nothing_and_stays_open() {
    let server = start_with(
        ServerConfig::builder().ping_interval(Duration::from_millis(50)),
        IdleSession,
    )
    .await;
    let (mut client, _) = dial(&server.url("/v1/realtime?model=m"), &[], &[])
        .await
        .unwrap();
    client
        .send(Message::text("{\"type\":\"session.update\"}"))
        .await
        .unwrap();
    client.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    // Only pings arrive while the session is open; then the client leaves normally.
    let mut pings = 0;
    while pings < 2 {
        match tokio::time::timeout(PATIENCE, client.next())
            .await
            .expect("ping in time")
        {
            Some(Ok(Message::Ping(_))) => pings += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    client.close(None).await.unwrap();
    // The server answers the close, then the stream ends.
    assert!(matches!(
        next_data(&mut client).await,
        Some(Message::Close(_))
    ));
    assert!(next_data(&mut client).await.is_none());
    server.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_closes_sessions_with_1001_and_ends_serve() {
    let mut server = start(ServerConfig::builder()).await;
    let url = server.url("/v1/realtime?model=m");
    let (mut first, _) = dial(&url, &[], &[]).await.unwrap();
    let (mut second, _) = dial(&url, &[], &[]).await.unwrap();
    next_json(&mut first).await;
    next_json(&mut second).await;
    server.begin_stop();
    for client in [&mut first, &mut second] {
        let (code, reason) = expect_close(client).await;
        assert_eq!(code, 1001);
        assert_eq!(reason, "The server is shutting down.");
    }
    let addr = server.addr;
    server.finished().await;
    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
