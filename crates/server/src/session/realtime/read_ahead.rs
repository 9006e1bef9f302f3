//! Reading a turn ahead. When the user pauses, server VAD waits out `silence_duration_ms`
//! before it decides the turn is over; meanwhile the turn so far is transcribed on a worker
//! thread, and the reply model reads the prompt the response would give it. If the pause does
//! end the turn, its transcript is ready, or nearly, at `speech_stopped`, and the reply starts
//! from a prompt already read; if the user speaks on, the work is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

use crate::engine::stt::{LiveTranscript, Transcriber, Transcript, TranscriptionError, TurnAudio};

/// A transcription's outcome.
type Heard = Result<Transcript, TranscriptionError>;

/// The turn a [`ReadAhead`] reads: the audio so far of the turn announced as `item_id`, whose
/// speech ended at `speech_end_ms` (it is the turn that ends there).
pub(super) struct Turn {
    pub(super) item_id: String,
    pub(super) speech_end_ms: u64,
    /// The session's transcription model; `None` when it asked for none (the turn is then
    /// heard for the responder only).
    pub(super) model: Option<String>,
    pub(super) sample_rate: u32,
    pub(super) samples: Vec<i16>,
    /// The turn's live transcript so far, for the transcript its item will hold.
    pub(super) live: LiveTranscript,
    /// What reads the prompt of the response that follows the turn, given the turn's
    /// transcript; `None` when no response follows.
    pub(super) prepare: Option<Prepare>,
}

/// Reads the prompt a response would start from, given the transcript of the turn before it.
pub(super) type Prepare = Box<dyn FnOnce(String) + Send>;

/// A turn being read ahead. Dropping it abandons the work.
#[derive(Debug)]
pub(super) struct ReadAhead {
    item_id: String,
    speech_end_ms: u64,
    model: Option<String>,
    heard: mpsc::Receiver<Heard>,
    /// Cleared when the read-ahead is dropped unused, so the reply model does not read a
    /// prompt no reply will follow.
    wanted: Arc<AtomicBool>,
    used: bool,
}

impl ReadAhead {
    /// Starts reading `turn` ahead on the blocking pool.
    pub(super) fn start(turn: Turn, transcriber: Arc<dyn Transcriber>) -> Self {
        let (tx, heard) = mpsc::channel();
        let wanted = Arc::new(AtomicBool::new(true));
        let read_ahead = Self {
            item_id: turn.item_id,
            speech_end_ms: turn.speech_end_ms,
            model: turn.model.clone(),
            heard,
            wanted: Arc::clone(&wanted),
            used: false,
        };
        tokio::task::spawn_blocking(move || {
            let audio = TurnAudio {
                sample_rate: turn.sample_rate,
                samples: &turn.samples,
            };
            let model = turn.model.as_deref().unwrap_or("");
            let result = transcriber.transcribe(audio, model);
            let text = result.as_ref().ok().map(|t| t.text.clone());
            if tx.send(result).is_err() || !wanted.load(Ordering::Acquire) {
                return;
            }
            let (Some(prepare), Some(text)) = (turn.prepare, text) else {
                return;
            };
            // The transcript the user item will hold: the live deltas' words, then the rest.
            let text = match turn.model {
                Some(_) => turn.live.clone().finish(&text).1,
                None => text,
            };
            if !text.trim().is_empty() {
                prepare(text);
            }
        });
        read_ahead
    }

    /// Whether this reads the turn `item_id` whose speech ends at `speech_end_ms`.
    pub(super) fn reads(&self, item_id: &str, speech_end_ms: u64) -> bool {
        self.item_id == item_id && self.speech_end_ms == speech_end_ms
    }

    /// Whether it transcribes with `model` (`None`: heard for the responder only).
    pub(super) fn uses_model(&self, model: Option<&str>) -> bool {
        self.model.as_deref() == model
    }

    /// The turn's transcription, waiting for it; `None` if the worker died.
    pub(super) fn heard(mut self) -> Option<Heard> {
        self.used = true;
        self.heard.recv().ok()
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        if !self.used {
            self.wanted.store(false, Ordering::Release);
        }
    }
}
