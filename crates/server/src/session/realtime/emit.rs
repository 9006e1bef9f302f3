//! [`Emitter`]: stamps each server event with a fresh `event_id`, writes it in the session's
//! dialect and queues it for the connection's writer task ([`write()`]), which can also end the
//! connection (a close frame, or a scripted drop).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt};
use rtclient_protocol::{Dialect, Item, ServerEvent};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use crate::engine::faults::Disruption;
use crate::net::connection::CLOSE_ABNORMAL;
use crate::session::ids::new_id;

/// What the session hands its writer task.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// A server event, and when it was produced (the writer may hold it back by the scripted
    /// latency).
    Event { text: String, produced: Instant },
    /// End the connection with this close frame.
    Close { code: u16, reason: String },
    /// End the connection with no close frame.
    Drop,
}

/// Sends server events of one session, in order.
#[derive(Debug, Clone)]
pub(crate) struct Emitter {
    tx: UnboundedSender<Outbound>,
    dialect: Dialect,
    /// Send `conversation.item.done`: GA does, beta does not, Azure Voice Live (beta names)
    /// does.
    item_done: bool,
    tripwire: Option<Arc<Tripwire>>,
}

/// A scripted disruption waiting for its event count.
#[derive(Debug)]
struct Tripwire {
    disruption: Disruption,
    sent: AtomicUsize,
    fired: AtomicBool,
}

impl Emitter {
    /// An emitter writing `dialect` frames into `tx`; `voice_live` adds the GA
    /// `conversation.item.done` to the beta dialect, as Azure Voice Live sends it.
    pub(crate) fn new(tx: UnboundedSender<Outbound>, dialect: Dialect, voice_live: bool) -> Self {
        Self {
            tx,
            dialect,
            item_done: dialect == Dialect::Ga || voice_live,
            tripwire: None,
        }
    }

    /// The session's dialect.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Sends `event` with a new `event_id`. `conversation.item.done`, which the beta dialect
    /// lacks, is skipped there (except for Voice Live).
    pub(crate) fn send(&self, event: impl Into<ServerEvent>) {
        if self.tripped() {
            return;
        }
        let mut event = event.into();
        if !self.item_done && matches!(event, ServerEvent::ConversationItemDone(_)) {
            return;
        }
        if self.dialect == Dialect::Beta {
            mark_beta_items(&mut event);
        }
        event.set_event_id(new_id("event_"));
        match self.dialect.server_event_to_json(&event) {
            Ok(text) => {
                // The writer is gone only when the connection ended.
                let _ = self.tx.send(Outbound::Event {
                    text,
                    produced: Instant::now(),
                });
                self.count_event();
            }
            Err(error) => tracing::error!(%error, kind = event.kind(), "event not written"),
        }
    }

    /// Ends the connection with a close frame, after the events already sent.
    pub(crate) fn close(&self, code: u16, reason: String) {
        let _ = self.tx.send(Outbound::Close { code, reason });
    }

    /// An emitter for one response that carries out `disruption` once `already_sent` plus the
    /// events it sends reach the disruption's count (or at [`Emitter::end_of_response`]).
    pub(crate) fn with_disruption(&self, disruption: Disruption, already_sent: usize) -> Emitter {
        let emitter = Emitter {
            tx: self.tx.clone(),
            dialect: self.dialect,
            item_done: self.item_done,
            tripwire: Some(Arc::new(Tripwire {
                disruption,
                sent: AtomicUsize::new(already_sent),
                fired: AtomicBool::new(false),
            })),
        };
        emitter.check_tripwire();
        emitter
    }

    /// The response is over: a disruption still waiting happens now.
    pub(crate) fn end_of_response(&self) {
        if let Some(wire) = &self.tripwire {
            self.fire(wire);
        }
    }

    fn tripped(&self) -> bool {
        self.tripwire
            .as_ref()
            .is_some_and(|wire| wire.fired.load(Ordering::Acquire))
    }

    fn count_event(&self) {
        if let Some(wire) = &self.tripwire {
            wire.sent.fetch_add(1, Ordering::AcqRel);
        }
        self.check_tripwire();
    }

    fn check_tripwire(&self) {
        let Some(wire) = &self.tripwire else { return };
        if let Some(limit) = wire.disruption.after_events()
            && wire.sent.load(Ordering::Acquire) >= limit
        {
            self.fire(wire);
        }
    }

    fn fire(&self, wire: &Tripwire) {
        if wire.fired.swap(true, Ordering::AcqRel) {
            return;
        }
        let outbound = match &wire.disruption {
            Disruption::Drop { .. } => Outbound::Drop,
            Disruption::Close { code, reason, .. } => Outbound::Close {
                code: *code,
                reason: reason.clone(),
            },
        };
        let _ = self.tx.send(outbound);
    }
}

/// The writer task: sends the session's events (each `latency` after it was produced) until a
/// close or drop, or until every [`Emitter`] is gone.
pub(super) async fn write<Tx>(
    mut rx: UnboundedReceiver<Outbound>,
    mut outgoing: Tx,
    latency: Duration,
) where
    Tx: Sink<Message> + Unpin,
{
    while let Some(outbound) = rx.recv().await {
        let message = match outbound {
            Outbound::Event { text, produced } => {
                if !latency.is_zero() {
                    tokio::time::sleep_until(produced + latency).await;
                }
                Message::text(text)
            }
            Outbound::Close { code, reason } => close_frame(code, reason),
            Outbound::Drop => close_frame(CLOSE_ABNORMAL, String::new()),
        };
        let ends = matches!(message, Message::Close(_));
        if outgoing.send(message).await.is_err() || ends {
            break;
        }
    }
}

fn close_frame(code: u16, reason: String) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Beta items carry `object: "realtime.item"` (as the beta recordings show).
fn mark_beta_items(event: &mut ServerEvent) {
    fn mark(item: &mut Item) {
        item.object = Some("realtime.item".to_owned());
    }
    match event {
        ServerEvent::ConversationItemAdded(e) => mark(&mut e.item),
        ServerEvent::ConversationItemDone(e) => mark(&mut e.item),
        ServerEvent::ConversationItemRetrieved(e) => mark(&mut e.item),
        ServerEvent::ResponseOutputItemAdded(e) => mark(&mut e.item),
        ServerEvent::ResponseOutputItemDone(e) => mark(&mut e.item),
        ServerEvent::ResponseDone(e) => e.response.output.iter_mut().flatten().for_each(mark),
        _ => {}
    }
}
