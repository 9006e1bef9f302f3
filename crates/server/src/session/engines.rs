//! [`Engines`]: what every session of a server runs on, whatever its protocol family.

use std::sync::Arc;
use std::time::Duration;

use rtclient_audio::Pace;

use super::speech::SpeechCache;
use crate::engine::faults::Faults;
use crate::engine::reply::{EchoResponder, Responder};
use crate::engine::stt::{NoTranscriber, Transcriber};
use crate::engine::tts::{EspeakSynthesizer, Synthesizer};
use crate::engine::turn::EndOfTurn;
use crate::engine::vad::{Earshot, VadEngine};

/// How fast responses stream unless set: 4x real time, fast, yet it leaves a window for
/// barge-in and cancel.
const DEFAULT_PACE: Pace = Pace::Speed(4.0);

/// How long a session lives unless set: 60 minutes, as the service's sessions do.
const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(3600);

/// The engines a session uses, shared by all sessions of a server. Cloning shares them.
#[derive(Clone)]
pub(crate) struct Engines {
    pub(crate) responder: Arc<dyn Responder>,
    pub(crate) synthesizer: Arc<dyn Synthesizer>,
    pub(crate) transcriber: Arc<dyn Transcriber>,
    pub(crate) vad: Arc<dyn VadEngine>,
    /// The judge of `semantic_vad` pauses; without one, semantic VAD is a silence timer.
    pub(crate) end_of_turn: Option<Arc<dyn EndOfTurn>>,
    /// The speech `synthesizer` made so far: it goes with that synthesizer (see
    /// [`Engines::set_synthesizer`]).
    pub(crate) cache: Arc<SpeechCache>,
    pub(crate) pace: Pace,
    pub(crate) max_duration: Duration,
    pub(crate) faults: Faults,
}

impl Engines {
    /// Speaks with `synthesizer` from now on, with an empty speech cache: the cached speech was
    /// the previous synthesizer's.
    pub(crate) fn set_synthesizer(&mut self, synthesizer: Arc<dyn Synthesizer>) {
        self.synthesizer = synthesizer;
        self.cache = Arc::default();
    }
}

impl Default for Engines {
    /// The echo responder, espeak-ng speech, no transcriber, earshot VAD, no end-of-turn judge,
    /// 4x pace, a 60 min lifetime and no faults.
    fn default() -> Self {
        Self {
            responder: Arc::new(EchoResponder),
            synthesizer: Arc::new(EspeakSynthesizer::new()),
            transcriber: Arc::new(NoTranscriber),
            vad: Arc::new(Earshot),
            end_of_turn: None,
            cache: Arc::default(),
            pace: DEFAULT_PACE,
            max_duration: DEFAULT_MAX_DURATION,
            faults: Faults::default(),
        }
    }
}

impl std::fmt::Debug for Engines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engines")
            .field("pace", &self.pace)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}
