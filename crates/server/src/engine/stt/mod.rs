//! Input audio transcription: the engine behind `audio.input.transcription`.
//!
//! The default, [`NoTranscriber`], has no engine: every transcription request ends in a
//! `conversation.item.input_audio_transcription.failed` event whose error names the missing
//! engine. A real engine implements [`Transcriber`] and is plugged in with
//! [`crate::RealtimeSession::transcriber`]; Moonshine (feature `onnx`) is the built-in one,
//! Whisper (feature `whisper`) the accurate one. [`SttChoice`] lists the engines `--stt` names.
//!
//! A [`live`](Transcriber::live) engine is also run on a turn while it is still spoken, and
//! [`LiveTranscript`] turns those partial transcripts into the `delta` events the service
//! streams before the turn ends.

use std::sync::Arc;

use rtclient_protocol::ErrorCode;

use crate::engine::choice::{BuiltIn, Chosen, choices, choose};
use crate::engine::models::ModelsDir;

pub(crate) mod moonshine;
pub(crate) mod whisper;

choices! {
    /// The speech-to-text engine asked for (`--stt`).
    pub enum SttChoice: Arc<dyn Transcriber> {
        /// Moonshine tiny (English) through ONNX Runtime (needs scripts/install-engines).
        #[default]
        Moonshine => Some(&moonshine::LOADER),
        /// Whisper base (English) on CTranslate2: more accurate, about 2 s per turn, no live deltas
        /// (needs the `whisper` build feature and scripts/install-engines --whisper; Moonshine when
        /// it cannot start).
        Whisper => Some(&whisper::LOADER),
        /// No transcription: requests fail with `transcription_engine_missing`.
        None => None,
    }
}

/// No engine, [`NoTranscriber`].
const NONE: BuiltIn<Arc<dyn Transcriber>> = BuiltIn {
    runs: "none",
    asked: " (--stt none): input transcription requests will fail",
    fallen_back: "; input transcription requests will fail",
    make: || Arc::new(NoTranscriber),
};

impl SttChoice {
    /// The speech-to-text engine this names, loaded from `models` (Whisper falls back to
    /// Moonshine, and Moonshine to none), and the line that says which runs and why.
    pub fn select(self, models: &ModelsDir) -> Chosen<Arc<dyn Transcriber>> {
        choose("STT", self.loader(), &NONE, models)
    }
}

/// Sample rate the speech-to-text models hear.
pub const STT_SAMPLE_RATE: u32 = 16_000;

/// Audio of one committed user turn: mono PCM16.
#[derive(Debug, Clone, Copy)]
pub struct TurnAudio<'a> {
    /// Samples per second of `samples`.
    pub sample_rate: u32,
    /// Mono 16-bit samples.
    pub samples: &'a [i16],
}

impl TurnAudio<'_> {
    /// The audio as `f32` samples (in `-1.0..=1.0`) at [`STT_SAMPLE_RATE`].
    pub fn to_stt_rate(self) -> Result<Vec<f32>, rtclient_audio::Error> {
        let samples: Vec<f32> = self
            .samples
            .iter()
            .map(|s| f32::from(*s) / 32768.0)
            .collect();
        if self.sample_rate == STT_SAMPLE_RATE {
            return Ok(samples);
        }
        let mut resampler = rtclient_audio::Resampler::new(self.sample_rate, STT_SAMPLE_RATE)?;
        let mut out = Vec::new();
        resampler.process(&samples, &mut out)?;
        resampler.finish(&mut out)?;
        Ok(out)
    }

    /// [`TurnAudio::to_stt_rate`], failing as a transcription does.
    pub fn to_stt_samples(self) -> Result<Vec<f32>, TranscriptionError> {
        self.to_stt_rate().map_err(|error| {
            TranscriptionError::failed(format!(
                "The input audio cannot be resampled to 16 kHz: {error}"
            ))
        })
    }
}

/// Whether 16 kHz `samples` are too short (under 0.25 s) or too quiet to hold a word; the
/// engines skip such audio rather than guess words in it.
#[cfg(any(feature = "onnx", feature = "whisper"))]
pub(crate) fn holds_no_speech(samples: &[f32]) -> bool {
    const MIN_SAMPLES: usize = STT_SAMPLE_RATE as usize / 4;
    const SILENCE_RMS: f32 = 1e-3;
    samples.len() < MIN_SAMPLES || rms(samples) < SILENCE_RMS
}

/// Root mean square of `samples`.
#[cfg(any(feature = "onnx", feature = "whisper"))]
pub(crate) fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}

/// Why a transcription failed; its text becomes the `failed` event's `error.message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TranscriptionError {
    /// The `error.code` of the `failed` event.
    pub code: String,
    /// The `error.message` of the `failed` event.
    pub message: String,
}

impl TranscriptionError {
    /// A `transcription_failed` error saying `message`.
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            code: "transcription_failed".to_owned(),
            message: message.into(),
        }
    }
}

/// What a [`Transcriber`] heard.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transcript {
    /// The text.
    pub text: String,
    /// Its tokens with their log probabilities, when the engine gives them.
    pub logprobs: Vec<TokenLogprob>,
}

impl From<String> for Transcript {
    fn from(text: String) -> Self {
        Self {
            text,
            logprobs: Vec::new(),
        }
    }
}

/// One token of a [`Transcript`], as the `logprobs` entries of the transcription events.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogprob {
    /// The token's text.
    pub token: String,
    /// Natural log of its probability.
    pub logprob: f64,
    /// Its UTF-8 bytes.
    pub bytes: Vec<u8>,
}

/// Turns a committed user turn into text.
pub trait Transcriber: Send + Sync {
    /// Transcribes `audio` as the session's transcription `model` asks (e.g. `whisper-1`).
    fn transcribe(
        &self,
        audio: TurnAudio<'_>,
        model: &str,
    ) -> Result<Transcript, TranscriptionError>;

    /// Whether the engine is fast enough to also run on a turn while it is spoken, for live
    /// `delta` events (default: no; the whole transcript then comes after the turn).
    fn live(&self) -> bool {
        false
    }
}

impl<T: Transcriber + ?Sized> Transcriber for std::sync::Arc<T> {
    fn transcribe(
        &self,
        audio: TurnAudio<'_>,
        model: &str,
    ) -> Result<Transcript, TranscriptionError> {
        (**self).transcribe(audio, model)
    }

    fn live(&self) -> bool {
        (**self).live()
    }
}

/// The default: no transcription engine; every request fails with a clear error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTranscriber;

impl Transcriber for NoTranscriber {
    fn transcribe(
        &self,
        _audio: TurnAudio<'_>,
        model: &str,
    ) -> Result<Transcript, TranscriptionError> {
        Err(TranscriptionError {
            code: ErrorCode::TranscriptionEngineMissing.into(),
            message: format!(
                "Input transcription with '{model}' is unavailable: this rtclient-server has no \
                 transcription engine configured."
            ),
        })
    }
}

/// The deltas of one turn's transcript as it grows: partial transcripts come in while the user
/// speaks, and the words two partials in a row agree on (all but the newest, which may be cut
/// off) are sent; the final transcript sends the rest. The deltas always add up to the
/// transcript that [`finish`](Self::finish) returns.
#[derive(Debug, Clone, Default)]
pub struct LiveTranscript {
    /// Words already sent.
    sent: Vec<String>,
    /// The previous partial transcript's words.
    previous: Vec<String>,
}

impl LiveTranscript {
    /// Takes a partial transcript; returns the delta to send now, if any.
    pub fn update(&mut self, partial: &str) -> Option<String> {
        let words: Vec<String> = partial.split_whitespace().map(str::to_owned).collect();
        let agreed = words
            .iter()
            .zip(&self.previous)
            .take_while(|(new, old)| new == old)
            .count()
            .min(words.len().saturating_sub(1));
        let delta = (agreed > self.sent.len() && words.starts_with(&self.sent))
            .then(|| self.send(&words[self.sent.len()..agreed]));
        self.previous = words;
        delta
    }

    /// Takes the final transcript; returns the last delta (possibly empty) and the transcript
    /// the deltas add up to: the words already sent, then the final transcript's words after
    /// them.
    pub fn finish(&mut self, text: &str) -> (String, String) {
        let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        let rest = words.get(self.sent.len()..).unwrap_or_default();
        let delta = self.send(rest);
        let transcript = self.sent.join(" ");
        *self = Self::default();
        (delta, transcript)
    }

    /// Whether any delta was sent for the turn.
    pub fn started(&self) -> bool {
        !self.sent.is_empty()
    }

    /// Marks `words` sent and returns their delta text.
    fn send(&mut self, words: &[String]) -> String {
        let mut delta = String::new();
        for word in words {
            if !self.sent.is_empty() || !delta.is_empty() {
                delta.push(' ');
            }
            delta.push_str(word);
        }
        self.sent.extend_from_slice(words);
        delta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_follow_agreed_words_and_add_up_to_the_transcript() {
        let mut live = LiveTranscript::default();
        assert_eq!(live.update("Hello"), None);
        assert_eq!(live.update("Hello, my"), None, "the first word changed");
        assert_eq!(live.update("Hello, my name"), Some("Hello, my".to_owned()));
        assert_eq!(live.update("Hello, my name is"), Some(" name".to_owned()));
        assert!(live.started());
        let (delta, transcript) = live.finish("Hello, my name is Marcelo.");
        assert_eq!(delta, " is Marcelo.");
        assert_eq!(transcript, "Hello, my name is Marcelo.");
        assert!(!live.started(), "finish starts the next turn afresh");
    }

    #[test]
    fn a_final_transcript_that_disagrees_keeps_what_was_sent() {
        let mut live = LiveTranscript::default();
        live.update("turn off");
        assert_eq!(live.update("turn off the"), Some("turn off".to_owned()));
        let (delta, transcript) = live.finish("Turn of the lights");
        assert_eq!(delta, " the lights");
        assert_eq!(transcript, "turn off the lights");
    }

    #[test]
    fn without_partials_the_whole_transcript_is_one_delta() {
        let (delta, transcript) = LiveTranscript::default().finish("  Two   words ");
        assert_eq!(
            (delta.as_str(), transcript.as_str()),
            ("Two words", "Two words")
        );
    }
}
