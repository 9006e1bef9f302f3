//! Reading a turn ahead: while the user pauses, the server transcribes the turn so far (Silero
//! VAD, Moonshine) and the responder reads the prompt the reply would start from; speech that
//! resumes makes the server drop that work and hear the whole turn.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtclient_audio::Pace;
use rtclient_server::SileroVad;
use rtclient_server::{EchoResponder, Moonshine, Prompt, RealtimeSession, Reply, Responder};
use serde_json::{Value, json};

use crate::client::connect_to;
use crate::testutil::{append_24k, models, speak};

/// Says what it heard, like [`EchoResponder`], and keeps the user's words of every prompt it
/// was asked to prepare and to answer.
#[derive(Default)]
struct Recorder {
    prepared: Mutex<Vec<String>>,
    answered: Mutex<Vec<String>>,
}

impl Responder for Recorder {
    fn reply(&self, prompt: &Prompt<'_>) -> Reply {
        let heard = prompt.user_text.unwrap_or_default().to_owned();
        self.answered.lock().unwrap().push(heard);
        EchoResponder.reply(prompt)
    }

    fn prepare(&self, prompt: &Prompt<'_>) {
        let heard = prompt.user_text.unwrap_or_default().to_owned();
        self.prepared.lock().unwrap().push(heard);
    }
}

/// Streams `samples` (24 kHz) to a voice session with server VAD ending turns after 800 ms of
/// silence, and returns its events up to the first `response.done`.
async fn turn(recorder: &Arc<Recorder>, samples: &[i16]) -> Vec<Value> {
    let models = models();
    let session = RealtimeSession::new()
        .pace(Pace::Max)
        .vad(SileroVad::load(&models).unwrap_or_else(|error| panic!("{error}")))
        .transcriber(Moonshine::load(&models).unwrap_or_else(|error| panic!("{error}")))
        .responder(Arc::clone(recorder));
    let mut client = connect_to(session).await;
    client.expect("session.created").await;
    client
        .update(json!({
            "output_modalities": ["text"],
            "audio": {"input": {"turn_detection": {
                "type": "server_vad", "silence_duration_ms": 800
            }}}
        }))
        .await;
    append_24k(&mut client, samples).await;
    client.until("response.done").await
}

/// What `recorder` was asked to prepare, once it has been asked at least once (the read-ahead
/// runs on a worker thread, beside the response).
async fn prepared(recorder: &Recorder) -> Vec<String> {
    for _ in 0..100 {
        let prepared = recorder.prepared.lock().unwrap().clone();
        if !prepared.is_empty() {
            return prepared;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing was read ahead in 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reply_starts_from_the_prompt_read_during_the_pause() {
    let dir = tempfile::tempdir().unwrap();
    let mut samples = speak(dir.path(), "What is the weather in Paris?", 24_000);
    samples.resize(samples.len() + 36_000, 0);
    let recorder = Arc::new(Recorder::default());
    turn(&recorder, &samples).await;
    let answered = recorder.answered.lock().unwrap().clone();
    assert_eq!(answered.len(), 1, "{answered:?}");
    assert!(answered[0].contains("weather in Paris"), "{answered:?}");
    // The prompt read ahead is the one the reply got: same words, heard once.
    assert_eq!(prepared(&recorder).await, answered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speech_that_resumes_after_a_pause_is_heard_with_the_rest_of_the_turn() {
    let dir = tempfile::tempdir().unwrap();
    // A 400 ms pause: long enough to be read ahead (after 250 ms), too short to end the turn.
    let mut samples = speak(dir.path(), "What is the weather", 24_000);
    samples.resize(samples.len() + 9_600, 0);
    samples.extend(speak(dir.path(), "in Paris today?", 24_000));
    samples.resize(samples.len() + 36_000, 0);
    let recorder = Arc::new(Recorder::default());
    let events = turn(&recorder, &samples).await;
    let stops = events
        .iter()
        .filter(|e| e["type"] == "input_audio_buffer.speech_stopped")
        .count();
    assert_eq!(stops, 1, "one turn");
    let answered = recorder.answered.lock().unwrap().clone();
    assert_eq!(answered.len(), 1, "{answered:?}");
    // Both parts (Moonshine writes "to-day").
    assert!(answered[0].contains("weather in Paris"), "{answered:?}");
    // The whole turn was read ahead at its last pause, whatever the first pause's work did.
    let prepared = prepared(&recorder).await;
    assert_eq!(prepared.last(), answered.last(), "{prepared:?}");
}
