//! How connections end: server closes, drops, oversize messages, our own close.

use futures_util::{SinkExt, StreamExt};
use rtclient::{ClientConfig, Connection, Error, Target};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::{
    Message,
    protocol::{CloseFrame, frame::coding::CloseCode},
};

use crate::server::{accept, listen, within};

async fn connect_pair(
    config: impl FnOnce(&str) -> ClientConfig,
) -> (TcpListener, Connection, crate::server::Server) {
    let (listener, base) = listen().await;
    let config = config(&base);
    let ((socket, _seen), connection) =
        within(async { tokio::join!(accept(&listener), Connection::connect(&config)) }).await;
    (listener, connection.unwrap(), socket)
}

fn plain(base: &str) -> ClientConfig {
    ClientConfig::builder(Target::custom(base).unwrap())
        .keepalive_interval(None)
        .build()
}

/// The server sends `error_event` (if any) then closes with `code` and `reason`, and finishes the
/// close handshake.
async fn server_closes(
    mut socket: crate::server::Server,
    error_event: Option<&str>,
    code: u16,
    reason: &str,
) {
    if let Some(event) = error_event {
        socket.send(Message::text(event)).await.unwrap();
    }
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_owned().into(),
    };
    socket.close(Some(frame)).await.unwrap();
    while let Some(Ok(_)) = socket.next().await {}
}

#[tokio::test]
async fn server_closes_are_errors_with_code_and_reason() {
    let cases: &[(Option<&str>, u16, &str)] = &[
        (
            Some(
                r#"{"type":"error","event_id":"event_1","error":{"type":"invalid_request_error","code":"invalid_api_key","message":"Incorrect API key provided","param":null,"event_id":null}}"#,
            ),
            3000,
            "invalid_request_error.invalid_api_key",
        ),
        (
            Some(
                r#"{"type":"error","event_id":"event_2","error":{"type":"invalid_request_error","code":"beta_api_shape_disabled","message":"beta shape","param":null,"event_id":null}}"#,
            ),
            4000,
            "invalid_request_error.beta_api_shape_disabled",
        ),
        (None, 1001, "session reached maximum duration"),
        (None, 1000, ""),
    ];
    for (event, code, reason) in cases {
        let (_listener, mut connection, socket) = connect_pair(plain).await;
        let server = tokio::spawn(server_closes(socket, *event, *code, reason));
        within(async {
            if let Some(event) = event {
                assert_eq!(
                    connection.recv_text().await.unwrap().as_deref(),
                    Some(*event)
                );
            }
            match connection.recv_text().await {
                Err(error @ Error::Closed { .. }) => {
                    assert_eq!(error.close_code(), Some(*code));
                    let Error::Closed { reason: got, .. } = &error else {
                        unreachable!()
                    };
                    assert_eq!(got, reason);
                    assert!(error.to_string().contains(&code.to_string()));
                    if *code != 1000 {
                        assert!(error.hint().is_some(), "{error}");
                    }
                }
                other => panic!("expected Closed {code}, got {other:?}"),
            }
            // After the error the stream is finished.
            assert!(matches!(connection.recv_text().await, Ok(None)));
            assert!(matches!(
                connection.send_text("{}").await,
                Err(Error::Disconnected)
            ));
        })
        .await;
        within(server).await.unwrap();
    }
}

#[tokio::test]
async fn drop_without_close_frame_is_connection_lost() {
    let (_listener, mut connection, mut socket) = connect_pair(plain).await;
    socket
        .send(Message::text(r#"{"type":"session.created"}"#))
        .await
        .unwrap();
    drop(socket);
    within(async {
        assert_eq!(
            connection.recv_text().await.unwrap().as_deref(),
            Some(r#"{"type":"session.created"}"#)
        );
        match connection.recv_text().await {
            Err(Error::ConnectionLost { .. }) => {}
            other => panic!("expected ConnectionLost, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn oversize_message_names_the_limit() {
    let (_listener, mut connection, mut socket) = connect_pair(|base| {
        ClientConfig::builder(Target::custom(base).unwrap())
            .keepalive_interval(None)
            .max_message_size(1024)
            .max_frame_size(1024)
            .build()
    })
    .await;
    let server = tokio::spawn(async move {
        let _ = socket.send(Message::text("x".repeat(4096))).await;
        // The client closes with 1009 (message too big), or just goes away.
        let mut close_code = None;
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Close(Some(frame)) = message {
                close_code = Some(u16::from(frame.code));
            }
        }
        close_code
    });
    let error = within(connection.recv_text())
        .await
        .expect_err("message is over the limit");
    match &error {
        Error::MessageTooLarge { size, limit } => {
            assert_eq!(*limit, 1024);
            assert!(*size > 1024);
        }
        other => panic!("expected MessageTooLarge, got {other:?}"),
    }
    assert!(error.to_string().contains("1024"), "{error}");
    assert_eq!(within(server).await.unwrap(), Some(1009));
}

#[tokio::test]
async fn our_close_ends_cleanly_with_code_and_reason() {
    let (_listener, connection, mut socket) = connect_pair(plain).await;
    let server = tokio::spawn(async move {
        let mut texts = Vec::new();
        let mut close = None;
        while let Some(Ok(message)) = socket.next().await {
            match message {
                Message::Text(text) => texts.push(text.as_str().to_owned()),
                Message::Close(frame) => {
                    close = frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned()))
                }
                _ => {}
            }
        }
        (texts, close)
    });
    within(async {
        connection
            .send_text(r#"{"type":"input_audio_buffer.commit"}"#)
            .await
            .unwrap();
        connection.close(1000, "bye").await.unwrap();
    })
    .await;
    let (texts, close) = within(server).await.unwrap();
    assert_eq!(texts, [r#"{"type":"input_audio_buffer.commit"}"#]);
    assert_eq!(close, Some((1000, "bye".to_owned())));
}

#[tokio::test]
async fn split_halves_work_from_different_tasks() {
    let (_listener, connection, mut socket) = connect_pair(plain).await;
    // An echo server that stops at the client's close.
    let server = tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Text(text) = message {
                socket.send(Message::Text(text)).await.unwrap();
            }
        }
    });
    let (sender, mut receiver) = connection.split();
    let send = tokio::spawn(async move {
        for i in 0..50 {
            sender.send_text(format!(r#"{{"n":{i}}}"#)).await.unwrap();
        }
        sender
    });
    let receive = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < 50 {
            got.push(receiver.recv_text().await.unwrap().unwrap());
        }
        (receiver, got)
    });
    let sender = within(send).await.unwrap();
    let (mut receiver, got) = within(receive).await.unwrap();
    let expected: Vec<String> = (0..50).map(|i| format!(r#"{{"n":{i}}}"#)).collect();
    assert_eq!(got, expected);

    within(sender.close(1000, "done")).await.unwrap();
    assert!(matches!(within(receiver.recv_text()).await, Ok(None)));
    assert!(matches!(
        within(sender.send_text("{}")).await,
        Err(Error::Disconnected)
    ));
    within(server).await.unwrap();
}

#[tokio::test]
async fn binary_frame_is_reported_and_not_fatal() {
    let (_listener, mut connection, mut socket) = connect_pair(plain).await;
    socket.send(Message::binary(vec![0u8; 5])).await.unwrap();
    socket.send(Message::text(r#"{"type":"x"}"#)).await.unwrap();
    within(async {
        assert!(matches!(
            connection.recv_text().await,
            Err(Error::BinaryFrame { len: 5 })
        ));
        assert_eq!(
            connection.recv_text().await.unwrap().as_deref(),
            Some(r#"{"type":"x"}"#)
        );
    })
    .await;
}

#[tokio::test]
async fn close_without_status_is_reported_as_1005() {
    let (_listener, mut connection, mut socket) = connect_pair(plain).await;
    let server = tokio::spawn(async move {
        socket.close(None).await.unwrap();
        while let Some(Ok(_)) = socket.next().await {}
    });
    match within(connection.recv_text()).await {
        Err(Error::Closed { code: 1005, reason }) => assert!(reason.is_empty()),
        other => panic!("expected Closed 1005, got {other:?}"),
    }
    within(server).await.unwrap();
}
