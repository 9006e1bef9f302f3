//! Writing received wire audio to WAV files.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, Result};
use crate::format::WireFormat;
use crate::format::frames_to_duration;

/// How often (in seconds of audio) the WAV header is rewritten while streaming.
const HEADER_REFRESH_SECONDS: u64 = 1;

/// A WAV file being written from a stream of wire audio (e.g. `response.output_audio.delta`s).
///
/// The file is 16-bit PCM mono at the format's rate; G.711 input is decoded to PCM16.
///
/// **A valid file at every moment that matters:** the header is rewritten after every second of
/// audio, so if the process dies the file is still a valid WAV holding all but at most the last
/// second. Dropping the sink without [`finish`](Self::finish) (e.g. on an early return) also
/// finalizes the header, but errors are then lost; call `finish` to see them.
pub struct WavSink {
    path: PathBuf,
    format: WireFormat,
    writer: hound::WavWriter<BufWriter<File>>,
    odd_byte: Option<u8>,
    samples: Vec<i16>,
    raw: Vec<u8>,
    written: u64,
    next_refresh: u64,
}

impl std::fmt::Debug for WavSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavSink")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl WavSink {
    /// Creates (or truncates) `path` for audio arriving in `format`.
    pub fn create(path: impl AsRef<Path>, format: WireFormat) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        format.validate()?;
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: format.sample_rate(),
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(&path, spec).map_err(|source| Error::WavWrite {
            path: path.clone(),
            source,
        })?;
        let refresh = u64::from(format.sample_rate()) * HEADER_REFRESH_SECONDS;
        Ok(WavSink {
            path,
            format,
            writer,
            odd_byte: None,
            samples: Vec::new(),
            raw: Vec::new(),
            written: 0,
            next_refresh: refresh,
        })
    }

    /// Appends one base64 audio delta, in the sink's format.
    pub fn push_base64(&mut self, delta: &str) -> Result<()> {
        let mut raw = std::mem::take(&mut self.raw);
        raw.clear();
        STANDARD
            .decode_vec(delta.trim(), &mut raw)
            .map_err(|source| Error::Base64 { source })?;
        let result = self.push_wire(&raw);
        self.raw = raw;
        result
    }

    /// Appends raw wire bytes in the sink's format. For PCM16 an odd trailing byte is kept and
    /// joined with the next push.
    pub fn push_wire(&mut self, bytes: &[u8]) -> Result<()> {
        self.samples.clear();
        match self.format {
            WireFormat::Pcm16 { .. } => {
                let mut rest = bytes;
                if let Some(lo) = self.odd_byte.take() {
                    if let Some((&hi, tail)) = rest.split_first() {
                        self.samples.push(i16::from_le_bytes([lo, hi]));
                        rest = tail;
                    } else {
                        self.odd_byte = Some(lo);
                    }
                }
                self.format.decode(rest, &mut self.samples);
                if rest.len() % 2 == 1 {
                    self.odd_byte = rest.last().copied();
                }
            }
            _ => self.format.decode(bytes, &mut self.samples),
        }
        let samples = std::mem::take(&mut self.samples);
        let result = self.push_samples(&samples);
        self.samples = samples;
        result
    }

    /// Appends PCM16 little-endian bytes (only for a PCM16 sink; same as
    /// [`push_wire`](Self::push_wire) there).
    pub fn push_pcm16(&mut self, bytes: &[u8]) -> Result<()> {
        match self.format {
            WireFormat::Pcm16 { .. } => self.push_wire(bytes),
            _ => Err(Error::InvalidArgument {
                what: "push_pcm16",
                reason: format!(
                    "this sink expects {}; use push_wire or push_samples",
                    self.format
                ),
            }),
        }
    }

    /// Appends 16-bit samples.
    pub fn push_samples(&mut self, samples: &[i16]) -> Result<()> {
        // hound's fast writer takes a u32 capacity: write in bounded pieces.
        for piece in samples.chunks(1 << 16) {
            let mut w = self.writer.get_i16_writer(piece.len() as u32);
            for &s in piece {
                w.write_sample(s);
            }
            w.flush().map_err(|source| Error::WavWrite {
                path: self.path.clone(),
                source,
            })?;
        }
        self.written += samples.len() as u64;
        if self.written >= self.next_refresh {
            self.writer.flush().map_err(|source| Error::WavWrite {
                path: self.path.clone(),
                source,
            })?;
            let step = u64::from(self.format.sample_rate()) * HEADER_REFRESH_SECONDS;
            self.next_refresh = self.written + step;
        }
        Ok(())
    }

    /// Rewrites the header and flushes to disk now, so the file is valid with everything pushed
    /// so far (this also happens automatically every second of audio).
    pub fn flush(&mut self) -> Result<()> {
        self.writer.flush().map_err(|source| Error::WavWrite {
            path: self.path.clone(),
            source,
        })
    }

    /// Samples written so far.
    pub fn samples_written(&self) -> u64 {
        self.written
    }

    /// Audio written so far.
    pub fn duration(&self) -> Duration {
        frames_to_duration(self.written, self.format.sample_rate())
    }

    /// Writes the final header and closes the file. Returns the audio length written.
    pub fn finish(self) -> Result<Duration> {
        let duration = self.duration();
        let path = self.path;
        self.writer
            .finalize()
            .map_err(|source| Error::WavWrite { path, source })?;
        Ok(duration)
    }
}

/// Decodes one base64 audio delta in `format` to PCM16 samples, appending to `out`.
pub fn decode_delta(delta: &str, format: WireFormat, out: &mut Vec<i16>) -> Result<()> {
    let raw = STANDARD
        .decode(delta.trim())
        .map_err(|source| Error::Base64 { source })?;
    format.decode(&raw, out);
    Ok(())
}
