//! Input audio transcription: the engine behind `audio.input.transcription`.
//!
//! The default, [`NoTranscriber`], has no engine: every transcription request ends in a
//! `conversation.item.input_audio_transcription.failed` event whose error names the missing
//! engine. A real engine implements [`Transcriber`] and is plugged in with
//! [`crate::RealtimeSession::transcriber`].

/// Audio of one committed user turn: mono PCM16.
#[derive(Debug, Clone, Copy)]
pub struct TurnAudio<'a> {
    /// Samples per second of `samples`.
    pub sample_rate: u32,
    /// Mono 16-bit samples.
    pub samples: &'a [i16],
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

/// Turns a committed user turn into text.
pub trait Transcriber: Send + Sync {
    /// Transcribes `audio` as the session's transcription `model` asks (e.g. `whisper-1`).
    fn transcribe(&self, audio: TurnAudio<'_>, model: &str) -> Result<String, TranscriptionError>;
}

/// The default: no transcription engine; every request fails with a clear error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTranscriber;

impl Transcriber for NoTranscriber {
    fn transcribe(&self, _audio: TurnAudio<'_>, model: &str) -> Result<String, TranscriptionError> {
        Err(TranscriptionError {
            code: "transcription_engine_missing".to_owned(),
            message: format!(
                "Input transcription with '{model}' is unavailable: this rtclient-server has no \
                 transcription engine configured."
            ),
        })
    }
}
