//! The conversion pipeline: decoded mono audio -> resampled -> clipped to 16 bits -> wire bytes.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use crate::decode::{AudioSource, SourceInfo};
use crate::error::{Error, Result};
use crate::format::{WireFormat, frames_to_duration};
use crate::resample::{Resampler, output_len};

/// A stream of wire-format bytes made from an [`AudioSource`].
///
/// Made by [`AudioSource::to_wire`]. Cut it into chunks with [`chunks`](Self::chunks), or pull
/// bytes directly with [`next_bytes`](Self::next_bytes). Holds at most a few blocks of audio.
///
/// By default everything runs on the caller's thread. [`read_ahead`](Self::read_ahead) moves
/// decoding to a helper thread that stays a few blocks ahead, so decoding and resampling can
/// overlap: 20-25 % faster when a core is idle, slower on a busy machine (see `BENCHMARKS.md`),
/// and pointless when pacing at real time.
#[derive(Debug)]
pub struct WireStream {
    info: SourceInfo,
    input: Input,
    decoded_frames: u64,
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
            info: source.info(),
            input: Input::Inline(Box::new(source)),
            decoded_frames: 0,
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

    /// Facts about the input (path, codec, rate, channels, length).
    pub fn source_info(&self) -> &SourceInfo {
        &self.info
    }

    /// Input frames decoded so far (for progress).
    pub fn decoded_frames(&self) -> u64 {
        self.decoded_frames
    }

    /// Decodes on a helper thread that keeps up to [`READ_AHEAD_BLOCKS`] blocks ready, so
    /// decoding overlaps with resampling and encoding. Output is identical; memory stays flat.
    /// Call it before reading anything. The thread ends when the input ends, on the first error,
    /// or soon after the stream is dropped.
    ///
    /// Fails with [`Error::ReadAheadThread`] if the thread cannot be started.
    pub fn read_ahead(mut self) -> Result<Self> {
        if let Input::Inline(source) = self.input {
            self.input = Input::ReadAhead(ReadAhead::spawn(*source)?);
        }
        Ok(self)
    }

    /// The number of samples the whole stream will produce, if the source's length is known.
    pub fn total_samples(&self) -> Option<u64> {
        self.info
            .frames
            .map(|f| output_len(self.info.sample_rate, self.format.sample_rate(), f))
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
        match self.input.next_block()? {
            Some(block) => {
                self.decoded_frames += block.len() as u64;
                self.resampler.process(block, &mut self.resampled)?;
            }
            None => {
                self.resampler.finish(&mut self.resampled)?;
                self.finished = true;
            }
        }
        match self.format {
            // The hot path: clip and write little-endian bytes in one pass.
            WireFormat::Pcm16 { .. } => write_pcm16(&self.resampled, &mut self.bytes),
            _ => {
                self.pcm.clear();
                self.pcm
                    .extend(self.resampled.iter().map(|&x| clip_to_i16(x)));
                self.format.encode(&self.pcm, &mut self.bytes);
            }
        }
        Ok(!self.finished || !self.bytes.is_empty())
    }
}

/// Appends `samples`, clipped to 16 bits, as little-endian bytes. Works in blocks of 8 samples
/// so the compiler can vectorize the conversion.
fn write_pcm16(samples: &[f32], bytes: &mut Vec<u8>) {
    let start = bytes.len();
    bytes.resize(start + samples.len() * 2, 0);
    let out = &mut bytes[start..];
    let whole = samples.len() / 8 * 8;
    let (head, tail) = out.split_at_mut(whole * 2);
    for (o, x) in head
        .chunks_exact_mut(16)
        .zip(samples[..whole].chunks_exact(8))
    {
        let mut block = [0u8; 16];
        for (pair, &v) in block.chunks_exact_mut(2).zip(x) {
            pair.copy_from_slice(&clip_to_i16(v).to_le_bytes());
        }
        o.copy_from_slice(&block);
    }
    for (o, &v) in tail.chunks_exact_mut(2).zip(&samples[whole..]) {
        o.copy_from_slice(&clip_to_i16(v).to_le_bytes());
    }
}

/// How many decoded blocks a [`WireStream::read_ahead`] thread keeps ready.
pub const READ_AHEAD_BLOCKS: usize = 4;

/// Frames (after down-mix) per block handed over by the read-ahead thread.
const READ_AHEAD_FRAMES: usize = 16_384;

/// Where decoded mono blocks come from.
#[derive(Debug)]
enum Input {
    Inline(Box<AudioSource>),
    ReadAhead(ReadAhead),
}

impl Input {
    fn next_block(&mut self) -> Result<Option<&[f32]>> {
        match self {
            Input::Inline(source) => source.next_block(),
            Input::ReadAhead(r) => r.next_block(),
        }
    }
}

/// A decoding thread feeding blocks through a bounded channel; buffers travel back for reuse.
#[derive(Debug)]
struct ReadAhead {
    blocks: Receiver<Result<Vec<f32>>>,
    spare: SyncSender<Vec<f32>>,
    current: Vec<f32>,
    done: bool,
}

impl ReadAhead {
    fn spawn(mut source: AudioSource) -> Result<Self> {
        let (block_tx, blocks) = sync_channel::<Result<Vec<f32>>>(READ_AHEAD_BLOCKS);
        let (spare, spare_rx) = sync_channel::<Vec<f32>>(READ_AHEAD_BLOCKS + 2);
        std::thread::Builder::new()
            .name("rtclient-audio-decode".into())
            .spawn(move || {
                loop {
                    // Batch decoder blocks so the threads meet rarely (a WAV packet is ~1k frames).
                    let mut buf: Vec<f32> = spare_rx.try_recv().unwrap_or_default();
                    buf.clear();
                    let mut end = false;
                    let mut error = None;
                    while buf.len() < READ_AHEAD_FRAMES {
                        match source.next_block() {
                            Ok(Some(block)) => buf.extend_from_slice(block),
                            Ok(None) => {
                                end = true;
                                break;
                            }
                            Err(e) => {
                                error = Some(e);
                                break;
                            }
                        }
                    }
                    // A send error means the stream was dropped: stop decoding.
                    if !buf.is_empty() && block_tx.send(Ok(buf)).is_err() {
                        return;
                    }
                    if let Some(e) = error {
                        let _ = block_tx.send(Err(e));
                        return;
                    }
                    if end {
                        return;
                    }
                }
            })
            .map_err(|source| Error::ReadAheadThread { source })?;
        Ok(ReadAhead {
            blocks,
            spare,
            current: Vec::new(),
            done: false,
        })
    }

    fn next_block(&mut self) -> Result<Option<&[f32]>> {
        if self.done {
            return Ok(None);
        }
        let old = std::mem::take(&mut self.current);
        if old.capacity() > 0 {
            // Give the buffer back for reuse; if the thread has enough, just drop it.
            let _ = self.spare.try_send(old);
        }
        match self.blocks.recv() {
            Ok(Ok(block)) => {
                self.current = block;
                Ok(Some(&self.current))
            }
            Ok(Err(e)) => {
                self.done = true;
                Err(e)
            }
            // The thread hung up: the input ended.
            Err(_) => {
                self.done = true;
                Ok(None)
            }
        }
    }
}

/// Scales a `[-1.0, 1.0]` sample to 16 bits, rounding to nearest (ties to even), and clips
/// anything outside the range to `i16::MIN..=i16::MAX` instead of wrapping. NaN gives 0.
#[inline]
pub fn clip_to_i16(x: f32) -> i16 {
    // Adding 1.5 * 2^23 leaves round(y) in the low mantissa bits for |y| < 2^22: plain float
    // and integer arithmetic that vectorizes, unlike a saturating float-to-int cast.
    const MAGIC: f32 = 12_582_912.0;
    let y = x * 32768.0;
    let y = if y.is_nan() {
        0.0
    } else {
        y.clamp(-32768.0, 32767.0)
    };
    ((y + MAGIC).to_bits() as i32 - MAGIC.to_bits() as i32) as i16
}

impl AudioSource {
    /// Converts this source into Realtime wire audio: down-mixed, resampled to the format's rate,
    /// clipped to 16 bits and encoded.
    pub fn to_wire(self, format: WireFormat) -> Result<WireStream> {
        WireStream::new(self, format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_pcm16_matches_per_sample_encoding() {
        for n in [0usize, 1, 7, 8, 9, 100, 1027] {
            let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 1.3).collect();
            let mut fast = vec![0xAA];
            write_pcm16(&x, &mut fast);
            let mut slow = vec![0xAA];
            let pcm: Vec<i16> = x.iter().map(|&v| clip_to_i16(v)).collect();
            WireFormat::default().encode(&pcm, &mut slow);
            assert_eq!(fast, slow, "n={n}");
        }
    }

    #[test]
    fn clips_instead_of_wrapping() {
        assert_eq!(clip_to_i16(0.0), 0);
        assert_eq!(clip_to_i16(1.0), i16::MAX);
        assert_eq!(clip_to_i16(1.7), i16::MAX);
        assert_eq!(clip_to_i16(-1.0), i16::MIN);
        assert_eq!(clip_to_i16(-3.0), i16::MIN);
        assert_eq!(clip_to_i16(f32::NAN), 0);
        assert_eq!(clip_to_i16(100.0 / 32768.0), 100);
        assert_eq!(clip_to_i16(-100.0 / 32768.0), -100);
        assert_eq!(clip_to_i16(100.5 / 32768.0), 100); // ties to even
        assert_eq!(clip_to_i16(101.5 / 32768.0), 102);
        assert_eq!(clip_to_i16(-100.5 / 32768.0), -100);
        assert_eq!(clip_to_i16(100.6 / 32768.0), 101);
        assert_eq!(clip_to_i16(-100.6 / 32768.0), -101);
        assert_eq!(clip_to_i16(f32::INFINITY), i16::MAX);
        assert_eq!(clip_to_i16(f32::NEG_INFINITY), i16::MIN);
        assert_eq!(clip_to_i16(100.4 / 32768.0), 100);
        for i in i16::MIN..=i16::MAX {
            assert_eq!(clip_to_i16(f32::from(i) / 32768.0), i);
        }
    }
}
