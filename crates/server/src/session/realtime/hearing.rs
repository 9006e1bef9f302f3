//! What a session hears in its input audio: live transcription deltas while the user speaks,
//! the turn read ahead at a pause, and the committed turn's transcript (sent as events, or
//! kept for the responder only when the session asked for no transcription).

use std::sync::Arc;

use rtclient_protocol::event::server as ev;
use rtclient_protocol::{ApiError, Nullable, Session, TranscriptionUsage, TranscriptionUsageKind};

use super::config;
use super::prompt::prepare_reply;
use super::read_ahead::{ReadAhead, Turn};
use super::state::{HEARD_TURNS, Running};
use crate::engine::stt::{LiveTranscript, Transcript, TranscriptionError, TurnAudio};
use crate::session::lock::lock;

/// How much more of a turn a live transcriber hears before it is run on the turn again.
const LIVE_STEP_MS: u64 = 1_000;

/// The `include` entry that asks for transcription logprobs.
const INCLUDE_LOGPROBS: &str = "item.input_audio_transcription.logprobs";

impl Running {
    /// While a turn is spoken, a live transcriber hears it again after every [`LIVE_STEP_MS`]
    /// of new audio, and the words it is sure of go out as transcription deltas.
    pub(super) fn transcribe_live(&mut self) {
        let Some(item_id) = self.input.speech_item.clone() else {
            return;
        };
        let settings = self.input.settings;
        let turn_ms = settings.bytes_to_ms(self.input.buffer.len() as u64);
        if !self.engines.transcriber.live() || turn_ms < self.input.live_heard_ms + LIVE_STEP_MS {
            return;
        }
        self.input.live_heard_ms = turn_ms;
        let (Some(model), samples) = self.turn_so_far() else {
            return;
        };
        let turn = TurnAudio {
            sample_rate: settings.format.sample_rate(),
            samples: &samples,
        };
        let transcriber = &self.engines.transcriber;
        let Ok(partial) = blocking(|| transcriber.transcribe(turn, &model)) else {
            return;
        };
        if let Some(delta) = self.input.live.update(&partial.text) {
            self.emitter
                .send(ev::ConversationItemInputAudioTranscriptionDelta {
                    item_id,
                    content_index: Some(0),
                    delta: Some(delta),
                    ..Default::default()
                });
        }
    }

    /// The session's transcription model (`None` when it asked for none) and the samples of the
    /// turn so far.
    fn turn_so_far(&self) -> (Option<String>, Vec<i16>) {
        let model = config::transcription_model(&lock(&self.state).session);
        let mut samples = Vec::new();
        let buffer = &self.input.buffer;
        self.input
            .settings
            .format
            .decode(buffer.last(buffer.len()), &mut samples);
        (model, samples)
    }

    /// Once a pause in the turn being spoken has lasted `read_ahead_after_ms`, starts reading
    /// the turn ahead (see [`super::read_ahead`]), unless this pause is already being read.
    /// Only a transcriber fast enough for live deltas reads ahead: a slow one (Whisper, seconds
    /// a turn) would spend that on pauses the user speaks on after.
    pub(super) fn read_ahead(&mut self) {
        if !self.engines.transcriber.live() {
            return;
        }
        let (Some(item_id), Some(vad)) = (&self.input.speech_item, &self.input.vad) else {
            return;
        };
        let Some(pause) = vad.pause() else {
            return;
        };
        let settings = self.input.settings;
        let reading = self.input.read_ahead.as_ref();
        if pause.silence_ms < settings.read_ahead_after_ms
            || reading.is_some_and(|r| r.reads(item_id, pause.speech_end_ms))
        {
            return;
        }
        let (model, samples) = self.turn_so_far();
        let turn = Turn {
            item_id: item_id.clone(),
            speech_end_ms: pause.speech_end_ms,
            model,
            sample_rate: settings.format.sample_rate(),
            samples,
            live: self.input.live.clone(),
            prepare: settings
                .create_response
                .then(|| prepare_reply(&self.state, &self.engines, item_id.clone())),
        };
        let transcriber = Arc::clone(&self.engines.transcriber);
        self.input.read_ahead = Some(ReadAhead::start(turn, transcriber));
    }

    /// What the committed `turn` said, heard with `model` (`None`: for the responder only):
    /// taken from `read_ahead` when it read this turn with that model, else transcribed now.
    pub(super) fn hear(
        &self,
        turn: TurnAudio<'_>,
        model: Option<&str>,
        read_ahead: Option<ReadAhead>,
    ) -> Result<Transcript, TranscriptionError> {
        let started = std::time::Instant::now();
        let read_ahead = read_ahead.filter(|r| r.uses_model(model));
        let ahead = read_ahead.is_some();
        let result = read_ahead
            .and_then(|r| blocking(|| r.heard()))
            .unwrap_or_else(|| {
                blocking(|| {
                    self.engines
                        .transcriber
                        .transcribe(turn, model.unwrap_or(""))
                })
            });
        tracing::debug!(
            audio_ms = turn.samples.len() as u64 * 1000 / u64::from(turn.sample_rate.max(1)),
            read_ahead = ahead,
            took_ms = started.elapsed().as_millis(),
            "transcribed a committed turn"
        );
        result
    }

    /// `conversation.item.input_audio_transcription.failed` for `item_id`.
    pub(super) fn transcription_failed(&mut self, item_id: String, error: TranscriptionError) {
        self.input.live = LiveTranscript::default();
        self.emitter
            .send(ev::ConversationItemInputAudioTranscriptionFailed {
                item_id,
                content_index: 0,
                error: ApiError {
                    kind: Some("server_error".to_owned()),
                    code: Some(Nullable::Value(error.code)),
                    message: Some(error.message),
                    param: Some(Nullable::Null),
                    ..Default::default()
                },
                ..Default::default()
            });
    }

    /// Keeps what was heard in a committed turn for the responder only (no events), when the
    /// session asked for no input transcription.
    pub(super) fn hear_privately(
        &mut self,
        item_id: String,
        result: Result<Transcript, TranscriptionError>,
    ) {
        let Ok(heard) = result else {
            return;
        };
        if heard.text.trim().is_empty() {
            return;
        }
        let mut st = lock(&self.state);
        if st.heard.len() == HEARD_TURNS {
            st.heard.pop_front();
        }
        st.heard.push_back((item_id, heard.text));
    }

    /// Stores the transcript of the user item `item_id` and sends its last delta and the
    /// `completed` event (with duration usage, and logprobs when the session asked).
    pub(super) fn transcribed(
        &mut self,
        item_id: String,
        transcript: &Transcript,
        audio_ms: u64,
        logprobs: bool,
    ) {
        let (delta, text) = self.input.live.finish(&transcript.text);
        if let Some(stored) = lock(&self.state).conversation.get_mut(&item_id) {
            for part in stored.item.content.iter_mut().flatten() {
                part.transcript = Some(Nullable::Value(text.clone()));
            }
        }
        if !delta.is_empty() {
            self.emitter
                .send(ev::ConversationItemInputAudioTranscriptionDelta {
                    item_id: item_id.clone(),
                    content_index: Some(0),
                    delta: Some(delta),
                    ..Default::default()
                });
        }
        let logprobs = logprobs.then(|| {
            transcript
                .logprobs
                .iter()
                .map(|token| {
                    serde_json::json!({
                        "token": token.token,
                        "logprob": token.logprob,
                        "bytes": token.bytes,
                    })
                })
                .collect()
        });
        self.emitter
            .send(ev::ConversationItemInputAudioTranscriptionCompleted {
                item_id,
                content_index: 0,
                transcript: text,
                logprobs,
                usage: Some(TranscriptionUsage {
                    kind: Some(TranscriptionUsageKind::Duration),
                    seconds: Some(audio_ms.div_ceil(1000).into()),
                    ..Default::default()
                }),
                ..Default::default()
            });
    }
}

/// Whether the session's `include` asks for transcription logprobs.
pub(super) fn wants_logprobs(session: &Session) -> bool {
    session
        .include
        .as_ref()
        .and_then(Nullable::value)
        .is_some_and(|include| include.iter().any(|entry| entry == INCLUDE_LOGPROBS))
}

/// Runs a transcription, which takes tens of milliseconds or more, without stalling the other
/// tasks of a multi-threaded runtime.
fn blocking<T>(run: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(run)
        }
        _ => run(),
    }
}
