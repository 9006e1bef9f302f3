//! The real reply and speech engines in a session: Piper speech in the session's format that the
//! VAD hears as speech, a tool call chosen by the local model, a chat-completions server (a
//! small one run here) with the tools passed through, and a cancel that stops the model.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use rtclient_audio::Pace;
use rtclient_protocol::Tool;
use rtclient_server::ChatCompletions;
use rtclient_server::LocalLlm;
use rtclient_server::ModelsDir;
use rtclient_server::PiperSynthesizer;
use rtclient_server::RealtimeSession;
use rtclient_server::SileroVad;
use rtclient_server::{Answer, EchoResponder, Prompt, Reply, Responder};
use rtclient_server::{ResamplingDetector, VadEngine, VadEvent, VadParams};
use serde_json::{Value, json};

use crate::client::{Client, connect_to, output_audio};
use crate::tools::{assert_calls_weather_in_paris, lights_tool, weather_tool};

fn models() -> ModelsDir {
    ModelsDir::from_env().expect("a models folder (run scripts/install-engines)")
}

/// Speech turns Silero VAD finds in 24 kHz PCM16 audio followed by a second of silence.
fn turns_in(pcm: &[u8]) -> Vec<VadEvent> {
    let vad = SileroVad::load(&models()).expect("Silero VAD is installed");
    let mut detector =
        ResamplingDetector::with_scorer(24_000, VadParams::default(), VadEngine::scorer(&vad))
            .unwrap();
    let mut samples: Vec<i16> = pcm
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    samples.extend(std::iter::repeat_n(0, 24_000));
    let mut events = Vec::new();
    for chunk in samples.chunks(2_400) {
        detector.push(chunk, &mut events).unwrap();
    }
    events
}

async fn spoken_reply(client: &mut Client, format: Value) -> Vec<u8> {
    client
        .update(json!({"audio": {"output": {"format": format}}}))
        .await;
    client
        .add_user_text("the weather in Paris is sunny and warm today")
        .await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    client.expect("rate_limits.updated").await;
    let done = &events[events.len() - 1];
    assert_eq!(done["response"]["status"], "completed", "{done}");
    output_audio(&events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piper_speech_is_speech_in_the_sessions_output_format() {
    let piper = PiperSynthesizer::load(&models()).expect("the Piper voice is installed");
    let session = RealtimeSession::new()
        .pace(Pace::Max)
        .responder(EchoResponder)
        .synthesizer(piper);
    let mut client = connect_to(session).await;
    client.expect("session.created").await;
    let pcm = spoken_reply(&mut client, json!({"type": "audio/pcm", "rate": 24_000})).await;
    // "I heard: the weather in Paris is sunny and warm today": a few seconds of speech.
    let seconds = pcm.len() as f64 / 48_000.0;
    assert!((1.5..8.0).contains(&seconds), "{seconds} s of speech");
    let turns = turns_in(&pcm);
    assert!(
        matches!(turns.first(), Some(VadEvent::SpeechStarted { .. })),
        "the VAD found no speech in Piper's reply: {turns:?}"
    );
    assert!(
        matches!(turns.last(), Some(VadEvent::SpeechStopped { .. })),
        "{turns:?}"
    );
    // The same reply in G.711 mu-law: one byte a sample at 8 kHz, about as long (Piper varies
    // its phoneme lengths a little from run to run).
    let ulaw = spoken_reply(&mut client, json!({"type": "audio/pcmu"})).await;
    let ulaw_seconds = ulaw.len() as f64 / 8_000.0;
    assert!(
        (ulaw_seconds - seconds).abs() < seconds * 0.2,
        "{ulaw_seconds} s of mu-law against {seconds} s of PCM16"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_model_calls_the_tool_the_user_asks_for() {
    let llm = LocalLlm::from_models(&models()).expect("SmolLM2 is installed");
    let session = RealtimeSession::new().pace(Pace::Max).responder(llm);
    let mut client = connect_to(session).await;
    client.expect("session.created").await;
    // `required`: the reply must be a call; which tool, and its arguments, are the model's.
    client
        .update(json!({
            "output_modalities": ["text"],
            "tools": [lights_tool(), weather_tool()],
            "tool_choice": "required"
        }))
        .await;
    client.add_user_text("What is the weather in Paris?").await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    let done = &events[events.len() - 1];
    assert_calls_weather_in_paris(done);
}

/// A chat-completions server that records each request body and answers them in turn with
/// the given SSE bodies.
async fn chat_server(answers: Vec<String>) -> (String, Arc<Mutex<Vec<Value>>>) {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    let answers = Arc::new(answers);
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |body: axum::Json<Value>| {
            let (seen, answers) = (Arc::clone(&seen), Arc::clone(&answers));
            async move {
                let mut seen = seen.lock().unwrap();
                seen.push(body.0);
                let answer = answers[(seen.len() - 1).min(answers.len() - 1)].clone();
                ([("content-type", "text/event-stream")], answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/v1"), requests)
}

fn sse(chunks: &[Value]) -> String {
    let mut body: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    body.push_str("data: [DONE]\n\n");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_completions_server_gets_the_tools_and_its_calls_and_words_come_back() {
    let delta = |d: Value| json!({"choices": [{"index": 0, "delta": d}]});
    let call = sse(&[
        delta(
            json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_9",
            "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
        ),
        delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]})),
        delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]})),
    ]);
    let words = sse(&[
        delta(json!({"role": "assistant", "content": "It is sunny"})),
        delta(json!({"content": " in Paris."})),
    ]);
    let (url, requests) = chat_server(vec![call, words]).await;
    let session = RealtimeSession::new()
        .pace(Pace::Max)
        .responder(ChatCompletions::new(&url, "test-model"));
    let mut client = connect_to(session).await;
    client.expect("session.created").await;
    client
        .update(json!({
            "output_modalities": ["text"],
            "instructions": "Answer about the weather.",
            "tools": [weather_tool()]
        }))
        .await;
    client.add_user_text("What is the weather in Paris?").await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    let item = &events[events.len() - 1]["response"]["output"][0];
    assert_eq!(item["type"], "function_call", "{item}");
    assert_eq!(item["name"], "get_weather");
    assert_eq!(item["arguments"], r#"{"city":"Paris"}"#);
    {
        let requests = requests.lock().unwrap();
        let first = &requests[0];
        assert_eq!(first["model"], "test-model");
        assert_eq!(first["stream"], true);
        assert_eq!(first["tools"][0]["function"]["name"], "get_weather");
        assert_eq!(
            first["tools"][0]["function"]["parameters"]["required"][0],
            "city"
        );
        assert_eq!(first["messages"][0]["role"], "system");
        assert_eq!(first["messages"][0]["content"], "Answer about the weather.");
        assert_eq!(
            first["messages"][1]["content"],
            "What is the weather in Paris?"
        );
    }
    client
        .send(json!({"type": "conversation.item.create", "item": {
            "type": "function_call_output", "call_id": item["call_id"], "output": "sunny"}}))
        .await;
    client.until("conversation.item.done").await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    let deltas: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, ["It is sunny", " in Paris."]);
    let message = &events[events.len() - 1]["response"]["output"][0];
    assert_eq!(message["content"][0]["text"], "It is sunny in Paris.");
    let requests = requests.lock().unwrap();
    let messages = requests[1]["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool"]);
    assert_eq!(
        messages[2]["tool_calls"][0]["function"]["name"],
        "get_weather"
    );
    assert_eq!(messages[3]["tool_call_id"], item["call_id"]);
    assert_eq!(messages[3]["content"], "sunny");
}

/// How a watched generation went.
#[derive(Debug, Clone, Copy)]
struct Generation {
    /// The response stopped wanting pieces.
    refused: bool,
    /// Pieces the model sent after that.
    after_refusal: usize,
}

/// The local model, recording how its generation went.
struct Watched {
    llm: LocalLlm,
    log: Arc<Mutex<Option<Generation>>>,
}

impl Responder for Watched {
    fn reply(&self, prompt: &Prompt<'_>) -> Reply {
        self.llm.reply(prompt)
    }

    fn stream(&self, prompt: &Prompt<'_>, sink: &mut dyn FnMut(&str) -> bool) -> Answer {
        let (mut after_refusal, mut refused) = (0, false);
        let answer = self.llm.stream(prompt, &mut |piece| {
            if refused {
                after_refusal += 1;
            }
            let wanted = sink(piece);
            refused |= !wanted;
            wanted
        });
        *self.log.lock().unwrap() = Some(Generation {
            refused,
            after_refusal,
        });
        answer
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_stops_the_local_model_mid_reply() {
    let log = Arc::new(Mutex::new(None));
    let llm = LocalLlm::from_models(&models()).expect("SmolLM2 is installed");
    let watched = Watched {
        llm,
        log: Arc::clone(&log),
    };
    let session = RealtimeSession::new()
        .pace(Pace::Speed(1.0))
        .responder(watched);
    let mut client = connect_to(session).await;
    client.expect("session.created").await;
    client
        .update(json!({
            "output_modalities": ["text"],
            "instructions": "You are a storyteller. Tell long, detailed stories."
        }))
        .await;
    client
        .add_user_text("Tell me a long story about a dragon who learns to fly.")
        .await;
    client.send(json!({"type": "response.create"})).await;
    client.until("response.output_text.delta").await;
    client.send(json!({"type": "response.cancel"})).await;
    let events = client.until("response.done").await;
    assert_eq!(events[events.len() - 1]["response"]["status"], "cancelled");
    // The model stops at its next token; give a loaded machine time to get there.
    let mut stopped = None;
    for _ in 0..600 {
        stopped = *log.lock().unwrap();
        if stopped.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let generation = stopped.expect("the model stopped after the cancel");
    assert!(
        generation.refused,
        "the model finished before it saw the cancel"
    );
    assert_eq!(
        generation.after_refusal, 0,
        "pieces generated after the cancel"
    );
}

#[test]
fn the_tool_definitions_reach_the_prompt() {
    let tool: Tool = serde_json::from_value(weather_tool()).unwrap();
    let text = rtclient_server::render_chatml(&Prompt {
        user_text: Some("hi"),
        tool_specs: std::slice::from_ref(&tool),
        ..Prompt::default()
    });
    assert!(text.contains("get_weather"), "{text}");
    assert!(text.ends_with("<|im_start|>assistant\n"), "{text}");
}
