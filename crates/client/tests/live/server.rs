//! [`LiveSession`] against the local server's Live route: real espeak-ng speech streamed at real
//! time, the server's VAD, a fixed transcriber, a script that delegates, a sideband attached to
//! the same session, and the errors of strict validation.

use std::time::Duration;

use rtclient::live::{LiveClient, LiveEvent, LiveSession};
use rtclient::protocol::live::{self, ContextKind, SessionConfig};
use rtclient::{ClientConfig, Error, LiveEndpoint, Target};
use rtclient_audio::Resampler;
use rtclient_server::Script;
use rtclient_server::{EspeakSynthesizer, Synthesizer};
use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState};
use rtclient_server::{Transcriber, Transcript, TranscriptionError, TurnAudio};
use tokio::net::TcpListener;

pub(crate) const HEARD: &str = "please check the staging status";

/// A transcriber that hears the same words in every turn of speech.
pub(crate) struct FixedTranscriber(pub(crate) &'static str);

impl Transcriber for FixedTranscriber {
    fn transcribe(&self, _: TurnAudio<'_>, _: &str) -> Result<Transcript, TranscriptionError> {
        Ok(self.0.to_owned().into())
    }
}

const SCRIPT: &str = r#"
rules:
  - when: check
    say: "Okay, checking now."
    delegate: true
"#;

/// A local server with the Live route whose sessions delegate every request; returns its
/// `http://` base.
pub(crate) async fn server() -> String {
    server_with(SCRIPT, HEARD).await
}

/// A local server with the Live route answering by `script`, hearing `heard` in every turn.
pub(crate) async fn server_with(script: &str, heard: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let session = RealtimeSession::new()
        .transcriber(FixedTranscriber(heard))
        .script(Script::from_yaml(script).unwrap());
    let serve = Serve::new(
        listener,
        ServerState::with_handler(ServerConfig::default(), session),
    );
    let base = format!("http://{}", serve.local_addr().unwrap());
    tokio::spawn(serve.into_future());
    base
}

pub(crate) fn config(base: &str, endpoint: LiveEndpoint) -> ClientConfig {
    ClientConfig::builder(Target::openai_live_at(base, endpoint).unwrap())
        .keepalive_interval(None)
        .build()
}

/// Real speech, PCM16 24 kHz.
pub(crate) fn speech(text: &str) -> Vec<u8> {
    let spoken = EspeakSynthesizer::new().synthesize(text, "marin").unwrap();
    let input: Vec<f32> = spoken
        .samples
        .iter()
        .map(|s| f32::from(*s) / 32768.0)
        .collect();
    let mut out = Vec::new();
    let mut resampler = Resampler::new(spoken.sample_rate, 24_000).unwrap();
    resampler.process(&input, &mut out).unwrap();
    resampler.finish(&mut out).unwrap();
    out.iter()
        .flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())
        .collect()
}

/// Streams 500 ms of silence, the speech, then silence, at real time, until `stop`.
pub(crate) async fn microphone(
    handle: rtclient::LiveHandle,
    speech: Vec<u8>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    let silence = vec![0u8; 4_800];
    let lead: Vec<&[u8]> = vec![&silence[..]; 5];
    let mut chunks = lead.into_iter().chain(speech.chunks(4_800));
    while !*stop.borrow() {
        ticks.tick().await;
        let chunk = chunks.next().unwrap_or(&silence);
        if handle.send_audio(chunk).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_spoken_request_is_delegated_answered_spoken_and_closed() {
    let base = server().await;
    let start = SessionConfig::new("gpt-live-1").delegation(live::Delegation::client());
    let mut primary = LiveSession::start(&config(&base, LiveEndpoint::Sessions), start)
        .await
        .unwrap();
    let session_id = primary.session().unwrap().id.clone();
    let attach = config(&base, LiveEndpoint::attach(session_id.clone()));
    let mut sideband = LiveSession::new(LiveClient::connect(&attach).await.unwrap());
    let watcher = tokio::spawn(async move {
        let (mut started, mut stamped_audio) = (None, 0);
        while let Some(event) = sideband.next_event().await.unwrap() {
            match event {
                LiveEvent::Started(session) => started = Some(session.id),
                LiveEvent::OutputAudio(audio) => {
                    assert_eq!(audio.end_ms - audio.start_ms, 100.0, "sideband stamps");
                    stamped_audio += 1;
                }
                _ => {}
            }
        }
        (
            started,
            stamped_audio,
            sideband.input_transcript().to_owned(),
        )
    });

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mic = tokio::spawn(microphone(primary.handle(), speech(HEARD), stop_rx));
    let run = async {
        let (mut audio_ms, mut answer_id) = (0.0, None);
        loop {
            match primary.next_event().await.unwrap().unwrap() {
                LiveEvent::OutputAudio(audio) => {
                    assert_eq!(audio.start_ms, audio_ms, "one continuous track");
                    audio_ms = audio.end_ms;
                }
                LiveEvent::InputTranscript(t) => {
                    assert_eq!(t.start_ms % 200, 0, "200 ms grid");
                    assert_eq!(t.end_ms - t.start_ms, 200);
                }
                LiveEvent::Delegation(task) => {
                    assert_eq!(task.request, HEARD);
                    answer_id = Some(task.speak("Staging is healthy.").await.unwrap());
                }
                LiveEvent::Appended {
                    kind,
                    client_event_id,
                    ..
                } => {
                    assert_eq!(kind, ContextKind::Commentary);
                    assert_eq!(client_event_id, answer_id);
                }
                LiveEvent::OutputTranscript(_)
                    if primary.output_transcript().contains("Staging is healthy.") =>
                {
                    break;
                }
                _ => {}
            }
        }
        assert_eq!(primary.input_transcript(), HEARD);
        assert!(
            primary
                .output_transcript()
                .starts_with("Okay, checking now.")
        );
        let handle = primary.handle();
        handle.mute().await.unwrap();
        handle.unmute().await.unwrap();
        let (mut muted, mut unmuted) = (false, false);
        while !(muted && unmuted) {
            match primary.next_event().await.unwrap().unwrap() {
                LiveEvent::Muted => muted = true,
                LiveEvent::Unmuted => unmuted = muted,
                _ => {}
            }
        }
        stop_tx.send(true).unwrap();
        let end = primary.close().await.unwrap();
        assert_eq!(end.reason, live::CloseReason::CloseRequested);
        assert_eq!(end.session.id, session_id);
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the session did not finish within 60 s");
    mic.await.unwrap();
    let (started, stamped_audio, transcript) = watcher.await.unwrap();
    assert_eq!(started, Some(session_id));
    assert!(stamped_audio > 0);
    assert_eq!(transcript, HEARD, "the sideband saw the same transcript");
}

#[tokio::test]
async fn strict_start_and_command_errors() {
    let base = server().await;
    let mut bad = SessionConfig::new("gpt-live-1");
    bad.extra.insert("voice".to_owned(), "marin".into());
    let refused = LiveSession::start(&config(&base, LiveEndpoint::Sessions), bad)
        .await
        .unwrap_err();
    let Error::LiveStartRefused { code, param, .. } = refused else {
        panic!("{refused:?}");
    };
    assert_eq!(
        (code.as_deref(), param.as_deref()),
        (Some("unknown_parameter"), Some("session.voice"))
    );

    let mut live = LiveSession::start(
        &config(&base, LiveEndpoint::Sessions),
        SessionConfig::new("gpt-live-1"),
    )
    .await
    .unwrap();
    let handle = live.handle();
    let missing = handle
        .send(
            live::ClientEvent::from_json(r#"{"type":"session.thinking.append","content":"x"}"#)
                .unwrap(),
        )
        .await
        .unwrap();
    let unknown = handle
        .append(ContextKind::Commentary, "x", Some("item_nope".to_owned()))
        .await
        .unwrap();
    let backend = handle.send(live::ResponseCreate::default()).await.unwrap();
    let mut errors = Vec::new();
    while errors.len() < 3 {
        if let LiveEvent::Error(error) = live.next_event().await.unwrap().unwrap() {
            errors.push((error.code.into_option(), error.client_event_id));
        }
    }
    assert_eq!(
        errors,
        [
            (Some("missing_required_parameter".to_owned()), missing),
            (Some("invalid_value".to_owned()), Some(unknown)),
            (Some("invalid_request".to_owned()), backend),
        ]
    );
    // An append waiting for the timeline fails when the session closes.
    let pending = handle
        .append(ContextKind::Thinking, "late", None)
        .await
        .unwrap();
    handle.close().await.unwrap();
    let mut incomplete = None;
    loop {
        match live.next_event().await.unwrap() {
            Some(LiveEvent::Error(error)) => {
                incomplete = Some((error.code.into_option(), error.client_event_id))
            }
            Some(LiveEvent::Closed(_)) => break,
            Some(_) => {}
            None => panic!("closed without session.closed"),
        }
    }
    assert_eq!(
        incomplete,
        Some((
            Some("context_injection_incomplete".to_owned()),
            Some(pending)
        ))
    );
    assert!(live.next_event().await.unwrap().is_none());
}

#[tokio::test]
async fn azure_paths_serve_live_and_an_unknown_sideband_is_refused() {
    let base = server().await;
    for target in [
        Target::azure_live(&base, LiveEndpoint::Sessions).unwrap(),
        Target::azure_live_short_path(&base).unwrap(),
    ] {
        let config = ClientConfig::builder(target)
            .keepalive_interval(None)
            .build();
        let live = LiveSession::start(&config, SessionConfig::new("my-gpt-live-deployment"))
            .await
            .unwrap();
        assert_eq!(live.session().unwrap().model, "my-gpt-live-deployment");
        let end = live.close().await.unwrap();
        assert_eq!(end.reason, live::CloseReason::CloseRequested);
    }
    let attach = config(&base, LiveEndpoint::attach("live_nope"));
    let mut sideband = LiveSession::new(LiveClient::connect(&attach).await.unwrap());
    match sideband.next_event().await.unwrap() {
        Some(LiveEvent::Error(error)) => {
            assert_eq!(
                error.code.value().map(String::as_str),
                Some("session_not_found")
            );
        }
        other => panic!("expected session_not_found, got {other:?}"),
    }
}
