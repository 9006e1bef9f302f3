//! The conversion pipeline: decoded mono audio -> resampled -> clipped to 16 bits -> wire bytes.

use std::time::Duration;

use crate::chunk::Chunks;
use crate::decode::{AudioSource, frames_to_duration};
use crate::error::Result;
use crate::format::WireFormat;
use crate::resample::{Resampler, output_len};

/// A stream of wire-format bytes made from an [`AudioSource`].
///
/// Made by [`AudioSource::to_wire`]. Cut it into chunks with [`chunks`](Self::chunks), or pull
/// bytes directly with [`next_bytes`](Self::next_bytes). Holds at most a few blocks of audio.
#[derive(Debug)]
pub struct WireStream {
    source: AudioSource,
    format: WireFormat,
    resampler: Resampler,
    resampled: Vec<f32>,
    pcm: Vec<i16>,
    bytes: Vec<u8>,
    finished: bool,
}

impl WireStream {
    pub(crate) fn new(source: AudioSource, format: WireFormat) -> Result<Self> {
        format.validate()?;
        let resampler = Resampler::new(source.sample_rate(), format.sample_rate())?;
        Ok(WireStream {
            source,
            format,
            resampler,
            resampled: Vec::new(),
            pcm: Vec::new(),
            bytes: Vec::new(),
            finished: false,
        })
    }

    /// The output format.
    pub fn format(&self) -> WireFormat {
        self.format
    }

    /// The source being converted (rate, channels, path, frames decoded so far).
    pub fn source(&self) -> &AudioSource {
        &self.source
    }

    /// The number of samples the whole stream will produce, if the source's length is known.
    pub fn total_samples(&self) -> Option<u64> {
        self.source
            .frames()
            .map(|f| output_len(self.source.sample_rate(), self.format.sample_rate(), f))
    }

    /// The number of wire bytes the whole stream will produce, if the source's length is known.
    pub fn total_bytes(&self) -> Option<u64> {
        self.total_samples()
            .map(|s| s * self.format.bytes_per_sample() as u64)
    }

    /// The length of the output audio, if the source's length is known (for progress bars).
    pub fn total_duration(&self) -> Option<Duration> {
        self.total_samples()
            .map(|s| frames_to_duration(s, self.format.sample_rate()))
    }

    /// Cuts the stream into chunks of `duration` (the last may be shorter), each with its bytes
    /// and base64. 100 ms is 4,800 bytes of PCM16 24 kHz, or 800 bytes of G.711.
    ///
    /// Fails with [`Error::InvalidArgument`](crate::Error::InvalidArgument) if `duration` is
    /// shorter than one sample.
    pub fn chunks(self, duration: Duration) -> Result<Chunks> {
        Chunks::new(self, duration)
    }

    /// Converts the next block of the source and returns its wire bytes, or `Ok(None)` at the
    /// end. Blocks have no fixed size (one decoded packet's worth, after resampling).
    pub fn next_bytes(&mut self) -> Result<Option<&[u8]>> {
        self.bytes.clear();
        while self.bytes.is_empty() {
            if !self.pull()? {
                return Ok(None);
            }
        }
        Ok(Some(&self.bytes))
    }

    /// Appends the next converted block to `out`; returns `false` once the stream is exhausted.
    pub(crate) fn read_into(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        self.bytes.clear();
        let more = self.pull()?;
        out.extend_from_slice(&self.bytes);
        Ok(more)
    }

    /// Converts one source block (or, at the end, the resampler tail) into `self.bytes`
    /// (appending). Returns `false` when nothing is left.
    fn pull(&mut self) -> Result<bool> {
        if self.finished {
            return Ok(false);
        }
        self.resampled.clear();
        match self.source.next_block()? {
            Some(block) => self.resampler.process(block, &mut self.resampled)?,
            None => {
                self.resampler.finish(&mut self.resampled)?;
                self.finished = true;
            }
        }
        self.pcm.clear();
        self.pcm
            .extend(self.resampled.iter().map(|&x| clip_to_i16(x)));
        self.format.encode(&self.pcm, &mut self.bytes);
        Ok(!self.finished || !self.bytes.is_empty())
    }
}

/// Scales a `[-1.0, 1.0]` sample to 16 bits, rounding, and clips anything outside the range to
/// `i16::MIN..=i16::MAX` instead of wrapping.
pub fn clip_to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_instead_of_wrapping() {
        assert_eq!(clip_to_i16(0.0), 0);
        assert_eq!(clip_to_i16(1.0), i16::MAX);
        assert_eq!(clip_to_i16(1.7), i16::MAX);
        assert_eq!(clip_to_i16(-1.0), i16::MIN);
        assert_eq!(clip_to_i16(-3.0), i16::MIN);
        assert_eq!(clip_to_i16(f32::NAN), 0);
        assert_eq!(clip_to_i16(100.0 / 32768.0), 100);
    }
}
