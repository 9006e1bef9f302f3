//! Semantic turn detection (`semantic_vad`): an [`EndOfTurn`] judge says from how the user's
//! speech sounds whether their pause ends the turn. [`SemanticTurn`](crate::SemanticTurn) asks
//! it at each pause; Smart Turn is the built-in judge (feature `onnx`), and without one a
//! silence timer ends turns.

use std::sync::Arc;

use crate::engine::choice::{BuiltIn, Chosen, choose};
use crate::engine::models::ModelsDir;

pub(crate) mod smart_turn;

/// Judges whether a turn is complete from its audio.
pub trait EndOfTurn: Send + Sync {
    /// The probability (0 to 1) that the turn whose 16 kHz audio is `turn` (most recent last,
    /// at most its last 8 s, ending in the pause being judged) is complete.
    fn completion(&self, turn: &[i16]) -> f32;
}

impl<T: EndOfTurn + ?Sized> EndOfTurn for Arc<T> {
    fn completion(&self, turn: &[i16]) -> f32 {
        (**self).completion(turn)
    }
}

/// No judge: a silence timer ends the turn.
const SILENCE_TIMER: BuiltIn<Option<Arc<dyn EndOfTurn>>> = BuiltIn {
    runs: "a silence timer",
    asked: "",
    fallen_back: "",
    make: || None,
};

/// The judge of `semantic_vad` pauses: Smart Turn from `models`, else none (a silence timer),
/// and the line that says which and why.
pub fn end_of_turn(models: &ModelsDir) -> Chosen<Option<Arc<dyn EndOfTurn>>> {
    choose(
        "semantic VAD",
        Some(&smart_turn::LOADER),
        &SILENCE_TIMER,
        models,
    )
}
