//! The types a Realtime session's handlers share: the session state behind its mutex (shared
//! with the response task, and locked through [`lock`](crate::session::lock::lock), whose
//! module says what a poisoned lock means) and the running session the read loop owns.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rtclient_protocol::Session;

use super::active::Active;
use super::conversation::Conversation;
use super::emit::Emitter;
use super::input_buffer::Input;
use super::rates::RateBook;
use crate::session::engines::Engines;

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

/// A session being served. Its handlers are split by concern: audio input and turn detection
/// in [`super::input`] (what was heard in [`super::hearing`]), conversation items in
/// [`super::items`], and the session's own events beside the read loop in [`super`], which
/// alone starts responses (input says when one is wanted: [`super::input::Next`]).
pub(super) struct Running {
    pub(super) state: SharedState,
    pub(super) emitter: Emitter,
    pub(super) engines: Arc<Engines>,
    pub(super) input: Input,
}
