//! The exact 24 kHz -> 16 kHz conversion in front of the VAD.

/// Taps of the 3:2 filter, designed at the 48 kHz intermediate rate. `6 * DELAY + 1`, so the
/// filter delays by exactly `DELAY` output samples, which are dropped to keep the output aligned
/// with the input.
const TAPS: usize = 6 * ThreeToTwo::DELAY + 1;

/// Exact 24 kHz -> 16 kHz conversion: upsample by 2, low-pass (Kaiser-windowed sinc, cutoff
/// 7.5 kHz, about 60 dB stopband), keep every third sample, computed as two polyphase branches
/// that each need only every other tap. Three times cheaper than the FFT resampler on this
/// path, and it holds back at most two input samples instead of a 1024-sample block.
#[derive(Debug)]
pub(super) struct ThreeToTwo {
    /// Branch coefficients, reversed so each output is a dot product with a run of inputs:
    /// even outputs end at input `3q`, odd ones at `3q + 1`.
    even: Vec<f32>,
    odd: Vec<f32>,
    /// The last `even.len() - 1` inputs already used, then inputs not yet used.
    history: Vec<f32>,
    /// Outputs still to drop at the start (the filter delay).
    to_skip: usize,
}

impl ThreeToTwo {
    /// The filter delay, in output samples.
    pub(super) const DELAY: usize = 10;

    pub(super) fn new() -> Self {
        let taps = lowpass(TAPS, 7_500.0 / 48_000.0, 6.0);
        // Zero-stuffing halves the gain; each branch sees every other tap.
        let branch = |first: usize| -> Vec<f32> {
            taps.iter()
                .skip(first)
                .step_by(2)
                .rev()
                .map(|h| (2.0 * h) as f32)
                .collect()
        };
        let even = branch(0);
        let odd = branch(1);
        Self {
            history: vec![0.0; even.len() - 1],
            even,
            odd,
            to_skip: Self::DELAY,
        }
    }

    /// Converts `input` and appends the output that is ready to `out`.
    pub(super) fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.history.extend_from_slice(input);
        let (even, odd) = (self.even.len(), self.odd.len());
        let mut used = 0;
        // A triple of inputs x[3q..3q+3] completes outputs 2q and 2q + 1.
        while self.history.len() >= used + even + 2 {
            let newest = used + even - 1;
            let first = dot(&self.even, &self.history[newest + 1 - even..=newest]);
            let second = dot(&self.odd, &self.history[newest + 2 - odd..=newest + 1]);
            for y in [first, second] {
                if self.to_skip > 0 {
                    self.to_skip -= 1;
                } else {
                    out.push(y);
                }
            }
            used += 3;
        }
        self.history.drain(..used);
    }
}

/// Sum of products, in eight lanes the compiler can vectorize.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a_chunks, a_rest) = a.as_chunks::<8>();
    let (b_chunks, b_rest) = b.as_chunks::<8>();
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for k in 0..8 {
            lanes[k] += x[k] * y[k];
        }
    }
    let rest: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + rest
}

/// A Kaiser-windowed sinc low-pass of `len` taps (odd), cutoff `cutoff` (a fraction of the
/// sample rate), unit gain at DC.
fn lowpass(len: usize, cutoff: f64, beta: f64) -> Vec<f64> {
    let middle = (len - 1) as f64 / 2.0;
    let taps: Vec<f64> = (0..len)
        .map(|i| {
            let t = i as f64 - middle;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * t).sin() / (std::f64::consts::PI * t)
            };
            let r = t / middle;
            sinc * bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(beta)
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter().map(|h| h / sum).collect()
}

/// The modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= (half / k as f64) * (half / k as f64);
        sum += term;
        if term < sum * 1e-12 {
            break;
        }
    }
    sum
}
