//! What a conversation knows, kept from the server events: [`ConversationState`], and the
//! translation of each server event into [`ConversationEvent`]s.

use std::collections::{HashMap, HashSet, VecDeque};

use rtclient_protocol::{
    AudioFormatKind, Item, ItemKind, ItemStatus, Nullable, Response, ServerEvent, Session,
    event::server::{
        ConversationItemInputAudioTranscriptionCompleted, ResponseDone,
        ResponseFunctionCallArgumentsDone, ResponseOutputAudioDelta,
    },
};

use crate::{
    conversation::event::{ConversationEvent, ResponseOutcome},
    error::Error,
    tools::FunctionCall,
};

/// Output audio rate when the session does not say: PCM16 at 24 kHz.
const DEFAULT_BYTES_PER_SECOND: u64 = 48_000;

/// The state of a conversation as the server reported it, up to the last event returned by
/// [`Conversation::next_event`](super::Conversation::next_event): never ahead of what the
/// application has seen.
#[derive(Debug, Clone, Default)]
pub struct ConversationState {
    session: Option<Session>,
    items: Vec<Item>,
    responses: Vec<ResponseProgress>,
    audio: HashMap<String, AudioProgress>,
    last_audio_item: Option<String>,
}

/// A response between `response.created` and `response.done`.
#[derive(Debug, Clone)]
struct ResponseProgress {
    id: String,
    /// Function call item id -> function name, from `response.output_item.added`.
    call_names: HashMap<String, String>,
    /// Call ids already reported as [`ConversationEvent::FunctionCall`].
    reported_calls: HashSet<String>,
    /// Speech started while it ran and the session's turn detection interrupts responses: the
    /// server cancels it itself.
    cancelled_by_server: bool,
}

impl ResponseProgress {
    fn new(id: String) -> Self {
        Self {
            id,
            call_names: HashMap::new(),
            reported_calls: HashSet::new(),
            cancelled_by_server: false,
        }
    }
}

/// How much output audio an assistant item has received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioProgress {
    content_index: u32,
    bytes: u64,
    bytes_per_second: u64,
    done: bool,
    truncated_ms: Option<u64>,
}

impl AudioProgress {
    /// Milliseconds of audio received so far (rounded down), in the output format the session
    /// had when the item's first audio arrived.
    pub fn received_ms(&self) -> u64 {
        self.bytes.saturating_mul(1000) / self.bytes_per_second
    }

    /// Bytes of audio received so far.
    pub fn received_bytes(&self) -> u64 {
        self.bytes
    }

    /// The content part the audio belongs to.
    pub fn content_index(&self) -> u32 {
        self.content_index
    }

    /// Whether `response.output_audio.done` arrived: no more audio comes for this item.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The `audio_end_ms` of `conversation.item.truncated`, once the item was truncated.
    pub fn truncated_ms(&self) -> Option<u64> {
        self.truncated_ms
    }
}

impl ConversationState {
    /// The session's effective configuration, from the last `session.created` or
    /// `session.updated`.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The conversation's items in conversation order (placed by `previous_item_id`), as last
    /// reported by `conversation.item.added`/`done` (or beta `created`) and
    /// `response.output_item.done`, with input transcripts filled in when they complete. Audio
    /// bytes are never kept.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The item with id `item_id`.
    pub fn item(&self, item_id: &str) -> Option<&Item> {
        self.position(item_id).map(|at| &self.items[at])
    }

    /// The id of the response in progress (the latest one, if several run), between its
    /// `response.created` and `response.done`.
    pub fn active_response(&self) -> Option<&str> {
        self.responses.last().map(|response| response.id.as_str())
    }

    /// The response a `response.cancel` would stop: the one in progress, unless the server is
    /// already cancelling it (speech started while it ran, with `interrupt_response` on).
    pub fn cancellable_response(&self) -> Option<&str> {
        self.responses
            .iter()
            .rev()
            .find(|response| !response.cancelled_by_server)
            .map(|response| response.id.as_str())
    }

    /// The output audio received for the assistant item `item_id`.
    pub fn audio(&self, item_id: &str) -> Option<&AudioProgress> {
        self.audio.get(item_id)
    }

    /// The assistant item that received output audio most recently: the one being played.
    pub fn last_audio_item(&self) -> Option<&str> {
        self.last_audio_item.as_deref()
    }

    /// Whether speech cancels the response in progress on the server: turn detection (which
    /// `speech_started` shows is on) with `interrupt_response` not turned off.
    fn server_interrupts(&self) -> bool {
        let interrupt_response = self
            .session
            .as_ref()
            .and_then(|session| session.audio.as_ref())
            .and_then(|audio| audio.input.as_ref())
            .and_then(|input| input.turn_detection.as_ref())
            .and_then(|detection| detection.value())
            .and_then(|detection| detection.interrupt_response);
        interrupt_response != Some(false)
    }

    fn position(&self, item_id: &str) -> Option<usize> {
        self.items
            .iter()
            .position(|item| item.id.as_deref() == Some(item_id))
    }

    /// Takes in one server event: updates the state and queues the events to report.
    pub(super) fn apply(
        &mut self,
        event: ServerEvent,
        out: &mut VecDeque<ConversationEvent>,
    ) -> Result<(), Error> {
        let reported = match event {
            ServerEvent::SessionCreated(created) => {
                self.session = Some((*created.session).clone());
                ConversationEvent::SessionCreated(created.session)
            }
            ServerEvent::SessionUpdated(updated) => {
                self.session = Some((*updated.session).clone());
                ConversationEvent::SessionUpdated(updated.session)
            }
            ServerEvent::Error(error) => ConversationEvent::Error(error.error),
            ServerEvent::InputAudioBufferSpeechStarted(started) => {
                self.speech_started();
                ConversationEvent::SpeechStarted {
                    item_id: started.item_id,
                    audio_start_ms: started.audio_start_ms,
                }
            }
            ServerEvent::InputAudioBufferSpeechStopped(stopped) => {
                ConversationEvent::SpeechStopped {
                    item_id: stopped.item_id,
                    audio_end_ms: stopped.audio_end_ms,
                }
            }
            ServerEvent::InputAudioBufferCommitted(committed) => {
                ConversationEvent::InputCommitted {
                    item_id: committed.item_id,
                    previous_item_id: committed.previous_item_id.and_then(Nullable::into_option),
                }
            }
            ServerEvent::ConversationItemInputAudioTranscriptionDelta(delta) => {
                ConversationEvent::InputTranscriptDelta {
                    item_id: delta.item_id,
                    delta: delta.delta.unwrap_or_default(),
                }
            }
            ServerEvent::ConversationItemInputAudioTranscriptionCompleted(completed) => {
                self.set_transcript(&completed);
                ConversationEvent::InputTranscriptCompleted {
                    item_id: completed.item_id,
                    transcript: completed.transcript,
                }
            }
            ServerEvent::ConversationItemInputAudioTranscriptionFailed(failed) => {
                ConversationEvent::InputTranscriptFailed {
                    item_id: failed.item_id,
                    error: failed.error,
                }
            }
            ServerEvent::ResponseCreated(created) => ConversationEvent::ResponseStarted {
                response_id: self.response_created(&created.response)?,
            },
            ServerEvent::ResponseOutputTextDelta(delta) => ConversationEvent::TextDelta {
                response_id: delta.response_id,
                item_id: delta.item_id,
                delta: delta.delta,
            },
            ServerEvent::ResponseOutputAudioDelta(delta) => self.audio_delta(delta)?,
            ServerEvent::ResponseOutputAudioTranscriptDelta(delta) => {
                ConversationEvent::AudioTranscriptDelta {
                    response_id: delta.response_id,
                    item_id: delta.item_id,
                    delta: delta.delta,
                }
            }
            ServerEvent::ResponseFunctionCallArgumentsDone(done) => self.function_call(done),
            ServerEvent::ResponseDone(done) => return self.response_done(done, out),
            other => {
                self.observe(&other);
                ConversationEvent::Other(other)
            }
        };
        out.push_back(reported);
        Ok(())
    }

    /// `input_audio_buffer.speech_started`: when the server interrupts on speech, the responses
    /// in progress are being cancelled by it.
    fn speech_started(&mut self) {
        if self.server_interrupts() {
            for response in &mut self.responses {
                response.cancelled_by_server = true;
            }
        }
    }

    /// `response.created`: tracks the new response. Its id.
    fn response_created(&mut self, response: &Response) -> Result<String, Error> {
        let response_id = response.id.clone().ok_or(Error::MissingResponseId {
            event: "response.created",
        })?;
        self.responses
            .push(ResponseProgress::new(response_id.clone()));
        Ok(response_id)
    }

    /// State changes of the events reported as [`ConversationEvent::Other`].
    fn observe(&mut self, event: &ServerEvent) {
        match event {
            ServerEvent::ConversationItemAdded(added) => {
                self.place(added.previous_item_id.as_ref(), added.item.clone());
            }
            ServerEvent::ConversationItemCreated(created) => {
                self.place(created.previous_item_id.as_ref(), created.item.clone());
            }
            ServerEvent::ConversationItemDone(done) => {
                self.place(done.previous_item_id.as_ref(), done.item.clone());
            }
            ServerEvent::ResponseOutputItemAdded(added) => {
                if added.item.kind == Some(ItemKind::FunctionCall)
                    && let (Some(item_id), Some(name)) = (&added.item.id, &added.item.name)
                {
                    self.response_mut(&added.response_id)
                        .call_names
                        .insert(item_id.clone(), name.clone());
                }
            }
            ServerEvent::ResponseOutputItemDone(done) => {
                // Beta sends no `conversation.item.done`: this is the item's final form.
                if let Some(at) = done.item.id.as_deref().and_then(|id| self.position(id)) {
                    let previous = std::mem::take(&mut self.items[at]);
                    self.items[at] = merged(previous, done.item.clone());
                }
            }
            ServerEvent::ResponseOutputAudioDone(done) => {
                if let Some(audio) = self.audio.get_mut(&done.item_id) {
                    audio.done = true;
                }
            }
            ServerEvent::ConversationItemTruncated(truncated) => {
                if let Some(audio) = self.audio.get_mut(&truncated.item_id) {
                    audio.truncated_ms = Some(truncated.audio_end_ms);
                }
            }
            ServerEvent::ConversationItemDeleted(deleted) => {
                if let Some(at) = self.position(&deleted.item_id) {
                    self.items.remove(at);
                }
                self.audio.remove(&deleted.item_id);
                if self.last_audio_item.as_deref() == Some(deleted.item_id.as_str()) {
                    self.last_audio_item = None;
                }
            }
            _ => {}
        }
    }

    /// Puts `item` after `previous` (first when `previous` is `null`, last when absent or
    /// unknown), or updates it in place when its id is already known.
    fn place(&mut self, previous: Option<&Nullable<String>>, item: Item) {
        if let Some(at) = item.id.as_deref().and_then(|id| self.position(id)) {
            let known = std::mem::take(&mut self.items[at]);
            self.items[at] = merged(known, item);
            return;
        }
        let at = match previous {
            Some(Nullable::Null) => 0,
            Some(Nullable::Value(previous)) => self
                .position(previous)
                .map_or(self.items.len(), |at| at + 1),
            None => self.items.len(),
        };
        self.items.insert(at, item);
    }

    fn set_transcript(&mut self, completed: &ConversationItemInputAudioTranscriptionCompleted) {
        let Some(at) = self.position(&completed.item_id) else {
            return;
        };
        if let Some(part) = self.items[at]
            .content
            .as_mut()
            .and_then(|content| content.get_mut(completed.content_index as usize))
        {
            part.transcript = Some(Nullable::Value(completed.transcript.clone()));
        }
    }

    /// The progress of response `response_id`; a response whose `response.created` was not
    /// seen (the conversation started late) is taken as in progress from its first event.
    fn response_mut(&mut self, response_id: &str) -> &mut ResponseProgress {
        let at = match self
            .responses
            .iter()
            .position(|response| response.id == response_id)
        {
            Some(at) => at,
            None => {
                self.responses
                    .push(ResponseProgress::new(response_id.to_owned()));
                self.responses.len() - 1
            }
        };
        &mut self.responses[at]
    }

    fn audio_delta(&mut self, delta: ResponseOutputAudioDelta) -> Result<ConversationEvent, Error> {
        let audio = delta.audio().map_err(|source| Error::InvalidAudio {
            item_id: delta.item_id.clone(),
            source: source.into(),
        })?;
        let bytes_per_second = output_bytes_per_second(self.session.as_ref());
        let progress = self
            .audio
            .entry(delta.item_id.clone())
            .or_insert_with(|| AudioProgress {
                content_index: delta.content_index,
                bytes: 0,
                bytes_per_second,
                done: false,
                truncated_ms: None,
            });
        progress.bytes = progress.bytes.saturating_add(audio.len() as u64);
        if self.last_audio_item.as_deref() != Some(delta.item_id.as_str()) {
            self.last_audio_item = Some(delta.item_id.clone());
        }
        Ok(ConversationEvent::AudioDelta {
            response_id: delta.response_id,
            item_id: delta.item_id,
            content_index: delta.content_index,
            audio,
        })
    }

    fn function_call(&mut self, done: ResponseFunctionCallArgumentsDone) -> ConversationEvent {
        let response = self.response_mut(&done.response_id);
        response.reported_calls.insert(done.call_id.clone());
        let known_name = response.call_names.get(&done.item_id).cloned();
        let name = done
            .name
            .or(known_name)
            .or_else(|| self.item(&done.item_id).and_then(|item| item.name.clone()))
            .unwrap_or_default();
        ConversationEvent::FunctionCall(FunctionCall {
            call_id: done.call_id,
            name,
            arguments: done.arguments,
            item_id: done.item_id,
            response_id: done.response_id,
        })
    }

    /// `response.done`: the calls of its output not reported yet, then the outcome. A call
    /// whose item has no id is skipped and reported as the error, after the rest is queued.
    fn response_done(
        &mut self,
        done: ResponseDone,
        out: &mut VecDeque<ConversationEvent>,
    ) -> Result<(), Error> {
        let response_id = done.response.id.clone().ok_or(Error::MissingResponseId {
            event: "response.done",
        })?;
        let progress = self
            .responses
            .iter()
            .position(|response| response.id == response_id)
            .map(|at| self.responses.remove(at));
        let mut skipped = None;
        for item in done.response.output.iter().flatten() {
            let finished = !matches!(
                item.status,
                Some(ItemStatus::InProgress | ItemStatus::Incomplete)
            );
            if item.kind != Some(ItemKind::FunctionCall) || !finished {
                continue;
            }
            let Some(call_id) = &item.call_id else {
                continue;
            };
            if progress
                .as_ref()
                .is_some_and(|progress| progress.reported_calls.contains(call_id))
            {
                continue;
            }
            let Some(item_id) = item.id.clone() else {
                skipped.get_or_insert_with(|| Error::FunctionCallWithoutItemId {
                    response_id: response_id.clone(),
                    call_id: call_id.clone(),
                });
                continue;
            };
            out.push_back(ConversationEvent::FunctionCall(FunctionCall {
                call_id: call_id.clone(),
                name: item.name.clone().unwrap_or_default(),
                arguments: item.arguments.clone().unwrap_or_default(),
                item_id,
                response_id: response_id.clone(),
            }));
        }
        out.push_back(ConversationEvent::ResponseDone {
            response_id,
            outcome: ResponseOutcome::of(&done.response),
            usage: done.response.usage.clone().and_then(Nullable::into_option),
            response: done.response,
        });
        skipped.map_or(Ok(()), Err)
    }
}

/// `update` over `known`, keeping the input transcripts `known` had and `update` lacks (an
/// item's `done` may carry `transcript: null` after its transcription completed).
fn merged(known: Item, mut update: Item) -> Item {
    if let (Some(known), Some(parts)) = (known.content, update.content.as_mut()) {
        for (part, known) in parts.iter_mut().zip(known) {
            let has_transcript = matches!(part.transcript, Some(Nullable::Value(_)));
            if !has_transcript && matches!(known.transcript, Some(Nullable::Value(_))) {
                part.transcript = known.transcript;
            }
        }
    }
    update
}

/// Bytes per second of the session's output audio: PCM16 at its rate, G.711 at 8 kHz.
fn output_bytes_per_second(session: Option<&Session>) -> u64 {
    let format = session
        .and_then(|session| session.audio.as_ref())
        .and_then(|audio| audio.output.as_ref())
        .and_then(|output| output.format.as_ref());
    match format.and_then(|format| format.kind.as_ref()) {
        Some(AudioFormatKind::Pcmu | AudioFormatKind::Pcma) => 8_000,
        _ => format
            .and_then(|format| format.rate)
            .filter(|rate| *rate > 0)
            .map_or(DEFAULT_BYTES_PER_SECOND, |rate| 2 * u64::from(rate)),
    }
}

#[cfg(test)]
mod tests {
    use proptest::arbitrary::Arbitrary as _;
    use rtclient_protocol::{AudioFormat, Dialect};

    use super::*;

    fn apply(state: &mut ConversationState, json: &str) -> Vec<ConversationEvent> {
        let mut out = VecDeque::new();
        let event = Dialect::Ga.parse_server_event(json).unwrap();
        state.apply(event, &mut out).unwrap();
        out.into()
    }

    fn ids(state: &ConversationState) -> Vec<&str> {
        state
            .items()
            .iter()
            .map(|item| item.id.as_deref().unwrap())
            .collect()
    }

    /// The GA event corpus (`testdata/corpus/events_ga.jsonl`: real sessions' events), parsed.
    fn corpus() -> &'static [ServerEvent] {
        static CORPUS: std::sync::OnceLock<Vec<ServerEvent>> = std::sync::OnceLock::new();
        CORPUS.get_or_init(|| {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../testdata/corpus/events_ga.jsonl"
            );
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| Dialect::Ga.parse_server_event(line).unwrap())
                .collect()
        })
    }

    proptest::proptest! {
        /// Real events in any order, repeated or missing: the state never panics, every event
        /// is reported exactly once (plus any function calls it completes), and item ids stay
        /// unique.
        #[test]
        fn any_order_of_real_events_is_reported_once_each(
            order in proptest::collection::vec(proptest::sample::Index::arbitrary(), 0..300),
        ) {
            let events = corpus();
            let mut state = ConversationState::default();
            for index in order {
                let event = events[index.index(events.len())].clone();
                let done = matches!(event, ServerEvent::ResponseDone(_));
                let mut out = VecDeque::new();
                match state.apply(event, &mut out) {
                    // `response.done` first reports the calls of its output not reported yet.
                    Ok(()) if done => {
                        let calls = out.len().saturating_sub(1);
                        proptest::prop_assert!(
                            matches!(out.back(), Some(ConversationEvent::ResponseDone { .. })),
                            "{:?}",
                            out
                        );
                        proptest::prop_assert!(
                            out.iter().take(calls).all(|e| matches!(e, ConversationEvent::FunctionCall(_))),
                            "{:?}",
                            out
                        );
                    }
                    Ok(()) => proptest::prop_assert_eq!(out.len(), 1, "{:?}", out),
                    Err(error) => {
                        proptest::prop_assert!(matches!(error, Error::InvalidAudio { .. }), "{}", error);
                    }
                }
                let mut ids: Vec<&str> = state.items().iter().filter_map(|i| i.id.as_deref()).collect();
                let count = ids.len();
                ids.sort_unstable();
                ids.dedup();
                proptest::prop_assert_eq!(ids.len(), count, "duplicate item ids");
            }
        }
    }

    #[test]
    fn items_are_placed_by_previous_item_id() {
        let mut state = ConversationState::default();
        for (id, previous) in [
            ("b", "null"),
            ("d", r#""b""#),
            ("a", "null"),
            ("c", r#""b""#),
        ] {
            apply(
                &mut state,
                &format!(
                    r#"{{"type":"conversation.item.added","event_id":"e","previous_item_id":{previous},"item":{{"id":"{id}","type":"message","role":"user","content":[]}}}}"#
                ),
            );
        }
        assert_eq!(ids(&state), ["a", "b", "c", "d"]);
        apply(
            &mut state,
            r#"{"type":"conversation.item.deleted","event_id":"e","item_id":"b"}"#,
        );
        assert_eq!(ids(&state), ["a", "c", "d"]);
    }

    #[test]
    fn transcripts_survive_a_later_item_done() {
        let mut state = ConversationState::default();
        let item = r#"{"id":"u1","type":"message","role":"user","content":[{"type":"input_audio","transcript":null}]}"#;
        apply(
            &mut state,
            &format!(r#"{{"type":"conversation.item.added","event_id":"e","item":{item}}}"#),
        );
        apply(
            &mut state,
            r#"{"type":"conversation.item.input_audio_transcription.completed","event_id":"e","item_id":"u1","content_index":0,"transcript":"hello"}"#,
        );
        apply(
            &mut state,
            &format!(r#"{{"type":"conversation.item.done","event_id":"e","item":{item}}}"#),
        );
        let content = state.item("u1").unwrap().content.as_ref().unwrap();
        assert_eq!(
            content[0].transcript,
            Some(Nullable::Value("hello".to_owned()))
        );
    }

    #[test]
    fn audio_ms_follow_the_output_format() {
        let mut session = Session::realtime();
        assert_eq!(output_bytes_per_second(Some(&session)), 48_000);
        session.audio_output().format = Some(AudioFormat::pcmu());
        assert_eq!(output_bytes_per_second(Some(&session)), 8_000);
        session.audio_output().format = Some(AudioFormat {
            rate: Some(0),
            ..AudioFormat::pcm()
        });
        assert_eq!(output_bytes_per_second(Some(&session)), 48_000);
        assert_eq!(output_bytes_per_second(None), 48_000);
    }

    #[test]
    fn bad_base64_is_an_error_and_the_state_goes_on() {
        let mut state = ConversationState::default();
        let mut out = VecDeque::new();
        let event = Dialect::Ga
            .parse_server_event(r#"{"type":"response.output_audio.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"@@@"}"#)
            .unwrap();
        let error = state.apply(event, &mut out).unwrap_err();
        assert!(error.is_recoverable(), "{error}");
        assert!(out.is_empty());
        let events = apply(
            &mut state,
            r#"{"type":"response.output_audio.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"AAAA"}"#,
        );
        assert!(
            matches!(&events[..], [ConversationEvent::AudioDelta { audio, .. }] if audio.len() == 3)
        );
        assert_eq!(state.audio("i").unwrap().received_bytes(), 3);
    }

    #[test]
    fn calls_found_only_in_response_done_are_reported_once() {
        let mut state = ConversationState::default();
        apply(
            &mut state,
            r#"{"type":"response.created","event_id":"e","response":{"id":"r1","status":"in_progress"}}"#,
        );
        assert_eq!(state.active_response(), Some("r1"));
        let reported = apply(
            &mut state,
            r#"{"type":"response.function_call_arguments.done","event_id":"e","response_id":"r1","item_id":"f1","output_index":0,"call_id":"call_1","name":"one","arguments":"{}"}"#,
        );
        assert!(
            matches!(&reported[..], [ConversationEvent::FunctionCall(call)] if call.name == "one")
        );
        let events = apply(
            &mut state,
            r#"{"type":"response.done","event_id":"e","response":{"id":"r1","status":"completed","output":[
                {"id":"f1","type":"function_call","status":"completed","call_id":"call_1","name":"one","arguments":"{}"},
                {"id":"f2","type":"function_call","status":"completed","call_id":"call_2","name":"two","arguments":"{\"a\":1}"},
                {"id":"f3","type":"function_call","status":"incomplete","call_id":"call_3","name":"three","arguments":"{"}]}}"#,
        );
        match &events[..] {
            [
                ConversationEvent::FunctionCall(call),
                ConversationEvent::ResponseDone { outcome, .. },
            ] => {
                assert_eq!(call.call_id, "call_2");
                assert_eq!(call.arguments, r#"{"a":1}"#);
                assert_eq!(call.response_id, "r1");
                assert!(outcome.is_completed());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(state.active_response(), None);
    }

    #[test]
    fn a_call_in_response_done_without_an_item_id_is_reported_not_given_an_empty_one() {
        let mut state = ConversationState::default();
        let done = r#"{"type":"response.done","event_id":"e","response":{"id":"r1","status":"completed","output":[
            {"type":"function_call","status":"completed","call_id":"call_1","name":"one","arguments":"{}"},
            {"id":"f2","type":"function_call","status":"completed","call_id":"call_2","name":"two","arguments":"{}"}]}}"#;
        let mut out = VecDeque::new();
        let event = Dialect::Ga.parse_server_event(done).unwrap();
        match state.apply(event, &mut out) {
            Err(Error::FunctionCallWithoutItemId {
                response_id,
                call_id,
            }) => {
                assert_eq!((response_id.as_str(), call_id.as_str()), ("r1", "call_1"));
            }
            other => panic!("unexpected {other:?}"),
        }
        match &out.make_contiguous()[..] {
            [
                ConversationEvent::FunctionCall(call),
                ConversationEvent::ResponseDone { .. },
            ] => assert_eq!(call.item_id, "f2"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn speech_marks_the_response_as_cancelled_by_the_server_unless_turned_off() {
        let created = r#"{"type":"response.created","event_id":"e","response":{"id":"r1","status":"in_progress"}}"#;
        let started = r#"{"type":"input_audio_buffer.speech_started","event_id":"e","audio_start_ms":10,"item_id":"u2"}"#;
        let mut state = ConversationState::default();
        apply(&mut state, created);
        assert_eq!(state.cancellable_response(), Some("r1"));
        apply(&mut state, started);
        assert_eq!(state.cancellable_response(), None);
        assert_eq!(state.active_response(), Some("r1"));

        let mut state = ConversationState::default();
        apply(
            &mut state,
            r#"{"type":"session.updated","event_id":"e","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","interrupt_response":false}}}}}"#,
        );
        apply(&mut state, created);
        apply(&mut state, started);
        assert_eq!(state.cancellable_response(), Some("r1"));
    }

    #[test]
    fn a_call_of_a_response_joined_late_is_reported_once() {
        let mut state = ConversationState::default();
        let reported = apply(
            &mut state,
            r#"{"type":"response.function_call_arguments.done","event_id":"e","response_id":"r9","item_id":"f1","output_index":0,"call_id":"call_1","name":"one","arguments":"{}"}"#,
        );
        assert!(matches!(
            &reported[..],
            [ConversationEvent::FunctionCall(_)]
        ));
        assert_eq!(state.active_response(), Some("r9"));
        let events = apply(
            &mut state,
            r#"{"type":"response.done","event_id":"e","response":{"id":"r9","status":"completed","output":[
                {"id":"f1","type":"function_call","status":"completed","call_id":"call_1","name":"one","arguments":"{}"}]}}"#,
        );
        assert!(matches!(
            &events[..],
            [ConversationEvent::ResponseDone { .. }]
        ));
        assert_eq!(state.active_response(), None);
    }
}
