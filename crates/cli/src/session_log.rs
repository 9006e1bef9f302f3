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

use serde_json::Value;

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
