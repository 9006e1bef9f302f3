//! Events as readable lines: one line per event with its useful fields, deltas coalesced.
//!
//! ```text
//! ← session.created sess_1 model=gpt-realtime vad=server_vad(0.5,300ms,200ms)
//! → session.update instructions="Be brief." vad=none
//! → input_audio_buffer.append ×25 120000 B
//! ← response.output_audio.delta resp_1 item_2 ×12 57600 B
//! ← response.output_audio_transcript.delta item_2 "Hello there!"
//! ← response.done resp_1 completed out=1 tokens=120/85
//! ```
//!
//! Consecutive audio deltas of one item (and `input_audio_buffer.append` frames) are summed;
//! consecutive text, transcript and argument deltas of one item are joined into one line.
//! [`Renderer`] works on the GA form of an event (beta frames are translated first), so both
//! dialects print the same.

use serde_json::Value;

use crate::session_log::Direction;

/// Longest quoted text shown before it is cut with `…`.
const MAX_TEXT: usize = 100;

/// A run of deltas being coalesced.
#[derive(Debug)]
struct Pending {
    dir: Direction,
    kind: String,
    key: String,
    prefix: String,
    count: usize,
    bytes: usize,
    text: Option<String>,
}

/// Turns a sequence of events into lines, coalescing runs of deltas.
///
/// Deltas of one item may interleave (audio and its transcript): each kind gets its own
/// pending run while they share the item; anything else flushes the runs in the order they
/// started.
#[derive(Debug, Default)]
pub(crate) struct Renderer {
    pending: Vec<Pending>,
}

impl Renderer {
    /// A renderer with nothing pending.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds one event (`kind` is its GA type, `event` its GA JSON) and returns the lines that
    /// are complete now.
    pub(crate) fn push(&mut self, dir: Direction, kind: &str, event: &Value) -> Vec<String> {
        self.push_at(None, dir, kind, event)
    }

    /// Like [`push`](Self::push), with the event's time (seconds since the session started)
    /// shown first; a coalesced run shows the time of its first delta.
    pub(crate) fn push_at(
        &mut self,
        t: Option<f64>,
        dir: Direction,
        kind: &str,
        event: &Value,
    ) -> Vec<String> {
        let stamp = t.map(|t| format!("{t:8.3}s ")).unwrap_or_default();
        let mut lines = Vec::new();
        if let Some((key, bytes, text)) = delta_parts(kind, event) {
            if let Some(p) = self
                .pending
                .iter_mut()
                .find(|p| p.dir == dir && p.kind == kind && p.key == key)
            {
                p.count += 1;
                p.bytes += bytes;
                if let (Some(all), Some(more)) = (&mut p.text, text) {
                    all.push_str(more);
                }
                return lines;
            }
            if self.pending.iter().any(|p| p.dir != dir || p.key != key) {
                lines.extend(self.flush());
            }
            self.pending.push(Pending {
                dir,
                kind: kind.to_owned(),
                prefix: format!("{stamp}{} {kind}{}", arrow(dir), ids(event)),
                key,
                count: 1,
                bytes,
                text: text.map(str::to_owned),
            });
            return lines;
        }
        lines.extend(self.flush());
        lines.push(format!("{stamp}{}", line(dir, kind, event)));
        lines
    }

    /// Flushes every pending run of deltas.
    pub(crate) fn flush(&mut self) -> Vec<String> {
        self.pending.drain(..).map(Pending::into_line).collect()
    }
}

impl Pending {
    fn into_line(self) -> String {
        let mut out = self.prefix;
        if self.count > 1 {
            out.push_str(&format!(" ×{}", self.count));
        }
        match self.text {
            Some(text) => {
                out.push(' ');
                out.push_str(&quote(&text));
            }
            None => out.push_str(&format!(" {} B", self.bytes)),
        }
        out
    }
}

/// The arrow for a direction.
fn arrow(dir: Direction) -> &'static str {
    match dir {
        Direction::Sent => "→",
        Direction::Received => "←",
        Direction::Unknown => "·",
    }
}

/// For delta events: the coalescing key, audio bytes, and text piece.
fn delta_parts<'a>(kind: &str, event: &'a Value) -> Option<(String, usize, Option<&'a str>)> {
    let item = event["item_id"].as_str().unwrap_or("");
    match kind {
        "response.output_audio.delta" => Some((
            item.to_owned(),
            base64_len(event["delta"].as_str().unwrap_or("")),
            None,
        )),
        "input_audio_buffer.append" => Some((
            String::new(),
            base64_len(event["audio"].as_str().unwrap_or("")),
            None,
        )),
        "response.output_audio_transcript.delta"
        | "response.output_text.delta"
        | "response.function_call_arguments.delta"
        | "response.mcp_call_arguments.delta"
        | "conversation.item.input_audio_transcription.delta" => Some((
            item.to_owned(),
            0,
            Some(event["delta"].as_str().unwrap_or("")),
        )),
        _ => None,
    }
}

/// Decoded length of a base64 string, without decoding it.
pub(crate) fn base64_len(text: &str) -> usize {
    let padding = text.bytes().rev().take_while(|&b| b == b'=').count().min(2);
    (text.len() / 4 * 3).saturating_sub(padding)
}

/// ` resp_x item_y` (and call id) when present.
fn ids(event: &Value) -> String {
    let mut out = String::new();
    for key in ["response_id", "item_id", "call_id"] {
        if let Some(id) = event[key].as_str() {
            out.push(' ');
            out.push_str(id);
        }
    }
    out
}

/// Quotes and cuts text for one line.
fn quote(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cut: String = flat.chars().take(MAX_TEXT).collect();
    if cut.len() < flat.len() {
        format!("\"{cut}…\"")
    } else {
        format!("\"{cut}\"")
    }
}

/// One event's line.
fn line(dir: Direction, kind: &str, event: &Value) -> String {
    let mut out = format!("{} {kind}", arrow(dir));
    let fields = fields(kind, event);
    if !fields.is_empty() {
        out.push(' ');
        out.push_str(&fields);
    }
    out
}

/// The useful fields of an event, space separated.
fn fields(kind: &str, e: &Value) -> String {
    let mut f: Vec<String> = Vec::new();
    let s = |v: &Value| v.as_str().map(str::to_owned);
    match kind {
        "session.created" | "session.updated" | "session.update" => {
            session_fields(&e["session"], &mut f)
        }
        "error" => {
            let err = &e["error"];
            for key in ["type", "code"] {
                if let Some(v) = s(&err[key]) {
                    f.push(v);
                }
            }
            if let Some(m) = s(&err["message"]) {
                f.push(quote(&m));
            }
            if let Some(p) = s(&err["param"]) {
                f.push(format!("param={p}"));
            }
            if let Some(id) = s(&err["event_id"]) {
                f.push(format!("caused_by={id}"));
            }
        }
        "conversation.item.added"
        | "conversation.item.done"
        | "conversation.item.created"
        | "conversation.item.retrieved"
        | "conversation.item.create"
        | "response.output_item.added"
        | "response.output_item.done" => item_fields(&e["item"], &mut f),
        "response.created" | "response.done" => response_fields(&e["response"], &mut f),
        "response.create" => {
            let r = &e["response"];
            if let Some(m) = r["output_modalities"].as_array() {
                let m: Vec<_> = m.iter().filter_map(Value::as_str).collect();
                f.push(format!("modalities={}", m.join(",")));
            }
            if let Some(i) = s(&r["instructions"]) {
                f.push(format!("instructions={}", quote(&i)));
            }
        }
        "input_audio_buffer.speech_started" => {
            f.push(ids(e).trim().to_owned());
            f.push(format!("at={}ms", e["audio_start_ms"]));
        }
        "input_audio_buffer.speech_stopped" => {
            f.push(ids(e).trim().to_owned());
            f.push(format!("at={}ms", e["audio_end_ms"]));
        }
        "conversation.item.input_audio_transcription.completed"
        | "response.output_audio_transcript.done" => {
            f.push(ids(e).trim().to_owned());
            f.push(quote(e["transcript"].as_str().unwrap_or("")));
        }
        "response.output_text.done" => {
            f.push(ids(e).trim().to_owned());
            f.push(quote(e["text"].as_str().unwrap_or("")));
        }
        "conversation.item.input_audio_transcription.failed" => {
            f.push(ids(e).trim().to_owned());
            if let Some(m) = s(&e["error"]["message"]) {
                f.push(quote(&m));
            }
        }
        "response.function_call_arguments.done" => {
            f.push(ids(e).trim().to_owned());
            if let Some(n) = s(&e["name"]) {
                f.push(n);
            }
            f.push(quote(e["arguments"].as_str().unwrap_or("")));
        }
        "rate_limits.updated" => {
            for limit in e["rate_limits"].as_array().into_iter().flatten() {
                f.push(format!(
                    "{}={}/{}",
                    limit["name"].as_str().unwrap_or("?"),
                    limit["remaining"],
                    limit["limit"]
                ));
            }
        }
        "conversation.item.truncate" | "conversation.item.truncated" => {
            f.push(ids(e).trim().to_owned());
            f.push(format!("at={}ms", e["audio_end_ms"]));
        }
        _ => f.push(ids(e).trim().to_owned()),
    }
    f.retain(|x| !x.is_empty());
    f.join(" ")
}

fn session_fields(session: &Value, f: &mut Vec<String>) {
    if let Some(id) = session["id"].as_str() {
        f.push(id.to_owned());
    }
    if let Some(model) = session["model"].as_str() {
        f.push(format!("model={model}"));
    }
    if let Some(i) = session["instructions"].as_str() {
        f.push(format!("instructions={}", quote(i)));
    }
    let audio = &session["audio"];
    if let Some(voice) = audio["output"]["voice"].as_str() {
        f.push(format!("voice={voice}"));
    }
    let input = &audio["input"];
    if let Some(format) = input["format"]["type"].as_str() {
        f.push(format!("in={format}"));
    }
    if let Some(td) = input.get("turn_detection") {
        f.push(format!("vad={}", vad(td)));
    }
    if let Some(model) = input["transcription"]["model"].as_str() {
        f.push(format!("transcribe={model}"));
    }
    if let Some(tools) = session["tools"].as_array()
        && !tools.is_empty()
    {
        let names: Vec<_> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
        f.push(format!("tools={}", names.join(",")));
    }
}

/// `server_vad(0.5,300ms,200ms)`, `semantic_vad(auto)` or `none`.
fn vad(td: &Value) -> String {
    match td["type"].as_str() {
        None => "none".to_owned(),
        Some("server_vad") => {
            let mut parts = Vec::new();
            if let Some(t) = td["threshold"].as_f64() {
                parts.push(t.to_string());
            }
            for key in ["prefix_padding_ms", "silence_duration_ms"] {
                if let Some(ms) = td[key].as_u64() {
                    parts.push(format!("{ms}ms"));
                }
            }
            format!("server_vad({})", parts.join(","))
        }
        Some("semantic_vad") => format!(
            "semantic_vad({})",
            td["eagerness"].as_str().unwrap_or("auto")
        ),
        Some(other) => other.to_owned(),
    }
}

fn item_fields(item: &Value, f: &mut Vec<String>) {
    if let Some(id) = item["id"].as_str() {
        f.push(id.to_owned());
    }
    let kind = item["type"].as_str().unwrap_or("?");
    match kind {
        "message" => f.push(format!("message/{}", item["role"].as_str().unwrap_or("?"))),
        "function_call" => f.push(format!(
            "function_call {} {}",
            item["name"].as_str().unwrap_or("?"),
            item["call_id"].as_str().unwrap_or("")
        )),
        "function_call_output" => f.push(format!(
            "function_call_output {}",
            item["call_id"].as_str().unwrap_or("")
        )),
        other => f.push(other.to_owned()),
    }
    if let Some(status) = item["status"].as_str() {
        f.push(status.to_owned());
    }
    for part in item["content"].as_array().into_iter().flatten() {
        let text = part["text"]
            .as_str()
            .or_else(|| part["transcript"].as_str());
        match text {
            Some(t) if !t.is_empty() => f.push(quote(t)),
            _ => {}
        }
    }
    if let Some(out) = item["output"].as_str() {
        f.push(quote(out));
    }
}

fn response_fields(r: &Value, f: &mut Vec<String>) {
    if let Some(id) = r["id"].as_str() {
        f.push(id.to_owned());
    }
    if let Some(status) = r["status"].as_str() {
        f.push(status.to_owned());
    }
    let details = &r["status_details"];
    if let Some(reason) = details["reason"].as_str() {
        f.push(format!("reason={reason}"));
    }
    if let Some(m) = details["error"]["message"].as_str() {
        f.push(quote(m));
    }
    if let Some(out) = r["output"].as_array() {
        f.push(format!("out={}", out.len()));
    }
    // A failed response may carry an empty `usage` object: no token counts to show.
    let usage = &r["usage"];
    if usage["input_tokens"].is_number() || usage["output_tokens"].is_number() {
        f.push(format!(
            "tokens={}/{}",
            usage["input_tokens"], usage["output_tokens"]
        ));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn audio_deltas_are_summed() {
        let mut r = Renderer::new();
        let d = json!({"type":"response.output_audio.delta","response_id":"r1","item_id":"i1","delta":"AAAA"});
        assert!(
            r.push(Direction::Received, "response.output_audio.delta", &d)
                .is_empty()
        );
        assert!(
            r.push(Direction::Received, "response.output_audio.delta", &d)
                .is_empty()
        );
        let done = json!({"type":"response.output_audio.done","response_id":"r1","item_id":"i1"});
        let lines = r.push(Direction::Received, "response.output_audio.done", &done);
        assert_eq!(lines[0], "← response.output_audio.delta r1 i1 ×2 6 B");
        assert_eq!(lines[1], "← response.output_audio.done r1 i1");
        assert!(r.flush().is_empty());
    }

    #[test]
    fn transcript_deltas_are_joined() {
        let mut r = Renderer::new();
        for piece in ["Hel", "lo"] {
            let d = json!({"item_id":"i1","delta":piece});
            r.push(
                Direction::Received,
                "response.output_audio_transcript.delta",
                &d,
            );
        }
        assert_eq!(
            r.flush(),
            vec!["← response.output_audio_transcript.delta i1 ×2 \"Hello\"".to_owned()]
        );
    }

    #[test]
    fn interleaved_audio_and_transcript_of_one_item_are_two_lines() {
        let mut r = Renderer::new();
        let audio = json!({"item_id":"i1","delta":"AAAA"});
        let text = |t: &str| json!({"item_id":"i1","delta":t});
        let mut lines = Vec::new();
        lines.extend(r.push(Direction::Received, "response.output_audio.delta", &audio));
        lines.extend(r.push(
            Direction::Received,
            "response.output_audio_transcript.delta",
            &text("Hi "),
        ));
        lines.extend(r.push(Direction::Received, "response.output_audio.delta", &audio));
        lines.extend(r.push(
            Direction::Received,
            "response.output_audio_transcript.delta",
            &text("there"),
        ));
        lines.extend(r.push(
            Direction::Received,
            "response.output_audio.delta",
            &json!({"item_id":"i2","delta":"AAAA"}),
        ));
        lines.extend(r.flush());
        assert_eq!(
            lines,
            vec![
                "← response.output_audio.delta i1 ×2 6 B".to_owned(),
                "← response.output_audio_transcript.delta i1 ×2 \"Hi there\"".to_owned(),
                "← response.output_audio.delta i2 3 B".to_owned(),
            ]
        );
    }

    #[test]
    fn session_update_shows_vad() {
        let e = json!({"session":{"type":"realtime","instructions":"Be brief.","audio":{"input":{"turn_detection":{"type":"server_vad","threshold":0.5,"prefix_padding_ms":300,"silence_duration_ms":200}}}}});
        let mut r = Renderer::new();
        let lines = r.push(Direction::Sent, "session.update", &e);
        assert_eq!(
            lines[0],
            "→ session.update instructions=\"Be brief.\" vad=server_vad(0.5,300ms,200ms)"
        );
    }

    #[test]
    fn response_done_shows_tokens_only_when_counted() {
        let mut r = Renderer::new();
        let completed = json!({"response":{"id":"r1","status":"completed","output":[],"usage":{"input_tokens":20,"output_tokens":23}}});
        let failed = json!({"response":{"id":"r2","status":"failed","status_details":{"type":"failed","error":{"type":"server_error","message":"Boom."}},"output":[],"usage":{}}});
        assert_eq!(
            r.push(Direction::Received, "response.done", &completed),
            vec!["← response.done r1 completed out=0 tokens=20/23".to_owned()]
        );
        assert_eq!(
            r.push(Direction::Received, "response.done", &failed),
            vec!["← response.done r2 failed \"Boom.\" out=0".to_owned()]
        );
    }

    #[test]
    fn times_lead_the_line() {
        let mut r = Renderer::new();
        let lines = r.push_at(Some(1.5), Direction::Sent, "response.create", &json!({}));
        assert_eq!(lines, vec!["   1.500s → response.create".to_owned()]);
    }

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_len(""), 0);
        assert_eq!(base64_len("AAAA"), 3);
        assert_eq!(base64_len("AAA="), 2);
        assert_eq!(base64_len("AA=="), 1);
    }
}
