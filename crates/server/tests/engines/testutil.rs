//! What the engine tests share: the installed models folder and speech made at test time.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
#[cfg(feature = "onnx")]
use rtclient_audio::Resampler;
use rtclient_server::ModelsDir;
#[cfg(feature = "onnx")]
use rtclient_server::{PiperSynthesizer, Synthesizer};
use serde_json::json;

use crate::client::Client;

/// The models folder, or a panic naming the install step.
pub(crate) fn models() -> ModelsDir {
    ModelsDir::from_env().unwrap_or_else(|error| panic!("{error}"))
}

/// Runs `program` with `args`, panicking with a setup hint when it is missing or fails.
pub(crate) fn run(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|error| panic!("{program} is missing ({error}): run scripts/setup"));
    assert!(status.success(), "{program} {args:?} failed");
}

/// `text` spoken by espeak-ng at 16 kHz mono, with the leading and trailing silence cut off by
/// sox's `silence` effect, so the clip starts and ends at the speech's true edges. sox runs
/// without dither (`-D`), which would add random noise: the same text always gives the same
/// samples.
pub(crate) fn speak_trimmed_16k(dir: &Path, text: &str) -> Vec<i16> {
    let raw = dir.join("raw.wav");
    let trimmed = dir.join("trimmed.wav");
    let (raw_arg, trimmed_arg) = (raw.to_str().unwrap(), trimmed.to_str().unwrap());
    run("espeak-ng", &["-v", "en-us", "-w", raw_arg, text]);
    // Cut everything before the first and after the last 10 ms above 1% of full scale.
    let trim = [
        "silence", "1", "0.01", "1%", "reverse", "silence", "1", "0.01", "1%", "reverse",
    ];
    let mut args = vec![
        raw_arg,
        "-D",
        "-r",
        "16000",
        "-c",
        "1",
        "-b",
        "16",
        trimmed_arg,
    ];
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

/// `text` spoken by espeak-ng as mono PCM16 at `rate` Hz, as a client would stream it (sox
/// converts without dither, so the samples are the same every run).
pub(crate) fn speak(dir: &Path, text: &str, rate: u32) -> Vec<i16> {
    let raw = dir.join("raw.wav");
    let wav = dir.join("speech.wav");
    let (raw_arg, wav_arg) = (raw.to_str().unwrap(), wav.to_str().unwrap());
    run("espeak-ng", &["-v", "en-us", "-w", raw_arg, text]);
    let rate = rate.to_string();
    run(
        "sox",
        &[raw_arg, "-D", "-r", &rate, "-c", "1", "-b", "16", wav_arg],
    );
    read_wav(&wav)
}

/// `text` spoken by Piper, resampled to `rate`.
#[cfg(feature = "onnx")]
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
