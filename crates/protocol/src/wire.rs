//! How wire objects are read and written: the macros behind every struct and string enum.
//!
//! Every wire struct is declared with [`wire_struct!`]: it gets public fields, an `extra` map for
//! unknown keys, and hand-written `Serialize`/`Deserialize` impls. Deserialization reads the
//! object key by key straight from the input (no intermediate `Value` or serde `Content`
//! buffer, unlike `#[serde(flatten)]` or internally tagged enums), borrowing keys when possible.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, Visitor};

/// Writes the fields of a wire struct into an open JSON map (without `type` for events: the
/// event enum writes the tag first).
pub(crate) trait WireFields {
    /// Writes every set field and then the unknown fields.
    fn serialize_fields<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// Reads the fields of a wire struct from an open JSON map.
pub(crate) trait ReadFields<'de>: Sized {
    /// What the visitor expects, for serde's messages: `a JSON object (Name)`.
    const EXPECTING: &'static str;

    /// Reads every key; `Ok(Err(_))` when all of them read but a required field is absent.
    fn read_fields<A: MapAccess<'de>>(map: A) -> Result<Result<Self, MissingField>, A::Error>;
}

/// A required field that is absent from the object read (its wire name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MissingField(pub(crate) &'static str);

/// Deserializes a wire struct as a map, and notes in `missing` (when given) the required field
/// whose absence failed it: serde's error carries the name only as text.
pub(crate) struct FieldsVisitor<'a, T> {
    missing: Option<&'a Cell<Option<MissingField>>>,
    wanted: PhantomData<T>,
}

impl<'a, T> FieldsVisitor<'a, T> {
    pub(crate) fn new(missing: Option<&'a Cell<Option<MissingField>>>) -> Self {
        Self {
            missing,
            wanted: PhantomData,
        }
    }
}

impl<'de, T: ReadFields<'de>> Visitor<'de> for FieldsVisitor<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::read_fields(map)?.map_err(|missing| {
            if let Some(cell) = self.missing {
                cell.set(Some(missing));
            }
            de::Error::missing_field(missing.0)
        })
    }
}

impl<'de, T: ReadFields<'de>> DeserializeSeed<'de> for FieldsVisitor<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_map(self)
    }
}

/// An object key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(Cow<'de, str>);

impl<'de> Key<'de> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0.into_owned()
    }

    pub(crate) fn into_cow(self) -> Cow<'de, str> {
        self.0
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// The value of an optional field: a value, or a `null` its type cannot hold.
pub(crate) enum OptField<T> {
    Value(T),
    Null,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OptField<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OptField<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<OptField<T>, E> {
                // Types that hold null themselves (`Nullable`, `Value`) take it from a unit.
                Ok(
                    match T::deserialize(de::value::UnitDeserializer::<E>::new()) {
                        Ok(v) => OptField::Value(v),
                        Err(_) => OptField::Null,
                    },
                )
            }
            fn visit_unit<E: de::Error>(self) -> Result<OptField<T>, E> {
                self.visit_none()
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<OptField<T>, D2::Error> {
                T::deserialize(d).map(OptField::Value)
            }
        }
        d.deserialize_option(V(std::marker::PhantomData))
    }
}

/// Remembers an event's `type` value and rejects a later, different one (a JSON object with two
/// `type` keys is ambiguous: the enum dispatched on the first, a generic JSON reader keeps the
/// last).
pub(crate) fn check_type_key<'de, E: de::Error>(
    seen: &mut Option<Key<'de>>,
    value: Key<'de>,
) -> Result<(), E> {
    match seen {
        Some(first) if first.as_str() != value.as_str() => {
            Err(E::custom("conflicting duplicate \"type\" keys"))
        }
        Some(_) => Ok(()),
        None => {
            *seen = Some(value);
            Ok(())
        }
    }
}

/// The field type for a `req` or `opt` field.
macro_rules! wire_field_type {
    (req $ty:ty) => { $ty };
    (opt $ty:ty) => { Option<$ty> };
}

/// Serializes one field.
macro_rules! wire_ser_field {
    (req, $map:ident, $wire:literal, $v:expr) => {
        $map.serialize_entry($wire, $v)?;
    };
    (opt, $map:ident, $wire:literal, $v:expr) => {
        if let Some(v) = $v {
            $map.serialize_entry($wire, v)?;
        }
    };
}

/// Reads one field's value. An optional field whose type cannot hold `null` keeps a `null`
/// in `extra` (so the round trip stays exact) and stays `None`.
macro_rules! wire_read {
    (req, $map:ident, $f:ident, $ty:ty, $wire:literal, $extra:ident) => {{
        $f = Some($map.next_value::<$ty>()?);
    }};
    (opt, $map:ident, $f:ident, $ty:ty, $wire:literal, $extra:ident) => {{
        match $map.next_value::<$crate::wire::OptField<$ty>>()? {
            $crate::wire::OptField::Value(v) => $f = Some(v),
            $crate::wire::OptField::Null => {
                $extra.insert($wire.to_owned(), serde_json::Value::Null);
            }
        }
    }};
}

/// Finishes one field after the key loop.
macro_rules! wire_finish {
    (req, $f:ident, $wire:literal) => {
        match $f {
            Some(v) => v,
            None => return Ok(Err($crate::wire::MissingField($wire))),
        }
    };
    (opt, $f:ident, $wire:literal) => {
        $f
    };
}

/// Declares a wire struct. `[event]` structs consume and ignore the `type` key (the event enum
/// knows it); `[object]` structs keep an unclaimed `type` in `extra`.
macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident [$mode:ident] {
            $(
                $(#[$fmeta:meta])*
                $req:ident $field:ident : $ty:ty = $wire:literal
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $(
                #[doc = concat!("Wire field `", $wire, "`", $crate::wire::wire_struct!(@reqdoc $req))]
                #[doc = ""]
                $(#[$fmeta])*
                pub $field: $crate::wire::wire_field_type!($req $ty),
            )*
            /// Fields this crate does not know, kept verbatim so a round trip is lossless.
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        impl $crate::wire::WireFields for $name {
            fn serialize_fields<M: serde::ser::SerializeMap>(
                &self,
                map: &mut M,
            ) -> Result<(), M::Error> {
                $( $crate::wire::wire_ser_field!($req, map, $wire, &self.$field); )*
                for (k, v) in &self.extra {
                    map.serialize_entry(k, v)?;
                }
                Ok(())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(None)?;
                $crate::wire::WireFields::serialize_fields(self, &mut map)?;
                map.end()
            }
        }

        impl<'de> $crate::wire::ReadFields<'de> for $name {
            const EXPECTING: &'static str = concat!("a JSON object (", stringify!($name), ")");

            #[allow(unused_mut)]
            fn read_fields<A: serde::de::MapAccess<'de>>(
                mut map: A,
            ) -> Result<Result<Self, $crate::wire::MissingField>, A::Error> {
                $( let mut $field: Option<$ty> = None; )*
                let mut extra = serde_json::Map::new();
                #[allow(unused_variables)] // only `[event]` structs track their `type` key
                let mut type_seen: Option<$crate::wire::Key<'de>> = None;
                while let Some(key) = map.next_key::<$crate::wire::Key<'de>>()? {
                    match key.as_str() {
                        $( $wire => $crate::wire::wire_read!($req, map, $field, $ty, $wire, extra), )*
                        _ => $crate::wire::wire_struct!(@other $mode, key, map, extra, type_seen),
                    }
                }
                Ok(Ok($name {
                    $( $field: $crate::wire::wire_finish!($req, $field, $wire), )*
                    extra,
                }))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map($crate::wire::FieldsVisitor::<$name>::new(None))
            }
        }
    };
    (@reqdoc req) => { " (required)." };
    (@reqdoc opt) => { " (optional; `None` leaves it out)." };
    (@other event, $key:ident, $map:ident, $extra:ident, $type_seen:ident) => {
        if $key.as_str() == "type" {
            // The event enum dispatched on the first `type`; a different second one is ambiguous.
            $crate::wire::check_type_key(&mut $type_seen, $map.next_value()?)?;
        } else {
            let v = $map.next_value::<serde_json::Value>()?;
            $extra.insert($key.into_string(), v);
        }
    };
    (@other object, $key:ident, $map:ident, $extra:ident, $type_seen:ident) => {{
        let v = $map.next_value::<serde_json::Value>()?;
        $extra.insert($key.into_string(), v);
    }};
}

/// Declares a string enum that keeps unknown values in `Other(String)`.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                #[doc = concat!("`\"", $wire, "\"`")]
                $(#[$vmeta])*
                $variant,
            )*
            /// A value this crate does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let key = $crate::wire::Key::deserialize(d)?;
                Ok(match key.as_str() {
                    $( $wire => Self::$variant, )*
                    _ => Self::Other(key.into_string()),
                })
            }
        }
    };
}

pub(crate) use {
    string_enum, wire_field_type, wire_finish, wire_read, wire_ser_field, wire_struct,
};
