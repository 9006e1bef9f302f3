//! Silero VAD v6 through ONNX Runtime: a [`SpeechScorer`] for the server's turn detection.
//!
//! The model scores 32 ms windows of 16 kHz audio (512 new samples after 64 samples of the
//! previous window's tail) and carries a recurrent state from one window to the next. One loaded
//! model ([`SileroVad`]) is shared by every session; each audio stream gets its own
//! [`SileroScorer`] holding its state.

use std::sync::{Arc, Mutex, PoisonError};

use ort::session::Session;
use ort::value::TensorRef;

use super::SILERO_VAD_MODEL;
use crate::engine::models::ModelsDir;
use crate::engine::onnx::{self, OnnxError};
use crate::engine::vad::{SpeechScorer, VAD_SAMPLE_RATE, VadEngine};

/// New samples per window.
const FRAME_LEN: usize = 512;
/// Samples of the previous window that lead each window.
const CONTEXT_LEN: usize = 64;
/// Length of the recurrent state (`[2, 1, 128]`).
const STATE_LEN: usize = 2 * 128;

/// The loaded Silero VAD model, shared by every [`SileroScorer`] made from it.
#[derive(Clone)]
pub struct SileroVad {
    session: Arc<Mutex<Session>>,
}

impl std::fmt::Debug for SileroVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroVad").finish_non_exhaustive()
    }
}

impl SileroVad {
    /// Loads the model from `models` and checks that it scores a window of silence.
    pub fn load(models: &ModelsDir) -> Result<Self, OnnxError> {
        let mut session = onnx::session(models, SILERO_VAD_MODEL)?;
        let mut state = [0.0; STATE_LEN];
        run(&mut session, &[0.0; CONTEXT_LEN + FRAME_LEN], &mut state)?;
        Ok(Self {
            session: Arc::new(Mutex::new(session)),
        })
    }

    /// A scorer with fresh state for one audio stream.
    pub fn scorer(&self) -> SileroScorer {
        SileroScorer {
            session: Arc::clone(&self.session),
            window: vec![0.0; CONTEXT_LEN + FRAME_LEN],
            state: [0.0; STATE_LEN],
        }
    }
}

impl VadEngine for SileroVad {
    fn scorer(&self) -> Box<dyn SpeechScorer> {
        Box::new(SileroVad::scorer(self))
    }
}

/// One audio stream's Silero state: the recurrent state and the last window's tail.
pub struct SileroScorer {
    session: Arc<Mutex<Session>>,
    /// The window being scored: the previous window's last [`CONTEXT_LEN`] samples, then the
    /// new frame.
    window: Vec<f32>,
    state: [f32; STATE_LEN],
}

impl std::fmt::Debug for SileroScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroScorer").finish_non_exhaustive()
    }
}

impl SpeechScorer for SileroScorer {
    fn frame_len(&self) -> usize {
        FRAME_LEN
    }

    fn score(&mut self, frame: &[i16]) -> f32 {
        self.window.copy_within(FRAME_LEN.., 0);
        for (slot, sample) in self.window[CONTEXT_LEN..].iter_mut().zip(frame) {
            *slot = f32::from(*sample) / 32768.0;
        }
        // A poisoned lock only means another stream panicked mid-run; the session is intact.
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        match run(&mut session, &self.window, &mut self.state) {
            Ok(probability) => probability.clamp(0.0, 1.0),
            Err(error) => {
                // The model ran at load time with the same shapes, so this is not expected;
                // the frame counts as silence rather than ending the session.
                tracing::warn!(%error, "Silero VAD failed on a frame");
                0.0
            }
        }
    }

    fn reset(&mut self) {
        self.window.fill(0.0);
        self.state = [0.0; STATE_LEN];
    }
}

/// Scores one window, updating `state`; returns the speech probability.
fn run(
    session: &mut Session,
    window: &[f32],
    state: &mut [f32; STATE_LEN],
) -> Result<f32, OnnxError> {
    let failed = OnnxError::inference(SILERO_VAD_MODEL);
    let rate = [i64::from(VAD_SAMPLE_RATE)];
    let inputs = ort::inputs![
        "input" => TensorRef::from_array_view(([1usize, window.len()], window)).map_err(failed)?,
        "state" => TensorRef::from_array_view(([2usize, 1, 128], &state[..])).map_err(failed)?,
        "sr" => TensorRef::from_array_view(([0usize; 0], &rate[..])).map_err(failed)?,
    ];
    let outputs = session.run(inputs).map_err(failed)?;
    let (_, probability) = outputs["output"]
        .try_extract_tensor::<f32>()
        .map_err(failed)?;
    let (_, next) = outputs["stateN"]
        .try_extract_tensor::<f32>()
        .map_err(failed)?;
    let (Some(&probability), true) = (probability.first(), next.len() == STATE_LEN) else {
        return Err(OnnxError::Inference {
            model: SILERO_VAD_MODEL,
            reason: "unexpected output shapes (is it Silero VAD v5 or v6?)".to_owned(),
        });
    };
    state.copy_from_slice(next);
    Ok(probability)
}
