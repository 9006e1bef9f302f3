//! Whole turns: text, audio, a function call round, barge-in, and the beta dialect.

use base64::Engine as _;
use futures_util::StreamExt;
use rtclient::protocol::{
    ClientEvent, ContentKind, ItemStatus, Modality, Role, ServerEvent, Session, StatusReason, Tool,
};
use rtclient::{ConversationEvent, Dialect, Interruption, ResponseOutcome};
use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;

use crate::server::{
    fast, next, outcome, scripted, start, text, text_only, turn, until_done, update,
};

#[tokio::test]
async fn text_turn_reports_events_in_order_and_keeps_the_items() {
    let mut conversation = fast().await;
    text_only(&mut conversation).await;
    let events = turn(&mut conversation, "hello there").await;

    let started = events
        .iter()
        .position(|e| matches!(e, ConversationEvent::ResponseStarted { .. }))
        .expect("response started");
    let first_delta = events
        .iter()
        .position(|e| matches!(e, ConversationEvent::TextDelta { .. }))
        .expect("text deltas");
    assert!(started < first_delta);
    let ConversationEvent::ResponseStarted { response_id } = &events[started] else {
        unreachable!()
    };
    assert_eq!(text(&events), "I heard: hello there");
    match events.last().unwrap() {
        ConversationEvent::ResponseDone {
            response_id: done_id,
            outcome,
            usage,
            response,
        } => {
            assert_eq!(done_id, response_id);
            assert_eq!(*outcome, ResponseOutcome::Completed);
            let usage = usage.as_ref().expect("usage");
            assert!(usage.total_tokens.unwrap() > 0, "{usage:?}");
            assert_eq!(response.output.as_ref().unwrap().len(), 1);
        }
        other => panic!("unexpected {other:?}"),
    }
    // The item lifecycle arrives too, as `Other`.
    assert!(events.iter().any(|e| matches!(
        e,
        ConversationEvent::Other(ServerEvent::ConversationItemAdded(_))
    )));

    let state = conversation.state();
    assert_eq!(state.active_response(), None);
    let roles: Vec<_> = state.items().iter().map(|item| item.role.clone()).collect();
    assert_eq!(roles, [Some(Role::User), Some(Role::Assistant)]);
    let reply = &state.items()[1].content.as_ref().unwrap()[0];
    assert_eq!(reply.text.as_deref(), Some("I heard: hello there"));
}

#[tokio::test]
async fn audio_reply_decodes_to_the_pcm_the_server_kept() {
    let mut conversation = fast().await;
    let events = turn(&mut conversation, "hello").await;
    assert_eq!(*outcome(&events), ResponseOutcome::Completed);

    let mut audio = Vec::new();
    let mut transcript = String::new();
    let mut item = None;
    for event in &events {
        match event {
            ConversationEvent::AudioDelta {
                item_id,
                audio: pcm,
                content_index,
                ..
            } => {
                assert_eq!(*content_index, 0);
                item = Some(item_id.clone());
                audio.extend_from_slice(pcm);
            }
            ConversationEvent::AudioTranscriptDelta { delta, .. } => transcript.push_str(delta),
            _ => {}
        }
    }
    let item_id = item.expect("audio deltas");
    assert_eq!(transcript, "I heard: hello");
    assert!(audio.len() > 4_800, "{} bytes", audio.len());
    assert_eq!(audio.len() % 2, 0, "PCM16 samples");

    let progress = conversation.state().audio(&item_id).unwrap();
    assert_eq!(progress.received_bytes(), audio.len() as u64);
    assert_eq!(progress.received_ms(), audio.len() as u64 / 48);
    assert!(progress.is_done());
    assert_eq!(
        conversation.state().last_audio_item(),
        Some(item_id.as_str())
    );

    // The server's copy of the item holds exactly the audio we decoded.
    conversation
        .handle()
        .send(ClientEvent::retrieve_item(&item_id))
        .await
        .unwrap();
    let retrieved = loop {
        if let ConversationEvent::Other(ServerEvent::ConversationItemRetrieved(retrieved)) =
            next(&mut conversation).await
        {
            break retrieved;
        }
    };
    let part = &retrieved.item.content.as_ref().unwrap()[0];
    assert_eq!(part.kind, Some(ContentKind::OutputAudio));
    let kept = base64::engine::general_purpose::STANDARD
        .decode(part.audio.as_ref().unwrap())
        .unwrap();
    assert_eq!(kept, audio);
}

#[tokio::test]
async fn function_call_round_with_submit_tool_output() {
    let mut conversation = scripted(
        r#"
rules:
  - when: weather
    call: get_weather
    arguments: {"city": "Paris"}
  - after_tool: get_weather
    say: "It is {output}."
"#,
    )
    .await;
    let tool = Tool::function(
        "get_weather",
        "The weather in a city.",
        serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}}),
    );
    update(
        &mut conversation,
        Session::realtime()
            .output_modality(Modality::Text)
            .tools(vec![tool]),
    )
    .await;

    let events = turn(&mut conversation, "What is the weather in Paris?").await;
    let calls: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::FunctionCall(call) => Some(call.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 1, "reported once: {events:?}");
    let call = &calls[0];
    assert_eq!(call.name, "get_weather");
    assert!(call.call_id.starts_with("call_"), "{}", call.call_id);
    let arguments: serde_json::Value = serde_json::from_str(&call.arguments).unwrap();
    assert_eq!(arguments, serde_json::json!({"city": "Paris"}));
    assert_eq!(*outcome(&events), ResponseOutcome::Completed);

    let sent = conversation
        .handle()
        .submit_tool_output(&call.call_id, "sunny")
        .await
        .unwrap();
    assert_ne!(Some(sent.item_event_id), sent.response.event_id());
    let answer = until_done(&mut conversation).await;
    assert_eq!(text(&answer), "It is sunny.");
    assert_eq!(*outcome(&answer), ResponseOutcome::Completed);
    assert!(
        !answer
            .iter()
            .any(|e| matches!(e, ConversationEvent::Error(_)))
    );
}

#[tokio::test]
async fn interrupt_cancels_and_truncates_to_the_audio_received() {
    let mut conversation = start(RealtimeSession::new().pace(Pace::Speed(1.0)), Dialect::Ga).await;
    let handle = conversation.handle().clone();
    handle
        .add_user_text("please say something long enough to interrupt it halfway")
        .await
        .unwrap();
    handle.create_response(None).await.unwrap();
    let mut deltas = 0;
    while deltas < 3 {
        if let ConversationEvent::AudioDelta { .. } = next(&mut conversation).await {
            deltas += 1;
        }
    }
    let item_id = conversation.state().last_audio_item().unwrap().to_owned();
    let received_ms = conversation.state().audio(&item_id).unwrap().received_ms();
    assert!(received_ms > 0);

    // The player claims more than arrived: the truncation is clamped.
    let interruption = conversation.interrupt(60_000).await.unwrap();
    assert!(interruption.cancel_event_id.is_some());
    let truncation = interruption.truncation.expect("a truncation");
    assert_eq!(truncation.item_id, item_id);
    assert_eq!(truncation.content_index, 0);
    assert_eq!(truncation.audio_end_ms, received_ms);

    let events = until_done(&mut conversation).await;
    assert_eq!(
        *outcome(&events),
        ResponseOutcome::Cancelled {
            reason: Some(StatusReason::ClientCancelled)
        }
    );
    let truncated = loop {
        match next(&mut conversation).await {
            ConversationEvent::Other(ServerEvent::ConversationItemTruncated(truncated)) => {
                break truncated;
            }
            ConversationEvent::Error(error) => panic!("unexpected error {error:?}"),
            _ => {}
        }
    };
    assert_eq!(truncated.item_id, item_id);
    assert_eq!(truncated.audio_end_ms, received_ms);
    let progress = conversation.state().audio(&item_id).unwrap();
    assert_eq!(progress.truncated_ms(), Some(received_ms));

    // Nothing is running now and the item is cut: a second interrupt sends nothing.
    assert_eq!(
        conversation.interrupt(60_000).await.unwrap(),
        Interruption::default()
    );

    // An earlier point than received is kept as is.
    let events = turn(&mut conversation, "and now something else that is long").await;
    assert_eq!(*outcome(&events), ResponseOutcome::Completed);
    let item_id = conversation.state().last_audio_item().unwrap().to_owned();
    let truncation = conversation.truncate(&item_id, 120).await.unwrap().unwrap();
    assert_eq!(truncation.audio_end_ms, 120);
    loop {
        if let ConversationEvent::Other(ServerEvent::ConversationItemTruncated(truncated)) =
            next(&mut conversation).await
        {
            assert_eq!(truncated.audio_end_ms, 120);
            break;
        }
    }
}

#[tokio::test]
async fn beta_dialect_turns_arrive_in_the_ga_model() {
    let mut conversation = start(RealtimeSession::new().pace(Pace::Max), Dialect::Beta).await;
    conversation
        .handle()
        .add_user_text("hello beta")
        .await
        .unwrap();
    conversation.handle().create_response(None).await.unwrap();

    // Read it as a stream this time.
    let mut events = Vec::new();
    while let Some(event) = conversation.next().await {
        let event = event.unwrap();
        let done = matches!(event, ConversationEvent::ResponseDone { .. });
        events.push(event);
        if done {
            break;
        }
    }
    assert_eq!(*outcome(&events), ResponseOutcome::Completed);
    let audio: usize = events
        .iter()
        .map(|e| match e {
            ConversationEvent::AudioDelta { audio, .. } => audio.len(),
            _ => 0,
        })
        .sum();
    assert!(audio > 0);
    let transcript: String = events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::AudioTranscriptDelta { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(transcript, "I heard: hello beta");
    // Beta announces items with `conversation.item.created`; the state has both, in order,
    // the assistant's in its final form.
    let items = conversation.state().items();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].role, Some(Role::User));
    assert_eq!(items[1].role, Some(Role::Assistant));
    assert_eq!(items[1].status, Some(ItemStatus::Completed));

    // The GA-model update is written in the beta shape; text replies follow.
    text_only(&mut conversation).await;
    let events = turn(&mut conversation, "text please").await;
    assert_eq!(text(&events), "I heard: text please");
}
