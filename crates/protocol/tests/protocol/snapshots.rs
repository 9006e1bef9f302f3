//! The exact wire JSON of the common client events, in both dialects.

use rtclient_protocol::{
    AudioFormat, ClientEvent, Dialect, Eagerness, Item, Modality, NoiseReductionKind,
    ResponseCreateParams, ServerVad, Session,
};

fn common_events() -> Vec<(&'static str, ClientEvent)> {
    vec![
        (
            "session_update_server_vad",
            ClientEvent::session_update(
                Session::realtime()
                    .instructions("You are terse.")
                    .server_vad(ServerVad {
                        threshold: 0.5,
                        prefix_padding_ms: 300,
                        silence_duration_ms: 200,
                        ..Default::default()
                    }),
            ),
        ),
        (
            "session_update_vad_off",
            ClientEvent::session_update(Session::realtime().turn_detection(None)),
        ),
        ("append", ClientEvent::append_audio(&[0, 1, 2, 3, 254, 255])),
        ("commit", ClientEvent::commit()),
        ("clear", ClientEvent::clear_input()),
        (
            "create_item_user_text",
            ClientEvent::create_item(Item::user_text("What's the weather?")),
        ),
        (
            "create_item_assistant_text",
            ClientEvent::create_item(Item::assistant_text("Sunny.")),
        ),
        (
            "create_item_function_output",
            ClientEvent::create_item(Item::function_call_output("call_1", r#"{"temp":21}"#)),
        ),
        ("create_response", ClientEvent::create_response()),
        ("cancel_response", ClientEvent::cancel_response()),
        ("truncate", ClientEvent::truncate("item_1", 0, 1500)),
        (
            "session_update_transcription",
            ClientEvent::session_update(
                Session::transcription()
                    .input_format(AudioFormat::pcmu())
                    .input_transcription(Some("gpt-4o-transcribe"))
                    .semantic_vad(Eagerness::High)
                    .noise_reduction(Some(NoiseReductionKind::FarField)),
            ),
        ),
        (
            "create_response_out_of_band",
            ClientEvent::create_response_with(
                ResponseCreateParams::default()
                    .instructions("Summarize.")
                    .output_modality(Modality::Text)
                    .out_of_band(),
            ),
        ),
    ]
}

#[test]
fn ga_wire() {
    for (name, ev) in common_events() {
        insta::assert_snapshot!(
            format!("ga_{name}"),
            Dialect::Ga.client_event_to_json(&ev).unwrap()
        );
    }
}

#[test]
fn beta_wire() {
    for (name, ev) in common_events() {
        insta::assert_snapshot!(
            format!("beta_{name}"),
            Dialect::Beta.client_event_to_json(&ev).unwrap()
        );
    }
}

#[test]
fn event_id_is_written() {
    let mut ev = ClientEvent::append_base64("AAAA".into());
    ev.set_event_id("evt_1".into());
    assert_eq!(ev.event_id(), Some("evt_1"));
    insta::assert_snapshot!(ev.to_json().unwrap(), @r#"{"type":"input_audio_buffer.append","event_id":"evt_1","audio":"AAAA"}"#);
}
