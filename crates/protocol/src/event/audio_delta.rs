//! A borrowed view of an output audio delta, the bulk of server traffic: parsing it copies
//! nothing (the base64 `delta` is a slice of the frame).

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::error::Error;
use crate::event::server::ResponseOutputAudioDelta;
use crate::event::{invalid, scan};
use crate::wire::{Key, MissingField};

/// `response.output_audio.delta` (beta `response.audio.delta`) borrowed from the frame text.
///
/// Strings are borrowed unless the JSON escapes them (base64 never is). Get one with
/// [`Dialect::parse_audio_delta`](crate::Dialect::parse_audio_delta); [`AudioDeltaRef::into_owned`] gives the owned event.
///
/// ```
/// use rtclient_protocol::Dialect;
/// let frame = r#"{"type":"response.audio.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"AAA="}"#;
/// let d = Dialect::Beta.parse_audio_delta(frame).unwrap().unwrap();
/// assert_eq!(d.delta, "AAA=");
/// assert!(Dialect::Ga.parse_audio_delta(frame).is_none()); // not a GA audio delta
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AudioDeltaRef<'a> {
    /// Event id.
    pub event_id: Option<Cow<'a, str>>,
    /// Id of the response the audio belongs to.
    pub response_id: Cow<'a, str>,
    /// Id of the item the audio belongs to.
    pub item_id: Cow<'a, str>,
    /// Position in the response output.
    pub output_index: u32,
    /// Position in the item content.
    pub content_index: u32,
    /// Base64 audio.
    pub delta: Cow<'a, str>,
    /// Fields this crate does not know.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl AudioDeltaRef<'_> {
    /// The owned GA event.
    pub fn into_owned(self) -> ResponseOutputAudioDelta {
        ResponseOutputAudioDelta {
            event_id: self.event_id.map(Cow::into_owned),
            response_id: self.response_id.into_owned(),
            item_id: self.item_id.into_owned(),
            output_index: self.output_index,
            content_index: self.content_index,
            delta: self.delta.into_owned(),
            extra: self.extra,
        }
    }
}

impl<'a> AudioDeltaRef<'a> {
    /// Parses `json`, an audio delta whose `type` is `wire`, borrowing what has no escapes.
    pub(crate) fn parse(wire: &str, json: &'a str) -> Result<Self, Error> {
        if let Some(fast) = scan::audio_delta_ref(wire, json) {
            return Ok(fast);
        }
        let missing = Cell::new(None);
        let mut de = serde_json::Deserializer::from_str(json);
        de.deserialize_map(DeltaVisitor { missing: &missing })
            .and_then(|d| de.end().map(|()| d))
            .map_err(|e| invalid(wire, e, missing.get()))
    }
}

/// Borrows a string when it has no escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Key::deserialize(d).map(|k| Str(k.into_cow()))
    }
}

/// Reads an audio delta, noting in `missing` the required field whose absence failed it.
struct DeltaVisitor<'a> {
    missing: &'a Cell<Option<MissingField>>,
}

impl DeltaVisitor<'_> {
    /// The value of the required field `name`, or serde's missing-field error.
    fn required<T, E: de::Error>(&self, value: Option<T>, name: &'static str) -> Result<T, E> {
        value.ok_or_else(|| {
            self.missing.set(Some(MissingField(name)));
            E::missing_field(name)
        })
    }
}

impl<'de> Visitor<'de> for DeltaVisitor<'_> {
    type Value = AudioDeltaRef<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an audio delta event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut event_id, mut response_id, mut item_id) = (None, None, None);
        let (mut output_index, mut content_index, mut delta) = (None, None, None);
        let mut extra = serde_json::Map::new();
        let mut type_seen = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.as_str() {
                "type" => {
                    crate::wire::check_type_key(&mut type_seen, map.next_value()?)?;
                }
                "event_id" => match map.next_value::<Option<Str<'de>>>()? {
                    Some(s) => event_id = Some(s.0),
                    None => {
                        extra.insert("event_id".to_owned(), serde_json::Value::Null);
                    }
                },
                "response_id" => response_id = Some(map.next_value::<Str<'de>>()?.0),
                "item_id" => item_id = Some(map.next_value::<Str<'de>>()?.0),
                "output_index" => output_index = Some(map.next_value()?),
                "content_index" => content_index = Some(map.next_value()?),
                "delta" => delta = Some(map.next_value::<Str<'de>>()?.0),
                _ => {
                    let v = map.next_value::<serde_json::Value>()?;
                    extra.insert(key.into_string(), v);
                }
            }
        }
        Ok(AudioDeltaRef {
            event_id,
            response_id: self.required(response_id, "response_id")?,
            item_id: self.required(item_id, "item_id")?,
            output_index: self.required(output_index, "output_index")?,
            content_index: self.required(content_index, "content_index")?,
            delta: self.required(delta, "delta")?,
            extra,
        })
    }
}
