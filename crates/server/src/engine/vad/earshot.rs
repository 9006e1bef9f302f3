//! The built-in detector: earshot's neural voice activity detector, pure Rust, no model files.

use super::{SpeechScorer, VadEngine};

/// The zero-asset engine: an [`EarshotScorer`] per stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct Earshot;

impl VadEngine for Earshot {
    fn scorer(&self) -> Box<dyn SpeechScorer> {
        Box::new(EarshotScorer::new())
    }
}

/// The default scorer: the earshot neural voice activity detector (16 ms frames, pure Rust).
pub struct EarshotScorer {
    detector: Box<::earshot::Detector>,
}

impl EarshotScorer {
    /// Frame length earshot works on: 256 samples, 16 ms at 16 kHz.
    pub const FRAME_LEN: usize = 256;

    /// Creates a scorer with fresh state.
    pub fn new() -> Self {
        Self {
            detector: ::earshot::Detector::default_boxed(),
        }
    }
}

impl Default for EarshotScorer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for EarshotScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EarshotScorer").finish_non_exhaustive()
    }
}

impl SpeechScorer for EarshotScorer {
    fn frame_len(&self) -> usize {
        Self::FRAME_LEN
    }

    fn score(&mut self, frame: &[i16]) -> f32 {
        // earshot answers -1 for a frame of the wrong length; callers always pass FRAME_LEN.
        self.detector.predict_i16(frame).clamp(0.0, 1.0)
    }

    fn reset(&mut self) {
        self.detector.reset();
    }
}
