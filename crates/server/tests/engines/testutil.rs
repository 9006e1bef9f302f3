//! What the engine tests share: the installed models folder and speech made at test time.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use rtclient_audio::Resampler;
use rtclient_server::{ModelsDir, PiperSynthesizer, Synthesizer};
use serde_json::json;

use crate::client::Client;

/// The models folder, or a panic naming the install step.
pub(crate) fn models() -> ModelsDir {
    ModelsDir::from_env().unwrap_or_else(|error| panic!("{error}"))
}

/// Runs `program` with `args`, panicking with a setup hint when it is missing or fails.
fn run(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|error| panic!("{program} is missing ({error}): run scripts/setup"));
    assert!(status.success(), "{program} {args:?} failed");
}

/// `text` spoken by espeak-ng at 16 kHz mono, with the leading and trailing silence cut off by
/// sox's `silence` effect, so the clip starts and ends at the speech's true edges.
pub(crate) fn speak_trimmed_16k(dir: &Path, text: &str) -> Vec<i16> {
    let raw = dir.join("raw.wav");
    let trimmed = dir.join("trimmed.wav");
    let (raw_arg, trimmed_arg) = (raw.to_str().unwrap(), trimmed.to_str().unwrap());
    run("espeak-ng", &["-v", "en-us", "-w", raw_arg, text]);
    // Cut everything before the first and after the last 10 ms above 1% of full scale.
    let trim = [
        "silence", "1", "0.01", "1%", "reverse", "silence", "1", "0.01", "1%", "reverse",
    ];
    let mut args = vec![raw_arg, "-r", "16000", "-c", "1", "-b", "16", trimmed_arg];
    args.extend(trim);
    run("sox", &args);
    read_wav(&trimmed)
}

/// The samples of a mono 16-bit WAV.
pub(crate) fn read_wav(path: &Path) -> Vec<i16> {
    let mut reader = hound::WavReader::open(path).unwrap();
    reader.samples::<i16>().map(Result::unwrap).collect()
}

/// Milliseconds of `samples` at 16 kHz.
pub(crate) fn ms_16k(samples: usize) -> u64 {
    samples as u64 * 1000 / 16_000
}

/// Word error rate of `heard` against `expected`: word-level edit distance over the expected
/// word count, ignoring case and punctuation.
pub(crate) fn word_error_rate(expected: &str, heard: &str) -> f64 {
    let words = |text: &str| -> Vec<String> {
        text.split_whitespace()
            .map(|word| {
                word.chars()
                    .filter(|c| c.is_alphanumeric() || *c == '\'')
                    .collect::<String>()
                    .to_lowercase()
            })
            .filter(|word| !word.is_empty())
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
    row[heard.len()] as f64 / expected.len().max(1) as f64
}

/// `text` spoken by espeak-ng as mono PCM16 at `rate` Hz, as a client would stream it.
pub(crate) fn speak(dir: &Path, text: &str, rate: u32) -> Vec<i16> {
    let raw = dir.join("raw.wav");
    let wav = dir.join("speech.wav");
    let (raw_arg, wav_arg) = (raw.to_str().unwrap(), wav.to_str().unwrap());
    run("espeak-ng", &["-v", "en-us", "-w", raw_arg, text]);
    let rate = rate.to_string();
    run(
        "sox",
        &[raw_arg, "-r", &rate, "-c", "1", "-b", "16", wav_arg],
    );
    read_wav(&wav)
}

/// `text` spoken by Piper, resampled to `rate`.
pub(crate) fn piper_speech(piper: &PiperSynthesizer, text: &str, rate: u32) -> Vec<i16> {
    let speech = piper.synthesize(text, "alloy").unwrap();
    let input: Vec<f32> = speech
        .samples
        .iter()
        .map(|&s| f32::from(s) / 32768.0)
        .collect();
    let mut resampler = Resampler::new(speech.sample_rate, rate).unwrap();
    let mut out = Vec::new();
    resampler.process(&input, &mut out).unwrap();
    resampler.finish(&mut out).unwrap();
    out.iter()
        .map(|&s| (s.clamp(-1.0, 1.0) * 32767.0) as i16)
        .collect()
}

/// Sends 24 kHz `samples` as `input_audio_buffer.append`s of 100 ms, as a client streams.
pub(crate) async fn append_24k(client: &mut Client, samples: &[i16]) {
    for chunk in samples.chunks(2_400) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
        let audio = base64::engine::general_purpose::STANDARD.encode(bytes);
        client
            .send(json!({"type": "input_audio_buffer.append", "audio": audio}))
            .await;
    }
}
