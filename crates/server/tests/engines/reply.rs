//! The local reply model in a voice session: a request spoken by espeak-ng, found by Silero VAD,
//! transcribed by Moonshine and answered by SmolLM2 on llama.cpp.

use rtclient_audio::Pace;
use rtclient_server::LocalLlm;
use rtclient_server::Moonshine;
use rtclient_server::RealtimeSession;
use rtclient_server::SileroVad;
use serde_json::{Value, json};

use crate::client::connect_to;
use crate::testutil::{append_24k, models, speak};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_model_calls_the_tool_a_spoken_request_asks_for() {
    let models = models();
    let session = RealtimeSession::new()
        .pace(Pace::Max)
        .vad(SileroVad::load(&models).unwrap_or_else(|error| panic!("{error}")))
        .transcriber(Moonshine::load(&models).unwrap_or_else(|error| panic!("{error}")))
        .responder(LocalLlm::from_models(&models).unwrap_or_else(|error| panic!("{error}")));
    let mut client = connect_to(session).await;
    client.expect("session.created").await;
    // `required`: the reply must be a call; which of the two tools, and its arguments, are the
    // model's (under `auto` this small model answers the question in words instead).
    let lights = json!({
        "type": "function",
        "name": "set_lights",
        "description": "Turn the lights in a room on or off.",
        "parameters": {
            "type": "object",
            "properties": {"room": {"type": "string"}, "on": {"type": "boolean"}},
            "required": ["room", "on"]
        }
    });
    client
        .update(json!({
            "output_modalities": ["text"],
            "tool_choice": "required",
            "tools": [lights, {
                "type": "function",
                "name": "get_weather",
                "description": "Get the current weather in a city.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string", "description": "The city."}},
                    "required": ["city"]
                }
            }],
            "audio": {"input": {"turn_detection": {"type": "server_vad"}}}
        }))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut samples = speak(dir.path(), "What is the weather in Paris?", 24_000);
    samples.resize(samples.len() + 24_000, 0);
    append_24k(&mut client, &samples).await;
    let events = client.until("response.done").await;
    let done = &events[events.len() - 1];
    assert_eq!(done["response"]["status"], "completed", "{done}");
    let call = &done["response"]["output"][0];
    assert_eq!(call["type"], "function_call", "{done}");
    assert_eq!(call["name"], "get_weather", "{done}");
    let arguments: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
    assert!(
        arguments["city"]
            .as_str()
            .is_some_and(|city| city.contains("Paris")),
        "{arguments}"
    );
}
