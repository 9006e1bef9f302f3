//! The user's turns of a GPT-Live session, answered off the async runtime.
//!
//! Transcribing a turn and asking the responder for its reply is engine work of up to seconds:
//! the session's turn worker runs it on the blocking pool, one turn after the other, so the
//! session keeps its output clock and other connections keep being served meanwhile. The
//! outcomes come back in the order the turns ended, and the session sends their events
//! ([`Live::finish_turn`]) as it did when it answered inline.

use std::sync::Arc;

use rtclient_protocol::live::{InitialRole, InputTranscriptDelta, LiveError, ServerEvent};
use tokio::sync::mpsc;

use super::Live;
use super::input::{Turn, grid_fragments};
use crate::engine::reply::{Prompt, Reply};
use crate::engine::stt::TurnAudio;
use crate::session::engines::Engines;

/// A turn to answer, with the session settings of the moment it ended.
#[derive(Debug)]
pub(super) struct TurnJob {
    turn: Turn,
    /// The session's model, for the transcriber.
    model: String,
    /// The session's instructions, for the responder.
    instructions: Option<String>,
}

/// What a turn came to: its transcript and the responder's reply.
#[derive(Debug)]
pub(super) struct TurnOutcome {
    start_ms: u64,
    end_ms: u64,
    /// The transcript; `None` when transcription failed.
    text: Option<String>,
    /// Whether the responder delegates the turn.
    delegate: bool,
    reply: Reply,
}

/// Spawns a session's turn worker: (job sender, outcome receiver). Each turn yields one
/// outcome, in order; `None` when its engine work died.
pub(super) fn turn_worker(
    engines: &Arc<Engines>,
) -> (
    mpsc::UnboundedSender<TurnJob>,
    mpsc::UnboundedReceiver<Option<TurnOutcome>>,
) {
    let (job_tx, mut job_rx) = mpsc::unbounded_channel::<TurnJob>();
    let (outcome_tx, outcome_rx) = mpsc::unbounded_channel();
    let engines = Arc::clone(engines);
    tokio::spawn(async move {
        while let Some(job) = job_rx.recv().await {
            let engines = Arc::clone(&engines);
            let outcome = tokio::task::spawn_blocking(move || answer(&engines, job))
                .await
                .inspect_err(|error| tracing::warn!(%error, "live turn failed"))
                .ok();
            if outcome_tx.send(outcome).is_err() {
                return;
            }
        }
    });
    (job_tx, outcome_rx)
}

/// Transcribes `job`'s turn and asks the responder about it (blocking engine work).
fn answer(engines: &Engines, job: TurnJob) -> TurnOutcome {
    let TurnJob {
        turn,
        model,
        instructions,
    } = job;
    let audio = TurnAudio {
        sample_rate: turn.rate,
        samples: &turn.samples,
    };
    let text = engines
        .transcriber
        .transcribe(audio, &model)
        .ok()
        .map(|heard| heard.text);
    let prompt = Prompt {
        user_text: text.as_deref(),
        user_audio_ms: Some(turn.end_ms - turn.start_ms),
        instructions: instructions.as_deref(),
        ..Prompt::default()
    };
    let delegate = engines.responder.delegates(&prompt);
    let reply = engines.responder.reply(&prompt);
    TurnOutcome {
        start_ms: turn.start_ms,
        end_ms: turn.end_ms,
        text,
        delegate,
        reply,
    }
}

impl Live {
    /// The user stopped speaking: the turn goes to the turn worker.
    pub(super) fn on_turn(&mut self, turn: Turn) {
        let job = TurnJob {
            turn,
            model: self.session.model.clone(),
            instructions: self
                .session
                .instructions
                .as_ref()
                .and_then(|i| i.value().cloned()),
        };
        // The worker lives as long as the session.
        if self.turn_tx.send(job).is_ok() {
            self.turns_in_flight += 1;
        }
    }

    /// A turn's outcome from the worker (`None`: its engine work died, nothing to say).
    pub(super) fn on_outcome(&mut self, outcome: Option<TurnOutcome>) {
        self.turns_in_flight = self.turns_in_flight.saturating_sub(1);
        if let Some(outcome) = outcome {
            self.finish_turn(outcome);
        }
        if self.turns_in_flight == 0
            && let Some((reason, id)) = self.closing.take()
        {
            self.close(reason, id);
        }
    }

    /// A turn's events: its transcript on the 200 ms grid, then the reply and the delegation.
    fn finish_turn(&mut self, outcome: TurnOutcome) {
        let TurnOutcome {
            start_ms,
            end_ms,
            text,
            delegate,
            reply,
        } = outcome;
        let mut last_start = start_ms;
        if let Some(text) = &text {
            self.registration.remember(InitialRole::User, text);
            for (delta, start_ms, end_ms) in
                grid_fragments(text, start_ms, end_ms, !self.said_anything)
            {
                self.said_anything = true;
                self.transcript_chars += delta.len();
                last_start = start_ms;
                self.emit(InputTranscriptDelta {
                    delta,
                    start_ms,
                    end_ms,
                    ..Default::default()
                });
            }
        }
        match reply {
            Reply::Say(text) => self.speak(text),
            Reply::Fail(failure) => self.emit(ServerEvent::error(LiveError {
                kind: failure.kind,
                code: failure.code.into(),
                message: failure.message,
                ..Default::default()
            })),
            // The voice model has no tools; a tool call says nothing.
            Reply::Calls(_) => {}
        }
        if delegate {
            self.delegate(last_start, text);
        }
    }
}
