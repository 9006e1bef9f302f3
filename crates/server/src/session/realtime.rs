//! [`RealtimeSession`]: the Realtime session state machine (DESIGN §4) as a [`SessionHandler`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::Message;
use base64::Engine as _;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rtclient_protocol::event::client as cl;
use rtclient_protocol::event::server as ev;
use rtclient_protocol::{
    ApiError, ClientEvent, ContentKind, ContentPart, Dialect, Item, ItemKind, ItemStatus, Nullable,
    Role, Session, SessionKind, StatusReason, TurnDetectionKind,
};

use super::SessionHandler;
use super::config;
use super::conversation::{
    Conversation, MAX_CONVERSATION_AUDIO, Stored, prepare_client_item, without_audio,
};
use super::emit::{Emitter, Outbound};
use super::errors::{self, ClientError};
use super::ids::new_id;
use super::input::InputBuffer;
use super::rates::RateBook;
use super::response::{self, Active, SpeechCache};
use crate::connection::{CLOSE_ABNORMAL, CLOSE_GOING_AWAY, max_duration_reason};
use crate::endpoint::{self, SessionRequest};
use crate::faults::Faults;
use crate::responder::{EchoResponder, Responder, Script};
use crate::synthesis::{EspeakSynthesizer, Synthesizer};
use crate::transcription::{NoTranscriber, Transcriber, TurnAudio};
use crate::vad::{ResamplingDetector, VadEvent, VadParams};

/// Largest `input_audio_buffer.append` payload, in base64 characters (15 MiB).
pub const MAX_APPEND_BASE64: usize = 15 * 1024 * 1024;

/// How fast responses stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// As fast as possible (tests).
    Max,
    /// This many times real time (1.0 = real time).
    Speed(f32),
}

impl Default for Pace {
    /// 4x real time: fast, yet leaves a window for barge-in and cancel.
    fn default() -> Self {
        Pace::Speed(4.0)
    }
}

/// The engines a session uses, shared by all sessions of a server.
pub(crate) struct Engines {
    pub(crate) responder: Arc<dyn Responder>,
    pub(crate) synthesizer: Arc<dyn Synthesizer>,
    pub(crate) transcriber: Arc<dyn Transcriber>,
    pub(crate) cache: SpeechCache,
    pub(crate) pace: Pace,
    pub(crate) max_duration: Duration,
    pub(crate) faults: Faults,
}

impl std::fmt::Debug for Engines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engines")
            .field("pace", &self.pace)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

/// The Realtime session handler: `session.created`, updates, the input audio buffer with
/// server VAD, conversation items, and responses (text, speech, function calls), in the GA or
/// beta dialect of the connection.
///
/// ```
/// use rtclient_server::{Pace, RealtimeSession};
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
                cache: SpeechCache::default(),
                pace: Pace::default(),
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

    /// Uses `responder` to choose replies (e.g. a [`crate::responder::Script`]).
    pub fn responder(self, responder: impl Responder + 'static) -> Self {
        self.edit(|e| e.responder = Arc::new(responder))
    }

    /// Injects session-wide `faults` into every session (see [`crate::faults`]).
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

    /// Sets the response streaming pace.
    pub fn pace(self, pace: Pace) -> Self {
        self.edit(|e| e.pace = pace)
    }

    /// Sets the session lifetime announced in `expires_at`.
    pub fn max_duration(self, duration: Duration) -> Self {
        self.edit(|e| e.max_duration = duration)
    }
}

/// The state of one session, shared with its response task.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) session: Session,
    pub(crate) conversation: Conversation,
    pub(crate) conversation_id: String,
    pub(crate) active: Option<Active>,
    pub(crate) audio_produced: bool,
    pub(crate) rates: RateBook,
    /// Responses ended so far (completed, cancelled or failed).
    pub(crate) finished_responses: u64,
    /// Output audio of the last response to end, in ms.
    pub(crate) last_response_audio_ms: u64,
}

/// [`State`] behind a mutex.
pub(crate) type SharedState = Arc<Mutex<State>>;

/// The input audio buffer and server VAD of one session (owned by the read loop).
struct Input {
    /// Audio appended and not yet committed, on the session's audio clock.
    buffer: InputBuffer,
    vad: Option<ResamplingDetector>,
    /// Decoded samples of the current append (kept to reuse its allocation).
    samples: Vec<i16>,
    /// VAD events of the current append (kept to reuse its allocation).
    events: Vec<VadEvent>,
    /// Item id announced by `speech_started`.
    speech_item: Option<String>,
    /// Audio clock (ms) from which silence counts towards `idle_timeout_ms`.
    idle_since_ms: u64,
    /// Responses that had ended at the last idle check.
    responses_seen: u64,
}

impl SessionHandler for RealtimeSession {
    async fn run<Tx, Rx>(&self, request: SessionRequest, outgoing: Tx, mut incoming: Rx)
    where
        Tx: Sink<Message> + Send + Unpin + 'static,
        Rx: Stream<Item = Message> + Send + Unpin + 'static,
    {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Outbound>();
        let writer = tokio::spawn(write(rx, outgoing, self.engines.faults.latency));
        let emitter = Emitter::new(tx, request.dialect());
        let lifetime = match self.engines.faults.close_after {
            Some(close_after) => close_after.min(self.engines.max_duration),
            None => self.engines.max_duration,
        };
        let kind = match request.kind() {
            endpoint::SessionKind::Realtime => SessionKind::Realtime,
            endpoint::SessionKind::Transcription => SessionKind::Transcription,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let session = config::default_session(
            kind,
            request.dialect(),
            new_id("sess_"),
            request.model(),
            now + lifetime.as_secs(),
        );
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
            finished_responses: 0,
            last_response_audio_ms: 0,
        }));
        let mut session = Running {
            state,
            emitter,
            engines: Arc::clone(&self.engines),
            input: Input {
                buffer: InputBuffer::default(),
                vad: None,
                samples: Vec::new(),
                events: Vec::new(),
                speech_item: None,
                idle_since_ms: 0,
                responses_seen: 0,
            },
        };
        session.configure_vad();
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

/// A session being served.
struct Running {
    state: SharedState,
    emitter: Emitter,
    engines: Arc<Engines>,
    input: Input,
}

impl Running {
    fn error(&self, error: ClientError, event_id: Option<String>) {
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
        let next = config::apply_update(
            &st.session,
            &e.session,
            self.emitter.dialect(),
            st.audio_produced,
        )?;
        st.session = next.clone();
        drop(st);
        self.emitter.send(ev::SessionUpdated {
            session: Box::new(next),
            ..Default::default()
        });
        self.configure_vad();
        Ok(())
    }

    fn configure_vad(&mut self) {
        let Ok(st) = self.state.lock() else { return };
        let td = config::turn_detection(&st.session).cloned();
        let rate = config::input_format(&st.session).sample_rate();
        drop(st);
        let Some(td) = td else {
            self.input.vad = None;
            return;
        };
        let silence_ms = match td.kind {
            Some(TurnDetectionKind::SemanticVad) => {
                config::semantic_silence_ms(td.eagerness.as_ref())
            }
            _ => td.silence_duration_ms.unwrap_or(200),
        };
        let params = VadParams {
            threshold: td
                .threshold
                .as_ref()
                .and_then(serde_json::Number::as_f64)
                .unwrap_or(0.5) as f32,
            prefix_padding_ms: td.prefix_padding_ms.unwrap_or(300) as u32,
            silence_duration_ms: silence_ms as u32,
        };
        match self.input.vad.as_mut() {
            Some(vad) if vad.rate() == rate => vad.set_params(params),
            _ => self.input.vad = ResamplingDetector::new(rate, params).ok(),
        }
    }

    fn bytes_to_ms(&self, bytes: u64) -> u64 {
        let rate = self
            .state
            .lock()
            .map(|st| config::input_format(&st.session).bytes_per_second())
            .unwrap_or(48_000);
        bytes * 1000 / rate.max(1)
    }

    fn append(&mut self, e: &cl::InputAudioBufferAppend) -> Result<(), ClientError> {
        if e.audio.len() > MAX_APPEND_BASE64 {
            return Err(ClientError::invalid_value(
                "audio",
                format!(
                    "Audio too large: {} base64 characters; the maximum is {MAX_APPEND_BASE64}.",
                    e.audio.len()
                ),
            ));
        }
        let clock_before = self.input.buffer.end();
        let appended = self.input.buffer.push_base64(&e.audio)?;
        let Some(vad) = self.input.vad.as_mut() else {
            return Ok(());
        };
        let format = self
            .state
            .lock()
            .map(|st| config::input_format(&st.session))
            .unwrap_or_default();
        self.input.samples.clear();
        format.decode(self.input.buffer.last(appended), &mut self.input.samples);
        let mut events = std::mem::take(&mut self.input.events);
        events.clear();
        if vad.push(&self.input.samples, &mut events).is_err() {
            return Ok(());
        }
        for event in &events {
            match *event {
                VadEvent::SpeechStarted { audio_start_ms } => self.speech_started(audio_start_ms),
                VadEvent::SpeechStopped { audio_end_ms } => {
                    self.speech_stopped(audio_end_ms);
                    self.input.idle_since_ms = audio_end_ms;
                }
            }
        }
        self.input.events = events;
        self.check_idle(self.bytes_to_ms(clock_before));
        if self.input.speech_item.is_none() {
            // Between turns only the audio a turn could start with is kept (the prefix padding
            // and the detector's onset delay, with room to spare), and the silence an idle
            // timeout would commit.
            let keep_ms = self.prefix_padding_ms() + 1_000;
            let end = self.input.buffer.end();
            let turn_start = end.saturating_sub(self.ms_to_bytes(keep_ms));
            let idle_start = match self.idle_timeout_ms() {
                Some(_) => self.ms_to_bytes(self.input.idle_since_ms),
                None => turn_start,
            };
            // In steps of a second or more, not a copy of the buffer on every append.
            let keep_from = turn_start.min(idle_start);
            if keep_from.saturating_sub(self.input.buffer.start()) >= self.ms_to_bytes(1_000) {
                self.input.buffer.discard_before(keep_from);
            }
        }
        Ok(())
    }

    fn idle_timeout_ms(&self) -> Option<u64> {
        let st = self.state.lock().ok()?;
        config::turn_detection(&st.session)
            .and_then(|td| td.idle_timeout_ms.as_ref())
            .and_then(Nullable::value)
            .copied()
    }

    fn prefix_padding_ms(&self) -> u64 {
        self.state
            .lock()
            .ok()
            .and_then(|st| config::turn_detection(&st.session).and_then(|td| td.prefix_padding_ms))
            .unwrap_or(300)
    }

    /// The wire bytes of `ms` of input audio, whole samples.
    fn ms_to_bytes(&self, ms: u64) -> u64 {
        let format = self
            .state
            .lock()
            .map(|st| config::input_format(&st.session))
            .unwrap_or_default();
        let bytes = format.bytes_per_second() * ms / 1000;
        let sample = format.bytes_per_sample() as u64;
        bytes - bytes % sample.max(1)
    }

    /// `idle_timeout_ms`: silence (on the audio clock) since the last turn, or since the last
    /// response's audio finished playing (its end plus its length), ends in
    /// `input_audio_buffer.timeout_triggered`, a commit of that silence and a response, as the
    /// service does.
    /// `appended_at_ms`: the audio clock before the latest append.
    fn check_idle(&mut self, appended_at_ms: u64) {
        let now_ms = self.bytes_to_ms(self.input.buffer.end());
        let timeout = self.idle_timeout_ms();
        let (responding, finished, played_ms) = match self.state.lock() {
            Ok(st) => (
                st.active.is_some(),
                st.finished_responses,
                st.last_response_audio_ms,
            ),
            Err(_) => return,
        };
        if finished != self.input.responses_seen {
            // A response ended since the last check: silence counts once its audio has played.
            self.input.responses_seen = finished;
            self.input.idle_since_ms = appended_at_ms + played_ms;
        }
        let in_speech = self.input.speech_item.is_some();
        if responding || in_speech {
            self.input.idle_since_ms = now_ms;
            return;
        }
        let Some(timeout) = timeout else { return };
        if now_ms.saturating_sub(self.input.idle_since_ms) < timeout {
            return;
        }
        let item_id = new_id("item_");
        self.emitter.send(ev::InputAudioBufferTimeoutTriggered {
            audio_start_ms: self.input.idle_since_ms,
            audio_end_ms: now_ms,
            item_id: item_id.clone(),
            ..Default::default()
        });
        let silence_start = self.ms_to_bytes(self.input.idle_since_ms);
        self.input.idle_since_ms = now_ms;
        if let Some(vad) = self.input.vad.as_mut() {
            vad.reset_turn();
        }
        // The committed item is the silence that timed out.
        self.input.buffer.discard_before(silence_start);
        self.commit_as(item_id);
        let _ = self.response_create(cl::ResponseCreate::default());
    }

    fn speech_started(&mut self, audio_start_ms: u64) {
        let item_id = new_id("item_");
        self.input.speech_item = Some(item_id.clone());
        // The turn's audio starts here (prefix padding included).
        let start = self.ms_to_bytes(audio_start_ms);
        self.input.buffer.discard_before(start);
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        self.emitter.send(ev::InputAudioBufferSpeechStarted {
            audio_start_ms,
            item_id,
            ..Default::default()
        });
        let interrupt = config::turn_detection(&st.session)
            .and_then(|td| td.interrupt_response)
            .unwrap_or(true);
        if interrupt {
            response::cancel(&mut st, &self.emitter, StatusReason::TurnDetected);
        }
    }

    fn speech_stopped(&mut self, audio_end_ms: u64) {
        let item_id = self
            .input
            .speech_item
            .take()
            .unwrap_or_else(|| new_id("item_"));
        self.emitter.send(ev::InputAudioBufferSpeechStopped {
            audio_end_ms,
            item_id: item_id.clone(),
            ..Default::default()
        });
        // The turn ends here (the silence that ended it included); later audio stays.
        let end = self.ms_to_bytes(audio_end_ms);
        let audio = self.input.buffer.take_until(end);
        self.commit_audio(item_id, audio);
        let create = self
            .state
            .lock()
            .ok()
            .and_then(|st| config::turn_detection(&st.session).and_then(|td| td.create_response))
            .unwrap_or(true);
        if create {
            let _ = self.response_create(cl::ResponseCreate::default());
        }
    }

    fn commit(&mut self) -> Result<(), ClientError> {
        let ms = self.bytes_to_ms(self.input.buffer.len() as u64);
        if ms < 100 {
            return Err(ClientError::new(
                "input_audio_buffer_commit_empty",
                format!(
                    "Error committing input audio buffer: buffer too small. Expected at least \
                     100ms of audio, but buffer only has {ms}.00ms of audio."
                ),
            ));
        }
        let item_id = self
            .input
            .speech_item
            .take()
            .unwrap_or_else(|| new_id("item_"));
        if let Some(vad) = self.input.vad.as_mut() {
            vad.reset_turn();
        }
        self.commit_as(item_id);
        Ok(())
    }

    /// Commits the whole buffer as `item_id`.
    fn commit_as(&mut self, item_id: String) {
        let audio = self.input.buffer.take_all();
        self.commit_audio(item_id, audio);
    }

    /// `committed` + user item added/done (+ transcription when configured).
    fn commit_audio(&mut self, item_id: String, audio: Vec<u8>) {
        let audio_ms = self.bytes_to_ms(audio.len() as u64);
        let item = Item {
            id: Some(item_id.clone()),
            kind: Some(ItemKind::Message),
            status: Some(ItemStatus::Completed),
            role: Some(Role::User),
            content: Some(vec![ContentPart {
                kind: Some(ContentKind::InputAudio),
                transcript: Some(Nullable::Null),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let previous = st.conversation.push(Stored {
            item: item.clone(),
            audio,
            audio_ms,
        });
        st.conversation.limit_audio(MAX_CONVERSATION_AUDIO);
        self.emitter.send(ev::InputAudioBufferCommitted {
            previous_item_id: Some(previous.clone().into()),
            item_id: item_id.clone(),
            ..Default::default()
        });
        self.emitter.send(ev::ConversationItemAdded {
            previous_item_id: Some(previous.clone().into()),
            item: item.clone(),
            ..Default::default()
        });
        self.emitter.send(ev::ConversationItemDone {
            previous_item_id: Some(previous.into()),
            item,
            ..Default::default()
        });
        let Some(model) = config::transcription_model(&st.session) else {
            return;
        };
        let format = config::input_format(&st.session);
        let audio = st
            .conversation
            .get(&item_id)
            .map(|s| s.audio.clone())
            .unwrap_or_default();
        drop(st);
        let mut samples = Vec::new();
        format.decode(&audio, &mut samples);
        let turn = TurnAudio {
            sample_rate: format.sample_rate(),
            samples: &samples,
        };
        match self.engines.transcriber.transcribe(turn, &model) {
            Ok(transcript) => {
                if let Ok(mut st) = self.state.lock()
                    && let Some(stored) = st.conversation.get_mut(&item_id)
                {
                    for part in stored.item.content.iter_mut().flatten() {
                        part.transcript = Some(Nullable::Value(transcript.clone()));
                    }
                }
                self.emitter
                    .send(ev::ConversationItemInputAudioTranscriptionCompleted {
                        item_id,
                        content_index: 0,
                        transcript,
                        ..Default::default()
                    });
            }
            Err(error) => self
                .emitter
                .send(ev::ConversationItemInputAudioTranscriptionFailed {
                    item_id,
                    content_index: 0,
                    error: ApiError {
                        kind: Some("server_error".to_owned()),
                        code: Some(Nullable::Value(error.code)),
                        message: Some(error.message),
                        param: Some(Nullable::Null),
                        ..Default::default()
                    },
                    ..Default::default()
                }),
        }
    }

    fn item_create(&mut self, e: cl::ConversationItemCreate) -> Result<(), ClientError> {
        if self.emitter.dialect() == Dialect::Ga {
            config::unknown_field("item", &e.item.extra)?;
        }
        let item = prepare_client_item(e.item, new_id("item_"))?;
        let Ok(mut st) = self.state.lock() else {
            return Ok(());
        };
        let previous = e
            .previous_item_id
            .as_ref()
            .and_then(Nullable::value)
            .map(String::as_str);
        let (position, previous) = st.conversation.position(previous)?;
        let audio = item
            .content
            .iter()
            .flatten()
            .filter_map(|p| p.audio.as_deref())
            .filter_map(|a| base64::engine::general_purpose::STANDARD.decode(a).ok())
            .next()
            .unwrap_or_default();
        let rate = config::input_format(&st.session).bytes_per_second().max(1);
        let audio_ms = audio.len() as u64 * 1000 / rate;
        st.conversation.insert(
            position,
            Stored {
                item: item.clone(),
                audio,
                audio_ms,
            },
        );
        st.conversation.limit_audio(MAX_CONVERSATION_AUDIO);
        let shown = without_audio(&item);
        self.emitter.send(ev::ConversationItemAdded {
            previous_item_id: Some(previous.clone().into()),
            item: shown.clone(),
            ..Default::default()
        });
        self.emitter.send(ev::ConversationItemDone {
            previous_item_id: Some(previous.into()),
            item: shown,
            ..Default::default()
        });
        Ok(())
    }

    fn item_retrieve(&mut self, e: &cl::ConversationItemRetrieve) -> Result<(), ClientError> {
        let Ok(st) = self.state.lock() else {
            return Ok(());
        };
        let stored = st
            .conversation
            .get(&e.item_id)
            .ok_or_else(|| item_not_found(&e.item_id))?;
        let mut item = stored.item.clone();
        if !stored.audio.is_empty() {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&stored.audio);
            for part in item.content.iter_mut().flatten() {
                if matches!(
                    part.kind,
                    Some(ContentKind::InputAudio | ContentKind::OutputAudio)
                ) {
                    part.audio = Some(encoded.clone());
                }
            }
        }
        self.emitter.send(ev::ConversationItemRetrieved {
            item,
            ..Default::default()
        });
        Ok(())
    }

    fn item_delete(&mut self, e: &cl::ConversationItemDelete) -> Result<(), ClientError> {
        let Ok(mut st) = self.state.lock() else {
            return Ok(());
        };
        if !st.conversation.remove(&e.item_id) {
            return Err(item_not_found(&e.item_id));
        }
        self.emitter.send(ev::ConversationItemDeleted {
            item_id: e.item_id.clone(),
            ..Default::default()
        });
        Ok(())
    }

    fn item_truncate(&mut self, e: &cl::ConversationItemTruncate) -> Result<(), ClientError> {
        let Ok(mut st) = self.state.lock() else {
            return Ok(());
        };
        let format = config::output_format(&st.session);
        let stored = st
            .conversation
            .get_mut(&e.item_id)
            .ok_or_else(|| item_not_found(&e.item_id))?;
        let is_audio = stored.item.role == Some(Role::Assistant)
            && stored
                .item
                .content
                .iter()
                .flatten()
                .nth(e.content_index as usize)
                .is_some_and(|p| p.kind == Some(ContentKind::OutputAudio));
        if !is_audio {
            return Err(ClientError::new(
                "unsupported_content_type",
                "Only assistant messages with audio content can be truncated.",
            )
            .param("item_id"));
        }
        if e.audio_end_ms > stored.audio_ms {
            return Err(ClientError::invalid_value(
                "audio_end_ms",
                format!(
                    "Audio content of {}ms is already shorter than {}ms",
                    stored.audio_ms, e.audio_end_ms
                ),
            ));
        }
        let keep = (format.bytes_per_second() * e.audio_end_ms / 1000) as usize;
        let keep = keep - keep % format.bytes_per_sample();
        stored.audio.truncate(keep);
        let ratio = e.audio_end_ms as f64 / stored.audio_ms.max(1) as f64;
        stored.audio_ms = e.audio_end_ms;
        for part in stored.item.content.iter_mut().flatten() {
            if let Some(Nullable::Value(t)) = part.transcript.as_mut() {
                let words: Vec<&str> = t.split(' ').collect();
                let kept = (words.len() as f64 * ratio).floor() as usize;
                *t = words[..kept.min(words.len())].join(" ");
            }
        }
        self.emitter.send(ev::ConversationItemTruncated {
            item_id: e.item_id.clone(),
            content_index: e.content_index,
            audio_end_ms: e.audio_end_ms,
            ..Default::default()
        });
        Ok(())
    }

    fn response_create(&mut self, e: cl::ResponseCreate) -> Result<(), ClientError> {
        let Ok(mut st) = self.state.lock() else {
            return Ok(());
        };
        if let Some(active) = &st.active {
            return Err(ClientError::new(
                "conversation_already_has_active_response",
                format!(
                    "Conversation already has an active response in progress: {}. Wait until \
                     the response is finished before creating a new one.",
                    active.response.id.as_deref().unwrap_or("")
                ),
            ));
        }
        if self.emitter.dialect() == Dialect::Ga
            && let Some(params) = &e.response
        {
            config::unknown_field("response", &params.extra)?;
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
        let mut plan = response::plan(&st, e.response);
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
        if let Err(failure) = st.rates.admit(tokio::time::Instant::now()) {
            response::refuse(&mut st, &self.emitter, plan.response, &failure);
            return Ok(());
        }
        st.active = Some(Active {
            response: plan.response.clone(),
        });
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
                "response_cancel_not_active",
                "Cancellation failed: no active response found.",
            ))
        }
    }
}

fn item_not_found(id: &str) -> ClientError {
    ClientError::invalid_value("item_id", format!("Item with item_id not found: {id}"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;
    use futures_util::SinkExt;

    use super::*;
    use crate::endpoint::Route;

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
