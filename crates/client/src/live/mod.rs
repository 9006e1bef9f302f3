//! GPT-Live: OpenAI's full-duplex voice API, beside Realtime.
//!
//! Two layers, as for Realtime:
//!
//! - [`LiveClient`]: the typed client on one [`Connection`]. [`LiveSender`] writes
//!   [`live::ClientEvent`](rtclient_protocol::live::ClientEvent)s (assigning `event_id`s to
//!   commands so acks and errors can be matched by `client_event_id`) and [`LiveReceiver`] reads
//!   [`live::ServerEvent`](rtclient_protocol::live::ServerEvent)s. After `session.closed` the
//!   service closes the socket; the receiver reports that as the normal end (`Ok(None)`).
//! - [`LiveSession`]: the session layer. [`LiveSession::start`] connects, sends `session.start`
//!   and waits for `session.started`; [`LiveSession::next_event`] gives [`LiveEvent`]s: output
//!   audio decoded and placed on its media clock, both transcripts with their timeline
//!   positions, delegated tasks as [`DelegationTask`]s the application answers, acks, usage and
//!   the final [`SessionEnd`]. A cloneable [`LiveHandle`] streams input audio, mutes, appends
//!   context and closes from another task.
//!
//! Connect with a [`Target`](crate::Target) from [`Target::openai_live`](crate::Target::openai_live),
//! [`Target::azure_live`](crate::Target::azure_live) or
//! [`Target::openai_live_at`](crate::Target::openai_live_at) (the local server).

mod handle;
mod responses;
mod session;

use std::sync::Arc;

use rtclient_protocol::live::{ClientEvent, ServerEvent};
use tracing::Span;

use crate::auth::Credential;
use crate::client::{EventIds, FrameDirection, FrameObserver, MAX_RAW_BYTES, truncate};
use crate::config::ClientConfig;
use crate::connection::{Connection, Receiver, Sender};
use crate::error::Error;
use crate::target::TargetKind;

pub use handle::LiveHandle;
pub use responses::ToolCall;
pub use session::{DelegationTask, LiveEvent, LiveSession, OutputAudio, SessionEnd, Transcript};

/// A typed GPT-Live client on one WebSocket; [`split`](LiveClient::split) it to send and
/// receive from different tasks.
#[derive(Debug)]
pub struct LiveClient {
    sender: LiveSender,
    receiver: LiveReceiver,
}

impl LiveClient {
    /// Connects to the Live target of `config`. An Azure `api-key` credential is sent as
    /// `Authorization: Bearer`, as Azure's GPT-Live documentation does.
    pub async fn connect(config: &ClientConfig) -> Result<Self, Error> {
        let connection = if config.target().kind() == TargetKind::AzureLive
            && let Credential::AzureApiKey(key) = config.credential()
        {
            let mut bearer = config.clone();
            bearer.credential = Credential::BearerKey(key.clone());
            Connection::connect(&bearer).await?
        } else {
            Connection::connect(config).await?
        };
        Ok(Self::from(connection))
    }

    /// Sends one event; see [`LiveSender::send`].
    pub async fn send(&self, event: impl Into<ClientEvent>) -> Result<Option<String>, Error> {
        self.sender.send(event).await
    }

    /// Receives the next event; see [`LiveReceiver::recv`].
    pub async fn recv(&mut self) -> Result<Option<ServerEvent>, Error> {
        self.receiver.recv().await
    }

    /// Shows every frame this client sends or receives to `observer`, as the text on the wire
    /// (for logs and recordings; it runs on the sending and receiving tasks, so keep it quick).
    pub fn observed(
        mut self,
        observer: impl Fn(FrameDirection, &str) + Send + Sync + 'static,
    ) -> Self {
        let observer: FrameObserver = Arc::new(observer);
        self.sender.observer = Some(Arc::clone(&observer));
        self.receiver.observer = Some(observer);
        self
    }

    /// Splits into a cloneable [`LiveSender`] and a [`LiveReceiver`].
    pub fn split(self) -> (LiveSender, LiveReceiver) {
        (self.sender, self.receiver)
    }
}

impl From<Connection> for LiveClient {
    /// Types an open connection as a Live client.
    fn from(connection: Connection) -> Self {
        let (sender, receiver) = connection.split();
        Self {
            sender: LiveSender {
                raw: sender,
                ids: Arc::new(EventIds::new()),
                observer: None,
            },
            receiver: LiveReceiver {
                raw: receiver,
                closed: false,
                observer: None,
            },
        }
    }
}

/// The sending half of a [`LiveClient`]. Cheap to clone; clones share the `event_id` counter.
#[derive(Clone)]
pub struct LiveSender {
    raw: Sender,
    ids: Arc<EventIds>,
    observer: Option<FrameObserver>,
}

impl std::fmt::Debug for LiveSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSender")
            .field("raw", &self.raw)
            .field("observed", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

impl LiveSender {
    /// Sends one event and waits until it was written. Commands without an `event_id` get one
    /// (`evt_<8 hex>_<n>`), returned so acks and errors can be matched by `client_event_id`;
    /// `session.input_audio.append`, which nothing acknowledges, is sent as given (`None`
    /// unless it had an id).
    pub async fn send(&self, event: impl Into<ClientEvent>) -> Result<Option<String>, Error> {
        let mut event = event.into();
        if event.event_id().is_none() && !matches!(event, ClientEvent::InputAudioAppend(_)) {
            event.set_event_id(self.ids.next());
        }
        let text = event.to_json().map_err(|source| Error::Encode {
            kind: event.kind().to_owned(),
            source,
        })?;
        tracing::trace!(kind = event.kind(), event_id = event.event_id(), "sending");
        if let Some(observer) = &self.observer {
            observer(FrameDirection::Sent, &text);
        }
        self.raw.send_text(text).await?;
        Ok(event.event_id().map(str::to_owned))
    }

    /// Sends raw audio bytes in the session format as `session.input_audio.append`.
    pub async fn send_audio(&self, bytes: &[u8]) -> Result<(), Error> {
        self.send(ClientEvent::input_audio(bytes)).await.map(drop)
    }

    /// Sends one text frame as is (for debugging and tests of the server's error handling).
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), Error> {
        self.raw.send_text(text).await
    }

    /// Starts the WebSocket close handshake (prefer `session.close`, which the service answers
    /// with `session.closed` and final usage).
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        self.raw.close(code, reason).await
    }
}

/// The receiving half of a [`LiveClient`].
pub struct LiveReceiver {
    raw: Receiver,
    /// Whether `session.closed` arrived: the service closes the socket after it.
    closed: bool,
    observer: Option<FrameObserver>,
}

impl std::fmt::Debug for LiveReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveReceiver")
            .field("raw", &self.raw)
            .field("closed", &self.closed)
            .field("observed", &self.observer.is_some())
            .finish()
    }
}

impl LiveReceiver {
    /// Receives the next event.
    ///
    /// - `Ok(Some(event))`: one event; unknown types arrive as `ServerEvent::Unknown`, and an
    ///   `error` event is an ordinary event, not fatal by itself.
    /// - `Err(Error::Parse { .. })`, `Err(Error::BinaryFrame { .. })`: one frame skipped; call
    ///   again.
    /// - `Ok(None)`: the connection ended normally: after our close, or after `session.closed`
    ///   however the service then closed the socket.
    /// - Any other error: the connection ended unexpectedly (see [`Receiver::recv_text`]).
    pub async fn recv(&mut self) -> Result<Option<ServerEvent>, Error> {
        let text = match self.raw.recv_text().await {
            Ok(Some(text)) => text,
            Ok(None) => return Ok(None),
            Err(error) if self.closed && !error.is_recoverable() => return Ok(None),
            Err(error) => return Err(error),
        };
        if let Some(observer) = &self.observer {
            observer(FrameDirection::Received, &text);
        }
        match ServerEvent::from_json(&text) {
            Ok(event) => {
                match &event {
                    ServerEvent::SessionStarted(started) => {
                        self.raw.record_session_id(&started.session.id);
                    }
                    ServerEvent::SessionClosed(_) => self.closed = true,
                    _ => {}
                }
                tracing::trace!(parent: self.raw.span(), kind = event.kind(), "received");
                Ok(Some(event))
            }
            Err(source) => Err(Error::Parse {
                raw: truncate(&text, MAX_RAW_BYTES),
                source,
            }),
        }
    }

    /// After [`LiveSender::close`]: discards events still in flight and waits for the close
    /// reply.
    pub async fn wait_closed(&mut self) -> Result<(), Error> {
        match self.raw.drain_after_close().await {
            Err(error) if self.closed && !error.is_recoverable() => Ok(()),
            other => other,
        }
    }

    /// The `tracing` span of this connection (`session_id` recorded on `session.started`).
    pub fn span(&self) -> &Span {
        self.raw.span()
    }
}
