//! Hand-written JSON for the audio events, the bulk of the traffic: their base64 is copied
//! without serde's byte-by-byte escape pass (base64 never needs escaping). Each writer gives
//! exactly what serde writes, field order included, and falls back to serde for a payload that
//! does need escaping.

use serde::Serialize;

use super::server::ResponseOutputAudioDelta;
use super::{WireFields, tagged_json};
use crate::error::Error;

/// True when `s` holds a character JSON must escape (`"`, `\`, control characters). A
/// branch-free fold the compiler vectorizes; base64 never trips it.
pub(crate) fn needs_escape(s: &str) -> bool {
    s.bytes().fold(false, |acc, b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// Appends `value` as JSON.
pub(crate) fn push_json<T: Serialize + ?Sized>(out: &mut String, value: &T) -> Result<(), Error> {
    out.push_str(&serde_json::to_string(value).map_err(Error::Write)?);
    Ok(())
}

/// Appends the event's unknown fields (`,"key":value` each).
pub(crate) fn push_extra(
    out: &mut String,
    extra: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), Error> {
    for (key, value) in extra {
        out.push(',');
        push_json(out, key)?;
        out.push(':');
        push_json(out, value)?;
    }
    Ok(())
}

/// Opens an event object: `{"type":tag` and the `event_id` when there is one.
pub(crate) fn push_head(out: &mut String, tag: &str, event_id: Option<&str>) -> Result<(), Error> {
    out.push_str("{\"type\":");
    push_json(out, tag)?;
    if let Some(id) = event_id {
        out.push_str(",\"event_id\":");
        push_json(out, id)?;
    }
    Ok(())
}

/// An output audio delta with type `tag` (`response.output_audio.delta`, or the beta
/// `response.audio.delta`).
pub(crate) fn audio_delta(tag: &str, e: &ResponseOutputAudioDelta) -> Result<String, Error> {
    if needs_escape(&e.delta) {
        return tagged_json(tag, e);
    }
    let mut out = String::with_capacity(e.delta.len() + 192);
    push_head(&mut out, tag, e.event_id.as_deref())?;
    out.push_str(",\"response_id\":");
    push_json(&mut out, &e.response_id)?;
    out.push_str(",\"item_id\":");
    push_json(&mut out, &e.item_id)?;
    out.push_str(",\"output_index\":");
    out.push_str(&e.output_index.to_string());
    out.push_str(",\"content_index\":");
    out.push_str(&e.content_index.to_string());
    out.push_str(",\"delta\":\"");
    out.push_str(&e.delta);
    out.push('"');
    push_extra(&mut out, &e.extra)?;
    out.push('}');
    Ok(out)
}

/// `event`, an event of type `tag` whose fields are `event_id`, `audio` and `extra` (GA's
/// `input_audio_buffer.append`, Live's `input_audio.append`), written as serde writes it.
pub(crate) fn audio_only<E: WireFields>(
    tag: &str,
    event: &E,
    event_id: Option<&str>,
    audio: &str,
    extra: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, Error> {
    if needs_escape(audio) {
        return tagged_json(tag, event);
    }
    let mut out = String::with_capacity(audio.len() + 64);
    push_head(&mut out, tag, event_id)?;
    out.push_str(",\"audio\":\"");
    out.push_str(audio);
    out.push('"');
    push_extra(&mut out, extra)?;
    out.push('}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn audio_delta_json_is_what_serde_writes(
            event_id in proptest::option::of("[a-zA-Z0-9_\"\\\\é]{0,12}"),
            response_id in "[a-zA-Z0-9_\"\\\\\\n]{0,12}",
            item_id in "[a-zA-Z0-9_]{0,12}",
            output_index in any::<u32>(),
            content_index in any::<u32>(),
            delta in prop_oneof!["[A-Za-z0-9+/=]{0,64}", ".{0,16}"],
            extra in proptest::collection::btree_map("[a-z\"]{1,6}", any::<i64>(), 0..3),
        ) {
            let event = ResponseOutputAudioDelta {
                event_id,
                response_id,
                item_id,
                output_index,
                content_index,
                delta,
                extra: extra.into_iter().map(|(k, v)| (k, v.into())).collect(),
            };
            for tag in ["response.output_audio.delta", "response.audio.delta"] {
                prop_assert_eq!(audio_delta(tag, &event)?, tagged_json(tag, &event)?);
            }
        }
    }
}
