//! `session.start`: strict validation of the startup configuration and the resolved session
//! snapshot of `session.started`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rtclient_audio::WireFormat;
use rtclient_protocol::live::{
    AudioOutput, Delegation, DelegationKind, ResponsesDelegation, SessionAudio, SessionConfig,
    SessionResource,
};
use rtclient_protocol::{AudioFormat, AudioFormatKind, ErrorCode, Nullable, Voice};

use crate::session::errors::ClientError;
use crate::session::ids::new_id;

/// The voice when the configuration names none.
const DEFAULT_VOICE: &str = "marin";

/// An `unknown_parameter` error for the first key of `extra`, below `path`.
pub(super) fn unknown(
    path: &str,
    extra: &serde_json::Map<String, serde_json::Value>,
) -> Option<ClientError> {
    let key = extra.keys().next()?;
    let param = format!("{path}.{key}");
    Some(
        ClientError::new(
            ErrorCode::UnknownParameter,
            format!("Unknown parameter: '{param}'."),
        )
        .param(param),
    )
}

/// Checks Responses settings at `path` (startup or update): no unknown fields.
pub(super) fn validate_responses(
    settings: &ResponsesDelegation,
    path: &str,
) -> Result<(), ClientError> {
    match unknown(path, &settings.extra) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Checks a `session.start` configuration the way the service does: unknown fields are
/// rejected (first one named), the model is required, the format must be one the API offers,
/// and delegation must be client or Responses delegation (with its backend model).
pub(super) fn validate(config: &SessionConfig) -> Result<(), ClientError> {
    if let Some(error) = unknown("session", &config.extra) {
        return Err(error);
    }
    if config.model.as_deref().is_none_or(str::is_empty) {
        return Err(ClientError::new(
            ErrorCode::MissingRequiredParameter,
            "Missing required parameter: 'session.model'.",
        )
        .param("session.model"));
    }
    if let Some(audio) = &config.audio {
        validate_audio(audio)?;
    }
    if let Some(Nullable::Value(delegation)) = &config.delegation {
        validate_delegation(delegation, "session.delegation")?;
    }
    Ok(())
}

/// Checks `session.audio`: no unknown fields, a format the API offers.
pub(super) fn validate_audio(audio: &SessionAudio) -> Result<(), ClientError> {
    if let Some(error) = unknown("session.audio", &audio.extra) {
        return Err(error);
    }
    if let Some(output) = &audio.output
        && let Some(error) = unknown("session.audio.output", &output.extra)
    {
        return Err(error);
    }
    let Some(format) = &audio.format else {
        return Ok(());
    };
    if let Some(error) = unknown("session.audio.format", &format.extra) {
        return Err(error);
    }
    let rate_ok = match (&format.kind, format.rate) {
        (Some(AudioFormatKind::Pcm), Some(16_000 | 24_000)) => true,
        (Some(AudioFormatKind::Pcmu | AudioFormatKind::Pcma), Some(8_000)) => true,
        (Some(AudioFormatKind::Other(kind)), _) => {
            return Err(ClientError::invalid_value(
                "session.audio.format.type",
                format!(
                    "Invalid value: '{kind}'. Supported values are: 'audio/pcm', \
                         'audio/pcmu' and 'audio/pcma'."
                ),
            ));
        }
        _ => false,
    };
    if rate_ok {
        Ok(())
    } else {
        Err(ClientError::invalid_value(
            "session.audio.format.rate",
            "Invalid value for 'session.audio.format.rate': audio/pcm takes 16000 or 24000, \
             audio/pcmu and audio/pcma take 8000.",
        ))
    }
}

/// Checks a startup delegation object at `path`: client delegation, or Responses delegation
/// with its backend `model` (Decisions are not served here).
pub(super) fn validate_delegation(delegation: &Delegation, path: &str) -> Result<(), ClientError> {
    if let Some(error) = unknown(path, &delegation.extra) {
        return Err(error);
    }
    match delegation.kind {
        DelegationKind::Client => Ok(()),
        DelegationKind::Responses => {
            let responses = delegation.responses.clone().unwrap_or_default();
            validate_responses(&responses, &format!("{path}.responses"))?;
            if responses.model.as_deref().is_none_or(str::is_empty) {
                let param = format!("{path}.responses.model");
                return Err(ClientError::new(
                    ErrorCode::MissingRequiredParameter,
                    format!("Missing required parameter: '{param}'."),
                )
                .param(param));
            }
            Ok(())
        }
        _ => Err(ClientError::invalid_value(
            format!("{path}.type"),
            format!(
                "Invalid value: '{}'. This local server supports client and Responses \
                 delegation.",
                delegation.kind
            ),
        )),
    }
}

/// The resolved delegation of a validated configuration: client delegation unless Responses
/// was asked for, whose `tools` default to none.
fn resolve_delegation(config: &SessionConfig) -> Delegation {
    match &config.delegation {
        Some(Nullable::Value(delegation)) if delegation.kind == DelegationKind::Responses => {
            let mut delegation = delegation.clone();
            let responses = delegation.responses.get_or_insert_with(Default::default);
            responses.tools.get_or_insert_with(Vec::new);
            delegation
        }
        _ => Delegation::client(),
    }
}

/// The resolved snapshot of a validated configuration: a new `live_` id, `expires_at`, the
/// default format and voice filled in, the delegation resolved, empty startup history.
pub(super) fn resolve(config: &SessionConfig, max_duration: Duration) -> SessionResource {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut audio = config.audio.clone().unwrap_or_default();
    audio.format.get_or_insert_with(AudioFormat::pcm);
    let output = audio.output.get_or_insert_with(AudioOutput::default);
    output
        .voice
        .get_or_insert_with(|| Voice::from(DEFAULT_VOICE));
    SessionResource {
        id: new_id("live_"),
        expires_at: (now + max_duration).as_secs(),
        model: config.model.clone().unwrap_or_default(),
        status: "active".to_owned(),
        instructions: config.instructions.clone(),
        audio: Some(audio),
        delegation: Some(Nullable::Value(resolve_delegation(config))),
        input: Some(config.input.clone().unwrap_or_default()),
        store: config.store,
        client: config.client.clone(),
        triggers: config.triggers.clone(),
        safety_identifier: config.safety_identifier.clone(),
        extra: serde_json::Map::new(),
    }
}

/// The wire format of a resolved session.
pub(super) fn wire_format(session: &SessionResource) -> WireFormat {
    let format = session.audio.as_ref().and_then(|a| a.format.as_ref());
    match format.and_then(|f| f.kind.as_ref()) {
        Some(AudioFormatKind::Pcmu) => WireFormat::G711Ulaw,
        Some(AudioFormatKind::Pcma) => WireFormat::G711Alaw,
        _ => WireFormat::Pcm16 {
            rate: format.and_then(|f| f.rate).unwrap_or(24_000),
        },
    }
}

/// The voice name of a resolved session (a custom `{id}` voice speaks the default voice).
pub(super) fn voice(session: &SessionResource) -> String {
    match session
        .audio
        .as_ref()
        .and_then(|a| a.output.as_ref())
        .and_then(|o| o.voice.as_ref())
    {
        Some(Voice::Name(name)) => name.as_str().to_owned(),
        _ => DEFAULT_VOICE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use rtclient_protocol::live::SessionConfig;

    use super::*;

    fn param(config: &SessionConfig) -> Option<String> {
        validate(config)
            .err()
            .and_then(|e| e.into_live(None).param.and_then(|p| p.into_option()))
    }

    #[test]
    fn strict_validation_names_the_offending_field() {
        assert_eq!(param(&SessionConfig::new("gpt-live-1")), None);
        assert_eq!(
            param(&SessionConfig::default()).as_deref(),
            Some("session.model")
        );
        let mut voice = SessionConfig::new("gpt-live-1");
        voice.extra.insert("voice".to_owned(), "marin".into());
        assert_eq!(param(&voice).as_deref(), Some("session.voice"));
        let odd_rate = SessionConfig::new("gpt-live-1").format(AudioFormat {
            rate: Some(44_100),
            ..AudioFormat::pcm()
        });
        assert_eq!(
            param(&odd_rate).as_deref(),
            Some("session.audio.format.rate")
        );
        let g711 = SessionConfig::new("gpt-live-1").format(AudioFormat {
            rate: Some(8_000),
            ..AudioFormat::pcmu()
        });
        assert_eq!(param(&g711), None);
        let no_model = SessionConfig::new("gpt-live-1").delegation(Delegation::responses(
            rtclient_protocol::live::ResponsesDelegation::default(),
        ));
        assert_eq!(
            param(&no_model).as_deref(),
            Some("session.delegation.responses.model")
        );
        let responses = SessionConfig::new("gpt-live-1").delegation(Delegation::responses(
            rtclient_protocol::live::ResponsesDelegation {
                model: Some("gpt-5".to_owned()),
                ..Default::default()
            },
        ));
        assert_eq!(param(&responses), None);
        let resolved = resolve(&responses, Duration::from_secs(60));
        let Some(Nullable::Value(delegation)) = resolved.delegation else {
            panic!("no delegation");
        };
        assert_eq!(delegation.kind, DelegationKind::Responses);
        assert_eq!(delegation.responses.unwrap().tools, Some(Vec::new()));
    }

    #[test]
    fn the_snapshot_fills_in_the_defaults() {
        let resource = resolve(&SessionConfig::new("gpt-live-1"), Duration::from_secs(60));
        assert!(resource.id.starts_with("live_"));
        assert_eq!(resource.status, "active");
        assert_eq!(wire_format(&resource), WireFormat::PCM16_24K);
        assert_eq!(voice(&resource), "marin");
        assert_eq!(resource.input, Some(Vec::new()));
    }
}
