//! Smart Turn tells a finished request from one that trails off mid-phrase, on Piper speech.

use rtclient_server::PiperSynthesizer;
use rtclient_server::SmartTurn;

use crate::testutil::{models, piper_speech};

// Piper adds random variation to each rendering; short phrases ("Thank you.") can score near
// 0.5 in one and high in the next, so the finished requests here are whole sentences.
const COMPLETE: [&str; 4] = [
    "What is the weather like in Paris today?",
    "Please turn off the lights in the kitchen.",
    "I need to go to the store.",
    "Can you tell me the time?",
];
const UNFINISHED: [&str; 4] = [
    "What is the weather like in",
    "I need to go to the store and",
    "My name is John and I",
    "I was thinking that maybe we could, um",
];

/// `text` spoken by Piper at 16 kHz, then the 200 ms pause after which the VAD asks the model.
fn spoken(piper: &PiperSynthesizer, text: &str) -> Vec<i16> {
    let mut samples = piper_speech(piper, text, 16_000);
    samples.resize(samples.len() + 200 * 16, 0);
    samples
}

#[test]
fn finished_requests_are_complete_and_trailing_ones_are_not() {
    let models = models();
    let model = SmartTurn::load(&models).unwrap_or_else(|error| panic!("{error}"));
    let piper = PiperSynthesizer::load(&models).unwrap_or_else(|error| panic!("{error}"));
    let score = |text: &str| model.completion(&spoken(&piper, text)).unwrap();
    let complete: Vec<(f32, &str)> = COMPLETE.iter().map(|t| (score(t), *t)).collect();
    let unfinished: Vec<(f32, &str)> = UNFINISHED.iter().map(|t| (score(t), *t)).collect();
    assert!(
        complete.iter().all(|(p, _)| *p > 0.5),
        "complete: {complete:?}"
    );
    assert!(
        unfinished.iter().all(|(p, _)| *p < 0.5),
        "unfinished: {unfinished:?}"
    );
}
