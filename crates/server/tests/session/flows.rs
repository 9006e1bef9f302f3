//! The flows of DESIGN §4, event order and fields asserted.

use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;
use rtclient_server::Script;
use serde_json::{Value, json};

use crate::client::{
    Client, connect, connect_beta, connect_to, connect_with, kinds, output_audio, user_text,
};

async fn text_only(client: &mut Client) {
    client.expect("session.created").await;
    client.update(json!({"output_modalities": ["text"]})).await;
}

#[tokio::test]
async fn session_created_has_the_complete_default_config() {
    let mut client = connect().await;
    let created = client.expect("session.created").await;
    let s = &created["session"];
    assert!(created["event_id"].as_str().unwrap().starts_with("event_"));
    assert_eq!(s["type"], "realtime");
    assert_eq!(s["object"], "realtime.session");
    assert!(s["id"].as_str().unwrap().starts_with("sess_"));
    assert_eq!(s["model"], "gpt-realtime");
    assert_eq!(s["output_modalities"], json!(["audio"]));
    assert_eq!(s["tools"], json!([]));
    assert_eq!(s["tool_choice"], "auto");
    assert_eq!(s["max_output_tokens"], "inf");
    assert!(s["tracing"].is_null() && s["prompt"].is_null() && s["include"].is_null());
    assert_eq!(s["truncation"], "auto");
    assert!(s["expires_at"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(
        s["audio"]["input"],
        json!({"format": {"type": "audio/pcm", "rate": 24000}, "transcription": null,
            "noise_reduction": null, "turn_detection": {"type": "server_vad", "threshold": 0.5,
            "prefix_padding_ms": 300, "silence_duration_ms": 200, "idle_timeout_ms": null,
            "create_response": true, "interrupt_response": true}})
    );
    assert_eq!(
        s["audio"]["output"],
        json!({"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0})
    );
}

#[tokio::test]
async fn transcription_intent_gets_a_transcription_session() {
    let mut client = connect_with(
        RealtimeSession::new().pace(Pace::Max),
        "/v1/realtime?intent=transcription",
        false,
    )
    .await;
    let created = client.expect("session.created").await;
    assert_eq!(created["session"]["type"], "transcription");
}

#[tokio::test]
async fn session_update_answers_the_whole_effective_config() {
    let mut client = connect().await;
    client.expect("session.created").await;
    let updated = client.update(json!({"instructions": "Reply in a few words.", "audio": {"input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 500}, "transcription": {"model": "whisper-1"}}, "output": {"format": {"type": "audio/pcmu"}, "voice": "marin"}}})).await;
    let s = &updated["session"];
    assert_eq!(s["instructions"], "Reply in a few words.");
    assert_eq!(s["tool_choice"], "auto");
    assert_eq!(
        s["audio"]["input"]["turn_detection"]["silence_duration_ms"],
        500
    );
    assert_eq!(s["audio"]["input"]["turn_detection"]["threshold"], 0.5);
    assert_eq!(
        s["audio"]["input"]["transcription"],
        json!({"model": "whisper-1", "language": null, "prompt": null})
    );
    assert_eq!(
        s["audio"]["output"]["format"],
        json!({"type": "audio/pcmu"})
    );
    assert_eq!(s["audio"]["output"]["voice"], "marin");
}

#[tokio::test]
async fn items_create_retrieve_delete_with_previous_item_id() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client.send(user_text("first")).await;
    let a = client.expect("conversation.item.added").await;
    assert!(a["previous_item_id"].is_null());
    assert_eq!(a["item"]["status"], "completed");
    assert_eq!(a["item"]["content"][0]["text"], "first");
    let done = client.expect("conversation.item.done").await;
    assert_eq!(done["item"], a["item"]);
    let first = a["item"]["id"].as_str().unwrap().to_owned();
    assert!(first.starts_with("item_"));
    client.send(user_text("second")).await;
    let b = client.expect("conversation.item.added").await;
    assert_eq!(b["previous_item_id"], first.as_str());
    client.expect("conversation.item.done").await;
    let mut root = user_text("zeroth");
    root["previous_item_id"] = json!("root");
    client.send(root).await;
    let c = client.expect("conversation.item.added").await;
    assert!(c["previous_item_id"].is_null());
    client.expect("conversation.item.done").await;
    client
        .send(json!({"type": "conversation.item.retrieve", "item_id": first}))
        .await;
    let retrieved = client.expect("conversation.item.retrieved").await;
    assert_eq!(retrieved["item"]["content"][0]["text"], "first");
    client
        .send(json!({"type": "conversation.item.delete", "item_id": first}))
        .await;
    let deleted = client.expect("conversation.item.deleted").await;
    assert_eq!(deleted["item_id"], first.as_str());
}

#[tokio::test]
async fn text_response_follows_the_recorded_order() {
    let mut client = connect().await;
    text_only(&mut client).await;
    let user = client.add_user_text("What is my name?").await;
    client
        .send(json!({"type": "response.create", "response": {"metadata": {"k": "v"}}}))
        .await;
    let events = client.until("rate_limits.updated").await;
    let mut order = kinds(&events);
    order.dedup();
    assert_eq!(
        order,
        [
            "response.created",
            "response.output_item.added",
            "conversation.item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "conversation.item.done",
            "response.output_item.done",
            "response.done",
            "rate_limits.updated"
        ]
    );
    let created = &events[0]["response"];
    assert_eq!(created["status"], "in_progress");
    assert_eq!(created["output"], json!([]));
    assert_eq!(created["metadata"], json!({"k": "v"}));
    assert!(
        created["conversation_id"]
            .as_str()
            .unwrap()
            .starts_with("conv_")
    );
    assert!(created["usage"].is_null());
    let added = &events[2];
    assert_eq!(added["previous_item_id"], user["item"]["id"]);
    assert_eq!(events[3]["part"], json!({"type": "text", "text": ""}));
    let text: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(text, "I heard: What is my name?");
    let done = &events[events.len() - 2]["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["output"][0]["content"][0]["type"], "output_text");
    assert_eq!(done["output"][0]["content"][0]["text"], text.as_str());
    assert!(done["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn audio_response_streams_speech_and_can_be_truncated() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client.add_user_text("hello there").await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("rate_limits.updated").await;
    let mut order: Vec<&str> = kinds(&events)
        .into_iter()
        .map(|k| match k {
            "response.output_audio_transcript.delta" | "response.output_audio.delta" => "delta",
            other => other,
        })
        .collect();
    order.dedup();
    assert_eq!(
        order,
        [
            "response.created",
            "response.output_item.added",
            "conversation.item.added",
            "response.content_part.added",
            "delta",
            "response.output_audio.done",
            "response.output_audio_transcript.done",
            "response.content_part.done",
            "conversation.item.done",
            "response.output_item.done",
            "response.done",
            "rate_limits.updated"
        ]
    );
    let audio_deltas = events
        .iter()
        .filter(|e| e["type"] == "response.output_audio.delta")
        .count();
    assert!(audio_deltas > 2, "{audio_deltas} audio deltas");
    let transcript: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_audio_transcript.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(transcript, "I heard: hello there");
    let done = &events[events.len() - 2]["response"];
    assert_eq!(done["output"][0]["content"][0]["type"], "output_audio");
    assert_eq!(
        done["output"][0]["content"][0]["transcript"],
        transcript.as_str()
    );
    let item_id = done["output"][0]["id"].as_str().unwrap().to_owned();
    // Retrieve includes the audio.
    client
        .send(json!({"type": "conversation.item.retrieve", "item_id": item_id}))
        .await;
    let retrieved = client.expect("conversation.item.retrieved").await;
    assert!(
        retrieved["item"]["content"][0]["audio"]
            .as_str()
            .unwrap()
            .len()
            > 1000
    );
    // Beyond the audio: the service's error.
    client
        .send(
            json!({"type": "conversation.item.truncate", "item_id": item_id,
            "content_index": 0, "audio_end_ms": 999_999}),
        )
        .await;
    let error = client.expect("error").await;
    assert_eq!(error["error"]["code"], "invalid_value");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("is already shorter than 999999ms")
    );
    client
        .send(
            json!({"type": "conversation.item.truncate", "item_id": item_id,
            "content_index": 0, "audio_end_ms": 300}),
        )
        .await;
    let truncated = client.expect("conversation.item.truncated").await;
    assert_eq!(truncated["audio_end_ms"], 300);
    // Voice change after audio is refused.
    client
        .send(
            json!({"type": "session.update", "session": {"type": "realtime",
            "audio": {"output": {"voice": "marin"}}}}),
        )
        .await;
    let error = client.expect("error").await;
    assert_eq!(error["error"]["code"], "cannot_update_voice");
}

#[tokio::test]
async fn function_call_round() {
    let script = Script::from_yaml(
        "rules:\n  - when: weather\n    call: get_weather\n    arguments: {\"city\": \"London\"}\n  - after_tool: get_weather\n    say: \"Tool said {output}\"\n",
    )
    .unwrap();
    let mut client = connect_to(RealtimeSession::new().pace(Pace::Max).responder(script)).await;
    client.expect("session.created").await;
    client.update(json!({"output_modalities": ["text"], "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]})).await;
    client.add_user_text("What is the weather in London?").await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("rate_limits.updated").await;
    let mut order = kinds(&events);
    order.dedup();
    assert_eq!(
        order,
        [
            "response.created",
            "response.output_item.added",
            "conversation.item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "conversation.item.done",
            "response.output_item.done",
            "response.done",
            "rate_limits.updated"
        ]
    );
    let args_done = events
        .iter()
        .find(|e| e["type"] == "response.function_call_arguments.done")
        .unwrap();
    assert_eq!(args_done["name"], "get_weather");
    let call_id = args_done["call_id"].as_str().unwrap().to_owned();
    assert!(call_id.starts_with("call_"));
    let args: Value = serde_json::from_str(args_done["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"city": "London"}));
    client
        .send(
            json!({"type": "conversation.item.create", "item": {"type": "function_call_output",
            "call_id": call_id, "output": "foggy"}}),
        )
        .await;
    client.expect("conversation.item.added").await;
    client.expect("conversation.item.done").await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("rate_limits.updated").await;
    let done = &events[events.len() - 2]["response"];
    assert_eq!(done["output"][0]["content"][0]["text"], "Tool said foggy");
    // With tool_choice none the tool is not offered, so the script's call rule cannot fire.
    client.add_user_text("And the weather in Paris?").await;
    client
        .send(json!({"type": "response.create", "response": {"tool_choice": "none"}}))
        .await;
    let events = client.until("response.done").await;
    let done = &events.last().unwrap()["response"];
    assert_eq!(done["output"][0]["type"], "message");
}

#[tokio::test]
async fn one_active_response_and_cancel() {
    let mut client = connect_to(RealtimeSession::new().pace(Pace::Speed(1.0))).await;
    client.expect("session.created").await;
    client
        .add_user_text("please say something long enough")
        .await;
    client.send(json!({"type": "response.create"})).await;
    let created = client.expect("response.created").await;
    client
        .send(json!({"type": "response.create", "event_id": "evt_second"}))
        .await;
    client.send(json!({"type": "response.cancel"})).await;
    let mut error = None;
    let events = client.until("response.done").await;
    for e in &events {
        assert_ne!(e["type"], "response.created", "a second response started");
        if e["type"] == "error" {
            error = Some(e.clone());
        }
    }
    let error = error.expect("an error for the second response.create");
    assert_eq!(
        error["error"]["code"],
        "conversation_already_has_active_response"
    );
    assert_eq!(error["error"]["event_id"], "evt_second");
    let done = &events.last().unwrap()["response"];
    assert_eq!(done["id"], created["response"]["id"]);
    assert_eq!(done["status"], "cancelled");
    assert_eq!(
        done["status_details"],
        json!({"type": "cancelled", "reason": "client_cancelled"})
    );
    client.expect("rate_limits.updated").await;
    client.quiet().await;
}

#[tokio::test]
async fn out_of_band_response_stays_out_of_the_conversation() {
    let mut client = connect().await;
    text_only(&mut client).await;
    client
        .send(
            json!({"type": "response.create", "response": {"conversation": "none",
            "input": [{"type": "message", "role": "user",
                "content": [{"type": "input_text", "text": "classify this"}]}]}}),
        )
        .await;
    let events = client.until("rate_limits.updated").await;
    assert!(!kinds(&events).contains(&"conversation.item.added"));
    let done = &events[events.len() - 2]["response"];
    assert_eq!(
        done["output"][0]["content"][0]["text"],
        "I heard: classify this"
    );
}

#[tokio::test]
async fn beta_dialect_uses_beta_names() {
    let mut client = connect_beta().await;
    let created = client.expect("session.created").await;
    assert_eq!(
        created["session"]["turn_detection"]["silence_duration_ms"],
        500
    );
    assert_eq!(created["session"]["output_audio_format"], "pcm16");
    client.send(user_text("hi")).await;
    let created = client.expect("conversation.item.created").await;
    assert_eq!(created["item"]["object"], "realtime.item");
    assert_eq!(created["item"]["content"][0]["text"], "hi");
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    let names = kinds(&events);
    assert!(names.contains(&"response.audio.delta"));
    assert!(names.contains(&"response.audio_transcript.done"));
    assert!(names.contains(&"conversation.item.created"));
    assert!(!names.contains(&"conversation.item.done"));
    let done = &events.last().unwrap()["response"];
    assert_eq!(done["modalities"], json!(["text", "audio"]));
    assert_eq!(done["output"][0]["object"], "realtime.item");
    assert_eq!(done["output"][0]["content"][0]["type"], "audio");
    assert_eq!(done["output"][0]["content"][0]["transcript"], "I heard: hi");
}

#[tokio::test]
async fn max_output_tokens_cuts_the_reply_as_incomplete() {
    let mut client = connect().await;
    text_only(&mut client).await;
    client
        .add_user_text("one two three four five six seven eight nine ten")
        .await;
    client
        .send(json!({"type": "response.create", "response": {"max_output_tokens": 4}}))
        .await;
    let events = client.until("response.done").await;
    let done = &events.last().unwrap()["response"];
    assert_eq!(done["status"], "incomplete");
    assert_eq!(
        done["status_details"],
        json!({"type": "incomplete", "reason": "max_output_tokens"})
    );
    assert_eq!(done["max_output_tokens"], 4);
    assert_eq!(done["output"][0]["status"], "incomplete");
    // A token per four characters: "I heard: one two" is the most that fits in 4.
    assert_eq!(done["output"][0]["content"][0]["text"], "I heard: one two");
    assert_eq!(done["usage"]["output_token_details"]["text_tokens"], 4);
}

#[tokio::test]
async fn cancelled_audio_response_keeps_its_partial_audio_for_truncate() {
    let mut client = connect_to(RealtimeSession::new().pace(Pace::Speed(1.0))).await;
    client.expect("session.created").await;
    client
        .add_user_text("please say something long enough to interrupt")
        .await;
    client.send(json!({"type": "response.create"})).await;
    let first_audio = client.until("response.output_audio.delta").await;
    let item_id = first_audio
        .iter()
        .find(|e| e["type"] == "response.output_item.added")
        .map(|e| e["item"]["id"].clone())
        .unwrap();
    client.until("response.output_audio.delta").await;
    client.send(json!({"type": "response.cancel"})).await;
    let events = client.until("response.done").await;
    let done = &events.last().unwrap()["response"];
    assert_eq!(done["status"], "cancelled");
    assert_eq!(done["output"][0]["id"], item_id);
    assert_eq!(done["output"][0]["status"], "incomplete");
    assert_eq!(done["output"][0]["content"][0]["type"], "output_audio");
    client.expect("rate_limits.updated").await;
    client
        .send(
            json!({"type": "conversation.item.truncate", "item_id": item_id,
            "content_index": 0, "audio_end_ms": 50}),
        )
        .await;
    let truncated = client.expect("conversation.item.truncated").await;
    assert_eq!(truncated["audio_end_ms"], 50);
}

#[tokio::test]
async fn response_audio_overrides_the_session_voice_and_format_for_one_response() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client.add_user_text("hello").await;
    let mut audio = Vec::new();
    for params in [
        json!({"conversation": "none"}),
        json!({"conversation": "none", "audio": {"output": {"voice": "verse"}}}),
        json!({"conversation": "none", "audio": {"output": {"format": {"type": "audio/pcmu"}}}}),
    ] {
        client
            .send(json!({"type": "response.create", "response": params}))
            .await;
        let events = client.until("rate_limits.updated").await;
        let created = &events[0]["response"]["audio"]["output"];
        let done = &events[events.len() - 2]["response"];
        assert_eq!(&done["audio"]["output"], created);
        audio.push((created.clone(), output_audio(&events)));
    }
    let [(session, pcm), (verse, other_voice), (pcmu, g711)] = &audio[..] else {
        unreachable!()
    };
    assert_eq!(
        session,
        &json!({"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"})
    );
    assert_eq!(verse["voice"], "verse");
    assert_eq!(pcmu["format"], json!({"type": "audio/pcmu"}));
    assert_eq!(pcmu["voice"], "alloy");
    // Another voice speaks the same words differently.
    assert_ne!(pcm, other_voice);
    // G.711 at 8 kHz: one byte per sample, a sixth of 24 kHz PCM16.
    let ratio = pcm.len() as f64 / g711.len() as f64;
    assert!((5.9..6.1).contains(&ratio), "PCM/G.711 size ratio {ratio}");
    // The session itself is unchanged.
    client
        .send(json!({"type": "session.update", "session": {"type": "realtime"}}))
        .await;
    let updated = client.expect("session.updated").await;
    assert_eq!(updated["session"]["audio"]["output"]["voice"], "alloy");
}

#[tokio::test]
async fn response_audio_format_is_validated() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client
        .send(
            json!({"type": "response.create", "event_id": "r1", "response":
            {"audio": {"output": {"format": {"type": "audio/mp3"}}}}}),
        )
        .await;
    let error = client.expect("error").await["error"].clone();
    assert_eq!(error["code"], "invalid_value");
    assert_eq!(error["param"], "response.audio.output.format.type");
    assert_eq!(error["event_id"], "r1");
    client.quiet().await;
}

#[tokio::test]
async fn beta_temperature_is_kept_checked_and_reported_on_responses() {
    let mut client = connect_beta().await;
    let created = client.expect("session.created").await;
    assert_eq!(created["session"]["temperature"], 0.8);
    assert!(created["session"]["client_secret"].is_null());
    client
        .send(json!({"type": "session.update", "session": {"temperature": 1.1}}))
        .await;
    let updated = client.expect("session.updated").await;
    assert_eq!(updated["session"]["temperature"], 1.1);
    client
        .send(json!({"type": "session.update", "event_id": "hot",
            "session": {"temperature": 2.0, "voice": "verse"}}))
        .await;
    let error = client.expect("error").await["error"].clone();
    assert_eq!(error["code"], "decimal_above_max_value");
    assert_eq!(error["param"], "session.temperature");
    assert_eq!(error["event_id"], "hot");
    client
        .send(json!({"type": "response.create", "response": {"modalities": ["text"]}}))
        .await;
    let created = client.expect("response.created").await;
    assert_eq!(created["response"]["temperature"], 1.1);
    let done = client.until("response.done").await;
    assert_eq!(done.last().unwrap()["response"]["temperature"], 1.1);
    // Nothing of the refused update was applied.
    client
        .send(json!({"type": "session.update", "session": {}}))
        .await;
    let updated = client.until("session.updated").await;
    assert_eq!(updated.last().unwrap()["session"]["voice"], "alloy");
}
