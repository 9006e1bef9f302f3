//! A reply spoken while the model is still writing it: text deltas go out as the pieces come,
//! and for audio each finished sentence is synthesized and streamed at once, so the first
//! sentence plays while the model works on the next. Once the response stops being active
//! (cancel, barge-in) nothing more is sent, the reply stream is dropped and the model stops.

use std::sync::Arc;

use rtclient_protocol::event::server as ev;

use super::emit::Emitter;
use super::ids::new_id;
use super::output::{Ctx, with_open};
use super::plan::Plan;
use super::reply_stream::{Produced, ReplyStream};
use super::response::{complete_message, limit_tokens, open_message, split_words, stream_spoken};
use super::speech::Spoken;
use super::state::{Engines, SharedState};
use crate::engine::faults::Failure;

/// Text longer than this without a sentence end is spoken up to its last comma or space.
const MAX_PENDING_CHARS: usize = 200;

/// Streams the reply whose first piece is `first` and whose rest comes from `replies`.
pub(super) async fn respond(
    state: &SharedState,
    emitter: &Emitter,
    engines: &Arc<Engines>,
    plan: Plan,
    id: &str,
    first: String,
    mut replies: ReplyStream,
) {
    let ctx = Ctx {
        state,
        emitter,
        id,
        in_conversation: plan.in_conversation,
    };
    let item_id = new_id("item_");
    let Some(item) = open_message(&ctx, &item_id, plan.audio) else {
        return;
    };
    let mut live = Live {
        ctx: &ctx,
        engines,
        plan: &plan,
        item_id: &item_id,
        text: String::new(),
        pending: String::new(),
        audio: Vec::new(),
        audio_ms: 0,
        cut: false,
    };
    let mut piece = Some(first);
    while let Some(next) = piece.take() {
        if !live.take(&next).await {
            return;
        }
        if live.cut {
            break;
        }
        if let Some(Produced::Text(more)) = replies.next().await {
            piece = Some(more);
        }
    }
    // Dropping the stream here stops a model still writing past the token limit.
    drop(replies);
    let rest = std::mem::take(&mut live.pending);
    if !live.say(rest.trim()).await {
        return;
    }
    let text = live.text.trim().to_owned();
    let _ = complete_message(
        &ctx,
        item,
        plan.audio,
        text,
        live.cut,
        live.audio,
        live.audio_ms,
    );
}

/// The message being streamed.
struct Live<'a> {
    ctx: &'a Ctx<'a>,
    engines: &'a Arc<Engines>,
    plan: &'a Plan,
    item_id: &'a str,
    /// Everything sent so far.
    text: String,
    /// Text received but not yet spoken (audio only).
    pending: String,
    audio: Vec<u8>,
    audio_ms: u64,
    /// The token limit cut the reply.
    cut: bool,
}

impl Live<'_> {
    /// Takes the next piece of the reply; false once the response is no longer active.
    async fn take(&mut self, piece: &str) -> bool {
        let so_far = format!("{}{}{piece}", self.text, self.pending);
        let (kept, cut) = limit_tokens(so_far, self.plan.response.max_output_tokens);
        self.cut = cut;
        let piece = &kept[(self.text.len() + self.pending.len()).min(kept.len())..];
        if !self.plan.audio {
            self.text.push_str(piece);
            let delta = ev::ResponseOutputTextDelta {
                response_id: self.ctx.id.to_owned(),
                item_id: self.item_id.to_owned(),
                output_index: 0,
                content_index: 0,
                delta: piece.to_owned(),
                ..Default::default()
            };
            return self
                .ctx
                .emit_updating(delta, |st| with_open(st, |open| open.sent.push_str(piece)));
        }
        self.pending.push_str(piece);
        while let Some(sentence) = take_sentence(&mut self.pending) {
            if !self.say(&sentence).await {
                return false;
            }
        }
        true
    }

    /// Speaks `sentence` and streams it (audio only; text was sent as it came).
    async fn say(&mut self, sentence: &str) -> bool {
        if !self.plan.audio || sentence.is_empty() {
            return true;
        }
        let synth = Arc::clone(&self.engines.synthesizer);
        let (text, voice, format) = (
            sentence.to_owned(),
            self.plan.voice.clone(),
            self.plan.format,
        );
        let spoken = tokio::task::spawn_blocking(move || {
            let speech = synth.synthesize(&text, &voice).map_err(|e| e.to_string())?;
            Spoken::new(&speech, format).map_err(|e| e.to_string())
        })
        .await;
        let spoken = match spoken {
            Ok(Ok(spoken)) => spoken,
            Ok(Err(error)) => {
                tracing::warn!(%error, "speech synthesis failed");
                self.ctx.fail(&Failure {
                    message: "Speech synthesis failed.".to_owned(),
                    ..Failure::default()
                });
                return false;
            }
            Err(_) => return false,
        };
        let separator = if self.text.is_empty() { "" } else { " " };
        let words = split_words(&format!("{separator}{sentence}"));
        // A leading separator splits off as an empty first word; it belongs to the second.
        let words: Vec<String> = match words.split_first() {
            Some((first, rest)) if first.is_empty() => rest.to_vec(),
            _ => words,
        };
        if stream_spoken(
            self.ctx,
            self.engines,
            self.item_id,
            &words,
            &spoken,
            self.plan.format,
        )
        .await
        .is_break()
        {
            return false;
        }
        self.text.push_str(&words.concat());
        self.audio.extend_from_slice(&spoken.bytes);
        self.audio_ms += spoken.duration_ms;
        true
    }
}

/// Removes and returns the first whole sentence of `pending` (ending in `.`, `!` or `?` before
/// a space, or at a line break), or a long run's head up to its last comma or space.
fn take_sentence(pending: &mut String) -> Option<String> {
    let bytes = pending.as_bytes();
    let end = (0..bytes.len().saturating_sub(1))
        .find(|&i| {
            (matches!(bytes[i], b'.' | b'!' | b'?') && bytes[i + 1].is_ascii_whitespace())
                || bytes[i] == b'\n'
        })
        .map(|i| i + 1)
        .or_else(|| {
            (pending.len() > MAX_PENDING_CHARS)
                .then(|| pending.rfind(',').or_else(|| pending.rfind(' ')))
                .flatten()
                .map(|i| i + 1)
        })?;
    let rest = pending.split_off(end);
    let sentence = std::mem::replace(pending, rest.trim_start().to_owned());
    let sentence = sentence.trim().to_owned();
    if sentence.is_empty() {
        return take_sentence(pending);
    }
    Some(sentence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_taken_as_soon_as_they_end() {
        let mut pending = "Hello there. How are".to_owned();
        assert_eq!(take_sentence(&mut pending).as_deref(), Some("Hello there."));
        assert_eq!(pending, "How are");
        assert_eq!(take_sentence(&mut pending), None);
        pending.push_str(" you?\nFine");
        assert_eq!(take_sentence(&mut pending).as_deref(), Some("How are you?"));
        assert_eq!(pending, "Fine");
        // "3.5" is not a sentence end.
        let mut number = "It is 3.5 degrees".to_owned();
        assert_eq!(take_sentence(&mut number), None);
        let mut long = format!("{}, and more", "word ".repeat(45));
        let head = take_sentence(&mut long).unwrap();
        assert!(head.ends_with(','), "{head}");
        assert_eq!(long, "and more");
    }
}
