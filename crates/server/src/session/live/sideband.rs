//! A GPT-Live sideband (`/v1/live/sessions/{id}/attach`): watches a running session's events
//! and sends commands into it.

use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rtclient_protocol::live::{ServerEvent, SessionStarted};
use tokio::sync::broadcast::error::RecvError;

use super::hub;
use crate::session::ids::new_id;

/// Serves a sideband of session `id` until the client leaves or the session ends.
pub(super) async fn run<Tx, Rx>(id: &str, mut outgoing: Tx, mut incoming: Rx)
where
    Tx: Sink<Message> + Send + Unpin + 'static,
    Rx: Stream<Item = Message> + Send + Unpin + 'static,
{
    let Some(hub) = hub::find(id) else {
        let error = hub::not_found(id).into_live(None);
        let _ = send(&mut outgoing, ServerEvent::error(error)).await;
        return;
    };
    let state = hub.state();
    let hub::Hub {
        events, commands, ..
    } = hub;
    // Only the session keeps the sender: the stream ends when the session does.
    let mut events = {
        let receiver = events.subscribe();
        drop(events);
        receiver
    };
    // Attaching does not replay history; the session snapshot comes first, as observed.
    let started = SessionStarted {
        session: Box::new(state.session),
        ..Default::default()
    };
    if !send(&mut outgoing, started.into()).await {
        return;
    }
    loop {
        tokio::select! {
            message = incoming.next() => match message {
                Some(Message::Text(text)) => {
                    if commands.send(text.as_str().to_owned()).is_err() {
                        return;
                    }
                }
                Some(_) => {}
                None => return,
            },
            event = events.recv() => match event {
                Ok(text) => {
                    if outgoing.send(Message::text(text)).await.is_err() {
                        return;
                    }
                }
                // A slow sideband misses frames, like the service's gaps.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// Sends one event with a fresh `event_id`; false when the client is gone.
async fn send<Tx: Sink<Message> + Unpin>(outgoing: &mut Tx, mut event: ServerEvent) -> bool {
    event.set_event_id(new_id("event_"));
    match event.to_json() {
        Ok(text) => outgoing.send(Message::text(text)).await.is_ok(),
        Err(_) => false,
    }
}
