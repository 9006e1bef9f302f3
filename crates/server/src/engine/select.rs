//! Start-up choice of the engines: what hears the user (VAD, end-of-turn judge, speech-to-text)
//! and what answers and speaks (responder, speech). Each pick is the real engine when it is
//! built in and installed, else a fallback, with a line that says which one runs and why.

use std::sync::Arc;

use super::chat_completions::ChatCompletions;
use super::models::ModelsDir;
use crate::engine::responder::{EchoResponder, Responder};
use crate::engine::synthesis::{EspeakSynthesizer, Synthesizer};
use crate::engine::transcription::{NoTranscriber, Transcriber};
use crate::engine::vad::{Earshot, EndOfTurn, VadEngine};

/// Why an ONNX Runtime engine is unavailable in a build without the `onnx` feature.
#[cfg(not(feature = "onnx"))]
const NO_ONNX: &str = "this build has no ONNX Runtime (built without the `onnx` feature)";

/// The voice activity detector asked for (`--vad`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VadChoice {
    /// Silero VAD v6 on ONNX Runtime (falls back to earshot when unavailable).
    #[default]
    Silero,
    /// The earshot detector: pure Rust, no model files.
    Earshot,
}

/// The speech-to-text engine asked for (`--stt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SttChoice {
    /// Moonshine tiny on ONNX Runtime: fast enough for live deltas (falls back to none).
    #[default]
    Moonshine,
    /// Whisper base on CTranslate2: more accurate, about 2 s per turn, no live deltas (feature
    /// `whisper`; falls back to Moonshine, then none).
    Whisper,
    /// No transcription: requests fail with `transcription_engine_missing`.
    None,
}

/// The speech engine asked for (`--tts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TtsChoice {
    /// The Piper voice on ONNX Runtime (falls back to espeak-ng when unavailable).
    #[default]
    Piper,
    /// espeak-ng alone.
    Espeak,
}

/// The responder asked for (`--responder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponderChoice {
    /// The deterministic echo responder ("I heard: ...").
    Echo,
    /// The local reply model (falls back to the echo responder when unavailable).
    #[default]
    Llm,
}

/// An engine that was chosen, and the line that says which it is and why.
#[derive(Clone)]
pub struct Chosen<E> {
    /// The engine (`None` for an optional engine that is not used).
    pub engine: E,
    /// E.g. "speech: espeak-ng, because the Piper voice is unavailable: ...".
    pub report: String,
}

impl<E> std::fmt::Debug for Chosen<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chosen")
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

fn chosen<E>(engine: E, report: String) -> Chosen<E> {
    Chosen { engine, report }
}

/// The VAD for `choice`, loading Silero from `models`.
pub fn vad(choice: VadChoice, models: &ModelsDir) -> Chosen<Arc<dyn VadEngine>> {
    let earshot = || Arc::new(Earshot) as Arc<dyn VadEngine>;
    match choice {
        VadChoice::Earshot => chosen(earshot(), "VAD: earshot (--vad earshot)".to_owned()),
        VadChoice::Silero => match silero(models) {
            Ok(silero) => chosen(silero, "VAD: Silero VAD v6".to_owned()),
            Err(why) => chosen(
                earshot(),
                format!("VAD: earshot, because Silero VAD cannot start: {why}"),
            ),
        },
    }
}

/// The judge of `semantic_vad` pauses: Smart Turn from `models`, else none (a silence timer).
pub fn end_of_turn(models: &ModelsDir) -> Chosen<Option<Arc<dyn EndOfTurn>>> {
    match smart_turn(models) {
        Ok(judge) => chosen(
            Some(judge),
            "semantic VAD: Smart Turn v3.2 judges each pause".to_owned(),
        ),
        Err(why) => chosen(
            None,
            format!("semantic VAD: a silence timer, because Smart Turn cannot start: {why}"),
        ),
    }
}

/// The speech-to-text engine for `choice`, loading its model from `models`: Whisper falls back
/// to Moonshine, and Moonshine to none.
pub fn transcriber(choice: SttChoice, models: &ModelsDir) -> Chosen<Arc<dyn Transcriber>> {
    let none = || Arc::new(NoTranscriber) as Arc<dyn Transcriber>;
    let failing = "input transcription requests will fail";
    let moonshine_line = "Moonshine tiny (English), for every transcription model name";
    match choice {
        SttChoice::None => chosen(none(), format!("STT: none (--stt none): {failing}")),
        SttChoice::Moonshine => match moonshine(models) {
            Ok(moonshine) => chosen(moonshine, format!("STT: {moonshine_line}")),
            Err(why) => chosen(
                none(),
                format!("STT: none, because Moonshine cannot start: {why}; {failing}"),
            ),
        },
        SttChoice::Whisper => match whisper(models) {
            Ok(whisper) => chosen(
                whisper,
                "STT: Whisper base (English, CTranslate2 int8, beam 5), for every transcription \
                 model name; whole turns only, no live deltas"
                    .to_owned(),
            ),
            Err(why) => match moonshine(models) {
                Ok(moonshine) => chosen(
                    moonshine,
                    format!("STT: {moonshine_line}, because Whisper cannot start: {why}"),
                ),
                Err(also) => chosen(
                    none(),
                    format!(
                        "STT: none, because Whisper cannot start: {why}; nor Moonshine: {also}; \
                         {failing}"
                    ),
                ),
            },
        },
    }
}

/// The speech engine for `choice`, loading the Piper voice from `models`.
pub fn synthesizer(choice: TtsChoice, models: &ModelsDir) -> Chosen<Arc<dyn Synthesizer>> {
    let espeak = || Arc::new(EspeakSynthesizer::new());
    match choice {
        TtsChoice::Espeak => chosen(espeak(), "speech: espeak-ng (--tts espeak)".to_owned()),
        TtsChoice::Piper => match piper(models) {
            Ok(piper) => chosen(
                piper,
                "speech: Piper voice en_US-joe-medium on ONNX Runtime, espeak-ng phonemes"
                    .to_owned(),
            ),
            Err(why) => chosen(
                espeak(),
                format!("speech: espeak-ng, because the Piper voice is unavailable: {why}"),
            ),
        },
    }
}

#[cfg(feature = "onnx")]
fn piper(models: &ModelsDir) -> Result<Arc<dyn Synthesizer>, String> {
    super::piper::PiperSynthesizer::load(models)
        .map(|piper| Arc::new(piper) as Arc<dyn Synthesizer>)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "onnx"))]
fn piper(_models: &ModelsDir) -> Result<Arc<dyn Synthesizer>, String> {
    Err(NO_ONNX.to_owned())
}

#[cfg(feature = "onnx")]
fn silero(models: &ModelsDir) -> Result<Arc<dyn VadEngine>, String> {
    super::silero::SileroVad::load(models)
        .map(|silero| Arc::new(silero) as Arc<dyn VadEngine>)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "onnx"))]
fn silero(_models: &ModelsDir) -> Result<Arc<dyn VadEngine>, String> {
    Err(NO_ONNX.to_owned())
}

#[cfg(feature = "onnx")]
fn smart_turn(models: &ModelsDir) -> Result<Arc<dyn EndOfTurn>, String> {
    super::smart_turn::SmartTurn::load(models)
        .map(|judge| Arc::new(judge) as Arc<dyn EndOfTurn>)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "onnx"))]
fn smart_turn(_models: &ModelsDir) -> Result<Arc<dyn EndOfTurn>, String> {
    Err(NO_ONNX.to_owned())
}

#[cfg(feature = "onnx")]
fn moonshine(models: &ModelsDir) -> Result<Arc<dyn Transcriber>, String> {
    super::moonshine::Moonshine::load(models)
        .map(|moonshine| Arc::new(moonshine) as Arc<dyn Transcriber>)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "onnx"))]
fn moonshine(_models: &ModelsDir) -> Result<Arc<dyn Transcriber>, String> {
    Err(NO_ONNX.to_owned())
}

#[cfg(feature = "whisper")]
fn whisper(models: &ModelsDir) -> Result<Arc<dyn Transcriber>, String> {
    super::whisper::Whisper::load(models)
        .map(|whisper| Arc::new(whisper) as Arc<dyn Transcriber>)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "whisper"))]
fn whisper(_models: &ModelsDir) -> Result<Arc<dyn Transcriber>, String> {
    Err(
        "this build has no Whisper (built without the `whisper` feature; rebuild with \
         `--features rtclient-cli/whisper`, and run scripts/install-engines --whisper)"
            .to_owned(),
    )
}

/// The responder for `choice`: the chat-completions server at `llm_url` when given (asking it
/// for `llm_model`), else the local model from `models`, else the echo responder.
pub fn responder(
    choice: ResponderChoice,
    llm_url: Option<&str>,
    llm_model: &str,
    models: &ModelsDir,
) -> Chosen<Arc<dyn Responder>> {
    if let Some(url) = llm_url {
        let remote = ChatCompletions::new(url, llm_model);
        let report = format!(
            "replies: the chat-completions server at {} (model {llm_model})",
            remote.url()
        );
        return chosen(Arc::new(remote), report);
    }
    let echo = || Arc::new(EchoResponder);
    match choice {
        ResponderChoice::Echo => chosen(
            echo(),
            "replies: echo, \"I heard: ...\" (--responder echo)".to_owned(),
        ),
        ResponderChoice::Llm => match local_llm(models) {
            Ok(llm) => chosen(
                llm,
                "replies: SmolLM2-135M-Instruct on llama.cpp (greedy decoding)".to_owned(),
            ),
            Err(why) => chosen(
                echo(),
                format!(
                    "replies: echo, \"I heard: ...\", because the local model is unavailable: \
                     {why}; run scripts/install-engines for real answers"
                ),
            ),
        },
    }
}

#[cfg(feature = "llm")]
fn local_llm(models: &ModelsDir) -> Result<Arc<dyn Responder>, String> {
    let llm = super::llm::LocalLlm::from_models(models).map_err(|e| e.to_string())?;
    llm.warm_up();
    Ok(Arc::new(llm))
}

#[cfg(not(feature = "llm"))]
fn local_llm(_models: &ModelsDir) -> Result<Arc<dyn Responder>, String> {
    Err("this build has no local model (built without the `llm` feature)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_models_fall_back_and_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let models = ModelsDir::new(dir.path());
        let speech = synthesizer(TtsChoice::Piper, &models);
        assert!(
            speech.report.starts_with("speech: espeak-ng, because"),
            "{}",
            speech.report
        );
        let replies = responder(ResponderChoice::Llm, None, "m", &models);
        assert!(
            replies.report.starts_with("replies: echo"),
            "{}",
            replies.report
        );
        assert!(replies.report.contains("unavailable"), "{}", replies.report);
        let vad = vad(VadChoice::Silero, &models);
        assert!(
            vad.report
                .starts_with("VAD: earshot, because Silero VAD cannot start"),
            "{}",
            vad.report
        );
        let judge = end_of_turn(&models);
        assert!(judge.engine.is_none(), "{}", judge.report);
        let stt = transcriber(SttChoice::Moonshine, &models);
        assert!(
            stt.report
                .starts_with("STT: none, because Moonshine cannot start"),
            "{}",
            stt.report
        );
        let whisper = transcriber(SttChoice::Whisper, &models);
        assert!(
            whisper
                .report
                .starts_with("STT: none, because Whisper cannot start"),
            "{}",
            whisper.report
        );
        assert!(
            whisper.report.contains("nor Moonshine"),
            "{}",
            whisper.report
        );
        #[cfg(feature = "whisper")]
        assert!(
            whisper.report.contains("install-engines --whisper"),
            "{}",
            whisper.report
        );
        let remote = responder(
            ResponderChoice::Echo,
            Some("http://127.0.0.1:9/v1"),
            "m",
            &models,
        );
        assert!(
            remote
                .report
                .contains("http://127.0.0.1:9/v1/chat/completions"),
            "{}",
            remote.report
        );
    }
}
