//! [`Emitter`]: stamps each server event with a fresh `event_id`, writes it in the session's
//! dialect and queues it for the connection's writer task.

use rtclient_protocol::{Dialect, Item, ServerEvent};
use tokio::sync::mpsc::UnboundedSender;

use super::ids::new_id;

/// Sends server events of one session, in order.
#[derive(Debug, Clone)]
pub(crate) struct Emitter {
    tx: UnboundedSender<String>,
    dialect: Dialect,
}

impl Emitter {
    /// An emitter writing `dialect` frames into `tx`.
    pub(crate) fn new(tx: UnboundedSender<String>, dialect: Dialect) -> Self {
        Self { tx, dialect }
    }

    /// The session's dialect.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Sends `event` with a new `event_id`. Events the beta dialect lacks
    /// (`conversation.item.done`) are skipped there.
    pub(crate) fn send(&self, event: impl Into<ServerEvent>) {
        let mut event = event.into();
        if self.dialect == Dialect::Beta && matches!(event, ServerEvent::ConversationItemDone(_)) {
            return;
        }
        if self.dialect == Dialect::Beta {
            mark_beta_items(&mut event);
        }
        event.set_event_id(new_id("event_"));
        match self.dialect.server_event_to_json(&event) {
            Ok(text) => {
                // The writer is gone only when the connection ended.
                let _ = self.tx.send(text);
            }
            Err(error) => tracing::error!(%error, kind = event.kind(), "event not written"),
        }
    }
}

/// Beta items carry `object: "realtime.item"` (as the beta recordings show).
fn mark_beta_items(event: &mut ServerEvent) {
    fn mark(item: &mut Item) {
        item.object = Some("realtime.item".to_owned());
    }
    match event {
        ServerEvent::ConversationItemAdded(e) => mark(&mut e.item),
        ServerEvent::ConversationItemRetrieved(e) => mark(&mut e.item),
        ServerEvent::ResponseOutputItemAdded(e) => mark(&mut e.item),
        ServerEvent::ResponseOutputItemDone(e) => mark(&mut e.item),
        ServerEvent::ResponseDone(e) => e.response.output.iter_mut().flatten().for_each(mark),
        _ => {}
    }
}
