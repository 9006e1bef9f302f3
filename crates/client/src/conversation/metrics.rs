//! Metrics per turn: latency from the end of the user's turn to the first audio and text of
//! the answer, how long the response ran, its tokens and whether it was cancelled; and token
//! usage summed over the whole conversation, across recycled sessions.
//!
//! Times are taken when [`Conversation::next_event`](super::Conversation::next_event) reads
//! each event, so they include the network and the server, and any delay of the application
//! in reading events.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use rtclient_protocol::Usage;

use crate::conversation::{ConversationEvent, ResponseOutcome};

/// What a turn's latencies count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TurnStart {
    /// `input_audio_buffer.speech_stopped`: server VAD heard the user stop.
    SpeechStopped,
    /// `input_audio_buffer.committed` without a `speech_stopped` before it (manual commit).
    Committed,
    /// `response.created`: no user audio ended this turn (text input, tool follow-ups).
    ResponseCreated,
}

/// The metrics of one response, reported as [`ConversationEvent::TurnMetrics`] right after
/// its [`ResponseDone`](ConversationEvent::ResponseDone) and logged at `info` level (target
/// `rtclient::metrics`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnMetrics {
    /// The response these latencies are of.
    pub response_id: String,
    /// What the latencies count from.
    pub start: TurnStart,
    /// From `start` to the first output audio delta; `None` without audio.
    pub first_audio: Option<Duration>,
    /// From `start` to the first text or audio transcript delta; `None` without text.
    pub first_text: Option<Duration>,
    /// From `response.created` to `response.done`.
    pub response_duration: Duration,
    /// The response's token usage (zeros when the server reported none).
    pub usage: TokenUsage,
    /// Whether the response was cancelled (by the client or by the user speaking).
    pub cancelled: bool,
}

/// Token counts of one response, or summed over a conversation
/// ([`Conversation::usage`](super::Conversation::usage)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    /// Responses counted.
    pub responses: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Of the input tokens, those served from the cache.
    pub cached_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
}

impl TokenUsage {
    fn of(usage: Option<&Usage>) -> Self {
        let usage = usage.cloned().unwrap_or_default();
        TokenUsage {
            responses: 1,
            input_tokens: usage.input_tokens.unwrap_or(0),
            cached_tokens: usage
                .input_token_details
                .and_then(|details| details.cached_tokens)
                .unwrap_or(0),
            output_tokens: usage.output_tokens.unwrap_or(0),
        }
    }

    fn add(&mut self, other: &TokenUsage) {
        self.responses += other.responses;
        self.input_tokens += other.input_tokens;
        self.cached_tokens += other.cached_tokens;
        self.output_tokens += other.output_tokens;
    }
}

/// A response's times so far.
#[derive(Debug)]
struct Timing {
    start: TurnStart,
    since: Instant,
    created: Instant,
    first_audio: Option<Instant>,
    first_text: Option<Instant>,
}

/// The metrics being gathered.
#[derive(Debug, Default)]
pub(super) struct Metrics {
    /// The end of the user's latest turn, until a response takes it.
    turn_end: Option<(TurnStart, Instant)>,
    responses: HashMap<String, Timing>,
    total: TokenUsage,
}

impl Metrics {
    /// Takes in one reported event; returns the metrics of a response that just ended.
    pub(super) fn observe(
        &mut self,
        event: &ConversationEvent,
        now: Instant,
    ) -> Option<TurnMetrics> {
        match event {
            ConversationEvent::SpeechStopped { .. } => {
                self.turn_end = Some((TurnStart::SpeechStopped, now));
            }
            ConversationEvent::InputCommitted { .. } if self.turn_end.is_none() => {
                self.turn_end = Some((TurnStart::Committed, now));
            }
            ConversationEvent::ResponseStarted { response_id } => {
                let (start, since) = self
                    .turn_end
                    .take()
                    .unwrap_or((TurnStart::ResponseCreated, now));
                self.responses.insert(
                    response_id.clone(),
                    Timing {
                        start,
                        since,
                        created: now,
                        first_audio: None,
                        first_text: None,
                    },
                );
            }
            ConversationEvent::AudioDelta { response_id, .. } => {
                if let Some(timing) = self.responses.get_mut(response_id) {
                    timing.first_audio.get_or_insert(now);
                }
            }
            ConversationEvent::TextDelta { response_id, .. }
            | ConversationEvent::AudioTranscriptDelta { response_id, .. } => {
                if let Some(timing) = self.responses.get_mut(response_id) {
                    timing.first_text.get_or_insert(now);
                }
            }
            ConversationEvent::ResponseDone {
                response_id,
                outcome,
                usage,
                ..
            } => return self.done(response_id, outcome, usage.as_ref(), now),
            _ => {}
        }
        None
    }

    fn done(
        &mut self,
        response_id: &str,
        outcome: &ResponseOutcome,
        usage: Option<&Usage>,
        now: Instant,
    ) -> Option<TurnMetrics> {
        let usage = TokenUsage::of(usage);
        self.total.add(&usage);
        let timing = self.responses.remove(response_id)?;
        let after = |at: Option<Instant>| at.map(|at| at.saturating_duration_since(timing.since));
        let metrics = TurnMetrics {
            response_id: response_id.to_owned(),
            start: timing.start,
            first_audio: after(timing.first_audio),
            first_text: after(timing.first_text),
            response_duration: now.saturating_duration_since(timing.created),
            usage,
            cancelled: matches!(outcome, ResponseOutcome::Cancelled { .. }),
        };
        let ms = |d: Option<Duration>| d.map(|d| d.as_millis());
        tracing::info!(
            target: "rtclient::metrics",
            response_id,
            start = ?metrics.start,
            first_audio_ms = ms(metrics.first_audio),
            first_text_ms = ms(metrics.first_text),
            response_ms = metrics.response_duration.as_millis(),
            input_tokens = usage.input_tokens,
            cached_tokens = usage.cached_tokens,
            output_tokens = usage.output_tokens,
            cancelled = metrics.cancelled,
            "turn"
        );
        Some(metrics)
    }

    /// Token usage of every response so far.
    pub(super) fn total(&self) -> TokenUsage {
        self.total
    }

    /// The session ended: responses running in it will not end.
    pub(super) fn session_ended(&mut self) {
        self.responses.clear();
        self.turn_end = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn latencies_count_from_the_end_of_speech() {
        let mut metrics = Metrics::default();
        let t0 = Instant::now();
        let stopped = ConversationEvent::SpeechStopped {
            item_id: "u".into(),
            audio_end_ms: 900,
        };
        assert_eq!(metrics.observe(&stopped, t0), None);
        let started = ConversationEvent::ResponseStarted {
            response_id: "r".into(),
        };
        metrics.observe(&started, t0 + 100 * MS);
        let audio = ConversationEvent::AudioDelta {
            response_id: "r".into(),
            item_id: "a".into(),
            content_index: 0,
            audio: vec![0; 4],
        };
        metrics.observe(&audio, t0 + 300 * MS);
        metrics.observe(&audio, t0 + 400 * MS);
        let done = ConversationEvent::ResponseDone {
            response_id: "r".into(),
            outcome: ResponseOutcome::Cancelled { reason: None },
            usage: Some(Usage {
                input_tokens: Some(10),
                output_tokens: Some(5),
                input_token_details: Some(rtclient_protocol::TokenDetails {
                    cached_tokens: Some(4),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            response: Box::default(),
        };
        let turn = metrics.observe(&done, t0 + 600 * MS).unwrap();
        assert_eq!(turn.start, TurnStart::SpeechStopped);
        assert_eq!(turn.first_audio, Some(300 * MS));
        assert_eq!(turn.first_text, None);
        assert_eq!(turn.response_duration, 500 * MS);
        assert!(turn.cancelled);
        assert_eq!(
            (
                turn.usage.input_tokens,
                turn.usage.cached_tokens,
                turn.usage.output_tokens
            ),
            (10, 4, 5)
        );
        metrics.observe(&started, t0 + 700 * MS);
        let again = metrics.observe(&done, t0 + 800 * MS).unwrap();
        assert_eq!(again.start, TurnStart::ResponseCreated);
        assert_eq!(metrics.total().responses, 2);
        assert_eq!(metrics.total().input_tokens, 20);
    }
}
