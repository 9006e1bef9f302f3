//! The JSONL session log that `send --record` writes and `inspect` reads.
//!
//! One JSON object per line, in the order frames were sent or received:
//!
//! ```text
//! {"t":0.000,"dir":"received","frame":{"type":"session.created","event_id":"...","session":{...}}}
//! {"t":0.012,"dir":"sent","frame":{"type":"session.update","session":{...}}}
//! {"t":0.113,"dir":"sent","frame":{"type":"input_audio_buffer.append","audio":"..."}}
//! ```
//!
//! - `t`: seconds since the connection opened (a float, millisecond precision or better).
//! - `dir`: `"sent"` (client to server) or `"received"` (server to client).
//! - `frame`: the event exactly as it was on the wire, as a JSON object (not a string).
//!
//! The dialect is not stored: `inspect` guesses it from the event names (or takes `--dialect`).
//! Blank lines are ignored.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::exit::CliError;

/// A session log being written (`send --record`), from the conversation's frame hook; without
/// a path it writes nothing.
#[derive(Debug, Clone)]
pub(crate) struct Log {
    file: Option<Arc<Mutex<File>>>,
    start: std::time::Instant,
}

impl Log {
    /// Creates the log at `path`, or none (exit 2 when it cannot be created).
    pub(crate) fn create(path: Option<&Path>) -> Result<Self, CliError> {
        let file = match path {
            None => None,
            Some(path) => Some(Arc::new(Mutex::new(File::create(path).map_err(|e| {
                CliError::usage(format!("{}: cannot create the session log", path.display()))
                    .caused_by(&e)
            })?))),
        };
        Ok(Self {
            file,
            start: std::time::Instant::now(),
        })
    }

    /// Appends one frame, timed from the log's creation.
    pub(crate) fn write(&self, dir: Direction, text: &str) {
        let Some(file) = &self.file else { return };
        let frame: Value = serde_json::from_str(text).unwrap_or(Value::String(text.to_owned()));
        let line = Record {
            t: self.start.elapsed().as_secs_f64(),
            dir,
            frame,
        }
        .to_line();
        if let Ok(mut file) = file.lock() {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Client to server.
    Sent,
    /// Server to client.
    Received,
    /// Not recorded (a plain JSONL of events).
    Unknown,
}

impl Direction {
    /// The `dir` value, or `None` when unknown.
    pub(crate) fn as_str(self) -> Option<&'static str> {
        match self {
            Direction::Sent => Some("sent"),
            Direction::Received => Some("received"),
            Direction::Unknown => None,
        }
    }
}

/// One line of a session log.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    /// Seconds since the connection opened.
    pub(crate) t: f64,
    /// Which way the frame went.
    pub(crate) dir: Direction,
    /// The frame.
    pub(crate) frame: Value,
}

impl Record {
    /// Reads a record from a parsed line: an object with `dir` (`sent`/`received`) and an object
    /// `frame`. Returns `None` for anything else (e.g. a raw event).
    pub(crate) fn from_value(value: &Value) -> Option<Record> {
        let object = value.as_object()?;
        let frame = object.get("frame").filter(|f| f.is_object())?.clone();
        let dir = match object.get("dir")?.as_str()? {
            "sent" => Direction::Sent,
            "received" => Direction::Received,
            _ => return None,
        };
        let t = object.get("t").and_then(Value::as_f64).unwrap_or(0.0);
        Some(Record { t, dir, frame })
    }

    /// The line to write (no trailing newline).
    pub(crate) fn to_line(&self) -> String {
        format!(
            r#"{{"t":{},"dir":"{}","frame":{}}}"#,
            Value::from((self.t * 1e6).round() / 1e6),
            self.dir.as_str().unwrap_or("received"),
            self.frame
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let record = Record {
            t: 1.25,
            dir: Direction::Sent,
            frame: serde_json::json!({"type": "response.create"}),
        };
        let line = record.to_line();
        assert_eq!(
            line,
            r#"{"t":1.25,"dir":"sent","frame":{"type":"response.create"}}"#
        );
        let back = Record::from_value(&serde_json::from_str(&line).unwrap()).unwrap();
        assert_eq!(back, record);
        assert!(Record::from_value(&serde_json::json!({"type": "x"})).is_none());
    }
}
