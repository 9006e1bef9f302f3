//! A reply spoken or written while it is still coming: text deltas go out as the pieces come,
//! and for audio the reply is cut into clauses and sentences, each one's synthesis starts as
//! soon as it is written, and each is streamed as soon as the one before has been. The first
//! clause plays while the model works on the next, and the voice never waits on synthesis
//! between sentences. Once the response stops being active (cancel, barge-in) nothing more is
//! sent, the reply stream is dropped and the model stops.
//!
//! A whole reply (a deterministic or scripted responder's) takes the same path as one piece,
//! so its first clause is heard before its last is synthesized.

use std::ops::ControlFlow;
use std::sync::Arc;

use rtclient_audio::WireFormat;
use rtclient_protocol::MaxTokens;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::message::{
    complete_message, limit_tokens, open_message, send_text_delta, split_words, stream_spoken,
};
use super::output::{Ctx, Step};
use super::responder::{Produced, ReplyStream};
use crate::engine::faults::Failure;
use crate::session::engines::Engines;
use crate::session::ids::new_id;
use crate::session::realtime::plan::Plan;
use crate::session::speech::Spoken;

/// Text longer than this without a sentence end is spoken up to its last comma or space.
const MAX_PENDING_CHARS: usize = 200;
/// The first clause is spoken on its own once it has this many words: it starts the voice
/// sooner, and later text is spoken a sentence at a time, which sounds more natural.
const FIRST_CLAUSE_WORDS: usize = 2;
/// Sentences synthesized ahead of the one being streamed.
const SYNTHESIS_AHEAD: usize = 2;

/// Streams the reply whose first piece is `first` and whose rest, if any, comes from
/// `replies`, as the response's one message.
pub(super) async fn respond(
    ctx: &Ctx<'_>,
    engines: &Arc<Engines>,
    plan: &Plan,
    first: String,
    replies: Option<ReplyStream>,
) -> Step {
    let item_id = new_id("item_");
    let Some(item) = open_message(ctx, &item_id, plan.audio) else {
        return Step::Break(());
    };
    let said = if plan.audio {
        speak_reply(ctx, engines, plan, &item_id, first, replies).await?
    } else {
        write_reply(ctx, plan, &item_id, first, replies).await?
    };
    complete_message(
        ctx,
        item,
        plan.audio,
        said.text.trim().to_owned(),
        said.cut,
        said.audio,
        said.audio_ms,
    )
}

/// What a message said, once it is over.
#[derive(Debug, Default)]
struct Said {
    text: String,
    /// The token limit cut it.
    cut: bool,
    audio: Vec<u8>,
    audio_ms: u64,
}

/// The reply as text deltas, piece by piece.
async fn write_reply(
    ctx: &Ctx<'_>,
    plan: &Plan,
    item_id: &str,
    first: String,
    mut replies: Option<ReplyStream>,
) -> ControlFlow<(), Said> {
    let mut said = Said::default();
    let mut piece = Some(first);
    while let Some(next) = piece.take() {
        let so_far = format!("{}{next}", said.text);
        let (kept, cut) = limit_tokens(so_far, plan.response.max_output_tokens);
        said.cut = cut;
        let fresh = kept[said.text.len().min(kept.len())..].to_owned();
        if !fresh.is_empty() {
            send_text_delta(ctx, item_id, &fresh)?;
            said.text.push_str(&fresh);
        }
        if cut {
            break;
        }
        if let Some(replies) = replies.as_mut()
            && let Some(Produced::Text(more)) = replies.next().await
        {
            piece = Some(more);
        }
    }
    ControlFlow::Continue(said)
}

/// A clause or sentence of the reply, with its speech being synthesized.
struct Sentence {
    text: String,
    speech: JoinHandle<Option<Arc<Spoken>>>,
}

/// The reply as speech: a writer task cuts the text into sentences and starts their synthesis
/// (at most [`SYNTHESIS_AHEAD`] ahead); this task streams each in order.
async fn speak_reply(
    ctx: &Ctx<'_>,
    engines: &Arc<Engines>,
    plan: &Plan,
    item_id: &str,
    first: String,
    replies: Option<ReplyStream>,
) -> ControlFlow<(), Said> {
    let (tx, mut rx) = mpsc::channel(SYNTHESIS_AHEAD);
    let writer = tokio::spawn(write_sentences(
        Writer {
            engines: Arc::clone(engines),
            voice: plan.voice.clone(),
            format: plan.format,
            max_tokens: plan.response.max_output_tokens,
        },
        first,
        replies,
        tx,
    ));
    let mut said = Said::default();
    while let Some(sentence) = rx.recv().await {
        let Ok(Some(spoken)) = sentence.speech.await else {
            ctx.fail(&Failure {
                message: "Speech synthesis failed.".to_owned(),
                ..Failure::default()
            });
            return ControlFlow::Break(());
        };
        let separator = if said.text.is_empty() { "" } else { " " };
        let words = split_words(&format!("{separator}{}", sentence.text));
        // A leading separator splits off as an empty first word; it belongs to the second.
        let words: Vec<String> = match words.split_first() {
            Some((first, rest)) if first.is_empty() => rest.to_vec(),
            _ => words,
        };
        stream_spoken(ctx, engines, item_id, &words, &spoken, plan.format).await?;
        said.text.push_str(&words.concat());
        said.audio.extend_from_slice(&spoken.bytes);
        said.audio_ms += spoken.duration_ms;
    }
    // The channel closes when the writer is done: it returns whether the limit cut the reply.
    said.cut = writer.await.unwrap_or(false);
    ControlFlow::Continue(said)
}

/// What the writer task needs to start a sentence's synthesis.
struct Writer {
    engines: Arc<Engines>,
    voice: String,
    format: WireFormat,
    max_tokens: Option<MaxTokens>,
}

impl Writer {
    /// Starts synthesizing `text` and hands it to the streamer; false once the streamer is gone.
    async fn send(&self, text: String, tx: &mpsc::Sender<Sentence>) -> bool {
        let (engines, voice, format) = (Arc::clone(&self.engines), self.voice.clone(), self.format);
        let spoken_text = text.clone();
        let speech = tokio::spawn(async move {
            engines
                .cache
                .speak(&engines.synthesizer, &spoken_text, &voice, format)
                .await
        });
        tx.send(Sentence { text, speech }).await.is_ok()
    }
}

/// Reads the reply as it comes, cuts it into sentences (the first clause on its own) and sends
/// each to the streamer with its synthesis started. Returns whether the token limit cut it.
async fn write_sentences(
    writer: Writer,
    first: String,
    mut replies: Option<ReplyStream>,
    tx: mpsc::Sender<Sentence>,
) -> bool {
    let mut written = String::new();
    let mut pending = String::new();
    let mut piece = Some(first);
    let mut cut = false;
    while let Some(next) = piece.take() {
        let so_far = format!("{written}{pending}{next}");
        let (kept, limited) = limit_tokens(so_far, writer.max_tokens);
        cut = limited;
        pending.push_str(&kept[(written.len() + pending.len()).min(kept.len())..]);
        while let Some(sentence) = take_sentence(&mut pending, written.is_empty()) {
            written.push_str(&sentence);
            written.push(' ');
            if !writer.send(sentence, &tx).await {
                return cut;
            }
        }
        if cut {
            break;
        }
        if let Some(replies) = replies.as_mut()
            && let Some(Produced::Text(more)) = replies.next().await
        {
            piece = Some(more);
        }
    }
    // Dropping the stream here stops a model still writing past the token limit.
    drop(replies);
    let rest = pending.trim();
    if !rest.is_empty() {
        writer.send(rest.to_owned(), &tx).await;
    }
    cut
}

/// Removes and returns the first whole sentence of `pending` (ending in `.`, `!` or `?` before
/// a space, or at a line break), or a long run's head up to its last comma or space. When
/// `first`, a clause of [`FIRST_CLAUSE_WORDS`] or more ending in `,`, `;` or `:` counts too.
fn take_sentence(pending: &mut String, first: bool) -> Option<String> {
    let bytes = pending.as_bytes();
    let ends_clause = |i: usize| {
        first
            && matches!(bytes[i], b',' | b';' | b':')
            && pending[..i].split_whitespace().count() >= FIRST_CLAUSE_WORDS
    };
    let end = (0..bytes.len().saturating_sub(1))
        .find(|&i| {
            ((matches!(bytes[i], b'.' | b'!' | b'?') || ends_clause(i))
                && bytes[i + 1].is_ascii_whitespace())
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
        return take_sentence(pending, first);
    }
    Some(sentence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_taken_as_soon_as_they_end() {
        let mut pending = "Hello there. How are".to_owned();
        assert_eq!(
            take_sentence(&mut pending, false).as_deref(),
            Some("Hello there.")
        );
        assert_eq!(pending, "How are");
        assert_eq!(take_sentence(&mut pending, false), None);
        pending.push_str(" you?\nFine");
        assert_eq!(
            take_sentence(&mut pending, false).as_deref(),
            Some("How are you?")
        );
        assert_eq!(pending, "Fine");
        // "3.5" is not a sentence end.
        let mut number = "It is 3.5 degrees".to_owned();
        assert_eq!(take_sentence(&mut number, false), None);
        let mut long = format!("{}, and more", "word ".repeat(45));
        let head = take_sentence(&mut long, false).unwrap();
        assert!(head.ends_with(','), "{head}");
        assert_eq!(long, "and more");
    }

    #[test]
    fn the_first_clause_is_spoken_on_its_own() {
        let mut pending = "I heard: what is the weather, today? Yes".to_owned();
        assert_eq!(
            take_sentence(&mut pending, true).as_deref(),
            Some("I heard:")
        );
        // Later clauses wait for the end of their sentence.
        assert_eq!(
            take_sentence(&mut pending, false).as_deref(),
            Some("what is the weather, today?")
        );
        // One word before the comma is too short a clause.
        let mut short = "Sure, the weather is fine. And".to_owned();
        assert_eq!(
            take_sentence(&mut short, true).as_deref(),
            Some("Sure, the weather is fine.")
        );
        // "1,000" has no space after its comma.
        let mut number = "About 1,000 people came.".to_owned();
        assert_eq!(take_sentence(&mut number, true), None);
    }
}
