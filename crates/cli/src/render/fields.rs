//! The useful fields of one event, as the space-separated tail of its line.

use rtclient_protocol::{
    ApiError, ClientEvent, Item, ItemKind, Nullable, RateLimit, Response, ResponseCreateParams,
    ServerEvent, Session, TurnDetection, TurnDetectionKind, Voice, live,
};

use super::{Event, Ids, quote};

/// The useful fields of an event, space separated (its ids when it has nothing else to show).
pub(super) fn of(event: Event<'_>) -> String {
    let mut f = Fields::default();
    match event {
        Event::Server(e) => server(e, &mut f),
        Event::Client(e) => client(e, &mut f),
        Event::LiveServer(e) => live_server(e, &mut f),
        Event::LiveClient(_) | Event::Unparsed(_) => f.ids(event),
    }
    f.0.retain(|x| !x.is_empty());
    f.0.join(" ")
}

/// The fields collected for one line.
#[derive(Default)]
struct Fields(Vec<String>);

impl Fields {
    fn push(&mut self, field: impl Into<String>) {
        self.0.push(field.into());
    }

    /// The event's ids, as one field.
    fn ids(&mut self, event: Event<'_>) {
        self.push(Ids::of(event).to_string().trim());
    }

    /// The event's ids, then a quoted text.
    fn ids_and_quote(&mut self, event: Event<'_>, text: &str) {
        self.ids(event);
        self.push(quote(text));
    }

    /// The event's ids, then `at=Nms`.
    fn ids_and_at(&mut self, event: Event<'_>, ms: u64) {
        self.ids(event);
        self.push(format!("at={ms}ms"));
    }
}

fn server(event: &ServerEvent, f: &mut Fields) {
    use ServerEvent as S;
    let this = Event::Server(event);
    match event {
        S::SessionCreated(e) => session(&e.session, f),
        S::SessionUpdated(e) => session(&e.session, f),
        S::Error(e) => error(&e.error, f),
        S::ConversationItemAdded(e) => item(&e.item, f),
        S::ConversationItemDone(e) => item(&e.item, f),
        S::ConversationItemCreated(e) => item(&e.item, f),
        S::ConversationItemRetrieved(e) => item(&e.item, f),
        S::ResponseOutputItemAdded(e) => item(&e.item, f),
        S::ResponseOutputItemDone(e) => item(&e.item, f),
        S::ResponseCreated(e) => response(&e.response, f),
        S::ResponseDone(e) => response(&e.response, f),
        S::InputAudioBufferSpeechStarted(e) => f.ids_and_at(this, e.audio_start_ms),
        S::InputAudioBufferSpeechStopped(e) => f.ids_and_at(this, e.audio_end_ms),
        S::ConversationItemTruncated(e) => f.ids_and_at(this, e.audio_end_ms),
        S::ConversationItemInputAudioTranscriptionCompleted(e) => {
            f.ids_and_quote(this, &e.transcript)
        }
        S::ResponseOutputAudioTranscriptDone(e) => f.ids_and_quote(this, &e.transcript),
        S::ResponseOutputTextDone(e) => f.ids_and_quote(this, &e.text),
        S::ConversationItemInputAudioTranscriptionFailed(e) => {
            f.ids(this);
            if let Some(m) = &e.error.message {
                f.push(quote(m));
            }
        }
        S::ResponseFunctionCallArgumentsDone(e) => {
            f.ids(this);
            if let Some(name) = &e.name {
                f.push(name.as_str());
            }
            f.push(quote(&e.arguments));
        }
        S::RateLimitsUpdated(e) => e.rate_limits.iter().for_each(|l| rate_limit(l, f)),
        _ => f.ids(this),
    }
}

fn client(event: &ClientEvent, f: &mut Fields) {
    match event {
        ClientEvent::SessionUpdate(e) => session(&e.session, f),
        ClientEvent::ConversationItemCreate(e) => item(&e.item, f),
        ClientEvent::ResponseCreate(e) => {
            if let Some(r) = &e.response {
                response_create(r, f);
            }
        }
        ClientEvent::ConversationItemTruncate(e) => {
            f.ids_and_at(Event::Client(event), e.audio_end_ms)
        }
        _ => f.ids(Event::Client(event)),
    }
}

fn live_server(event: &live::ServerEvent, f: &mut Fields) {
    match event {
        live::ServerEvent::Error(e) => live_error(&e.error, f),
        live::ServerEvent::SessionUpdated(e) => live_session(&e.session, f),
        _ => f.ids(Event::LiveServer(event)),
    }
}

/// `type code "message" param=… caused_by=…`.
fn error(err: &ApiError, f: &mut Fields) {
    if let Some(kind) = &err.kind {
        f.push(kind.as_str());
    }
    if let Some(code) = value(&err.code) {
        f.push(code.as_str());
    }
    if let Some(m) = &err.message {
        f.push(quote(m));
    }
    if let Some(p) = value(&err.param) {
        f.push(format!("param={p}"));
    }
    if let Some(id) = value(&err.event_id) {
        f.push(format!("caused_by={id}"));
    }
}

/// `type code "message" param=…`.
fn live_error(err: &live::LiveError, f: &mut Fields) {
    f.push(err.kind.as_str());
    if let Some(code) = err.code.value() {
        f.push(code.as_str());
    }
    f.push(quote(&err.message));
    if let Some(p) = value(&err.param) {
        f.push(format!("param={p}"));
    }
}

/// `name=remaining/limit` (`null` for a count the service left out).
fn rate_limit(limit: &RateLimit, f: &mut Fields) {
    f.push(format!(
        "{}={}/{}",
        limit.name.as_ref().map_or("?", |n| n.as_str()),
        count(limit.remaining),
        count(limit.limit)
    ));
}

fn session(session: &Session, f: &mut Fields) {
    if let Some(id) = &session.id {
        f.push(id.as_str());
    }
    if let Some(model) = &session.model {
        f.push(format!("model={model}"));
    }
    if let Some(i) = &session.instructions {
        f.push(format!("instructions={}", quote(i)));
    }
    let audio = session.audio.as_ref();
    let voice = audio.and_then(|a| a.output.as_ref()?.voice.as_ref());
    if let Some(Voice::Name(voice)) = voice {
        f.push(format!("voice={voice}"));
    }
    if let Some(input) = audio.and_then(|a| a.input.as_ref()) {
        if let Some(format) = input
            .format
            .as_ref()
            .and_then(|format| format.kind.as_ref())
        {
            f.push(format!("in={format}"));
        }
        if let Some(td) = &input.turn_detection {
            f.push(format!("vad={}", vad(td.value())));
        }
        let transcription = input.transcription.as_ref().and_then(Nullable::value);
        if let Some(model) = transcription.and_then(|t| t.model.as_ref()) {
            f.push(format!("transcribe={model}"));
        }
    }
    if let Some(tools) = &session.tools
        && !tools.is_empty()
    {
        let names: Vec<_> = tools.iter().filter_map(|t| t.name.as_deref()).collect();
        f.push(format!("tools={}", names.join(",")));
    }
}

/// A GPT-Live session: its id, model, instructions and voice.
fn live_session(session: &live::SessionResource, f: &mut Fields) {
    f.push(session.id.as_str());
    f.push(format!("model={}", session.model));
    if let Some(i) = value(&session.instructions) {
        f.push(format!("instructions={}", quote(i)));
    }
    let voice = session
        .audio
        .as_ref()
        .and_then(|a| a.output.as_ref()?.voice.as_ref());
    if let Some(Voice::Name(voice)) = voice {
        f.push(format!("voice={voice}"));
    }
}

/// `server_vad(0.5,300ms,200ms)`, `semantic_vad(auto)` or `none`.
fn vad(td: Option<&TurnDetection>) -> String {
    let Some(td) = td else {
        return "none".to_owned();
    };
    match &td.kind {
        None => "none".to_owned(),
        Some(TurnDetectionKind::ServerVad) => {
            let mut parts = Vec::new();
            if let Some(t) = td.threshold.as_ref().and_then(serde_json::Number::as_f64) {
                parts.push(t.to_string());
            }
            for ms in [td.prefix_padding_ms, td.silence_duration_ms]
                .into_iter()
                .flatten()
            {
                parts.push(format!("{ms}ms"));
            }
            format!("server_vad({})", parts.join(","))
        }
        Some(TurnDetectionKind::SemanticVad) => format!(
            "semantic_vad({})",
            td.eagerness.as_ref().map_or("auto", |e| e.as_str())
        ),
        Some(other) => other.as_str().to_owned(),
    }
}

fn item(item: &Item, f: &mut Fields) {
    if let Some(id) = &item.id {
        f.push(id.as_str());
    }
    let call_id = item.call_id.as_deref().unwrap_or("");
    match &item.kind {
        Some(ItemKind::Message) => f.push(format!(
            "message/{}",
            item.role.as_ref().map_or("?", |r| r.as_str())
        )),
        Some(ItemKind::FunctionCall) => f.push(format!(
            "function_call {} {call_id}",
            item.name.as_deref().unwrap_or("?"),
        )),
        Some(ItemKind::FunctionCallOutput) => f.push(format!("function_call_output {call_id}")),
        other => f.push(other.as_ref().map_or("?", |k| k.as_str())),
    }
    if let Some(status) = &item.status {
        f.push(status.as_str());
    }
    for part in item.content.iter().flatten() {
        let text = part
            .text
            .as_deref()
            .or_else(|| part.transcript.as_ref()?.value().map(String::as_str));
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            f.push(quote(t));
        }
    }
    if let Some(out) = value(&item.output) {
        f.push(quote(out));
    }
}

fn response(r: &Response, f: &mut Fields) {
    if let Some(id) = &r.id {
        f.push(id.as_str());
    }
    if let Some(status) = &r.status {
        f.push(status.as_str());
    }
    if let Some(details) = value(&r.status_details) {
        if let Some(reason) = &details.reason {
            f.push(format!("reason={reason}"));
        }
        let message = details.error.as_ref().and_then(|e| e["message"].as_str());
        if let Some(m) = message {
            f.push(quote(m));
        }
    }
    if let Some(out) = &r.output {
        f.push(format!("out={}", out.len()));
    }
    // A failed response may carry an empty `usage` object: no token counts to show.
    if let Some(usage) = value(&r.usage)
        && (usage.input_tokens.is_some() || usage.output_tokens.is_some())
    {
        f.push(format!(
            "tokens={}/{}",
            count(usage.input_tokens),
            count(usage.output_tokens)
        ));
    }
}

fn response_create(r: &ResponseCreateParams, f: &mut Fields) {
    if let Some(m) = &r.output_modalities {
        let m: Vec<_> = m.iter().map(|m| m.as_str()).collect();
        f.push(format!("modalities={}", m.join(",")));
    }
    if let Some(i) = &r.instructions {
        f.push(format!("instructions={}", quote(i)));
    }
}

/// The value of an optional field that may be `null`.
fn value<T>(field: &Option<Nullable<T>>) -> Option<&T> {
    field.as_ref().and_then(Nullable::value)
}

/// A count as the JSON showed it: the number, or `null` when it is left out.
fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "null".to_owned(), |n| n.to_string())
}
