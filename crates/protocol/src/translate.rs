//! Translation between the beta dialect and the GA model, in both directions.
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
use crate::event::client::{ClientEvent, ResponseCreate, SessionUpdate};
use crate::event::server::{self as ga, ServerEvent};
use crate::item::{ContentKind, Item, Role};
use crate::response::{Response, ResponseCreateParams};
use crate::session::{AudioInput, AudioOutput, Modality, Session, SessionAudio, SessionKind};

type Extra = serde_json::Map<String, serde_json::Value>;

/// A beta server event in the GA model.
pub fn server_to_ga(event: beta::ServerEvent) -> ServerEvent {
    use beta::ServerEvent as B;
    match event {
        B::ResponseAudioDelta(e) => ServerEvent::ResponseOutputAudioDelta(e),
        B::ResponseAudioTranscriptDelta(e) => ServerEvent::ResponseOutputAudioTranscriptDelta(e),
        B::ResponseTextDelta(e) => ServerEvent::ResponseOutputTextDelta(e),
        B::ResponseAudioDone(e) => ServerEvent::ResponseOutputAudioDone(e),
        B::ResponseAudioTranscriptDone(e) => ServerEvent::ResponseOutputAudioTranscriptDone(e),
        B::ResponseTextDone(e) => ServerEvent::ResponseOutputTextDone(e),
        B::Error(e) => ServerEvent::Error(e),
        B::SessionCreated(e) => ServerEvent::SessionCreated(ga::SessionCreated {
            event_id: e.event_id,
            session: Box::new(session_to_ga(*e.session)),
            extra: e.extra,
        }),
        B::SessionUpdated(e) => ServerEvent::SessionUpdated(ga::SessionUpdated {
            event_id: e.event_id,
            session: Box::new(session_to_ga(*e.session)),
            extra: e.extra,
        }),
        B::TranscriptionSessionCreated(e) => ServerEvent::SessionCreated(ga::SessionCreated {
            event_id: e.event_id,
            session: Box::new(transcription_session_to_ga(*e.session)),
            extra: e.extra,
        }),
        B::TranscriptionSessionUpdated(e) => ServerEvent::SessionUpdated(ga::SessionUpdated {
            event_id: e.event_id,
            session: Box::new(transcription_session_to_ga(*e.session)),
            extra: e.extra,
        }),
        B::ConversationCreated(e) => ServerEvent::ConversationCreated(e),
        B::ConversationItemCreated(mut e) => {
            item_to_ga(&mut e.item);
            ServerEvent::ConversationItemAdded(ga::ConversationItemAdded {
                event_id: e.event_id,
                previous_item_id: e.previous_item_id,
                item: e.item,
                extra: e.extra,
            })
        }
        B::ConversationItemDone(mut e) => {
            item_to_ga(&mut e.item);
            ServerEvent::ConversationItemDone(e)
        }
        B::ConversationItemRetrieved(mut e) => {
            item_to_ga(&mut e.item);
            ServerEvent::ConversationItemRetrieved(e)
        }
        B::ConversationItemTruncated(e) => ServerEvent::ConversationItemTruncated(e),
        B::ConversationItemDeleted(e) => ServerEvent::ConversationItemDeleted(e),
        B::ConversationItemInputAudioTranscriptionDelta(e) => {
            ServerEvent::ConversationItemInputAudioTranscriptionDelta(e)
        }
        B::ConversationItemInputAudioTranscriptionCompleted(e) => {
            ServerEvent::ConversationItemInputAudioTranscriptionCompleted(e)
        }
        B::ConversationItemInputAudioTranscriptionFailed(e) => {
            ServerEvent::ConversationItemInputAudioTranscriptionFailed(e)
        }
        B::InputAudioBufferCommitted(e) => ServerEvent::InputAudioBufferCommitted(e),
        B::InputAudioBufferCleared(e) => ServerEvent::InputAudioBufferCleared(e),
        B::InputAudioBufferSpeechStarted(e) => ServerEvent::InputAudioBufferSpeechStarted(e),
        B::InputAudioBufferSpeechStopped(e) => ServerEvent::InputAudioBufferSpeechStopped(e),
        B::OutputAudioBufferStarted(e) => ServerEvent::OutputAudioBufferStarted(e),
        B::OutputAudioBufferStopped(e) => ServerEvent::OutputAudioBufferStopped(e),
        B::OutputAudioBufferCleared(e) => ServerEvent::OutputAudioBufferCleared(e),
        B::RateLimitsUpdated(e) => ServerEvent::RateLimitsUpdated(e),
        B::ResponseCreated(e) => ServerEvent::ResponseCreated(ga::ResponseCreated {
            event_id: e.event_id,
            response: Box::new(response_to_ga(*e.response)),
            extra: e.extra,
        }),
        B::ResponseDone(e) => ServerEvent::ResponseDone(ga::ResponseDone {
            event_id: e.event_id,
            response: Box::new(response_to_ga(*e.response)),
            extra: e.extra,
        }),
        B::ResponseOutputItemAdded(mut e) => {
            item_to_ga(&mut e.item);
            ServerEvent::ResponseOutputItemAdded(e)
        }
        B::ResponseOutputItemDone(mut e) => {
            item_to_ga(&mut e.item);
            ServerEvent::ResponseOutputItemDone(e)
        }
        B::ResponseContentPartAdded(e) => ServerEvent::ResponseContentPartAdded(e),
        B::ResponseContentPartDone(e) => ServerEvent::ResponseContentPartDone(e),
        B::ResponseFunctionCallArgumentsDelta(e) => {
            ServerEvent::ResponseFunctionCallArgumentsDelta(e)
        }
        B::ResponseFunctionCallArgumentsDone(e) => {
            ServerEvent::ResponseFunctionCallArgumentsDone(e)
        }
        B::Unknown(v) => ServerEvent::Unknown(v),
    }
}

/// A GA-model server event in the beta dialect (for a server speaking beta).
pub fn server_to_beta(event: ServerEvent) -> beta::ServerEvent {
    use beta::ServerEvent as B;
    match event {
        ServerEvent::ResponseOutputAudioDelta(e) => B::ResponseAudioDelta(e),
        ServerEvent::ResponseOutputAudioTranscriptDelta(e) => B::ResponseAudioTranscriptDelta(e),
        ServerEvent::ResponseOutputTextDelta(e) => B::ResponseTextDelta(e),
        ServerEvent::ResponseOutputAudioDone(e) => B::ResponseAudioDone(e),
        ServerEvent::ResponseOutputAudioTranscriptDone(e) => B::ResponseAudioTranscriptDone(e),
        ServerEvent::ResponseOutputTextDone(e) => B::ResponseTextDone(e),
        ServerEvent::Error(e) => B::Error(e),
        ServerEvent::SessionCreated(e) => {
            if e.session.kind == Some(SessionKind::Transcription) {
                B::TranscriptionSessionCreated(beta::TranscriptionSessionCreated {
                    event_id: e.event_id,
                    session: Box::new(transcription_session_to_beta(*e.session)),
                    extra: e.extra,
                })
            } else {
                B::SessionCreated(beta::SessionCreated {
                    event_id: e.event_id,
                    session: Box::new(session_to_beta(*e.session)),
                    extra: e.extra,
                })
            }
        }
        ServerEvent::SessionUpdated(e) => {
            if e.session.kind == Some(SessionKind::Transcription) {
                B::TranscriptionSessionUpdated(beta::TranscriptionSessionUpdated {
                    event_id: e.event_id,
                    session: Box::new(transcription_session_to_beta(*e.session)),
                    extra: e.extra,
                })
            } else {
                B::SessionUpdated(beta::SessionUpdated {
                    event_id: e.event_id,
                    session: Box::new(session_to_beta(*e.session)),
                    extra: e.extra,
                })
            }
        }
        ServerEvent::ConversationCreated(e) => B::ConversationCreated(e),
        ServerEvent::ConversationItemCreated(mut e) => {
            item_to_beta(&mut e.item);
            B::ConversationItemCreated(e)
        }
        ServerEvent::ConversationItemAdded(mut e) => {
            item_to_beta(&mut e.item);
            B::ConversationItemCreated(ga::ConversationItemCreated {
                event_id: e.event_id,
                previous_item_id: e.previous_item_id,
                item: e.item,
                extra: e.extra,
            })
        }
        ServerEvent::ConversationItemDone(mut e) => {
            item_to_beta(&mut e.item);
            B::ConversationItemDone(e)
        }
        ServerEvent::ConversationItemRetrieved(mut e) => {
            item_to_beta(&mut e.item);
            B::ConversationItemRetrieved(e)
        }
        ServerEvent::ConversationItemTruncated(e) => B::ConversationItemTruncated(e),
        ServerEvent::ConversationItemDeleted(e) => B::ConversationItemDeleted(e),
        ServerEvent::ConversationItemInputAudioTranscriptionDelta(e) => {
            B::ConversationItemInputAudioTranscriptionDelta(e)
        }
        ServerEvent::ConversationItemInputAudioTranscriptionCompleted(e) => {
            B::ConversationItemInputAudioTranscriptionCompleted(e)
        }
        ServerEvent::ConversationItemInputAudioTranscriptionFailed(e) => {
            B::ConversationItemInputAudioTranscriptionFailed(e)
        }
        ServerEvent::InputAudioBufferCommitted(e) => B::InputAudioBufferCommitted(e),
        ServerEvent::InputAudioBufferCleared(e) => B::InputAudioBufferCleared(e),
        ServerEvent::InputAudioBufferSpeechStarted(e) => B::InputAudioBufferSpeechStarted(e),
        ServerEvent::InputAudioBufferSpeechStopped(e) => B::InputAudioBufferSpeechStopped(e),
        ServerEvent::OutputAudioBufferStarted(e) => B::OutputAudioBufferStarted(e),
        ServerEvent::OutputAudioBufferStopped(e) => B::OutputAudioBufferStopped(e),
        ServerEvent::OutputAudioBufferCleared(e) => B::OutputAudioBufferCleared(e),
        ServerEvent::RateLimitsUpdated(e) => B::RateLimitsUpdated(e),
        ServerEvent::ResponseCreated(e) => B::ResponseCreated(beta::ResponseCreated {
            event_id: e.event_id,
            response: Box::new(response_to_beta(*e.response)),
            extra: e.extra,
        }),
        ServerEvent::ResponseDone(e) => B::ResponseDone(beta::ResponseDone {
            event_id: e.event_id,
            response: Box::new(response_to_beta(*e.response)),
            extra: e.extra,
        }),
        ServerEvent::ResponseOutputItemAdded(mut e) => {
            item_to_beta(&mut e.item);
            B::ResponseOutputItemAdded(e)
        }
        ServerEvent::ResponseOutputItemDone(mut e) => {
            item_to_beta(&mut e.item);
            B::ResponseOutputItemDone(e)
        }
        ServerEvent::ResponseContentPartAdded(e) => B::ResponseContentPartAdded(e),
        ServerEvent::ResponseContentPartDone(e) => B::ResponseContentPartDone(e),
        ServerEvent::ResponseFunctionCallArgumentsDelta(e) => {
            B::ResponseFunctionCallArgumentsDelta(e)
        }
        ServerEvent::ResponseFunctionCallArgumentsDone(e) => {
            B::ResponseFunctionCallArgumentsDone(e)
        }
        ServerEvent::Unknown(v) => B::Unknown(v),
        other => B::Unknown(serde_json::to_value(&other).unwrap_or_default()),
    }
}

/// A beta client event in the GA model (for a server that accepts beta clients).
pub fn client_to_ga(event: beta::ClientEvent) -> ClientEvent {
    use beta::ClientEvent as B;
    match event {
        B::InputAudioBufferAppend(e) => ClientEvent::InputAudioBufferAppend(e),
        B::SessionUpdate(e) => ClientEvent::SessionUpdate(SessionUpdate {
            event_id: e.event_id,
            session: Box::new(session_to_ga(*e.session)),
            extra: e.extra,
        }),
        B::TranscriptionSessionUpdate(e) => ClientEvent::SessionUpdate(SessionUpdate {
            event_id: e.event_id,
            session: Box::new(transcription_session_to_ga(*e.session)),
            extra: e.extra,
        }),
        B::InputAudioBufferCommit(e) => ClientEvent::InputAudioBufferCommit(e),
        B::InputAudioBufferClear(e) => ClientEvent::InputAudioBufferClear(e),
        B::OutputAudioBufferClear(e) => ClientEvent::OutputAudioBufferClear(e),
        B::ConversationItemCreate(mut e) => {
            item_to_ga(&mut e.item);
            ClientEvent::ConversationItemCreate(e)
        }
        B::ConversationItemRetrieve(e) => ClientEvent::ConversationItemRetrieve(e),
        B::ConversationItemTruncate(e) => ClientEvent::ConversationItemTruncate(e),
        B::ConversationItemDelete(e) => ClientEvent::ConversationItemDelete(e),
        B::ResponseCreate(e) => ClientEvent::ResponseCreate(ResponseCreate {
            event_id: e.event_id,
            response: e.response.map(response_params_to_ga),
            extra: e.extra,
        }),
        B::ResponseCancel(e) => ClientEvent::ResponseCancel(e),
        B::Unknown(v) => ClientEvent::Unknown(v),
    }
}

/// A GA-model client event in the beta dialect.
pub fn client_to_beta(event: ClientEvent) -> beta::ClientEvent {
    use beta::ClientEvent as B;
    match event {
        ClientEvent::InputAudioBufferAppend(e) => B::InputAudioBufferAppend(e),
        ClientEvent::SessionUpdate(e) => {
            if e.session.kind == Some(SessionKind::Transcription) {
                B::TranscriptionSessionUpdate(beta::TranscriptionSessionUpdate {
                    event_id: e.event_id,
                    session: Box::new(transcription_session_to_beta(*e.session)),
                    extra: e.extra,
                })
            } else {
                B::SessionUpdate(beta::SessionUpdate {
                    event_id: e.event_id,
                    session: Box::new(session_to_beta(*e.session)),
                    extra: e.extra,
                })
            }
        }
        ClientEvent::InputAudioBufferCommit(e) => B::InputAudioBufferCommit(e),
        ClientEvent::InputAudioBufferClear(e) => B::InputAudioBufferClear(e),
        ClientEvent::OutputAudioBufferClear(e) => B::OutputAudioBufferClear(e),
        ClientEvent::ConversationItemCreate(mut e) => {
            item_to_beta(&mut e.item);
            B::ConversationItemCreate(e)
        }
        ClientEvent::ConversationItemRetrieve(e) => B::ConversationItemRetrieve(e),
        ClientEvent::ConversationItemTruncate(e) => B::ConversationItemTruncate(e),
        ClientEvent::ConversationItemDelete(e) => B::ConversationItemDelete(e),
        ClientEvent::ResponseCreate(e) => B::ResponseCreate(beta::ResponseCreate {
            event_id: e.event_id,
            response: e.response.map(response_params_to_beta),
            extra: e.extra,
        }),
        ClientEvent::ResponseCancel(e) => B::ResponseCancel(e),
        ClientEvent::Unknown(v) => B::Unknown(v),
    }
}

/// Beta assistant content `text`/`audio` becomes GA `output_text`/`output_audio`.
pub fn item_to_ga(item: &mut Item) {
    if item.role != Some(Role::Assistant) {
        return;
    }
    for part in item.content.iter_mut().flatten() {
        match part.kind {
            Some(ContentKind::Text) => part.kind = Some(ContentKind::OutputText),
            Some(ContentKind::Audio) => part.kind = Some(ContentKind::OutputAudio),
            _ => {}
        }
    }
}

/// GA assistant content `output_text`/`output_audio` becomes beta `text`/`audio`.
pub fn item_to_beta(item: &mut Item) {
    if item.role != Some(Role::Assistant) {
        return;
    }
    for part in item.content.iter_mut().flatten() {
        match part.kind {
            Some(ContentKind::OutputText) => part.kind = Some(ContentKind::Text),
            Some(ContentKind::OutputAudio) => part.kind = Some(ContentKind::Audio),
            _ => {}
        }
    }
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
    extra.insert(
        "modalities".to_owned(),
        serde_json::to_value(&m).unwrap_or_default(),
    );
    ga
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
        put_value(&mut extra, "modalities", serde_json::to_value(m).ok());
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
    let output = non_empty_output(AudioOutput {
        format: r.output_audio_format.as_ref().map(BetaAudioFormat::to_ga),
        voice: r.voice,
        ..Default::default()
    });
    let mut items = r.output;
    for item in items.iter_mut().flatten() {
        item_to_ga(item);
    }
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
    let mut items = r.output;
    for item in items.iter_mut().flatten() {
        item_to_beta(item);
    }
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
    let output = non_empty_output(AudioOutput {
        format: p.output_audio_format.as_ref().map(BetaAudioFormat::to_ga),
        voice: p.voice,
        ..Default::default()
    });
    let mut input = p.input;
    for item in input.iter_mut().flatten() {
        item_to_ga(item);
    }
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
    let mut input = p.input;
    for item in input.iter_mut().flatten() {
        item_to_beta(item);
    }
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
