//! The exact bytes both dialects write for every frame of the recorded sessions and the corpus,
//! pinned by a hash per frame and output, so a change to how events are declared or translated
//! cannot change a byte on the wire unnoticed.
//!
//! Each frame is parsed in its own dialect into the GA model and written back in both
//! dialects (through [`Dialect`], fast paths included, and through the translation functions and the beta enums directly).

use rtclient_protocol::beta::translate;
use rtclient_protocol::{ClientEvent, Dialect, ServerEvent, beta};

use crate::testutil::{FileDialect, Frame, cassette_frames, client_events, corpus_frames, fnv};

fn dialect(f: &Frame) -> Dialect {
    match f.dialect {
        FileDialect::Ga => Dialect::Ga,
        FileDialect::Beta => Dialect::Beta,
    }
}

/// The outputs of one frame, named, as hashes.
fn outputs(f: &Frame) -> Vec<(&'static str, String)> {
    let d = dialect(f);
    let mut out = Vec::new();
    if f.sent {
        let model = d.parse_client_event(&f.text).unwrap();
        out.push(("ga", Dialect::Ga.client_event_to_json(&model).unwrap()));
        out.push(("beta", Dialect::Beta.client_event_to_json(&model).unwrap()));
        if f.dialect == FileDialect::Beta {
            let own = beta::ClientEvent::from_json(&f.text).unwrap();
            out.push(("own", own.to_json().unwrap()));
            out.push(("to_ga", translate::client_to_ga(own).to_json().unwrap()));
        } else {
            out.push((
                "own",
                ClientEvent::from_json(&f.text).unwrap().to_json().unwrap(),
            ));
        }
        out.push((
            "to_beta",
            translate::client_to_beta(model).unwrap().to_json().unwrap(),
        ));
    } else {
        let model = d.parse_server_event(&f.text).unwrap();
        out.push(("ga", Dialect::Ga.server_event_to_json(&model).unwrap()));
        out.push(("beta", Dialect::Beta.server_event_to_json(&model).unwrap()));
        if f.dialect == FileDialect::Beta {
            let own = beta::ServerEvent::from_json(&f.text).unwrap();
            out.push(("own", own.to_json().unwrap()));
            out.push(("to_ga", translate::server_to_ga(own).to_json().unwrap()));
        } else {
            out.push((
                "own",
                ServerEvent::from_json(&f.text).unwrap().to_json().unwrap(),
            ));
        }
        out.push((
            "to_beta",
            translate::server_to_beta(model).unwrap().to_json().unwrap(),
        ));
    }
    out.into_iter()
        .map(|(name, json)| (name, fnv(&json)))
        .collect()
}

fn listing(frames: &[Frame]) -> String {
    let mut text = String::new();
    for f in frames {
        let hashes: Vec<String> = outputs(f)
            .into_iter()
            .map(|(name, hash)| format!("{name}={hash}"))
            .collect();
        text.push_str(&format!(
            "{} #{} {}: {}\n",
            f.file,
            f.index,
            f.value["type"].as_str().unwrap_or("?"),
            hashes.join(" ")
        ));
    }
    text
}

#[test]
fn recorded_sessions_write_the_same_bytes() {
    insta::assert_snapshot!(listing(&cassette_frames()));
}

#[test]
fn corpus_writes_the_same_bytes() {
    let mut frames = corpus_frames();
    let client = client_events();
    for (index, (name, value)) in client.as_object().unwrap().iter().enumerate() {
        let dialect = if name.ends_with(".beta") {
            FileDialect::Beta
        } else {
            FileDialect::Ga
        };
        frames.push(Frame {
            file: format!("client_events.json[{name}]"),
            index,
            dialect,
            sent: true,
            text: serde_json::to_string(value).unwrap(),
            value: value.clone(),
        });
    }
    insta::assert_snapshot!(listing(&frames));
}
