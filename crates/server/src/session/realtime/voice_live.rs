//! Azure Voice Live's additions to the beta session: its extension fields with their defaults,
//! and the check of the one it constrains.

use rtclient_protocol::{Nullable, Session, Voice};

use crate::session::errors::ClientError;

/// An extension field and its default value.
type Extension = (&'static str, fn() -> serde_json::Value);

/// Session fields Azure Voice Live adds to the beta session, with their defaults (as its
/// recording shows them).
const VOICE_LIVE_SESSION: &[Extension] = &[
    ("input_audio_sampling_rate", || 24_000.into()),
    ("animation", || serde_json::Value::Null),
    ("input_audio_echo_cancellation", || serde_json::Value::Null),
    ("avatar", || serde_json::Value::Null),
    ("output_audio_timestamp_types", || serde_json::Value::Null),
    ("truncation_strategy", || serde_json::Value::Null),
];

/// Turn detection fields Voice Live adds, with their defaults.
const VOICE_LIVE_TURN_DETECTION: &[Extension] = &[
    ("speech_duration_ms", || serde_json::Value::Null),
    ("end_of_utterance_detection", || serde_json::Value::Null),
    ("auto_truncate", || false.into()),
    ("appended_text_after_truncation", || serde_json::Value::Null),
];

/// Input transcription fields Voice Live adds, with their defaults.
const VOICE_LIVE_TRANSCRIPTION: &[Extension] = &[
    ("custom_speech", || serde_json::Value::Null),
    ("phrase_list", || serde_json::Value::Null),
];

/// Checks the Voice Live fields of `update`: `input_audio_sampling_rate` is 16000 or 24000.
pub(crate) fn check(update: &Session) -> Result<(), ClientError> {
    match update.extra.get("input_audio_sampling_rate") {
        None => Ok(()),
        Some(rate) if rate.as_u64().is_some_and(|r| r == 16_000 || r == 24_000) => Ok(()),
        Some(rate) => Err(ClientError::invalid_value(
            "session.input_audio_sampling_rate",
            format!("Invalid value: {rate}. Supported values are: 16000 and 24000."),
        )),
    }
}

/// Makes `session` an Azure Voice Live session: its extension fields take the values of
/// `update` (a `session.update`), or keep theirs, or get their defaults; the voice is an object
/// (`{"name", "type"}`) unless the client chose otherwise.
pub(crate) fn extend(session: &mut Session, update: Option<&Session>) {
    fn fill(
        extra: &mut serde_json::Map<String, serde_json::Value>,
        fields: &[Extension],
        from: Option<&serde_json::Map<String, serde_json::Value>>,
    ) {
        for (name, default) in fields {
            match from.and_then(|from| from.get(*name)) {
                Some(value) => {
                    extra.insert((*name).to_owned(), value.clone());
                }
                None => {
                    extra.entry(*name).or_insert_with(default);
                }
            }
        }
    }
    fill(
        &mut session.extra,
        VOICE_LIVE_SESSION,
        update.map(|update| &update.extra),
    );
    let update_input = update
        .and_then(|u| u.audio.as_ref())
        .and_then(|a| a.input.as_ref());
    let input = session.audio_input();
    if let Some(Nullable::Value(td)) = input.turn_detection.as_mut() {
        let from = update_input
            .and_then(|i| i.turn_detection.as_ref())
            .and_then(Nullable::value);
        fill(
            &mut td.extra,
            VOICE_LIVE_TURN_DETECTION,
            from.map(|td| &td.extra),
        );
    }
    if let Some(Nullable::Value(transcription)) = input.transcription.as_mut() {
        let from = update_input
            .and_then(|i| i.transcription.as_ref())
            .and_then(Nullable::value);
        fill(
            &mut transcription.extra,
            VOICE_LIVE_TRANSCRIPTION,
            from.map(|t| &t.extra),
        );
    }
    let output = session.audio_output();
    if let Some(Voice::Name(name)) = &output.voice
        && update
            .and_then(|u| u.audio.as_ref())
            .and_then(|a| a.output.as_ref())
            .and_then(|o| o.voice.as_ref())
            .is_none()
    {
        let mut voice = serde_json::Map::new();
        voice.insert("name".to_owned(), name.as_str().into());
        voice.insert("type".to_owned(), "openai".into());
        output.voice = Some(Voice::Object(voice));
    }
}
