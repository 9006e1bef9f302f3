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
//! [`Renderer`] works on typed events ([`Event`]): Realtime events in their GA form (beta frames
//! are translated first, so both dialects print the same), and GPT-Live events. An event of a
//! type the protocol crate does not know is shown with every id its JSON carries.

mod fields;
mod ids;

use rtclient_protocol::{ClientEvent, ServerEvent, live};

use crate::session_log::Direction;

use ids::Ids;

/// Longest quoted text shown before it is cut with `…`.
const MAX_TEXT: usize = 100;

/// One event to render.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// A Realtime server event (GA form).
    Server(&'a ServerEvent),
    /// A Realtime client event (GA form).
    Client(&'a ClientEvent),
    /// A GPT-Live server event.
    LiveServer(&'a live::ServerEvent),
    /// A GPT-Live client event.
    LiveClient(&'a live::ClientEvent),
    /// A frame that does not parse, shown as its `type` alone.
    Unparsed(&'a str),
}

impl<'a> Event<'a> {
    /// The wire `type`.
    fn kind(self) -> &'a str {
        match self {
            Event::Server(e) => e.kind(),
            Event::Client(e) => e.kind(),
            Event::LiveServer(e) => e.kind(),
            Event::LiveClient(e) => e.kind(),
            Event::Unparsed(kind) => kind,
        }
    }
}

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

    /// Adds one event and returns the lines that are complete now.
    pub(crate) fn push(&mut self, dir: Direction, event: Event<'_>) -> Vec<String> {
        self.push_at(None, dir, event)
    }

    /// Like [`push`](Self::push), with the event's time (seconds since the session started)
    /// shown first; a coalesced run shows the time of its first delta.
    pub(crate) fn push_at(
        &mut self,
        t: Option<f64>,
        dir: Direction,
        event: Event<'_>,
    ) -> Vec<String> {
        let stamp = t.map(|t| format!("{t:8.3}s ")).unwrap_or_default();
        let kind = event.kind();
        let mut lines = Vec::new();
        let Some(delta) = Delta::of(event) else {
            lines.extend(self.flush());
            lines.push(format!("{stamp}{}", line(dir, event)));
            return lines;
        };
        if let Some(p) = self
            .pending
            .iter_mut()
            .find(|p| p.dir == dir && p.kind == kind && p.key == delta.key)
        {
            p.count += 1;
            p.bytes += delta.bytes;
            if let (Some(all), Some(more)) = (&mut p.text, delta.text) {
                all.push_str(more);
            }
            return lines;
        }
        if self
            .pending
            .iter()
            .any(|p| p.dir != dir || p.key != delta.key)
        {
            lines.extend(self.flush());
        }
        self.pending.push(Pending {
            dir,
            kind: kind.to_owned(),
            prefix: format!("{stamp}{} {kind}{}", arrow(dir), Ids::of(event)),
            key: delta.key.to_owned(),
            count: 1,
            bytes: delta.bytes,
            text: delta.text.map(str::to_owned),
        });
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

/// What a delta event adds to its run.
struct Delta<'a> {
    /// The run it joins: its item (empty for `input_audio_buffer.append`).
    key: &'a str,
    /// Audio bytes (decoded length of its base64).
    bytes: usize,
    /// Its piece of text, for text deltas.
    text: Option<&'a str>,
}

impl<'a> Delta<'a> {
    /// The delta an event carries, if it is one.
    fn of(event: Event<'a>) -> Option<Self> {
        use ServerEvent as S;
        match event {
            Event::Server(S::ResponseOutputAudioDelta(e)) => {
                Some(Self::audio(&e.item_id, &e.delta))
            }
            Event::Client(ClientEvent::InputAudioBufferAppend(e)) => {
                Some(Self::audio("", &e.audio))
            }
            Event::Server(S::ResponseOutputAudioTranscriptDelta(e)) => {
                Some(Self::text(&e.item_id, &e.delta))
            }
            Event::Server(S::ResponseOutputTextDelta(e)) => Some(Self::text(&e.item_id, &e.delta)),
            Event::Server(S::ResponseFunctionCallArgumentsDelta(e)) => {
                Some(Self::text(&e.item_id, &e.delta))
            }
            Event::Server(S::ResponseMcpCallArgumentsDelta(e)) => {
                Some(Self::text(&e.item_id, &e.delta))
            }
            Event::Server(S::ConversationItemInputAudioTranscriptionDelta(e)) => {
                Some(Self::text(&e.item_id, e.delta.as_deref().unwrap_or("")))
            }
            _ => None,
        }
    }

    fn audio(key: &'a str, base64: &str) -> Self {
        Self {
            key,
            bytes: base64_len(base64),
            text: None,
        }
    }

    fn text(key: &'a str, text: &'a str) -> Self {
        Self {
            key,
            bytes: 0,
            text: Some(text),
        }
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

/// Decoded length of a base64 string, without decoding it.
pub(crate) fn base64_len(text: &str) -> usize {
    let padding = text.bytes().rev().take_while(|&b| b == b'=').count().min(2);
    (text.len() / 4 * 3).saturating_sub(padding)
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
fn line(dir: Direction, event: Event<'_>) -> String {
    let mut out = format!("{} {}", arrow(dir), event.kind());
    let fields = fields::of(event);
    if !fields.is_empty() {
        out.push(' ');
        out.push_str(&fields);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn server(event: Value) -> ServerEvent {
        ServerEvent::from_json(&event.to_string()).unwrap()
    }

    fn client(event: Value) -> ClientEvent {
        ClientEvent::from_json(&event.to_string()).unwrap()
    }

    fn received(r: &mut Renderer, event: Value) -> Vec<String> {
        r.push(Direction::Received, Event::Server(&server(event)))
    }

    fn audio_delta(item: &str) -> Value {
        json!({"type":"response.output_audio.delta","response_id":"r1","item_id":item,"output_index":0,"content_index":0,"delta":"AAAA"})
    }

    fn transcript_delta(piece: &str) -> Value {
        json!({"type":"response.output_audio_transcript.delta","response_id":"r1","item_id":"i1","output_index":0,"content_index":0,"delta":piece})
    }

    #[test]
    fn audio_deltas_are_summed() {
        let mut r = Renderer::new();
        assert!(received(&mut r, audio_delta("i1")).is_empty());
        assert!(received(&mut r, audio_delta("i1")).is_empty());
        let done = json!({"type":"response.output_audio.done","response_id":"r1","item_id":"i1","output_index":0,"content_index":0});
        let lines = received(&mut r, done);
        assert_eq!(lines[0], "← response.output_audio.delta r1 i1 ×2 6 B");
        assert_eq!(lines[1], "← response.output_audio.done r1 i1");
        assert!(r.flush().is_empty());
    }

    #[test]
    fn transcript_deltas_are_joined() {
        let mut r = Renderer::new();
        for piece in ["Hel", "lo"] {
            received(&mut r, transcript_delta(piece));
        }
        assert_eq!(
            r.flush(),
            vec!["← response.output_audio_transcript.delta r1 i1 ×2 \"Hello\"".to_owned()]
        );
    }

    #[test]
    fn interleaved_audio_and_transcript_of_one_item_are_two_lines() {
        let mut r = Renderer::new();
        let mut lines = Vec::new();
        lines.extend(received(&mut r, audio_delta("i1")));
        lines.extend(received(&mut r, transcript_delta("Hi ")));
        lines.extend(received(&mut r, audio_delta("i1")));
        lines.extend(received(&mut r, transcript_delta("there")));
        lines.extend(received(&mut r, audio_delta("i2")));
        lines.extend(r.flush());
        assert_eq!(
            lines,
            vec![
                "← response.output_audio.delta r1 i1 ×2 6 B".to_owned(),
                "← response.output_audio_transcript.delta r1 i1 ×2 \"Hi there\"".to_owned(),
                "← response.output_audio.delta r1 i2 3 B".to_owned(),
            ]
        );
    }

    #[test]
    fn appends_are_summed() {
        let mut r = Renderer::new();
        let append = client(json!({"type":"input_audio_buffer.append","audio":"AAAA"}));
        for _ in 0..2 {
            assert!(r.push(Direction::Sent, Event::Client(&append)).is_empty());
        }
        assert_eq!(
            r.flush(),
            vec!["→ input_audio_buffer.append ×2 6 B".to_owned()]
        );
    }

    #[test]
    fn session_update_shows_vad() {
        let e = client(
            json!({"type":"session.update","session":{"type":"realtime","instructions":"Be brief.","audio":{"input":{"turn_detection":{"type":"server_vad","threshold":0.5,"prefix_padding_ms":300,"silence_duration_ms":200}}}}}),
        );
        let mut r = Renderer::new();
        let lines = r.push(Direction::Sent, Event::Client(&e));
        assert_eq!(
            lines[0],
            "→ session.update instructions=\"Be brief.\" vad=server_vad(0.5,300ms,200ms)"
        );
    }

    #[test]
    fn session_created_shows_voice_format_transcription_and_tools() {
        let mut r = Renderer::new();
        let created = json!({"type":"session.created","session":{"type":"realtime","id":"sess_1","model":"gpt-realtime","audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"turn_detection":null,"transcription":{"model":"whisper-1"}},"output":{"voice":"alloy"}},"tools":[{"type":"function","name":"get_weather"},{"type":"function","name":"get_time"}]}});
        assert_eq!(
            received(&mut r, created),
            vec![
                "← session.created sess_1 model=gpt-realtime voice=alloy in=audio/pcm vad=none transcribe=whisper-1 tools=get_weather,get_time"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn response_done_shows_tokens_only_when_counted() {
        let mut r = Renderer::new();
        let completed = json!({"type":"response.done","response":{"id":"r1","status":"completed","output":[],"usage":{"input_tokens":20,"output_tokens":23}}});
        let failed = json!({"type":"response.done","response":{"id":"r2","status":"failed","status_details":{"type":"failed","error":{"type":"server_error","message":"Boom."}},"output":[],"usage":{}}});
        assert_eq!(
            received(&mut r, completed),
            vec!["← response.done r1 completed out=0 tokens=20/23".to_owned()]
        );
        assert_eq!(
            received(&mut r, failed),
            vec!["← response.done r2 failed \"Boom.\" out=0".to_owned()]
        );
    }

    #[test]
    fn errors_show_type_code_message_param_and_cause() {
        let mut r = Renderer::new();
        let error = json!({"type":"error","event_id":"e1","error":{"type":"invalid_request_error","code":"invalid_value","message":"Bad voice.","param":"session.voice","event_id":"c1"}});
        assert_eq!(
            received(&mut r, error),
            vec![
                "← error invalid_request_error invalid_value \"Bad voice.\" param=session.voice caused_by=c1"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn items_show_their_kind_and_text() {
        let mut r = Renderer::new();
        let call = json!({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"id":"i1","type":"function_call","status":"completed","name":"get_weather","call_id":"call_1","arguments":"{}"}});
        let message = json!({"type":"conversation.item.added","item":{"id":"i2","type":"message","role":"assistant","content":[{"type":"output_audio","transcript":"Hi."},{"type":"output_text","text":""}]}});
        let output = client(
            json!({"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"call_1","output":"sunny"}}),
        );
        assert_eq!(
            received(&mut r, call),
            vec![
                "← response.output_item.done i1 function_call get_weather call_1 completed"
                    .to_owned()
            ]
        );
        assert_eq!(
            received(&mut r, message),
            vec!["← conversation.item.added i2 message/assistant \"Hi.\"".to_owned()]
        );
        assert_eq!(
            r.push(Direction::Sent, Event::Client(&output)),
            vec!["→ conversation.item.create function_call_output call_1 \"sunny\"".to_owned()]
        );
    }

    #[test]
    fn ids_lead_the_fields_of_turn_and_text_events() {
        let mut r = Renderer::new();
        let started =
            json!({"type":"input_audio_buffer.speech_started","audio_start_ms":120,"item_id":"i1"});
        let args = json!({"type":"response.function_call_arguments.done","response_id":"r1","item_id":"i2","output_index":0,"call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"});
        let limits = json!({"type":"rate_limits.updated","rate_limits":[{"name":"requests","limit":100,"remaining":99},{"name":"tokens","limit":5000}]});
        assert_eq!(
            received(&mut r, started),
            vec!["← input_audio_buffer.speech_started i1 at=120ms".to_owned()]
        );
        assert_eq!(
            received(&mut r, args),
            vec![
                "← response.function_call_arguments.done r1 i2 call_1 get_weather \"{\"city\":\"Paris\"}\""
                    .to_owned()
            ]
        );
        assert_eq!(
            received(&mut r, limits),
            vec!["← rate_limits.updated requests=99/100 tokens=null/5000".to_owned()]
        );
    }

    #[test]
    fn unknown_events_show_every_id_they_carry() {
        let mut r = Renderer::new();
        let unknown = json!({"type":"response.future_thing","response_id":"r1","item_id":"i1","call_id":"c1"});
        let committed =
            json!({"type":"input_audio_buffer.committed","item_id":"i1","response_id":"r9"});
        let deleted = live::ServerEvent::from_json(
            &json!({"type":"decision.item.deleted","item_id":"i3","response_id":"r3"}).to_string(),
        )
        .unwrap();
        assert_eq!(
            received(&mut r, unknown),
            vec!["← response.future_thing r1 i1 c1".to_owned()]
        );
        assert_eq!(
            received(&mut r, committed),
            vec!["← input_audio_buffer.committed r9 i1".to_owned()]
        );
        assert_eq!(
            r.push(Direction::Received, Event::LiveServer(&deleted)),
            vec!["← decision.item.deleted r3 i3".to_owned()]
        );
        assert_eq!(
            r.push(Direction::Unknown, Event::Unparsed("?")),
            vec!["· ?".to_owned()]
        );
    }

    #[test]
    fn times_lead_the_line() {
        let mut r = Renderer::new();
        let create = client(json!({"type":"response.create"}));
        let lines = r.push_at(Some(1.5), Direction::Sent, Event::Client(&create));
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
