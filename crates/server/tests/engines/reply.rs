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
use crate::tools::{assert_calls, assert_calls_weather_in_paris, lights_tool, weather_tool};

/// The `response.done` of the local model's reply to `request`, spoken, when it must call one of
/// two tools (`weather_first` says which is listed first).
async fn spoken_call(request: &str, weather_first: bool) -> Value {
    let models = models();
    let session = RealtimeSession::new()
        .pace(Pace::Max)
        .vad(SileroVad::load(&models).unwrap_or_else(|error| panic!("{error}")))
        .transcriber(Moonshine::load(&models).unwrap_or_else(|error| panic!("{error}")))
        .responder(LocalLlm::from_models(&models).unwrap_or_else(|error| panic!("{error}")));
    let mut client = connect_to(session).await;
    client.expect("session.created").await;
    let (lights, weather) = (lights_tool(), weather_tool());
    let tools = if weather_first {
        [weather, lights]
    } else {
        [lights, weather]
    };
    // `required`: the reply must be a call; which of the two tools, and its arguments, are the
    // model's (under `auto` this small model answers the question in words instead).
    client
        .update(json!({
            "output_modalities": ["text"],
            "tool_choice": "required",
            "tools": tools,
            "audio": {"input": {"turn_detection": {"type": "server_vad"}}}
        }))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut samples = speak(dir.path(), request, 24_000);
    samples.resize(samples.len() + 24_000, 0);
    append_24k(&mut client, &samples).await;
    let events = client.until("response.done").await;
    let done = &events[events.len() - 1];
    assert_eq!(done["response"]["status"], "completed", "{done}");
    done.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_model_calls_the_tool_a_spoken_request_asks_for() {
    for weather_first in [false, true] {
        let done = spoken_call("What is the weather in Paris?", weather_first).await;
        assert_calls_weather_in_paris(&done);
        let done = spoken_call("Turn on the lights in the bedroom.", weather_first).await;
        assert_calls(&done, "set_lights", "room", "bedroom");
    }
}
