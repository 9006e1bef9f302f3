//! The default voice activity detector, earshot, on real speech made by espeak-ng and sox.

use std::path::Path;

use rtclient_server::{ResamplingDetector, TurnDetector, VadEvent, VadParams};

use crate::testutil::{read_wav, run, speak};

#[test]
fn finds_one_turn_around_real_speech() {
    let dir = tempfile::tempdir().expect("temp dir");
    let speech = speak(
        dir.path(),
        "The quick brown fox jumps over the lazy dog.",
        16_000,
    );
    let speech_ms = speech.len() as u64 * 1000 / 16_000;
    assert!(speech_ms > 1500, "espeak-ng produced {speech_ms} ms");

    // 1 s of silence, the sentence, 1.5 s of silence.
    let mut samples = vec![0i16; 16_000];
    samples.extend_from_slice(&speech);
    samples.extend(std::iter::repeat_n(0i16, 24_000));

    let params = VadParams {
        threshold: 0.5,
        prefix_padding_ms: 300,
        silence_duration_ms: 500,
    };
    let mut detector = TurnDetector::new(params);
    let mut events = Vec::new();
    for chunk in samples.chunks(1600) {
        detector.push(chunk, &mut events);
    }

    let [
        VadEvent::SpeechStarted { audio_start_ms },
        VadEvent::SpeechStopped { audio_end_ms, .. },
    ] = events[..]
    else {
        panic!("expected one start and one stop, got {events:?}");
    };
    // espeak-ng leaves a little silence around the words; speech starts just after 1 s.
    let onset = audio_start_ms + 300;
    assert!((1000..1400).contains(&onset), "onset at {onset} ms");
    // The turn ends after the last word plus the silence duration, before the clip ends.
    let speech_end = 1000 + speech_ms;
    assert!(
        audio_end_ms > speech_end - 600 && audio_end_ms <= speech_end + 700,
        "end at {audio_end_ms} ms, speech ends at {speech_end} ms"
    );
    assert!(!detector.in_speech());
}

#[test]
fn silence_and_noise_floor_start_no_turn() {
    // Low-level deterministic noise (an LCG), well under speech loudness.
    let mut state = 0x1234_5678u32;
    let noise: Vec<i16> = (0..48_000)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((state >> 16) as i16) / 256
        })
        .collect();
    let mut detector = TurnDetector::new(VadParams::default());
    let mut events = Vec::new();
    detector.push(&vec![0i16; 16_000], &mut events);
    detector.push(&noise, &mut events);
    assert_eq!(events, vec![]);
}

#[test]
fn the_24_khz_append_path_finds_the_turn_the_16_khz_detector_finds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "Voice activity detection should not depend on the input rate.";
    let pad = |speech: Vec<i16>, rate: usize| {
        let mut samples = vec![0i16; rate];
        samples.extend_from_slice(&speech);
        samples.extend(std::iter::repeat_n(0i16, rate * 3 / 2));
        samples
    };
    let at_16k = pad(speak(dir.path(), text, 16_000), 16_000);
    let at_24k = pad(speak(dir.path(), text, 24_000), 24_000);
    let params = VadParams {
        threshold: 0.5,
        prefix_padding_ms: 300,
        silence_duration_ms: 500,
    };

    let mut direct = TurnDetector::new(params);
    let mut expected = Vec::new();
    for chunk in at_16k.chunks(1600) {
        direct.push(chunk, &mut expected);
    }
    let mut resampled = ResamplingDetector::new(24_000, params).expect("24 kHz is supported");
    let mut events = Vec::new();
    for chunk in at_24k.chunks(2400) {
        resampled
            .push(chunk, &mut events)
            .expect("no resampler error");
    }

    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(expected.len(), 2, "{expected:?}");
    let ms = |e: &VadEvent| match *e {
        VadEvent::SpeechStarted { audio_start_ms } => audio_start_ms,
        VadEvent::SpeechStopped { audio_end_ms, .. } => audio_end_ms,
    };
    for (got, want) in events.iter().zip(&expected) {
        assert_eq!(
            std::mem::discriminant(got),
            std::mem::discriminant(want),
            "{events:?} vs {expected:?}"
        );
        // Within two 16 ms frames: the two paths differ only by resampling.
        assert!(
            ms(got).abs_diff(ms(want)) <= 32,
            "{events:?} vs {expected:?}"
        );
    }
}

/// Speaks `text` at `rate` Hz with sox's idea of where speech ends: the clip with its trailing
/// silence (below -45 dBFS) cut off.
fn speak_to_true_end(dir: &Path, text: &str, rate: u32) -> Vec<i16> {
    let raw = dir.join("raw.wav");
    let trimmed = dir.join("trimmed.wav");
    let (raw_arg, trimmed_arg) = (raw.to_str().unwrap(), trimmed.to_str().unwrap());
    run("espeak-ng", &["-v", "en-us", "-w", raw_arg, text]);
    let rate = rate.to_string();
    let trim = ["reverse", "silence", "1", "0.005", "-45d", "reverse"];
    let mut args = vec![raw_arg, "-r", &rate, "-c", "1", "-b", "16", trimmed_arg];
    args.extend(trim);
    run("sox", &args);
    read_wav(&trimmed)
}

#[test]
fn the_turn_ends_the_silence_duration_after_the_last_word() {
    let dir = tempfile::tempdir().expect("temp dir");
    for text in [
        "Hello, my name is Marcelo.",
        "The quick brown fox jumps over the lazy dog.",
        "Yes.",
        "Good morning, I would like a coffee.",
    ] {
        let speech = speak_to_true_end(dir.path(), text, 24_000);
        // 1 s of silence, speech up to its true end, 1 s of silence.
        let true_end_ms = 1_000 + speech.len() as u64 * 1_000 / 24_000;
        let mut samples = vec![0i16; 24_000];
        samples.extend_from_slice(&speech);
        samples.extend(std::iter::repeat_n(0i16, 24_000));
        for silence_duration_ms in [200, 500] {
            let params = VadParams {
                threshold: 0.5,
                prefix_padding_ms: 300,
                silence_duration_ms,
            };
            let mut detector = ResamplingDetector::new(24_000, params).expect("24 kHz");
            let mut events = Vec::new();
            for chunk in samples.chunks(2_400) {
                detector.push(chunk, &mut events).expect("push");
            }
            let stops: Vec<u64> = events
                .iter()
                .filter_map(|e| match e {
                    VadEvent::SpeechStopped { audio_end_ms, .. } => Some(*audio_end_ms),
                    VadEvent::SpeechStarted { .. } => None,
                })
                .collect();
            let expected = true_end_ms + u64::from(silence_duration_ms);
            assert_eq!(stops.len(), 1, "{text}: {events:?}");
            assert!(
                stops[0] >= expected && stops[0] <= expected + 100,
                "{text}: stopped at {} ms, speech ends at {true_end_ms} ms, silence \
                 {silence_duration_ms} ms",
                stops[0]
            );
        }
    }
}
