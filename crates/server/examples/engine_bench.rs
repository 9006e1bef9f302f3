//! Speed of the real speech engines, on sentences spoken when it starts.
//!
//! Run with `cargo run --release -p rtclient-server --example engine_bench` after
//! `scripts/install-engines`. Prints:
//! - VAD: how many times faster than real time Silero VAD and earshot score a clip of eight
//!   espeak-ng sentences with silences between them (16 kHz, one thread);
//! - STT: for each engine (Moonshine), its latency per utterance
//!   (the time [`Transcriber::transcribe`] takes for each sentence of the test set spoken by
//!   espeak-ng and by the Piper voice at their own sample rates, median and max of three runs
//!   each) and its word error rate on the set, as `tests/engines/stt.rs` measures it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rtclient_server::{EarshotScorer, SpeechScorer};
use rtclient_server::{EspeakSynthesizer, PiperSynthesizer, Speech, Synthesizer};
use rtclient_server::{ModelsDir, Moonshine, SileroVad, Transcriber, TurnAudio};

#[path = "../tests/engines/sentences.rs"]
#[allow(dead_code)] // the tests' sentence set and word error rate; this uses part of it
mod sentences;

use sentences::{SENTENCES, word_errors, words};

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let models = ModelsDir::from_env()?;
    let dir = tempfile::tempdir()?;
    let clips = SENTENCES[..8]
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

    let voices: [(&str, Box<dyn Synthesizer>); 2] = [
        ("espeak-ng", Box::new(EspeakSynthesizer::new())),
        ("Piper", Box::new(PiperSynthesizer::load(&models)?)),
    ];
    let mut spoken = Vec::new();
    for (voice, synthesizer) in &voices {
        let speech = SENTENCES
            .iter()
            .map(|text| synthesizer.synthesize(text, "default"))
            .collect::<Result<Vec<_>, _>>()?;
        spoken.push((*voice, speech));
    }

    let start = Instant::now();
    let moonshine = Moonshine::load(&models)?;
    bench_stt("Moonshine tiny", start.elapsed(), &moonshine, &spoken)?;
    Ok(())
}

/// Times `engine` on every spoken sentence and prints each transcript, then the summary.
fn bench_stt(
    name: &str,
    load: Duration,
    engine: &dyn Transcriber,
    spoken: &[(&str, Vec<Speech>)],
) -> Result<(), Failure> {
    println!("\n{name}: load {:.0} ms\n", ms(load));
    println!("| voice | utterance | audio | median | max | errors | heard |");
    println!("|---|---|---|---|---|---|---|");
    let mut summary = Vec::new();
    for (voice, clips) in spoken {
        let mut medians = Vec::new();
        let (mut errors, mut count) = (0, 0);
        for (text, speech) in SENTENCES.iter().zip(clips) {
            let audio = TurnAudio {
                sample_rate: speech.sample_rate,
                samples: &speech.samples,
            };
            let mut times = Vec::new();
            let mut heard = String::new();
            for _ in 0..3 {
                let start = Instant::now();
                heard = engine.transcribe(audio, "whisper-1")?.text;
                times.push(start.elapsed());
            }
            times.sort();
            medians.push(times[1]);
            let wrong = word_errors(text, &heard);
            errors += wrong;
            count += words(text).len();
            println!(
                "| {voice} | {text} | {} ms | {:.0} ms | {:.0} ms | {wrong} | {heard} |",
                speech.duration_ms(),
                ms(times[1]),
                ms(times[2])
            );
        }
        medians.sort();
        summary.push((
            *voice,
            medians[medians.len() / 2],
            medians[medians.len() - 1],
            errors,
            count,
        ));
    }
    println!("\n| STT | voice | latency per utterance, median | slowest median | WER |");
    println!("|---|---|---|---|---|");
    for (voice, median, slowest, errors, count) in summary {
        println!(
            "| {name} | {voice} | {:.0} ms | {:.0} ms | {:.1} % ({errors} / {count} words) |",
            ms(median),
            ms(slowest),
            100.0 * errors as f64 / count as f64
        );
    }
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
            .args(["-D", "-r", "16000", "-c", "1", "-b", "16"])
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
