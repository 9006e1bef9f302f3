//! The ids a line shows after the event type: response, item and call id, when the event has
//! them.

use std::fmt;

use rtclient_protocol::{ClientEvent, ServerEvent, live};
use serde_json::{Map, Value};

use super::Event;

/// An event's response, item and call ids, shown as ` resp_x item_y call_z` (each one that is
/// present, in that order).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Ids<'a> {
    response: Option<&'a str>,
    item: Option<&'a str>,
    call: Option<&'a str>,
}

impl<'a> Ids<'a> {
    /// The ids of an event: its typed id fields, and for the ones its type does not have,
    /// the same keys among the fields this crate does not know (all of them for an event of
    /// unknown type), so nothing the frame carries is hidden.
    pub(super) fn of(event: Event<'a>) -> Self {
        let (typed, extra) = match event {
            Event::Server(e) => (server(e), e.extra()),
            Event::Client(e) => (client(e), e.extra()),
            Event::LiveServer(e) => (live_server(e), e.extra()),
            Event::LiveClient(e) => (live_client(e), e.extra()),
            Event::Unparsed(_) => (Self::default(), None),
        };
        typed.or_from(extra)
    }

    fn new(response: Option<&'a str>, item: Option<&'a str>, call: Option<&'a str>) -> Self {
        Self {
            response,
            item,
            call,
        }
    }

    fn response_item(response: &'a str, item: &'a str) -> Self {
        Self::new(Some(response), Some(item), None)
    }

    fn item(item: &'a str) -> Self {
        Self::new(None, Some(item), None)
    }

    fn response(response: &'a str) -> Self {
        Self::new(Some(response), None, None)
    }

    /// Fills the ids still missing from `extra`'s string values.
    fn or_from(self, extra: Option<&'a Map<String, Value>>) -> Self {
        let look = |key: &str| extra.and_then(|m| m.get(key)).and_then(Value::as_str);
        Self {
            response: self.response.or_else(|| look("response_id")),
            item: self.item.or_else(|| look("item_id")),
            call: self.call.or_else(|| look("call_id")),
        }
    }
}

impl fmt::Display for Ids<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for id in [self.response, self.item, self.call].into_iter().flatten() {
            write!(f, " {id}")?;
        }
        Ok(())
    }
}

/// The typed ids of a server event.
fn server(event: &ServerEvent) -> Ids<'_> {
    use ServerEvent as S;
    match event {
        S::ConversationItemTruncated(e) => Ids::item(&e.item_id),
        S::ConversationItemDeleted(e) => Ids::item(&e.item_id),
        S::ConversationItemInputAudioTranscriptionDelta(e) => Ids::item(&e.item_id),
        S::ConversationItemInputAudioTranscriptionCompleted(e) => Ids::item(&e.item_id),
        S::ConversationItemInputAudioTranscriptionFailed(e) => Ids::item(&e.item_id),
        S::ConversationItemInputAudioTranscriptionSegment(e) => Ids::item(&e.item_id),
        S::InputAudioBufferCommitted(e) => Ids::item(&e.item_id),
        S::InputAudioBufferSpeechStarted(e) => Ids::item(&e.item_id),
        S::InputAudioBufferSpeechStopped(e) => Ids::item(&e.item_id),
        S::InputAudioBufferTimeoutTriggered(e) => Ids::item(&e.item_id),
        S::OutputAudioBufferStarted(e) => Ids::response(&e.response_id),
        S::OutputAudioBufferStopped(e) => Ids::response(&e.response_id),
        S::OutputAudioBufferCleared(e) => Ids::response(&e.response_id),
        S::ResponseOutputItemAdded(e) => Ids::response(&e.response_id),
        S::ResponseOutputItemDone(e) => Ids::response(&e.response_id),
        S::ResponseContentPartAdded(e) => Ids::response_item(&e.response_id, &e.item_id),
        S::ResponseContentPartDone(e) => Ids::response_item(&e.response_id, &e.item_id),
        S::ResponseOutputTextDelta(e) => Ids::response_item(&e.response_id, &e.item_id),
        S::ResponseOutputTextDone(e) => Ids::response_item(&e.response_id, &e.item_id),
        S::ResponseOutputAudioDelta(e) => Ids::response_item(&e.response_id, &e.item_id),
        S::ResponseOutputAudioDone(e) => Ids::response_item(&e.response_id, &e.item_id),
        S::ResponseOutputAudioTranscriptDelta(e) => Ids::response_item(&e.response_id, &e.item_id),
        S::ResponseOutputAudioTranscriptDone(e) => Ids::response_item(&e.response_id, &e.item_id),
        S::ResponseFunctionCallArgumentsDelta(e) => {
            Ids::new(Some(&e.response_id), Some(&e.item_id), Some(&e.call_id))
        }
        S::ResponseFunctionCallArgumentsDone(e) => {
            Ids::new(Some(&e.response_id), Some(&e.item_id), Some(&e.call_id))
        }
        S::ResponseMcpCallArgumentsDelta(e) => Ids::response_item(&e.response_id, &e.item_id),
        S::ResponseMcpCallArgumentsDone(e) => Ids::response_item(&e.response_id, &e.item_id),
        S::ResponseMcpCallInProgress(e) => Ids::item(&e.item_id),
        S::ResponseMcpCallCompleted(e) => Ids::item(&e.item_id),
        S::ResponseMcpCallFailed(e) => Ids::item(&e.item_id),
        S::McpListToolsInProgress(e) => Ids::item(&e.item_id),
        S::McpListToolsCompleted(e) => Ids::item(&e.item_id),
        S::McpListToolsFailed(e) => Ids::item(&e.item_id),
        // Events without a typed id field (and `Unknown`, whose ids are all in its object).
        _ => Ids::default(),
    }
}

/// The typed ids of a client event.
fn client(event: &ClientEvent) -> Ids<'_> {
    match event {
        ClientEvent::ConversationItemRetrieve(e) => Ids::item(&e.item_id),
        ClientEvent::ConversationItemTruncate(e) => Ids::item(&e.item_id),
        ClientEvent::ConversationItemDelete(e) => Ids::item(&e.item_id),
        ClientEvent::ResponseCancel(e) => Ids::new(e.response_id.as_deref(), None, None),
        _ => Ids::default(),
    }
}

/// The typed ids of a GPT-Live server event.
fn live_server(event: &live::ServerEvent) -> Ids<'_> {
    match event {
        live::ServerEvent::DecisionItemDeleted(e) => Ids::item(&e.item_id),
        _ => Ids::default(),
    }
}

/// The typed ids of a GPT-Live client event.
fn live_client(event: &live::ClientEvent) -> Ids<'_> {
    match event {
        live::ClientEvent::DecisionItemDelete(e) => Ids::item(&e.item_id),
        _ => Ids::default(),
    }
}
