//! The input audio of a session: [`InputBuffer`](super::input_buffer::InputBuffer) (the
//! buffer on the session's audio clock), server VAD turns, commits, the idle timeout and input
//! transcription.
//!
//! Input never starts a response: a step that may end a turn returns [`Next`], and the read
//! loop ([`super`]) follows it.

use std::sync::Arc;

use rtclient_protocol::event::client as cl;
use rtclient_protocol::event::server as ev;
use rtclient_protocol::{
    ContentKind, ContentPart, ErrorCode, Item, ItemKind, ItemStatus, Nullable, Role, StatusReason,
    TurnDetectionKind,
};

use super::config;
use super::conversation::{MAX_CONVERSATION_AUDIO, Stored};
use super::hearing::wants_logprobs;
use super::input_buffer::{InputSettings, MAX_APPEND_BASE64};
use super::read_ahead::ReadAhead;
use super::response;
use super::state::Running;
use crate::engine::stt::{LiveTranscript, TurnAudio};
use crate::engine::vad::{ResamplingDetector, SemanticTurn, VadEvent, VadParams};
use crate::session::errors::ClientError;
use crate::session::ids::new_id;
use crate::session::lock::lock;

/// The shortest and the longest pause before a turn is read ahead: half the silence that
/// would end it, so the transcript is ready when it does, within these bounds (the shortest
/// keeps the gaps between words from starting one each).
const READ_AHEAD_MIN_MS: u64 = 60;
const READ_AHEAD_MAX_MS: u64 = 250;

/// What the read loop does after an input step.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Nothing: the step is complete.
    Continue,
    /// A user turn was just committed and a response to it is due: server VAD ended the turn
    /// and `create_response` is on, or the idle timeout committed its silence.
    Respond,
}

impl Running {
    /// Takes in the session's input settings and sets up (or drops) turn detection; call at
    /// the start and after every `session.update`.
    pub(super) fn configure_input(&mut self) {
        let st = lock(&self.state);
        let td = config::turn_detection(&st.session).cloned();
        let format = config::input_format(&st.session);
        drop(st);
        self.input.settings = InputSettings {
            format,
            prefix_padding_ms: td
                .as_ref()
                .and_then(|td| td.prefix_padding_ms)
                .unwrap_or(300),
            idle_timeout_ms: td
                .as_ref()
                .and_then(|td| td.idle_timeout_ms.as_ref())
                .and_then(Nullable::value)
                .copied(),
            create_response: td
                .as_ref()
                .and_then(|td| td.create_response)
                .unwrap_or(true),
            interrupt_response: td
                .as_ref()
                .and_then(|td| td.interrupt_response)
                .unwrap_or(true),
            read_ahead_after_ms: 0,
        };
        let rate = format.sample_rate();
        let Some(td) = td else {
            self.input.vad = None;
            return;
        };
        let silence_ms = match td.kind {
            Some(TurnDetectionKind::SemanticVad) => {
                config::semantic_silence_ms(td.eagerness.as_ref())
            }
            _ => td
                .silence_duration_ms
                .unwrap_or_else(|| config::default_silence_ms(self.emitter.dialect())),
        };
        self.input.settings.read_ahead_after_ms = match td.kind {
            Some(TurnDetectionKind::SemanticVad) => {
                u64::from(config::semantic_params(td.eagerness.as_ref()).check_after_ms) / 2
            }
            _ => silence_ms / 2,
        }
        .clamp(READ_AHEAD_MIN_MS, READ_AHEAD_MAX_MS);
        let params = VadParams {
            threshold: td
                .threshold
                .as_ref()
                .and_then(serde_json::Number::as_f64)
                .unwrap_or(0.5) as f32,
            prefix_padding_ms: td.prefix_padding_ms.unwrap_or(300) as u32,
            silence_duration_ms: silence_ms as u32,
        };
        match self.input.vad.as_mut() {
            Some(vad) if vad.rate() == rate => vad.set_params(params),
            _ => {
                let scorer = self.engines.vad.scorer();
                self.input.vad = ResamplingDetector::with_scorer(rate, params, scorer).ok();
            }
        }
        let semantic = match (td.kind, &self.engines.end_of_turn) {
            (Some(TurnDetectionKind::SemanticVad), Some(judge)) => {
                Some((judge, config::semantic_params(td.eagerness.as_ref())))
            }
            _ => None,
        };
        let Some(vad) = self.input.vad.as_mut() else {
            return;
        };
        match (semantic, vad.semantic_mut()) {
            (Some((_, params)), Some(current)) => current.set_params(params),
            (Some((judge, params)), None) => {
                vad.set_semantic(Some(SemanticTurn::new(Arc::clone(judge), params)));
            }
            (None, _) => vad.set_semantic(None),
        }
    }

    /// Takes in the audio of an `input_audio_buffer.append` and runs server VAD on it: the turn
    /// events it found, in order, for [`Running::turn_event`], then [`Running::after_append`].
    /// `None` when nothing follows: no server VAD, or the detector failed on this audio.
    pub(super) fn take_audio(
        &mut self,
        e: &cl::InputAudioBufferAppend,
    ) -> Result<Option<Vec<VadEvent>>, ClientError> {
        if e.audio.len() > MAX_APPEND_BASE64 {
            return Err(ClientError::invalid_value(
                "audio",
                format!(
                    "Audio too large: {} base64 characters; the maximum is {MAX_APPEND_BASE64}.",
                    e.audio.len()
                ),
            ));
        }
        let sample_bytes = self.input.settings.format.bytes_per_sample();
        let appended = self.input.buffer.push_base64(&e.audio, sample_bytes)?;
        let Some(vad) = self.input.vad.as_mut() else {
            return Ok(None);
        };
        self.input.samples.clear();
        self.input
            .settings
            .format
            .decode(self.input.buffer.last(appended), &mut self.input.samples);
        let mut events = Vec::new();
        if vad.push(&self.input.samples, &mut events).is_err() {
            return Ok(None);
        }
        Ok(Some(events))
    }

    /// Acts on a turn event of server VAD: a turn starts (and interrupts the response in
    /// progress when the settings say so), or ends and is committed.
    pub(super) fn turn_event(&mut self, event: VadEvent) -> Next {
        match event {
            VadEvent::SpeechStarted { audio_start_ms } => {
                self.speech_started(audio_start_ms);
                Next::Continue
            }
            VadEvent::SpeechStopped {
                audio_end_ms,
                speech_end_ms,
            } => {
                let next = self.speech_stopped(audio_end_ms, speech_end_ms);
                self.input.idle_since_ms = audio_end_ms;
                next
            }
        }
    }

    /// What follows an append once its turn events are done: live transcription and reading
    /// ahead of the turn being spoken, the idle timeout, and dropping audio no turn will need.
    /// `appended_at`: the buffer's end (its audio clock, in bytes) before the append.
    pub(super) fn after_append(&mut self, appended_at: u64) -> Next {
        self.transcribe_live();
        self.read_ahead();
        let settings = self.input.settings;
        let next = self.check_idle(settings.bytes_to_ms(appended_at));
        if self.input.speech_item.is_none() {
            // Between turns only the audio a turn could start with is kept (the prefix padding
            // and the detector's onset delay, with room to spare), and the silence an idle
            // timeout would commit.
            let keep_ms = settings.prefix_padding_ms + 1_000;
            let end = self.input.buffer.end();
            let turn_start = end.saturating_sub(settings.ms_to_bytes(keep_ms));
            let idle_start = match settings.idle_timeout_ms {
                Some(_) => settings.ms_to_bytes(self.input.idle_since_ms),
                None => turn_start,
            };
            // In steps of a second or more, not a copy of the buffer on every append.
            let keep_from = turn_start.min(idle_start);
            if keep_from.saturating_sub(self.input.buffer.start()) >= settings.ms_to_bytes(1_000) {
                self.input.buffer.discard_before(keep_from);
            }
        }
        next
    }

    /// `idle_timeout_ms`: silence (on the audio clock) since the last turn, or since the last
    /// response's audio finished playing (its end plus its length), ends in
    /// `input_audio_buffer.timeout_triggered`, a commit of that silence and a response, as the
    /// service does.
    /// `appended_at_ms`: the audio clock before the latest append.
    fn check_idle(&mut self, appended_at_ms: u64) -> Next {
        let settings = self.input.settings;
        let now_ms = settings.bytes_to_ms(self.input.buffer.end());
        let (responding, finished, played_ms) = {
            let st = lock(&self.state);
            (
                st.active.is_some(),
                st.finished_responses,
                st.last_response_audio_ms,
            )
        };
        if finished != self.input.responses_seen {
            // A response ended since the last check: silence counts once its audio has played.
            self.input.responses_seen = finished;
            self.input.idle_since_ms = appended_at_ms + played_ms;
        }
        let in_speech = self.input.speech_item.is_some();
        if responding || in_speech {
            self.input.idle_since_ms = now_ms;
            return Next::Continue;
        }
        let Some(timeout) = settings.idle_timeout_ms else {
            return Next::Continue;
        };
        if now_ms.saturating_sub(self.input.idle_since_ms) < timeout {
            return Next::Continue;
        }
        let item_id = new_id("item_");
        self.emitter.send(ev::InputAudioBufferTimeoutTriggered {
            audio_start_ms: self.input.idle_since_ms,
            audio_end_ms: now_ms,
            item_id: item_id.clone(),
            ..Default::default()
        });
        let silence_start = settings.ms_to_bytes(self.input.idle_since_ms);
        self.input.idle_since_ms = now_ms;
        if let Some(vad) = self.input.vad.as_mut() {
            vad.reset_turn();
        }
        // The committed item is the silence that timed out.
        self.input.buffer.discard_before(silence_start);
        self.commit_as(item_id);
        Next::Respond
    }

    fn speech_started(&mut self, audio_start_ms: u64) {
        let item_id = new_id("item_");
        self.input.speech_item = Some(item_id.clone());
        self.input.read_ahead = None;
        self.input.live = LiveTranscript::default();
        self.input.live_heard_ms = 0;
        // The turn's audio starts here (prefix padding included).
        let start = self.input.settings.ms_to_bytes(audio_start_ms);
        self.input.buffer.discard_before(start);
        let mut st = lock(&self.state);
        self.emitter.send(ev::InputAudioBufferSpeechStarted {
            audio_start_ms,
            item_id,
            ..Default::default()
        });
        if self.input.settings.interrupt_response {
            response::cancel(&mut st, &self.emitter, StatusReason::TurnDetected);
        }
    }

    fn speech_stopped(&mut self, audio_end_ms: u64, speech_end_ms: u64) -> Next {
        let item_id = self
            .input
            .speech_item
            .take()
            .unwrap_or_else(|| new_id("item_"));
        let read_ahead = self
            .input
            .read_ahead
            .take()
            .filter(|r| r.reads(&item_id, speech_end_ms));
        self.emitter.send(ev::InputAudioBufferSpeechStopped {
            audio_end_ms,
            item_id: item_id.clone(),
            ..Default::default()
        });
        // The turn ends here (the silence that ended it included); later audio stays.
        let end = self.input.settings.ms_to_bytes(audio_end_ms);
        let audio = self.input.buffer.take_until(end);
        self.commit_audio(item_id, audio, read_ahead);
        if self.input.settings.create_response {
            Next::Respond
        } else {
            Next::Continue
        }
    }

    pub(super) fn commit(&mut self) -> Result<(), ClientError> {
        let ms = self
            .input
            .settings
            .bytes_to_ms(self.input.buffer.len() as u64);
        if ms < 100 {
            return Err(ClientError::new(
                ErrorCode::InputAudioBufferCommitEmpty,
                format!(
                    "Error committing input audio buffer: buffer too small. Expected at least \
                     100ms of audio, but buffer only has {ms}.00ms of audio."
                ),
            ));
        }
        let item_id = self
            .input
            .speech_item
            .take()
            .unwrap_or_else(|| new_id("item_"));
        if let Some(vad) = self.input.vad.as_mut() {
            vad.reset_turn();
        }
        self.input.read_ahead = None;
        self.commit_as(item_id);
        Ok(())
    }

    /// Commits the whole buffer as `item_id`.
    fn commit_as(&mut self, item_id: String) {
        let audio = self.input.buffer.take_all();
        self.commit_audio(item_id, audio, None);
    }

    /// `committed` + user item added/done (+ transcription when configured, taken from
    /// `read_ahead` when it read this turn with the session's model).
    fn commit_audio(&mut self, item_id: String, audio: Vec<u8>, read_ahead: Option<ReadAhead>) {
        let format = self.input.settings.format;
        let audio_ms = self.input.settings.bytes_to_ms(audio.len() as u64);
        let item = Item {
            id: Some(item_id.clone()),
            kind: Some(ItemKind::Message),
            status: Some(ItemStatus::Completed),
            role: Some(Role::User),
            content: Some(vec![ContentPart {
                kind: Some(ContentKind::InputAudio),
                transcript: Some(Nullable::Null),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let mut st = lock(&self.state);
        let previous = st.conversation.push(Stored {
            item: item.clone(),
            audio,
            audio_ms,
        });
        st.conversation.limit_audio(MAX_CONVERSATION_AUDIO);
        self.emitter.send(ev::InputAudioBufferCommitted {
            previous_item_id: Some(previous.clone().into()),
            item_id: item_id.clone(),
            ..Default::default()
        });
        self.emitter.send(ev::ConversationItemAdded {
            previous_item_id: Some(previous.clone().into()),
            item: item.clone(),
            ..Default::default()
        });
        self.emitter.send(ev::ConversationItemDone {
            previous_item_id: Some(previous.into()),
            item,
            ..Default::default()
        });
        let mut samples = Vec::new();
        if let Some(stored) = st.conversation.get(&item_id) {
            format.decode(&stored.audio, &mut samples);
        }
        let model = config::transcription_model(&st.session);
        let logprobs = wants_logprobs(&st.session);
        drop(st);
        let turn = TurnAudio {
            sample_rate: format.sample_rate(),
            samples: &samples,
        };
        let result = self.hear(turn, model.as_deref(), read_ahead);
        if model.is_none() {
            self.hear_privately(item_id, result);
            return;
        }
        match result {
            Ok(transcript) => self.transcribed(item_id, &transcript, audio_ms, logprobs),
            Err(error) => self.transcription_failed(item_id, error),
        }
    }
}
