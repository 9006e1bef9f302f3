//! [`LiveHandle`]: the commands of a GPT-Live session, usable from any task.

use rtclient_protocol::live::{
    ClientEvent, ContextKind, InputAudioMute, InputAudioUnmute, ResponseCreate, ResponseItemCreate,
    SessionClose,
};
use serde_json::{Value, json};

use super::LiveSender;
use crate::error::Error;
use crate::tools::OutputSender;

/// Sends to a [`LiveSession`](super::LiveSession) from any task. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LiveHandle {
    sender: LiveSender,
}

impl LiveHandle {
    pub(super) fn new(sender: LiveSender) -> Self {
        Self { sender }
    }

    /// Streams input audio: raw bytes in the session format, paced like a microphone.
    pub async fn send_audio(&self, bytes: &[u8]) -> Result<(), Error> {
        self.sender.send_audio(bytes).await
    }

    /// Stops feeding input to the model (`session.input_audio.mute`); returns its `event_id`.
    pub async fn mute(&self) -> Result<String, Error> {
        self.command(InputAudioMute::default()).await
    }

    /// Feeds input to the model again (`session.input_audio.unmute`); returns its `event_id`.
    pub async fn unmute(&self) -> Result<String, Error> {
        self.command(InputAudioUnmute::default()).await
    }

    /// Appends context of `kind`; `delegation_id` `None` makes it session-wide. Returns the
    /// `event_id` its ack or error will carry.
    pub async fn append(
        &self,
        kind: ContextKind,
        text: impl Into<String>,
        delegation_id: Option<String>,
    ) -> Result<String, Error> {
        self.command(ClientEvent::context_append(kind, text, delegation_id))
            .await
    }

    /// Asks the service to end the session (`session.close`); `session.closed` follows.
    pub async fn close(&self) -> Result<String, Error> {
        self.command(SessionClose::default()).await
    }

    /// Sends any event; see [`LiveSender::send`].
    pub async fn send(&self, event: impl Into<ClientEvent>) -> Result<Option<String>, Error> {
        self.sender.send(event).await
    }

    pub(super) async fn command(&self, event: impl Into<ClientEvent>) -> Result<String, Error> {
        // Commands always get an `event_id` from the sender.
        Ok(self.sender.send(event).await?.unwrap_or_default())
    }

    /// Adds an item to the backend conversation (`response.item.create`, Responses delegation
    /// only), e.g. a user message; returns its `event_id` (errors carry it; nothing acks it).
    pub async fn add_item(&self, item: Value) -> Result<String, Error> {
        self.command(ResponseItemCreate {
            item,
            ..Default::default()
        })
        .await
    }

    /// Lets the backend go on with the items added (`response.create`); returns its
    /// `event_id`.
    pub async fn create_response(&self) -> Result<String, Error> {
        self.command(ClientEvent::from(ResponseCreate::default()))
            .await
    }
}

/// A registered tool's output goes to the backend as a `function_call_output` input item
/// (`response.item.create`).
impl OutputSender for LiveHandle {
    async fn send_output(&self, call_id: String, output: String) -> Result<String, Error> {
        self.add_item(json!({"type": "function_call_output", "call_id": call_id, "output": output}))
            .await
    }
}
