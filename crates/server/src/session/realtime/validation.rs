//! Client values checked against the spec's enums and ranges, each refused with the error the
//! service sends (`invalid_value`, or `decimal_below_min_value`/`decimal_above_max_value`) and
//! the `param` in the session's dialect.

use rtclient_protocol::{
    AudioOutput, Dialect, ErrorCode, Modality, ResponseCreateParams, Role, Session, TurnDetection,
    TurnDetectionKind, Voice, VoiceName,
};

use crate::session::errors::ClientError;

/// The built-in voices (`VoiceIdsShared` and its GA additions).
const VOICES: &[&str] = &[
    "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar",
];
/// Output modalities.
const MODALITIES: &[&str] = &["text", "audio"];
/// Turn detection types.
const TURN_DETECTION_TYPES: &[&str] = &["server_vad", "semantic_vad"];
/// Message roles.
const ROLES: &[&str] = &["user", "assistant", "system"];
/// The range of `speed`.
const SPEED: (f64, f64) = (0.25, 1.5);

/// The name of a session field in `dialect`: `ga` (nested GA path) or `beta` (flat), both
/// under `prefix` (`session` or `response`).
fn param(prefix: &str, dialect: Dialect, ga: &str, beta: &str) -> String {
    let field = if dialect == Dialect::Beta { beta } else { ga };
    format!("{prefix}.{field}")
}

/// `invalid_value` unless `value` is one of `allowed`.
pub(crate) fn one_of(value: &str, allowed: &[&str], param: &str) -> Result<(), ClientError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    let list = match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{}, and {last}", rest.join(", ")),
        None => String::new(),
    };
    Err(ClientError::invalid_value(
        param,
        format!("Invalid value: '{value}'. Supported values are: {list}."),
    ))
}

/// The service's range error unless `value` is a number in `min..=max`.
pub(crate) fn decimal_in(
    value: &serde_json::Value,
    (min, max): (f64, f64),
    param: &str,
) -> Result<(), ClientError> {
    let Some(v) = value.as_f64() else {
        return Err(ClientError::new(
            ErrorCode::InvalidType,
            format!("Invalid type for '{param}': expected a decimal, but got {value} instead."),
        )
        .param(param));
    };
    let (code, relation, sign, bound) = if v < min {
        (ErrorCode::DecimalBelowMinValue, "below minimum", ">=", min)
    } else if v > max {
        (ErrorCode::DecimalAboveMaxValue, "above maximum", "<=", max)
    } else {
        return Ok(());
    };
    Err(ClientError::new(
        code,
        format!(
            "Invalid '{param}': decimal {relation} value. Expected a value {sign} {bound}, but \
             got {v} instead."
        ),
    )
    .param(param))
}

/// Checks the voice, speed and modalities of a `session.update` (not for Voice Live, whose
/// voices are Azure's).
pub(crate) fn check_session(update: &Session, dialect: Dialect) -> Result<(), ClientError> {
    let output = update.audio.as_ref().and_then(|a| a.output.as_ref());
    check_output(
        "session",
        dialect,
        update.output_modalities.as_deref(),
        output,
    )?;
    if let Some(speed) = output.and_then(|o| o.speed.as_ref()) {
        let value = serde_json::Value::Number(speed.clone());
        decimal_in(
            &value,
            SPEED,
            &param("session", dialect, "audio.output.speed", "speed"),
        )?;
    }
    Ok(())
}

/// Checks the voice and modalities of `response.create` params.
pub(crate) fn check_response(
    params: &ResponseCreateParams,
    dialect: Dialect,
) -> Result<(), ClientError> {
    let output = params.audio.as_ref().and_then(|a| a.output.as_ref());
    check_output(
        "response",
        dialect,
        params.output_modalities.as_deref(),
        output,
    )
}

/// Checks the output modalities and voice of a session or response (`prefix`).
fn check_output(
    prefix: &str,
    dialect: Dialect,
    modalities: Option<&[Modality]>,
    output: Option<&AudioOutput>,
) -> Result<(), ClientError> {
    if let Some(modalities) = modalities {
        check_modalities(
            modalities,
            &param(prefix, dialect, "output_modalities", "modalities"),
        )?;
    }
    if let Some(voice) = output.and_then(|o| o.voice.as_ref()) {
        check_voice(
            voice,
            &param(prefix, dialect, "audio.output.voice", "voice"),
        )?;
    }
    Ok(())
}

fn check_modalities(modalities: &[Modality], param: &str) -> Result<(), ClientError> {
    modalities
        .iter()
        .try_for_each(|m| one_of(m.as_str(), MODALITIES, param))
}

/// A built-in voice by name, or a custom voice object.
fn check_voice(voice: &Voice, param: &str) -> Result<(), ClientError> {
    match voice {
        Voice::Name(VoiceName::Other(name)) => one_of(name, VOICES, param),
        _ => Ok(()),
    }
}

/// What a turn detection object asks for: detection of its kind, or none at all.
pub(crate) enum TurnDetectionChoice {
    /// Server or semantic VAD.
    Detect,
    /// `{"type": "none"}`, which the beta dialect (Azure's SDKs) sends for "off".
    Off,
}

/// Checks a turn detection `type` (`none` is accepted in the beta dialect only) and its
/// `threshold`.
pub(crate) fn check_turn_detection(
    td: &TurnDetection,
    dialect: Dialect,
) -> Result<TurnDetectionChoice, ClientError> {
    let prefix = param(
        "session",
        dialect,
        "audio.input.turn_detection",
        "turn_detection",
    );
    if let Some(TurnDetectionKind::Other(kind)) = &td.kind {
        if kind == "none" && dialect == Dialect::Beta {
            return Ok(TurnDetectionChoice::Off);
        }
        one_of(kind, TURN_DETECTION_TYPES, &format!("{prefix}.type"))?;
    }
    if let Some(t) = td.threshold.as_ref().and_then(serde_json::Number::as_f64)
        && !(0.0..=1.0).contains(&t)
    {
        return Err(ClientError::invalid_value(
            format!("{prefix}.threshold"),
            format!("Invalid value: {t}. Value must be between 0 and 1."),
        ));
    }
    Ok(TurnDetectionChoice::Detect)
}

/// Checks a message item's `role`.
pub(crate) fn check_role(role: &Role) -> Result<(), ClientError> {
    one_of(role.as_str(), ROLES, "item.role")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_and_ranges_answer_with_the_param() {
        let error = one_of("video", MODALITIES, "session.output_modalities").unwrap_err();
        assert_eq!(
            error.message,
            "Invalid value: 'video'. Supported values are: 'text', and 'audio'."
        );
        let error = decimal_in(&100.into(), SPEED, "session.speed").unwrap_err();
        assert_eq!(error.code, "decimal_above_max_value");
        assert_eq!(error.param.as_deref(), Some("session.speed"));
        let error = decimal_in(&(-1).into(), SPEED, "session.speed").unwrap_err();
        assert_eq!(error.code, "decimal_below_min_value");
        assert!(decimal_in(&1.0.into(), SPEED, "session.speed").is_ok());
    }
}
