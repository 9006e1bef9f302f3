//! The session configuration: the default `session.created` config and `session.update`
//! validation.

use rtclient_audio::WireFormat;
use rtclient_protocol::{
    AudioFormat, AudioFormatKind, AudioInput, AudioOutput, Dialect, Eagerness, ErrorCode,
    MaxTokens, Modality, Nullable, Session, SessionAudio, SessionKind, ToolChoice, ToolChoiceMode,
    TurnDetection, TurnDetectionKind, Voice, VoiceName,
};

use super::validation::{self, TurnDetectionChoice};
use crate::engine::vad::SemanticParams;
use crate::session::errors::ClientError;

/// The default instructions (the service's wording, shortened).
pub(crate) const DEFAULT_INSTRUCTIONS: &str = "You are a helpful, witty, and friendly AI. \
    Act like a human, but remember that you aren't a human and that you can't do human things \
    in the real world. Your voice and personality should be warm and engaging.";

/// The beta sampling temperature (beta sessions and responses only).
const DEFAULT_TEMPERATURE: f64 = 0.8;

/// The silence that ends a server VAD turn unless the client says otherwise: 500 ms in the beta
/// dialect, 200 ms in GA.
pub(crate) fn default_silence_ms(dialect: Dialect) -> u64 {
    if dialect == Dialect::Beta { 500 } else { 200 }
}

/// The complete default configuration of a new session.
pub(crate) fn default_session(
    kind: SessionKind,
    dialect: Dialect,
    id: String,
    model: Option<&str>,
    expires_at: u64,
) -> Session {
    let silence = default_silence_ms(dialect);
    let turn_detection = TurnDetection {
        kind: Some(TurnDetectionKind::ServerVad),
        threshold: serde_json::Number::from_f64(0.5),
        prefix_padding_ms: Some(300),
        silence_duration_ms: Some(silence),
        idle_timeout_ms: Some(Nullable::Null),
        create_response: Some(true),
        interrupt_response: Some(true),
        ..Default::default()
    };
    let input = AudioInput {
        format: Some(AudioFormat::pcm()),
        transcription: Some(Nullable::Null),
        noise_reduction: Some(Nullable::Null),
        turn_detection: Some(Nullable::Value(turn_detection)),
        ..Default::default()
    };
    let mut session = Session {
        kind: Some(kind.clone()),
        object: Some("realtime.session".to_owned()),
        id: Some(id),
        model: model.map(str::to_owned),
        expires_at: Some(expires_at),
        include: Some(Nullable::Null),
        ..Default::default()
    };
    if dialect == Dialect::Beta && kind == SessionKind::Realtime {
        // Beta-only fields, carried in `extra` (the beta recordings show both).
        session
            .extra
            .insert("temperature".to_owned(), DEFAULT_TEMPERATURE.into());
        session
            .extra
            .insert("client_secret".to_owned(), serde_json::Value::Null);
    }
    if kind == SessionKind::Transcription {
        session.object = Some("realtime.transcription_session".to_owned());
        session.audio = Some(SessionAudio {
            input: Some(input),
            ..Default::default()
        });
        return session;
    }
    session.output_modalities = Some(vec![Modality::Audio]);
    session.instructions = Some(DEFAULT_INSTRUCTIONS.to_owned());
    session.tools = Some(Vec::new());
    session.tool_choice = Some(ToolChoice::Mode(ToolChoiceMode::Auto));
    session.max_output_tokens = Some(MaxTokens::Inf);
    session.tracing = Some(serde_json::Value::Null);
    session.truncation = Some(serde_json::Value::String("auto".to_owned()));
    session.prompt = Some(serde_json::Value::Null);
    session.audio = Some(SessionAudio {
        input: Some(input),
        output: Some(AudioOutput {
            format: Some(AudioFormat::pcm()),
            voice: Some(Voice::Name(VoiceName::Alloy)),
            speed: serde_json::Number::from_f64(1.0),
            ..Default::default()
        }),
        ..Default::default()
    });
    session
}

/// Checks `update` against `current` and returns the new effective config, or the error to
/// send (nothing applied). `audio_produced`: the session already sent output audio.
pub(crate) fn apply_update(
    current: &Session,
    update: &Session,
    dialect: Dialect,
    audio_produced: bool,
) -> Result<Session, ClientError> {
    check_fixed(current, update, dialect)?;
    let mut next = current.clone();
    if dialect == Dialect::Beta
        && let Some(value) = update.extra.get("temperature")
    {
        next.extra.insert(
            "temperature".to_owned(),
            check_temperature(value, "session.temperature")?,
        );
    }
    take_plain_fields(&mut next, update);
    if let Some(audio) = &update.audio {
        if let Some(input) = &audio.input {
            apply_input(next.audio_input(), input, dialect)?;
        }
        if let Some(output) = &audio.output {
            let voice_before = current
                .audio
                .as_ref()
                .and_then(|a| a.output.as_ref())
                .and_then(|o| o.voice.clone());
            let locked_voice = audio_produced.then_some(voice_before);
            apply_output(next.audio_output(), output, locked_voice)?;
        }
    }
    Ok(next)
}

/// The GA update names the session `type`, knows every field it sets, and changes neither the
/// model nor the type.
fn check_fixed(current: &Session, update: &Session, dialect: Dialect) -> Result<(), ClientError> {
    if dialect == Dialect::Ga {
        if update.kind.is_none() {
            return Err(ClientError::new(
                ErrorCode::MissingRequiredParameter,
                "Missing required parameter: 'session.type'.",
            )
            .param("session.type"));
        }
        check_unknown(update)?;
    }
    if let (Some(new), Some(old)) = (&update.model, &current.model)
        && new != old
    {
        return Err(ClientError::invalid_value(
            "session.model",
            "The model of a session cannot be changed.",
        ));
    }
    if let (Some(new), Some(old)) = (&update.kind, &current.kind)
        && new != old
    {
        return Err(ClientError::invalid_value(
            "session.type",
            format!(
                "Invalid value: '{}'. Session type cannot be changed.",
                new.as_str()
            ),
        ));
    }
    Ok(())
}

/// The fields an update replaces as they are, with no check.
fn take_plain_fields(next: &mut Session, update: &Session) {
    macro_rules! take {
        ($($field:ident),*) => {
            $(
                if let Some(value) = &update.$field {
                    next.$field = Some(value.clone());
                }
            )*
        };
    }
    take!(
        output_modalities,
        instructions,
        tools,
        tool_choice,
        tracing,
        truncation,
        prompt,
        include
    );
    if let Some(max) = update.max_output_tokens {
        next.max_output_tokens = Some(max);
    }
}

/// Applies the `audio.input` of an update: format, transcription, noise reduction and turn
/// detection, each completed with its defaults.
fn apply_input(
    into: &mut AudioInput,
    input: &AudioInput,
    dialect: Dialect,
) -> Result<(), ClientError> {
    if let Some(f) = &input.format {
        check_format(f, "session.audio.input.format")?;
        into.format = Some(complete_format(f));
    }
    if let Some(t) = &input.transcription {
        into.transcription = Some(
            t.clone()
                .into_option()
                .map(|mut t| {
                    t.language.get_or_insert(Nullable::Null);
                    t.prompt.get_or_insert(Nullable::Null);
                    t
                })
                .into(),
        );
    }
    if let Some(n) = &input.noise_reduction {
        into.noise_reduction = Some(n.clone());
    }
    if let Some(td) = &input.turn_detection {
        into.turn_detection = Some(complete_turn_detection(td, dialect)?);
    }
    Ok(())
}

/// Applies the `audio.output` of an update: format, voice and speed. `locked_voice`: the
/// session's voice once assistant audio is present, which the update may not change.
fn apply_output(
    into: &mut AudioOutput,
    output: &AudioOutput,
    locked_voice: Option<Option<Voice>>,
) -> Result<(), ClientError> {
    if let Some(f) = &output.format {
        check_format(f, "session.audio.output.format")?;
        into.format = Some(complete_format(f));
    }
    if let Some(v) = &output.voice {
        if let Some(before) = &locked_voice
            && before.as_ref() != Some(v)
        {
            return Err(ClientError::new(
                ErrorCode::CannotUpdateVoice,
                "Cannot update a conversation's voice if assistant audio is present.",
            )
            .param("session.audio.output.voice"));
        }
        into.voice = Some(v.clone());
    }
    if let Some(s) = &output.speed {
        into.speed = Some(s.clone());
    }
    Ok(())
}

/// A beta `temperature`, which must be a number in 0.6..=1.2.
pub(crate) fn check_temperature(
    value: &serde_json::Value,
    param: &str,
) -> Result<serde_json::Value, ClientError> {
    validation::decimal_in(value, (0.6, 1.2), param)?;
    Ok(value.clone())
}

/// `unknown_parameter` for the first key of `extra` (fields the GA schema does not have),
/// named `prefix.key`.
pub(crate) fn unknown_field(
    prefix: &str,
    extra: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ClientError> {
    match extra.keys().next() {
        Some(k) => Err(ClientError::new(
            ErrorCode::UnknownParameter,
            format!("Unknown parameter: '{prefix}.{k}'."),
        )
        .param(format!("{prefix}.{k}"))),
        None => Ok(()),
    }
}

/// `unknown_parameter` for the first field the GA schema does not have.
fn check_unknown(update: &Session) -> Result<(), ClientError> {
    let unknown = |prefix: &str, extra: &serde_json::Map<String, serde_json::Value>| {
        extra.keys().next().map(|k| {
            ClientError::new(
                ErrorCode::UnknownParameter,
                format!("Unknown parameter: '{prefix}.{k}'."),
            )
            .param(format!("{prefix}.{k}"))
        })
    };
    if let Some(e) = unknown("session", &update.extra) {
        return Err(e);
    }
    if let Some(audio) = &update.audio {
        if let Some(e) = unknown("session.audio", &audio.extra) {
            return Err(e);
        }
        if let Some(input) = &audio.input
            && let Some(e) = unknown("session.audio.input", &input.extra)
        {
            return Err(e);
        }
        if let Some(output) = &audio.output
            && let Some(e) = unknown("session.audio.output", &output.extra)
        {
            return Err(e);
        }
    }
    Ok(())
}

/// `invalid_value` for an unsupported audio format, on `param`.
pub(crate) fn check_format(format: &AudioFormat, param: &str) -> Result<(), ClientError> {
    match &format.kind {
        Some(AudioFormatKind::Other(kind)) => Err(ClientError::invalid_value(
            format!("{param}.type"),
            format!(
                "Invalid value: '{kind}'. Supported values are: 'audio/pcm', 'audio/pcmu', and \
                 'audio/pcma'."
            ),
        )),
        Some(AudioFormatKind::Pcm) if format.rate.is_some_and(|r| r != 24_000) => {
            Err(ClientError::invalid_value(
                format!("{param}.rate"),
                "Invalid value: audio/pcm supports a rate of 24000 only.",
            ))
        }
        _ => Ok(()),
    }
}

/// `format` with its implied fields (the PCM rate).
pub(crate) fn complete_format(format: &AudioFormat) -> AudioFormat {
    match format.kind {
        Some(AudioFormatKind::Pcmu) => AudioFormat::pcmu(),
        Some(AudioFormatKind::Pcma) => AudioFormat::pcma(),
        _ => AudioFormat::pcm(),
    }
}

fn complete_turn_detection(
    td: &Nullable<TurnDetection>,
    dialect: Dialect,
) -> Result<Nullable<TurnDetection>, ClientError> {
    let Some(td) = td.value() else {
        return Ok(Nullable::Null);
    };
    if let TurnDetectionChoice::Off = validation::check_turn_detection(td, dialect)? {
        return Ok(Nullable::Null);
    }
    let mut out = td.clone();
    if let Some(Nullable::Value(ms)) = td.idle_timeout_ms {
        const PARAM: &str = "session.audio.input.turn_detection.idle_timeout_ms";
        let out_of_range = match ms {
            ..5_000 => Some((ErrorCode::IntegerBelowMinValue, 5_000, "below minimum")),
            30_001.. => Some((ErrorCode::IntegerAboveMaxValue, 30_000, "above maximum")),
            _ => None,
        };
        if let Some((code, bound, relation)) = out_of_range {
            let sign = if ms < bound { ">=" } else { "<=" };
            return Err(ClientError::new(
                code,
                format!(
                    "Invalid '{PARAM}': integer {relation} value. Expected a value {sign} \
                     {bound}, but got {ms} instead."
                ),
            )
            .param(PARAM));
        }
    }
    if out.kind.is_none() {
        out.kind = Some(TurnDetectionKind::ServerVad);
    }
    if out.kind == Some(TurnDetectionKind::ServerVad) {
        out.threshold
            .get_or_insert_with(|| serde_json::Number::from(0));
        if td.threshold.is_none() {
            out.threshold = serde_json::Number::from_f64(0.5);
        }
        out.prefix_padding_ms.get_or_insert(300);
        out.silence_duration_ms
            .get_or_insert(default_silence_ms(dialect));
        out.idle_timeout_ms.get_or_insert(Nullable::Null);
    }
    if out.kind == Some(TurnDetectionKind::SemanticVad) {
        if let Some(Eagerness::Other(value)) = &out.eagerness {
            return Err(ClientError::invalid_value(
                "session.audio.input.turn_detection.eagerness",
                format!(
                    "Invalid value: '{value}'. Supported values are: 'low', 'medium', 'high', \
                     and 'auto'."
                ),
            ));
        }
        out.eagerness.get_or_insert(Eagerness::Auto);
    }
    out.create_response.get_or_insert(true);
    out.interrupt_response.get_or_insert(true);
    Ok(Nullable::Value(out))
}

/// The input audio format of `session` for the audio crate.
///
/// PCM is 24 kHz, except in a Voice Live session whose `input_audio_sampling_rate` says 16 kHz.
pub(crate) fn input_format(session: &Session) -> WireFormat {
    let format = wire_format(
        session
            .audio
            .as_ref()
            .and_then(|a| a.input.as_ref())
            .and_then(|i| i.format.as_ref()),
    );
    let voice_live_rate = session
        .extra
        .get("input_audio_sampling_rate")
        .and_then(serde_json::Value::as_u64);
    match (format, voice_live_rate) {
        (WireFormat::Pcm16 { .. }, Some(16_000)) => WireFormat::Pcm16 { rate: 16_000 },
        _ => format,
    }
}

/// The output audio format of `session` for the audio crate.
pub(crate) fn output_format(session: &Session) -> WireFormat {
    wire_format(
        session
            .audio
            .as_ref()
            .and_then(|a| a.output.as_ref())
            .and_then(|o| o.format.as_ref()),
    )
}

/// The audio crate's format for a protocol format (PCM16 24 kHz when absent).
pub(crate) fn wire_format(format: Option<&AudioFormat>) -> WireFormat {
    match format.and_then(|f| f.kind.as_ref()) {
        Some(AudioFormatKind::Pcmu) => WireFormat::G711Ulaw,
        Some(AudioFormatKind::Pcma) => WireFormat::G711Alaw,
        _ => WireFormat::Pcm16 { rate: 24_000 },
    }
}

/// The silence that ends a turn under `semantic_vad`, by eagerness, when the server has no
/// end-of-turn model: semantic VAD is then server VAD whose silence window follows the
/// eagerness: `high` ends turns soonest, `low` lets the user pause longest.
pub(crate) fn semantic_silence_ms(eagerness: Option<&Eagerness>) -> u64 {
    match eagerness {
        Some(Eagerness::High) => 300,
        Some(Eagerness::Low) => 1_500,
        _ => 700,
    }
}

/// How an end-of-turn model ends `semantic_vad` turns, by eagerness: it is asked after a
/// 200 ms pause, ends the turn from a probability that `high` sets lowest and `low` highest,
/// and a pause as long as the service's upper bound for that eagerness (2 s, 4 s, 8 s) ends the
/// turn whatever it said.
pub(crate) fn semantic_params(eagerness: Option<&Eagerness>) -> SemanticParams {
    let (threshold, max_silence_ms) = match eagerness {
        Some(Eagerness::High) => (0.3, 2_000),
        Some(Eagerness::Low) => (0.7, 8_000),
        _ => (0.5, 4_000),
    };
    SemanticParams {
        check_after_ms: 200,
        threshold,
        max_silence_ms,
    }
}

/// The configured turn detection, if any.
pub(crate) fn turn_detection(session: &Session) -> Option<&TurnDetection> {
    session
        .audio
        .as_ref()
        .and_then(|a| a.input.as_ref())
        .and_then(|i| i.turn_detection.as_ref())
        .and_then(Nullable::value)
}

/// Whether input transcription is configured.
pub(crate) fn transcription_model(session: &Session) -> Option<String> {
    session
        .audio
        .as_ref()
        .and_then(|a| a.input.as_ref())
        .and_then(|i| i.transcription.as_ref())
        .and_then(Nullable::value)
        .map(|t| t.model.clone().unwrap_or_default())
}

/// The name of `voice` for the synthesizer (default `alloy`).
pub(crate) fn voice_name(voice: Option<&Voice>) -> String {
    match voice {
        Some(Voice::Name(name)) => name.as_str().to_owned(),
        Some(Voice::Object(voice)) => voice
            .get("name")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("alloy")
            .to_owned(),
        None => "alloy".to_owned(),
    }
}

#[cfg(test)]
mod tests;
