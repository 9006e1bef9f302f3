//! Whisper base speech recognition through CTranslate2 (the `ct2rs` crate, feature `whisper`):
//! the accurate speech-to-text option, `--stt whisper`.
//!
//! The model is OpenAI's Whisper base as converted by Systran (faster-whisper-base), run in int8
//! on one thread with a beam of five, told the speech is English. Whisper always encodes a 30 s
//! window, so a turn takes about the same time however short it is (around 2 s on one core):
//! too slow for live deltas, so it only hears whole turns. Whisper invents words in silence, so
//! audio that is too short or too quiet to hold a word is not given to it at all.

use std::path::PathBuf;

use ct2rs::{ComputeType, Config, WhisperOptions};

use super::{FILES, WHISPER_INSTALL_COMMAND};
use crate::engine::models::{ModelsDir, ModelsError};
use crate::engine::stt::{
    STT_SAMPLE_RATE, Transcriber, Transcript, TranscriptionError, TurnAudio, holds_no_speech,
};

/// Sample rate the model hears.
pub const WHISPER_SAMPLE_RATE: u32 = STT_SAMPLE_RATE;
/// The language the speech is taken to be in (the model is multilingual; guessing the
/// language of a short turn costs time and sometimes guesses wrong).
const LANGUAGE: &str = "en";
/// Hypotheses the beam search keeps.
const BEAM_SIZE: usize = 5;

/// Why Whisper cannot start or transcribe.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WhisperError {
    /// A model file is not installed.
    #[error(transparent)]
    Missing(#[from] ModelsError),
    /// CTranslate2 could not load the model.
    #[error(
        "cannot load Whisper base from {}: {reason}; run {WHISPER_INSTALL_COMMAND} again",
        dir.display()
    )]
    Load {
        /// The model's folder.
        dir: PathBuf,
        /// What CTranslate2 said.
        reason: String,
    },
    /// The model failed on some audio.
    #[error("Whisper could not transcribe the audio: {reason}")]
    Inference {
        /// What CTranslate2 said.
        reason: String,
    },
}

/// Whisper base, loaded: shared by every session. CTranslate2 queues the runs of concurrent
/// sessions on its one replica.
pub struct Whisper {
    model: ct2rs::Whisper,
    options: WhisperOptions,
}

impl std::fmt::Debug for Whisper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Whisper")
            .field("beam_size", &self.options.beam_size)
            .finish_non_exhaustive()
    }
}

impl Whisper {
    /// Loads the model from `models` (int8, one thread).
    pub fn load(models: &ModelsDir) -> Result<Self, WhisperError> {
        let mut dir = None;
        for &file in FILES {
            let path = models.require(file)?;
            dir = dir.or_else(|| path.parent().map(PathBuf::from));
        }
        let dir = dir.unwrap_or_else(|| models.root().to_owned());
        let config = Config {
            compute_type: ComputeType::INT8,
            num_threads_per_replica: 1,
            ..Default::default()
        };
        let model = ct2rs::Whisper::new(&dir, config).map_err(|error| WhisperError::Load {
            dir: dir.clone(),
            reason: format!("{error:#}"),
        })?;
        Ok(Self {
            model,
            options: WhisperOptions {
                beam_size: BEAM_SIZE,
                ..Default::default()
            },
        })
    }

    /// Transcribes mono audio at [`WHISPER_SAMPLE_RATE`] (samples in `-1.0..=1.0`); audio with
    /// no speech in it is heard as nothing, without running the model.
    pub fn recognize(&self, samples: &[f32]) -> Result<String, WhisperError> {
        if holds_no_speech(samples) {
            return Ok(String::new());
        }
        let pieces = self
            .model
            .generate(samples, Some(LANGUAGE), false, &self.options)
            .map_err(|error| WhisperError::Inference {
                reason: format!("{error:#}"),
            })?;
        let words: Vec<&str> = pieces.iter().flat_map(|p| p.split_whitespace()).collect();
        Ok(words.join(" "))
    }
}

impl Transcriber for Whisper {
    /// Transcribes the turn whatever `model` the session names: Whisper base serves them all.
    fn transcribe(
        &self,
        audio: TurnAudio<'_>,
        _model: &str,
    ) -> Result<Transcript, TranscriptionError> {
        let samples = audio.to_stt_samples()?;
        let text = self
            .recognize(&samples)
            .map_err(|error| TranscriptionError::failed(error.to_string()))?;
        Ok(Transcript::from(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_model_says_to_install_it_with_whisper() {
        let dir = tempfile::tempdir().unwrap();
        let error = Whisper::load(&ModelsDir::new(dir.path())).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("the Whisper base model is missing"),
            "{message}"
        );
        assert!(
            message.ends_with("run scripts/install-engines --whisper"),
            "{message}"
        );
    }

    #[test]
    fn a_broken_model_is_a_load_error() {
        let dir = tempfile::tempdir().unwrap();
        let models = ModelsDir::new(dir.path());
        for &file in FILES {
            let path = models.path(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"{}").unwrap();
        }
        let error = Whisper::load(&models).unwrap_err();
        assert!(matches!(error, WhisperError::Load { .. }), "{error}");
        assert!(error.to_string().contains("--whisper again"), "{error}");
    }
}
