//! Streaming sample-rate conversion of mono `f32` audio (rubato's FFT resampler).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler as _};

use crate::error::{Error, Result};

/// The highest sample rate accepted on either side (keeps FFT sizes bounded for odd rate pairs).
pub const MAX_SAMPLE_RATE: u32 = 1_000_000;

/// Input frames per resampler block (the FFT sizes are derived from it and the rate pair).
const BLOCK_FRAMES: usize = 1024;

/// Converts a mono stream from one sample rate to another, block by block.
///
/// Feed input with [`process`](Self::process) as it arrives and call [`finish`](Self::finish)
/// once at the end. The resampler's start-up delay is removed and the tail is flushed, so the
/// total output is exactly [`output_len`]`(from, to, input_len)` samples and stays time-aligned
/// with the input. Memory use is fixed (a few blocks) whatever the stream length. Equal rates
/// pass samples through untouched.
pub struct Resampler {
    from: u32,
    to: u32,
    fft: Option<Fft<f32>>,
    pending: Vec<f32>,
    block_out: Vec<f32>,
    to_skip: usize,
    in_total: u64,
    out_total: u64,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("in_total", &self.in_total)
            .field("out_total", &self.out_total)
            .finish_non_exhaustive()
    }
}

/// The exact number of output samples for `input_len` input samples: `round(input_len * to / from)`
/// (halves round up).
pub fn output_len(from: u32, to: u32, input_len: u64) -> u64 {
    let num = u128::from(input_len) * u128::from(to) * 2 + u128::from(from);
    let den = u128::from(from) * 2;
    u64::try_from(num / den.max(1)).unwrap_or(u64::MAX)
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz. Both must be in `1..=`[`MAX_SAMPLE_RATE`].
    pub fn new(from: u32, to: u32) -> Result<Self> {
        let valid = 1..=MAX_SAMPLE_RATE;
        if !valid.contains(&from) || !valid.contains(&to) {
            return Err(Error::InvalidArgument {
                what: "sample rate",
                reason: format!(
                    "{from} Hz -> {to} Hz: rates must be between 1 and {MAX_SAMPLE_RATE} Hz"
                ),
            });
        }
        let fft = if from == to {
            None
        } else {
            // Fixed input blocks; rubato splits each into FFT sub-chunks of ~256 frames, the
            // fastest setting measured here for 16 -> 24 kHz and 44.1 -> 24 kHz.
            let fft = Fft::<f32>::new(
                from as usize,
                to as usize,
                BLOCK_FRAMES,
                1,
                FixedSync::Input,
            )
            .map_err(|e| resample_error(from, to, e))?;
            Some(fft)
        };
        let to_skip = fft.as_ref().map_or(0, |f| f.output_delay());
        Ok(Resampler {
            from,
            to,
            fft,
            pending: Vec::new(),
            block_out: Vec::new(),
            to_skip,
            in_total: 0,
            out_total: 0,
        })
    }

    /// Input rate in Hz.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// Output rate in Hz.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// Resamples `input`, appending whatever output is ready to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        self.in_total += input.len() as u64;
        let Some(fft) = self.fft.as_mut() else {
            out.extend_from_slice(input);
            self.out_total += input.len() as u64;
            return Ok(());
        };
        let need = fft.input_frames_next();
        let (from, to) = (self.from, self.to);
        let mut input = input;
        if !self.pending.is_empty() {
            // Top up the partial block left from the previous call.
            let take = (need - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.pending.len() < need {
                return Ok(());
            }
            let written = run_block(fft, &self.pending, None, &mut self.block_out, from, to)?;
            let block = &self.block_out[..written];
            emit(block, &mut self.to_skip, &mut self.out_total, u64::MAX, out);
            self.pending.clear();
        }
        // Whole blocks straight from the caller's slice; keep the remainder.
        while input.len() >= need {
            let written = run_block(fft, &input[..need], None, &mut self.block_out, from, to)?;
            let block = &self.block_out[..written];
            emit(block, &mut self.to_skip, &mut self.out_total, u64::MAX, out);
            input = &input[need..];
        }
        self.pending.extend_from_slice(input);
        Ok(())
    }

    /// Flushes the last partial block and the resampler's tail into `out`.
    ///
    /// After this the total output is exactly [`output_len`]`(from, to, total input)`. Calling
    /// `process` after `finish` starts a new (misaligned) stream; don't.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<()> {
        let expected = output_len(self.from, self.to, self.in_total);
        let Some(fft) = self.fft.as_mut() else {
            return Ok(());
        };
        let (from, to) = (self.from, self.to);
        let mut first = true;
        let mut idle = 0;
        // An FFT sub-chunk needs at least from/gcd input frames, which may span several blocks.
        let min_in = (from / gcd(from, to)) as usize;
        let idle_limit = min_in.div_ceil(fft.input_frames_next().max(1)) + 2;
        // A partial block (possibly empty) is padded with silence by rubato; repeat until the
        // delayed tail is out. Bounded: each block yields at least one output frame.
        while self.out_total < expected {
            let len = if first { self.pending.len() } else { 0 };
            let block = if first { &self.pending[..] } else { &[][..] };
            let indexing = Indexing::new().partial_len(len);
            let written = run_block(fft, block, Some(&indexing), &mut self.block_out, from, to)?;
            if written == 0 {
                // A block may complete no FFT sub-chunk; a few in a row means nothing is left.
                idle += 1;
                if idle > idle_limit {
                    break;
                }
                first = false;
                continue;
            }
            idle = 0;
            emit(
                &self.block_out[..written],
                &mut self.to_skip,
                &mut self.out_total,
                expected,
                out,
            );
            first = false;
        }
        self.pending.clear();
        Ok(())
    }
}

fn run_block(
    fft: &mut Fft<f32>,
    block: &[f32],
    indexing: Option<&Indexing>,
    block_out: &mut Vec<f32>,
    from: u32,
    to: u32,
) -> Result<usize> {
    let n_out = fft.output_frames_next();
    block_out.resize(n_out, 0.0);
    let input =
        InterleavedSlice::new(block, 1, block.len()).map_err(|e| resample_error(from, to, e))?;
    let mut output = InterleavedSlice::new_mut(&mut block_out[..], 1, n_out)
        .map_err(|e| resample_error(from, to, e))?;
    let (_, written) = fft
        .process_into_buffer(&input, &mut output, indexing)
        .map_err(|e| resample_error(from, to, e))?;
    Ok(written)
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// Appends `block` to `out`, first dropping `to_skip` samples (start-up delay) and never letting
/// the total pass `limit`.
fn emit(block: &[f32], to_skip: &mut usize, total: &mut u64, limit: u64, out: &mut Vec<f32>) {
    let skip = (*to_skip).min(block.len());
    *to_skip -= skip;
    let rest = &block[skip..];
    let room = usize::try_from(limit.saturating_sub(*total)).unwrap_or(usize::MAX);
    let take = rest.len().min(room);
    out.extend_from_slice(&rest[..take]);
    *total += take as u64;
}

fn resample_error(from: u32, to: u32, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Resample {
        from,
        to,
        source: Box::new(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(from: u32, to: u32, input: &[f32], step: usize) -> Vec<f32> {
        let mut r = Resampler::new(from, to).unwrap();
        let mut out = Vec::new();
        for block in input.chunks(step.max(1)) {
            r.process(block, &mut out).unwrap();
        }
        r.finish(&mut out).unwrap();
        out
    }

    #[test]
    fn exact_lengths() {
        for &(from, to) in &[
            (8_000, 24_000),
            (16_000, 24_000),
            (22_050, 24_000),
            (44_100, 24_000),
            (48_000, 24_000),
            (24_000, 24_000),
            (44_100, 8_000),
            (24_000, 8_000),
            (11_025, 24_000),
            (32_000, 24_000),
            (96_000, 24_000),
            (44_101, 24_000),
        ] {
            for &n in &[0usize, 1, 7, 1000, 12_345, 48_001] {
                let input = vec![0.1f32; n];
                for &step in &[1usize, 333, 4096] {
                    if step == 1 && n > 2000 {
                        continue;
                    }
                    let out = run(from, to, &input, step);
                    assert_eq!(
                        out.len() as u64,
                        output_len(from, to, n as u64),
                        "{from}->{to} n={n} step={step}"
                    );
                }
            }
        }
    }

    #[test]
    fn output_len_rounds() {
        assert_eq!(output_len(16_000, 24_000, 1), 2); // 1.5 rounds up
        assert_eq!(output_len(44_100, 24_000, 44_100), 24_000);
        assert_eq!(output_len(48_000, 24_000, 3), 2);
    }

    #[test]
    fn impulse_stays_aligned() {
        // An impulse at input sample 4000 (0.25 s at 16 kHz) must peak at output 6000.
        let mut input = vec![0.0f32; 16_000];
        input[4000] = 1.0;
        let out = run(16_000, 24_000, &input, 500);
        let peak = out
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .unwrap();
        assert!((peak as i64 - 6000).abs() <= 1, "peak at {peak}");
    }

    #[test]
    fn zero_rate_is_an_error() {
        assert!(Resampler::new(0, 24_000).is_err());
        assert!(Resampler::new(24_000, MAX_SAMPLE_RATE + 1).is_err());
        // An awkward coprime pair still works (one large FFT).
        let out = run(44_101, 24_000, &vec![0.0; 50_000], 4096);
        assert_eq!(out.len() as u64, output_len(44_101, 24_000, 50_000));
    }
}
