//! The types a session's handlers share: the engines, the session state behind its mutex,
//! the response in progress and the running session the read loop owns.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtclient_audio::Pace;
use rtclient_protocol::{Response, Session};

use super::conversation::Conversation;
use super::emit::Emitter;
use super::input_buffer::Input;
use super::open_item::OpenItem;
use super::rates::RateBook;
use super::speech::SpeechCache;
use super::usage::Tokens;
use crate::engine::faults::Faults;
use crate::engine::reply::Responder;
use crate::engine::stt::Transcriber;
use crate::engine::tts::Synthesizer;
use crate::engine::turn::EndOfTurn;
use crate::engine::vad::VadEngine;

/// Largest `input_audio_buffer.append` payload, in base64 characters (15 MiB).
pub const MAX_APPEND_BASE64: usize = 15 * 1024 * 1024;

/// How fast responses stream unless set: 4x real time, fast, yet it leaves a window for
/// barge-in and cancel.
pub(crate) const DEFAULT_PACE: Pace = Pace::Speed(4.0);

/// The engines a session uses, shared by all sessions of a server.
pub(crate) struct Engines {
    pub(crate) responder: Arc<dyn Responder>,
    pub(crate) synthesizer: Arc<dyn Synthesizer>,
    pub(crate) transcriber: Arc<dyn Transcriber>,
    pub(crate) vad: Arc<dyn VadEngine>,
    /// The judge of `semantic_vad` pauses; without one, semantic VAD is a silence timer.
    pub(crate) end_of_turn: Option<Arc<dyn EndOfTurn>>,
    pub(crate) cache: SpeechCache,
    pub(crate) pace: Pace,
    pub(crate) max_duration: Duration,
    pub(crate) faults: Faults,
}

impl std::fmt::Debug for Engines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engines")
            .field("pace", &self.pace)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

/// The state of one session, shared with its response task.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) session: Session,
    pub(crate) conversation: Conversation,
    pub(crate) conversation_id: String,
    pub(crate) active: Option<Active>,
    pub(crate) audio_produced: bool,
    pub(crate) rates: RateBook,
    /// An Azure Voice Live session (its extension fields are kept and reported).
    pub(crate) voice_live: bool,
    /// Responses ended so far (completed, cancelled or failed).
    pub(crate) finished_responses: u64,
    /// Output audio of the last response to end, in ms.
    pub(crate) last_response_audio_ms: u64,
    /// What the speech-to-text engine heard in the latest committed user audio (item id,
    /// text, oldest first, at most [`HEARD_TURNS`]) when the session asked for no input
    /// transcription: the service's model hears audio itself, so the responder gets every
    /// recent turn without any transcription event being sent.
    pub(crate) heard: VecDeque<(String, String)>,
}

/// User turns whose privately heard text is kept for the responder: more than a reply model's
/// prompt holds.
pub(crate) const HEARD_TURNS: usize = 32;

/// [`State`] behind a mutex.
pub(crate) type SharedState = Arc<Mutex<State>>;

/// The response in progress (at most one per session).
#[derive(Debug)]
pub(crate) struct Active {
    /// The response's id.
    pub(crate) id: String,
    /// The response object as far as it got.
    pub(crate) response: Response,
    /// The tokens the response reads.
    pub(crate) input: Tokens,
    /// The output item being streamed, if any.
    pub(crate) open: Option<OpenItem>,
    /// The output tokens of the items already finished.
    pub(crate) produced: Tokens,
    /// The output audio of the items already finished, in ms.
    pub(crate) audio_ms: u64,
    /// Its output goes into the conversation.
    pub(crate) in_conversation: bool,
}

/// A session being served. Its handlers are split by concern: audio input and turn detection
/// in [`super::input`], conversation items in [`super::items`], the rest in
/// [`super::realtime`].
pub(super) struct Running {
    pub(super) state: SharedState,
    pub(super) emitter: Emitter,
    pub(super) engines: Arc<Engines>,
    pub(super) input: Input,
}
