//! The frame hook: every frame sent and received, as the text on the wire, in order.

use std::sync::{Arc, Mutex};

use rtclient::{ConversationEvent, Dialect, FrameDirection};
use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;

use crate::server::{next, start, turn};

#[tokio::test]
async fn frames_are_seen_as_on_the_wire_in_both_directions() {
    let mut conversation = start(RealtimeSession::new().pace(Pace::Max), Dialect::Beta).await;
    let frames: Arc<Mutex<Vec<(FrameDirection, serde_json::Value)>>> = Arc::default();
    let seen = Arc::clone(&frames);
    conversation.observe_frames(move |direction, text| {
        let frame = serde_json::from_str(text).unwrap();
        seen.lock().unwrap().push((direction, frame));
    });
    // A clone taken before still sends through the hook.
    let commands = conversation.handle().clone();
    commands.add_user_text("hello frames").await.unwrap();
    let request = commands.create_response(None).await.unwrap();
    let response_id = loop {
        let event = next(&mut conversation).await;
        if let ConversationEvent::ResponseDone { response_id, .. } = &event {
            break response_id.clone();
        }
    };
    assert_eq!(request.response_id(), Some(response_id));
    let _ = turn(&mut conversation, "again").await;

    let frames = frames.lock().unwrap();
    let kinds = |direction| -> Vec<String> {
        frames
            .iter()
            .filter(|(d, _)| *d == direction)
            .map(|(_, frame)| frame["type"].as_str().unwrap().to_owned())
            .collect()
    };
    let sent = kinds(FrameDirection::Sent);
    assert_eq!(
        sent,
        [
            "conversation.item.create",
            "response.create",
            "conversation.item.create",
            "response.create"
        ]
    );
    // Received frames are the beta wire names, not the GA model's.
    let received = kinds(FrameDirection::Received);
    assert!(
        received.contains(&"response.audio.delta".to_owned()),
        "{received:?}"
    );
    assert!(!received.contains(&"response.output_audio.delta".to_owned()));
    assert_eq!(received.iter().filter(|k| *k == "response.done").count(), 2);
}
