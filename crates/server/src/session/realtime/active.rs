//! The response in progress as the session state holds it: [`Active`], the output item it is
//! streaming ([`OpenItem`], with what of it reached the client) and the content [`Part`] that
//! item streams. The response writer ([`super::response`]) sends the events and records them
//! here, so a cancel closes exactly what was sent.

use rtclient_protocol::{ContentKind, ContentPart, Item, Nullable, Response};

use super::usage::Tokens;

/// The response in progress (at most one per session).
#[derive(Debug)]
pub(crate) struct Active {
    /// The response's id.
    pub(crate) id: String,
    /// The response object as far as it got.
    pub(crate) response: Response,
    /// The tokens the response reads.
    pub(crate) input: Tokens,
    /// The output item being streamed, if any.
    pub(crate) open: Option<OpenItem>,
    /// The output tokens of the items already finished.
    pub(crate) produced: Tokens,
    /// The output audio of the items already finished, in ms.
    pub(crate) audio_ms: u64,
    /// Its output goes into the conversation.
    pub(crate) in_conversation: bool,
}

/// Whether `active` is the response `id`.
pub(crate) fn is_active(active: &Option<Active>, id: &str) -> bool {
    active.as_ref().is_some_and(|a| a.id == id)
}

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
}
