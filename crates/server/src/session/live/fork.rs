//! A GPT-Live fork (`/v1/live/sessions/{id}/fork`): a new session that continues a running,
//! stored session of this server.
//!
//! The fork's `session.start` carries overrides only: `audio.format` (not inherited: the
//! default PCM16 24 kHz unless given), `delegation` (Responses settings, only when the source
//! uses Responses delegation; the type cannot change) and `store` (inherited when omitted). An
//! empty `session: {}` inherits everything. Model, voice, instructions and the conversation so
//! far are inherited: the fork's `input` is the source's startup history followed by what was
//! said in it (at most 128 messages, the newest kept). Anything else is rejected as the service
//! rejects unknown fields; `client` overrides apply to WebRTC forks only.
//!
//! The service documents no error codes for forking: this server answers `session_not_found`
//! for an id that names no running session and `session_not_stored` for a source started
//! without `store: true`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rtclient_protocol::live::{DelegationKind, SessionAudio, SessionConfig, SessionResource};
use rtclient_protocol::{AudioFormat, ErrorCode, Nullable};

use super::hub::SessionState;
use super::{responses, start};
use crate::session::errors::ClientError;
use crate::session::ids::new_id;

/// Most startup history messages a session takes.
const MAX_INPUT_ITEMS: usize = 128;

/// Checks fork overrides against the source session.
pub(super) fn validate(
    config: &SessionConfig,
    source: &SessionResource,
) -> Result<(), ClientError> {
    if source.store != Some(true) {
        return Err(ClientError::new(
            ErrorCode::SessionNotStored,
            format!(
                "Session '{}' is not stored: start it with store: true to fork it.",
                source.id
            ),
        ));
    }
    if let Some(error) = start::unknown("session", &config.extra) {
        return Err(error);
    }
    let inherited = [
        ("model", config.model.is_some()),
        ("instructions", config.instructions.is_some()),
        ("input", config.input.is_some()),
        ("triggers", config.triggers.is_some()),
        ("safety_identifier", config.safety_identifier.is_some()),
    ];
    if let Some((name, _)) = inherited.iter().find(|(_, given)| *given) {
        let param = format!("session.{name}");
        return Err(ClientError::new(
            ErrorCode::UnknownParameter,
            format!("Unknown parameter: '{param}'. A fork inherits it from its source."),
        )
        .param(param));
    }
    if config.client.is_some() {
        return Err(ClientError::invalid_value(
            "session.client",
            "client overrides are only supported for WebRTC forks.",
        ));
    }
    if let Some(audio) = &config.audio {
        validate_audio(audio)?;
    }
    if let Some(delegation) = &config.delegation {
        validate_delegation(delegation, source)?;
    }
    Ok(())
}

fn validate_audio(audio: &SessionAudio) -> Result<(), ClientError> {
    if audio.output.is_some() {
        return Err(ClientError::new(
            ErrorCode::UnknownParameter,
            "Unknown parameter: 'session.audio.output'. A fork inherits its voice.",
        )
        .param("session.audio.output"));
    }
    start::validate_audio(audio)
}

fn validate_delegation(
    delegation: &Nullable<rtclient_protocol::live::Delegation>,
    source: &SessionResource,
) -> Result<(), ClientError> {
    let source_kind = match &source.delegation {
        Some(Nullable::Value(d)) => d.kind.clone(),
        _ => DelegationKind::Client,
    };
    let immutable = || {
        ClientError::new(
            ErrorCode::ImmutableFieldUpdate,
            "A fork can override Responses settings only, for a source in Responses \
             delegation; the delegation type cannot change.",
        )
        .param("session.delegation.type")
    };
    let Nullable::Value(delegation) = delegation else {
        return Err(immutable());
    };
    if let Some(error) = start::unknown("session.delegation", &delegation.extra) {
        return Err(error);
    }
    if delegation.kind != DelegationKind::Responses || source_kind != DelegationKind::Responses {
        return Err(immutable());
    }
    match &delegation.responses {
        Some(responses) => start::validate_responses(responses, "session.delegation.responses"),
        None => Ok(()),
    }
}

/// The fork's resolved session: a new id and expiry, the source's settings with the overrides
/// applied, and the source's conversation as its startup history.
pub(super) fn resolve(
    config: &SessionConfig,
    source: SessionState,
    max_duration: Duration,
) -> SessionResource {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let SessionState {
        session: mut fork,
        conversation,
    } = source;
    fork.id = new_id("live_");
    fork.expires_at = (now + max_duration).as_secs();
    let format = config.audio.as_ref().and_then(|a| a.format.clone());
    fork.audio.get_or_insert_with(SessionAudio::default).format =
        Some(format.unwrap_or_else(AudioFormat::pcm));
    if let Some(Nullable::Value(update)) = &config.delegation
        && let Some(Nullable::Value(delegation)) = &mut fork.delegation
        && let Some(settings) = &update.responses
    {
        let mut backend = responses::Backend::new(delegation.responses.clone().unwrap_or_default());
        backend.update(settings);
        delegation.responses = Some(backend.settings().clone());
    }
    if let Some(store) = config.store {
        fork.store = Some(store);
    }
    let mut input = fork.input.take().unwrap_or_default();
    input.extend(conversation);
    let excess = input.len().saturating_sub(MAX_INPUT_ITEMS);
    input.drain(..excess);
    fork.input = Some(input);
    fork
}

#[cfg(test)]
mod tests {
    use rtclient_protocol::live::{Delegation, InitialItem, InitialRole, ResponsesDelegation};

    use super::*;

    fn ulaw() -> AudioFormat {
        AudioFormat {
            rate: Some(8_000),
            ..AudioFormat::pcmu()
        }
    }

    fn source(store: bool) -> SessionResource {
        let config = SessionConfig {
            store: Some(store),
            ..SessionConfig::new("gpt-live-1").instructions("Be brief.")
        };
        start::resolve(&config, Duration::from_secs(60))
    }

    fn param(config: &SessionConfig, source: &SessionResource) -> Option<String> {
        let error = validate(config, source).err()?.into_live(None);
        let code = error.code.into_option().unwrap_or_default();
        Some(error.param.and_then(Nullable::into_option).unwrap_or(code))
    }

    #[test]
    fn only_overrides_are_accepted_from_a_stored_source() {
        let stored = source(true);
        assert_eq!(param(&SessionConfig::default(), &stored), None);
        assert_eq!(
            param(&SessionConfig::default(), &source(false)).as_deref(),
            Some("session_not_stored")
        );
        let model = SessionConfig::new("gpt-live-1");
        assert_eq!(param(&model, &stored).as_deref(), Some("session.model"));
        let voice = SessionConfig::default().voice("cedar");
        assert_eq!(
            param(&voice, &stored).as_deref(),
            Some("session.audio.output")
        );
        let responses = SessionConfig::default()
            .delegation(Delegation::responses(ResponsesDelegation::default()));
        assert_eq!(
            param(&responses, &stored).as_deref(),
            Some("session.delegation.type"),
            "the source uses client delegation"
        );
        assert_eq!(
            param(&SessionConfig::default().format(ulaw()), &stored),
            None
        );
    }

    #[test]
    fn the_fork_inherits_settings_and_conversation() {
        let stored = source(true);
        let said = InitialItem::text(InitialRole::User, "hello");
        let state = SessionState {
            session: stored.clone(),
            conversation: vec![said.clone()],
        };
        let overrides = SessionConfig {
            store: Some(false),
            ..SessionConfig::default().format(ulaw())
        };
        let fork = resolve(&overrides, state, Duration::from_secs(60));
        assert_ne!(fork.id, stored.id);
        assert_eq!(fork.model, stored.model);
        assert_eq!(fork.instructions, stored.instructions);
        assert_eq!(fork.store, Some(false));
        assert_eq!(fork.input, Some(vec![said]));
        let audio = fork.audio.unwrap();
        assert_eq!(audio.format.unwrap().rate, Some(8_000));
        assert_eq!(audio.output, stored.audio.unwrap().output, "same voice");
    }
}
