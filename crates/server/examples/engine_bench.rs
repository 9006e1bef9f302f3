//! Speed of the real speech engines, on espeak-ng sentences made when it starts.
//!
//! Run with `cargo run --release -p rtclient-server --example engine_bench` after
//! `scripts/install-engines`. Prints:
//! - VAD: how many times faster than real time Silero VAD and earshot score a clip of eight
//!   sentences with silences between them (16 kHz, one thread);
//! - STT: Moonshine's latency per utterance (the time `recognize` takes for each sentence,
//!   median and max of three runs each) and its word error rate on the set.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rtclient_server::ModelsDir;
use rtclient_server::Moonshine;
use rtclient_server::SileroVad;
use rtclient_server::{EarshotScorer, SpeechScorer};

const SENTENCES: [&str; 8] = [
    "The quick brown fox jumps over the lazy dog.",
    "Please turn off the lights in the kitchen.",
    "What is the weather like in Paris today?",
    "I would like to book a table for two at seven.",
    "Can you tell me how to get to the train station?",
    "My favorite color is green and I love the ocean.",
    "Remind me to call my mother tomorrow morning.",
    "The meeting has been moved to Thursday afternoon.",
];

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let models = ModelsDir::from_env()?;
    let dir = tempfile::tempdir()?;
    let clips = SENTENCES
        .iter()
        .map(|text| speak_16k(dir.path(), text))
        .collect::<Result<Vec<_>, _>>()?;

    let mut clip = Vec::new();
    for sentence in &clips {
        clip.resize(clip.len() + 16_000, 0);
        clip.extend_from_slice(sentence);
    }
    clip.resize(clip.len() + 16_000, 0);
    let seconds = clip.len() as f64 / 16_000.0;
    let silero = SileroVad::load(&models)?;
    let silero_time = score_all(&mut silero.scorer(), &clip);
    let earshot_time = score_all(&mut EarshotScorer::new(), &clip);
    println!("| VAD | clip | time | x real time |\n|---|---|---|---|");
    for (name, time) in [("Silero VAD v6", silero_time), ("earshot", earshot_time)] {
        let speed = seconds / time.as_secs_f64();
        println!(
            "| {name} | {seconds:.1} s | {:.1} ms | {speed:.0}x |",
            ms(time)
        );
    }

    let start = Instant::now();
    let moonshine = Moonshine::load(&models)?;
    println!("\nMoonshine load: {:.0} ms\n", ms(start.elapsed()));
    println!("| utterance | audio | median | max | heard |\n|---|---|---|---|---|");
    let mut medians = Vec::new();
    let mut errors = 0.0;
    for (text, sentence) in SENTENCES.iter().zip(&clips) {
        let samples: Vec<f32> = sentence.iter().map(|s| f32::from(*s) / 32768.0).collect();
        let mut times = Vec::new();
        let mut heard = String::new();
        for _ in 0..3 {
            let start = Instant::now();
            heard = moonshine.recognize(&samples)?.text;
            times.push(start.elapsed());
        }
        times.sort();
        medians.push(times[1]);
        errors += word_errors(text, &heard);
        let audio = sentence.len() as f64 / 16.0;
        println!(
            "| {text} | {audio:.0} ms | {:.0} ms | {:.0} ms | {heard} |",
            ms(times[1]),
            ms(times[2])
        );
    }
    medians.sort();
    let words: usize = SENTENCES.iter().map(|s| s.split_whitespace().count()).sum();
    println!(
        "\nMoonshine: median of per-utterance medians {:.0} ms; WER {:.1}% ({errors} / {words} words)",
        ms(medians[medians.len() / 2]),
        100.0 * errors / words as f64
    );
    Ok(())
}

fn ms(time: Duration) -> f64 {
    time.as_secs_f64() * 1000.0
}

/// Time to score every whole frame of `clip`.
fn score_all(scorer: &mut dyn SpeechScorer, clip: &[i16]) -> Duration {
    let start = Instant::now();
    let mut speech = 0.0;
    for frame in clip.chunks_exact(scorer.frame_len()) {
        speech += scorer.score(frame);
    }
    std::hint::black_box(speech);
    start.elapsed()
}

/// `text` by espeak-ng (en-us) at 16 kHz, with its leading and trailing silence cut by sox.
fn speak_16k(dir: &Path, text: &str) -> Result<Vec<i16>, Failure> {
    let raw = dir.join("raw.wav");
    let trimmed = dir.join("trimmed.wav");
    let trim = [
        "silence", "1", "0.01", "1%", "reverse", "silence", "1", "0.01", "1%", "reverse",
    ];
    let spoke = Command::new("espeak-ng")
        .args(["-v", "en-us", "-w"])
        .arg(&raw)
        .arg(text)
        .status()?
        .success();
    let converted = spoke
        && Command::new("sox")
            .arg(&raw)
            .args(["-r", "16000", "-c", "1", "-b", "16"])
            .arg(&trimmed)
            .args(trim)
            .status()?
            .success();
    if !converted {
        return Err("espeak-ng or sox failed (run scripts/setup)".into());
    }
    let mut reader = hound::WavReader::open(&trimmed)?;
    Ok(reader.samples::<i16>().collect::<Result<_, _>>()?)
}

/// Word-level edit distance, ignoring case and punctuation.
fn word_errors(expected: &str, heard: &str) -> f64 {
    let words = |text: &str| -> Vec<String> {
        text.split_whitespace()
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase()
            })
            .filter(|w| !w.is_empty())
            .collect()
    };
    let (expected, heard) = (words(expected), words(heard));
    let mut row: Vec<usize> = (0..=heard.len()).collect();
    for (i, want) in expected.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, got) in heard.iter().enumerate() {
            let substitution = diagonal + usize::from(want != got);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[heard.len()] as f64
}
