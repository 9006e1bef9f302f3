//! The fast paths of the two GPT-Live audio events, the bulk of a Live session's traffic
//! (`session.output_audio.delta` every 100 ms for the whole session, silence included, and
//! `session.input_audio.append` as often): read with the strict flat-object scanner that finds
//! the end of the base64 with `memchr`, written without serde's escape pass over it. Both give
//! exactly what serde gives and fall back to it for anything unusual (escapes, `null`, unknown
//! fields), as the Realtime audio events do.

use crate::error::Error;
use crate::event::scan::{Flat, audio_only, scan_flat};
use crate::event::write::{self, needs_escape, push_extra, push_head};
use crate::event::{Codec, probe_type, tagged_json};
use crate::live::client::InputAudioAppend;
use crate::live::server::OutputAudioDelta;

/// The wire `type` of an output audio delta.
const OUTPUT_DELTA: &str = "session.output_audio.delta";

/// `session.output_audio.delta` borrowed from the frame: parsing copies nothing (the base64
/// `delta` is a slice of the frame). Get one with [`OutputAudioDeltaRef::parse`].
///
/// ```
/// use rtclient_protocol::live::OutputAudioDeltaRef;
/// let frame = r#"{"type":"session.output_audio.delta","delta":"AAA="}"#;
/// let d = OutputAudioDeltaRef::parse(frame).unwrap();
/// assert_eq!((d.delta, d.start_ms), ("AAA=", None));
/// assert!(OutputAudioDeltaRef::parse(r#"{"type":"session.started"}"#).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputAudioDeltaRef<'a> {
    /// Event id (the service sends none).
    pub event_id: Option<&'a str>,
    /// Base64 audio in the session format.
    pub delta: &'a str,
    /// Timeline start, ms (sideband only).
    pub start_ms: Option<u64>,
    /// Timeline end, ms (sideband only).
    pub end_ms: Option<u64>,
}

impl<'a> OutputAudioDeltaRef<'a> {
    /// The delta in `json` when it is a plain output audio delta (strings without escapes, no
    /// unknown fields); `None` for any other frame: parse those with
    /// [`ServerEvent::from_json`](crate::live::ServerEvent::from_json).
    pub fn parse(json: &'a str) -> Option<Self> {
        (probe_type(json).ok()?.as_ref() == OUTPUT_DELTA).then_some(())?;
        Self::scan(OUTPUT_DELTA, json)
    }

    fn scan(kind: &str, json: &'a str) -> Option<Self> {
        let [tag, event_id, delta, start_ms, end_ms] =
            scan_flat(json, ["type", "event_id", "delta", "start_ms", "end_ms"])?;
        (tag?.str()? == kind).then_some(())?;
        Some(Self {
            event_id: Flat::optional_str(event_id)?,
            delta: delta?.str()?,
            start_ms: Flat::optional_uint(start_ms)?,
            end_ms: Flat::optional_uint(end_ms)?,
        })
    }

    /// The owned event.
    pub fn into_owned(self) -> OutputAudioDelta {
        OutputAudioDelta {
            event_id: self.event_id.map(str::to_owned),
            delta: self.delta.to_owned(),
            start_ms: self.start_ms,
            end_ms: self.end_ms,
            extra: serde_json::Map::new(),
        }
    }
}

impl Codec for OutputAudioDelta {
    fn parse_fast(kind: &str, json: &str) -> Option<Self> {
        OutputAudioDeltaRef::scan(kind, json).map(OutputAudioDeltaRef::into_owned)
    }

    fn write(&self, tag: &str) -> Result<String, Error> {
        if needs_escape(&self.delta) {
            return tagged_json(tag, self);
        }
        let mut out = String::with_capacity(self.delta.len() + 96);
        push_head(&mut out, tag, self.event_id.as_deref())?;
        out.push_str(",\"delta\":\"");
        out.push_str(&self.delta);
        out.push('"');
        for (key, value) in [("start_ms", self.start_ms), ("end_ms", self.end_ms)] {
            if let Some(value) = value {
                out.push_str(&format!(",\"{key}\":{value}"));
            }
        }
        push_extra(&mut out, &self.extra)?;
        out.push('}');
        Ok(out)
    }
}

impl Codec for InputAudioAppend {
    fn parse_fast(kind: &str, json: &str) -> Option<Self> {
        let (event_id, audio) = audio_only(kind, json)?;
        Some(Self {
            event_id: event_id.map(str::to_owned),
            audio: audio.to_owned(),
            extra: serde_json::Map::new(),
        })
    }

    fn write(&self, tag: &str) -> Result<String, Error> {
        write::audio_only(
            tag,
            self,
            self.event_id.as_deref(),
            &self.audio,
            &self.extra,
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::live::{ClientEvent, ServerEvent};

    proptest! {
        #[test]
        fn output_deltas_read_and_write_as_serde_does(
            event_id in proptest::option::of("[a-zA-Z0-9_\"\\\\é]{0,12}"),
            delta in prop_oneof!["[A-Za-z0-9+/=]{0,64}", ".{0,16}"],
            start_ms in proptest::option::of(any::<u64>()),
            end_ms in proptest::option::of(any::<u64>()),
            extra in proptest::collection::btree_map("[a-z\"]{1,6}", any::<i64>(), 0..3),
        ) {
            let event = OutputAudioDelta {
                event_id,
                delta,
                start_ms,
                end_ms,
                extra: extra.into_iter().map(|(k, v)| (k, v.into())).collect(),
            };
            let fast = Codec::write(&event, OUTPUT_DELTA).unwrap();
            prop_assert_eq!(&fast, &tagged_json(OUTPUT_DELTA, &event).unwrap());
            let ServerEvent::OutputAudioDelta(back) = ServerEvent::from_json(&fast).unwrap() else {
                panic!("not a delta: {fast}");
            };
            prop_assert_eq!(back, event.clone());
            let serde: OutputAudioDelta = serde_json::from_str(&fast).unwrap();
            prop_assert_eq!(serde, event);
        }

        #[test]
        fn appends_read_and_write_as_serde_does(
            event_id in proptest::option::of("[a-zA-Z0-9_\"\\\\é]{0,12}"),
            audio in prop_oneof!["[A-Za-z0-9+/=]{0,64}", ".{0,16}"],
        ) {
            let event = InputAudioAppend { event_id, audio, ..Default::default() };
            let tag = "session.input_audio.append";
            let fast = Codec::write(&event, tag).unwrap();
            prop_assert_eq!(&fast, &tagged_json(tag, &event).unwrap());
            prop_assert_eq!(ClientEvent::from_json(&fast).unwrap(), ClientEvent::from(event));
        }
    }

    #[test]
    fn only_plain_deltas_are_borrowed() {
        let plain =
            r#"{"type":"session.output_audio.delta","delta":"AAA=","start_ms":0,"end_ms":100}"#;
        let d = OutputAudioDeltaRef::parse(plain).unwrap();
        assert_eq!(
            (d.delta, d.start_ms, d.end_ms),
            ("AAA=", Some(0), Some(100))
        );
        for other in [
            r#"{"type":"session.output_audio.delta","delta":"AAA=","start_ms":null}"#,
            r#"{"type":"session.output_audio.delta","delta":"AAA=","new":1}"#,
            r#"{"type":"session.output_audio.delta","delta":"A\u0041"}"#,
        ] {
            assert!(OutputAudioDeltaRef::parse(other).is_none(), "{other}");
            assert!(
                ServerEvent::from_json(other).is_ok(),
                "the general parser takes {other}"
            );
        }
    }
}
