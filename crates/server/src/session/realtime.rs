//! [`RealtimeSession`]: the Realtime session state machine as a [`SessionHandler`], and the
//! handlers of the session's own events (`session.update`, `response.create`, `response.cancel`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rtclient_audio::Pace;
use rtclient_protocol::event::client as cl;
use rtclient_protocol::event::server as ev;
use rtclient_protocol::{ClientEvent, Dialect, ErrorCode, SessionKind, StatusReason};

use super::config;
use super::conversation::{Conversation, prepare_client_item};
use super::emit::{Emitter, Outbound};
use super::errors::{self, ClientError};
use super::ids::new_id;
use super::input_buffer::Input;
use super::output;
use super::plan;
use super::rates::RateBook;
use super::response;
use super::speech::SpeechCache;
use super::state::{Active, DEFAULT_PACE, Engines, Running, SharedState, State};
use super::validation;
use super::voice_live;
use crate::engine::faults::Faults;
use crate::engine::reply::{EchoResponder, Responder};
use crate::engine::script::Script;
use crate::engine::stt::{NoTranscriber, Transcriber};
use crate::engine::tts::{EspeakSynthesizer, Synthesizer};
use crate::engine::turn::EndOfTurn;
use crate::engine::vad::{Earshot, VadEngine};
use crate::net::connection::{CLOSE_ABNORMAL, CLOSE_GOING_AWAY, max_duration_reason};
use crate::net::endpoint::{self, SessionRequest};
use crate::net::handler::SessionHandler;

/// The Realtime session handler: `session.created`, updates, the input audio buffer with
/// server VAD, conversation items, and responses (text, speech, function calls), in the GA or
/// beta dialect of the connection.
///
/// ```
/// use rtclient_audio::Pace;
/// use rtclient_server::RealtimeSession;
/// let session = RealtimeSession::new().pace(Pace::Max);
/// # let _ = session;
/// ```
#[derive(Debug, Clone)]
pub struct RealtimeSession {
    engines: Arc<Engines>,
}

impl Default for RealtimeSession {
    fn default() -> Self {
        Self::new()
    }
}

impl RealtimeSession {
    /// Sessions with the echo responder, espeak-ng speech, 4x pace and a 60 min lifetime.
    pub fn new() -> Self {
        Self {
            engines: Arc::new(Engines {
                responder: Arc::new(EchoResponder),
                synthesizer: Arc::new(EspeakSynthesizer::new()),
                transcriber: Arc::new(NoTranscriber),
                vad: Arc::new(Earshot),
                end_of_turn: None,
                cache: SpeechCache::default(),
                pace: DEFAULT_PACE,
                max_duration: Duration::from_secs(3600),
                faults: Faults::default(),
            }),
        }
    }

    fn edit(self, f: impl FnOnce(&mut Engines)) -> Self {
        let mut engines = match Arc::try_unwrap(self.engines) {
            Ok(e) => e,
            Err(shared) => Engines {
                responder: Arc::clone(&shared.responder),
                synthesizer: Arc::clone(&shared.synthesizer),
                transcriber: Arc::clone(&shared.transcriber),
                vad: Arc::clone(&shared.vad),
                end_of_turn: shared.end_of_turn.clone(),
                cache: SpeechCache::default(),
                pace: shared.pace,
                max_duration: shared.max_duration,
                faults: shared.faults.clone(),
            },
        };
        f(&mut engines);
        Self {
            engines: Arc::new(engines),
        }
    }

    /// Uses `responder` to choose replies (e.g. a [`Script`](crate::Script)).
    pub fn responder(self, responder: impl Responder + 'static) -> Self {
        self.edit(|e| e.responder = Arc::new(responder))
    }

    /// Injects session-wide `faults` into every session (see [`Faults`]).
    pub fn faults(self, faults: Faults) -> Self {
        self.edit(|e| e.faults = faults)
    }

    /// Replies by `script`'s rules and injects its faults: [`RealtimeSession::responder`] plus
    /// [`RealtimeSession::faults`].
    pub fn script(self, script: Script) -> Self {
        let faults = script.faults();
        self.responder(script).faults(faults)
    }

    /// Uses `synthesizer` for speech.
    pub fn synthesizer(self, synthesizer: impl Synthesizer + 'static) -> Self {
        self.edit(|e| e.synthesizer = Arc::new(synthesizer))
    }

    /// Uses `transcriber` for input audio transcription (default: [`NoTranscriber`]).
    pub fn transcriber(self, transcriber: impl Transcriber + 'static) -> Self {
        self.edit(|e| e.transcriber = Arc::new(transcriber))
    }

    /// Uses `vad` for server VAD (default: [`Earshot`]).
    pub fn vad(self, vad: impl VadEngine + 'static) -> Self {
        self.edit(|e| e.vad = Arc::new(vad))
    }

    /// Uses `judge` to end `semantic_vad` turns: at a short pause it decides from the turn's
    /// audio whether the user finished (default: none, so a pause of a length set by the
    /// eagerness ends the turn).
    pub fn end_of_turn(self, judge: impl EndOfTurn + 'static) -> Self {
        self.edit(|e| e.end_of_turn = Some(Arc::new(judge)))
    }

    /// Sets the response streaming pace.
    pub fn pace(self, pace: Pace) -> Self {
        self.edit(|e| e.pace = pace)
    }

    /// Sets the session lifetime announced in `expires_at`.
    pub fn max_duration(self, duration: Duration) -> Self {
        self.edit(|e| e.max_duration = duration)
    }
}

impl SessionHandler for RealtimeSession {
    async fn run<Tx, Rx>(&self, request: SessionRequest, outgoing: Tx, mut incoming: Rx)
    where
        Tx: Sink<Message> + Send + Unpin + 'static,
        Rx: Stream<Item = Message> + Send + Unpin + 'static,
    {
        if request.route().is_live() {
            return super::live::run(Arc::clone(&self.engines), request, outgoing, incoming).await;
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Outbound>();
        let writer = tokio::spawn(write(rx, outgoing, self.engines.faults.latency));
        let voice_live = request.route() == endpoint::Route::VoiceLive
            && *request.kind() == SessionKind::Realtime;
        let emitter = Emitter::new(tx, request.dialect(), voice_live);
        let lifetime = match self.engines.faults.close_after {
            Some(close_after) => close_after.min(self.engines.max_duration),
            None => self.engines.max_duration,
        };
        let kind = request.kind().clone();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut session = config::default_session(
            kind,
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
            rates: RateBook::new(self.engines.faults.rate_limits),
            voice_live,
            finished_responses: 0,
            last_response_audio_ms: 0,
            heard: VecDeque::new(),
        }));
        let mut session = Running {
            state,
            emitter,
            engines: Arc::clone(&self.engines),
            input: Input::default(),
        };
        session.configure_input();
        let close_after = self.engines.faults.close_after;
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
        if let Ok(mut st) = session.state.lock() {
            st.active = None;
        }
        drop(session);
        let _ = writer.await;
    }
}

/// The writer task: sends the session's events (each `latency` after it was produced) until a
/// close or drop, or until every [`Emitter`] is gone.
async fn write<Tx>(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Outbound>,
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
    Message::Close(Some(axum::extract::ws::CloseFrame {
        code,
        reason: reason.into(),
    }))
}

impl Running {
    pub(super) fn error(&self, error: ClientError, event_id: Option<String>) {
        self.emitter.send(error.into_event(event_id));
    }

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

    fn session_update(&mut self, e: &cl::SessionUpdate) -> Result<(), ClientError> {
        let Ok(mut st) = self.state.lock() else {
            return Ok(());
        };
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

    pub(super) fn response_create(&mut self, e: cl::ResponseCreate) -> Result<(), ClientError> {
        let Ok(mut st) = self.state.lock() else {
            return Ok(());
        };
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
        let active = Active::start(&st, &plan);
        if let Err(failure) = st.rates.admit(tokio::time::Instant::now()) {
            output::refuse(&mut st, &self.emitter, active, &failure);
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
        let Ok(mut st) = self.state.lock() else {
            return Ok(());
        };
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

    use super::*;
    use crate::net::endpoint::Route;

    #[tokio::test]
    async fn runs_over_plain_channels() {
        let request =
            SessionRequest::resolve(Route::OpenAi, Some("model=m"), &HeaderMap::new(), []);
        let (out_tx, mut out_rx) = futures_channel::mpsc::channel::<Message>(16);
        let (mut in_tx, in_rx) = futures_channel::mpsc::channel::<Message>(16);
        let session = RealtimeSession::new().pace(Pace::Max);
        let task = tokio::spawn(async move { session.run(request, out_tx, in_rx).await });
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
