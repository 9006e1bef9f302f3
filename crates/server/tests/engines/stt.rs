//! The speech-to-text engines hear the sentence set, spoken at test time by the server's two
//! speech engines (espeak-ng and the Piper voice), with at most 10 % word errors: a TTS to STT
//! round trip through the [`Transcriber`] the server runs, at the synthesizer's own sample rate.
//!
//! Whisper's tests (`whisper_*`) are built with the server's `whisper` feature only, and need
//! `scripts/install-engines --whisper`.

use rtclient_server::{
    EspeakSynthesizer, MOONSHINE_DECODER, MOONSHINE_ENCODER, MOONSHINE_TOKENIZER, ModelsDir,
    Moonshine, ONNX_RUNTIME, PiperSynthesizer, Speech, SttChoice, Synthesizer, Transcriber,
    TurnAudio,
};

use std::time::Instant;

use crate::sentences::{SENTENCES, total_errors};
use crate::testutil::models;

/// The highest word error rate accepted, over the whole set.
const MAX_WER: f64 = 0.10;

/// Every sentence spoken by `synthesizer`.
fn spoken(synthesizer: &dyn Synthesizer) -> Vec<Speech> {
    SENTENCES
        .iter()
        .map(|text| {
            synthesizer
                .synthesize(text, "default")
                .unwrap_or_else(|error| panic!("{error}"))
        })
        .collect()
}

/// Transcribes every clip and checks the word error rate of the set, naming every sentence
/// that was misheard when it is too high.
fn check_wer(transcriber: &dyn Transcriber, clips: &[Speech], what: &str) {
    let mut took = Vec::new();
    let heard: Vec<String> = clips
        .iter()
        .map(|speech| {
            let audio = TurnAudio {
                sample_rate: speech.sample_rate,
                samples: &speech.samples,
            };
            let start = Instant::now();
            let text = transcriber
                .transcribe(audio, "whisper-1")
                .unwrap_or_else(|error| panic!("{what}: {error}"))
                .text;
            took.push(start.elapsed().as_millis());
            text
        })
        .collect();
    took.sort_unstable();
    let (median, slowest) = (took[took.len() / 2], took[took.len() - 1]);
    eprintln!("{what}: {median} ms per clip (median), {slowest} ms at most");
    let (errors, words) = total_errors(
        SENTENCES
            .iter()
            .copied()
            .zip(heard.iter().map(String::as_str)),
    );
    let wer = errors as f64 / words as f64;
    let misheard: Vec<(&str, &str)> = SENTENCES
        .iter()
        .zip(&heard)
        .filter(|(want, got)| crate::sentences::word_errors(want, got) > 0)
        .map(|(want, got)| (*want, got.as_str()))
        .collect();
    eprintln!("{what}: WER {wer:.3} ({errors} / {words} words); misheard: {misheard:#?}");
    assert!(
        wer <= MAX_WER,
        "{what}: WER {wer:.3} ({errors} / {words} words); misheard: {misheard:#?}"
    );
}

fn moonshine() -> Moonshine {
    Moonshine::load(&models()).unwrap_or_else(|error| panic!("{error}"))
}

fn piper() -> PiperSynthesizer {
    PiperSynthesizer::load(&models()).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn moonshine_hears_espeak_ng_with_at_most_ten_percent_word_errors() {
    check_wer(
        &moonshine(),
        &spoken(&EspeakSynthesizer::new()),
        "Moonshine on espeak-ng",
    );
}

#[test]
fn moonshine_hears_piper_with_at_most_ten_percent_word_errors() {
    check_wer(&moonshine(), &spoken(&piper()), "Moonshine on Piper");
}

#[test]
fn moonshine_gives_a_logprob_for_every_token() {
    let speech = EspeakSynthesizer::new()
        .synthesize(SENTENCES[0], "default")
        .unwrap();
    let audio = TurnAudio {
        sample_rate: speech.sample_rate,
        samples: &speech.samples,
    };
    let transcript = moonshine().transcribe(audio, "whisper-1").unwrap();
    assert!(!transcript.logprobs.is_empty(), "{transcript:?}");
    assert!(
        transcript.logprobs.iter().all(|token| token.logprob <= 0.0),
        "logprobs above 0 in {transcript:?}"
    );
    let joined: String = transcript
        .logprobs
        .iter()
        .map(|t| t.token.as_str())
        .collect();
    assert_eq!(joined.trim(), transcript.text);
}

#[test]
fn silence_is_heard_as_nothing() {
    let recognition = moonshine().recognize(&vec![0.0; 32_000]).unwrap();
    assert_eq!(recognition.text, "");
}

#[test]
fn whisper_without_its_model_falls_back_to_moonshine_and_says_why() {
    // A models folder with everything but Whisper: links to the installed files.
    let dir = tempfile::tempdir().unwrap();
    let installed = models();
    let elsewhere = ModelsDir::new(dir.path());
    for file in [
        ONNX_RUNTIME,
        MOONSHINE_ENCODER,
        MOONSHINE_DECODER,
        MOONSHINE_TOKENIZER,
    ] {
        let from = installed.require(file).unwrap_or_else(|e| panic!("{e}"));
        let to = elsewhere.path(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(from, to).unwrap();
    }
    let stt = SttChoice::Whisper.select(&elsewhere);
    assert!(
        stt.report.starts_with(
            "STT: Moonshine tiny (English), for every transcription model name, because \
             Whisper cannot start: "
        ),
        "{}",
        stt.report
    );
    assert!(stt.report.contains("--whisper"), "{}", stt.report);
    assert!(stt.engine.live(), "Moonshine runs, with live deltas");
}

#[cfg(feature = "whisper")]
mod whisper {
    use rtclient_server::{EspeakSynthesizer, Whisper};

    use super::{check_wer, models, piper, spoken};

    fn whisper() -> Whisper {
        Whisper::load(&models()).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn whisper_hears_espeak_ng_with_at_most_ten_percent_word_errors() {
        check_wer(
            &whisper(),
            &spoken(&EspeakSynthesizer::new()),
            "Whisper on espeak-ng",
        );
    }

    #[test]
    fn whisper_hears_piper_with_at_most_ten_percent_word_errors() {
        check_wer(&whisper(), &spoken(&piper()), "Whisper on Piper");
    }

    #[test]
    fn whisper_hears_silence_as_nothing() {
        assert_eq!(whisper().recognize(&vec![0.0; 32_000]).unwrap(), "");
    }
}
