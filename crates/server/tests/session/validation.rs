//! Values outside the spec's enums and ranges get the service's error with the right `param`
//! (in the session's dialect) and change nothing; `turn_detection: {"type": "none"}` turns
//! detection off where the dialect accepts it.

use base64::Engine as _;
use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;
use serde_json::{Value, json};

use crate::client::{Client, connect, connect_beta, connect_with, kinds};
use crate::vad::{speech_24k, stream};

/// Sends `event` and returns the `error` that must answer it, its `event_id` checked.
async fn refused(client: &mut Client, mut event: Value) -> Value {
    event["event_id"] = "bad".into();
    client.send(event).await;
    let error = client.expect("error").await["error"].clone();
    assert_eq!(error["event_id"], "bad");
    error
}

/// `(session.update body, GA param, beta param, code)` for each value the spec does not allow.
fn bad_session_values() -> Vec<(Value, Value, &'static str, &'static str, &'static str)> {
    vec![
        (
            json!({"audio": {"output": {"speed": 100}}}),
            json!({"speed": 100}),
            "session.audio.output.speed",
            "session.speed",
            "decimal_above_max_value",
        ),
        (
            json!({"audio": {"output": {"speed": -1}}}),
            json!({"speed": -1}),
            "session.audio.output.speed",
            "session.speed",
            "decimal_below_min_value",
        ),
        (
            json!({"audio": {"output": {"speed": 1e308}}}),
            json!({"speed": 1e308}),
            "session.audio.output.speed",
            "session.speed",
            "decimal_above_max_value",
        ),
        (
            json!({"audio": {"output": {"voice": "nosuchvoice"}}}),
            json!({"voice": "nosuchvoice"}),
            "session.audio.output.voice",
            "session.voice",
            "invalid_value",
        ),
        (
            json!({"output_modalities": ["video"]}),
            json!({"modalities": ["video"]}),
            "session.output_modalities",
            "session.modalities",
            "invalid_value",
        ),
        (
            json!({"audio": {"input": {"turn_detection": {"type": "foo"}}}}),
            json!({"turn_detection": {"type": "foo"}}),
            "session.audio.input.turn_detection.type",
            "session.turn_detection.type",
            "invalid_value",
        ),
    ]
}

#[tokio::test]
async fn session_values_outside_the_spec_are_refused_in_both_dialects() {
    for beta in [false, true] {
        let mut client = if beta {
            connect_beta().await
        } else {
            connect().await
        };
        let created = client.expect("session.created").await;
        for (ga_body, beta_body, ga_param, beta_param, code) in bad_session_values() {
            let (mut body, param) = if beta {
                (beta_body, beta_param)
            } else {
                (ga_body, ga_param)
            };
            if !beta {
                body["type"] = "realtime".into();
            }
            let error = refused(
                &mut client,
                json!({"type": "session.update", "session": body}),
            )
            .await;
            assert_eq!(error["code"], code, "{error}");
            assert_eq!(error["param"], param, "{error}");
        }
        // Nothing was applied.
        let empty = if beta {
            json!({})
        } else {
            json!({"type": "realtime"})
        };
        client
            .send(json!({"type": "session.update", "session": empty}))
            .await;
        let updated = client.expect("session.updated").await;
        let mut before = created["session"].clone();
        let mut after = updated["session"].clone();
        before["expires_at"] = Value::Null;
        after["expires_at"] = Value::Null;
        assert_eq!(before, after);
    }
}

#[tokio::test]
async fn bad_items_audio_and_event_types_are_refused() {
    let mut client = connect().await;
    client.expect("session.created").await;
    let error = refused(
        &mut client,
        json!({"type": "conversation.item.create", "item": {"type": "message", "role": "wizard",
            "content": [{"type": "input_text", "text": "hi"}]}}),
    )
    .await;
    assert_eq!(error["code"], "invalid_value");
    assert_eq!(error["param"], "item.role");
    let odd = base64::engine::general_purpose::STANDARD.encode([0u8, 0, 0]);
    let error = refused(
        &mut client,
        json!({"type": "input_audio_buffer.append", "audio": odd}),
    )
    .await;
    assert_eq!(error["code"], "invalid_value");
    assert_eq!(error["param"], "audio");
    let error = refused(&mut client, json!({"type": 5})).await;
    assert_eq!(error["code"], "invalid_value");
    assert_eq!(error["param"], "type");
    let error = refused(
        &mut client,
        json!({"type": "response.create", "response": {"output_modalities": ["video"]}}),
    )
    .await;
    assert_eq!(error["param"], "response.output_modalities");
    let error = refused(
        &mut client,
        json!({"type": "response.create", "response": {"audio": {"output": {"voice": "nope"}}}}),
    )
    .await;
    assert_eq!(error["param"], "response.audio.output.voice");
    // The odd append added nothing: the buffer is still empty, and a real append still works.
    client
        .send(json!({"type": "input_audio_buffer.commit"}))
        .await;
    let error = client.expect("error").await;
    assert_eq!(error["error"]["code"], "input_audio_buffer_commit_empty");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only has 0.00ms")
    );
    client.quiet().await;
}

#[tokio::test]
async fn turn_detection_none_turns_detection_off_in_beta_and_is_refused_in_ga() {
    let dir = tempfile::tempdir().unwrap();
    let audio = speech_24k(dir.path(), "Hello, my name is Marcelo.");
    let session = RealtimeSession::new().pace(Pace::Max);
    let mut client = connect_with(
        session,
        "/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-4o-realtime",
        false,
    )
    .await;
    client.expect("session.created").await;
    client
        .send(json!({"type": "session.update", "session": {"turn_detection": {"type": "none"}}}))
        .await;
    let updated = client.expect("session.updated").await;
    assert!(updated["session"]["turn_detection"].is_null(), "{updated}");
    stream(&mut client, &audio).await;
    client
        .send(json!({"type": "input_audio_buffer.commit"}))
        .await;
    let committed = client.expect("input_audio_buffer.committed").await;
    client.expect("conversation.item.created").await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    assert!(
        !kinds(&events).contains(&"input_audio_buffer.speech_started"),
        "{events:?}"
    );
    assert_eq!(events[0]["type"], "response.created");
    let done = events.last().unwrap();
    assert_eq!(done["response"]["status"], "completed");
    assert!(committed["item_id"].as_str().unwrap().starts_with("item_"));

    let mut ga = connect().await;
    ga.expect("session.created").await;
    let error = refused(
        &mut ga,
        json!({"type": "session.update", "session": {"type": "realtime",
            "audio": {"input": {"turn_detection": {"type": "none"}}}}}),
    )
    .await;
    assert_eq!(error["code"], "invalid_value");
    assert_eq!(error["param"], "session.audio.input.turn_detection.type");
}

#[tokio::test]
async fn a_conversation_holds_at_most_8_mib_of_text() {
    let mut client = connect().await;
    client.expect("session.created").await;
    let mib = "x".repeat(1024 * 1024);
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(client.add_user_text(&mib).await["item"]["id"].clone());
    }
    let mut ninth = crate::client::user_text(&mib);
    ninth["event_id"] = "big".into();
    client.send(ninth.clone()).await;
    let error = client.expect("error").await["error"].clone();
    assert_eq!(error["code"], "context_length_exceeded");
    assert_eq!(error["param"], "item");
    assert_eq!(error["event_id"], "big");
    // Deleting an item makes room again.
    client
        .send(json!({"type": "conversation.item.delete", "item_id": ids[0]}))
        .await;
    client.expect("conversation.item.deleted").await;
    client.send(ninth).await;
    client.expect("conversation.item.added").await;
}
