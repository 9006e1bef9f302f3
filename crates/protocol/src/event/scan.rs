//! The audio fast path: a strict reader for the flat objects that carry audio.
//!
//! Audio events (`response.output_audio.delta`, `input_audio_buffer.append`) are the bulk of
//! Realtime traffic, and nearly all of their bytes are one base64 string. base64 never needs a
//! JSON escape, so its end is the next `"`, found with `memchr` far faster than a general JSON
//! parser walks a string. [`scan_flat`] reads an object whose values are all plain strings
//! (no escapes) or unsigned integers and whose keys are all expected; for anything else (an
//! escape, a `null`, a nested value, an unknown or duplicate key, trailing text) it returns
//! `None` and the caller uses the general parser, so results never depend on which path ran.

use std::borrow::Cow;

use crate::event::AudioDeltaRef;
use crate::event::server::ResponseOutputAudioDelta;

/// An audio delta whose fields are all plain, borrowed from the frame.
pub(crate) fn audio_delta_ref<'a>(kind: &str, json: &'a str) -> Option<AudioDeltaRef<'a>> {
    const KEYS: [&str; 7] = [
        "type",
        "event_id",
        "response_id",
        "item_id",
        "output_index",
        "content_index",
        "delta",
    ];
    let [
        tag,
        event_id,
        response_id,
        item_id,
        output_index,
        content_index,
        delta,
    ] = scan_flat(json, KEYS)?;
    (tag?.str()? == kind).then_some(())?;
    Some(AudioDeltaRef {
        event_id: Flat::optional_str(event_id)?.map(Cow::Borrowed),
        response_id: Cow::Borrowed(response_id?.str()?),
        item_id: Cow::Borrowed(item_id?.str()?),
        output_index: output_index?.index()?,
        content_index: content_index?.index()?,
        delta: Cow::Borrowed(delta?.str()?),
        extra: serde_json::Map::new(),
    })
}

/// An audio delta whose fields are all plain.
pub(crate) fn audio_delta(kind: &str, json: &str) -> Option<ResponseOutputAudioDelta> {
    audio_delta_ref(kind, json).map(AudioDeltaRef::into_owned)
}

/// The `event_id` and `audio` of a plain event of type `kind` with only those fields (GA's
/// `input_audio_buffer.append`, Live's `input_audio.append`).
pub(crate) fn audio_only<'a>(kind: &str, json: &'a str) -> Option<(Option<&'a str>, &'a str)> {
    let [tag, event_id, audio] = scan_flat(json, ["type", "event_id", "audio"])?;
    (tag?.str()? == kind).then_some(())?;
    Some((Flat::optional_str(event_id)?, audio?.str()?))
}

/// A value [`scan_flat`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flat<'a> {
    /// A string with no escapes, borrowed from the input.
    Str(&'a str),
    /// A non-negative integer.
    Uint(u64),
}

impl<'a> Flat<'a> {
    pub(crate) fn str(self) -> Option<&'a str> {
        match self {
            Flat::Str(s) => Some(s),
            Flat::Uint(_) => None,
        }
    }

    /// An optional string field: `Some(None)` when it is absent, `None` when it is not a
    /// string.
    #[inline]
    pub(crate) fn optional_str(value: Option<Self>) -> Option<Option<&'a str>> {
        match value {
            Some(value) => value.str().map(Some),
            None => Some(None),
        }
    }

    /// An optional unsigned integer field: `Some(None)` when it is absent, `None` when it is
    /// not an unsigned integer.
    #[inline]
    pub(crate) fn optional_uint(value: Option<Self>) -> Option<Option<u64>> {
        match value {
            Some(Flat::Uint(n)) => Some(Some(n)),
            Some(Flat::Str(_)) => None,
            None => Some(None),
        }
    }

    pub(crate) fn index(self) -> Option<u32> {
        match self {
            Flat::Uint(n) => u32::try_from(n).ok(),
            Flat::Str(_) => None,
        }
    }
}

/// Reads a flat JSON object whose keys are among `keys` (each at most once) and whose values
/// are plain strings or unsigned integers; the values come back in the order of `keys`.
/// `None` when the input has any other shape (the general parser then decides).
pub(crate) fn scan_flat<'a, const N: usize>(
    json: &'a str,
    keys: [&str; N],
) -> Option<[Option<Flat<'a>>; N]> {
    let mut reader = Reader { text: json, pos: 0 };
    let mut values = [None; N];
    reader.skip_ws();
    reader.eat(b'{')?;
    reader.skip_ws();
    if reader.eat(b'}').is_none() {
        loop {
            reader.skip_ws();
            reader.eat(b'"')?;
            let key = reader.string()?;
            let slot = keys.iter().position(|k| *k == key)?;
            reader.skip_ws();
            reader.eat(b':')?;
            reader.skip_ws();
            let value = match reader.peek()? {
                b'"' => {
                    reader.pos += 1;
                    Flat::Str(reader.string()?)
                }
                b'0'..=b'9' => Flat::Uint(reader.uint()?),
                _ => return None,
            };
            if values[slot].replace(value).is_some() {
                return None;
            }
            reader.skip_ws();
            match reader.peek()? {
                b',' => reader.pos += 1,
                b'}' => {
                    reader.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    reader.skip_ws();
    (reader.pos == json.len()).then_some(values)
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// The rest of a string whose opening quote was read: `None` if it has an escape or a
    /// control character (valid JSON needs the general parser; invalid JSON is its error).
    fn string(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let len = memchr::memchr2(b'"', b'\\', bytes.get(start..)?)?;
        let end = start + len;
        if bytes[end] != b'"' || has_control(&bytes[start..end]) {
            return None;
        }
        self.pos = end + 1;
        // `start` and `end` sit next to ASCII quotes, so they are char boundaries.
        self.text.get(start..end)
    }

    /// An unsigned integer in JSON's form (no leading zeros), not followed by a fraction or
    /// exponent.
    fn uint(&mut self) -> Option<u64> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(digit @ b'0'..=b'9') = bytes.get(self.pos).copied() {
            value = value
                .checked_mul(10)?
                .checked_add(u64::from(digit - b'0'))?;
            self.pos += 1;
        }
        let digits = self.pos - start;
        let leading_zero = digits > 1 && bytes[start] == b'0';
        let fraction = matches!(self.peek(), Some(b'.' | b'e' | b'E'));
        (!leading_zero && !fraction).then_some(value)
    }
}

/// Whether any byte is a control character, which JSON forbids unescaped in strings. Written
/// without an early exit per byte so the compiler vectorizes it.
fn has_control(bytes: &[u8]) -> bool {
    bytes
        .chunks(64)
        .any(|chunk| chunk.iter().fold(false, |found, &b| found | (b < 0x20)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::client::InputAudioBufferAppend;

    const DELTA: &str = r#"{"type":"response.output_audio.delta","event_id":"e1","response_id":"r","item_id":"i","output_index":0,"content_index":12,"delta":"AAAA//8="}"#;

    #[test]
    fn reads_a_plain_audio_delta() {
        let d = audio_delta("response.output_audio.delta", DELTA).unwrap();
        assert_eq!(d.event_id.as_deref(), Some("e1"));
        assert_eq!((d.output_index, d.content_index), (0, 12));
        assert_eq!(d.delta, "AAAA//8=");
    }

    #[test]
    fn whitespace_and_key_order_are_free() {
        let json = " {\n \"delta\" : \"AA==\" ,\"content_index\":1,\t\"output_index\":2,\"item_id\":\"i\",\"response_id\":\"r\",\"type\":\"response.output_audio.delta\" } ";
        let d = audio_delta("response.output_audio.delta", json).unwrap();
        assert_eq!((d.output_index, d.content_index, d.event_id), (2, 1, None));
    }

    /// Every one of these is left to the general parser, which either accepts it (escapes,
    /// extra fields, null) or reports the error (bad JSON).
    #[test]
    fn declines_anything_not_plain() {
        let kind = "response.output_audio.delta";
        for json in [
            DELTA.replace("AAAA//8=", r"AA\u0041A"),   // escape
            DELTA.replace("\"e1\"", "null"),           // null
            DELTA.replace("\"e1\"", "\"e1\",\"x\":1"), // unknown key
            DELTA.replace("\"e1\"", "\"e1\",\"event_id\":\"e2\""), // duplicate
            DELTA.replace(":12", ":012"),              // leading zero
            DELTA.replace(":12", ":12.0"),             // fraction
            DELTA.replace(":12", ":-1"),               // negative
            DELTA.replace(":12", ":99999999999"),      // over u32
            DELTA.replace("AAAA//8=", "AA\tA"),        // control character
            DELTA.replace("response.output_audio.delta", "x"), // another type
            format!("{DELTA}x"),                       // trailing text
            DELTA.trim_end_matches('}').to_owned(),    // unterminated
            DELTA.replace(",\"delta\":\"AAAA//8=\"", ""), // missing field
        ] {
            assert_eq!(audio_delta(kind, &json), None, "{json}");
        }
    }

    #[test]
    fn the_fast_path_agrees_with_the_general_parser() {
        let fast = audio_delta("response.output_audio.delta", DELTA).unwrap();
        let general: ResponseOutputAudioDelta = serde_json::from_str(DELTA).unwrap();
        assert_eq!(fast, general);
        let append_json = r#"{"type":"input_audio_buffer.append","audio":"AAAA"}"#;
        let fast = audio_only("input_audio_buffer.append", append_json);
        let general: InputAudioBufferAppend = serde_json::from_str(append_json).unwrap();
        assert_eq!(
            fast,
            Some((general.event_id.as_deref(), general.audio.as_str()))
        );
    }

    #[test]
    fn empty_and_odd_objects() {
        assert_eq!(scan_flat("{}", ["a"]), Some([None]));
        assert_eq!(scan_flat(" { } ", ["a"]), Some([None]));
        assert_eq!(scan_flat("{,}", ["a"]), None);
        assert_eq!(scan_flat("{\"a\":1,}", ["a"]), None);
        assert_eq!(scan_flat("", ["a"]), None);
        assert_eq!(
            scan_flat("{\"a\":\"é\"}", ["a"]),
            Some([Some(Flat::Str("é"))])
        );
    }
}
