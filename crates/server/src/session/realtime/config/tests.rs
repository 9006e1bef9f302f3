use super::*;

fn base() -> Session {
    default_session(
        SessionKind::Realtime,
        Dialect::Ga,
        "sess_1".into(),
        Some("m"),
        9,
    )
}

#[test]
fn an_invalid_update_applies_nothing() {
    let current = base();
    let mut update = Session::realtime().instructions("new");
    update.extra.insert("voice".into(), "ash".into());
    let error = apply_update(&current, &update, Dialect::Ga, false).unwrap_err();
    assert_eq!(error.code, "unknown_parameter");
    assert_eq!(error.param.as_deref(), Some("session.voice"));
    let next = apply_update(&current, &Session::realtime(), Dialect::Ga, false).unwrap();
    assert_eq!(next, current);
}

#[test]
fn voice_changes_only_before_audio() {
    let current = base();
    let update = Session::realtime().voice("marin");
    assert!(apply_update(&current, &update, Dialect::Ga, false).is_ok());
    let error = apply_update(&current, &update, Dialect::Ga, true).unwrap_err();
    assert_eq!(error.code, "cannot_update_voice");
    // The same voice again is fine.
    let same = Session::realtime().voice("alloy");
    assert!(apply_update(&current, &same, Dialect::Ga, true).is_ok());
}

#[test]
fn model_and_threshold_are_checked() {
    let current = base();
    let error = apply_update(
        &current,
        &Session::realtime().model("other"),
        Dialect::Ga,
        false,
    )
    .unwrap_err();
    assert_eq!(error.param.as_deref(), Some("session.model"));
    let vad = rtclient_protocol::ServerVad {
        threshold: 1.5,
        ..Default::default()
    };
    let error = apply_update(
        &current,
        &Session::realtime().server_vad(vad),
        Dialect::Ga,
        false,
    )
    .unwrap_err();
    assert_eq!(
        error.param.as_deref(),
        Some("session.audio.input.turn_detection.threshold")
    );
}

#[test]
fn beta_defaults_to_500_ms_of_silence() {
    let beta = default_session(SessionKind::Realtime, Dialect::Beta, "s".into(), None, 0);
    assert_eq!(
        turn_detection(&beta).unwrap().silence_duration_ms,
        Some(500)
    );
    assert_eq!(output_format(&beta), WireFormat::PCM16_24K);
    let voice = beta
        .audio
        .as_ref()
        .and_then(|a| a.output.as_ref())
        .and_then(|o| o.voice.as_ref());
    assert_eq!(voice_name(voice), "alloy");
}
