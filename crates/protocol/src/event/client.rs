//! GA client events: one struct per event, the [`ClientEvent`] enum and its constructors.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::Error;
use crate::event::{event_enum, event_struct};
use crate::item::Item;
use crate::nullable::Nullable;
use crate::response::ResponseCreateParams;
use crate::session::Session;

event_struct! {
    /// Update the session configuration.
    pub struct SessionUpdate {
        /// The settings to change (`type` is required in GA).
        req session: Box<Session> = "session",
    }
}

event_struct! {
    /// Append base64 audio to the input buffer (no acknowledgement; at most 15 MiB of base64).
    pub struct InputAudioBufferAppend [fast] {
        /// Base64 audio in the session's input format.
        req audio: String = "audio",
    }
}

event_struct! {
    /// Commit the input buffer into a user item (not needed with server VAD).
    pub struct InputAudioBufferCommit {}
}

event_struct! {
    /// Clear the input buffer.
    pub struct InputAudioBufferClear {}
}

event_struct! {
    /// Clear the output audio buffer (WebRTC/SIP only).
    pub struct OutputAudioBufferClear {}
}

event_struct! {
    /// Add an item to the conversation.
    pub struct ConversationItemCreate {
        /// Insert after this item (`root` for the start), or `null`.
        opt previous_item_id: Nullable<String> = "previous_item_id",
        /// The item to add (the server assigns an `id` when it has none).
        req item: Item = "item",
    }
}

event_struct! {
    /// Ask for an item (answered by `conversation.item.retrieved`).
    pub struct ConversationItemRetrieve {
        /// Id of the item the event is about.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// Truncate an assistant audio item to what was played.
    pub struct ConversationItemTruncate {
        /// The assistant item.
        req item_id: String = "item_id",
        /// The content part (0).
        req content_index: u32 = "content_index",
        /// Audio played, in ms.
        req audio_end_ms: u64 = "audio_end_ms",
    }
}

event_struct! {
    /// Delete an item.
    pub struct ConversationItemDelete {
        /// Id of the item the event is about.
        req item_id: String = "item_id",
    }
}

event_struct! {
    /// Ask the model for a response.
    pub struct ResponseCreate {
        /// Parameters overriding the session's for this response.
        opt response: ResponseCreateParams = "response",
    }
}

event_struct! {
    /// Cancel the running response.
    pub struct ResponseCancel {
        /// The response to cancel (default: the running one).
        opt response_id: String = "response_id",
    }
}

event_enum! {
    /// A GA client event (client to server), keyed on `type`.
    ///
    /// Build the common ones with the constructors ([`ClientEvent::session_update`],
    /// [`ClientEvent::append_audio`], ...), write with [`ClientEvent::to_json`] (GA) or
    /// [`crate::Dialect::client_event_to_json`] (either dialect).
    #[allow(clippy::large_enum_variant)] // moved rarely; boxing every variant costs an allocation per event
    pub enum ClientEvent {
        SessionUpdate(SessionUpdate) = "session.update",
        InputAudioBufferAppend(InputAudioBufferAppend) = "input_audio_buffer.append",
        InputAudioBufferCommit(InputAudioBufferCommit) = "input_audio_buffer.commit",
        InputAudioBufferClear(InputAudioBufferClear) = "input_audio_buffer.clear",
        OutputAudioBufferClear(OutputAudioBufferClear) = "output_audio_buffer.clear",
        ConversationItemCreate(ConversationItemCreate) = "conversation.item.create",
        ConversationItemRetrieve(ConversationItemRetrieve) = "conversation.item.retrieve",
        ConversationItemTruncate(ConversationItemTruncate) = "conversation.item.truncate",
        ConversationItemDelete(ConversationItemDelete) = "conversation.item.delete",
        ResponseCreate(ResponseCreate) = "response.create",
        ResponseCancel(ResponseCancel) = "response.cancel",
    }
}

impl ClientEvent {
    /// `session.update` with the given session.
    ///
    /// ```
    /// use rtclient_protocol::{ClientEvent, ServerVad, Session};
    /// let ev = ClientEvent::session_update(Session::realtime().instructions("Be brief.").server_vad(ServerVad::default()));
    /// assert_eq!(ev.kind(), "session.update");
    /// ```
    pub fn session_update(session: Session) -> Self {
        SessionUpdate {
            session: Box::new(session),
            ..Default::default()
        }
        .into()
    }

    /// `input_audio_buffer.append` of raw audio bytes (base64-encoded here).
    pub fn append_audio(audio: &[u8]) -> Self {
        Self::append_base64(STANDARD.encode(audio))
    }

    /// `input_audio_buffer.append` of audio already in base64.
    pub fn append_base64(audio: String) -> Self {
        InputAudioBufferAppend {
            audio,
            ..Default::default()
        }
        .into()
    }

    /// `input_audio_buffer.commit`.
    pub fn commit() -> Self {
        InputAudioBufferCommit::default().into()
    }

    /// `input_audio_buffer.clear`.
    pub fn clear_input() -> Self {
        InputAudioBufferClear::default().into()
    }

    /// `conversation.item.create` appending `item` to the conversation.
    pub fn create_item(item: Item) -> Self {
        ConversationItemCreate {
            item,
            ..Default::default()
        }
        .into()
    }

    /// `conversation.item.retrieve`.
    pub fn retrieve_item(item_id: impl Into<String>) -> Self {
        ConversationItemRetrieve {
            item_id: item_id.into(),
            ..Default::default()
        }
        .into()
    }

    /// `conversation.item.delete`.
    pub fn delete_item(item_id: impl Into<String>) -> Self {
        ConversationItemDelete {
            item_id: item_id.into(),
            ..Default::default()
        }
        .into()
    }

    /// `conversation.item.truncate`.
    pub fn truncate(item_id: impl Into<String>, content_index: u32, audio_end_ms: u64) -> Self {
        ConversationItemTruncate {
            item_id: item_id.into(),
            content_index,
            audio_end_ms,
            ..Default::default()
        }
        .into()
    }

    /// `response.create` with the session's settings.
    pub fn create_response() -> Self {
        ResponseCreate::default().into()
    }

    /// `response.create` with parameters for this response.
    pub fn create_response_with(params: ResponseCreateParams) -> Self {
        ResponseCreate {
            response: Some(params),
            ..Default::default()
        }
        .into()
    }

    /// `response.cancel` of the running response.
    pub fn cancel_response() -> Self {
        ResponseCancel::default().into()
    }
}

impl InputAudioBufferAppend {
    /// The JSON of an append event for raw audio bytes, encoding base64 straight into the
    /// output buffer (one allocation, no intermediate `String`).
    ///
    /// ```
    /// use rtclient_protocol::event::client::InputAudioBufferAppend;
    /// assert_eq!(
    ///     InputAudioBufferAppend::json_from_audio(b"hi"),
    ///     r#"{"type":"input_audio_buffer.append","audio":"aGk="}"#
    /// );
    /// ```
    pub fn json_from_audio(audio: &[u8]) -> String {
        const HEAD: &str = "{\"type\":\"input_audio_buffer.append\",\"audio\":\"";
        let mut out = String::with_capacity(HEAD.len() + audio.len().div_ceil(3) * 4 + 2);
        out.push_str(HEAD);
        STANDARD.encode_string(audio, &mut out);
        out.push_str("\"}");
        out
    }

    /// Writes this event as JSON. The base64 is copied as is when it holds no character JSON
    /// must escape (always true for base64), otherwise serde escapes it.
    pub fn to_json(&self) -> Result<String, Error> {
        self.to_json_as("input_audio_buffer.append")
    }

    /// Writes this event as JSON under the wire type `tag`: [`to_json`](Self::to_json), and the
    /// event enums through their codec.
    pub(crate) fn to_json_as(&self, tag: &str) -> Result<String, Error> {
        crate::event::write::audio_only(
            tag,
            self,
            self.event_id.as_deref(),
            &self.audio,
            &self.extra,
        )
    }
}
