//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in this crate.
///
/// Variants that concern a file carry its `path`; every message says what to do about it.
/// Underlying causes are kept as `#[source]`, not repeated in the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input file could not be opened (missing, a directory, or not readable).
    #[error("{}: cannot open the file; check that it exists and is readable", path.display())]
    Open {
        /// The file we tried to open.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The input file has no bytes at all.
    #[error("{}: the file is empty (0 bytes); there is no audio to send", path.display())]
    Empty {
        /// The empty file.
        path: PathBuf,
    },
    /// The bytes are not a container we recognise.
    #[error(
        "{}: not a recognised audio file; use WAV, FLAC, OGG Vorbis or MP3, or pass headerless PCM16 as raw input",
        path.display()
    )]
    UnknownFormat {
        /// The file that was probed.
        path: PathBuf,
        /// What the demuxer said.
        #[source]
        source: symphonia::core::errors::Error,
    },
    /// The container is fine but its audio codec is one we do not decode (e.g. Opus).
    #[error("{}: {codec} is not supported; convert to WAV/FLAC/Vorbis/MP3", path.display())]
    UnsupportedCodec {
        /// The file.
        path: PathBuf,
        /// A human name for the codec, e.g. `"Opus"`.
        codec: String,
    },
    /// The container holds no audio track (or none with known parameters).
    #[error("{}: the file contains no audio track", path.display())]
    NoAudioTrack {
        /// The file.
        path: PathBuf,
    },
    /// The audio track lacks a fact we need (sample rate or channel count).
    #[error("{}: the audio track does not state its {missing}; re-encode the file", path.display())]
    MissingParameter {
        /// The file.
        path: PathBuf,
        /// Which parameter is missing, e.g. `"sample rate"`.
        missing: &'static str,
    },
    /// The file's sample rate is outside what we convert (1 Hz to 1 MHz).
    #[error("{}: a sample rate of {rate} Hz is not supported; resample the file to at most 1,000,000 Hz", path.display())]
    UnsupportedRate {
        /// The file.
        path: PathBuf,
        /// The rate its header states.
        rate: u32,
    },
    /// The audio data is damaged and cannot be decoded.
    #[error("{}: the audio data is corrupt at frame {at_frame}; re-encode or replace the file", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// How many frames had been decoded before the damage.
        at_frame: u64,
        /// What the decoder said.
        #[source]
        source: symphonia::core::errors::Error,
    },
    /// The file ended before the length its header announced.
    #[error(
        "{}: the file is truncated: the header announces {expected_frames} frames but only {got_frames} are present",
        path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Frames announced by the header.
        expected_frames: u64,
        /// Frames actually decoded.
        got_frames: u64,
    },
    /// Reading the input failed part-way (I/O error, not bad data).
    #[error("{}: read failed after {at_frame} frames", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// How many frames had been decoded before the failure.
        at_frame: u64,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// An argument is out of range (sample rate 0, chunk duration 0, pace speed not positive, ...).
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: &'static str,
        /// Why it was rejected and what is allowed.
        reason: String,
    },
    /// The resampler could not be built or failed (only with unusual rate pairs).
    #[error("resampling from {from} Hz to {to} Hz failed")]
    Resample {
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
        /// rubato's reason.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The read-ahead decoding thread could not be started.
    #[error("cannot start the read-ahead decoding thread; use the stream without read_ahead()")]
    ReadAheadThread {
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// An audio delta was not valid base64.
    #[error("an audio delta is not valid base64; the server or recording is sending damaged data")]
    Base64 {
        /// The base64 decoder's reason.
        #[source]
        source: base64::DecodeError,
    },
    /// Writing a WAV file failed.
    #[error("{}: cannot write the WAV file", path.display())]
    WavWrite {
        /// The output file.
        path: PathBuf,
        /// hound's reason.
        #[source]
        source: hound::Error,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
