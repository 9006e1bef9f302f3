//! The Realtime session (GA and beta dialects, Azure Voice Live): `session.created` with a
//! complete default config, `session.update`, the input audio buffer with server VAD,
//! conversation items, and responses, on one connection.
//!
//! This module holds the session's read loop: [`run`] starts the session and hands each client
//! event to its handler. Handlers are split by concern: audio input and turn detection in
//! [`input`] (with what was heard in [`hearing`]), conversation items in [`items`], and the
//! session's own events (`session.update`, `response.create`, `response.cancel`) here. The
//! loop is the one place that starts a response ([`Running::follow`], on the [`Next`] input
//! returns) and that turns every error into what the client gets. Responses are written by
//! [`response`] as tasks of their own, sharing the [`State`] behind its lock.

mod active;
mod config;
mod conversation;
mod emit;
mod hearing;
mod input;
mod input_buffer;
mod items;
mod plan;
mod prompt;
mod rates;
mod read_ahead;
mod response;
mod state;
mod usage;
mod validation;
mod voice_live;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::Message;
use futures_util::{Sink, Stream, StreamExt};
use rtclient_protocol::event::client as cl;
use rtclient_protocol::event::server as ev;
use rtclient_protocol::{ClientEvent, Dialect, ErrorCode, SessionKind, StatusReason};

use self::conversation::{Conversation, prepare_client_item};
use self::emit::{Emitter, Outbound, write};
use self::input::Next;
use self::input_buffer::Input;
pub use self::input_buffer::MAX_APPEND_BASE64;
use self::rates::RateBook;
use self::state::{Running, SharedState, State};
use super::engines::Engines;
use super::errors::{self, ClientError};
use super::ids::new_id;
use super::lock::lock;
use crate::net::connection::{CLOSE_GOING_AWAY, max_duration_reason};
use crate::net::endpoint::{Route, SessionRequest};

/// Serves one Realtime connection until the client is gone.
pub(super) async fn run<Tx, Rx>(
    engines: Arc<Engines>,
    request: SessionRequest,
    outgoing: Tx,
    mut incoming: Rx,
) where
    Tx: Sink<Message> + Send + Unpin + 'static,
    Rx: Stream<Item = Message> + Send + Unpin + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Outbound>();
    let writer = tokio::spawn(write(rx, outgoing, engines.faults.latency));
    let close_after = engines.faults.close_after;
    let mut session = start(engines, &request, tx);
    let mut closing = std::pin::pin!(tokio::time::sleep(close_after.unwrap_or(Duration::MAX)));
    let mut close_pending = close_after.is_some();
    loop {
        tokio::select! {
            message = incoming.next() => match message {
                Some(Message::Text(text)) => session.handle_text(text.as_str()),
                Some(Message::Binary(_)) => session.error(errors::binary_frame(), None),
                Some(_) => {}
                None => break,
            },
            () = &mut closing, if close_pending => {
                close_pending = false;
                let reason = max_duration_reason(close_after.unwrap_or_default());
                session.emitter.close(CLOSE_GOING_AWAY, reason);
            }
        }
    }
    // The client is gone: stop a response in progress at its next event.
    lock(&session.state).active = None;
    drop(session);
    let _ = writer.await;
}

/// Starts the session `request` asks for: `session.created` (sent through `tx`) with the
/// default config, its state, and its input settings.
fn start(
    engines: Arc<Engines>,
    request: &SessionRequest,
    tx: tokio::sync::mpsc::UnboundedSender<Outbound>,
) -> Running {
    let voice_live =
        request.route() == Route::VoiceLive && *request.kind() == SessionKind::Realtime;
    let emitter = Emitter::new(tx, request.dialect(), voice_live);
    let lifetime = match engines.faults.close_after {
        Some(close_after) => close_after.min(engines.max_duration),
        None => engines.max_duration,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut session = config::default_session(
        request.kind().clone(),
        request.dialect(),
        new_id("sess_"),
        request.model(),
        now + lifetime.as_secs(),
    );
    if voice_live {
        voice_live::extend(&mut session, None);
    }
    emitter.send(ev::SessionCreated {
        session: Box::new(session.clone()),
        ..Default::default()
    });
    let state: SharedState = Arc::new(Mutex::new(State {
        session,
        conversation: Conversation::default(),
        conversation_id: new_id("conv_"),
        active: None,
        audio_produced: false,
        rates: RateBook::new(engines.faults.rate_limits),
        voice_live,
        finished_responses: 0,
        last_response_audio_ms: 0,
        heard: VecDeque::new(),
    }));
    let mut running = Running {
        state,
        emitter,
        engines,
        input: Input::default(),
    };
    running.configure_input();
    running
}

impl Running {
    /// Sends `error` as the `error` event answering the client event `event_id`.
    fn error(&self, error: ClientError, event_id: Option<String>) {
        self.emitter.send(error.into_event(event_id));
    }

    /// Handles one client event; an error it causes goes back as an `error` event naming it.
    fn handle_text(&mut self, text: &str) {
        let event = match self.emitter.dialect().parse_client_event(text) {
            Ok(event) => event,
            Err(error) => {
                let (error, event_id) = errors::parse_failure(text, &error);
                self.error(error, event_id);
                return;
            }
        };
        let event_id = event.event_id().map(str::to_owned);
        let result = match event {
            ClientEvent::SessionUpdate(e) => self.session_update(&e),
            ClientEvent::InputAudioBufferAppend(e) => self.append(&e),
            ClientEvent::InputAudioBufferCommit(_) => self.commit(),
            ClientEvent::InputAudioBufferClear(_) => {
                self.input.buffer.take_all();
                self.input.speech_item = None;
                self.input.read_ahead = None;
                if let Some(vad) = self.input.vad.as_mut() {
                    vad.reset_turn();
                }
                self.emitter.send(ev::InputAudioBufferCleared::default());
                Ok(())
            }
            ClientEvent::ConversationItemCreate(e) => self.item_create(e),
            ClientEvent::ConversationItemRetrieve(e) => self.item_retrieve(&e),
            ClientEvent::ConversationItemDelete(e) => self.item_delete(&e),
            ClientEvent::ConversationItemTruncate(e) => self.item_truncate(&e),
            ClientEvent::ResponseCreate(e) => self.response_create(e),
            ClientEvent::ResponseCancel(_) => self.response_cancel(),
            ClientEvent::OutputAudioBufferClear(_) => Err(ClientError::invalid_value(
                "type",
                "output_audio_buffer.clear is only supported on WebRTC and SIP connections.",
            )),
            ClientEvent::Unknown(value) => Err(errors::unknown_type(
                value.get("type").and_then(|t| t.as_str()).unwrap_or(""),
            )),
            other => Err(errors::unknown_type(other.kind())),
        };
        if let Err(error) = result {
            self.error(error, event_id);
        }
    }

    /// `input_audio_buffer.append`: the audio, then each turn event server VAD found in it,
    /// then what follows an append, each step's [`Next`] followed as it comes (so a response
    /// starts right where its turn ended, before a later turn in the same audio).
    fn append(&mut self, e: &cl::InputAudioBufferAppend) -> Result<(), ClientError> {
        let appended_at = self.input.buffer.end();
        let Some(events) = self.take_audio(e)? else {
            return Ok(());
        };
        for event in events {
            let next = self.turn_event(event);
            self.follow(next);
        }
        let next = self.after_append(appended_at);
        self.follow(next);
        Ok(())
    }

    /// Does what an input step asked for. This is where responses to the user's turns start.
    fn follow(&mut self, next: Next) {
        match next {
            Next::Continue => {}
            Next::Respond => {
                // The client did not ask for this response, so a refusal answers no client
                // event. The only one possible is a response already in progress (server VAD
                // with `interrupt_response` off, or the client's own `response.create` during
                // the turn): the turn gets no response of its own, the client no `error`
                // event, and the response in progress goes on.
                if let Err(refused) = self.response_create(cl::ResponseCreate::default()) {
                    tracing::debug!(code = ?refused.code, "no response to the turn");
                }
            }
        }
    }

    fn session_update(&mut self, e: &cl::SessionUpdate) -> Result<(), ClientError> {
        let mut st = lock(&self.state);
        if st.voice_live {
            voice_live::check(&e.session)?;
        } else {
            validation::check_session(&e.session, self.emitter.dialect())?;
        }
        let mut next = config::apply_update(
            &st.session,
            &e.session,
            self.emitter.dialect(),
            st.audio_produced,
        )?;
        if st.voice_live {
            voice_live::extend(&mut next, Some(&e.session));
        }
        st.session = next.clone();
        drop(st);
        self.emitter.send(ev::SessionUpdated {
            session: Box::new(next),
            ..Default::default()
        });
        self.configure_input();
        Ok(())
    }

    fn response_create(&mut self, e: cl::ResponseCreate) -> Result<(), ClientError> {
        let mut st = lock(&self.state);
        if let Some(active) = &st.active {
            return Err(ClientError::new(
                ErrorCode::ConversationAlreadyHasActiveResponse,
                format!(
                    "Conversation already has an active response in progress: {}. Wait until \
                     the response is finished before creating a new one.",
                    active.id
                ),
            ));
        }
        if self.emitter.dialect() == Dialect::Ga
            && let Some(params) = &e.response
        {
            config::unknown_field("response", &params.extra)?;
        }
        if let Some(params) = &e.response
            && !st.voice_live
        {
            validation::check_response(params, self.emitter.dialect())?;
        }
        if let Some(temperature) = e
            .response
            .as_ref()
            .and_then(|params| params.extra.get("temperature"))
        {
            config::check_temperature(temperature, "response.temperature")?;
        }
        if let Some(format) = e
            .response
            .as_ref()
            .and_then(|params| params.audio.as_ref())
            .and_then(|audio| audio.output.as_ref())
            .and_then(|output| output.format.as_ref())
        {
            config::check_format(format, "response.audio.output.format")?;
        }
        let mut plan = plan::plan(&st, e.response);
        if let Some(items) = plan.input.as_mut() {
            for (i, item) in items.iter_mut().enumerate() {
                let prepared =
                    prepare_client_item(item.clone(), new_id("item_")).map_err(|mut err| {
                        err.param = err.param.map(|p| {
                            format!("response.input[{i}].{}", p.trim_start_matches("item."))
                        });
                        err
                    })?;
                *item = prepared;
            }
        }
        self.emitter.send(ev::ResponseCreated {
            response: Box::new(plan.response.clone()),
            ..Default::default()
        });
        let active = plan.start(&st);
        if let Err(failure) = st.rates.admit(tokio::time::Instant::now()) {
            response::refuse(&mut st, &self.emitter, active, &failure);
            return Ok(());
        }
        st.active = Some(active);
        drop(st);
        tokio::spawn(response::generate(
            Arc::clone(&self.state),
            self.emitter.clone(),
            Arc::clone(&self.engines),
            plan,
        ));
        Ok(())
    }

    fn response_cancel(&mut self) -> Result<(), ClientError> {
        let mut st = lock(&self.state);
        if response::cancel(&mut st, &self.emitter, StatusReason::ClientCancelled) {
            Ok(())
        } else {
            Err(ClientError::new(
                ErrorCode::ResponseCancelNotActive,
                "Cancellation failed: no active response found.",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;
    use futures_util::SinkExt;
    use rtclient_audio::Pace;

    use super::*;

    #[tokio::test]
    async fn runs_over_plain_channels() {
        let request =
            SessionRequest::resolve(Route::OpenAi, Some("model=m"), &HeaderMap::new(), []);
        let (out_tx, mut out_rx) = futures_channel::mpsc::channel::<Message>(16);
        let (mut in_tx, in_rx) = futures_channel::mpsc::channel::<Message>(16);
        let engines = Arc::new(Engines {
            pace: Pace::Max,
            ..Engines::default()
        });
        let task = tokio::spawn(run(engines, request, out_tx, in_rx));
        let next = |m: Option<Message>| -> serde_json::Value {
            match m {
                Some(Message::Text(t)) => serde_json::from_str(t.as_str()).unwrap(),
                other => panic!("expected text, got {other:?}"),
            }
        };
        let created = next(out_rx.next().await);
        assert_eq!(created["type"], "session.created");
        assert_eq!(created["session"]["model"], "m");
        in_tx.send(Message::binary(vec![0u8; 4])).await.unwrap();
        let error = next(out_rx.next().await);
        assert_eq!(error["error"]["code"], "invalid_event");
        in_tx
            .send(Message::text(
                r#"{"type":"response.cancel","event_id":"c1"}"#,
            ))
            .await
            .unwrap();
        let error = next(out_rx.next().await);
        assert_eq!(error["error"]["code"], "response_cancel_not_active");
        assert_eq!(error["error"]["event_id"], "c1");
        drop(in_tx);
        task.await.unwrap();
        assert!(out_rx.next().await.is_none());
    }
}
