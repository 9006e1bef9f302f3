//! Event dispatch: how a frame's `type` is found and the frame parsed into its own struct.
//!
//! Parsing never goes through a `serde_json::Value` or an internally tagged enum (both buffer
//! the whole event and copy the large base64 `delta` twice). Instead the `type` is read first,
//! cheaply (the wire puts it first: `{"type":"...`, otherwise a small probe reads only that
//! key), then a `match` on it deserializes the whole input straight into the concrete struct.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::error::{Error, InvalidFields};
use crate::wire::{FieldsVisitor, Key, MissingField, ReadFields, WireFields};

pub use audio_delta::AudioDeltaRef;
pub(crate) use codec::Codec;

mod audio_delta;
pub mod client;
pub(crate) mod codec;
pub(crate) mod scan;
pub mod server;
pub(crate) mod write;

/// Finds the `type` of a JSON event object.
pub(crate) fn probe_type(json: &str) -> Result<Cow<'_, str>, Error> {
    if let Some(rest) = json.strip_prefix("{\"type\":\"")
        && let Some(end) = rest.find('"')
    {
        let kind = &rest[..end];
        if !kind.contains('\\') {
            return Ok(Cow::Borrowed(kind));
        }
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let kind = de.deserialize_map(TypeProbe).map_err(Error::Json)?;
    de.end().map_err(Error::Json)?;
    kind.ok_or(Error::MissingType)
}

/// Reads only the `type` key of an object, skipping everything else.
struct TypeProbe;

impl<'de> Visitor<'de> for TypeProbe {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if key.as_str() == "type" && kind.is_none() {
                kind = Some(map.next_value::<Key<'de>>()?.into_cow());
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(kind)
    }
}

/// Parses an event of unknown type `kind` into a raw JSON object.
pub(crate) fn parse_unknown(json: &str, kind: &str) -> Result<serde_json::Value, Error> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(Error::Json)?;
    if !value.is_object() {
        return Err(Error::Json(de::Error::custom("expected a JSON object")));
    }
    // With duplicate `type` keys the probe saw the first and the object keeps the last.
    if value.get("type").and_then(serde_json::Value::as_str) != Some(kind) {
        return Err(Error::Json(de::Error::custom(
            "conflicting duplicate \"type\" keys",
        )));
    }
    Ok(value)
}

/// Parses the event struct `T` of type `kind` from `json` (the text serde reads).
pub(crate) fn decode<T: for<'de> ReadFields<'de>>(kind: &str, json: &str) -> Result<T, Error> {
    let missing = Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(json);
    FieldsVisitor::<T>::new(Some(&missing))
        .deserialize(&mut de)
        .and_then(|event| de.end().map(|()| event))
        .map_err(|source| invalid(kind, source, missing.get()))
}

/// Builds the event struct `T` of type `kind` from a parsed JSON value.
pub(crate) fn decode_value<T: for<'de> ReadFields<'de>>(
    kind: &str,
    value: serde_json::Value,
) -> Result<T, Error> {
    let missing = Cell::new(None);
    FieldsVisitor::<T>::new(Some(&missing))
        .deserialize(value)
        .map_err(|source| invalid(kind, source, missing.get()))
}

/// The error for a known event type that failed to parse: malformed JSON stays a JSON error,
/// a schema mismatch names the event type (and the missing required field, when that is what
/// failed it).
pub(crate) fn invalid(
    kind: &str,
    source: serde_json::Error,
    missing: Option<MissingField>,
) -> Error {
    if source.is_data() {
        Error::InvalidEvent {
            kind: kind.to_owned(),
            source: InvalidFields::new(source, missing),
        }
    } else {
        Error::Json(source)
    }
}

/// Writes `{"type": tag, ...fields}`.
pub(crate) fn serialize_tagged<S: serde::Serializer, T: WireFields>(
    s: S,
    tag: &str,
    fields: &T,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(None)?;
    map.serialize_entry("type", tag)?;
    fields.serialize_fields(&mut map)?;
    map.end()
}

/// Writes `{"type": tag, ...fields}` as a JSON string.
pub(crate) fn tagged_json<T: WireFields>(tag: &str, fields: &T) -> Result<String, Error> {
    struct Tagged<'a, T>(&'a str, &'a T);
    impl<T: WireFields> serde::Serialize for Tagged<'_, T> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize_tagged(s, self.0, self.1)
        }
    }
    serde_json::to_string(&Tagged(tag, fields)).map_err(Error::Write)
}

/// Wraps a wire struct declaration as an event: adds the optional `event_id`, consumes the
/// `type` key and reads and writes it with the default [`Codec`]. A struct marked `[fast]`
/// implements [`Codec`] itself (the audio events, see [`codec`]).
macro_rules! event_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        $crate::event::event_struct! {
            $(#[$meta])*
            pub struct $name [fast] { $($body)* }
        }
        impl $crate::event::Codec for $name {}
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident [fast] { $($body:tt)* }
    ) => {
        $crate::wire::wire_struct! {
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, Default)]
            pub struct $name [event] {
                /// Event id (set by the server on server events; optional on client events).
                opt event_id: String = "event_id",
                $($body)*
            }
        }
    };
}

/// Declares an event enum keyed on `type`, with an `Unknown` variant.
macro_rules! event_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident($st:ty) = $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", $wire, "`: the [`", stringify!($st), "`] event.")]
                #[doc = ""]
                $(#[$vmeta])*
                $variant($st),
            )*
            /// An event whose `type` this crate does not know, kept verbatim (a JSON object).
            Unknown(serde_json::Value),
        }

        impl $name {
            /// Every `type` string this enum types, in declaration order.
            pub const KINDS: &'static [&'static str] = &[$($wire),*];

            /// Parses one JSON frame. A known `type` whose fields do not fit is an error; an
            /// unknown `type` becomes `Unknown`.
            pub fn from_json(json: &str) -> Result<Self, $crate::Error> {
                let kind = $crate::event::probe_type(json)?;
                match kind.as_ref() {
                    $(
                        $wire => match <$st as $crate::event::Codec>::parse_fast($wire, json) {
                            Some(event) => Ok(Self::$variant(event)),
                            None => $crate::event::decode::<$st>($wire, json).map(Self::$variant),
                        },
                    )*
                    _ => $crate::event::parse_unknown(json, &kind).map(Self::Unknown),
                }
            }

            /// Builds the event from a parsed JSON value (slower than [`Self::from_json`], which
            /// reads the text directly; use this when you already hold a `Value`).
            pub fn from_value(value: serde_json::Value) -> Result<Self, $crate::Error> {
                let kind = match value.get("type") {
                    Some(serde_json::Value::String(k)) => k.clone(),
                    Some(_) => return Err($crate::Error::Json(serde::de::Error::custom("\"type\" is not a string"))),
                    None if value.is_object() => return Err($crate::Error::MissingType),
                    None => return Err($crate::Error::Json(serde::de::Error::custom("expected a JSON object"))),
                };
                match kind.as_str() {
                    $(
                        $wire => $crate::event::decode_value::<$st>($wire, value).map(Self::$variant),
                    )*
                    _ => Ok(Self::Unknown(value)),
                }
            }

            /// Writes the event as compact JSON (`type` first). Audio events are written
            /// without a JSON escape pass over their base64.
            pub fn to_json(&self) -> Result<String, $crate::Error> {
                match self {
                    $( Self::$variant(e) => $crate::event::Codec::write(e, $wire), )*
                    Self::Unknown(v) => serde_json::to_string(v).map_err($crate::Error::Write),
                }
            }

            /// The wire `type` string.
            pub fn kind(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $wire, )*
                    Self::Unknown(v) => v.get("type").and_then(|t| t.as_str()).unwrap_or(""),
                }
            }

            /// The `event_id`, if present.
            pub fn event_id(&self) -> Option<&str> {
                match self {
                    $( Self::$variant(e) => e.event_id.as_deref(), )*
                    Self::Unknown(v) => v.get("event_id").and_then(|t| t.as_str()),
                }
            }

            /// Sets the `event_id`.
            pub fn set_event_id(&mut self, id: String) {
                match self {
                    $( Self::$variant(e) => e.event_id = Some(id), )*
                    Self::Unknown(v) => {
                        if let Some(o) = v.as_object_mut() {
                            o.insert("event_id".to_owned(), serde_json::Value::String(id));
                        }
                    }
                }
            }

            /// The top-level fields of the event this crate does not know (for `Unknown`: the
            /// whole object).
            pub fn extra(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
                match self {
                    $( Self::$variant(e) => Some(&e.extra), )*
                    Self::Unknown(v) => v.as_object(),
                }
            }

            /// True for [`Self::Unknown`].
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(e) => $crate::event::serialize_tagged(s, $wire, e), )*
                    Self::Unknown(v) => serde::Serialize::serialize(v, s),
                }
            }
        }

        /// Deserializes through a `serde_json::Value` (for embedding in other serde types);
        /// `from_json` is the fast path.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                Self::from_value(value).map_err(|e| {
                    let source = std::error::Error::source(&e).map(|s| format!(": {s}")).unwrap_or_default();
                    <D::Error as serde::de::Error>::custom(format_args!("{e}{source}"))
                })
            }
        }

        $(
            impl From<$st> for $name {
                fn from(e: $st) -> Self {
                    Self::$variant(e)
                }
            }
        )*
    };
}

pub(crate) use {event_enum, event_struct};
