//! [`InputBuffer`]: the input audio buffer, placed on the session's audio clock.

use base64::Engine as _;

use super::errors::ClientError;

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
    pub(crate) fn push_base64(&mut self, audio: &str) -> Result<usize, ClientError> {
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
        if self.bytes.len() > MAX_INPUT_BUFFER {
            self.bytes.truncate(start);
            return Err(ClientError::new(
                "input_audio_buffer_full",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn offsets_follow_the_session_clock() {
        let mut buffer = InputBuffer::default();
        assert_eq!(buffer.push_base64(&b64(&[1, 2, 3, 4, 5, 6])).unwrap(), 6);
        buffer.discard_before(2);
        assert_eq!((buffer.start(), buffer.len(), buffer.end()), (2, 4, 6));
        assert_eq!(buffer.take_until(5), [3, 4, 5]);
        buffer.push_base64(&b64(&[7, 8])).unwrap();
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
            .push_base64(&b64(&vec![0; MAX_INPUT_BUFFER]))
            .unwrap();
        let error = buffer.push_base64(&b64(&[0, 0])).unwrap_err();
        assert_eq!(error.code, "input_audio_buffer_full");
        assert_eq!(buffer.len(), MAX_INPUT_BUFFER);
        buffer.take_all();
        let error = buffer.push_base64("AAA*").unwrap_err();
        assert_eq!(error.code, "invalid_value");
        assert_eq!(buffer.len(), 0);
        assert!(buffer.push_base64(&b64(&[0, 0])).is_ok());
    }
}
