//! The wire audio formats of the Realtime API.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::g711;

/// An audio format the Realtime API accepts or produces (`audio/pcm`, `audio/pcmu`, `audio/pcma`).
///
/// All are mono. The default is PCM16 at 24 kHz, the API's native rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WireFormat {
    /// 16-bit signed little-endian PCM, mono, at `rate` Hz (the API uses 24,000).
    Pcm16 {
        /// Sample rate in Hz.
        rate: u32,
    },
    /// G.711 mu-law, 8 kHz, one byte per sample (`audio/pcmu`).
    G711Ulaw,
    /// G.711 A-law, 8 kHz, one byte per sample (`audio/pcma`).
    G711Alaw,
}

impl Default for WireFormat {
    /// `Pcm16 { rate: 24_000 }`.
    fn default() -> Self {
        WireFormat::PCM16_24K
    }
}

impl WireFormat {
    /// PCM16 at 24 kHz, the Realtime API's native format.
    pub const PCM16_24K: WireFormat = WireFormat::Pcm16 { rate: 24_000 };

    /// Samples per second.
    pub fn sample_rate(&self) -> u32 {
        match self {
            WireFormat::Pcm16 { rate } => *rate,
            WireFormat::G711Ulaw | WireFormat::G711Alaw => 8_000,
        }
    }

    /// Bytes per sample on the wire: 2 for PCM16, 1 for G.711.
    pub fn bytes_per_sample(&self) -> usize {
        match self {
            WireFormat::Pcm16 { .. } => 2,
            WireFormat::G711Ulaw | WireFormat::G711Alaw => 1,
        }
    }

    /// Bytes per second of audio on the wire (48,000 for PCM16 24 kHz, 8,000 for G.711).
    pub fn bytes_per_second(&self) -> u64 {
        u64::from(self.sample_rate()) * self.bytes_per_sample() as u64
    }

    /// Checks the format is usable (a PCM16 rate must be non-zero).
    pub fn validate(&self) -> Result<()> {
        match self {
            WireFormat::Pcm16 { rate: 0 } => Err(Error::InvalidArgument {
                what: "PCM16 sample rate",
                reason: "must be greater than 0 Hz".into(),
            }),
            _ => Ok(()),
        }
    }

    /// Appends `samples` encoded in this format to `out`.
    pub fn encode(&self, samples: &[i16], out: &mut Vec<u8>) {
        match self {
            WireFormat::Pcm16 { .. } => {
                out.reserve(samples.len() * 2);
                for s in samples {
                    out.extend_from_slice(&s.to_le_bytes());
                }
            }
            WireFormat::G711Ulaw => out.extend(samples.iter().map(|&s| g711::ulaw_encode(s))),
            WireFormat::G711Alaw => out.extend(samples.iter().map(|&s| g711::alaw_encode(s))),
        }
    }

    /// Appends the PCM16 samples encoded in `bytes` to `out`.
    ///
    /// For PCM16 a trailing odd byte is ignored (callers streaming deltas should keep it; see
    /// [`WavSink`](crate::WavSink), which does).
    pub fn decode(&self, bytes: &[u8], out: &mut Vec<i16>) {
        match self {
            WireFormat::Pcm16 { .. } => out.extend(
                bytes
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]])),
            ),
            WireFormat::G711Ulaw => out.extend(bytes.iter().map(|&b| g711::ulaw_decode(b))),
            WireFormat::G711Alaw => out.extend(bytes.iter().map(|&b| g711::alaw_decode(b))),
        }
    }
}

impl std::fmt::Display for WireFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireFormat::Pcm16 { rate } => write!(f, "PCM16 {rate} Hz mono"),
            WireFormat::G711Ulaw => f.write_str("G.711 mu-law 8 kHz"),
            WireFormat::G711Alaw => f.write_str("G.711 A-law 8 kHz"),
        }
    }
}

/// `frames` at `rate` Hz as a `Duration`, exact to the nanosecond (rounded down).
pub(crate) fn frames_to_duration(frames: u64, rate: u32) -> Duration {
    let rate = u64::from(rate.max(1));
    let secs = frames / rate;
    let rem = frames % rate;
    let nanos = u32::try_from(u128::from(rem) * 1_000_000_000 / u128::from(rate)).unwrap_or(0);
    Duration::new(secs, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_sizes() {
        assert_eq!(WireFormat::default(), WireFormat::Pcm16 { rate: 24_000 });
        assert_eq!(WireFormat::default().bytes_per_second(), 48_000);
        assert_eq!(WireFormat::G711Ulaw.bytes_per_second(), 8_000);
        assert_eq!(WireFormat::G711Alaw.sample_rate(), 8_000);
        assert!(WireFormat::Pcm16 { rate: 0 }.validate().is_err());
    }

    #[test]
    fn pcm16_round_trip() {
        let samples = [0i16, 1, -1, i16::MAX, i16::MIN, 12345];
        let mut bytes = Vec::new();
        WireFormat::default().encode(&samples, &mut bytes);
        assert_eq!(&bytes[..4], &[0, 0, 1, 0]);
        let mut back = Vec::new();
        WireFormat::default().decode(&bytes, &mut back);
        assert_eq!(back, samples);
    }
}
