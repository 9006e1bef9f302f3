//! GPT-Live logs for `rtclient inspect`: a log is Live when one of its event types exists only
//! in GPT-Live; its frames are then checked against the Live event family.

use rtclient_protocol::live;
use serde_json::Value;

use super::{Checked, Frame, Shown, first_difference, problem};
use crate::session_log::Direction;

/// Event types that exist in GPT-Live and not in Realtime.
fn live_only(kind: &str) -> bool {
    let realtime = rtclient_protocol::ServerEvent::KINDS
        .iter()
        .chain(rtclient_protocol::ClientEvent::KINDS)
        .any(|k| *k == kind);
    let live = live::ServerEvent::KINDS
        .iter()
        .chain(live::ClientEvent::KINDS)
        .any(|k| *k == kind);
    live && !realtime
}

/// Whether the frames are a GPT-Live session.
pub(super) fn is_live_log(frames: &[Frame]) -> bool {
    frames
        .iter()
        .any(|f| f.value["type"].as_str().is_some_and(live_only))
}

/// Parses one frame as a Live event (server events first when the direction is unknown),
/// writes it back and compares.
pub(super) fn check(frame: &Frame) -> Checked {
    let raw_kind = frame.value["type"].as_str().unwrap_or("?").to_owned();
    let Value::Object(_) = &frame.value else {
        return problem(frame.dir, raw_kind, "is not a JSON object".to_owned());
    };
    let text = frame.value.to_string();
    let server = || {
        live::ServerEvent::from_json(&text).map(|e| {
            let (unknown, back) = (e.is_unknown(), e.to_json());
            (
                Direction::Received,
                unknown,
                back,
                Shown::LiveServer(Box::new(e)),
            )
        })
    };
    let client = || {
        live::ClientEvent::from_json(&text).map(|e| {
            let (unknown, back) = (e.is_unknown(), e.to_json());
            (
                Direction::Sent,
                unknown,
                back,
                Shown::LiveClient(Box::new(e)),
            )
        })
    };
    let parsed = match frame.dir {
        Direction::Received => server(),
        Direction::Sent => client(),
        Direction::Unknown => match server() {
            Ok((_, true, ..)) | Err(_) => client().or_else(|_| server()),
            ok => ok,
        },
    };
    let (dir, unknown, back, shown) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let source = std::error::Error::source(&e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            return problem(frame.dir, raw_kind, format!("does not parse: {e}{source}"));
        }
    };
    let problem = if unknown {
        Some("is not a known GPT-Live event type".to_owned())
    } else {
        match back
            .ok()
            .and_then(|b| serde_json::from_str::<Value>(&b).ok())
        {
            None => Some("could not be written back".to_owned()),
            Some(back) => first_difference("", &frame.value, &back)
                .map(|path| format!("does not round-trip losslessly (differs at {path})")),
        }
    };
    Checked {
        dir,
        kind: raw_kind,
        shown,
        problem,
    }
}
