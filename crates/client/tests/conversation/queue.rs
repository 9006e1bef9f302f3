//! Response queueing: `create_response` while a response runs is queued, not refused, and each
//! handle resolves to exactly the response it asked for.

use rtclient::protocol::Session;
use rtclient::{ConversationEvent, Dialect, RequestState, ResponseOutcome};
use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;

use crate::server::{next, scripted, start, text_only, update};
use crate::voice::{say, speech};

/// Reads events until `count` responses ended; returns the ended response ids in order and
/// fails on any error event.
async fn until_responses_done(
    conversation: &mut rtclient::Conversation,
    count: usize,
) -> Vec<String> {
    let mut done = Vec::new();
    while done.len() < count {
        match next(conversation).await {
            ConversationEvent::ResponseDone { response_id, .. } => done.push(response_id),
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    }
    done
}

#[tokio::test]
async fn two_requests_during_a_vad_response_each_get_their_own() {
    let speech = speech().await;
    let mut conversation = start(RealtimeSession::new().pace(Pace::Max), Dialect::Ga).await;
    update(
        &mut conversation,
        Session::realtime().instructions("Answer briefly."),
    )
    .await;
    say(&conversation, &speech, 300).await;
    // Server VAD starts a response on its own.
    let vad_response = loop {
        match next(&mut conversation).await {
            ConversationEvent::ResponseStarted { response_id } => break response_id,
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    };
    let handle = conversation.handle().clone();
    let mut first = handle.create_response(None).await.unwrap();
    let mut second = handle.create_response(None).await.unwrap();
    assert_eq!(first.state(), RequestState::Queued);
    assert_eq!(second.state(), RequestState::Queued);

    let ended = until_responses_done(&mut conversation, 3).await;
    assert_eq!(ended[0], vad_response);
    let first_id = first.started().await.unwrap();
    let second_id = second.started().await.unwrap();
    assert_eq!(ended[1..], [first_id.clone(), second_id.clone()]);
    assert_ne!(first_id, vad_response);
    assert_ne!(first_id, second_id);
    for request in [&mut first, &mut second] {
        match request.finished().await {
            RequestState::Done { outcome, .. } => assert_eq!(outcome, ResponseOutcome::Completed),
            other => panic!("expected done, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_request_racing_a_vad_response_is_queued_again_not_refused() {
    let speech = speech().await;
    let mut conversation = start(RealtimeSession::new().pace(Pace::Max), Dialect::Ga).await;
    say(&conversation, &speech, 300).await;
    // Sent before the VAD response is seen: the server may refuse it; either way it gets its
    // own response after the VAD one and no error reaches the application.
    let mut request = conversation.handle().create_response(None).await.unwrap();
    let ended = until_responses_done(&mut conversation, 2).await;
    let own = request.started().await.unwrap();
    assert_eq!(ended[1], own);
    assert!(matches!(
        request.finished().await,
        RequestState::Done { .. }
    ));
}

#[tokio::test]
async fn cancelling_queued_and_not_yet_created_requests() {
    // Each reply stalls after `response.created`, so the cancel sent when the client sees it
    // reaches the server while the response still runs (at full speed a text reply can be
    // done before the cancel arrives; that cancel is then answered with an error).
    let mut conversation =
        scripted("rules:\n  - when: hello\n    say: Hi there!\n    delay_ms: 500\n").await;
    text_only(&mut conversation).await;
    let handle = conversation.handle().clone();
    handle.add_user_text("hello").await.unwrap();
    let mut running = handle.create_response(None).await.unwrap();
    // Sent, not created yet: cancelled as soon as the server creates it.
    assert!(running.event_id().is_some());
    let mut queued = handle.create_response(None).await.unwrap();
    let mut last = handle.create_response(None).await.unwrap();
    assert_eq!(running.cancel().await.unwrap(), None);
    assert_eq!(queued.cancel().await.unwrap(), None);
    assert_eq!(queued.finished().await, RequestState::Cancelled);

    let ended = until_responses_done(&mut conversation, 2).await;
    match running.finished().await {
        RequestState::Done {
            response_id,
            outcome,
        } => {
            assert_eq!(response_id, ended[0]);
            assert!(
                matches!(outcome, ResponseOutcome::Cancelled { .. }),
                "{outcome:?}"
            );
        }
        other => panic!("expected a cancelled response, got {other:?}"),
    }
    assert_eq!(last.started().await.unwrap(), ended[1]);
    assert!(matches!(
        last.finished().await,
        RequestState::Done {
            outcome: ResponseOutcome::Completed,
            ..
        }
    ));
}
