//! Integration tests for rtclient-audio, on speech and tones made at test time with espeak-ng and
//! sox (run `scripts/setup` if they are missing; the tests fail, they never skip).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chunks;
mod errors;
mod formats;
#[cfg(feature = "pace")]
mod pace;
mod signal;
mod testutil;
mod wav_sink;
