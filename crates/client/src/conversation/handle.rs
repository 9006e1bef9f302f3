//! [`ConversationHandle`]: the commands of a conversation, usable from any task.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use rtclient_protocol::{ClientEvent, Item, ResponseCreateParams, Session, event::client};
use tokio::sync::watch;

use crate::{
    client::EventSender,
    conversation::requests::{CancelAction, RequestState, Requests},
    error::Error,
    tools::OutputSender,
};

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
    shared: Arc<Shared>,
}

/// What the handles and the event loop share: the current session's sender and the response
/// requests.
#[derive(Debug)]
struct Shared {
    sender: RwLock<EventSender>,
    requests: Mutex<Requests>,
}

/// What [`ConversationHandle::submit_tool_output`] sent.
#[derive(Debug, Clone)]
pub struct ToolOutputSent {
    /// The `conversation.item.create` of the `function_call_output` item.
    pub item_event_id: String,
    /// The response asked for after it.
    pub response: ResponseHandle,
}

impl ConversationHandle {
    pub(super) fn new(sender: EventSender) -> Self {
        Self {
            shared: Arc::new(Shared {
                sender: RwLock::new(sender),
                requests: Mutex::new(Requests::default()),
            }),
        }
    }

    /// Points this handle and all its clones at a new session's sender.
    pub(super) fn replace(&self, sender: EventSender) {
        *self
            .shared
            .sender
            .write()
            .unwrap_or_else(PoisonError::into_inner) = sender;
    }

    /// The response requests, locked (never held across an `await`).
    pub(super) fn requests(&self) -> MutexGuard<'_, Requests> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
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

    /// Asks for a response, with the session's settings or with `params` for this response,
    /// and returns the [`ResponseHandle`] that follows exactly that response.
    ///
    /// Requests are queued, never refused: the `response.create` goes out at once when no
    /// response is in progress, otherwise when the running one (and every request before this
    /// one) ended. Should a response the server started on its own (server VAD) win the race
    /// anyway, the server's `conversation_already_has_active_response` error naming the
    /// request sends it back to the front of the queue, and is not reported as a
    /// [`ConversationEvent::Error`](super::ConversationEvent::Error): nothing failed.
    ///
    /// Matching: each `response.create` carries `metadata.rtclient_request` (added to the
    /// `metadata` of `params`, which must be an object or absent), the service echoes it in
    /// `response.created`, and the request with that id is the one that response answers. A
    /// `response.created` without it was started by the server, unless the server does not
    /// echo `metadata`: a response without the id, created while a request was sent, is that
    /// request's when it ends and the request was not refused meanwhile. An `error` naming the
    /// request's `event_id` settles a request that was refused.
    pub async fn create_response(
        &self,
        params: Option<ResponseCreateParams>,
    ) -> Result<ResponseHandle, Error> {
        let sender = self.sender();
        let handle = self.queue_response(params);
        self.dispatch(&sender).await?;
        Ok(handle)
    }

    /// Queues a request without sending anything; the caller dispatches it.
    pub(super) fn queue_response(&self, params: Option<ResponseCreateParams>) -> ResponseHandle {
        let (request_id, state) = self.requests().new_request(params);
        ResponseHandle {
            request_id,
            state,
            shared: Arc::clone(&self.shared),
        }
    }

    /// Sends the next queued `response.create` if no response is in progress.
    pub(super) async fn dispatch(&self, sender: &EventSender) -> Result<(), Error> {
        if let Some(text) = self.next_request(sender)? {
            sender.send_text(text).await?;
        }
        Ok(())
    }

    /// The JSON of the next queued `response.create` when it may go out now.
    pub(super) fn next_request(&self, sender: &EventSender) -> Result<Option<String>, Error> {
        let event = self.requests().dispatch(|| sender.new_event_id());
        match event {
            Some(event) => Ok(Some(sender.encode(event)?.text)),
            None => Ok(None),
        }
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
        let item_event_id = self.send_output(call_id.into(), output.into()).await?;
        let response = self.create_response(None).await?;
        Ok(ToolOutputSent {
            item_event_id,
            response,
        })
    }

    /// Sends any other client event (`conversation.item.retrieve`, `conversation.item.delete`,
    /// ...) and returns its `event_id`.
    pub async fn send(&self, event: impl Into<ClientEvent>) -> Result<String, Error> {
        self.sender().send(event).await
    }

    /// The typed sender of the current session, for raw text frames and encoding.
    pub fn sender(&self) -> EventSender {
        self.shared
            .sender
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A registered tool's output goes to the current session as a `conversation.item.create`.
impl OutputSender for ConversationHandle {
    async fn send_output(&self, call_id: String, output: String) -> Result<String, Error> {
        self.add_item(Item::function_call_output(call_id, output))
            .await
    }
}

/// One response asked for with [`ConversationHandle::create_response`]: it resolves to exactly
/// the response that request created, never to another one (one that server VAD started, or
/// another request's).
///
/// Its state moves as [`Conversation::next_event`](super::Conversation::next_event) reads the
/// server's events, so [`started`](ResponseHandle::started) and
/// [`finished`](ResponseHandle::finished) resolve only while some task reads events. Clones
/// follow the same request.
#[derive(Debug, Clone)]
pub struct ResponseHandle {
    request_id: String,
    state: watch::Receiver<RequestState>,
    shared: Arc<Shared>,
}

impl ResponseHandle {
    /// The request's id: the value of `metadata.rtclient_request` of its response.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The request's state now.
    pub fn state(&self) -> RequestState {
        self.state.borrow().clone()
    }

    /// The `event_id` of the `response.create`, while it is sent and not answered yet.
    pub fn event_id(&self) -> Option<String> {
        match &*self.state.borrow() {
            RequestState::Sent { event_id } => Some(event_id.clone()),
            _ => None,
        }
    }

    /// The response id, once the response started.
    pub fn response_id(&self) -> Option<String> {
        self.state.borrow().response_id().map(str::to_owned)
    }

    /// Waits until the response started and returns its id, or the final state when it
    /// never will (refused, cancelled, lost).
    pub async fn started(&mut self) -> Result<String, RequestState> {
        let state = self
            .wait(|state| state.response_id().is_some() || state.is_final())
            .await;
        match state.response_id() {
            Some(response_id) => Ok(response_id.to_owned()),
            None => Err(state),
        }
    }

    /// Waits until nothing more happens to the request and returns its final state.
    pub async fn finished(&mut self) -> RequestState {
        self.wait(RequestState::is_final).await
    }

    /// Cancels this response, wherever it is: a queued request is dropped
    /// ([`RequestState::Cancelled`]); one sent but not created yet is cancelled as soon as its
    /// `response.created` arrives; a running one gets a `response.cancel` naming its id
    /// (returned). Nothing happens to a finished one.
    pub async fn cancel(&self) -> Result<Option<String>, Error> {
        let action = self
            .shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cancel(&self.request_id);
        match action {
            CancelAction::Nothing => Ok(None),
            CancelAction::CancelResponse(response_id) => {
                let sender = self
                    .shared
                    .sender
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                sender.send(cancel_event(response_id)).await.map(Some)
            }
        }
    }

    async fn wait(&mut self, ready: impl Fn(&RequestState) -> bool) -> RequestState {
        if let Ok(state) = self.state.wait_for(|state| ready(state)).await {
            return state.clone();
        }
        // The conversation is gone: what had not happened will not.
        let state = self.state.borrow().clone();
        if state.is_final() {
            state
        } else {
            RequestState::Lost
        }
    }
}

/// `response.cancel` of response `response_id`.
pub(super) fn cancel_event(response_id: String) -> ClientEvent {
    client::ResponseCancel {
        response_id: Some(response_id),
        ..Default::default()
    }
    .into()
}
