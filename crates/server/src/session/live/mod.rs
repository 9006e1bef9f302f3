//! GPT-Live sessions (`/v1/live/sessions`, the Azure shapes, and the sideband `attach`) on the
//! same engines as the Realtime sessions.
//!
//! A primary session waits for `session.start` (validated strictly), answers `session.started`,
//! then runs full duplex until `session.close`:
//!
//! - output: one continuous track at real time, 100 ms per `session.output_audio.delta`,
//!   digital silence when nothing is said; replies are synthesized and spoken into it, with the
//!   output transcript in 200 ms buckets;
//! - input: the session timeline advances with appended audio; VAD finds the user's turns, the
//!   transcriber turns them into words, sent as `session.input_transcript.delta` on the 200 ms
//!   grid; the responder answers each turn, and delegates it to the application
//!   (`session.delegation.created`, client delegation) when it says so (a `--script` rule with
//!   `delegate: true`); transcription and reply run on the blocking pool ([`turns`]), one turn
//!   after the other, while the output track goes on;
//! - commands: mute/unmute, the three context appends (acknowledged when the timeline reaches
//!   them; commentary is spoken), `session.update`, `session.close` (pending appends fail with
//!   `context_injection_incomplete`, then `session.closed`), and the errors the service sends.
//!
//! In Responses delegation a delegated turn runs the backend instead ([`responses`]): its events
//! arrive as `response.event`s, and its function calls wait for `response.item.create` and
//! `response.create`.
//!
//! Sidebands see every event (output audio as PCM16 24 kHz with timeline stamps, and the
//! reflected input audio) and may send every command except `session.start` and audio. A fork
//! ([`fork`]) starts a new session from a running stored one, with its conversation.

mod commands;
mod fork;
mod hub;
mod input;
mod output;
mod responses;
mod sideband;
mod start;
mod turns;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rtclient_audio::WireFormat;
use rtclient_protocol::Nullable;
use rtclient_protocol::live::{
    ClientEvent, CloseReason, ContextKind, ContextWindow, DelegationCreated, DelegationInfo,
    DelegationKind, InitialRole, InputAudioReflection, OutputAudioDelta, OutputTranscriptDelta,
    ResponseEvent, ServerEvent, SessionResource, SessionStarted, SessionUsage, SessionUsageUpdated,
};
use tokio::sync::mpsc;

use self::hub::Registration;
use self::input::InputTimeline;
use self::output::{OutputTrack, TICK_MS};
use super::engines::Engines;
use super::errors::ClientError;
use super::ids::new_id;
use crate::net::endpoint::{LiveLink, SessionRequest};

/// How often `session.usage.updated` is sent, in timeline ms (observed: about every 15 s).
const USAGE_EVERY_MS: u64 = 15_000;

/// Serves one GPT-Live connection: a sideband or a fork when the request names a session,
/// otherwise a primary session.
pub(super) async fn run<Tx, Rx>(
    engines: Arc<Engines>,
    request: SessionRequest,
    outgoing: Tx,
    incoming: Rx,
) where
    Tx: Sink<Message> + Send + Unpin + 'static,
    Rx: Stream<Item = Message> + Send + Unpin + 'static,
{
    match request.live_link() {
        Some(LiveLink::Attach(id)) => sideband::run(id, outgoing, incoming).await,
        Some(LiveLink::Fork(id)) => primary(engines, Some(id), outgoing, incoming).await,
        None => primary(engines, None, outgoing, incoming).await,
    }
}

/// A context append waiting for the timeline to reach it.
#[derive(Debug)]
struct PendingAck {
    kind: ContextKind,
    client_event_id: Option<String>,
    due_ms: u64,
}

/// One primary session's state.
struct Live {
    engines: Arc<Engines>,
    session: SessionResource,
    registration: Registration,
    /// The backend, in Responses delegation.
    backend: Option<responses::Backend>,
    input: InputTimeline,
    output: OutputTrack,
    delegations: Vec<String>,
    pending: Vec<PendingAck>,
    /// Events to send, in order.
    out: Vec<ServerEvent>,
    /// Text to speak, to the synthesis worker (which answers in order).
    speak_tx: mpsc::UnboundedSender<String>,
    /// Ended turns, to the turn worker (which answers in order).
    turn_tx: mpsc::UnboundedSender<turns::TurnJob>,
    /// Turns sent to the turn worker and not answered yet.
    turns_in_flight: usize,
    /// A close that waits for the turns in flight, so their events come before it.
    closing: Option<(CloseReason, Option<String>)>,
    said_anything: bool,
    next_usage_ms: u64,
    transcript_chars: usize,
    ended: bool,
}

/// A primary session, new or (`fork_of`) forked from a running one.
async fn primary<Tx, Rx>(
    engines: Arc<Engines>,
    fork_of: Option<&str>,
    mut outgoing: Tx,
    mut incoming: Rx,
) where
    Tx: Sink<Message> + Send + Unpin + 'static,
    Rx: Stream<Item = Message> + Send + Unpin + 'static,
{
    let Some((session, client_event_id)) =
        commands::await_start(&engines, fork_of, &mut outgoing, &mut incoming).await
    else {
        return;
    };
    let format = start::wire_format(&session);
    let Ok(input) = InputTimeline::new(format) else {
        return;
    };
    let (registration, mut sideband_rx) = Registration::new(session.clone());
    let (speak_tx, mut spoken_rx) = synthesis_worker(&engines, &session, format);
    let (turn_tx, mut outcome_rx) = turns::turn_worker(&engines);
    let backend = responses_settings(&session).map(responses::Backend::new);
    let mut live = Live {
        output: OutputTrack::new(format),
        input,
        engines,
        session,
        registration,
        backend,
        delegations: Vec::new(),
        pending: Vec::new(),
        out: Vec::new(),
        speak_tx,
        turn_tx,
        turns_in_flight: 0,
        closing: None,
        said_anything: false,
        next_usage_ms: USAGE_EVERY_MS,
        transcript_chars: 0,
        ended: false,
    };
    let started = SessionStarted {
        session: Box::new(live.session.clone()),
        client_event_id,
        ..Default::default()
    };
    live.emit(started);
    // Ticks missed while the runtime was busy are made up at once: the output clock keeps to
    // the wall clock.
    let mut ticks = tokio::time::interval(Duration::from_millis(TICK_MS));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let expiry = tokio::time::sleep(live.engines.max_duration);
    tokio::pin!(expiry);
    while !live.ended {
        let open = live.closing.is_none();
        tokio::select! {
            message = incoming.next(), if open => match message {
                Some(Message::Text(text)) => live.on_command(text.as_str(), false),
                Some(Message::Binary(_)) => live.on_binary(),
                Some(_) => {}
                None => return,
            },
            Some(text) = sideband_rx.recv(), if open => live.on_command(&text, true),
            Some(outcome) = outcome_rx.recv() => live.on_outcome(outcome),
            Some((bytes, text)) = spoken_rx.recv() => live.output.say(bytes, &text),
            _ = ticks.tick() => live.on_tick(),
            () = &mut expiry, if open => live.request_close(CloseReason::Expired, None),
        }
        if !flush(&mut live, &mut outgoing).await {
            return;
        }
    }
}

/// Sends the queued events to the primary and, in their sideband form, to attached sidebands.
/// False when the primary is gone.
async fn flush<Tx>(live: &mut Live, outgoing: &mut Tx) -> bool
where
    Tx: Sink<Message> + Unpin,
{
    let sideband_pcm = live.output.format() == WireFormat::PCM16_24K;
    let registration = &live.registration;
    for event in live.out.drain(..) {
        if registration.observed()
            && let Some(text) = sideband_form(&event, sideband_pcm)
        {
            // No sideband listening is not an error.
            let _ = registration.events.send(text);
        }
        let primary = match event {
            ServerEvent::InputAudioReflection(_) => continue,
            ServerEvent::OutputAudioDelta(mut delta) => {
                delta.start_ms = None;
                delta.end_ms = None;
                ServerEvent::OutputAudioDelta(delta)
            }
            other => other,
        };
        let Ok(text) = primary.to_json() else {
            continue;
        };
        if outgoing.send(Message::text(text)).await.is_err() {
            return false;
        }
    }
    true
}

/// The JSON a sideband gets for `event`: audio only when the session is PCM16 24 kHz (the
/// sideband format), everything else unchanged.
fn sideband_form(event: &ServerEvent, pcm24k: bool) -> Option<String> {
    let is_audio = matches!(
        event,
        ServerEvent::OutputAudioDelta(_) | ServerEvent::InputAudioReflection(_)
    );
    if is_audio && !pcm24k {
        return None;
    }
    event.to_json().ok()
}

impl Live {
    /// Queues an event with a fresh `event_id` (output audio and reflections have none).
    fn emit(&mut self, event: impl Into<ServerEvent>) {
        let mut event = event.into();
        if !matches!(
            event,
            ServerEvent::OutputAudioDelta(_) | ServerEvent::InputAudioReflection(_)
        ) {
            event.set_event_id(new_id("event_"));
        }
        self.out.push(event);
    }

    /// Queues the `error` event for a client error, naming the command that caused it.
    fn error(&mut self, error: ClientError, client_event_id: Option<String>) {
        self.emit(ServerEvent::error(error.into_live(client_event_id)));
    }

    /// 100 ms of output, its transcript, and usage on its cadence.
    fn on_tick(&mut self) {
        let tick = self.output.tick();
        let delta = OutputAudioDelta {
            delta: base64_encode(&tick.audio),
            start_ms: Some(tick.start_ms),
            end_ms: Some(tick.end_ms),
            ..Default::default()
        };
        self.emit(delta);
        if let Some((delta, start_ms, end_ms)) = tick.transcript {
            self.transcript_chars += delta.len();
            self.emit(OutputTranscriptDelta {
                delta,
                start_ms,
                end_ms,
                ..Default::default()
            });
        }
    }

    /// Input audio: advance the timeline, reflect it, find turns, and release due acks.
    fn on_audio(&mut self, audio: &str, bytes: &[u8]) {
        match self.input.push(bytes) {
            Ok(turn) => {
                self.emit(InputAudioReflection {
                    audio: audio.to_owned(),
                    ..Default::default()
                });
                if let Some(turn) = turn {
                    self.on_turn(turn);
                }
            }
            Err(error) => self.error(error, None),
        }
        let now = self.input.now_ms();
        let (due, waiting): (Vec<_>, Vec<_>) =
            self.pending.drain(..).partition(|ack| ack.due_ms <= now);
        self.pending = waiting;
        for ack in due {
            self.emit(ServerEvent::appended(
                ack.kind,
                ack.due_ms - input::GRID_MS,
                ack.due_ms,
                ack.client_event_id,
            ));
        }
        if now >= self.next_usage_ms {
            self.next_usage_ms += USAGE_EVERY_MS;
            self.emit(SessionUsageUpdated {
                usage: SessionUsage::seconds(now / 1000),
                context_window: Some(self.context_window()),
                ..Default::default()
            });
        }
    }

    /// Share of a 128,000-token context window used, at about four characters a token.
    fn context_window(&self) -> ContextWindow {
        let ratio = self.transcript_chars as f64 / 4.0 / 128_000.0;
        ContextWindow {
            usage_ratio: serde_json::Number::from_f64(ratio).unwrap_or_else(|| 0.into()),
            extra: serde_json::Map::new(),
        }
    }

    /// Delegates the user's request at `offset_ms`: to the application (client delegation),
    /// or to the backend, whose response runs at once (Responses delegation).
    fn delegate(&mut self, offset_ms: u64, request: Option<String>) {
        let id = new_id("item_");
        let Some(backend) = &mut self.backend else {
            self.delegations.push(id.clone());
            self.emit(DelegationCreated {
                offset_ms,
                delegation: DelegationInfo {
                    id,
                    kind: "delegation".to_owned(),
                    target: DelegationKind::Client,
                    ..Default::default()
                },
                ..Default::default()
            });
            return;
        };
        let response_id = new_id("resp_");
        let run = backend.delegate(self.engines.responder.as_ref(), &response_id, request);
        self.emit(DelegationCreated {
            offset_ms,
            delegation: DelegationInfo {
                id: id.clone(),
                kind: "delegation".to_owned(),
                target: DelegationKind::Responses,
                response_id: Some(response_id),
                ..Default::default()
            },
            ..Default::default()
        });
        self.delegations.push(id);
        self.forward(run, None);
    }

    /// Sends a backend response's events as `response.event`s of the current delegation and
    /// speaks its text answer.
    fn forward(&mut self, run: responses::Run, client_event_id: Option<String>) {
        let delegation_id = self.delegations.last().cloned();
        for event in run.events {
            self.emit(ResponseEvent {
                event,
                delegation_id: delegation_id.clone().map(Nullable::Value),
                client_event_id: client_event_id.clone(),
                ..Default::default()
            });
        }
        if let Some(text) = run.say {
            self.speak(text);
        }
    }

    /// Queues `text` to be spoken; it joins the output track, in order, once synthesized.
    fn speak(&self, text: String) {
        self.registration.remember(InitialRole::Assistant, &text);
        // The worker lives as long as the session.
        let _ = self.speak_tx.send(text);
    }
}

/// The backend settings of a session in Responses delegation.
fn responses_settings(
    session: &SessionResource,
) -> Option<rtclient_protocol::live::ResponsesDelegation> {
    match &session.delegation {
        Some(Nullable::Value(d)) if d.kind == DelegationKind::Responses => {
            Some(d.responses.clone().unwrap_or_default())
        }
        _ => None,
    }
}

/// Spawns the task that synthesizes a session's replies one after the other, so they join the
/// output track in the order they were asked for: (text sender, (audio, text) receiver).
fn synthesis_worker(
    engines: &Arc<Engines>,
    session: &SessionResource,
    format: WireFormat,
) -> (
    mpsc::UnboundedSender<String>,
    mpsc::UnboundedReceiver<(Vec<u8>, String)>,
) {
    let (speak_tx, mut speak_rx) = mpsc::unbounded_channel::<String>();
    let (spoken_tx, spoken_rx) = mpsc::unbounded_channel();
    let (engines, voice) = (Arc::clone(engines), start::voice(session));
    tokio::spawn(async move {
        while let Some(text) = speak_rx.recv().await {
            if let Some(spoken) = engines
                .cache
                .speak(&engines.synthesizer, &text, &voice, format)
                .await
                && spoken_tx.send((spoken.bytes.clone(), text)).is_err()
            {
                return;
            }
        }
    });
    (speak_tx, spoken_rx)
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Whether `event` is allowed on a sideband (no `session.start`, no input audio).
fn allowed_on_sideband(event: &ClientEvent) -> bool {
    !matches!(
        event,
        ClientEvent::SessionStart(_) | ClientEvent::InputAudioAppend(_)
    )
}
