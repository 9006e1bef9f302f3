//! Every frame of the ten recorded sessions and of the benchmark corpus parses into a typed
//! variant of its dialect and re-serializes to an equal JSON value; translated through the GA
//! model and back it is equal too.

use rtclient_protocol::{ClientEvent, Dialect, ServerEvent, beta};
use serde_json::Value;

use crate::testutil::{FileDialect, Frame, cassette_frames, client_events, corpus_frames};

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

/// Parses one frame in its own dialect; returns (kind, is_unknown, re-serialized value).
fn own_dialect(f: &Frame) -> (String, bool, Value) {
    let ctx = || format!("{} #{} ({})", f.file, f.index, f.value["type"]);
    match (f.dialect, f.sent) {
        (FileDialect::Ga, false) => {
            let e = ServerEvent::from_json(&f.text).unwrap_or_else(|e| panic!("{}: {e:?}", ctx()));
            (
                e.kind().to_owned(),
                e.is_unknown(),
                json(&e.to_json().unwrap()),
            )
        }
        (FileDialect::Ga, true) => {
            let e = ClientEvent::from_json(&f.text).unwrap_or_else(|e| panic!("{}: {e:?}", ctx()));
            (
                e.kind().to_owned(),
                e.is_unknown(),
                json(&e.to_json().unwrap()),
            )
        }
        (FileDialect::Beta, false) => {
            let e = beta::ServerEvent::from_json(&f.text)
                .unwrap_or_else(|e| panic!("{}: {e:?}", ctx()));
            (
                e.kind().to_owned(),
                e.is_unknown(),
                json(&e.to_json().unwrap()),
            )
        }
        (FileDialect::Beta, true) => {
            let e = beta::ClientEvent::from_json(&f.text)
                .unwrap_or_else(|e| panic!("{}: {e:?}", ctx()));
            (
                e.kind().to_owned(),
                e.is_unknown(),
                json(&e.to_json().unwrap()),
            )
        }
    }
}

/// Through the GA model with the file's dialect and back to its wire.
fn via_ga_model(f: &Frame) -> Value {
    let d = match f.dialect {
        FileDialect::Ga => Dialect::Ga,
        FileDialect::Beta => Dialect::Beta,
    };
    let out = if f.sent {
        let e = d.parse_client_event(&f.text).unwrap();
        d.client_event_to_json(&e).unwrap()
    } else {
        let e = d.parse_server_event(&f.text).unwrap();
        d.server_event_to_json(&e).unwrap()
    };
    json(&out)
}

fn check(frames: &[Frame]) {
    let mut unknown = std::collections::BTreeSet::new();
    let mut mismatches = Vec::new();
    for f in frames {
        let (kind, is_unknown, back) = own_dialect(f);
        assert_eq!(kind, f.value["type"].as_str().unwrap());
        if is_unknown {
            unknown.insert(format!("{}: {kind}", f.file));
        }
        let beta_content_in_ga = f.value["item"]["role"] == "assistant"
            && f.value["item"]["content"][0]["type"]
                .as_str()
                .is_some_and(|t| t == "text" || t == "audio");
        if back != f.value && !beta_content_in_ga {
            mismatches.push(format!(
                "{} #{} {kind}:\n  in:  {}\n  out: {}",
                f.file, f.index, f.value, back
            ));
        }
        let translated = via_ga_model(f);
        if translated != f.value {
            mismatches.push(format!(
                "{} #{} {kind} (via GA model):\n  in:  {}\n  out: {}",
                f.file, f.index, f.value, translated
            ));
        }
    }
    println!("{} frames; Unknown: {:?}", frames.len(), unknown);
    assert!(unknown.is_empty(), "untyped frames: {unknown:?}");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn cassettes_parse_typed_and_round_trip() {
    let frames = cassette_frames();
    assert!(frames.len() > 900, "{} frames", frames.len());
    check(&frames);
}

#[test]
fn corpus_parses_typed_and_round_trips() {
    let frames = corpus_frames();
    assert_eq!(frames.len(), 506 + 492);
    check(&frames);
}

#[test]
fn client_events_file_round_trips() {
    let c = client_events();
    let ga = &c["session.update.ga"];
    let e = ClientEvent::from_json(&ga.to_string()).unwrap();
    assert!(matches!(e, ClientEvent::SessionUpdate(_)));
    assert_eq!(json(&e.to_json().unwrap()), *ga);
    let b = &c["session.update.beta"];
    let e = beta::ClientEvent::from_json(&b.to_string()).unwrap();
    assert!(matches!(e, beta::ClientEvent::SessionUpdate(_)));
    assert_eq!(json(&e.to_json().unwrap()), *b);
    // beta -> GA model -> beta is exact for this update
    let ga_model = Dialect::Beta.parse_client_event(&b.to_string()).unwrap();
    assert_eq!(
        json(&Dialect::Beta.client_event_to_json(&ga_model).unwrap()),
        *b
    );
    let app = &c["input_audio_buffer.append"];
    let e = ClientEvent::from_json(&app.to_string()).unwrap();
    assert_eq!(json(&e.to_json().unwrap()), *app);
}

/// `from_value` and the serde `Deserialize` impl agree with the fast `from_json`.
#[test]
fn from_value_and_deserialize_agree_with_from_json() {
    for f in corpus_frames()
        .iter()
        .filter(|f| f.dialect == FileDialect::Ga)
    {
        let fast = ServerEvent::from_json(&f.text).unwrap();
        assert_eq!(ServerEvent::from_value(f.value.clone()).unwrap(), fast);
        assert_eq!(
            serde_json::from_value::<ServerEvent>(f.value.clone()).unwrap(),
            fast
        );
        assert_eq!(serde_json::from_str::<ServerEvent>(&f.text).unwrap(), fast);
    }
    for f in corpus_frames()
        .iter()
        .filter(|f| f.dialect == FileDialect::Beta)
    {
        let fast = beta::ServerEvent::from_json(&f.text).unwrap();
        assert_eq!(
            serde_json::from_value::<beta::ServerEvent>(f.value.clone()).unwrap(),
            fast
        );
    }
    let err =
        serde_json::from_str::<ClientEvent>(r#"{"type":"conversation.item.delete"}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `item_id`"), "{err}");
}

/// On a beta connection, a type only GA knows is still typed (Azure Voice Live mixes GA names
/// into beta sessions).
#[test]
fn beta_connection_types_ga_only_events() {
    let frame = r#"{"type":"input_audio_buffer.timeout_triggered","event_id":"e","audio_start_ms":1,"audio_end_ms":2,"item_id":"i"}"#;
    let ev = Dialect::Beta.parse_server_event(frame).unwrap();
    assert!(
        matches!(ev, ServerEvent::InputAudioBufferTimeoutTriggered(_)),
        "{ev:?}"
    );
    assert_eq!(
        json(&Dialect::Beta.server_event_to_json(&ev).unwrap()),
        json(frame)
    );
}

/// The borrowed audio delta view agrees with the owned parse and copies nothing.
#[test]
fn audio_delta_ref_agrees_with_owned_parse() {
    let mut seen = 0;
    for f in corpus_frames()
        .iter()
        .chain(cassette_frames().iter())
        .filter(|f| !f.sent)
    {
        let d = match f.dialect {
            FileDialect::Ga => Dialect::Ga,
            FileDialect::Beta => Dialect::Beta,
        };
        match d.parse_audio_delta(&f.text) {
            None => assert!(!matches!(
                d.parse_server_event(&f.text).unwrap(),
                ServerEvent::ResponseOutputAudioDelta(_)
            )),
            Some(r) => {
                let r = r.unwrap();
                assert!(matches!(r.delta, std::borrow::Cow::Borrowed(_)));
                let ServerEvent::ResponseOutputAudioDelta(owned) =
                    d.parse_server_event(&f.text).unwrap()
                else {
                    panic!("{}", f.text)
                };
                assert_eq!(r.into_owned(), owned);
                seen += 1;
            }
        }
    }
    assert!(seen > 464, "{seen}");
    assert!(matches!(
        Dialect::Ga.parse_audio_delta(r#"{"type":"response.output_audio.delta","delta":1}"#),
        Some(Err(rtclient_protocol::Error::InvalidEvent { .. }))
    ));
}

/// GA frames written in the beta dialect and read back give the GA frame again (what a server
/// speaking beta to a beta client relies on). Documented exceptions: GA
/// `conversation.item.created` comes back as `conversation.item.added`, and assistant content
/// typed `text`/`audio` in a GA frame (invalid in GA; the server rejects it, see
/// `ga-openai-history-seeding-with-error.yaml` #4) comes back as `output_text`/`output_audio`.
#[test]
fn ga_frames_survive_the_beta_wire() {
    let mut mismatches = Vec::new();
    let frames = corpus_frames()
        .into_iter()
        .chain(cassette_frames())
        .filter(|f| f.dialect == FileDialect::Ga);
    let mut n = 0;
    for f in frames {
        n += 1;
        let back = if f.sent {
            let ev = Dialect::Ga.parse_client_event(&f.text).unwrap();
            let beta_wire = Dialect::Beta.client_event_to_json(&ev).unwrap();
            let again = Dialect::Beta.parse_client_event(&beta_wire).unwrap();
            json(&Dialect::Ga.client_event_to_json(&again).unwrap())
        } else {
            let ev = Dialect::Ga.parse_server_event(&f.text).unwrap();
            let beta_wire = Dialect::Beta.server_event_to_json(&ev).unwrap();
            let again = Dialect::Beta.parse_server_event(&beta_wire).unwrap();
            json(&Dialect::Ga.server_event_to_json(&again).unwrap())
        };
        let beta_content_in_ga = f.value["item"]["role"] == "assistant"
            && f.value["item"]["content"][0]["type"]
                .as_str()
                .is_some_and(|t| t == "text" || t == "audio");
        if back != f.value && !beta_content_in_ga {
            mismatches.push(format!(
                "{} #{}:\n  in:  {}\n  out: {}",
                f.file, f.index, f.value, back
            ));
        }
    }
    assert!(n > 1000, "{n}");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
