use super::*;

fn three_to_two(input: &[f32], chunk: usize) -> Vec<f32> {
    let mut filter = ThreeToTwo::new();
    let mut out = Vec::new();
    for part in input.chunks(chunk) {
        filter.process(part, &mut out);
    }
    out
}

fn tone(hz: f64, rate: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| (0.5 * (2.0 * std::f64::consts::PI * hz * i as f64 / rate).sin()) as f32)
        .collect()
}

#[test]
fn three_to_two_is_exact_aligned_and_chunking_free() {
    let input = tone(1000.0, 24_000.0, 24_000);
    let whole = three_to_two(&input, input.len());
    // Two outputs per whole input triple, minus the dropped delay.
    assert_eq!(whole.len(), 2 * 8_000 - ThreeToTwo::DELAY);
    for chunk in [1, 7, 480, 2400] {
        assert_eq!(three_to_two(&input, chunk), whole, "chunk {chunk}");
    }
    // The same tone at 16 kHz, in phase (past the start-up ramp).
    let expected = tone(1000.0, 16_000.0, whole.len());
    let error = whole[100..]
        .iter()
        .zip(&expected[100..])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(error < 0.005, "max error {error}");
}

#[test]
fn three_to_two_removes_what_would_alias() {
    // 10 kHz does not exist at 16 kHz; unfiltered it would fold to 6 kHz.
    let input = tone(10_000.0, 24_000.0, 24_000);
    let out = three_to_two(&input, 2400);
    let peak = out[100..].iter().fold(0.0f32, |m, y| m.max(y.abs()));
    assert!(peak < 0.5 * 0.01, "peak {peak}: less than 40 dB down");
}

/// A scorer that reads the answer from the audio: a frame whose first sample is non-zero is
/// speech. Lets the rules be tested sample-exactly, apart from the neural network.
#[derive(Debug)]
struct MarkedScorer;

impl SpeechScorer for MarkedScorer {
    fn frame_len(&self) -> usize {
        160
    }
    fn score(&mut self, frame: &[i16]) -> f32 {
        if frame[0] != 0 { 1.0 } else { 0.0 }
    }
    fn reset(&mut self) {}
}

/// `ms` of speech (true) or silence (false) at 16 kHz.
fn audio(parts: &[(bool, u32)]) -> Vec<i16> {
    parts
        .iter()
        .flat_map(|&(speech, ms)| std::iter::repeat_n(i16::from(speech), (ms * 16) as usize))
        .collect()
}

fn run(params: VadParams, samples: &[i16], chunk: usize) -> Vec<VadEvent> {
    let mut detector = TurnDetector::with_scorer(params, MarkedScorer);
    let mut events = Vec::new();
    for part in samples.chunks(chunk) {
        detector.push(part, &mut events);
    }
    events
}

#[test]
fn a_turn_is_padded_before_and_ends_after_the_silence() {
    let samples = audio(&[(false, 1000), (true, 800), (false, 1000)]);
    let params = VadParams {
        threshold: 0.5,
        prefix_padding_ms: 300,
        silence_duration_ms: 500,
    };
    assert_eq!(
        run(params, &samples, 4800),
        vec![
            VadEvent::SpeechStarted {
                audio_start_ms: 700
            },
            VadEvent::SpeechStopped {
                audio_end_ms: 2300,
                speech_end_ms: 1800
            },
        ]
    );
}

#[test]
fn a_pause_in_a_turn_reports_where_the_speech_ended() {
    let params = VadParams {
        threshold: 0.5,
        prefix_padding_ms: 0,
        silence_duration_ms: 500,
    };
    let mut detector = TurnDetector::with_scorer(params, MarkedScorer);
    let mut events = Vec::new();
    detector.push(&audio(&[(false, 1000), (true, 800)]), &mut events);
    assert_eq!(detector.pause(), None, "speech is still heard");
    detector.push(&audio(&[(false, 300)]), &mut events);
    assert_eq!(
        detector.pause(),
        Some(Pause {
            speech_end_ms: 1800,
            silence_ms: 300
        })
    );
    detector.push(&audio(&[(true, 100)]), &mut events);
    assert_eq!(detector.pause(), None, "the speech resumed");
    detector.push(&audio(&[(false, 600)]), &mut events);
    assert_eq!(detector.pause(), None, "the turn ended");
    assert_eq!(
        events.last(),
        Some(&VadEvent::SpeechStopped {
            audio_end_ms: 2700,
            speech_end_ms: 2200
        })
    );
}

#[test]
fn chunking_does_not_change_the_result() {
    let samples = audio(&[
        (false, 500),
        (true, 400),
        (false, 300),
        (true, 200),
        (false, 900),
    ]);
    let params = VadParams {
        silence_duration_ms: 200,
        prefix_padding_ms: 100,
        ..VadParams::default()
    };
    let whole = run(params, &samples, samples.len());
    for chunk in [1, 7, 160, 333, 4800] {
        assert_eq!(run(params, &samples, chunk), whole, "chunk {chunk}");
    }
    assert_eq!(
        whole,
        vec![
            VadEvent::SpeechStarted {
                audio_start_ms: 400
            },
            VadEvent::SpeechStopped {
                audio_end_ms: 1100,
                speech_end_ms: 900
            },
            VadEvent::SpeechStarted {
                audio_start_ms: 1100
            },
            VadEvent::SpeechStopped {
                audio_end_ms: 1600,
                speech_end_ms: 1400
            },
        ]
    );
}

#[test]
fn pauses_shorter_than_the_silence_duration_keep_the_turn() {
    let samples = audio(&[(true, 300), (false, 150), (true, 300), (false, 600)]);
    let params = VadParams {
        silence_duration_ms: 200,
        prefix_padding_ms: 0,
        ..VadParams::default()
    };
    assert_eq!(
        run(params, &samples, 480),
        vec![
            VadEvent::SpeechStarted { audio_start_ms: 0 },
            VadEvent::SpeechStopped {
                audio_end_ms: 950,
                speech_end_ms: 750
            },
        ]
    );
}

#[test]
fn a_short_blip_does_not_start_a_turn() {
    let samples = audio(&[(false, 100), (true, 20), (false, 500)]);
    assert_eq!(run(VadParams::default(), &samples, 160), vec![]);
}

#[test]
fn the_threshold_decides_what_counts_as_speech() {
    #[derive(Debug)]
    struct Constant(f32);
    impl SpeechScorer for Constant {
        fn frame_len(&self) -> usize {
            160
        }
        fn score(&mut self, _: &[i16]) -> f32 {
            self.0
        }
        fn reset(&mut self) {}
    }
    let samples = vec![0i16; 16_000];
    for (threshold, expect_speech) in [(0.59, true), (0.61, false)] {
        let params = VadParams {
            threshold,
            ..VadParams::default()
        };
        let mut detector = TurnDetector::with_scorer(params, Constant(0.6));
        let mut events = Vec::new();
        detector.push(&samples, &mut events);
        assert_eq!(detector.in_speech(), expect_speech, "threshold {threshold}");
    }
}
