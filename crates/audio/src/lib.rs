//! Audio files to Realtime wire audio, and wire audio back to WAV files.
//!
//! `rtclient-audio` turns any common audio file into the audio the OpenAI / Azure OpenAI Realtime
//! API expects (PCM16 little-endian mono at 24 kHz, or G.711 mu-law / A-law at 8 kHz), cut into
//! base64 chunks ready for `input_audio_buffer.append`, and paced like a live microphone if you
//! want. For the output side it decodes audio deltas and writes WAV files.
//!
//! # Overview
//!
//! - [`AudioSource`] opens a file (WAV, FLAC, OGG Vorbis, MP3, or headerless PCM16) and decodes it
//!   packet by packet, down-mixing to mono. Memory stays flat however long the file.
//! - [`AudioSource::to_wire`] gives a [`WireStream`]: resampled (rubato) to the [`WireFormat`]'s
//!   rate with exact output length, clipped (never wrapped) to 16 bits, and encoded.
//!   [`WireStream::read_ahead`] optionally decodes on a helper thread (pays off only with an idle
//!   core).
//! - [`WireStream::chunks`] cuts it into [`Chunk`]s of fixed duration (100 ms = 4,800 bytes of
//!   PCM16 24 kHz), each with its bytes, base64, start offset and duration. Together with
//!   [`Chunks::total_duration`] that is all a progress bar needs.
//! - [`Pacer`] (feature `pace`, on by default) releases chunks at real time, N x real time, or
//!   unpaced ([`Pace`]).
//! - [`WavSink`] writes incoming deltas to a WAV file that stays valid if the stream stops early.
//! - [`g711`] is a bit-exact ITU-T G.711 codec; [`Resampler`] is the streaming resampler.
//!
//! All failures are one [`Error`] enum whose messages name the file and what to do.
//!
//! # Features
//!
//! - `pace` (default): the [`Pacer`], on tokio's `time` feature only.
//! - `simd-base64` (default): base64 of chunks with `base64-simd` (runtime CPU detection, same
//!   output); without it the `base64` crate is used.
//!
//! # What this crate does not do
//!
//! No network, no WebSocket, no JSON events: it knows nothing of the protocol beyond the audio
//! formats. No audio devices (microphone/speaker). No Opus decoding (such files are rejected with
//! [`Error::UnsupportedCodec`]).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use rtclient_audio::{AudioSource, WavSink, WireFormat};
//!
//! # fn main() -> Result<(), rtclient_audio::Error> {
//! # let dir = std::env::temp_dir().join(format!("rtclient-audio-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).map_err(|e| rtclient_audio::Error::Open { path: dir.clone(), source: e })?;
//! # let input = dir.join("tone.wav");
//! # let mut sink = WavSink::create(&input, WireFormat::Pcm16 { rate: 16_000 })?;
//! # sink.push_samples(&vec![1000i16; 16_000])?; // one second at 16 kHz
//! # sink.finish()?;
//! let chunks = AudioSource::open(&input)?
//!     .to_wire(WireFormat::default())? // PCM16 24 kHz mono
//!     .chunks(Duration::from_millis(100))?;
//! let mut n = 0;
//! for chunk in chunks {
//!     let chunk = chunk?;
//!     assert_eq!(chunk.bytes().len(), 4_800);
//!     assert_eq!(chunk.base64().len(), 6_400);
//!     n += 1;
//! }
//! assert_eq!(n, 10);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
//!
//! See `examples/stream_file.rs` (file to chunks, with timing) and `examples/convert_to_wav.rs`
//! (file to wire audio and back to a WAV you can listen to) in the crate directory, and
//! `BENCHMARKS.md` for speed and memory against the seed Python pipeline.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod chunk;
mod convert;
mod decode;
mod error;
mod format;
pub mod g711;
#[cfg(feature = "pace")]
mod pace;
mod resample;
mod wav;

pub use chunk::{Chunk, Chunks, DEFAULT_CHUNK};
pub use convert::{READ_AHEAD_BLOCKS, WireStream, clip_to_i16};
pub use decode::{AudioSource, RawPcm16, SourceInfo};
pub use error::{Error, Result};
pub use format::WireFormat;
#[cfg(feature = "pace")]
pub use pace::{Pace, Pacer};
pub use resample::{MAX_SAMPLE_RATE, Resampler, output_len};
pub use wav::{WavSink, decode_delta};
