//! Metrics per turn against the local server: a spoken turn with server VAD and a typed one.

use rtclient::{ConversationEvent, Dialect, TurnMetrics, TurnStart};
use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;

use crate::server::{next, start};
use crate::voice::{say, speech};

/// The metrics after the next `response.done`, which must name the same response.
async fn turn_metrics(conversation: &mut rtclient::Conversation) -> TurnMetrics {
    let mut done = None;
    loop {
        match next(conversation).await {
            ConversationEvent::ResponseDone { response_id, .. } => done = Some(response_id),
            ConversationEvent::TurnMetrics(metrics) => {
                assert_eq!(done.as_ref(), Some(&metrics.response_id));
                return metrics;
            }
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_spoken_turn_reports_latencies_from_the_end_of_speech_and_its_tokens() {
    let speech = speech().await;
    let mut conversation = start(RealtimeSession::new().pace(Pace::Max), Dialect::Ga).await;
    say(&conversation, &speech, 300).await;
    let metrics = turn_metrics(&mut conversation).await;
    assert_eq!(metrics.start, TurnStart::SpeechStopped);
    assert!(metrics.first_audio.is_some(), "{metrics:?}");
    assert!(metrics.first_text.is_some(), "{metrics:?}");
    assert!(!metrics.cancelled);
    assert!(metrics.usage.input_tokens > 0, "{metrics:?}");
    assert!(metrics.usage.output_tokens > 0, "{metrics:?}");
    assert_eq!(metrics.usage.responses, 1);

    // A typed turn counts from response.created; usage adds up.
    conversation
        .handle()
        .add_user_text("and a typed one")
        .await
        .unwrap();
    conversation.handle().create_response(None).await.unwrap();
    let typed = turn_metrics(&mut conversation).await;
    assert_eq!(typed.start, TurnStart::ResponseCreated);
    let usage = conversation.usage();
    assert_eq!(usage.responses, 2);
    assert_eq!(
        usage.output_tokens,
        metrics.usage.output_tokens + typed.usage.output_tokens
    );
}
