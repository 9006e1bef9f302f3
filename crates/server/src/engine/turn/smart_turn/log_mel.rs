//! Whisper's log-mel features: 80 Slaney mel bands of 25 ms windows every 10 ms at 16 kHz, on
//! a log10 scale clamped to 8 decades below the loudest band and mapped to about [-1, 1].
//!
//! This is the input of Whisper-family encoders (here Smart Turn v3), computed as Hugging Face's
//! `WhisperFeatureExtractor` does with `do_normalize=True`: the waveform is scaled to zero mean
//! and unit variance first, frames are centred (reflect padding), and the last frame is dropped.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// Samples per second the features are computed at.
pub(crate) const SAMPLE_RATE: u32 = 16_000;
/// Mel bands per frame.
pub(crate) const N_MELS: usize = 80;
/// Window length (25 ms).
const N_FFT: usize = 400;
/// Step between frames (10 ms).
const HOP: usize = 160;
/// Frequency bins of one window's spectrum.
const N_BINS: usize = N_FFT / 2 + 1;
/// The floor under a band's power before the logarithm.
const MEL_FLOOR: f64 = 1e-10;
/// Added to the variance when normalizing the waveform.
const VARIANCE_EPS: f64 = 1e-7;

/// A reusable feature extractor: the FFT plan, the window and the mel filter bank.
pub(crate) struct LogMel {
    fft: Arc<dyn RealToComplex<f64>>,
    window: Vec<f64>,
    /// `N_MELS` rows of `N_BINS` weights.
    filters: Vec<f64>,
}

impl std::fmt::Debug for LogMel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogMel").finish_non_exhaustive()
    }
}

impl Default for LogMel {
    fn default() -> Self {
        Self::new()
    }
}

impl LogMel {
    /// Plans the FFT and builds the filter bank.
    pub(crate) fn new() -> Self {
        let window = (0..N_FFT)
            .map(|n| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64).cos())
            .collect();
        Self {
            fft: RealFftPlanner::<f64>::new().plan_fft_forward(N_FFT),
            window,
            filters: mel_filters(),
        }
    }

    /// The features of `samples` (16 kHz), which must be longer than half a window: `frames`
    /// columns of [`N_MELS`] rows, band-major (`out[band * frames + frame]`), where `frames` is
    /// `samples.len() / 160`.
    pub(crate) fn features(&self, samples: &[f32]) -> Vec<f32> {
        let normalized = normalize(samples);
        let padded = reflect_pad(&normalized, N_FFT / 2);
        let frames = samples.len() / HOP;
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut power = vec![0.0f64; N_BINS];
        let mut log = vec![0.0f64; N_MELS * frames];
        for frame in 0..frames {
            let start = frame * HOP;
            for ((slot, sample), weight) in input
                .iter_mut()
                .zip(&padded[start..start + N_FFT])
                .zip(&self.window)
            {
                *slot = sample * weight;
            }
            // The buffers come from this plan, so their lengths are the ones it expects.
            if self.fft.process(&mut input, &mut spectrum).is_err() {
                continue;
            }
            for (p, bin) in power.iter_mut().zip(&spectrum) {
                *p = bin.norm_sqr();
            }
            for band in 0..N_MELS {
                let weights = &self.filters[band * N_BINS..(band + 1) * N_BINS];
                let energy: f64 = weights.iter().zip(&power).map(|(w, p)| w * p).sum();
                log[band * frames + frame] = energy.max(MEL_FLOOR).log10();
            }
        }
        let floor = log.iter().copied().fold(f64::NEG_INFINITY, f64::max) - 8.0;
        log.iter()
            .map(|value| ((value.max(floor) + 4.0) / 4.0) as f32)
            .collect()
    }
}

/// Zero mean, unit variance (computed in f64 over the whole input).
fn normalize(samples: &[f32]) -> Vec<f64> {
    let n = samples.len().max(1) as f64;
    let mean = samples.iter().map(|&s| f64::from(s)).sum::<f64>() / n;
    let variance = samples
        .iter()
        .map(|&s| (f64::from(s) - mean).powi(2))
        .sum::<f64>()
        / n;
    let scale = 1.0 / (variance + VARIANCE_EPS).sqrt();
    samples
        .iter()
        .map(|&s| (f64::from(s) - mean) * scale)
        .collect()
}

/// `samples` with `pad` mirrored samples on each side (numpy's `reflect`: the edge itself is
/// not repeated). Inputs shorter than `pad + 1` are mirrored as far as they reach.
fn reflect_pad(samples: &[f64], pad: usize) -> Vec<f64> {
    let n = samples.len();
    let mirror = |i: isize| -> f64 {
        if n < 2 {
            return samples.first().copied().unwrap_or(0.0);
        }
        let period = 2 * (n as isize - 1);
        let mut j = i.rem_euclid(period);
        if j >= n as isize {
            j = period - j;
        }
        samples[j as usize]
    };
    (-(pad as isize)..(n + pad) as isize).map(mirror).collect()
}

/// Hertz to mels on the Slaney scale (linear below 1 kHz, logarithmic above).
fn hz_to_mel(hz: f64) -> f64 {
    if hz < 1000.0 {
        3.0 * hz / 200.0
    } else {
        15.0 + (hz / 1000.0).ln() * 27.0 / 6.4f64.ln()
    }
}

/// Mels to hertz on the Slaney scale.
fn mel_to_hz(mel: f64) -> f64 {
    if mel < 15.0 {
        200.0 * mel / 3.0
    } else {
        1000.0 * ((mel - 15.0) * 6.4f64.ln() / 27.0).exp()
    }
}

/// The Slaney-normalized triangular filter bank from 0 Hz to 8 kHz: `N_MELS` rows of `N_BINS`.
fn mel_filters() -> Vec<f64> {
    let nyquist = f64::from(SAMPLE_RATE) / 2.0;
    let top = hz_to_mel(nyquist);
    let edges: Vec<f64> = (0..N_MELS + 2)
        .map(|i| mel_to_hz(top * i as f64 / (N_MELS + 1) as f64))
        .collect();
    let mut filters = vec![0.0; N_MELS * N_BINS];
    for band in 0..N_MELS {
        let (low, centre, high) = (edges[band], edges[band + 1], edges[band + 2]);
        let area = 2.0 / (high - low);
        for bin in 0..N_BINS {
            let hz = nyquist * bin as f64 / (N_BINS - 1) as f64;
            let rising = (hz - low) / (centre - low);
            let falling = (high - hz) / (high - centre);
            filters[band * N_BINS + bin] = rising.min(falling).max(0.0) * area;
        }
    }
    filters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_padding_mirrors_without_repeating_the_edge() {
        assert_eq!(
            reflect_pad(&[1.0, 2.0, 3.0, 4.0], 2),
            [3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0]
        );
    }

    #[test]
    fn a_tone_lights_the_band_of_its_frequency() {
        let samples: Vec<f32> = (0..16_000)
            .map(|n| (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / 16_000.0).sin())
            .collect();
        let features = LogMel::new().features(&samples);
        let frames = 100;
        assert_eq!(features.len(), N_MELS * frames);
        let frame = 50;
        let loudest = (0..N_MELS)
            .max_by(|&a, &b| features[a * frames + frame].total_cmp(&features[b * frames + frame]))
            .unwrap();
        let (low, high) = (
            mel_to_hz(hz_to_mel(8000.0) * loudest as f64 / 81.0),
            mel_to_hz(hz_to_mel(8000.0) * (loudest + 2) as f64 / 81.0),
        );
        assert!(
            low < 1000.0 && 1000.0 < high,
            "band {loudest}: {low}-{high} Hz"
        );
        // The scale: the loudest value is at most (max + 4) / 4 and the floor 2 below it.
        let max = features.iter().copied().fold(f32::MIN, f32::max);
        let min = features.iter().copied().fold(f32::MAX, f32::min);
        assert!((max - min) <= 2.0 + 1e-5, "{min}..{max}");
    }
}
