//! Smart Turn v3.2 through ONNX Runtime: whether the user's pause ends their turn, judged from
//! how the last 8 s of speech sound (intonation, an unfinished phrase), not only from silence.
//!
//! The model (pipecat's `smart-turn-v3.2-cpu.onnx`, BSD-2) reads the [`LogMel`] features of the
//! last 8 s of 16 kHz audio (shorter turns are padded with silence at the front) and returns the
//! probability that the turn is complete. One loaded model is shared by every session.

use std::sync::{Arc, Mutex, PoisonError};

use ort::session::Session;
use ort::value::TensorRef;

use super::SMART_TURN_MODEL;
use super::log_mel::{LogMel, N_MELS, SAMPLE_RATE};
use crate::engine::models::ModelsDir;
use crate::engine::onnx::{self, OnnxError};
use crate::engine::turn::EndOfTurn;

/// The audio the model reads: the last 8 s.
const WINDOW_SAMPLES: usize = 8 * SAMPLE_RATE as usize;
/// Feature frames in the window.
const FRAMES: usize = WINDOW_SAMPLES / 160;

/// The loaded Smart Turn model.
#[derive(Clone)]
pub struct SmartTurn {
    session: Arc<Mutex<Session>>,
    features: Arc<LogMel>,
}

impl std::fmt::Debug for SmartTurn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmartTurn").finish_non_exhaustive()
    }
}

impl SmartTurn {
    /// Loads the model from `models` and checks that it judges a window of silence.
    pub fn load(models: &ModelsDir) -> Result<Self, OnnxError> {
        let session = onnx::session(models, SMART_TURN_MODEL)?;
        let model = Self {
            session: Arc::new(Mutex::new(session)),
            features: Arc::new(LogMel::new()),
        };
        model.completion(&[])?;
        Ok(model)
    }

    /// The probability (0 to 1) that the turn whose audio (16 kHz, most recent last) is `turn`
    /// is complete.
    pub fn completion(&self, turn: &[i16]) -> Result<f32, OnnxError> {
        let kept = &turn[turn.len().saturating_sub(WINDOW_SAMPLES)..];
        let mut window = vec![0.0f32; WINDOW_SAMPLES - kept.len()];
        window.extend(kept.iter().map(|&s| f32::from(s) / 32768.0));
        let features = self.features.features(&window);
        let failed = OnnxError::inference(SMART_TURN_MODEL);
        let input = TensorRef::from_array_view(([1usize, N_MELS, FRAMES], &features[..]))
            .map_err(failed)?;
        // A poisoned lock only means another session panicked mid-run; the session is intact.
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let outputs = session
            .run(ort::inputs!["input_features" => input])
            .map_err(failed)?;
        let (_, probability) = outputs[0].try_extract_tensor::<f32>().map_err(failed)?;
        let Some(&probability) = probability.first() else {
            return Err(OnnxError::Inference {
                model: SMART_TURN_MODEL,
                reason: "no probability in the output (is it Smart Turn v3?)".to_owned(),
            });
        };
        Ok(probability.clamp(0.0, 1.0))
    }
}

impl EndOfTurn for SmartTurn {
    fn completion(&self, turn: &[i16]) -> f32 {
        SmartTurn::completion(self, turn).unwrap_or_else(|error| {
            // The model ran at load time with the same shapes, so this is not expected; the
            // pause then ends the turn, as plain server VAD would.
            tracing::warn!(%error, "Smart Turn failed on a pause");
            1.0
        })
    }
}
