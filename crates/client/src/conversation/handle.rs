//! [`ConversationHandle`]: the commands of a conversation, usable from any task.

use std::sync::{Arc, PoisonError, RwLock};

use rtclient_protocol::{ClientEvent, Item, ResponseCreateParams, Session};

use crate::{client::EventSender, error::Error};

/// The commands of a [`Conversation`](super::Conversation): cheap to clone, usable from any task
/// while the conversation's owner reads events.
///
/// Every command sends its events at once and returns the `event_id` they were sent with; an
/// `error` event caused by a command names that id in `error.event_id` (see
/// [`ConversationEvent::Error`](super::ConversationEvent::Error)). None of them waits for an
/// answer: the answer arrives through [`Conversation::next_event`](super::Conversation::next_event),
/// so no command races the event loop. None needs the conversation's state either; the one
/// command that does, barge-in, is [`Conversation::interrupt`](super::Conversation::interrupt).
///
/// Every clone follows the conversation to a new session after
/// [`Conversation::resume`](super::Conversation::resume).
#[derive(Debug, Clone)]
pub struct ConversationHandle {
    sender: Arc<RwLock<EventSender>>,
}

/// The event ids of [`ConversationHandle::submit_tool_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutputSent {
    /// The `conversation.item.create` of the `function_call_output` item.
    pub item_event_id: String,
    /// The `response.create` that follows it.
    pub response_event_id: String,
}

impl ConversationHandle {
    pub(super) fn new(sender: EventSender) -> Self {
        Self {
            sender: Arc::new(RwLock::new(sender)),
        }
    }

    /// Points this handle and all its clones at a new session's sender.
    pub(super) fn replace(&self, sender: EventSender) {
        *self.sender.write().unwrap_or_else(PoisonError::into_inner) = sender;
    }

    /// `session.update`: the server answers with the whole effective configuration
    /// ([`ConversationEvent::SessionUpdated`](super::ConversationEvent::SessionUpdated)), or an
    /// error (then nothing of the update was applied).
    pub async fn update_session(&self, session: Session) -> Result<String, Error> {
        self.sender()
            .send(ClientEvent::session_update(session))
            .await
    }

    /// `input_audio_buffer.append` of `audio` (raw bytes in the session's input format, PCM16
    /// little-endian mono 24 kHz by default; base64-encoded here).
    pub async fn send_audio(&self, audio: &[u8]) -> Result<String, Error> {
        self.sender().send(ClientEvent::append_audio(audio)).await
    }

    /// `input_audio_buffer.commit`: turns the appended audio into a user item (without server
    /// VAD; the server needs at least 100 ms).
    pub async fn commit_audio(&self) -> Result<String, Error> {
        self.sender().send(ClientEvent::commit()).await
    }

    /// `input_audio_buffer.clear`: drops the audio appended and not committed.
    pub async fn clear_audio(&self) -> Result<String, Error> {
        self.sender().send(ClientEvent::clear_input()).await
    }

    /// `conversation.item.create` of a user message with `text`. Ask for an answer with
    /// [`create_response`](ConversationHandle::create_response).
    pub async fn add_user_text(&self, text: impl Into<String>) -> Result<String, Error> {
        self.add_item(Item::user_text(text)).await
    }

    /// `conversation.item.create` of any item, appended to the conversation.
    pub async fn add_item(&self, item: Item) -> Result<String, Error> {
        self.sender().send(ClientEvent::create_item(item)).await
    }

    /// `response.create`, with the session's settings or with `params` for this response.
    /// While a response runs (for example one server VAD created), the server refuses with the
    /// error `conversation_already_has_active_response` and the conversation goes on.
    pub async fn create_response(
        &self,
        params: Option<ResponseCreateParams>,
    ) -> Result<String, Error> {
        let event = match params {
            Some(params) => ClientEvent::create_response_with(params),
            None => ClientEvent::create_response(),
        };
        self.sender().send(event).await
    }

    /// `response.cancel` of the response in progress. With none in progress the server answers
    /// with the error `response_cancel_not_active`, and the conversation goes on.
    pub async fn cancel_response(&self) -> Result<String, Error> {
        self.sender().send(ClientEvent::cancel_response()).await
    }

    /// Answers the function call `call_id`: a `function_call_output` item with `output` (often
    /// JSON), then `response.create` so the model goes on with the result.
    pub async fn submit_tool_output(
        &self,
        call_id: impl Into<String>,
        output: impl Into<String>,
    ) -> Result<ToolOutputSent, Error> {
        let item_event_id = self
            .add_item(Item::function_call_output(call_id, output))
            .await?;
        let response_event_id = self.create_response(None).await?;
        Ok(ToolOutputSent {
            item_event_id,
            response_event_id,
        })
    }

    /// Sends any other client event (`conversation.item.retrieve`, `conversation.item.delete`,
    /// ...) and returns its `event_id`.
    pub async fn send(&self, event: impl Into<ClientEvent>) -> Result<String, Error> {
        self.sender().send(event).await
    }

    /// The typed sender of the current session, for raw text frames and encoding.
    pub fn sender(&self) -> EventSender {
        self.sender
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
