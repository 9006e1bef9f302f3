//! Runs the responder for one response off the async runtime, without the session lock, and
//! hands its output to the response task as it comes: pieces of text while a model generates,
//! then the whole answer. Generation stops as soon as the response is no longer the active one
//! (cancelled, or interrupted by the user's next turn).

use std::sync::Arc;

use rtclient_protocol::{Item, Role};
use tokio::sync::mpsc;

use super::output::is_active;
use super::plan::Plan;
use super::response::with_prompt;
use super::state::{Engines, SharedState, State};
use crate::engine::responder::Answer;

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
    /// response `id`; `None` when the session state is gone.
    pub(super) fn start(
        state: &SharedState,
        engines: &Arc<Engines>,
        plan: &Plan,
        id: &str,
    ) -> Option<Self> {
        let (items, audio_ms) = {
            let st = state.lock().ok()?;
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
                    let wanted = state.lock().is_ok_and(|st| is_active(&st.active, &id));
                    wanted && tx.send(Produced::Text(piece.to_owned())).is_ok()
                })
            });
            // The receiver is gone when the response ended meanwhile; nothing to tell then.
            let _ = tx.send(Produced::Done(answer));
        });
        Some(Self { rx })
    }

    /// The next output; `None` once the responder is done (or died).
    pub(super) async fn next(&mut self) -> Option<Produced> {
        self.rx.recv().await
    }
}

/// The items the responder reads for a response under `plan`: the conversation (or the
/// response's own `input`), with what was heard privately in user turns that have no
/// transcript.
pub(super) fn responder_items(st: &State, plan: &Plan) -> Vec<Item> {
    let mut items: Vec<Item> = match &plan.input {
        Some(items) => items.clone(),
        None => st.conversation.items().map(|s| s.item.clone()).collect(),
    };
    for (heard_id, text) in &st.heard {
        fill_transcript(&mut items, heard_id, text);
    }
    items
}

/// Gives the input audio of item `id` (in the responder's copy of the conversation) the
/// transcript `text` when it has none.
fn fill_transcript(items: &mut [Item], id: &str, text: &str) {
    let Some(item) = items.iter_mut().find(|i| i.id.as_deref() == Some(id)) else {
        return;
    };
    for part in item.content.iter_mut().flatten() {
        let untranscribed = part.transcript.as_ref().is_none_or(|t| t.value().is_none());
        if part.kind == Some(rtclient_protocol::ContentKind::InputAudio) && untranscribed {
            part.transcript = Some(rtclient_protocol::Nullable::Value(text.to_owned()));
        }
    }
}
