//! [`LiveSession`]: a GPT-Live session as the application sees it.

use base64::Engine as _;
use rtclient_protocol::AudioFormatKind;
use rtclient_protocol::live::{
    ClientEvent, CloseReason, ContextKind, DelegationCreated, DelegationKind, LiveError,
    OutputAudioDelta, ServerEvent, SessionConfig, SessionResource, SessionUsage,
};

use super::handle::LiveHandle;
use super::responses::{Nested, ResponsesTools, ToolCall};
use super::{LiveClient, LiveReceiver};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::tools::{ToolCallDone, Tools};

/// A running GPT-Live session: read its [`LiveEvent`]s with [`next_event`](Self::next_event) in
/// one task, and send audio and commands through a [`LiveHandle`] from any task.
///
/// It keeps what the events add up to: the resolved session, both transcripts so far, the
/// latest usage and the output media clock (milliseconds of output audio received; output
/// audio never stops, silence included, so this is the position of the output track).
#[derive(Debug)]
pub struct LiveSession {
    handle: LiveHandle,
    receiver: LiveReceiver,
    session: Option<Box<SessionResource>>,
    output_bytes_per_second: u64,
    output_bytes: u64,
    input_transcript: String,
    output_transcript: String,
    /// Where the input transcript stood at the last delegation (bytes).
    request_start: usize,
    usage: Option<SessionUsage>,
    tools: ResponsesTools,
}

/// What happened in a session, in the order the service sent it.
#[derive(Debug)]
#[non_exhaustive]
pub enum LiveEvent {
    /// `session.started` arrived on an attached sideband (on a primary socket
    /// [`LiveSession::start`] consumes it).
    Started(Box<SessionResource>),
    /// A piece of the continuous output track.
    OutputAudio(OutputAudio),
    /// Words the user said.
    InputTranscript(Transcript),
    /// Words the model said.
    OutputTranscript(Transcript),
    /// The model delegated a task; answer it through the task (client delegation; in
    /// Responses delegation the backend answers it and this only says it began).
    Delegation(DelegationTask),
    /// The Responses backend called a function no registered tool answers; answer it through
    /// the call.
    ToolCall(ToolCall),
    /// A registered tool answered a Responses backend call (its output was sent).
    ToolCallDone(ToolCallDone),
    /// A context append was accepted at this place on the timeline.
    Appended {
        /// Which append.
        kind: ContextKind,
        /// Timeline start, ms.
        start_ms: u64,
        /// Timeline end, ms.
        end_ms: u64,
        /// The `event_id` of the append, when it had one.
        client_event_id: Option<String>,
    },
    /// Input audio no longer reaches the model.
    Muted,
    /// Input audio reaches the model again.
    Unmuted,
    /// Cumulative usage (replaces the previous value).
    Usage(SessionUsage),
    /// A command failed or the session hit a problem; the session goes on.
    Error(LiveError),
    /// `session.closed`: the session is over; the next call returns `None`.
    Closed(SessionEnd),
    /// Any other event, unchanged (Responses delegation `response.event`s other than
    /// unanswered function calls, decisions, transport notices, unknown events).
    Other(ServerEvent),
}

/// Decoded output audio and its place on the output media clock.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputAudio {
    /// The audio bytes in the session format (PCM16 little-endian, or G.711 bytes).
    pub data: Vec<u8>,
    /// Start on the output media clock, ms (the service's `start_ms` on a sideband).
    pub start_ms: f64,
    /// End on the output media clock, ms.
    pub end_ms: f64,
}

/// One transcript fragment and where it sits on the session timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// The text, with its own leading space; append fragments as received.
    pub text: String,
    /// Timeline start, ms.
    pub start_ms: u64,
    /// Timeline end, ms.
    pub end_ms: u64,
}

impl Transcript {
    /// The fragment `text` of a transcript delta, also appended to the whole transcript so far.
    fn delta(whole: &mut String, text: String, start_ms: u64, end_ms: u64) -> Self {
        whole.push_str(&text);
        Self {
            text,
            start_ms,
            end_ms,
        }
    }
}

/// A task the model delegated. In client mode the service sends no task text:
/// [`request`](Self::request) holds what the user said since the previous delegation, the usual basis for
/// the task. Answer with [`speak`](Self::speak) (the model says it, paraphrasing) or
/// [`note`](Self::note) (the model knows it but does not say it), as often as needed.
#[derive(Debug, Clone)]
pub struct DelegationTask {
    /// The delegation id.
    pub id: String,
    /// Timeline position of the request, ms.
    pub offset_ms: u64,
    /// Who answers it: the application (`client`) or the Responses backend.
    pub target: DelegationKind,
    /// The backend response id (Responses mode).
    pub response_id: Option<String>,
    /// The input transcript since the previous delegation.
    pub request: String,
    handle: LiveHandle,
}

impl DelegationTask {
    /// Answers with text the model speaks (`session.commentary.append`); returns its
    /// `event_id`.
    pub async fn speak(&self, text: impl Into<String>) -> Result<String, Error> {
        self.handle
            .append(ContextKind::Commentary, text, Some(self.id.clone()))
            .await
    }

    /// Gives the model facts it may use without saying them (`session.thinking.append`);
    /// returns its `event_id`.
    pub async fn note(&self, text: impl Into<String>) -> Result<String, Error> {
        self.handle
            .append(ContextKind::Thinking, text, Some(self.id.clone()))
            .await
    }
}

/// How a session ended: `session.closed`.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionEnd {
    /// Why.
    pub reason: CloseReason,
    /// Final usage.
    pub usage: SessionUsage,
    /// The final session snapshot.
    pub session: Box<SessionResource>,
}

impl LiveSession {
    /// Connects to the Live target of `config`, sends `session.start` with `session` and waits
    /// for `session.started`. An `error` instead is [`Error::LiveStartRefused`].
    pub async fn start(config: &ClientConfig, session: SessionConfig) -> Result<Self, Error> {
        Self::start_on(LiveClient::connect(config).await?, session).await
    }

    /// As [`start`](Self::start), on a connected client (e.g. one whose frames are
    /// [`observed`](LiveClient::observed), or a fork: [`LiveEndpoint::Fork`](crate::LiveEndpoint::Fork)
    /// with `session` holding the fork overrides, [`SessionConfig::default`] to inherit all).
    pub async fn start_on(client: LiveClient, session: SessionConfig) -> Result<Self, Error> {
        let mut live = Self::new(client);
        live.handle
            .send(ClientEvent::session_start(session))
            .await?;
        loop {
            match live.receiver.recv().await? {
                Some(ServerEvent::SessionStarted(started)) => {
                    live.set_session(started.session);
                    return Ok(live);
                }
                Some(ServerEvent::Error(error)) => {
                    let error = error.error;
                    return Err(Error::LiveStartRefused {
                        code: error.code.into_option(),
                        message: error.message,
                        param: error.param.and_then(|p| p.into_option()),
                    });
                }
                Some(_) => {}
                None => return Err(Error::Disconnected),
            }
        }
    }

    /// A session on an already connected client: a sideband
    /// ([`LiveEndpoint::Attach`](crate::LiveEndpoint::Attach)) or a client whose
    /// `session.start` the caller sends.
    pub fn new(client: LiveClient) -> Self {
        let (sender, receiver) = client.split();
        Self {
            handle: LiveHandle::new(sender),
            receiver,
            session: None,
            output_bytes_per_second: 48_000,
            output_bytes: 0,
            input_transcript: String::new(),
            output_transcript: String::new(),
            request_start: 0,
            usage: None,
            tools: ResponsesTools::new(Tools::new()),
        }
    }

    /// Runs the Responses backend's calls to `tools` from now on (calls to other names arrive
    /// as [`LiveEvent::ToolCall`]), and offers them to the backend: `session.update` of
    /// `delegation.responses.tools` (Responses delegation only). Returns the update's
    /// `event_id`.
    pub async fn set_tools(&mut self, tools: Tools) -> Result<String, Error> {
        let responses = rtclient_protocol::live::ResponsesDelegation {
            tools: Some(tools.definitions()),
            ..Default::default()
        };
        let update = rtclient_protocol::live::SessionUpdate {
            session: Box::new(rtclient_protocol::live::SessionUpdateConfig {
                delegation: Some(rtclient_protocol::Nullable::Value(
                    rtclient_protocol::live::Delegation::responses(responses),
                )),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.tools = ResponsesTools::new(tools);
        self.handle.command(update).await
    }

    /// The tools the session runs.
    pub fn tools(&self) -> &Tools {
        self.tools.tools()
    }

    /// A handle to send audio and commands from other tasks.
    pub fn handle(&self) -> LiveHandle {
        self.handle.clone()
    }

    /// The resolved session, once `session.started` arrived.
    pub fn session(&self) -> Option<&SessionResource> {
        self.session.as_deref()
    }

    /// Everything the user said so far.
    pub fn input_transcript(&self) -> &str {
        &self.input_transcript
    }

    /// Everything the model said so far.
    pub fn output_transcript(&self) -> &str {
        &self.output_transcript
    }

    /// The latest usage.
    pub fn usage(&self) -> Option<&SessionUsage> {
        self.usage.as_ref()
    }

    /// Milliseconds of output audio received: the output media clock.
    pub fn output_ms(&self) -> f64 {
        self.output_bytes as f64 * 1000.0 / self.output_bytes_per_second as f64
    }

    /// The next event, or `None` once the connection ended normally (after
    /// [`LiveEvent::Closed`]). Recoverable errors ([`Error::is_recoverable`]) skip one frame:
    /// call again.
    ///
    /// Cancel-safe while it waits; in Responses delegation it also sends the `response.create`
    /// that follows a round of registered tool calls, and dropping the future during that send
    /// loses the event being handled (so do not race it against short timeouts there).
    pub async fn next_event(&mut self) -> Result<Option<LiveEvent>, Error> {
        let received = tokio::select! {
            biased;
            (done, follow_up) = self.tools.next_done() => {
                if follow_up {
                    self.handle.create_response().await?;
                }
                return Ok(Some(LiveEvent::ToolCallDone(done)));
            }
            received = self.receiver.recv() => received?,
        };
        let Some(event) = received else {
            return Ok(None);
        };
        if let ServerEvent::ResponseEvent(nested) = &event {
            let delegation_id = nested.delegation_id.clone().and_then(|d| d.into_option());
            let nested = self
                .tools
                .observe(delegation_id.as_ref(), &nested.event, &self.handle)
                .await?;
            if let Nested::Call(call) = nested {
                let call = ToolCall::new(call, delegation_id, self.handle.clone());
                return Ok(Some(LiveEvent::ToolCall(call)));
            }
        }
        self.absorb(event).map(Some)
    }

    /// Sends `session.close`, reads on to `session.closed` (events in between are dropped) and
    /// waits for the socket to close.
    pub async fn close(mut self) -> Result<SessionEnd, Error> {
        self.handle.close().await?;
        loop {
            match self.next_event().await {
                Ok(Some(LiveEvent::Closed(end))) => {
                    self.receiver.wait_closed().await?;
                    return Ok(end);
                }
                Ok(Some(_)) => {}
                Ok(None) => return Err(Error::Disconnected),
                Err(error) if error.is_recoverable() => {}
                Err(error) => return Err(error),
            }
        }
    }

    fn set_session(&mut self, session: Box<SessionResource>) {
        if let Some(format) = session.audio.as_ref().and_then(|a| a.format.as_ref()) {
            let rate = u64::from(format.rate.unwrap_or(24_000));
            let bytes_per_sample = match format.kind {
                Some(AudioFormatKind::Pcmu | AudioFormatKind::Pcma) => 1,
                _ => 2,
            };
            self.output_bytes_per_second = rate * bytes_per_sample;
        }
        self.session = Some(session);
    }

    /// Turns one server event into a [`LiveEvent`] and updates the state.
    fn absorb(&mut self, event: ServerEvent) -> Result<LiveEvent, Error> {
        Ok(match event {
            ServerEvent::OutputAudioDelta(delta) => {
                LiveEvent::OutputAudio(self.output_audio(&delta)?)
            }
            ServerEvent::InputTranscriptDelta(d) => LiveEvent::InputTranscript(Transcript::delta(
                &mut self.input_transcript,
                d.delta,
                d.start_ms,
                d.end_ms,
            )),
            ServerEvent::OutputTranscriptDelta(d) => LiveEvent::OutputTranscript(
                Transcript::delta(&mut self.output_transcript, d.delta, d.start_ms, d.end_ms),
            ),
            ServerEvent::DelegationCreated(created) => {
                LiveEvent::Delegation(self.delegation(created))
            }
            ServerEvent::InstructionsAppended(a) => appended(
                ContextKind::Instructions,
                a.start_ms,
                a.end_ms,
                a.client_event_id,
            ),
            ServerEvent::ThinkingAppended(a) => appended(
                ContextKind::Thinking,
                a.start_ms,
                a.end_ms,
                a.client_event_id,
            ),
            ServerEvent::CommentaryAppended(a) => appended(
                ContextKind::Commentary,
                a.start_ms,
                a.end_ms,
                a.client_event_id,
            ),
            ServerEvent::InputAudioMuted(_) => LiveEvent::Muted,
            ServerEvent::InputAudioUnmuted(_) => LiveEvent::Unmuted,
            ServerEvent::SessionUsageUpdated(u) => {
                self.usage = Some(u.usage.clone());
                LiveEvent::Usage(u.usage)
            }
            ServerEvent::SessionStarted(started) => {
                self.set_session(started.session.clone());
                LiveEvent::Started(started.session)
            }
            ServerEvent::SessionUpdated(updated) => {
                self.session = Some(updated.session.clone());
                LiveEvent::Other(ServerEvent::SessionUpdated(updated))
            }
            ServerEvent::Error(error) => LiveEvent::Error(error.error),
            ServerEvent::SessionClosed(closed) => {
                self.usage = Some(closed.usage.clone());
                LiveEvent::Closed(SessionEnd {
                    reason: closed.reason,
                    usage: closed.usage,
                    session: closed.session,
                })
            }
            other => LiveEvent::Other(other),
        })
    }
}

impl LiveSession {
    /// Decodes an output delta and places it on the media clock.
    fn output_audio(&mut self, delta: &OutputAudioDelta) -> Result<OutputAudio, Error> {
        let data = base64::engine::general_purpose::STANDARD
            .decode(&delta.delta)
            .map_err(|e| Error::InvalidLiveAudio {
                source: Box::new(e),
            })?;
        let clock_start = self.output_ms();
        self.output_bytes += data.len() as u64;
        let (start_ms, end_ms) = match (delta.start_ms, delta.end_ms) {
            (Some(start), Some(end)) => (start as f64, end as f64),
            _ => (clock_start, self.output_ms()),
        };
        Ok(OutputAudio {
            data,
            start_ms,
            end_ms,
        })
    }

    /// A delegated task, with the input transcript since the previous one as its request.
    fn delegation(&mut self, created: DelegationCreated) -> DelegationTask {
        let request = self.input_transcript[self.request_start..]
            .trim()
            .to_owned();
        self.request_start = self.input_transcript.len();
        DelegationTask {
            id: created.delegation.id,
            offset_ms: created.offset_ms,
            target: created.delegation.target,
            response_id: created.delegation.response_id,
            request,
            handle: self.handle.clone(),
        }
    }
}

fn appended(
    kind: ContextKind,
    start_ms: u64,
    end_ms: u64,
    client_event_id: Option<String>,
) -> LiveEvent {
    LiveEvent::Appended {
        kind,
        start_ms,
        end_ms,
        client_event_id,
    }
}
