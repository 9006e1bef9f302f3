//! The events the event loop sends on its own (queued `response.create`s, cancels of responses
//! cancelled before they existed, barge-in truncations, follow-up responses), written one at a
//! time, in order, while [`Conversation::poll_event`](super::Conversation::poll_event) runs.

use std::{
    collections::VecDeque,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use crate::{client::EventSender, error::Error};

type Sending = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// Text frames waiting to be written, and the one being written.
#[derive(Default)]
pub(super) struct Outbox {
    waiting: VecDeque<(EventSender, String)>,
    sending: Option<Sending>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("waiting", &self.waiting.len())
            .field("sending", &self.sending.is_some())
            .finish()
    }
}

impl Outbox {
    /// Queues `text` (an encoded event) for `sender`'s connection.
    pub(super) fn push(&mut self, sender: EventSender, text: String) {
        self.waiting.push_back((sender, text));
    }

    /// Writes what it can without waiting. A failed write is only logged: the connection's
    /// end reaches the application through the receiving side.
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) {
        loop {
            if let Some(sending) = &mut self.sending {
                match sending.as_mut().poll(cx) {
                    Poll::Pending => return,
                    Poll::Ready(result) => {
                        if let Err(error) = result {
                            tracing::debug!(%error, "an event the conversation sent was lost");
                        }
                        self.sending = None;
                    }
                }
            }
            let Some((sender, text)) = self.waiting.pop_front() else {
                return;
            };
            self.sending = Some(Box::pin(async move { sender.send_text(text).await }));
        }
    }

    /// Drops what was not written yet (the session it was meant for is gone).
    pub(super) fn clear(&mut self) {
        self.waiting.clear();
        self.sending = None;
    }
}
