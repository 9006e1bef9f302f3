//! [`Ctx`], a running response's way to emit and record what it sent, and [`OpenItem`]: the
//! output item a response is streaming, what it has sent so far, and how a
//! cancelled response closes it.
//!
//! The service closes what is open before a cancelled `response.done`: the spec says of
//! `response.output_audio.done`, `..._audio_transcript.done`, `response.output_text.done`,
//! `response.content_part.done`, `response.function_call_arguments.done` and
//! `response.output_item.done` that each is "also emitted when a Response is interrupted,
//! incomplete, or cancelled". The item ends `incomplete`, holding exactly the text, transcript or
//! arguments already sent.

use rtclient_audio::WireFormat;
use rtclient_protocol::event::server as ev;
use rtclient_protocol::{
    ContentKind, ContentPart, Item, ItemStatus, Nullable, ResponseStatus, ServerEvent,
    StatusDetails, StatusReason,
};

use super::conversation::{MAX_CONVERSATION_AUDIO, Stored, without_audio};
use super::emit::Emitter;
use super::response::{refuse, send_done};
use super::state::{Active, SharedState, State};
use super::usage::{self, Tokens};
use crate::engine::faults::Failure;

/// The content part an item streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// Audio with its transcript.
    Audio,
    /// Text.
    Text,
}

impl Part {
    /// The part as `content_part.added`/`done` carry it, holding `text`.
    pub(crate) fn streamed(self, text: &str) -> ContentPart {
        match self {
            Part::Audio => ContentPart {
                kind: Some(ContentKind::Audio),
                transcript: Some(Nullable::Value(text.to_owned())),
                ..Default::default()
            },
            Part::Text => ContentPart {
                kind: Some(ContentKind::Text),
                text: Some(text.to_owned()),
                ..Default::default()
            },
        }
    }

    /// The part as the finished item holds it, with `text`.
    pub(crate) fn stored(self, text: &str) -> ContentPart {
        match self {
            Part::Audio => ContentPart {
                kind: Some(ContentKind::OutputAudio),
                transcript: Some(Nullable::Value(text.to_owned())),
                ..Default::default()
            },
            Part::Text => ContentPart {
                kind: Some(ContentKind::OutputText),
                text: Some(text.to_owned()),
                ..Default::default()
            },
        }
    }
}

/// The output item in progress and what of it reached the client.
#[derive(Debug, Clone)]
pub(crate) struct OpenItem {
    /// The item's id.
    pub(crate) id: String,
    /// The item as `output_item.added` announced it.
    pub(crate) item: Item,
    /// Its place in the response's output.
    pub(crate) output_index: u32,
    /// The content part opened by `content_part.added`, if any.
    pub(crate) part: Option<Part>,
    /// The part's stream ended (`output_audio.done` + transcript done, or `output_text.done`).
    pub(crate) stream_done: bool,
    /// `content_part.done` was sent.
    pub(crate) part_done: bool,
    /// Text, transcript or function arguments sent in deltas.
    pub(crate) sent: String,
    /// Output audio sent, in ms.
    pub(crate) audio_ms: u64,
}

impl OpenItem {
    /// The item `id` just added at `output_index`, nothing of its content sent yet.
    pub(crate) fn new(id: String, item: Item, output_index: u32) -> Self {
        Self {
            id,
            item,
            output_index,
            part: None,
            stream_done: false,
            part_done: false,
            sent: String::new(),
            audio_ms: 0,
        }
    }

    /// The output tokens of what was sent.
    pub(crate) fn tokens(&self) -> Tokens {
        let mut tokens = Tokens::default();
        tokens.add_text(&self.sent);
        tokens.add_audio(self.item.role.as_ref(), self.audio_ms);
        tokens
    }

    /// Sends the done events still owed for this item, in the service's order, and returns the
    /// item as it ends (`incomplete`, holding what was sent). `in_conversation`: the item is in
    /// the conversation, whose copy is updated and announced with `conversation.item.done`.
    pub(crate) fn close(
        self,
        st: &mut State,
        emitter: &Emitter,
        response_id: &str,
        in_conversation: bool,
    ) -> Item {
        let mut item = self.item.clone();
        item.status = Some(ItemStatus::Incomplete);
        if let Some(call_id) = item.call_id.clone() {
            item.arguments = Some(self.sent.clone());
            emitter.send(ev::ResponseFunctionCallArgumentsDone {
                response_id: response_id.to_owned(),
                item_id: self.id.clone(),
                output_index: self.output_index,
                call_id,
                name: item.name.clone(),
                arguments: self.sent.clone(),
                ..Default::default()
            });
        }
        if let Some(part) = self.part {
            for event in self.owed_events(part, response_id, &self.id) {
                emitter.send(event);
            }
            item.content = Some(vec![part.stored(&self.sent)]);
        }
        if in_conversation && let Some(stored) = st.conversation.get_mut(&self.id) {
            stored.item = item.clone();
            emitter.send(ev::ConversationItemDone {
                previous_item_id: Some(Nullable::Null),
                item: without_audio(&item),
                ..Default::default()
            });
        }
        emitter.send(ev::ResponseOutputItemDone {
            response_id: response_id.to_owned(),
            output_index: self.output_index,
            item: item.clone(),
            ..Default::default()
        });
        item
    }

    /// The part's done events not sent yet.
    fn owed_events(&self, part: Part, response_id: &str, item_id: &str) -> Vec<ServerEvent> {
        let mut events: Vec<ServerEvent> = Vec::new();
        if !self.stream_done {
            events.extend(stream_done(part, response_id, item_id, &self.sent));
        }
        if !self.part_done {
            events.push(part_done(part, response_id, item_id, &self.sent));
        }
        events
    }
}

/// The events that end a part's stream: `output_audio.done` and `output_audio_transcript.done`
/// for audio, `output_text.done` for text.
pub(crate) fn stream_done(
    part: Part,
    response_id: &str,
    item_id: &str,
    text: &str,
) -> Vec<ServerEvent> {
    match part {
        Part::Audio => vec![
            ev::ResponseOutputAudioDone {
                response_id: response_id.to_owned(),
                item_id: item_id.to_owned(),
                output_index: 0,
                content_index: 0,
                ..Default::default()
            }
            .into(),
            ev::ResponseOutputAudioTranscriptDone {
                response_id: response_id.to_owned(),
                item_id: item_id.to_owned(),
                output_index: 0,
                content_index: 0,
                transcript: text.to_owned(),
                ..Default::default()
            }
            .into(),
        ],
        Part::Text => vec![
            ev::ResponseOutputTextDone {
                response_id: response_id.to_owned(),
                item_id: item_id.to_owned(),
                output_index: 0,
                content_index: 0,
                text: text.to_owned(),
                ..Default::default()
            }
            .into(),
        ],
    }
}

/// `response.content_part.done` of `part` holding `text`.
pub(crate) fn part_done(part: Part, response_id: &str, item_id: &str, text: &str) -> ServerEvent {
    ev::ResponseContentPartDone {
        response_id: response_id.to_owned(),
        item_id: item_id.to_owned(),
        output_index: 0,
        content_index: 0,
        part: part.streamed(text),
        ..Default::default()
    }
    .into()
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
        let Ok(mut st) = self.state.lock() else {
            return false;
        };
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
        let Ok(mut st) = self.state.lock() else {
            return None;
        };
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
        let Ok(mut st) = self.state.lock() else {
            return false;
        };
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
        let Ok(mut st) = self.state.lock() else {
            return false;
        };
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
        let Ok(mut st) = self.state.lock() else {
            return;
        };
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
        let Ok(mut st) = self.state.lock() else {
            return;
        };
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

/// Whether `active` is the response `id`.
pub(crate) fn is_active(active: &Option<Active>, id: &str) -> bool {
    active.as_ref().is_some_and(|a| a.id == id)
}
