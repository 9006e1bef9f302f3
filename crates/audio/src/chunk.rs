//! Fixed-duration chunks of wire audio, with their base64 text.

use std::time::Duration;

use crate::convert::WireStream;
use crate::error::{Error, Result};
use crate::format::{WireFormat, frames_to_duration};

/// The default chunk length, 100 ms (4,800 bytes of PCM16 24 kHz).
pub const DEFAULT_CHUNK: Duration = Duration::from_millis(100);

/// One piece of wire audio, ready for `input_audio_buffer.append`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    index: u64,
    start: Duration,
    duration: Duration,
    bytes: Vec<u8>,
    base64: String,
}

impl Chunk {
    /// Position in the stream, from 0.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Where this chunk starts, from the beginning of the audio.
    pub fn start(&self) -> Duration {
        self.start
    }

    /// How much audio this chunk holds (the chunk length, or less for the last one).
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Where this chunk ends: `start + duration`. Use it to draw progress.
    pub fn end(&self) -> Duration {
        self.start + self.duration
    }

    /// The wire bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The wire bytes, standard base64 with padding (the `audio` field of an append event).
    pub fn base64(&self) -> &str {
        &self.base64
    }

    /// Takes the wire bytes, dropping the base64.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Iterator over the [`Chunk`]s of a [`WireStream`]; made by [`WireStream::chunks`].
///
/// Yields `Result<Chunk>`: a decoding error ends the iteration after being yielded once.
#[derive(Debug)]
pub struct Chunks {
    stream: WireStream,
    format: WireFormat,
    chunk_bytes: usize,
    pending: Vec<u8>,
    /// Start of the bytes not yet handed out in `pending`.
    pos: usize,
    index: u64,
    emitted_samples: u64,
    exhausted: bool,
    failed: bool,
}

impl Chunks {
    pub(crate) fn new(stream: WireStream, duration: Duration) -> Result<Self> {
        let format = stream.format();
        let rate = u128::from(format.sample_rate());
        let samples = (duration.as_nanos() * rate + 500_000_000) / 1_000_000_000;
        if samples == 0 {
            return Err(Error::InvalidArgument {
                what: "chunk duration",
                reason: format!("{duration:?} is shorter than one sample at {rate} Hz"),
            });
        }
        let chunk_bytes = usize::try_from(samples)
            .ok()
            .and_then(|s| s.checked_mul(format.bytes_per_sample()))
            .ok_or_else(|| Error::InvalidArgument {
                what: "chunk duration",
                reason: format!("{duration:?} is too long for one chunk"),
            })?;
        Ok(Chunks {
            stream,
            format,
            chunk_bytes,
            pending: Vec::with_capacity(chunk_bytes * 2),
            pos: 0,
            index: 0,
            emitted_samples: 0,
            exhausted: false,
            failed: false,
        })
    }

    /// Bytes in a full chunk.
    pub fn chunk_bytes(&self) -> usize {
        self.chunk_bytes
    }

    /// The underlying stream (source facts, total duration).
    pub fn stream(&self) -> &WireStream {
        &self.stream
    }

    /// The length of the whole output, if known (see [`WireStream::total_duration`]).
    pub fn total_duration(&self) -> Option<Duration> {
        self.stream.total_duration()
    }

    fn cut(&mut self, len: usize) -> Chunk {
        let bytes = self.pending[self.pos..self.pos + len].to_vec();
        self.pos += len;
        let samples = (bytes.len() / self.format.bytes_per_sample()) as u64;
        let rate = self.format.sample_rate();
        let chunk = Chunk {
            index: self.index,
            start: frames_to_duration(self.emitted_samples, rate),
            duration: frames_to_duration(self.emitted_samples + samples, rate)
                - frames_to_duration(self.emitted_samples, rate),
            base64: encode_base64(&bytes),
            bytes,
        };
        self.index += 1;
        self.emitted_samples += samples;
        chunk
    }
}

/// Standard base64 with padding; SIMD-accelerated with the `simd-base64` feature (same output).
fn encode_base64(bytes: &[u8]) -> String {
    #[cfg(feature = "simd-base64")]
    {
        base64_simd::STANDARD.encode_to_string(bytes)
    }
    #[cfg(not(feature = "simd-base64"))]
    {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

impl Iterator for Chunks {
    type Item = Result<Chunk>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        while !self.exhausted && self.pending.len() - self.pos < self.chunk_bytes {
            if self.pos > 0 {
                // Drop what was handed out; what remains is less than one chunk.
                self.pending.drain(..self.pos);
                self.pos = 0;
            }
            match self.stream.read_into(&mut self.pending) {
                Ok(true) => {}
                Ok(false) => self.exhausted = true,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        let available = self.pending.len() - self.pos;
        if available == 0 {
            return None;
        }
        let len = self.chunk_bytes.min(available);
        Some(Ok(self.cut(len)))
    }
}

impl WireStream {
    /// Cuts the stream into chunks of `duration` (the last may be shorter), each with its bytes
    /// and base64. 100 ms is 4,800 bytes of PCM16 24 kHz, or 800 bytes of G.711.
    ///
    /// Fails with [`Error::InvalidArgument`](crate::Error::InvalidArgument) if `duration` is
    /// shorter than one sample.
    pub fn chunks(self, duration: Duration) -> Result<Chunks> {
        Chunks::new(self, duration)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    #[test]
    fn base64_is_standard_with_padding() {
        let data: Vec<u8> = (0..5_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for n in [0, 1, 2, 3, 4, 100, 4_799, 4_800, 5_000] {
            assert_eq!(
                encode_base64(&data[..n]),
                STANDARD.encode(&data[..n]),
                "n={n}"
            );
        }
    }
}
