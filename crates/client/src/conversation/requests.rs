//! Response requests: the queue behind
//! [`ConversationHandle::create_response`](super::ConversationHandle::create_response), and
//! how each request is matched to the response it created.

use std::collections::{HashSet, VecDeque};

use rtclient_protocol::{ApiError, ClientEvent, ResponseCreateParams};
use tokio::sync::watch;

use crate::conversation::event::ResponseOutcome;

/// The `metadata` key a requested response carries, so that its `response.created` names the
/// request it answers.
pub const REQUEST_METADATA_KEY: &str = "rtclient_request";

/// The error code of a `response.create` refused because a response is running.
const ACTIVE_RESPONSE: &str = "conversation_already_has_active_response";

/// Where a requested response is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RequestState {
    /// Waiting for the response in progress to end; nothing sent yet.
    Queued,
    /// `response.create` sent with this event id; no `response.created` yet.
    Sent {
        /// The `event_id` of the `response.create`.
        event_id: String,
    },
    /// `response.created` arrived: the response runs.
    Started {
        /// The response id.
        response_id: String,
    },
    /// `response.done` arrived.
    Done {
        /// The response id.
        response_id: String,
        /// How it ended.
        outcome: ResponseOutcome,
    },
    /// The server refused the `response.create` with this error; no response came of it.
    Refused(ApiError),
    /// Cancelled before the server created it: no response came of it.
    Cancelled,
    /// The session ended while the response ran; it did not finish.
    Lost,
}

impl RequestState {
    /// Whether nothing more happens to the request.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            RequestState::Done { .. }
                | RequestState::Refused(_)
                | RequestState::Cancelled
                | RequestState::Lost
        )
    }

    /// The response id, once the response started.
    pub fn response_id(&self) -> Option<&str> {
        match self {
            RequestState::Started { response_id } | RequestState::Done { response_id, .. } => {
                Some(response_id)
            }
            _ => None,
        }
    }
}

/// A request and the sending half of its handle's state.
#[derive(Debug)]
struct Request {
    id: String,
    params: Option<ResponseCreateParams>,
    state: watch::Sender<RequestState>,
    /// Cancel it as soon as it is created.
    cancel: bool,
}

impl Request {
    /// The `response.create` of this request: its parameters with the request id added to
    /// `metadata` (when `metadata` is an object or absent).
    fn event(&self) -> ClientEvent {
        let mut params = self.params.clone().unwrap_or_default();
        match &mut params.metadata {
            Some(serde_json::Value::Object(map)) => {
                map.insert(REQUEST_METADATA_KEY.to_owned(), self.id.clone().into());
            }
            Some(_) => {}
            None => {
                params.metadata = Some(serde_json::json!({ REQUEST_METADATA_KEY: self.id }));
            }
        }
        ClientEvent::create_response_with(params)
    }
}

/// What to do about a cancelled request.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum CancelAction {
    /// Nothing to send: it was queued, is being created (cancelled on creation) or is over.
    Nothing,
    /// Send `response.cancel` for this response.
    CancelResponse(String),
}

/// The conversation's response requests, shared by the handle (which adds them) and the event
/// loop (which moves them along).
#[derive(Debug, Default)]
pub(super) struct Requests {
    next_id: u64,
    queue: VecDeque<Request>,
    sent: Vec<(String, Request)>,
    started: Vec<(String, Request)>,
    /// Responses in progress on the server, whoever created them.
    active: HashSet<String>,
    /// Responses created without a request id while a request was sent (event id of the
    /// oldest such request): theirs, unless that request is refused before they end.
    unnamed: Vec<(String, String)>,
}

impl Requests {
    /// A new request and its handle.
    pub(super) fn new_request(
        &mut self,
        params: Option<ResponseCreateParams>,
    ) -> (String, watch::Receiver<RequestState>) {
        self.next_id += 1;
        let id = format!("req_{}", self.next_id);
        let (state, receiver) = watch::channel(RequestState::Queued);
        self.queue.push_back(Request {
            id: id.clone(),
            params,
            state,
            cancel: false,
        });
        (id, receiver)
    }

    /// Whether a `response.create` may go out now: no response runs and none was asked for
    /// and not answered yet.
    fn idle(&self) -> bool {
        self.active.is_empty() && self.sent.is_empty()
    }

    /// The next queued request to send, when the conversation is idle: its `response.create`
    /// (with `event_id` set to `event_id`) and the request moved to "sent".
    pub(super) fn dispatch(&mut self, event_id: impl FnOnce() -> String) -> Option<ClientEvent> {
        if !self.idle() {
            return None;
        }
        let request = self.queue.pop_front()?;
        let mut event = request.event();
        let event_id = event_id();
        event.set_event_id(event_id.clone());
        request.state.send_replace(RequestState::Sent {
            event_id: event_id.clone(),
        });
        self.sent.push((event_id, request));
        Some(event)
    }

    /// Cancels request `id`: a queued one is dropped, one being created is cancelled when
    /// `response.created` arrives, a running one needs a `response.cancel`.
    pub(super) fn cancel(&mut self, id: &str) -> CancelAction {
        if let Some(at) = self.queue.iter().position(|r| r.id == id) {
            if let Some(request) = self.queue.remove(at) {
                request.state.send_replace(RequestState::Cancelled);
            }
            return CancelAction::Nothing;
        }
        if let Some((_, request)) = self.sent.iter_mut().find(|(_, r)| r.id == id) {
            request.cancel = true;
            return CancelAction::Nothing;
        }
        match self.started.iter().find(|(_, r)| r.id == id) {
            Some((response_id, _)) => CancelAction::CancelResponse(response_id.clone()),
            None => CancelAction::Nothing,
        }
    }

    /// `response.created`: returns the response to cancel at once when its request was
    /// cancelled before it existed.
    pub(super) fn created(
        &mut self,
        response_id: &str,
        metadata: Option<&serde_json::Value>,
    ) -> Option<String> {
        self.active.insert(response_id.to_owned());
        let request_id = metadata
            .and_then(|metadata| metadata.get(REQUEST_METADATA_KEY))
            .and_then(serde_json::Value::as_str);
        let Some(request_id) = request_id else {
            if let Some((event_id, _)) = self.sent.first() {
                self.unnamed
                    .push((response_id.to_owned(), event_id.clone()));
            }
            return None;
        };
        let at = self.sent.iter().position(|(_, r)| r.id == request_id)?;
        let (_, request) = self.sent.remove(at);
        request.state.send_replace(RequestState::Started {
            response_id: response_id.to_owned(),
        });
        let cancel = request.cancel;
        self.started.push((response_id.to_owned(), request));
        cancel.then(|| response_id.to_owned())
    }

    /// `response.done`.
    ///
    /// A response that named no request, created while a request was sent that the server
    /// has not refused since, was that request's (a server that does not echo `metadata`):
    /// a refusal would have come long before the response ended.
    pub(super) fn done(&mut self, response_id: &str, outcome: &ResponseOutcome) {
        self.active.remove(response_id);
        if let Some(at) = self.unnamed.iter().position(|(id, _)| id == response_id) {
            let (_, event_id) = self.unnamed.remove(at);
            if let Some(at) = self.sent.iter().position(|(id, _)| *id == event_id) {
                let (_, request) = self.sent.remove(at);
                self.started.push((response_id.to_owned(), request));
            }
        }
        if let Some(at) = self.started.iter().position(|(id, _)| id == response_id) {
            let (_, request) = self.started.remove(at);
            request.state.send_replace(RequestState::Done {
                response_id: response_id.to_owned(),
                outcome: outcome.clone(),
            });
        }
    }

    /// An `error` event: a request refused because a response runs goes back to the front of
    /// the queue (sent again when that response ends) and `true` says the error was handled;
    /// one refused for another reason is over.
    pub(super) fn error(&mut self, error: &ApiError) -> bool {
        let Some(event_id) = error.event_id.as_ref().and_then(|id| id.value()) else {
            return false;
        };
        let Some(at) = self.sent.iter().position(|(id, _)| id == event_id) else {
            return false;
        };
        let (_, request) = self.sent.remove(at);
        let busy = error
            .code
            .as_ref()
            .and_then(|c| c.value())
            .map(String::as_str)
            == Some(ACTIVE_RESPONSE);
        if !busy {
            request
                .state
                .send_replace(RequestState::Refused(error.clone()));
        } else if request.cancel {
            request.state.send_replace(RequestState::Cancelled);
        } else {
            request.state.send_replace(RequestState::Queued);
            self.queue.push_front(request);
        }
        busy
    }

    /// Whether any request is queued, being created or running, or any response runs.
    pub(super) fn busy(&self) -> bool {
        !self.idle() || !self.queue.is_empty()
    }

    /// The session ended: running responses are lost; requests sent and not answered go back
    /// to the queue for the next session.
    pub(super) fn session_ended(&mut self) {
        self.active.clear();
        self.unnamed.clear();
        for (_, request) in self.started.drain(..) {
            request.state.send_replace(RequestState::Lost);
        }
        for (_, request) in self.sent.drain(..).rev() {
            if request.cancel {
                request.state.send_replace(RequestState::Cancelled);
            } else {
                request.state.send_replace(RequestState::Queued);
                self.queue.push_front(request);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rtclient_protocol::Nullable;

    use super::*;

    fn refused(event_id: &str, code: &str) -> ApiError {
        ApiError {
            event_id: Some(Nullable::Value(event_id.to_owned())),
            code: Some(Nullable::Value(code.to_owned())),
            ..Default::default()
        }
    }

    fn started_as(requests: &mut Requests, response_id: &str, request_id: &str) -> Option<String> {
        requests.created(
            response_id,
            Some(&serde_json::json!({REQUEST_METADATA_KEY: request_id})),
        )
    }

    #[test]
    fn each_request_resolves_to_its_own_response() {
        let mut requests = Requests::default();
        let (first_id, first) = requests.new_request(None);
        let (second_id, second) = requests.new_request(None);
        let sent = requests.dispatch(|| "evt_1".into()).unwrap();
        assert_eq!(sent.event_id(), Some("evt_1"));
        // Not idle: the second waits.
        assert!(requests.dispatch(|| "evt_2".into()).is_none());
        // A VAD response starts first; the request is refused and queued again.
        requests.created("resp_vad", Some(&serde_json::json!({})));
        assert!(requests.error(&refused("evt_1", ACTIVE_RESPONSE)));
        assert_eq!(*first.borrow(), RequestState::Queued);
        requests.done("resp_vad", &ResponseOutcome::Completed);
        requests.dispatch(|| "evt_3".into()).unwrap();
        started_as(&mut requests, "resp_a", &first_id);
        assert_eq!(first.borrow().response_id(), Some("resp_a"));
        assert_eq!(*second.borrow(), RequestState::Queued);
        requests.done("resp_a", &ResponseOutcome::Completed);
        requests.dispatch(|| "evt_4".into()).unwrap();
        started_as(&mut requests, "resp_b", &second_id);
        assert_eq!(second.borrow().response_id(), Some("resp_b"));
        assert!(first.borrow().is_final());
    }

    #[test]
    fn another_error_refuses_the_request() {
        let mut requests = Requests::default();
        let (_, state) = requests.new_request(None);
        requests.dispatch(|| "evt_1".into()).unwrap();
        assert!(!requests.error(&refused("evt_1", "invalid_value")));
        assert!(matches!(*state.borrow(), RequestState::Refused(_)));
        requests.new_request(None);
        assert!(requests.dispatch(|| "evt_2".into()).is_some());
    }

    #[test]
    fn cancelling_before_creation() {
        let mut requests = Requests::default();
        let (id_a, state_a) = requests.new_request(None);
        let (id_b, state_b) = requests.new_request(None);
        requests.dispatch(|| "evt_1".into()).unwrap();
        assert_eq!(requests.cancel(&id_b), CancelAction::Nothing);
        assert_eq!(*state_b.borrow(), RequestState::Cancelled);
        // Sent, not created: cancelled as soon as it is.
        assert_eq!(requests.cancel(&id_a), CancelAction::Nothing);
        assert_eq!(
            started_as(&mut requests, "resp_a", &id_a),
            Some("resp_a".to_owned())
        );
        assert_eq!(state_a.borrow().response_id(), Some("resp_a"));
        assert_eq!(
            requests.cancel(&id_a),
            CancelAction::CancelResponse("resp_a".into())
        );
    }

    #[test]
    fn without_echoed_metadata_an_unrefused_request_takes_the_response() {
        let mut requests = Requests::default();
        let (_, vad_raced) = requests.new_request(None);
        requests.dispatch(|| "evt_1".into()).unwrap();
        // A VAD response wins the race: the request is refused before that response ends.
        requests.created("resp_vad", None);
        assert!(requests.error(&refused("evt_1", ACTIVE_RESPONSE)));
        requests.done("resp_vad", &ResponseOutcome::Completed);
        assert_eq!(*vad_raced.borrow(), RequestState::Queued);
        // Sent again; the server answers without echoing metadata.
        requests.dispatch(|| "evt_2".into()).unwrap();
        requests.created("resp_a", Some(&serde_json::json!({})));
        requests.done("resp_a", &ResponseOutcome::Completed);
        assert_eq!(
            *vad_raced.borrow(),
            RequestState::Done {
                response_id: "resp_a".into(),
                outcome: ResponseOutcome::Completed
            }
        );
        // The queue moves on.
        requests.new_request(None);
        assert!(requests.dispatch(|| "evt_3".into()).is_some());
    }

    #[test]
    fn metadata_keeps_the_callers_keys() {
        let params = ResponseCreateParams {
            metadata: Some(serde_json::json!({"topic": "weather"})),
            ..Default::default()
        };
        let mut requests = Requests::default();
        requests.new_request(Some(params));
        let event = requests.dispatch(|| "evt_1".into()).unwrap();
        let json = event.to_json().unwrap();
        assert!(json.contains(r#""topic":"weather""#), "{json}");
        assert!(json.contains(r#""rtclient_request":"req_1""#), "{json}");
    }

    #[test]
    fn an_ended_session_requeues_what_was_not_created() {
        let mut requests = Requests::default();
        let (running_id, running) = requests.new_request(None);
        requests.dispatch(|| "evt_1".into()).unwrap();
        started_as(&mut requests, "resp_a", &running_id);
        let (_, sent) = requests.new_request(None);
        requests.session_ended();
        assert_eq!(*running.borrow(), RequestState::Lost);
        requests.dispatch(|| "evt_2".into()).unwrap();
        requests.session_ended();
        assert_eq!(*sent.borrow(), RequestState::Queued);
        assert!(requests.dispatch(|| "evt_3".into()).is_some());
    }
}
