//! Response generation: asks the responder, synthesizes speech, and streams the response
//! events of DESIGN §4 as a task that can be cancelled at any point.

use std::sync::Arc;
use std::time::Duration;

use rtclient_audio::WireFormat;
use rtclient_protocol::event::server as ev;
use rtclient_protocol::{
    ApiError, ContentKind, ContentPart, Item, ItemKind, ItemStatus, MaxTokens, Modality, Nullable,
    Response, ResponseStatus, Role, ServerEvent, SessionAudio, StatusDetails, StatusReason,
    TokenDetails, Usage,
};

use super::config;
use super::conversation::{MAX_CONVERSATION_AUDIO, Stored, without_audio};
use super::emit::Emitter;
use super::ids::new_id;
use super::live_reply;
use super::realtime::{Engines, Pace, SharedState, State};
use super::reply_stream::{Produced, ReplyStream};
use super::speech::{DELTA_MS, Spoken, speak};
use crate::faults::Failure;
use crate::responder::{FunctionOutput, Prompt, Reply};

/// The response in progress (at most one per session).
#[derive(Debug)]
pub(crate) struct Active {
    /// The response object as far as it got.
    pub(crate) response: Response,
}

/// What a response is asked to do, resolved from the session and `response.create`.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) response: Response,
    pub(crate) audio: bool,
    pub(crate) voice: String,
    pub(crate) format: WireFormat,
    /// The response's instructions (its own, else the session's).
    pub(crate) instructions: Option<String>,
    pub(crate) in_conversation: bool,
    /// Items the response reads instead of the conversation (`input`).
    pub(crate) input: Option<Vec<Item>>,
    /// The function tools the response may call (each has a name).
    pub(crate) tools: Vec<rtclient_protocol::Tool>,
    /// The response's `tool_choice`, else the session's.
    pub(crate) tool_choice: Option<rtclient_protocol::ToolChoice>,
}

/// The `response` object of `response.created`.
pub(crate) fn new_response(
    id: String,
    conversation_id: Option<&str>,
    modalities: Vec<Modality>,
    audio: SessionAudio,
    max_output_tokens: Option<rtclient_protocol::MaxTokens>,
    metadata: Option<serde_json::Value>,
) -> Response {
    Response {
        object: Some("realtime.response".to_owned()),
        id: Some(id),
        status: Some(ResponseStatus::InProgress),
        status_details: Some(Nullable::Null),
        output: Some(Vec::new()),
        conversation_id: conversation_id.map(str::to_owned),
        output_modalities: Some(modalities),
        max_output_tokens,
        audio: Some(audio),
        usage: Some(Nullable::Null),
        metadata: Some(metadata.unwrap_or(serde_json::Value::Null)),
        ..Default::default()
    }
}

/// Runs one response to its end (or until it is cancelled elsewhere), with the faults its
/// answer carries: a stall after `response.created`, a broken connection during or after it.
pub(crate) async fn generate(
    state: SharedState,
    emitter: Emitter,
    engines: Arc<Engines>,
    plan: Plan,
) {
    let Some(mut replies) = ReplyStream::start(&state, &engines, &plan) else {
        return;
    };
    let answer = match replies.next().await {
        Some(Produced::Done(answer)) => answer,
        // A model speaking as it generates: the reply streams as it comes.
        Some(Produced::Text(first)) => {
            live_reply::respond(&state, &emitter, &engines, plan, first, replies).await;
            emitter.end_of_response();
            return;
        }
        None => return,
    };
    // `response.created` was sent already: it counts towards a disruption's events.
    let emitter = match answer.disruption {
        Some(disruption) => emitter.with_disruption(disruption, 1),
        None => emitter,
    };
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    respond(&state, &emitter, &engines, plan, answer.reply).await;
    emitter.end_of_response();
}

/// Streams `reply` as the response's events.
async fn respond(
    state: &SharedState,
    emitter: &Emitter,
    engines: &Arc<Engines>,
    plan: Plan,
    reply: Reply,
) {
    let id = plan.response.id.clone().unwrap_or_default();
    let ctx = Ctx {
        state,
        emitter,
        id: &id,
        in_conversation: plan.in_conversation,
    };
    let item_id = new_id("item_");
    match reply {
        Reply::Fail(failure) => {
            let error = ServerEvent::error(ApiError {
                kind: Some(failure.kind.clone()),
                code: Some(failure.code.clone().into()),
                message: Some(failure.message.clone()),
                param: Some(Nullable::Null),
                event_id: Some(Nullable::Null),
                ..Default::default()
            });
            if ctx.emit(error) {
                ctx.fail(&failure);
            }
        }
        Reply::Call { name, arguments } => {
            let call_id = new_id("call_");
            let mut item = Item {
                id: Some(item_id.clone()),
                kind: Some(ItemKind::FunctionCall),
                status: Some(ItemStatus::InProgress),
                name: Some(name.clone()),
                call_id: Some(call_id.clone()),
                arguments: Some(String::new()),
                ..Default::default()
            };
            if !ctx.add_item(&item) {
                return;
            }
            for piece in split_text(&arguments, 4) {
                if !ctx.emit(ev::ResponseFunctionCallArgumentsDelta {
                    response_id: id.clone(),
                    item_id: item_id.clone(),
                    output_index: 0,
                    call_id: call_id.clone(),
                    delta: piece,
                    ..Default::default()
                }) {
                    return;
                }
                pause(engines.pace, 10).await;
            }
            if !ctx.emit(ev::ResponseFunctionCallArgumentsDone {
                response_id: id.clone(),
                item_id: item_id.clone(),
                output_index: 0,
                call_id,
                name: Some(name),
                arguments: arguments.clone(),
                ..Default::default()
            }) {
                return;
            }
            item.status = Some(ItemStatus::Completed);
            item.arguments = Some(arguments);
            ctx.finish(item, Vec::new(), 0);
        }
        Reply::Say(text) => {
            let (text, cut) = limit_tokens(text, plan.response.max_output_tokens);
            let speech = if plan.audio {
                match speak(engines, &text, &plan.voice, plan.format).await {
                    Some(s) => Some(s),
                    None => {
                        ctx.fail(&Failure {
                            message: "Speech synthesis failed.".to_owned(),
                            ..Failure::default()
                        });
                        return;
                    }
                }
            } else {
                None
            };
            let Some(item) = open_message(&ctx, &item_id, plan.audio) else {
                return;
            };
            let (audio_bytes, audio_ms) = match speech {
                Some(spoken) => {
                    let words = split_words(&text);
                    if !stream_spoken(&ctx, engines, &item_id, "", &words, &spoken, plan.format)
                        .await
                    {
                        return;
                    }
                    (spoken.bytes.clone(), spoken.duration_ms)
                }
                None => {
                    for word in split_words(&text) {
                        if !ctx.emit(ev::ResponseOutputTextDelta {
                            response_id: id.clone(),
                            item_id: item_id.clone(),
                            output_index: 0,
                            content_index: 0,
                            delta: word,
                            ..Default::default()
                        }) {
                            return;
                        }
                        pause(engines.pace, 20).await;
                    }
                    (Vec::new(), 0)
                }
            };
            complete_message(&ctx, item, plan.audio, text, cut, audio_bytes, audio_ms);
        }
    }
}

/// Starts an assistant message: `output_item.added` (+ `conversation.item.added`) and an empty
/// audio or text `content_part.added`. `None` once the response is no longer active.
pub(super) fn open_message(ctx: &Ctx<'_>, item_id: &str, audio: bool) -> Option<Item> {
    let item = Item {
        id: Some(item_id.to_owned()),
        kind: Some(ItemKind::Message),
        status: Some(ItemStatus::InProgress),
        role: Some(Role::Assistant),
        content: Some(Vec::new()),
        ..Default::default()
    };
    if !ctx.add_item(&item) {
        return None;
    }
    let empty_part = if audio {
        ContentPart {
            kind: Some(ContentKind::Audio),
            transcript: Some(Nullable::Value(String::new())),
            ..Default::default()
        }
    } else {
        ContentPart {
            kind: Some(ContentKind::Text),
            text: Some(String::new()),
            ..Default::default()
        }
    };
    ctx.emit(ev::ResponseContentPartAdded {
        response_id: ctx.id.to_owned(),
        item_id: item_id.to_owned(),
        output_index: 0,
        content_index: 0,
        part: empty_part,
        ..Default::default()
    })
    .then_some(item)
}

/// Ends an assistant message whose deltas were all sent: the `output_audio.done` +
/// `output_audio_transcript.done` (or `output_text.done`) and `content_part.done` events, then
/// the item and the response (`incomplete` when `cut` by the token limit).
pub(super) fn complete_message(
    ctx: &Ctx<'_>,
    mut item: Item,
    audio: bool,
    text: String,
    cut: bool,
    audio_bytes: Vec<u8>,
    audio_ms: u64,
) {
    let id = ctx.id.to_owned();
    let item_id = item.id.clone().unwrap_or_default();
    let sent = if audio {
        ctx.emit(ev::ResponseOutputAudioDone {
            response_id: id.clone(),
            item_id: item_id.clone(),
            output_index: 0,
            content_index: 0,
            ..Default::default()
        }) && ctx.emit(ev::ResponseOutputAudioTranscriptDone {
            response_id: id.clone(),
            item_id: item_id.clone(),
            output_index: 0,
            content_index: 0,
            transcript: text.clone(),
            ..Default::default()
        })
    } else {
        ctx.emit(ev::ResponseOutputTextDone {
            response_id: id.clone(),
            item_id: item_id.clone(),
            output_index: 0,
            content_index: 0,
            text: text.clone(),
            ..Default::default()
        })
    };
    if !sent {
        return;
    }
    let done_part = if audio {
        ContentPart {
            kind: Some(ContentKind::Audio),
            transcript: Some(Nullable::Value(text.clone())),
            ..Default::default()
        }
    } else {
        ContentPart {
            kind: Some(ContentKind::Text),
            text: Some(text.clone()),
            ..Default::default()
        }
    };
    if !ctx.emit(ev::ResponseContentPartDone {
        response_id: id,
        item_id,
        output_index: 0,
        content_index: 0,
        part: done_part,
        ..Default::default()
    }) {
        return;
    }
    let content = if audio {
        ContentPart {
            kind: Some(ContentKind::OutputAudio),
            transcript: Some(Nullable::Value(text)),
            ..Default::default()
        }
    } else {
        ContentPart {
            kind: Some(ContentKind::OutputText),
            text: Some(text),
            ..Default::default()
        }
    };
    item.status = Some(if cut {
        ItemStatus::Incomplete
    } else {
        ItemStatus::Completed
    });
    item.content = Some(vec![content]);
    ctx.finish(item, audio_bytes, audio_ms);
}

/// Calls `f` with the responder's view of `items` (the conversation, or the response's own
/// `input`), the user's latest audio length and the response's plan.
pub(super) fn with_prompt<R>(
    items: &[Item],
    audio_ms: Option<u64>,
    plan: &Plan,
    f: impl FnOnce(&Prompt<'_>) -> R,
) -> R {
    let tool_names: Vec<&str> = plan
        .tools
        .iter()
        .filter_map(|t| t.name.as_deref())
        .collect();
    let last = items.last();
    let function_output = last
        .filter(|i| i.kind == Some(ItemKind::FunctionCallOutput))
        .map(|out| {
            let call = items.iter().rev().find(|i| {
                i.kind == Some(ItemKind::FunctionCall)
                    && i.call_id.is_some()
                    && i.call_id == out.call_id
            });
            FunctionOutput {
                name: call.and_then(|c| c.name.as_deref()).unwrap_or("function"),
                output: out
                    .output
                    .as_ref()
                    .and_then(Nullable::value)
                    .map(String::as_str)
                    .unwrap_or(""),
            }
        });
    let user_text = items
        .iter()
        .rev()
        .find(|i| i.role == Some(Role::User))
        .and_then(|i| i.content.as_ref())
        .and_then(|parts| {
            parts.iter().find_map(|p| match p.kind {
                Some(ContentKind::InputText) => p.text.as_deref(),
                Some(ContentKind::InputAudio) => p
                    .transcript
                    .as_ref()
                    .and_then(Nullable::value)
                    .map(String::as_str),
                _ => None,
            })
        });
    let prompt = Prompt {
        user_text,
        user_audio_ms: audio_ms,
        function_output,
        tools: &tool_names,
        tool_specs: &plan.tools,
        tool_choice: plan.tool_choice.as_ref(),
        instructions: plan.instructions.as_deref(),
        history: items,
    };
    f(&prompt)
}

/// Streams `spoken` as `output_audio.delta` events, with the transcript deltas of `words`
/// spread over them; `said_before` is the message's transcript before these words. False once
/// the response is no longer active.
pub(super) async fn stream_spoken(
    ctx: &Ctx<'_>,
    engines: &Engines,
    item_id: &str,
    said_before: &str,
    words: &[String],
    spoken: &Spoken,
    format: WireFormat,
) -> bool {
    let chunks: Vec<&[u8]> = spoken.bytes.chunks(spoken.chunk).collect();
    let n = chunks.len().max(1);
    let mut next_word = 0;
    let id = ctx.id.to_owned();
    for i in 0..n {
        let upto = (words.len() * (i + 1)).div_ceil(n);
        while next_word < upto {
            if !ctx.emit(ev::ResponseOutputAudioTranscriptDelta {
                response_id: id.clone(),
                item_id: item_id.to_owned(),
                output_index: 0,
                content_index: 0,
                delta: words[next_word].clone(),
                ..Default::default()
            }) {
                return false;
            }
            next_word += 1;
        }
        if let (Some(piece), Some(delta)) = (chunks.get(i), spoken.deltas.get(i)) {
            if !ctx.emit(ev::ResponseOutputAudioDelta {
                response_id: id.clone(),
                item_id: item_id.to_owned(),
                output_index: 0,
                content_index: 0,
                delta: delta.clone(),
                ..Default::default()
            }) {
                return false;
            }
            let transcript = format!("{said_before}{}", words[..next_word].concat());
            ctx.record_audio(item_id, piece, format, &transcript);
            pause(engines.pace, DELTA_MS).await;
        }
    }
    true
}

pub(super) async fn pause(pace: Pace, ms: u64) {
    match pace {
        Pace::Max => tokio::task::yield_now().await,
        Pace::Speed(speed) => {
            let speed = if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            };
            tokio::time::sleep(Duration::from_secs_f64(
                ms as f64 / 1000.0 / f64::from(speed),
            ))
            .await;
        }
    }
}

/// Cuts `text` to what fits in `max` output tokens (~1.3 tokens a word); true when cut.
pub(super) fn limit_tokens(text: String, max: Option<MaxTokens>) -> (String, bool) {
    let Some(MaxTokens::Count(max)) = max else {
        return (text, false);
    };
    let words: Vec<&str> = text.split(' ').collect();
    let fit = (max * 10 / 13) as usize;
    if words.len() <= fit {
        return (text, false);
    }
    (words[..fit].join(" "), true)
}

/// Words with their leading space (`"Hello"`, `" world."`).
pub(super) fn split_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, word) in text.split(' ').enumerate() {
        out.push(if i == 0 {
            word.to_owned()
        } else {
            format!(" {word}")
        });
    }
    out
}

fn split_text(text: &str, pieces: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(pieces).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// Helpers bound to one running response.
pub(super) struct Ctx<'a> {
    pub(super) state: &'a SharedState,
    pub(super) emitter: &'a Emitter,
    pub(super) id: &'a str,
    pub(super) in_conversation: bool,
}

impl Ctx<'_> {
    /// Emits while the response is still the active one; false once it was cancelled.
    pub(super) fn emit(&self, event: impl Into<rtclient_protocol::ServerEvent>) -> bool {
        let Ok(st) = self.state.lock() else {
            return false;
        };
        if !is_active(&st.active, self.id) {
            return false;
        }
        self.emitter.send(event);
        true
    }

    /// `output_item.added` + `conversation.item.added`, and records the item.
    pub(super) fn add_item(&self, item: &Item) -> bool {
        let Ok(mut st) = self.state.lock() else {
            return false;
        };
        if !is_active(&st.active, self.id) {
            return false;
        }
        self.emitter.send(ev::ResponseOutputItemAdded {
            response_id: self.id.to_owned(),
            output_index: 0,
            item: item.clone(),
            ..Default::default()
        });
        if let Some(active) = st.active.as_mut() {
            active
                .response
                .output
                .get_or_insert_with(Vec::new)
                .push(item.clone());
        }
        if self.in_conversation {
            let previous = st.conversation.push(Stored {
                item: item.clone(),
                audio: Vec::new(),
                audio_ms: 0,
            });
            self.emitter.send(ev::ConversationItemAdded {
                previous_item_id: Some(previous.into()),
                item: item.clone(),
                ..Default::default()
            });
        }
        true
    }

    /// Records audio sent so far in the item, so a cancelled response leaves an assistant
    /// message with its partial `output_audio` (which the client can then truncate), as the real
    /// service does.
    pub(super) fn record_audio(
        &self,
        item_id: &str,
        piece: &[u8],
        format: WireFormat,
        transcript: &str,
    ) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if !is_active(&st.active, self.id) {
            return;
        }
        let partial = vec![ContentPart {
            kind: Some(ContentKind::OutputAudio),
            transcript: Some(Nullable::Value(transcript.to_owned())),
            ..Default::default()
        }];
        if let Some(active) = st.active.as_mut() {
            for item in active.response.output.iter_mut().flatten() {
                if item.id.as_deref() == Some(item_id) {
                    item.content = Some(partial.clone());
                }
            }
        }
        if self.in_conversation
            && let Some(stored) = st.conversation.get_mut(item_id)
        {
            stored.item.content = Some(partial);
            stored.audio.extend_from_slice(piece);
            stored.audio_ms = stored.audio.len() as u64 * 1000 / format.bytes_per_second().max(1);
        }
    }

    /// `conversation.item.done` -> `output_item.done` -> `response.done` -> `rate_limits.updated`.
    pub(super) fn finish(&self, item: Item, audio: Vec<u8>, audio_ms: u64) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if !is_active(&st.active, self.id) {
            return;
        }
        let item_id = item.id.clone().unwrap_or_default();
        if self.in_conversation {
            if !audio.is_empty() {
                st.audio_produced = true;
            }
            if let Some(stored) = st.conversation.get_mut(&item_id) {
                stored.item = item.clone();
                stored.audio = audio;
                stored.audio_ms = audio_ms;
            }
            st.conversation.limit_audio(MAX_CONVERSATION_AUDIO);
            self.emitter.send(ev::ConversationItemDone {
                previous_item_id: Some(Nullable::Null),
                item: without_audio(&item),
                ..Default::default()
            });
        }
        self.emitter.send(ev::ResponseOutputItemDone {
            response_id: self.id.to_owned(),
            output_index: 0,
            item: item.clone(),
            ..Default::default()
        });
        let Some(mut active) = st.active.take() else {
            return;
        };
        active.response.output = Some(vec![item.clone()]);
        if item.status == Some(ItemStatus::Incomplete) {
            active.response.status = Some(ResponseStatus::Incomplete);
            active.response.status_details = Some(Nullable::Value(StatusDetails {
                kind: Some(ResponseStatus::Incomplete),
                reason: Some(StatusReason::MaxOutputTokens),
                ..Default::default()
            }));
        } else {
            active.response.status = Some(ResponseStatus::Completed);
        }
        let usage = usage(&item, audio_ms);
        st.rates.charge(usage.total_tokens.unwrap_or(0));
        active.response.usage = Some(Nullable::Value(usage));
        send_done(&mut st, self.emitter, active.response, audio_ms);
    }

    /// Ends the response as `failed` with `failure`.
    pub(super) fn fail(&self, failure: &Failure) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if !is_active(&st.active, self.id) {
            return;
        }
        if let Some(active) = st.active.take() {
            refuse(&mut st, self.emitter, active.response, failure);
        }
    }
}

pub(super) fn is_active(active: &Option<Active>, id: &str) -> bool {
    active
        .as_ref()
        .is_some_and(|a| a.response.id.as_deref() == Some(id))
}

/// Ends `response` at once as `failed` with `failure`: `response.done` and
/// `rate_limits.updated`.
pub(crate) fn refuse(st: &mut State, emitter: &Emitter, mut response: Response, failure: &Failure) {
    response.status = Some(ResponseStatus::Failed);
    response.status_details = Some(Nullable::Value(StatusDetails {
        kind: Some(ResponseStatus::Failed),
        error: Some(serde_json::json!({
            "type": failure.kind,
            "code": failure.code,
            "message": failure.message,
        })),
        ..Default::default()
    }));
    response.usage = Some(Nullable::Value(Usage::default()));
    send_done(st, emitter, response, 0);
}

/// Cancels the active response (if any) with `reason`: `response.done` status `cancelled`.
/// Returns false when nothing was active. Call with the state locked.
pub(crate) fn cancel(st: &mut State, emitter: &Emitter, reason: StatusReason) -> bool {
    let Some(mut active) = st.active.take() else {
        return false;
    };
    for item in active.response.output.iter_mut().flatten() {
        item.status = Some(ItemStatus::Incomplete);
    }
    active.response.status = Some(ResponseStatus::Cancelled);
    active.response.status_details = Some(Nullable::Value(StatusDetails {
        kind: Some(ResponseStatus::Cancelled),
        reason: Some(reason),
        ..Default::default()
    }));
    active.response.usage = Some(Nullable::Value(Usage::default()));
    send_done(st, emitter, active.response, 0);
    true
}

/// `response.done`, then `rate_limits.updated` with what is left of the session's budgets.
/// `audio_ms`: the response's output audio, which the idle timeout waits to finish playing.
fn send_done(st: &mut State, emitter: &Emitter, response: Response, audio_ms: u64) {
    st.finished_responses += 1;
    st.last_response_audio_ms = audio_ms;
    emitter.send(ev::ResponseDone {
        response: Box::new(response),
        ..Default::default()
    });
    emitter.send(ev::RateLimitsUpdated {
        rate_limits: st.rates.report(tokio::time::Instant::now()),
        ..Default::default()
    });
}

/// Plausible token counts: ~1.3 text tokens a word, 1 audio token per 50 ms.
fn usage(item: &Item, audio_ms: u64) -> Usage {
    let words: usize = item
        .content
        .iter()
        .flatten()
        .map(|p| {
            p.text
                .as_deref()
                .or(p
                    .transcript
                    .as_ref()
                    .and_then(Nullable::value)
                    .map(String::as_str))
                .unwrap_or("")
                .split_whitespace()
                .count()
        })
        .sum::<usize>()
        + item.arguments.as_deref().map_or(0, |a| a.len() / 4);
    let text_tokens = (words as u64 * 13).div_ceil(10);
    let audio_tokens = audio_ms / 50;
    let input = TokenDetails {
        text_tokens: Some(20),
        audio_tokens: Some(0),
        image_tokens: Some(0),
        cached_tokens: Some(0),
        cached_tokens_details: Some(Box::new(TokenDetails {
            text_tokens: Some(0),
            audio_tokens: Some(0),
            image_tokens: Some(0),
            ..Default::default()
        })),
        ..Default::default()
    };
    let output = TokenDetails {
        text_tokens: Some(text_tokens),
        audio_tokens: Some(audio_tokens),
        ..Default::default()
    };
    Usage {
        total_tokens: Some(20 + text_tokens + audio_tokens),
        input_tokens: Some(20),
        output_tokens: Some(text_tokens + audio_tokens),
        input_token_details: Some(input),
        output_token_details: Some(output),
        ..Default::default()
    }
}

/// The plan of a response from the session config and `response.create` params.
pub(crate) fn plan(
    st: &super::realtime::State,
    params: Option<rtclient_protocol::ResponseCreateParams>,
) -> Plan {
    let params = params.unwrap_or_default();
    let session = &st.session;
    let modalities = params
        .output_modalities
        .clone()
        .or_else(|| session.output_modalities.clone())
        .unwrap_or_else(|| vec![Modality::Audio]);
    let audio = modalities.contains(&Modality::Audio);
    let in_conversation = params.conversation.as_ref().and_then(|c| c.as_str()) != Some("none");
    let tool_choice = params
        .tool_choice
        .clone()
        .or_else(|| session.tool_choice.clone());
    let tools = if tool_choice
        == Some(rtclient_protocol::ToolChoice::Mode(
            rtclient_protocol::ToolChoiceMode::None,
        )) {
        Vec::new()
    } else {
        params
            .tools
            .clone()
            .or_else(|| session.tools.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.name.is_some())
            .collect()
    };
    // `audio.output` of `response.create` overrides the session's, field by field.
    let session_output = session.audio.as_ref().and_then(|a| a.output.as_ref());
    let response_output = params.audio.as_ref().and_then(|a| a.output.as_ref());
    let format = response_output
        .and_then(|o| o.format.clone())
        .or_else(|| session_output.and_then(|o| o.format.clone()));
    let voice = response_output
        .and_then(|o| o.voice.clone())
        .or_else(|| session_output.and_then(|o| o.voice.clone()));
    let instructions = params
        .instructions
        .clone()
        .or_else(|| session.instructions.clone());
    let response_audio = SessionAudio {
        output: Some(rtclient_protocol::AudioOutput {
            format: format.as_ref().map(config::complete_format),
            voice: voice.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut response = new_response(
        new_id("resp_"),
        in_conversation.then_some(st.conversation_id.as_str()),
        modalities,
        response_audio,
        params.max_output_tokens.or(session.max_output_tokens),
        params.metadata.clone(),
    );
    // Beta responses carry their sampling temperature (only beta sessions hold one).
    if let Some(temperature) = params
        .extra
        .get("temperature")
        .or_else(|| session.extra.get("temperature"))
    {
        response
            .extra
            .insert("temperature".to_owned(), temperature.clone());
    }
    Plan {
        response,
        audio,
        voice: config::voice_name(voice.as_ref()),
        format: config::wire_format(format.as_ref()),
        instructions,
        in_conversation,
        input: params.input,
        tools,
        tool_choice,
    }
}
