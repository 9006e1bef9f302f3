//! Every bad input gets its `error` event, and the session continues.

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::client::connect;

async fn error_for(event: serde_json::Value) -> serde_json::Value {
    let mut client = connect().await;
    client.expect("session.created").await;
    client.send(event).await;
    let error = client.expect("error").await;
    // The session goes on.
    client
        .send(json!({"type": "input_audio_buffer.clear"}))
        .await;
    client.expect("input_audio_buffer.cleared").await;
    error["error"].clone()
}

#[tokio::test]
async fn binary_frame_is_invalid_event() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client.send_raw(Message::binary(vec![1, 2, 3])).await;
    let error = client.expect("error").await;
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert_eq!(error["error"]["code"], "invalid_event");
    assert_eq!(
        error["error"]["message"],
        "Expected a text WebSocket message; binary frames are not supported."
    );
    assert!(error["error"]["event_id"].is_null());
    client
        .send(json!({"type": "input_audio_buffer.clear"}))
        .await;
    client.expect("input_audio_buffer.cleared").await;
}

#[tokio::test]
async fn non_json_is_invalid_json() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client.send_raw(Message::text("{not json")).await;
    let error = client.expect("error").await;
    assert_eq!(error["error"]["code"], "invalid_json");
    assert!(error["error"]["event_id"].is_null());
}

#[tokio::test]
async fn unknown_type_is_invalid_value_on_type_with_event_id() {
    let error = error_for(json!({"type": "foo.bar", "event_id": "evt_1"})).await;
    assert_eq!(error["code"], "invalid_value");
    assert_eq!(error["param"], "type");
    assert_eq!(error["event_id"], "evt_1");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid value: 'foo.bar'.")
    );
}

#[tokio::test]
async fn missing_field_is_missing_required_parameter() {
    let error = error_for(json!({"type": "conversation.item.create", "event_id": "evt_2"})).await;
    assert_eq!(error["code"], "missing_required_parameter");
    assert_eq!(error["param"], "item");
    assert_eq!(error["event_id"], "evt_2");
}

#[tokio::test]
async fn unknown_session_field_is_unknown_parameter_and_nothing_applied() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client
        .send(json!({"type": "session.update", "event_id": "evt_3",
            "session": {"type": "realtime", "instructions": "changed", "modalities": ["text"]}}))
        .await;
    let error = client.expect("error").await;
    assert_eq!(error["error"]["code"], "unknown_parameter");
    assert_eq!(error["error"]["param"], "session.modalities");
    assert_eq!(error["error"]["event_id"], "evt_3");
    client
        .send(json!({"type": "session.update", "session": {"type": "realtime"}}))
        .await;
    let updated = client.expect("session.updated").await;
    assert_ne!(updated["session"]["instructions"], "changed");
}

#[tokio::test]
async fn cancel_with_nothing_active() {
    let error = error_for(json!({"type": "response.cancel", "event_id": "evt_4"})).await;
    assert_eq!(error["code"], "response_cancel_not_active");
    assert_eq!(error["event_id"], "evt_4");
}

#[tokio::test]
async fn commit_under_100_ms() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client
        .update(json!({"audio": {"input": {"turn_detection": null}}}))
        .await;
    client.append_silence(50).await;
    client
        .send(json!({"type": "input_audio_buffer.commit", "event_id": "evt_5"}))
        .await;
    let error = client.expect("error").await;
    assert_eq!(error["error"]["code"], "input_audio_buffer_commit_empty");
    assert_eq!(
        error["error"]["message"],
        "Error committing input audio buffer: buffer too small. Expected at least 100ms of \
         audio, but buffer only has 50.00ms of audio."
    );
    assert_eq!(error["error"]["event_id"], "evt_5");
}

#[tokio::test]
async fn invalid_base64_and_oversized_append() {
    let error = error_for(json!({"type": "input_audio_buffer.append", "audio": "%%%"})).await;
    assert_eq!(error["code"], "invalid_value");
    assert_eq!(error["param"], "audio");
    let big = "A".repeat(rtclient_server::MAX_APPEND_BASE64 + 4);
    let error = error_for(json!({"type": "input_audio_buffer.append", "audio": big})).await;
    assert_eq!(error["code"], "invalid_value");
}

#[tokio::test]
async fn assistant_text_content_is_refused_like_the_service() {
    let error = error_for(json!({"type": "conversation.item.create", "item": {
        "type": "message", "role": "assistant",
        "content": [{"type": "text", "text": "Nice to meet you"}]}}))
    .await;
    assert_eq!(error["code"], "invalid_value");
    assert_eq!(error["param"], "item.content[0].type");
    assert_eq!(
        error["message"],
        "Invalid value: 'text'. Value must be 'output_text'."
    );
}

#[tokio::test]
async fn unknown_previous_item_and_missing_items() {
    let error = error_for(
        json!({"type": "conversation.item.create", "previous_item_id": "item_x",
        "item": {"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "hi"}]}}),
    )
    .await;
    assert_eq!(error["code"], "invalid_value");
    assert_eq!(error["param"], "previous_item_id");
    let error = error_for(json!({"type": "conversation.item.delete", "item_id": "item_x"})).await;
    assert_eq!(error["param"], "item_id");
    let error = error_for(json!({"type": "conversation.item.retrieve", "item_id": "item_x"})).await;
    assert_eq!(error["param"], "item_id");
}

#[tokio::test]
async fn truncate_of_a_user_item_is_unsupported_content_type() {
    let mut client = connect().await;
    client.expect("session.created").await;
    let added = client.add_user_text("hi").await;
    let id = added["item"]["id"].as_str().unwrap();
    client
        .send(json!({"type": "conversation.item.truncate", "item_id": id,
            "content_index": 0, "audio_end_ms": 10}))
        .await;
    let error = client.expect("error").await;
    assert_eq!(error["error"]["code"], "unsupported_content_type");
}

#[tokio::test]
async fn ga_update_without_type_is_missing_required_parameter() {
    let error =
        error_for(json!({"type": "session.update", "session": {"instructions": "x"}})).await;
    assert_eq!(error["code"], "missing_required_parameter");
    assert_eq!(error["param"], "session.type");
}

#[tokio::test]
async fn unknown_fields_in_items_and_responses() {
    let error = error_for(
        json!({"type": "conversation.item.create", "item": {"type": "message",
        "role": "user", "content": [{"type": "input_text", "text": "hi"}], "colour": "red"}}),
    )
    .await;
    assert_eq!(error["code"], "unknown_parameter");
    assert_eq!(error["param"], "item.colour");
    let error =
        error_for(json!({"type": "response.create", "response": {"modalities": ["text"]}})).await;
    assert_eq!(error["code"], "unknown_parameter");
    assert_eq!(error["param"], "response.modalities");
}

#[tokio::test]
async fn a_full_input_buffer_refuses_appends_until_committed_or_cleared() {
    use base64::Engine as _;
    let mut client = connect().await;
    client.expect("session.created").await;
    client
        .update(json!({"audio": {"input": {"turn_detection": null}}}))
        .await;
    // 10 MiB of audio per append (13.3 MiB of base64): three fit in 32 MiB, the fourth does not.
    let chunk = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 10 * 1024 * 1024]);
    for _ in 0..3 {
        client
            .send(json!({"type": "input_audio_buffer.append", "audio": chunk}))
            .await;
    }
    client
        .send(json!({"type": "input_audio_buffer.append", "event_id": "a4", "audio": chunk}))
        .await;
    let error = client.expect("error").await["error"].clone();
    assert_eq!(error["code"], "input_audio_buffer_full");
    assert_eq!(error["event_id"], "a4");
    client
        .send(json!({"type": "input_audio_buffer.clear"}))
        .await;
    client.expect("input_audio_buffer.cleared").await;
    client
        .send(json!({"type": "input_audio_buffer.append", "audio": chunk}))
        .await;
    client.quiet().await;
}
