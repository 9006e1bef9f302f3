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

use crate::conversation::event::{
    ConversationEvent, ResponseOutcome, TokenUsage, TurnMetrics, TurnStart,
};

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
        let usage = response_usage(usage);
        add_usage(&mut self.total, &usage);
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

/// The token counts of one response, from its `usage` (zeros when the server reported none).
fn response_usage(usage: Option<&Usage>) -> TokenUsage {
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

/// Adds the counts of `usage` to `total`.
fn add_usage(total: &mut TokenUsage, usage: &TokenUsage) {
    total.responses += usage.responses;
    total.input_tokens += usage.input_tokens;
    total.cached_tokens += usage.cached_tokens;
    total.output_tokens += usage.output_tokens;
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
