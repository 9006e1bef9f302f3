//! The bottom of the response writer: [`Ctx`], a running response's way to emit and record
//! what it sent, and how a response ends (`response.done` with its usage, then
//! `rate_limits.updated`): completed, failed, or cancelled with its open item closed.
//!
//! The service closes what is open before a cancelled `response.done`: the spec says of
//! `response.output_audio.done`, `..._audio_transcript.done`, `response.output_text.done`,
//! `response.content_part.done`, `response.function_call_arguments.done` and
//! `response.output_item.done` that each is "also emitted when a Response is interrupted,
//! incomplete, or cancelled". The item ends `incomplete`, holding exactly the text, transcript or
//! arguments already sent.

use std::ops::ControlFlow;

use rtclient_audio::WireFormat;
use rtclient_protocol::event::server as ev;
use rtclient_protocol::{
    Item, ItemStatus, Nullable, ResponseStatus, ServerEvent, StatusDetails, StatusReason,
};

use super::part::{part_done, stream_done};
use crate::engine::faults::Failure;
use crate::session::lock::lock;
use crate::session::realtime::active::{Active, OpenItem, Part, is_active};
use crate::session::realtime::conversation::{
    Conversation, MAX_CONVERSATION_AUDIO, Stored, without_audio,
};
use crate::session::realtime::emit::Emitter;
use crate::session::realtime::state::{SharedState, State};
use crate::session::realtime::usage::{self, Tokens};

/// Whether a response goes on: `Break` once it is no longer the active one (cancelled, failed,
/// or its connection gone), so that each step of it can end it with `?`.
pub(super) type Step = ControlFlow<()>;

/// `Continue` when an event was `sent`, `Break` when the response is over.
pub(super) fn sent(sent: bool) -> Step {
    if sent {
        Step::Continue(())
    } else {
        Step::Break(())
    }
}

/// Helpers bound to one running response.
pub(crate) struct Ctx<'a> {
    pub(crate) state: &'a SharedState,
    pub(crate) emitter: &'a Emitter,
    pub(crate) id: &'a str,
    pub(crate) in_conversation: bool,
}

impl Ctx<'_> {
    /// Emits while the response is still the active one; false once it was cancelled.
    pub(crate) fn emit(&self, event: impl Into<ServerEvent>) -> bool {
        self.emit_updating(event, |_| {})
    }

    /// Emits `event` and applies `update` to the state, at once (so a cancel sees exactly what
    /// was sent), while the response is still the active one; false once it was cancelled.
    pub(crate) fn emit_updating(
        &self,
        event: impl Into<ServerEvent>,
        update: impl FnOnce(&mut State),
    ) -> bool {
        let mut st = lock(self.state);
        if !is_active(&st.active, self.id) {
            return false;
        }
        self.emitter.send(event);
        update(&mut st);
        true
    }

    /// `output_item.added` + `conversation.item.added` of the response's next output item, whose
    /// id is `item_id`, and records it as the open one. Its `output_index`; `None` once the
    /// response was cancelled.
    pub(crate) fn add_item(&self, item_id: &str, item: &Item) -> Option<u32> {
        let mut st = lock(self.state);
        let active = st.active.as_mut().filter(|a| a.id == self.id)?;
        let output = active.response.output.get_or_insert_with(Vec::new);
        let output_index = u32::try_from(output.len()).unwrap_or(u32::MAX);
        output.push(item.clone());
        active.open = Some(OpenItem::new(
            item_id.to_owned(),
            item.clone(),
            output_index,
        ));
        self.emitter.send(ev::ResponseOutputItemAdded {
            response_id: self.id.to_owned(),
            output_index,
            item: item.clone(),
            ..Default::default()
        });
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
        Some(output_index)
    }

    /// The events that end the part's stream, together.
    pub(crate) fn end_stream(&self, part: Part, item_id: &str, text: &str) -> bool {
        let mut st = lock(self.state);
        if !is_active(&st.active, self.id) {
            return false;
        }
        for event in stream_done(part, self.id, item_id, text) {
            self.emitter.send(event);
        }
        with_open(&mut st, |open| open.stream_done = true);
        true
    }

    /// Records audio sent so far in the item, so a cancelled response leaves an assistant
    /// message with its partial `output_audio` (which the client can then truncate), as the real
    /// service does.
    pub(crate) fn record_audio(
        &self,
        st: &mut State,
        item_id: &str,
        piece: &[u8],
        format: WireFormat,
    ) {
        let piece_ms = piece.len() as u64 * 1000 / format.bytes_per_second().max(1);
        let mut sent = String::new();
        with_open(st, |open| {
            open.audio_ms += piece_ms;
            sent.clone_from(&open.sent);
        });
        if self.in_conversation
            && let Some(stored) = st.conversation.get_mut(item_id)
        {
            stored.item.content = Some(vec![Part::Audio.stored(&sent)]);
            stored.audio.extend_from_slice(piece);
            stored.audio_ms = stored.audio.len() as u64 * 1000 / format.bytes_per_second().max(1);
        }
    }

    /// Ends the response's only item: [`Ctx::finish_item`], then [`Ctx::finish_response`].
    pub(crate) fn finish(&self, item: Item, audio: Vec<u8>, audio_ms: u64) {
        if self.finish_item(item, audio, audio_ms) {
            self.finish_response();
        }
    }

    /// Ends the open item as `item` (with its `audio_ms` of output `audio`):
    /// `conversation.item.done` -> `output_item.done`. False once the response was cancelled.
    pub(crate) fn finish_item(&self, item: Item, audio: Vec<u8>, audio_ms: u64) -> bool {
        let mut st = lock(self.state);
        let Some(open) = st
            .active
            .as_mut()
            .filter(|a| a.id == self.id)
            .and_then(|a| a.open.take())
        else {
            return false;
        };
        if self.in_conversation {
            if !audio.is_empty() {
                st.audio_produced = true;
            }
            if let Some(stored) = st.conversation.get_mut(&open.id) {
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
            output_index: open.output_index,
            item: item.clone(),
            ..Default::default()
        });
        if let Some(active) = st.active.as_mut() {
            active.produced =
                active.produced + usage::count(None, std::iter::once((&item, audio_ms)));
            active.audio_ms += audio_ms;
            let index = usize::try_from(open.output_index).unwrap_or(usize::MAX);
            if let Some(slot) = active
                .response
                .output
                .as_mut()
                .and_then(|o| o.get_mut(index))
            {
                *slot = item;
            }
        }
        true
    }

    /// Ends the response whose items all ended: `response.done` (`incomplete` when an item was
    /// cut by the token limit, else `completed`) -> `rate_limits.updated`.
    pub(crate) fn finish_response(&self) {
        let mut st = lock(self.state);
        if !is_active(&st.active, self.id) {
            return;
        }
        let Some(mut active) = st.active.take() else {
            return;
        };
        let cut = active
            .response
            .output
            .iter()
            .flatten()
            .any(|item| item.status == Some(ItemStatus::Incomplete));
        if cut {
            active.response.status = Some(ResponseStatus::Incomplete);
            active.response.status_details = Some(Nullable::Value(StatusDetails {
                kind: Some(ResponseStatus::Incomplete),
                reason: Some(StatusReason::MaxOutputTokens),
                ..Default::default()
            }));
        } else {
            active.response.status = Some(ResponseStatus::Completed);
        }
        let (output, audio_ms) = (active.produced, active.audio_ms);
        send_done(&mut st, self.emitter, active, output, audio_ms);
    }

    /// Ends the response as `failed` with `failure`.
    pub(crate) fn fail(&self, failure: &Failure) {
        let mut st = lock(self.state);
        if !is_active(&st.active, self.id) {
            return;
        }
        if let Some(active) = st.active.take() {
            refuse(&mut st, self.emitter, active, failure);
        }
    }
}

/// Applies `f` to the open item of the active response.
pub(crate) fn with_open(st: &mut State, f: impl FnOnce(&mut OpenItem)) {
    if let Some(open) = st.active.as_mut().and_then(|a| a.open.as_mut()) {
        f(open);
    }
}

/// Ends `active` at once as `failed` with `failure`: `response.done` (with the usage of its
/// input, nothing produced) and `rate_limits.updated`.
pub(crate) fn refuse(st: &mut State, emitter: &Emitter, mut active: Active, failure: &Failure) {
    active.response.status = Some(ResponseStatus::Failed);
    active.response.status_details = Some(Nullable::Value(StatusDetails {
        kind: Some(ResponseStatus::Failed),
        error: Some(serde_json::json!({
            "type": failure.kind,
            "code": failure.code,
            "message": failure.message,
        })),
        ..Default::default()
    }));
    send_done(st, emitter, active, Tokens::default(), 0);
}

/// `response.done` with the full usage of `active`'s input and `output`, then
/// `rate_limits.updated` with what is left of the session's budgets.
/// `audio_ms`: the response's output audio, which the idle timeout waits to finish playing.
pub(crate) fn send_done(
    st: &mut State,
    emitter: &Emitter,
    active: Active,
    output: Tokens,
    audio_ms: u64,
) {
    let mut response = active.response;
    let usage = usage::usage(active.input, output);
    st.rates.charge(usage.total_tokens.unwrap_or(0));
    response.usage = Some(Nullable::Value(usage));
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

/// Cancels the active response (if any) with `reason`: closes its open item (the done events
/// of its part, the item `incomplete` with what was sent), then `response.done` status
/// `cancelled` with the usage so far. Returns false when nothing was active. Call with the state
/// locked.
pub(crate) fn cancel(st: &mut State, emitter: &Emitter, reason: StatusReason) -> bool {
    let Some(mut active) = st.active.take() else {
        return false;
    };
    let mut output = active.produced;
    let mut audio_ms = active.audio_ms;
    if let Some(open) = active.open.take() {
        output = output + open.tokens();
        audio_ms += open.audio_ms;
        let index = usize::try_from(open.output_index).unwrap_or(usize::MAX);
        let item = close(
            open,
            &mut st.conversation,
            emitter,
            &active.id,
            active.in_conversation,
        );
        if let Some(slot) = active
            .response
            .output
            .as_mut()
            .and_then(|o| o.get_mut(index))
        {
            *slot = item;
        }
    }
    active.response.status = Some(ResponseStatus::Cancelled);
    active.response.status_details = Some(Nullable::Value(StatusDetails {
        kind: Some(ResponseStatus::Cancelled),
        reason: Some(reason),
        ..Default::default()
    }));
    send_done(st, emitter, active, output, audio_ms);
    true
}

/// Sends the done events still owed for the `open` item, in the service's order, and returns
/// the item as it ends (`incomplete`, holding what was sent). `in_conversation`: the item is in
/// the `conversation`, whose copy is updated and announced with `conversation.item.done`.
fn close(
    open: OpenItem,
    conversation: &mut Conversation,
    emitter: &Emitter,
    response_id: &str,
    in_conversation: bool,
) -> Item {
    let mut item = open.item.clone();
    item.status = Some(ItemStatus::Incomplete);
    if let Some(call_id) = item.call_id.clone() {
        item.arguments = Some(open.sent.clone());
        emitter.send(ev::ResponseFunctionCallArgumentsDone {
            response_id: response_id.to_owned(),
            item_id: open.id.clone(),
            output_index: open.output_index,
            call_id,
            name: item.name.clone(),
            arguments: open.sent.clone(),
            ..Default::default()
        });
    }
    if let Some(part) = open.part {
        for event in owed_events(&open, part, response_id) {
            emitter.send(event);
        }
        item.content = Some(vec![part.stored(&open.sent)]);
    }
    if in_conversation && let Some(stored) = conversation.get_mut(&open.id) {
        stored.item = item.clone();
        emitter.send(ev::ConversationItemDone {
            previous_item_id: Some(Nullable::Null),
            item: without_audio(&item),
            ..Default::default()
        });
    }
    emitter.send(ev::ResponseOutputItemDone {
        response_id: response_id.to_owned(),
        output_index: open.output_index,
        item: item.clone(),
        ..Default::default()
    });
    item
}

/// The done events of the `open` item's `part` not sent yet.
fn owed_events(open: &OpenItem, part: Part, response_id: &str) -> Vec<ServerEvent> {
    let mut events: Vec<ServerEvent> = Vec::new();
    if !open.stream_done {
        events.extend(stream_done(part, response_id, &open.id, &open.sent));
    }
    if !open.part_done {
        events.push(part_done(part, response_id, &open.id, &open.sent));
    }
    events
}
