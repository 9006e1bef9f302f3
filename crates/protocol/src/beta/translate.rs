//! Translation between the beta dialect and the GA model, in both directions: the event
//! functions generated from the beta <-> GA table (`beta/table.rs`), and the object conversions they use.
//!
//! | beta | GA |
//! |---|---|
//! | `response.text.*`, `response.audio.*`, `response.audio_transcript.*` | `response.output_text.*`, `response.output_audio.*`, `response.output_audio_transcript.*` |
//! | `conversation.item.created` | `conversation.item.added` |
//! | `transcription_session.update` / `.created` / `.updated` | `session.update` / `.created` / `.updated` with `session.type: "transcription"` |
//! | flat session: `voice`, `speed`, `input_audio_format`, `output_audio_format`, `input_audio_transcription`, `turn_detection`, `input_audio_noise_reduction` | nested `audio.output.{voice, speed, format}`, `audio.input.{format, transcription, turn_detection, noise_reduction}` |
//! | `"pcm16"`, `"g711_ulaw"`, `"g711_alaw"` | `{"type":"audio/pcm","rate":24000}`, `{"type":"audio/pcmu"}`, `{"type":"audio/pcma"}` |
//! | `modalities` `["text","audio"]` / `["text"]` | `output_modalities` `["audio"]` / `["text"]` |
//! | `max_response_output_tokens` | `max_output_tokens` |
//! | assistant content `text` / `audio` | `output_text` / `output_audio` |
//!
//! Renamed events are moved, not re-parsed: translating an audio delta costs nothing.
//!
//! What cannot map exactly, and what happens:
//! - Beta-only fields (`temperature`, `client_secret`, and `modalities` when it is not one of
//!   the two forms above) are carried in the GA struct's `extra` map under their beta name and
//!   restored on the way back; a GA server would reject them (`unknown_parameter`).
//! - GA-only fields (`reasoning`, `parallel_tool_calls`, ...) go to the beta `extra` map.
//! - A GA format's `rate` and unknown fields are dropped for beta (beta PCM is always 24 kHz);
//!   unknown fields of GA `audio`, `audio.input`, `audio.output` are dropped too.
//! - GA `conversation.item.created` and `conversation.item.added` both become beta
//!   `conversation.item.created`; GA-only server events (MCP, segments, DTMF, timeouts) become
//!   beta `Unknown` holding their GA JSON.
//! - A GA `session.type` other than `realtime`/`transcription` is kept in the beta `extra`.

use crate::audio_format::BetaAudioFormat;
use crate::beta;
use crate::beta::table::Translate;
use crate::event::client::{self as ga_client, ConversationItemCreate};
use crate::event::server::{
    self as ga, ConversationItemAdded, ConversationItemCreated, ConversationItemDone,
    ConversationItemRetrieved, ResponseOutputItemAdded, ResponseOutputItemDone,
};
use crate::item::{ContentKind, Item, Role};
use crate::response::{Response, ResponseCreateParams};
use crate::session::{
    AudioInput, AudioOutput, Modality, Session, SessionAudio, SessionKind, Voice,
};

pub use crate::beta::table::{client_to_beta, client_to_ga, server_to_beta, server_to_ga};

type Extra = serde_json::Map<String, serde_json::Value>;

/// GA and beta events that differ only in one boxed object, translated by a function pair.
macro_rules! translate_object {
    ($( $ga:path => $beta:path { $field:ident: $to_beta:ident, $to_ga:ident } )*) => {$(
        impl Translate<$beta> for $ga {
            fn to_beta(self) -> $beta {
                $beta {
                    event_id: self.event_id,
                    $field: Box::new($to_beta(*self.$field)),
                    extra: self.extra,
                }
            }
            fn from_beta(b: $beta) -> Self {
                Self {
                    event_id: b.event_id,
                    $field: Box::new($to_ga(*b.$field)),
                    extra: b.extra,
                }
            }
        }
    )*};
}

translate_object! {
    ga::SessionCreated => beta::SessionCreated { session: session_to_beta, session_to_ga }
    ga::SessionUpdated => beta::SessionUpdated { session: session_to_beta, session_to_ga }
    ga::SessionCreated => beta::TranscriptionSessionCreated {
        session: transcription_session_to_beta, transcription_session_to_ga
    }
    ga::SessionUpdated => beta::TranscriptionSessionUpdated {
        session: transcription_session_to_beta, transcription_session_to_ga
    }
    ga_client::SessionUpdate => beta::SessionUpdate { session: session_to_beta, session_to_ga }
    ga_client::SessionUpdate => beta::TranscriptionSessionUpdate {
        session: transcription_session_to_beta, transcription_session_to_ga
    }
    ga::ResponseCreated => beta::ResponseCreated { response: response_to_beta, response_to_ga }
    ga::ResponseDone => beta::ResponseDone { response: response_to_beta, response_to_ga }
}

/// Events that hold one `item`, the same struct in both dialects: assistant content kinds are
/// renamed.
macro_rules! translate_item {
    ($($ty:ty),* $(,)?) => {$(
        impl Translate<$ty> for $ty {
            fn to_beta(mut self) -> $ty {
                item_to_beta(&mut self.item);
                self
            }
            fn from_beta(mut b: $ty) -> Self {
                item_to_ga(&mut b.item);
                b
            }
        }
    )*};
}

translate_item!(
    ConversationItemCreate,
    ConversationItemCreated,
    ConversationItemDone,
    ConversationItemRetrieved,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
);

impl Translate<ConversationItemCreated> for ConversationItemAdded {
    fn to_beta(self) -> ConversationItemCreated {
        let mut item = self.item;
        item_to_beta(&mut item);
        ConversationItemCreated {
            event_id: self.event_id,
            previous_item_id: self.previous_item_id,
            item,
            extra: self.extra,
        }
    }
    fn from_beta(b: ConversationItemCreated) -> Self {
        let mut item = b.item;
        item_to_ga(&mut item);
        ConversationItemAdded {
            event_id: b.event_id,
            previous_item_id: b.previous_item_id,
            item,
            extra: b.extra,
        }
    }
}

impl Translate<beta::ResponseCreate> for ga_client::ResponseCreate {
    fn to_beta(self) -> beta::ResponseCreate {
        beta::ResponseCreate {
            event_id: self.event_id,
            response: self.response.map(response_params_to_beta),
            extra: self.extra,
        }
    }
    fn from_beta(b: beta::ResponseCreate) -> Self {
        ga_client::ResponseCreate {
            event_id: b.event_id,
            response: b.response.map(response_params_to_ga),
            extra: b.extra,
        }
    }
}

/// Assistant content kinds as beta names them, and as GA does.
const ASSISTANT_CONTENT: [(ContentKind, ContentKind); 2] = [
    (ContentKind::Text, ContentKind::OutputText),
    (ContentKind::Audio, ContentKind::OutputAudio),
];

/// Beta assistant content `text`/`audio` becomes GA `output_text`/`output_audio`.
pub fn item_to_ga(item: &mut Item) {
    rename_assistant_content(item, |(beta, ga)| (beta, ga));
}

/// GA assistant content `output_text`/`output_audio` becomes beta `text`/`audio`.
pub fn item_to_beta(item: &mut Item) {
    rename_assistant_content(item, |(beta, ga)| (ga, beta));
}

/// Renames the kinds of an assistant item's content parts by [`ASSISTANT_CONTENT`], whose
/// pairs `direction` turns into (from, to).
fn rename_assistant_content(
    item: &mut Item,
    direction: fn((ContentKind, ContentKind)) -> (ContentKind, ContentKind),
) {
    if item.role != Some(Role::Assistant) {
        return;
    }
    for part in item.content.iter_mut().flatten() {
        let renamed = ASSISTANT_CONTENT
            .into_iter()
            .map(direction)
            .find(|(from, _)| part.kind.as_ref() == Some(from));
        if let Some((_, to)) = renamed {
            part.kind = Some(to);
        }
    }
}

/// [`item_to_ga`] on each item.
fn items_to_ga(mut items: Option<Vec<Item>>) -> Option<Vec<Item>> {
    items.iter_mut().flatten().for_each(item_to_ga);
    items
}

/// [`item_to_beta`] on each item.
fn items_to_beta(mut items: Option<Vec<Item>>) -> Option<Vec<Item>> {
    items.iter_mut().flatten().for_each(item_to_beta);
    items
}

/// Beta `modalities` to GA `output_modalities`; a form with no exact GA equal is also kept in
/// `extra` under `modalities`.
fn modalities_to_ga(m: Vec<Modality>, extra: &mut Extra) -> Vec<Modality> {
    let text_audio = [Modality::Text, Modality::Audio];
    if m == text_audio || m == [Modality::Text] {
        return if m.contains(&Modality::Audio) {
            vec![Modality::Audio]
        } else {
            m
        };
    }
    let ga = if m.contains(&Modality::Audio) {
        vec![Modality::Audio]
    } else {
        m.clone()
    };
    extra.insert("modalities".to_owned(), modalities_json(&m));
    ga
}

/// Modalities as the JSON array the wire holds.
fn modalities_json(m: &[Modality]) -> serde_json::Value {
    m.iter()
        .map(|m| serde_json::Value::from(m.as_str()))
        .collect()
}

/// GA `output_modalities` to beta `modalities` (a value kept in `extra` wins).
fn modalities_to_beta(m: Option<Vec<Modality>>, extra: &mut Extra) -> Option<Vec<Modality>> {
    if let Some(kept) = extra.remove("modalities") {
        if let Ok(kept) = serde_json::from_value(kept.clone()) {
            return Some(kept);
        }
        extra.insert("modalities".to_owned(), kept);
    }
    m.map(|m| {
        if m == [Modality::Audio] {
            vec![Modality::Text, Modality::Audio]
        } else {
            m
        }
    })
}

fn take_number(extra: &mut Extra, key: &str) -> Option<serde_json::Number> {
    match extra.remove(key) {
        Some(serde_json::Value::Number(n)) => Some(n),
        Some(other) => {
            extra.insert(key.to_owned(), other);
            None
        }
        None => None,
    }
}

fn put_number(extra: &mut Extra, key: &str, v: Option<serde_json::Number>) {
    if let Some(n) = v {
        extra.insert(key.to_owned(), serde_json::Value::Number(n));
    }
}

fn put_value(extra: &mut Extra, key: &str, v: Option<serde_json::Value>) {
    if let Some(v) = v {
        extra.insert(key.to_owned(), v);
    }
}

fn non_empty_input(i: AudioInput) -> Option<AudioInput> {
    (i != AudioInput::default()).then_some(i)
}

fn non_empty_output(o: AudioOutput) -> Option<AudioOutput> {
    (o != AudioOutput::default()).then_some(o)
}

/// A beta response's output format and voice as a GA output, `None` when neither is set.
fn response_output_to_ga(
    format: Option<BetaAudioFormat>,
    voice: Option<Voice>,
) -> Option<AudioOutput> {
    non_empty_output(AudioOutput {
        format: format.as_ref().map(BetaAudioFormat::to_ga),
        voice,
        ..Default::default()
    })
}

fn audio(input: Option<AudioInput>, output: Option<AudioOutput>) -> Option<SessionAudio> {
    (input.is_some() || output.is_some()).then(|| SessionAudio {
        input,
        output,
        ..Default::default()
    })
}

/// A beta (flat) session as a GA session (`type: "realtime"`).
pub fn session_to_ga(s: beta::Session) -> Session {
    let mut extra = s.extra;
    put_number(&mut extra, "temperature", s.temperature);
    put_value(&mut extra, "client_secret", s.client_secret);
    let input = non_empty_input(AudioInput {
        format: s.input_audio_format.as_ref().map(BetaAudioFormat::to_ga),
        transcription: s.input_audio_transcription,
        noise_reduction: s.input_audio_noise_reduction,
        turn_detection: s.turn_detection,
        ..Default::default()
    });
    let output = non_empty_output(AudioOutput {
        format: s.output_audio_format.as_ref().map(BetaAudioFormat::to_ga),
        voice: s.voice,
        speed: s.speed,
        ..Default::default()
    });
    Session {
        kind: Some(SessionKind::Realtime),
        object: s.object,
        id: s.id,
        model: s.model,
        output_modalities: s.modalities.map(|m| modalities_to_ga(m, &mut extra)),
        instructions: s.instructions,
        audio: audio(input, output),
        include: s.include,
        tracing: s.tracing,
        tools: s.tools,
        tool_choice: s.tool_choice,
        max_output_tokens: s.max_response_output_tokens,
        truncation: s.truncation,
        prompt: s.prompt,
        reasoning: None,
        parallel_tool_calls: None,
        expires_at: s.expires_at,
        extra,
    }
}

/// A GA session as a beta (flat) session.
pub fn session_to_beta(s: Session) -> beta::Session {
    let mut extra = s.extra;
    match s.kind {
        None | Some(SessionKind::Realtime) => {}
        Some(other) => put_value(&mut extra, "type", Some(other.as_str().into())),
    }
    put_value(&mut extra, "reasoning", s.reasoning);
    put_value(
        &mut extra,
        "parallel_tool_calls",
        s.parallel_tool_calls.map(Into::into),
    );
    let (input, output) = split_audio(s.audio);
    beta::Session {
        id: s.id,
        object: s.object,
        model: s.model,
        expires_at: s.expires_at,
        modalities: modalities_to_beta(s.output_modalities, &mut extra),
        instructions: s.instructions,
        voice: output.voice,
        input_audio_format: input.format.as_ref().and_then(BetaAudioFormat::from_ga),
        output_audio_format: output.format.as_ref().and_then(BetaAudioFormat::from_ga),
        input_audio_transcription: input.transcription,
        turn_detection: input.turn_detection,
        input_audio_noise_reduction: input.noise_reduction,
        tools: s.tools,
        tool_choice: s.tool_choice,
        temperature: take_number(&mut extra, "temperature"),
        max_response_output_tokens: s.max_output_tokens,
        speed: output.speed,
        tracing: s.tracing,
        truncation: s.truncation,
        prompt: s.prompt,
        include: s.include,
        client_secret: extra.remove("client_secret"),
        extra,
    }
}

fn split_audio(audio: Option<SessionAudio>) -> (AudioInput, AudioOutput) {
    let audio = audio.unwrap_or_default();
    (
        audio.input.unwrap_or_default(),
        audio.output.unwrap_or_default(),
    )
}

/// A beta transcription session as a GA session with `type: "transcription"`.
pub fn transcription_session_to_ga(s: beta::TranscriptionSession) -> Session {
    let mut extra = s.extra;
    put_value(&mut extra, "client_secret", s.client_secret);
    if let Some(m) = s.modalities {
        put_value(&mut extra, "modalities", Some(modalities_json(&m)));
    }
    let input = non_empty_input(AudioInput {
        format: s.input_audio_format.as_ref().map(BetaAudioFormat::to_ga),
        transcription: s.input_audio_transcription,
        noise_reduction: s.input_audio_noise_reduction,
        turn_detection: s.turn_detection,
        ..Default::default()
    });
    Session {
        kind: Some(SessionKind::Transcription),
        object: s.object,
        id: s.id,
        audio: audio(input, None),
        include: s.include,
        expires_at: s.expires_at,
        extra,
        ..Default::default()
    }
}

/// A GA transcription session as a beta transcription session.
pub fn transcription_session_to_beta(s: Session) -> beta::TranscriptionSession {
    let mut extra = s.extra;
    let (input, _) = split_audio(s.audio);
    let modalities = extra
        .remove("modalities")
        .and_then(|m| serde_json::from_value(m).ok());
    beta::TranscriptionSession {
        id: s.id,
        object: s.object,
        expires_at: s.expires_at,
        modalities,
        input_audio_format: input.format.as_ref().and_then(BetaAudioFormat::from_ga),
        input_audio_transcription: input.transcription,
        turn_detection: input.turn_detection,
        input_audio_noise_reduction: input.noise_reduction,
        include: s.include,
        client_secret: extra.remove("client_secret"),
        extra,
    }
}

/// A beta response as a GA response.
pub fn response_to_ga(r: beta::Response) -> Response {
    let mut extra = r.extra;
    put_number(&mut extra, "temperature", r.temperature);
    let output = response_output_to_ga(r.output_audio_format, r.voice);
    let items = items_to_ga(r.output);
    Response {
        object: r.object,
        id: r.id,
        status: r.status,
        status_details: r.status_details,
        output: items,
        conversation_id: r.conversation_id,
        output_modalities: r.modalities.map(|m| modalities_to_ga(m, &mut extra)),
        max_output_tokens: r.max_output_tokens,
        audio: audio(None, output),
        usage: r.usage,
        metadata: r.metadata,
        extra,
    }
}

/// A GA response as a beta response.
pub fn response_to_beta(r: Response) -> beta::Response {
    let mut extra = r.extra;
    let (_, output) = split_audio(r.audio);
    let items = items_to_beta(r.output);
    beta::Response {
        object: r.object,
        id: r.id,
        status: r.status,
        status_details: r.status_details,
        output: items,
        conversation_id: r.conversation_id,
        modalities: modalities_to_beta(r.output_modalities, &mut extra),
        voice: output.voice,
        output_audio_format: output.format.as_ref().and_then(BetaAudioFormat::from_ga),
        temperature: take_number(&mut extra, "temperature"),
        max_output_tokens: r.max_output_tokens,
        usage: r.usage,
        metadata: r.metadata,
        extra,
    }
}

/// Beta `response.create` parameters as GA parameters.
pub fn response_params_to_ga(p: beta::ResponseCreateParams) -> ResponseCreateParams {
    let mut extra = p.extra;
    put_number(&mut extra, "temperature", p.temperature);
    let output = response_output_to_ga(p.output_audio_format, p.voice);
    let input = items_to_ga(p.input);
    ResponseCreateParams {
        output_modalities: p.modalities.map(|m| modalities_to_ga(m, &mut extra)),
        instructions: p.instructions,
        audio: audio(None, output),
        tools: p.tools,
        tool_choice: p.tool_choice,
        max_output_tokens: p.max_response_output_tokens,
        conversation: p.conversation,
        metadata: p.metadata,
        input,
        prompt: None,
        reasoning: None,
        parallel_tool_calls: None,
        extra,
    }
}

/// GA `response.create` parameters as beta parameters.
pub fn response_params_to_beta(p: ResponseCreateParams) -> beta::ResponseCreateParams {
    let mut extra = p.extra;
    put_value(&mut extra, "prompt", p.prompt);
    put_value(&mut extra, "reasoning", p.reasoning);
    put_value(
        &mut extra,
        "parallel_tool_calls",
        p.parallel_tool_calls.map(Into::into),
    );
    let (_, output) = split_audio(p.audio);
    let input = items_to_beta(p.input);
    beta::ResponseCreateParams {
        modalities: modalities_to_beta(p.output_modalities, &mut extra),
        instructions: p.instructions,
        voice: output.voice,
        output_audio_format: output.format.as_ref().and_then(BetaAudioFormat::from_ga),
        tools: p.tools,
        tool_choice: p.tool_choice,
        temperature: take_number(&mut extra, "temperature"),
        max_response_output_tokens: p.max_output_tokens,
        conversation: p.conversation,
        metadata: p.metadata,
        input,
        extra,
    }
}
