//! Barge-in through a playback tracker: the user speaks over a spoken reply and the
//! conversation truncates it at the played position, clamped to the audio received, without
//! a truncation the server refuses.

use rtclient::protocol::ServerEvent;
use rtclient::{
    Conversation, ConversationEvent, Dialect, PacedPlayback, PlaybackTracker, ReportedPlayback,
    Truncation,
};
use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;

use crate::server::{next, start};
use crate::voice::{say, speech};

/// A spoken reply at real time, interrupted by speech after its first audio arrived (`on_audio`
/// runs then, with the item id). Returns the barge-in's truncation, the audio received when it
/// was made, and the server's `audio_end_ms`.
async fn interrupted(
    tracker: impl PlaybackTracker + 'static,
    on_audio: impl FnOnce(&str),
) -> (Truncation, u64, u64) {
    let speech = speech().await;
    let mut conversation = start(RealtimeSession::new().pace(Pace::Speed(1.0)), Dialect::Ga).await;
    conversation.set_playback(tracker);
    let handle = conversation.handle().clone();
    handle
        .add_user_text("please tell me a long story about the sea and the ships on it")
        .await
        .unwrap();
    handle.create_response(None).await.unwrap();
    let item_id = loop {
        if let ConversationEvent::AudioDelta { item_id, .. } = next(&mut conversation).await {
            break item_id;
        }
    };
    on_audio(&item_id);
    say(&conversation, &speech, 200).await;
    let (truncation, received_ms) = loop {
        match next(&mut conversation).await {
            ConversationEvent::BargeIn(interruption) => {
                assert_eq!(interruption.cancel_event_id, None, "the server cancels");
                let received = received(&conversation, &item_id);
                break (interruption.truncation.expect("a truncation"), received);
            }
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    };
    assert_eq!(truncation.item_id, item_id);
    let truncated = loop {
        match next(&mut conversation).await {
            ConversationEvent::Other(ServerEvent::ConversationItemTruncated(event)) => break event,
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    };
    assert_eq!(truncated.item_id, item_id);
    (truncation, received_ms, truncated.audio_end_ms)
}

fn received(conversation: &Conversation, item_id: &str) -> u64 {
    conversation.state().audio(item_id).unwrap().received_ms()
}

#[tokio::test]
async fn a_barge_in_before_anything_played_truncates_at_zero() {
    let (truncation, received_ms, server_ms) = interrupted(ReportedPlayback::new(), |_| {}).await;
    assert!(received_ms > 0);
    assert_eq!(truncation.audio_end_ms, 0);
    assert_eq!(server_ms, 0);
}

#[tokio::test]
async fn a_barge_in_past_the_audio_received_is_clamped() {
    let player = ReportedPlayback::new();
    let reports = player.clone();
    let (truncation, received_ms, server_ms) =
        interrupted(player, |item_id| reports.report(item_id, 600_000)).await;
    assert_eq!(truncation.audio_end_ms, received_ms);
    assert_eq!(server_ms, received_ms);
}

#[tokio::test]
async fn paced_playback_truncates_within_the_audio_received() {
    let (truncation, received_ms, server_ms) = interrupted(PacedPlayback::new(), |_| {}).await;
    assert!(truncation.audio_end_ms <= received_ms);
    assert_eq!(server_ms, truncation.audio_end_ms);
}
