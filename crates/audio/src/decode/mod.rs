//! Opening audio files and decoding them, packet by packet, to mono `f32` blocks.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::well_known::{CODEC_ID_AAC, CODEC_ID_ALAC, CODEC_ID_OPUS};
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::error::{Error, Result};
use crate::format::frames_to_duration;
use crate::resample::MAX_SAMPLE_RATE;
use downmix::{downmix, downmix_buffer};

mod downmix;

/// How many consecutive undecodable packets we skip (MP3 streams often start with one or two)
/// before declaring the file corrupt.
const MAX_CONSECUTIVE_DECODE_ERRORS: u32 = 8;

/// Frames read per block from headerless PCM input.
const RAW_BLOCK_FRAMES: usize = 4096;

/// The layout of a headerless PCM16 little-endian file, for [`AudioSource::open_raw`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPcm16 {
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Interleaved channels (1 for mono, 2 for stereo, ...).
    pub channels: u16,
}

/// Facts about an input, known once it is open.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceInfo {
    /// The file.
    pub path: PathBuf,
    /// A short name of the decoder in use, e.g. `"flac"`, `"mp3"`, `"pcm_s16le"`.
    pub codec: &'static str,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels in the file (the output is always mono).
    pub channels: usize,
    /// Frames (samples per channel) the header announces, if it does.
    pub frames: Option<u64>,
}

impl SourceInfo {
    /// The length of the audio, if the header announces it.
    pub fn duration(&self) -> Option<Duration> {
        self.frames.map(|f| frames_to_duration(f, self.sample_rate))
    }
}

/// An open audio file, decoded lazily into mono `f32` blocks.
///
/// Supports WAV (PCM 8/16/24/32-bit integer, 32/64-bit float, mu-law, A-law), FLAC, OGG Vorbis and
/// MP3 through symphonia, and headerless PCM16 LE through [`open_raw`](Self::open_raw). Nothing is
/// read ahead beyond one packet: memory stays flat however long the file. Multi-channel audio is
/// down-mixed to mono by averaging the channels.
///
/// Use [`to_wire`](Self::to_wire) to get Realtime wire audio, or
/// [`next_block`](Self::next_block) for the raw mono samples at the file's own rate.
pub struct AudioSource {
    path: PathBuf,
    sample_rate: u32,
    channels: usize,
    frames: Option<u64>,
    codec: &'static str,
    backend: Backend,
    decoded_frames: u64,
    interleaved: Vec<f32>,
    mono: Vec<f32>,
    ended: bool,
}

enum Backend {
    Symphonia {
        reader: Box<dyn FormatReader>,
        decoder: Box<dyn AudioDecoder>,
        track_id: u32,
    },
    Raw {
        reader: BufReader<File>,
        bytes: Vec<u8>,
    },
}

impl std::fmt::Debug for AudioSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioSource")
            .field("path", &self.path)
            .field("codec", &self.codec)
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .field("frames", &self.frames)
            .field("decoded_frames", &self.decoded_frames)
            .finish_non_exhaustive()
    }
}

impl AudioSource {
    /// Opens an audio file, detecting its container and codec from its content (the extension is
    /// only a hint).
    ///
    /// Fails with [`Error::Open`], [`Error::Empty`], [`Error::UnknownFormat`],
    /// [`Error::UnsupportedCodec`] (e.g. Opus), [`Error::NoAudioTrack`] or
    /// [`Error::MissingParameter`]. Damage further into the file is reported by
    /// [`next_block`](Self::next_block).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = open_file(&path)?;
        let reader = probe(&path, file)?;
        let (track_id, frames, params) = audio_track(reader.as_ref(), &path)?;
        let decoder = audio_decoder(&params, &path)?;
        let (sample_rate, channels) = rate_and_channels(&params, &path)?;
        Ok(AudioSource {
            path,
            sample_rate,
            channels,
            frames,
            codec: decoder.codec_info().short_name,
            backend: Backend::Symphonia {
                reader,
                decoder,
                track_id,
            },
            decoded_frames: 0,
            interleaved: Vec::new(),
            mono: Vec::new(),
            ended: false,
        })
    }

    /// Opens a headerless PCM16 little-endian file with the given layout.
    ///
    /// The duration is known from the file size. A file whose size is not a whole number of
    /// frames reports [`Error::Truncated`] when the end is reached.
    pub fn open_raw(path: impl AsRef<Path>, layout: RawPcm16) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if layout.sample_rate == 0 || layout.channels == 0 {
            return Err(Error::InvalidArgument {
                what: "raw PCM16 layout",
                reason: format!(
                    "{} Hz, {} channels: rate and channel count must be greater than 0",
                    layout.sample_rate, layout.channels
                ),
            });
        }
        if layout.sample_rate > MAX_SAMPLE_RATE {
            return Err(Error::UnsupportedRate {
                path,
                rate: layout.sample_rate,
            });
        }
        let file = open_file(&path)?;
        let len = file.metadata().map(|m| m.len()).ok();
        let channels = usize::from(layout.channels);
        Ok(AudioSource {
            path,
            sample_rate: layout.sample_rate,
            channels,
            frames: len.map(|l| l / (2 * channels as u64)),
            codec: "pcm_s16le (raw)",
            backend: Backend::Raw {
                reader: BufReader::new(file),
                bytes: Vec::new(),
            },
            decoded_frames: 0,
            interleaved: Vec::new(),
            mono: Vec::new(),
            ended: false,
        })
    }

    /// The facts about this input (path, codec, rate, channels, length).
    pub fn info(&self) -> SourceInfo {
        SourceInfo {
            path: self.path.clone(),
            codec: self.codec,
            sample_rate: self.sample_rate,
            channels: self.channels,
            frames: self.frames,
        }
    }

    /// The file this source reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The file's channel count (the output is always mono).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// A short name of the decoder in use, e.g. `"flac"` or `"mp3"`.
    pub fn codec(&self) -> &'static str {
        self.codec
    }

    /// The number of frames (samples per channel) the header announces, if it does. Exact for
    /// WAV and FLAC; for MP3 without a Xing/VBRI header it is an estimate from the bitrate; OGG
    /// gives none.
    pub fn frames(&self) -> Option<u64> {
        self.frames
    }

    /// The length of the audio, if the header announces it (for progress bars).
    pub fn duration(&self) -> Option<Duration> {
        self.frames.map(|f| frames_to_duration(f, self.sample_rate))
    }

    /// Frames decoded so far.
    pub fn decoded_frames(&self) -> u64 {
        self.decoded_frames
    }

    /// Decodes the next block of audio, down-mixed to mono, with samples in `[-1.0, 1.0]` at
    /// [`sample_rate`](Self::sample_rate). Returns `Ok(None)` at the end.
    ///
    /// Errors: [`Error::Corrupt`] for undecodable data, [`Error::Truncated`] when the file ends
    /// before the length its header announced, [`Error::Read`] for I/O failures.
    ///
    /// Limits: truncation is detected for WAV and FLAC, whose headers state an exact length. A
    /// cut or damaged OGG or MP3 stream resynchronises and simply ends early, as players do; up
    /// to 8 consecutive undecodable packets are skipped before [`Error::Corrupt`]. A chained OGG
    /// file is read up to the end of its first logical stream.
    pub fn next_block(&mut self) -> Result<Option<&[f32]>> {
        if self.ended {
            return Ok(None);
        }
        let got = match &mut self.backend {
            // Symphonia blocks are down-mixed straight from the decoder's planes into `mono`.
            Backend::Symphonia {
                reader,
                decoder,
                track_id,
            } => next_packet_block(
                reader.as_mut(),
                decoder.as_mut(),
                *track_id,
                &self.path,
                self.decoded_frames,
                &mut self.mono,
            )?,
            Backend::Raw { reader, bytes } => {
                let got = next_raw_block(
                    reader,
                    bytes,
                    self.channels,
                    &self.path,
                    self.decoded_frames,
                    &mut self.interleaved,
                )?;
                downmix(&self.interleaved, self.channels, &mut self.mono);
                got
            }
        };
        if !got {
            self.ended = true;
            self.check_length()?;
            return Ok(None);
        }
        self.decoded_frames += self.mono.len() as u64;
        Ok(Some(&self.mono))
    }

    /// Reports [`Error::Truncated`] when the stream ended before the length its header
    /// announced. Only for containers whose header states an exact length (WAV, FLAC): for MP3
    /// the length may be an estimate from the bitrate, and OGG states none.
    fn check_length(&self) -> Result<()> {
        let exact = self.codec.starts_with("pcm") || self.codec == "flac";
        let expected = match (&self.backend, self.frames) {
            (Backend::Symphonia { .. }, Some(f)) if exact => f,
            _ => return Ok(()),
        };
        if self.decoded_frames < expected {
            return Err(Error::Truncated {
                path: self.path.clone(),
                expected_frames: expected,
                got_frames: self.decoded_frames,
            });
        }
        Ok(())
    }
}

/// Detects the container of `file`, opened from `path` (whose extension is a hint).
fn probe(path: &Path, file: File) -> Result<Box<dyn FormatReader>> {
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|source| match source {
            SymphoniaError::IoError(ref e) if e.kind() == ErrorKind::UnexpectedEof => {
                Error::Corrupt {
                    path: path.to_path_buf(),
                    at_frame: 0,
                    source,
                }
            }
            SymphoniaError::DecodeError(_) => Error::Corrupt {
                path: path.to_path_buf(),
                at_frame: 0,
                source,
            },
            _ => Error::UnknownFormat {
                path: path.to_path_buf(),
                source,
            },
        })
}

/// The default audio track of `reader`: its id, its length in frames if known, and its codec
/// parameters.
fn audio_track(
    reader: &dyn FormatReader,
    path: &Path,
) -> Result<(u32, Option<u64>, AudioCodecParameters)> {
    let Some(track) = reader.default_track(TrackType::Audio) else {
        let has_audio = reader
            .tracks()
            .iter()
            .any(|t| matches!(t.codec_params, Some(CodecParameters::Audio(_))));
        return Err(if has_audio {
            Error::UnsupportedCodec {
                path: path.to_path_buf(),
                codec: "this codec".into(),
            }
        } else {
            Error::NoAudioTrack {
                path: path.to_path_buf(),
            }
        });
    };
    let Some(params) = track.codec_params.as_ref().and_then(|p| p.audio()) else {
        return Err(Error::NoAudioTrack {
            path: path.to_path_buf(),
        });
    };
    Ok((track.id, track.num_frames, params.clone()))
}

/// A decoder for `params`; a codec we cannot decode is named when it is a known one.
fn audio_decoder(params: &AudioCodecParameters, path: &Path) -> Result<Box<dyn AudioDecoder>> {
    let codec_name = match params.codec {
        CODEC_ID_OPUS => Some("Opus"),
        CODEC_ID_AAC => Some("AAC"),
        CODEC_ID_ALAC => Some("ALAC"),
        _ => None,
    };
    symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|_| Error::UnsupportedCodec {
            path: path.to_path_buf(),
            codec: codec_name.map_or_else(
                || format!("the audio codec ({:?})", params.codec),
                String::from,
            ),
        })
}

/// The sample rate and channel count of `params`, both present, the rate one we can resample.
fn rate_and_channels(params: &AudioCodecParameters, path: &Path) -> Result<(u32, usize)> {
    let sample_rate = params.sample_rate.ok_or_else(|| Error::MissingParameter {
        path: path.to_path_buf(),
        missing: "sample rate",
    })?;
    let channels = params
        .channels
        .as_ref()
        .map(|c| c.count())
        .filter(|&c| c > 0)
        .ok_or_else(|| Error::MissingParameter {
            path: path.to_path_buf(),
            missing: "channel count",
        })?;
    if sample_rate == 0 {
        return Err(Error::MissingParameter {
            path: path.to_path_buf(),
            missing: "sample rate",
        });
    }
    if sample_rate > MAX_SAMPLE_RATE {
        return Err(Error::UnsupportedRate {
            path: path.to_path_buf(),
            rate: sample_rate,
        });
    }
    Ok((sample_rate, channels))
}

/// Opens `path` for reading, rejecting directories and empty files with a clear error.
fn open_file(path: &Path) -> Result<File> {
    let file = File::open(path).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let meta = file.metadata().map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Err(Error::Open {
            path: path.to_path_buf(),
            source: std::io::Error::new(ErrorKind::IsADirectory, "is a directory"),
        });
    }
    if meta.len() == 0 {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(file)
}

/// Reads packets until one decodes to a non-empty buffer, down-mixed into `mono`.
/// Returns `false` at the end of the stream.
fn next_packet_block(
    reader: &mut dyn FormatReader,
    decoder: &mut dyn AudioDecoder,
    track_id: u32,
    path: &Path,
    at_frame: u64,
    mono: &mut Vec<f32>,
) -> Result<bool> {
    let corrupt = |source| Error::Corrupt {
        path: path.to_path_buf(),
        at_frame,
        source,
    };
    let mut decode_errors = 0u32;
    loop {
        let packet = match reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(false),
            // A chained OGG stream starts a new logical stream: we stop at the first one.
            Err(SymphoniaError::ResetRequired) => return Ok(false),
            // Truncated data ends the stream; `check_length` turns it into `Truncated` when the
            // header announced more.
            Err(SymphoniaError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => {
                return Ok(false);
            }
            Err(SymphoniaError::IoError(source)) => {
                return Err(Error::Read {
                    path: path.to_path_buf(),
                    at_frame,
                    source,
                });
            }
            Err(source) => return Err(corrupt(source)),
        };
        if packet.track_id != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buf) => {
                if buf.frames() == 0 {
                    continue;
                }
                downmix_buffer(&buf, mono);
                return Ok(true);
            }
            Err(source @ (SymphoniaError::DecodeError(_) | SymphoniaError::IoError(_))) => {
                decode_errors += 1;
                if decode_errors > MAX_CONSECUTIVE_DECODE_ERRORS {
                    return Err(corrupt(source));
                }
            }
            Err(source) => return Err(corrupt(source)),
        }
    }
}

/// Reads up to [`RAW_BLOCK_FRAMES`] frames of PCM16 LE into `interleaved`.
fn next_raw_block(
    reader: &mut BufReader<File>,
    bytes: &mut Vec<u8>,
    channels: usize,
    path: &Path,
    at_frame: u64,
    interleaved: &mut Vec<f32>,
) -> Result<bool> {
    let frame_bytes = 2 * channels;
    let want = RAW_BLOCK_FRAMES * frame_bytes;
    bytes.resize(want, 0);
    let mut filled = 0;
    while filled < want {
        match reader.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_path_buf(),
                    at_frame,
                    source,
                });
            }
        }
    }
    let whole = filled / frame_bytes * frame_bytes;
    if whole < filled {
        let got_frames = at_frame + (whole / frame_bytes) as u64;
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            expected_frames: got_frames + 1,
            got_frames,
        });
    }
    if whole == 0 {
        return Ok(false);
    }
    interleaved.clear();
    interleaved.extend(
        bytes[..whole]
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0),
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(frames_to_duration(24_000, 24_000), Duration::from_secs(1));
        assert_eq!(
            frames_to_duration(2_400, 24_000),
            Duration::from_millis(100)
        );
        assert_eq!(frames_to_duration(1, 3), Duration::from_nanos(333_333_333));
    }
}
