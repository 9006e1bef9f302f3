//! Replays the recorded sessions of `testdata/recorded/*.yaml` over loopback.
//!
//! For each cassette a test server walks the interactions in order: it sends each `received`
//! frame verbatim, and for each `sent` frame it waits for the client's frame, checks it parses as
//! a client event of the recorded `type` and equals the recorded frame (apart from the `event_id`
//! the client assigns). The client, in the cassette's dialect (`ga-` or `beta-` prefix), walks the
//! same list: it sends the recorded client frames as typed `ClientEvent`s and must receive every
//! server frame as the right typed event (never `Unknown`, `kind()` the recorded `type` with beta
//! names translated to GA), in order.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use rtclient::{ClientEvent, Dialect, ServerEvent};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::server::{Server, within};
use crate::typed::{next_json, typed_pair};

/// One interaction of a cassette.
struct Frame {
    sent: bool,
    kind: String,
    text: String,
    value: Value,
}

fn cassettes() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/recorded");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "expected the recordings in {dir:?}");
    files
}

fn load(path: &Path) -> (Dialect, Vec<Frame>) {
    let name = path.file_name().unwrap().to_string_lossy();
    let dialect = if name.starts_with("ga-") {
        Dialect::Ga
    } else {
        assert!(name.starts_with("beta-"), "{name}: no dialect prefix");
        Dialect::Beta
    };
    let doc: Value = serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let frames = doc["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|it| it.get("kind").is_none_or(|kind| kind == "message"))
        .map(|it| {
            let value = it["data"].clone();
            Frame {
                sent: it["direction"] == "sent",
                kind: value["type"].as_str().unwrap().to_owned(),
                text: serde_json::to_string(&value).unwrap(),
                value,
            }
        })
        .collect();
    (dialect, frames)
}

/// The GA name of a server event `type` of `dialect`.
fn ga_server_kind(dialect: Dialect, kind: &str) -> &str {
    if dialect == Dialect::Ga {
        return kind;
    }
    match kind {
        "response.audio.delta" => "response.output_audio.delta",
        "response.audio.done" => "response.output_audio.done",
        "response.audio_transcript.delta" => "response.output_audio_transcript.delta",
        "response.audio_transcript.done" => "response.output_audio_transcript.done",
        "response.text.delta" => "response.output_text.delta",
        "response.text.done" => "response.output_text.done",
        "conversation.item.created" => "conversation.item.added",
        "transcription_session.created" => "session.created",
        "transcription_session.updated" => "session.updated",
        other => other,
    }
}

/// The GA name of a client event `type` of `dialect`.
fn ga_client_kind(dialect: Dialect, kind: &str) -> &str {
    match (dialect, kind) {
        (Dialect::Beta, "transcription_session.update") => "session.update",
        (_, other) => other,
    }
}

fn without_event_id(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        object.remove("event_id");
    }
    value
}

async fn serve(
    mut socket: Server,
    name: String,
    dialect: Dialect,
    frames: Vec<(bool, String, Value)>,
) {
    for (index, (sent, text, recorded)) in frames.into_iter().enumerate() {
        let at = format!("{name} #{index}");
        if !sent {
            futures_util::SinkExt::send(&mut socket, Message::text(text))
                .await
                .unwrap();
            continue;
        }
        let wire = next_json(&mut socket).await;
        assert_eq!(wire["type"], recorded["type"], "{at}: wire type");
        let typed = dialect
            .parse_client_event(&wire.to_string())
            .unwrap_or_else(|error| panic!("{at}: {error:?}"));
        assert!(!typed.is_unknown(), "{at}");
        assert_eq!(
            typed.kind(),
            ga_client_kind(dialect, recorded["type"].as_str().unwrap()),
            "{at}"
        );
        match recorded.get("event_id") {
            Some(_) => assert_eq!(wire, recorded, "{at}"),
            None => {
                assert!(
                    wire["event_id"]
                        .as_str()
                        .is_some_and(|id| id.starts_with("evt_")),
                    "{at}: assigned event_id"
                );
                assert_eq!(without_event_id(&wire), recorded, "{at}");
            }
        }
    }
    // The client closes when it is done; finish the close handshake.
    while let Some(message) = socket.next().await {
        match message {
            Ok(Message::Close(_)) | Err(_) => {}
            Ok(other) => panic!("{name}: unexpected frame after the script: {other:?}"),
        }
    }
}

async fn replay(path: &Path) -> usize {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let (dialect, frames) = load(path);
    let (_listener, mut client, socket, _seen) = typed_pair(dialect).await;
    let script = frames
        .iter()
        .map(|frame| (frame.sent, frame.text.clone(), frame.value.clone()))
        .collect();
    let server = tokio::spawn(serve(socket, name.clone(), dialect, script));

    let mut received = 0;
    for (index, frame) in frames.iter().enumerate() {
        let at = format!("{name} #{index} ({})", frame.kind);
        if frame.sent {
            let event: ClientEvent = dialect
                .parse_client_event(&frame.text)
                .unwrap_or_else(|error| panic!("{at}: {error:?}"));
            let id = client.send(event).await.unwrap();
            if let Some(recorded) = frame.value["event_id"].as_str() {
                assert_eq!(id, recorded, "{at}");
            }
            continue;
        }
        let event: ServerEvent = match client.recv().await {
            Ok(Some(event)) => event,
            other => panic!("{at}: expected an event, got {other:?}"),
        };
        assert!(!event.is_unknown(), "{at}: Unknown");
        assert_eq!(event.kind(), ga_server_kind(dialect, &frame.kind), "{at}");
        assert_eq!(event.event_id(), frame.value["event_id"].as_str(), "{at}");
        assert_eq!(
            event,
            dialect.parse_server_event(&frame.text).unwrap(),
            "{at}: the same event as parsing the recorded frame"
        );
        received += 1;
    }
    client.close(1000, "replay done").await.unwrap();
    server.await.unwrap();
    received
}

#[tokio::test]
async fn every_recorded_session_replays_as_typed_events_in_order() {
    let mut total = 0;
    for path in cassettes() {
        let received = within(replay(&path)).await;
        assert!(received > 0, "{path:?}: no server frames");
        total += received;
    }
    assert!(total > 500, "only {total} server frames replayed");
}
