//! Semantic end of turn (`semantic_vad`): at a short pause an [`EndOfTurn`] model judges from the
//! turn's audio whether the user has finished; if not, it judges again as the pause grows, and
//! the turn goes on until they speak again, it finds the turn complete, or a longer silence ends
//! it anyway.

use std::collections::VecDeque;
use std::sync::Arc;

use super::VAD_SAMPLE_RATE;
use crate::engine::turn::EndOfTurn;

/// The audio an [`EndOfTurn`] judge is given at most: the turn's last 8 s.
const MAX_TURN_SAMPLES: usize = 8 * VAD_SAMPLE_RATE as usize;
/// How much longer a pause judged incomplete must grow before it is judged again.
const RECHECK_MS: u64 = 400;

/// How a [`SemanticTurn`] ends turns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SemanticParams {
    /// The pause after which the judge is first asked, in ms.
    pub check_after_ms: u32,
    /// The judge's probability from which the turn ends at that pause.
    pub threshold: f32,
    /// The silence that ends the turn whatever the judge said, in ms.
    pub max_silence_ms: u32,
}

/// A turn detector's semantic state: the judge, the turn's recent audio, and when the current
/// pause is judged next.
pub struct SemanticTurn {
    judge: Arc<dyn EndOfTurn>,
    params: SemanticParams,
    /// The last [`MAX_TURN_SAMPLES`] samples pushed.
    recent: VecDeque<i16>,
    /// Samples pushed so far (the index after the last in `recent`).
    pushed: u64,
    /// Where the current turn's audio starts.
    turn_start: u64,
    /// The pause length at which the judge is asked next, once the current pause was judged
    /// incomplete; `None` before the first check.
    next_check_ms: Option<u64>,
}

impl std::fmt::Debug for SemanticTurn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SemanticTurn")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl SemanticTurn {
    /// Semantic turn ends by `judge` under `params`.
    pub fn new(judge: Arc<dyn EndOfTurn>, params: SemanticParams) -> Self {
        Self {
            judge,
            params,
            recent: VecDeque::with_capacity(MAX_TURN_SAMPLES),
            pushed: 0,
            turn_start: 0,
            next_check_ms: None,
        }
    }

    /// The settings in force.
    pub fn params(&self) -> SemanticParams {
        self.params
    }

    /// Changes the settings; a turn in progress continues under the new ones.
    pub fn set_params(&mut self, params: SemanticParams) {
        self.params = params;
    }

    /// Keeps `frame`, the next samples of the stream.
    pub(super) fn record(&mut self, frame: &[i16]) {
        let overflow = (self.recent.len() + frame.len()).saturating_sub(MAX_TURN_SAMPLES);
        self.recent.drain(..overflow.min(self.recent.len()));
        let skip = frame.len().saturating_sub(MAX_TURN_SAMPLES);
        self.recent.extend(&frame[skip..]);
        self.pushed += frame.len() as u64;
    }

    /// A turn began with the sample at `start`.
    pub(super) fn start_turn(&mut self, start: u64) {
        self.turn_start = start;
        self.next_check_ms = None;
    }

    /// The user spoke again: the next pause is judged afresh.
    pub(super) fn speech_resumed(&mut self) {
        self.next_check_ms = None;
    }

    /// Whether `silence_ms` of pause ends the turn: at a check when the judge finds it complete,
    /// else at the longest silence.
    pub(super) fn ends_turn(&mut self, silence_ms: u64) -> bool {
        if silence_ms >= u64::from(self.params.max_silence_ms) {
            return true;
        }
        let due = self
            .next_check_ms
            .unwrap_or(u64::from(self.params.check_after_ms));
        if silence_ms < due {
            return false;
        }
        self.next_check_ms = Some(silence_ms + RECHECK_MS);
        let in_turn = usize::try_from(self.pushed.saturating_sub(self.turn_start))
            .unwrap_or(usize::MAX)
            .min(self.recent.len());
        let turn: Vec<i16> = self
            .recent
            .iter()
            .skip(self.recent.len() - in_turn)
            .copied()
            .collect();
        self.judge.completion(&turn) >= self.params.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Complete when the turn is longer than `samples`; records the lengths it was given.
    struct LongerThan(usize, std::sync::Mutex<Vec<usize>>);

    impl EndOfTurn for LongerThan {
        fn completion(&self, turn: &[i16]) -> f32 {
            self.1.lock().unwrap().push(turn.len());
            if turn.len() > self.0 { 1.0 } else { 0.0 }
        }
    }

    const PARAMS: SemanticParams = SemanticParams {
        check_after_ms: 200,
        threshold: 0.5,
        max_silence_ms: 2_000,
    };

    #[test]
    fn the_judge_is_asked_as_the_pause_grows_with_the_turn_audio() {
        let judge = Arc::new(LongerThan(24_000, Default::default()));
        let mut turn = SemanticTurn::new(judge.clone(), PARAMS);
        turn.record(&[0; 16_000]);
        turn.start_turn(16_000);
        turn.record(&[1; 16_000]);
        assert!(!turn.ends_turn(100));
        assert!(!turn.ends_turn(200), "a one-second turn is not complete");
        assert!(
            !turn.ends_turn(400),
            "not asked again before the pause grew by 400 ms"
        );
        turn.record(&[0; 6_400]);
        assert!(!turn.ends_turn(600), "asked again, still 1.4 s long");
        turn.speech_resumed();
        turn.record(&[1; 8_000]);
        assert!(turn.ends_turn(200), "now 1.9 s long");
        assert_eq!(*judge.1.lock().unwrap(), [16_000, 22_400, 30_400]);
        assert!(turn.ends_turn(2_000), "the longest silence ends it anyway");
    }

    #[test]
    fn only_the_last_eight_seconds_are_kept() {
        let judge = Arc::new(LongerThan(usize::MAX, Default::default()));
        let mut turn = SemanticTurn::new(judge.clone(), PARAMS);
        turn.start_turn(0);
        for _ in 0..10 {
            turn.record(&[1; 16_000]);
        }
        turn.ends_turn(200);
        assert_eq!(*judge.1.lock().unwrap(), [MAX_TURN_SAMPLES]);
    }
}
