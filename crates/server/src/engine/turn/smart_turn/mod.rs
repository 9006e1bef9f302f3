//! Smart Turn v3.2 on ONNX Runtime (feature `onnx`): its model file and its loader.

use std::sync::Arc;

use crate::engine::choice::{LoadError, Loader};
use crate::engine::models::{ModelFile, ModelsDir, ONNX_RUNTIME};
use crate::engine::turn::EndOfTurn;

#[cfg(feature = "onnx")]
mod judge;
#[cfg(feature = "onnx")]
mod log_mel;

#[cfg(feature = "onnx")]
pub use judge::SmartTurn;

/// Smart Turn v3.2, the semantic end-of-turn model (PyPI `pipecat-ai` 1.14.0).
pub const SMART_TURN_MODEL: ModelFile = ModelFile::new(
    "smart-turn/smart-turn-v3.2-cpu.onnx",
    "the Smart Turn model",
);

/// The judge of `semantic_vad` pauses.
pub(crate) const LOADER: Loader<Option<Arc<dyn EndOfTurn>>> = Loader {
    name: "Smart Turn",
    fails: "cannot start",
    runs: "Smart Turn v3.2 judges each pause",
    files: &[ONNX_RUNTIME, SMART_TURN_MODEL],
    load,
    fallback: None,
};

#[cfg(feature = "onnx")]
fn load(models: &ModelsDir) -> Result<Option<Arc<dyn EndOfTurn>>, LoadError> {
    let judge = SmartTurn::load(models).map_err(|error| LoadError::Engine(error.into()))?;
    Ok(Some(Arc::new(judge)))
}

#[cfg(not(feature = "onnx"))]
fn load(_models: &ModelsDir) -> Result<Option<Arc<dyn EndOfTurn>>, LoadError> {
    Err(LoadError::NO_ONNX)
}
