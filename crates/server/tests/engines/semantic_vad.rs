//! `semantic_vad` over a real socket with Silero VAD and Smart Turn, on Piper speech: a pause
//! after an unfinished phrase does not end the turn, a finished request ends it at once.

use rtclient_audio::Pace;
use rtclient_server::{PiperSynthesizer, RealtimeSession, SileroVad, SmartTurn};
use serde_json::json;

use crate::client::connect_to;
use crate::testutil::{append_24k, models, piper_speech};

/// A microphone's faint noise floor (about -60 dBFS, the same every run): the model was trained
/// on recorded speech, and digital silence between words is not what it hears there.
fn add_room_noise(samples: &mut [i16]) {
    let mut state: u32 = 1;
    for sample in samples {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (state >> 16) as i16 % 30;
        *sample = sample.saturating_add(noise);
    }
}

fn ms(samples: usize) -> u64 {
    samples as u64 * 1000 / 24_000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_mid_phrase_keeps_the_turn_open_and_a_finished_request_ends_it() {
    let models = models();
    let vad = SileroVad::load(&models).unwrap_or_else(|error| panic!("{error}"));
    let judge = SmartTurn::load(&models).unwrap_or_else(|error| panic!("{error}"));
    let piper = PiperSynthesizer::load(&models).unwrap_or_else(|error| panic!("{error}"));
    let session = RealtimeSession::new()
        .pace(Pace::Max)
        .vad(vad)
        .end_of_turn(judge);
    let mut client = connect_to(session).await;
    client.expect("session.created").await;
    client
        .update(
            json!({"output_modalities": ["text"], "audio": {"input": {"turn_detection":
            {"type": "semantic_vad", "eagerness": "high", "create_response": false}}}}),
        )
        .await;

    // "I need to go to the store and" ... a 600 ms pause ... "buy some milk for breakfast."
    let silence = |ms: usize| vec![0i16; ms * 24];
    let mut clip = silence(500);
    clip.extend(piper_speech(
        &piper,
        "I need to go to the store and",
        24_000,
    ));
    let pause_starts = ms(clip.len());
    clip.extend(silence(600));
    clip.extend(piper_speech(&piper, "buy some milk for breakfast.", 24_000));
    let speech_ends = ms(clip.len());
    // Longer than any fallback, so the turn ends whatever the model says.
    clip.extend(silence(5_000));
    add_room_noise(&mut clip);
    append_24k(&mut client, &clip).await;

    let events = client.until("input_audio_buffer.committed").await;
    let stops: Vec<u64> = events
        .iter()
        .filter(|e| e["type"] == "input_audio_buffer.speech_stopped")
        .map(|e| e["audio_end_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(stops.len(), 1, "one turn: {events:?}");
    let stop = stops[0];
    // Plain server VAD would have ended the turn inside the pause (GA's 200 ms, beta's 500 ms).
    assert!(
        stop > pause_starts + 600,
        "ended at {stop} ms, in the pause"
    );
    // The finished request ends it at the 200 ms check, long before the 2 s fallback of `high`.
    assert!(
        // (Piper ends its clips with a quiet tail, which the VAD does not count as speech.)
        stop + 300 >= speech_ends && stop <= speech_ends + 1_000,
        "ended at {stop} ms; speech ended at {speech_ends} ms"
    );
}
