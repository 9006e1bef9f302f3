//! How responses end: a cancel (client or barge-in) closes the open part and item first, and
//! every `response.done` carries the full usage, counted as the service bills it.
//!
//! Evidence for the closing order of a cancelled response: the Realtime spec
//! (`openai-openapi-realtime-subset.yaml`) says of `response.output_audio.done`,
//! `response.output_audio_transcript.done`, `response.output_text.done`,
//! `response.content_part.done` and `response.output_item.done` that each is "also emitted when
//! a Response is interrupted, incomplete, or cancelled". Issue threads agree:
//! huggingface/speech-to-speech#457 ("Emit standard Realtime output-item and content-part
//! lifecycle events", citing that reference) and its PR #442 ("a cancelled response still closes
//! a started transcript stream with one `done` event carrying the accumulated partial
//! transcript, while its response output item remains `incomplete`"); openai/openai-agents-python
//! #1434, where the maintainers note `response.output_item.done` "is also emitted for
//! interrupted, incomplete, or cancelled responses".

use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;
use rtclient_server::Script;
use serde_json::{Value, json};

use crate::client::{Client, connect_with, kinds, output_audio};
use crate::vad::{speech_24k, stream};

/// Checks that `usage` is the service's full object and adds up; returns it.
fn full_usage(done: &Value) -> &Value {
    let usage = &done["response"]["usage"];
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not a count: {usage}"));
    let input = &usage["input_token_details"];
    let output = &usage["output_token_details"];
    assert_eq!(
        n(&usage["total_tokens"]),
        n(&usage["input_tokens"]) + n(&usage["output_tokens"])
    );
    assert_eq!(
        n(&usage["input_tokens"]),
        n(&input["text_tokens"]) + n(&input["audio_tokens"]) + n(&input["image_tokens"])
    );
    assert_eq!(n(&input["cached_tokens"]), 0);
    for key in ["text_tokens", "audio_tokens", "image_tokens"] {
        n(&input["cached_tokens_details"][key]);
    }
    assert_eq!(
        n(&usage["output_tokens"]),
        n(&output["text_tokens"]) + n(&output["audio_tokens"])
    );
    usage
}

/// The concatenated `delta`s of events of type `kind`.
fn joined(events: &[Value], kind: &str) -> String {
    events
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| e["delta"].as_str().unwrap())
        .collect()
}

/// Text tokens as the server estimates them: a token per four characters, rounded up.
fn text_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// The events after the last delta, their types.
fn tail(events: &[Value]) -> Vec<&str> {
    let last_delta = events
        .iter()
        .rposition(|e| e["type"].as_str().unwrap().ends_with(".delta"))
        .unwrap();
    kinds(&events[last_delta + 1..])
}

/// Starts an audio response on a slow server and waits for its second audio delta.
async fn audio_response(path: &str, beta: bool) -> (Client, Vec<Value>) {
    let session = RealtimeSession::new().pace(Pace::Speed(1.0));
    let mut client = connect_with(session, path, beta).await;
    client.expect("session.created").await;
    client
        .add_user_text("please say something long enough to interrupt")
        .await;
    client.send(json!({"type": "response.create"})).await;
    let audio_delta = if beta {
        "response.audio.delta"
    } else {
        "response.output_audio.delta"
    };
    let mut events = client.until(audio_delta).await;
    events.extend(client.until(audio_delta).await);
    (client, events)
}

#[tokio::test]
async fn a_client_cancel_mid_audio_closes_the_part_and_item_first() {
    let (mut client, mut events) = audio_response("/v1/realtime?model=gpt-realtime", false).await;
    client.send(json!({"type": "response.cancel"})).await;
    events.extend(client.until("response.done").await);
    assert_eq!(
        tail(&events),
        [
            "response.output_audio.done",
            "response.output_audio_transcript.done",
            "response.content_part.done",
            "conversation.item.done",
            "response.output_item.done",
            "response.done"
        ]
    );
    let sent = joined(&events, "response.output_audio_transcript.delta");
    assert!(!sent.is_empty());
    let find = |kind: &str| events.iter().find(|e| e["type"] == kind).unwrap();
    assert_eq!(
        find("response.output_audio_transcript.done")["transcript"],
        sent.as_str()
    );
    assert_eq!(
        find("response.content_part.done")["part"],
        json!({"type": "audio", "transcript": sent})
    );
    let item = &find("response.output_item.done")["item"];
    assert_eq!(item["status"], "incomplete");
    assert_eq!(
        item["content"],
        json!([{"type": "output_audio", "transcript": sent}])
    );
    assert_eq!(&find("conversation.item.done")["item"], item);
    let done = events.last().unwrap();
    assert_eq!(done["response"]["status"], "cancelled");
    assert_eq!(
        done["response"]["status_details"],
        json!({"type": "cancelled", "reason": "client_cancelled"})
    );
    assert_eq!(done["response"]["output"], json!([item]));
    let usage = full_usage(done);
    // Assistant audio: a token per 50 ms of what was sent (24 kHz PCM16: 48 bytes a ms).
    let audio_ms = output_audio(&events).len() as u64 / 48;
    assert_eq!(usage["output_token_details"]["audio_tokens"], audio_ms / 50);
    assert_eq!(
        usage["output_token_details"]["text_tokens"],
        text_tokens(&sent)
    );
    client.expect("rate_limits.updated").await;
    client.quiet().await;
}

#[tokio::test]
async fn a_beta_client_cancel_mid_audio_closes_with_beta_names() {
    let (mut client, mut events) =
        audio_response("/v1/realtime?model=gpt-4o-realtime-preview", true).await;
    client.send(json!({"type": "response.cancel"})).await;
    events.extend(client.until("response.done").await);
    assert_eq!(
        tail(&events),
        [
            "response.audio.done",
            "response.audio_transcript.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.done"
        ]
    );
    let sent = joined(&events, "response.audio_transcript.delta");
    let item = &events[events.len() - 2]["item"];
    assert_eq!(item["status"], "incomplete");
    assert_eq!(item["object"], "realtime.item");
    assert_eq!(item["content"][0]["type"], "audio");
    assert_eq!(item["content"][0]["transcript"], sent.as_str());
    let done = events.last().unwrap();
    assert_eq!(done["response"]["output"], json!([item]));
    full_usage(done);
}

#[tokio::test]
async fn a_client_cancel_mid_text_keeps_exactly_the_text_sent() {
    // 20 ms a word at a twentieth of real time: 400 ms between words, time enough to cancel.
    let session = RealtimeSession::new().pace(Pace::Speed(0.05));
    for (path, beta) in [
        ("/v1/realtime?model=gpt-realtime", false),
        (
            "/openai/realtime?api-version=2025-04-01-preview&deployment=d",
            false,
        ),
    ] {
        let mut client = connect_with(session.clone(), path, beta).await;
        let created = client.expect("session.created").await;
        let ga = created["session"]["type"] == "realtime";
        let (delta, text_done) = if ga {
            ("response.output_text.delta", "response.output_text.done")
        } else {
            ("response.text.delta", "response.text.done")
        };
        let modalities = if ga {
            json!({"output_modalities": ["text"]})
        } else {
            json!({"modalities": ["text"]})
        };
        client
            .send(json!({"type": "response.create", "response": modalities}))
            .await;
        let mut events = client.until(delta).await;
        client.send(json!({"type": "response.cancel"})).await;
        events.extend(client.until("response.done").await);
        let mut closing = vec![text_done, "response.content_part.done"];
        if ga {
            closing.push("conversation.item.done");
        }
        closing.extend(["response.output_item.done", "response.done"]);
        assert_eq!(tail(&events), closing);
        let sent = joined(&events, delta);
        assert!(!sent.is_empty());
        let find = |kind: &str| events.iter().find(|e| e["type"] == kind).unwrap();
        assert_eq!(find(text_done)["text"], sent.as_str());
        assert_eq!(
            find("response.content_part.done")["part"],
            json!({"type": "text", "text": sent})
        );
        let item = &find("response.output_item.done")["item"];
        assert_eq!(item["status"], "incomplete");
        assert_eq!(item["content"][0]["text"], sent.as_str());
        let done = events.last().unwrap();
        assert_eq!(done["response"]["output"], json!([item]), "{path}");
        let usage = full_usage(done);
        assert_eq!(
            usage["output_token_details"]["text_tokens"],
            text_tokens(&sent)
        );
        assert_eq!(usage["output_token_details"]["audio_tokens"], 0);
    }
}

#[tokio::test]
async fn a_barge_in_mid_audio_closes_the_item_before_response_done() {
    let dir = tempfile::tempdir().unwrap();
    let audio = speech_24k(dir.path(), "Tell me a long story about the sea.");
    let (mut client, mut events) = audio_response("/v1/realtime?model=gpt-realtime", false).await;
    stream(&mut client, &audio).await;
    events.extend(client.until("response.done").await);
    let started = events
        .iter()
        .position(|e| e["type"] == "input_audio_buffer.speech_started")
        .unwrap();
    assert_eq!(
        kinds(&events[started..]),
        [
            "input_audio_buffer.speech_started",
            "response.output_audio.done",
            "response.output_audio_transcript.done",
            "response.content_part.done",
            "conversation.item.done",
            "response.output_item.done",
            "response.done"
        ]
    );
    let sent = joined(&events, "response.output_audio_transcript.delta");
    let done = events.last().unwrap();
    assert_eq!(
        done["response"]["status_details"],
        json!({"type": "cancelled", "reason": "turn_detected"})
    );
    let item = &done["response"]["output"][0];
    assert_eq!(item["status"], "incomplete");
    assert_eq!(item["content"][0]["transcript"], sent.as_str());
    full_usage(done);
}

#[tokio::test]
async fn an_audio_turn_bills_its_audio_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let audio = speech_24k(dir.path(), "Hello, my name is Marcelo.");
    let session = RealtimeSession::new().pace(Pace::Max);
    let mut client = connect_with(session, "/v1/realtime?model=gpt-realtime", false).await;
    let created = client.expect("session.created").await;
    let instructions = created["session"]["instructions"].as_str().unwrap();
    stream(&mut client, &audio).await;
    let started = client.expect("input_audio_buffer.speech_started").await;
    let stopped = client.expect("input_audio_buffer.speech_stopped").await;
    let events = client.until("response.done").await;
    let done = events.last().unwrap();
    assert_eq!(done["response"]["status"], "completed");
    let usage = full_usage(done);
    // User audio: a token per 100 ms of the committed turn.
    let turn_ms =
        stopped["audio_end_ms"].as_u64().unwrap() - started["audio_start_ms"].as_u64().unwrap();
    assert!(turn_ms > 1_000);
    assert_eq!(usage["input_token_details"]["audio_tokens"], turn_ms / 100);
    assert_eq!(
        usage["input_token_details"]["text_tokens"],
        text_tokens(instructions)
    );
    // Assistant audio: a token per 50 ms; its transcript a token per four characters.
    let said = joined(&events, "response.output_audio_transcript.delta");
    let audio_ms = output_audio(&events).len() as u64 / 48;
    assert!(audio_ms > 0);
    assert_eq!(usage["output_token_details"]["audio_tokens"], audio_ms / 50);
    assert_eq!(
        usage["output_token_details"]["text_tokens"],
        text_tokens(&said)
    );
}

#[tokio::test]
async fn failed_and_rate_limited_responses_carry_the_full_usage() {
    let script = Script::from_yaml(
        "rules:\n  - when: break\n    error: {code: overloaded, message: \"Overloaded.\"}\n\
         faults: {rate_limits: {requests: 2}}\n",
    )
    .unwrap();
    let session = RealtimeSession::new().pace(Pace::Max).script(script);
    for (path, beta) in [
        ("/v1/realtime?model=gpt-realtime", false),
        ("/v1/realtime?model=gpt-4o-realtime-preview", true),
    ] {
        let mut client = connect_with(session.clone(), path, beta).await;
        client.expect("session.created").await;
        let text = "please break";
        client.add_user_text(text).await;
        client.send(json!({"type": "response.create"})).await;
        let events = client.until("response.done").await;
        let failed = events.last().unwrap();
        assert_eq!(failed["response"]["status"], "failed");
        let usage = full_usage(failed);
        assert!(
            usage["input_token_details"]["text_tokens"]
                .as_u64()
                .unwrap()
                >= text_tokens(text)
        );
        assert_eq!(usage["output_tokens"], 0);
        // The second request completes, the third is over the session's budget.
        client.send(json!({"type": "response.create", "response": {"conversation": "none", "input": []}})).await;
        let completed = client.until("response.done").await;
        full_usage(completed.last().unwrap());
        client.send(json!({"type": "response.create"})).await;
        let limited = client.until("response.done").await;
        let limited = limited.last().unwrap();
        assert_eq!(limited["response"]["status"], "failed", "{path}");
        full_usage(limited);
    }
}

#[tokio::test]
async fn a_cancel_mid_arguments_closes_the_function_call_with_what_was_sent() {
    let script = Script::from_yaml(
        "rules:\n  - call: get_weather\n    arguments: {\"city\": \"Paris\", \"unit\": \"celsius\"}\n",
    )
    .unwrap();
    // 10 ms a piece at a hundredth of real time: a second between argument deltas.
    let session = RealtimeSession::new()
        .pace(Pace::Speed(0.01))
        .script(script);
    let mut client = connect_with(session, "/v1/realtime?model=gpt-realtime", false).await;
    client.expect("session.created").await;
    client
        .update(
            json!({"output_modalities": ["text"], "tools": [{"type": "function",
        "name": "get_weather", "parameters": {"type": "object"}}]}),
        )
        .await;
    client.add_user_text("weather?").await;
    client.send(json!({"type": "response.create"})).await;
    let mut events = client.until("response.function_call_arguments.delta").await;
    client.send(json!({"type": "response.cancel"})).await;
    events.extend(client.until("response.done").await);
    assert_eq!(
        tail(&events),
        [
            "response.function_call_arguments.done",
            "conversation.item.done",
            "response.output_item.done",
            "response.done"
        ]
    );
    let sent = joined(&events, "response.function_call_arguments.delta");
    let find = |kind: &str| events.iter().find(|e| e["type"] == kind).unwrap();
    assert_eq!(
        find("response.function_call_arguments.done")["arguments"],
        sent.as_str()
    );
    let item = &find("response.output_item.done")["item"];
    assert_eq!(item["status"], "incomplete");
    assert_eq!(item["arguments"], sent.as_str());
    let done = events.last().unwrap();
    assert_eq!(done["response"]["output"], json!([item]));
    assert_eq!(
        full_usage(done)["output_token_details"]["text_tokens"],
        text_tokens(&sent)
    );
}
