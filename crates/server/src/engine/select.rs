//! Start-up choice of the reply and speech engines: the real engine when it is built in and
//! installed, else the zero-asset fallback, with a line that says which one runs and why.

use std::sync::Arc;

use super::chat_completions::ChatCompletions;
use super::models::ModelsDir;
use crate::engine::responder::{EchoResponder, Responder};
use crate::engine::synthesis::{EspeakSynthesizer, Synthesizer};

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
pub struct Chosen<T: ?Sized> {
    /// The engine.
    pub engine: Arc<T>,
    /// E.g. "speech: espeak-ng (Piper unavailable: ...)".
    pub report: String,
}

impl<T: ?Sized> std::fmt::Debug for Chosen<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chosen")
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

fn chosen<T: ?Sized>(engine: Arc<T>, report: String) -> Chosen<T> {
    Chosen { engine, report }
}

/// The speech engine for `choice`, loading the Piper voice from `models`.
pub fn synthesizer(choice: TtsChoice, models: &ModelsDir) -> Chosen<dyn Synthesizer> {
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
    Err("this build has no ONNX Runtime (built without the `onnx` feature)".to_owned())
}

/// The responder for `choice`: the chat-completions server at `llm_url` when given (asking it
/// for `llm_model`), else the local model from `models`, else the echo responder.
pub fn responder(
    choice: ResponderChoice,
    llm_url: Option<&str>,
    llm_model: &str,
    models: &ModelsDir,
) -> Chosen<dyn Responder> {
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
