//! Silero VAD v6 on ONNX Runtime (feature `onnx`): its model file and its loader.

use std::sync::Arc;

use crate::engine::choice::{LoadError, Loader};
use crate::engine::models::{ModelFile, ModelsDir, ONNX_RUNTIME};
use crate::engine::vad::VadEngine;

#[cfg(feature = "onnx")]
mod scorer;

#[cfg(feature = "onnx")]
pub use scorer::{SileroScorer, SileroVad};

/// Silero VAD v6 (PyPI `silero-vad` 6.2.3).
pub const SILERO_VAD_MODEL: ModelFile =
    ModelFile::new("silero/silero_vad.onnx", "the Silero VAD model");

/// `--vad silero`.
pub(crate) const LOADER: Loader<Arc<dyn VadEngine>> = Loader {
    name: "Silero VAD",
    fails: "cannot start",
    runs: "Silero VAD v6",
    files: &[ONNX_RUNTIME, SILERO_VAD_MODEL],
    load,
    fallback: None,
};

#[cfg(feature = "onnx")]
fn load(models: &ModelsDir) -> Result<Arc<dyn VadEngine>, LoadError> {
    let silero = SileroVad::load(models).map_err(|error| LoadError::Engine(error.into()))?;
    Ok(Arc::new(silero))
}

#[cfg(not(feature = "onnx"))]
fn load(_models: &ModelsDir) -> Result<Arc<dyn VadEngine>, LoadError> {
    Err(LoadError::NO_ONNX)
}
