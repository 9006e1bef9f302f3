//! Event shapes against the real service: every event type this server sends that the GA
//! recordings (`testdata/recorded/ga-*.yaml`, OpenAI and Azure) also hold must carry the same
//! fields, recursively, except the differences listed in [`ALLOWED`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;
use rtclient_server::Script;
use serde_json::{Value, json};

use crate::client::{connect_to, connect_with, user_text};

/// Field paths of `event_type` that may differ, and why.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "response.output_text.delta",
        "obfuscation",
        "random padding against length side channels; optional, not sent",
    ),
    (
        "response.output_audio_transcript.delta",
        "obfuscation",
        "random padding against length side channels; optional, not sent",
    ),
    (
        "response.audio_transcript.delta",
        "obfuscation",
        "random padding against length side channels; optional, not sent",
    ),
    (
        "response.function_call_arguments.delta",
        "obfuscation",
        "random padding against length side channels; optional, not sent",
    ),
    (
        "response.done",
        "response.usage.output_token_details.reasoning_tokens",
        "Azure Voice Live only (always 0 there); OpenAI does not send it",
    ),
    (
        "conversation.item.added",
        "item.phase",
        "sent by gpt-realtime-2.1 only (commentary / final_answer)",
    ),
    (
        "conversation.item.done",
        "item.phase",
        "sent by gpt-realtime-2.1 only",
    ),
    (
        "response.output_item.added",
        "item.phase",
        "sent by gpt-realtime-2.1 only",
    ),
    (
        "response.output_item.done",
        "item.phase",
        "sent by gpt-realtime-2.1 only",
    ),
    (
        "response.done",
        "response.output[].phase",
        "sent by gpt-realtime-2.1 only",
    ),
    (
        "response.content_part.added",
        "content",
        "Azure repeats `part` as `content`; OpenAI does not",
    ),
    (
        "response.content_part.added",
        "content.type",
        "Azure repeats `part` as `content`; OpenAI does not",
    ),
    (
        "response.content_part.added",
        "content.transcript",
        "Azure repeats `part` as `content`; OpenAI does not",
    ),
    (
        "response.content_part.done",
        "content",
        "Azure repeats `part` as `content`; OpenAI does not",
    ),
    (
        "response.content_part.done",
        "content.type",
        "Azure repeats `part` as `content`; OpenAI does not",
    ),
    (
        "response.content_part.done",
        "content.transcript",
        "Azure repeats `part` as `content`; OpenAI does not",
    ),
];

type Shapes = BTreeMap<String, BTreeSet<String>>;

/// Every field path of `value` (`a.b[].c`), objects and arrays walked.
fn paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                out.insert(path.clone());
                paths(child, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn add(shapes: &mut Shapes, event: &Value) {
    let kind = event["type"].as_str().unwrap_or("").to_owned();
    paths(event, "", shapes.entry(kind).or_default());
}

/// The shapes of the server events in the recordings whose names start with `prefix`.
fn recorded(prefix: &str) -> Shapes {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/recorded");
    let mut shapes = Shapes::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with(prefix) {
            continue;
        }
        let cassette: Value = serde_norway::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for interaction in cassette["interactions"].as_array().unwrap() {
            if interaction["direction"] == "received" && interaction["data"].is_object() {
                add(&mut shapes, &interaction["data"]);
            }
        }
    }
    shapes
}

/// The shapes of what this server sends in a session that covers the recorded flows: an
/// audio turn, an audio reply, a tool round, a text reply, an error; GA, or beta at `path`.
async fn ours(beta: Option<&str>) -> Shapes {
    let script = Script::from_yaml(
        "rules:\n  - when: weather\n    call: get_weather\n    arguments: {\"city\": \"Paris\"}\n",
    )
    .unwrap();
    let session = RealtimeSession::new().pace(Pace::Max).script(script);
    let mut client = match beta {
        Some(path) => connect_with(session, path, true).await,
        None => connect_to(session).await,
    };
    let beta = beta.is_some();
    let mut events = vec![client.expect("session.created").await];
    // The tools of the recordings.
    let tool = if beta {
        json!({"type": "function", "name": "get_weather",
            "description": "The weather in a city.", "parameters": {"type": "object",
            "properties": {"city": {"type": "string", "description": "The city."}},
            "required": ["city"]}})
    } else {
        json!({"type": "function", "name": "get_weather",
            "description": "The weather in a city.", "parameters": {"type": "object",
            "properties": {"city": {"type": "string"}}, "required": ["city"],
            "additionalProperties": false}})
    };
    let text_only = if beta {
        client
            .send(json!({"type": "session.update", "session": {
                "instructions": "Reply in a few words.", "tools": [tool],
                "input_audio_transcription": {"model": "whisper-1"}}}))
            .await;
        events.push(client.expect("session.updated").await);
        json!({"modalities": ["text"]})
    } else {
        events.push(
            client
                .update(
                    json!({"instructions": "Reply in a few words.", "tools": [tool],
                    "audio": {"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}}}),
                )
                .await,
        );
        json!({"output_modalities": ["text"]})
    };
    // An audio turn, committed by hand.
    client.commit_silence(300).await;
    let end_of_commit = if beta {
        "conversation.item.created"
    } else {
        "conversation.item.done"
    };
    events.extend(client.until(end_of_commit).await);
    for text in ["Hello!", "What is the weather in Paris?"] {
        client.send(user_text(text)).await;
        client.send(json!({"type": "response.create"})).await;
        events.extend(client.until("rate_limits.updated").await);
    }
    let call = events
        .iter()
        .rev()
        .find(|e| e["type"] == "response.function_call_arguments.done")
        .unwrap()["call_id"]
        .clone();
    client
        .send(
            json!({"type": "conversation.item.create", "item": {"type": "function_call_output",
            "call_id": call, "output": "{\"temperature\": 21}"}}),
        )
        .await;
    client
        .send(json!({"type": "response.create", "response": text_only}))
        .await;
    events.extend(client.until("rate_limits.updated").await);
    client
        .send(
            json!({"type": "conversation.item.create", "item": {"type": "message",
            "role": "assistant", "content": [{"type": "input_text", "text": "wrong"}]}}),
        )
        .await;
    events.extend(client.until("error").await);
    let mut shapes = Shapes::new();
    for event in &events {
        add(&mut shapes, event);
    }
    shapes
}

#[tokio::test]
async fn ga_events_carry_the_fields_the_service_sends() {
    compare(&recorded("ga-"), &ours(None).await, 15, true);
}

#[tokio::test]
async fn beta_events_carry_the_fields_the_service_sends() {
    // The beta recordings cover less (no audio turn, no text reply, no tool output): only the
    // fields they hold are required.
    let path = "/v1/realtime?model=gpt-4o-realtime-preview";
    compare(
        &recorded("beta-openai-"),
        &ours(Some(path)).await,
        12,
        false,
    );
}

#[tokio::test]
async fn voice_live_events_carry_the_fields_voice_live_sends() {
    // Only the fields the recording holds are required, as for beta.
    let path = "/voice-live/realtime?api-version=2025-10-01&model=gpt-realtime";
    compare(
        &recorded("beta-shape-azure-voice-live-"),
        &ours(Some(path)).await,
        10,
        false,
    );
}

/// Asserts that every event type both hold carries the recorded fields (and, with
/// `no_extra`, no others), and that at least `at_least` types were compared.
fn compare(recorded: &Shapes, ours: &Shapes, at_least: usize, no_extra: bool) {
    let mut report = Vec::new();
    let mut compared = 0;
    for (kind, our_paths) in ours {
        let Some(their_paths) = recorded.get(kind) else {
            continue;
        };
        compared += 1;
        let allowed = |path: &String| {
            ALLOWED
                .iter()
                .any(|(k, p, _)| *k == kind.as_str() && path == p)
        };
        for path in their_paths.difference(our_paths).filter(|p| !allowed(p)) {
            report.push(format!("{kind}: missing {path}"));
        }
        let extra = our_paths.difference(their_paths).filter(|_| no_extra);
        for path in extra.filter(|p| !allowed(p)) {
            report.push(format!("{kind}: extra {path}"));
        }
    }
    assert!(compared >= at_least, "only {compared} event types compared");
    assert!(report.is_empty(), "{}", report.join("\n"));
}
