//! Replays `testdata/recorded/live-openai-client-delegation.jsonl` to a [`LiveSession`]: a test
//! server waits for `session.start`, sends every recorded frame verbatim, then checks the
//! client's answer to the delegation and its `session.close`, answers `session.closed` and
//! closes the socket without a close code (as the service was observed to do).

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtclient::live::{LiveEvent, LiveSession};
use rtclient::protocol::live::{self, ClientEvent, ContextKind, SessionConfig};
use rtclient::{ClientConfig, LiveEndpoint, Target};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const DELEGATION_ID: &str = "item_EWIVgjaxCfSlntqN73664";

fn recorded_frames() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/recorded/live-openai-client-delegation.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["event"].clone())
        .collect()
}

async fn next_client_event(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
) -> ClientEvent {
    loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => return ClientEvent::from_json(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// The recording's server side, then the close.
async fn replay_server(listener: TcpListener) {
    let (stream, _) = listener.accept().await.unwrap();
    let mut socket = tokio_tungstenite::accept_async(stream).await.unwrap();
    let ClientEvent::SessionStart(start) = next_client_event(&mut socket).await else {
        panic!("the first message must be session.start");
    };
    assert_eq!(start.session.model.as_deref(), Some("gpt-live-1"));
    let frames = recorded_frames();
    for frame in &frames {
        socket
            .send(Message::text(serde_json::to_string(frame).unwrap()))
            .await
            .unwrap();
    }
    let answer = next_client_event(&mut socket).await;
    let (kind, content, id) = answer.as_context_append().unwrap();
    assert_eq!(kind, ContextKind::Commentary);
    assert_eq!(content, "Staging is healthy.");
    assert_eq!(
        id.and_then(|id| id.value()).map(String::as_str),
        Some(DELEGATION_ID)
    );
    let close = next_client_event(&mut socket).await;
    assert_eq!(close.kind(), "session.close");
    let closed = json!({
        "type": "session.closed", "event_id": "event_closed", "client_event_id": close.event_id(),
        "reason": "close_requested", "session": frames[0]["session"], "usage": {"seconds": 31}
    });
    socket
        .send(Message::text(closed.to_string()))
        .await
        .unwrap();
    socket.close(None).await.unwrap();
}

#[tokio::test]
async fn the_recorded_session_replays_through_live_session() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(replay_server(listener));
    let target = Target::openai_live_at(&base, LiveEndpoint::Sessions).unwrap();
    let config = ClientConfig::builder(target)
        .keepalive_interval(None)
        .build();
    let session = SessionConfig::new("gpt-live-1").delegation(live::Delegation::client());
    let run = async {
        let mut live = LiveSession::start(&config, session).await.unwrap();
        assert_eq!(
            live.session().unwrap().id,
            "live_u7_EWIVap3oNAAt9nps5I21D6HuuKiHPzMQ"
        );
        let (mut audio_ms, mut inputs, mut acks, mut usage) = (0.0, 0, 0, 0);
        let mut task = None;
        while usage < 2 {
            match live.next_event().await.unwrap().unwrap() {
                LiveEvent::OutputAudio(audio) => {
                    // Consecutive pieces of one track: each starts where the previous ended.
                    assert_eq!(audio.start_ms, audio_ms);
                    assert_eq!(
                        audio.end_ms - audio.start_ms,
                        audio.data.len() as f64 / 48.0
                    );
                    audio_ms = audio.end_ms;
                }
                LiveEvent::InputTranscript(t) => {
                    assert_eq!(t.end_ms - t.start_ms, 200);
                    inputs += 1;
                }
                LiveEvent::Delegation(t) => task = Some(t),
                LiveEvent::Appended { .. } => acks += 1,
                LiveEvent::Usage(_) => usage += 1,
                LiveEvent::OutputTranscript(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((inputs, acks), (11, 3));
        assert_eq!(audio_ms, live.output_ms());
        assert!(audio_ms > 0.0);
        let task = task.expect("the recording delegates once");
        assert_eq!((task.id.as_str(), task.offset_ms), (DELEGATION_ID, 4600));
        assert_eq!(
            task.request,
            "Please check the deployment status of the staging environment and tell me the result."
        );
        assert_eq!(
            live.output_transcript(),
            "Okay, checking now.Staging is healthy:"
        );
        task.speak("Staging is healthy.").await.unwrap();
        let end = live.close().await.unwrap();
        assert_eq!(end.reason, live::CloseReason::CloseRequested);
        assert_eq!(end.usage.seconds, 31.into());
    };
    tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("the replay did not finish within 20 s");
    server.await.unwrap();
}
