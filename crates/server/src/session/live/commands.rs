//! Client commands of a GPT-Live session and the errors the service answers them with.

use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rtclient_protocol::live::{
    ClientEvent, CloseReason, ContextKind, DelegationKind, InputAudioMuted, InputAudioUnmuted,
    ServerEvent, SessionClosed, SessionResource, SessionUpdate, SessionUpdated, SessionUsage,
};
use rtclient_protocol::{ErrorCode, Nullable};

use super::input::GRID_MS;
use super::{Live, PendingAck, allowed_on_sideband, fork, hub, start};
use crate::session::engines::Engines;
use crate::session::errors::ClientError;
use crate::session::ids::new_id;

/// Longest context append, in tokens (estimated at four characters a token).
const MAX_APPEND_TOKENS: usize = 500;

/// Parses a client frame, or the `error` the service sends for it.
fn parse(text: &str) -> Result<ClientEvent, ClientError> {
    match ClientEvent::from_json(text) {
        Ok(ClientEvent::Unknown(value)) => {
            let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("");
            Err(ClientError::new(
                ErrorCode::InvalidEvent,
                format!(
                    "Invalid event type '{kind}'. Supported client events: {}.",
                    ClientEvent::KINDS.join(", ")
                ),
            )
            .param("type"))
        }
        Ok(event) => Ok(event),
        Err(rtclient_protocol::Error::InvalidEvent { kind, source }) => Err(ClientError::new(
            ErrorCode::InvalidValue,
            format!("Invalid '{kind}' event: {source}"),
        )),
        Err(_) => Err(ClientError::new(
            ErrorCode::InvalidJson,
            "The message is not a valid JSON event object.",
        )),
    }
}

/// Waits for a valid `session.start` (fork overrides when `fork_of` names the source session),
/// answering anything else with an error. Returns the resolved session and the start's
/// `event_id`, or `None` when the client left (or the fork's source is not running).
pub(super) async fn await_start<Tx, Rx>(
    engines: &Engines,
    fork_of: Option<&str>,
    outgoing: &mut Tx,
    incoming: &mut Rx,
) -> Option<(SessionResource, Option<String>)>
where
    Tx: Sink<Message> + Unpin,
    Rx: Stream<Item = Message> + Unpin,
{
    while let Some(message) = incoming.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let mut fatal = false;
        let (error, id) = match parse(text.as_str()) {
            Ok(ClientEvent::SessionStart(start)) => {
                match resolve_start(engines, fork_of, &start.session) {
                    Ok(session) => return Some((session, start.event_id)),
                    Err((error, ends)) => {
                        fatal = ends;
                        (error, start.event_id)
                    }
                }
            }
            Ok(other) => (
                ClientError::new(
                    ErrorCode::SessionNotStarted,
                    "Send session.start first and wait for session.started.",
                ),
                other.event_id().map(str::to_owned),
            ),
            Err(error) => (error, None),
        };
        let mut event = ServerEvent::error(error.into_live(id));
        event.set_event_id(new_id("event_"));
        let Ok(text) = event.to_json() else {
            continue;
        };
        if outgoing.send(Message::text(text)).await.is_err() || fatal {
            return None;
        }
    }
    None
}

/// The resolved session of a `session.start`, or its error and whether it ends the connection
/// (a fork of a session that is not running).
fn resolve_start(
    engines: &Engines,
    fork_of: Option<&str>,
    config: &rtclient_protocol::live::SessionConfig,
) -> Result<SessionResource, (ClientError, bool)> {
    let Some(source_id) = fork_of else {
        start::validate(config).map_err(|e| (e, false))?;
        return Ok(start::resolve(config, engines.max_duration));
    };
    let Some(source) = hub::find(source_id).map(|hub| hub.state()) else {
        return Err((hub::not_found(source_id), true));
    };
    fork::validate(config, &source.session).map_err(|e| (e, false))?;
    Ok(fork::resolve(config, source, engines.max_duration))
}

impl Live {
    /// One client frame from the primary or a sideband.
    pub(super) fn on_command(&mut self, text: &str, from_sideband: bool) {
        let event = match parse(text) {
            Ok(event) => event,
            Err(error) => return self.error(error, None),
        };
        let id = event.event_id().map(str::to_owned);
        if from_sideband && !allowed_on_sideband(&event) {
            return self.error(
                ClientError::new(
                    ErrorCode::InvalidEvent,
                    format!("{} is not allowed on a sideband connection.", event.kind()),
                ),
                id,
            );
        }
        match event {
            ClientEvent::InputAudioAppend(append) => self.on_append(&append.audio, id),
            ClientEvent::InputAudioMute(_) => {
                self.input.set_muted(true);
                self.emit(InputAudioMuted {
                    client_event_id: id,
                    ..Default::default()
                });
            }
            ClientEvent::InputAudioUnmute(_) => {
                self.input.set_muted(false);
                self.emit(InputAudioUnmuted {
                    client_event_id: id,
                    ..Default::default()
                });
            }
            ClientEvent::SessionUpdate(update) => self.on_update(&update, id),
            ClientEvent::SessionClose(_) => self.request_close(CloseReason::CloseRequested, id),
            ClientEvent::SessionStart(_) => self.error(
                ClientError::new(
                    ErrorCode::SessionAlreadyStarted,
                    "The session has already started.",
                ),
                id,
            ),
            ClientEvent::ResponseItemCreate(_) | ClientEvent::ResponseCreate(_)
                if self.backend.is_none() =>
            {
                let message = format!("{} requires Responses delegation.", event_kind(text));
                self.error(ClientError::new(ErrorCode::InvalidRequest, message), id);
            }
            ClientEvent::ResponseItemCreate(create) => self.on_item(&create.item, id),
            ClientEvent::ResponseCreate(_) => self.on_response_create(id),
            other => {
                if let Some((kind, content, delegation_id)) = other.as_context_append() {
                    let (content, delegation_id) = (content.to_owned(), delegation_id.cloned());
                    return self.on_context(kind, &content, delegation_id, id);
                }
                let message = format!("{} is not supported by this local server.", other.kind());
                self.error(ClientError::new(ErrorCode::UnsupportedEvent, message), id);
            }
        }
    }

    /// A binary frame: the service takes JSON text only.
    pub(super) fn on_binary(&mut self) {
        self.error(
            ClientError::new(
                ErrorCode::InvalidEvent,
                "Binary frames are not supported; send JSON text events.",
            ),
            None,
        );
    }

    fn on_append(&mut self, audio: &str, id: Option<String>) {
        use base64::Engine as _;
        match base64::engine::general_purpose::STANDARD.decode(audio) {
            Ok(bytes) if !bytes.is_empty() => self.on_audio(audio, &bytes),
            _ => self.error(
                ClientError::invalid_value("audio", "audio must be non-empty base64."),
                id,
            ),
        }
    }

    /// A context append: checked, acknowledged when the timeline reaches it, commentary spoken.
    fn on_context(
        &mut self,
        kind: ContextKind,
        content: &str,
        delegation_id: Option<Nullable<String>>,
        id: Option<String>,
    ) {
        let check = match &delegation_id {
            None => Err(ClientError::new(
                ErrorCode::MissingRequiredParameter,
                "Missing required parameter: 'delegation_id' (null for session-wide context).",
            )
            .param("delegation_id")),
            Some(Nullable::Value(_)) if self.backend.is_some() => Err(ClientError::invalid_value(
                "delegation_id",
                "Non-null delegation_id values are not accepted with Responses delegation.",
            )),
            Some(Nullable::Value(d)) if !self.delegations.contains(d) => {
                Err(ClientError::invalid_value(
                    "delegation_id",
                    format!("Unknown delegation_id '{d}'."),
                ))
            }
            _ if content.len().div_ceil(4) > MAX_APPEND_TOKENS => Err(ClientError::invalid_value(
                "content",
                format!("content is longer than {MAX_APPEND_TOKENS} tokens."),
            )),
            _ => Ok(()),
        };
        if let Err(error) = check {
            return self.error(error, id);
        }
        let due_ms = (self.input.now_ms() / GRID_MS + 1) * GRID_MS;
        self.pending.push(PendingAck {
            kind,
            client_event_id: id,
            due_ms,
        });
        if kind == ContextKind::Commentary {
            self.speak(content.to_owned());
        }
    }

    /// `session.update`: only delegation settings may change (Responses settings, sparsely),
    /// and its type never.
    fn on_update(&mut self, update: &SessionUpdate, id: Option<String>) {
        match self.check_update(update) {
            Ok(()) => {
                if let Some(backend) = &self.backend
                    && let Some(Nullable::Value(delegation)) = &mut self.session.delegation
                {
                    delegation.responses = Some(backend.settings().clone());
                }
                self.registration.update(&self.session);
                self.emit(SessionUpdated {
                    session: Box::new(self.session.clone()),
                    client_event_id: id,
                    ..Default::default()
                });
            }
            Err(error) => self.error(error, id),
        }
    }

    /// Checks an update and applies its Responses settings.
    fn check_update(&mut self, update: &SessionUpdate) -> Result<(), ClientError> {
        if let Some(error) = start::unknown("session", &update.session.extra) {
            return Err(error);
        }
        let immutable = || {
            ClientError::new(
                ErrorCode::ImmutableFieldUpdate,
                "The delegation type cannot change after session startup.",
            )
            .param("session.delegation.type")
        };
        let delegation = match &update.session.delegation {
            None => return Ok(()),
            Some(Nullable::Null) if self.backend.is_some() => return Err(immutable()),
            Some(Nullable::Null) => return Ok(()),
            Some(Nullable::Value(delegation)) => delegation,
        };
        if let Some(error) = start::unknown("session.delegation", &delegation.extra) {
            return Err(error);
        }
        let responses = delegation.kind == DelegationKind::Responses;
        match &mut self.backend {
            Some(backend) if responses => {
                if let Some(settings) = &delegation.responses {
                    start::validate_responses(settings, "session.delegation.responses")?;
                    backend.update(settings);
                }
                Ok(())
            }
            None if delegation.kind == DelegationKind::Client => Ok(()),
            _ => Err(immutable()),
        }
    }

    /// `response.item.create` in Responses delegation (no ack; errors only).
    fn on_item(&mut self, item: &serde_json::Value, id: Option<String>) {
        let Some(backend) = &mut self.backend else {
            return;
        };
        if let Err(error) = backend.add_item(item) {
            self.error(error, id);
        }
    }

    /// `response.create` in Responses delegation: the backend goes on with what was added.
    fn on_response_create(&mut self, id: Option<String>) {
        let Some(backend) = &mut self.backend else {
            return;
        };
        let response_id = new_id("resp_");
        match backend.resume(self.engines.responder.as_ref(), &response_id) {
            Ok(run) => self.forward(run, id),
            Err(error) => self.error(error, id),
        }
    }

    /// Ends the session once the turns in flight are answered, so their events come first.
    pub(super) fn request_close(&mut self, reason: CloseReason, id: Option<String>) {
        if self.turns_in_flight == 0 {
            self.close(reason, id);
        } else {
            self.closing = Some((reason, id));
        }
    }

    /// Ends the session: pending appends fail, then `session.closed`.
    pub(super) fn close(&mut self, reason: CloseReason, id: Option<String>) {
        for ack in std::mem::take(&mut self.pending) {
            self.error(
                ClientError::new(
                    ErrorCode::ContextInjectionIncomplete,
                    "The session closed before the appended context was placed.",
                ),
                ack.client_event_id,
            );
        }
        self.emit(SessionClosed {
            reason,
            session: Box::new(self.session.clone()),
            usage: SessionUsage::seconds(self.input.now_ms() / 1000),
            client_event_id: id,
            ..Default::default()
        });
        self.ended = true;
    }
}

/// The `type` of a frame that parsed (for messages).
fn event_kind(text: &str) -> String {
    ClientEvent::from_json(text)
        .map(|e| e.kind().to_owned())
        .unwrap_or_default()
}
