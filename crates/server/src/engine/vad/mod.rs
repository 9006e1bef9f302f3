//! Server voice activity detection: from a stream of samples to `speech_started` / `speech_stopped`.
//!
//! Two layers, as in the real service:
//!
//! - a [`SpeechScorer`] gives each short frame of 16 kHz audio a speech probability in `0..=1`
//!   (the default, [`EarshotScorer`], is a small neural network in pure Rust);
//! - a [`TurnDetector`] applies the session's `server_vad` rules on top: a frame is speech when its
//!   score reaches `threshold`; a turn starts after a short run of speech frames and reports
//!   `audio_start_ms` moved back by `prefix_padding_ms`; it ends once `silence_duration_ms` of
//!   non-speech has followed the last audible speech frame (the scorer's hangover, frames 40 dB
//!   below the turn's loudest, does not count), and reports `audio_end_ms` at that point.
//!
//! Times count milliseconds from the first sample pushed, like the service's `audio_*_ms`, which
//! count from the first audio appended in the session.

use std::sync::Arc;

use rtclient_audio::{Resampler, clip_to_i16};

use crate::engine::choice::{BuiltIn, Chosen, choices, choose};
use crate::engine::models::ModelsDir;

mod earshot;
mod semantic;
pub(crate) mod silero;
mod three_to_two;

pub use self::earshot::{Earshot, EarshotScorer};
pub use semantic::{SemanticParams, SemanticTurn};
use three_to_two::ThreeToTwo;

choices! {
    /// The voice activity detector asked for (`--vad`).
    pub enum VadChoice: Arc<dyn VadEngine> {
        /// Silero VAD v6 through ONNX Runtime (needs scripts/install-engines).
        #[default]
        Silero => Some(&silero::LOADER),
        /// The earshot detector: pure Rust, no model files.
        Earshot => None,
    }
}

/// The built-in detector, [`Earshot`].
const EARSHOT: BuiltIn<Arc<dyn VadEngine>> = BuiltIn {
    runs: "earshot",
    asked: " (--vad earshot)",
    fallen_back: "",
    make: || Arc::new(Earshot),
};

impl VadChoice {
    /// The detector this names, loaded from `models` (Silero falls back to earshot), and the
    /// line that says which runs and why.
    pub fn select(self, models: &ModelsDir) -> Chosen<Arc<dyn VadEngine>> {
        choose("VAD", self.loader(), &EARSHOT, models)
    }
}

/// Sample rate every [`SpeechScorer`] works at.
pub const VAD_SAMPLE_RATE: u32 = 16_000;

/// Consecutive speech needed before a turn starts, so a click or a breath does not open one:
/// three earshot frames, two Silero windows.
const MS_TO_START: usize = 48;

/// Gives short frames of 16 kHz mono audio a speech probability.
pub trait SpeechScorer: Send {
    /// Samples per frame that [`score`](SpeechScorer::score) expects.
    fn frame_len(&self) -> usize;

    /// Speech probability of one frame of exactly [`frame_len`](SpeechScorer::frame_len) samples,
    /// in `0.0..=1.0`.
    fn score(&mut self, frame: &[i16]) -> f32;

    /// Forgets all state, as for a new audio stream.
    fn reset(&mut self);
}

impl std::fmt::Debug for dyn SpeechScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechScorer")
            .field("frame_len", &self.frame_len())
            .finish_non_exhaustive()
    }
}

impl SpeechScorer for Box<dyn SpeechScorer> {
    fn frame_len(&self) -> usize {
        (**self).frame_len()
    }

    fn score(&mut self, frame: &[i16]) -> f32 {
        (**self).score(frame)
    }

    fn reset(&mut self) {
        (**self).reset();
    }
}

/// A VAD engine: makes the [`SpeechScorer`] of each new audio stream (each session's server
/// VAD). Closures that return a boxed scorer are engines too.
pub trait VadEngine: Send + Sync {
    /// A scorer with fresh state.
    fn scorer(&self) -> Box<dyn SpeechScorer>;
}

impl<F: Fn() -> Box<dyn SpeechScorer> + Send + Sync> VadEngine for F {
    fn scorer(&self) -> Box<dyn SpeechScorer> {
        self()
    }
}

/// The `server_vad` settings a [`TurnDetector`] applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadParams {
    /// Speech probability from which a frame counts as speech, `0.0..=1.0` (service default 0.5).
    pub threshold: f32,
    /// Audio kept before the detected start of speech, in ms (service default 300).
    pub prefix_padding_ms: u32,
    /// Non-speech after the last speech frame that ends a turn, in ms (GA default 200, beta 500).
    pub silence_duration_ms: u32,
}

impl Default for VadParams {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 200,
        }
    }
}

/// What a [`TurnDetector`] found in the audio pushed to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// Speech began; `audio_start_ms` already includes the prefix padding.
    SpeechStarted {
        /// Start of the turn's audio, in ms from the first sample pushed.
        audio_start_ms: u64,
    },
    /// The turn ended; `audio_end_ms` includes the trailing silence.
    SpeechStopped {
        /// End of the turn's audio, in ms from the first sample pushed.
        audio_end_ms: u64,
        /// End of its last audible speech (where the silence that ended it began).
        speech_end_ms: u64,
    },
}

/// A silence inside a turn that may yet end it: what [`TurnDetector::pause`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// End of the turn's last audible speech, in ms from the first sample pushed.
    pub speech_end_ms: u64,
    /// Silence since then, in ms.
    pub silence_ms: u64,
}

/// Turns a stream of 16 kHz samples into speech start and stop events under [`VadParams`].
#[derive(Debug)]
pub struct TurnDetector<S = EarshotScorer> {
    params: VadParams,
    scorer: S,
    /// Samples waiting for a whole frame.
    pending: Vec<i16>,
    /// Samples scored so far (whole frames only).
    scored: u64,
    state: TurnState,
    /// Semantic end of turn, when on: a judge decides at pauses instead of a fixed silence.
    semantic: Option<SemanticTurn>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TurnState {
    /// No turn; `run` consecutive speech frames seen, the first starting at sample `run_start`,
    /// the loudest with mean square `peak`.
    Silence { run: u32, run_start: u64, peak: f64 },
    /// In a turn; the last audible speech frame ended at sample `last_speech_end`; `peak` is
    /// the mean square of the turn's loudest frame.
    Speech { last_speech_end: u64, peak: f64 },
}

/// How far below the turn's loudest frame a frame may be and still count as speech, as a ratio
/// of mean squares (40 dB). The scorer keeps a high speech probability for about 100 ms after
/// the last word ends (its memory of the frames before); frames that quiet are that hangover,
/// not speech, so the silence that ends the turn is counted from the last audible one.
const AUDIBLE_BELOW_PEAK: f64 = 1e-4;

impl TurnState {
    const IDLE: TurnState = TurnState::Silence {
        run: 0,
        run_start: 0,
        peak: 0.0,
    };
}

impl TurnDetector<EarshotScorer> {
    /// A detector with the default scorer.
    pub fn new(params: VadParams) -> Self {
        Self::with_scorer(params, EarshotScorer::new())
    }
}

impl<S: SpeechScorer> TurnDetector<S> {
    /// A detector with the given scorer.
    pub fn with_scorer(params: VadParams, scorer: S) -> Self {
        Self {
            params,
            scorer,
            pending: Vec::new(),
            scored: 0,
            state: TurnState::IDLE,
            semantic: None,
        }
    }

    /// Turns semantic end of turn on (`Some`) or off: with it, a pause ends the turn when its
    /// judge finds the turn complete, or at its longest silence; `silence_duration_ms` is not
    /// used.
    pub fn set_semantic(&mut self, semantic: Option<SemanticTurn>) {
        self.semantic = semantic;
    }

    /// The semantic end of turn in force, to change its settings.
    pub fn semantic_mut(&mut self) -> Option<&mut SemanticTurn> {
        self.semantic.as_mut()
    }

    /// The settings in force.
    pub fn params(&self) -> VadParams {
        self.params
    }

    /// Changes the settings; a turn in progress continues under the new ones.
    pub fn set_params(&mut self, params: VadParams) {
        self.params = params;
    }

    /// Whether a turn is in progress (speech started and not yet stopped).
    pub fn in_speech(&self) -> bool {
        matches!(self.state, TurnState::Speech { .. })
    }

    /// The pause the turn in progress is in, if its last frame was not audible speech.
    pub fn pause(&self) -> Option<Pause> {
        match self.state {
            TurnState::Speech {
                last_speech_end, ..
            } if last_speech_end < self.scored => Some(Pause {
                speech_end_ms: samples_to_ms(last_speech_end),
                silence_ms: samples_to_ms(self.scored - last_speech_end),
            }),
            _ => None,
        }
    }

    /// Milliseconds of audio pushed and scored so far.
    pub fn elapsed_ms(&self) -> u64 {
        samples_to_ms(self.scored)
    }

    /// Ends any turn in progress without an event and forgets the scorer's state, as after
    /// `input_audio_buffer.clear` or a manual commit. The clock keeps running.
    pub fn reset_turn(&mut self) {
        self.state = TurnState::IDLE;
        self.scorer.reset();
    }

    /// Scores the samples and appends every start or stop they complete to `events`.
    pub fn push(&mut self, samples: &[i16], events: &mut Vec<VadEvent>) {
        let frame_len = self.scorer.frame_len();
        let mut rest = samples;
        if !self.pending.is_empty() {
            let take = (frame_len - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() < frame_len {
                return;
            }
            let frame = std::mem::take(&mut self.pending);
            self.push_frame(&frame, events);
            self.pending = frame;
            self.pending.clear();
        }
        let mut frames = rest.chunks_exact(frame_len);
        for frame in frames.by_ref() {
            self.push_frame(frame, events);
        }
        self.pending.extend_from_slice(frames.remainder());
    }

    fn push_frame(&mut self, frame: &[i16], events: &mut Vec<VadEvent>) {
        let start = self.scored;
        let end = start + frame.len() as u64;
        self.scored = end;
        let speech = self.scorer.score(frame) >= self.params.threshold;
        let frames_to_start = (MS_TO_START * VAD_SAMPLE_RATE as usize / 1000).div_ceil(frame.len());
        let power = mean_square(frame);
        if let Some(semantic) = self.semantic.as_mut() {
            semantic.record(frame);
        }
        self.state = match (self.state, speech) {
            (
                TurnState::Silence {
                    run,
                    run_start,
                    peak,
                },
                true,
            ) => {
                let (run_start, peak) = if run == 0 {
                    (start, power)
                } else {
                    (run_start, peak.max(power))
                };
                if run + 1 >= frames_to_start as u32 {
                    let onset_ms = samples_to_ms(run_start);
                    if let Some(semantic) = self.semantic.as_mut() {
                        semantic.start_turn(run_start);
                    }
                    events.push(VadEvent::SpeechStarted {
                        audio_start_ms: onset_ms
                            .saturating_sub(u64::from(self.params.prefix_padding_ms)),
                    });
                    TurnState::Speech {
                        last_speech_end: end,
                        peak,
                    }
                } else {
                    TurnState::Silence {
                        run: run + 1,
                        run_start,
                        peak,
                    }
                }
            }
            (TurnState::Silence { .. }, false) => TurnState::IDLE,
            (TurnState::Speech { peak, .. }, true) if power >= peak * AUDIBLE_BELOW_PEAK => {
                if let Some(semantic) = self.semantic.as_mut() {
                    semantic.speech_resumed();
                }
                TurnState::Speech {
                    last_speech_end: end,
                    peak: peak.max(power),
                }
            }
            (
                TurnState::Speech {
                    last_speech_end, ..
                },
                _,
            ) => {
                let silence_ms = samples_to_ms(end - last_speech_end);
                let ends = match self.semantic.as_mut() {
                    Some(semantic) => semantic.ends_turn(silence_ms),
                    None => silence_ms >= u64::from(self.params.silence_duration_ms),
                };
                if ends {
                    events.push(VadEvent::SpeechStopped {
                        audio_end_ms: samples_to_ms(end),
                        speech_end_ms: samples_to_ms(last_speech_end),
                    });
                    TurnState::IDLE
                } else {
                    self.state
                }
            }
        };
    }
}

/// The mean square of a frame's samples (its power, full scale 1.0).
fn mean_square(frame: &[i16]) -> f64 {
    let sum: f64 = frame
        .iter()
        .map(|s| {
            let x = f64::from(*s) / 32768.0;
            x * x
        })
        .sum();
    sum / frame.len().max(1) as f64
}

/// The server's VAD path for `input_audio_buffer.append`: a [`TurnDetector`] fed audio at the
/// session's input rate, converted to [`VAD_SAMPLE_RATE`] on the way (24 kHz, the API's native
/// rate, by an exact 3:2 polyphase filter; other rates by the FFT [`Resampler`]). Keeps its
/// working buffers between pushes, so streaming allocates nothing once they have grown.
#[derive(Debug)]
pub struct ResamplingDetector {
    detector: TurnDetector<Box<dyn SpeechScorer>>,
    rate: u32,
    converter: ToVadRate,
    input: Vec<f32>,
    resampled: Vec<f32>,
    pcm: Vec<i16>,
}

/// How input audio reaches [`VAD_SAMPLE_RATE`].
#[derive(Debug)]
enum ToVadRate {
    ThreeToTwo(ThreeToTwo),
    Resampler(Box<Resampler>),
}

impl ResamplingDetector {
    /// A detector with the default scorer for audio at `rate` Hz; fails when `rate` is not a
    /// usable sample rate.
    pub fn new(rate: u32, params: VadParams) -> Result<Self, rtclient_audio::Error> {
        Self::with_scorer(rate, params, Earshot.scorer())
    }

    /// A detector with `scorer` for audio at `rate` Hz; fails when `rate` is not a usable
    /// sample rate.
    pub fn with_scorer(
        rate: u32,
        params: VadParams,
        scorer: Box<dyn SpeechScorer>,
    ) -> Result<Self, rtclient_audio::Error> {
        let converter = if rate == VAD_SAMPLE_RATE * 3 / 2 {
            ToVadRate::ThreeToTwo(ThreeToTwo::new())
        } else {
            ToVadRate::Resampler(Box::new(Resampler::new(rate, VAD_SAMPLE_RATE)?))
        };
        Ok(Self {
            detector: TurnDetector::with_scorer(params, scorer),
            rate,
            converter,
            input: Vec::new(),
            resampled: Vec::new(),
            pcm: Vec::new(),
        })
    }

    /// The input sample rate.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Changes the settings; see [`TurnDetector::set_params`].
    pub fn set_params(&mut self, params: VadParams) {
        self.detector.set_params(params);
    }

    /// Turns semantic end of turn on or off; see [`TurnDetector::set_semantic`].
    pub fn set_semantic(&mut self, semantic: Option<SemanticTurn>) {
        self.detector.set_semantic(semantic);
    }

    /// The semantic end of turn in force; see [`TurnDetector::semantic_mut`].
    pub fn semantic_mut(&mut self) -> Option<&mut SemanticTurn> {
        self.detector.semantic_mut()
    }

    /// Ends any turn in progress; see [`TurnDetector::reset_turn`].
    pub fn reset_turn(&mut self) {
        self.detector.reset_turn();
    }

    /// The settings in force; see [`TurnDetector::params`].
    pub fn params(&self) -> VadParams {
        self.detector.params()
    }

    /// The pause the turn in progress is in; see [`TurnDetector::pause`].
    pub fn pause(&self) -> Option<Pause> {
        self.detector.pause()
    }

    /// Converts `samples` (at [`rate`](Self::rate)) to 16 kHz and appends every turn start or
    /// stop they complete to `events`.
    pub fn push(
        &mut self,
        samples: &[i16],
        events: &mut Vec<VadEvent>,
    ) -> Result<(), rtclient_audio::Error> {
        self.input.clear();
        self.input
            .extend(samples.iter().map(|s| f32::from(*s) / 32768.0));
        self.resampled.clear();
        match &mut self.converter {
            ToVadRate::ThreeToTwo(filter) => filter.process(&self.input, &mut self.resampled),
            ToVadRate::Resampler(resampler) => {
                resampler.process(&self.input, &mut self.resampled)?;
            }
        }
        self.pcm.clear();
        self.pcm
            .extend(self.resampled.iter().copied().map(clip_to_i16));
        self.detector.push(&self.pcm, events);
        Ok(())
    }
}

fn samples_to_ms(samples: u64) -> u64 {
    samples * 1000 / u64::from(VAD_SAMPLE_RATE)
}

#[cfg(test)]
mod tests;
