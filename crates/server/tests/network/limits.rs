//! Limits: connections (HTTP 503 with a JSON body), message and frame size (close 1009), and the
//! session timer (close 1001 with OpenAI's reason).

use std::time::Duration;

use futures_util::SinkExt;
use rtclient_server::ServerConfig;
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
