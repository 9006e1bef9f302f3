//! [`OpenItem`]: the output item a response is streaming, what it has sent so far, and how a
//! cancelled response closes it.
//!
//! The service closes what is open before a cancelled `response.done`: the spec says of
//! `response.output_audio.done`, `..._audio_transcript.done`, `response.output_text.done`,
//! `response.content_part.done`, `response.function_call_arguments.done` and
//! `response.output_item.done` that each is "also emitted when a Response is interrupted,
//! incomplete, or cancelled". The item ends `incomplete`, holding exactly the text, transcript or
//! arguments already sent.

use rtclient_protocol::event::server as ev;
use rtclient_protocol::{ContentKind, ContentPart, Item, ItemStatus, Nullable, ServerEvent};

use super::conversation::{Conversation, without_audio};
use super::emit::Emitter;
use super::usage::Tokens;

/// `$event { $field: $value, .. }` of the content part of message `$item_id` in response
/// `$response_id`: a message streams one part, so the event is at output 0 and content 0.
macro_rules! part_event {
    ($response_id:expr, $item_id:expr, $event:ident { $($field:ident: $value:expr),* $(,)? }) => {
        ::rtclient_protocol::event::server::$event {
            response_id: $response_id.to_owned(),
            item_id: $item_id.to_owned(),
            output_index: 0,
            content_index: 0,
            $($field: $value,)*
            ..Default::default()
        }
    };
}
pub(crate) use part_event;

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

    /// The part as the finished item holds it, with `text`: the streamed part with its output
    /// kind.
    pub(crate) fn stored(self, text: &str) -> ContentPart {
        let kind = match self {
            Part::Audio => ContentKind::OutputAudio,
            Part::Text => ContentKind::OutputText,
        };
        ContentPart {
            kind: Some(kind),
            ..self.streamed(text)
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
    /// the `conversation`, whose copy is updated and announced with `conversation.item.done`.
    pub(crate) fn close(
        self,
        conversation: &mut Conversation,
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
        if in_conversation && let Some(stored) = conversation.get_mut(&self.id) {
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
            part_event!(response_id, item_id, ResponseOutputAudioDone {}).into(),
            part_event!(
                response_id,
                item_id,
                ResponseOutputAudioTranscriptDone {
                    transcript: text.to_owned()
                }
            )
            .into(),
        ],
        Part::Text => vec![
            part_event!(
                response_id,
                item_id,
                ResponseOutputTextDone {
                    text: text.to_owned()
                }
            )
            .into(),
        ],
    }
}

/// `response.content_part.done` of `part` holding `text`.
pub(crate) fn part_done(part: Part, response_id: &str, item_id: &str, text: &str) -> ServerEvent {
    part_event!(
        response_id,
        item_id,
        ResponseContentPartDone {
            part: part.streamed(text)
        }
    )
    .into()
}
