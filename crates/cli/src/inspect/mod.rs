//! `rtclient inspect LOG`: print a session log, a JSONL of events or a YAML WebSocket cassette.
//!
//! The format is detected from the content: a YAML document with `interactions` (each with
//! `direction` and `data`) is a cassette; otherwise each non-blank line is JSON, either a
//! [session log record](crate::session_log) or a raw event (direction unknown: parsed as a server
//! event, then as a client event). The dialect is `--dialect`, else beta when the file name starts
//! with `beta-` or a beta-only event name appears (`response.audio.delta`,
//! `conversation.item.created`, ...), else GA.
//!
//! A log whose events include a GPT-Live-only type (`session.started`, `session.output_audio.delta`,
//! ...) is read as GPT-Live instead; JSONL lines of the form `{"t": MS, "event": {...}}` (a
//! recorder's format) are read too.
//!
//! Every frame is parsed into the typed model of `rtclient-protocol` and written back in the same
//! dialect; `--strict` fails (exit 1) naming each frame that is not a known event type (`Unknown`),
//! does not parse, or does not come back as equal JSON.

mod live;

use std::path::Path;

use rtclient_protocol::{ClientEvent, Dialect, ServerEvent};
use serde_json::Value;

use crate::exit::CliError;
use crate::printer::{Printed, Printer};
use crate::render::{Event, Renderer};
use crate::session_log::{Direction, Record};
use crate::settings::InspectSettings;

/// Event names only the beta dialect uses.
const BETA_ONLY: &[&str] = &[
    "response.audio.delta",
    "response.audio.done",
    "response.audio_transcript.delta",
    "response.audio_transcript.done",
    "response.text.delta",
    "response.text.done",
    "conversation.item.created",
];

/// One frame of a log.
#[derive(Debug)]
struct Frame {
    /// Where it is: `line N` or `interaction N`.
    place: String,
    /// Seconds since start, when recorded.
    t: Option<f64>,
    /// Which way it went.
    dir: Direction,
    /// The frame as read.
    value: Value,
}

/// What checking one frame found.
#[derive(Debug)]
struct Checked {
    /// The direction, resolved when it was unknown.
    dir: Direction,
    /// The GA type (or the raw type).
    kind: String,
    /// What is rendered: the typed event the frame parsed into (GA form for Realtime).
    shown: Shown,
    /// Why the frame fails `--strict`, if it does.
    problem: Option<String>,
}

/// Reads, checks and prints the log.
pub(crate) fn run(settings: InspectSettings, printer: &Printer) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&settings.path).map_err(|e| {
        CliError::usage(format!("{}: cannot read the log", settings.path.display()))
            .caused_by(&e)
            .hint("check the path")
    })?;
    let frames = read_frames(&settings.path, &text)?;
    let dialect = settings
        .dialect
        .unwrap_or_else(|| guess_dialect(&settings.path, &frames));
    let is_live = live::is_live_log(&frames);
    let family = if is_live {
        "GPT-Live".to_owned()
    } else {
        format!("{} dialect", dialect_name(dialect))
    };
    let mut renderer = Renderer::new();
    let mut problems = Vec::new();
    for frame in &frames {
        let checked = if is_live {
            live::check(frame)
        } else {
            check(dialect, frame)
        };
        if let Some(problem) = &checked.problem {
            problems.push(format!("{}: {} {problem}", frame.place, checked.kind));
        }
        let printed = if settings.json {
            printer.out(&json_line(frame, &checked))
        } else {
            let mut printed = Printed::Ok;
            for line in renderer.push_at(frame.t, checked.dir, checked.event()) {
                printed = printer.out(&line);
            }
            if checked.problem.is_some() && !settings.strict {
                printer.warn(&format!(
                    "{}: {} {}",
                    frame.place,
                    checked.kind,
                    checked.problem.as_deref().unwrap_or("")
                ));
            }
            printed
        };
        if printed == Printed::Closed {
            return Ok(());
        }
    }
    if !settings.json {
        for line in renderer.flush() {
            if printer.out(&line) == Printed::Closed {
                return Ok(());
            }
        }
    }
    if settings.strict && !problems.is_empty() {
        let mut error = CliError::failure(format!(
            "{} of {} frames are not typed or not lossless ({family})",
            problems.len(),
            frames.len(),
        ));
        error.causes = problems;
        return Err(error.hint(
            "run without --strict to see every frame; --dialect ga|beta overrides the guess",
        ));
    }
    printer.note(&format!(
        "{} frames, {family}{}",
        frames.len(),
        if problems.is_empty() {
            String::new()
        } else {
            format!(", {} not typed or not lossless", problems.len())
        }
    ));
    Ok(())
}

fn dialect_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Ga => "GA",
        Dialect::Beta => "beta",
    }
}

/// Splits the file into frames, detecting the format.
fn read_frames(path: &Path, text: &str) -> Result<Vec<Frame>, CliError> {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    let Some(first) = first else {
        return Err(CliError::usage(format!(
            "{}: the log is empty",
            path.display()
        )));
    };
    if !first.starts_with('{') {
        return read_cassette(path, text);
    }
    let mut frames = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let place = format!("line {}", n + 1);
        let value: Value = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(e) => Value::String(format!("not JSON ({e})")),
        };
        frames.push(match Record::from_value(&value) {
            Some(record) => Frame {
                place,
                t: Some(record.t),
                dir: record.dir,
                value: record.frame,
            },
            None if value["event"].is_object() && value["t"].is_number() => Frame {
                place,
                t: value["t"].as_f64().map(|ms| ms / 1000.0),
                dir: Direction::Unknown,
                value: value["event"].clone(),
            },
            None => Frame {
                place,
                t: None,
                dir: Direction::Unknown,
                value,
            },
        });
    }
    Ok(frames)
}

fn read_cassette(path: &Path, text: &str) -> Result<Vec<Frame>, CliError> {
    let unsupported = || {
        CliError::usage(format!("{}: not a log this command reads", path.display())).hint(
            "expected JSONL (our session log or one event per line) or a YAML cassette with `interactions`",
        )
    };
    let doc: Value = serde_norway::from_str(text).map_err(|e| unsupported().caused_by(&e))?;
    let interactions = doc["interactions"].as_array().ok_or_else(unsupported)?;
    Ok(interactions
        .iter()
        .enumerate()
        .map(|(n, it)| Frame {
            place: format!("interaction {n}"),
            t: None,
            dir: match it["direction"].as_str() {
                Some("sent") => Direction::Sent,
                Some("received") => Direction::Received,
                _ => Direction::Unknown,
            },
            value: it["data"].clone(),
        })
        .collect())
}

fn guess_dialect(path: &Path, frames: &[Frame]) -> Dialect {
    let named_beta = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("beta-"));
    let has_beta_event = frames.iter().any(|f| {
        f.value["type"]
            .as_str()
            .is_some_and(|t| BETA_ONLY.contains(&t))
    });
    if named_beta || has_beta_event {
        Dialect::Beta
    } else {
        Dialect::Ga
    }
}

/// Parses one frame in `dialect`, writes it back and compares.
fn check(dialect: Dialect, frame: &Frame) -> Checked {
    let raw_kind = frame.value["type"].as_str().unwrap_or("?").to_owned();
    let text = match &frame.value {
        Value::Object(_) => frame.value.to_string(),
        Value::String(why) if why.starts_with("not JSON") => {
            return problem(frame.dir, raw_kind, why.clone());
        }
        _ => return problem(frame.dir, raw_kind, "is not a JSON object".to_owned()),
    };
    let parsed = match parse(dialect, frame.dir, &text) {
        Ok(parsed) => parsed,
        Err(e) => {
            let why = with_sources(&e);
            return problem(frame.dir, raw_kind, format!("does not parse: {why}"));
        }
    };
    let (dir, kind, unknown, back) = match &parsed {
        Parsed::Server(ev) => (
            Direction::Received,
            ev.kind().to_owned(),
            ev.is_unknown(),
            dialect.server_event_to_json(ev).ok(),
        ),
        Parsed::Client(ev) => (
            Direction::Sent,
            ev.kind().to_owned(),
            ev.is_unknown(),
            dialect.client_event_to_json(ev).ok(),
        ),
    };
    let dir = if frame.dir == Direction::Unknown && unknown {
        Direction::Unknown
    } else {
        dir
    };
    let problem = if unknown {
        Some("is not a known event type".to_owned())
    } else {
        round_trip_problem(&frame.value, back.as_deref())
    };
    Checked {
        dir,
        kind,
        shown: Shown::Realtime(parsed),
        problem,
    }
}

/// Parses `text` as a server event when it was received, a client event when it was sent, and
/// when the direction is unknown as whichever of the two knows its type.
fn parse(dialect: Dialect, dir: Direction, text: &str) -> Result<Parsed, rtclient_protocol::Error> {
    let server = || {
        dialect
            .parse_server_event(text)
            .map(|e| Parsed::Server(Box::new(e)))
    };
    let client = || {
        dialect
            .parse_client_event(text)
            .map(|c| Parsed::Client(Box::new(c)))
    };
    match dir {
        Direction::Received => server(),
        Direction::Sent => client(),
        Direction::Unknown => match server() {
            Ok(Parsed::Server(ev)) if ev.is_unknown() => match client() {
                Ok(Parsed::Client(c)) if !c.is_unknown() => Ok(Parsed::Client(c)),
                // A client event type whose fields do not fit: report that, not "unknown".
                Err(e) => Err(e),
                _ => Ok(Parsed::Server(ev)),
            },
            Ok(ev) => Ok(ev),
            Err(e) => match client() {
                Ok(Parsed::Client(c)) if !c.is_unknown() => Ok(Parsed::Client(c)),
                _ => Err(e),
            },
        },
    }
}

/// `error` followed by each of its sources, `: `-separated.
fn with_sources(error: &rtclient_protocol::Error) -> String {
    let mut why = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        why.push_str(&format!(": {s}"));
        source = s.source();
    }
    why
}

/// What keeps `value` from round-tripping as `back`, the JSON it was written back as (`None`
/// when it could not be).
fn round_trip_problem(value: &Value, back: Option<&str>) -> Option<String> {
    match back.and_then(|b| serde_json::from_str::<Value>(b).ok()) {
        None => Some("could not be written back".to_owned()),
        Some(back) => first_difference("", value, &back)
            .map(|path| format!("does not round-trip losslessly (differs at {path})")),
    }
}

/// What a frame is rendered from: the typed event it parsed into, if it did.
#[derive(Debug)]
enum Shown {
    /// A Realtime event.
    Realtime(Parsed),
    /// A GPT-Live server event.
    LiveServer(Box<rtclient_protocol::live::ServerEvent>),
    /// A GPT-Live client event.
    LiveClient(Box<rtclient_protocol::live::ClientEvent>),
    /// A frame that does not parse.
    Unparsed,
}

/// A frame parsed as a server or a client event.
#[derive(Debug)]
enum Parsed {
    Server(Box<ServerEvent>),
    Client(Box<ClientEvent>),
}

impl Checked {
    /// The event to render.
    fn event(&self) -> Event<'_> {
        match &self.shown {
            Shown::Realtime(Parsed::Server(e)) => Event::Server(e),
            Shown::Realtime(Parsed::Client(e)) => Event::Client(e),
            Shown::LiveServer(e) => Event::LiveServer(e),
            Shown::LiveClient(e) => Event::LiveClient(e),
            Shown::Unparsed => Event::Unparsed(&self.kind),
        }
    }
}

fn problem(dir: Direction, kind: String, why: String) -> Checked {
    Checked {
        dir,
        kind,
        shown: Shown::Unparsed,
        problem: Some(why),
    }
}

/// The JSON path of the first difference between `a` and `b`, if any.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                let here = format!("{path}.{key}");
                match y.get(key) {
                    None => return Some(format!("{here} (dropped)")),
                    Some(other) => {
                        if let Some(d) = first_difference(&here, value, other) {
                            return Some(d);
                        }
                    }
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{path}.{k} (added)"))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(&format!("{path}[{i}]"), p, q)),
        _ if a == b => None,
        _ => Some(if path.is_empty() {
            "$".to_owned()
        } else {
            path.to_owned()
        }),
    }
}

/// One `--json` line: place, time, direction, type, checks, summary and the frame.
fn json_line(frame: &Frame, checked: &Checked) -> String {
    let mut object = serde_json::Map::new();
    object.insert("at".to_owned(), Value::from(frame.place.clone()));
    if let Some(t) = frame.t {
        object.insert("t".to_owned(), Value::from(t));
    }
    object.insert(
        "dir".to_owned(),
        checked.dir.as_str().map_or(Value::Null, Value::from),
    );
    object.insert("type".to_owned(), Value::from(checked.kind.clone()));
    object.insert("ok".to_owned(), Value::from(checked.problem.is_none()));
    if let Some(problem) = &checked.problem {
        object.insert("problem".to_owned(), Value::from(problem.clone()));
    }
    let mut renderer = Renderer::new();
    let mut summary = renderer.push(checked.dir, checked.event());
    summary.extend(renderer.flush());
    object.insert("summary".to_owned(), Value::from(summary.join(" ")));
    object.insert("frame".to_owned(), frame.value.clone());
    Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn differences_are_located() {
        assert_eq!(first_difference("", &json!({"a":1}), &json!({"a":1})), None);
        assert_eq!(
            first_difference("", &json!({"a":{"b":1}}), &json!({"a":{"b":2}})).as_deref(),
            Some(".a.b")
        );
        assert_eq!(
            first_difference("", &json!({"a":1,"b":2}), &json!({"a":1})).as_deref(),
            Some(".b (dropped)")
        );
    }
}
