//! Client commands of a GPT-Live session and the errors the service answers them with.

use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rtclient_protocol::Nullable;
use rtclient_protocol::live::{
    ClientEvent, CloseReason, ContextKind, DelegationKind, InputAudioMuted, InputAudioUnmuted,
    LiveError, ServerEvent, SessionClosed, SessionResource, SessionUpdate, SessionUpdated,
    SessionUsage,
};

use super::input::GRID_MS;
use super::{Live, PendingAck, allowed_on_sideband, fork, hub, start};
use crate::session::engines::Engines;
use crate::session::ids::new_id;

/// Longest context append, in tokens (estimated at four characters a token).
const MAX_APPEND_TOKENS: usize = 500;

/// An error about the client event with `event_id`.
fn about(error: LiveError, event_id: Option<&str>) -> LiveError {
    error.caused_by(event_id.map(str::to_owned))
}

/// Parses a client frame, or the `error` the service sends for it.
fn parse(text: &str) -> Result<ClientEvent, Box<LiveError>> {
    match ClientEvent::from_json(text) {
        Ok(ClientEvent::Unknown(value)) => {
            let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("");
            Err(Box::new(
                LiveError::invalid_request(
                    "invalid_event",
                    format!(
                        "Invalid event type '{kind}'. Supported client events: {}.",
                        ClientEvent::KINDS.join(", ")
                    ),
                )
                .param("type"),
            ))
        }
        Ok(event) => Ok(event),
        Err(rtclient_protocol::Error::InvalidEvent { kind, source }) => {
            Err(Box::new(LiveError::invalid_request(
                "invalid_value",
                format!("Invalid '{kind}' event: {source}"),
            )))
        }
        Err(_) => Err(Box::new(LiveError::invalid_request(
            "invalid_json",
            "The message is not a valid JSON event object.",
        ))),
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
        let error = match parse(text.as_str()) {
            Ok(ClientEvent::SessionStart(start)) => {
                let id = start.event_id.as_deref();
                match resolve_start(engines, fork_of, &start.session) {
                    Ok(session) => return Some((session, start.event_id)),
                    Err((error, ends)) => {
                        fatal = ends;
                        about(*error, id)
                    }
                }
            }
            Ok(other) => about(
                LiveError::invalid_request(
                    "session_not_started",
                    "Send session.start first and wait for session.started.",
                ),
                other.event_id(),
            ),
            Err(error) => *error,
        };
        let mut event = ServerEvent::error(error);
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
) -> Result<SessionResource, (Box<LiveError>, bool)> {
    let Some(source_id) = fork_of else {
        start::validate(config).map_err(|e| (e, false))?;
        return Ok(start::resolve(config, engines.max_duration));
    };
    let Some(source) = hub::find(source_id).and_then(|hub| hub.state()) else {
        return Err((Box::new(fork::not_found(source_id)), true));
    };
    fork::validate(config, &source.session).map_err(|e| (e, false))?;
    Ok(fork::resolve(config, source, engines.max_duration))
}

impl Live {
    /// One client frame from the primary or a sideband.
    pub(super) fn on_command(&mut self, text: &str, from_sideband: bool) {
        let event = match parse(text) {
            Ok(event) => event,
            Err(error) => return self.error(*error),
        };
        let id = event.event_id().map(str::to_owned);
        if from_sideband && !allowed_on_sideband(&event) {
            return self.error(about(
                LiveError::invalid_request(
                    "invalid_event",
                    format!("{} is not allowed on a sideband connection.", event.kind()),
                ),
                id.as_deref(),
            ));
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
            ClientEvent::SessionClose(_) => self.close(CloseReason::CloseRequested, id),
            ClientEvent::SessionStart(_) => self.error(about(
                LiveError::invalid_request(
                    "session_already_started",
                    "The session has already started.",
                ),
                id.as_deref(),
            )),
            ClientEvent::ResponseItemCreate(_) | ClientEvent::ResponseCreate(_)
                if self.backend.is_none() =>
            {
                let message = format!("{} requires Responses delegation.", event_kind(text));
                self.error(about(
                    LiveError::invalid_request("invalid_request", message),
                    id.as_deref(),
                ));
            }
            ClientEvent::ResponseItemCreate(create) => self.on_item(&create.item, id),
            ClientEvent::ResponseCreate(_) => self.on_response_create(id),
            other => {
                if let Some((kind, content, delegation_id)) = other.as_context_append() {
                    let (content, delegation_id) = (content.to_owned(), delegation_id.cloned());
                    return self.on_context(kind, &content, delegation_id, id);
                }
                let message = format!("{} is not supported by this local server.", other.kind());
                self.error(about(
                    LiveError::invalid_request("unsupported_event", message),
                    id.as_deref(),
                ));
            }
        }
    }

    /// A binary frame: the service takes JSON text only.
    pub(super) fn on_binary(&mut self) {
        self.error(LiveError::invalid_request(
            "invalid_event",
            "Binary frames are not supported; send JSON text events.",
        ));
    }

    fn on_append(&mut self, audio: &str, id: Option<String>) {
        use base64::Engine as _;
        match base64::engine::general_purpose::STANDARD.decode(audio) {
            Ok(bytes) if !bytes.is_empty() => self.on_audio(audio, &bytes),
            _ => self.error(about(
                LiveError::invalid_request("invalid_value", "audio must be non-empty base64.")
                    .param("audio"),
                id.as_deref(),
            )),
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
            None => Err(LiveError::invalid_request(
                "missing_required_parameter",
                "Missing required parameter: 'delegation_id' (null for session-wide context).",
            )
            .param("delegation_id")),
            Some(Nullable::Value(_)) if self.backend.is_some() => Err(LiveError::invalid_request(
                "invalid_value",
                "Non-null delegation_id values are not accepted with Responses delegation.",
            )
            .param("delegation_id")),
            Some(Nullable::Value(d)) if !self.delegations.contains(d) => {
                Err(LiveError::invalid_request(
                    "invalid_value",
                    format!("Unknown delegation_id '{d}'."),
                )
                .param("delegation_id"))
            }
            _ if content.len().div_ceil(4) > MAX_APPEND_TOKENS => Err(LiveError::invalid_request(
                "invalid_value",
                format!("content is longer than {MAX_APPEND_TOKENS} tokens."),
            )
            .param("content")),
            _ => Ok(()),
        };
        if let Err(error) = check {
            return self.error(about(error, id.as_deref()));
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
            Err(error) => self.error(about(*error, id.as_deref())),
        }
    }

    /// Checks an update and applies its Responses settings.
    fn check_update(&mut self, update: &SessionUpdate) -> Result<(), Box<LiveError>> {
        if let Some(error) = start::unknown("session", &update.session.extra) {
            return Err(Box::new(error));
        }
        let immutable = || {
            Box::new(
                LiveError::invalid_request(
                    "immutable_field_update",
                    "The delegation type cannot change after session startup.",
                )
                .param("session.delegation.type"),
            )
        };
        let delegation = match &update.session.delegation {
            None => return Ok(()),
            Some(Nullable::Null) if self.backend.is_some() => return Err(immutable()),
            Some(Nullable::Null) => return Ok(()),
            Some(Nullable::Value(delegation)) => delegation,
        };
        if let Some(error) = start::unknown("session.delegation", &delegation.extra) {
            return Err(Box::new(error));
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
            self.error(about(*error, id.as_deref()));
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
            Err(error) => self.error(about(*error, id.as_deref())),
        }
    }

    /// Ends the session: pending appends fail, then `session.closed`.
    pub(super) fn close(&mut self, reason: CloseReason, id: Option<String>) {
        for ack in std::mem::take(&mut self.pending) {
            self.error(
                LiveError::invalid_request(
                    "context_injection_incomplete",
                    "The session closed before the appended context was placed.",
                )
                .caused_by(ack.client_event_id),
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
