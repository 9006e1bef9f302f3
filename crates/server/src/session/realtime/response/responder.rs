//! Runs the responder for one response off the async runtime, without the session lock, and
//! hands its output to the response task as it comes: pieces of text while a model generates,
//! then the whole answer. Generation stops as soon as the response is no longer the active one
//! (cancelled, or interrupted by the user's next turn).

use std::sync::Arc;

use rtclient_protocol::Role;
use tokio::sync::mpsc;

use crate::engine::reply::Answer;
use crate::session::engines::Engines;
use crate::session::lock::lock;
use crate::session::realtime::active::is_active;
use crate::session::realtime::plan::Plan;
use crate::session::realtime::prompt::{responder_items, with_prompt};
use crate::session::realtime::state::SharedState;

/// What the responder produced.
#[derive(Debug)]
pub(super) enum Produced {
    /// The next piece of a reply being spoken.
    Text(String),
    /// The whole answer; nothing follows it.
    Done(Answer),
}

/// The responder's output for one response, in order.
#[derive(Debug)]
pub(super) struct ReplyStream {
    rx: mpsc::UnboundedReceiver<Produced>,
}

impl ReplyStream {
    /// Starts the responder on the conversation (or the response's own `input`) for the
    /// response `id`.
    pub(super) fn start(
        state: &SharedState,
        engines: &Arc<Engines>,
        plan: &Plan,
        id: &str,
    ) -> Self {
        let (items, audio_ms) = {
            let st = lock(state);
            let items = responder_items(&st, plan);
            let audio_ms = st
                .conversation
                .items()
                .next_back()
                .filter(|s| s.item.role == Some(Role::User))
                .map(|s| s.audio_ms)
                .filter(|ms| *ms > 0);
            (items, audio_ms)
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let responder = Arc::clone(&engines.responder);
        let (state, plan) = (Arc::clone(state), plan.clone());
        let id = id.to_owned();
        tokio::task::spawn_blocking(move || {
            let answer = with_prompt(&items, audio_ms, &plan, |prompt| {
                responder.stream(prompt, &mut |piece| {
                    let wanted = is_active(&lock(&state).active, &id);
                    wanted && tx.send(Produced::Text(piece.to_owned())).is_ok()
                })
            });
            // The receiver is gone when the response ended meanwhile; nothing to tell then.
            let _ = tx.send(Produced::Done(answer));
        });
        Self { rx }
    }

    /// The next output; `None` once the responder is done (or died).
    pub(super) async fn next(&mut self) -> Option<Produced> {
        self.rx.recv().await
    }
}
