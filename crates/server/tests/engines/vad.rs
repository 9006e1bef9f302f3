//! Silero VAD finds the edges of speech in espeak-ng sentences separated by known silences.

use rtclient_server::SileroVad;
use rtclient_server::{TurnDetector, VadEvent, VadParams};

use crate::testutil::{models, ms_16k, speak_trimmed_16k};

const SENTENCES: [&str; 3] = [
    "The quick brown fox jumps over the lazy dog.",
    "Please turn off the lights in the kitchen.",
    "What is the weather like in Paris today?",
];
const SILENCES_MS: [u64; 4] = [1_000, 1_500, 1_200, 1_000];
/// The silence that ends a turn in this test.
const SILENCE_MS: u32 = 400;

#[test]
fn silero_turns_start_and_end_within_100_ms_of_the_true_speech_edges() {
    let dir = tempfile::tempdir().unwrap();
    let mut clip = Vec::new();
    let mut truth = Vec::new();
    for (i, text) in SENTENCES.iter().enumerate() {
        clip.resize(clip.len() + SILENCES_MS[i] as usize * 16, 0);
        let start = ms_16k(clip.len());
        clip.extend(speak_trimmed_16k(dir.path(), text));
        truth.push((start, ms_16k(clip.len())));
    }
    clip.resize(clip.len() + SILENCES_MS[SENTENCES.len()] as usize * 16, 0);

    let vad = SileroVad::load(&models()).unwrap_or_else(|error| panic!("{error}"));
    let params = VadParams {
        threshold: 0.5,
        prefix_padding_ms: 0,
        silence_duration_ms: SILENCE_MS,
    };
    let mut detector = TurnDetector::with_scorer(params, vad.scorer());
    let mut events = Vec::new();
    // In 20 ms appends, as a client streams.
    for chunk in clip.chunks(320) {
        detector.push(chunk, &mut events);
    }

    let found: Vec<(u64, u64)> = events
        .chunks(2)
        .map(|pair| match pair {
            [
                VadEvent::SpeechStarted { audio_start_ms },
                VadEvent::SpeechStopped { audio_end_ms, .. },
            ] => (*audio_start_ms, audio_end_ms - u64::from(SILENCE_MS)),
            other => panic!("expected a start then a stop, got {other:?} in {events:?}"),
        })
        .collect();
    assert_eq!(found.len(), truth.len(), "turns {found:?}, true {truth:?}");
    for (&(start, end), &(true_start, true_end)) in found.iter().zip(&truth) {
        assert!(
            start.abs_diff(true_start) <= 100 && end.abs_diff(true_end) <= 100,
            "turn {start}-{end} ms, true {true_start}-{true_end} ms (all: {found:?} vs {truth:?})"
        );
    }
}
