//! Bad input gives a useful error; unknown event types are kept.

use rtclient_protocol::{ClientEvent, Dialect, Error, ServerEvent, beta};
use serde_json::{Value, json};

#[test]
fn malformed_json_is_a_json_error() {
    for input in [
        r#"{"type":"error","#,
        r#"{"type":"response.output_audio.delta","delta":"AA"#,
        "{",
        "nope",
        r#"{"type":"x" "a":1}"#,
    ] {
        let err = ServerEvent::from_json(input).unwrap_err();
        assert!(matches!(err, Error::Json(_)), "{input}: {err:?}");
    }
}

#[test]
fn empty_input_is_a_json_error() {
    let err = ServerEvent::from_json("").unwrap_err();
    assert!(matches!(err, Error::Json(_)), "{err:?}");
    let msg = format!("{}", std::error::Error::source(&err).unwrap());
    assert!(msg.contains("EOF"), "{msg}");
}

#[test]
fn non_object_is_a_json_error() {
    for input in [
        "[]",
        r#"["type"]"#,
        "1",
        r#""response.done""#,
        "null",
        "true",
    ] {
        let err = ClientEvent::from_json(input).unwrap_err();
        assert!(matches!(err, Error::Json(_)), "{input}: {err:?}");
    }
}

#[test]
fn missing_type_is_reported() {
    assert!(matches!(
        ServerEvent::from_json(r#"{"event_id":"e"}"#),
        Err(Error::MissingType)
    ));
    assert!(matches!(
        ServerEvent::from_json("{}"),
        Err(Error::MissingType)
    ));
    assert!(matches!(
        ServerEvent::from_json(r#"{"type":5}"#),
        Err(Error::Json(_))
    ));
}

#[test]
fn known_type_with_wrong_field_is_an_error_naming_the_type() {
    let input = r#"{"type":"response.output_audio.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":5}"#;
    match ServerEvent::from_json(input).unwrap_err() {
        Error::InvalidEvent { kind, source } => {
            assert_eq!(kind, "response.output_audio.delta");
            let msg = source.to_string();
            assert!(
                msg.contains("invalid type: integer `5`, expected a string"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
    // a required field missing
    let input = r#"{"type":"conversation.item.truncate","item_id":"i","content_index":0}"#;
    match ClientEvent::from_json(input).unwrap_err() {
        Error::InvalidEvent { kind, source } => {
            assert_eq!(kind, "conversation.item.truncate");
            assert!(
                source.to_string().contains("missing field `audio_end_ms`"),
                "{source}"
            );
        }
        other => panic!("{other:?}"),
    }
    // nested: a turn detection threshold that is a string
    let input = r#"{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","threshold":"high"}}}}}"#;
    assert!(matches!(
        ClientEvent::from_json(input),
        Err(Error::InvalidEvent { .. })
    ));
    // the error message names the event
    let err = ClientEvent::from_json(input).unwrap_err();
    assert_eq!(err.to_string(), r#"invalid "session.update" event"#);
}

/// The name of a missing required field, as the parse error carries it.
fn missing_field(result: Result<impl std::fmt::Debug, Error>) -> Option<&'static str> {
    match result.unwrap_err() {
        Error::InvalidEvent { source, .. } => source.missing_field(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_required_field_is_named_by_the_error() {
    let truncate = json!({"type":"conversation.item.truncate","item_id":"i","content_index":0});
    assert_eq!(
        missing_field(ClientEvent::from_json(&truncate.to_string())),
        Some("audio_end_ms")
    );
    assert_eq!(
        missing_field(ClientEvent::from_value(truncate)),
        Some("audio_end_ms")
    );
    // beta names, and the first required field of several missing
    let beta =
        r#"{"type":"response.audio.delta","output_index":0,"content_index":0,"delta":"AA=="}"#;
    assert_eq!(
        missing_field(Dialect::Beta.parse_server_event(beta)),
        Some("response_id")
    );
    // the borrowed audio delta reader names it too
    let ga = r#"{"type":"response.output_audio.delta","response_id":"r","output_index":0,"content_index":0,"delta":"AA=="}"#;
    let delta = Dialect::Ga.parse_audio_delta(ga).unwrap();
    assert_eq!(missing_field(delta), Some("item_id"));
    // a field of the wrong type is not a missing one, and the message stays serde's
    let wrong = r#"{"type":"conversation.item.truncate","item_id":"i","content_index":"0","audio_end_ms":5}"#;
    match ClientEvent::from_json(wrong).unwrap_err() {
        Error::InvalidEvent { source, .. } => {
            assert_eq!(source.missing_field(), None);
            assert!(
                source.to_string().starts_with("invalid type: string"),
                "{source}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_type_is_kept_and_round_trips() {
    let input = json!({"type": "response.brand_new", "event_id": "e1", "x": [1, 2.5, null], "y": {"z": "w"}});
    for ev in [
        ServerEvent::from_json(&input.to_string()).unwrap(),
        Dialect::Beta
            .parse_server_event(&input.to_string())
            .unwrap(),
    ] {
        assert!(ev.is_unknown());
        assert_eq!(ev.kind(), "response.brand_new");
        assert_eq!(ev.event_id(), Some("e1"));
        assert_eq!(
            serde_json::from_str::<Value>(&ev.to_json().unwrap()).unwrap(),
            input
        );
    }
    let ev = beta::ClientEvent::from_json(r#"{"type":"session.close"}"#).unwrap();
    assert!(ev.is_unknown());
    assert_eq!(ev.to_json().unwrap(), r#"{"type":"session.close"}"#);
}

#[test]
fn unknown_fields_and_values_are_kept() {
    let input = json!({"type": "response.output_item.added", "event_id": "e", "response_id": "r",
        "output_index": 0, "obfuscation": "xyz",
        "item": {"id": "i", "type": "hologram", "status": "dreaming", "role": "narrator",
                 "content": [{"type": "smell", "intensity": 3}]}});
    let ev = ServerEvent::from_json(&input.to_string()).unwrap();
    let ServerEvent::ResponseOutputItemAdded(e) = &ev else {
        panic!("{ev:?}")
    };
    assert_eq!(e.extra["obfuscation"], "xyz");
    assert_eq!(e.item.kind.as_ref().unwrap().as_str(), "hologram");
    assert_eq!(
        serde_json::from_str::<Value>(&ev.to_json().unwrap()).unwrap(),
        input
    );
}

#[test]
fn null_where_a_value_is_expected_is_kept() {
    // Azure Voice Live sends `output_audio_format: null`; the field stays None and the null is kept.
    let input = json!({"type": "session.updated", "event_id": "e",
        "session": {"output_audio_format": null, "voice": {"name": "alloy", "type": "openai"}}});
    let ev = beta::ServerEvent::from_json(&input.to_string()).unwrap();
    let beta::ServerEvent::SessionUpdated(e) = &ev else {
        panic!()
    };
    assert_eq!(e.session.output_audio_format, None);
    assert_eq!(e.session.extra["output_audio_format"], Value::Null);
    assert_eq!(
        serde_json::from_str::<Value>(&ev.to_json().unwrap()).unwrap(),
        input
    );
}

#[test]
fn floats_and_integers_keep_their_form() {
    let input = json!({"type": "rate_limits.updated", "event_id": "e", "rate_limits": [
        {"name": "tokens", "limit": 400000, "remaining": 394000, "reset_seconds": 2.03},
        {"name": "requests", "limit": 5, "remaining": 4, "reset_seconds": 1}]});
    let ev = ServerEvent::from_json(&input.to_string()).unwrap();
    let out = ev.to_json().unwrap();
    assert!(out.contains(r#""reset_seconds":2.03"#), "{out}");
    assert!(out.contains(r#""reset_seconds":1}"#), "{out}");
    let ServerEvent::RateLimitsUpdated(e) = ev else {
        panic!()
    };
    assert_eq!(
        e.rate_limits[0].reset_seconds.as_ref().unwrap().as_f64(),
        Some(2.03)
    );
}

/// Found by the `server_event` fuzz target: two different `type` keys, the first unknown to the
/// dialect. The probe reads the first, a JSON object keeps the last; such input is rejected.
#[test]
fn conflicting_duplicate_type_keys_are_rejected() {
    let input = r#"{"type":"response.output_audio.done","event_id":"e","type":"response.audio.delta","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"AA=="}"#;
    assert!(matches!(
        beta::ServerEvent::from_json(input),
        Err(Error::Json(_))
    ));
    // a duplicate of the same known type is harmless
    let input = r#"{"type":"input_audio_buffer.cleared","event_id":"e","type":"input_audio_buffer.cleared"}"#;
    assert!(matches!(
        ServerEvent::from_json(input),
        Ok(ServerEvent::InputAudioBufferCleared(_))
    ));
}

/// Found by the `server_event` fuzz target: a GA audio delta with a second, different `type`
/// key on a beta connection parsed as a borrowed view but not as an owned event. Every path
/// now applies one rule: a repeated `type` must repeat the same value.
#[test]
fn audio_delta_paths_agree_on_duplicate_type_keys() {
    let frame = |second: &str| {
        format!(
            r#"{{"type":"response.output_audio.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"AA==","type":"{second}"}}"#
        )
    };
    let conflicting = frame("response.output_audio.done");
    let identical = frame("response.output_audio.delta");
    for dialect in [Dialect::Ga, Dialect::Beta] {
        assert!(
            dialect.parse_server_event(&conflicting).is_err(),
            "{dialect:?}"
        );
        assert!(
            matches!(dialect.parse_audio_delta(&conflicting), Some(Err(_))),
            "{dialect:?}"
        );
        assert!(
            matches!(
                dialect.parse_server_event(&identical),
                Ok(ServerEvent::ResponseOutputAudioDelta(_))
            ),
            "{dialect:?}"
        );
        assert!(
            matches!(dialect.parse_audio_delta(&identical), Some(Ok(_))),
            "{dialect:?}"
        );
    }
}
