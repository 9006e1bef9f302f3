//! Resuming after the session limit: the server closes with 1001 (a scripted `close_after_s`,
//! as the service does at 60 minutes); the conversation carries its settings and items over.

use rtclient::protocol::{ContentKind, Modality, Role, Session};
use rtclient::{ClientConfig, Conversation, ConversationEvent, Error, Target};
use rtclient_audio::Pace;
use rtclient_server::Script;
use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState};
use tokio::net::TcpListener;

use crate::server::{next, text, try_next, turn, until_done, update};

/// A server whose sessions end after `seconds`, and a configuration to reach it.
async fn short_sessions(seconds: f64) -> ClientConfig {
    let script = Script::from_yaml(&format!("faults: {{close_after_s: {seconds}}}")).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let session = RealtimeSession::new().pace(Pace::Max).script(script);
    let serve = Serve::new(
        listener,
        ServerState::with_handler(ServerConfig::default(), session),
    );
    let addr = serve.local_addr().unwrap();
    tokio::spawn(serve.into_future());
    let target = Target::custom(&format!("ws://{addr}/v1/realtime?model=gpt-realtime")).unwrap();
    ClientConfig::builder(target)
        .keepalive_interval(None)
        .build()
}

#[tokio::test]
async fn after_the_session_limit_the_conversation_resumes_with_its_history() {
    let config = short_sessions(1.5).await;
    let mut conversation = Conversation::connect(&config).await.unwrap();
    assert!(matches!(
        next(&mut conversation).await,
        ConversationEvent::SessionCreated(_)
    ));
    let settings = Session::realtime()
        .instructions("Answer in one sentence.")
        .output_modality(Modality::Text);
    update(&mut conversation, settings).await;
    let events = turn(&mut conversation, "my name is Ada").await;
    assert_eq!(text(&events), "I heard: my name is Ada");
    let before: Vec<_> = conversation.state().items().to_vec();
    assert_eq!(before.len(), 2);
    // A clone held elsewhere follows the conversation to the new session.
    let commands = conversation.handle().clone();

    // The server ends the session.
    let ended = loop {
        match try_next(&mut conversation).await {
            Ok(Some(_)) => {}
            other => break other,
        }
    };
    match ended {
        Err(Error::Closed { code, reason }) => {
            assert_eq!(code, 1001);
            assert!(reason.contains("maximum duration"), "{reason}");
        }
        other => panic!("expected a 1001 close, got {other:?}"),
    }

    let resumed = conversation.resume(&config).await.unwrap();
    assert!(resumed.session_event_id.is_some());
    assert_eq!((resumed.replayed, resumed.skipped), (2, 0));
    // The new session: created, updated with the old settings, the two items again.
    assert!(matches!(
        next(&mut conversation).await,
        ConversationEvent::SessionCreated(_)
    ));
    let session = loop {
        if let ConversationEvent::SessionUpdated(session) = next(&mut conversation).await {
            break session;
        }
    };
    assert_eq!(
        session.instructions.as_deref(),
        Some("Answer in one sentence.")
    );
    assert_eq!(session.output_modalities, Some(vec![Modality::Text]));
    while conversation.state().items().len() < 2 {
        next(&mut conversation).await;
    }
    let after = conversation.state().items();
    assert_eq!(after[0].id, before[0].id);
    assert_eq!(after[1].id, before[1].id);
    assert_eq!(after[1].role, Some(Role::Assistant));
    let said = &after[1].content.as_ref().unwrap()[0];
    assert_eq!(said.kind, Some(ContentKind::OutputText));
    assert_eq!(said.text.as_deref(), Some("I heard: my name is Ada"));

    // The old handle's clone speaks to the new session.
    commands.add_user_text("and now?").await.unwrap();
    commands.create_response(None).await.unwrap();
    let reply = until_done(&mut conversation).await;
    assert_eq!(text(&reply), "I heard: and now?");
}
