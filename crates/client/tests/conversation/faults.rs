//! Errors that do not stick, scripted failures and a dropped connection.

use rtclient::protocol::Session;
use rtclient::{ConversationEvent, Error, ResponseOutcome};

use crate::server::{fast, next, outcome, scripted, text, text_only, try_next, turn, update};

const SCRIPT: &str = r#"
rules:
  - when: break
    error: {code: overloaded, message: "The engine is overloaded."}
  - when: drop
    say: "This reply is cut short."
    drop: {after_events: 3}
"#;

/// The next event, which must be an API error; returns its code and the event id it names.
async fn api_error(conversation: &mut rtclient::Conversation) -> (String, Option<String>) {
    loop {
        match next(conversation).await {
            ConversationEvent::Error(error) => {
                return (
                    error.code.and_then(|c| c.into_option()).unwrap_or_default(),
                    error.event_id.and_then(|id| id.into_option()),
                );
            }
            ConversationEvent::Other(_) => {}
            other => panic!("expected an error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn errors_are_reported_once_and_the_next_turn_works() {
    let mut conversation = fast().await;
    text_only(&mut conversation).await;
    let handle = conversation.handle().clone();

    let cancel = handle.cancel_response().await.unwrap();
    assert_eq!(
        api_error(&mut conversation).await,
        ("response_cancel_not_active".to_owned(), Some(cancel))
    );
    let commit = handle.commit_audio().await.unwrap();
    assert_eq!(
        api_error(&mut conversation).await,
        ("input_audio_buffer_commit_empty".to_owned(), Some(commit))
    );
    // A GA update with a beta field: refused whole.
    let mut bad = Session::realtime();
    bad.extra
        .insert("modalities".to_owned(), serde_json::json!(["text"]));
    let update_id = handle.update_session(bad).await.unwrap();
    let (code, caused_by) = api_error(&mut conversation).await;
    assert_eq!(code, "unknown_parameter");
    assert_eq!(caused_by, Some(update_id));

    // Everything still works: audio in, committed...
    handle.send_audio(&[0u8; 9_600]).await.unwrap();
    handle.commit_audio().await.unwrap();
    let committed = loop {
        match next(&mut conversation).await {
            ConversationEvent::InputCommitted { item_id, .. } => break item_id,
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    };
    // ... and a whole turn.
    let events = turn(&mut conversation, "still there?").await;
    assert_eq!(*outcome(&events), ResponseOutcome::Completed);
    assert_eq!(text(&events), "I heard: still there?");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ConversationEvent::Error(_)))
    );
    assert!(conversation.state().item(&committed).is_some());
}

#[tokio::test]
async fn a_scripted_failure_is_a_failed_outcome_and_the_next_turn_works() {
    let mut conversation = scripted(SCRIPT).await;
    text_only(&mut conversation).await;
    let events = turn(&mut conversation, "break it").await;
    let error = events
        .iter()
        .find_map(|e| match e {
            ConversationEvent::Error(error) => Some(error.clone()),
            _ => None,
        })
        .expect("an error event");
    assert_eq!(error.message.as_deref(), Some("The engine is overloaded."));
    match outcome(&events) {
        ResponseOutcome::Failed { error: Some(error) } => {
            assert_eq!(
                error.code.clone().and_then(|c| c.into_option()).as_deref(),
                Some("overloaded")
            );
        }
        other => panic!("expected a failed outcome, got {other:?}"),
    }
    assert_eq!(conversation.state().active_response(), None);

    let events = turn(&mut conversation, "hello again").await;
    assert_eq!(*outcome(&events), ResponseOutcome::Completed);
}

#[tokio::test]
async fn a_dropped_connection_ends_next_event_with_connection_lost() {
    let mut conversation = scripted(SCRIPT).await;
    text_only(&mut conversation).await;
    conversation
        .handle()
        .add_user_text("drop now")
        .await
        .unwrap();
    conversation.handle().create_response(None).await.unwrap();
    let error = loop {
        match try_next(&mut conversation).await {
            Ok(Some(ConversationEvent::ResponseDone { .. })) => panic!("the response must not end"),
            Ok(Some(_)) => {}
            Ok(None) => panic!("expected an error, the connection just ended"),
            Err(error) => break error,
        }
    };
    assert!(matches!(error, Error::ConnectionLost { .. }), "{error:?}");
    assert!(!error.is_recoverable());
    // The response was never finished: the state says so rather than pretending.
    assert!(conversation.state().active_response().is_some());
}

#[tokio::test]
async fn update_returns_the_effective_session() {
    let mut conversation = fast().await;
    let session = update(
        &mut conversation,
        Session::realtime().instructions("Be brief."),
    )
    .await;
    assert_eq!(session.instructions.as_deref(), Some("Be brief."));
    assert_eq!(
        conversation
            .state()
            .session()
            .unwrap()
            .instructions
            .as_deref(),
        Some("Be brief.")
    );
}
