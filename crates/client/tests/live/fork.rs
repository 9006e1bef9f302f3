//! Forks (`/v1/live/sessions/{id}/fork`) of a running local session: the fork overrides
//! applied, the source's settings and conversation carried over, and the documented refusals.

use std::time::Duration;

use rtclient::live::{LiveEvent, LiveSession};
use rtclient::protocol::live::{self, InitialRole, SessionConfig};
use rtclient::protocol::{AudioFormat, Nullable};
use rtclient::{Error, LiveEndpoint};

use crate::server::{HEARD, config, microphone, server, speech};

/// The error code of a refused start.
fn refusal(result: Result<LiveSession, Error>) -> (Option<String>, Option<String>) {
    match result {
        Err(Error::LiveStartRefused { code, param, .. }) => (code, param),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_fork_continues_a_stored_session_with_its_conversation() {
    let base = server().await;
    let stored = SessionConfig {
        store: Some(true),
        ..SessionConfig::new("gpt-live-1")
            .instructions("Check things.")
            .voice("cedar")
    };
    let mut source = LiveSession::start(&config(&base, LiveEndpoint::Sessions), stored)
        .await
        .unwrap();
    let source_id = source.session().unwrap().id.clone();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mic = tokio::spawn(microphone(source.handle(), speech(HEARD), stop_rx));
    let delegated = async {
        loop {
            if let LiveEvent::Delegation(task) = source.next_event().await.unwrap().unwrap() {
                return task;
            }
        }
    };
    let task = tokio::time::timeout(Duration::from_secs(60), delegated)
        .await
        .expect("no delegation within 60 s");
    assert_eq!(task.request, HEARD);

    // Overrides: a G.711 format and no storage; everything else is inherited.
    let overrides = SessionConfig {
        store: Some(false),
        ..SessionConfig::default().format(AudioFormat {
            rate: Some(8_000),
            ..AudioFormat::pcmu()
        })
    };
    let fork_config = config(&base, LiveEndpoint::fork(source_id.clone()));
    let fork = LiveSession::start(&fork_config, overrides).await.unwrap();
    let forked = fork.session().unwrap().clone();
    assert_ne!(forked.id, source_id);
    assert!(forked.id.starts_with("live_"));
    assert_eq!(forked.model, "gpt-live-1");
    assert_eq!(
        forked.instructions,
        Some(Nullable::Value("Check things.".to_owned()))
    );
    assert_eq!(forked.store, Some(false));
    let audio = forked.audio.clone().unwrap();
    assert_eq!(audio.format.unwrap().rate, Some(8_000));
    assert_eq!(
        audio.output.unwrap().voice,
        Some(rtclient::protocol::Voice::from("cedar"))
    );
    let said: Vec<(InitialRole, String)> = forked
        .input
        .unwrap()
        .into_iter()
        .map(|item| (item.role, item.content[0].text.clone()))
        .collect();
    assert_eq!(
        said,
        [
            (InitialRole::User, HEARD.to_owned()),
            (InitialRole::Assistant, "Okay, checking now.".to_owned()),
        ]
    );
    let end = fork.close().await.unwrap();
    assert_eq!(end.reason, live::CloseReason::CloseRequested);

    // The fork of a fork that is not stored, and overrides a fork cannot take.
    let inherited = SessionConfig::new("gpt-live-1");
    assert_eq!(
        refusal(LiveSession::start(&fork_config, inherited).await),
        (
            Some("unknown_parameter".to_owned()),
            Some("session.model".to_owned())
        )
    );
    let responses = SessionConfig::default().delegation(live::Delegation::responses(
        live::ResponsesDelegation::default(),
    ));
    assert_eq!(
        refusal(LiveSession::start(&fork_config, responses).await),
        (
            Some("immutable_field_update".to_owned()),
            Some("session.delegation.type".to_owned())
        )
    );
    stop_tx.send(true).unwrap();
    mic.await.unwrap();
    source.close().await.unwrap();
}

#[tokio::test]
async fn forks_of_unknown_and_unstored_sessions_are_refused() {
    let base = server().await;
    let unknown = config(&base, LiveEndpoint::fork("live_nope"));
    assert_eq!(
        refusal(LiveSession::start(&unknown, SessionConfig::default()).await),
        (Some("session_not_found".to_owned()), None)
    );
    let plain = LiveSession::start(
        &config(&base, LiveEndpoint::Sessions),
        SessionConfig::new("gpt-live-1"),
    )
    .await
    .unwrap();
    let id = plain.session().unwrap().id.clone();
    let fork = config(&base, LiveEndpoint::fork(id));
    assert_eq!(
        refusal(LiveSession::start(&fork, SessionConfig::default()).await),
        (Some("session_not_stored".to_owned()), None)
    );
    plain.close().await.unwrap();
}
