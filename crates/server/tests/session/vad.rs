//! A server VAD turn on real speech (espeak-ng + sox at test time), and barge-in.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use rtclient_audio::Pace;
use rtclient_server::RealtimeSession;
use serde_json::json;

use crate::client::{Client, connect, connect_to, connect_with, kinds, output_audio};

/// 1 s of silence, `text` spoken at 24 kHz mono PCM16, 1.5 s of silence: raw bytes.
pub(crate) fn speech_24k(dir: &Path, text: &str) -> Vec<u8> {
    speech_at(dir, text, 24_000)
}

/// 1 s of silence, `text` spoken at `rate` Hz mono PCM16, 1.5 s of silence: raw bytes.
fn speech_at(dir: &Path, text: &str, rate: u32) -> Vec<u8> {
    let raw = dir.join("raw.wav");
    let wav = dir.join("speech.wav");
    assert!(
        Command::new("espeak-ng")
            .args(["-v", "en-us", "-w"])
            .arg(&raw)
            .arg(text)
            .status()
            .expect("espeak-ng")
            .success()
    );
    assert!(
        Command::new("sox")
            .arg(&raw)
            .args(["-r", &rate.to_string(), "-c", "1", "-b", "16"])
            .arg(&wav)
            .status()
            .expect("sox")
            .success()
    );
    let mut reader = hound::WavReader::open(&wav).unwrap();
    let mut samples = vec![0i16; rate as usize];
    samples.extend(reader.samples::<i16>().map(Result::unwrap));
    samples.extend(std::iter::repeat_n(0i16, rate as usize * 3 / 2));
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// Two phrases with a `pause_ms` pause between them, then 2 s of silence: raw 24 kHz bytes.
fn two_phrases_24k(dir: &Path, pause_ms: usize) -> Vec<u8> {
    let first = speech_24k(dir, "Let me think about that.");
    let second = speech_24k(dir, "Yes, the blue one.");
    // Each clip is 1 s silence + speech + 1.5 s silence: trim to the pause wanted.
    let trailing = 36_000 * 2;
    let leading = 24_000 * 2;
    let mut audio = first[..first.len() - trailing].to_vec();
    audio.extend(std::iter::repeat_n(0u8, pause_ms * 48));
    audio.extend_from_slice(&second[leading..]);
    audio.extend(std::iter::repeat_n(0u8, 2 * 48_000));
    audio
}

/// Appends `audio` in 100 ms chunks.
pub(crate) async fn stream(client: &mut Client, audio: &[u8]) {
    for chunk in audio.chunks(4_800) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(chunk);
        client
            .send(json!({"type": "input_audio_buffer.append", "audio": b64}))
            .await;
    }
}

#[tokio::test]
async fn server_vad_turn_on_real_speech() {
    let dir = tempfile::tempdir().unwrap();
    let audio = speech_24k(dir.path(), "Hello, my name is Marcelo.");
    let mut client = connect().await;
    client.expect("session.created").await;
    stream(&mut client, &audio).await;
    let started = client.expect("input_audio_buffer.speech_started").await;
    let item_id = started["item_id"].as_str().unwrap().to_owned();
    let start_ms = started["audio_start_ms"].as_u64().unwrap();
    assert!(
        (500..=1100).contains(&start_ms),
        "speech started at {start_ms} ms"
    );
    let stopped = client.expect("input_audio_buffer.speech_stopped").await;
    assert_eq!(stopped["item_id"], item_id.as_str());
    assert!(stopped["audio_end_ms"].as_u64().unwrap() > start_ms + 800);
    let committed = client.expect("input_audio_buffer.committed").await;
    assert_eq!(committed["item_id"], item_id.as_str());
    assert!(committed["previous_item_id"].is_null());
    let added = client.expect("conversation.item.added").await;
    assert_eq!(
        added["item"],
        json!({"id": item_id, "type": "message", "status": "completed", "role": "user",
            "content": [{"type": "input_audio", "transcript": null}]})
    );
    client.expect("conversation.item.done").await;
    let events = client.until("rate_limits.updated").await;
    let names = kinds(&events);
    assert_eq!(names[0], "response.created");
    assert!(names.contains(&"response.output_audio.delta"));
    let done = &events[events.len() - 2]["response"];
    assert_eq!(done["status"], "completed");
    let said = done["output"][0]["content"][0]["transcript"]
        .as_str()
        .unwrap();
    assert!(said.starts_with("You spoke for "), "{said}");
}

#[tokio::test]
async fn a_vad_turn_commits_the_turn_not_the_silence_before_it() {
    let dir = tempfile::tempdir().unwrap();
    // 4 s of silence, then speech: only the turn (prefix padding to silence end) is committed.
    let mut audio = vec![0u8; 3 * 48_000];
    audio.extend(speech_24k(
        dir.path(),
        "Good morning, I would like a coffee.",
    ));
    let mut client = connect().await;
    client.expect("session.created").await;
    client.update(json!({"audio": {"input": {"turn_detection": {"type": "server_vad", "create_response": false}}}})).await;
    stream(&mut client, &audio).await;
    let started = client.expect("input_audio_buffer.speech_started").await;
    let stopped = client.expect("input_audio_buffer.speech_stopped").await;
    let committed = client.expect("input_audio_buffer.committed").await;
    let start_ms = started["audio_start_ms"].as_u64().unwrap();
    let end_ms = stopped["audio_end_ms"].as_u64().unwrap();
    assert!(start_ms > 3_500, "speech started at {start_ms} ms");
    let bytes = client.retrieve_audio(&committed["item_id"]).await;
    let committed_ms = bytes.len() as u64 / 48;
    assert_eq!(committed_ms, end_ms - start_ms);
}

#[tokio::test]
async fn manual_turn_with_turn_detection_null() {
    let mut client = connect().await;
    client.expect("session.created").await;
    let updated = client
        .update(json!({"audio": {"input": {"turn_detection": null}}}))
        .await;
    assert!(updated["session"]["audio"]["input"]["turn_detection"].is_null());
    let dir = tempfile::tempdir().unwrap();
    let audio = speech_24k(dir.path(), "Hello there.");
    stream(&mut client, &audio).await;
    client
        .send(json!({"type": "input_audio_buffer.commit"}))
        .await;
    let committed = client.expect("input_audio_buffer.committed").await;
    let added = client.expect("conversation.item.added").await;
    assert_eq!(added["item"]["id"], committed["item_id"]);
    client.expect("conversation.item.done").await;
    // No automatic response without turn detection.
    client.quiet().await;
    client
        .send(json!({"type": "conversation.item.retrieve", "item_id": committed["item_id"]}))
        .await;
    let retrieved = client.expect("conversation.item.retrieved").await;
    let b64 = retrieved["item"]["content"][0]["audio"].as_str().unwrap();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
        audio
    );
}

#[tokio::test]
async fn transcription_without_engine_fails_clearly() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client.update(json!({"audio": {"input": {"turn_detection": null, "transcription": {"model": "whisper-1"}}}})).await;
    client.commit_silence(200).await;
    let committed = client.expect("input_audio_buffer.committed").await;
    client.expect("conversation.item.added").await;
    client.expect("conversation.item.done").await;
    let failed = client
        .expect("conversation.item.input_audio_transcription.failed")
        .await;
    assert_eq!(failed["item_id"], committed["item_id"]);
    assert_eq!(failed["error"]["code"], "transcription_engine_missing");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no transcription engine")
    );
}

#[tokio::test]
async fn barge_in_cancels_the_response_with_turn_detected() {
    let dir = tempfile::tempdir().unwrap();
    let audio = speech_24k(dir.path(), "Tell me a long story about the sea.");
    let mut client = connect_to(RealtimeSession::new().pace(Pace::Speed(0.5))).await;
    client.expect("session.created").await;
    client.add_user_text("hello").await;
    client.send(json!({"type": "response.create"})).await;
    let created = client.expect("response.created").await;
    stream(&mut client, &audio).await;
    let events = client.until("input_audio_buffer.speech_started").await;
    assert!(!kinds(&events).contains(&"response.done"));
    // The reply's message is open while it speaks: the cancel closes it, then ends the response.
    let closing = client.until("response.done").await;
    let closing_kinds = kinds(&closing);
    let not_done = &closing_kinds[..closing_kinds.len() - 1];
    assert!(
        not_done.iter().all(|kind| kind.ends_with(".done")),
        "{closing_kinds:?}"
    );
    let done = &closing[closing.len() - 1];
    assert_eq!(done["response"]["id"], created["response"]["id"]);
    assert_eq!(done["response"]["status"], "cancelled");
    assert_eq!(
        done["response"]["status_details"],
        json!({"type": "cancelled", "reason": "turn_detected"})
    );
}

#[tokio::test]
async fn idle_timeout_triggers_on_silence() {
    let mut client = connect().await;
    client.expect("session.created").await;
    let updated = client.update(json!({"output_modalities": ["text"], "audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}}})).await;
    assert_eq!(
        updated["session"]["audio"]["input"]["turn_detection"]["idle_timeout_ms"],
        5000
    );
    for _ in 0..60 {
        client.append_silence(100).await;
    }
    let timeout = client.expect("input_audio_buffer.timeout_triggered").await;
    assert_eq!(timeout["audio_start_ms"], 0);
    assert_eq!(timeout["audio_end_ms"], 5000);
    let committed = client.expect("input_audio_buffer.committed").await;
    assert_eq!(committed["item_id"], timeout["item_id"]);
    client.expect("conversation.item.added").await;
    client.expect("conversation.item.done").await;
    client.expect("response.created").await;
}

#[tokio::test]
async fn idle_timeout_waits_for_the_last_response_to_finish_playing() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client.update(json!({"audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}}})).await;
    client
        .send(
            json!({"type": "conversation.item.create", "item": {"type": "message",
            "role": "user", "content": [{"type": "input_text", "text": "hello"}]}}),
        )
        .await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("rate_limits.updated").await;
    let played_ms = output_audio(&events).len() / 48;
    assert!(played_ms > 500, "{played_ms} ms of reply audio");
    // Silence from the start of the audio clock: the timeout counts from the end of playback.
    let chunks = (played_ms + 5_000) / 100 + 2;
    for _ in 0..chunks {
        client.append_silence(100).await;
    }
    let timeout = client.expect("input_audio_buffer.timeout_triggered").await;
    let start = timeout["audio_start_ms"].as_u64().unwrap() as usize;
    let end = timeout["audio_end_ms"].as_u64().unwrap() as usize;
    assert!(
        start.abs_diff(played_ms) <= 2,
        "start {start}, played {played_ms}"
    );
    assert!((5_000..5_100).contains(&(end - start)), "{start}..{end}");
    // The committed item is that silence.
    let committed = client.expect("input_audio_buffer.committed").await;
    let audio = client.retrieve_audio(&committed["item_id"]).await;
    assert_eq!(audio.len() / 48, end - start);
}

#[tokio::test]
async fn idle_timeout_out_of_range_is_refused() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client
        .send(json!({"type": "session.update", "session": {"type": "realtime",
            "audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 100}}}}}))
        .await;
    let error = client.expect("error").await["error"].clone();
    assert_eq!(error["code"], "integer_below_min_value");
    assert_eq!(
        error["param"],
        "session.audio.input.turn_detection.idle_timeout_ms"
    );
}

/// A transcriber that reports the turn's length.
struct Counting;

impl rtclient_server::Transcriber for Counting {
    fn transcribe(
        &self,
        audio: rtclient_server::TurnAudio<'_>,
        model: &str,
    ) -> Result<rtclient_server::Transcript, rtclient_server::TranscriptionError> {
        Ok(format!("{model} {} samples", audio.samples.len()).into())
    }
}

#[tokio::test]
async fn a_plugged_in_transcriber_feeds_the_transcript_to_the_responder() {
    let mut client = connect_to(RealtimeSession::new().pace(Pace::Max).transcriber(Counting)).await;
    client.expect("session.created").await;
    client.update(json!({"output_modalities": ["text"], "audio": {"input": {"turn_detection": null, "transcription": {"model": "m1"}}}})).await;
    client.commit_silence(200).await;
    client.expect("input_audio_buffer.committed").await;
    client.expect("conversation.item.added").await;
    client.expect("conversation.item.done").await;
    // An engine that is not live sends its whole transcript as one delta, then `completed`.
    let delta = client
        .expect("conversation.item.input_audio_transcription.delta")
        .await;
    assert_eq!(delta["delta"], "m1 4800 samples");
    let completed = client
        .expect("conversation.item.input_audio_transcription.completed")
        .await;
    assert_eq!(completed["transcript"], "m1 4800 samples");
    assert_eq!(
        completed["usage"],
        json!({"type": "duration", "seconds": 1})
    );
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    let done = &events.last().unwrap()["response"];
    assert_eq!(
        done["output"][0]["content"][0]["text"],
        "I heard: m1 4800 samples"
    );
}

#[tokio::test]
async fn g711_output_has_one_byte_per_sample_at_8_khz() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client
        .update(json!({"audio": {"output": {"format": {"type": "audio/pcmu"}}}}))
        .await;
    client.add_user_text("hello").await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    let first = events
        .iter()
        .find(|e| e["type"] == "response.output_audio.delta")
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(first["delta"].as_str().unwrap())
        .unwrap();
    // 200 ms of 8 kHz G.711: 1600 bytes.
    assert_eq!(bytes.len(), 1600);
    let done = &events.last().unwrap()["response"];
    assert_eq!(
        done["audio"]["output"]["format"],
        json!({"type": "audio/pcmu"})
    );
}

#[tokio::test]
async fn beta_server_vad_turn_uses_beta_names() {
    let dir = tempfile::tempdir().unwrap();
    let audio = speech_24k(dir.path(), "Good morning, how are you?");
    let mut client = connect_with(
        RealtimeSession::new().pace(Pace::Max),
        "/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-4o-realtime-preview",
        false,
    )
    .await;
    let created = client.expect("session.created").await;
    assert_eq!(
        created["session"]["turn_detection"]["silence_duration_ms"],
        500
    );
    stream(&mut client, &audio).await;
    let started = client.expect("input_audio_buffer.speech_started").await;
    client.expect("input_audio_buffer.speech_stopped").await;
    let committed = client.expect("input_audio_buffer.committed").await;
    assert_eq!(committed["item_id"], started["item_id"]);
    let item = client.expect("conversation.item.created").await;
    assert_eq!(item["item"]["id"], started["item_id"]);
    let events = client.until("response.done").await;
    let names = kinds(&events);
    assert_eq!(names[0], "response.created");
    assert!(names.contains(&"response.audio.delta"));
    assert!(names.contains(&"response.audio_transcript.delta"));
    assert!(!names.contains(&"response.output_audio.delta"));
    assert_eq!(events.last().unwrap()["response"]["status"], "completed");
}

/// How many turns semantic VAD with `eagerness` finds in two phrases 0.8 s apart.
async fn semantic_turns(audio: &[u8], eagerness: &str) -> usize {
    let mut client = connect().await;
    client.expect("session.created").await;
    let updated = client.update(json!({"audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": eagerness, "create_response": false}}}})).await;
    assert_eq!(
        updated["session"]["audio"]["input"]["turn_detection"],
        json!({"type": "semantic_vad", "eagerness": eagerness, "create_response": false,
            "interrupt_response": true})
    );
    stream(&mut client, audio).await;
    client.send(json!({"type": "response.cancel"})).await;
    // The cancel's error marks the end: every turn of the audio was found before it.
    let events = client.until("error").await;
    kinds(&events)
        .iter()
        .filter(|k| **k == "input_audio_buffer.committed")
        .count()
}

#[tokio::test]
async fn semantic_vad_eagerness_decides_whether_a_pause_ends_the_turn() {
    let dir = tempfile::tempdir().unwrap();
    let audio = two_phrases_24k(dir.path(), 800);
    assert_eq!(semantic_turns(&audio, "high").await, 2);
    assert_eq!(semantic_turns(&audio, "low").await, 1);
}

#[tokio::test]
async fn semantic_vad_rejects_an_unknown_eagerness() {
    let mut client = connect().await;
    client.expect("session.created").await;
    client
        .send(
            json!({"type": "session.update", "session": {"type": "realtime", "audio":
            {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "eager"}}}}}),
        )
        .await;
    let error = client.expect("error").await["error"].clone();
    assert_eq!(error["code"], "invalid_value");
    assert_eq!(
        error["param"],
        "session.audio.input.turn_detection.eagerness"
    );
}

#[tokio::test]
async fn voice_live_takes_16_khz_input_when_asked() {
    let mut client = connect_with(
        RealtimeSession::new().pace(Pace::Max),
        "/voice-live/realtime?api-version=2025-10-01&model=gpt-realtime",
        true,
    )
    .await;
    let created = client.expect("session.created").await;
    assert_eq!(
        created["session"]["voice"],
        json!({"name": "alloy", "type": "openai"})
    );
    assert_eq!(created["session"]["input_audio_sampling_rate"], 24_000);
    client
        .send(json!({"type": "session.update", "event_id": "rate",
            "session": {"input_audio_sampling_rate": 44_100}}))
        .await;
    let error = client.expect("error").await["error"].clone();
    assert_eq!(error["param"], "session.input_audio_sampling_rate");
    client
        .send(
            json!({"type": "session.update", "session": {"input_audio_sampling_rate": 16_000,
            "turn_detection": {"type": "server_vad", "create_response": false}}}),
        )
        .await;
    let updated = client.expect("session.updated").await;
    assert_eq!(updated["session"]["input_audio_sampling_rate"], 16_000);
    assert_eq!(updated["session"]["turn_detection"]["auto_truncate"], false);
    let dir = tempfile::tempdir().unwrap();
    let audio = speech_at(dir.path(), "Good evening, a table for two please.", 16_000);
    stream(&mut client, &audio).await;
    let started = client.expect("input_audio_buffer.speech_started").await;
    let stopped = client.expect("input_audio_buffer.speech_stopped").await;
    let committed = client.expect("input_audio_buffer.committed").await;
    let start_ms = started["audio_start_ms"].as_u64().unwrap();
    let end_ms = stopped["audio_end_ms"].as_u64().unwrap();
    // One second of silence first, on a 16 kHz clock.
    assert!(
        (500..=1100).contains(&start_ms),
        "speech started at {start_ms} ms"
    );
    let total_ms = audio.len() as u64 / 32;
    assert!(
        end_ms > start_ms + 1_000 && end_ms <= total_ms,
        "{start_ms}..{end_ms}"
    );
    let bytes = client.retrieve_audio(&committed["item_id"]).await;
    assert_eq!(bytes.len() as u64 / 32, end_ms - start_ms);
}

/// 1 s of silence then `text` spoken at 24 kHz, cut where sox finds its speech ends (trailing
/// audio below -45 dBFS removed): raw bytes and that end, in ms.
fn speech_to_true_end(dir: &Path, text: &str) -> (Vec<u8>, u64) {
    let raw = dir.join("raw.wav");
    let wav = dir.join("trimmed.wav");
    assert!(
        Command::new("espeak-ng")
            .args(["-v", "en-us", "-w"])
            .arg(&raw)
            .arg(text)
            .status()
            .expect("espeak-ng")
            .success()
    );
    assert!(
        Command::new("sox")
            .arg(&raw)
            .args(["-r", "24000", "-c", "1", "-b", "16"])
            .arg(&wav)
            .args(["reverse", "silence", "1", "0.005", "-45d", "reverse"])
            .status()
            .expect("sox")
            .success()
    );
    let mut reader = hound::WavReader::open(&wav).unwrap();
    let mut samples = vec![0i16; 24_000];
    samples.extend(reader.samples::<i16>().map(Result::unwrap));
    let end_ms = samples.len() as u64 * 1000 / 24_000;
    (
        samples.iter().flat_map(|s| s.to_le_bytes()).collect(),
        end_ms,
    )
}

#[tokio::test]
async fn each_dialect_ends_turns_after_its_own_default_silence() {
    let dir = tempfile::tempdir().unwrap();
    let (speech, true_end_ms) = speech_to_true_end(dir.path(), "Hello, my name is Marcelo.");
    for (path, beta, silence_ms) in [
        ("/v1/realtime?model=gpt-realtime", false, 200),
        ("/v1/realtime?model=gpt-4o-realtime-preview", true, 500),
        (
            "/openai/realtime?api-version=2025-04-01-preview&deployment=d",
            false,
            500,
        ),
    ] {
        let mut client = connect_with(RealtimeSession::new().pace(Pace::Max), path, beta).await;
        let created = client.expect("session.created").await;
        let session = &created["session"];
        let reported = if session["type"] == "realtime" {
            &session["audio"]["input"]["turn_detection"]
        } else {
            &session["turn_detection"]
        };
        assert_eq!(reported["silence_duration_ms"], silence_ms, "{path}");
        assert_eq!(reported["prefix_padding_ms"], 300, "{path}");
        // Speech, then just over the silence that ends the turn (a clip that ends 0.3-0.4 s
        // after the last word must still end its turn under beta's 500 ms once that much
        // silence follows).
        let mut audio = speech.clone();
        audio.extend(std::iter::repeat_n(0u8, (silence_ms as usize + 120) * 48));
        stream(&mut client, &audio).await;
        client.expect("input_audio_buffer.speech_started").await;
        let stopped = client.expect("input_audio_buffer.speech_stopped").await;
        let end = stopped["audio_end_ms"].as_u64().unwrap();
        let expected = true_end_ms + silence_ms;
        assert!(
            (expected..=expected + 100).contains(&end),
            "{path}: stopped at {end} ms, speech ends at {true_end_ms} ms"
        );
    }
}
