//! The input audio of a session as data: [`InputBuffer`] on the session's audio clock, the
//! [`Input`] state the read loop owns, and the [`InputSettings`] taken from the session config.

use base64::Engine as _;
use rtclient_audio::WireFormat;

use rtclient_protocol::ErrorCode;

use super::read_ahead::ReadAhead;
use crate::engine::stt::LiveTranscript;
use crate::engine::vad::ResamplingDetector;
use crate::session::errors::ClientError;

/// Largest `input_audio_buffer.append` payload, in base64 characters (15 MiB).
pub const MAX_APPEND_BASE64: usize = 15 * 1024 * 1024;

/// Largest input audio buffer, in wire bytes (about 11 minutes of 24 kHz PCM16), so one
/// session cannot take the server's memory.
pub(crate) const MAX_INPUT_BUFFER: usize = 32 * 1024 * 1024;

/// The audio appended and not yet committed, cleared or discarded, and where it sits in the
/// session's audio (all offsets in wire bytes since the first append).
#[derive(Debug, Default)]
pub(crate) struct InputBuffer {
    bytes: Vec<u8>,
    start: u64,
}

impl InputBuffer {
    /// Decodes base64 `audio` onto the end of the buffer and returns how many bytes it added.
    /// Invalid base64, or audio that would outgrow [`MAX_INPUT_BUFFER`], leaves the buffer as
    /// it was.
    /// `sample_bytes`: the size of one sample, which the audio must be a whole number of.
    pub(crate) fn push_base64(
        &mut self,
        audio: &str,
        sample_bytes: usize,
    ) -> Result<usize, ClientError> {
        let start = self.bytes.len();
        if base64::engine::general_purpose::STANDARD
            .decode_vec(audio.as_bytes(), &mut self.bytes)
            .is_err()
        {
            self.bytes.truncate(start);
            return Err(ClientError::invalid_value(
                "audio",
                "Invalid 'audio'. Expected base64-encoded audio.",
            ));
        }
        let added = self.bytes.len() - start;
        if !added.is_multiple_of(sample_bytes.max(1)) {
            self.bytes.truncate(start);
            return Err(ClientError::invalid_value(
                "audio",
                format!(
                    "Invalid 'audio': {added} bytes is not a whole number of {sample_bytes}-byte \
                     samples."
                ),
            ));
        }
        if self.bytes.len() > MAX_INPUT_BUFFER {
            self.bytes.truncate(start);
            return Err(ClientError::new(
                ErrorCode::InputAudioBufferFull,
                format!(
                    "The input audio buffer is full ({} MiB). Commit or clear it before \
                     appending more audio.",
                    MAX_INPUT_BUFFER / (1024 * 1024)
                ),
            )
            .param("audio"));
        }
        Ok(self.bytes.len() - start)
    }

    /// The last `n` bytes.
    pub(crate) fn last(&self, n: usize) -> &[u8] {
        &self.bytes[self.bytes.len().saturating_sub(n)..]
    }

    /// Bytes in the buffer.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Where the buffer starts on the session's audio clock.
    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// The session's audio clock: every byte ever appended.
    pub(crate) fn end(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }

    /// Discards the audio before `offset`.
    pub(crate) fn discard_before(&mut self, offset: u64) {
        let cut = offset
            .saturating_sub(self.start)
            .min(self.bytes.len() as u64);
        self.bytes.drain(..cut as usize);
        self.start += cut;
    }

    /// Takes the audio before `offset`; what follows stays.
    pub(crate) fn take_until(&mut self, offset: u64) -> Vec<u8> {
        let cut = offset
            .saturating_sub(self.start)
            .min(self.bytes.len() as u64);
        let rest = self.bytes.split_off(cut as usize);
        self.start += cut;
        std::mem::replace(&mut self.bytes, rest)
    }

    /// Takes all of it.
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        self.take_until(self.end())
    }
}

/// The input audio buffer and server VAD of one session (owned by the read loop).
#[derive(Default)]
pub(super) struct Input {
    /// The session's input settings, as of its last configuration.
    pub(super) settings: InputSettings,
    /// Audio appended and not yet committed, on the session's audio clock.
    pub(super) buffer: InputBuffer,
    pub(super) vad: Option<ResamplingDetector>,
    /// Decoded samples of the current append (kept to reuse its allocation).
    pub(super) samples: Vec<i16>,
    /// Item id announced by `speech_started`.
    pub(super) speech_item: Option<String>,
    /// Audio clock (ms) from which silence counts towards `idle_timeout_ms`.
    pub(super) idle_since_ms: u64,
    /// Responses that had ended at the last idle check.
    pub(super) responses_seen: u64,
    /// The live transcript of the turn being spoken.
    pub(super) live: LiveTranscript,
    /// Milliseconds of the turn the live transcriber last heard.
    pub(super) live_heard_ms: u64,
    /// The turn in progress, read ahead during its latest pause.
    pub(super) read_ahead: Option<ReadAhead>,
}

/// What the input path reads from the session config, taken once per `session.update` instead
/// of on every append.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct InputSettings {
    /// The input audio format.
    pub(super) format: WireFormat,
    /// Turn detection's `prefix_padding_ms` (300 when off).
    pub(super) prefix_padding_ms: u64,
    /// Turn detection's `idle_timeout_ms`, if set.
    pub(super) idle_timeout_ms: Option<u64>,
    /// Turn detection's `create_response`.
    pub(super) create_response: bool,
    /// Turn detection's `interrupt_response`.
    pub(super) interrupt_response: bool,
    /// How long a pause in a turn lasts before the turn is read ahead, in ms.
    pub(super) read_ahead_after_ms: u64,
}

impl InputSettings {
    /// Milliseconds of `bytes` of input audio.
    pub(super) fn bytes_to_ms(&self, bytes: u64) -> u64 {
        bytes * 1000 / self.format.bytes_per_second().max(1)
    }

    /// The wire bytes of `ms` of input audio, whole samples.
    pub(super) fn ms_to_bytes(&self, ms: u64) -> u64 {
        let bytes = self.format.bytes_per_second() * ms / 1000;
        bytes - bytes % (self.format.bytes_per_sample() as u64).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn offsets_follow_the_session_clock() {
        let mut buffer = InputBuffer::default();
        assert_eq!(buffer.push_base64(&b64(&[1, 2, 3, 4, 5, 6]), 2).unwrap(), 6);
        buffer.discard_before(2);
        assert_eq!((buffer.start(), buffer.len(), buffer.end()), (2, 4, 6));
        assert_eq!(buffer.take_until(5), [3, 4, 5]);
        buffer.push_base64(&b64(&[7, 8]), 2).unwrap();
        assert_eq!(buffer.last(2), [7, 8]);
        assert_eq!(buffer.end(), 8);
        // Offsets outside the buffer are clamped.
        buffer.discard_before(1);
        assert_eq!(buffer.take_until(100), [6, 7, 8]);
        assert_eq!((buffer.len(), buffer.end()), (0, 8));
        assert!(buffer.take_all().is_empty());
    }

    #[test]
    fn a_full_buffer_or_bad_base64_leaves_the_buffer_as_it_was() {
        let mut buffer = InputBuffer::default();
        buffer
            .push_base64(&b64(&vec![0; MAX_INPUT_BUFFER]), 2)
            .unwrap();
        let error = buffer.push_base64(&b64(&[0, 0]), 2).unwrap_err();
        assert_eq!(error.code, "input_audio_buffer_full");
        assert_eq!(buffer.len(), MAX_INPUT_BUFFER);
        buffer.take_all();
        let error = buffer.push_base64("AAA*", 2).unwrap_err();
        assert_eq!(error.code, "invalid_value");
        assert_eq!(buffer.len(), 0);
        assert!(buffer.push_base64(&b64(&[0, 0]), 2).is_ok());
    }
}
