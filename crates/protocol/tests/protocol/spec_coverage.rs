//! Every event of `realtime-events.json` (GA, beta, translation; client and server) parses into
//! its own typed variant with every listed field typed (not in `extra`) and written back.

use rtclient_protocol::{ClientEvent, ServerEvent, beta, translation_session as translation};
use serde_json::{Map, Value, json};

use crate::testutil::spec;

/// A plausible value for a field, by name first, then by type.
fn sample(family: &str, dir: &str, name: &str, ty: &str) -> Value {
    match name {
        "item" => json!({"id": "item_1", "type": "message", "role": "user", "status": "completed",
                         "content": [{"type": "input_text", "text": "hi"}]}),
        "part" => json!({"type": "audio", "transcript": "hi"}),
        "error" => {
            json!({"type": "invalid_request_error", "code": "invalid_value", "message": "bad",
                          "param": null, "event_id": null})
        }
        "conversation" => json!({"id": "conv_1", "object": "realtime.conversation"}),
        "rate_limits" => {
            json!([{"name": "tokens", "limit": 100, "remaining": 50, "reset_seconds": 2.03}])
        }
        "usage" => json!({"type": "duration", "seconds": 2.03}),
        "languages" => json!(["en"]),
        "logprobs" => json!([{"token": "hi", "logprob": -0.1, "bytes": [104, 105]}]),
        "format" => json!("pcm16"),
        "response" => match (family, dir) {
            ("beta", "server") => {
                json!({"object": "realtime.response", "id": "resp_1", "status": "completed",
                "status_details": null, "output": [], "modalities": ["text", "audio"], "voice": "alloy",
                "output_audio_format": "pcm16", "temperature": 0.8, "max_output_tokens": "inf", "usage": null,
                "metadata": null})
            }
            ("beta", _) => json!({"modalities": ["text"], "instructions": "x", "voice": "alloy",
                "output_audio_format": "pcm16", "temperature": 0.8, "max_response_output_tokens": 100,
                "conversation": "none", "metadata": {"k": "v"}, "input": []}),
            (_, "server") => {
                json!({"object": "realtime.response", "id": "resp_1", "status": "cancelled",
                "status_details": {"type": "cancelled", "reason": "turn_detected"}, "output": [],
                "output_modalities": ["audio"], "max_output_tokens": "inf",
                "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"}},
                "usage": {"total_tokens": 3, "input_tokens": 1, "output_tokens": 2}, "metadata": null})
            }
            _ => {
                json!({"output_modalities": ["text"], "instructions": "x", "max_output_tokens": 100,
                "audio": {"output": {"format": {"type": "audio/pcmu"}, "voice": "marin"}},
                "conversation": "none", "metadata": {"k": "v"}, "input": [], "tool_choice": "required"})
            }
        },
        "session" => match (family, ty) {
            ("translation", _) => {
                json!({"id": "sess_1", "type": "translation", "model": "m", "audio": {}})
            }
            ("beta", t) if t.contains("Transcription") => json!({"input_audio_format": "g711_ulaw",
                "input_audio_transcription": {"model": "whisper-1"}, "turn_detection": null,
                "input_audio_noise_reduction": {"type": "near_field"}, "include": null}),
            ("beta", _) => {
                json!({"id": "sess_1", "object": "realtime.session", "modalities": ["text", "audio"],
                "voice": "alloy", "input_audio_format": "pcm16", "output_audio_format": "g711_alaw",
                "input_audio_transcription": null, "turn_detection": {"type": "semantic_vad", "eagerness": "low"},
                "tools": [{"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}}],
                "tool_choice": {"type": "function", "name": "f"}, "temperature": 0.8,
                "max_response_output_tokens": "inf"})
            }
            _ => {
                json!({"type": "realtime", "object": "realtime.session", "id": "sess_1", "model": "gpt-realtime",
                "output_modalities": ["audio"], "instructions": "x", "tracing": null, "prompt": null,
                "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}, "transcription": null,
                    "noise_reduction": null, "turn_detection": {"type": "server_vad", "threshold": 0.5,
                    "prefix_padding_ms": 300, "silence_duration_ms": 200, "idle_timeout_ms": null,
                    "create_response": true, "interrupt_response": true}},
                    "output": {"format": {"type": "audio/pcma"}, "voice": {"id": "voice_1"}, "speed": 1.0}},
                "tools": [], "tool_choice": "auto", "max_output_tokens": "inf", "truncation": "auto",
                "include": null, "expires_at": 1})
            }
        },
        _ => {
            let t = ty.trim_end_matches(" | null");
            match t {
                "string" => json!(format!("{name}_1")),
                "integer" => json!(7),
                "number" => json!(1.25),
                "boolean" => json!(true),
                "object" => json!({}),
                t if t.starts_with("array") => json!([]),
                other => panic!("no sample for {family} {dir} field {name}: {other}"),
            }
        }
    }
}

fn parse(family: &str, dir: &str, text: &str) -> (String, bool, Map<String, Value>, Value) {
    macro_rules! go {
        ($t:ty) => {{
            let e =
                <$t>::from_json(text).unwrap_or_else(|e| panic!("{family} {dir} {text}: {e:?}"));
            let back: Value = serde_json::from_str(&e.to_json().unwrap()).unwrap();
            (
                e.kind().to_owned(),
                e.is_unknown(),
                e.extra().cloned().unwrap_or_default(),
                back,
            )
        }};
    }
    match (family, dir) {
        ("ga", "client") => go!(ClientEvent),
        ("ga", "server") => go!(ServerEvent),
        ("beta", "client") => go!(beta::ClientEvent),
        ("beta", "server") => go!(beta::ServerEvent),
        ("translation", "client") => go!(translation::ClientEvent),
        ("translation", "server") => go!(translation::ServerEvent),
        _ => unreachable!(),
    }
}

#[test]
fn every_spec_event_is_typed_with_every_field() {
    let spec = spec();
    let mut counts = Vec::new();
    for family in ["ga", "beta", "translation"] {
        for dir in ["client", "server"] {
            let events = spec[family][dir].as_array().unwrap();
            for ev in events {
                let kind = ev["type"].as_str().unwrap();
                let mut obj = Map::new();
                obj.insert("type".into(), json!(kind));
                let mut names = Vec::new();
                for f in ev["fields"].as_array().unwrap() {
                    let name = f["name"].as_str().unwrap();
                    let ty = f["type"].as_str().unwrap();
                    obj.insert(name.into(), sample(family, dir, name, ty));
                    names.push(name);
                }
                let input = Value::Object(obj);
                let (got, unknown, extra, back) = parse(family, dir, &input.to_string());
                assert!(!unknown, "{family} {dir} {kind} parsed as Unknown");
                assert_eq!(got, kind);
                for n in &names {
                    assert!(
                        !extra.contains_key(*n),
                        "{family} {dir} {kind}: field {n} not typed"
                    );
                    assert_eq!(
                        back.get(*n),
                        input.get(*n),
                        "{family} {dir} {kind}: field {n} not written back"
                    );
                }
                assert_eq!(back, input, "{family} {dir} {kind}");
            }
            counts.push(format!("{family} {dir}: {}", events.len()));
        }
    }
    assert_eq!(
        counts,
        [
            "ga client: 11",
            "ga server: 46",
            "beta client: 12",
            "beta server: 34",
            "translation client: 3",
            "translation server: 7",
        ]
    );
}

/// Our enums type nothing the spec does not list, except documented extensions.
#[test]
fn enums_type_only_spec_events() {
    let spec = spec();
    let listed = |family: &str, dir: &str| -> Vec<String> {
        spec[family][dir]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    };
    let check = |kinds: &[&str], family: &str, dir: &str, extensions: &[&str]| {
        let listed = listed(family, dir);
        for k in kinds {
            assert!(
                listed.iter().any(|l| l == k) || extensions.contains(k),
                "{family} {dir}: {k} not in spec"
            );
        }
        assert_eq!(
            kinds.len(),
            listed.len() + extensions.len(),
            "{family} {dir}"
        );
    };
    check(ClientEvent::KINDS, "ga", "client", &[]);
    check(ServerEvent::KINDS, "ga", "server", &[]);
    check(beta::ClientEvent::KINDS, "beta", "client", &[]);
    check(
        beta::ServerEvent::KINDS,
        "beta",
        "server",
        &["conversation.item.done", "transcription_session.created"],
    );
    check(
        translation::ClientEvent::KINDS,
        "translation",
        "client",
        &[],
    );
    check(
        translation::ServerEvent::KINDS,
        "translation",
        "server",
        &[],
    );
}
