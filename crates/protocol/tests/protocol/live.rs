//! GPT-Live: the real recorded session and every example event of the protocol reference parse
//! into typed variants and write back equal; the typed event lists match the reference's and
//! the pinned openai SDK's `openai.types.live` unions exactly.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use rtclient_protocol::Nullable;
use rtclient_protocol::live::{ClientEvent, ContextKind, ServerEvent};
use serde_json::Value;

use crate::testutil::{fnv, testdata};

fn jsonl(path: PathBuf) -> Vec<Value> {
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The recorded frames (`{"t": ms, "event": {...}}`) as JSON text, as received.
fn recording() -> Vec<String> {
    jsonl(testdata().join("recorded/live-openai-client-delegation.jsonl"))
        .iter()
        .map(|line| serde_json::to_string(&line["event"]).unwrap())
        .collect()
}

/// The reference's example events: `(sent by the client, event)`.
fn reference_events() -> Vec<(bool, Value)> {
    jsonl(testdata().join("live/reference-events.jsonl"))
        .into_iter()
        .map(|l| (l["direction"] == "client", l["event"].clone()))
        .collect()
}

fn round_trip_server(text: &str) -> ServerEvent {
    let event = ServerEvent::from_json(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    assert!(!event.is_unknown(), "untyped: {text}");
    let back: Value = serde_json::from_str(&event.to_json().unwrap()).unwrap();
    assert_eq!(back, serde_json::from_str::<Value>(text).unwrap(), "{text}");
    event
}

fn round_trip_client(text: &str) -> ClientEvent {
    let event = ClientEvent::from_json(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    assert!(!event.is_unknown(), "untyped: {text}");
    let back: Value = serde_json::from_str(&event.to_json().unwrap()).unwrap();
    assert_eq!(back, serde_json::from_str::<Value>(text).unwrap(), "{text}");
    event
}

/// The exact bytes written back for every recorded and reference frame, pinned by a hash per
/// frame, so a change to how Live events are declared or written (the audio fast paths
/// included) cannot change a byte on the wire unnoticed.
#[test]
fn recorded_and_reference_frames_write_the_same_bytes() {
    let mut listing = String::new();
    for (index, frame) in recording().iter().enumerate() {
        let event = ServerEvent::from_json(frame).unwrap();
        let hash = fnv(&event.to_json().unwrap());
        listing.push_str(&format!("recording #{index} {}: {hash}\n", event.kind()));
    }
    for (index, (sent, value)) in reference_events().iter().enumerate() {
        let text = serde_json::to_string(value).unwrap();
        let (kind, written) = if *sent {
            let event = ClientEvent::from_json(&text).unwrap();
            (event.kind().to_owned(), event.to_json().unwrap())
        } else {
            let event = ServerEvent::from_json(&text).unwrap();
            (event.kind().to_owned(), event.to_json().unwrap())
        };
        listing.push_str(&format!("reference #{index} {kind}: {}\n", fnv(&written)));
    }
    insta::assert_snapshot!(listing);
}

#[test]
fn recording_parses_typed_and_round_trips() {
    let frames = recording();
    assert_eq!(frames.len(), 26);
    let mut transcript = String::new();
    let mut delegations = Vec::new();
    for text in &frames {
        let event = round_trip_server(text);
        assert!(
            event.extra().is_some_and(|m| m.is_empty()),
            "fields left untyped: {text}"
        );
        match event {
            ServerEvent::InputTranscriptDelta(d) => {
                assert_eq!(d.end_ms - d.start_ms, 200, "200 ms grid");
                transcript.push_str(&d.delta);
            }
            ServerEvent::DelegationCreated(d) => delegations.push((d.offset_ms, d.delegation.id)),
            ServerEvent::SessionStarted(s) => {
                assert!(s.session.extra.is_empty());
                assert_eq!(s.session.id, "live_u7_EWIVap3oNAAt9nps5I21D6HuuKiHPzMQ");
            }
            _ => {}
        }
    }
    assert_eq!(
        transcript,
        "Please check the deployment status of the staging environment and tell me the result."
    );
    assert_eq!(
        delegations,
        [(4600, "item_EWIVgjaxCfSlntqN73664".to_owned())]
    );
}

#[test]
fn every_reference_example_is_typed_and_round_trips() {
    for (sent, event) in reference_events() {
        let text = serde_json::to_string(&event).unwrap();
        let extra = if sent {
            round_trip_client(&text).extra().cloned()
        } else {
            round_trip_server(&text).extra().cloned()
        };
        assert!(
            extra.is_some_and(|m| m.is_empty()),
            "fields left untyped: {text}"
        );
    }
}

#[test]
fn context_appends_keep_null_delegation_id() {
    let text = r#"{"type":"session.instructions.append","event_id":"e","delegation_id":null,"content":"x"}"#;
    let event = round_trip_client(text);
    let (kind, content, id) = event.as_context_append().unwrap();
    assert_eq!((kind, content), (ContextKind::Instructions, "x"));
    assert_eq!(id, Some(&Nullable::Null));
    // A missing key is told apart from null (the service rejects it).
    let missing =
        ClientEvent::from_json(r#"{"type":"session.thinking.append","content":"x"}"#).unwrap();
    assert_eq!(missing.as_context_append().unwrap().2, None);
    let built = ClientEvent::context_append(ContextKind::Commentary, "y", None);
    assert_eq!(
        built.to_json().unwrap(),
        r#"{"type":"session.commentary.append","content":"y","delegation_id":null}"#
    );
}

#[test]
fn a_known_event_with_wrong_fields_is_an_error_not_unknown() {
    let err = ServerEvent::from_json(r#"{"type":"session.input_transcript.delta","delta":"x"}"#)
        .unwrap_err();
    assert!(matches!(err, rtclient_protocol::Error::InvalidEvent { .. }));
    let unknown = ServerEvent::from_json(r#"{"type":"session.future","x":1}"#).unwrap();
    assert!(unknown.is_unknown());
    assert_eq!(
        unknown.to_json().unwrap(),
        r#"{"type":"session.future","x":1}"#
    );
}

#[test]
fn typed_kinds_cover_the_reference_list() {
    let client: BTreeSet<_> = ClientEvent::KINDS.iter().copied().collect();
    let server: BTreeSet<_> = ServerEvent::KINDS.iter().copied().collect();
    let (mut ref_client, mut ref_server) = (BTreeSet::new(), BTreeSet::new());
    for (sent, event) in reference_events() {
        let kind = event["type"].as_str().unwrap().to_owned();
        if sent {
            ref_client.insert(kind);
        } else {
            ref_server.insert(kind);
        }
    }
    // The reference lists 11 client and 22 server events (sections 5 and 6).
    assert_eq!((ref_client.len(), ref_server.len()), (11, 22));
    for kind in &ref_client {
        assert!(client.contains(kind.as_str()), "client {kind} not typed");
    }
    for kind in &ref_server {
        assert!(server.contains(kind.as_str()), "server {kind} not typed");
    }
}

/// The pinned openai SDK's Python in the conformance venv, which `scripts/test` creates.
fn sdk_python() -> PathBuf {
    let python = testdata().join("../target/conformance-venv/bin/python");
    assert!(
        python.exists(),
        "no conformance venv at target/conformance-venv: run scripts/conformance-venv once \
         (scripts/test does), so this test can read the pinned openai SDK's Live unions"
    );
    python
}

/// Prints the `type` literals of every `openai.types.live` event union, by direction.
const SDK_UNIONS: &str = r#"
import json, typing
import openai.types.live as live
from openai.types.live import connect_server_event, fork_server_event, server_event
def kinds(union):
    members = typing.get_args(typing.get_args(union)[0])
    return [typing.get_args(m.model_fields["type"].annotation)[0] for m in members]
client = kinds(live.ClientEvent) + kinds(live.ConnectClientEvent) + kinds(live.ForkClientEvent)
server = (kinds(server_event.ServerEvent) + kinds(connect_server_event.ConnectServerEvent)
          + kinds(fork_server_event.ForkServerEvent))
print(json.dumps({"client": sorted(set(client)), "server": sorted(set(server))}))
"#;

#[test]
fn typed_kinds_match_the_pinned_sdk_unions() {
    let python = sdk_python();
    let out = Command::new(python)
        .args(["-c", SDK_UNIONS])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sdk: Value = serde_json::from_slice(&out.stdout).unwrap();
    let set = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect()
    };
    let ours =
        |kinds: &[&str]| -> BTreeSet<String> { kinds.iter().map(|k| (*k).to_owned()).collect() };
    assert_eq!(
        ours(ClientEvent::KINDS),
        set(&sdk["client"]),
        "client events"
    );
    assert_eq!(
        ours(ServerEvent::KINDS),
        set(&sdk["server"]),
        "server events"
    );
}
