//! An assistant message's events: the item and its content part opened, text and audio deltas
//! streamed at the engines' pace and cut to the token limit, then the part and the item closed.

use std::time::Duration;

use rtclient_audio::{Pace, WireFormat};
use rtclient_protocol::{Item, ItemKind, ItemStatus, MaxTokens, Role};

use super::output::{Ctx, Step, sent, with_open};
use super::part::{part_done, part_event};
use crate::session::engines::Engines;
use crate::session::realtime::active::Part;
use crate::session::realtime::usage;
use crate::session::speech::{DELTA_MS, Spoken};

/// Starts an assistant message: `output_item.added` (+ `conversation.item.added`) and an empty
/// audio or text `content_part.added`. `None` once the response is no longer active.
pub(super) fn open_message(ctx: &Ctx<'_>, item_id: &str, audio: bool) -> Option<Item> {
    let item = Item {
        id: Some(item_id.to_owned()),
        kind: Some(ItemKind::Message),
        status: Some(ItemStatus::InProgress),
        role: Some(Role::Assistant),
        content: Some(Vec::new()),
        ..Default::default()
    };
    ctx.add_item(item_id, &item)?;
    let part = if audio { Part::Audio } else { Part::Text };
    let added = part_event!(
        ctx.id,
        item_id,
        ResponseContentPartAdded {
            part: part.streamed("")
        }
    );
    ctx.emit_updating(added, |st| with_open(st, |open| open.part = Some(part)))
        .then_some(item)
}

/// Ends an assistant message whose deltas were all sent: the events that end its part's
/// stream, `content_part.done`, then the item and the response (`incomplete` when `cut` by the
/// token limit).
pub(super) fn complete_message(
    ctx: &Ctx<'_>,
    mut item: Item,
    audio: bool,
    text: String,
    cut: bool,
    audio_bytes: Vec<u8>,
    audio_ms: u64,
) -> Step {
    let part = if audio { Part::Audio } else { Part::Text };
    // `open_message` made the item with its id.
    let Some(item_id) = item.id.clone() else {
        return Step::Break(());
    };
    sent(ctx.end_stream(part, &item_id, &text))?;
    let done = part_done(part, ctx.id, &item_id, &text);
    sent(ctx.emit_updating(done, |st| with_open(st, |open| open.part_done = true)))?;
    item.content = Some(vec![part.stored(&text)]);
    item.status = Some(if cut {
        ItemStatus::Incomplete
    } else {
        ItemStatus::Completed
    });
    ctx.finish(item, audio_bytes, audio_ms);
    Step::Continue(())
}

/// Text deltas, a word each.
pub(super) async fn stream_text(
    ctx: &Ctx<'_>,
    engines: &Engines,
    item_id: &str,
    text: &str,
) -> Step {
    for word in split_words(text) {
        send_text_delta(ctx, item_id, &word)?;
        pause(engines.pace, 20).await;
    }
    Step::Continue(())
}

/// Sends `delta` of the message's text (`output_text.delta`) and records it as sent.
pub(super) fn send_text_delta(ctx: &Ctx<'_>, item_id: &str, delta: &str) -> Step {
    let event = part_event!(
        ctx.id,
        item_id,
        ResponseOutputTextDelta {
            delta: delta.to_owned()
        }
    );
    sent(ctx.emit_updating(event, |st| with_open(st, |open| open.sent.push_str(delta))))
}

/// Streams `spoken` as `output_audio.delta` events with the transcript deltas of `words`
/// spread over them, at the engines' pace.
pub(super) async fn stream_spoken(
    ctx: &Ctx<'_>,
    engines: &Engines,
    item_id: &str,
    words: &[String],
    spoken: &Spoken,
    format: WireFormat,
) -> Step {
    let chunks: Vec<&[u8]> = spoken.bytes.chunks(spoken.chunk).collect();
    let n = chunks.len().max(1);
    let mut next_word = 0;
    for i in 0..n {
        let upto = (words.len() * (i + 1)).div_ceil(n);
        while next_word < upto {
            let word = &words[next_word];
            let delta = part_event!(
                ctx.id,
                item_id,
                ResponseOutputAudioTranscriptDelta {
                    delta: word.clone()
                }
            );
            sent(ctx.emit_updating(delta, |st| with_open(st, |open| open.sent.push_str(word))))?;
            next_word += 1;
        }
        if let (Some(piece), Some(delta)) = (chunks.get(i), spoken.deltas.get(i)) {
            let delta = part_event!(
                ctx.id,
                item_id,
                ResponseOutputAudioDelta {
                    delta: delta.clone()
                }
            );
            sent(ctx.emit_updating(delta, |st| ctx.record_audio(st, item_id, piece, format)))?;
            pause(engines.pace, DELTA_MS).await;
        }
    }
    Step::Continue(())
}

/// Waits `ms` of the engines' `pace` (real time, or sped up); at `Pace::Max` only yields.
pub(super) async fn pause(pace: Pace, ms: u64) {
    match pace {
        Pace::Max => tokio::task::yield_now().await,
        pace => {
            let speed = match pace {
                Pace::Speed(speed) if speed.is_finite() && speed > 0.0 => speed,
                // Real time, or a speed that is not a positive number.
                _ => 1.0,
            };
            tokio::time::sleep(Duration::from_secs_f64(ms as f64 / 1000.0 / speed)).await;
        }
    }
}

/// Cuts `text` to the words that fit in `max` output text tokens; true when cut.
pub(super) fn limit_tokens(text: String, max: Option<MaxTokens>) -> (String, bool) {
    let Some(MaxTokens::Count(max)) = max else {
        return (text, false);
    };
    if usage::text_tokens(&text) <= max {
        return (text, false);
    }
    let mut fit = String::new();
    for word in split_words(&text) {
        let longer = format!("{fit}{word}");
        if usage::text_tokens(&longer) > max {
            break;
        }
        fit = longer;
    }
    (fit, true)
}

/// Words with their leading space (`"Hello"`, `" world."`).
pub(super) fn split_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, word) in text.split(' ').enumerate() {
        out.push(if i == 0 {
            word.to_owned()
        } else {
            format!(" {word}")
        });
    }
    out
}
