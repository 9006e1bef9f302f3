//! Speech synthesis: the engine that turns a response's text into the audio the server streams.
//!
//! The default, [`EspeakSynthesizer`], runs the `espeak-ng` command; the Piper voice (feature
//! `onnx`) is the natural-sounding one. [`TtsChoice`] lists the engines `--tts` names.

use std::io;
use std::sync::Arc;

use crate::engine::choice::{BuiltIn, Chosen, choices, choose};
use crate::engine::models::ModelsDir;

mod espeak;
pub(crate) mod piper;

pub use espeak::EspeakSynthesizer;

choices! {
    /// The speech engine asked for (`--tts`).
    pub enum TtsChoice: Arc<dyn Synthesizer> {
        /// The Piper voice en_US-joe-medium (espeak-ng when it is not installed).
        #[default]
        Piper => Some(&piper::LOADER),
        /// espeak-ng's own voices.
        Espeak => None,
    }
}

/// The built-in speech engine, [`EspeakSynthesizer`].
const ESPEAK: BuiltIn<Arc<dyn Synthesizer>> = BuiltIn {
    runs: "espeak-ng",
    asked: " (--tts espeak)",
    fallen_back: "",
    make: || Arc::new(EspeakSynthesizer::new()),
};

impl TtsChoice {
    /// The speech engine this names, loaded from `models` (the Piper voice falls back to
    /// espeak-ng), and the line that says which runs and why.
    pub fn select(self, models: &ModelsDir) -> Chosen<Arc<dyn Synthesizer>> {
        choose("speech", self.loader(), &ESPEAK, models)
    }
}

/// Audio produced by a [`Synthesizer`]: mono PCM16 at `sample_rate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speech {
    /// Samples per second of `samples`.
    pub sample_rate: u32,
    /// Mono 16-bit samples.
    pub samples: Vec<i16>,
}

impl Speech {
    /// Length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        if self.sample_rate == 0 {
            return 0;
        }
        self.samples.len() as u64 * 1000 / u64::from(self.sample_rate)
    }
}

/// Turns text into speech.
pub trait Synthesizer: Send + Sync {
    /// Speaks `text` with the Realtime `voice` (e.g. `alloy`, `marin`; unknown names get a
    /// default voice).
    fn synthesize(&self, text: &str, voice: &str) -> Result<Speech, SynthesisError>;

    /// Speaks `text` piece by piece (a sentence at a time, for engines that work that way),
    /// handing each piece to `sink` as soon as it is made; stops early when `sink` returns
    /// false. The default makes the whole speech, then hands it over at once.
    fn stream(
        &self,
        text: &str,
        voice: &str,
        sink: &mut dyn FnMut(Speech) -> bool,
    ) -> Result<(), SynthesisError> {
        sink(self.synthesize(text, voice)?);
        Ok(())
    }
}

impl<T: Synthesizer + ?Sized> Synthesizer for std::sync::Arc<T> {
    fn synthesize(&self, text: &str, voice: &str) -> Result<Speech, SynthesisError> {
        (**self).synthesize(text, voice)
    }

    fn stream(
        &self,
        text: &str,
        voice: &str,
        sink: &mut dyn FnMut(Speech) -> bool,
    ) -> Result<(), SynthesisError> {
        (**self).stream(text, voice, sink)
    }
}

/// Why speech synthesis failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthesisError {
    /// The synthesizer program could not be started.
    #[error("could not run `{program}` (install it, e.g. `apt-get install espeak-ng`)")]
    Spawn {
        /// The program that was run.
        program: String,
        /// Why it could not start.
        #[source]
        source: io::Error,
    },
    /// The synthesizer ran but failed.
    #[error("`{program}` failed ({status}): {stderr}")]
    Failed {
        /// The program that was run.
        program: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The speech model failed.
    #[error("the speech model failed: {reason}")]
    Model {
        /// What the model runtime said.
        reason: String,
    },
    /// The synthesizer's output was not the audio expected.
    #[error("`{program}` wrote unexpected output: {reason}")]
    BadOutput {
        /// The program that was run.
        program: String,
        /// What was wrong with it.
        reason: &'static str,
    },
}
