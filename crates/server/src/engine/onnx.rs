//! ONNX Runtime, loaded at run time from the models folder's `libonnxruntime.so` (the `ort`
//! crate's `load-dynamic` mode: nothing is downloaded or compiled at build time).
//!
//! The library is loaded once per process by the first [`environment`] call; every engine's
//! [`session`] then runs on that one environment, on one intra-op thread so that concurrent
//! sessions share the cores instead of fighting over them.

use std::path::PathBuf;
use std::sync::OnceLock;

pub use ort::environment::Environment;
pub use ort::session::Session;

use super::models::{INSTALL_COMMAND, ModelFile, ModelsDir, ModelsError, ONNX_RUNTIME};

/// Environment variable naming the ONNX Runtime library to load instead of the models folder's.
pub const DYLIB_ENV: &str = "ORT_DYLIB_PATH";

/// Why an ONNX engine cannot start or run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OnnxError {
    /// A model file (or the runtime library) is not installed.
    #[error(transparent)]
    Models(#[from] ModelsError),
    /// The runtime library exists but could not be loaded.
    #[error(
        "cannot load ONNX Runtime from {}: {reason}; run {INSTALL_COMMAND} or set {DYLIB_ENV} \
         to a libonnxruntime.so of version 1.22 or later",
        path.display()
    )]
    Runtime {
        /// The library that was loaded.
        path: PathBuf,
        /// What ONNX Runtime or the loader said.
        reason: String,
    },
    /// A model file could not be opened as an ONNX Runtime session.
    #[error("cannot load {model} from {}: {reason}; run {INSTALL_COMMAND} again", path.display())]
    Session {
        /// The model.
        model: ModelFile,
        /// Its path.
        path: PathBuf,
        /// What ONNX Runtime said.
        reason: String,
    },
    /// Running a model failed, or it returned outputs of an unexpected shape.
    #[error("{model} failed: {reason}")]
    Inference {
        /// The model.
        model: ModelFile,
        /// What went wrong.
        reason: String,
    },
}

impl OnnxError {
    /// An [`OnnxError::Inference`] of `model`, for `map_err`.
    pub fn inference(model: ModelFile) -> impl Fn(ort::Error) -> OnnxError + Copy {
        move |error| OnnxError::Inference {
            model,
            reason: error.to_string(),
        }
    }
}

/// The library [`environment`] loads: `$ORT_DYLIB_PATH` when set, else the models folder's.
pub fn library_path(models: &ModelsDir) -> Result<PathBuf, ModelsError> {
    match std::env::var_os(DYLIB_ENV).filter(|path| !path.is_empty()) {
        Some(path) => Ok(PathBuf::from(path)),
        None => models.require(ONNX_RUNTIME),
    }
}

/// The process's ONNX Runtime environment, loading the library on the first call.
///
/// The outcome of the first call is kept: later calls return the same environment (or the same
/// error), whatever `models` they pass.
pub fn environment(models: &ModelsDir) -> Result<Environment, OnnxError> {
    static ENVIRONMENT: OnceLock<Result<Environment, OnnxError>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| load(models)).clone()
}

fn load(models: &ModelsDir) -> Result<Environment, OnnxError> {
    let path = library_path(models)?;
    let runtime_error = |reason: String| OnnxError::Runtime {
        path: path.clone(),
        reason,
    };
    ort::init_from(&path)
        .map_err(|error| runtime_error(error.to_string()))?
        .with_name("rtclient")
        .build()
        .map_err(|error| runtime_error(error.to_string()))
}

/// Opens `model` from the models folder as a session on the process's environment.
pub fn session(models: &ModelsDir, model: ModelFile) -> Result<Session, OnnxError> {
    let environment = environment(models)?;
    let path = models.require(model)?;
    let session_error = |reason: String| OnnxError::Session {
        model,
        path: path.clone(),
        reason,
    };
    Session::builder(&environment)
        .map_err(|error| session_error(error.to_string()))?
        .with_intra_threads(1)
        .map_err(|error| session_error(error.to_string()))?
        .with_inter_threads(1)
        .map_err(|error| session_error(error.to_string()))?
        .commit_from_file(&path)
        .map_err(|error| session_error(error.to_string()))
}
