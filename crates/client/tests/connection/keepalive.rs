//! Pings from the server are answered; our own keepalive pings reach the server.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtclient::{ClientConfig, Connection, Error, Target};
use tokio_tungstenite::tungstenite::Message;

use crate::server::{accept, listen, within};

#[tokio::test]
async fn server_ping_is_answered_while_the_client_is_idle_then_only_sends() {
    let (listener, base) = listen().await;
    let config = ClientConfig::builder(Target::custom(&base).unwrap())
        .keepalive_interval(None)
        .build();
    let ((mut socket, _), connection) =
        within(async { tokio::join!(accept(&listener), Connection::connect(&config)) }).await;
    // The application never calls recv: it only holds a sender.
    let (sender, _receiver) = connection.unwrap().split();

    within(async {
        // Idle client.
        socket
            .send(Message::Ping(b"srv1".to_vec().into()))
            .await
            .unwrap();
        match socket.next().await.unwrap().unwrap() {
            Message::Pong(payload) => assert_eq!(&payload[..], b"srv1"),
            other => panic!("expected a pong, got {other:?}"),
        }
        // Client that only sends.
        socket
            .send(Message::Ping(b"srv2".to_vec().into()))
            .await
            .unwrap();
        sender
            .send_text(r#"{"type":"input_audio_buffer.append","audio":""}"#)
            .await
            .unwrap();
        let mut pong = false;
        let mut text = false;
        while !(pong && text) {
            match socket.next().await.unwrap().unwrap() {
                Message::Pong(payload) => {
                    assert_eq!(&payload[..], b"srv2");
                    pong = true;
                }
                Message::Text(_) => text = true,
                other => panic!("unexpected {other:?}"),
            }
        }
    })
    .await;
}

#[tokio::test]
async fn client_sends_keepalive_pings() {
    let (listener, base) = listen().await;
    let config = ClientConfig::builder(Target::custom(&base).unwrap())
        .keepalive_interval(Some(Duration::from_millis(50)))
        .build();
    let ((mut socket, _), connection) =
        within(async { tokio::join!(accept(&listener), Connection::connect(&config)) }).await;
    let _connection = connection.unwrap();
    let mut pings = Vec::new();
    within(async {
        while pings.len() < 2 {
            if let Message::Ping(payload) = socket.next().await.unwrap().unwrap() {
                pings.push(payload.to_vec());
            }
        }
    })
    .await;
    assert_ne!(pings[0], pings[1], "each ping carries its own payload");
}

#[tokio::test]
async fn silent_server_ends_in_keepalive_timeout() {
    let (listener, base) = listen().await;
    let config = ClientConfig::builder(Target::custom(&base).unwrap())
        .keepalive_interval(Some(Duration::from_millis(50)))
        .build();
    // The server never reads, so it never answers our pings.
    let ((_socket, _), connection) =
        within(async { tokio::join!(accept(&listener), Connection::connect(&config)) }).await;
    let mut connection = connection.unwrap();
    match within(connection.recv_text()).await {
        Err(Error::KeepaliveTimeout { silent_for }) => {
            assert!(silent_for >= Duration::from_millis(60))
        }
        other => panic!("expected KeepaliveTimeout, got {other:?}"),
    }
}

#[tokio::test]
async fn unanswered_close_ends_in_close_timeout() {
    let (listener, base) = listen().await;
    let config = ClientConfig::builder(Target::custom(&base).unwrap())
        .keepalive_interval(None)
        .close_timeout(Duration::from_millis(50))
        .build();
    // The server never reads, so it never answers our close.
    let ((_socket, _), connection) =
        within(async { tokio::join!(accept(&listener), Connection::connect(&config)) }).await;
    match within(connection.unwrap().close(1000, "bye")).await {
        Err(Error::CloseTimeout { .. }) => {}
        other => panic!("expected CloseTimeout, got {other:?}"),
    }
}
