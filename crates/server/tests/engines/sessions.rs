//! Input transcription and transcription sessions over a real socket, with Silero VAD and
//! Moonshine on speech made by espeak-ng.

use rtclient_audio::Pace;
use rtclient_server::Moonshine;
use rtclient_server::RealtimeSession;
use rtclient_server::SileroVad;
use serde_json::{Value, json};

use crate::client::{Client, connect_to, connect_with};
use crate::sentences::word_error_rate;
use crate::testutil::{append_24k, models, speak};

const SENTENCE: &str =
    "The meeting has been moved to Thursday afternoon, so please tell the whole team.";

fn engines() -> RealtimeSession {
    let models = models();
    let vad = SileroVad::load(&models).unwrap_or_else(|error| panic!("{error}"));
    let moonshine = Moonshine::load(&models).unwrap_or_else(|error| panic!("{error}"));
    RealtimeSession::new()
        .pace(Pace::Max)
        .vad(vad)
        .transcriber(moonshine)
}

/// Streams `SENTENCE` at 24 kHz and then a second of silence, in 100 ms appends.
async fn say_sentence(client: &mut Client) {
    let dir = tempfile::tempdir().unwrap();
    let mut samples = speak(dir.path(), SENTENCE, 24_000);
    samples.resize(samples.len() + 24_000, 0);
    append_24k(client, &samples).await;
}

/// Checks one turn's events: live deltas before the turn ends, deltas adding up to a
/// transcript of the sentence, all for the item `speech_started` named; returns `completed`.
fn check_turn(events: &[Value]) -> Value {
    let position = |kind: &str| events.iter().position(|e| e["type"] == kind);
    let started = position("input_audio_buffer.speech_started").expect("speech_started");
    let stopped = position("input_audio_buffer.speech_stopped").expect("speech_stopped");
    let completed = events.last().unwrap().clone();
    let item_id = &events[started]["item_id"];
    let deltas: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "conversation.item.input_audio_transcription.delta")
        .collect();
    assert!(
        deltas.iter().all(|d| &d["item_id"] == item_id),
        "{deltas:?}"
    );
    let live = events[..stopped]
        .iter()
        .filter(|e| e["type"] == "conversation.item.input_audio_transcription.delta")
        .count();
    assert!(live > 0, "no delta while the user spoke: {events:#?}");
    let joined: String = deltas
        .iter()
        .map(|d| d["delta"].as_str().unwrap())
        .collect();
    let transcript = completed["transcript"].as_str().unwrap();
    assert_eq!(joined, transcript, "the deltas add up to the transcript");
    assert_eq!(&completed["item_id"], item_id);
    let wer = word_error_rate(SENTENCE, transcript);
    assert!(wer <= 0.10, "WER {wer:.2}: heard {transcript:?}");
    assert_eq!(completed["usage"]["type"], "duration");
    assert!(
        completed["usage"]["seconds"].as_u64().unwrap() >= 4,
        "{completed}"
    );
    completed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_transcription_streams_deltas_while_the_user_speaks() {
    let mut client = connect_to(engines()).await;
    client.expect("session.created").await;
    client
        .update(json!({
            "output_modalities": ["text"],
            "include": ["item.input_audio_transcription.logprobs"],
            "audio": {"input": {
                "transcription": {"model": "whisper-1"},
                "turn_detection": {"type": "server_vad", "silence_duration_ms": 500,
                    "create_response": false},
            }},
        }))
        .await;
    say_sentence(&mut client).await;
    let events = client
        .until("conversation.item.input_audio_transcription.completed")
        .await;
    let completed = check_turn(&events);
    let logprobs = completed["logprobs"]
        .as_array()
        .expect("logprobs were asked for");
    assert!(!logprobs.is_empty());
    for entry in logprobs {
        assert!(entry["logprob"].as_f64().unwrap() <= 0.0, "{entry}");
        assert!(
            entry["token"].is_string() && entry["bytes"].is_array(),
            "{entry}"
        );
    }
    // The transcript is stored on the user item.
    let item_id = completed["item_id"].clone();
    client
        .send(json!({"type": "conversation.item.retrieve", "item_id": item_id}))
        .await;
    let retrieved = client.until("conversation.item.retrieved").await;
    let item = &retrieved.last().unwrap()["item"];
    assert_eq!(item["content"][0]["transcript"], completed["transcript"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transcription_session_transcribes_each_turn() {
    let mut client = connect_with(engines(), "/v1/realtime?intent=transcription", false).await;
    let created = client.expect("session.created").await;
    assert_eq!(created["session"]["type"], "transcription");
    client
        .send(json!({"type": "session.update", "session": {
            "type": "transcription",
            "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
        }}))
        .await;
    client.expect("session.updated").await;
    say_sentence(&mut client).await;
    let events = client
        .until("conversation.item.input_audio_transcription.completed")
        .await;
    let completed = check_turn(&events);
    assert!(
        completed.get("logprobs").is_none_or(Value::is_null),
        "not asked: {completed}"
    );
}
