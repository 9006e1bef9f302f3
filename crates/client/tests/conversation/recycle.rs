//! Automatic session recycling against a scripted server: after the session limit's 1001
//! close, after a dropped connection, and before the limit between turns; never after a 3000
//! close. The application sees one event, keeps its handles, and the next turn continues with
//! the replayed history.

use std::time::Duration;

use rtclient::protocol::{Modality, Role, ServerEvent, Session};
use rtclient::{
    ClientConfig, Conversation, ConversationEvent, Error, RecyclePolicy, RecycleReason, Recycled,
    RequestState,
};
use rtclient_audio::Pace;
use rtclient_server::Script;
use rtclient_server::{RealtimeSession, Serve, ServerConfig, ServerState};
use tokio::net::TcpListener;

use crate::server::{next, text, try_next, turn, until_done, update};

const SCRIPT: &str = r#"
rules:
  - when: "drop"
    say: "This reply is cut short."
    drop: {after_events: 3}
  - when: "unauthorized"
    say: "No."
    close: {code: 3000, reason: "invalid_api_key", after_events: 1}
"#;

/// A server running `script` (plus `faults`, a YAML mapping) at `pace`, and a conversation to
/// it that recycles under `policy`, past its `session.created`.
async fn recycling(faults: &str, pace: Pace, policy: RecyclePolicy) -> Conversation {
    let script = Script::from_yaml(&format!("{SCRIPT}faults: {faults}")).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let session = RealtimeSession::new().pace(pace).script(script);
    let serve = Serve::new(
        listener,
        ServerState::with_handler(ServerConfig::default(), session),
    );
    let addr = serve.local_addr().unwrap();
    tokio::spawn(serve.into_future());
    let target =
        rtclient::Target::custom(&format!("ws://{addr}/v1/realtime?model=gpt-realtime")).unwrap();
    let config = ClientConfig::builder(target)
        .keepalive_interval(None)
        .build();
    let mut conversation = Conversation::connect(&config).await.unwrap();
    conversation.set_recycling(config, policy);
    assert!(matches!(
        next(&mut conversation).await,
        ConversationEvent::SessionCreated(_)
    ));
    let settings = Session::realtime()
        .instructions("Answer in one sentence.")
        .output_modality(Modality::Text);
    update(&mut conversation, settings).await;
    conversation
}

fn policy() -> RecyclePolicy {
    RecyclePolicy::default()
        .max_session_duration(None)
        .backoff(Duration::from_millis(50), Duration::from_millis(200))
}

/// Reads until the conversation recycles; counts other events on the way.
async fn until_recycled(conversation: &mut Conversation) -> Recycled {
    loop {
        match next(conversation).await {
            ConversationEvent::SessionRecycled(recycled) => return recycled,
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    }
}

/// After a recycle: the settings and the history came back, then a turn through a handle
/// cloned before the recycle works, and no second recycle was reported.
async fn carries_on(conversation: &mut Conversation, commands: rtclient::ConversationHandle) {
    let session = loop {
        if let ConversationEvent::SessionUpdated(session) = next(conversation).await {
            break session;
        }
    };
    assert_eq!(
        session.instructions.as_deref(),
        Some("Answer in one sentence.")
    );
    commands.add_user_text("and now?").await.unwrap();
    commands.create_response(None).await.unwrap();
    let reply = until_done(conversation).await;
    assert!(
        !reply
            .iter()
            .any(|e| matches!(e, ConversationEvent::SessionRecycled(_))),
        "{reply:?}"
    );
    assert_eq!(text(&reply), "I heard: and now?");
    let items = conversation.state().items();
    let first = &items[0];
    assert_eq!(first.role, Some(Role::User));
    let note = items
        .iter()
        .find(|item| item.role == Some(Role::System))
        .expect("the system note");
    let note_text = note.content.as_ref().unwrap()[0].text.as_deref().unwrap();
    assert!(note_text.contains("new session"), "{note_text}");
}

#[tokio::test]
async fn the_session_limit_close_is_recycled_once_and_the_next_turn_continues() {
    let mut conversation = recycling("{close_after_s: 1.0}", Pace::Max, policy()).await;
    let commands = conversation.handle().clone();
    let events = turn(&mut conversation, "my name is Ada").await;
    assert_eq!(text(&events), "I heard: my name is Ada");

    let recycled = until_recycled(&mut conversation).await;
    match &recycled.reason {
        RecycleReason::Closed { code, reason } => {
            assert_eq!(*code, 1001);
            assert!(reason.contains("maximum duration"), "{reason}");
        }
        other => panic!("expected a 1001 close, got {other:?}"),
    }
    assert_eq!((recycled.replayed, recycled.skipped), (2, 0));
    assert_eq!(recycled.attempts, 1);
    carries_on(&mut conversation, commands).await;
    // The replayed items kept their ids and text.
    let said = conversation.state().items()[1].content.as_ref().unwrap()[0]
        .text
        .clone();
    assert_eq!(said.as_deref(), Some("I heard: my name is Ada"));
    // Usage is summed over both sessions.
    let usage = conversation.usage();
    assert_eq!(usage.responses, 2);
    assert!(
        usage.input_tokens > 0 && usage.output_tokens > 0,
        "{usage:?}"
    );
}

#[tokio::test]
async fn a_dropped_connection_is_recycled_and_the_cut_response_is_lost() {
    let mut conversation = recycling("{}", Pace::Max, policy()).await;
    let commands = conversation.handle().clone();
    commands.add_user_text("drop now").await.unwrap();
    let mut request = commands.create_response(None).await.unwrap();
    let recycled = until_recycled(&mut conversation).await;
    assert!(
        matches!(recycled.reason, RecycleReason::Lost(_)),
        "{recycled:?}"
    );
    assert_eq!(request.finished().await, RequestState::Lost);
    carries_on(&mut conversation, commands).await;
}

#[tokio::test]
async fn an_auth_close_is_not_retried() {
    let mut conversation = recycling("{}", Pace::Max, policy()).await;
    conversation
        .handle()
        .add_user_text("unauthorized")
        .await
        .unwrap();
    conversation.handle().create_response(None).await.unwrap();
    let error = loop {
        match try_next(&mut conversation).await {
            Ok(Some(ConversationEvent::SessionRecycled(recycled))) => {
                panic!("must not recycle: {recycled:?}")
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("expected the close as an error"),
            Err(error) => break error,
        }
    };
    assert!(
        matches!(error, Error::Closed { code: 3000, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_maximum_duration_recycles_between_turns_never_mid_response() {
    let policy = policy().max_session_duration(Some(Duration::from_millis(300)));
    let mut conversation = recycling("{}", Pace::Speed(1.0), policy).await;
    let commands = conversation.handle().clone();
    // A reply that streams for longer than the session may last.
    update(
        &mut conversation,
        Session::realtime().output_modality(Modality::Audio),
    )
    .await;
    commands
        .add_user_text("tell me about the long history of the ships on the sea")
        .await
        .unwrap();
    commands.create_response(None).await.unwrap();
    let mut done = false;
    let recycled = loop {
        match next(&mut conversation).await {
            ConversationEvent::ResponseDone { .. } => done = true,
            ConversationEvent::SessionRecycled(recycled) => break recycled,
            ConversationEvent::Other(ServerEvent::ConversationItemTruncated(_)) => {}
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    };
    assert!(done, "recycled only after the response ended");
    assert_eq!(recycled.reason, RecycleReason::MaxSessionDuration);
    update(
        &mut conversation,
        Session::realtime().output_modality(Modality::Text),
    )
    .await;
    let reply = turn(&mut conversation, "still there?").await;
    assert_eq!(text(&reply), "I heard: still there?");
}
