//! The input audio of a session: [`InputBuffer`] (the buffer on the session's audio clock),
//! server VAD turns, commits, the idle timeout and input transcription.

use base64::Engine as _;
use rtclient_audio::WireFormat;
use rtclient_protocol::event::client as cl;
use rtclient_protocol::event::server as ev;
use rtclient_protocol::{
    ApiError, ContentKind, ContentPart, Item, ItemKind, ItemStatus, Nullable, Role, Session,
    StatusReason, TranscriptionUsage, TranscriptionUsageKind, TurnDetectionKind,
};

use super::config;
use super::conversation::{MAX_CONVERSATION_AUDIO, Stored};
use super::errors::ClientError;
use super::ids::new_id;
use super::realtime::{MAX_APPEND_BASE64, Running};
use super::response;
use crate::engine::transcription::{LiveTranscript, Transcript, TurnAudio};
use crate::engine::vad::{ResamplingDetector, VadEvent, VadParams};

/// Largest input audio buffer, in wire bytes (about 11 minutes of 24 kHz PCM16), so one
/// session cannot take the server's memory.
pub(crate) const MAX_INPUT_BUFFER: usize = 32 * 1024 * 1024;

/// How much more of a turn a live transcriber hears before it is run on the turn again.
const LIVE_STEP_MS: u64 = 1_000;

/// The `include` entry that asks for transcription logprobs.
const INCLUDE_LOGPROBS: &str = "item.input_audio_transcription.logprobs";

/// The audio appended and not yet committed, cleared or discarded, and where it sits in the
/// session's audio (all offsets in wire bytes since the first append).
#[derive(Debug, Default)]
pub(crate) struct InputBuffer {
    bytes: Vec<u8>,
    start: u64,
}

impl InputBuffer {
    /// Decodes base64 `audio` onto the end of the buffer and returns how many bytes it added.
    /// Invalid base64, or audio that would outgrow [`MAX_INPUT_BUFFER`], leaves the buffer as
    /// it was.
    /// `sample_bytes`: the size of one sample, which the audio must be a whole number of.
    pub(crate) fn push_base64(
        &mut self,
        audio: &str,
        sample_bytes: usize,
    ) -> Result<usize, ClientError> {
        let start = self.bytes.len();
        if base64::engine::general_purpose::STANDARD
            .decode_vec(audio.as_bytes(), &mut self.bytes)
            .is_err()
        {
            self.bytes.truncate(start);
            return Err(ClientError::invalid_value(
                "audio",
                "Invalid 'audio'. Expected base64-encoded audio.",
            ));
        }
        let added = self.bytes.len() - start;
        if !added.is_multiple_of(sample_bytes.max(1)) {
            self.bytes.truncate(start);
            return Err(ClientError::invalid_value(
                "audio",
                format!(
                    "Invalid 'audio': {added} bytes is not a whole number of {sample_bytes}-byte \
                     samples."
                ),
            ));
        }
        if self.bytes.len() > MAX_INPUT_BUFFER {
            self.bytes.truncate(start);
            return Err(ClientError::new(
                "input_audio_buffer_full",
                format!(
                    "The input audio buffer is full ({} MiB). Commit or clear it before \
                     appending more audio.",
                    MAX_INPUT_BUFFER / (1024 * 1024)
                ),
            )
            .param("audio"));
        }
        Ok(self.bytes.len() - start)
    }

    /// The last `n` bytes.
    pub(crate) fn last(&self, n: usize) -> &[u8] {
        &self.bytes[self.bytes.len().saturating_sub(n)..]
    }

    /// Bytes in the buffer.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Where the buffer starts on the session's audio clock.
    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// The session's audio clock: every byte ever appended.
    pub(crate) fn end(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }

    /// Discards the audio before `offset`.
    pub(crate) fn discard_before(&mut self, offset: u64) {
        let cut = offset
            .saturating_sub(self.start)
            .min(self.bytes.len() as u64);
        self.bytes.drain(..cut as usize);
        self.start += cut;
    }

    /// Takes the audio before `offset`; what follows stays.
    pub(crate) fn take_until(&mut self, offset: u64) -> Vec<u8> {
        let cut = offset
            .saturating_sub(self.start)
            .min(self.bytes.len() as u64);
        let rest = self.bytes.split_off(cut as usize);
        self.start += cut;
        std::mem::replace(&mut self.bytes, rest)
    }

    /// Takes all of it.
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        self.take_until(self.end())
    }
}

/// The input audio buffer and server VAD of one session (owned by the read loop).
pub(super) struct Input {
    /// The session's input settings, as of its last configuration.
    pub(super) settings: InputSettings,
    /// Audio appended and not yet committed, on the session's audio clock.
    pub(super) buffer: InputBuffer,
    pub(super) vad: Option<ResamplingDetector>,
    /// Decoded samples of the current append (kept to reuse its allocation).
    pub(super) samples: Vec<i16>,
    /// VAD events of the current append (kept to reuse its allocation).
    pub(super) events: Vec<VadEvent>,
    /// Item id announced by `speech_started`.
    pub(super) speech_item: Option<String>,
    /// Audio clock (ms) from which silence counts towards `idle_timeout_ms`.
    pub(super) idle_since_ms: u64,
    /// Responses that had ended at the last idle check.
    pub(super) responses_seen: u64,
    /// The live transcript of the turn being spoken.
    pub(super) live: LiveTranscript,
    /// Milliseconds of the turn the live transcriber last heard.
    pub(super) live_heard_ms: u64,
}

/// What the input path reads from the session config, taken once per `session.update` instead
/// of on every append.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct InputSettings {
    /// The input audio format.
    pub(super) format: WireFormat,
    /// Turn detection's `prefix_padding_ms` (300 when off).
    pub(super) prefix_padding_ms: u64,
    /// Turn detection's `idle_timeout_ms`, if set.
    pub(super) idle_timeout_ms: Option<u64>,
    /// Turn detection's `create_response`.
    pub(super) create_response: bool,
    /// Turn detection's `interrupt_response`.
    pub(super) interrupt_response: bool,
}

impl InputSettings {
    /// Milliseconds of `bytes` of input audio.
    pub(super) fn bytes_to_ms(&self, bytes: u64) -> u64 {
        bytes * 1000 / self.format.bytes_per_second().max(1)
    }

    /// The wire bytes of `ms` of input audio, whole samples.
    pub(super) fn ms_to_bytes(&self, ms: u64) -> u64 {
        let bytes = self.format.bytes_per_second() * ms / 1000;
        bytes - bytes % (self.format.bytes_per_sample() as u64).max(1)
    }
}

impl Running {
    /// Takes in the session's input settings and sets up (or drops) turn detection; call at
    /// the start and after every `session.update`.
    pub(super) fn configure_input(&mut self) {
        let Ok(st) = self.state.lock() else { return };
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
    }

    pub(super) fn append(&mut self, e: &cl::InputAudioBufferAppend) -> Result<(), ClientError> {
        if e.audio.len() > MAX_APPEND_BASE64 {
            return Err(ClientError::invalid_value(
                "audio",
                format!(
                    "Audio too large: {} base64 characters; the maximum is {MAX_APPEND_BASE64}.",
                    e.audio.len()
                ),
            ));
        }
        let clock_before = self.input.buffer.end();
        let sample_bytes = self.input.settings.format.bytes_per_sample();
        let appended = self.input.buffer.push_base64(&e.audio, sample_bytes)?;
        let Some(vad) = self.input.vad.as_mut() else {
            return Ok(());
        };
        self.input.samples.clear();
        self.input
            .settings
            .format
            .decode(self.input.buffer.last(appended), &mut self.input.samples);
        let mut events = std::mem::take(&mut self.input.events);
        events.clear();
        if vad.push(&self.input.samples, &mut events).is_err() {
            return Ok(());
        }
        for event in &events {
            match *event {
                VadEvent::SpeechStarted { audio_start_ms } => self.speech_started(audio_start_ms),
                VadEvent::SpeechStopped { audio_end_ms } => {
                    self.speech_stopped(audio_end_ms);
                    self.input.idle_since_ms = audio_end_ms;
                }
            }
        }
        self.input.events = events;
        self.transcribe_live();
        let settings = self.input.settings;
        self.check_idle(settings.bytes_to_ms(clock_before));
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
        Ok(())
    }

    /// `idle_timeout_ms`: silence (on the audio clock) since the last turn, or since the last
    /// response's audio finished playing (its end plus its length), ends in
    /// `input_audio_buffer.timeout_triggered`, a commit of that silence and a response, as the
    /// service does.
    /// `appended_at_ms`: the audio clock before the latest append.
    pub(super) fn check_idle(&mut self, appended_at_ms: u64) {
        let settings = self.input.settings;
        let now_ms = settings.bytes_to_ms(self.input.buffer.end());
        let (responding, finished, played_ms) = match self.state.lock() {
            Ok(st) => (
                st.active.is_some(),
                st.finished_responses,
                st.last_response_audio_ms,
            ),
            Err(_) => return,
        };
        if finished != self.input.responses_seen {
            // A response ended since the last check: silence counts once its audio has played.
            self.input.responses_seen = finished;
            self.input.idle_since_ms = appended_at_ms + played_ms;
        }
        let in_speech = self.input.speech_item.is_some();
        if responding || in_speech {
            self.input.idle_since_ms = now_ms;
            return;
        }
        let Some(timeout) = settings.idle_timeout_ms else {
            return;
        };
        if now_ms.saturating_sub(self.input.idle_since_ms) < timeout {
            return;
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
        let _ = self.response_create(cl::ResponseCreate::default());
    }

    /// While a turn is spoken, a live transcriber hears it again after every [`LIVE_STEP_MS`]
    /// of new audio, and the words it is sure of go out as transcription deltas.
    fn transcribe_live(&mut self) {
        let Some(item_id) = self.input.speech_item.clone() else {
            return;
        };
        let settings = self.input.settings;
        let turn_ms = settings.bytes_to_ms(self.input.buffer.len() as u64);
        if !self.engines.transcriber.live() || turn_ms < self.input.live_heard_ms + LIVE_STEP_MS {
            return;
        }
        self.input.live_heard_ms = turn_ms;
        let model = match self.state.lock() {
            Ok(st) => config::transcription_model(&st.session),
            Err(_) => return,
        };
        let Some(model) = model else { return };
        let mut samples = Vec::new();
        let buffer = &self.input.buffer;
        settings
            .format
            .decode(buffer.last(buffer.len()), &mut samples);
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

    pub(super) fn speech_started(&mut self, audio_start_ms: u64) {
        let item_id = new_id("item_");
        self.input.speech_item = Some(item_id.clone());
        self.input.live = LiveTranscript::default();
        self.input.live_heard_ms = 0;
        // The turn's audio starts here (prefix padding included).
        let start = self.input.settings.ms_to_bytes(audio_start_ms);
        self.input.buffer.discard_before(start);
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        self.emitter.send(ev::InputAudioBufferSpeechStarted {
            audio_start_ms,
            item_id,
            ..Default::default()
        });
        if self.input.settings.interrupt_response {
            response::cancel(&mut st, &self.emitter, StatusReason::TurnDetected);
        }
    }

    pub(super) fn speech_stopped(&mut self, audio_end_ms: u64) {
        let item_id = self
            .input
            .speech_item
            .take()
            .unwrap_or_else(|| new_id("item_"));
        self.emitter.send(ev::InputAudioBufferSpeechStopped {
            audio_end_ms,
            item_id: item_id.clone(),
            ..Default::default()
        });
        // The turn ends here (the silence that ended it included); later audio stays.
        let end = self.input.settings.ms_to_bytes(audio_end_ms);
        let audio = self.input.buffer.take_until(end);
        self.commit_audio(item_id, audio);
        if self.input.settings.create_response {
            let _ = self.response_create(cl::ResponseCreate::default());
        }
    }

    pub(super) fn commit(&mut self) -> Result<(), ClientError> {
        let ms = self
            .input
            .settings
            .bytes_to_ms(self.input.buffer.len() as u64);
        if ms < 100 {
            return Err(ClientError::new(
                "input_audio_buffer_commit_empty",
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
        self.commit_as(item_id);
        Ok(())
    }

    /// Commits the whole buffer as `item_id`.
    pub(super) fn commit_as(&mut self, item_id: String) {
        let audio = self.input.buffer.take_all();
        self.commit_audio(item_id, audio);
    }

    /// `committed` + user item added/done (+ transcription when configured).
    pub(super) fn commit_audio(&mut self, item_id: String, audio: Vec<u8>) {
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
        let Ok(mut st) = self.state.lock() else {
            return;
        };
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
        let Some(model) = model else {
            self.hear_privately(item_id, format.sample_rate(), &samples);
            return;
        };
        let turn = TurnAudio {
            sample_rate: format.sample_rate(),
            samples: &samples,
        };
        let transcriber = &self.engines.transcriber;
        match blocking(|| transcriber.transcribe(turn, &model)) {
            Ok(transcript) => self.transcribed(item_id, &transcript, audio_ms, logprobs),
            Err(error) => {
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
        }
    }

    /// Stores the transcript of the user item `item_id` and sends its last delta and the
    /// `completed` event (with duration usage, and logprobs when the session asked).
    /// Transcribes a committed turn for the responder only (no events), when the session asked
    /// for no input transcription.
    fn hear_privately(&mut self, item_id: String, sample_rate: u32, samples: &[i16]) {
        let turn = TurnAudio {
            sample_rate,
            samples,
        };
        let transcriber = &self.engines.transcriber;
        let Ok(heard) = blocking(|| transcriber.transcribe(turn, "")) else {
            return;
        };
        if heard.text.trim().is_empty() {
            return;
        }
        if let Ok(mut st) = self.state.lock() {
            st.heard = Some((item_id, heard.text));
        }
    }

    fn transcribed(
        &mut self,
        item_id: String,
        transcript: &Transcript,
        audio_ms: u64,
        logprobs: bool,
    ) {
        let (delta, text) = self.input.live.finish(&transcript.text);
        if let Ok(mut st) = self.state.lock()
            && let Some(stored) = st.conversation.get_mut(&item_id)
        {
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
fn wants_logprobs(session: &Session) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn offsets_follow_the_session_clock() {
        let mut buffer = InputBuffer::default();
        assert_eq!(buffer.push_base64(&b64(&[1, 2, 3, 4, 5, 6]), 2).unwrap(), 6);
        buffer.discard_before(2);
        assert_eq!((buffer.start(), buffer.len(), buffer.end()), (2, 4, 6));
        assert_eq!(buffer.take_until(5), [3, 4, 5]);
        buffer.push_base64(&b64(&[7, 8]), 2).unwrap();
        assert_eq!(buffer.last(2), [7, 8]);
        assert_eq!(buffer.end(), 8);
        // Offsets outside the buffer are clamped.
        buffer.discard_before(1);
        assert_eq!(buffer.take_until(100), [6, 7, 8]);
        assert_eq!((buffer.len(), buffer.end()), (0, 8));
        assert!(buffer.take_all().is_empty());
    }

    #[test]
    fn a_full_buffer_or_bad_base64_leaves_the_buffer_as_it_was() {
        let mut buffer = InputBuffer::default();
        buffer
            .push_base64(&b64(&vec![0; MAX_INPUT_BUFFER]), 2)
            .unwrap();
        let error = buffer.push_base64(&b64(&[0, 0]), 2).unwrap_err();
        assert_eq!(error.code, "input_audio_buffer_full");
        assert_eq!(buffer.len(), MAX_INPUT_BUFFER);
        buffer.take_all();
        let error = buffer.push_base64("AAA*", 2).unwrap_err();
        assert_eq!(error.code, "invalid_value");
        assert_eq!(buffer.len(), 0);
        assert!(buffer.push_base64(&b64(&[0, 0]), 2).is_ok());
    }
}
